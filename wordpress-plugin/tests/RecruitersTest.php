<?php
/**
 * Recruiter commissions (two-tier), as the server computes them: an affiliate's recruiter (given
 * on POST and PATCH, removed with null, checked against loops, recorded in the activity log) earns
 * the program's `recruiter_rate_bps` share of each of the recruit's commissions, on top. The share
 * is made with the referral (REST sales and leads, WooCommerce orders) and follows it in the
 * ledger: pending, approved by hand or by the hold sweep, rejected (also after it was paid), cut
 * by partial and full refunds (WooCommerce refunds and cancelled orders too), paid and counted by
 * the recruiter's payout and named in its email in en, vi and th; its rate read as a percent in
 * the recruiter's email (AffiliateMailTest and WebhooksTest tell of each share). The routes per caller
 * (`GET /v1/recruiter-commissions`, `GET /v1/me/recruits` and its CORS preflight), hostile input,
 * the reports' recruiter commissions in the recruiter's channel cost, applications through a
 * recruiting link (the REST route and the sign-up form's `?recruiter=`), the `affiliate.applied`
 * webhook, the portal's `applyUrl`, the admin's affiliate list, the OpenAPI document and the
 * upgrade from schema 21.
 *
 * @package Reftrail
 */

/**
 * Recruiter commissions tests.
 */
class RecruitersTest extends Reftrail_Test_Case {

	/** The tests that change tables, which commits: they run outside the transaction. */
	const SCHEMA_TESTS = array( 'test_the_upgrade_from_21_adds_recruiters' );

	/** The start of a UTC day the tests happen on (2026-09-21). */
	const DAY = 1789948800;

	/** @var string The client address before the test. */
	private $remote = '';

	protected function setUp(): void {
		$this->transactional = ! in_array( $this->getName( false ), self::SCHEMA_TESTS, true );
		parent::setUp();
		$this->remote = $_SERVER['REMOTE_ADDR'] ?? '';
		// WordPress's new-user email of an applicant is kept, not sent.
		add_filter( 'pre_wp_mail', '__return_true' );
		if ( $this->transactional ) {
			$this->program(
				array(
					'hold_days'          => 0,
					'currency'           => 'VND',
					'recruiter_rate_bps' => 2000,
				)
			);
		}
	}

	protected function tearDown(): void {
		$_POST                  = array();
		$_GET                   = array();
		$_SERVER['REMOTE_ADDR'] = $this->remote;
		remove_all_filters( 'reftrail_apply_url' );
		remove_filter( 'pre_wp_mail', '__return_true' );
		parent::tearDown();
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
	 * A recruiter with a PayPal email and their recruit, who sells with a coupon of their id in
	 * capitals; returns [recruiter, recruit] as POST answered them.
	 *
	 * @param string $recruiter Recruiter id.
	 * @param string $recruit   Recruit id.
	 * @param array  $extra     The recruit's other fields.
	 * @return array[]
	 */
	private function team( $recruiter = 'rosa', $recruit = 'tam', array $extra = array() ) {
		$r = $this->affiliate(
			$recruiter,
			array(
				'payout_email' => $recruiter . '@pay.test',
				'email'        => $recruiter . '@example.test',
			)
		);
		$t = $this->affiliate(
			$recruit,
			array_merge(
				array(
					'recruiter' => $recruiter,
					'coupons'   => array( strtoupper( $recruit ) ),
				),
				$extra
			)
		);
		return array( $r, $t );
	}

	/**
	 * A sale by coupon with the secret key (verified); returns the referral.
	 *
	 * @param string $coupon Coupon.
	 * @param int    $amount VND.
	 * @param string $order  Order id.
	 * @return array
	 */
	private function sale( $coupon, $amount, $order = null ) {
		list( $s, $d ) = $this->rest(
			'POST',
			'/v1/sales',
			array(
				'order_id' => $order ?? 'o_' . wp_generate_password( 10, false ),
				'amount'   => $amount,
				'currency' => 'VND',
				'coupon'   => $coupon,
			),
			$this->sk()
		);
		$this->assertSame( 201, $s, wp_json_encode( $d ) );
		return $d['referral'];
	}

	/**
	 * A refund with the secret key; returns the answer.
	 *
	 * @param array $body Body.
	 * @return array
	 */
	private function refund( array $body ) {
		list( $s, $d ) = $this->rest( 'POST', '/v1/refunds', $body, $this->sk() );
		$this->assertSame( 201, $s, wp_json_encode( $d ) );
		return $d;
	}

	/**
	 * `GET /v1/recruiter-commissions` with the secret key.
	 *
	 * @param string $query Query, without its `?`.
	 * @return array[] The shares.
	 */
	private function shares( $query = '' ) {
		list( $s, $d ) = $this->rest( 'GET', '/v1/recruiter-commissions?' . $query, null, $this->sk() );
		$this->assertSame( 200, $s, $query . ' ' . wp_json_encode( $d ) );
		$this->assertSame( array( 'recruiter_commissions', 'total' ), array_keys( $d ) );
		return $d['recruiter_commissions'];
	}

	/**
	 * The one share of a referral.
	 *
	 * @param string $referral Referral id.
	 * @return array|null
	 */
	private function share_of( $referral ) {
		foreach ( $this->shares( 'limit=500' ) as $rc ) {
			if ( $rc['referral'] === $referral ) {
				return $rc;
			}
		}
		return null;
	}

	/**
	 * An affiliate's buckets in VND: [pending, approved, paid].
	 *
	 * @param string $affiliate Affiliate.
	 * @return int[]
	 */
	private function buckets( $affiliate ) {
		foreach ( Reftrail_Ledger::balances( $affiliate ) as $b ) {
			if ( 'VND' === $b['currency'] ) {
				return array( $b['pending'], $b['approved'], $b['paid'] );
			}
		}
		return array( 0, 0, 0 );
	}

	/**
	 * The ledger rows of a share, by entry then bucket: [bucket, entry, amount, payout, referral, bonus].
	 *
	 * @param string $id Share.
	 * @return array[]
	 */
	private function ledger_of( $id ) {
		global $wpdb;
		$rows = $wpdb->get_results( $wpdb->prepare( 'SELECT bucket, entry, amount, payout_id, referral_id, bonus_id FROM ' . Reftrail_Db::table( 'ledger' ) . ' WHERE recruiter_commission_id = %s ORDER BY entry, bucket, amount', $id ), ARRAY_N ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		return array_map( fn( $r ) => array( $r[0], $r[1], (int) $r[2], $r[3], $r[4], $r[5] ), $rows );
	}

	/**
	 * Pays one affiliate; returns their line.
	 *
	 * @param string $affiliate Affiliate.
	 * @return array The line, with the payout's `id` as `payout`.
	 */
	private function pay( $affiliate ) {
		list( $s, $p ) = $this->rest( 'POST', '/v1/payouts', array( 'affiliates' => array( $affiliate ) ), $this->sk() );
		$this->assertSame( 201, $s, wp_json_encode( $p ) );
		$this->assertCount( 1, $p['lines'] );
		return $p['lines'][0] + array( 'payout' => $p['id'] );
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
	 * How many rows the tables a recruiter change could write hold.
	 *
	 * @return int[]
	 */
	private function counts() {
		global $wpdb;
		$out = array();
		foreach ( array( 'affiliates', 'activity', 'recruiter_commissions', 'ledger', 'coupons' ) as $t ) {
			$out[ $t ] = (int) $wpdb->get_var( 'SELECT COUNT(*) FROM ' . Reftrail_Db::table( $t ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		}
		return $out;
	}

	public function test_a_share_is_earned_on_top_cut_by_refunds_and_paid_with_the_recruiters_payout() {
		global $wpdb;
		list( $rosa, $tam ) = $this->team();
		$this->assertSame( array( null, 'rosa' ), array( $rosa['affiliate']['recruiter'], $tam['affiliate']['recruiter'] ) );
		$this->assertSame( 'rosa', $this->show_affiliate( 'tam' )['recruiter'] );
		$this->now_is( self::DAY + 3600 );
		$ref = $this->sale( 'TAM', 1000000, 'o-1' );
		$this->assertSame( array( 100000, 'approved' ), array( $ref['commission'], $ref['status'] ) );

		$list = $this->shares( 'affiliate=rosa' );
		$this->assertCount( 1, $list );
		$rc = $list[0];
		$this->assertMatchesRegularExpression( '/^rc_[0-9A-Za-z]{21}$/', $rc['id'] );
		$this->assertSame(
			array(
				'id'         => $rc['id'],
				'affiliate'  => 'rosa',
				'recruit'    => 'tam',
				'referral'   => $ref['id'],
				'rate_bps'   => 2000,
				'amount'     => 20000,
				'reversed'   => 0,
				'currency'   => 'VND',
				'status'     => 'approved',
				'payout_id'  => null,
				'created_at' => '2026-09-21T01:00:00Z',
			),
			$rc,
			"20 % of the recruit's 100,000, approved as the referral is"
		);
		$this->assertSame( $list, $this->shares( 'recruit=tam' ) );
		$this->assertSame( array( array( 'approved', 'recruiter_commission', 20000, null, null, null ) ), $this->ledger_of( $rc['id'] ), 'its own row, of no referral' );
		$this->assertSame( 'recruiter_commission', $wpdb->get_var( $wpdb->prepare( 'SELECT entry FROM ' . Reftrail_Db::table( 'ledger' ) . ' WHERE recruiter_commission_id = %s', $rc['id'] ) ), 'the whole word is stored' ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		// On top: the recruit keeps all of theirs.
		$this->assertSame( array( 0, 100000, 0 ), $this->buckets( 'tam' ) );
		$this->assertSame( array( 0, 20000, 0 ), $this->buckets( 'rosa' ) );
		$this->assertSame( 100000, Reftrail_Ledger::view( $ref['id'] )['commission_net'] );

		// A quarter refunded: 75,000 of the commission left, so 15,000 of the share.
		$r = $this->refund(
			array(
				'order_id'  => 'o-1',
				'amount'    => 250000,
				'refund_id' => 'r-1',
			)
		);
		$this->assertSame( 25000, $r['commission_reversed'] );
		$rc = $this->share_of( $ref['id'] );
		$this->assertSame( array( 20000, 5000, 'approved' ), array( $rc['amount'], $rc['reversed'], $rc['status'] ) );
		$this->assertSame( array( 0, 15000, 0 ), $this->buckets( 'rosa' ) );
		// Another quarter: 50,000 left, 10,000 of the share; the same refund again changes nothing.
		$again = array(
			'order_id'  => 'o-1',
			'amount'    => 250000,
			'refund_id' => 'r-2',
		);
		$this->refund( $again );
		list( $s ) = $this->rest( 'POST', '/v1/refunds', $again, $this->sk() );
		$this->assertSame( 200, $s, 'a replay' );
		$this->assertSame( 10000, $this->share_of( $ref['id'] )['reversed'] );
		$this->assertSame( array( 0, 10000, 0 ), $this->buckets( 'rosa' ) );

		// The recruiter's payout pays the share alone and counts it; the recruit is not paid.
		$line = $this->pay( 'rosa' );
		$this->assertSame( array( 10000, 0, 0, 1 ), array( $line['amount'], $line['referrals'], $line['bonuses'], $line['recruiter_commissions'] ) );
		$this->assertSame( array( 'referrals', 'bonuses', 'recruiter_commissions', 'fee', 'sent_at' ), array_slice( array_keys( array_diff_key( $line, array( 'payout' => 1 ) ) ), -5 ), 'as on the server' );
		$rc = $this->share_of( $ref['id'] );
		$this->assertSame( array( 'paid', $line['payout'] ), array( $rc['status'], $rc['payout_id'] ) );
		$this->assertSame( array( $rc ), $this->shares( 'affiliate=rosa&status=paid' ) );
		$this->assertSame( 'approved', Reftrail_Ledger::view( $ref['id'] )['status'] );
		$this->assertSame( array( 0, 0, 10000 ), $this->buckets( 'rosa' ) );
		list( , $shown ) = $this->rest( 'GET', '/v1/payouts/' . $line['payout'], null, $this->sk() );
		$this->assertSame( 1, $shown['lines'][0]['recruiter_commissions'], 'stored as answered' );
		list( $s, $mine ) = $this->rest( 'GET', '/v1/me/payouts', null, array( 'authorization' => 'Bearer ' . $rosa['token'] ) );
		$this->assertSame( 200, $s );
		$this->assertSame( array( 0, 0, 1, 10000 ), array( $mine['payouts'][0]['referrals'], $mine['payouts'][0]['bonuses'], $mine['payouts'][0]['recruiter_commissions'], $mine['payouts'][0]['amount'] ) );
		// Its email names what it pays.
		$payload = $wpdb->get_var( $wpdb->prepare( 'SELECT payload FROM ' . Reftrail_Db::table( 'mail_outbox' ) . ' WHERE event = %s AND affiliate_id = %s', 'payout.created', 'rosa' ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		$queued  = json_decode( (string) $payload, true )['line'];
		$this->assertSame( 1, $queued['recruiter_commissions'] );
		$this->assertStringContainsString( 'Shop is paying you 10,000 VND for 1 commission from your recruits, to your PayPal account rosa@pay.test.', self::payout_mail( 'en', $queued, 'Rosa' )['body'] );

		// The rest refunded after the payout: taken back from what the next payout owes.
		$this->refund( array( 'order_id' => 'o-1' ) );
		$rc = $this->share_of( $ref['id'] );
		$this->assertSame( array( 20000, 'reversed' ), array( $rc['reversed'], $rc['status'] ) );
		$this->assertSame( array( 0, -10000, 10000 ), $this->buckets( 'rosa' ) );
		$this->assertSame( 'reversed', Reftrail_Ledger::view( $ref['id'] )['status'] );
		list( $s, $d ) = $this->rest( 'POST', '/v1/payouts', array( 'affiliates' => array( 'rosa' ) ), $this->sk() );
		$this->assertSame( array( 422, 'nothing_to_pay' ), array( $s, $d['error']['code'] ?? null ) );
		$this->assertSame(
			array(
				array( 'approved', 'payout', -10000, $line['payout'], null, null ),
				array( 'paid', 'payout', 10000, $line['payout'], null, null ),
				array( 'approved', 'recruiter_commission', 20000, null, null, null ),
				array( 'approved', 'reversal', -10000, null, null, null ),
				array( 'approved', 'reversal', -5000, null, null, null ),
				array( 'approved', 'reversal', -5000, null, null, null ),
			),
			$this->ledger_of( $rc['id'] )
		);

		// The rate is the program's when the referral is made: a change leaves made shares alone.
		$this->program( array( 'recruiter_rate_bps' => 500 ) );
		$next = $this->sale( 'TAM', 200000 );
		$this->assertSame( array( 500, 1000 ), array( $this->share_of( $next['id'] )['rate_bps'], $this->share_of( $next['id'] )['amount'] ) );
		$this->assertSame( 2000, $this->share_of( $ref['id'] )['rate_bps'] );
		$this->assertSame( 2, count( $this->shares( 'affiliate=rosa' ) ) );
		$this->assertSame( $next['id'], $this->shares( 'affiliate=rosa' )[0]['referral'], 'newest first' );
	}

	public function test_a_pending_share_is_approved_or_rejected_with_its_referral_and_a_paid_one_is_taken_back() {
		$this->program(
			array(
				'hold_days'          => 14,
				'recruiter_rate_bps' => 1000,
				'commission'         => array(
					'sale' => array(
						'type'     => 'percent',
						'rate_bps' => 1000,
					),
					'lead' => array( 'VND' => 50000 ),
				),
			)
		);
		list( $rosa ) = $this->team();
		$this->now_is( self::DAY );
		$a = $this->sale( 'TAM', 300000 );
		$b = $this->sale( 'TAM', 500000 );
		$c = $this->sale( 'TAM', 100000 );
		list( $s, $lead ) = $this->rest(
			'POST',
			'/v1/leads',
			array(
				'event'       => 'signup',
				'customer_id' => 'c-1',
				'click_id'    => $this->click( 'tam' ),
			),
			$this->sk()
		);
		$this->assertSame( array( 201, 50000, 'pending' ), array( $s, $lead['referral']['commission'], $lead['referral']['status'] ), wp_json_encode( $lead ) );
		$l = $lead['referral'];
		foreach ( array( array( $a, 3000 ), array( $b, 5000 ), array( $c, 1000 ), array( $l, 5000 ) ) as list( $ref, $amount ) ) {
			$rc = $this->share_of( $ref['id'] );
			$this->assertSame( array( 'pending', $amount, 1000 ), array( $rc['status'], $rc['amount'], $rc['rate_bps'] ), $ref['kind'] );
			$this->assertSame( array( array( 'pending', 'recruiter_commission', $amount, null, null, null ) ), $this->ledger_of( $rc['id'] ) );
		}
		$this->assertSame( array( 14000, 0, 0 ), $this->buckets( 'rosa' ) );

		// Approved by hand: the share moves with the referral.
		list( $s ) = $this->rest( 'POST', "/v1/referrals/{$b['id']}/approve", null, $this->sk() );
		$this->assertSame( 200, $s );
		$this->assertSame( 'approved', $this->share_of( $b['id'] )['status'] );
		$this->assertSame( array( 9000, 5000, 0 ), $this->buckets( 'rosa' ) );
		// Rejected: out of the ledger.
		list( $s ) = $this->rest( 'POST', "/v1/referrals/{$c['id']}/reject", array( 'reason' => 'test order' ), $this->sk() );
		$this->assertSame( 200, $s );
		$rc = $this->share_of( $c['id'] );
		$this->assertSame( 'rejected', $rc['status'] );
		$this->assertSame(
			array(
				array( 'pending', 'recruiter_commission', 1000, null, null, null ),
				array( 'pending', 'rejection', -1000, null, null, null ),
			),
			$this->ledger_of( $rc['id'] )
		);
		$this->assertSame( array( 8000, 5000, 0 ), $this->buckets( 'rosa' ) );
		// The hold ends: the sweep approves the rest, the shares with them.
		$this->now_is( self::DAY + 15 * Reftrail_Db::DAY );
		$this->assertSame( 2, Reftrail_Ledger::approve_due() );
		$this->assertSame( array( 'approved', 'approved' ), array( $this->share_of( $a['id'] )['status'], $this->share_of( $l['id'] )['status'] ) );
		$this->assertSame( array( 0, 13000, 0 ), $this->buckets( 'rosa' ) );

		// The recruiter is paid the three before the recruit is paid anything.
		$line = $this->pay( 'rosa' );
		$this->assertSame( array( 13000, 0, 3 ), array( $line['amount'], $line['referrals'], $line['recruiter_commissions'] ) );
		$this->assertCount( 3, $this->shares( 'affiliate=rosa&status=paid' ) );
		// Then a's referral is rejected: its paid share is taken back from what the next payout owes.
		list( $s ) = $this->rest( 'POST', "/v1/referrals/{$a['id']}/reject", null, $this->sk() );
		$this->assertSame( 200, $s );
		$rc = $this->share_of( $a['id'] );
		$this->assertSame( array( 'rejected', $line['payout'] ), array( $rc['status'], $rc['payout_id'] ) );
		$this->assertSame( array( 0, -3000, 13000 ), $this->buckets( 'rosa' ) );
		// Rejected once is enough.
		list( $s ) = $this->rest( 'POST', "/v1/referrals/{$a['id']}/reject", null, $this->sk() );
		$this->assertSame( 200, $s );
		$this->assertSame( array( 0, -3000, 13000 ), $this->buckets( 'rosa' ) );
		$this->assertSame( 2, count( $this->shares( 'affiliate=rosa&status=rejected' ) ) );
		// A refund of a rejected referral's order leaves its share alone.
		$orders = Reftrail_Db::table( 'orders' );
		global $wpdb;
		$order = $wpdb->get_var( $wpdb->prepare( "SELECT o.order_id FROM {$orders} o JOIN " . Reftrail_Db::table( 'referrals' ) . ' r ON r.source_id = o.id WHERE r.id = %s', $c['id'] ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.PreparedSQL.NotPrepared
		$this->refund( array( 'order_id' => $order ) );
		$this->assertSame( array( 'rejected', 0 ), array( $this->share_of( $c['id'] )['status'], $this->share_of( $c['id'] )['reversed'] ) );
		$this->assertSame( array( 0, -3000, 13000 ), $this->buckets( 'rosa' ) );
		// The next payout nets the debt against a new share.
		$this->now_is( self::DAY + 16 * Reftrail_Db::DAY );
		$this->program( array( 'hold_days' => 0 ) );
		$this->sale( 'TAM', 400000 );
		$this->assertSame( array( 0, 1000, 13000 ), $this->buckets( 'rosa' ) );
		$line = $this->pay( 'rosa' );
		$this->assertSame( array( 1000, 2 ), array( $line['amount'], $line['recruiter_commissions'] ), 'the new share and the rejected one it nets' );
		$this->assertSame( $rosa['affiliate']['id'], $line['affiliate'] );
	}

	public function test_woocommerce_orders_make_approve_cut_and_reverse_the_share() {
		$this->team( 'rosa', 'alice' );
		$order = new WC_Order(
			array(
				'total'          => '100.00',
				'shipping_total' => '0.00',
				'items'          => array(),
				'coupon_codes'   => array( 'ALICE' ),
			)
		);
		do_action( 'woocommerce_checkout_order_processed', $order->get_id(), array(), $order );
		$ref = Reftrail_Ledger::index(
			array(
				'status'    => '',
				'affiliate' => 'alice',
				'flagged'   => null,
				'verified'  => null,
				'from'      => 0,
				'to'        => PHP_INT_MAX,
				'limit'     => 10,
				'offset'    => 0,
			)
		)[0];
		$this->assertSame( array( 1000, 'pending', 'USD' ), array( $ref['commission'], $ref['status'], $ref['currency'] ) );
		$rc = $this->share_of( $ref['id'] );
		$this->assertSame( array( 200, 'pending', 'USD' ), array( $rc['amount'], $rc['status'], $rc['currency'] ), 'unpaid: it waits with the referral' );
		// Paid, and no hold: approved at once, the share too.
		$order->update_status( 'processing' );
		$this->assertSame( 'approved', $this->share_of( $ref['id'] )['status'] );
		// A WooCommerce refund of a quarter: 750 of the commission left, 150 of the share.
		reftrail_stand_in_refund( $order, '25.00', false, 'one item' );
		$this->assertSame( array( 50, 'approved' ), array( $this->share_of( $ref['id'] )['reversed'], $this->share_of( $ref['id'] )['status'] ) );
		// Cancelled: the rest goes.
		$order->update_status( 'cancelled' );
		$this->assertSame( array( 200, 'reversed' ), array( $this->share_of( $ref['id'] )['reversed'], $this->share_of( $ref['id'] )['status'] ) );
		$this->assertSame( array(), $order->notes, 'no errors noted on the order' );
		$balance = Reftrail_Ledger::balances( 'rosa' )[0];
		$this->assertSame( array( 'USD', 0, 0 ), array( $balance['currency'], $balance['pending'], $balance['approved'] ) );

		// Unpaid orders that fail, are refunded in full or trashed: the pending share goes with them.
		foreach ( array( 'failed', 'refund', 'trash' ) as $how ) {
			$o = new WC_Order(
				array(
					'total'          => '50.00',
					'shipping_total' => '0.00',
					'items'          => array(),
					'coupon_codes'   => array( 'ALICE' ),
				)
			);
			do_action( 'woocommerce_checkout_order_processed', $o->get_id(), array(), $o );
			$this->assertSame( array( 100, 0 ), array( Reftrail_Ledger::balances( 'rosa' )[0]['pending'], Reftrail_Ledger::balances( 'rosa' )[0]['approved'] ), $how );
			if ( 'failed' === $how ) {
				$o->update_status( 'failed' );
			} elseif ( 'refund' === $how ) {
				reftrail_stand_in_refund( $o, '50.00', true, 'all of it' );
			} else {
				do_action( 'woocommerce_trash_order', $o->get_id() );
			}
			$this->assertSame( 0, Reftrail_Ledger::balances( 'rosa' )[0]['pending'], $how );
			$this->assertSame( 'reversed', $this->shares( 'affiliate=rosa' )[0]['status'], $how );
		}
	}

	public function test_no_share_without_a_rate_an_approved_recruiter_or_an_amount() {
		$this->team();
		$this->program( array( 'recruiter_rate_bps' => 0 ) );
		$this->sale( 'TAM', 1000000 );
		$this->assertSame( array(), $this->shares() );

		$this->program( array( 'recruiter_rate_bps' => 500 ) );
		foreach ( array( 'suspended', 'pending' ) as $status ) {
			list( $s ) = $this->patch_affiliate( 'rosa', array( 'status' => $status ) );
			$this->assertSame( 200, $s );
			$this->sale( 'TAM', 1000000 );
			$this->assertSame( array(), $this->shares(), "a {$status} recruiter" );
		}
		$this->patch_affiliate( 'rosa', array( 'status' => 'approved' ) );
		// 5 % of a commission of 10 VND rounds down to nothing: no share.
		$this->sale( 'TAM', 100 );
		$this->assertSame( array(), $this->shares() );
		$this->sale( 'TAM', 1000 );
		$this->assertSame( array( 5 ), array_column( $this->shares(), 'amount' ) );
		// A commission of nothing earns nothing.
		list( $s, $lead ) = $this->rest(
			'POST',
			'/v1/leads',
			array(
				'event'       => 'signup',
				'customer_id' => 'c-2',
				'click_id'    => $this->click( 'tam' ),
			),
			$this->sk()
		);
		$this->assertSame( array( 201, 0 ), array( $s, $lead['referral']['commission'] ) );
		$this->assertCount( 1, $this->shares() );
		// Two tiers only: the recruiter's own recruiter earns nothing of the recruit's sales.
		$this->affiliate( 'top' );
		$this->patch_affiliate( 'rosa', array( 'recruiter' => 'top' ) );
		$this->sale( 'TAM', 1000000 );
		$this->assertSame( array( 'rosa', 'rosa' ), array_column( $this->shares(), 'affiliate' ) );
		// The recruiter taken away: no share of later sales.
		list( $s, $d ) = $this->patch_affiliate( 'tam', array( 'recruiter' => null ) );
		$this->assertSame( array( 200, null ), array( $s, $d['recruiter'] ) );
		$this->sale( 'TAM', 1000000 );
		$this->assertCount( 2, $this->shares() );
	}

	public function test_the_recruiter_is_checked_a_refusal_writes_nothing_and_changes_are_logged() {
		$this->affiliate( 'a' );
		$this->affiliate( 'b', array( 'recruiter' => 'a' ) );
		$this->affiliate( 'c', array( 'recruiter' => 'b' ) );
		$before = $this->counts();
		foreach ( array(
			array( 'a', 'a', 422, 'invalid_recruiter' ),
			array( 'a', 'c', 422, 'invalid_recruiter' ),
			array( 'a', 'b', 422, 'invalid_recruiter' ),
			array( 'b', 'c', 422, 'invalid_recruiter' ),
			array( 'a', 'nobody', 422, 'invalid_recruiter' ),
			array( 'a', 'B', 422, 'invalid_recruiter' ),
			array( 'a', '<script>', 400, 'invalid_recruiter' ),
			array( 'a', '', 400, 'invalid_recruiter' ),
			array( 'a', str_repeat( 'x', 65 ), 400, 'invalid_recruiter' ),
			array( 'a', "b' OR '1'='1", 400, 'invalid_recruiter' ),
			array( 'a', 42, 400, 'invalid_body' ),
			array( 'a', array( 'b' ), 400, 'invalid_body' ),
			array( 'a', true, 400, 'invalid_body' ),
			array( 'nobody', 'a', 404, 'affiliate_not_found' ),
		) as list( $who, $recruiter, $status, $code ) ) {
			$this->refused( $this->patch_affiliate( $who, array( 'recruiter' => $recruiter ) ), $status, $code, "{$who} <- " . wp_json_encode( $recruiter ) );
			// With another field that would change: nothing of it is written.
			$this->refused( $this->patch_affiliate( $who, array( 'name' => 'Changed', 'recruiter' => $recruiter ) ), $status, $code, "{$who} <- " . wp_json_encode( $recruiter ) . ' and a name' );
		}
		foreach ( array(
			array( 'nobody', 422, 'invalid_recruiter' ),
			array( 'x', 422, 'invalid_recruiter' ),
			array( '<b>', 400, 'invalid_recruiter' ),
			array( 7, 400, 'invalid_body' ),
		) as list( $recruiter, $status, $code ) ) {
			$this->refused(
				$this->rest(
					'POST',
					'/v1/affiliates',
					array(
						'id'        => 'x',
						'name'      => 'X',
						'coupons'   => array( 'XCODE' ),
						'recruiter' => $recruiter,
					),
					$this->sk()
				),
				$status,
				$code,
				'POST ' . wp_json_encode( $recruiter )
			);
		}
		// An existing id with a bad recruiter: the recruiter is refused first, as on the server.
		$this->refused( $this->rest( 'POST', '/v1/affiliates', array( 'id' => 'a', 'name' => 'A', 'recruiter' => 'nobody' ), $this->sk() ), 422, 'invalid_recruiter', 'taken id' );
		$this->assertSame( $before, $this->counts(), 'nothing written by any refusal' );
		$this->assertSame( array( null, 'a', 'b', 'A' ), array( $this->show_affiliate( 'a' )['recruiter'], $this->show_affiliate( 'b' )['recruiter'], $this->show_affiliate( 'c' )['recruiter'], $this->show_affiliate( 'a' )['name'] ) );

		// Moving c up the chain is fine; null takes the recruiter away; each change is logged.
		list( $s, $d ) = $this->patch_affiliate( 'c', array( 'recruiter' => 'a' ) );
		$this->assertSame( array( 200, 'a' ), array( $s, $d['recruiter'] ) );
		list( $s, $d ) = $this->patch_affiliate( 'c', array( 'recruiter' => null ) );
		$this->assertSame( array( 200, null ), array( $s, $d['recruiter'] ) );
		list( $s ) = $this->patch_affiliate( 'c', array( 'recruiter' => null ) );
		$this->assertSame( 200, $s );
		list( , $log ) = $this->rest( 'GET', '/v1/activity?affiliate=c&action=affiliate.updated', null, $this->sk() );
		$this->assertSame(
			array(
				array(
					array(
						'field'  => 'recruiter',
						'before' => 'a',
						'after'  => null,
					),
				),
				array(
					array(
						'field'  => 'recruiter',
						'before' => 'b',
						'after'  => 'a',
					),
				),
			),
			array_map( fn( $e ) => $e['details']['changes'], $log['activity'] ),
			'newest first; the same value again is no change'
		);
		// Created with one: in the view, and a loop through a new affiliate is impossible.
		$made = $this->affiliate( 'd', array( 'recruiter' => 'c' ) );
		$this->assertSame( 'c', $made['affiliate']['recruiter'] );
		$this->refused( $this->patch_affiliate( 'c', array( 'recruiter' => 'd' ) ), 422, 'invalid_recruiter', 'c <- d' );
		list( , $list ) = $this->rest( 'GET', '/v1/affiliates?limit=500', null, $this->sk() );
		$this->assertSame( array( null, 'a', null, 'c' ), array_column( $list['affiliates'], 'recruiter' ) );
		$this->assertSame( array( 'coupons', 'recruiter', 'created_at' ), array_slice( array_keys( $made['affiliate'] ), 12, 3 ), "the server's order" );
	}

	public function test_the_rate_is_checked_and_its_changes_recorded() {
		list( $s, $p ) = $this->rest( 'GET', '/v1/program', null, $this->sk() );
		$this->assertSame( array( 200, 2000 ), array( $s, $p['recruiter_rate_bps'] ) );
		foreach ( array( -1, 5001, PHP_INT_MAX ) as $bad ) {
			$this->refused( $this->put_program_rest( array( 'recruiter_rate_bps' => $bad ) ), 400, 'invalid_recruiter_rate', (string) $bad );
		}
		foreach ( array( '100', 12.5, true, array( 1 ) ) as $bad ) {
			$this->refused( $this->put_program_rest( array( 'recruiter_rate_bps' => $bad ) ), 400, 'invalid_body', wp_json_encode( $bad ) );
		}
		$this->assertSame( 2000, Reftrail_Program::get()['recruiter_rate_bps'], 'nothing stored' );
		list( $s, $p ) = $this->put_program_rest( array( 'recruiter_rate_bps' => 5000 ) );
		$this->assertSame( array( 200, 5000 ), array( $s, $p['recruiter_rate_bps'] ) );
		list( , $changes ) = $this->rest( 'GET', '/v1/program/changes', null, $this->sk() );
		$this->assertSame(
			array(
				'setting' => 'recruiter_rate_bps',
				'before'  => 2000,
				'after'   => 5000,
			),
			$changes['changes'][0]['settings'][0]
		);
		// Left out, it is 0 (the default): no recruiter commissions.
		list( , $p ) = $this->rest( 'GET', '/v1/program', null, $this->sk() );
		unset( $p['webhook_secret'], $p['recruiter_rate_bps'] );
		list( $s, $p ) = $this->rest( 'PUT', '/v1/program', $p, $this->sk() );
		$this->assertSame( array( 200, 0 ), array( $s, $p['recruiter_rate_bps'] ) );
		$this->assertSame( 0, Reftrail_Program::defaults()['recruiter_rate_bps'] );
	}

	public function test_the_routes_answer_their_callers_only() {
		$this->now_is( self::DAY - 120 );
		list( $rosa, $tam ) = $this->team();
		$this->now_is( self::DAY - 60 );
		$this->affiliate(
			'kim',
			array(
				'recruiter' => 'rosa',
				'status'    => 'pending',
				'email'     => 'kim@secret.test',
				'name'      => '<i>Kim</i>',
			)
		);
		$this->now_is( self::DAY );
		$first = $this->sale( 'TAM', 200000 );
		$this->now_is( self::DAY + 60 );
		$this->sale( 'TAM', 100000 );

		// The merchant's list: by the secret key, a shop manager signed in, with its filters.
		$this->assertSame( array( 2000, 4000 ), array_column( $this->shares(), 'amount' ), 'newest first' );
		$manager = $this->user( 'administrator' );
		wp_set_current_user( $manager );
		list( $s, $d ) = $this->rest( 'GET', '/v1/recruiter-commissions?limit=1&offset=1', null, array( 'x-wp-nonce' => wp_create_nonce( 'wp_rest' ) ) );
		wp_set_current_user( 0 );
		$this->assertSame( array( 200, 2, array( $first['id'] ) ), array( $s, $d['total'], array_column( $d['recruiter_commissions'], 'referral' ) ) );
		foreach ( array( 'affiliate=ROSA', 'recruit=rosa', 'status=pending', 'affiliate=nobody' ) as $query ) {
			$this->assertSame( array(), $this->shares( $query ), $query );
		}
		$this->assertCount( 2, $this->shares( 'affiliate=&recruit=&status=' ), 'empty filters filter nothing' );
		$this->assertCount( 2, $this->shares( 'affiliate=rosa&recruit=tam&status=approved' ) );
		foreach ( array( 'affiliate=%3Cx%3E', 'affiliate[]=rosa', 'recruit=a%20b', 'recruit[]=tam', 'status=lost', 'status=APPROVED', 'status[]=paid', 'limit=0', 'limit=501', 'limit=ten', 'offset=-1', 'affiliate=' . str_repeat( 'a', 65 ) ) as $query ) {
			$this->refused( $this->rest( 'GET', '/v1/recruiter-commissions?' . $query, null, $this->sk() ), 400, 'invalid_query', $query );
		}

		// The recruiter's own view: the rate now, their recruits (no contact details), their shares.
		$mine = array(
			'rate_bps'    => 2000,
			'recruits'    => array(
				array(
					'id'     => 'kim',
					'name'   => '<i>Kim</i>',
					'status' => 'pending',
					'joined' => $this->show_affiliate( 'kim' )['created_at'],
				),
				array(
					'id'     => 'tam',
					'name'   => 'Tam',
					'status' => 'approved',
					'joined' => $tam['affiliate']['created_at'],
				),
			),
			'commissions' => array_map(
				fn( $rc ) => array(
					'id'         => $rc['id'],
					'recruit'    => 'tam',
					'amount'     => $rc['amount'],
					'reversed'   => 0,
					'currency'   => 'VND',
					'status'     => 'approved',
					'created_at' => $rc['created_at'],
				),
				$this->shares()
			),
		);
		list( $s, $d ) = $this->rest( 'GET', '/v1/me/recruits', null, array( 'authorization' => 'Bearer ' . $rosa['token'] ) );
		$this->assertSame( array( 200, $mine ), array( $s, $d ), 'newest first' );
		$this->assertStringNotContainsString( 'kim@secret.test', wp_json_encode( $d ) );
		// Signed in to WordPress, by the REST nonce.
		global $wpdb;
		$uid = $this->user( Reftrail_Schema::ROLE );
		$wpdb->update( Reftrail_Db::table( 'affiliates' ), array( 'user_id' => $uid ), array( 'id' => 'rosa' ) );
		wp_set_current_user( $uid );
		list( $s, $d ) = $this->rest( 'GET', '/v1/me/recruits', null, array( 'x-wp-nonce' => wp_create_nonce( 'wp_rest' ) ) );
		wp_set_current_user( 0 );
		$this->assertSame( array( 200, $mine ), array( $s, $d ) );
		// The recruit has no recruits of their own, and sees nothing of their recruiter's.
		list( $s, $d ) = $this->rest( 'GET', '/v1/me/recruits', null, array( 'authorization' => 'Bearer ' . $tam['token'] ) );
		$this->assertSame(
			array(
				200,
				array(
					'rate_bps'    => 2000,
					'recruits'    => array(),
					'commissions' => array(),
				),
			),
			array( $s, $d )
		);

		// Who may call what.
		$callers = array(
			'nobody'          => array( array(), 401, 'unauthorized' ),
			'publishable key' => array( array( 'authorization' => 'Bearer ' . Reftrail_Keys::publishable() ), 403, 'forbidden' ),
			'unknown token'   => array( array( 'authorization' => 'Bearer sk_nope' ), 401, 'unauthorized' ),
		);
		foreach ( $callers as $who => list( $headers, $status, $code ) ) {
			$this->refused( $this->rest( 'GET', '/v1/recruiter-commissions', null, $headers ), $status, $code, "{$who}: merchant" );
			$this->refused( $this->rest( 'GET', '/v1/me/recruits', null, $headers ), $status, $code, "{$who}: me" );
		}
		$this->refused( $this->rest( 'GET', '/v1/recruiter-commissions', null, array( 'authorization' => 'Bearer ' . $rosa['token'] ) ), 403, 'forbidden', 'an affiliate' );
		$this->refused( $this->rest( 'GET', '/v1/me/recruits', null, $this->sk() ), 403, 'forbidden', 'the secret key' );
		$this->refused( $this->rest( 'GET', '/v1/me/recruits', null, array( 'authorization' => 'Bearer at_nope' ) ), 401, 'unauthorized', 'an unknown token' );
		foreach ( array( 'subscriber', Reftrail_Schema::ROLE ) as $role ) {
			wp_set_current_user( $this->user( $role ) );
			$this->refused( $this->rest( 'GET', '/v1/recruiter-commissions', null, array( 'x-wp-nonce' => wp_create_nonce( 'wp_rest' ) ) ), 403, 'forbidden', $role );
			wp_set_current_user( 0 );
		}
		// A suspended recruiter's token no longer opens their view.
		$this->patch_affiliate( 'rosa', array( 'status' => 'suspended' ) );
		$this->refused( $this->rest( 'GET', '/v1/me/recruits', null, array( 'authorization' => 'Bearer ' . $rosa['token'] ) ), 401, 'unauthorized', 'suspended' );
		foreach ( array( 'POST', 'PATCH', 'DELETE' ) as $method ) {
			list( $s, $d ) = $this->rest( $method, '/v1/recruiter-commissions', null, $this->sk() );
			$this->assertSame( array( 405, 'method_not_allowed' ), array( $s, $d['error']['code'] ?? null ), $method );
			list( $s, $d ) = $this->rest( $method, '/v1/me/recruits', null, array( 'authorization' => 'Bearer ' . $tam['token'] ) );
			$this->assertSame( array( 405, 'method_not_allowed' ), array( $s, $d['error']['code'] ?? null ), $method );
		}

		// A browser route: its CORS preflight as the other /v1/me routes answer theirs.
		list( $s, , $h ) = $this->rest( 'OPTIONS', '/v1/me/recruits', null, array( 'origin' => home_url() ) );
		$this->assertSame( array( 204, home_url() ), array( $s, $h['Access-Control-Allow-Origin'] ?? null ) );
		$this->assertStringContainsString( 'authorization', $h['Access-Control-Allow-Headers'] ?? '' );
		$this->refused( $this->rest( 'OPTIONS', '/v1/me/recruits', null, array( 'origin' => 'https://evil.example' ) ), 403, 'origin_not_allowed', 'another origin' );
		$this->program( array( 'allowed_origins' => array( 'https://portal.example' ) ) );
		list( $s, , $h ) = $this->rest( 'OPTIONS', '/v1/me/recruits', null, array( 'origin' => 'https://portal.example' ) );
		$this->assertSame( array( 204, 'https://portal.example' ), array( $s, $h['Access-Control-Allow-Origin'] ?? null ) );
		$this->assertContains( '/reftrail/v1/me/recruits', Reftrail_REST::BROWSER_ROUTES );
	}

	public function test_reports_count_the_share_on_the_recruiters_row_by_its_day() {
		$this->program( array( 'recruiter_rate_bps' => 2500 ) );
		$this->team( 'rosa', 'tam', array( 'category' => 'content' ) );
		$this->patch_affiliate( 'rosa', array( 'category' => 'influencer' ) );
		$this->affiliate(
			'kim',
			array(
				'recruiter' => 'rosa',
				'category'  => 'content',
				'coupons'   => array( 'KIM' ),
			)
		);
		$day  = gmdate( 'Y-m-d', self::DAY );
		$next = gmdate( 'Y-m-d', self::DAY + Reftrail_Db::DAY );
		$this->now_is( self::DAY + 7200 );
		list( $s, $sale ) = $this->rest(
			'POST',
			'/v1/sales',
			array(
				'order_id' => 'o-tam',
				'amount'   => 400000,
				'currency' => 'VND',
				'coupon'   => 'TAM',
				'cost'     => 100000,
			),
			$this->sk()
		);
		$this->assertSame( array( 201, 40000 ), array( $s, $sale['referral']['commission'] ) );
		// Kim's sale is rejected: neither its commission nor its share is a cost.
		$kim = $this->sale( 'KIM', 200000 );
		$this->rest( 'POST', "/v1/referrals/{$kim['id']}/reject", null, $this->sk() );
		$this->assertSame( 'rejected', $this->share_of( $kim['id'] )['status'] );
		// The next day, another sale of Tam's, then half of it refunded.
		$this->now_is( self::DAY + Reftrail_Db::DAY + 3600 );
		$this->sale( 'TAM', 100000, 'o-tam-2' );
		$this->refund(
			array(
				'order_id'  => 'o-tam-2',
				'amount'    => 50000,
				'refund_id' => 'half',
			)
		);

		$in_day = "?from={$day}&to={$day}";
		$m      = $this->money( $this->report_row( 'affiliates', 'rosa', $in_day . '&sort=clicks' ) );
		$this->assertSame(
			array(
				'revenue_net'           => 0,
				'commissions'           => 0,
				'bonuses'               => 0,
				'recruiter_commissions' => 10000,
				'fees'                  => 0,
				'channel_cost'          => 10000,
				'roas'                  => 0.0,
				'roi'                   => -1.0,
			),
			array_intersect_key( $m, array_flip( array( 'commissions', 'bonuses', 'recruiter_commissions', 'fees', 'channel_cost', 'revenue_net', 'roas', 'roi' ) ) ),
			"25 % of Tam's 40,000, on the recruiter's row"
		);
		$this->assertSame( array( 'bonuses', 'recruiter_commissions', 'fees' ), array_slice( array_keys( $m ), array_search( 'bonuses', array_keys( $m ), true ), 3 ), "the server's order" );
		$m = $this->money( $this->report_row( 'affiliates', 'tam', $in_day ) );
		$this->assertSame( array( 40000, 0, 40000, 10.0, 6.5 ), array( $m['commissions'], $m['recruiter_commissions'], $m['channel_cost'], $m['roas'], $m['roi'] ), "the recruit's row: their own commission" );
		$m = $this->money( $this->report_row( 'affiliates', 'kim', $in_day ) );
		$this->assertSame( array( 0, 0, 0 ), array( $m['commissions'], $m['recruiter_commissions'], $m['channel_cost'] ) );
		// By the recruiter's category, by day, for the program.
		$this->assertSame( 10000, $this->money( $this->report_row( 'categories', 'influencer', $in_day ) )['recruiter_commissions'] );
		$this->assertSame( array( 0, 40000 ), array( $this->money( $this->report_row( 'categories', 'content', $in_day ) )['recruiter_commissions'], $this->money( $this->report_row( 'categories', 'content', $in_day ) )['channel_cost'] ) );
		$both   = "?from={$day}&to={$next}";
		$first  = $this->money( $this->report_row( 'timeseries', $day, $both ) );
		$second = $this->money( $this->report_row( 'timeseries', $next, $both ) );
		$this->assertSame( array( 10000, 50000 ), array( $first['recruiter_commissions'], $first['channel_cost'] ) );
		$this->assertSame( array( 1250, 5000 + 1250 ), array( $second['recruiter_commissions'], $second['channel_cost'] ), 'half of 2,500 left after the refund' );
		list( , $summary ) = $this->rest( 'GET', '/v1/reports/summary' . $both, null, $this->sk() );
		$m                 = $this->money( $summary['kpis'] );
		$this->assertSame( array( 45000, 11250, 56250, 450000, 8.0 ), array( $m['commissions'], $m['recruiter_commissions'], $m['channel_cost'], $m['revenue_net'], $m['roas'] ) );
		// Over HTTP the ratios keep their fraction, as the server writes them.
		$json = wp_json_encode( $m, apply_filters( 'rest_json_encode_options', 0, new WP_REST_Request( 'GET', '/reftrail/v1/reports/summary' ) ) );
		$this->assertStringContainsString( '"roas":8.0,', $json );
		$this->assertStringContainsString( '"recruiter_commissions":11250,', $json );

		// The recruiter's own report shows what they earned of their recruits; its ROAS is theirs.
		list( $s, $r ) = $this->rest( 'GET', '/v1/me/report' . $both, null, array( 'authorization' => 'Bearer ' . Reftrail_Affiliates::new_token( 'rosa' ) ) );
		$this->assertSame( 200, $s, wp_json_encode( $r ) );
		$m = $this->money( $r['kpis'] );
		$this->assertSame( array( 11250, 0, null, null, null ), array( $m['recruiter_commissions'], $m['commissions'], $m['channel_cost'], $m['fees'], $m['roas'] ) );
		list( , $r ) = $this->rest( 'GET', '/v1/me/report' . $both, null, array( 'authorization' => 'Bearer ' . Reftrail_Affiliates::new_token( 'tam' ) ) );
		$m           = $this->money( $r['kpis'] );
		$this->assertSame( array( 0, 45000, 10.0 ), array( $m['recruiter_commissions'], $m['commissions'], $m['roas'] ), 'revenue / (commissions + bonuses)' );
	}

	public function test_rates_read_as_percents_in_the_programs_language() {
		// The server's rates_read_as_percents_in_the_programs_language.
		foreach ( array(
			array( 1000, 'en', '10' ),
			array( 1250, 'en', '12.5' ),
			array( 1250, 'vi', '12,5' ),
			array( 1205, 'th', '12.05' ),
			array( 5, 'en', '0.05' ),
			array( 5000, 'vi', '50' ),
			array( 10, 'vi', '0,1' ),
			array( 1, 'th', '0.01' ),
		) as list( $bps, $locale, $want ) ) {
			$this->assertSame( $want, Reftrail_Recruiters::percent( $bps, $locale ), "{$bps} {$locale}" );
		}
	}

	public function test_a_payout_email_names_the_commissions_from_recruits() {
		// The server's test a_payout_message_counts_the_bonuses_it_pays, word for word.
		$line = array(
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
		foreach ( array(
			array( 'en', 2, 1, 0, 'for 2 referrals and 1 bonus, to' ),
			array( 'en', 0, 2, 0, 'for 2 bonuses, to' ),
			array( 'en', 1, 0, 0, 'for 1 referral, to' ),
			array( 'en', 0, 0, 0, 'for 0 referrals, to' ),
			array( 'en', 2, 1, 3, 'for 2 referrals, 1 bonus and 3 commissions from your recruits, to' ),
			array( 'en', 0, 0, 1, 'for 1 commission from your recruits, to' ),
			array( 'en', 1, 0, 1, 'for 1 referral and 1 commission from your recruits, to' ),
			array( 'en', 0, 1, 2, 'for 1 bonus and 2 commissions from your recruits, to' ),
			array( 'vi', 3, 1, 0, 'cho 3 lượt giới thiệu và 1 khoản thưởng,' ),
			array( 'vi', 0, 1, 0, 'cho 1 khoản thưởng,' ),
			array( 'vi', 1, 0, 2, 'cho 1 lượt giới thiệu và 2 khoản hoa hồng từ người bạn giới thiệu,' ),
			array( 'vi', 2, 1, 1, 'cho 2 lượt giới thiệu, 1 khoản thưởng và 1 khoản hoa hồng từ người bạn giới thiệu,' ),
			array( 'th', 2, 1, 0, 'สำหรับการแนะนำ 2 รายการ และโบนัส 1 รายการ ' ),
			array( 'th', 0, 1, 0, 'สำหรับโบนัส 1 รายการ ' ),
			array( 'th', 0, 0, 4, 'สำหรับค่าคอมมิชชันจากพาร์ทเนอร์ที่คุณชวนมา 4 รายการ ' ),
			array( 'th', 0, 0, 1, 'สำหรับค่าคอมมิชชันจากพาร์ทเนอร์ที่คุณชวนมา 1 รายการ ' ),
			array( 'th', 2, 1, 3, 'สำหรับการแนะนำ 2 รายการ, โบนัส 1 รายการ และค่าคอมมิชชันจากพาร์ทเนอร์ที่คุณชวนมา 3 รายการ ' ),
		) as list( $locale, $referrals, $bonuses, $recruits, $says ) ) {
			$counts = array(
				'referrals'             => $referrals,
				'bonuses'               => $bonuses,
				'recruiter_commissions' => $recruits,
			);
			$body   = self::payout_mail( $locale, array_merge( $line, $counts ), 'Rosa' )['body'];
			$this->assertStringContainsString( $says, $body, "{$locale} {$referrals} {$bonuses} {$recruits}" );
		}
		// Whole sentences by bank transfer; a line queued before recruiter commissions existed.
		$bank = array_merge(
			$line,
			array(
				'method'                => 'promptpay',
				'paypal_email'          => null,
				'account'               => '0812345678',
				'referrals'             => 0,
				'bonuses'               => 0,
				'recruiter_commissions' => 2,
			)
		);
		$this->assertStringContainsString( 'Shop is paying you 500,000 VND for 2 commissions from your recruits, by PromptPay to your PromptPay ID ending in 5678.', self::payout_mail( 'en', $bank, 'Rosa' )['body'] );
		$this->assertStringContainsString( 'Shop đang thanh toán cho bạn 500.000 VND cho 2 khoản hoa hồng từ người bạn giới thiệu, qua PromptPay vào mã PromptPay có số cuối 5678.', self::payout_mail( 'vi', $bank, 'Rosa' )['body'] );
		$old = $line + array(
			'referrals' => 2,
			'bonuses'   => 1,
		);
		$this->assertStringContainsString( 'Shop is paying you 500,000 VND for 2 referrals and 1 bonus, to your PayPal account an@pay.test.', self::payout_mail( 'en', $old, 'Rosa' )['body'] );
	}

	public function test_an_application_through_a_recruiting_link_names_an_approved_recruiter_only() {
		$this->program(
			array(
				'applications' => 'review',
				'fraud'        => array_merge( Reftrail_Program::get()['fraud'], array( 'applications_per_ip_per_hour' => 100000 ) ),
				'webhooks'     => array(
					array(
						'url'    => 'https://hooks.example/applied',
						'events' => array( 'affiliate.applied' ),
					),
					array( 'url' => 'https://hooks.example/all' ),
					array(
						'url'    => 'https://hooks.example/sales',
						'events' => array( 'referral.created' ),
					),
				),
			)
		);
		$this->affiliate( 'rosa' );
		$this->affiliate( 'gone', array( 'status' => 'suspended' ) );
		$this->affiliate( 'waiting', array( 'status' => 'pending' ) );
		$n = 0;
		foreach ( array(
			array( 'rosa', 'rosa' ),
			array( 'nobody', null ),
			array( 'gone', null ),
			array( 'waiting', null ),
			array( 'ROSA', null ),
			array( '<b>', null ),
			array( '', null ),
			array( 42, null ),
			array( array( 'rosa' ), null ),
			array( array( 'id' => 'rosa' ), null ),
			array( null, null ),
		) as list( $given, $kept ) ) {
			$id            = 'recruit-' . ( ++$n );
			list( $s, $d ) = $this->rest(
				'POST',
				'/v1/portal/applications',
				array(
					'id'        => $id,
					'name'      => 'Recruit',
					'email'     => $id . '@apply.test',
					'recruiter' => $given,
				)
			);
			$this->assertSame( array( 202, array( 'status' => 'pending' ) ), array( $s, $d ), wp_json_encode( $given ) );
			$this->assertSame( $kept, $this->show_affiliate( $id )['recruiter'], wp_json_encode( $given ) );
		}
		// The merchant hears of each through the endpoints that want it, with the affiliate.
		global $wpdb;
		$events = $wpdb->get_results( 'SELECT event, url, payload FROM ' . Reftrail_Db::table( 'outbox' ) . ' ORDER BY at, BINARY id', ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		$this->assertSame( array( 'affiliate.applied' ), array_values( array_unique( array_column( $events, 'event' ) ) ) );
		$urls = array_count_values( array_column( $events, 'url' ) );
		ksort( $urls );
		$this->assertSame(
			array(
				'https://hooks.example/all'     => $n,
				'https://hooks.example/applied' => $n,
			),
			$urls,
			'the endpoints that want it, one event per application'
		);
		$first = json_decode( $events[0]['payload'], true );
		$this->assertSame( 'affiliate.applied', $first['type'] );
		$this->assertSame( $this->show_affiliate( 'recruit-1' ), $first['data'], 'the affiliate as GET /v1/affiliates/{id} shows it' );
		$this->assertSame( array( 'pending', 'rosa', null ), array( $first['data']['status'], $first['data']['recruiter'], $first['data']['application']['website'] ) );
		// A known address creates nobody: no event.
		$before = count( $events );
		list( $s ) = $this->rest(
			'POST',
			'/v1/portal/applications',
			array(
				'name'      => 'Again',
				'email'     => 'recruit-1@apply.test',
				'recruiter' => 'rosa',
			)
		);
		$this->assertSame( 202, $s );
		$this->assertSame( $before, (int) $wpdb->get_var( 'SELECT COUNT(*) FROM ' . Reftrail_Db::table( 'outbox' ) ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		// Approved at once in an automatic program, and still told.
		$this->program( array( 'applications' => 'auto' ) );
		list( $s, $d ) = $this->rest(
			'POST',
			'/v1/portal/applications',
			array(
				'name'      => 'Auto Recruit',
				'email'     => 'auto@apply.test',
				'recruiter' => 'rosa',
			)
		);
		$this->assertSame( array( 202, 'approved' ), array( $s, $d['status'] ) );
		$this->assertSame( array( 'approved', 'rosa' ), array( $this->show_affiliate( 'auto-recruit' )['status'], $this->show_affiliate( 'auto-recruit' )['recruiter'] ) );
		$this->assertSame( $before + 2, (int) $wpdb->get_var( 'SELECT COUNT(*) FROM ' . Reftrail_Db::table( 'outbox' ) ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		$this->assertContains( 'affiliate.applied', Reftrail_Program::WEBHOOK_EVENTS );
	}

	public function test_the_sign_up_form_carries_the_recruiting_links_recruiter() {
		$this->program(
			array(
				'applications' => 'review',
				'fraud'        => array_merge( Reftrail_Program::get()['fraud'], array( 'applications_per_ip_per_hour' => 100000 ) ),
			)
		);
		$this->affiliate( 'rosa' );
		$_SERVER['REMOTE_ADDR'] = '198.51.100.7';
		// A visitor comes by the link: the form keeps the recruiter in a hidden field.
		$_GET = array( 'recruiter' => 'rosa' );
		$form = do_shortcode( '[reftrail_register]' );
		$this->assertStringContainsString( '<input type="hidden" name="reftrail_recruiter" value="rosa">', $form );
		$this->assertSame( $form, do_blocks( '<!-- wp:reftrail/register /-->' ), 'the block renders the same' );
		// A link that names no affiliate id: no field, nothing escaped into the page.
		foreach ( array( '"><script>alert(1)</script>', array( 'rosa' ), str_repeat( 'r', 65 ), '' ) as $hostile ) {
			$_GET = array( 'recruiter' => $hostile );
			$out  = do_shortcode( '[reftrail_register]' );
			$this->assertStringNotContainsString( 'reftrail_recruiter', $out, wp_json_encode( $hostile ) );
			$this->assertStringNotContainsString( '<script>', $out );
		}
		// Posted, the application names the recruiter (the field wins over the page's address).
		$_GET  = array( 'recruiter' => 'nobody' );
		$_POST = wp_slash(
			array(
				'reftrail_apply'        => '1',
				'_reftrail_apply_nonce' => wp_create_nonce( 'reftrail_apply' ),
				'reftrail_apply_name'   => 'Visitor',
				'reftrail_apply_email'  => 'visitor@apply.test',
				'reftrail_apply_id'     => 'visitor',
				'reftrail_recruiter'    => 'rosa',
			)
		);
		$this->assertStringContainsString( 'Thank you! We have your application', do_shortcode( '[reftrail_register]' ) );
		$this->assertSame( 'rosa', $this->show_affiliate( 'visitor' )['recruiter'] );
		// The link's address alone is enough; one naming nobody is left out.
		foreach ( array( array( 'rosa', 'rosa' ), array( 'nobody', null ) ) as list( $link, $kept ) ) {
			$_GET                          = array( 'recruiter' => $link );
			$_POST['reftrail_apply_email'] = "by-{$link}@apply.test";
			$_POST['reftrail_apply_id']    = "by-{$link}";
			unset( $_POST['reftrail_recruiter'] );
			$this->assertStringContainsString( 'Thank you!', do_shortcode( '[reftrail_register]' ), $link );
			$this->assertSame( $kept, $this->show_affiliate( "by-{$link}" )['recruiter'], $link );
		}

		// A signed-in user's registration form keeps it too.
		$_POST = array();
		$_GET  = array( 'recruiter' => 'rosa' );
		$uid   = $this->user( 'subscriber' );
		wp_set_current_user( $uid );
		$this->assertStringContainsString( '<input type="hidden" name="reftrail_recruiter" value="rosa">', do_shortcode( '[reftrail_register]' ) );
		$_POST = array(
			'reftrail_register'  => '1',
			'reftrail_id'        => 'member',
			'reftrail_name'      => 'Member',
			'reftrail_payout'    => '',
			'reftrail_recruiter' => 'rosa',
			'_reftrail_nonce'    => wp_create_nonce( 'reftrail_register' ),
		);
		$this->assertStringContainsString( 'waiting for approval', do_shortcode( '[reftrail_register]' ) );
		$this->assertSame( array( 'pending', 'rosa' ), array( $this->show_affiliate( 'member' )['status'], $this->show_affiliate( 'member' )['recruiter'] ) );
		// Naming themselves or a suspended affiliate: left out, the application still taken.
		$this->affiliate( 'gone', array( 'status' => 'suspended' ) );
		foreach ( array( 'gone' => 'member-2', 'member-3' => 'member-3' ) as $recruiter => $id ) {
			wp_set_current_user( $this->user( 'subscriber' ) );
			$_POST = array_merge(
				$_POST,
				array(
					'reftrail_id'        => $id,
					'reftrail_recruiter' => $recruiter,
					'_reftrail_nonce'    => wp_create_nonce( 'reftrail_register' ),
				)
			);
			$this->assertStringContainsString( 'waiting for approval', do_shortcode( '[reftrail_register]' ), $recruiter );
			$this->assertNull( $this->show_affiliate( $id )['recruiter'], $recruiter );
		}
		wp_set_current_user( 0 );
	}

	public function test_the_portal_names_the_sign_up_page_for_the_recruiting_link() {
		global $wpdb;
		$uid = $this->user( Reftrail_Schema::ROLE );
		$this->affiliate( 'rosa', array( 'user_id' => $uid ) );
		wp_set_current_user( $uid );
		$config = function () {
			list( $status, , $html ) = Reftrail_Portal::document();
			$this->assertSame( 200, $status );
			$this->assertSame( 1, preg_match( '#<script id="reftrail-portal-config">\s*window\.REFTRAIL_PAGES = (\{.*?\});\s*</script>#s', $html, $m ) );
			return json_decode( $m[1], true );
		};
		$wpdb->query( "UPDATE {$wpdb->posts} SET post_status = 'draft' WHERE post_type = 'page' AND post_status = 'publish' AND (post_content LIKE '%[reftrail_register%' OR post_content LIKE '%<!-- wp:reftrail/register%')" ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- rolled back with the test.
		$this->assertArrayNotHasKey( 'applyUrl', $config(), 'no sign-up page: no recruiting link' );
		$this->assertNull( Reftrail_Shortcodes::sign_up_url() );
		// A draft does not count; the first published page with the shortcode or the block does.
		wp_insert_post( array( 'post_type' => 'page', 'post_status' => 'draft', 'post_title' => 'Draft', 'post_content' => '[reftrail_register]' ) );
		$this->assertArrayNotHasKey( 'applyUrl', $config() );
		$page = wp_insert_post( array( 'post_type' => 'page', 'post_status' => 'publish', 'post_title' => 'Join us', 'post_content' => '<!-- wp:reftrail/register /-->' ) );
		wp_insert_post( array( 'post_type' => 'page', 'post_status' => 'publish', 'post_title' => 'Later', 'post_content' => '[reftrail_register]' ) );
		$this->assertSame( get_permalink( $page ), $config()['applyUrl'] );
		// The site may name its own.
		add_filter( 'reftrail_apply_url', fn() => 'https://shop.test/join?from=portal' );
		$this->assertSame( 'https://shop.test/join?from=portal', $config()['applyUrl'] );
		$this->assertSame( wp_login_url( 'https://shop.test/join?from=portal' ), Reftrail_Affiliate_Mail::sign_in_url(), 'signing in to apply goes back there too' );
		wp_set_current_user( 0 );
	}

	public function test_the_admin_list_names_each_affiliates_recruiter() {
		$this->team();
		$this->affiliate( 'evil', array( 'recruiter' => 'tam', 'name' => '<script>x</script>' ) );
		wp_set_current_user( $this->user( 'administrator' ) );
		ob_start();
		try {
			Reftrail_Admin::page_affiliates();
		} finally {
			$html = (string) ob_get_clean();
			wp_set_current_user( 0 );
		}
		$this->assertStringContainsString( '<th>Recruited by</th>', $html );
		$this->assertMatchesRegularExpression( '#<tr><td>tam</td><td>Tam</td>.*?<td>TAM</td><td>rosa</td>#', $html );
		$this->assertMatchesRegularExpression( '#<tr><td>rosa</td><td>Rosa</td>.*?<td></td><td></td><td><code>#', $html, 'nobody recruited Rosa' );
		$this->assertStringNotContainsString( '<script>x', $html );
	}

	public function test_the_openapi_document_names_the_routes() {
		list( $s, $doc ) = $this->rest( 'GET', '/v1/openapi.json' );
		$this->assertSame( 200, $s );
		$this->assertSame( array( 'get' ), array_keys( $doc['paths']['/v1/recruiter-commissions'] ) );
		$this->assertSame( array( 'affiliate', 'recruit', 'status', 'limit', 'offset' ), array_column( $doc['paths']['/v1/recruiter-commissions']['get']['parameters'], 'name' ) );
		$this->assertStringContainsString( 'invalid_query', $doc['paths']['/v1/recruiter-commissions']['get']['summary'] );
		$this->assertSame( array( array( 'affiliate_token' => array() ), array( 'wordpress_user' => array() ) ), $doc['paths']['/v1/me/recruits']['get']['security'] );
		foreach ( array( '/v1/affiliates' => 'post', '/v1/affiliates/{id}' => 'patch' ) as $path => $method ) {
			$this->assertStringContainsString( 'invalid_recruiter', $doc['paths'][ $path ][ $method ]['summary'], $path );
		}
		$this->assertStringContainsString( 'invalid_recruiter_rate', $doc['paths']['/v1/program']['put']['summary'] );
		$this->assertStringContainsString( 'affiliate.applied, referral.created', $doc['paths']['/v1/program']['put']['summary'] );
		$this->assertStringContainsString( 'referral.reversed, recruiter_commission.created (', $doc['paths']['/v1/program']['put']['summary'] );
		$this->assertStringContainsString( 'recruiter_commissions', $doc['paths']['/v1/payouts']['post']['summary'] );
		$this->assertStringContainsString( 'recruiter_commissions', $doc['paths']['/v1/me/payouts']['get']['summary'] );
		$this->assertStringContainsString( 'recruiter_commissions', $doc['paths']['/v1/reports/summary']['get']['summary'] );
		$this->assertArrayHasKey( 'recruiter', $doc['paths']['/v1/portal/applications']['post']['requestBody']['content']['application/json']['schema']['properties'] );
		$routes = rest_get_server()->get_routes( 'reftrail/v1' );
		foreach ( array( '/reftrail/v1/recruiter-commissions', '/reftrail/v1/me/recruits' ) as $route ) {
			$this->assertArrayHasKey( $route, $routes );
		}
		$schema = ( new Reftrail_REST_Recruiters_Controller() )->get_public_item_schema();
		$this->assertSame( array( 'id', 'affiliate', 'recruit', 'referral', 'rate_bps', 'amount', 'reversed', 'currency', 'status', 'payout_id', 'created_at' ), array_keys( $schema['properties'] ) );
		$this->assertArrayHasKey( 'recruiter', ( new Reftrail_REST_Affiliates_Controller() )->get_public_item_schema()['properties'] );
	}

	public function test_the_upgrade_from_21_adds_recruiters() {
		global $wpdb;
		$rc = Reftrail_Db::table( 'recruiter_commissions' );
		$a  = Reftrail_Db::table( 'affiliates' );
		$g  = Reftrail_Db::table( 'ledger' );
		$l  = Reftrail_Db::table( 'payout_lines' );
		$p  = Reftrail_Db::table( 'payouts' );
		// A site of version 21: no recruiters, no share column in the ledger, whose entry was 12 wide.
		$wpdb->query( "DROP TABLE IF EXISTS {$rc}" ); // phpcs:ignore
		$wpdb->query( "ALTER TABLE {$a} DROP INDEX recruiter, DROP COLUMN recruiter_id" ); // phpcs:ignore
		$wpdb->query( "ALTER TABLE {$g} DROP INDEX recruiter_commission_id, DROP COLUMN recruiter_commission_id, MODIFY entry varchar(12) NOT NULL" ); // phpcs:ignore
		$wpdb->query( "ALTER TABLE {$l} DROP COLUMN recruiter_commissions" ); // phpcs:ignore
		list( $id, $po ) = $this->old_payout_line( array( 'payout_email' => 'before@example.test' ), array( 'method' => 'paypal', 'bonuses' => 1 ) );
		update_option( Reftrail_Schema::OPTION, 21 );
		$program = Reftrail_Program::get();
		try {
			Reftrail_Schema::maybe_upgrade();
			$version = (int) get_option( Reftrail_Schema::OPTION );
			$exists  = $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $rc ) );
			$columns = $wpdb->get_col( "SHOW COLUMNS FROM {$rc}" ); // phpcs:ignore
			$indexes = array_values( array_unique( $wpdb->get_col( "SHOW INDEX FROM {$rc}", 2 ) ) ); // phpcs:ignore
			$added   = array();
			foreach ( array( array( $a, 'recruiter_id' ), array( $g, 'recruiter_commission_id' ), array( $g, 'entry' ), array( $l, 'recruiter_commissions' ) ) as list( $table, $c ) ) {
				$row         = $wpdb->get_row( $wpdb->prepare( "SHOW COLUMNS FROM {$table} LIKE %s", $c ), ARRAY_A ); // phpcs:ignore
				$added[ $c ] = array( $row['Type'] ?? null, $row['Null'] ?? null, $row['Default'] ?? null );
			}
			$line   = Reftrail_Ledger::payout( $po )['lines'][0];
			$before = Reftrail_Affiliates::get( $id );
			// The new columns work on the upgraded site (the rows rolled back): a recruit's sale.
			Reftrail_Db::begin();
			try {
				$this->program(
					array(
						'hold_days'          => 0,
						'recruiter_rate_bps' => 1000,
					)
				);
				Reftrail_Affiliates::create(
					array(
						'id'        => $id . '-r',
						'name'      => 'Recruit',
						'recruiter' => $id,
						'coupons'   => array( strtoupper( $id ) . 'R' ),
					)
				);
				list( $status ) = Reftrail_Tracking::sale(
					array(
						'order_id' => 'o-' . $id,
						'amount'   => 100000,
						'currency' => 'VND',
						'coupon'   => strtoupper( $id ) . 'R',
					),
					array( 'verified' => true )
				);
				$share = Reftrail_Recruiters::index( $id, '', '', 10, 0 )['recruiter_commissions'];
				$entry = $wpdb->get_var( $wpdb->prepare( "SELECT entry FROM {$g} WHERE affiliate_id = %s", $id ) ); // phpcs:ignore
				$made  = Reftrail_Ledger::create_payout( array( 'affiliates' => array( $id ) ) )['lines'][0];
			} finally {
				Reftrail_Db::rollback();
			}
			Reftrail_Schema::upgrade();
			$error = $wpdb->last_error;
		} finally {
			$wpdb->delete( $l, array( 'payout_id' => $po ) );
			$wpdb->delete( $p, array( 'id' => $po ) );
			$wpdb->delete( $a, array( 'id' => $id ) );
			update_option( Reftrail_Program::OPTION, $program );
		}
		$this->assertSame( Reftrail_Schema::VERSION, $version, 'brought up to the current schema' );
		$this->assertGreaterThanOrEqual( 22, Reftrail_Schema::VERSION, 'recruiters came with schema 22' );
		$this->assertSame( $rc, $exists );
		$this->assertSame( array( 'id', 'referral_id', 'affiliate_id', 'recruit_id', 'rate_bps', 'amount', 'reversed', 'currency', 'status', 'payout_id', 'created_at' ), $columns );
		$this->assertSame( array( 'PRIMARY', 'referral_id', 'affiliate_created', 'recruit_created', 'created_at' ), $indexes );
		$this->assertSame(
			array(
				'recruiter_id'            => array( 'varchar(64)', 'YES', null ),
				'recruiter_commission_id' => array( 'varchar(40)', 'YES', null ),
				'entry'                   => array( 'varchar(20)', 'NO', null ),
				'recruiter_commissions'   => array( 'bigint(20)', 'NO', '0' ),
			),
			$added
		);
		$this->assertSame( array( 2, 1, 0 ), array( $line['referrals'], $line['bonuses'], $line['recruiter_commissions'] ), 'a past line settled no recruiter commission' );
		$this->assertNull( $before['recruiter'], 'an affiliate from before has no recruiter' );
		$this->assertSame( 201, $status );
		$this->assertSame( array( 1000, 'approved', 'recruiter_commission' ), array( $share[0]['amount'], $share[0]['status'], $entry ) );
		$this->assertSame( array( 1000, 1 ), array( $made['amount'], $made['recruiter_commissions'] ) );
		$this->assertSame( '', $error, 'upgrading again changes nothing' );
		$this->assertContains( 'recruiter_commissions', Reftrail_Schema::TABLES, 'the uninstall drops it' );
	}
}
