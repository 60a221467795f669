<?php
/**
 * Affiliates' postbacks, as the server sends them: the shared vectors of
 * tests/vectors/postback.json (templates filled in, refused and accepted, amounts in major
 * units), the routes of the affiliate (`/v1/me/postback`) and of the merchant
 * (`/v1/affiliates/{id}/postback`) with their callers, refusals and activity log, a test send to
 * a tracker, the postback queued with each referral event (created, approved, reversed) filled in
 * with the referral and the sub ids of its click, the delivery round to a tracker on the test
 * site (delivered; a failing tracker tried again later, then given up), the default that calls no
 * loopback or private host, clicks keeping their sub ids, the OpenAPI document, and the upgrade
 * from schema 24.
 *
 * The test site lets postbacks reach loopback (tests/mu-plugins/reftrail-test-webhook.php, which
 * is also the trackers here); the default is tested with that filter removed.
 *
 * @package Reftrail
 */

/**
 * Postback tests.
 */
class PostbacksTest extends Reftrail_Test_Case {

	/** The tests that commit (a table dropped and made again): outside the transaction. */
	const COMMITTING_TESTS = array( 'test_the_upgrade_from_24_adds_the_column_and_the_table' );

	/** Every macro, in the order both backends list them. */
	const MACROS = array( 'event', 'status', 'kind', 'referral_id', 'amount', 'amount_minor', 'commission', 'commission_minor', 'currency', 'campaign', 'click_id', 'sub1', 'sub2', 'sub3', 'sub4', 'sub5', 'timestamp' );

	/** The trackers' logs this test made, removed after it. */
	private $trackers = array();

	protected function setUp(): void {
		$this->transactional = ! in_array( $this->getName( false ), self::COMMITTING_TESTS, true );
		parent::setUp();
	}

	protected function tearDown(): void {
		foreach ( $this->trackers as $id ) {
			$file = self::log_of( $id );
			if ( file_exists( $file ) ) {
				unlink( $file );
			}
		}
		parent::tearDown();
	}

	/**
	 * The shared vectors.
	 *
	 * @return array
	 */
	private static function vectors() {
		static $v = null;
		if ( null === $v ) {
			$v = json_decode( file_get_contents( dirname( __DIR__, 2 ) . '/tests/vectors/postback.json' ), true, 512, JSON_THROW_ON_ERROR );
		}
		return $v;
	}

	/**
	 * The cases of one family of the vectors, by name.
	 *
	 * @param string $family expand, invalid, valid or amounts.
	 * @return array
	 */
	private static function cases( $family ) {
		$out = array();
		foreach ( self::vectors()[ $family ] as $c ) {
			$out[ $c['name'] ?? $c['minor'] . ' ' . $c['currency'] ] = array( $c );
		}
		return $out;
	}

	public static function expand_cases() {
		return self::cases( 'expand' );
	}

	public static function invalid_cases() {
		return self::cases( 'invalid' );
	}

	public static function valid_cases() {
		return self::cases( 'valid' );
	}

	public static function amount_cases() {
		return self::cases( 'amounts' );
	}

	/**
	 * A case's template (`pad_to`: followed by as many `a` as make it that long).
	 *
	 * @param array $c Case.
	 * @return string
	 */
	private static function template_of( array $c ) {
		return isset( $c['pad_to'] ) ? $c['template'] . str_repeat( 'a', $c['pad_to'] - strlen( $c['template'] ) ) : $c['template'];
	}

	/**
	 * @dataProvider expand_cases
	 * @param array $c Case.
	 */
	public function test_expand( array $c ) {
		$template = Reftrail_Postbacks::parse( self::template_of( $c ), false );
		$this->assertIsString( $template, is_wp_error( $template ) ? $template->get_error_message() : '' );
		$this->assertSame( $c['url'], Reftrail_Postbacks::expand( $template, $c['values'] ) );
	}

	/**
	 * @dataProvider invalid_cases
	 * @param array $c Case.
	 */
	public function test_invalid( array $c ) {
		$error = Reftrail_Postbacks::parse( self::template_of( $c ), $c['allow_private'] ?? false );
		$this->assertInstanceOf( WP_Error::class, $error );
		$this->assertSame( $c['error'], $error->get_error_code() );
		$this->assertNotSame( '', $error->get_error_message() );
	}

	/**
	 * @dataProvider valid_cases
	 * @param array $c Case.
	 */
	public function test_valid( array $c ) {
		$this->assertSame( trim( self::template_of( $c ) ), Reftrail_Postbacks::parse( self::template_of( $c ), $c['allow_private'] ?? false ) );
	}

	/**
	 * @dataProvider amount_cases
	 * @param array $c Case.
	 */
	public function test_amount( array $c ) {
		$this->assertSame( $c['decimal'], Reftrail_Postbacks::decimal( $c['minor'], $c['currency'] ) );
	}

	public function test_messages_white_space_and_public_addresses() {
		$m = Reftrail_Postbacks::parse( 'https://t.example/?x={order_id}', false )->get_error_message();
		$this->assertStringStartsWith( '{order_id} is not a macro', $m );
		$this->assertStringContainsString( '{sub1}', $m );
		$this->assertStringContainsString( '{timestamp}', $m );
		$this->assertStringContainsString( 'private network', Reftrail_Postbacks::parse( 'http://10.0.0.1/', false )->get_error_message() );
		// Unicode white space around a template is trimmed as the server trims it; inside, refused.
		$this->assertSame( 'https://t.example/pb', Reftrail_Postbacks::parse( "\u{a0}https://t.example/pb\u{3000}\n", false ) );
		$this->assertSame( 'whitespace', Reftrail_Postbacks::parse( "https://t.example/p\u{2003}b", false )->get_error_code() );
		$this->assertSame( 'whitespace', Reftrail_Postbacks::parse( "https://t.example/p\u{85}b", false )->get_error_code() );
		// The host as a URL parser reads it: full-width letters and digits, octal and hexadecimal
		// parts, percent-encoding.
		foreach ( array( 'http://ｌｏｃａｌｈｏｓｔ/pb', 'http://１２７.０.０.１/pb', 'http://0x7f.1/pb', 'http://017700000001/pb', 'http://LocalHost./pb', 'http://%6cocalhost/pb', 'http://0/pb' ) as $private ) {
			$this->assertSame( 'private_host', Reftrail_Postbacks::parse( $private, false )->get_error_code(), $private );
		}
		foreach ( array( 'http://1.2.3.4.5/', 'http://a.1/', 'http://t%2Fx.example/', 'http://t.example:65536/', 'http://[1.2.3.4]/', 'http://u@/' ) as $bad ) {
			$this->assertSame( 'not_http', Reftrail_Postbacks::parse( $bad, false )->get_error_code(), $bad );
		}
		// A host after extra slashes is a host still.
		foreach ( array( 'http:///{sub1}.t.example/pb', 'http:/{sub1}/pb', 'http:\\\\{sub1}/pb' ) as $bad ) {
			$this->assertSame( 'macro_in_host', Reftrail_Postbacks::parse( $bad, true )->get_error_code(), $bad );
		}
		$this->assertSame( 'https://@t.example/pb', Reftrail_Postbacks::parse( 'https://@t.example/pb', false ), 'an empty user name is none' );
		$public  = array( '93.184.215.14', '8.8.8.8', '172.32.0.1', '198.18.0.1', '2606:4700::1111', '::ffff:8.8.8.8', '::127.0.0.1' );
		$private = array( '127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.0.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '255.255.255.255', '224.0.0.1', '192.0.2.1', '198.51.100.7', '203.0.113.9', '192.0.0.8', '240.0.0.1', '::1', '::', 'fc00::1', 'fd12::1', 'fe80::1', 'febf::1', 'ff02::1', '2001:db8::1', '::ffff:10.0.0.1' );
		foreach ( $public as $a ) {
			$this->assertTrue( Reftrail_Postbacks::is_public( inet_pton( $a ) ), $a );
		}
		foreach ( $private as $a ) {
			$this->assertFalse( Reftrail_Postbacks::is_public( inet_pton( $a ) ), $a );
		}
	}

	public function test_an_occurrence_fills_every_macro() {
		$all      = implode( '&', array_map( fn( $m ) => $m . '={' . $m . '}', self::MACROS ) );
		$template = Reftrail_Postbacks::parse( 'https://t.example/?' . $all, false );
		$this->assertSame( self::MACROS, Reftrail_Postbacks::MACROS );
		$values = Reftrail_Postbacks::values(
			array(
				'event'       => 'approved',
				'status'      => 'approved',
				'kind'        => 'sale',
				'referral_id' => 'r_1',
				'amount'      => 1250,
				'commission'  => 125,
				'currency'    => 'THB',
				'campaign'    => 'songkran',
				'click_id'    => 'c_9',
				'click_ids'   => array(
					'sub1'  => 'u 7',
					'gclid' => 'g',
				),
				'at'          => 1795000000,
			)
		);
		$this->assertSame(
			'https://t.example/?event=approved&status=approved&kind=sale&referral_id=r_1&amount=12.50&amount_minor=1250&commission=1.25&commission_minor=125&currency=THB&campaign=songkran&click_id=c_9&sub1=u%207&sub2=&sub3=&sub4=&sub5=&timestamp=1795000000',
			Reftrail_Postbacks::expand( $template, $values )
		);
		// A test's values: `test` ids, 100 of the currency, a 10 % commission, now.
		add_filter( 'reftrail_now', fn() => 1795000000 );
		foreach ( array(
			'THB' => array( '100.00', '10000', '10.00', '1000' ),
			'VND' => array( '100', '100', '10', '10' ),
			'KWD' => array( '100.000', '100000', '10.000', '10000' ),
		) as $currency => list( $amount, $amount_minor, $commission, $commission_minor ) ) {
			$expected = array_merge(
				array_fill_keys( array( 'referral_id', 'campaign', 'click_id', 'sub1', 'sub2', 'sub3', 'sub4', 'sub5' ), 'test' ),
				array(
					'event'            => 'test',
					'status'           => 'pending',
					'kind'             => 'sale',
					'amount'           => $amount,
					'amount_minor'     => $amount_minor,
					'commission'       => $commission,
					'commission_minor' => $commission_minor,
					'currency'         => $currency,
					'timestamp'        => '1795000000',
				)
			);
			$sample = Reftrail_Postbacks::sample( $currency );
			ksort( $expected );
			ksort( $sample );
			$this->assertSame( $expected, $sample, $currency );
		}
	}

	/**
	 * A new affiliate's id and the bearer header of their portal token.
	 *
	 * @param string $id    Affiliate.
	 * @param array  $extra Fields.
	 * @return array [id, headers]
	 */
	private function affiliate_with_token( $id, array $extra = array() ) {
		return array( $id, array( 'authorization' => 'Bearer ' . $this->affiliate( $id, $extra )['token'] ) );
	}

	/**
	 * Asserts a refusal: the status and the error code, with a message.
	 *
	 * @param array  $answer [status, body].
	 * @param int    $status Status.
	 * @param string $code   Code.
	 * @param string $what   What was sent.
	 */
	private function refused( array $answer, $status, $code, $what = '' ) {
		$this->assertSame( array( $status, $code ), array( $answer[0], $answer[1]['error']['code'] ?? null ), $what . ' ' . wp_json_encode( $answer[1] ) );
		$this->assertNotSame( '', $answer[1]['error']['message'] ?? '' );
	}

	/**
	 * The postback_url changes the activity log holds for an affiliate, newest first:
	 * [by, before, after].
	 *
	 * @param string $id Affiliate.
	 * @return array[]
	 */
	private function postback_changes( $id ) {
		list( $s, $log ) = $this->rest( 'GET', '/v1/activity?affiliate=' . $id . '&action=affiliate.updated', null, $this->sk() );
		$this->assertSame( 200, $s );
		$out = array();
		foreach ( $log['activity'] as $e ) {
			foreach ( $e['details']['changes'] ?? array() as $c ) {
				if ( 'postback_url' === $c['field'] ) {
					$out[] = array( $e['by'], $c['before'], $c['after'] );
				}
			}
		}
		return $out;
	}

	public function test_postback_urls_are_checked_saved_and_removed() {
		list( $id, $me ) = $this->affiliate_with_token( 'alice' );
		list( $s, $shown ) = $this->rest( 'GET', '/v1/me/postback', null, $me );
		$this->assertSame( array( 200, null, self::MACROS, array() ), array( $s, $shown['url'], $shown['macros'], $shown['deliveries'] ) );

		foreach ( array(
			'https://track.example/pb?x={order_id}',
			'https://track.example/pb?x={sub1',
			'https://track.example/pb?x=sub1}',
			'ftp://track.example/pb',
			'javascript:alert(1)',
			'/pb?x={sub1}',
			'https://{sub1}/pb',
			'https://track.example:{sub1}/pb',
			'https://user:pass@track.example/pb',
			'https://track.example/pb?x=a b',
			'https://track.example/pb?x=' . str_repeat( 'a', 2030 ),
		) as $bad ) {
			$this->refused( $this->rest( 'PUT', '/v1/me/postback', array( 'url' => $bad ), $me ), 400, 'invalid_postback_url', $bad );
		}
		// Unknown fields and other types are refused, not ignored.
		$this->refused( $this->rest( 'PUT', '/v1/me/postback', array( 'url' => null, 'events' => array( 'created' ) ), $me ), 400, 'invalid_body' );
		$this->refused( $this->rest( 'PUT', '/v1/me/postback', array( 'url' => 5 ), $me ), 400, 'invalid_body' );
		$this->refused( $this->rest( 'PUT', '/v1/me/postback', '{"url":', $me ), 400, 'invalid_json' );
		$this->refused( $this->rest( 'PUT', '/v1/me/postback', '{}', $me + array( 'content-type' => 'application/xml' ) ), 415, 'unsupported_media_type' );
		$this->assertNull( $this->rest( 'GET', '/v1/me/postback', null, $me )[1]['url'] );
		$this->assertSame( array(), $this->postback_changes( $id ), 'nothing refused is recorded' );

		$url = 'https://track.example/pb?click={sub1}&payout={commission}&cur={currency}';
		list( $s, $saved ) = $this->rest( 'PUT', '/v1/me/postback', array( 'url' => "  {$url} " ), $me );
		$this->assertSame( array( 200, $url, self::MACROS, array() ), array( $s, $saved['url'], $saved['macros'], $saved['deliveries'] ), 'kept as written, trimmed' );
		list( $s, $merchant ) = $this->rest( 'GET', '/v1/affiliates/alice/postback', null, $this->sk() );
		$this->assertSame( array( 200, $saved ), array( $s, $merchant ) );

		// The merchant changes it for them, signed in to WordPress; the history says who did.
		$admin = $this->user( 'administrator' );
		wp_set_current_user( $admin );
		$other = 'https://network.example/conv?s={sub2}&st={status}';
		list( $s, $d ) = $this->rest( 'PUT', '/v1/affiliates/alice/postback', array( 'url' => $other ) );
		$this->assertSame( array( 200, $other ), array( $s, $d['url'] ) );
		// The same address again changes nothing and records nothing.
		$this->assertSame( 200, $this->rest( 'PUT', '/v1/affiliates/alice/postback', array( 'url' => ' ' . $other ) )[0] );
		wp_set_current_user( 0 );
		$this->assertSame( $other, $this->rest( 'GET', '/v1/me/postback', null, $me )[1]['url'] );
		$login = 'user:' . get_userdata( $admin )->user_login;
		$this->assertSame(
			array(
				array( $login, $url, $other ),
				array( 'affiliate:alice', null, $url ),
			),
			$this->postback_changes( $id )
		);

		// An empty string or null removes it.
		list( $s, $d ) = $this->rest( 'PUT', '/v1/me/postback', array( 'url' => '' ), $me );
		$this->assertSame( array( 200, null ), array( $s, $d['url'] ) );
		$this->assertSame( 200, $this->rest( 'PUT', '/v1/affiliates/alice/postback', array( 'url' => null ), $this->sk() )[0] );
		$this->assertSame( 200, $this->rest( 'PUT', '/v1/me/postback', array(), $me )[0] );
		$this->assertSame( array( 'affiliate:alice', $other, null ), $this->postback_changes( $id )[0] );
		$this->assertCount( 3, $this->postback_changes( $id ) );
		$this->assertSame( array( 'affiliate.updated' ), array_values( array_unique( array_column( Reftrail_Activity::index( 'alice', 'affiliate.updated', 10, 0 ), 'action' ) ) ) );

		// The merchant's routes for an affiliate no one has.
		$this->refused( $this->rest( 'GET', '/v1/affiliates/nobody-here/postback', null, $this->sk() ), 404, 'affiliate_not_found' );
		$this->refused( $this->rest( 'PUT', '/v1/affiliates/nobody-here/postback', array( 'url' => $url ), $this->sk() ), 404, 'affiliate_not_found' );
		// As on the server: the body is read first, the affiliate looked up, then the address checked.
		$this->refused( $this->rest( 'PUT', '/v1/affiliates/nobody-here/postback', array( 'url' => 'ftp://x' ), $this->sk() ), 404, 'affiliate_not_found' );
		$this->refused( $this->rest( 'PUT', '/v1/affiliates/nobody-here/postback', array( 'x' => 1 ), $this->sk() ), 400, 'invalid_body' );
		$this->refused( $this->rest( 'POST', '/v1/affiliates/nobody-here/postback/test', array(), $this->sk() ), 404, 'affiliate_not_found' );
	}

	public function test_callers() {
		list( , $me ) = $this->affiliate_with_token( 'alice' );
		$this->affiliate( 'bob' );
		$put = array( 'url' => 'https://track.example/pb?s={sub1}' );
		foreach ( array( array( 'GET', null ), array( 'PUT', $put ), array( 'POST', $put ) ) as list( $method, $body ) ) {
			$mine = 'POST' === $method ? '/v1/me/postback/test' : '/v1/me/postback';
			$bobs = 'POST' === $method ? '/v1/affiliates/bob/postback/test' : '/v1/affiliates/bob/postback';
			$this->refused( $this->rest( $method, $mine, $body ), 401, 'unauthorized', "{$method} {$mine}" );
			$this->refused( $this->rest( $method, $mine, $body, $this->sk() ), 403, 'forbidden', "{$method} {$mine}" );
			$this->refused( $this->rest( $method, $bobs, $body ), 401, 'unauthorized', "{$method} {$bobs}" );
			$this->refused( $this->rest( $method, $bobs, $body, $me ), 403, 'forbidden', "{$method} {$bobs}" );
		}
		// The dashboard's session reads, and changes with its CSRF token only.
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
		$cookie = array( 'cookie' => explode( ';', $h['Set-Cookie'] )[0] );
		$this->assertSame( 200, $this->rest( 'GET', '/v1/affiliates/bob/postback', null, $cookie )[0] );
		$this->refused( $this->rest( 'PUT', '/v1/affiliates/bob/postback', $put, $cookie ), 403, 'csrf_failed' );
		list( $s, $d ) = $this->rest( 'PUT', '/v1/affiliates/bob/postback', $put, $cookie + array( 'x_csrf_token' => $session['csrf_token'] ) );
		$this->assertSame( array( 200, $put['url'] ), array( $s, $d['url'] ) );
		// The affiliate's routes answer the shop's pages; the merchant's are no browser routes.
		$this->program( array( 'allowed_origins' => array( 'https://www.shop.test' ) ) );
		foreach ( array( '/v1/me/postback', '/v1/me/postback/test' ) as $path ) {
			list( $s, , $h ) = $this->rest( 'OPTIONS', $path, null, array( 'origin' => 'https://www.shop.test' ) );
			$this->assertSame( array( 204, 'https://www.shop.test' ), array( $s, $h['Access-Control-Allow-Origin'] ?? null ), $path );
			$this->refused( $this->rest( 'OPTIONS', $path, null, array( 'origin' => 'https://evil.test' ) ), 403, 'origin_not_allowed', $path );
		}
		$this->assertFalse( Reftrail_REST::is_browser_route( '/reftrail/v1/affiliates/bob/postback' ) );
	}

	/**
	 * A tracker on the test site: its base address (`/?reftrail_test_postback=<id>`, `&fail=1`
	 * when it answers 503); its requests are read with tracked().
	 *
	 * @param bool $fail Whether it fails.
	 * @return array [base address, id]
	 */
	private function tracker( $fail = false ) {
		$id               = strtolower( wp_generate_password( 12, false ) );
		$this->trackers[] = $id;
		return array( untrailingslashit( (string) getenv( 'WP_URL' ) ) . '/?reftrail_test_postback=' . $id . ( $fail ? '&fail=1' : '' ), $id );
	}

	/**
	 * Where the tracker `$id` writes its requests.
	 *
	 * @param string $id Tracker.
	 * @return string
	 */
	private static function log_of( $id ) {
		return getenv( 'WP_DOCROOT' ) . '/wp-content/reftrail-postback-' . $id . '.log';
	}

	/**
	 * The requests tracker `$id` got, in order: `query`, `user_agent`, `protocol`.
	 *
	 * @param string $id Tracker.
	 * @return array[]
	 */
	private function tracked( $id ) {
		$file = self::log_of( $id );
		if ( ! file_exists( $file ) ) {
			return array();
		}
		return array_map( fn( $line ) => json_decode( $line, true ), array_values( array_filter( explode( "\n", (string) file_get_contents( $file ) ) ) ) );
	}

	public function test_a_test_postback_reports_what_the_tracker_answered() {
		$this->assertTrue( Reftrail_Postbacks::to_private_networks(), 'the test site lets postbacks reach loopback' );
		$this->program( array( 'currency' => 'VND' ) );
		add_filter( 'reftrail_now', fn() => 1795000000 );
		list( , $me ) = $this->affiliate_with_token( 'alice' );
		// Nothing saved, nothing given.
		foreach ( array( null, array(), array( 'url' => null ) ) as $body ) {
			$this->refused( $this->rest( 'POST', '/v1/me/postback/test', $body, $me ), 409, 'no_postback_url', wp_json_encode( $body ) );
		}

		list( $base, $ok ) = $this->tracker();
		list( $s, $d )     = $this->rest( 'POST', '/v1/me/postback/test', array( 'url' => $base . '&s1={sub1}&a={amount}&cur={currency}&e={event}&c={commission}&st={status}&t={timestamp}' ), $me );
		$sent              = $base . '&s1=test&a=100&cur=VND&e=test&c=10&st=pending&t=1795000000';
		$this->assertSame(
			array(
				'url'       => $sent,
				'delivered' => true,
				'status'    => 200,
				'error'     => null,
			),
			$d
		);
		$this->assertSame( 200, $s );
		$this->assertSame(
			array(
				array(
					'query'      => substr( $sent, strpos( $sent, '?' ) + 1 ),
					'user_agent' => 'reftrail-postbacks/1',
					'protocol'   => 'HTTP/1.1',
				),
			),
			$this->tracked( $ok )
		);

		// The saved URL, from the merchant's side: the tracker fails.
		list( $down ) = $this->tracker( true );
		$this->assertSame( 200, $this->rest( 'PUT', '/v1/me/postback', array( 'url' => $down . '&r={referral_id}' ), $me )[0] );
		foreach ( array( array(), null ) as $body ) {
			list( $s, $d ) = $this->rest( 'POST', '/v1/affiliates/alice/postback/test', $body, $this->sk() );
			$this->assertSame(
				array(
					'url'       => $down . '&r=test',
					'delivered' => false,
					'status'    => 503,
					'error'     => 'HTTP 503',
				),
				$d
			);
		}

		// Nobody listening: no status, a reason.
		list( $s, $d ) = $this->rest( 'POST', '/v1/me/postback/test', array( 'url' => 'http://127.0.0.1:9/pb' ), $me );
		$this->assertSame( array( 200, false, null ), array( $s, $d['delivered'], $d['status'] ) );
		$this->assertNotEmpty( $d['error'] );

		// A bad template is refused before anything is sent, an empty one too.
		$this->refused( $this->rest( 'POST', '/v1/me/postback/test', array( 'url' => $base . '&x={nope}' ), $me ), 400, 'invalid_postback_url' );
		$this->refused( $this->rest( 'POST', '/v1/me/postback/test', array( 'url' => '' ), $me ), 400, 'invalid_postback_url' );
		$this->refused( $this->rest( 'POST', '/v1/me/postback/test', array( 'url' => $base, 'x' => 1 ), $me ), 400, 'invalid_body' );
		$this->assertCount( 1, $this->tracked( $ok ) );
		// A test changes nothing saved and queues nothing.
		list( , $shown ) = $this->rest( 'GET', '/v1/me/postback', null, $me );
		$this->assertSame( array( $down . '&r={referral_id}', array() ), array( $shown['url'], $shown['deliveries'] ) );
	}

	public function test_test_postbacks_are_limited_to_ten_a_minute() {
		list( , $me )    = $this->affiliate_with_token( 'alice' );
		list( , $other ) = $this->affiliate_with_token( 'bob' );
		$try             = fn( $who, $path = '/v1/me/postback/test' ) => $this->rest( 'POST', $path, array( 'url' => 'http://127.0.0.1:9/pb?s={sub1}' ), $who );
		for ( $i = 0; $i < 9; $i++ ) {
			$this->assertSame( 200, $try( $me )[0] );
		}
		// The merchant's tests of an affiliate's URL count with theirs.
		$this->assertSame( 200, $try( $this->sk(), '/v1/affiliates/alice/postback/test' )[0] );
		$this->refused( $try( $me ), 429, 'rate_limited' );
		$this->refused( $try( $this->sk(), '/v1/affiliates/alice/postback/test' ), 429, 'rate_limited' );
		// A refused template is not counted against anyone; another affiliate's tests are their own.
		$this->refused( $this->rest( 'POST', '/v1/me/postback/test', array( 'url' => 'ftp://x' ), $me ), 400, 'invalid_postback_url' );
		$this->assertSame( 200, $try( $other )[0] );
		// A minute after the first, the count starts again.
		$key = 'reftrail_postback_tests_' . md5( 'alice' );
		set_transient( $key, array( time() - 61, 12 ), 60 );
		$this->assertSame( 200, $try( $me )[0] );
		$this->assertSame( 1, get_transient( $key )[1] );
	}

	/**
	 * Records a click of `$affiliate` with a campaign and click ids; returns its id.
	 *
	 * @param string $affiliate Affiliate.
	 * @param array  $click_ids Click ids and sub ids.
	 * @return string
	 */
	private function click_with( $affiliate, array $click_ids ) {
		list( $status, $body ) = Reftrail_Tracking::click(
			array(
				'affiliate' => $affiliate,
				'url'       => 'https://www.shop.test/?ref=' . $affiliate,
				'consent'   => 'granted',
				'campaign'  => array( 'utm_campaign' => 'tet' ),
				'click_ids' => $click_ids,
			),
			array(
				'ip'         => '198.51.100.' . wp_rand( 1, 250 ),
				'user_agent' => 'Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0',
				'https'      => true,
			)
		);
		$this->assertSame( 201, $status );
		return $body['click_id'];
	}

	/**
	 * The postbacks queued for `$referral`, in the order they were queued: [event, url].
	 *
	 * @param string $referral Referral.
	 * @return array[]
	 */
	private function queued( $referral ) {
		global $wpdb;
		$t = Reftrail_Db::table( 'postbacks' );
		return array_map( 'array_values', $wpdb->get_results( $wpdb->prepare( "SELECT event, url FROM {$t} WHERE referral_id = %s ORDER BY BINARY id", $referral ), ARRAY_A ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
	}

	public function test_referral_events_queue_the_postback_filled_in() {
		$this->program(
			array(
				'auto_approve' => true,
				'hold_days'    => 0,
				'commission'   => array(
					'sale' => array(
						'type'     => 'percent',
						'rate_bps' => 1000,
					),
					'lead' => array( 'USD' => 500 ),
				),
			)
		);
		list( , $me ) = $this->affiliate_with_token( 'alice' );
		// Port 9 (discard) is closed: nothing is delivered; the rows show what was filled in.
		$template = 'http://127.0.0.1:9/pb?e={event}&s={status}&k={kind}&r={referral_id}&a={amount}&am={amount_minor}&c={commission}&cm={commission_minor}&cur={currency}&camp={campaign}&clk={click_id}&s1={sub1}&s2={sub2}&s3={sub3}&t={timestamp}';
		$this->assertSame( 200, $this->rest( 'PUT', '/v1/me/postback', array( 'url' => $template ), $me )[0] );
		$click = $this->click_with(
			'alice',
			array(
				'sub1'  => 'u 42',
				'sub2'  => 'x&y',
				'gclid' => 'g',
			)
		);
		wp_clear_scheduled_hook( Reftrail_Webhooks::CRON );
		list( $s, $sale ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'P-1', 'amount' => 250000, 'currency' => 'VND', 'click_id' => $click ), $this->sk() );
		$this->assertSame( array( 201, 'approved' ), array( $s, $sale['referral']['status'] ), wp_json_encode( $sale ) );
		$referral = $sale['referral']['id'];
		$ts       = Reftrail_Db::parse_time( $sale['referral']['at'] );
		$url      = fn( $event, $status, $c ) => "http://127.0.0.1:9/pb?e={$event}&s={$status}&k=sale&r={$referral}&a=250000&am=250000&c={$c}&cm={$c}&cur=VND&camp=tet&clk={$click}&s1=u%2042&s2=x%26y&s3=&t={$ts}";
		// Approved at once: queued created, then approved, each saying what is true after the sale.
		$this->assertSame(
			array(
				array( 'created', $url( 'created', 'approved', 25000 ) ),
				array( 'approved', $url( 'approved', 'approved', 25000 ) ),
			),
			$this->queued( $referral )
		);
		$this->assertNotFalse( wp_next_scheduled( Reftrail_Webhooks::CRON ), 'the delivery round is asked for' );
		list( , $shown ) = $this->rest( 'GET', '/v1/me/postback', null, $me );
		$this->assertSame( array( 'approved', 'created' ), array_column( $shown['deliveries'], 'event' ), 'newest first' );
		$this->assertSame( array( 'pending', 'pending' ), array_column( $shown['deliveries'], 'status' ) );
		$this->assertSame( array( 0, null, null ), array( $shown['deliveries'][0]['attempts'], $shown['deliveries'][0]['last_error'], $shown['deliveries'][0]['delivered_at'] ) );
		$this->assertSame( array( 'id', 'event', 'referral_id', 'url', 'at', 'status', 'attempts', 'last_error', 'delivered_at' ), array_keys( $shown['deliveries'][0] ) );

		// A partial refund reverses part of it: the commission still owed; a full one, nothing.
		$this->assertSame( 201, $this->rest( 'POST', '/v1/refunds', array( 'order_id' => 'P-1', 'amount' => 50000, 'refund_id' => 'r1' ), $this->sk() )[0] );
		$this->assertSame( array( 'reversed', $url( 'reversed', 'approved', 20000 ) ), $this->queued( $referral )[2] );
		$this->assertSame( 201, $this->rest( 'POST', '/v1/refunds', array( 'order_id' => 'P-1' ), $this->sk() )[0] );
		$this->assertSame( array( 'reversed', $url( 'reversed', 'reversed', 0 ) ), $this->queued( $referral )[3] );
		$this->assertCount( 4, $this->queued( $referral ) );

		// Held for review: created pending; approved by the merchant; another one rejected.
		$this->program( array( 'hold_days' => 30 ) );
		$held = array();
		foreach ( array( 'P-2', 'P-3' ) as $order ) {
			list( $s, $d ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => $order, 'amount' => 1000, 'currency' => 'USD', 'click_id' => $this->click_with( 'alice', array( 'sub3' => 'z' ) ) ), $this->sk() );
			$this->assertSame( array( 201, 'pending' ), array( $s, $d['referral']['status'] ) );
			$held[] = $d['referral'];
		}
		$this->assertSame( 200, $this->rest( 'POST', '/v1/referrals/' . $held[0]['id'] . '/approve', null, $this->sk() )[0] );
		$this->assertSame( 200, $this->rest( 'POST', '/v1/referrals/' . $held[1]['id'] . '/reject', array( 'reason' => 'test order' ), $this->sk() )[0] );
		foreach ( array( array( $held[0], array( 'created', 'approved' ), array( 'pending', 'approved' ), array( '1.00', '1.00' ) ), array( $held[1], array( 'created', 'reversed' ), array( 'pending', 'rejected' ), array( '1.00', '0.00' ) ) ) as list( $r, $events, $statuses, $owed ) ) {
			$ts     = Reftrail_Db::parse_time( $r['at'] );
			$expect = array();
			foreach ( $events as $i => $e ) {
				$minor    = (string) (int) str_replace( '.', '', $owed[ $i ] );
				$expect[] = array( $e, "http://127.0.0.1:9/pb?e={$e}&s={$statuses[ $i ]}&k=sale&r={$r['id']}&a=10.00&am=1000&c={$owed[ $i ]}&cm={$minor}&cur=USD&camp=tet&clk=" . $this->click_of( $r['id'] ) . "&s1=&s2=&s3=z&t={$ts}" );
			}
			$this->assertSame( $expect, $this->queued( $r['id'] ), $r['id'] );
		}

		// A lead, by its click; the affiliate's address changed since: the new one is filled in.
		$this->program( array( 'hold_days' => 0 ) );
		$this->assertSame( 200, $this->rest( 'PUT', '/v1/affiliates/alice/postback', array( 'url' => 'http://127.0.0.1:9/lead?k={kind}&a={amount}&c={commission}&s5={sub5}&camp={campaign}' ), $this->sk() )[0] );
		list( $s, $lead ) = $this->rest( 'POST', '/v1/leads', array( 'event' => 'signup', 'customer_id' => 'c1', 'click_id' => $this->click_with( 'alice', array( 'sub5' => 'five' ) ) ), $this->sk() );
		$this->assertSame( 201, $s, wp_json_encode( $lead ) );
		$this->assertSame( 'created', $this->queued( $lead['referral']['id'] )[0][0] );
		$this->assertSame( 'http://127.0.0.1:9/lead?k=lead&a=0.00&c=5.00&s5=five&camp=tet', $this->queued( $lead['referral']['id'] )[0][1] );

		// A referral of an affiliate without a postback queues nothing; one by coupon has no click.
		$this->affiliate( 'quiet', array( 'coupons' => array( 'Q10' ) ) );
		list( , $quiet ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'P-4', 'amount' => 1000, 'currency' => 'USD', 'coupon' => 'Q10' ), $this->sk() );
		$this->assertSame( array(), $this->queued( $quiet['referral']['id'] ) );
		$this->assertSame( 200, $this->rest( 'PUT', '/v1/affiliates/quiet/postback', array( 'url' => 'http://127.0.0.1:9/q?clk={click_id}&s1={sub1}&camp={campaign}&r={referral_id}' ), $this->sk() )[0] );
		list( , $by_coupon ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'P-5', 'amount' => 1000, 'currency' => 'USD', 'coupon' => 'Q10' ), $this->sk() );
		$this->assertSame( array( 'created', 'http://127.0.0.1:9/q?clk=&s1=&camp=&r=' . $by_coupon['referral']['id'] ), $this->queued( $by_coupon['referral']['id'] )[0] );
	}

	/**
	 * The click id of the order of referral `$referral`.
	 *
	 * @param string $referral Referral.
	 * @return string
	 */
	private function click_of( $referral ) {
		global $wpdb;
		return (string) $wpdb->get_var( $wpdb->prepare( 'SELECT o.click_id FROM ' . Reftrail_Db::table( 'referrals' ) . ' r JOIN ' . Reftrail_Db::table( 'orders' ) . ' o ON o.id = r.source_id WHERE r.id = %s', $referral ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
	}

	/**
	 * The postbacks as the table holds them, in the order they were queued: event, attempts,
	 * last_error, whether delivered, whether failed.
	 *
	 * @return array[]
	 */
	private function rows() {
		global $wpdb;
		$t = Reftrail_Db::table( 'postbacks' );
		return array_map(
			fn( $r ) => array( $r['event'], (int) $r['attempts'], $r['last_error'], null !== $r['delivered_at'], null !== $r['failed_at'] ),
			$wpdb->get_results( "SELECT event, attempts, last_error, delivered_at, failed_at FROM {$t} ORDER BY BINARY id", ARRAY_A ) // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		);
	}

	public function test_the_delivery_round_delivers_retries_and_gives_up() {
		global $wpdb;
		$this->assertTrue( Reftrail_Postbacks::to_private_networks() );
		$this->program(
			array(
				'auto_approve' => false,
				'hold_days'    => 0,
			)
		);
		list( , $alice ) = $this->affiliate_with_token( 'alice', array( 'coupons' => array( 'A10' ) ) );
		list( , $bob )   = $this->affiliate_with_token( 'bob', array( 'coupons' => array( 'B10' ) ) );
		list( $ok, $ok_id )     = $this->tracker();
		list( $down, $down_id ) = $this->tracker( true );
		$this->assertSame( 200, $this->rest( 'PUT', '/v1/me/postback', array( 'url' => $ok . '&e={event}&c={commission}&s={status}' ), $alice )[0] );
		$this->assertSame( 200, $this->rest( 'PUT', '/v1/me/postback', array( 'url' => $down . '&e={event}' ), $bob )[0] );
		list( , $sale ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'W-1', 'amount' => 1000, 'currency' => 'USD', 'coupon' => 'A10' ), $this->sk() );
		$this->assertSame( 201, $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'W-2', 'amount' => 1000, 'currency' => 'USD', 'coupon' => 'B10' ), $this->sk() )[0] );
		$t = Reftrail_Db::table( 'postbacks' );

		// Alice's tracker takes hers; Bob's answers 503: kept, due again after the backoff.
		$before = Reftrail_Db::now();
		$this->assertSame( 1, Reftrail_Postbacks::deliver_due() );
		$this->assertSame(
			array(
				array( 'created', 1, null, true, false ),
				array( 'created', 1, 'HTTP 503', false, false ),
			),
			$this->rows()
		);
		$next = (int) $wpdb->get_var( "SELECT next_at FROM {$t} WHERE delivered_at IS NULL" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$this->assertGreaterThanOrEqual( $before + Reftrail_Webhooks::backoff( 1 ), $next );
		$this->assertNotFalse( wp_next_scheduled( Reftrail_Webhooks::CRON ), 'the next round is asked for' );
		$this->assertSame(
			array(
				array(
					'query'      => 'reftrail_test_postback=' . $ok_id . '&e=created&c=1.00&s=pending',
					'user_agent' => 'reftrail-postbacks/1',
					'protocol'   => 'HTTP/1.1',
				),
			),
			$this->tracked( $ok_id )
		);
		$this->assertSame( 0, Reftrail_Postbacks::deliver_due(), 'nothing is due yet' );

		// Approving it sends the next one; her list shows both delivered.
		$this->assertSame( 200, $this->rest( 'POST', '/v1/referrals/' . $sale['referral']['id'] . '/approve', null, $this->sk() )[0] );
		$this->assertSame( 1, Reftrail_Postbacks::deliver_due() );
		$this->assertSame( 'reftrail_test_postback=' . $ok_id . '&e=approved&c=1.00&s=approved', $this->tracked( $ok_id )[1]['query'] );
		list( , $shown ) = $this->rest( 'GET', '/v1/me/postback', null, $alice );
		$this->assertSame( array( 'delivered', 'delivered' ), array_column( $shown['deliveries'], 'status' ) );
		$this->assertSame( array( 'approved', 'created' ), array_column( $shown['deliveries'], 'event' ) );
		$this->assertIsString( $shown['deliveries'][0]['delivered_at'] );
		$this->assertSame( array( 1, null ), array( $shown['deliveries'][0]['attempts'], $shown['deliveries'][0]['last_error'] ) );

		// Bob's is tried until the outbox's last attempt, then given up.
		for ( $i = 2; $i <= Reftrail_Webhooks::MAX_ATTEMPTS; $i++ ) {
			$wpdb->query( "UPDATE {$t} SET next_at = 0 WHERE delivered_at IS NULL AND failed_at IS NULL" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			$this->assertSame( 0, Reftrail_Postbacks::deliver_due() );
		}
		list( , $shown ) = $this->rest( 'GET', '/v1/me/postback', null, $bob );
		$this->assertSame( array( 'failed', Reftrail_Webhooks::MAX_ATTEMPTS, 'HTTP 503', null ), array( $shown['deliveries'][0]['status'], $shown['deliveries'][0]['attempts'], $shown['deliveries'][0]['last_error'], $shown['deliveries'][0]['delivered_at'] ) );
		$wpdb->query( "UPDATE {$t} SET next_at = 0" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$this->assertSame( 0, Reftrail_Postbacks::deliver_due() );
		$this->assertCount( Reftrail_Webhooks::MAX_ATTEMPTS, $this->tracked( $down_id ), 'nothing after giving up' );
		$this->assertCount( 2, $this->tracked( $ok_id ), 'nothing delivered twice' );

		// The operator's counters, as the server's /metrics names them.
		list( , $metrics ) = $this->rest( 'GET', '/metrics' );
		$this->assertStringContainsString( "\nreftrail_postbacks_delivered_total 2\n", $metrics );
		$this->assertStringContainsString( "\nreftrail_postback_failures_total 12\n", $metrics );
	}

	public function test_the_webhooks_job_runs_the_delivery_round() {
		global $wpdb;
		$this->program( array( 'hold_days' => 0 ) );
		list( , $me ) = $this->affiliate_with_token( 'alice', array( 'coupons' => array( 'A10' ) ) );
		list( $ok, $id ) = $this->tracker();
		$this->assertSame( 200, $this->rest( 'PUT', '/v1/me/postback', array( 'url' => $ok . '&e={event}' ), $me )[0] );
		$this->assertSame( 201, $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'J-1', 'amount' => 1000, 'currency' => 'USD', 'coupon' => 'A10' ), $this->sk() )[0] );
		do_action( Reftrail_Webhooks::CRON );
		$this->assertSame( array( 'reftrail_test_postback=' . $id . '&e=created', 'reftrail_test_postback=' . $id . '&e=approved' ), array_column( $this->tracked( $id ), 'query' ) );
		$this->assertSame( '0', $wpdb->get_var( 'SELECT COUNT(*) FROM ' . Reftrail_Db::table( 'postbacks' ) . ' WHERE delivered_at IS NULL' ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
	}

	public function test_by_default_no_private_host_is_called() {
		global $wpdb;
		$had = remove_filter( Reftrail_Postbacks::PRIVATE_FILTER, '__return_true' );
		$this->assertTrue( $had, 'the test site lets postbacks reach loopback' );
		try {
			$this->assertFalse( Reftrail_Postbacks::to_private_networks() );
			$this->program( array( 'hold_days' => 0 ) );
			list( , $me ) = $this->affiliate_with_token( 'alice', array( 'coupons' => array( 'A10' ) ) );
			// The tracker is on the site's own host and port, which wp_safe_remote_get() alone lets through.
			list( $base, $id ) = $this->tracker();
			$port              = (int) wp_parse_url( (string) getenv( 'WP_URL' ), PHP_URL_PORT );
			$local             = 'http://localhost:' . $port . '/?reftrail_test_postback=' . $id;

			// Named in the template: refused when saved or tested.
			foreach ( array( $base, $local, 'http://169.254.169.254/latest/meta-data', 'http://[::1]/pb', 'http://10.0.0.5/pb', 'http://2130706433/pb', 'http://tracker.localhost/pb' ) as $url ) {
				list( $s, $d ) = $this->rest( 'PUT', '/v1/me/postback', array( 'url' => $url ), $me );
				$this->refused( array( $s, $d ), 400, 'invalid_postback_url', $url );
				$this->assertStringContainsString( 'private network', $d['error']['message'] );
				$this->refused( $this->rest( 'POST', '/v1/me/postback/test', array( 'url' => $url ), $me ), 400, 'invalid_postback_url', $url );
				$this->refused( $this->rest( 'PUT', '/v1/affiliates/alice/postback', array( 'url' => $url ), $this->sk() ), 400, 'invalid_postback_url', $url );
			}
			// A public host is saved (nothing is sent).
			$this->assertSame( 200, $this->rest( 'PUT', '/v1/me/postback', array( 'url' => 'https://track.example:8443/pb?s={sub1}' ), $me )[0] );

			// Reached by name or by address, or stored before the policy: never requested.
			foreach ( array( $local, $base ) as $url ) {
				$outcome = Reftrail_Postbacks::send( $url );
				$this->assertNull( $outcome['status'], $url );
				$this->assertStringContainsString( 'private', (string) $outcome['error'], $url );
			}
			$wpdb->update( Reftrail_Db::table( 'affiliates' ), array( 'postback_url' => $base . '&e={event}' ), array( 'id' => 'alice' ) );
			$this->assertSame( 201, $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'D-1', 'amount' => 1000, 'currency' => 'USD', 'coupon' => 'A10' ), $this->sk() )[0] );
			$this->assertSame( 0, Reftrail_Postbacks::deliver_due() );
			$rows = $this->rows();
			$this->assertCount( 2, $rows );
			foreach ( $rows as $r ) {
				$this->assertSame( array( 1, false ), array( $r[1], $r[3] ) );
				$this->assertStringContainsString( 'private', (string) $r[2] );
			}
			$this->assertSame( array(), $this->tracked( $id ) );
		} finally {
			if ( $had ) {
				add_filter( Reftrail_Postbacks::PRIVATE_FILTER, '__return_true' );
			}
		}
		// With the filter, loopback is allowed again.
		$this->assertSame( 200, $this->rest( 'PUT', '/v1/me/postback', array( 'url' => $base ), $me )[0] );
		$this->assertSame( 200, Reftrail_Postbacks::send( $base )['status'] );
		$this->assertCount( 1, $this->tracked( $id ) );
	}

	public function test_clicks_keep_their_sub_ids() {
		global $wpdb;
		$this->affiliate( 'alice' );
		$this->assertSame( array( 'sub1', 'sub2', 'sub3', 'sub4', 'sub5' ), array_slice( Reftrail_Tracking::CLICK_ID_PARAMS, -5 ) );
		$this->assertCount( 20, Reftrail_Tracking::CLICK_ID_PARAMS );
		$id = $this->click_with(
			'alice',
			array(
				'sub5'  => 'e',
				'sub1'  => 'u 42',
				'sub2'  => '<b>',
				'sub3'  => 'c',
				'sub4'  => 'd',
				'gclid' => 'g',
			)
		);
		$stored = $wpdb->get_var( $wpdb->prepare( 'SELECT click_ids FROM ' . Reftrail_Db::table( 'clicks' ) . ' WHERE id = %s', $id ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		$this->assertSame( '{"gclid":"g","sub1":"u 42","sub2":"<b>","sub3":"c","sub4":"d","sub5":"e"}', $stored );
		// Every click id at once is allowed; other names are refused.
		$this->click_with( 'alice', array_fill_keys( Reftrail_Tracking::CLICK_ID_PARAMS, 'x' ) );
		foreach ( array( 'sub6', 'SUB1', 'sub' ) as $name ) {
			try {
				$this->click_with( 'alice', array( $name => 'x' ) );
				$this->fail( $name );
			} catch ( Reftrail_Http_Error $e ) {
				$this->assertSame( array( 400, 'unknown_click_id_param' ), array( $e->status, $e->error_code ), $name );
			}
		}
	}

	public function test_the_openapi_document_names_the_routes() {
		list( $s, $doc ) = $this->rest( 'GET', '/v1/openapi.json' );
		$this->assertSame( 200, $s );
		$this->assertSame( array( 'get', 'put' ), array_keys( $doc['paths']['/v1/me/postback'] ) );
		$this->assertSame( array( 'post' ), array_keys( $doc['paths']['/v1/me/postback/test'] ) );
		$this->assertSame( array( 'get', 'put' ), array_keys( $doc['paths']['/v1/affiliates/{id}/postback'] ) );
		$this->assertSame( array( 'id' ), array_column( $doc['paths']['/v1/affiliates/{id}/postback/test']['post']['parameters'], 'name' ) );
		$this->assertSame( array( 'url' ), array_keys( $doc['paths']['/v1/me/postback']['put']['requestBody']['content']['application/json']['schema']['properties'] ) );
		$this->assertSame( array( array( 'affiliate_token' => array() ), array( 'wordpress_user' => array() ) ), $doc['paths']['/v1/me/postback']['get']['security'] );
		$routes = rest_get_server()->get_routes();
		foreach ( array( '/reftrail/v1/me/postback', '/reftrail/v1/me/postback/test', '/reftrail/v1/affiliates/(?P<id>[^/]+)/postback', '/reftrail/v1/affiliates/(?P<id>[^/]+)/postback/test' ) as $route ) {
			$this->assertArrayHasKey( $route, $routes );
		}
		$schema = ( new Reftrail_REST_Postbacks_Controller() )->get_public_item_schema();
		$this->assertSame( array( 'reftrail-postback', array( 'url', 'macros', 'deliveries' ) ), array( $schema['title'], array_keys( $schema['properties'] ) ) );
	}

	public function test_the_upgrade_from_24_adds_the_column_and_the_table() {
		global $wpdb;
		$t = Reftrail_Db::table( 'postbacks' );
		$a = Reftrail_Db::table( 'affiliates' );
		$wpdb->query( "DROP TABLE IF EXISTS {$t}" ); // phpcs:ignore
		$wpdb->query( "ALTER TABLE {$a} DROP COLUMN postback_url" ); // phpcs:ignore
		update_option( Reftrail_Schema::OPTION, 24 );
		Reftrail_Schema::maybe_upgrade();
		$exists  = $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $t ) );
		$columns = array_column( $wpdb->get_results( "SHOW COLUMNS FROM {$t}", ARRAY_A ), 'Field' ); // phpcs:ignore
		$column  = $wpdb->get_row( "SHOW COLUMNS FROM {$a} LIKE 'postback_url'", ARRAY_A ); // phpcs:ignore
		$keys    = array_unique( array_column( $wpdb->get_results( "SHOW INDEX FROM {$t}", ARRAY_A ), 'Key_name' ) ); // phpcs:ignore
		$version = (int) get_option( Reftrail_Schema::OPTION );
		Reftrail_Schema::upgrade();
		$this->assertSame( '', $wpdb->last_error, 'upgrading again changes nothing' );
		$this->assertSame( $t, $exists );
		$this->assertSame( array( 'id', 'affiliate_id', 'referral_id', 'event', 'url', 'at', 'attempts', 'next_at', 'delivered_at', 'failed_at', 'last_error' ), $columns );
		$this->assertSame( array( 'text', 'YES', null ), array( $column['Type'], $column['Null'], $column['Default'] ) );
		$this->assertSame( array( 'PRIMARY', 'due', 'affiliate_at', 'at_id' ), array_values( $keys ) );
		$this->assertSame( Reftrail_Schema::VERSION, $version, 'brought up to the current schema' );
		$this->assertGreaterThanOrEqual( 25, Reftrail_Schema::VERSION, 'postbacks came with schema 25' );
		$this->assertContains( 'postbacks', Reftrail_Schema::TABLES );
	}
}
