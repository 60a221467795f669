<?php
/**
 * WooCommerce: every order goes to the sales ledger (store revenue needs them all) and credits
 * its affiliate through the same rules as `POST /v1/sales`, as a verified sale.
 *
 * - Classic checkout `woocommerce_checkout_order_processed( $order_id, $posted_data, $order )`
 *   and block checkout `woocommerce_store_api_checkout_order_processed( $order )` record the
 *   order, idempotent by order id; the referral waits, not yet eligible for approval.
 * - Attribution reads the checkout request's cookies: the signed `rt_click` cookie, then the
 *   browser's `rt_ref` state (decoded with the core's format); an affiliate's coupon wins.
 * - `woocommerce_order_status_changed( $order_id, $from, $to, $order )`: processing/completed
 *   make the referral eligible (its hold starts); refunded/cancelled/failed reverse what is left.
 * - `woocommerce_order_refunded( $order_id, $refund_id )`: a refund reverses in proportion.
 * - Each refund these make is recorded in the activity log (`refund.created`) by the signed-in
 *   WordPress user who made the change (`user:<login>`), or `woocommerce` when WooCommerce reports
 *   it with no one signed in (a payment gateway's callback, WP-Cron, a guest's cancelled order).
 * - `woocommerce_trash_order( $order_id )` / `woocommerce_delete_order( $order_id )` (both order
 *   storages), and `trashed_post` for a `shop_order` post trashed from the classic order list:
 *   a trashed or deleted order reverses what is left, as a cancelled one does.
 * - `woocommerce_subscription_renewal_payment_complete( $subscription, $last_order )`: a renewal
 *   is a sale of the subscription, credited to the first order's affiliate (recurring rules).
 * - HPOS (custom order tables) compatibility is declared; only the `WC_Order` API is used.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * The WooCommerce integration.
 */
final class Reftrail_WooCommerce {

	/** Order meta with the attribution captured at checkout. */
	const META = '_reftrail_attribution';

	/**
	 * Hooks (they do nothing unless WooCommerce fires them).
	 */
	public static function init() {
		add_action( 'before_woocommerce_init', array( __CLASS__, 'declare_compatibility' ) );
		add_action( 'woocommerce_checkout_order_processed', array( __CLASS__, 'classic_checkout' ), 10, 3 );
		add_action( 'woocommerce_store_api_checkout_order_processed', array( __CLASS__, 'block_checkout' ), 10, 1 );
		add_action( 'woocommerce_order_status_changed', array( __CLASS__, 'status_changed' ), 10, 4 );
		add_action( 'woocommerce_order_refunded', array( __CLASS__, 'refunded' ), 10, 2 );
		add_action( 'woocommerce_subscription_renewal_payment_complete', array( __CLASS__, 'renewal' ), 10, 2 );
		add_action( 'woocommerce_trash_order', array( __CLASS__, 'trashed' ), 10, 1 );
		add_action( 'woocommerce_delete_order', array( __CLASS__, 'trashed' ), 10, 1 );
		add_action(
			'trashed_post',
			function ( $post_id ) {
				if ( 'shop_order' === get_post_type( $post_id ) ) {
					self::trashed( $post_id );
				}
			}
		);
	}

	/**
	 * A trashed or deleted order: what is left of its commission is reversed and it leaves store
	 * revenue (idempotent: a second call finds nothing left).
	 *
	 * @param int $order_id Order id.
	 */
	public static function trashed( $order_id ) {
		$left = Reftrail_Tracking::refundable( (string) $order_id );
		if ( ! $left || $left[0] <= 0 ) {
			return;
		}
		try {
			Reftrail_Tracking::refund(
				array(
					'order_id'  => (string) $order_id,
					'amount'    => $left[0],
					'refund_id' => 'wc-trash-' . $order_id,
					'reason'    => 'trashed',
				),
				null,
				self::by()
			);
		} catch ( Reftrail_Http_Error $e ) {
			return; // Already reversed by a concurrent request: nothing is left to do.
		}
	}

	/**
	 * Who the activity log names for a change WooCommerce reports: the signed-in WordPress user
	 * (`user:<login>`: a shop manager refunding or cancelling an order in wp-admin, a customer
	 * cancelling their own), else `woocommerce`.
	 *
	 * @return string
	 */
	private static function by() {
		$user = wp_get_current_user();
		return $user->exists() ? Reftrail_Activity::by_user( $user ) : Reftrail_Activity::BY_WOOCOMMERCE;
	}

	/**
	 * Declares compatibility with custom order tables (HPOS).
	 */
	public static function declare_compatibility() {
		if ( class_exists( '\Automattic\WooCommerce\Utilities\FeaturesUtil' ) ) {
			\Automattic\WooCommerce\Utilities\FeaturesUtil::declare_compatibility( 'custom_order_tables', REFTRAIL_FILE, true );
		}
	}

	/**
	 * Classic checkout.
	 *
	 * @param int      $order_id    Order id.
	 * @param array    $posted_data Checkout fields.
	 * @param WC_Order $order       Order.
	 */
	public static function classic_checkout( $order_id, $posted_data = array(), $order = null ) {
		$order = $order instanceof WC_Order ? $order : wc_get_order( $order_id );
		if ( $order ) {
			self::record_order( $order, array( 'checkout' => true ) );
		}
	}

	/**
	 * Block checkout (Store API).
	 *
	 * @param WC_Order $order Order.
	 */
	public static function block_checkout( $order ) {
		if ( $order instanceof WC_Order ) {
			self::record_order( $order, array( 'checkout' => true ) );
		}
	}

	/**
	 * The sale body of an order, through the WC_Order API.
	 *
	 * @param WC_Order $order Order.
	 * @return array
	 */
	public static function sale_body( WC_Order $order ) {
		$currency = $order->get_currency();
		$items    = array();
		foreach ( $order->get_items() as $item ) {
			if ( ! $item instanceof WC_Order_Item_Product ) {
				continue;
			}
			$product  = $item->get_product();
			$qty      = max( 1, (int) $item->get_quantity() );
			// What the shop typed is made acceptable rather than refused: a SKU or category the
			// sale's checks would refuse must not cost the affiliate the whole sale.
			$sku      = $product ? Reftrail_Input::one_line( $product->get_sku(), Reftrail_Input::MAX_TEXT ) : '';
			$sku      = '' !== $sku ? $sku : (string) $item->get_product_id();
			$category = null;
			if ( $product ) {
				$terms = get_the_terms( $product->get_id(), 'product_cat' );
				if ( is_array( $terms ) && $terms ) {
					// The slug as wp-admin shows it: WordPress keeps a non-Latin slug (Thai, say)
					// percent-encoded, three times longer than the text.
					$category = Reftrail_Input::one_line( rawurldecode( (string) $terms[0]->slug ), Reftrail_Input::MAX_TEXT );
				}
			}
			$line = array(
				'sku'      => $sku,
				'amount'   => intdiv( Reftrail_Input::minor_units( $item->get_subtotal(), $currency ), $qty ),
				'quantity' => $qty,
			);
			if ( null !== $category && '' !== $category ) {
				$line['category'] = $category;
			}
			$items[] = $line;
		}
		$body    = array(
			'order_id' => (string) $order->get_id(),
			'amount'   => Reftrail_Input::minor_units( $order->get_total(), $currency ),
			'currency' => $currency,
			'shipping' => Reftrail_Input::minor_units( $order->get_shipping_total(), $currency ),
			'tax'      => Reftrail_Input::minor_units( $order->get_total_tax(), $currency ),
			'items'    => array_slice( $items, 0, 100 ),
		);
		$created = $order->get_date_created();
		if ( $created ) {
			$body['at'] = gmdate( 'Y-m-d\TH:i:s\Z', min( $created->getTimestamp(), Reftrail_Db::now() ) );
		}
		// A coupon code no affiliate could hold (too long, control characters) is left out: it
		// cannot credit anyone, and the sale must still be recorded.
		$coupons = $order->get_coupon_codes();
		if ( $coupons && Reftrail_Input::text( (string) reset( $coupons ), Reftrail_Input::MAX_TEXT ) ) {
			$body['coupon'] = (string) reset( $coupons );
		}
		$email = $order->get_billing_email();
		if ( $email && null !== Reftrail_Tracking::email_hash( $email ) ) {
			$body['customer'] = array( 'email' => $email );
		}
		if ( $order->get_customer_id() ) {
			$body['customer']['id'] = (string) $order->get_customer_id();
		}
		if ( $body['shipping'] + $body['tax'] > $body['amount'] ) {
			$body['shipping'] = 0;
			$body['tax']      = 0;
		}
		return $body;
	}

	/**
	 * Records an order as a verified sale, once; keeps the outcome on the order (meta, through
	 * the WC_Order API).
	 *
	 * @param WC_Order $order Order.
	 * @param array    $extra `checkout` (the request is the customer's checkout: its cookies
	 *                        say who referred them), `renewal_of`, `subscription_id` for renewals.
	 * @return array|null The sale answer.
	 */
	public static function record_order( WC_Order $order, array $extra = array() ) {
		$body = self::sale_body( $order );
		if ( isset( $extra['subscription_id'] ) ) {
			$body['subscription_id'] = $extra['subscription_id'];
		}
		$seen = array( 'cookie_click' => null, 'touch' => null );
		// Only the customer's own checkout request carries their cookies: an order recorded from an
		// admin screen, a payment gateway's callback or a renewal must not take that browser's.
		if ( ! empty( $extra['checkout'] ) ) {
			$seen = Reftrail_Tracking::request_attribution();
			if ( null !== $seen['touch'] ) {
				$body['touch'] = array_diff_key( $seen['touch'], array( 'click_id' => 1 ) );
				if ( isset( $seen['touch']['click_id'] ) ) {
					$body['click_id'] = $seen['touch']['click_id'];
				}
			}
		}
		$paid = in_array( $order->get_status(), array( 'processing', 'completed' ), true );
		try {
			list( , $text ) = Reftrail_Tracking::sale(
				$body,
				array(
					'verified'     => true,
					'cookie_click' => $seen['cookie_click'],
					'user_agent'   => isset( $_SERVER['HTTP_USER_AGENT'] ) ? sanitize_text_field( wp_unslash( $_SERVER['HTTP_USER_AGENT'] ) ) : '',
					'source'       => 'woocommerce',
					'eligible'     => $paid,
					'renewal_of'   => $extra['renewal_of'] ?? null,
				)
			);
		} catch ( Reftrail_Http_Error $e ) {
			$order->add_order_note( sprintf( /* translators: %s: error message */ __( 'Reftrail could not record this order: %s', 'reftrail' ), $e->getMessage() ) );
			return null;
		}
		$answer = json_decode( $text, true );
		if ( ! empty( $answer['referral'] ) && ! $order->get_meta( self::META ) ) {
			$order->update_meta_data(
				self::META,
				array(
					'affiliate'     => $answer['referral']['affiliate'],
					'referral'      => $answer['referral']['id'],
					'attributed_by' => $answer['referral']['attributed_by'],
				)
			);
			$order->save();
		}
		return $answer;
	}

	/**
	 * The referral id of an order, if it has one.
	 *
	 * @param int $order_id Order id.
	 * @return string|null
	 */
	private static function referral_of( $order_id ) {
		global $wpdb;
		$o = Reftrail_Db::table( 'orders' );
		$r = Reftrail_Db::table( 'referrals' );
		return $wpdb->get_var( $wpdb->prepare( "SELECT r.id FROM {$r} r JOIN {$o} o ON o.id = r.source_id WHERE o.order_id = %s", (string) $order_id ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
	}

	/**
	 * Status changes: paid orders become eligible for approval; refunded, cancelled and failed
	 * ones reverse what is left of their commission (and leave store revenue).
	 *
	 * @param int      $order_id Order id.
	 * @param string   $from     Old status.
	 * @param string   $to       New status.
	 * @param WC_Order $order    Order.
	 */
	public static function status_changed( $order_id, $from, $to, $order = null ) {
		$order = $order instanceof WC_Order ? $order : wc_get_order( $order_id );
		if ( ! $order ) {
			return;
		}
		if ( null === Reftrail_Tracking::refundable( (string) $order_id ) ) {
			self::record_order( $order );
		}
		if ( in_array( $to, array( 'processing', 'completed' ), true ) ) {
			$rid = self::referral_of( $order_id );
			if ( $rid ) {
				Reftrail_Ledger::make_eligible( $rid );
				if ( 0 === (int) Reftrail_Program::get()['hold_days'] ) {
					Reftrail_Ledger::approve_due();
				}
			}
			return;
		}
		if ( in_array( $to, array( 'refunded', 'cancelled', 'failed' ), true ) ) {
			$left = Reftrail_Tracking::refundable( (string) $order_id );
			if ( $left && $left[0] > 0 ) {
				try {
					Reftrail_Tracking::refund(
						array(
							'order_id'  => (string) $order_id,
							'amount'    => $left[0],
							'refund_id' => 'wc-status-' . $order_id . '-' . $to,
							'reason'    => $to,
						),
						null,
						self::by()
					);
				} catch ( Reftrail_Http_Error $e ) {
					$order->add_order_note( sprintf( /* translators: %s: error message */ __( 'Reftrail could not reverse the commission: %s', 'reftrail' ), $e->getMessage() ) );
				}
			}
		}
	}

	/**
	 * A refund: reverses the commission in proportion to the amount refunded.
	 *
	 * @param int $order_id  Order id.
	 * @param int $refund_id Refund id.
	 */
	public static function refunded( $order_id, $refund_id ) {
		$refund = wc_get_order( $refund_id );
		$order  = wc_get_order( $order_id );
		$left   = Reftrail_Tracking::refundable( (string) $order_id );
		if ( ! $refund || ! $order || ! $left ) {
			return;
		}
		$amount = min( $left[0], Reftrail_Input::minor_units( $refund->get_amount(), $left[1] ) );
		if ( $amount <= 0 ) {
			return;
		}
		$body   = array(
			'order_id'  => (string) $order_id,
			'amount'    => $amount,
			'refund_id' => 'wc-refund-' . $refund_id,
		);
		// No reason typed in WooCommerce: none given, as a refund without one through the API.
		$reason = Reftrail_Input::one_line( $refund->get_reason(), Reftrail_Input::MAX_NOTE );
		if ( '' !== $reason ) {
			$body['reason'] = $reason;
		}
		try {
			Reftrail_Tracking::refund( $body, null, self::by() );
		} catch ( Reftrail_Http_Error $e ) {
			$order->add_order_note( sprintf( /* translators: %s: error message */ __( 'Reftrail could not reverse the commission: %s', 'reftrail' ), $e->getMessage() ) );
		}
	}

	/**
	 * A subscription renewal (WooCommerce Subscriptions): a sale credited to the affiliate of
	 * the subscription's first order.
	 *
	 * @param WC_Subscription $subscription Subscription.
	 * @param WC_Order        $last_order   The renewal order.
	 */
	public static function renewal( $subscription, $last_order ) {
		global $wpdb;
		if ( ! $last_order instanceof WC_Order || ! is_object( $subscription ) ) {
			return;
		}
		$o     = Reftrail_Db::table( 'orders' );
		$first = $wpdb->get_row( $wpdb->prepare( "SELECT id, affiliate_id, at FROM {$o} WHERE order_id = %s AND affiliate_id IS NOT NULL", (string) $subscription->get_parent_id() ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$extra = array( 'subscription_id' => 'wc-sub-' . $subscription->get_id() );
		if ( $first ) {
			$extra['renewal_of'] = array(
				'affiliate' => $first['affiliate_id'],
				'first_at'  => (int) $first['at'],
				'order'     => $first['id'],
			);
		}
		self::record_order( $last_order, $extra );
		$rid = self::referral_of( $last_order->get_id() );
		if ( $rid ) {
			Reftrail_Ledger::make_eligible( $rid );
		}
	}
}
