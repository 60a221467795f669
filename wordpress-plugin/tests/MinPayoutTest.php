<?php
/**
 * The smallest payout is a sum of the program's own currency, as the server's
 * `Program::min_payout_in` and tests/min_payout.rs have it: a VND program's 200,000 ₫ holds back
 * a VND balance below it and says nothing about a USD balance, which a payout and a payout
 * request take from its first cent. GET /v1/me says which currency min_payout is in.
 *
 * @package Reftrail
 */

/**
 * Smallest payout tests.
 */
class MinPayoutTest extends Reftrail_Test_Case {

	protected function setUp(): void {
		parent::setUp();
		// The administrator's email of each payout request is kept, not sent.
		add_filter( 'pre_wp_mail', '__return_true' );
	}

	protected function tearDown(): void {
		remove_filter( 'pre_wp_mail', '__return_true' );
		remove_action( 'shutdown', array( 'Reftrail_Affiliate_Mail', 'ask_for_a_run' ) );
		parent::tearDown();
	}

	/**
	 * A VND program with a smallest payout of 200,000 ₫, approving at once, set over REST as the
	 * server's test sets it.
	 *
	 * @param array $changes More fields.
	 */
	private function vnd_program( array $changes = array() ) {
		list( $s, $p ) = $this->rest( 'GET', '/v1/program', null, $this->sk() );
		$this->assertSame( 200, $s );
		unset( $p['webhook_secret'] );
		$p = array_merge(
			$p,
			array(
				'currency'     => 'VND',
				'min_payout'   => 200000,
				'hold_days'    => 0,
				'auto_approve' => true,
			),
			$changes
		);
		list( $s, $d ) = $this->rest( 'PUT', '/v1/program', $p, $this->sk() );
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
	}

	/**
	 * Affiliate `$id` with a PayPal email (their own) and the coupon of their id in capitals;
	 * the bearer header of their token.
	 *
	 * @param string $id Id.
	 * @return array
	 */
	private function member( $id ) {
		$a = $this->affiliate(
			$id,
			array(
				'email'   => $id . '@aff.test',
				'coupons' => array( strtoupper( $id ) ),
			)
		);
		return array( 'authorization' => 'Bearer ' . $a['token'] );
	}

	/**
	 * A sale by coupon `$coupon` (10 % commission).
	 *
	 * @param string $order    Order id.
	 * @param int    $amount   Minor units.
	 * @param string $currency Currency.
	 * @param string $coupon   Coupon.
	 */
	private function sale( $order, $amount, $currency, $coupon ) {
		list( $s, $d ) = $this->rest(
			'POST',
			'/v1/sales',
			array(
				'order_id' => $order,
				'amount'   => $amount,
				'currency' => $currency,
				'coupon'   => $coupon,
			),
			$this->sk()
		);
		$this->assertSame( 201, $s, wp_json_encode( $d ) );
	}

	/**
	 * POST /v1/me/payout-requests in `$currency` as `$who`: [status, body].
	 *
	 * @param array  $who      Headers.
	 * @param string $currency Currency.
	 * @return array
	 */
	private function ask( array $who, $currency ) {
		return array_slice( $this->rest( 'POST', '/v1/me/payout-requests', array( 'currency' => $currency ), $who ), 0, 2 );
	}

	/**
	 * GET /v1/me as `$who`.
	 *
	 * @param array $who Headers.
	 * @return array
	 */
	private function me( array $who ) {
		list( $s, $d ) = $this->rest( 'GET', '/v1/me', null, $who );
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
		return $d;
	}

	/**
	 * A payout line's currency and amount.
	 *
	 * @param array $payout The payout.
	 * @return array[]
	 */
	private static function lines( array $payout ) {
		return array_map( fn( $l ) => array( $l['currency'], $l['amount'] ), $payout['lines'] );
	}

	public function test_the_smallest_payout_is_in_the_programs_currency_only() {
		$p = array_merge(
			Reftrail_Program::defaults(),
			array(
				'currency'   => 'VND',
				'min_payout' => 200000,
			)
		);
		$this->assertSame( 200000, Reftrail_Program::min_payout_in( $p, 'VND' ) );
		$this->assertSame( 1, Reftrail_Program::min_payout_in( $p, 'USD' ) );
		$this->assertSame( 1, Reftrail_Program::min_payout_in( $p, 'THB' ) );
		$p['min_payout'] = 0;
		$this->assertSame( 1, Reftrail_Program::min_payout_in( $p, 'VND' ), 'a payout is never of nothing' );
	}

	public function test_the_minimum_holds_back_the_programs_currency_only() {
		$this->vnd_program();
		$lan = $this->member( 'lan' );
		// 10 % of each: 100,000 ₫ (under the minimum) and $20.00.
		$this->sale( 'M-1', 1000000, 'VND', 'LAN' );
		$this->sale( 'M-2', 20000, 'USD', 'LAN' );

		$me = $this->me( $lan );
		$this->assertSame( array( 200000, 'VND' ), array( $me['min_payout'] ?? null, $me['min_payout_currency'] ?? null ) );
		list( $s, $d ) = $this->ask( $lan, 'VND' );
		$this->assertSame( array( 409, 'below_minimum' ), array( $s, $d['error']['code'] ?? null ), wp_json_encode( $d ) );
		$this->assertSame( 'the approved balance (100000 minor units of VND) is below the smallest payout (200000)', $d['error']['message'] );
		list( $s, $request ) = $this->ask( $lan, 'USD' );
		$this->assertSame( 201, $s, wp_json_encode( $request ) );
		$this->assertSame( array( 'USD', 2000, 'open' ), array( $request['currency'], $request['amount'], $request['status'] ) );

		list( $s, $payout ) = $this->rest( 'POST', '/v1/payouts', null, $this->sk() );
		$this->assertSame( 201, $s, wp_json_encode( $payout ) );
		$this->assertSame( array( array( 'USD', 2000 ) ), self::lines( $payout ), 'the dong wait for the minimum' );
		// The payout answered the request; the dong are still approved, still under the minimum.
		list( , $mine ) = $this->rest( 'GET', '/v1/me/payout-requests', null, $lan );
		$this->assertSame( array( $request['id'], 'paid', $payout['id'] ), array( $mine['requests'][0]['id'], $mine['requests'][0]['status'], $mine['requests'][0]['payout_id'] ) );
		$balances = array_column( $this->me( $lan )['balances'], null, 'currency' );
		$this->assertSame( array( 100000, 0 ), array( $balances['VND']['approved'], $balances['VND']['paid'] ) );
		$this->assertSame( array( 0, 2000 ), array( $balances['USD']['approved'], $balances['USD']['paid'] ) );
		list( $s, $d ) = $this->rest( 'POST', '/v1/payouts', null, $this->sk() );
		$this->assertSame( array( 422, 'nothing_to_pay' ), array( $s, $d['error']['code'] ?? null ), 'nothing else payable' );

		// Reaching the minimum, the dong are asked for and paid like any other balance.
		$this->sale( 'M-3', 1000000, 'VND', 'LAN' );
		list( $s, $request ) = $this->ask( $lan, 'VND' );
		$this->assertSame( array( 201, 200000 ), array( $s, $request['amount'] ?? null ), wp_json_encode( $request ) );
		list( $s, $payout ) = $this->rest( 'POST', '/v1/payouts', null, $this->sk() );
		$this->assertSame( 201, $s, wp_json_encode( $payout ) );
		$this->assertSame( array( array( 'VND', 200000 ) ), self::lines( $payout ) );
	}

	public function test_a_balance_in_another_currency_is_paid_from_its_first_minor_unit() {
		$this->vnd_program();
		$this->member( 'mai' );
		$this->member( 'tuan' );
		// 1 cent and 1 satang; 199,999 ₫, one short of the minimum.
		$this->sale( 'S-1', 10, 'USD', 'MAI' );
		$this->sale( 'S-2', 10, 'THB', 'MAI' );
		$this->sale( 'S-3', 1999990, 'VND', 'TUAN' );
		list( $s, $payout ) = $this->rest( 'POST', '/v1/payouts', null, $this->sk() );
		$this->assertSame( 201, $s, wp_json_encode( $payout ) );
		$this->assertSame(
			array( array( 'mai', 'THB', 1 ), array( 'mai', 'USD', 1 ) ),
			array_map( fn( $l ) => array( $l['affiliate'], $l['currency'], $l['amount'] ), $payout['lines'] )
		);
		// A payout of the program's currency alone finds nothing to pay.
		list( $s, $d ) = $this->rest( 'POST', '/v1/payouts', array( 'currency' => 'VND' ), $this->sk() );
		$this->assertSame( array( 422, 'nothing_to_pay' ), array( $s, $d['error']['code'] ?? null ) );

		// The minimum follows the program's currency: a USD program holds back the dollars and
		// pays the dong.
		$this->program(
			array(
				'currency'   => 'USD',
				'min_payout' => 5000,
			)
		);
		$this->sale( 'S-4', 10, 'USD', 'MAI' );
		list( $s, $payout ) = $this->rest( 'POST', '/v1/payouts', null, $this->sk() );
		$this->assertSame( 201, $s, wp_json_encode( $payout ) );
		$this->assertSame( array( array( 'VND', 199999 ) ), self::lines( $payout ) );
	}

	public function test_nothing_and_a_debt_are_never_paid() {
		$this->vnd_program( array( 'min_payout' => 0 ) );
		$this->member( 'mai' );
		// A refund after a payout leaves a negative USD balance: no line for it, in any currency.
		$this->sale( 'R-1', 20000, 'USD', 'MAI' );
		list( $s ) = $this->rest( 'POST', '/v1/payouts', null, $this->sk() );
		$this->assertSame( 201, $s );
		list( $s, $d ) = $this->rest( 'POST', '/v1/refunds', array( 'order_id' => 'R-1' ), $this->sk() );
		$this->assertSame( 201, $s, wp_json_encode( $d ) );
		$this->assertSame( -2000, array_column( Reftrail_Ledger::balances( 'mai' ), 'approved', 'currency' )['USD'] );
		list( $s, $d ) = $this->rest( 'POST', '/v1/payouts', null, $this->sk() );
		$this->assertSame( array( 422, 'nothing_to_pay' ), array( $s, $d['error']['code'] ?? null ) );
	}

	public function test_me_names_the_currency_of_the_smallest_payout() {
		$lan = $this->member( 'lan' );
		$me  = $this->me( $lan );
		$this->assertSame( array( 0, 'USD' ), array( $me['min_payout'], $me['min_payout_currency'] ), 'the defaults' );
		$keys = array_keys( $me );
		$this->assertSame( array( 'referral_emails', 'min_payout', 'min_payout_currency', 'category_commission' ), array_slice( $keys, array_search( 'referral_emails', $keys, true ), 4 ), "the server's order" );
		$this->program(
			array(
				'currency'   => 'THB',
				'min_payout' => 50000,
			)
		);
		$me = $this->me( $lan );
		$this->assertSame( array( 50000, 'THB' ), array( $me['min_payout'], $me['min_payout_currency'] ) );
		list( $s, $d ) = $this->rest( 'PATCH', '/v1/me', array( 'referral_emails' => false ), $lan );
		$this->assertSame( array( 200, 'THB' ), array( $s, $d['min_payout_currency'] ?? null ), 'PATCH answers as GET does' );

		list( , $doc ) = $this->rest( 'GET', '/v1/openapi.json' );
		$this->assertStringContainsString( 'min_payout_currency', $doc['paths']['/v1/me']['get']['summary'] );
		$this->assertStringContainsString( "in the program's own currency", $doc['paths']['/v1/me/payout-requests']['post']['summary'] );
		$this->assertStringContainsString( 'min_payout', $doc['paths']['/v1/program']['put']['summary'] );
		$this->assertStringContainsString( 'min_payout', $doc['paths']['/v1/payouts']['post']['summary'] );
	}
}
