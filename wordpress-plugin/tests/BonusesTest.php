<?php
/**
 * Bonuses and payout fees: a bonus given through `POST /v1/bonuses` (by a WordPress
 * administrator, recorded with their login; the secret key), each field checked and a refusal
 * writing nothing, payable at once in the ledger, listed for the merchant and for the affiliate,
 * cancelled until a payout pays it, given once per Idempotency-Key; a payout paying and counting
 * bonuses apart from referrals, in its lines and the affiliate's payout history, and its email
 * naming them; the fee of a payout line's transfer recorded, kept, corrected and cleared, each
 * change in the activity log; the reports' bonuses, fees and channel cost per affiliate,
 * category, day and program, and the affiliate's own; the routes in the OpenAPI document; the
 * upgrade from schema 19.
 *
 * @package Reftrail
 */

/**
 * Bonuses and payout fees tests.
 */
class BonusesTest extends Reftrail_Test_Case {

	/** The tests that change tables, which commits: they run outside the transaction. */
	const SCHEMA_TESTS = array( 'test_the_upgrade_from_19_adds_bonuses_and_payout_fees' );

	/** The start of a UTC day the report tests happen on (2026-09-21). */
	const DAY = 1789948800;

	protected function setUp(): void {
		$this->transactional = ! in_array( $this->getName( false ), self::SCHEMA_TESTS, true );
		parent::setUp();
		if ( $this->transactional ) {
			$this->program( array( 'hold_days' => 0 ) );
		}
	}

	/**
	 * Gives a bonus with the secret key (or `$headers`); returns [status, body, headers].
	 *
	 * @param array|string $body    Body.
	 * @param array|null   $headers Headers.
	 * @return array
	 */
	private function give( $body, ?array $headers = null ) {
		return $this->rest( 'POST', '/v1/bonuses', $body, $headers ?? $this->sk() );
	}

	/**
	 * Gives a bonus that must be accepted; returns it.
	 *
	 * @param string $affiliate Affiliate.
	 * @param int    $amount    Minor units.
	 * @param string $currency  Currency.
	 * @param string $reason    Reason.
	 * @return array
	 */
	private function given( $affiliate, $amount, $currency = 'VND', $reason = 'Top seller' ) {
		list( $s, $d ) = $this->give(
			array(
				'affiliate' => $affiliate,
				'amount'    => $amount,
				'currency'  => $currency,
				'reason'    => $reason,
			)
		);
		$this->assertSame( 201, $s, wp_json_encode( $d ) );
		return $d;
	}

	/**
	 * `GET /v1/bonuses` with the secret key.
	 *
	 * @param string $query Query, with its `?`.
	 * @return array `bonuses`, `total`.
	 */
	private function listed( $query = '' ) {
		list( $s, $d ) = $this->rest( 'GET', '/v1/bonuses' . $query, null, $this->sk() );
		$this->assertSame( 200, $s, $query . ' ' . wp_json_encode( $d ) );
		$this->assertSame( array( 'bonuses', 'total' ), array_keys( $d ) );
		return $d;
	}

	/**
	 * Cancels a bonus with the secret key; returns [status, body].
	 *
	 * @param string $id Bonus.
	 * @return array
	 */
	private function cancel( $id ) {
		list( $s, $d ) = $this->rest( 'POST', '/v1/bonuses/' . rawurlencode( $id ) . '/cancel', null, $this->sk() );
		return array( $s, $d );
	}

	/**
	 * An affiliate's approved balance in a currency.
	 *
	 * @param string $affiliate Affiliate.
	 * @param string $currency  Currency.
	 * @return int
	 */
	private function approved( $affiliate, $currency ) {
		foreach ( Reftrail_Ledger::balances( $affiliate ) as $b ) {
			if ( $b['currency'] === $currency ) {
				return $b['approved'];
			}
		}
		return 0;
	}

	/**
	 * The ledger rows of a bonus, in the order a bonus's money moves (given, cancelled, paid out
	 * of approved into paid): [bucket, entry, amount, payout, referral].
	 *
	 * @param string $id Bonus.
	 * @return array[]
	 */
	private function ledger_of( $id ) {
		global $wpdb;
		$rows = $wpdb->get_results( $wpdb->prepare( 'SELECT bucket, entry, amount, payout_id, referral_id FROM ' . Reftrail_Db::table( 'ledger' ) . ' WHERE bonus_id = %s ORDER BY entry, bucket', $id ), ARRAY_N ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		return array_map( fn( $r ) => array( $r[0], $r[1], (int) $r[2], $r[3], $r[4] ), $rows );
	}

	/**
	 * The activity log's entries of an action family: [action, by, subject, affiliate, details JSON].
	 *
	 * @param string $action Action or family.
	 * @return array[]
	 */
	private function activity( $action ) {
		list( $s, $d ) = $this->rest( 'GET', '/v1/activity?action=' . rawurlencode( $action ), null, $this->sk() );
		$this->assertSame( 200, $s );
		return array_map( fn( $e ) => array( $e['action'], $e['by'], $e['subject'], $e['affiliate'], wp_json_encode( $e['details'] ) ), $d['activity'] );
	}

	/**
	 * Asserts a refusal: the status and the error code, with a message.
	 *
	 * @param array  $answer [status, body].
	 * @param string $code   Code.
	 * @param string $what   What was sent.
	 * @param int    $status Status.
	 */
	private function refused( array $answer, $code, $what, $status = 400 ) {
		list( $s, $d ) = $answer;
		$this->assertSame( array( $status, $code ), array( $s, $d['error']['code'] ?? null ), $what . ': ' . wp_json_encode( $d ) );
		$this->assertNotSame( '', (string) ( $d['error']['message'] ?? '' ), $what );
	}

	/**
	 * A verified sale by coupon at the time the `reftrail_now` filter gives.
	 *
	 * @param string   $coupon   Coupon.
	 * @param int      $amount   Amount.
	 * @param string   $currency Currency.
	 * @param int|null $cost     Cost of goods.
	 */
	private function sale( $coupon, $amount, $currency, $cost = null ) {
		list( $s, $d ) = $this->rest(
			'POST',
			'/v1/sales',
			array_filter(
				array(
					'order_id' => 'o_' . wp_generate_password( 10, false ),
					'amount'   => $amount,
					'currency' => $currency,
					'coupon'   => $coupon,
					'cost'     => $cost,
				),
				fn( $v ) => null !== $v
			),
			$this->sk()
		);
		$this->assertSame( array( 201, 'approved' ), array( $s, $d['referral']['status'] ?? null ), wp_json_encode( $d ) );
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

	/**
	 * The line of an affiliate in a payout view.
	 *
	 * @param array  $payout    Payout.
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

	public function test_an_administrator_gives_a_bonus_payable_at_once_and_recorded_by_their_login() {
		$lan   = $this->affiliate(
			'lan',
			array(
				'payout_email' => 'lan@pay.test',
				'coupons'      => array( 'LAN' ),
			)
		);
		$admin = $this->user( 'administrator' );
		$login = get_userdata( $admin )->user_login;
		$this->sale( 'LAN', 100000, 'VND' );
		$this->now_is( 1790000000 );

		wp_set_current_user( $admin );
		list( $s, $bonus, $h ) = $this->give(
			array(
				'reason'    => '  Top seller, tháng 11  ',
				'currency'  => 'VND',
				'amount'    => 500000,
				'affiliate' => 'lan',
			),
			array( 'x-wp-nonce' => wp_create_nonce( 'wp_rest' ) )
		);
		wp_set_current_user( 0 );
		$this->assertSame( 201, $s, wp_json_encode( $bonus ) );
		$this->assertArrayNotHasKey( 'Idempotent-Replayed', $h );
		$this->assertMatchesRegularExpression( '/^bo_[0-9A-Za-z]{21}$/', $bonus['id'], 'an id like the plugin\'s others' );
		$this->assertSame(
			array(
				'id'           => $bonus['id'],
				'affiliate'    => 'lan',
				'amount'       => 500000,
				'currency'     => 'VND',
				'reason'       => 'Top seller, tháng 11',
				'status'       => 'approved',
				'payout_id'    => null,
				'created_at'   => '2026-09-21T14:13:20Z',
				'cancelled_at' => null,
				'by'           => 'user:' . $login,
			),
			$bonus,
			'the reason without the spaces at its ends'
		);
		// In the ledger beside the commission, payable: its own row, under its id, of no referral.
		$this->assertSame( array( array( 'approved', 'bonus', 500000, null, null ) ), $this->ledger_of( $bonus['id'] ) );
		$this->assertSame( 10000 + 500000, $this->approved( 'lan', 'VND' ) );
		$this->assertSame(
			array( array( 'bonus.created', 'user:' . $login, $bonus['id'], 'lan', '{"amount":500000,"currency":"VND","reason":"Top seller, th\u00e1ng 11"}' ) ),
			$this->activity( 'bonus.' )
		);
		$this->assertSame(
			array(
				'bonuses' => array( $bonus ),
				'total'   => 1,
			),
			$this->listed( '?affiliate=lan' )
		);

		// The affiliate sees it without the merchant's bookkeeping, by token or signed in.
		$mine = array(
			'bonuses' => array(
				array(
					'id'         => $bonus['id'],
					'amount'     => 500000,
					'currency'   => 'VND',
					'reason'     => 'Top seller, tháng 11',
					'status'     => 'approved',
					'payout_id'  => null,
					'created_at' => '2026-09-21T14:13:20Z',
				),
			),
			'total'   => 1,
		);
		list( $s, $d ) = $this->rest( 'GET', '/v1/me/bonuses', null, array( 'authorization' => 'Bearer ' . $lan['token'] ) );
		$this->assertSame( array( 200, $mine ), array( $s, $d ) );
		global $wpdb;
		$uid = $this->user( Reftrail_Schema::ROLE );
		$wpdb->update( Reftrail_Db::table( 'affiliates' ), array( 'user_id' => $uid ), array( 'id' => 'lan' ) );
		wp_set_current_user( $uid );
		list( $s, $d ) = $this->rest( 'GET', '/v1/me/bonuses', null, array( 'x-wp-nonce' => wp_create_nonce( 'wp_rest' ) ) );
		wp_set_current_user( 0 );
		$this->assertSame( array( 200, $mine ), array( $s, $d ) );

		// The secret key is named so.
		$other = $this->given( 'lan', 1000, 'USD', 'Review' );
		$this->assertSame( 'secret_key', $other['by'] );
		$this->assertSame( array( 'secret_key', 'user:' . $login ), array_column( $this->listed()['bonuses'], 'by' ), 'newest first' );
	}

	public function test_bad_bonuses_are_refused_and_a_refusal_writes_nothing() {
		global $wpdb;
		$this->affiliate( 'alice' );
		$this->affiliate( 'pending-one', array( 'status' => 'pending' ) );
		$this->affiliate( 'gone', array( 'status' => 'suspended' ) );
		$ok      = array(
			'affiliate' => 'alice',
			'amount'    => 1000,
			'currency'  => 'USD',
			'reason'    => 'Thanks',
		);
		$with    = fn( $k, $v ) => array_merge( $ok, array( $k => $v ) );
		$without = function ( $k ) use ( $ok ) {
			unset( $ok[ $k ] );
			return $ok;
		};
		foreach ( array(
			array( $without( 'affiliate' ), 'invalid_affiliate' ),
			array( $with( 'affiliate', null ), 'invalid_affiliate' ),
			array( $with( 'affiliate', '<script>' ), 'invalid_affiliate' ),
			array( $with( 'affiliate', 42 ), 'invalid_affiliate' ),
			array( $with( 'affiliate', array( 'alice' ) ), 'invalid_affiliate' ),
			array( $with( 'affiliate', str_repeat( 'a', 65 ) ), 'invalid_affiliate' ),
			array( $with( 'affiliate', "alice'--" ), 'invalid_affiliate' ),
			array( $without( 'amount' ), 'invalid_amount' ),
			array( $with( 'amount', 0 ), 'invalid_amount' ),
			array( $with( 'amount', -500 ), 'invalid_amount' ),
			array( $with( 'amount', 12.5 ), 'invalid_amount' ),
			array( '{"affiliate":"alice","amount":1000.0,"currency":"USD","reason":"Thanks"}', 'invalid_amount' ),
			array( $with( 'amount', '1000' ), 'invalid_amount' ),
			array( $with( 'amount', true ), 'invalid_amount' ),
			array( $with( 'amount', 9007199254740992 ), 'invalid_amount' ),
			array( $without( 'currency' ), 'invalid_currency' ),
			array( $with( 'currency', 'usd' ), 'invalid_currency' ),
			array( $with( 'currency', 'DOLLARS' ), 'invalid_currency' ),
			array( $with( 'currency', 840 ), 'invalid_currency' ),
			array( $without( 'reason' ), 'invalid_reason' ),
			array( $with( 'reason', '' ), 'invalid_reason' ),
			array( $with( 'reason', '   ' ), 'invalid_reason' ),
			array( $with( 'reason', "line\nbreak" ), 'invalid_reason' ),
			array( $with( 'reason', "\tThanks" ), 'invalid_reason' ),
			array( $with( 'reason', "a\u{85}b" ), 'invalid_reason' ),
			array( $with( 'reason', str_repeat( 'x', 201 ) ), 'invalid_reason' ),
			array( $with( 'reason', str_repeat( 'ต', 67 ) ), 'invalid_reason' ),
			array( $with( 'reason', array( 'Thanks' ) ), 'invalid_reason' ),
			array( $with( 'reason', 7 ), 'invalid_reason' ),
			// Several broken: the first in the contract's order.
			array( array_merge( $ok, array( 'amount' => 0, 'currency' => 'x', 'reason' => '' ) ), 'invalid_amount' ),
			array( array_merge( $ok, array( 'currency' => 'x', 'reason' => '' ) ), 'invalid_currency' ),
			array( $with( 'extra', 1 ), 'invalid_body' ),
			array( '[1]', 'invalid_body' ),
			array( '{"affiliate":', 'invalid_json' ),
		) as list( $body, $code ) ) {
			$this->refused( $this->give( $body ), $code, wp_json_encode( $body ) );
		}
		// 200 bytes is the longest reason, however many characters they are.
		$this->assertSame( str_repeat( 'ต', 66 ) . 'ab', $this->given( 'alice', 1, 'USD', '  ' . str_repeat( 'ต', 66 ) . 'ab  ' )['reason'] );
		$wpdb->query( 'DELETE FROM ' . Reftrail_Db::table( 'bonuses' ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		$wpdb->query( 'DELETE FROM ' . Reftrail_Db::table( 'ledger' ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		$wpdb->query( 'DELETE FROM ' . Reftrail_Db::table( 'activity' ) . " WHERE action LIKE 'bonus.%'" ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared

		// Who the affiliate is: one that exists, byte for byte, and approved.
		$this->refused( $this->give( $with( 'affiliate', 'nobody' ) ), 'affiliate_not_found', 'nobody', 404 );
		$this->refused( $this->give( $with( 'affiliate', 'ALICE' ) ), 'affiliate_not_found', 'another case', 404 );
		$this->refused( $this->give( $with( 'affiliate', 'pending-one' ) ), 'affiliate_not_approved', 'pending', 422 );
		$this->refused( $this->give( $with( 'affiliate', 'gone' ) ), 'affiliate_not_approved', 'suspended', 422 );
		// An unusable Idempotency-Key.
		$this->refused( $this->give( $ok, $this->sk() + array( 'idempotency_key' => str_repeat( 'k', 129 ) ) ), 'invalid_idempotency_key', 'a key too long' );

		// Who may give one: the merchant only; refused callers before the body is read.
		$bob     = $this->affiliate( 'bob' );
		$callers = array(
			'nobody'          => array( array(), 401, 'unauthorized' ),
			'publishable key' => array( array( 'authorization' => 'Bearer ' . Reftrail_Keys::publishable() ), 403, 'forbidden' ),
			'affiliate token' => array( array( 'authorization' => 'Bearer ' . $bob['token'] ), 403, 'forbidden' ),
			'unknown token'   => array( array( 'authorization' => 'Bearer sk_nope' ), 401, 'unauthorized' ),
		);
		foreach ( $callers as $who => list( $headers, $status, $code ) ) {
			foreach ( array( $ok, '[1]' ) as $body ) {
				$this->refused( $this->give( $body, $headers ), $code, "{$who}: POST", $status );
			}
			$this->refused( $this->rest( 'GET', '/v1/bonuses', null, $headers ), $code, "{$who}: GET", $status );
			$this->refused( $this->rest( 'POST', '/v1/bonuses/bo_x/cancel', null, $headers ), $code, "{$who}: cancel", $status );
		}
		foreach ( array( 'subscriber', Reftrail_Schema::ROLE ) as $role ) {
			wp_set_current_user( $this->user( $role ) );
			$this->refused( $this->give( $ok, array( 'x-wp-nonce' => wp_create_nonce( 'wp_rest' ) ) ), 'forbidden', $role, 403 );
			wp_set_current_user( 0 );
		}
		// The affiliate's route: only an affiliate.
		$this->refused( $this->rest( 'GET', '/v1/me/bonuses' ), 'unauthorized', 'nobody', 401 );
		$this->refused( $this->rest( 'GET', '/v1/me/bonuses', null, $this->sk() ), 'forbidden', 'the secret key', 403 );
		$this->refused( $this->rest( 'GET', '/v1/me/bonuses', null, array( 'authorization' => 'Bearer at_nope' ) ), 'unauthorized', 'an unknown token', 401 );

		// Nothing was written by any refusal.
		$this->assertSame( 0, (int) $wpdb->get_var( 'SELECT COUNT(*) FROM ' . Reftrail_Db::table( 'bonuses' ) ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		$this->assertSame( 0, (int) $wpdb->get_var( 'SELECT COUNT(*) FROM ' . Reftrail_Db::table( 'ledger' ) ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		$this->assertSame( 0, (int) $wpdb->get_var( 'SELECT COUNT(*) FROM ' . Reftrail_Db::table( 'idempotency' ) ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		$this->assertSame( array(), $this->activity( 'bonus.' ) );

		// The list's and cancel's own inputs.
		foreach ( array(
			'status=lost'           => 'invalid_status',
			'status=APPROVED'       => 'invalid_status',
			'status[]=paid'         => 'invalid_status',
			'affiliate=%3Cx%3E'     => 'invalid_affiliate',
			'affiliate[]=alice'     => 'invalid_affiliate',
			'limit=0'               => 'invalid_query',
			'limit=501'             => 'invalid_query',
			'limit=ten'             => 'invalid_query',
			'offset=-1'             => 'invalid_query',
		) as $query => $code ) {
			$this->refused( $this->rest( 'GET', '/v1/bonuses?' . $query, null, $this->sk() ), $code, $query );
		}
		$this->refused( $this->rest( 'GET', '/v1/me/bonuses?limit=0', null, array( 'authorization' => 'Bearer ' . $bob['token'] ) ), 'invalid_query', 'me: limit=0' );
		foreach ( array( 'bo_missing', "bo_x' OR '1'='1", str_repeat( 'b', 300 ) ) as $id ) {
			$this->refused( $this->cancel( $id ), 'bonus_not_found', $id, 404 );
		}
		list( $s, $d ) = $this->rest( 'GET', '/v1/bonuses/bo_x/cancel', null, $this->sk() );
		$this->assertSame( array( 405, 'method_not_allowed' ), array( $s, $d['error']['code'] ?? null ) );
	}

	public function test_a_cancelled_bonus_leaves_the_balance_once() {
		$alice = $this->affiliate( 'alice' );
		$this->now_is( 1790000000 );
		$bonus = $this->given( 'alice', 10000, 'THB', 'โบนัสเปิดตัว' );
		$this->assertSame( 10000, $this->approved( 'alice', 'THB' ) );

		$this->now_is( 1790000060 );
		list( $s, $d ) = $this->cancel( $bonus['id'] );
		$want          = array_merge(
			$bonus,
			array(
				'status'       => 'cancelled',
				'cancelled_at' => '2026-09-21T14:14:20Z',
			)
		);
		$this->assertSame( array( 200, $want ), array( $s, $d ) );
		$this->assertSame(
			array(
				array( 'approved', 'bonus', 10000, null, null ),
				array( 'approved', 'bonus_cancel', -10000, null, null ),
			),
			$this->ledger_of( $bonus['id'] )
		);
		$this->assertSame( 0, $this->approved( 'alice', 'THB' ) );

		// Again, later: the same answer, nothing written.
		$this->now_is( 1790003600 );
		$this->assertSame( array( 200, $want ), $this->cancel( $bonus['id'] ) );
		$this->assertCount( 2, $this->ledger_of( $bonus['id'] ) );
		$this->assertSame(
			array(
				array( 'bonus.cancelled', 'secret_key', $bonus['id'], 'alice', '{}' ),
				array( 'bonus.created', 'secret_key', $bonus['id'], 'alice', '{"amount":10000,"currency":"THB","reason":"\u0e42\u0e1a\u0e19\u0e31\u0e2a\u0e40\u0e1b\u0e34\u0e14\u0e15\u0e31\u0e27"}' ),
			),
			$this->activity( 'bonus.' )
		);

		// Gone from the affiliate's list; the merchant still finds it, by status too.
		list( $s, $d ) = $this->rest( 'GET', '/v1/me/bonuses', null, array( 'authorization' => 'Bearer ' . $alice['token'] ) );
		$this->assertSame(
			array(
				200,
				array(
					'bonuses' => array(),
					'total'   => 0,
				),
			),
			array( $s, $d )
		);
		$this->assertSame( array( $want ), $this->listed( '?affiliate=alice&status=cancelled' )['bonuses'] );
		$this->assertSame( 0, $this->listed( '?status=approved' )['total'] );
		$this->assertSame( 1, $this->listed( '?status=&affiliate=' )['total'], 'empty filters filter nothing' );
		$this->assertSame( 0, $this->listed( '?affiliate=ALICE' )['total'], 'byte for byte' );

		// Nothing left to pay.
		list( $s, $d ) = $this->rest( 'POST', '/v1/payouts', array( 'affiliates' => array( 'alice' ) ), $this->sk() );
		$this->assertSame( array( 422, 'nothing_to_pay' ), array( $s, $d['error']['code'] ?? null ) );
	}

	public function test_a_payout_pays_bonuses_with_the_commission_and_counts_them_apart() {
		$made = $this->affiliate(
			'lan',
			array(
				'payout_email' => 'lan@pay.test',
				'coupons'      => array( 'LAN' ),
			)
		);
		$thai_made = $this->affiliate(
			'somchai',
			array(
				'payout'  => array(
					'method'  => 'promptpay',
					'account' => '0812345678',
				),
			)
		);
		$this->sale( 'LAN', 100000, 'VND' );
		$this->sale( 'LAN', 50000, 'VND' );
		$one    = $this->given( 'lan', 500000 );
		$two    = $this->given( 'lan', 20000 );
		$gone   = $this->given( 'lan', 7000 );
		$thai   = $this->given( 'somchai', 150000, 'THB', 'Thai launch' );
		$this->assertSame( 200, $this->cancel( $gone['id'] )[0] );

		list( $s, $p ) = $this->rest( 'POST', '/v1/payouts', null, $this->sk() );
		$this->assertSame( 201, $s, wp_json_encode( $p ) );
		$lan = self::line( $p, 'lan' );
		$this->assertSame( array( 15000 + 520000, 2, 2, null, null ), array( $lan['amount'], $lan['referrals'], $lan['bonuses'], $lan['fee'], $lan['sent_at'] ) );
		$this->assertSame( array_slice( array_keys( $lan ), -5 ), array( 'referrals', 'bonuses', 'recruiter_commissions', 'fee', 'sent_at' ), 'as on the server' );
		$thb = self::line( $p, 'somchai' );
		$this->assertSame( array( 150000, 0, 1, 'promptpay' ), array( $thb['amount'], $thb['referrals'], $thb['bonuses'], $thb['method'] ), 'a bonus alone is paid' );
		list( , $shown ) = $this->rest( 'GET', '/v1/payouts/' . $p['id'], null, $this->sk() );
		$this->assertSame( $p, $shown, 'stored as answered' );

		// Paid, with the payout's id; the ledger moved each bonus under its id.
		$paid = $this->listed( '?status=paid' );
		$this->assertSame( 3, $paid['total'] );
		$this->assertSame( array( $p['id'] ), array_values( array_unique( array_column( $paid['bonuses'], 'payout_id' ) ) ) );
		$this->assertSame(
			array(
				array( 'approved', 'bonus', 500000, null, null ),
				array( 'approved', 'payout', -500000, $p['id'], null ),
				array( 'paid', 'payout', 500000, $p['id'], null ),
			),
			$this->ledger_of( $one['id'] )
		);
		$this->assertSame( 'cancelled', $this->listed( '?status=cancelled' )['bonuses'][0]['status'], 'a cancelled bonus is not paid' );
		$this->assertCount( 2, $this->ledger_of( $gone['id'] ) );
		$this->assertSame( array( 0, 0 ), array( $this->approved( 'lan', 'VND' ), $this->approved( 'somchai', 'THB' ) ) );
		list( , $b ) = $this->rest( 'GET', '/v1/balances?affiliate=lan', null, $this->sk() );
		$this->assertSame( 535000, $b['balances'][0]['paid'] );

		// Paid money stays paid.
		foreach ( array( $one, $two, $thai ) as $bonus ) {
			$this->refused( $this->cancel( $bonus['id'] ), 'invalid_status', 'paid', 409 );
		}
		$this->assertSame( 3, $this->listed( '?status=paid' )['total'] );
		$this->assertCount( 3, $this->ledger_of( $one['id'] ) );
		$this->assertSame( array( $gone['id'] ), array_column( $this->activity( 'bonus.cancelled' ), 2 ), 'a refused cancel is not recorded' );

		// The affiliate sees theirs as paid.
		$mine = Reftrail_Bonuses::for_affiliate( 'lan', 100, 0 );
		$this->assertSame( array( 2, array( 'paid', 'paid' ), array( $p['id'], $p['id'] ) ), array( $mine['total'], array_column( $mine['bonuses'], 'status' ), array_column( $mine['bonuses'], 'payout_id' ) ) );
		// Their payout history counts both, as the line does.
		$history = function ( $who ) {
			list( $s, $d ) = $this->rest( 'GET', '/v1/me/payouts', null, array( 'authorization' => 'Bearer ' . $who['token'] ) );
			$this->assertSame( 200, $s );
			return array_map( fn( $l ) => array( $l['id'], $l['referrals'], $l['bonuses'] ), $d['payouts'] );
		};
		$this->assertSame( array( array( $p['id'], 2, 2 ) ), $history( $made ) );
		$this->assertSame( array( array( $p['id'], 0, 1 ) ), $history( $thai_made ) );
		// A line without bonuses counts none.
		$this->sale( 'LAN', 10000, 'VND' );
		$this->now_is( time() + 60 );
		list( $s, $next ) = $this->rest( 'POST', '/v1/payouts', null, $this->sk() );
		$this->assertSame( array( 201, 1, 0 ), array( $s, self::line( $next, 'lan' )['referrals'], self::line( $next, 'lan' )['bonuses'] ) );
		$this->assertSame( array( array( $next['id'], 1, 0 ), array( $p['id'], 2, 2 ) ), $history( $made ), 'newest first' );
	}

	public function test_an_idempotent_bonus_is_given_once() {
		global $wpdb;
		$this->affiliate( 'alice' );
		$body = array(
			'affiliate' => 'alice',
			'amount'    => 250000,
			'currency'  => 'VND',
			'reason'    => 'Launch week',
		);
		$key  = $this->sk() + array( 'idempotency_key' => 'bonus-1' );
		list( $s, $first, $h ) = $this->give( $body, $key );
		$this->assertSame( 201, $s );
		$this->assertArrayNotHasKey( 'Idempotent-Replayed', $h );
		// The same bonus, its fields in another order.
		list( $s, $second, $h ) = $this->give( array_reverse( $body, true ), $key );
		$this->assertSame( array( 200, $first, 'true' ), array( $s, $second, $h['Idempotent-Replayed'] ?? null ) );
		$this->assertSame( 1, $this->listed()['total'] );
		$this->assertSame( 250000, $this->approved( 'alice', 'VND' ) );
		$this->refused( $this->give( array_merge( $body, array( 'amount' => 300000 ) ), $key ), 'idempotency_key_reused', 'another amount', 409 );
		$this->refused( $this->give( array_merge( $body, array( 'reason' => ' Launch week' ) ), $key ), 'idempotency_key_reused', 'the reason as sent', 409 );
		// The replay is the first answer, whatever happened since.
		$this->cancel( $first['id'] );
		list( $s, $third ) = $this->give( $body, $key );
		$this->assertSame( array( 200, 'approved' ), array( $s, $third['status'] ) );
		// Another key, or none: another bonus; the payouts' keys are theirs.
		$this->assertNotSame( $first['id'], $this->given( 'alice', 250000, 'VND', 'Launch week' )['id'] );
		list( $s ) = $this->give( $body, $this->sk() + array( 'idempotency_key' => 'bonus-2' ) );
		$this->assertSame( 201, $s );
		$wpdb->insert(
			Reftrail_Db::table( 'idempotency' ),
			array(
				'scope'        => 'payout',
				'idem_key'     => 'shared',
				'request_hash' => str_repeat( '0', 64 ),
				'body'         => '{}',
				'at'           => 1,
			)
		);
		list( $s ) = $this->give( $body, $this->sk() + array( 'idempotency_key' => 'shared' ) );
		$this->assertSame( 201, $s );
		$this->assertSame( 4, $this->listed()['total'] );
		$this->assertCount( 4, $this->activity( 'bonus.created' ), 'one entry per bonus given, none per replay' );
	}

	public function test_a_payout_line_records_what_its_transfer_cost() {
		$lan = $this->affiliate(
			'lan',
			array(
				'payout_email' => 'lan@pay.test',
				'coupons'      => array( 'LAN' ),
			)
		);
		$this->sale( 'LAN', 1000000, 'VND' );
		list( $s, $p ) = $this->rest( 'POST', '/v1/payouts', null, $this->sk() );
		$this->assertSame( 201, $s );
		$sent = function ( array $b ) use ( $p ) {
			list( $s, $d ) = $this->rest( 'POST', "/v1/payouts/{$p['id']}/sent", array_merge( array( 'affiliate' => 'lan', 'currency' => 'VND' ), $b ), $this->sk() );
			return array( $s, $d );
		};
		foreach ( array(
			array( 'sent' => true, 'fee' => -1 ),
			array( 'sent' => true, 'fee' => 1.5 ),
			array( 'sent' => true, 'fee' => '1100' ),
			array( 'sent' => true, 'fee' => true ),
			array( 'sent' => true, 'fee' => array( 1100 ) ),
			array( 'sent' => true, 'fee' => 9007199254740992 ),
			array( 'sent' => false, 'fee' => 1100 ),
			array( 'sent' => false, 'fee' => 0 ),
		) as $b ) {
			$this->refused( $sent( $b ), 'invalid_fee', wp_json_encode( $b ) );
		}
		$this->refused( $sent( array( 'sent' => 'yes', 'fee' => 1 ) ), 'invalid_body', 'a bad sent first' );
		$this->assertSame( array(), $this->activity( 'payout.sent' ), 'nothing recorded' );

		$this->now_is( 1790000000 );
		list( $s, $d ) = $sent(
			array(
				'sent' => true,
				'fee'  => 1100,
			)
		);
		$this->assertSame( array( 200, 1100, '2026-09-21T14:13:20Z' ), array( $s, $d['lines'][0]['fee'], $d['lines'][0]['sent_at'] ) );
		// Marked again without a fee: kept, nothing recorded; with the same fee: the same.
		$this->assertSame( 1100, $sent( array( 'sent' => true ) )[1]['lines'][0]['fee'] );
		$this->assertSame( 1100, $sent( array( 'sent' => true, 'fee' => null ) )[1]['lines'][0]['fee'], 'a null fee is no fee' );
		$this->assertSame( 1100, $sent( array( 'sent' => true, 'fee' => 1100 ) )[1]['lines'][0]['fee'] );
		// Corrected later: the first time sent stays.
		$this->now_is( 1790003600 );
		list( , $d ) = $sent( array( 'sent' => true, 'fee' => 3300 ) );
		$this->assertSame( array( 3300, '2026-09-21T14:13:20Z' ), array( $d['lines'][0]['fee'], $d['lines'][0]['sent_at'] ) );
		// A transfer that cost nothing.
		$this->assertSame( 0, $sent( array( 'sent' => true, 'fee' => 0 ) )[1]['lines'][0]['fee'] );
		list( , $shown ) = $this->rest( 'GET', '/v1/payouts/' . $p['id'], null, $this->sk() );
		$this->assertSame( 0, $shown['lines'][0]['fee'] );
		// Unmarked: no transfer, no fee; unmarked again: nothing more.
		list( , $d ) = $sent( array( 'sent' => false ) );
		$this->assertSame( array( null, null ), array( $d['lines'][0]['fee'], $d['lines'][0]['sent_at'] ) );
		$sent( array( 'sent' => false ) );
		$this->assertSame(
			array(
				'{"currency":"VND","sent":false,"fee":null}',
				'{"currency":"VND","sent":true,"fee":0}',
				'{"currency":"VND","sent":true,"fee":3300}',
				'{"currency":"VND","sent":true,"fee":1100}',
			),
			array_column( $this->activity( 'payout.sent' ), 4 ),
			'newest first, one per change'
		);
		// The affiliate's history does not show the merchant's fee.
		list( , $mine ) = $this->rest( 'GET', '/v1/me/payouts', null, array( 'authorization' => 'Bearer ' . $lan['token'] ) );
		$this->assertArrayNotHasKey( 'fee', $mine['payouts'][0] );
	}

	public function test_reports_count_bonuses_and_fees_in_the_channel_cost() {
		$lan = $this->affiliate(
			'lan',
			array(
				'payout_email' => 'lan@pay.test',
				'coupons'      => array( 'LAN' ),
				'category'     => 'influencer',
			)
		);
		$this->affiliate( 'mai', array( 'category' => 'influencer' ) );
		$day  = gmdate( 'Y-m-d', self::DAY );
		$next = gmdate( 'Y-m-d', self::DAY + Reftrail_Db::DAY );
		$this->now_is( self::DAY + 3600 );
		$this->sale( 'LAN', 100000, 'VND', 40000 );
		$this->given( 'lan', 5000, 'VND', 'Review video' );
		$typo = $this->given( 'lan', 7000, 'VND', 'Typo' );
		$this->cancel( $typo['id'] );
		$this->given( 'mai', 20000, 'THB', 'Thai launch' );

		$in_day = "?from={$day}&to={$day}";
		$m      = $this->money( $this->report_row( 'affiliates', 'lan', $in_day . '&sort=clicks' ), 'VND' );
		$this->assertSame(
			array(
				'commissions'         => 10000,
				'bonuses'             => 5000,
				'fees'                => 0,
				'channel_cost'        => 15000,
				'cost_per_sale'       => 10000,
				'roas'                => 6.666667,
				'roas_percent'        => 666.67,
				'roi'                 => 3.0,
				'roi_percent'         => 300.0,
				'contribution_margin' => 50000,
			),
			array_intersect_key( $m, array_flip( array( 'commissions', 'bonuses', 'fees', 'channel_cost', 'roas', 'roas_percent', 'roi', 'roi_percent', 'contribution_margin', 'cost_per_sale' ) ) ),
			'net revenue / channel cost; (100,000 − 40,000 − 15,000) / 15,000; the margin and cost per sale of commission only'
		);

		// Paid the next day, and the transfer cost a fee.
		$this->now_is( self::DAY + Reftrail_Db::DAY + 7200 );
		list( $s, $p ) = $this->rest( 'POST', '/v1/payouts', array( 'affiliates' => array( 'lan' ) ), $this->sk() );
		$this->assertSame( 201, $s );
		list( $s ) = $this->rest(
			'POST',
			"/v1/payouts/{$p['id']}/sent",
			array(
				'affiliate' => 'lan',
				'currency'  => 'VND',
				'sent'      => true,
				'fee'       => 1100,
			),
			$this->sk()
		);
		$this->assertSame( 200, $s );
		$both = "?from={$day}&to={$next}";
		$m    = $this->money( $this->report_row( 'affiliates', 'lan', $both ), 'VND' );
		$this->assertSame( array( 1100, 16100, 6.21118, 2.726708 ), array( $m['fees'], $m['channel_cost'], $m['roas'], $m['roi'] ) );
		$this->assertSame( 0, $this->money( $this->report_row( 'affiliates', 'lan', $in_day ), 'VND' )['fees'], 'the fee counts on the day the line was marked sent' );
		// A currency with nothing but a bonus.
		$m = $this->money( $this->report_row( 'affiliates', 'mai', $both ), 'THB' );
		$this->assertSame( array( 0, 20000, 0, 20000, 0.0, -1.0 ), array( $m['revenue_net'], $m['bonuses'], $m['fees'], $m['channel_cost'], $m['roas'], $m['roi'] ), 'no sale lacks a cost' );
		// Over HTTP the ratios keep their fraction, as the server writes them.
		$request = new WP_REST_Request( 'GET', '/reftrail/v1/reports/affiliates' );
		$json    = wp_json_encode( $m, apply_filters( 'rest_json_encode_options', 0, $request ) );
		$this->assertStringContainsString( '"roas":0.0,', $json );
		$this->assertStringContainsString( '"roi":-1.0,', $json );

		// The category's figures, each day's, and the program's.
		$c = $this->report_row( 'categories', 'influencer', $both );
		$this->assertSame( array( 5000, 1100, 16100 ), array( $this->money( $c, 'VND' )['bonuses'], $this->money( $c, 'VND' )['fees'], $this->money( $c, 'VND' )['channel_cost'] ) );
		$this->assertSame( 20000, $this->money( $c, 'THB' )['bonuses'] );
		$first  = $this->report_row( 'timeseries', $day, $both );
		$second = $this->report_row( 'timeseries', $next, $both );
		$this->assertSame( array( 5000, 0, 15000 ), array( $this->money( $first, 'VND' )['bonuses'], $this->money( $first, 'VND' )['fees'], $this->money( $first, 'VND' )['channel_cost'] ) );
		$this->assertSame( array( 0, 1100, 1100, 0, -1.0 ), array( $this->money( $second, 'VND' )['bonuses'], $this->money( $second, 'VND' )['fees'], $this->money( $second, 'VND' )['channel_cost'], $this->money( $second, 'VND' )['revenue_net'], $this->money( $second, 'VND' )['roi'] ) );
		$this->assertSame( 20000, $this->money( $first, 'THB' )['bonuses'] );
		list( , $summary ) = $this->rest( 'GET', '/v1/reports/summary' . $both, null, $this->sk() );
		$m                 = $this->money( $summary['kpis'], 'VND' );
		$this->assertSame( array( 10000, 5000, 1100, 16100, 6.21118 ), array( $m['commissions'], $m['bonuses'], $m['fees'], $m['channel_cost'], $m['roas'] ) );
		$this->assertSame( 20000, $this->money( $summary['kpis'], 'THB' )['channel_cost'] );
		// Outside the period: none of it.
		$later = '?from=' . gmdate( 'Y-m-d', self::DAY + 2 * Reftrail_Db::DAY ) . '&to=' . gmdate( 'Y-m-d', self::DAY + 3 * Reftrail_Db::DAY );
		list( , $summary ) = $this->rest( 'GET', '/v1/reports/summary' . $later, null, $this->sk() );
		$this->assertSame( array(), $summary['kpis']['money'] );

		// The affiliate's own report: their bonuses, not the merchant's fees or costs.
		list( $s, $r ) = $this->rest( 'GET', '/v1/me/report' . $both, null, array( 'authorization' => 'Bearer ' . $lan['token'] ) );
		$this->assertSame( 200, $s, wp_json_encode( $r ) );
		$m = $this->money( $r['kpis'], 'VND' );
		$this->assertSame(
			array( 10000, 5000, null, null, 6.666667, 666.67, null, null ),
			array( $m['commissions'], $m['bonuses'], $m['fees'], $m['channel_cost'], $m['roas'], $m['roas_percent'], $m['roi'], $m['contribution_margin'] ),
			'revenue / (commissions + bonuses)'
		);
	}

	public function test_a_payout_email_names_the_bonuses_it_pays() {
		global $wpdb;
		// The server's test a_payout_message_counts_the_bonuses_it_pays, word for word.
		$line   = array(
			'affiliate'    => 'an',
			'currency'     => 'VND',
			'amount'       => 500000,
			'gross'        => 500000,
			'withheld'     => 0,
			'method'       => 'paypal',
			'paypal_email' => 'an@pay.test',
			'bank'         => null,
			'account'      => null,
			'account_name' => null,
			'transfer_qr'  => null,
		);
		$render = fn( $locale, array $l ) => self::payout_mail( $locale, $l, 'An', 'po_2' )['body'];
		foreach ( array(
			array( 'en', 2, 1, 'for 2 referrals and 1 bonus, to' ),
			array( 'en', 0, 2, 'for 2 bonuses, to' ),
			array( 'en', 0, 1, 'for 1 bonus, to' ),
			array( 'en', 1, 0, 'for 1 referral, to' ),
			array( 'en', 1, 3, 'for 1 referral and 3 bonuses, to' ),
			array( 'vi', 3, 1, 'cho 3 lượt giới thiệu và 1 khoản thưởng,' ),
			array( 'vi', 0, 1, 'cho 1 khoản thưởng,' ),
			array( 'th', 2, 1, 'สำหรับการแนะนำ 2 รายการ และโบนัส 1 รายการ ' ),
			array( 'th', 0, 1, 'สำหรับโบนัส 1 รายการ ' ),
		) as list( $locale, $referrals, $bonuses, $says ) ) {
			$body = $render(
				$locale,
				array_merge(
					$line,
					array(
						'referrals' => $referrals,
						'bonuses'   => $bonuses,
					)
				)
			);
			$this->assertStringContainsString( $says, $body, "{$locale} {$referrals} {$bonuses}" );
		}
		// Whole sentences by bank transfer; a line queued before bonuses existed counts referrals.
		$bank = array_merge(
			$line,
			array(
				'method'       => 'vietqr',
				'paypal_email' => null,
				'bank'         => '970436',
				'account'      => '0011001932418',
				'referrals'    => 2,
				'bonuses'      => 1,
			)
		);
		$this->assertStringContainsString( 'Shop is paying you 500,000 VND for 2 referrals and 1 bonus, by bank transfer to your account ending in 2418.', $render( 'en', $bank ) );
		$this->assertStringContainsString( 'Shop đang thanh toán cho bạn 500.000 VND cho 1 khoản thưởng, qua PromptPay vào mã PromptPay có số cuối 5678.', $render( 'vi', array_merge( $bank, array( 'method' => 'promptpay', 'bank' => null, 'account' => '0812345678', 'referrals' => 0 ) ) ) );
		$old = $line + array( 'referrals' => 2 );
		$this->assertStringContainsString( 'Shop is paying you 500,000 VND for 2 referrals, to your PayPal account an@pay.test.', $render( 'en', $old ) );

		// A payout of a bonus alone queues the email with the line that says so.
		$this->affiliate( 'an', array( 'payout_email' => 'an@pay.test', 'email' => 'an@example.test' ) );
		$this->given( 'an', 500000 );
		list( $s ) = $this->rest( 'POST', '/v1/payouts', null, $this->sk() );
		$this->assertSame( 201, $s );
		$payload = $wpdb->get_var( $wpdb->prepare( 'SELECT payload FROM ' . Reftrail_Db::table( 'mail_outbox' ) . ' WHERE event = %s AND affiliate_id = %s', 'payout.created', 'an' ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		$this->assertNotNull( $payload );
		$line = json_decode( $payload, true )['line'];
		$this->assertSame( array( 0, 1 ), array( $line['referrals'], $line['bonuses'] ) );
		$this->assertStringContainsString( 'for 1 bonus, to your PayPal account an@pay.test.', $render( 'en', $line ) );
	}

	public function test_the_openapi_document_names_the_routes() {
		list( $s, $doc ) = $this->rest( 'GET', '/v1/openapi.json' );
		$this->assertSame( 200, $s );
		$this->assertSame( array( 'get', 'post' ), array_keys( $doc['paths']['/v1/bonuses'] ) );
		$this->assertSame( array( 'post' ), array_keys( $doc['paths']['/v1/bonuses/{id}/cancel'] ) );
		$this->assertSame( array( 'get' ), array_keys( $doc['paths']['/v1/me/bonuses'] ) );
		$this->assertSame( array( 'affiliate', 'status', 'limit', 'offset' ), array_column( $doc['paths']['/v1/bonuses']['get']['parameters'], 'name' ) );
		$body = $doc['paths']['/v1/bonuses']['post']['requestBody']['content']['application/json']['schema'];
		$this->assertSame( array( array( 'affiliate', 'amount', 'currency', 'reason' ), false, 'integer' ), array( $body['required'], $body['additionalProperties'], $body['properties']['amount']['type'] ) );
		$this->assertArrayHasKey( '201', $doc['paths']['/v1/bonuses']['post']['responses'] );
		foreach ( array( 'invalid_affiliate', 'affiliate_not_found', 'affiliate_not_approved', 'idempotency_key_reused' ) as $code ) {
			$this->assertStringContainsString( $code, $doc['paths']['/v1/bonuses']['post']['summary'] );
		}
		$this->assertStringContainsString( 'bonus_not_found', $doc['paths']['/v1/bonuses/{id}/cancel']['post']['summary'] );
		$this->assertSame( array( 'id' ), array_column( $doc['paths']['/v1/bonuses/{id}/cancel']['post']['parameters'], 'name' ) );
		$this->assertSame( array( array( 'affiliate_token' => array() ), array( 'wordpress_user' => array() ) ), $doc['paths']['/v1/me/bonuses']['get']['security'] );
		$this->assertStringContainsString( 'invalid_fee', $doc['paths']['/v1/payouts/{id}/sent']['post']['summary'] );
		$this->assertStringContainsString( 'bonus.created', $doc['paths']['/v1/activity']['get']['summary'] );
		$this->assertStringContainsString( 'bonus.created, bonus.cancelled', $doc['paths']['/v1/program']['put']['summary'], 'the webhook events' );
		$this->assertStringContainsString( 'referrals and bonuses', $doc['paths']['/v1/me/payouts']['get']['summary'] );
		// Every route the plugin serves is in the document, and the REST index has the bonus schema.
		$routes = rest_get_server()->get_routes( 'reftrail/v1' );
		foreach ( array( '/reftrail/v1/bonuses', '/reftrail/v1/bonuses/(?P<id>[^/]+)/cancel', '/reftrail/v1/me/bonuses' ) as $route ) {
			$this->assertArrayHasKey( $route, $routes );
		}
		$schema = ( new Reftrail_REST_Bonuses_Controller() )->get_public_item_schema();
		$this->assertSame( array( 'id', 'affiliate', 'amount', 'currency', 'reason', 'status', 'payout_id', 'created_at', 'cancelled_at', 'by' ), array_keys( $schema['properties'] ) );
	}

	public function test_the_upgrade_from_19_adds_bonuses_and_payout_fees() {
		global $wpdb;
		$b  = Reftrail_Db::table( 'bonuses' );
		$g  = Reftrail_Db::table( 'ledger' );
		$l  = Reftrail_Db::table( 'payout_lines' );
		$p  = Reftrail_Db::table( 'payouts' );
		$a  = Reftrail_Db::table( 'affiliates' );
		// A site of version 19: no bonuses, no bonus_id in the ledger, lines without bonuses or fee.
		$wpdb->query( "DROP TABLE IF EXISTS {$b}" ); // phpcs:ignore
		$wpdb->query( "ALTER TABLE {$g} DROP COLUMN bonus_id" ); // phpcs:ignore
		$wpdb->query( "ALTER TABLE {$l} DROP INDEX sent_at, DROP COLUMN bonuses, DROP COLUMN fee" ); // phpcs:ignore
		list( $id, $po ) = $this->old_payout_line( array( 'payout_email' => 'before@example.test' ), array( 'method' => 'paypal', 'sent_at' => 1780003600 ) );
		update_option( Reftrail_Schema::OPTION, 19 );
		try {
			Reftrail_Schema::maybe_upgrade();
			$version = (int) get_option( Reftrail_Schema::OPTION );
			$exists  = $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $b ) );
			$columns = $wpdb->get_col( "SHOW COLUMNS FROM {$b}" ); // phpcs:ignore
			$indexes = array_values( array_unique( $wpdb->get_col( "SHOW INDEX FROM {$b}", 2 ) ) ); // phpcs:ignore
			$added   = array();
			foreach ( array( array( $g, 'bonus_id' ), array( $l, 'bonuses' ), array( $l, 'fee' ) ) as list( $table, $c ) ) {
				$row         = $wpdb->get_row( $wpdb->prepare( "SHOW COLUMNS FROM {$table} LIKE %s", $c ), ARRAY_A ); // phpcs:ignore
				$added[ $c ] = array( $row['Null'] ?? null, $row['Default'] ?? null );
			}
			$line = Reftrail_Ledger::payout( $po )['lines'][0];
			// The new tables work on the upgraded site (the rows rolled back).
			Reftrail_Db::begin();
			try {
				list( $status, $bonus ) = Reftrail_Bonuses::create(
					array(
						'affiliate' => $id,
						'amount'    => 2500,
						'currency'  => 'VND',
						'reason'    => 'After the upgrade',
					),
					'secret_key'
				);
				$balance = Reftrail_Ledger::balances( $id );
				$marked  = Reftrail_Ledger::mark_sent( $po, $id, 'VND', true, null, 900 )['lines'][0];
			} finally {
				Reftrail_Db::rollback();
			}
			Reftrail_Schema::upgrade();
			$error = $wpdb->last_error;
		} finally {
			$wpdb->delete( $l, array( 'payout_id' => $po ) );
			$wpdb->delete( $p, array( 'id' => $po ) );
			$wpdb->delete( $a, array( 'id' => $id ) );
		}
		$this->assertSame( Reftrail_Schema::VERSION, $version, 'brought up to the current schema' );
		$this->assertGreaterThanOrEqual( 20, Reftrail_Schema::VERSION, 'bonuses came with schema 20' );
		$this->assertSame( $b, $exists );
		$this->assertSame( array( 'id', 'affiliate_id', 'amount', 'currency', 'reason', 'status', 'payout_id', 'by_whom', 'created_at', 'cancelled_at' ), $columns );
		$this->assertSame( array( 'PRIMARY', 'affiliate_created', 'created_at' ), $indexes );
		$this->assertSame(
			array(
				'bonus_id' => array( 'YES', null ),
				'bonuses'  => array( 'NO', '0' ),
				'fee'      => array( 'YES', null ),
			),
			$added
		);
		$this->assertSame( array( 2, 0, null, '2026-05-28T21:26:40Z' ), array( $line['referrals'], $line['bonuses'], $line['fee'], $line['sent_at'] ), 'a past line settled no bonus and recorded no fee' );
		$this->assertSame( array( 201, 'approved' ), array( $status, $bonus['status'] ) );
		$this->assertSame( 2500, $balance[0]['approved'] );
		$this->assertSame( array( 900, '2026-05-28T21:26:40Z' ), array( $marked['fee'], $marked['sent_at'] ), 'a fee on a past line' );
		$this->assertSame( '', $error, 'upgrading again changes nothing' );
		$this->assertContains( 'bonuses', Reftrail_Schema::TABLES, 'the uninstall drops it' );
	}
}
