<?php
/**
 * Tax withheld from payouts through the REST routes: the program's `withholding` rules checked
 * (the server's codes, a refusal changing nothing); an affiliate's `withholding_exempt`, `tax_id`
 * and `payee_type` (checked, `null` removing the tax id or the payee type, a refusal writing
 * nothing); a payout batch withholding the tax of a line at or above its rule's threshold, none
 * under it nor for an exempt affiliate, paying the net (the QR code, the PayPal file) while the
 * ledger settles the gross, the webhook carrying the same lines and the affiliate seeing gross and
 * withheld; and the report of a period for the shop's filing.
 *
 * @package Reftrail
 */

/**
 * Withholding tests.
 */
class WithholdingTest extends Reftrail_Test_Case {

	/** A THB rule: 3 % of lines of 50,000.00 THB or more. */
	const THB = array(
		'currency'  => 'THB',
		'rate_bps'  => 300,
		'threshold' => 5000000,
	);

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

	public function test_the_rules_are_checked_as_the_server_checks_them() {
		list( $s, $p ) = $this->rest( 'GET', '/v1/program', null, $this->sk() );
		$this->assertSame( array( 200, array() ), array( $s, $p['withholding'] ), 'nothing withheld unless set' );
		$this->assertSame( array( 'min_payout', 'recruiter_rate_bps', 'withholding', 'payer', 'affiliate_emails' ), array_slice( array_keys( $p ), array_search( 'min_payout', array_keys( $p ), true ), 5 ), "the server's order" );

		$vnd  = array(
			'currency'  => 'VND',
			'rate_bps'  => 1000,
			'threshold' => 2000000,
		);
		$rule = fn( array $changes ) => array_merge( $vnd, $changes );
		foreach ( array(
			'currency'  => array( $rule( array( 'currency' => 'vnd' ) ) ),
			'currency2' => array( $rule( array( 'currency' => 'VN' ) ) ),
			'rate'      => array( $rule( array( 'rate_bps' => 0 ) ) ),
			'rate2'     => array( $rule( array( 'rate_bps' => 5001 ) ) ),
			'threshold' => array( $rule( array( 'threshold' => -1 ) ) ),
			'duplicate' => array( $vnd, $rule( array( 'rate_bps' => 500 ) ) ),
			'too large' => array( $rule( array( 'threshold' => Reftrail_Input::MAX_AMOUNT + 1 ) ) ),
			'21 rules'  => array_map( fn( $i ) => $rule( array( 'currency' => 'A' . chr( 65 + intdiv( $i, 26 ) ) . chr( 65 + $i % 26 ) ) ), range( 0, 20 ) ),
		) as $name => $bad ) {
			list( $s, $d ) = $this->put_program_rest( array( 'withholding' => $bad ) );
			$this->assertSame( array( 400, 'invalid_withholding' ), array( $s, $d['error']['code'] ?? null ), $name );
		}
		list( , $d ) = $this->put_program_rest( array( 'withholding' => array( $rule( array( 'rate_bps' => 0 ) ) ) ) );
		$this->assertSame( 'withholding: rate_bps must be 1 to 5000 (50 %)', $d['error']['message'], "the server's message" );
		// A body of the wrong shape: the server refuses it as it reads it.
		foreach ( array(
			'unknown key'   => array( $rule( array( 'note' => 'x' ) ) ),
			'missing key'   => array( array_diff_key( $vnd, array( 'threshold' => true ) ) ),
			'not an object' => array( 'VND' ),
			'a string rate' => array( $rule( array( 'rate_bps' => '1000' ) ) ),
			'not a list'    => $vnd,
		) as $name => $bad ) {
			list( $s, $d ) = $this->put_program_rest( array( 'withholding' => $bad ) );
			$this->assertSame( array( 400, 'invalid_body' ), array( $s, $d['error']['code'] ?? null ), $name );
		}
		list( , $p ) = $this->rest( 'GET', '/v1/program', null, $this->sk() );
		$this->assertSame( array(), $p['withholding'], 'a refusal changes nothing' );

		// Twenty rules at the limits are fine, and read back as given.
		$ok = array_merge( array( $vnd, self::THB, $rule( array( 'currency' => 'USD', 'rate_bps' => 5000, 'threshold' => Reftrail_Input::MAX_AMOUNT ) ) ), array_map( fn( $i ) => $rule( array( 'currency' => 'X' . chr( 65 + $i ) . 'Z', 'rate_bps' => 1, 'threshold' => 0 ) ), range( 0, 16 ) ) );
		list( $s, $d ) = $this->put_program_rest( array( 'withholding' => $ok ) );
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
		$this->assertSame( $ok, $d['withholding'] );
		list( , $p ) = $this->rest( 'GET', '/v1/program', null, $this->sk() );
		$this->assertSame( $ok, $p['withholding'] );
		// Left out: back to none.
		$p = Reftrail_Program::get();
		unset( $p['withholding'], $p['webhook_secret'] );
		list( $s, $d ) = $this->rest( 'PUT', '/v1/program', $p, $this->sk() );
		$this->assertSame( array( 200, array() ), array( $s, $d['withholding'] ) );
	}

	public function test_an_affiliate_is_exempt_or_not_and_has_a_tax_id() {
		$made = $this->affiliate( 'lan', array( 'tax_id' => '0312345678-001' ) );
		$a    = $this->show_affiliate( 'lan' );
		$this->assertSame( $made['affiliate'], $a );
		$this->assertSame( array( '0312345678-001', false ), array( $a['tax_id'], $a['withholding_exempt'] ) );
		$this->assertSame( array( 'payout', 'withholding_exempt', 'tax_id', 'payee_type', 'address', 'category' ), array_slice( array_keys( $a ), 4, 6 ), "the server's order" );
		$this->assertSame( array( null, false ), array( $this->affiliate( 'plain' )['affiliate']['tax_id'], $this->show_affiliate( 'plain' )['withholding_exempt'] ), 'none unless given' );
		$exempt = $this->affiliate(
			'shop',
			array(
				'withholding_exempt' => true,
				'tax_id'             => 'ABC-123',
			)
		)['affiliate'];
		$this->assertSame( array( true, 'ABC-123' ), array( $exempt['withholding_exempt'], $exempt['tax_id'] ) );
		$this->assertSame( array( true, true ), array( $exempt['withholding_exempt'], $this->show_affiliate( 'shop' )['withholding_exempt'] ) );

		// Absent: unchanged; null: the tax id removed; exempt turned on and off.
		list( $s, $d ) = $this->patch_affiliate( 'lan', array( 'name' => 'Lan' ) );
		$this->assertSame( array( 200, '0312345678-001', false ), array( $s, $d['tax_id'], $d['withholding_exempt'] ) );
		list( $s, $d ) = $this->patch_affiliate(
			'lan',
			array(
				'withholding_exempt' => true,
				'tax_id'             => null,
			)
		);
		$this->assertSame( array( 200, null, true ), array( $s, $d['tax_id'], $d['withholding_exempt'] ) );
		$this->assertSame( $d, $this->show_affiliate( 'lan' ) );
		list( $s, $d ) = $this->patch_affiliate( 'lan', array( 'withholding_exempt' => null ) );
		$this->assertSame( array( 200, true ), array( $s, $d['withholding_exempt'] ), 'null leaves it' );
		list( $s, $d ) = $this->patch_affiliate(
			'lan',
			array(
				'withholding_exempt' => false,
				'tax_id'             => str_repeat( '9', 20 ),
			)
		);
		$this->assertSame( array( 200, str_repeat( '9', 20 ), false ), array( $s, $d['tax_id'], $d['withholding_exempt'] ) );

		// A refused tax id: 400 invalid_tax_id, and nothing else of the body written.
		$before = $this->show_affiliate( 'lan' );
		foreach ( array( '', '031 234', str_repeat( 'x', 21 ), '٠١٢', 'a_b', "12\n" ) as $bad ) {
			list( $s, $d ) = $this->patch_affiliate(
				'lan',
				array(
					'tax_id'             => $bad,
					'name'               => 'Changed',
					'withholding_exempt' => true,
				)
			);
			$this->assertSame( array( 400, 'invalid_tax_id' ), array( $s, $d['error']['code'] ?? null ), bin2hex( $bad ) );
			list( $s, $d ) = $this->rest(
				'POST',
				'/v1/affiliates',
				array(
					'id'     => 'new',
					'name'   => 'N',
					'tax_id' => $bad,
				),
				$this->sk()
			);
			$this->assertSame( array( 400, 'invalid_tax_id' ), array( $s, $d['error']['code'] ?? null ), bin2hex( $bad ) );
		}
		list( $s, $d ) = $this->patch_affiliate( 'lan', array( 'tax_id' => 12345 ) );
		$this->assertSame( array( 400, 'invalid_body' ), array( $s, $d['error']['code'] ?? null ) );
		list( $s, $d ) = $this->patch_affiliate( 'lan', array( 'withholding_exempt' => 'yes' ) );
		$this->assertSame( array( 400, 'invalid_body' ), array( $s, $d['error']['code'] ?? null ) );
		$this->assertSame( $before, $this->show_affiliate( 'lan' ), 'refused changes nothing' );
		list( $s ) = $this->rest( 'GET', '/v1/affiliates/new', null, $this->sk() );
		$this->assertSame( 404, $s, 'nor is a refused affiliate created' );

		// Not the affiliate's own to change.
		list( $s, $d ) = $this->rest( 'PATCH', '/v1/me', array( 'tax_id' => '123' ), array( 'authorization' => 'Bearer ' . $made['token'] ) );
		$this->assertSame( array( 400, 'invalid_body' ), array( $s, $d['error']['code'] ?? null ) );
		list( , $list ) = $this->rest( 'GET', '/v1/affiliates', null, $this->sk() );
		$this->assertSame( array( str_repeat( '9', 20 ), null, 'ABC-123' ), array_column( $list['affiliates'], 'tax_id' ) );
	}

	public function test_an_affiliate_is_paid_as_a_person_or_a_company() {
		$made = $this->affiliate( 'somchai', array( 'payee_type' => 'company' ) );
		$this->assertSame( 'company', $made['affiliate']['payee_type'] );
		$this->assertSame( $made['affiliate'], $this->show_affiliate( 'somchai' ) );
		$plain = $this->affiliate( 'plain' )['affiliate'];
		$this->assertArrayHasKey( 'payee_type', $plain );
		$this->assertNull( $plain['payee_type'], 'not set unless given' );
		list( $s, $me ) = $this->rest( 'GET', '/v1/me', null, array( 'authorization' => 'Bearer ' . $made['token'] ) );
		$this->assertSame( array( 200, 'company' ), array( $s, $me['affiliate']['payee_type'] ) );

		// Set, left as it is when absent, removed with null.
		list( $s, $d ) = $this->patch_affiliate( 'somchai', array( 'payee_type' => 'person' ) );
		$this->assertSame( array( 200, 'person' ), array( $s, $d['payee_type'] ) );
		list( $s, $d ) = $this->patch_affiliate( 'somchai', array( 'name' => 'Somchai' ) );
		$this->assertSame( array( 200, 'person' ), array( $s, $d['payee_type'] ), 'absent leaves it' );
		$this->assertSame( $d, $this->show_affiliate( 'somchai' ) );

		// Refused: 400 invalid_payee_type (invalid_body for a non-string), and nothing else of the
		// body written, nor a refused affiliate created.
		$before = $this->show_affiliate( 'somchai' );
		foreach ( array( 'Person', 'COMPANY', 'individual', 'sole_trader', '', ' person', "person\n", 1, true, array( 'person' ) ) as $bad ) {
			$code          = is_string( $bad ) ? 'invalid_payee_type' : 'invalid_body';
			$what          = wp_json_encode( $bad );
			list( $s, $d ) = $this->patch_affiliate(
				'somchai',
				array(
					'payee_type'         => $bad,
					'name'               => 'Changed',
					'withholding_exempt' => true,
				)
			);
			$this->assertSame( array( 400, $code ), array( $s, $d['error']['code'] ?? null ), $what );
			list( $s, $d ) = $this->rest(
				'POST',
				'/v1/affiliates',
				array(
					'id'         => 'new',
					'name'       => 'N',
					'payee_type' => $bad,
				),
				$this->sk()
			);
			$this->assertSame( array( 400, $code ), array( $s, $d['error']['code'] ?? null ), $what );
		}
		list( , $d ) = $this->patch_affiliate( 'somchai', array( 'payee_type' => 'partnership' ) );
		$this->assertSame( 'payee_type must be person or company', $d['error']['message'], "the server's message" );
		// Checked after the tax id and before the address, as the server does.
		list( , $d ) = $this->patch_affiliate(
			'somchai',
			array(
				'tax_id'     => 'a b',
				'payee_type' => 'partnership',
				'address'    => '',
			)
		);
		$this->assertSame( 'invalid_tax_id', $d['error']['code'] ?? null );
		list( , $d ) = $this->patch_affiliate(
			'somchai',
			array(
				'payee_type' => 'partnership',
				'address'    => '',
			)
		);
		$this->assertSame( 'invalid_payee_type', $d['error']['code'] ?? null );
		$this->assertSame( $before, $this->show_affiliate( 'somchai' ), 'refused changes nothing' );
		list( $s ) = $this->rest( 'GET', '/v1/affiliates/new', null, $this->sk() );
		$this->assertSame( 404, $s, 'nor is a refused affiliate created' );

		// Not the affiliate's own to change.
		list( $s, $d ) = $this->rest( 'PATCH', '/v1/me', array( 'payee_type' => 'company' ), array( 'authorization' => 'Bearer ' . $made['token'] ) );
		$this->assertSame( array( 400, 'invalid_body' ), array( $s, $d['error']['code'] ?? null ) );
		$this->assertSame( 'person', $this->show_affiliate( 'somchai' )['payee_type'] );

		list( $s, $d ) = $this->patch_affiliate( 'somchai', array( 'payee_type' => null ) );
		$this->assertSame( array( 200, null ), array( $s, $d['payee_type'] ) );
		$this->patch_affiliate( 'plain', array( 'payee_type' => 'company' ) );
		list( , $list ) = $this->rest( 'GET', '/v1/affiliates', null, $this->sk() );
		$this->assertSame( array( 'company', null ), array_column( $list['affiliates'], 'payee_type' ) );
	}

	public function test_a_payout_withholds_tax_and_pays_the_rest() {
		global $wpdb;
		$this->program(
			array(
				'hold_days'   => 0,
				'withholding' => array( self::THB ),
				'webhooks'    => array( array( 'url' => 'http://127.0.0.1:9/hook' ) ),
			)
		);
		// 10 % commissions: 60,000.00 THB (taxed), 49,999.99 THB (under the threshold), and
		// 60,000.00 THB to an exempt affiliate.
		$taxed = $this->affiliate(
			'taxed',
			array(
				'tax_id'  => '1101801234563',
				'payout'  => array(
					'method'  => 'promptpay',
					'account' => '0812345678',
				),
				'coupons' => array( 'TAXED' ),
			)
		);
		$this->affiliate(
			'under',
			array(
				'payout_email' => 'under@pay.test',
				'tax_id'       => 'U-1',
				'coupons'      => array( 'UNDER' ),
			)
		);
		$this->affiliate(
			'exempt',
			array(
				'payout_email'       => 'exempt@pay.test',
				'withholding_exempt' => true,
				'coupons'            => array( 'EXEMPT' ),
			)
		);
		$this->approved_coupon_sale( 'TAXED', 60000000 );
		$this->approved_coupon_sale( 'UNDER', 49999990 );
		$this->approved_coupon_sale( 'EXEMPT', 60000000 );
		list( $s, $p ) = $this->rest( 'POST', '/v1/payouts', null, $this->sk() );
		$this->assertSame( 201, $s, wp_json_encode( $p ) );
		$net = 6000000 - 180000;
		$qr  = Reftrail_Bank_Transfer::promptpay( Reftrail_Bank_Transfer::promptpay_id( '0812345678' ), $net );
		$this->assertSame(
			array(
				'affiliate'             => 'taxed',
				'currency'              => 'THB',
				'amount'                => $net,
				'gross'                 => 6000000,
				'withheld'              => 180000,
				'tax_id'                => '1101801234563',
				'method'                => 'promptpay',
				'paypal_email'          => null,
				'bank'                  => null,
				'account'               => '0812345678',
				'account_name'          => null,
				'transfer_qr'           => $qr,
				'referrals'             => 1,
				'bonuses'               => 0,
				'recruiter_commissions' => 0,
				'fee'                   => null,
				'sent_at'               => null,
			),
			self::line( $p, 'taxed' ),
			'the QR code pays the net'
		);
		$this->assertSame( array( 4999999, 4999999, 0, 'U-1' ), array_values( array_intersect_key( self::line( $p, 'under' ), array_flip( array( 'gross', 'withheld', 'amount', 'tax_id' ) ) ) ) );
		$this->assertSame( array( 'amount' => 6000000, 'gross' => 6000000, 'withheld' => 0, 'tax_id' => null ), array_intersect_key( self::line( $p, 'exempt' ), array_flip( array( 'gross', 'withheld', 'amount', 'tax_id' ) ) ) );
		// Stored: the net, the tax and the tax id as they were.
		$row = $wpdb->get_row( $wpdb->prepare( 'SELECT amount, withheld, tax_id FROM ' . Reftrail_Db::table( 'payout_lines' ) . ' WHERE affiliate_id = %s', 'taxed' ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		$this->assertSame( array( (string) $net, '180000', '1101801234563' ), array_values( $row ) );

		// Read back the same, whatever the affiliate's tax id or exemption is now.
		$this->patch_affiliate(
			'taxed',
			array(
				'tax_id'             => null,
				'withholding_exempt' => true,
			)
		);
		list( $s, $shown ) = $this->rest( 'GET', '/v1/payouts/' . $p['id'], null, $this->sk() );
		$this->assertSame( array( 200, $p ), array( $s, $shown ) );
		// The ledger settles the gross.
		list( , $b ) = $this->rest( 'GET', '/v1/balances?affiliate=taxed', null, $this->sk() );
		$this->assertSame( array( 0, 6000000 ), array( $b['balances'][0]['approved'], $b['balances'][0]['paid'] ) );
		// The PayPal file pays the net of its lines.
		list( $s, $csv ) = $this->rest( 'GET', '/v1/payouts/' . $p['id'] . '.csv', null, $this->sk() );
		$this->assertSame( 200, $s );
		$this->assertSame( "exempt@pay.test,60000.00,THB,exempt,Affiliate commission {$p['id']}\nunder@pay.test,49999.99,THB,under,Affiliate commission {$p['id']}\n", $csv );
		// The webhook carries the same lines.
		$payload = json_decode( (string) $wpdb->get_var( $wpdb->prepare( 'SELECT payload FROM ' . Reftrail_Db::table( 'outbox' ) . ' WHERE event = %s', 'payout.created' ) ), true ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		$this->assertSame( $p, $payload['data'] );
		// The affiliate sees gross, withheld and what they received.
		list( $s, $mine ) = $this->rest( 'GET', '/v1/me/payouts', null, array( 'authorization' => 'Bearer ' . $taxed['token'] ) );
		$this->assertSame( 200, $s );
		$this->assertSame(
			array(
				'id'                    => $p['id'],
				'at'                    => $p['at'],
				'amount'                => $net,
				'gross'                 => 6000000,
				'withheld'              => 180000,
				'currency'              => 'THB',
				'referrals'             => 1,
				'bonuses'               => 0,
				'recruiter_commissions' => 0,
				'method'                => 'promptpay',
				'paypal_email'          => null,
				'account'               => '0812345678',
				'note'                  => null,
				'sent_at'               => null,
			),
			$mine['payouts'][0]
		);
	}

	public function test_the_minimum_payout_is_compared_with_the_gross() {
		$this->program(
			array(
				'currency'    => 'THB',
				'hold_days'   => 0,
				'min_payout'  => 6000000,
				'withholding' => array( array_merge( self::THB, array( 'threshold' => 0 ) ) ),
			)
		);
		$this->affiliate(
			'somchai',
			array(
				'payout_email' => 'somchai@pay.test',
				'coupons'      => array( 'SOM' ),
			)
		);
		$this->approved_coupon_sale( 'SOM', 60000000 );
		list( $s, $p ) = $this->rest( 'POST', '/v1/payouts', null, $this->sk() );
		$this->assertSame( 201, $s, wp_json_encode( $p ) );
		$this->assertSame( array( 6000000, 180000, 5820000 ), array( $p['lines'][0]['gross'], $p['lines'][0]['withheld'], $p['lines'][0]['amount'] ) );
	}

	public function test_the_report_sums_each_affiliate_and_currency_of_a_period() {
		$this->program(
			array(
				'hold_days'   => 0,
				'withholding' => array(
					array(
						'currency'  => 'VND',
						'rate_bps'  => 1000,
						'threshold' => 2000000,
					),
					array_merge( self::THB, array( 'threshold' => 0 ) ),
				),
			)
		);
		$this->affiliate(
			'lan',
			array(
				'name'         => '=Lan, "Nguyễn"',
				'payout_email' => 'lan@pay.test',
				'tax_id'       => 'OLD-1',
				'payee_type'   => 'company',
				'coupons'      => array( 'LAN' ),
			)
		);
		$this->affiliate(
			'Bao',
			array(
				'payout_email' => 'bao@pay.test',
				'coupons'      => array( 'BAO' ),
			)
		);
		$pay = function ( $at ) {
			add_filter( 'reftrail_now', fn() => $at );
			list( $s, $p ) = $this->rest( 'POST', '/v1/payouts', null, $this->sk() );
			remove_all_filters( 'reftrail_now' );
			$this->assertSame( 201, $s, wp_json_encode( $p ) );
			return $p;
		};
		// 2026-10-31: outside the period.
		$this->approved_coupon_sale( 'LAN', 50000000, 'VND' );
		$pay( gmmktime( 12, 0, 0, 10, 31, 2026 ) );
		// 2026-11-02: lan 2,500,000 VND (250,000 withheld) and 1,000.00 THB (30.00 withheld); Bao
		// 1,500,000 VND (under the threshold).
		$this->approved_coupon_sale( 'LAN', 25000000, 'VND' );
		$this->approved_coupon_sale( 'LAN', 1000000, 'THB' );
		$this->approved_coupon_sale( 'BAO', 15000000, 'VND' );
		$pay( gmmktime( 9, 0, 0, 11, 2, 2026 ) );
		// 2026-11-30, its last second: lan 3,000,000 VND (300,000 withheld) with a new tax id.
		$this->patch_affiliate( 'lan', array( 'tax_id' => 'NEW-2' ) );
		$this->approved_coupon_sale( 'LAN', 30000000, 'VND' );
		$pay( gmmktime( 23, 59, 59, 11, 30, 2026 ) );
		// 2026-12-01: outside the period.
		$this->patch_affiliate( 'lan', array( 'tax_id' => 'LATER-3' ) );
		// The payee type is the affiliate's as it is now, not as it was at a payout.
		$this->patch_affiliate( 'lan', array( 'payee_type' => 'person' ) );
		$this->approved_coupon_sale( 'LAN', 40000000, 'VND' );
		$pay( gmmktime( 0, 0, 0, 12, 1, 2026 ) );

		list( $s, $csv, $h ) = $this->rest( 'GET', '/v1/reports/withholding.csv?from=2026-11-01&to=2026-11-30', null, $this->sk() );
		$this->assertSame( 200, $s, is_string( $csv ) ? $csv : wp_json_encode( $csv ) );
		$this->assertSame( 'text/csv; charset=utf-8', $h['Content-Type'] );
		$this->assertSame( 'attachment; filename="withholding.csv"', $h['Content-Disposition'] );
		$this->assertSame(
			"affiliate_id,name,tax_id,payee_type,currency,gross,withheld,paid,payouts\n"
			. "Bao,Bao,,,VND,1500000,0,1500000,1\n"
			. "lan,\"'=Lan, \"\"Nguyễn\"\"\",OLD-1,person,THB,1000.00,30.00,970.00,1\n"
			. "lan,\"'=Lan, \"\"Nguyễn\"\"\",NEW-2,person,VND,5500000,550000,4950000,2\n",
			$csv,
			'by affiliate id byte-wise, then currency; the tax id of the latest payout of the period that paid the row (THB: the first); the payee type as it is now (none: empty)'
		);
		// The first payout of the period alone: the tax id as that payout recorded it.
		list( , $csv ) = $this->rest( 'GET', '/v1/reports/withholding.csv?from=2026-11-02T00:00:00Z&to=2026-11-03T00:00:00Z', null, $this->sk() );
		$this->assertStringContainsString( "\"\"\",OLD-1,person,VND,2500000,250000,2250000,1\n", $csv );
		// A period without payouts: the header alone.
		list( $s, $csv ) = $this->rest( 'GET', '/v1/reports/withholding.csv?from=2025-01-01&to=2025-01-31', null, $this->sk() );
		$this->assertSame( array( 200, "affiliate_id,name,tax_id,payee_type,currency,gross,withheld,paid,payouts\n" ), array( $s, $csv ) );
		foreach ( array( '?from=tomorrow', '?from=2026-12-01&to=2026-11-01', '?to=2026-13-01' ) as $q ) {
			list( $s, $d ) = $this->rest( 'GET', '/v1/reports/withholding.csv' . $q, null, $this->sk() );
			$this->assertSame( array( 400, 'invalid_range' ), array( $s, $d['error']['code'] ?? null ), $q );
		}
		list( $s, $d ) = $this->rest( 'GET', '/v1/reports/withholding.csv', null, array( 'authorization' => 'Bearer ' . Reftrail_Keys::publishable() ) );
		$this->assertSame( array( 403, 'forbidden' ), array( $s, $d['error']['code'] ?? null ) );
	}

	public function test_the_tax_id_and_payee_type_are_in_the_privacy_export() {
		$this->affiliate(
			'somchai',
			array(
				'email'      => 'somchai@customers.test',
				'tax_id'     => '1101801234563',
				'payee_type' => 'person',
			)
		);
		list( $s, $x ) = $this->rest( 'POST', '/v1/privacy/export', array( 'email' => 'somchai@customers.test' ), $this->sk() );
		$this->assertSame( array( 200, '1101801234563', 'person' ), array( $s, $x['affiliates'][0]['tax_id'], $x['affiliates'][0]['payee_type'] ) );
		$this->assertSame( array( 'payout', 'tax_id', 'payee_type', 'address', 'created_at' ), array_slice( array_keys( $x['affiliates'][0] ), 4 ), "the server's order" );
		$exporters = apply_filters( 'wp_privacy_personal_data_exporters', array() );
		$found     = null;
		foreach ( $exporters as $e ) {
			foreach ( call_user_func( $e['callback'], 'somchai@customers.test', 1 )['data'] as $item ) {
				if ( 'reftrail-affiliate-somchai' === $item['item_id'] ) {
					$found = array_column( $item['data'], 'value', 'name' );
				}
			}
		}
		$this->assertSame( array( '1101801234563', 'Person' ), array( $found['Tax ID'] ?? null, $found['Payee type'] ?? null ) );
		$this->patch_affiliate( 'somchai', array( 'payee_type' => 'company' ) );
		list( , $x ) = $this->rest( 'POST', '/v1/privacy/export', array( 'email' => 'somchai@customers.test' ), $this->sk() );
		$this->assertSame( 'company', $x['affiliates'][0]['payee_type'] );
	}

	public function test_the_report_is_in_the_openapi_document() {
		list( $s, $doc ) = $this->rest( 'GET', '/v1/openapi.json' );
		$this->assertSame( 200, $s );
		$op = $doc['paths']['/v1/reports/withholding.csv']['get'];
		$this->assertSame( array( 'from', 'to' ), array_column( $op['parameters'], 'name' ) );
		$this->assertArrayHasKey( 'text/csv', $op['responses']['200']['content'] );
		$this->assertArrayHasKey( '/reftrail/v1/reports/withholding\.csv', rest_get_server()->get_routes( 'reftrail/v1' ) );
		$this->assertStringContainsString( 'tax_id, payee_type, currency', $op['summary'] );
		$this->assertStringContainsString( 'invalid_payee_type', $doc['paths']['/v1/affiliates']['post']['summary'] );
		$this->assertStringContainsString( 'payee_type and address: null removes it', $doc['paths']['/v1/affiliates/{id}']['patch']['summary'] );
	}
}
