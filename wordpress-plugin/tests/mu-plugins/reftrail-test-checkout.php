<?php
/**
 * Plugin Name: Reftrail test checkout (WooCommerce stand-in)
 * Description: Test-only. `POST /?reftrail_test_checkout=1` (amount, coupon) creates an order of
 * the WooCommerce STAND-IN (reftrail-test/woocommerce-stand-in.php) and fires the classic
 * checkout hook `woocommerce_checkout_order_processed` in a request that carries the browser's
 * own cookies, as WooCommerce's checkout request does; answers the recorded referral as JSON.
 */

if ( ! class_exists( 'WC_Order' ) ) {
	require __DIR__ . '/reftrail-test/woocommerce-stand-in.php';
}

add_action(
	'init',
	function () {
		if ( ! isset( $_GET['reftrail_test_checkout'] ) || 'POST' !== ( $_SERVER['REQUEST_METHOD'] ?? '' ) ) {
			return;
		}
		$order = new WC_Order(
			array(
				'id'            => random_int( 100000, 999999999 ),
				'total'         => sanitize_text_field( wp_unslash( $_POST['amount'] ?? '10.00' ) ),
				'coupon_codes'  => empty( $_POST['coupon'] ) ? array() : array( sanitize_text_field( wp_unslash( $_POST['coupon'] ) ) ),
				'billing_email' => 'browser-buyer@example.test',
			)
		);
		do_action( 'woocommerce_checkout_order_processed', $order->get_id(), array(), $order );
		$order->update_status( 'processing' );
		wp_send_json( array( 'order_id' => (string) $order->get_id(), 'attribution' => $order->get_meta( '_reftrail_attribution' ) ) );
	}
);
