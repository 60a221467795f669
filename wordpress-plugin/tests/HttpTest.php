<?php
/**
 * Real HTTP over loopback against the test site's web server: the early click route, origins,
 * cookie authentication with and without the REST nonce (CSRF), the portal's same-origin routes
 * and an application by a signed-in user, the ledger's CSV as text, application passwords, the
 * front-end tag, no extra database query on a page view, and the wasm's content type.
 *
 * @package Reftrail
 */

/**
 * HTTP tests (outside any transaction: the web server is another process).
 */
class HttpTest extends Reftrail_Test_Case {

	/** @var bool */
	protected $transactional = false;

	/** @var string Affiliate of this run. */
	private $aff;

	protected function setUp(): void {
		parent::setUp();
		$this->aff = 'h' . strtolower( wp_generate_password( 10, false ) );
		list( $s ) = $this->http( 'POST', '/wp-json/reftrail/v1/affiliates', wp_json_encode( array( 'id' => $this->aff, 'name' => 'Http' ) ), array( 'Authorization: Bearer ' . $this->secret, 'Content-Type: application/json' ) );
		$this->assertSame( 201, $s );
	}

	protected function tearDown(): void {
		global $wpdb;
		foreach ( array( 'clicks', 'coupons' ) as $t ) {
			$wpdb->delete( Reftrail_Db::table( $t ), array( 'affiliate_id' => $this->aff ) );
		}
		$wpdb->delete( Reftrail_Db::table( 'affiliates' ), array( 'id' => $this->aff ) );
		parent::tearDown();
	}

	/**
	 * One HTTP request to the test site.
	 *
	 * @param string      $method  Method.
	 * @param string      $path    Path and query.
	 * @param string|null $body    Body.
	 * @param array       $headers Header lines.
	 * @param string|null $jar     Cookie jar file.
	 * @return array [status, headers (lower-case names => last value), body]
	 */
	private function http( $method, $path, $body = null, array $headers = array(), $jar = null ) {
		$ch  = curl_init( getenv( 'WP_URL' ) . $path );
		$out = array();
		curl_setopt_array(
			$ch,
			array(
				CURLOPT_CUSTOMREQUEST  => $method,
				CURLOPT_RETURNTRANSFER => true,
				CURLOPT_HTTPHEADER     => array_merge( array( 'User-Agent: Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0' ), $headers ),
				CURLOPT_TIMEOUT        => 30,
				CURLOPT_HEADERFUNCTION => function ( $ch, $line ) use ( &$out ) {
					$kv = explode( ':', $line, 2 );
					if ( 2 === count( $kv ) ) {
						$out[ strtolower( trim( $kv[0] ) ) ] = trim( $kv[1] );
					}
					return strlen( $line );
				},
			)
		);
		if ( null !== $body ) {
			curl_setopt( $ch, CURLOPT_POSTFIELDS, $body );
		}
		if ( null !== $jar ) {
			curl_setopt( $ch, CURLOPT_COOKIEJAR, $jar );
			curl_setopt( $ch, CURLOPT_COOKIEFILE, $jar );
		}
		$text   = (string) curl_exec( $ch );
		$status = (int) curl_getinfo( $ch, CURLINFO_RESPONSE_CODE );
		curl_close( $ch );
		return array( $status, $out, $text );
	}

	public function test_clicks_over_http_set_the_httponly_cookie() {
		$body              = wp_json_encode( array( 'affiliate' => $this->aff, 'url' => getenv( 'WP_URL' ) . '/?ref=' . $this->aff, 'referrer' => '', 'consent' => 'granted' ) );
		list( $s, $h, $b ) = $this->http( 'POST', '/wp-json/reftrail/v1/clicks', $body, array( 'Content-Type: text/plain;charset=UTF-8', 'Origin: ' . getenv( 'WP_URL' ) ) );
		$this->assertSame( 201, $s, $b );
		$d = json_decode( $b, true );
		$this->assertSame( $this->aff, $d['affiliate'] );
		$this->assertStringContainsString( 'HttpOnly', $h['set-cookie'] );
		$this->assertStringStartsWith( 'rt_click=v1.' . $d['click_id'] . '.', $h['set-cookie'] );
		$this->assertSame( getenv( 'WP_URL' ), $h['access-control-allow-origin'] );
		$this->assertSame( 'true', $h['access-control-allow-credentials'] );
		list( $s, , $b ) = $this->http( 'POST', '/?rest_route=/reftrail/v1/clicks', $body, array( 'Content-Type: text/plain' ) );
		$this->assertSame( 201, $s, $b );
		list( $s, , $b ) = $this->http( 'POST', '/wp-json/reftrail/v1/clicks', $body, array( 'Content-Type: text/plain', 'Origin: https://evil.example' ) );
		$this->assertSame( 403, $s );
		$this->assertSame( array( 'error' => array( 'code' => 'origin_not_allowed', 'message' => "this origin is not in the program's allowed origins" ) ), json_decode( $b, true ) );
		list( $s, , $b ) = $this->http( 'POST', '/wp-json/reftrail/v1/clicks', '{"url":', array( 'Content-Type: text/plain' ) );
		$this->assertSame( 400, $s );
		$this->assertSame( 'invalid_json', json_decode( $b, true )['error']['code'] );
	}

	public function test_cookie_auth_needs_the_nonce_and_application_passwords_work() {
		$jar = tempnam( sys_get_temp_dir(), 'rtjar' );
		$this->http( 'GET', '/wp-login.php', null, array(), $jar );
		list( $s ) = $this->http( 'POST', '/wp-login.php', http_build_query( array( 'log' => getenv( 'WP_ADMIN_USER' ), 'pwd' => getenv( 'WP_ADMIN_PASS' ), 'testcookie' => '1' ) ), array( 'Content-Type: application/x-www-form-urlencoded', 'Cookie: wordpress_test_cookie=WP%20Cookie%20check' ), $jar );
		$this->assertContains( $s, array( 200, 302 ) );
		list( $s, , $b ) = $this->http( 'GET', '/wp-json/reftrail/v1/referrals', null, array(), $jar );
		$this->assertSame( 401, $s, 'a logged-in cookie without the REST nonce is not trusted' );
		$this->assertSame( 'unauthorized', json_decode( $b, true )['error']['code'] );
		list( $s, , $nonce ) = $this->http( 'GET', '/wp-admin/admin-ajax.php?action=rest-nonce', null, array(), $jar );
		$this->assertSame( 200, $s );
		list( $s ) = $this->http( 'GET', '/wp-json/reftrail/v1/referrals', null, array( 'X-WP-Nonce: ' . $nonce ), $jar );
		$this->assertSame( 200, $s );
		// The ledger's CSV as the dashboard in wp-admin asks for it: the body is the text itself.
		foreach ( array( '/wp-json/reftrail/v1/referrals.csv?affiliate=', '/?rest_route=/reftrail/v1/referrals.csv&affiliate=' ) as $path ) {
			list( $s, $h, $b ) = $this->http( 'GET', $path . $this->aff, null, array( 'X-WP-Nonce: ' . $nonce, 'Accept: text/csv' ), $jar );
			$this->assertSame( 200, $s, $b );
			$this->assertSame( 'text/csv; charset=utf-8', $h['content-type'] );
			$this->assertSame( 'attachment; filename="referrals.csv"', $h['content-disposition'] );
			$this->assertSame( implode( ',', Reftrail_Ledger::CSV_HEADER ) . "\n", $b );
		}
		list( $s, $h, $b ) = $this->http( 'GET', '/wp-json/reftrail/v1/referrals.csv?limit=5', null, array( 'X-WP-Nonce: ' . $nonce, 'Accept: text/csv' ), $jar );
		$this->assertSame( array( 400, 'invalid_query' ), array( $s, json_decode( $b, true )['error']['code'] ?? null ) );
		$this->assertStringStartsWith( 'application/json', $h['content-type'] );
		list( $s, , $b ) = $this->http( 'GET', '/wp-json/reftrail/v1/referrals.csv', null, array( 'Accept: text/csv' ), $jar );
		$this->assertSame( array( 401, 'unauthorized' ), array( $s, json_decode( $b, true )['error']['code'] ?? null ), 'the login cookie alone' );
		list( $s, , $b ) = $this->http( 'POST', '/wp-json/reftrail/v1/referrals/ref_none/approve', '', array(), $jar );
		$this->assertSame( 401, $s, 'CSRF: a forged POST carries the cookie but no nonce' );
		list( $s, , $b ) = $this->http( 'POST', '/wp-json/reftrail/v1/referrals/ref_none/approve', '', array( 'X-WP-Nonce: ' . $nonce ), $jar );
		$this->assertSame( 404, $s, $b );
		list( $s, , $b ) = $this->http( 'POST', '/wp-json/reftrail/v1/referrals/ref_none/approve', '', array( 'X-WP-Nonce: 0123456789' ), $jar );
		$this->assertSame( 403, $s );
		$this->assertSame( 'csrf_failed', json_decode( $b, true )['error']['code'] );
		list( $s ) = $this->http( 'GET', '/wp-admin/admin.php?page=reftrail', null, array(), $jar );
		$this->assertSame( 200, $s );
		unlink( $jar );
		$basic     = 'Authorization: Basic ' . base64_encode( getenv( 'WP_ADMIN_USER' ) . ':' . getenv( 'WP_APP_PASS' ) );
		list( $s ) = $this->http( 'GET', '/wp-json/reftrail/v1/program', null, array( $basic ) );
		$this->assertSame( 200, $s );
	}

	public function test_an_affiliate_signed_in_to_wordpress_turns_referral_emails_off_with_the_nonce() {
		global $wpdb;
		$login = 'aff_' . $this->aff;
		$pass  = wp_generate_password( 24, false );
		$uid   = wp_insert_user(
			array(
				'user_login' => $login,
				'user_pass'  => $pass,
				'user_email' => $login . '@example.test',
				'role'       => Reftrail_Schema::ROLE,
			)
		);
		$this->assertIsInt( $uid );
		$wpdb->update( Reftrail_Db::table( 'affiliates' ), array( 'user_id' => $uid ), array( 'id' => $this->aff ) );
		$jar = tempnam( sys_get_temp_dir(), 'rtjar' );
		try {
			$this->http( 'GET', '/wp-login.php', null, array(), $jar );
			list( $s ) = $this->http( 'POST', '/wp-login.php', http_build_query( array( 'log' => $login, 'pwd' => $pass, 'testcookie' => '1' ) ), array( 'Content-Type: application/x-www-form-urlencoded', 'Cookie: wordpress_test_cookie=WP%20Cookie%20check' ), $jar );
			$this->assertContains( $s, array( 200, 302 ) );
			$off = array( 'Content-Type: application/json' );
			list( $s, , $b ) = $this->http( 'PATCH', '/wp-json/reftrail/v1/me', '{"referral_emails":false}', $off, $jar );
			$this->assertSame( array( 401, 'unauthorized' ), array( $s, json_decode( $b, true )['error']['code'] ?? null ), 'CSRF: the login cookie alone' );
			$this->assertTrue( Reftrail_Affiliates::referral_emails( $this->aff ) );
			list( $s, , $nonce ) = $this->http( 'GET', '/wp-admin/admin-ajax.php?action=rest-nonce', null, array(), $jar );
			$this->assertSame( 200, $s );
			list( $s, , $b ) = $this->http( 'PATCH', '/wp-json/reftrail/v1/me', '{"referral_emails":false}', array_merge( $off, array( 'X-WP-Nonce: ' . $nonce ) ), $jar );
			$this->assertSame( 200, $s, $b );
			$me = json_decode( $b, true );
			$this->assertSame( array( $this->aff, false ), array( $me['affiliate']['id'], $me['referral_emails'] ) );
			wp_cache_flush();
			$this->assertFalse( Reftrail_Affiliates::referral_emails( $this->aff ) );
			list( $s, , $b ) = $this->http( 'GET', '/wp-json/reftrail/v1/me', null, array( 'X-WP-Nonce: ' . $nonce ), $jar );
			$this->assertSame( array( 200, false ), array( $s, json_decode( $b, true )['referral_emails'] ?? null ) );
			// The preflight of a portal on an allowed origin lets it send PATCH.
			list( $s, $h ) = $this->http( 'OPTIONS', '/wp-json/reftrail/v1/me', null, array( 'Origin: ' . getenv( 'WP_URL' ), 'Access-Control-Request-Method: PATCH' ) );
			$this->assertSame( 204, $s );
			$this->assertStringContainsString( 'PATCH', $h['access-control-allow-methods'] ?? '' );
			// Every route the portal reads answers its preflight so, and refuses another origin.
			foreach ( array( 'me/report', 'me/daily', 'me/payouts', 'me/creatives', 'me/reports/creatives', 'me/campaigns', 'me/bonuses', 'me/recruits', 'me/withholding/certificates', 'me/payout-requests', 'me/payout-requests/prq_1' ) as $route ) {
				list( $s, $h ) = $this->http( 'OPTIONS', '/wp-json/reftrail/v1/' . $route, null, array( 'Origin: ' . getenv( 'WP_URL' ), 'Access-Control-Request-Method: GET', 'Access-Control-Request-Headers: authorization' ) );
				$this->assertSame( array( 204, getenv( 'WP_URL' ) ), array( $s, $h['access-control-allow-origin'] ?? null ), $route );
				list( $s, , $b ) = $this->http( 'OPTIONS', '/wp-json/reftrail/v1/' . $route, null, array( 'Origin: https://elsewhere.example', 'Access-Control-Request-Method: GET' ) );
				$this->assertSame( array( 403, 'origin_not_allowed' ), array( $s, json_decode( $b, true )['error']['code'] ?? null ), $route );
			}
		} finally {
			unlink( $jar );
			require_once ABSPATH . 'wp-admin/includes/user.php';
			wp_delete_user( $uid );
		}
	}

	public function test_the_portal_routes_answer_this_sites_pages_only_and_a_signed_in_user_applies_as_themself() {
		global $wpdb;
		$own   = getenv( 'WP_URL' );
		$login = 'app_' . $this->aff;
		$pass  = wp_generate_password( 24, false );
		$email = $login . '@example.test';
		$uid   = wp_insert_user(
			array(
				'user_login' => $login,
				'user_pass'  => $pass,
				'user_email' => $email,
				'role'       => 'subscriber',
			)
		);
		$this->assertIsInt( $uid );
		$program = get_option( Reftrail_Program::OPTION );
		$start   = Reftrail_Db::now();
		$id      = $this->aff . '-app';
		$jar     = tempnam( sys_get_temp_dir(), 'rtjar' );
		try {
			$this->program(
				array(
					'applications' => 'review',
					'fraud'        => array_merge( Reftrail_Program::get()['fraud'], array( 'applications_per_ip_per_hour' => 100000 ) ),
				)
			);
			// Same origin only, and no CORS headers even for the site's own pages.
			list( $s, $h, $b ) = $this->http( 'GET', '/wp-json/reftrail/v1/portal/program', null, array( 'Origin: https://elsewhere.example' ) );
			$this->assertSame( array( 403, 'origin_not_allowed', null ), array( $s, json_decode( $b, true )['error']['code'] ?? null, $h['access-control-allow-origin'] ?? null ) );
			list( $s, $h, $b ) = $this->http( 'GET', '/wp-json/reftrail/v1/portal/program', null, array( 'Origin: ' . $own ) );
			$this->assertSame( array( 200, 'review', null ), array( $s, json_decode( $b, true )['applications'] ?? null, $h['access-control-allow-origin'] ?? null ) );
			list( $s, $h ) = $this->http( 'OPTIONS', '/wp-json/reftrail/v1/portal/applications', null, array( 'Origin: https://elsewhere.example', 'Access-Control-Request-Method: POST' ) );
			$this->assertSame( array( 403, null ), array( $s, $h['access-control-allow-origin'] ?? null ) );
			list( $s, $h ) = $this->http( 'OPTIONS', '/wp-json/reftrail/v1/portal/applications', null, array( 'Origin: ' . $own, 'Access-Control-Request-Method: POST' ) );
			$this->assertSame( array( 204, null ), array( $s, $h['access-control-allow-origin'] ?? null ) );

			$this->http( 'GET', '/wp-login.php', null, array(), $jar );
			list( $s ) = $this->http( 'POST', '/wp-login.php', http_build_query( array( 'log' => $login, 'pwd' => $pass, 'testcookie' => '1' ) ), array( 'Content-Type: application/x-www-form-urlencoded', 'Cookie: wordpress_test_cookie=WP%20Cookie%20check' ), $jar );
			$this->assertContains( $s, array( 200, 302 ) );
			$json = array( 'Content-Type: application/json', 'Origin: ' . $own );
			$body = fn( $e ) => wp_json_encode(
				array(
					'id'    => $id,
					'name'  => 'Signed In',
					'email' => $e,
				)
			);
			// The login cookie without the nonce is nobody: their address has an account, which is told to sign in.
			list( $s, , $b ) = $this->http( 'POST', '/wp-json/reftrail/v1/portal/applications', $body( $email ), $json, $jar );
			$this->assertSame( array( 202, 'pending' ), array( $s, json_decode( $b, true )['status'] ?? null ), $b );
			wp_cache_flush();
			$this->assertNull( Reftrail_Affiliates::by_user( $uid ) );
			list( $s, , $nonce ) = $this->http( 'GET', '/wp-admin/admin-ajax.php?action=rest-nonce', null, array(), $jar );
			$this->assertSame( 200, $s );
			$json[] = 'X-WP-Nonce: ' . $nonce;
			list( $s, , $b ) = $this->http( 'POST', '/wp-json/reftrail/v1/portal/applications', $body( 'someone.else@example.test' ), $json, $jar );
			$this->assertSame( array( 400, 'invalid_email' ), array( $s, json_decode( $b, true )['error']['code'] ?? null ), $b );
			list( $s, , $b ) = $this->http( 'POST', '/wp-json/reftrail/v1/portal/applications', $body( strtoupper( $email ) ), $json, $jar );
			$this->assertSame( array( 202, 'pending' ), array( $s, json_decode( $b, true )['status'] ?? null ), $b );
			wp_cache_flush();
			$this->assertSame( $id, Reftrail_Affiliates::by_user( $uid ) );
			$this->assertContains( Reftrail_Schema::ROLE, get_userdata( $uid )->roles );
			$this->assertSame( 'pending', Reftrail_Affiliates::get( $id )['status'] );
		} finally {
			unlink( $jar );
			foreach ( array( 'affiliates' => 'id', 'applications' => 'affiliate_id', 'activity' => 'affiliate_id', 'mail_outbox' => 'affiliate_id' ) as $t => $column ) {
				$wpdb->delete( Reftrail_Db::table( $t ), array( $column => $id ) );
			}
			$wpdb->query( $wpdb->prepare( 'DELETE FROM ' . Reftrail_Db::table( 'mail_outbox' ) . ' WHERE recipient = %s AND payload = %s', 'user', wp_json_encode( array( 'user' => $uid ) ) ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
			$wpdb->query( $wpdb->prepare( 'DELETE FROM ' . Reftrail_Db::table( 'application_attempts' ) . ' WHERE at >= %d', $start ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
			update_option( Reftrail_Program::OPTION, $program );
			require_once ABSPATH . 'wp-admin/includes/user.php';
			wp_delete_user( $uid );
		}
	}

	public function test_page_views_run_no_extra_query_and_load_the_loader_async() {
		list( $s, , $html ) = $this->http( 'GET', '/?ref=' . $this->aff );
		$this->assertSame( 200, $s );
		$this->assertMatchesRegularExpression( '#<script async src="[^"]+/reftrail/assets/loader\.js\?ver=[^"]+" id="reftrail-loader" data-cfasync="false" data-endpoint="[^"]+/wp-json/reftrail" data-key="pk_[A-Za-z0-9]+" data-consent="(granted|pending|denied)"#', $html );
		$counts = array();
		foreach ( array( 'with' => array(), 'without' => array( 'X-Reftrail-Without: 1' ) ) as $k => $extra ) {
			foreach ( array( '/', '/?ref=' . $this->aff ) as $i => $path ) {
				$id = $k . $i;
				$this->http( 'GET', $path, null, array_merge( array( 'X-Reftrail-Probe: ' . $id ), $extra ) );
				$file = getenv( 'WP_DOCROOT' ) . '/wp-content/reftrail-probe-' . $id . '.txt';
				$this->assertFileExists( $file );
				$counts[ $id ] = (int) file_get_contents( $file );
				unlink( $file );
			}
		}
		$this->assertSame( $counts['without0'], $counts['with0'], 'queries of a page view, with and without the plugin' );
		$this->assertSame( $counts['without1'], $counts['with1'], 'queries of a page view with ?ref=, with and without the plugin' );
	}

	public function test_the_programs_commission_maps_are_json_objects() {
		list( $s, , $body ) = $this->http( 'GET', '/wp-json/reftrail/v1/program', null, array( 'Authorization: Bearer ' . $this->secret ) );
		$this->assertSame( 200, $s, $body );
		// `{}` even when empty (PHP would write `[]`), as the dashboard and the server read it.
		$this->assertInstanceOf( stdClass::class, json_decode( $body )->commission->affiliate_categories, $body );
	}

	public function test_the_wasm_is_served_as_application_wasm() {
		list( $s, $h ) = $this->http( 'GET', '/wp-content/plugins/reftrail/assets/reftrail_bg.wasm' );
		$this->assertSame( 200, $s );
		$this->assertSame( 'application/wasm', $h['content-type'] );
		list( $s, $h ) = $this->http( 'GET', '/wp-content/plugins/reftrail/assets/loader.js' );
		$this->assertSame( 200, $s );
		$this->assertStringContainsString( 'javascript', $h['content-type'] );
	}
}
