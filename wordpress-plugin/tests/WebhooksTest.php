<?php
/**
 * Webhooks: written to the outbox with the change they report, delivered over HTTP (to a test
 * receiver on the test site) with the server's signature, retried with backoff when refused; a
 * bonus given and cancelled told to the endpoints that want it, with the bonus as REST answers it;
 * a recruiter's share told after the referral it follows, as `GET /v1/recruiter-commissions` lists
 * it; a referral approved the moment it is made told created, then approved, before that share.
 *
 * @package Reftrail
 */

/**
 * Webhook tests.
 */
class WebhooksTest extends Reftrail_Test_Case {

	public function test_events_are_signed_delivered_and_retried() {
		$id   = strtolower( wp_generate_password( 12, false ) );
		$file = getenv( 'WP_DOCROOT' ) . '/wp-content/reftrail-webhook-' . $id . '.json';
		$this->program(
			array(
				'webhooks' => array(
					array(
						'url'    => getenv( 'WP_URL' ) . '/?reftrail_test_webhook=' . $id,
						'events' => array( 'referral.created' ),
					),
					array( 'url' => getenv( 'WP_URL' ) . '/?reftrail_test_webhook=' . $id . 'x&fail=1' ),
				),
			)
		);
		$this->affiliate( 'alice', array( 'coupons' => array( 'A' ) ) );
		list( , $sale ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'W1', 'amount' => 1000, 'currency' => 'USD', 'coupon' => 'A' ), $this->sk() );
		global $wpdb;
		$t = Reftrail_Db::table( 'outbox' );
		$this->assertSame( '2', $wpdb->get_var( "SELECT COUNT(*) FROM {$t}" ) ); // phpcs:ignore
		$this->assertSame( 1, Reftrail_Webhooks::deliver_due() );
		$this->assertFileExists( $file );
		$got = json_decode( file_get_contents( $file ), true );
		unlink( $file );
		$body = json_decode( $got['body'], true );
		$this->assertSame( 'referral.created', $body['type'] );
		$this->assertSame( $sale['referral']['id'], $body['data']['id'] );
		$this->assertSame( 'reftrail-webhooks/1', $got['user_agent'] );
		$this->assertSame( 1, preg_match( '/^t=(\d+),v1=([0-9a-f]{64})$/', $got['signature'], $m ) );
		$this->assertSame( Reftrail_Webhooks::signature( get_option( Reftrail_Keys::WEBHOOK ), (int) $m[1], $got['body'] ), $got['signature'] );
		$failed = $wpdb->get_row( "SELECT attempts, next_at, last_error, delivered_at FROM {$t} WHERE url LIKE '%fail=1'", ARRAY_A ); // phpcs:ignore
		$this->assertSame( array( '1', 'HTTP 500', null ), array( $failed['attempts'], $failed['last_error'], $failed['delivered_at'] ) );
		$this->assertGreaterThanOrEqual( time() + 59, (int) $failed['next_at'] );
		// The operator's counters, as the server's /metrics names them.
		list( , $metrics ) = $this->rest( 'GET', '/metrics' );
		$this->assertStringContainsString( "\nreftrail_webhooks_delivered_total 1\n", $metrics );
		$this->assertStringContainsString( "\nreftrail_webhook_failures_total 1\n", $metrics );
		@unlink( getenv( 'WP_DOCROOT' ) . '/wp-content/reftrail-webhook-' . $id . 'x.json' ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
		$this->assertSame( array( 60, 120, 21600 ), array( Reftrail_Webhooks::backoff( 1 ), Reftrail_Webhooks::backoff( 2 ), Reftrail_Webhooks::backoff( 12 ) ) );
	}

	public function test_a_bonus_given_and_cancelled_is_told_to_the_endpoints_that_want_it() {
		global $wpdb;
		$id   = strtolower( wp_generate_password( 12, false ) );
		$hook = fn( $name ) => getenv( 'WP_URL' ) . '/?reftrail_test_webhook=' . $id . $name;
		// Unknown events stay refused; the bonus events are known.
		list( $s, $d ) = $this->put_program_rest( array( 'webhooks' => array( array( 'url' => $hook( 'b' ), 'events' => array( 'bonus.paid' ) ) ) ) );
		$this->assertSame( array( 400, 'invalid_webhooks' ), array( $s, $d['error']['code'] ?? null ) );
		list( $s, $d ) = $this->put_program_rest(
			array(
				'webhooks' => array(
					array(
						'url'    => $hook( 'b' ),
						'events' => array( 'bonus.created', 'bonus.cancelled' ),
					),
					array(
						'url'    => $hook( 'r' ),
						'events' => array( 'referral.created', 'payout.created' ),
					),
					array( 'url' => $hook( 'all' ) ),
				),
			)
		);
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
		$this->affiliate( 'alice' );
		$t       = Reftrail_Db::table( 'outbox' );
		$secret  = get_option( Reftrail_Keys::WEBHOOK );
		$queued  = fn() => $wpdb->get_results( "SELECT event, url FROM {$t} ORDER BY url", ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$receive = function ( $name ) use ( $id, $secret ) {
			$file = getenv( 'WP_DOCROOT' ) . '/wp-content/reftrail-webhook-' . $id . $name . '.json';
			$this->assertFileExists( $file );
			$got = json_decode( file_get_contents( $file ), true );
			unlink( $file );
			$this->assertSame( 1, preg_match( '/^t=(\d+),v1=[0-9a-f]{64}$/', $got['signature'], $m ) );
			$this->assertSame( Reftrail_Webhooks::signature( $secret, (int) $m[1], $got['body'] ), $got['signature'] );
			return json_decode( $got['body'], true );
		};

		$bonus = array(
			'affiliate' => 'alice',
			'amount'    => 2500,
			'currency'  => 'USD',
			'reason'    => 'Launch week',
		);
		$key   = $this->sk() + array( 'idempotency_key' => 'hooked' );
		list( $s, $given ) = $this->rest( 'POST', '/v1/bonuses', $bonus, $key );
		$this->assertSame( 201, $s, wp_json_encode( $given ) );
		// In the transaction of the bonus: one row per endpoint that wants it; a replay adds none.
		$this->assertSame( 200, $this->rest( 'POST', '/v1/bonuses', $bonus, $key )[0] );
		$this->assertSame(
			array(
				array(
					'event' => 'bonus.created',
					'url'   => $hook( 'all' ),
				),
				array(
					'event' => 'bonus.created',
					'url'   => $hook( 'b' ),
				),
			),
			$queued()
		);
		$this->assertSame( 2, Reftrail_Webhooks::deliver_due() );
		foreach ( array( 'b', 'all' ) as $name ) {
			$body = $receive( $name );
			$this->assertSame( array( 'bonus.created', $given ), array( $body['type'], $body['data'] ), $name );
		}

		$this->now_is( time() + 60 );
		list( $s, $cancelled ) = $this->rest( 'POST', '/v1/bonuses/' . $given['id'] . '/cancel', null, $this->sk() );
		$this->assertSame( array( 200, 'cancelled' ), array( $s, $cancelled['status'] ) );
		$this->assertNotNull( $cancelled['cancelled_at'] );
		// Cancelling it again changes nothing and tells no one.
		$this->assertSame( array( 200, $cancelled ), array_slice( $this->rest( 'POST', '/v1/bonuses/' . $given['id'] . '/cancel', null, $this->sk() ), 0, 2 ) );
		$this->assertSame( 2, Reftrail_Webhooks::deliver_due() );
		$this->assertSame( 0, Reftrail_Webhooks::deliver_due() );
		foreach ( array( 'b', 'all' ) as $name ) {
			$body = $receive( $name );
			$this->assertSame( array( 'bonus.cancelled', $cancelled ), array( $body['type'], $body['data'] ), $name );
		}
		$this->assertSame( array( 'bonus.cancelled', 'bonus.cancelled', 'bonus.created', 'bonus.created' ), $wpdb->get_col( "SELECT event FROM {$t} WHERE delivered_at IS NOT NULL ORDER BY event" ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		// The endpoint that wants referrals and payouts heard of neither.
		$this->assertSame( '0', $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$t} WHERE url = %s", $hook( 'r' ) ) ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$this->assertFileDoesNotExist( getenv( 'WP_DOCROOT' ) . '/wp-content/reftrail-webhook-' . $id . 'r.json' );
	}

	/**
	 * The clock the plugin reads (the `reftrail_now` filter) set to `$t`.
	 *
	 * @param int $t Unix time.
	 */
	private function now_is( $t ) {
		remove_all_filters( 'reftrail_now' );
		add_filter( 'reftrail_now', fn() => $t );
	}

	public function test_a_recruiters_share_is_told_after_the_referral_it_follows() {
		global $wpdb;
		$id   = strtolower( wp_generate_password( 12, false ) );
		$hook = fn( $name ) => getenv( 'WP_URL' ) . '/?reftrail_test_webhook=' . $id . $name;
		// The event is known; one like it that is not stays refused.
		list( $s, $d ) = $this->put_program_rest( array( 'webhooks' => array( array( 'url' => $hook( 'x' ), 'events' => array( 'recruiter_commission.paid' ) ) ) ) );
		$this->assertSame( array( 400, 'invalid_webhooks' ), array( $s, $d['error']['code'] ?? null ) );
		list( $s, $d ) = $this->put_program_rest(
			array(
				'recruiter_rate_bps' => 2000,
				'webhooks'           => array(
					array(
						'url'    => $hook( 'both' ),
						'events' => array( 'referral.created', 'recruiter_commission.created' ),
					),
					array(
						'url'    => $hook( 'ref' ),
						'events' => array( 'referral.created' ),
					),
					array(
						'url'    => $hook( 'rc' ),
						'events' => array( 'recruiter_commission.created' ),
					),
				),
			)
		);
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
		$this->assertSame( array( 'referral.created', 'recruiter_commission.created' ), $d['webhooks'][0]['events'] );
		$this->affiliate( 'alice' );
		$this->affiliate(
			'minh',
			array(
				'coupons'   => array( 'M10' ),
				'recruiter' => 'alice',
			)
		);
		list( $s, $sale ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'W-2', 'amount' => 50000, 'currency' => 'USD', 'coupon' => 'M10' ), $this->sk() );
		$this->assertSame( 201, $s, wp_json_encode( $sale ) );
		$t = Reftrail_Db::table( 'outbox' );
		// Queued in the sale's transaction: the referral's events, then the share's.
		$this->assertSame(
			array(
				array( 'referral.created', $hook( 'both' ) ),
				array( 'referral.created', $hook( 'ref' ) ),
				array( 'recruiter_commission.created', $hook( 'both' ) ),
				array( 'recruiter_commission.created', $hook( 'rc' ) ),
			),
			array_map( 'array_values', $wpdb->get_results( "SELECT event, url FROM {$t} ORDER BY BINARY id", ARRAY_A ) ) // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		);

		// Delivered in that order: what each endpoint was sent, as the requests went.
		$sent = array();
		$note = function ( $response, $context, $transport, $args, $url ) use ( &$sent ) {
			$sent[] = array( $url, json_decode( $args['body'], true )['type'] );
		};
		add_action( 'http_api_debug', $note, 10, 5 );
		try {
			$this->assertSame( 4, Reftrail_Webhooks::deliver_due() );
		} finally {
			remove_action( 'http_api_debug', $note, 10 );
		}
		$this->assertSame(
			array(
				array( $hook( 'both' ), 'referral.created' ),
				array( $hook( 'ref' ), 'referral.created' ),
				array( $hook( 'both' ), 'recruiter_commission.created' ),
				array( $hook( 'rc' ), 'recruiter_commission.created' ),
			),
			$sent
		);
		// The last each endpoint received (the receiver keeps one per endpoint), signed: the share
		// as GET /v1/recruiter-commissions lists it.
		list( , $listed ) = $this->rest( 'GET', '/v1/recruiter-commissions', null, $this->sk() );
		$this->assertSame( 1, $listed['total'] );
		$share  = $listed['recruiter_commissions'][0];
		$secret = get_option( Reftrail_Keys::WEBHOOK );
		foreach ( array( 'both' => 'recruiter_commission.created', 'rc' => 'recruiter_commission.created', 'ref' => 'referral.created' ) as $name => $type ) {
			$file = getenv( 'WP_DOCROOT' ) . '/wp-content/reftrail-webhook-' . $id . $name . '.json';
			$this->assertFileExists( $file );
			$got = json_decode( file_get_contents( $file ), true );
			unlink( $file );
			$this->assertSame( 1, preg_match( '/^t=(\d+),v1=[0-9a-f]{64}$/', $got['signature'], $m ) );
			$this->assertSame( Reftrail_Webhooks::signature( $secret, (int) $m[1], $got['body'] ), $got['signature'] );
			$body = json_decode( $got['body'], true );
			$this->assertSame( $type, $body['type'], $name );
			if ( 'ref' === $name ) {
				$this->assertSame( $sale['referral']['id'], $body['data']['id'] );
				continue;
			}
			$this->assertSame( $share, $body['data'], $name );
		}
		// 20 % of minh's 10 % of 50,000, pending with its referral.
		$this->assertSame(
			array( 'alice', 'minh', $sale['referral']['id'], 2000, 1000, 0, 'USD', 'pending', null ),
			array( $share['affiliate'], $share['recruit'], $share['referral'], $share['rate_bps'], $share['amount'], $share['reversed'], $share['currency'], $share['status'], $share['payout_id'] )
		);
		$this->assertSame( array( 'affiliate', 'amount', 'created_at', 'currency', 'id', 'payout_id', 'rate_bps', 'recruit', 'referral', 'reversed', 'status' ), $this->sorted_keys( $share ) );

		// A referral that makes no share tells only of itself.
		$this->affiliate( 'solo', array( 'coupons' => array( 'SOLO' ) ) );
		$wpdb->query( "DELETE FROM {$t}" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		list( $s ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'W-3', 'amount' => 50000, 'currency' => 'USD', 'coupon' => 'SOLO' ), $this->sk() );
		$this->assertSame( 201, $s );
		$this->assertSame( array( 'referral.created', 'referral.created' ), $wpdb->get_col( "SELECT event FROM {$t}" ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
	}

	public function test_a_referral_approved_the_moment_it_is_made_is_told_created_then_approved() {
		global $wpdb;
		$id   = strtolower( wp_generate_password( 12, false ) );
		$hook = fn( $name ) => getenv( 'WP_URL' ) . '/?reftrail_test_webhook=' . $id . $name;
		list( $s, $d ) = $this->put_program_rest(
			array(
				'auto_approve'       => true,
				'hold_days'          => 0,
				'recruiter_rate_bps' => 2000,
				'webhooks'           => array(
					array( 'url' => $hook( 'all' ) ),
					array(
						'url'    => $hook( 'ok' ),
						'events' => array( 'referral.approved' ),
					),
				),
			)
		);
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
		$this->affiliate( 'alice' );
		$this->affiliate(
			'minh',
			array(
				'coupons'   => array( 'M10' ),
				'recruiter' => 'alice',
			)
		);
		$t      = Reftrail_Db::table( 'outbox' );
		$queued = fn() => $wpdb->get_results( "SELECT event, url, payload FROM {$t} ORDER BY BINARY id", ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared

		// Verified, unflagged, no hold: approved in the sale's transaction.
		list( $s, $sale ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'W-AUTO', 'amount' => 50000, 'currency' => 'USD', 'coupon' => 'M10' ), $this->sk() );
		$this->assertSame( 201, $s, wp_json_encode( $sale ) );
		$this->assertSame( 'approved', $sale['referral']['status'] );
		$rows = $queued();
		// Queued in that order: created, then approved (to each endpoint that wants it), then the
		// recruiter's share.
		$this->assertSame(
			array(
				array( 'referral.created', $hook( 'all' ) ),
				array( 'referral.approved', $hook( 'all' ) ),
				array( 'referral.approved', $hook( 'ok' ) ),
				array( 'recruiter_commission.created', $hook( 'all' ) ),
			),
			array_map( fn( $r ) => array( $r['event'], $r['url'] ), $rows )
		);
		// Both tell the referral as it was made, approved, as GET /v1/referrals/{id} shows it.
		list( , $shown ) = $this->rest( 'GET', '/v1/referrals/' . $sale['referral']['id'], null, $this->sk() );
		$this->assertSame( 'approved', $shown['status'] );
		foreach ( array_slice( $rows, 0, 3 ) as $r ) {
			$body = json_decode( $r['payload'], true );
			$this->assertSame( array( $r['event'], $shown ), array( $body['type'], $body['data'] ), $r['event'] );
		}
		$this->assertSame( $sale['referral']['id'], json_decode( $rows[3]['payload'], true )['data']['referral'] );

		// Delivered in that order.
		$sent = array();
		$note = function ( $response, $context, $transport, $args, $url ) use ( &$sent ) {
			$sent[] = array( $url, json_decode( $args['body'], true )['type'] );
		};
		add_action( 'http_api_debug', $note, 10, 5 );
		try {
			$this->assertSame( 4, Reftrail_Webhooks::deliver_due() );
		} finally {
			remove_action( 'http_api_debug', $note, 10 );
		}
		$this->assertSame( array_map( fn( $r ) => array( $r['url'], $r['event'] ), $rows ), $sent );
		foreach ( array( 'all', 'ok' ) as $name ) {
			@unlink( getenv( 'WP_DOCROOT' ) . '/wp-content/reftrail-webhook-' . $id . $name . '.json' ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
		}

		// One that waits out a hold is told created only; approved when it is approved.
		$wpdb->query( "DELETE FROM {$t}" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$this->program( array( 'hold_days' => 30 ) );
		list( $s, $held ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'W-HELD', 'amount' => 50000, 'currency' => 'USD', 'coupon' => 'M10' ), $this->sk() );
		$this->assertSame( array( 201, 'pending' ), array( $s, $held['referral']['status'] ) );
		$this->assertSame( array( 'referral.created', 'recruiter_commission.created' ), $wpdb->get_col( "SELECT event FROM {$t} ORDER BY BINARY id" ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		list( $s, $approved ) = $this->rest( 'POST', '/v1/referrals/' . $held['referral']['id'] . '/approve', null, $this->sk() );
		$this->assertSame( array( 200, 'approved' ), array( $s, $approved['status'] ) );
		$this->assertSame( array( 'referral.created', 'recruiter_commission.created', 'referral.approved', 'referral.approved' ), $wpdb->get_col( "SELECT event FROM {$t} ORDER BY BINARY id" ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared

		// Without the program's automatic approval, none is approved at once.
		$wpdb->query( "DELETE FROM {$t}" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$this->program(
			array(
				'hold_days'    => 0,
				'auto_approve' => false,
			)
		);
		list( $s, $manual ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'W-MANUAL', 'amount' => 50000, 'currency' => 'USD', 'coupon' => 'M10' ), $this->sk() );
		$this->assertSame( array( 201, 'pending' ), array( $s, $manual['referral']['status'] ) );
		$this->assertSame( array( 'referral.created', 'recruiter_commission.created' ), $wpdb->get_col( "SELECT event FROM {$t} ORDER BY BINARY id" ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
	}

	/**
	 * The keys of `$a`, sorted.
	 *
	 * @param array $a Array.
	 * @return string[]
	 */
	private function sorted_keys( array $a ) {
		$keys = array_keys( $a );
		sort( $keys );
		return $keys;
	}

	public function test_a_refused_change_sends_nothing() {
		$this->program( array( 'webhooks' => array( array( 'url' => 'http://127.0.0.1:9/hook' ) ) ) );
		list( $s ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'W2', 'amount' => 10, 'currency' => 'usd' ), $this->sk() );
		$this->assertSame( 400, $s );
		global $wpdb;
		$this->assertSame( '0', $wpdb->get_var( 'SELECT COUNT(*) FROM ' . Reftrail_Db::table( 'outbox' ) ) ); // phpcs:ignore
	}
}
