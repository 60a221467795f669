<?php
/**
 * Webhooks: written to the outbox with the change they report, delivered over HTTP (to a test
 * receiver on the test site) with the server's signature, retried with backoff when refused.
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

	public function test_a_refused_change_sends_nothing() {
		$this->program( array( 'webhooks' => array( array( 'url' => 'http://127.0.0.1:9/hook' ) ) ) );
		list( $s ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'W2', 'amount' => 10, 'currency' => 'usd' ), $this->sk() );
		$this->assertSame( 400, $s );
		global $wpdb;
		$this->assertSame( '0', $wpdb->get_var( 'SELECT COUNT(*) FROM ' . Reftrail_Db::table( 'outbox' ) ) ); // phpcs:ignore
	}
}
