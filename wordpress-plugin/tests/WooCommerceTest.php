<?php
/**
 * The WooCommerce integration, driven through the WooCommerce STAND-IN of
 * woocommerce-stand-in.php (WooCommerce itself cannot be installed here): the exact hook names
 * and arguments WooCommerce fires, and only the WC_Order methods the plugin uses. The refunds
 * these hooks make are recorded in the activity log by the signed-in user, or `woocommerce`.
 *
 * @package Reftrail
 */

/**
 * WooCommerce tests.
 */
class WooCommerceTest extends Reftrail_Test_Case {

	/**
	 * An order as the stand-in holds it.
	 *
	 * @param array $data Fields.
	 * @return WC_Order
	 */
	private function order( array $data = array() ) {
		return new WC_Order(
			array_merge(
				array(
					'total'         => '100.00',
					'billing_email' => 'buyer@example.test',
					'items'         => array( new WC_Order_Item_Product( new WC_Product( 11, 'SHOE-1' ), 2, '40.00' ), new WC_Order_Item_Product( new WC_Product( 12, '' ), 1, '50.00' ) ),
					'shipping_total' => '10.00',
				),
				$data
			)
		);
	}

	/**
	 * The referral row of an order.
	 *
	 * @param WC_Order $order Order.
	 * @return array|null
	 */
	private function referral_of( WC_Order $order ) {
		global $wpdb;
		$r = Reftrail_Db::table( 'referrals' );
		$o = Reftrail_Db::table( 'orders' );
		$row = $wpdb->get_row( $wpdb->prepare( "SELECT r.* FROM {$r} r JOIN {$o} o ON o.id = r.source_id WHERE o.order_id = %s", (string) $order->get_id() ), ARRAY_A ); // phpcs:ignore
		return $row ? array_merge( $row, Reftrail_Ledger::view( $row['id'] ) ) : null;
	}

	/**
	 * Sets the signed click cookie of a click for alice, as the browser would send it.
	 *
	 * @param string $affiliate Affiliate.
	 */
	private function visit( $affiliate ) {
		$_COOKIE[ Reftrail_Click_Cookie::NAME ] = Reftrail_Click_Cookie::sign( $this->click( $affiliate ) );
	}

	public function test_declares_hpos_compatibility() {
		\Automattic\WooCommerce\Utilities\FeaturesUtil::$declared = array();
		do_action( 'before_woocommerce_init' );
		$this->assertContains( array( 'custom_order_tables', REFTRAIL_FILE, true ), \Automattic\WooCommerce\Utilities\FeaturesUtil::$declared );
	}

	public function test_classic_then_block_checkout_creates_one_pending_referral() {
		$this->affiliate( 'alice' );
		$this->visit( 'alice' );
		$order = $this->order();
		do_action( 'woocommerce_checkout_order_processed', $order->get_id(), array( 'billing_email' => 'buyer@example.test' ), $order );
		do_action( 'woocommerce_store_api_checkout_order_processed', $order );
		do_action( 'woocommerce_checkout_order_processed', $order->get_id(), array(), $order );
		global $wpdb;
		$this->assertSame( '1', $wpdb->get_var( 'SELECT COUNT(*) FROM ' . Reftrail_Db::table( 'orders' ) ) ); // phpcs:ignore
		$ref = $this->referral_of( $order );
		$this->assertSame( 'alice', $ref['affiliate'] );
		$this->assertSame( 'cookie', $ref['attributed_by'] );
		$this->assertSame( 'pending', $ref['status'] );
		$this->assertSame( '0', $ref['eligible'], 'not eligible before payment' );
		$this->assertTrue( $ref['verified'] );
		$this->assertSame( 10000, $ref['amount'] );
		// Items 2 x 20.00 + 50.00 = 90.00 (shipping left out): 10 % is 9.00.
		$this->assertSame( 900, $ref['commission'] );
		$this->assertSame( array( 'affiliate' => 'alice', 'referral' => $ref['id'], 'attributed_by' => 'cookie' ), $order->get_meta( Reftrail_WooCommerce::META ) );
		$this->assertSame( 1, $order->saves, 'meta saved once, through WC_Order::save' );
	}

	public function test_block_checkout_with_the_browser_state_cookie() {
		$this->affiliate( 'bob' );
		$now                                = time();
		$_COOKIE[ Reftrail_Cookie::NAME ] = Reftrail_Cookie::encode(
			array(
				'visitor'  => 'k3JQ9x2mP0aZ7bC4',
				'referral' => array( 'affiliate' => 'bob', 'via' => 'query', 'at' => $now - 60, 'expires' => $now + 86400, 'click_id' => null, 'campaign' => 'spring' ),
				'trail'    => array( array( 'affiliate' => 'bob', 'at' => $now - 60 ) ),
			)
		);
		$order = $this->order();
		do_action( 'woocommerce_store_api_checkout_order_processed', $order );
		$this->assertSame( array( 'bob', 'touch' ), array( $this->referral_of( $order )['affiliate'], $this->referral_of( $order )['attributed_by'] ) );
	}

	public function test_a_flagged_order_is_told_to_the_administrator_in_its_transaction() {
		global $wpdb;
		// The buyer is alice herself: a self-referral.
		$this->affiliate( 'alice', array( 'email' => 'Buyer@Example.test' ) );
		$this->visit( 'alice' );
		$order = $this->order();
		do_action( 'woocommerce_checkout_order_processed', $order->get_id(), array(), $order );
		$ref = $this->referral_of( $order );
		$this->assertSame( array( 'self_referral' ), $ref['flags'] );
		$rows = $wpdb->get_results( 'SELECT event, recipient, affiliate_id, payload FROM ' . Reftrail_Db::table( 'mail_outbox' ) . " WHERE event = 'referral.flagged'", ARRAY_A ); // phpcs:ignore
		$this->assertCount( 1, $rows );
		$this->assertSame( array( 'admin', 'alice', $ref['id'], (string) $order->get_id() ), array( $rows[0]['recipient'], $rows[0]['affiliate_id'], json_decode( $rows[0]['payload'], true )['id'], json_decode( $rows[0]['payload'], true )['order_id'] ) );
		// Another buyer's order: nothing to review.
		$this->visit( 'alice' );
		$other = $this->order( array( 'billing_email' => 'someone@example.test' ) );
		do_action( 'woocommerce_checkout_order_processed', $other->get_id(), array(), $other );
		$this->assertSame( array(), $this->referral_of( $other )['flags'] );
		$this->assertSame( '1', $wpdb->get_var( 'SELECT COUNT(*) FROM ' . Reftrail_Db::table( 'mail_outbox' ) . " WHERE event = 'referral.flagged'" ) ); // phpcs:ignore
	}

	public function test_coupon_credits_its_affiliate_without_a_cookie() {
		$this->affiliate( 'carol', array( 'coupons' => array( 'CAROL15' ) ) );
		$this->affiliate( 'alice' );
		$this->visit( 'alice' );
		$order = $this->order( array( 'coupon_codes' => array( 'carol15' ), 'total' => '85.00' ) );
		do_action( 'woocommerce_checkout_order_processed', $order->get_id(), array(), $order );
		$ref = $this->referral_of( $order );
		$this->assertSame( array( 'carol', 'coupon' ), array( $ref['affiliate'], $ref['attributed_by'] ) );
		// 90.00 of items, 15.00 discount spread over them: 75.00 at 10 %.
		$this->assertSame( 750, $ref['commission'] );
	}

	public function test_a_cashback_site_earns_its_categorys_rate() {
		$this->program(
			array(
				'commission' => array(
					'sale'                 => array(
						'type'     => 'percent',
						'rate_bps' => 1000,
					),
					'affiliate_categories' => array(
						'cashback' => array(
							'sale' => array(
								'type'     => 'percent',
								'rate_bps' => 300,
							),
						),
					),
				),
			)
		);
		$this->affiliate( 'cashy', array( 'category' => 'cashback' ) );
		$this->visit( 'cashy' );
		$order = $this->order();
		do_action( 'woocommerce_checkout_order_processed', $order->get_id(), array(), $order );
		// Items 2 x 20.00 + 50.00 = 90.00: the category's 3 % is 2.70, not the program's 9.00.
		$this->assertSame( array( 'cashy', 270 ), array( $this->referral_of( $order )['affiliate'], $this->referral_of( $order )['commission'] ) );
		// Moved to another category, the affiliate earns its rate on later orders; the first keeps its own.
		$this->patch_affiliate( 'cashy', array( 'category' => 'content' ) );
		$this->visit( 'cashy' );
		$later = $this->order();
		do_action( 'woocommerce_checkout_order_processed', $later->get_id(), array(), $later );
		$this->assertSame( array( 900, 270 ), array( $this->referral_of( $later )['commission'], $this->referral_of( $order )['commission'] ) );
	}

	public function test_every_order_counts_in_store_revenue() {
		$order = $this->order( array( 'total' => '42.50' ) );
		do_action( 'woocommerce_checkout_order_processed', $order->get_id(), array(), $order );
		$this->assertNull( $this->referral_of( $order ) );
		list( , $r ) = $this->rest( 'GET', '/v1/reports/summary', null, $this->sk() );
		$this->assertSame( array( 'currency' => 'USD', 'revenue' => 4250 ), array_intersect_key( $r['store'][0], array( 'currency' => 1, 'revenue' => 1 ) ) );
		// An order created without checkout (admin, import) is recorded at its first status change,
		// and the cookies of whoever changed it (a shop manager who once followed a link) credit nobody.
		$this->affiliate( 'alice' );
		$this->visit( 'alice' );
		$manual = $this->order( array( 'total' => '7.00' ) );
		$manual->update_status( 'processing' );
		$this->assertNull( $this->referral_of( $manual ) );
		list( , $r ) = $this->rest( 'GET', '/v1/reports/summary', null, $this->sk() );
		$this->assertSame( 4950, $r['store'][0]['revenue'] );
	}

	public function test_payment_makes_the_referral_eligible_and_the_hold_approves_it() {
		$this->program( array( 'hold_days' => 14 ) );
		$this->affiliate( 'alice' );
		$this->visit( 'alice' );
		$order = $this->order();
		do_action( 'woocommerce_checkout_order_processed', $order->get_id(), array(), $order );
		add_filter( 'reftrail_now', fn() => time() + 30 * DAY_IN_SECONDS );
		Reftrail_Ledger::approve_due();
		$this->assertSame( 'pending', $this->referral_of( $order )['status'], 'an unpaid order is never approved' );
		remove_all_filters( 'reftrail_now' );
		$order->update_status( 'processing' );
		$ref = $this->referral_of( $order );
		$this->assertSame( array( '1', 'pending' ), array( $ref['eligible'], $ref['status'] ) );
		add_filter( 'reftrail_now', fn() => time() + 15 * DAY_IN_SECONDS );
		$this->assertSame( 1, Reftrail_Ledger::approve_due() );
		$this->assertSame( 'approved', $this->referral_of( $order )['status'] );
	}

	public function test_without_a_hold_completed_orders_approve_at_once() {
		$this->program( array( 'hold_days' => 0 ) );
		$this->affiliate( 'alice' );
		$this->visit( 'alice' );
		$order = $this->order();
		do_action( 'woocommerce_checkout_order_processed', $order->get_id(), array(), $order );
		$this->assertSame( 'pending', $this->referral_of( $order )['status'] );
		$order->update_status( 'completed' );
		$this->assertSame( 'approved', $this->referral_of( $order )['status'] );
	}

	public function test_partial_then_full_refund_reverse_proportionally() {
		$this->affiliate( 'alice' );
		$this->visit( 'alice' );
		$order = $this->order( array( 'items' => array(), 'shipping_total' => '0.00', 'total' => '100.00' ) );
		do_action( 'woocommerce_checkout_order_processed', $order->get_id(), array(), $order );
		$order->update_status( 'processing' );
		$this->assertSame( 1000, $this->referral_of( $order )['commission'] );
		reftrail_stand_in_refund( $order, '25.00', false, 'one shoe' );
		$ref = $this->referral_of( $order );
		$this->assertSame( array( 750, 'pending' ), array( $ref['commission_net'], $ref['status'] ) );
		reftrail_stand_in_refund( $order, '75.00', true, 'the rest' );
		$ref = $this->referral_of( $order );
		$this->assertSame( array( 0, 'reversed' ), array( $ref['commission_net'], $ref['status'] ) );
		$this->assertSame( 'refunded', $order->get_status() );
		$this->assertSame( array(), $order->notes, 'no errors noted on the order' );
		list( , $r ) = $this->rest( 'GET', '/v1/reports/summary', null, $this->sk() );
		$this->assertSame( 0, $r['store'][0]['revenue'] );
	}

	public function test_a_refund_reason_typed_on_several_lines_still_reverses_the_commission() {
		global $wpdb;
		$this->affiliate( 'alice' );
		$this->visit( 'alice' );
		$order = $this->order( array( 'items' => array(), 'shipping_total' => '0.00', 'total' => '100.00' ) );
		do_action( 'woocommerce_checkout_order_processed', $order->get_id(), array(), $order );
		$order->update_status( 'processing' );
		// A merchant's reason with line breaks, longer than a note may be, in Vietnamese and Thai.
		$refund = reftrail_stand_in_refund( $order, '25.00', false, "Khách trả hàng:\r\n" . str_repeat( "สินค้าชำรุด\n", 40 ) );
		$this->assertSame( 750, $this->referral_of( $order )['commission_net'] );
		$this->assertSame( array(), $order->notes, 'no errors noted on the order' );
		$reason = $wpdb->get_var( $wpdb->prepare( 'SELECT reason FROM ' . Reftrail_Db::table( 'refunds' ) . ' WHERE refund_key = %s', 'r:wc-refund-' . $refund->get_id() ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		$this->assertStringStartsWith( 'Khách trả hàng: สินค้าชำรุด สินค้าชำรุด', $reason );
		$this->assertLessThanOrEqual( Reftrail_Input::MAX_NOTE, strlen( $reason ) );
		$this->assertTrue( mb_check_encoding( $reason, 'UTF-8' ), 'cut on a character boundary' );
		$this->assertFalse( Reftrail_Input::has_control( $reason ) );
	}

	public function test_what_the_shop_typed_never_costs_the_sale() {
		register_taxonomy( 'product_cat', 'product' );
		// A Thai category: WordPress keeps its slug percent-encoded (189 characters here).
		$term = wp_insert_term( 'เครื่องใช้ไฟฟ้าในบ้าน', 'product_cat' );
		$this->assertIsArray( $term, is_wp_error( $term ) ? $term->get_error_message() : '' );
		$slug = get_term( $term['term_id'], 'product_cat' )->slug;
		$this->assertGreaterThan( Reftrail_Input::MAX_TEXT, strlen( $slug ), 'the stored slug is longer than an item category may be' );
		$post = wp_insert_post( array( 'post_type' => 'product', 'post_title' => 'Quạt điện', 'post_status' => 'publish' ) );
		wp_set_object_terms( $post, array( (int) $term['term_id'] ), 'product_cat' );
		$this->affiliate( 'alice' );
		$this->visit( 'alice' );
		$order = $this->order(
			array(
				// A SKU longer than 128 bytes whose cut would fall inside a character, with a tab.
				'items'        => array( new WC_Order_Item_Product( new WC_Product( $post, "QUẠT\t" . str_repeat( 'ĐIỆN-', 30 ) ), 1, '90.00' ) ),
				'coupon_codes' => array( str_repeat( 'tet', 60 ) ),
			)
		);
		$body = Reftrail_WooCommerce::sale_body( $order );
		$item = $body['items'][0];
		$this->assertSame( 'เครื่องใช้ไฟฟ้าในบ้าน', $item['category'], 'the slug as wp-admin shows it' );
		$this->assertStringStartsWith( 'QUẠT ĐIỆN-ĐIỆN-', $item['sku'] );
		$this->assertTrue( Reftrail_Input::text( $item['sku'], Reftrail_Input::MAX_TEXT ), 'a valid SKU: ' . $item['sku'] );
		$this->assertArrayNotHasKey( 'coupon', $body, 'a coupon no affiliate can hold is left out' );
		do_action( 'woocommerce_checkout_order_processed', $order->get_id(), array(), $order );
		$this->assertSame( array(), $order->notes, 'no errors noted on the order' );
		$this->assertSame( 'alice', $this->referral_of( $order )['affiliate'] );
	}

	public function test_a_returning_customer_on_another_device_credits_the_first_affiliate_when_the_program_matches_customers() {
		$this->affiliate( 'alice' );
		$this->visit( 'alice' );
		$first = $this->order( array( 'billing_email' => 'Lan@Example.test' ) );
		do_action( 'woocommerce_checkout_order_processed', $first->get_id(), array(), $first );
		$this->assertSame( 'cookie', $this->referral_of( $first )['attributed_by'] );
		// Days later on another device: no cookie, the same customer.
		$_COOKIE = array();
		$again   = function () {
			$order = $this->order( array( 'billing_email' => 'lan@example.test ' ) );
			do_action( 'woocommerce_checkout_order_processed', $order->get_id(), array(), $order );
			return $this->referral_of( $order );
		};
		$this->assertNull( $again(), 'off by default' );
		$this->program( array( 'match_customers' => true ) );
		$ref = $again();
		$this->assertSame( array( 'alice', 'customer' ), array( $ref['affiliate'], $ref['attributed_by'] ) );
	}

	public function test_cancelled_and_failed_orders_reverse_everything() {
		$this->affiliate( 'alice' );
		foreach ( array( 'cancelled', 'failed' ) as $status ) {
			$this->visit( 'alice' );
			$order = $this->order();
			do_action( 'woocommerce_checkout_order_processed', $order->get_id(), array(), $order );
			$order->update_status( 'on-hold' );
			$order->update_status( $status );
			$ref = $this->referral_of( $order );
			$this->assertSame( array( 0, 'reversed' ), array( $ref['commission_net'], $ref['status'] ), $status );
		}
	}

	public function test_renewals_earn_recurring_commissions() {
		$this->program(
			array(
				'commission' => array(
					'sale'      => array( 'type' => 'percent', 'rate_bps' => 2000 ),
					'recurring' => array( 'type' => 'months', 'months' => 12, 'rate' => array( 'type' => 'percent', 'rate_bps' => 500 ) ),
				),
			)
		);
		$this->affiliate( 'alice' );
		$this->visit( 'alice' );
		$parent = $this->order( array( 'items' => array(), 'shipping_total' => '0.00', 'total' => '30.00' ) );
		do_action( 'woocommerce_checkout_order_processed', $parent->get_id(), array(), $parent );
		$this->assertSame( 600, $this->referral_of( $parent )['commission'] );
		$_COOKIE = array();
		$renewal = $this->order( array( 'items' => array(), 'shipping_total' => '0.00', 'total' => '30.00', 'date_created' => new DateTime( '@' . ( time() + 40 * DAY_IN_SECONDS ) ) ) );
		add_filter( 'reftrail_now', fn() => time() + 40 * DAY_IN_SECONDS );
		do_action( 'woocommerce_subscription_renewal_payment_complete', new WC_Subscription( 777, $parent->get_id() ), $renewal );
		$ref = $this->referral_of( $renewal );
		$this->assertSame( array( 'alice', 'renewal', 150, '1' ), array( $ref['affiliate'], $ref['attributed_by'], $ref['commission'], $ref['eligible'] ) );
	}

	/**
	 * The `refund.created` entries of the activity log, newest first: [by, affiliate, details].
	 *
	 * @return array[]
	 */
	private function refunds_recorded() {
		list( $s, $d ) = $this->rest( 'GET', '/v1/activity?action=refund.created', null, $this->sk() );
		$this->assertSame( 200, $s );
		return array_map( fn( $e ) => array( $e['by'], $e['affiliate'], $e['details'] ), $d['activity'] );
	}

	/**
	 * The money a refund moved, as the activity log details it.
	 *
	 * @param WC_Order    $order    Order.
	 * @param int         $amount   Minor units.
	 * @param string|null $reason   Reason.
	 * @param int         $reversed Commission reversed.
	 * @return array
	 */
	private static function refund_details( WC_Order $order, $amount, $reason, $reversed ) {
		return array(
			'order_id'            => (string) $order->get_id(),
			'amount'              => $amount,
			'currency'            => 'USD',
			'reason'              => $reason,
			'commission_reversed' => $reversed,
		);
	}

	public function test_refunds_through_woocommerce_are_recorded_by_who_made_them() {
		$this->affiliate( 'alice' );
		$this->visit( 'alice' );
		$order = $this->order( array( 'items' => array(), 'shipping_total' => '0.00', 'total' => '100.00' ) );
		do_action( 'woocommerce_checkout_order_processed', $order->get_id(), array(), $order );
		$order->update_status( 'processing' );
		// A payment gateway's callback: no one signed in.
		reftrail_stand_in_refund( $order, '25.00', false, "one shoe\ntoo small" );
		// A shop manager in wp-admin, with no reason typed.
		$manager = $this->user( 'administrator' );
		wp_set_current_user( $manager );
		reftrail_stand_in_refund( $order, '15.00', false );
		// The rest: WooCommerce marks the order refunded first, which reverses what is left;
		// its own refund hook then finds nothing left, and nothing more is recorded.
		reftrail_stand_in_refund( $order, '60.00', true, 'the rest' );
		wp_set_current_user( 0 );
		$this->assertSame( array(), $order->notes, 'no errors noted on the order' );
		$by = 'user:' . get_userdata( $manager )->user_login;
		$this->assertSame(
			array(
				array( $by, 'alice', self::refund_details( $order, 6000, 'refunded', 600 ) ),
				array( $by, 'alice', self::refund_details( $order, 1500, null, 150 ) ),
				array( 'woocommerce', 'alice', self::refund_details( $order, 2500, 'one shoe too small', 250 ) ),
			),
			$this->refunds_recorded()
		);
		$this->assertSame( array( 0, 'reversed' ), array( $this->referral_of( $order )['commission_net'], $this->referral_of( $order )['status'] ) );
	}

	public function test_cancelled_trashed_and_unreferred_orders_are_recorded_with_the_reason_the_plugin_gives() {
		$this->affiliate( 'alice' );
		$this->visit( 'alice' );
		$cancelled = $this->order( array( 'items' => array(), 'shipping_total' => '0.00', 'total' => '30.00' ) );
		do_action( 'woocommerce_checkout_order_processed', $cancelled->get_id(), array(), $cancelled );
		// WooCommerce cancels an unpaid order from WP-Cron: no one signed in.
		$cancelled->update_status( 'cancelled' );
		$_COOKIE = array();
		$plain   = $this->order( array( 'items' => array(), 'shipping_total' => '0.00', 'total' => '12.34' ) );
		do_action( 'woocommerce_checkout_order_processed', $plain->get_id(), array(), $plain );
		$this->assertNull( $this->referral_of( $plain ), 'no one referred it' );
		$admin = $this->user( 'administrator' );
		wp_set_current_user( $admin );
		do_action( 'woocommerce_trash_order', $plain->get_id() );
		do_action( 'woocommerce_trash_order', $plain->get_id() );
		wp_set_current_user( 0 );
		$this->assertSame(
			array(
				array( 'user:' . get_userdata( $admin )->user_login, null, self::refund_details( $plain, 1234, 'trashed', 0 ) ),
				array( 'woocommerce', 'alice', self::refund_details( $cancelled, 3000, 'cancelled', 300 ) ),
			),
			$this->refunds_recorded()
		);
	}

	public function test_trashed_and_deleted_orders_reverse_what_is_left() {
		$this->affiliate( 'alice' );
		foreach ( array( 'woocommerce_trash_order', 'woocommerce_delete_order' ) as $hook ) {
			$this->visit( 'alice' );
			$order = $this->order( array( 'items' => array(), 'shipping_total' => '0.00' ) );
			do_action( 'woocommerce_checkout_order_processed', $order->get_id(), array(), $order );
			reftrail_stand_in_refund( $order, '40.00', false );
			do_action( $hook, $order->get_id() );
			do_action( $hook, $order->get_id() );
			$ref = $this->referral_of( $order );
			$this->assertSame( array( 0, 'reversed' ), array( $ref['commission_net'], $ref['status'] ), $hook );
			$this->assertSame( array( 0, 'USD' ), Reftrail_Tracking::refundable( (string) $order->get_id() ) );
		}
	}
}
