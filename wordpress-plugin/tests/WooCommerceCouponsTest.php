<?php
/**
 * WooCommerce coupons made for an affiliate (`GET/POST /v1/affiliates/{id}/woocommerce-coupons`),
 * against the WooCommerce STAND-IN of woocommerce-stand-in.php, whose coupons are WooCommerce's
 * own storage (`shop_coupon` posts and their meta): the default code, the amount as WooCommerce
 * stores it at the shop currency's exponent, the conflicts and refused bodies that write nothing,
 * who may make one, a site without WooCommerce, and an order that uses the new coupon crediting
 * the affiliate through the usual coupon attribution.
 *
 * @package Reftrail
 */

/**
 * WooCommerce coupon tests.
 */
class WooCommerceCouponsTest extends Reftrail_Test_Case {

	/**
	 * POSTs a coupon for `$affiliate`; returns [status, body].
	 *
	 * @param string $affiliate Affiliate.
	 * @param array  $body      Body.
	 * @param array  $headers   Headers (default the secret key).
	 * @return array
	 */
	private function make( $affiliate, array $body, ?array $headers = null ) {
		list( $s, $d ) = $this->rest( 'POST', '/v1/affiliates/' . $affiliate . '/woocommerce-coupons', $body, $headers ?? $this->sk() );
		return array( $s, $d );
	}

	/**
	 * The affiliate's WooCommerce coupons as GET answers them, with the secret key.
	 *
	 * @param string $affiliate Affiliate.
	 * @return array
	 */
	private function listed( $affiliate ) {
		list( $s, $d ) = $this->rest( 'GET', '/v1/affiliates/' . $affiliate . '/woocommerce-coupons', null, $this->sk() );
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
		return $d['coupons'];
	}

	/**
	 * The `shop_coupon` posts titled `$title` (whatever the case), in any state.
	 *
	 * @param string $title Title.
	 * @return WP_Post[]
	 */
	private static function posts( $title ) {
		global $wpdb;
		$ids = $wpdb->get_col( $wpdb->prepare( "SELECT ID FROM {$wpdb->posts} WHERE post_type = 'shop_coupon' AND LOWER(post_title) = LOWER(%s) ORDER BY ID", $title ) );
		return array_map( 'get_post', $ids );
	}

	/**
	 * How many `shop_coupon` posts there are.
	 *
	 * @return int
	 */
	private static function coupon_posts() {
		global $wpdb;
		return (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->posts} WHERE post_type = 'shop_coupon'" );
	}

	/**
	 * How many activity entries there are.
	 *
	 * @return int
	 */
	private static function activity() {
		global $wpdb;
		return (int) $wpdb->get_var( 'SELECT COUNT(*) FROM ' . Reftrail_Db::table( 'activity' ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
	}

	/**
	 * A coupon made in WooCommerce's own screens: a post titled with the code, and its meta.
	 *
	 * @param string $code   Code.
	 * @param string $status Post status.
	 * @param array  $meta   Meta.
	 * @return int
	 */
	private function shop_coupon( $code, $status = 'publish', array $meta = array() ) {
		$id = wp_insert_post(
			array(
				'post_type'   => 'shop_coupon',
				'post_title'  => $code,
				'post_status' => $status,
			),
			true
		);
		$this->assertIsInt( $id );
		foreach ( $meta as $k => $v ) {
			update_post_meta( $id, $k, $v );
		}
		return $id;
	}

	/**
	 * Signs a WordPress user of `$role` in to the dashboard; returns the headers of a change
	 * made with that session, and the user's id.
	 *
	 * @param string $role Role.
	 * @return array
	 */
	private function session_of( $role ) {
		$uid = $this->user( $role );
		wp_set_password( 'correct horse battery', $uid );
		list( $s, $session, $h ) = $this->rest(
			'POST',
			'/v1/session',
			array(
				'username' => get_userdata( $uid )->user_login,
				'password' => 'correct horse battery',
			)
		);
		$this->assertSame( 201, $s, wp_json_encode( $session ) );
		return array(
			array(
				'cookie'       => explode( ';', $h['Set-Cookie'] )[0],
				'x_csrf_token' => $session['csrf_token'],
			),
			$uid,
		);
	}

	public function test_a_percent_coupon_gets_the_default_code_and_is_stored_as_woocommerce_stores_it() {
		$this->affiliate( 'alice', array( 'coupons' => array( 'OLD5' ) ) );
		list( $s, $d ) = $this->make(
			'alice',
			array(
				'discount_type' => 'percent',
				'percent'       => 10,
			)
		);
		$this->assertSame( 201, $s, wp_json_encode( $d ) );
		$post = self::posts( 'ALICE10' );
		$this->assertCount( 1, $post );
		$post = $post[0];
		$this->assertSame(
			array(
				'coupon'  => array(
					'code'          => 'ALICE10',
					'discount_type' => 'percent',
					'amount'        => '10',
					'usage_count'   => 0,
					'url'           => admin_url( 'post.php?post=' . $post->ID . '&action=edit' ),
				),
				'coupons' => array( 'ALICE10', 'OLD5' ),
			),
			$d
		);
		// WooCommerce keeps codes in lower case (wc_format_coupon_code).
		$this->assertSame( array( 'shop_coupon', 'publish', 'alice10', 'Affiliate coupon: alice', '0' ), array( $post->post_type, $post->post_status, $post->post_title, $post->post_excerpt, (string) $post->post_author ) );
		// No usage_limit_per_user: no limit unless one is given.
		$this->assertSame(
			array(
				'discount_type'  => array( 'percent' ),
				'coupon_amount'  => array( '10' ),
				'individual_use' => array( 'no' ),
				'usage_count'    => array( '0' ),
			),
			get_post_meta( $post->ID )
		);
		$this->assertSame( array( $d['coupon'] ), $this->listed( 'alice' ) );
		$this->assertSame( array( 'ALICE10', 'OLD5' ), $this->rest( 'GET', '/v1/affiliates/alice', null, $this->sk() )[1]['coupons'] );

		// Added as PATCH /v1/affiliates/{id} adds a coupon: the activity log records it.
		list( , $log ) = $this->rest( 'GET', '/v1/activity?action=affiliate.updated', null, $this->sk() );
		$this->assertCount( 1, $log['activity'] );
		$this->assertSame( array( 'secret_key', 'alice' ), array( $log['activity'][0]['by'], $log['activity'][0]['subject'] ) );
		$this->assertSame(
			array(
				array(
					'field'  => 'coupons',
					'before' => array( 'OLD5' ),
					'after'  => array( 'ALICE10', 'OLD5' ),
				),
			),
			$log['activity'][0]['details']['changes']
		);

		// An id's other characters are left out; an amount off adds no number.
		$this->affiliate( 'kim.lee-2' );
		list( $s, $d ) = $this->make(
			'kim.lee-2',
			array(
				'discount_type' => 'percent',
				'percent'       => 15,
			)
		);
		$this->assertSame( array( 201, 'KIMLEE215' ), array( $s, $d['coupon']['code'] ) );
		list( $s, $d ) = $this->make(
			'kim.lee-2',
			array(
				'discount_type' => 'fixed_cart',
				'amount'        => 500,
			)
		);
		$this->assertSame( array( 201, 'KIMLEE2' ), array( $s, $d['coupon']['code'] ) );
		$this->assertSame( array( 'KIMLEE2', 'KIMLEE215' ), $d['coupons'] );
		$this->assertSame( array( 'KIMLEE2', 'KIMLEE215' ), array_column( $this->listed( 'kim.lee-2' ), 'code' ) );

		// A code of the merchant's choosing is upper-cased as an affiliate's coupons are.
		list( $s, $d ) = $this->make(
			'alice',
			array(
				'code'                 => 'Tết-VIP',
				'discount_type'        => 'percent',
				'percent'              => 100,
				'usage_limit_per_user' => 1,
			)
		);
		$this->assertSame( 201, $s, wp_json_encode( $d ) );
		$this->assertSame( array( 'TẾT-VIP', '100' ), array( $d['coupon']['code'], $d['coupon']['amount'] ) );
		$post = self::posts( 'tết-vip' )[0];
		$this->assertSame( 'tết-vip', $post->post_title );
		$this->assertSame( '1', get_post_meta( $post->ID, 'usage_limit_per_user', true ) );
	}

	public function test_amounts_are_decimal_strings_at_the_shop_currencys_exponent() {
		$this->affiliate( 'kol' );
		$cases = array(
			array( 'VND', 50000, '50000' ),
			array( 'USD', 1250, '12.50' ),
			array( 'THB', 15000, '150.00' ),
			array( 'THB', 5, '0.05' ),
			array( 'USD', 1000000007, '10000000.07' ),
			array( 'KWD', 1500, '1.500' ),
		);
		foreach ( $cases as $i => list( $currency, $minor, $stored ) ) {
			update_option( 'woocommerce_currency', $currency );
			list( $s, $d ) = $this->make(
				'kol',
				array(
					'code'          => 'KOL-' . $i,
					'discount_type' => 'fixed_cart',
					'amount'        => $minor,
				)
			);
			$this->assertSame( 201, $s, wp_json_encode( $d ) );
			$this->assertSame( array( 'fixed_cart', $stored ), array( $d['coupon']['discount_type'], $d['coupon']['amount'] ), "$minor $currency" );
			$this->assertSame( $stored, get_post_meta( self::posts( 'KOL-' . $i )[0]->ID, 'coupon_amount', true ) );
		}
		// Without WooCommerce's setting, the program's currency (USD by default).
		delete_option( 'woocommerce_currency' );
		list( $s, $d ) = $this->make(
			'kol',
			array(
				'code'          => 'KOL-P',
				'discount_type' => 'fixed_cart',
				'amount'        => 1999,
			)
		);
		$this->assertSame( array( 201, '19.99' ), array( $s, $d['coupon']['amount'] ) );
		$this->assertSame( array( 'KOL-0', 'KOL-1', 'KOL-2', 'KOL-3', 'KOL-4', 'KOL-5', 'KOL-P' ), array_column( $this->listed( 'kol' ), 'code' ) );
	}

	public function test_conflicts_and_refused_bodies_write_nothing() {
		$this->affiliate( 'alice', array( 'coupons' => array( 'ALICE10' ) ) );
		$this->affiliate( 'bob', array( 'coupons' => array( 'BOB10' ) ) );
		$this->shop_coupon( 'summer' );
		$this->shop_coupon( 'winter', 'draft' );
		$this->shop_coupon( 'gone', 'trash' );
		$posts    = self::coupon_posts();
		$activity = self::activity();
		$refused  = array(
			// Any affiliate's code, this one's too; whatever its case.
			array( 'alice', array( 'discount_type' => 'percent', 'percent' => 10 ), 409, 'coupon_taken' ),
			array( 'alice', array( 'code' => 'bob10', 'discount_type' => 'percent', 'percent' => 10 ), 409, 'coupon_taken' ),
			// A coupon WooCommerce has, published or not.
			array( 'alice', array( 'code' => 'SUMMER', 'discount_type' => 'percent', 'percent' => 10 ), 409, 'coupon_exists' ),
			array( 'alice', array( 'code' => 'Winter', 'discount_type' => 'fixed_cart', 'amount' => 100 ), 409, 'coupon_exists' ),
			array( 'nobody', array( 'discount_type' => 'percent', 'percent' => 10 ), 404, 'affiliate_not_found' ),
			array( 'alice', array( 'discount_type' => 'percent', 'percent' => 10, 'free_shipping' => true ), 400, 'invalid_body' ),
			array( 'alice', array( 'percent' => 10 ), 400, 'invalid_discount_type' ),
			array( 'alice', array( 'discount_type' => 'fixed_product', 'amount' => 100 ), 400, 'invalid_discount_type' ),
			array( 'alice', array( 'discount_type' => 'percent' ), 400, 'invalid_percent' ),
			array( 'alice', array( 'discount_type' => 'percent', 'percent' => 0 ), 400, 'invalid_percent' ),
			array( 'alice', array( 'discount_type' => 'percent', 'percent' => 101 ), 400, 'invalid_percent' ),
			array( 'alice', array( 'discount_type' => 'percent', 'percent' => 12.5 ), 400, 'invalid_body' ),
			array( 'alice', array( 'discount_type' => 'percent', 'percent' => '10' ), 400, 'invalid_body' ),
			array( 'alice', array( 'discount_type' => 'percent', 'percent' => 10, 'amount' => 100 ), 400, 'invalid_body' ),
			array( 'alice', array( 'discount_type' => 'fixed_cart', 'amount' => 0 ), 400, 'invalid_amount' ),
			array( 'alice', array( 'discount_type' => 'fixed_cart', 'amount' => -5 ), 400, 'invalid_amount' ),
			array( 'alice', array( 'discount_type' => 'fixed_cart', 'amount' => 100, 'percent' => 10 ), 400, 'invalid_body' ),
			array( 'alice', array( 'discount_type' => 'fixed_cart', 'amount' => 100, 'usage_limit_per_user' => 0 ), 400, 'invalid_usage_limit_per_user' ),
			array( 'alice', array( 'code' => 'TWO WORDS', 'discount_type' => 'percent', 'percent' => 10 ), 400, 'invalid_coupons' ),
			array( 'alice', array( 'code' => '', 'discount_type' => 'percent', 'percent' => 10 ), 400, 'invalid_coupons' ),
			array( 'alice', array( 'code' => str_repeat( 'X', 65 ), 'discount_type' => 'percent', 'percent' => 10 ), 400, 'invalid_coupons' ),
			// WooCommerce would keep markup out of the title: the code would credit no one.
			array( 'alice', array( 'code' => 'PROMO<IMG>', 'discount_type' => 'percent', 'percent' => 10 ), 400, 'invalid_coupons' ),
			array( 'alice', array( 'code' => '<SCRIPT>X</SCRIPT>', 'discount_type' => 'percent', 'percent' => 10 ), 400, 'invalid_coupons' ),
		);
		foreach ( $refused as list( $who, $body, $status, $code ) ) {
			list( $s, $d ) = $this->make( $who, $body );
			$this->assertSame( array( $status, $code ), array( $s, $d['error']['code'] ?? null ), wp_json_encode( $body ) );
		}
		list( $s, $d ) = $this->rest( 'POST', '/v1/affiliates/alice/woocommerce-coupons', '[1]', $this->sk() );
		$this->assertSame( array( 400, 'invalid_body' ), array( $s, $d['error']['code'] ) );
		list( $s, $d ) = $this->rest( 'GET', '/v1/affiliates/nobody/woocommerce-coupons', null, $this->sk() );
		$this->assertSame( array( 404, 'affiliate_not_found' ), array( $s, $d['error']['code'] ) );

		// A trashed coupon's code is free again.
		list( $s ) = $this->make(
			'alice',
			array(
				'code'          => 'GONE',
				'discount_type' => 'percent',
				'percent'       => 5,
			)
		);
		$this->assertSame( 201, $s );
		$this->assertSame( array( $posts + 1, $activity + 1 ), array( self::coupon_posts(), self::activity() ), 'the refused ones wrote nothing' );

		// The affiliate's 51st code is refused on the way PATCH refuses it, before WooCommerce's coupon.
		$codes = array_map( fn( $n ) => 'C' . $n, range( 1, 48 ) );
		$this->rest( 'PATCH', '/v1/affiliates/alice', array( 'coupons' => array_merge( array( 'ALICE10', 'GONE' ), $codes ) ), $this->sk() );
		$posts    = self::coupon_posts();
		$activity = self::activity();
		list( $s, $d ) = $this->make(
			'alice',
			array(
				'code'          => 'FIFTY-ONE',
				'discount_type' => 'percent',
				'percent'       => 5,
			)
		);
		$this->assertSame( array( 400, 'invalid_coupons' ), array( $s, $d['error']['code'] ) );
		$this->assertSame( array(), self::posts( 'FIFTY-ONE' ) );
		$this->assertSame( array( $posts, $activity ), array( self::coupon_posts(), self::activity() ) );

		// A coupon that WordPress fails to write takes the affiliate's new code with it.
		$this->rest( 'PATCH', '/v1/affiliates/alice', array( 'coupons' => array( 'ALICE10' ) ), $this->sk() );
		$activity = self::activity();
		$fail     = fn( $check, $id, $key ) => 'coupon_amount' === $key ? false : $check;
		add_filter( 'add_post_metadata', $fail, 10, 3 );
		try {
			list( $s, $d ) = $this->make(
				'alice',
				array(
					'code'          => 'HALF',
					'discount_type' => 'percent',
					'percent'       => 50,
				)
			);
		} finally {
			remove_filter( 'add_post_metadata', $fail, 10 );
		}
		$this->assertSame( array( 503, 'unavailable' ), array( $s, $d['error']['code'] ) );
		$this->assertSame( array(), self::posts( 'HALF' ) );
		$this->assertSame( $posts, self::coupon_posts() );
		$this->assertSame( $activity, self::activity() );
		$this->assertSame( array( 'ALICE10' ), $this->rest( 'GET', '/v1/affiliates/alice', null, $this->sk() )[1]['coupons'] );
		$this->assertSame( array( 'BOB10' ), $this->rest( 'GET', '/v1/affiliates/bob', null, $this->sk() )[1]['coupons'] );
		$this->assertSame( array(), $this->listed( 'bob' ) );
	}

	public function test_a_viewer_may_list_but_not_make_a_coupon() {
		$this->affiliate( 'alice', array( 'coupons' => array( 'ALICE10' ) ) );
		$this->shop_coupon( 'alice10', 'publish', array( 'discount_type' => 'percent', 'coupon_amount' => '10', 'usage_count' => '3' ) );
		$body  = array(
			'discount_type' => 'percent',
			'percent'       => 20,
		);
		$posts    = self::coupon_posts();
		$activity = self::activity();

		// A WordPress user who may manage the program but not publish WooCommerce's coupons.
		wp_set_current_user( $this->user( self::viewer_role() ) );
		list( $s, $d ) = $this->rest( 'GET', '/v1/affiliates/alice/woocommerce-coupons' );
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
		$this->assertSame( array( 'ALICE10', 3 ), array( $d['coupons'][0]['code'], $d['coupons'][0]['usage_count'] ) );
		list( $s, $d ) = $this->rest( 'POST', '/v1/affiliates/alice/woocommerce-coupons', $body );
		$this->assertSame( array( 403, 'role_forbidden' ), array( $s, $d['error']['code'] ) );
		wp_set_current_user( 0 );
		list( $viewer ) = $this->session_of( self::viewer_role() );
		list( $s, $d )  = $this->make( 'alice', $body, $viewer );
		$this->assertSame( array( 403, 'role_forbidden' ), array( $s, $d['error']['code'] ) );
		$this->assertSame( $posts, self::coupon_posts() );
		$this->assertSame( $activity, self::activity() );

		// Nor may other callers.
		list( $s ) = $this->make( 'alice', $body, array() );
		$this->assertSame( 401, $s );
		list( $s ) = $this->make( 'alice', $body, array( 'authorization' => 'Bearer ' . Reftrail_Keys::publishable() ) );
		$this->assertSame( 403, $s );
		wp_set_current_user( $this->user( 'subscriber' ) );
		list( $s ) = $this->rest( 'GET', '/v1/affiliates/alice/woocommerce-coupons' );
		$this->assertSame( 403, $s );
		wp_set_current_user( 0 );

		// An administrator's dashboard session makes it, written by them.
		list( $admin, $uid ) = $this->session_of( 'administrator' );
		list( $s, $d )       = $this->make( 'alice', $body, $admin );
		$this->assertSame( 201, $s, wp_json_encode( $d ) );
		$this->assertSame( array( 'ALICE10', 'ALICE20' ), $d['coupons'] );
		$this->assertSame( (string) $uid, (string) self::posts( 'ALICE20' )[0]->post_author );
		list( , $log ) = $this->rest( 'GET', '/v1/activity', null, $this->sk() );
		$this->assertSame( 'user:' . get_userdata( $uid )->user_login, $log['activity'][0]['by'] );
		$this->assertSame( array( 'ALICE10', 'ALICE20' ), array_column( $this->listed( 'alice' ), 'code' ) );
	}

	public function test_only_published_coupons_of_the_affiliates_codes_are_listed() {
		$this->affiliate( 'alice', array( 'coupons' => array( 'VIP', 'ALICE-5', 'NONE' ) ) );
		$this->shop_coupon( 'Vip', 'publish', array( 'discount_type' => 'fixed_cart', 'coupon_amount' => '5.00', 'usage_count' => '2' ) );
		$this->shop_coupon( 'alice-5', 'draft' );
		$this->shop_coupon( 'someone-else', 'publish' );
		$id = $this->shop_coupon( 'alice-5', 'publish' );
		$this->assertSame(
			array(
				array(
					'code'          => 'ALICE-5',
					'discount_type' => 'fixed_cart',
					'amount'        => '0',
					'usage_count'   => 0,
					'url'           => admin_url( 'post.php?post=' . $id . '&action=edit' ),
				),
				array(
					'code'          => 'VIP',
					'discount_type' => 'fixed_cart',
					'amount'        => '5.00',
					'usage_count'   => 2,
					'url'           => admin_url( 'post.php?post=' . self::posts( 'vip' )[0]->ID . '&action=edit' ),
				),
			),
			$this->listed( 'alice' )
		);
		$this->affiliate( 'bob' );
		$this->assertSame( array(), $this->listed( 'bob' ) );
	}

	public function test_without_woocommerce_the_routes_answer_woocommerce_missing() {
		$this->affiliate( 'alice' );
		$this->assertTrue( post_type_exists( 'shop_coupon' ) );
		unregister_post_type( 'shop_coupon' );
		try {
			list( $s, $d ) = $this->rest( 'GET', '/v1/affiliates/alice/woocommerce-coupons', null, $this->sk() );
			$this->assertSame( array( 409, 'woocommerce_missing' ), array( $s, $d['error']['code'] ) );
			wp_set_current_user( $this->user( self::viewer_role() ) );
			list( $s, $d ) = $this->rest(
				'POST',
				'/v1/affiliates/alice/woocommerce-coupons',
				array(
					'discount_type' => 'percent',
					'percent'       => 10,
				)
			);
			$this->assertSame( array( 409, 'woocommerce_missing' ), array( $s, $d['error']['code'] ) );
			$this->assertSame( array(), self::posts( 'ALICE10' ) );
			$this->assertSame( array(), $this->rest( 'GET', '/v1/affiliates/alice', null, $this->sk() )[1]['coupons'] );
		} finally {
			reftrail_stand_in_register_coupons();
		}
	}

	public function test_the_new_coupon_credits_an_order_that_uses_it() {
		$this->affiliate( 'carol' );
		$this->affiliate( 'alice' );
		list( $s, $d ) = $this->make(
			'carol',
			array(
				'discount_type' => 'percent',
				'percent'       => 15,
			)
		);
		$this->assertSame( array( 201, 'CAROL15' ), array( $s, $d['coupon']['code'] ) );
		// Someone else's link was clicked first: the coupon wins, as WooCommerce reports it (lower case).
		$_COOKIE[ Reftrail_Click_Cookie::NAME ] = Reftrail_Click_Cookie::sign( $this->click( 'alice' ) );
		$order                                  = new WC_Order(
			array(
				'total'         => '85.00',
				'billing_email' => 'buyer@example.test',
				'items'         => array( new WC_Order_Item_Product( new WC_Product( 11, 'SHOE-1' ), 1, '100.00' ) ),
				'coupon_codes'  => array( self::posts( 'CAROL15' )[0]->post_title ),
			)
		);
		do_action( 'woocommerce_checkout_order_processed', $order->get_id(), array(), $order );
		global $wpdb;
		$r   = Reftrail_Db::table( 'referrals' );
		$o   = Reftrail_Db::table( 'orders' );
		$ref = $wpdb->get_row( $wpdb->prepare( "SELECT r.affiliate_id, r.attributed_by FROM {$r} r JOIN {$o} o ON o.id = r.source_id WHERE o.order_id = %s", (string) $order->get_id() ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$this->assertSame(
			array(
				'affiliate_id'  => 'carol',
				'attributed_by' => 'coupon',
			),
			$ref
		);
	}

	public function test_the_routes_are_in_the_openapi_document() {
		list( , $doc ) = $this->rest( 'GET', '/v1/openapi.json' );
		$path          = $doc['paths']['/v1/affiliates/{id}/woocommerce-coupons'];
		$this->assertSame( array( 'get', 'post' ), array_keys( $path ) );
		$this->assertArrayHasKey( '201', $path['post']['responses'] );
		$body = $path['post']['requestBody']['content']['application/json']['schema'];
		$this->assertSame( array( 'discount_type' ), $body['required'] );
		$this->assertFalse( $body['additionalProperties'] );
		$this->assertSame( array( 'discount_type', 'percent', 'amount', 'code', 'usage_limit_per_user' ), array_keys( $body['properties'] ) );
		$this->assertStringContainsString( 'woocommerce_missing', $path['get']['summary'] );
		$this->assertSame( array( array( 'secret_key' => array() ), array( 'session' => array() ), array( 'wordpress_user' => array() ) ), $path['post']['security'] );
	}
}
