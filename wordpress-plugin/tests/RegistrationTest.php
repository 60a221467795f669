<?php
/**
 * A lead when a visitor creates an account (opt-in), through WordPress's own `user_register`.
 *
 * @package Reftrail
 */

/**
 * Sign-up tests.
 */
class RegistrationTest extends Reftrail_Test_Case {

	/**
	 * The lead referrals of `$affiliate`.
	 *
	 * @param string $affiliate Affiliate.
	 * @return array
	 */
	private function leads_of( $affiliate ) {
		global $wpdb;
		return $wpdb->get_results( $wpdb->prepare( 'SELECT l.customer_id, l.email_hash, r.attributed_by, r.verified FROM ' . Reftrail_Db::table( 'leads' ) . ' l JOIN ' . Reftrail_Db::table( 'referrals' ) . " r ON r.source_id = l.id WHERE r.kind = 'lead' AND r.affiliate_id = %s", $affiliate ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
	}

	/**
	 * Signs a visitor up with the signed click cookie of a click for `$affiliate`.
	 *
	 * @param string $affiliate Affiliate.
	 * @param string $login     Login.
	 * @return int The user id.
	 */
	private function sign_up( $affiliate, $login ) {
		$_COOKIE[ Reftrail_Click_Cookie::NAME ] = Reftrail_Click_Cookie::sign( $this->click( $affiliate ) );
		$id                                     = wp_insert_user(
			array(
				'user_login' => $login,
				'user_pass'  => wp_generate_password( 20 ),
				'user_email' => $login . '@Example.test',
				'role'       => 'subscriber',
			)
		);
		$this->assertIsInt( $id );
		return $id;
	}

	public function test_a_sign_up_is_a_lead_only_when_the_shop_asks_for_it() {
		$this->affiliate( 'alice' );
		$admin = $this->user( 'administrator' );
		wp_set_current_user( 0 );
		$this->sign_up( 'alice', 'off' . wp_rand() );
		$this->assertSame( array(), $this->leads_of( 'alice' ), 'off by default' );

		update_option( Reftrail_Settings::OPTION, Reftrail_Settings::sanitize( array( 'lead_on_registration' => '1' ) ) );
		$id    = $this->sign_up( 'alice', 'lan' . wp_rand() );
		$leads = $this->leads_of( 'alice' );
		$this->assertCount( 1, $leads );
		$this->assertSame( array( (string) $id, 'cookie', '1' ), array( $leads[0]['customer_id'], $leads[0]['attributed_by'], (string) $leads[0]['verified'] ) );
		$this->assertSame( Reftrail_Tracking::email_hash( get_userdata( $id )->user_email ), $leads[0]['email_hash'] );

		// An account an administrator makes for someone is no visitor's sign-up.
		wp_set_current_user( $admin );
		$this->sign_up( 'alice', 'made' . wp_rand() );
		$this->assertCount( 1, $this->leads_of( 'alice' ) );
	}

	public function test_with_cross_device_matching_the_customers_later_order_is_credited() {
		$this->affiliate( 'alice' );
		$this->program( array( 'match_customers' => true ) );
		update_option( Reftrail_Settings::OPTION, Reftrail_Settings::sanitize( array( 'lead_on_registration' => '1' ) ) );
		wp_set_current_user( 0 );
		$id = $this->sign_up( 'alice', 'minh' . wp_rand() );
		// Later, signed in on another device: no cookie, the same customer id.
		$_COOKIE = array();
		$order   = new WC_Order( array( 'total' => '50.00', 'customer_id' => $id, 'billing_email' => '' ) );
		do_action( 'woocommerce_checkout_order_processed', $order->get_id(), array(), $order );
		$this->assertSame( (string) $id, Reftrail_WooCommerce::sale_body( $order )['customer']['id'] ?? null );
		global $wpdb;
		$by = $wpdb->get_var( $wpdb->prepare( 'SELECT r.attributed_by FROM ' . Reftrail_Db::table( 'referrals' ) . ' r JOIN ' . Reftrail_Db::table( 'orders' ) . ' o ON o.id = r.source_id WHERE o.order_id = %s', (string) $order->get_id() ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		$this->assertSame( 'customer', $by );
	}
}
