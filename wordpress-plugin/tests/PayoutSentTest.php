<?php
/**
 * A payout line's transfer marked as sent (`POST /v1/payouts/{id}/sent`): the first time kept
 * when marked again, cleared by `sent: false`, only that line changed; the payout answered whole
 * as GET answers it; each 404 and each refused body; the merchant's alone, the dashboard session
 * with its CSRF token; `sent_at` in the affiliate's own payout history and null in the
 * payout.created webhook.
 *
 * @package Reftrail
 */

/**
 * Payout sent tests.
 */
class PayoutSentTest extends Reftrail_Test_Case {

	/** @var string The payout of the test. */
	private $payout;

	/** @var array The answer of POST /v1/affiliates for lan (VietQR). */
	private $lan;

	/**
	 * A batch of two lines in VND: lan (VietQR) and alice (PayPal), with a webhook.
	 */
	protected function setUp(): void {
		parent::setUp();
		$this->program(
			array(
				'hold_days' => 0,
				'webhooks'  => array( array( 'url' => 'http://127.0.0.1:9/hook' ) ),
			)
		);
		$this->lan = $this->affiliate(
			'lan',
			array(
				'payout'  => array(
					'method'  => 'vietqr',
					'bank'    => '970436',
					'account' => '19033',
				),
				'coupons' => array( 'LAN' ),
			)
		);
		$this->affiliate(
			'alice',
			array(
				'payout_email' => 'alice@pay.test',
				'coupons'      => array( 'ALICE' ),
			)
		);
		foreach ( array(
			'S1' => 'LAN',
			'S2' => 'ALICE',
		) as $order => $coupon ) {
			list( $s, $d ) = $this->rest(
				'POST',
				'/v1/sales',
				array(
					'order_id' => $order,
					'amount'   => 10000000,
					'currency' => 'VND',
					'coupon'   => $coupon,
				),
				$this->sk()
			);
			$this->assertSame( 201, $s, wp_json_encode( $d ) );
		}
		list( $s, $p ) = $this->rest( 'POST', '/v1/payouts', null, $this->sk() );
		$this->assertSame( 201, $s, wp_json_encode( $p ) );
		$this->payout = $p['id'];
	}

	/**
	 * POSTs to the payout's /sent; returns [status, body].
	 *
	 * @param array|string $body    Body.
	 * @param array|null   $headers Headers (default: the secret key).
	 * @param string|null  $id      Payout (default: the test's).
	 * @return array
	 */
	private function sent( $body, $headers = null, $id = null ) {
		return $this->rest( 'POST', '/v1/payouts/' . ( $id ?? $this->payout ) . '/sent', $body, $headers ?? $this->sk() );
	}

	/**
	 * The line of an affiliate in a payout view.
	 *
	 * @param array  $payout    Payout view.
	 * @param string $affiliate Affiliate.
	 * @return array|null
	 */
	private static function line( array $payout, $affiliate ) {
		foreach ( $payout['lines'] as $l ) {
			if ( $affiliate === $l['affiliate'] ) {
				return $l;
			}
		}
		return null;
	}

	public function test_a_line_is_marked_sent_the_first_time_kept_then_unmarked() {
		global $wpdb;
		// Created unsent, and the webhook says so.
		list( $s, $before ) = $this->rest( 'GET', '/v1/payouts/' . $this->payout, null, $this->sk() );
		$this->assertSame( 200, $s );
		$this->assertSame( array( null, null ), array_column( $before['lines'], 'sent_at' ) );
		$this->assertSame( 'sent_at', array_key_last( $before['lines'][0] ), 'the last key, as on the server' );
		$payload = json_decode( (string) $wpdb->get_var( $wpdb->prepare( 'SELECT payload FROM ' . Reftrail_Db::table( 'outbox' ) . ' WHERE event = %s', 'payout.created' ) ), true ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		$this->assertSame( $before, $payload['data'] );
		$this->assertSame( array( null, null ), array_column( $payload['data']['lines'], 'sent_at' ) );

		$t0 = 1790000000;
		add_filter( 'reftrail_now', fn() => $t0 );
		list( $s, $d ) = $this->sent(
			array(
				'affiliate' => 'lan',
				'currency'  => 'VND',
				'sent'      => true,
			)
		);
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
		$at = gmdate( 'Y-m-d\TH:i:s\Z', $t0 );
		$this->assertSame( '2026-09-21T14:13:20Z', $at );
		$want                        = $before;
		$want['lines'][1]['sent_at'] = $at;
		$this->assertSame( 'lan', $want['lines'][1]['affiliate'] );
		$this->assertSame( $want, $d, 'the whole payout, only that line marked' );
		list( , $shown ) = $this->rest( 'GET', '/v1/payouts/' . $this->payout, null, $this->sk() );
		$this->assertSame( $d, $shown, 'as GET answers it' );
		$this->assertSame( (string) $t0, $wpdb->get_var( $wpdb->prepare( 'SELECT sent_at FROM ' . Reftrail_Db::table( 'payout_lines' ) . ' WHERE affiliate_id = %s', 'lan' ) ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared

		// Marked again later: the first time stays.
		remove_all_filters( 'reftrail_now' );
		add_filter( 'reftrail_now', fn() => $t0 + 3600 );
		list( $s, $again ) = $this->sent(
			array(
				'affiliate' => 'lan',
				'currency'  => 'VND',
				'sent'      => true,
			)
		);
		$this->assertSame( array( 200, $want ), array( $s, $again ) );
		list( , $all ) = $this->rest( 'GET', '/v1/payouts', null, $this->sk() );
		$this->assertSame( array( $want ), $all['payouts'] );

		// The affiliate sees it in their payout history, as the last key.
		list( $s, $mine ) = $this->rest( 'GET', '/v1/me/payouts', null, array( 'authorization' => 'Bearer ' . $this->lan['token'] ) );
		$this->assertSame( 200, $s );
		$this->assertSame(
			array(
				'id'                    => $this->payout,
				'at'                    => $before['at'],
				'amount'                => 1000000,
				'gross'                 => 1000000,
				'withheld'              => 0,
				'currency'              => 'VND',
				'referrals'             => 1,
				'bonuses'               => 0,
				'recruiter_commissions' => 0,
				'method'                => 'vietqr',
				'paypal_email'          => null,
				'account'               => '19033',
				'note'                  => null,
				'sent_at'               => $at,
			),
			$mine['payouts'][0]
		);

		// Unmarked; unmarking again changes nothing.
		foreach ( array( 1, 2 ) as $n ) {
			list( $s, $d ) = $this->sent(
				array(
					'affiliate' => 'lan',
					'currency'  => 'VND',
					'sent'      => false,
				)
			);
			$this->assertSame( array( 200, $before ), array( $s, $d ), "unmarked ({$n})" );
		}
		list( , $mine ) = $this->rest( 'GET', '/v1/me/payouts', null, array( 'authorization' => 'Bearer ' . $this->lan['token'] ) );
		$this->assertNull( $mine['payouts'][0]['sent_at'] );

		// Marked anew: the new time.
		list( $s, $d ) = $this->sent(
			array(
				'affiliate' => 'alice',
				'currency'  => 'VND',
				'sent'      => true,
			)
		);
		$this->assertSame( array( 200, gmdate( 'Y-m-d\TH:i:s\Z', $t0 + 3600 ), null ), array( $s, self::line( $d, 'alice' )['sent_at'], self::line( $d, 'lan' )['sent_at'] ) );
	}

	public function test_no_such_payout_or_line_is_a_404_and_a_bad_body_a_400() {
		$ok = array(
			'affiliate' => 'lan',
			'currency'  => 'VND',
			'sent'      => true,
		);
		foreach ( array(
			array( array( 'currency' => 'USD' ), 'payout_line_not_found' ),
			array( array( 'currency' => 'vnd' ), 'payout_line_not_found' ),
			array( array( 'affiliate' => 'nobody-here' ), 'payout_line_not_found' ),
			array( array( 'affiliate' => 'LAN' ), 'payout_line_not_found' ),
			array( array( 'affiliate' => 'alice%' ), 'payout_line_not_found' ),
		) as list( $change, $code ) ) {
			list( $s, $d ) = $this->sent( array_merge( $ok, $change ) );
			$this->assertSame( array( 404, $code ), array( $s, $d['error']['code'] ?? null ), wp_json_encode( $change ) );
		}
		foreach ( array( 'po_missing', 'po-missing', 'x' ) as $id ) {
			list( $s, $d ) = $this->sent( $ok, null, $id );
			$this->assertSame( array( 404, 'payout_not_found' ), array( $s, $d['error']['code'] ?? null ), $id );
		}
		foreach ( array(
			array(
				'affiliate' => 'lan',
				'currency'  => 'VND',
			),
			array(
				'affiliate' => 'lan',
				'currency'  => 'VND',
				'sent'      => 'yes',
			),
			array(
				'affiliate' => 'lan',
				'currency'  => 'VND',
				'sent'      => 1,
			),
			array(
				'affiliate' => 'lan',
				'currency'  => 'VND',
				'sent'      => null,
			),
			array(
				'affiliate' => 'lan',
				'currency'  => 'VND',
				'sent'      => true,
				'at'        => 'now',
			),
			array(
				'currency' => 'VND',
				'sent'     => true,
			),
			array(
				'affiliate' => 7,
				'currency'  => 'VND',
				'sent'      => true,
			),
			array(
				'affiliate' => 'lan',
				'currency'  => array( 'VND' ),
				'sent'      => true,
			),
			array(),
			array( $ok ),
		) as $body ) {
			list( $s, $d ) = $this->sent( $body );
			$this->assertSame( array( 400, 'invalid_body' ), array( $s, $d['error']['code'] ?? null ), wp_json_encode( $body ) );
		}
		// A bad body is refused before the payout is looked for, as on the server.
		list( $s, $d ) = $this->sent( array( 'sent' => true ), null, 'po_missing' );
		$this->assertSame( array( 400, 'invalid_body' ), array( $s, $d['error']['code'] ?? null ) );
		list( $s, $d ) = $this->sent( '{"affiliate":' );
		$this->assertSame( array( 400, 'invalid_json' ), array( $s, $d['error']['code'] ?? null ) );
		// Nothing was marked.
		list( , $p ) = $this->rest( 'GET', '/v1/payouts/' . $this->payout, null, $this->sk() );
		$this->assertSame( array( null, null ), array_column( $p['lines'], 'sent_at' ) );
		// Another method on the path.
		list( $s, $d ) = $this->rest( 'GET', '/v1/payouts/' . $this->payout . '/sent', null, $this->sk() );
		$this->assertSame( array( 405, 'method_not_allowed' ), array( $s, $d['error']['code'] ?? null ) );
	}

	public function test_only_the_merchant_marks_a_transfer() {
		$body = array(
			'affiliate' => 'lan',
			'currency'  => 'VND',
			'sent'      => true,
		);
		// Refused callers are refused before the body is read, a bad one too.
		foreach ( array( $body, array( 'sent' => 'yes' ) ) as $b ) {
			list( $s, $d ) = $this->sent( $b, array( 'authorization' => 'Bearer ' . Reftrail_Keys::publishable() ) );
			$this->assertSame( array( 403, 'forbidden' ), array( $s, $d['error']['code'] ?? null ) );
			list( $s, $d ) = $this->sent( $b, array( 'authorization' => 'Bearer ' . $this->lan['token'] ) );
			$this->assertSame( array( 403, 'forbidden' ), array( $s, $d['error']['code'] ?? null ), 'not the affiliate' );
			list( $s, $d ) = $this->sent( $b, array() );
			$this->assertSame( array( 401, 'unauthorized' ), array( $s, $d['error']['code'] ?? null ) );
			list( $s, $d ) = $this->sent( $b, array( 'authorization' => 'Bearer sk_wrong' ) );
			$this->assertSame( array( 401, 'unauthorized' ), array( $s, $d['error']['code'] ?? null ) );
		}
		wp_set_current_user( $this->user( 'subscriber' ) );
		list( $s, $d ) = $this->sent( $body, array() );
		$this->assertSame( array( 403, 'forbidden' ), array( $s, $d['error']['code'] ?? null ), 'a user who is no manager' );
		wp_set_current_user( 0 );
		list( , $p ) = $this->rest( 'GET', '/v1/payouts/' . $this->payout, null, $this->sk() );
		$this->assertNull( self::line( $p, 'lan' )['sent_at'], 'nothing marked' );

		// The dashboard session: with its CSRF token only.
		$uid = $this->user( 'administrator' );
		wp_set_password( 'correct horse battery', $uid );
		list( $s, $session, $h ) = $this->rest( 'POST', '/v1/session', array( 'password' => 'correct horse battery', 'username' => get_userdata( $uid )->user_login ) );
		$this->assertSame( 201, $s );
		$cookie        = array( 'cookie' => explode( ';', $h['Set-Cookie'] )[0] );
		list( $s, $d ) = $this->sent( $body, $cookie );
		$this->assertSame( array( 403, 'csrf_failed' ), array( $s, $d['error']['code'] ?? null ) );
		list( $s, $d ) = $this->sent( $body, $cookie + array( 'x_csrf_token' => 'wrong' ) );
		$this->assertSame( array( 403, 'csrf_failed' ), array( $s, $d['error']['code'] ?? null ) );
		list( $s, $d ) = $this->sent( $body, $cookie + array( 'x_csrf_token' => $session['csrf_token'] ) );
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
		$this->assertNotNull( self::line( $d, 'lan' )['sent_at'] );

		// A manager signed in to WordPress (the REST nonce is WordPress's check of the cookie).
		wp_set_current_user( $this->user( 'administrator' ) );
		list( $s, $d ) = $this->sent( array_merge( $body, array( 'sent' => false ) ), array( 'x-wp-nonce' => wp_create_nonce( 'wp_rest' ) ) );
		$this->assertSame( array( 200, null ), array( $s, self::line( $d, 'lan' )['sent_at'] ) );
	}

	public function test_the_route_is_in_the_openapi_document_and_the_rest_index() {
		list( $s, $doc ) = $this->rest( 'GET', '/v1/openapi.json' );
		$this->assertSame( 200, $s );
		$op = $doc['paths']['/v1/payouts/{id}/sent']['post'];
		$this->assertSame( array( array( 'secret_key' => array() ), array( 'session' => array() ), array( 'wordpress_user' => array() ) ), $op['security'] );
		$schema = $op['requestBody']['content']['application/json']['schema'];
		$this->assertSame( array( 'affiliate', 'currency', 'sent' ), $schema['required'], 'the fee is optional' );
		$this->assertFalse( $schema['additionalProperties'] );
		$this->assertSame( 'boolean', $schema['properties']['sent']['type'] );
		$this->assertSame( 'integer', $schema['properties']['fee']['type'] );
		$this->assertSame( array( 'id' ), array_column( $op['parameters'], 'name' ) );
		$routes = rest_get_server()->get_routes( 'reftrail/v1' );
		$this->assertSame( array( 'affiliate', 'currency', 'sent', 'fee' ), array_keys( $routes['/reftrail/v1/payouts/(?P<id>[^/]+)/sent'][0]['args'] ) );
	}
}
