<?php
/**
 * The merchant's deliveries, as the server's tests/deliveries.rs checks them, on a database these
 * tests reach into: a postback or webhook event given up after its attempts is sent again by hand
 * and then delivered by the worker to a receiver on the test site (the postback tracker and the
 * webhook receiver of tests/mu-plugins/reftrail-test-webhook.php); one a worker may hold is left
 * to it; both outboxes interleave in pages, newest first; a shop manager sees and sends again
 * postbacks but not the owner's webhook events, a viewer reads postbacks only. A webhook test
 * event is signed as the events are. A delivery given up emails the administrator once per
 * endpoint and day, unless the settings say not to. And the routes in the OpenAPI document, the
 * index the list reads through.
 *
 * @package Reftrail
 */

/**
 * Deliveries tests.
 */
class DeliveriesTest extends Reftrail_Test_Case {

	/** The tests that commit (an index dropped and made again): outside the transaction. */
	const COMMITTING_TESTS = array( 'test_the_upgrade_from_25_adds_the_index_by_time' );

	/** @var string[] The receivers' files these tests may have made, removed after each. */
	private $files = array();

	/** @var array[] The messages wp_mail() was given. */
	private $mails = array();

	protected function setUp(): void {
		$this->transactional = ! in_array( $this->getName( false ), self::COMMITTING_TESTS, true );
		parent::setUp();
		add_filter( 'pre_wp_mail', array( $this, 'catch_mail' ), 10, 2 );
	}

	protected function tearDown(): void {
		foreach ( $this->files as $file ) {
			if ( file_exists( $file ) ) {
				unlink( $file );
			}
		}
		remove_filter( 'pre_wp_mail', array( $this, 'catch_mail' ), 10 );
		remove_all_filters( 'pre_option_admin_email' );
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
	 * A tracker on the test site that answers 200: its address, with `{event}` filled in, and the
	 * file of the requests it got.
	 *
	 * @return string[] [template, log file]
	 */
	private function tracker() {
		$id            = strtolower( wp_generate_password( 12, false ) );
		$file          = getenv( 'WP_DOCROOT' ) . '/wp-content/reftrail-postback-' . $id . '.log';
		$this->files[] = $file;
		return array( untrailingslashit( (string) getenv( 'WP_URL' ) ) . '/?reftrail_test_postback=' . $id . '&e={event}', $file );
	}

	/**
	 * How many requests the tracker writing `$file` got.
	 *
	 * @param string $file Its file.
	 * @return int
	 */
	private static function tracked( $file ) {
		return file_exists( $file ) ? count( array_filter( explode( "\n", (string) file_get_contents( $file ) ) ) ) : 0;
	}

	/**
	 * A webhook receiver on the test site: its address and the file where it keeps the last
	 * request (`signature`, `user_agent`, `body`).
	 *
	 * @param bool $fail Whether it answers 500.
	 * @return string[] [url, file]
	 */
	private function receiver( $fail = false ) {
		$id            = strtolower( wp_generate_password( 12, false ) );
		$file          = getenv( 'WP_DOCROOT' ) . '/wp-content/reftrail-webhook-' . $id . '.json';
		$this->files[] = $file;
		return array( untrailingslashit( (string) getenv( 'WP_URL' ) ) . '/?reftrail_test_webhook=' . $id . ( $fail ? '&fail=1' : '' ), $file );
	}

	/**
	 * The program of the server's tests: approved by hand, affiliate alice (coupon A10) whose
	 * tracker is `$template`, and one sale of hers, whose `created` postback is queued.
	 *
	 * @param string $template Alice's postback URL.
	 */
	private function program_with_a_postback( $template ) {
		$this->program( array( 'auto_approve' => false ) );
		$token = $this->affiliate(
			'alice',
			array(
				'name'    => 'Alice',
				'coupons' => array( 'A10' ),
			)
		)['token'];
		list( $s, $d ) = $this->rest( 'PUT', '/v1/me/postback', array( 'url' => $template ), array( 'authorization' => 'Bearer ' . $token ) );
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
		list( $s, $d ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'D-1', 'amount' => 1000, 'currency' => 'USD', 'coupon' => 'A10' ), $this->sk() );
		$this->assertSame( 201, $s, wp_json_encode( $d ) );
	}

	/**
	 * GET /v1/deliveries`$query` with the secret key (or `$headers`); the page.
	 *
	 * @param string     $query   Query, with its `?`.
	 * @param array|null $headers Headers.
	 * @return array
	 */
	private function page( $query = '', $headers = null ) {
		list( $s, $d ) = $this->rest( 'GET', '/v1/deliveries' . $query, null, $headers ?? $this->sk() );
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
		return $d;
	}

	/**
	 * The only postback of the list.
	 *
	 * @return array
	 */
	private function only_postback() {
		$page = $this->page( '?kind=postback' );
		$this->assertCount( 1, $page['deliveries'], wp_json_encode( $page ) );
		return $page['deliveries'][0];
	}

	/**
	 * POST /v1/deliveries/`$id`/retry with the secret key (or `$headers`): [status, body].
	 *
	 * @param string     $id      Delivery.
	 * @param array|null $headers Headers.
	 * @return array
	 */
	private function retry( $id, $headers = null ) {
		return array_slice( $this->rest( 'POST', '/v1/deliveries/' . $id . '/retry', null, $headers ?? $this->sk() ), 0, 2 );
	}

	/**
	 * Marks every row of `$table` as given up after its twelve attempts.
	 *
	 * @param string $table Short table name.
	 */
	private static function give_up( $table ) {
		global $wpdb;
		$wpdb->query( 'UPDATE ' . Reftrail_Db::table( $table ) . " SET attempts = 12, failed_at = 1, next_at = 1, last_error = 'HTTP 503'" ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- fixed SQL.
	}

	/**
	 * Asserts a refusal.
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

	public function test_a_postback_given_up_is_sent_again_and_delivered() {
		list( $template, $log ) = $this->tracker();
		$this->program_with_a_postback( $template );
		self::give_up( 'postbacks' );
		$d = $this->only_postback();
		$this->assertSame( array( 'failed', 12, null ), array( $d['status'], $d['attempts'], $d['next_at'] ) );
		$this->assertSame( array( 'id', 'kind', 'event', 'url', 'affiliate_id', 'referral_id', 'at', 'status', 'attempts', 'last_error', 'next_at', 'delivered_at', 'failed_at' ), array_keys( $d ) );
		$this->assertSame( array( 'postback', 'created', 'alice', '1970-01-01T00:00:01Z' ), array( $d['kind'], $d['event'], $d['affiliate_id'], $d['failed_at'] ) );
		$this->assertSame(
			array(
				'pending'   => 0,
				'retrying'  => 0,
				'delivered' => 0,
				'failed'    => 1,
			),
			$this->page()['counts']
		);

		wp_clear_scheduled_hook( Reftrail_Webhooks::CRON );
		list( $s, $again ) = $this->retry( $d['id'] );
		$this->assertSame( 200, $s, wp_json_encode( $again ) );
		$this->assertSame( array( 'pending', 0, null ), array( $again['status'], $again['attempts'], $again['failed_at'] ) );
		$this->assertSame( 'HTTP 503', $again['last_error'], 'the last reason stays until the next try' );
		$this->assertIsString( $again['next_at'] );
		$this->assertLessThanOrEqual( time(), strtotime( $again['next_at'] ), 'due at once' );
		$this->assertSame( $again, $this->only_postback(), 'answered as the list shows it' );
		$next = wp_next_scheduled( Reftrail_Webhooks::CRON );
		$this->assertNotFalse( $next, 'a delivery round is asked for' );
		$this->assertLessThanOrEqual( time(), $next );
		list( , $log_page ) = $this->rest( 'GET', '/v1/activity?action=delivery.retried', null, $this->sk() );
		$entry              = $log_page['activity'][0];
		$this->assertSame( array( $d['id'], 'alice', 'secret_key', 'delivery.retried' ), array( $entry['subject'], $entry['affiliate'], $entry['by'], $entry['action'] ) );
		$this->assertSame(
			array(
				'kind'   => 'postback',
				'event'  => 'created',
				'url'    => $d['url'],
				'status' => 'failed',
			),
			$entry['details']
		);
		$this->assertCount( 1, $this->rest( 'GET', '/v1/activity?action=delivery.', null, $this->sk() )[1]['activity'], 'a family of its own' );

		// The worker sends it at once.
		$this->assertSame( 1, Reftrail_Postbacks::deliver_due() );
		$this->assertSame( 1, self::tracked( $log ) );
		$d = $this->only_postback();
		$this->assertSame( array( 'delivered', 1, null, null ), array( $d['status'], $d['attempts'], $d['last_error'], $d['next_at'] ) );
		$this->assertIsString( $d['delivered_at'] );
		$this->refused( $this->retry( $d['id'] ), 409, 'already_delivered' );
		$this->assertCount( 1, $this->rest( 'GET', '/v1/activity?action=delivery.retried', null, $this->sk() )[1]['activity'], 'a refusal records nothing' );
	}

	public function test_a_delivery_a_worker_may_hold_is_left_to_it() {
		global $wpdb;
		list( $template, $log ) = $this->tracker();
		$this->program_with_a_postback( $template );
		$id     = $this->only_postback()['id'];
		$t      = Reftrail_Db::table( 'postbacks' );
		$due_in = fn( $secs ) => $wpdb->query( $wpdb->prepare( "UPDATE {$t} SET attempts = 3, next_at = %d", Reftrail_Db::now() + $secs ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared

		// Due within the minute a claim lasts: perhaps being sent right now.
		$due_in( 30 );
		$this->refused( $this->retry( $id ), 409, 'delivery_due' );
		$this->assertSame( '3', $wpdb->get_var( "SELECT attempts FROM {$t}" ), 'unchanged' ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$this->assertSame( array(), $this->rest( 'GET', '/v1/activity?action=delivery.retried', null, $this->sk() )[1]['activity'] );

		// Waiting an hour after three failures: sent now, its attempts counted afresh.
		$due_in( 3600 );
		$page = $this->page( '?status=retrying' );
		$this->assertCount( 1, $page['deliveries'], wp_json_encode( $page ) );
		$this->assertSame( array( 1, 1, 1 ), array( $page['total'], $page['counts']['retrying'], $page['counts']['pending'] ) );
		$this->assertSame( 'pending', $page['deliveries'][0]['status'] );
		list( $s, $d ) = $this->retry( $id );
		$this->assertSame( array( 200, 0 ), array( $s, $d['attempts'] ?? null ), wp_json_encode( $d ) );
		$this->assertSame( 0, $this->page( '?status=retrying' )['total'] );
		$this->assertSame( 1, Reftrail_Postbacks::deliver_due() );
		$this->assertSame( 1, self::tracked( $log ), 'sent in the next round' );

		// An id of neither outbox, or written otherwise.
		$this->refused( $this->retry( 'pb_nothing' ), 404, 'delivery_not_found' );
		$this->refused( $this->retry( strtoupper( $id ) ), 404, 'delivery_not_found' );
	}

	public function test_a_webhook_given_up_is_sent_again_signed() {
		global $wpdb;
		list( $url, $file ) = $this->receiver();
		list( $template )   = $this->tracker();
		$this->program_with_a_postback( $template );
		$this->program(
			array(
				'webhooks' => array(
					array(
						'url'    => $url,
						'events' => array( 'referral.approved' ),
					),
				),
			)
		);
		list( , $list ) = $this->rest( 'GET', '/v1/referrals', null, $this->sk() );
		list( $s )      = $this->rest( 'POST', '/v1/referrals/' . $list['referrals'][0]['id'] . '/approve', null, $this->sk() );
		$this->assertSame( 200, $s );
		self::give_up( 'outbox' );

		$page = $this->page( '?kind=webhook&status=failed' );
		$hook = $page['deliveries'][0];
		$this->assertSame( array( 1, 'webhook', 'referral.approved', $url, null, null ), array( $page['total'], $hook['kind'], $hook['event'], $hook['url'], $hook['affiliate_id'], $hook['referral_id'] ) );
		$this->assertStringStartsWith( 'evt_', $hook['id'] );
		list( $s, $d ) = $this->retry( $hook['id'] );
		$this->assertSame( array( 200, 'pending' ), array( $s, $d['status'] ?? null ), wp_json_encode( $d ) );
		list( , $log_page ) = $this->rest( 'GET', '/v1/activity?action=delivery.retried', null, $this->sk() );
		$this->assertSame( array( $hook['id'], null, 'webhook' ), array( $log_page['activity'][0]['subject'], $log_page['activity'][0]['affiliate'], $log_page['activity'][0]['details']['kind'] ) );

		$this->assertSame( 1, Reftrail_Webhooks::deliver_due() );
		$this->assertSame( 'delivered', $this->page( '?kind=webhook' )['deliveries'][0]['status'] );
		$this->assertFileExists( $file );
		$got = json_decode( (string) file_get_contents( $file ), true );
		$this->assertSame( 1, preg_match( '/^t=(\d+),v1=[0-9a-f]{64}$/', $got['signature'], $m ) );
		$this->assertSame( Reftrail_Webhooks::signature( get_option( Reftrail_Keys::WEBHOOK ), (int) $m[1], $got['body'] ), $got['signature'] );
		$this->assertSame( array( $hook['id'], 'referral.approved' ), array( json_decode( $got['body'], true )['id'], json_decode( $got['body'], true )['type'] ) );
		$this->assertSame( '1', $wpdb->get_var( 'SELECT attempts FROM ' . Reftrail_Db::table( 'outbox' ) ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
	}

	/**
	 * Signs a new WordPress user of `$role` in to the dashboard; the headers of a change made with
	 * that session.
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
			'cookie'       => explode( ';', $h['Set-Cookie'] )[0],
			'x_csrf_token' => $session['csrf_token'],
		);
	}

	public function test_a_manager_sees_postbacks_and_not_the_owners_webhooks() {
		global $wpdb;
		list( $template ) = $this->tracker();
		$this->program_with_a_postback( $template );
		$wpdb->insert(
			Reftrail_Db::table( 'outbox' ),
			array(
				'id'         => 'evt_hook',
				'event'      => 'referral.created',
				'url'        => 'https://hooks.shop.example/secret-path',
				'payload'    => '{}',
				'at'         => 1,
				'attempts'   => 12,
				'next_at'    => 1,
				'failed_at'  => 1,
				'last_error' => 'HTTP 500',
			)
		);
		self::give_up( 'postbacks' );

		$manager = $this->user( self::manager_role() );
		wp_set_current_user( $manager );
		$page = $this->page( '', array() );
		$this->assertSame( array( 'postback' ), array_column( $page['deliveries'], 'kind' ) );
		$this->assertSame( array( 1, 1 ), array( $page['total'], $page['counts']['failed'] ), 'the webhook is not counted for them' );
		$this->assertStringNotContainsString( 'secret-path', wp_json_encode( $page ) );
		$this->refused( $this->rest( 'GET', '/v1/deliveries?kind=webhook', null, array() ), 403, 'role_forbidden' );
		$this->refused( $this->retry( 'evt_hook', array() ), 404, 'delivery_not_found' );
		$postback      = $page['deliveries'][0]['id'];
		list( $s, $d ) = $this->retry( $postback, array() );
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
		list( , $log_page ) = $this->rest( 'GET', '/v1/activity?action=delivery.retried', null, $this->sk() );
		$this->assertSame( 'user:' . get_userdata( $manager )->user_login, $log_page['activity'][0]['by'] );
		$this->refused( $this->rest( 'POST', '/v1/webhooks/test', array( 'url' => 'http://127.0.0.1:9/' ), array() ), 403, 'role_forbidden' );
		// Signed in to the dashboard, the same.
		wp_set_current_user( 0 );
		$session = $this->session_of( self::manager_role() );
		$this->assertSame( array( 'postback' ), array_column( $this->page( '', $session )['deliveries'], 'kind' ) );
		$this->refused( $this->retry( 'evt_hook', $session ), 404, 'delivery_not_found' );

		// A viewer reads the postbacks and sends nothing again.
		self::give_up( 'postbacks' );
		wp_set_current_user( $this->user( self::viewer_role() ) );
		$page = $this->page( '', array() );
		$this->assertSame( array( 1, array( 'postback' ) ), array( $page['total'], array_column( $page['deliveries'], 'kind' ) ) );
		$this->refused( $this->retry( $postback, array() ), 403, 'role_forbidden' );
		$this->refused( $this->retry( 'pb_nothing', array() ), 403, 'role_forbidden', 'whatever the id' );
		$this->refused( $this->rest( 'POST', '/v1/webhooks/test', array( 'url' => 'http://127.0.0.1:9/' ), array() ), 403, 'role_forbidden' );
		wp_set_current_user( 0 );
		$this->refused( $this->retry( $postback, $this->session_of( self::viewer_role() ) ), 403, 'role_forbidden' );
		$this->assertSame( 'failed', $this->only_postback()['status'] );

		// The owner, the secret key or an administrator, sees both.
		$page = $this->page();
		$this->assertSame( array( 2, 2 ), array( $page['total'], $page['counts']['failed'] ) );
		wp_set_current_user( $this->user( 'administrator' ) );
		$this->assertSame( array( 'postback', 'webhook' ), array_column( $this->page( '', array() )['deliveries'], 'kind' ) );
		list( $s, $d ) = $this->retry( 'evt_hook', array() );
		$this->assertSame( array( 200, 'pending' ), array( $s, $d['status'] ?? null ), wp_json_encode( $d ) );
		wp_set_current_user( 0 );

		// Callers who are not the merchant.
		$this->assertSame( 401, $this->rest( 'GET', '/v1/deliveries' )[0] );
		$this->assertSame( 401, $this->rest( 'POST', '/v1/deliveries/evt_hook/retry' )[0] );
		$token = $this->affiliate( 'bob' )['token'];
		foreach ( array( 'Bearer ' . $token, 'Bearer ' . Reftrail_Keys::publishable() ) as $auth ) {
			$this->assertSame( 403, $this->rest( 'GET', '/v1/deliveries', null, array( 'authorization' => $auth ) )[0] );
			$this->assertSame( 403, $this->rest( 'POST', '/v1/deliveries/evt_hook/retry', null, array( 'authorization' => $auth ) )[0] );
			$this->assertSame( 403, $this->rest( 'POST', '/v1/webhooks/test', array( 'url' => 'http://127.0.0.1:9/' ), array( 'authorization' => $auth ) )[0] );
		}
		// A dashboard session changes nothing without its CSRF token.
		$session = $this->session_of( 'administrator' );
		$this->refused( $this->retry( $postback, array( 'cookie' => $session['cookie'] ) ), 403, 'csrf_failed' );
	}

	public function test_pages_interleave_both_outboxes_newest_first() {
		global $wpdb;
		// Webhooks at even seconds, postbacks at odd ones; every third given up, every fifth sent.
		for ( $i = 0; $i < 12; $i++ ) {
			$row = array(
				'id'           => sprintf( 'd%02d', $i ),
				'event'        => 0 === $i % 2 ? 'referral.created' : 'created',
				'at'           => 1000 + $i,
				'attempts'     => 1,
				'next_at'      => 1000 + $i,
				'delivered_at' => 0 === $i % 5 ? 1000 + $i : null,
				'failed_at'    => 0 === $i % 3 && 0 !== $i % 5 ? 1000 + $i : null,
			);
			if ( 0 === $i % 2 ) {
				$wpdb->insert( Reftrail_Db::table( 'outbox' ), $row + array( 'url' => 'https://hooks.shop.example/', 'payload' => '{}' ) );
			} else {
				$wpdb->insert( Reftrail_Db::table( 'postbacks' ), $row + array( 'url' => 'https://t.example/pb', 'affiliate_id' => 'alice', 'referral_id' => 'ref_1' ) );
			}
		}
		$ids    = fn( array $page ) => array_column( $page['deliveries'], 'id' );
		$walked = array();
		for ( $offset = 0; $offset < 12; $offset += 5 ) {
			$page = $this->page( '?limit=5&offset=' . $offset );
			$this->assertSame( 12, $page['total'] );
			$walked = array_merge( $walked, $ids( $page ) );
		}
		$this->assertSame( array_map( fn( $i ) => sprintf( 'd%02d', $i ), range( 11, 0 ) ), $walked );

		// Filters by state, on both outboxes: given up 3, 9 (6 is even: a webhook too); sent 0, 5, 10.
		$failed = $this->page( '?status=failed&limit=2&offset=1' );
		$this->assertSame( array( array( 'd06', 'd03' ), 3 ), array( $ids( $failed ), $failed['total'] ) );
		$sent = $this->page( '?status=delivered&kind=webhook' );
		$this->assertSame( array( array( 'd10', 'd00' ), 2 ), array( $ids( $sent ), $sent['total'] ) );
		$pending = $this->page( '?status=pending&kind=postback' );
		$this->assertSame( array( 'd11', 'd07', 'd01' ), $ids( $pending ) );
		$this->assertSame(
			array(
				'pending'   => 6,
				'retrying'  => 6,
				'delivered' => 3,
				'failed'    => 3,
			),
			$pending['counts']
		);
		$this->assertSame( array( 'postback', 'webhook' ), array_column( $this->page( '?limit=2' )['deliveries'], 'kind' ), 'd11 is a postback, d10 a webhook' );
		$this->assertSame( array( 'd11', 'd10' ), $ids( $this->page( '?limit=2&kind=&status=' ) ), 'an empty filter is none' );
		$one = $this->page( '?status=pending' )['deliveries'][0];
		$this->assertSame( array( 'd11', 'pending', '1970-01-01T00:16:51Z', '1970-01-01T00:16:51Z', null, null ), array( $one['id'], $one['status'], $one['at'], $one['next_at'], $one['delivered_at'], $one['failed_at'] ) );

		// Refused filters.
		foreach ( array( '?kind=email', '?kind=Webhook', '?status=sent', '?limit=0', '?limit=501', '?offset=-1', '?limit=x', '?kind[]=webhook', '?status[]=failed' ) as $q ) {
			$this->refused( $this->rest( 'GET', '/v1/deliveries' . $q, null, $this->sk() ), 400, 'invalid_query', $q );
		}
		$this->assertSame( 12, $this->page( '?status=' )['total'] );
		$this->assertCount( 12, $this->page( '?limit=500' )['deliveries'] );
		$this->assertSame( array(), $this->page( '?offset=12' )['deliveries'] );
	}

	public function test_a_webhook_test_sends_a_signed_ping_and_says_what_came_back() {
		global $wpdb;
		list( $url, $file ) = $this->receiver();
		$test               = fn( $body, $headers = null ) => array_slice( $this->rest( 'POST', '/v1/webhooks/test', $body, $headers ?? $this->sk() ), 0, 2 );
		list( $s, $d )      = $test( array( 'url' => "  {$url}\n" ) );
		$this->assertSame(
			array(
				200,
				array(
					'url'       => $url,
					'delivered' => true,
					'status'    => 200,
					'error'     => null,
				),
			),
			array( $s, $d )
		);
		$got = json_decode( (string) file_get_contents( $file ), true );
		$this->assertSame( 'reftrail-webhooks/1', $got['user_agent'] );
		$this->assertSame( 1, preg_match( '/^t=(\d+),v1=[0-9a-f]{64}$/', $got['signature'], $m ) );
		$this->assertSame( Reftrail_Webhooks::signature( get_option( Reftrail_Keys::WEBHOOK ), (int) $m[1], $got['body'] ), $got['signature'], 'signed as every event' );
		$this->assertEqualsWithDelta( time(), (int) $m[1], 60 );
		$event = json_decode( $got['body'], true );
		$this->assertSame( array( 'id', 'type', 'created_at', 'data' ), array_keys( $event ) );
		$this->assertSame( 'ping', $event['type'] );
		$this->assertStringStartsWith( 'evt_', $event['id'] );
		$this->assertNotNull( Reftrail_Db::parse_time( $event['created_at'] ) );
		$this->assertStringEndsWith( 'Z', $event['created_at'] );
		$this->assertStringContainsString( '"data":{}', $got['body'], 'an empty object, not a list' );

		// An endpoint that fails, and one that is not there.
		list( $failing ) = $this->receiver( true );
		list( $s, $d )   = $test( array( 'url' => $failing ) );
		$this->assertSame( array( 200, false, 500, 'HTTP 500' ), array( $s, $d['delivered'], $d['status'], $d['error'] ) );
		list( $s, $d ) = $test( array( 'url' => 'http://127.0.0.1:9/hooks' ) );
		$this->assertSame( array( 200, false, null ), array( $s, $d['delivered'], $d['status'] ) );
		$this->assertIsString( $d['error'] );
		$this->assertNotSame( '', $d['error'] );

		foreach ( array( 'ftp://hooks.example/', 'hooks.example/in', 'http://', 'https://', 'http:///', 'https://hooks.example/a b', "https://hooks.example/a\u{3000}b", "https://hooks.example/\x01", 'javascript:alert(1)', 'HTTP://hooks.example/', 'http://exa<mple.test/', 'http://hooks.example:99999/', 'https://hooks.example/' . str_repeat( 'a', 2030 ), '' ) as $bad ) {
			$this->refused( $test( array( 'url' => $bad ) ), 400, 'invalid_url', $bad );
		}
		$this->refused( $test( array( 'url' => $url, 'events' => array( 'ping' ) ) ), 400, 'invalid_body' );
		$this->refused( $test( array() ), 400, 'invalid_body' );
		$this->refused( $test( array( 'url' => null ) ), 400, 'invalid_body' );
		$this->refused( $test( array( 'url' => 5 ) ), 400, 'invalid_body' );
		$this->refused( $test( '{"url":' ), 400, 'invalid_json' );
		// Nothing was queued: a test is sent once, at once.
		$this->assertSame( '0', $wpdb->get_var( 'SELECT COUNT(*) FROM ' . Reftrail_Db::table( 'outbox' ) ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared

		// An administrator may test one too.
		wp_set_current_user( $this->user( 'administrator' ) );
		list( $s, $d ) = $test( array( 'url' => $url ), array() );
		$this->assertSame( array( 200, true ), array( $s, $d['delivered'] ?? null ), wp_json_encode( $d ) );
	}

	public function test_a_webhook_url_without_a_host_is_refused_in_the_settings() {
		foreach ( array( 'http://', 'https://', 'http://?x=1', 'http://exa<mple.test/', 'https://hooks.example/a b' ) as $bad ) {
			list( $s, $d ) = $this->put_program_rest( array( 'webhooks' => array( array( 'url' => $bad ) ) ) );
			$this->refused( array( $s, $d ), 400, 'invalid_webhooks', $bad );
		}
		list( $s, $d ) = $this->put_program_rest( array( 'webhooks' => array( array( 'url' => 'http://127.0.0.1:9/hooks' ), array( 'url' => 'https://hooks.example' ) ) ) );
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
		$this->assertTrue( Reftrail_Program::webhook_url_ok( 'https://hooks.example/in?x=1#y' ) );
		$this->assertTrue( Reftrail_Program::webhook_url_ok( 'https://hooks.example/' . str_repeat( 'a', 2026 ) ), '2,048 bytes' );
		$this->assertFalse( Reftrail_Program::webhook_url_ok( 'https://hooks.example/' . str_repeat( 'a', 2027 ) ) );
		$this->assertFalse( Reftrail_Program::webhook_url_ok( null ) );
	}

	/**
	 * The server's string literal `$literal` (asserted to be in server/src/team_mail.rs) with its
	 * placeholders filled in.
	 *
	 * @param string $literal The server's string literal.
	 * @param array  $values  Placeholder => value.
	 * @return string
	 */
	private function server_says( $literal, array $values = array() ) {
		static $rust = null;
		if ( null === $rust ) {
			$rust = file_get_contents( dirname( __DIR__, 2 ) . '/server/src/team_mail.rs' ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_get_contents_file_get_contents
			$this->assertIsString( $rust );
		}
		$this->assertStringContainsString( '"' . $literal . '"', $rust, 'the server says this sentence' );
		foreach ( $values as $k => $v ) {
			$literal = str_replace( '{' . $k . '}', $v, $literal );
		}
		return $literal;
	}

	/**
	 * The administrator's queued emails about deliveries: their payloads, by kind.
	 *
	 * @return array[]
	 */
	private static function failure_mails() {
		global $wpdb;
		$rows = $wpdb->get_results( 'SELECT recipient, affiliate_id, payload FROM ' . Reftrail_Db::table( 'mail_outbox' ) . " WHERE event = 'delivery.failed' ORDER BY at, BINARY id", ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		foreach ( $rows as $r ) {
			self::assertSame( 'admin', $r['recipient'] );
		}
		return array_map( fn( $r ) => json_decode( $r['payload'], true ) + array( 'row_affiliate' => $r['affiliate_id'] ), $rows );
	}

	/**
	 * Puts every owed request of both outboxes on its last attempt, due now.
	 */
	private static function last_attempt() {
		global $wpdb;
		foreach ( array( 'outbox', 'postbacks' ) as $table ) {
			$wpdb->query( 'UPDATE ' . Reftrail_Db::table( $table ) . ' SET attempts = 11, next_at = 0 WHERE delivered_at IS NULL AND failed_at IS NULL' ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- fixed SQL.
		}
	}

	public function test_the_administrator_hears_once_a_day_of_an_endpoint_that_gave_up() {
		global $wpdb;
		add_filter( 'pre_option_admin_email', fn() => 'owner@shop.test' );
		update_option( 'blogname', 'Shop' );
		// On by default, also for settings saved before this one existed.
		update_option( Reftrail_Settings::OPTION, array_diff_key( Reftrail_Settings::get(), array( 'notify_deliveries' => true ) ) );
		$this->assertTrue( Reftrail_Settings::get()['notify_deliveries'], 'on by default' );
		$this->program(
			array(
				'name'         => 'Giày',
				'locale'       => 'en',
				'auto_approve' => false,
				'webhooks'     => array(
					array(
						'url'    => 'http://127.0.0.1:9/hooks',
						'events' => array( 'referral.created' ),
					),
				),
			)
		);
		$this->affiliate( 'alice', array( 'coupons' => array( 'A10' ) ) );
		// Port 9 is closed: every attempt fails.
		$this->assertSame( 200, $this->rest( 'PUT', '/v1/affiliates/alice/postback', array( 'url' => 'http://127.0.0.1:9/pb?e={event}' ), $this->sk() )[0] );
		foreach ( array( 'M-1', 'M-2' ) as $order ) {
			$this->assertSame( 201, $this->rest( 'POST', '/v1/sales', array( 'order_id' => $order, 'amount' => 1000, 'currency' => 'USD', 'coupon' => 'A10' ), $this->sk() )[0] );
		}
		self::last_attempt();
		$this->assertSame( 0, Reftrail_Webhooks::deliver_due() );
		$this->assertSame( 0, Reftrail_Postbacks::deliver_due() );
		$page = $this->page( '?status=failed' );
		$this->assertSame( 4, $page['total'], 'two webhook events and two postbacks given up: ' . wp_json_encode( $page ) );
		foreach ( $page['deliveries'] as $d ) {
			$this->assertSame( array( 12, null ), array( $d['attempts'], $d['next_at'] ) );
			$this->assertNotEmpty( $d['last_error'] );
		}

		// One email per endpoint: the webhook's address, alice's tracker.
		$queued = self::failure_mails();
		$this->assertSame( array( 'webhook', 'postback' ), array_column( $queued, 'kind' ) );
		$hook = $queued[0];
		$this->assertSame( array( 'webhook', 'referral.created', 'http://127.0.0.1:9/hooks', null, '' ), array( $hook['kind'], $hook['event'], $hook['url'], $hook['affiliate'], $hook['row_affiliate'] ) );
		$this->assertNotSame( '', $hook['error'] );
		$this->assertSame( array( 'kind', 'event', 'url', 'affiliate', 'error', 'row_affiliate' ), array_keys( $hook ) );
		$this->assertSame( array( 'postback', 'created', 'http://127.0.0.1:9/pb?e=created', 'alice', 'alice' ), array( $queued[1]['kind'], $queued[1]['event'], $queued[1]['url'], $queued[1]['affiliate'], $queued[1]['row_affiliate'] ) );

		$this->assertSame( 2, Reftrail_Affiliate_Mail::send_due() );
		$this->assertSame( array( 'owner@shop.test', 'owner@shop.test' ), array_column( $this->mails, 'to' ) );
		$link = Reftrail_Admin::deliveries_url();
		$you  = "You receive this email as the administrator of Shop; you can turn these emails off in Reftrail > Settings.\n";
		$this->assertSame( $this->server_says( 'Webhook events are failing' ), $this->mails[0]['subject'] );
		$this->server_says( '{program} gave up sending {} ({}) to {} after 12 attempts over about a day.' );
		$this->assertSame(
			"Giày gave up sending a webhook event (referral.created) to http://127.0.0.1:9/hooks after 12 attempts over about a day.\n\n"
				. $this->server_says( 'The last attempt' ) . ': ' . $hook['error'] . "\n\n"
				. $this->server_says( 'Other requests to this address given up in the next 24 hours make no email of their own.' ) . "\n\n"
				. $this->server_says( 'Once the address works, send them again at' ) . ' ' . $link . "\n\n" . $you,
			$this->mails[0]['message']
		);
		$this->assertSame( 'Postbacks of alice are failing', $this->mails[1]['subject'] );
		$this->assertStringStartsWith( "Giày gave up sending a postback (created) to http://127.0.0.1:9/pb?e=created after 12 attempts over about a day.\n\nThe last attempt: ", $this->mails[1]['message'] );

		// One of them sent again by hand and given up again, while the other stays given up from
		// the same day: no second email.
		$pb = $this->page( '?kind=postback' )['deliveries'][0]['id'];
		$this->assertSame( 200, $this->retry( $pb )[0] );
		self::last_attempt();
		$this->assertSame( 0, Reftrail_Postbacks::deliver_due() );
		$this->assertSame( 'failed', $this->page( '?kind=postback' )['deliveries'][0]['status'] );
		$this->assertCount( 2, self::failure_mails() );

		// A day later, the other given up long before: told again.
		$wpdb->query( $wpdb->prepare( 'UPDATE ' . Reftrail_Db::table( 'postbacks' ) . ' SET failed_at = %d WHERE BINARY id <> %s', Reftrail_Db::now() - Reftrail_Db::DAY - 1, $pb ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		$this->assertSame( 200, $this->retry( $pb )[0] );
		self::last_attempt();
		$this->assertSame( 0, Reftrail_Postbacks::deliver_due() );
		$this->assertCount( 3, self::failure_mails() );

		// Another endpoint fails with the setting off: no email.
		update_option( Reftrail_Settings::OPTION, Reftrail_Settings::sanitize( array_merge( Reftrail_Settings::get(), array( 'notify_deliveries' => '' ) ) ) );
		$this->assertFalse( Reftrail_Settings::get()['notify_deliveries'] );
		$this->assertTrue( Reftrail_Settings::get()['notify_flagged'], 'the other emails stay on' );
		$this->program( array( 'webhooks' => array( array( 'url' => 'http://127.0.0.1:9/other' ) ) ) );
		$this->assertSame( 201, $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'M-3', 'amount' => 1000, 'currency' => 'USD', 'coupon' => 'A10' ), $this->sk() )[0] );
		self::last_attempt();
		Reftrail_Webhooks::deliver_due();
		Reftrail_Postbacks::deliver_due();
		$this->assertSame( 6, $this->page( '?status=failed' )['total'] );
		$this->assertCount( 3, self::failure_mails() );
	}

	public function test_the_email_in_english_vietnamese_and_thai() {
		update_option( 'blogname', 'Shop' );
		$link  = Reftrail_Admin::deliveries_url();
		$hook  = array(
			'kind'      => 'webhook',
			'event'     => 'referral.created',
			'url'       => 'https://hooks.shop.example/in',
			'affiliate' => null,
			'error'     => 'HTTP 500',
		);
		$pb    = array(
			'kind'      => 'postback',
			'event'     => 'approved',
			'url'       => 'https://t.example/pb?e=approved',
			'affiliate' => 'minh-anh',
			'error'     => 'HTTP 503',
		);
		$words = array(
			'en' => array( 'Webhook events are failing', 'Postbacks of {who} are failing', '{program} gave up sending {} ({}) to {} after 12 attempts over about a day.', 'a webhook event', 'a postback', 'The last attempt', 'Other requests to this address given up in the next 24 hours make no email of their own.', 'Once the address works, send them again at', 'You receive this email as the administrator of Shop; you can turn these emails off in Reftrail > Settings.' ),
			'vi' => array( 'Sự kiện webhook gửi không thành công', 'Postback của {who} gửi không thành công', '{program} đã ngừng gửi {} ({}) đến {} sau 12 lần thử trong khoảng một ngày.', 'một sự kiện webhook', 'một postback', 'Lần thử cuối', 'Các lần gửi khác đến địa chỉ này bị ngừng trong 24 giờ tới sẽ không có email riêng.', 'Khi địa chỉ hoạt động trở lại, hãy gửi lại tại', 'Bạn nhận được email này vì là quản trị viên của Shop; bạn có thể tắt các email này trong Reftrail > Cài đặt.' ),
			'th' => array( 'อีเวนต์เว็บฮุกส่งไม่สำเร็จ', 'โพสต์แบ็กของ {who} ส่งไม่สำเร็จ', '{program} หยุดส่ง{} ({}) ไปยัง {} หลังจากลองส่ง 12 ครั้งในราวหนึ่งวัน', 'อีเวนต์เว็บฮุก', 'โพสต์แบ็ก', 'ผลการส่งครั้งสุดท้าย', 'การส่งอื่นไปยังที่อยู่นี้ที่หยุดในอีก 24 ชั่วโมงจะไม่มีอีเมลแจ้งแยก', 'เมื่อที่อยู่นี้ใช้งานได้แล้ว ส่งอีกครั้งได้ที่', 'คุณได้รับอีเมลนี้เนื่องจากเป็นผู้ดูแลระบบของ Shop ปิดอีเมลเหล่านี้ได้ที่ Reftrail > การตั้งค่า' ),
		);
		foreach ( $words as $locale => list( $hook_subject, $pb_subject, $said, $a_hook, $a_pb, $last, $then, $act, $you ) ) {
			$program = array(
				'name'   => 'Giày',
				'locale' => $locale,
			);
			foreach ( array( array( $hook, $this->server_says( $hook_subject ), $this->server_says( $a_hook ) ), array( $pb, $this->server_says( $pb_subject, array( 'who' => 'minh-anh' ) ), $this->server_says( $a_pb ) ) ) as list( $n, $subject, $what ) ) {
				$text = Reftrail_Affiliate_Mail::render_for_admin( $program, 'delivery.failed', 'owner@shop.test', (string) $n['affiliate'], null, null, wp_json_encode( $n ) );
				$this->assertIsArray( $text, $locale );
				// The server fills {} in order: what was given up, its event, its address.
				$sentence = $this->server_says( $said, array( 'program' => 'Giày' ) );
				foreach ( array( $what, $n['event'], $n['url'] ) as $value ) {
					$sentence = preg_replace( '/\{\}/', $value, $sentence, 1 );
				}
				$this->assertSame( $subject, $text['subject'], $locale );
				$this->assertSame( $sentence . "\n\n" . $this->server_says( $last ) . ': ' . $n['error'] . "\n\n" . $this->server_says( $then ) . "\n\n" . $this->server_says( $act ) . ' ' . $link . "\n\n" . $you . "\n", $text['body'], $locale );
			}
		}
		$this->assertSame( admin_url( 'admin.php?page=reftrail' ) . '#/deliveries?status=failed', $link, 'the dashboard\'s deliveries given up' );
		$this->assertSame( 'Webhook events are failing', Reftrail_Affiliate_Mail::render_for_admin( array( 'name' => 'Giày', 'locale' => 'de_DE' ), 'delivery.failed', 'owner@shop.test', '', null, null, wp_json_encode( $hook ) )['subject'], 'another language reads English' );
		// What is no delivery given up renders nothing.
		foreach ( array( '{}', 'null', wp_json_encode( array_merge( $pb, array( 'affiliate' => null ) ) ), wp_json_encode( array_merge( $hook, array( 'kind' => 'email' ) ) ), wp_json_encode( array_diff_key( $hook, array( 'error' => 1 ) ) ) ) as $payload ) {
			$this->assertNull( Reftrail_Affiliate_Mail::render_for_admin( array( 'name' => 'Giày', 'locale' => 'en' ), 'delivery.failed', 'owner@shop.test', '', null, null, $payload ), $payload );
		}
		$this->assertSame( 'Affiliates', __( 'Affiliates', 'reftrail' ), "the request's own language is back" );
	}

	public function test_the_settings_page_has_the_failed_deliveries_checkbox() {
		ob_start();
		Reftrail_Admin::field_deliveries();
		$html = ob_get_clean();
		$this->assertStringContainsString( 'name="reftrail_settings[notify_deliveries]" value="1" checked=\'checked\'', $html );
		$this->assertStringContainsString( 'Email me when a webhook event or an affiliate&#039;s postback is given up', $html );
		$this->assertStringContainsString( esc_html( get_option( 'admin_email' ) ), $html );
		update_option( Reftrail_Settings::OPTION, Reftrail_Settings::sanitize( array( 'notify_flagged' => '1' ) ) );
		$this->assertSame( array( false, true ), array( Reftrail_Settings::get()['notify_deliveries'], Reftrail_Settings::get()['notify_flagged'] ) );
		ob_start();
		Reftrail_Admin::field_deliveries();
		$this->assertStringNotContainsString( 'checked', ob_get_clean() );
		global $wp_settings_fields, $wp_settings_sections;
		$saved = array( $wp_settings_fields, $wp_settings_sections );
		try {
			Reftrail_Admin::settings();
			$this->assertSame( 'Failed deliveries', $wp_settings_fields['reftrail-settings']['reftrail_emails']['notify_deliveries']['title'] );
		} finally {
			unregister_setting( 'reftrail', Reftrail_Settings::OPTION );
			list( $wp_settings_fields, $wp_settings_sections ) = $saved;
		}
	}

	public function test_the_openapi_document_names_the_routes() {
		list( $s, $doc ) = $this->rest( 'GET', '/v1/openapi.json' );
		$this->assertSame( 200, $s );
		$this->assertSame( array( 'get' ), array_keys( $doc['paths']['/v1/deliveries'] ) );
		$this->assertSame( array( 'kind', 'status', 'limit', 'offset' ), array_column( $doc['paths']['/v1/deliveries']['get']['parameters'], 'name' ) );
		$this->assertSame( array( 'post' ), array_keys( $doc['paths']['/v1/deliveries/{id}/retry'] ) );
		$this->assertSame( array( 'id' ), array_column( $doc['paths']['/v1/deliveries/{id}/retry']['post']['parameters'], 'name' ) );
		$this->assertSame( array( 'post' ), array_keys( $doc['paths']['/v1/webhooks/test'] ) );
		$this->assertSame( array( 'url' ), array_keys( $doc['paths']['/v1/webhooks/test']['post']['requestBody']['content']['application/json']['schema']['properties'] ) );
		foreach ( array( '409 already_delivered', 'delivery_due', '404 delivery_not_found', '403 role_forbidden' ) as $word ) {
			$this->assertStringContainsString( $word, $doc['paths']['/v1/deliveries/{id}/retry']['post']['summary'] );
		}
		$this->assertStringContainsString( 'delivery.retried', $doc['paths']['/v1/activity']['get']['summary'] );
		$routes = rest_get_server()->get_routes();
		foreach ( array( '/reftrail/v1/deliveries', '/reftrail/v1/deliveries/(?P<id>[^/]+)/retry', '/reftrail/v1/webhooks/test' ) as $route ) {
			$this->assertArrayHasKey( $route, $routes );
		}
		$this->assertContains( 'delivery.retried', Reftrail_Activity::ACTIONS );
		$this->assertTrue( Reftrail_Activity::is_filter( 'delivery.' ) );
		$schema = ( new Reftrail_REST_Deliveries_Controller() )->get_public_item_schema();
		$this->assertSame( array( 'id', 'kind', 'event', 'url', 'affiliate_id', 'referral_id', 'at', 'status', 'attempts', 'last_error', 'next_at', 'delivered_at', 'failed_at' ), array_keys( $schema['properties'] ) );
	}

	public function test_the_upgrade_from_25_adds_the_index_by_time() {
		global $wpdb;
		$keys = fn( $t ) => array_values( array_unique( array_column( $wpdb->get_results( "SHOW INDEX FROM {$t}", ARRAY_A ), 'Key_name' ) ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		foreach ( array( 'outbox', 'postbacks' ) as $name ) {
			$t = Reftrail_Db::table( $name );
			$wpdb->query( "ALTER TABLE {$t} DROP INDEX at_id" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			$this->assertNotContains( 'at_id', $keys( $t ) );
		}
		update_option( Reftrail_Schema::OPTION, 25 );
		Reftrail_Schema::maybe_upgrade();
		$this->assertSame( Reftrail_Schema::VERSION, (int) get_option( Reftrail_Schema::OPTION ) );
		$this->assertGreaterThanOrEqual( 26, Reftrail_Schema::VERSION, 'the index came with schema 26' );
		$this->assertSame( array( 'PRIMARY', 'due', 'at_id' ), $keys( Reftrail_Db::table( 'outbox' ) ) );
		$this->assertSame( array( 'PRIMARY', 'due', 'affiliate_at', 'at_id' ), $keys( Reftrail_Db::table( 'postbacks' ) ) );
		$by_time = array_column( array_filter( $wpdb->get_results( 'SHOW INDEX FROM ' . Reftrail_Db::table( 'outbox' ), ARRAY_A ), fn( $k ) => 'at_id' === $k['Key_name'] ), 'Column_name' ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		$this->assertSame( array( 'at', 'id' ), array_values( $by_time ) );
		Reftrail_Schema::upgrade();
		$this->assertSame( '', $wpdb->last_error, 'upgrading again changes nothing' );
	}
}
