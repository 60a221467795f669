<?php
/**
 * Hostile input: markup in names, order ids, landing URLs and campaigns shown in wp-admin is
 * escaped; SQL in cookies and parameters changes nothing; forms without a nonce are refused;
 * a subscriber cannot use merchant routes.
 *
 * @package Reftrail
 */

/**
 * Hostile-input tests.
 */
class HostileInputTest extends Reftrail_Test_Case {

	const XSS = '<script>alert(1)</script>';

	/**
	 * Output of an admin page rendered as an administrator.
	 *
	 * @param callable $page Page callback.
	 * @return string
	 */
	private function render( callable $page ) {
		wp_set_current_user( $this->user( 'administrator' ) );
		ob_start();
		$page();
		return (string) ob_get_clean();
	}

	public function test_markup_shown_in_wp_admin_is_escaped() {
		list( $s ) = $this->rest( 'POST', '/v1/affiliates', array( 'id' => 'mal', 'name' => self::XSS, 'email' => 'mal@example.test', 'coupons' => array( 'M<B>' ) ), $this->sk() );
		$this->assertSame( 201, $s );
		Reftrail_Tracking::click(
			array(
				'affiliate' => 'mal',
				'url'       => 'https://shop.test/?ref=mal',
				'landing'   => '/"><img src=x onerror=alert(2)>',
				'referrer'  => 'javascript:alert(3)//"><svg onload=alert(4)>',
				'consent'   => 'granted',
				'campaign'  => array( 'utm_campaign' => '<b onmouseover=alert(5)>spring</b>' ),
			),
			array(
				'ip'         => '198.51.100.7',
				'user_agent' => 'Mozilla/5.0',
				'https'      => false,
			)
		);
		$this->rest( 'POST', '/v1/sales', array( 'order_id' => '<img src=x onerror=alert(6)>', 'amount' => 1000, 'currency' => 'USD', 'coupon' => 'm<b>' ), $this->sk() );
		$html = $this->render( array( 'Reftrail_Admin', 'page_affiliates' ) ) . $this->render( array( 'Reftrail_Admin', 'page_referrals' ) ) . $this->render( array( 'Reftrail_Admin', 'page_dashboard' ) );
		foreach ( array( self::XSS, '<img src=x', '<svg', '<b onmouseover', 'M<B>' ) as $raw ) {
			$this->assertStringNotContainsString( $raw, $html );
		}
		$this->assertStringContainsString( '&lt;script&gt;alert(1)&lt;/script&gt;', $html );
		$this->assertStringContainsString( '&lt;img src=x onerror=alert(6)&gt;', $html );
		$this->assertStringContainsString( '&lt;b onmouseover=alert(5)&gt;spring&lt;/b&gt;', $html );
		// The portal shortcode escapes too.
		global $wpdb;
		$uid = $this->user( Reftrail_Schema::ROLE );
		$wpdb->update( Reftrail_Db::table( 'affiliates' ), array( 'user_id' => $uid ), array( 'id' => 'mal' ) );
		wp_set_current_user( $uid );
		$portal = do_shortcode( '[reftrail_portal]' );
		$this->assertStringNotContainsString( self::XSS, $portal );
		$this->assertStringContainsString( '&lt;script&gt;', $portal );
		// The block renders the same portal.
		$this->assertTrue( WP_Block_Type_Registry::get_instance()->is_registered( 'reftrail/portal' ) );
		$this->assertSame( $portal, render_block( array( 'blockName' => 'reftrail/portal', 'attrs' => array(), 'innerHTML' => '', 'innerContent' => array(), 'innerBlocks' => array() ) ) );
	}

	public function test_sql_in_cookies_credits_nobody_and_changes_nothing() {
		global $wpdb;
		$this->affiliate( 'alice' );
		$orders = Reftrail_Db::table( 'orders' );
		foreach ( array( "v1.x' OR '1'='1.k.sig", "v1.c_1; DROP TABLE {$orders}; --.k.s", "' UNION SELECT affiliate_id FROM {$orders} --" ) as $i => $evil ) {
			list( $s, $d ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'Q' . $i, 'amount' => 100, 'currency' => 'USD', 'key' => Reftrail_Keys::publishable() ), array( 'cookie' => 'rt_click=' . $evil ) );
			$this->assertSame( 201, $s );
			$this->assertNull( $d['referral'] );
		}
		$this->assertSame( '3', $wpdb->get_var( "SELECT COUNT(*) FROM {$orders}" ) ); // phpcs:ignore
		$_COOKIE = array(
			'rt_ref'   => "1~~alice' OR 1=1 --~q~tfrksg~thb4sg~~~x",
			'rt_click' => "'; DELETE FROM {$orders}; --",
		);
		$this->assertSame( array( 'cookie_click' => null, 'touch' => null ), Reftrail_Tracking::request_attribution() );
	}

	public function test_sql_in_parameters_is_data() {
		$this->affiliate( 'alice' );
		list( $s, $d ) = $this->rest( 'GET', '/v1/referrals?affiliate=' . rawurlencode( "' OR '1'='1" ), null, $this->sk() );
		$this->assertSame( array( 200, array() ), array( $s, $d['referrals'] ) );
		list( $s, $d ) = $this->rest( 'GET', '/v1/referrals?status=' . rawurlencode( "pending' OR 1=1 --" ), null, $this->sk() );
		$this->assertSame( array( 400, 'invalid_query' ), array( $s, $d['error']['code'] ) );
		list( $s, $d ) = $this->rest( 'GET', '/v1/affiliates/' . rawurlencode( "alice' OR '1'='1" ), null, $this->sk() );
		$this->assertSame( array( 404, 'affiliate_not_found' ), array( $s, $d['error']['code'] ) );
		list( $s, $d ) = $this->rest( 'GET', '/v1/sales?affiliate=' . rawurlencode( 'x\' UNION SELECT user_pass FROM wp_users --' ), null, $this->sk() );
		$this->assertSame( array( 200, array() ), array( $s, $d['sales'] ) );
		list( $s, $d ) = $this->rest( 'GET', '/v1/sales?limit=' . rawurlencode( '1; DROP TABLE x' ), null, $this->sk() );
		$this->assertSame( array( 400, 'invalid_query' ), array( $s, $d['error']['code'] ) );
		list( $s, $d ) = $this->rest( 'POST', '/v1/clicks', array( 'affiliate' => "alice' --", 'url' => 'https://shop.test/', 'consent' => 'granted' ) );
		$this->assertSame( array( 400, 'invalid_affiliate' ), array( $s, $d['error']['code'] ) );
	}

	public function test_forms_without_a_nonce_are_refused() {
		add_filter(
			'wp_die_handler',
			fn() => function ( $message ) {
				throw new RuntimeException( 'wp_die: ' . ( is_string( $message ) ? $message : 'refused' ) );
			}
		);
		wp_set_current_user( $this->user( 'administrator' ) );
		$_POST    = array(
			'action' => 'reftrail_add_affiliate',
			'id'     => 'csrf',
			'name'   => 'Csrf',
		);
		$_REQUEST = $_POST;
		try {
			Reftrail_Admin::handle_add_affiliate();
			$this->fail( 'the form was accepted without a nonce' );
		} catch ( RuntimeException $e ) {
			$this->assertStringStartsWith( 'wp_die', $e->getMessage() );
		}
		list( $s ) = $this->rest( 'GET', '/v1/affiliates/csrf', null, $this->sk() );
		$this->assertSame( 404, $s );
		// A subscriber with a valid nonce still lacks the capability.
		wp_set_current_user( $this->user( 'subscriber' ) );
		$_POST['_wpnonce'] = wp_create_nonce( 'reftrail_add_affiliate' );
		$_REQUEST          = $_POST;
		try {
			Reftrail_Admin::handle_add_affiliate();
			$this->fail( 'a subscriber added an affiliate' );
		} catch ( RuntimeException $e ) {
			$this->assertStringStartsWith( 'wp_die', $e->getMessage() );
		}
		// The registration shortcode without its nonce registers nobody.
		$_POST  = array(
			'reftrail_register' => '1',
			'reftrail_id'       => 'sneaky',
			'reftrail_name'     => 'Sneaky',
		);
		$output = do_shortcode( '[reftrail_register]' );
		$this->assertStringContainsString( 'reftrail-error', $output );
		$this->assertNull( Reftrail_Affiliates::by_user( get_current_user_id() ) );
		// With its nonce, the user applies and waits for approval.
		$_POST['_reftrail_nonce'] = wp_create_nonce( 'reftrail_register' );
		$output                   = do_shortcode( '[reftrail_register]' );
		$this->assertStringContainsString( 'waiting for approval', $output );
		$this->assertSame( 'pending', Reftrail_Affiliates::get( 'sneaky' )['status'] );
		$this->assertContains( Reftrail_Schema::ROLE, wp_get_current_user()->roles );
		// The owner approves the application from wp-admin, with the form's nonce; without it, no.
		wp_set_current_user( $this->user( 'administrator' ) );
		$_POST    = array(
			'action'    => 'reftrail_affiliate_status',
			'affiliate' => 'sneaky',
			'status'    => 'approved',
		);
		$_REQUEST = $_POST;
		try {
			Reftrail_Admin::handle_affiliate_status();
			$this->fail( 'approved without a nonce' );
		} catch ( RuntimeException $e ) {
			$this->assertStringStartsWith( 'wp_die', $e->getMessage() );
		}
		$this->assertSame( 'pending', Reftrail_Affiliates::get( 'sneaky' )['status'] );
		$_POST['_wpnonce'] = wp_create_nonce( 'reftrail_affiliate_status_sneaky' );
		$_REQUEST          = $_POST;
		add_filter(
			'wp_redirect',
			function () {
				throw new RuntimeException( 'redirected' );
			}
		);
		try {
			Reftrail_Admin::handle_affiliate_status();
		} catch ( RuntimeException $e ) {
			$this->assertSame( 'redirected', $e->getMessage() );
		}
		remove_all_filters( 'wp_redirect' );
		$this->assertSame( 'approved', Reftrail_Affiliates::get( 'sneaky' )['status'] );
		$_POST    = array();
		$_REQUEST = array();
		remove_all_filters( 'wp_die_handler' );
	}

	public function test_subscriber_cannot_change_the_program() {
		wp_set_current_user( $this->user( 'subscriber' ) );
		list( $s, $d ) = $this->rest( 'PUT', '/v1/program', array( 'name' => 'Owned', 'hold_days' => 0 ) );
		$this->assertSame( array( 403, 'forbidden' ), array( $s, $d['error']['code'] ) );
		$this->assertNotSame( 'Owned', Reftrail_Program::get()['name'] );
		foreach ( array( array( 'POST', '/v1/payouts' ), array( 'POST', '/v1/refunds' ), array( 'PATCH', '/v1/affiliates/alice' ), array( 'POST', '/v1/referrals/x/approve' ) ) as list( $m, $p ) ) {
			list( $s ) = $this->rest( $m, $p, array( 'x' => 1 ) );
			$this->assertSame( 403, $s, "$m $p" );
		}
	}
}
