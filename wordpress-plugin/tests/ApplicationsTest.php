<?php
/**
 * Applications, the public "become an affiliate" form: the program's settings (applications,
 * terms_url, fraud.applications_per_ip_per_hour) checked and kept; `GET /v1/portal/program` and
 * `POST /v1/portal/applications` per caller, same origin only; each check in the contract's order,
 * hostile input refused, a refusal writing nothing (a failed write too); a pending or approved
 * affiliate with what they wrote, its id made from the name, the activity entry; the same answer
 * for a known address, which creates nothing; the WordPress account of each case (a new user told
 * by WordPress to set a password, a user without an affiliate told to sign in, the signed-in
 * applicant applying as themself); the hourly limit per client address; the list's email filter;
 * the `[reftrail_register]` form for visitors (and the portal's), the signed-in flow kept; the
 * OpenAPI document; the upgrade from schema 20.
 *
 * @package Reftrail
 */

/**
 * Application tests.
 */
class ApplicationsTest extends Reftrail_Test_Case {

	/** The tests that change tables, which commits: they run outside the transaction. */
	const SCHEMA_TESTS = array( 'test_the_upgrade_from_20_adds_the_applications' );

	/** @var array[] The messages wp_mail() was given. */
	private $mails = array();

	/** @var string The client address before the test. */
	private $remote = '';

	protected function setUp(): void {
		$this->transactional = ! in_array( $this->getName( false ), self::SCHEMA_TESTS, true );
		parent::setUp();
		$this->remote = $_SERVER['REMOTE_ADDR'] ?? '';
		add_filter( 'pre_wp_mail', array( $this, 'catch_mail' ), 10, 2 );
		if ( $this->transactional ) {
			$this->open( 'review' );
		}
	}

	protected function tearDown(): void {
		$_POST                  = array();
		$_SERVER['REMOTE_ADDR'] = $this->remote;
		remove_filter( 'pre_wp_mail', array( $this, 'catch_mail' ), 10 );
		remove_all_filters( 'query' );
		remove_action( 'shutdown', array( 'Reftrail_Affiliate_Mail', 'ask_for_a_run' ) );
		parent::tearDown();
	}

	/**
	 * The `pre_wp_mail` filter: keeps the message instead of sending it.
	 *
	 * @param null|bool $pre  Null.
	 * @param array     $atts wp_mail()'s arguments.
	 * @return bool
	 */
	public function catch_mail( $pre, $atts ) {
		$this->mails[] = $atts;
		return true;
	}

	/**
	 * Opens the form in `$mode`, with terms or none and an hourly limit.
	 *
	 * @param string      $mode     closed, review or auto.
	 * @param string|null $terms    terms_url.
	 * @param int         $per_hour fraud.applications_per_ip_per_hour.
	 */
	private function open( $mode, $terms = null, $per_hour = 100000 ) {
		$this->program(
			array(
				'applications' => $mode,
				'terms_url'    => $terms,
				'fraud'        => array_merge( Reftrail_Program::get()['fraud'], array( 'applications_per_ip_per_hour' => $per_hour ) ),
			)
		);
	}

	/**
	 * `POST /v1/portal/applications`; returns [status, body, headers].
	 *
	 * @param array|string $body    Body.
	 * @param array        $headers Headers.
	 * @return array
	 */
	private function apply( $body, array $headers = array() ) {
		return $this->rest( 'POST', '/v1/portal/applications', $body, $headers );
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
		list( $s, $d ) = $answer;
		$this->assertSame( array( $status, $code ), array( $s, $d['error']['code'] ?? null ), $what . ': ' . wp_json_encode( $d ) );
		$this->assertNotSame( '', (string) ( $d['error']['message'] ?? '' ), $what );
	}

	/**
	 * How many rows each table an application writes holds, WordPress's users included.
	 *
	 * @return int[]
	 */
	private function counts() {
		global $wpdb;
		$out = array();
		foreach ( array( 'affiliates', 'applications', 'application_attempts', 'activity', 'mail_outbox', 'coupons' ) as $t ) {
			$out[ $t ] = (int) $wpdb->get_var( 'SELECT COUNT(*) FROM ' . Reftrail_Db::table( $t ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		}
		$out['users']    = (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->users}" );
		$out['usermeta'] = (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->usermeta}" );
		return $out;
	}

	/**
	 * The outbox: [event, recipient, affiliate, payload] of each message, oldest first.
	 *
	 * @return array[]
	 */
	private function outbox() {
		global $wpdb;
		return $wpdb->get_results( 'SELECT event, recipient, affiliate_id, payload FROM ' . Reftrail_Db::table( 'mail_outbox' ) . ' ORDER BY at, BINARY id', ARRAY_N ); // phpcs:ignore
	}

	/**
	 * The outbox's messages of one event: [event, recipient, affiliate, payload], oldest first.
	 *
	 * @param string $event Event.
	 * @return array[]
	 */
	private function queued( $event ) {
		return array_values( array_filter( $this->outbox(), fn( $m ) => $event === $m[0] ) );
	}

	/**
	 * The affiliates with this email address, as `GET /v1/affiliates?email=` lists them.
	 *
	 * @param string $email Address.
	 * @return array[]
	 */
	private function with_email( $email ) {
		list( $s, $d ) = $this->rest( 'GET', '/v1/affiliates?limit=500&email=' . rawurlencode( $email ), null, $this->sk() );
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
		return $d['affiliates'];
	}

	/**
	 * Adds an affiliate with this email and status; returns its id.
	 *
	 * @param string $id     Id.
	 * @param string $email  Email.
	 * @param string $status Status.
	 * @param array  $extra  Fields.
	 * @return string
	 */
	private function member( $id, $email, $status = 'approved', array $extra = array() ) {
		$this->affiliate(
			$id,
			array_merge(
				array(
					'email'  => $email,
					'status' => $status,
				),
				$extra
			)
		);
		return $id;
	}

	public function test_the_settings_are_checked_and_kept() {
		$this->open( 'closed' );
		list( $s, $p ) = $this->rest( 'GET', '/v1/program', null, $this->sk() );
		$this->assertSame( 200, $s );
		$defaults = Reftrail_Program::defaults();
		$this->assertSame( array( 'closed', null, 10 ), array( $defaults['applications'], $defaults['terms_url'], $defaults['fraud']['applications_per_ip_per_hour'] ), 'the defaults' );
		foreach ( array(
			array( 'applications', 'open', 'invalid_applications' ),
			array( 'applications', 'Review', 'invalid_applications' ),
			array( 'applications', '', 'invalid_applications' ),
			array( 'applications', 7, 'invalid_body' ),
			array( 'terms_url', 'ftp://shop.test/terms', 'invalid_terms_url' ),
			array( 'terms_url', 'https://', 'invalid_terms_url' ),
			array( 'terms_url', 'HTTPS://shop.test/terms', 'invalid_terms_url' ),
			array( 'terms_url', 'https://shop.test/a b', 'invalid_terms_url' ),
			array( 'terms_url', "https://shop.test/a\u{00a0}b", 'invalid_terms_url' ),
			array( 'terms_url', "https://shop.test/a\u{2028}b", 'invalid_terms_url' ),
			array( 'terms_url', "https://shop.test/\u{0085}", 'invalid_terms_url' ),
			array( 'terms_url', "https://shop.test/\x07", 'invalid_terms_url' ),
			array( 'terms_url', 'https://shop.test/' . str_repeat( 't', 483 ), 'invalid_terms_url' ),
			array( 'terms_url', '', 'invalid_terms_url' ),
			array( 'terms_url', 'javascript:alert(1)', 'invalid_terms_url' ),
			array( 'terms_url', array( 'https://shop.test/' ), 'invalid_body' ),
		) as list( $field, $value, $code ) ) {
			$this->refused( $this->put_program_rest( array( $field => $value ) ), 400, $code, $field . ' = ' . wp_json_encode( $value ) );
		}
		foreach ( array( 0, 100001, -1, '10', 1.5 ) as $per_hour ) {
			$fraud = array_merge( $p['fraud'], array( 'applications_per_ip_per_hour' => $per_hour ) );
			$this->refused( $this->put_program_rest( array( 'fraud' => $fraud ) ), 400, 'invalid_fraud', wp_json_encode( $per_hour ) );
		}
		list( , $after ) = $this->rest( 'GET', '/v1/program', null, $this->sk() );
		$this->assertSame( $p, $after, 'nothing changed' );

		// The longest address is 500 bytes; the values are kept and recorded in the history.
		$terms = 'https://shop.test/' . str_repeat( 't', 482 );
		$this->assertSame( 500, strlen( $terms ) );
		list( $s, $put ) = $this->put_program_rest(
			array(
				'applications' => 'auto',
				'terms_url'    => $terms,
				'fraud'        => array_merge( $p['fraud'], array( 'applications_per_ip_per_hour' => 1 ) ),
			)
		);
		$this->assertSame( 200, $s, wp_json_encode( $put ) );
		$this->assertSame( array( 'auto', $terms, 1 ), array( $put['applications'], $put['terms_url'], $put['fraud']['applications_per_ip_per_hour'] ) );
		list( , $changes ) = $this->rest( 'GET', '/v1/program/changes?limit=1', null, $this->sk() );
		$this->assertSame( array( 'applications', 'fraud', 'terms_url' ), array_column( $changes['changes'][0]['settings'], 'setting' ) );
		// terms_url null removes the terms; a fraud object without the threshold takes its default.
		$fraud = $p['fraud'];
		unset( $fraud['applications_per_ip_per_hour'] );
		list( $s, $put ) = $this->put_program_rest(
			array(
				'terms_url' => null,
				'fraud'     => $fraud,
			)
		);
		$this->assertSame( array( 200, null, 10 ), array( $s, $put['terms_url'], $put['fraud']['applications_per_ip_per_hour'] ) );
		// A program stored before these settings existed reads their defaults.
		$stored = get_option( Reftrail_Program::OPTION );
		unset( $stored['applications'], $stored['terms_url'], $stored['fraud']['applications_per_ip_per_hour'] );
		update_option( Reftrail_Program::OPTION, $stored );
		$p = Reftrail_Program::get();
		$this->assertSame( array( 'closed', null, 10 ), array( $p['applications'], $p['terms_url'], $p['fraud']['applications_per_ip_per_hour'] ) );
	}

	public function test_the_portal_reads_the_public_program_and_nothing_else() {
		$this->program(
			array(
				'name'            => 'Giày Sài Gòn',
				'currency'        => 'VND',
				'locale'          => null,
				'allowed_origins' => array( 'https://shop.test' ),
			)
		);
		$this->open( 'review', 'https://shop.test/terms' );
		$want  = array(
			'name'         => 'Giày Sài Gòn',
			'locale'       => 'vi',
			'currency'     => 'VND',
			'applications' => 'review',
			'terms_url'    => 'https://shop.test/terms',
			'logo_url'     => null,
			'accent_color' => null,
		);
		$token = $this->affiliate( 'reader' )['token'];
		$users = array( 0, $this->user( 'subscriber' ), $this->user( 'administrator' ) );
		foreach ( array(
			'nobody'          => array(),
			'secret key'      => $this->sk(),
			'publishable key' => array( 'authorization' => 'Bearer ' . Reftrail_Keys::publishable() ),
			'affiliate token' => array( 'authorization' => 'Bearer ' . $token ),
			'own origin'      => array( 'origin' => Reftrail_REST_Controller::own_origin() ),
		) as $who => $headers ) {
			list( $s, $d ) = $this->rest( 'GET', '/v1/portal/program', null, $headers );
			$this->assertSame( array( 200, $want ), array( $s, $d ), $who );
		}
		foreach ( $users as $user ) {
			wp_set_current_user( $user );
			list( $s, $d ) = $this->rest( 'GET', '/v1/portal/program' );
			$this->assertSame( array( 200, $want ), array( $s, $d ), 'user ' . $user );
		}
		wp_set_current_user( 0 );
		$this->refused( $this->rest( 'GET', '/v1/portal/program', null, array( 'authorization' => 'Bearer at_nothing' ) ), 401, 'unauthorized', 'an unknown token' );
		// Same origin only: another site's page, even one of the program's allowed origins, is refused.
		foreach ( array( 'https://shop.test', 'https://evil.test', 'null' ) as $origin ) {
			$this->refused( $this->rest( 'GET', '/v1/portal/program', null, array( 'origin' => $origin ) ), 403, 'origin_not_allowed', $origin );
		}
		$this->refused( $this->rest( 'PUT', '/v1/portal/program', array() ), 405, 'method_not_allowed' );
		$this->open( 'closed' );
		list( , $d ) = $this->rest( 'GET', '/v1/portal/program' );
		$this->assertSame( array( 'closed', null ), array( $d['applications'], $d['terms_url'] ) );
	}

	public function test_the_portal_routes_are_same_origin_only_and_answer_no_cors() {
		$this->program( array( 'allowed_origins' => array( 'https://shop.test' ) ) );
		$before = $this->counts();
		$body   = array(
			'name'  => 'Cross',
			'email' => 'cross@apply.test',
		);
		$this->refused( $this->apply( $body, array( 'origin' => 'https://shop.test' ) ), 403, 'origin_not_allowed', 'an allowed origin of the browser routes' );
		$this->refused( $this->apply( $body, array( 'origin' => 'https://evil.test' ) ), 403, 'origin_not_allowed' );
		$this->assertSame( $before, $this->counts(), 'refused before it is read' );
		list( $s ) = $this->apply( $body, array( 'origin' => strtoupper( Reftrail_REST_Controller::own_origin() ) ) );
		$this->assertSame( 202, $s, 'the site\'s own pages' );
		// Preflights: nothing is allowed, from anywhere.
		foreach ( array( '/v1/portal/program', '/v1/portal/applications' ) as $path ) {
			$this->refused( $this->rest( 'OPTIONS', $path, null, array( 'origin' => 'https://shop.test', 'access-control-request-method' => 'POST' ) ), 403, 'origin_not_allowed', $path );
			list( $s, , $h ) = $this->rest( 'OPTIONS', $path, null, array( 'origin' => Reftrail_REST_Controller::own_origin() ) );
			$this->assertSame( 204, $s, $path );
			$this->assertArrayNotHasKey( 'Access-Control-Allow-Origin', $h, $path );
		}
		// The browser routes keep their CORS; the portal's are not among them.
		list( $s, , $h ) = $this->rest( 'OPTIONS', '/v1/me', null, array( 'origin' => 'https://shop.test' ) );
		$this->assertSame( array( 204, 'https://shop.test' ), array( $s, $h['Access-Control-Allow-Origin'] ?? null ) );
		$this->assertSame( array(), array_intersect( Reftrail_REST::PORTAL_ROUTES, Reftrail_REST::BROWSER_ROUTES ) );
	}

	public function test_every_route_the_portal_app_calls_is_served_as_the_server_serves_it() {
		$root  = dirname( __DIR__, 2 ) . '/www';
		$paths = array();
		foreach ( array_merge( glob( $root . '/portal/*.js' ), glob( $root . '/shared/*.js' ) ) as $file ) {
			preg_match_all( "#['\"`](/v1/(?:me|portal)[a-z/_-]*)#", (string) file_get_contents( $file ), $m ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_get_contents_file_get_contents
			$paths = array_merge( $paths, $m[1] );
		}
		$paths = array_values( array_unique( $paths ) );
		$this->assertContains( '/v1/me', $paths );
		$routes = rest_get_server()->get_routes( 'reftrail/v1' );
		foreach ( $paths as $path ) {
			$route = '/reftrail' . rtrim( $path, '/' );
			if ( ! isset( $routes[ $route ] ) ) {
				// A route of the server's the plugin does not serve (the portal's sign-in by email).
				continue;
			}
			if ( 0 === strpos( $path, '/v1/me' ) ) {
				// Called cross-origin by a portal on the shop's own pages: CORS as on the server.
				$this->assertContains( $route, Reftrail_REST::BROWSER_ROUTES, $path );
			} else {
				// The portal's own routes: same origin only.
				$this->assertContains( $route, Reftrail_REST::PORTAL_ROUTES, $path );
			}
		}
		foreach ( Reftrail_REST::PORTAL_ROUTES as $route ) {
			$this->assertArrayHasKey( $route, $routes );
		}
	}

	public function test_a_closed_program_says_so_before_anything_else() {
		$this->open( 'closed' );
		$before = $this->counts();
		foreach ( array(
			array(
				'name'  => 'Closed',
				'email' => 'closed@apply.test',
			),
			array(
				'name'  => '',
				'email' => 'nope',
			),
			array( 'name' => 7 ),
			array(),
		) as $body ) {
			$this->refused( $this->apply( $body ), 403, 'applications_closed', wp_json_encode( $body ) );
		}
		// The body is read first, as the server's parser reads it.
		$this->refused( $this->apply( '{"name": ' ), 400, 'invalid_json' );
		$this->refused(
			$this->apply(
				array(
					'name'   => 'X',
					'status' => 'approved',
				)
			),
			400,
			'invalid_body'
		);
		$this->assertSame( $before, $this->counts() );
		$this->assertSame( array(), $this->mails );
	}

	public function test_every_field_is_checked_in_order_and_a_refusal_writes_nothing() {
		$this->member( 'taken', 'taken@apply.test' );
		$ok     = array(
			'name'  => 'Valid Name',
			'email' => 'bad@apply.test',
		);
		$before = $this->counts();
		foreach ( array(
			array( 'name', '', 'invalid_name' ),
			array( 'name', '   ', 'invalid_name' ),
			array( 'name', str_repeat( 'a', 201 ), 'invalid_name' ),
			array( 'name', str_repeat( 'ễ', 67 ), 'invalid_name' ),
			array( 'name', "Tab\tName", 'invalid_name' ),
			array( 'name', "Line\nName", 'invalid_name' ),
			array( 'name', "C1\u{0085}x", 'invalid_name' ),
			array( 'name', 7, 'invalid_name' ),
			array( 'name', null, 'invalid_name' ),
			array( 'name', array( 'a' ), 'invalid_name' ),
			array( 'email', 'not-an-email', 'invalid_email' ),
			array( 'email', 'a@b.test, c@d.test', 'invalid_email' ),
			array( 'email', 'Lan <lan@apply.test>', 'invalid_email' ),
			array( 'email', 'a b@apply.test', 'invalid_email' ),
			array( 'email', 'x@' . str_repeat( 'e', 250 ) . '.test', 'invalid_email' ),
			array( 'email', "x@apply.test'; DROP TABLE wp_users; --", 'invalid_email' ),
			array( 'email', null, 'invalid_email' ),
			array( 'email', true, 'invalid_email' ),
			array( 'id', 'has space', 'invalid_affiliate' ),
			array( 'id', '<script>', 'invalid_affiliate' ),
			array( 'id', str_repeat( 'x', 65 ), 'invalid_affiliate' ),
			array( 'id', '', 'invalid_affiliate' ),
			array( 'id', 42, 'invalid_affiliate' ),
			array( 'website', 'lan.example', 'invalid_website' ),
			array( 'website', 'javascript:alert(1)', 'invalid_website' ),
			array( 'website', 'https://', 'invalid_website' ),
			array( 'website', 'https://a b.test', 'invalid_website' ),
			array( 'website', 'https://' . str_repeat( 'w', 488 ) . '.test', 'invalid_website' ),
			array( 'website', '', 'invalid_website' ),
			array( 'website', false, 'invalid_website' ),
			array( 'message', str_repeat( 'a', 2001 ), 'invalid_message' ),
			array( 'message', str_repeat( 'ễ', 667 ), 'invalid_message' ),
			array( 'message', "bell\x07", 'invalid_message' ),
			array( 'message', "tab\there", 'invalid_message' ),
			array( 'message', "esc\x1b[31m", 'invalid_message' ),
			array( 'message', array( 'line' ), 'invalid_message' ),
			array( 'category', 'spam', 'invalid_category' ),
			array( 'category', 'Content', 'invalid_category' ),
			array( 'category', 1, 'invalid_category' ),
			array( 'terms_accepted', 'yes', 'invalid_terms_accepted' ),
			array( 'terms_accepted', 1, 'invalid_terms_accepted' ),
		) as list( $field, $value, $code ) ) {
			$body           = $ok;
			$body[ $field ] = $value;
			$this->refused( $this->apply( $body ), 400, $code, $field . ' = ' . wp_json_encode( $value ) );
		}
		// The first broken rule in the contract's order; the taken id comes after all of them.
		$this->refused( $this->apply( array( 'name' => '', 'email' => 'nope', 'id' => 'taken' ) ), 400, 'invalid_name' );
		$this->refused( $this->apply( array( 'name' => 'N', 'email' => 'nope', 'id' => 'has space' ) ), 400, 'invalid_email' );
		$this->refused( $this->apply( array( 'name' => 'N', 'email' => 'n@apply.test', 'id' => 'has space', 'website' => 'x' ) ), 400, 'invalid_affiliate' );
		$this->refused( $this->apply( array( 'name' => 'N', 'email' => 'n@apply.test', 'website' => 'x', 'category' => 'spam', 'terms_accepted' => 'no' ) ), 400, 'invalid_website' );
		$this->refused( $this->apply( $ok + array( 'unknown' => 1 ) ), 400, 'invalid_body' );
		$this->refused( $this->apply( '"a string"' ), 400, 'invalid_body' );
		$this->refused( $this->apply( "{\"name\": \"\xff\", \"email\": \"x@apply.test\"}" ), 400, 'invalid_json' );
		$this->refused( $this->apply( '' ), 400, 'invalid_json' );
		$this->refused( $this->apply( '{"name": "A", "email": "a@apply.test"}', array( 'content-type' => 'application/x-www-form-urlencoded' ) ), 415, 'unsupported_media_type' );
		$this->assertSame( $before, $this->counts(), 'nothing written' );
		$this->assertSame( array(), $this->mails, 'nothing sent' );
		$this->assertSame( array(), $this->with_email( 'bad@apply.test' ) );
		// What passes: the limits themselves, line breaks in the message, null for the optional fields.
		list( $s, $d ) = $this->apply(
			array(
				'name'           => str_repeat( 'ễ', 66 ) . 'ab',
				'email'          => 'limits@apply.test',
				'id'             => str_repeat( 'x', 64 ),
				'website'        => 'https://' . str_repeat( 'w', 487 ) . '.test',
				'message'        => str_repeat( 'ễ', 666 ) . "\r\n",
				'category'       => null,
				'terms_accepted' => null,
			)
		);
		$this->assertSame( array( 202, array( 'status' => 'pending' ) ), array( $s, $d ), wp_json_encode( $d ) );
		$a = $this->show_affiliate( str_repeat( 'x', 64 ) );
		$this->assertSame( array( 200, 500, 2000, 'other' ), array( strlen( $a['name'] ), strlen( $a['application']['website'] ), strlen( $a['application']['message'] ), $a['category'] ) );
	}

	public function test_an_application_under_review_is_a_pending_affiliate_with_its_wordpress_account() {
		update_option( Reftrail_Settings::OPTION, Reftrail_Settings::sanitize( array( 'lead_on_registration' => '1', 'notify_applications' => '1' ) ) );
		$_SERVER['REMOTE_ADDR'] = '198.51.100.7';
		$started                = Reftrail_Db::now();
		list( $s, $d, $h )      = $this->apply(
			array(
				'id'             => 'lan-shoes',
				'name'           => "  Nguyễn Thị Lan\u{00a0}",
				'email'          => ' Lan.Nguyen@Apply.test ',
				'website'        => 'https://lan.example/review?x=1',
				'message'        => "Tôi viết blog về giày.\r\nKênh TikTok 20k người theo dõi.",
				'category'       => 'content',
				'terms_accepted' => true,
			)
		);
		$this->assertSame( array( 202, array( 'status' => 'pending' ) ), array( $s, $d ) );
		$this->assertArrayNotHasKey( 'Location', $h, 'nothing tells what was made' );
		$a = $this->show_affiliate( 'lan-shoes' );
		$this->assertSame( array( 'Nguyễn Thị Lan', 'Lan.Nguyen@Apply.test', 'pending', 'content', array(), null ), array( $a['name'], $a['email'], $a['status'], $a['category'], $a['coupons'], $a['commission'] ) );
		$this->assertSame(
			array(
				'website'   => 'https://lan.example/review?x=1',
				'message'   => "Tôi viết blog về giày.\r\nKênh TikTok 20k người theo dõi.",
				'terms_url' => null,
			),
			array_slice( $a['application'], 0, 3 )
		);
		$this->assertGreaterThanOrEqual( $started, Reftrail_Db::parse_time( $a['application']['applied_at'] ) );
		// Its portal token exists (as POST /v1/affiliates gives one), and the log names the applicant.
		global $wpdb;
		$row = $wpdb->get_row( $wpdb->prepare( 'SELECT token_hash, user_id, email_hash FROM ' . Reftrail_Db::table( 'affiliates' ) . ' WHERE id = %s', 'lan-shoes' ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		$this->assertSame( 64, strlen( (string) $row['token_hash'] ) );
		$this->assertSame( Reftrail_Tracking::email_hash( 'lan.nguyen@apply.test' ), $row['email_hash'] );
		list( , $log ) = $this->rest( 'GET', '/v1/activity?affiliate=lan-shoes', null, $this->sk() );
		$this->assertSame( array( array( 'affiliate.applied', 'affiliate:lan-shoes', 'lan-shoes', 'lan-shoes', '{}' ) ), array_map( fn( $e ) => array( $e['action'], $e['by'], $e['subject'], $e['affiliate'], wp_json_encode( $e['details'] ) ), $log['activity'] ) );
		foreach ( array( 'affiliate.applied', 'affiliate.' ) as $filter ) {
			list( $s, $log ) = $this->rest( 'GET', '/v1/activity?action=' . $filter, null, $this->sk() );
			$this->assertSame( array( 200, array( 'lan-shoes' ) ), array( $s, array_column( $log['activity'], 'subject' ) ), $filter );
		}
		// A WordPress user with the affiliate role, linked, whose login comes from the address.
		$user = get_user_by( 'email', 'lan.nguyen@apply.test' );
		$this->assertInstanceOf( WP_User::class, $user );
		$this->assertSame( array( 'Lan.Nguyen', 'Nguyễn Thị Lan', array( Reftrail_Schema::ROLE ), (string) $user->ID ), array( $user->user_login, $user->display_name, array_values( $user->roles ), (string) $row['user_id'] ) );
		$this->assertSame( 'lan-shoes', Reftrail_Affiliates::by_user( $user->ID ) );
		// WordPress told them how to set their password; the program's emails wait in the outbox.
		$this->assertCount( 1, $this->mails );
		$this->assertSame( 'Lan.Nguyen@Apply.test', $this->mails[0]['to'] );
		$this->assertStringContainsString( 'action=rp', $this->mails[0]['message'] );
		$this->assertStringContainsString( 'Lan.Nguyen', $this->mails[0]['message'] );
		$this->assertEqualsCanonicalizing(
			array(
				array( 'application.received', 'affiliate', 'lan-shoes', '{"affiliate":"lan-shoes"}' ),
				array( 'affiliate.applied', 'admin', 'lan-shoes', '{"affiliate":"lan-shoes"}' ),
			),
			$this->outbox()
		);
		// No sign-up lead for the account an application makes.
		$this->assertSame( '0', $wpdb->get_var( 'SELECT COUNT(*) FROM ' . Reftrail_Db::table( 'leads' ) ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		// Listed, found by email whatever its case; an affiliate the merchant adds has no application.
		$this->assertSame( array( 'lan-shoes' ), array_column( $this->with_email( 'LAN.NGUYEN@apply.TEST' ), 'id' ) );
		$this->assertSame( $a['application'], $this->with_email( 'lan.nguyen@apply.test' )[0]['application'] );
		$this->assertNull( $this->affiliate( 'plain', array( 'email' => 'plain@apply.test' ) )['affiliate']['application'] );
		$this->assertNull( $this->show_affiliate( 'plain' )['application'] );
		// Approving is the usual change of status, which welcomes them; the application stays.
		list( $s, $approved ) = $this->patch_affiliate( 'lan-shoes', array( 'status' => 'approved' ) );
		$this->assertSame( array( 200, 'approved', $a['application'] ), array( $s, $approved['status'], $approved['application'] ) );
		$this->assertSame( array( array( 'affiliate.approved', 'affiliate', 'lan-shoes', '{"affiliate":"lan-shoes"}' ) ), $this->queued( 'affiliate.approved' ) );
	}

	public function test_an_automatic_program_approves_at_once_and_makes_ids_from_names() {
		$this->open( 'auto' );
		list( $s, $d ) = $this->apply(
			array(
				'name'  => 'Đặng Minh Ánh',
				'email' => 'minh@apply.test',
			)
		);
		$this->assertSame( array( 202, array( 'status' => 'approved' ) ), array( $s, $d ) );
		$found = $this->with_email( 'minh@apply.test' );
		$this->assertSame( array( 'dang-minh-anh', 'approved', 'other' ), array( $found[0]['id'], $found[0]['status'], $found[0]['category'] ) );
		$this->assertSame( array( null, null, null ), array( $found[0]['application']['website'], $found[0]['application']['message'], $found[0]['application']['terms_url'] ) );
		// The welcome (the program wants it by default), no acknowledgement, no administrator notice.
		$this->assertSame( array( array( 'affiliate.approved', 'affiliate', 'dang-minh-anh', '{"affiliate":"dang-minh-anh"}' ) ), $this->outbox() );
		// The same name from other addresses takes the next free id, whatever the case of the ids taken.
		$this->member( 'Dang-Minh-Anh-2', 'other@apply.test' );
		$this->apply( array( 'name' => 'Đặng Minh Ánh', 'email' => 'minh3@apply.test' ) );
		$this->assertSame( 'dang-minh-anh-3', $this->with_email( 'minh3@apply.test' )[0]['id'] );
		// A name of no Latin letters: the address's local part without its tag, else `affiliate`.
		$this->apply( array( 'name' => 'สมชาย ใจดี', 'email' => 'somchai.j+shop@apply.test' ) );
		$this->assertSame( 'somchai-j', $this->with_email( 'somchai.j+shop@apply.test' )[0]['id'] );
		$this->apply( array( 'name' => '李小龙', 'email' => 'li@apply.test' ) );
		$this->assertSame( 'affiliate', $this->with_email( 'li@apply.test' )[0]['id'] );
		// The program's welcome is its choice; approved at once all the same.
		$this->program( array( 'affiliate_emails' => array( 'payout.created' ) ) );
		$this->apply( array( 'name' => 'Quiet', 'email' => 'quiet@apply.test' ) );
		$this->assertSame( 'approved', $this->with_email( 'quiet@apply.test' )[0]['status'] );
		$this->assertEqualsCanonicalizing( array( 'dang-minh-anh', 'dang-minh-anh-3', 'somchai-j', 'affiliate' ), array_column( $this->outbox(), 2 ) );
		$this->assertSame( array( 'affiliate.approved' ), array_values( array_unique( array_column( $this->outbox(), 0 ) ) ) );
		// An approved applicant's link credits them at once.
		$this->assertSame( 'approved', Reftrail_Affiliates::get( 'quiet' )['status'] );
		$this->click( 'quiet' );
	}

	public function test_ids_are_taken_up_to_99_then_get_a_random_tail() {
		global $wpdb;
		$t = Reftrail_Db::table( 'affiliates' );
		foreach ( array_merge( array( 'bob' ), array_map( fn( $n ) => 'bob-' . $n, range( 2, 99 ) ) ) as $id ) {
			$wpdb->insert(
				$t,
				array(
					'id'         => $id,
					'name'       => 'Bob',
					'category'   => 'other',
					'status'     => 'approved',
					'created_at' => 1,
					'updated_at' => 1,
				)
			);
		}
		$wpdb->delete( $t, array( 'id' => 'bob-7' ) );
		$this->assertSame( 'bob-7', Reftrail_Affiliates::free_id( 'bob' ), 'the first free one' );
		$this->affiliate( 'bob-7' );
		$this->apply( array( 'name' => 'Bob', 'email' => 'bob@apply.test' ) );
		$id = $this->with_email( 'bob@apply.test' )[0]['id'];
		$this->assertMatchesRegularExpression( '/^bob-[a-z0-9]{6}$/D', $id );
		// The suggestion does not depend on the site's language (remove_accents() spells `ö` `oe` in German).
		$de = fn() => 'de_DE';
		add_filter( 'locale', $de );
		try {
			$this->assertSame( 'jorg-muller-ae', Reftrail_Affiliates::suggest_id( 'Jörg Müller Æ', 'j@x.test' ) );
		} finally {
			remove_filter( 'locale', $de );
		}
	}

	public function test_a_taken_link_name_is_refused_whatever_the_address() {
		$this->member( 'Taken', 'owner@apply.test', 'suspended' );
		$before = $this->counts();
		foreach ( array( 'owner@apply.test', 'new@apply.test' ) as $email ) {
			foreach ( array( 'Taken', 'taken', 'TAKEN' ) as $id ) {
				$this->refused( $this->apply( array( 'id' => $id, 'name' => 'Copycat', 'email' => $email ) ), 409, 'affiliate_exists', $id . ' ' . $email );
			}
		}
		$this->assertSame( $before, $this->counts(), 'nothing written, not counted for the hourly limit' );
		list( $s ) = $this->apply( array( 'id' => 'Free.Name_1', 'name' => 'Free', 'email' => 'new@apply.test' ) );
		$this->assertSame( 202, $s );
		$this->assertSame( 'new@apply.test', $this->show_affiliate( 'Free.Name_1' )['email'] );
	}

	public function test_a_known_address_gets_the_same_answer_and_nothing_is_created() {
		$this->member( 'zed', 'known@apply.test', 'suspended' );
		$this->member( 'amy', 'Known@Apply.test', 'pending' );
		$this->member( 'bea', 'known@apply.test', 'approved' );
		$before         = $this->counts();
		list( $s, $d )  = $this->apply( array( 'name' => 'Someone', 'email' => 'KNOWN@apply.test', 'website' => 'https://x.test' ) );
		list( $s2, $d2 ) = $this->apply( array( 'name' => 'Someone', 'email' => 'unknown@apply.test' ) );
		$this->assertSame( array( 202, 202 ), array( $s, $s2 ) );
		$this->assertSame( $d2, $d, 'the same answer for both addresses' );
		$after = $this->counts();
		$this->assertSame( 1, $after['affiliates'] - $before['affiliates'], 'only the unknown address became an affiliate' );
		$this->assertSame( 2, $after['application_attempts'] - $before['application_attempts'], 'both counted for the hourly limit' );
		$this->assertSame( array( 'amy', 'bea', 'zed' ), array_column( $this->with_email( 'known@apply.test' ), 'id' ) );
		$this->assertNull( $this->show_affiliate( 'amy' )['application'], 'unchanged' );
		// The first affiliate by id that is not suspended is told, with its status.
		$this->assertSame( array( array( 'application.exists', 'affiliate', 'amy', '{"status":"pending"}' ) ), $this->queued( 'application.exists' ) );
		$this->assertCount( 1, $this->queued( 'application.received' ) );
		// An address only suspended affiliates have: nothing created, nobody told.
		$this->member( 'gone', 'gone@apply.test', 'suspended' );
		$outbox = count( $this->outbox() );
		list( $s, $d ) = $this->apply( array( 'name' => 'Gone', 'email' => 'gone@apply.test' ) );
		$this->assertSame( array( 202, array( 'status' => 'pending' ) ), array( $s, $d ) );
		$this->assertSame( array( 'gone' ), array_column( $this->with_email( 'gone@apply.test' ), 'id' ) );
		$this->assertCount( $outbox, $this->outbox() );
		$this->assertFalse( get_user_by( 'email', 'gone@apply.test' ), 'no WordPress account either' );
		// Only WordPress's email to the one new applicant went out at once.
		$this->assertSame( array( 'unknown@apply.test' ), array_column( $this->mails, 'to' ) );
	}

	public function test_a_wordpress_user_without_an_affiliate_is_told_to_sign_in_and_apply() {
		$uid    = $this->user( 'subscriber' );
		$email  = get_userdata( $uid )->user_email;
		$before = $this->counts();
		list( $s, $d ) = $this->apply( array( 'name' => 'Sub', 'email' => strtoupper( $email ) ) );
		$this->assertSame( array( 202, array( 'status' => 'pending' ) ), array( $s, $d ) );
		$after = $this->counts();
		$this->assertSame( array( 0, 0, 1 ), array( $after['affiliates'] - $before['affiliates'], $after['users'] - $before['users'], $after['application_attempts'] - $before['application_attempts'] ) );
		$this->assertSame( array( array( 'application.sign_in', 'user', '', '{"user":' . $uid . '}' ) ), $this->outbox() );
		$this->assertSame( array( 'subscriber' ), array_values( get_userdata( $uid )->roles ), 'their account is left as it is' );
		$this->assertSame( array(), $this->mails );
		// A user linked to an affiliate whose contact address is another: that affiliate is told.
		$linked = $this->user( 'subscriber' );
		$this->member( 'linked', 'elsewhere@apply.test', 'approved', array( 'user_id' => $linked ) );
		$this->apply( array( 'name' => 'Linked', 'email' => get_userdata( $linked )->user_email ) );
		$this->assertSame( array( array( 'application.exists', 'affiliate', 'linked', '{"status":"approved"}' ) ), $this->queued( 'application.exists' ) );
		$this->assertSame( array( 'linked' ), array_column( Reftrail_Affiliates::index( '', '', 500, 0 )['affiliates'], 'id' ) );
	}

	public function test_new_accounts_get_unique_logins_and_no_lead() {
		$this->user( 'subscriber' );
		wp_insert_user(
			array(
				'user_login' => 'mai',
				'user_pass'  => wp_generate_password( 20 ),
				'user_email' => 'mai@elsewhere.test',
			)
		);
		$emails = array( 'mai@one.test', 'mai@two.test', "o'neil+x@apply.test", "'''@apply.test" );
		foreach ( $emails as $email ) {
			list( $s ) = $this->apply( array( 'name' => 'Someone Else', 'email' => $email ) );
			$this->assertSame( 202, $s, $email );
		}
		$this->assertSame( array( 'mai-2', 'mai-3', 'oneilx', 'affiliate' ), array_map( fn( $e ) => get_user_by( 'email', $e )->user_login, $emails ) );
		// An address WordPress would not make an account for is refused as the field's error.
		$this->refused( $this->apply( array( 'name' => 'Ñandú', 'email' => 'ñandú@apply.test' ) ), 400, 'invalid_email' );
	}

	public function test_a_signed_in_user_applies_as_themself() {
		$uid  = $this->user( 'subscriber' );
		$user = get_userdata( $uid );
		wp_set_current_user( $uid );
		$before = $this->counts();
		$this->refused( $this->apply( array( 'name' => 'Me', 'email' => 'someone.else@apply.test' ) ), 400, 'invalid_email', 'another address' );
		$this->assertSame( $before, $this->counts() );
		list( $s, $d ) = $this->apply( array( 'name' => 'Me Myself', 'email' => strtoupper( $user->user_email ), 'id' => 'me-myself' ) );
		$this->assertSame( array( 202, array( 'status' => 'pending' ) ), array( $s, $d ) );
		$after = $this->counts();
		$this->assertSame( 0, $after['users'] - $before['users'], 'no new account' );
		$this->assertSame( 'me-myself', Reftrail_Affiliates::by_user( $uid ) );
		$this->assertContains( Reftrail_Schema::ROLE, get_userdata( $uid )->roles, 'the affiliate role, added' );
		$this->assertCount( count( $user->roles ) + 1, get_userdata( $uid )->roles, 'their other role kept' );
		$this->assertSame( array(), $this->mails, 'no password to set' );
		$this->assertEqualsCanonicalizing( array( 'application.received', 'affiliate.applied' ), array_column( $this->outbox(), 0 ) );
		// Again: they have an account, so nothing is created and they are told.
		list( $s, $d ) = $this->apply( array( 'name' => 'Me Again', 'email' => $user->user_email ) );
		$this->assertSame( array( 202, array( 'status' => 'pending' ) ), array( $s, $d ) );
		$this->assertSame( array( array( 'application.exists', 'affiliate', 'me-myself', '{"status":"pending"}' ) ), $this->queued( 'application.exists' ) );
		$this->assertSame( array( 'me-myself' ), array_column( Reftrail_Affiliates::index( '', '', 500, 0 )['affiliates'], 'id' ) );
		// An affiliate the merchant added with their address is not handed to them.
		wp_set_current_user( $this->user( 'subscriber' ) );
		$other = wp_get_current_user();
		$this->member( 'kept', $other->user_email );
		$this->apply( array( 'name' => 'Other', 'email' => $other->user_email ) );
		$this->assertNull( Reftrail_Affiliates::by_user( $other->ID ) );
		$this->assertContains( array( 'application.exists', 'affiliate', 'kept', '{"status":"approved"}' ), $this->queued( 'application.exists' ) );
	}

	public function test_one_address_may_apply_only_so_often() {
		$this->open( 'review', null, 2 );
		$_SERVER['REMOTE_ADDR'] = '203.0.113.9';
		$this->now_is( 1790000000 );
		$this->member( 'taken', 'taken@apply.test' );
		// Refusals do not count.
		$this->refused( $this->apply( array( 'name' => '', 'email' => 'x@apply.test' ) ), 400, 'invalid_name' );
		$this->refused( $this->apply( array( 'name' => 'X', 'email' => 'x@apply.test', 'id' => 'taken' ) ), 409, 'affiliate_exists' );
		// Known addresses do.
		$this->assertSame( 202, $this->apply( array( 'name' => 'Known', 'email' => 'taken@apply.test' ) )[0] );
		$this->assertSame( 202, $this->apply( array( 'name' => 'One', 'email' => 'one@apply.test' ) )[0] );
		$before = $this->counts();
		$this->refused( $this->apply( array( 'name' => 'Two', 'email' => 'two@apply.test' ) ), 429, 'rate_limited' );
		// The limit is said before the link name is looked at.
		$this->refused( $this->apply( array( 'name' => 'Two', 'email' => 'two@apply.test', 'id' => 'taken' ) ), 429, 'rate_limited' );
		$this->assertSame( $before, $this->counts(), 'a refused application writes nothing' );
		$this->assertSame( array(), $this->with_email( 'two@apply.test' ) );
		// Another address has its own hour.
		$_SERVER['REMOTE_ADDR'] = '2001:db8::1';
		$this->assertSame( 202, $this->apply( array( 'name' => 'Three', 'email' => 'three@apply.test' ) )[0] );
		// An hour later, the first address may apply again; rows older than the hour are deleted.
		$_SERVER['REMOTE_ADDR'] = '203.0.113.9';
		$this->now_is( 1790000000 + 3600 );
		$this->assertSame( 202, $this->apply( array( 'name' => 'Two', 'email' => 'two@apply.test' ) )[0] );
		global $wpdb;
		$this->assertSame( array( '1790003600' ), $wpdb->get_col( 'SELECT at FROM ' . Reftrail_Db::table( 'application_attempts' ) ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		// The table keeps a salted hash, never the address.
		$this->assertSame( '0', $wpdb->get_var( $wpdb->prepare( 'SELECT COUNT(*) FROM ' . Reftrail_Db::table( 'application_attempts' ) . ' WHERE ip_hash LIKE %s OR ip_hash = %s', '%203.0%', hash( 'sha256', '203.0.113.9' ) ) ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
	}

	public function test_terms_must_be_accepted_and_are_kept_as_they_were() {
		$this->open( 'review', 'https://shop.test/affiliate-terms' );
		$before = $this->counts();
		foreach ( array( null, false ) as $accepted ) {
			$body = array( 'name' => 'Terms', 'email' => 'terms@apply.test' );
			if ( null !== $accepted ) {
				$body['terms_accepted'] = $accepted;
			}
			$this->refused( $this->apply( $body ), 422, 'terms_not_accepted', wp_json_encode( $accepted ) );
		}
		// A field's error comes first.
		$this->refused( $this->apply( array( 'name' => 'Terms', 'email' => 'terms@apply.test', 'category' => 'x' ) ), 400, 'invalid_category' );
		$this->assertSame( $before, $this->counts() );
		$this->apply( array( 'name' => 'Terms', 'email' => 'terms@apply.test', 'terms_accepted' => true ) );
		$this->open( 'review', 'https://shop.test/terms-v2' );
		$this->assertSame( 'https://shop.test/affiliate-terms', $this->with_email( 'terms@apply.test' )[0]['application']['terms_url'], 'the terms accepted, as they were' );
	}

	public function test_a_write_that_fails_leaves_nothing_behind() {
		global $wpdb;
		$table = Reftrail_Db::table( 'applications' );
		add_filter( 'query', fn( $q ) => false !== strpos( $q, "INSERT INTO `{$table}`" ) ? 'SELECT * FROM `no_such_table_reftrail`' : $q );
		$before = $this->counts();
		$suppress = $wpdb->suppress_errors( true );
		try {
			$answer = $this->apply( array( 'name' => 'Fails', 'email' => 'fails@apply.test', 'website' => 'https://fails.test' ) );
		} finally {
			$wpdb->suppress_errors( $suppress );
		}
		$this->refused( $answer, 503, 'unavailable' );
		remove_all_filters( 'query' );
		$this->assertSame( $before, $this->counts(), 'the affiliate, the account, the count, the log and the emails rolled back' );
		$this->assertFalse( get_user_by( 'email', 'fails@apply.test' ), 'and forgotten by WordPress\'s cache' );
		$this->assertSame( array(), $this->mails, 'WordPress\'s email waits for the commit' );
		list( $s ) = $this->apply( array( 'name' => 'Fails', 'email' => 'fails@apply.test' ) );
		$this->assertSame( 202, $s, 'the same application goes through afterwards' );
	}

	public function test_the_list_filter_by_email() {
		$this->member( 'ann', 'Ann@Apply.test' );
		$this->member( 'ann2', 'ann@apply.test', 'pending' );
		$this->member( 'anne', 'anne@apply.test' );
		$this->assertSame( array( 'ann', 'ann2' ), array_column( $this->with_email( 'ANN@apply.test' ), 'id' ) );
		list( $s, $d ) = $this->rest( 'GET', '/v1/affiliates?status=pending&email=ann%40apply.test', null, $this->sk() );
		$this->assertSame( array( 200, array( 'ann2' ), 1 ), array( $s, array_column( $d['affiliates'], 'id' ), $d['total'] ) );
		foreach ( array( 'ann@apply.tes', '%@apply.test', "ann@apply.test' OR '1'='1", 'ann@apply.test ' ) as $email ) {
			$this->assertSame( array(), $this->with_email( $email ), $email );
		}
		$this->assertSame( array( 'ann', 'ann2', 'anne' ), array_column( $this->with_email( '' ), 'id' ), 'empty: no filter' );
		$this->refused( $this->rest( 'GET', '/v1/affiliates?email=' . str_repeat( 'a', 244 ) . '%40apply.test', null, $this->sk() ), 400, 'invalid_query' );
		$this->refused( $this->rest( 'GET', '/v1/affiliates?email[]=ann%40apply.test', null, $this->sk() ), 400, 'invalid_query' );
		$this->assertSame( 200, $this->rest( 'GET', '/v1/affiliates?email=' . str_repeat( 'a', 243 ) . '%40apply.test', null, $this->sk() )[0], '254 bytes' );
		// Merchant callers only, as the list is.
		$this->refused( $this->rest( 'GET', '/v1/affiliates?email=ann%40apply.test' ), 401, 'unauthorized' );
	}

	public function test_the_form_for_visitors_applies_as_the_route_does() {
		$this->open( 'closed' );
		$this->assertStringContainsString( 'This program is not taking applications at the moment.', do_shortcode( '[reftrail_register]' ) );
		$this->assertStringNotContainsString( '<form', do_shortcode( '[reftrail_portal]' ) );
		$terms = 'https://shop.test/terms?a=1&b="2"';
		$this->open( 'review', $terms );
		$form = do_shortcode( '[reftrail_register]' );
		$this->assertStringContainsString( 'href="' . esc_url( $terms ) . '" target="_blank" rel="noopener"', $form );
		foreach ( array( 'name="_reftrail_apply_nonce"', 'name="reftrail_apply_name"', 'name="reftrail_apply_email" type="email"', 'name="reftrail_apply_id"', 'name="reftrail_apply_website" type="url"', '<textarea name="reftrail_apply_message"', '<select name="reftrail_apply_category">', '<option value="influencer">Influencer</option>', '<option value="other" selected=\'selected\'>Other</option>', 'name="reftrail_apply_terms" value="1" required' ) as $part ) {
			$this->assertStringContainsString( $part, $form );
		}
		$this->assertSame( $form, do_blocks( '<!-- wp:reftrail/register /-->' ), 'the block renders the same' );
		$this->assertStringContainsString( 'name="reftrail_apply_name"', do_shortcode( '[reftrail_portal]' ), 'the portal offers it to visitors' );
		// Unless its page has the sign-up form: one form a page.
		foreach ( array( '[reftrail_portal] [reftrail_register]', '<!-- wp:reftrail/portal /--><!-- wp:reftrail/register /-->' ) as $content ) {
			$GLOBALS['post'] = get_post( wp_insert_post( array( 'post_type' => 'page', 'post_status' => 'publish', 'post_title' => 'Join', 'post_content' => $content ) ) );
			try {
				$this->assertSame( 1, substr_count( do_shortcode( do_blocks( $content ) ), 'name="reftrail_apply_name"' ), $content );
			} finally {
				unset( $GLOBALS['post'] );
			}
		}
		// Without its nonce: refused, nothing written.
		$before = $this->counts();
		$_POST  = array(
			'reftrail_apply'        => '1',
			'reftrail_apply_name'   => 'Sneaky',
			'reftrail_apply_email'  => 'sneaky@apply.test',
			'reftrail_apply_terms'  => '1',
		);
		$this->assertStringContainsString( 'The form expired; please try again.', do_shortcode( '[reftrail_register]' ) );
		$this->assertSame( $before, $this->counts() );
		// A field's error: its message over the form, filled in again, escaped.
		$_POST = wp_slash(
			array(
				'reftrail_apply'          => '1',
				'_reftrail_apply_nonce'   => wp_create_nonce( 'reftrail_apply' ),
				'reftrail_apply_name'     => '<script>alert(1)</script>',
				'reftrail_apply_email'    => 'form@apply.test',
				'reftrail_apply_website'  => 'lan.example',
				'reftrail_apply_message'  => "Line one\r\n</textarea><b>two</b>",
				'reftrail_apply_category' => 'influencer',
				'reftrail_apply_terms'    => '1',
			)
		);
		$out = do_shortcode( '[reftrail_register]' );
		$this->assertStringContainsString( '<p class="reftrail-error" role="alert">The website must be an address starting with http:// or https://, without spaces.</p>', $out );
		$this->assertStringContainsString( 'value="&lt;script&gt;alert(1)&lt;/script&gt;"', $out );
		$this->assertStringNotContainsString( '<script>', $out );
		$this->assertStringContainsString( "Line one\r\n&lt;/textarea&gt;&lt;b&gt;two&lt;/b&gt;</textarea>", $out );
		$this->assertStringContainsString( '<option value="influencer" selected=\'selected\'>', $out );
		$this->assertSame( $before, $this->counts() );
		// Sent right: the outcome, once however many times the form is on the page.
		$_POST['reftrail_apply_website'] = 'https://form.example';
		$_POST['reftrail_apply_id']      = ' form-id ';
		$out                             = do_shortcode( '[reftrail_register]' );
		$this->assertSame( '<p class="reftrail-register reftrail-applied">Thank you! We have your application and will email you when it has been reviewed.</p>', $out );
		$this->assertStringContainsString( $out, do_shortcode( '[reftrail_portal]' ) );
		$a = $this->show_affiliate( 'form-id' );
		$this->assertSame( array( '<script>alert(1)</script>', 'form@apply.test', 'influencer', 'pending' ), array( $a['name'], $a['email'], $a['category'], $a['status'] ) );
		$this->assertSame( array( 'https://form.example', "Line one\r\n</textarea><b>two</b>", 'https://shop.test/terms?a=1&b="2"' ), array( $a['application']['website'], $a['application']['message'], $a['application']['terms_url'] ) );
		$this->assertSame( 1, $this->counts()['affiliates'] - $before['affiliates'] );
		// The terms unticked, in an automatic program: the refusal, then the approval's words.
		$this->open( 'auto', 'https://shop.test/terms' );
		$_POST['reftrail_apply_email'] = 'auto@apply.test';
		unset( $_POST['reftrail_apply_id'], $_POST['reftrail_apply_terms'] );
		$this->assertStringContainsString( esc_html__( "Please accept the program's terms to apply.", 'reftrail' ), do_shortcode( '[reftrail_register]' ) );
		$_POST['reftrail_apply_terms'] = '1';
		$this->assertStringContainsString( 'Thank you! Check your email', do_shortcode( '[reftrail_register]' ) );
		$this->assertSame( 'approved', $this->with_email( 'auto@apply.test' )[0]['status'] );
	}

	public function test_the_form_speaks_the_visitors_language() {
		$vi = fn() => 'vi';
		add_filter( 'locale', $vi );
		unload_textdomain( 'reftrail' );
		Reftrail_Plugin::load_textdomain();
		try {
			$form = do_shortcode( '[reftrail_register]' );
			$_POST = wp_slash(
				array(
					'reftrail_apply'        => '1',
					'_reftrail_apply_nonce' => wp_create_nonce( 'reftrail_apply' ),
					'reftrail_apply_name'   => 'Lan',
					'reftrail_apply_email'  => 'lan@apply.test',
					'reftrail_apply_id'     => 'has space',
				)
			);
			$out = do_shortcode( '[reftrail_register]' );
		} finally {
			remove_filter( 'locale', $vi );
			unload_textdomain( 'reftrail' );
			Reftrail_Plugin::load_textdomain();
		}
		$this->assertStringContainsString( 'Gửi đơn đăng ký', $form );
		$this->assertStringContainsString( '<option value="comparison">So sánh giá</option>', $form );
		$this->assertStringContainsString( 'Tên liên kết gồm 1 đến 64 chữ, số, -, _ hoặc . và không có khoảng trắng.', $out );
	}

	public function test_a_signed_in_user_keeps_the_registration_form_which_keeps_an_application() {
		$this->open( 'closed' );
		$uid = $this->user( 'subscriber' );
		wp_set_current_user( $uid );
		$this->assertStringContainsString( 'name="reftrail_id"', do_shortcode( '[reftrail_register]' ), 'whatever the public form does' );
		$_POST = array(
			'reftrail_register' => '1',
			'reftrail_id'       => 'member',
			'reftrail_name'     => 'Member',
			'reftrail_payout'   => '',
			'_reftrail_nonce'   => wp_create_nonce( 'reftrail_register' ),
		);
		$this->assertStringContainsString( 'waiting for approval', do_shortcode( '[reftrail_register]' ) );
		$a = $this->show_affiliate( 'member' );
		$this->assertSame( array( 'pending', null, null, null ), array( $a['status'], $a['application']['website'], $a['application']['message'], $a['application']['terms_url'] ) );
		$this->assertSame( 'member', Reftrail_Affiliates::by_user( $uid ) );
		list( , $log ) = $this->rest( 'GET', '/v1/activity?action=affiliate.applied', null, $this->sk() );
		$this->assertSame( array( 'affiliate:member' ), array_column( $log['activity'], 'by' ) );
	}

	public function test_what_an_applicant_wrote_is_in_their_personal_data_export() {
		$this->apply(
			array(
				'name'    => 'Exported',
				'email'   => 'export@apply.test',
				'website' => 'https://export.example',
				'message' => 'Reviews on my blog.',
			)
		);
		$this->member( 'added', 'added@apply.test' );
		$pairs = function ( $email ) {
			$items = array_values( array_filter( Reftrail_Privacy_Tools::export( $email )['data'], fn( $i ) => 'reftrail-affiliate' === $i['group_id'] ) );
			$this->assertCount( 1, $items, $email );
			return array_column( $items[0]['data'], 'value', 'name' );
		};
		$data = $pairs( 'export@apply.test' );
		$this->assertSame( array( 'https://export.example', 'Reviews on my blog.' ), array( $data['Website or channel'] ?? null, $data['How they would promote the shop'] ?? null ) );
		$this->assertArrayHasKey( 'Applied', $data );
		$this->assertArrayNotHasKey( 'Applied', $pairs( 'added@apply.test' ), 'nothing for an affiliate the merchant added' );
	}

	public function test_the_openapi_document_names_the_routes() {
		list( $s, $doc ) = $this->rest( 'GET', '/v1/openapi.json' );
		$this->assertSame( 200, $s );
		$this->assertSame( array( 'get' ), array_keys( $doc['paths']['/v1/portal/program'] ) );
		$post = $doc['paths']['/v1/portal/applications']['post'];
		$this->assertArrayHasKey( '202', $post['responses'] );
		$this->assertArrayNotHasKey( 'security', $post );
		$body = $post['requestBody']['content']['application/json']['schema'];
		$this->assertSame( array( array( 'name', 'email' ), false ), array( $body['required'], $body['additionalProperties'] ) );
		$this->assertSame( Reftrail_Applications::FIELDS, array_keys( $body['properties'] ) );
		foreach ( array( 'applications_closed', 'invalid_terms_accepted', 'terms_not_accepted', 'rate_limited', 'affiliate_exists', 'origin_not_allowed' ) as $code ) {
			$this->assertStringContainsString( $code, $post['summary'] );
		}
		$this->assertContains( 'email', array_column( $doc['paths']['/v1/affiliates']['get']['parameters'], 'name' ) );
		$this->assertStringContainsString( 'affiliate.applied', $doc['paths']['/v1/activity']['get']['summary'] );
		foreach ( array( 'invalid_applications', 'invalid_terms_url', 'applications_per_ip_per_hour' ) as $word ) {
			$this->assertStringContainsString( $word, $doc['paths']['/v1/program']['put']['summary'] );
		}
		$schema = ( new Reftrail_REST_Portal_Controller() )->get_public_item_schema();
		$this->assertSame( Reftrail_Applications::FIELDS, array_keys( $schema['properties'] ) );
		$this->assertArrayHasKey( 'application', ( new Reftrail_REST_Affiliates_Controller() )->get_public_item_schema()['properties'] );
	}

	public function test_the_upgrade_from_20_adds_the_applications() {
		global $wpdb;
		$ap = Reftrail_Db::table( 'applications' );
		$at = Reftrail_Db::table( 'application_attempts' );
		$a  = Reftrail_Db::table( 'affiliates' );
		$id = 'upgrade_' . strtolower( wp_generate_password( 8, false ) );
		// A site of version 20 with an affiliate and a program stored without the new settings.
		$wpdb->query( "DROP TABLE IF EXISTS {$ap}" ); // phpcs:ignore
		$wpdb->query( "DROP TABLE IF EXISTS {$at}" ); // phpcs:ignore
		$wpdb->insert(
			$a,
			array(
				'id'         => $id,
				'name'       => 'Before',
				'email'      => $id . '@apply.test',
				'category'   => 'other',
				'status'     => 'approved',
				'created_at' => 1780000000,
				'updated_at' => 1780000000,
			)
		);
		$program = get_option( Reftrail_Program::OPTION );
		$stored  = $program;
		unset( $stored['applications'], $stored['terms_url'], $stored['fraud']['applications_per_ip_per_hour'] );
		update_option( Reftrail_Program::OPTION, $stored );
		update_option( Reftrail_Schema::OPTION, 20 );
		try {
			Reftrail_Schema::maybe_upgrade();
			$version = (int) get_option( Reftrail_Schema::OPTION );
			$columns = array(
				$wpdb->get_col( "SHOW COLUMNS FROM {$ap}" ), // phpcs:ignore
				$wpdb->get_col( "SHOW COLUMNS FROM {$at}" ), // phpcs:ignore
			);
			$indexes = array_values( array_unique( $wpdb->get_col( "SHOW INDEX FROM {$at}", 2 ) ) ); // phpcs:ignore
			$before  = Reftrail_Affiliates::get( $id )['application'];
			$read    = Reftrail_Program::get();
			// The new tables work on the upgraded site (the rows rolled back).
			Reftrail_Db::begin();
			try {
				$this->program( array( 'applications' => 'review' ) );
				$known  = Reftrail_Applications::apply( array( 'name' => 'Again', 'email' => $id . '@apply.test' ), '192.0.2.1' );
				$status = Reftrail_Applications::apply( array( 'name' => 'After Upgrade', 'email' => 'after.' . $id . '@apply.test' ), '192.0.2.1' );
				$made   = $this->with_email( 'after.' . $id . '@apply.test' );
				$counts = (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$at}" ); // phpcs:ignore
			} finally {
				Reftrail_Db::rollback();
				wp_cache_flush();
			}
			Reftrail_Schema::upgrade();
			$error = $wpdb->last_error;
		} finally {
			$wpdb->delete( $a, array( 'id' => $id ) );
			update_option( Reftrail_Program::OPTION, $program );
		}
		$this->assertSame( Reftrail_Schema::VERSION, $version, 'brought up to the current schema' );
		$this->assertGreaterThanOrEqual( 21, Reftrail_Schema::VERSION, 'applications came with schema 21' );
		$this->assertSame( array( array( 'affiliate_id', 'website', 'message', 'terms_url', 'applied_at' ), array( 'id', 'at', 'ip_hash' ) ), $columns );
		$this->assertSame( array( 'PRIMARY', 'ip_at', 'at' ), $indexes );
		$this->assertNull( $before, 'an affiliate of before has no application' );
		$this->assertSame( array( 'closed', null, 10 ), array( $read['applications'], $read['terms_url'], $read['fraud']['applications_per_ip_per_hour'] ), 'the stored program reads the defaults' );
		$this->assertSame( array( 'pending', 'pending', 2 ), array( $known, $status, $counts ) );
		$this->assertSame( 'after-upgrade', $made[0]['id'] ?? null );
		$this->assertSame( '', $error, 'upgrading again changes nothing' );
		$this->assertContains( 'applications', Reftrail_Schema::TABLES );
		$this->assertContains( 'application_attempts', Reftrail_Schema::TABLES );
	}

	/**
	 * Makes `$t` the plugin's now.
	 *
	 * @param int $t Unix seconds.
	 */
	private function now_is( $t ) {
		remove_all_filters( 'reftrail_now' );
		add_filter( 'reftrail_now', fn() => $t );
	}
}
