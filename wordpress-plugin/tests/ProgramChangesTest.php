<?php
/**
 * The history of the program's settings: each `PUT /v1/program` that changes something records
 * who made it (the secret key, or the WordPress user) and each top-level setting before and
 * after; `GET /v1/program/changes` lists them newest first, for merchants only.
 *
 * @package Reftrail
 */

/**
 * Program changes tests.
 */
class ProgramChangesTest extends Reftrail_Test_Case {

	/**
	 * The program as `GET /v1/program` answers it.
	 *
	 * @return array
	 */
	private function shown() {
		list( $s, $p ) = $this->rest( 'GET', '/v1/program', null, $this->sk() );
		$this->assertSame( 200, $s );
		return $p;
	}

	/**
	 * PUTs the program as shown with some settings changed; returns [status, body].
	 *
	 * @param array $changes Settings.
	 * @param array $headers Headers (default: the secret key).
	 * @return array
	 */
	private function put( array $changes, ?array $headers = null ) {
		list( $s, $d ) = $this->rest( 'PUT', '/v1/program', array_merge( $this->shown(), $changes ), $headers ?? $this->sk() );
		return array( $s, $d );
	}

	/**
	 * The recorded changes, `GET /v1/program/changes` with the secret key.
	 *
	 * @param string $query Query, with its `?`.
	 * @return array
	 */
	private function changes( $query = '' ) {
		list( $s, $d ) = $this->rest( 'GET', '/v1/program/changes' . $query, null, $this->sk() );
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
		$this->assertSame( array( 'changes' ), array_keys( $d ) );
		return $d['changes'];
	}

	public function test_a_change_by_the_secret_key_lists_what_changed_by_name() {
		add_filter( 'reftrail_now', fn() => 1780000000 );
		list( $s, $p ) = $this->put(
			array(
				'name'               => 'Spring',
				'click_details_days' => 30,
			)
		);
		$this->assertSame( array( 200, 'Spring' ), array( $s, $p['name'] ) );
		$list = $this->changes();
		$this->assertCount( 1, $list );
		$c = $list[0];
		$this->assertSame( array( 'id', 'at', 'by', 'settings' ), array_keys( $c ) );
		$this->assertMatchesRegularExpression( '/^pc_[0-9A-Za-z]{21}$/', $c['id'] );
		$this->assertSame( array( '2026-05-28T20:26:40Z', 'secret_key' ), array( $c['at'], $c['by'] ) );
		$this->assertSame(
			array(
				array(
					'setting' => 'click_details_days',
					'before'  => 90,
					'after'   => 30,
				),
				array(
					'setting' => 'name',
					'before'  => 'Affiliate program',
					'after'   => 'Spring',
				),
			),
			$c['settings'],
			'only what changed, by setting name'
		);
	}

	public function test_a_wordpress_user_is_named_by_their_login() {
		$admin = $this->user( 'administrator' );
		wp_set_current_user( $admin );
		list( $s ) = $this->put( array( 'hold_days' => 14 ), array( 'x-wp-nonce' => wp_create_nonce( 'wp_rest' ) ) );
		$this->assertSame( 200, $s );
		wp_set_current_user( 0 );
		$this->assertSame( 'user:' . get_userdata( $admin )->user_login, $this->changes()[0]['by'] );

		// A dashboard session is a WordPress user's sign-in: they are named the same way.
		$manager = $this->user( 'administrator' );
		wp_set_password( 'correct horse battery', $manager );
		list( $s, $session, $h ) = $this->rest(
			'POST',
			'/v1/session',
			array(
				'username' => get_userdata( $manager )->user_login,
				'password' => 'correct horse battery',
			)
		);
		$this->assertSame( 201, $s );
		$cookie    = array( 'cookie' => explode( ';', $h['Set-Cookie'] )[0] );
		list( $s ) = $this->put( array( 'hold_days' => 21 ), $cookie + array( 'x_csrf_token' => $session['csrf_token'] ) );
		$this->assertSame( 200, $s );
		$list = $this->changes();
		$this->assertSame( 'user:' . get_userdata( $manager )->user_login, $list[0]['by'] );
		$this->assertSame( array( 14, 21 ), array( $list[0]['settings'][0]['before'], $list[0]['settings'][0]['after'] ) );
		list( $s, $read ) = $this->rest( 'GET', '/v1/program/changes', null, $cookie );
		$this->assertSame( array( 200, $list ), array( $s, $read['changes'] ), 'a read: no CSRF token needed' );
	}

	public function test_several_settings_at_once_and_nested_ones_whole() {
		$before     = $this->shown();
		$commission = array(
			'sale'       => array(
				'type'     => 'percent',
				'rate_bps' => 1500,
			),
			'categories' => array(
				'shoes' => array(
					'type'     => 'percent',
					'rate_bps' => 500,
				),
			),
		);
		list( $s, $after ) = $this->put(
			array(
				'commission'      => $commission,
				'fraud'           => array( 'clicks_per_ip_per_hour' => 60 ),
				'hold_days'       => 14,
				'allowed_origins' => array( 'https://shop.test' ),
			)
		);
		$this->assertSame( 200, $s, wp_json_encode( $after ) );
		$this->assertSame( 60, $after['fraud']['clicks_per_ip_per_hour'] );
		$list = $this->changes();
		$this->assertCount( 1, $list, 'one entry for one PUT' );
		$this->assertSame(
			array(
				array(
					'setting' => 'allowed_origins',
					'before'  => array(),
					'after'   => array( 'https://shop.test' ),
				),
				array(
					'setting' => 'commission',
					'before'  => $before['commission'],
					'after'   => $after['commission'],
				),
				array(
					'setting' => 'fraud',
					'before'  => $before['fraud'],
					'after'   => $after['fraud'],
				),
				array(
					'setting' => 'hold_days',
					'before'  => 30,
					'after'   => 14,
				),
			),
			$list[0]['settings']
		);
		$this->assertSame( 1000, $list[0]['settings'][1]['before']['sale']['rate_bps'] );
		$this->assertSame( $commission + array( 'affiliate_categories' => array() ), $list[0]['settings'][1]['after'], 'the whole commission, not the part that changed (with the rates by affiliate category it answers, none)' );
		$this->assertSame( 300, $list[0]['settings'][2]['after']['conversion_rate_max_permille'], 'the whole fraud thresholds as stored' );

		// One rate inside the commission: the whole commission again, before and after.
		$commission['sale']['rate_bps'] = 2000;
		$this->put( array( 'commission' => $commission ) );
		$list = $this->changes();
		$this->assertSame( array( 'commission' ), array_column( $list[0]['settings'], 'setting' ) );
		$this->assertSame( array( 1500, 2000 ), array( $list[0]['settings'][0]['before']['sale']['rate_bps'], $list[0]['settings'][0]['after']['sale']['rate_bps'] ) );
		$this->assertSame( $list[0]['settings'][0]['before']['categories'], $list[0]['settings'][0]['after']['categories'] );
	}

	public function test_nothing_is_recorded_for_a_put_that_changes_nothing_or_is_refused() {
		$shown = $this->shown();
		// The same settings; the defaults by omission; a language the currency already gives; the
		// commission with its keys in another order (the same JSON object); another webhook secret,
		// which a PUT cannot change.
		list( $s ) = $this->put( array() );
		$this->assertSame( 200, $s );
		foreach ( array( array(), array( 'locale' => null ) ) as $body ) {
			list( $s ) = $this->rest( 'PUT', '/v1/program', $body, $this->sk() );
			$this->assertSame( 200, $s );
		}
		list( $s ) = $this->put( array( 'commission' => array( 'sale' => array_reverse( $shown['commission']['sale'], true ) ) ) );
		$this->assertSame( 200, $s );
		list( $s ) = $this->put( array( 'webhook_secret' => 'whsec_other' ) );
		$this->assertSame( 200, $s );
		$this->assertSame( array(), $this->changes(), 'no change, no entry' );

		// Refused: a bad setting beside a good one, a caller who may not, a session without its
		// CSRF token.
		list( $s, $d ) = $this->put(
			array(
				'name'      => '',
				'hold_days' => 7,
			)
		);
		$this->assertSame( array( 400, 'invalid_name' ), array( $s, $d['error']['code'] ) );
		list( $s ) = $this->put( array( 'hold_days' => 7 ), array( 'authorization' => 'Bearer ' . Reftrail_Keys::publishable() ) );
		$this->assertSame( 403, $s );
		list( $s ) = $this->put( array( 'hold_days' => 7 ), array() );
		$this->assertSame( 401, $s );
		wp_set_current_user( $this->user( 'subscriber' ) );
		list( $s ) = $this->put( array( 'hold_days' => 7 ), array( 'x-wp-nonce' => wp_create_nonce( 'wp_rest' ) ) );
		$this->assertSame( 403, $s );
		wp_set_current_user( 0 );
		$manager = $this->user( 'administrator' );
		wp_set_password( 'correct horse battery', $manager );
		list( , , $h ) = $this->rest(
			'POST',
			'/v1/session',
			array(
				'username' => get_userdata( $manager )->user_login,
				'password' => 'correct horse battery',
			)
		);
		list( $s, $d ) = $this->put( array( 'hold_days' => 7 ), array( 'cookie' => explode( ';', $h['Set-Cookie'] )[0] ) );
		$this->assertSame( array( 403, 'csrf_failed' ), array( $s, $d['error']['code'] ) );
		$this->assertSame( array(), $this->changes() );
		$this->assertSame( 30, $this->shown()['hold_days'] );
	}

	public function test_rates_by_affiliate_category_change_the_commission_and_read_as_objects() {
		$commission                         = $this->shown()['commission'];
		$commission['affiliate_categories'] = array(
			'cashback' => array(
				'sale' => array(
					'type'     => 'percent',
					'rate_bps' => 300,
				),
			),
		);
		list( $s ) = $this->put( array( 'commission' => $commission ) );
		$this->assertSame( 200, $s );
		$list = $this->changes();
		$this->assertSame( array( 'commission' ), array_column( $list[0]['settings'], 'setting' ) );
		$this->assertSame( array( array(), $commission['affiliate_categories'] ), array( $list[0]['settings'][0]['before']['affiliate_categories'], $list[0]['settings'][0]['after']['affiliate_categories'] ) );
		// Written out, the history's empty map is a JSON object, as the server writes it.
		$json = wp_json_encode( Reftrail_REST::json_objects( array( 'changes' => $list ), rest_get_server(), new WP_REST_Request( 'GET', '/reftrail/v1/program/changes' ) ) );
		$this->assertStringContainsString( '"before":{"sale":{"type":"percent","rate_bps":1000},"affiliate_categories":{}}', $json );
	}

	public function test_the_webhook_secret_never_appears() {
		// A program stored with a webhook secret of its own (a PUT stores none).
		update_option( Reftrail_Program::OPTION, array_merge( Reftrail_Program::defaults(), array( 'webhook_secret' => 'whsec_stored' ) ) );
		list( $s ) = $this->put( array( 'name' => 'Spring' ) );
		$this->assertSame( 200, $s );
		$list = $this->changes();
		$this->assertSame( array( 'name' ), array_column( $list[0]['settings'], 'setting' ) );
		$this->assertStringNotContainsString( 'whsec_', wp_json_encode( $list ) );
	}

	public function test_newest_first_and_pages() {
		$at = 1780000000;
		add_filter( 'reftrail_now', function () use ( &$at ) {
			return $at;
		} );
		// Two in one second, one recorded later with an earlier clock, one after.
		$this->put( array( 'hold_days' => 1 ) );
		$this->put( array( 'hold_days' => 2 ) );
		$at -= 60;
		$this->put( array( 'hold_days' => 3 ) );
		$at += 120;
		$this->put( array( 'hold_days' => 4 ) );
		$after = fn( $list ) => array_map( fn( $c ) => $c['settings'][0]['after'], $list );
		$all   = $this->changes();
		$this->assertSame( array( 4, 2, 1, 3 ), $after( $all ), 'by time, newest first; in one second, the later recorded first' );
		$this->assertSame( array( '2026-05-28T20:27:40Z', '2026-05-28T20:26:40Z', '2026-05-28T20:26:40Z', '2026-05-28T20:25:40Z' ), array_column( $all, 'at' ) );
		$this->assertSame( array_slice( $all, 0, 2 ), $this->changes( '?limit=2' ) );
		$this->assertSame( array_slice( $all, 2, 2 ), $this->changes( '?limit=2&offset=2' ) );
		$this->assertSame( array_slice( $all, 1, 1 ), $this->changes( '?limit=1&offset=1' ) );
		$this->assertSame( array(), $this->changes( '?offset=4' ) );
		$this->assertSame( $all, $this->changes( '?limit=500&offset=0' ) );

		// Fifty by default.
		$p = Reftrail_Program::get();
		unset( $p['webhook_secret'] );
		for ( $i = 5; $i <= 55; $i++ ) {
			Reftrail_Program::put( array_merge( $p, array( 'hold_days' => $i ) ), 'secret_key' );
		}
		$page = $this->changes();
		$this->assertCount( 50, $page );
		$this->assertSame( 55, $page[0]['settings'][0]['after'] );
		$this->assertCount( 55, $this->changes( '?limit=500' ) );
	}

	public function test_bad_pages_are_refused() {
		foreach ( array( 'limit=0', 'limit=501', 'limit=-1', 'limit=ten', 'limit=1.5', 'limit=', 'limit[]=1', 'offset=-1', 'offset=x', 'offset=1e3' ) as $q ) {
			list( $s, $d ) = $this->rest( 'GET', '/v1/program/changes?' . $q, null, $this->sk() );
			$this->assertSame( array( 400, 'invalid_query' ), array( $s, $d['error']['code'] ?? null ), $q );
		}
		$this->assertSame( array(), $this->changes( '?limit=500&offset=0' ) );
		$this->assertSame( array(), $this->changes( '?limit=1&offset=99999999999999999999' ) );
	}

	public function test_merchant_callers_only() {
		$this->put( array( 'name' => 'Spring' ) );
		list( $s, $d ) = $this->rest( 'GET', '/v1/program/changes' );
		$this->assertSame( array( 401, 'unauthorized' ), array( $s, $d['error']['code'] ) );
		list( $s, $d ) = $this->rest( 'GET', '/v1/program/changes', null, array( 'authorization' => 'Bearer ' . Reftrail_Keys::publishable() ) );
		$this->assertSame( array( 403, 'forbidden' ), array( $s, $d['error']['code'] ) );
		$made          = $this->affiliate( 'alice' );
		list( $s, $d ) = $this->rest( 'GET', '/v1/program/changes', null, array( 'authorization' => 'Bearer ' . $made['token'] ) );
		$this->assertSame( array( 403, 'forbidden' ), array( $s, $d['error']['code'] ) );
		foreach ( array( 'subscriber' => 403, Reftrail_Schema::ROLE => 403, 'administrator' => 200 ) as $role => $want ) {
			wp_set_current_user( $this->user( $role ) );
			list( $s, $d ) = $this->rest( 'GET', '/v1/program/changes', null, array( 'x-wp-nonce' => wp_create_nonce( 'wp_rest' ) ) );
			$this->assertSame( $want, $s, $role );
		}
		$this->assertSame( 'Spring', $d['changes'][0]['settings'][0]['after'] );
	}

	public function test_a_change_that_cannot_be_recorded_is_not_made() {
		global $wpdb;
		$t     = Reftrail_Db::table( 'program_changes' );
		$break = fn( $sql ) => 0 === strpos( $sql, "INSERT INTO `{$t}`" ) ? str_replace( $t, $t . '_missing', $sql ) : $sql;
		add_filter( 'query', $break );
		$quiet = $wpdb->suppress_errors( true );
		try {
			list( $s, $d ) = $this->put( array( 'name' => 'Spring' ) );
		} finally {
			$wpdb->suppress_errors( $quiet );
			remove_filter( 'query', $break );
		}
		$this->assertSame( array( 503, 'unavailable' ), array( $s, $d['error']['code'] ) );
		$this->assertSame( 'Affiliate program', $this->shown()['name'], 'the settings are as they were' );
		$this->assertSame( 'Affiliate program', get_option( Reftrail_Program::OPTION )['name'] );
		$this->assertSame( array(), $this->changes() );
	}
}
