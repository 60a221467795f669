<?php
/**
 * Withholding tax certificates through the REST routes: the program's `payer` (checked, the
 * server's codes, a refusal changing nothing, null removing it); an affiliate's postal `address`
 * (set by the merchant or by the affiliate on /v1/me, checked, null removing it, a refusal writing
 * nothing); and the certificates of a period, for the merchant (everyone's, or one affiliate's)
 * and for each affiliate (their own): one per affiliate and currency with tax withheld, the lines
 * with tax withheld by when they were paid, their sums, the payee as they are now (their payee
 * type too) with the tax id their lines kept, and the tax withheld in Thai words for baht.
 *
 * @package Reftrail
 */

/**
 * Certificate tests.
 */
class WithholdingCertificatesTest extends Reftrail_Test_Case {

	/** The shop as its certificates name it. */
	const PAYER = array(
		'name'    => 'Bangkok Beauty Co., Ltd.',
		'tax_id'  => '0105561234567',
		'address' => '99/1 Sukhumvit Road, Khlong Toei, Bangkok 10110',
	);

	/** A Thai address. */
	const THAI = '123/45 หมู่ 6 ถนนสุขุมวิท แขวงคลองเตย เขตคลองเตย กรุงเทพมหานคร 10110';

	/**
	 * The program as GET answers it.
	 *
	 * @return array
	 */
	private function shown_program() {
		list( $s, $p ) = $this->rest( 'GET', '/v1/program', null, $this->sk() );
		$this->assertSame( 200, $s );
		return $p;
	}

	/**
	 * The bearer header of an affiliate's portal token.
	 *
	 * @param array $made The answer of their creation.
	 * @return array
	 */
	private static function as_affiliate( array $made ) {
		return array( 'authorization' => 'Bearer ' . $made['token'] );
	}

	/**
	 * A payout of every approved balance, made at `$at`; returns its id.
	 *
	 * @param int $at Unix time.
	 * @return string
	 */
	private function pay( $at ) {
		add_filter( 'reftrail_now', fn() => $at );
		list( $s, $p ) = $this->rest( 'POST', '/v1/payouts', null, $this->sk() );
		remove_all_filters( 'reftrail_now' );
		$this->assertSame( 201, $s, wp_json_encode( $p ) );
		return $p['id'];
	}

	/**
	 * Marks a payout line's transfer sent at `$at`.
	 *
	 * @param string $payout    Payout.
	 * @param string $affiliate Affiliate.
	 * @param string $currency  Currency.
	 * @param int    $at        Unix time.
	 */
	private function sent( $payout, $affiliate, $currency, $at ) {
		add_filter( 'reftrail_now', fn() => $at );
		list( $s, $d ) = $this->rest(
			'POST',
			'/v1/payouts/' . $payout . '/sent',
			array(
				'affiliate' => $affiliate,
				'currency'  => $currency,
				'sent'      => true,
			),
			$this->sk()
		);
		remove_all_filters( 'reftrail_now' );
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
	}

	/**
	 * RFC 3339 UTC.
	 *
	 * @param int $t Unix time.
	 * @return string
	 */
	private static function rfc( $t ) {
		return gmdate( 'Y-m-d\TH:i:s\Z', $t );
	}

	public function test_the_payer_is_checked_as_the_server_checks_it() {
		$before = $this->shown_program();
		$this->assertNull( $before['payer'], 'no payer unless set' );
		$this->assertSame( array( 'withholding', 'payer', 'affiliate_emails' ), array_slice( array_keys( $before ), array_search( 'withholding', array_keys( $before ), true ), 3 ), "the server's order" );

		$with = fn( array $changes ) => array_merge( self::PAYER, $changes );
		$bad  = array(
			'a string'          => array( 'Bangkok Beauty', 'invalid_body' ),
			'a list'            => array( array( 'Bangkok Beauty', '0105561234567', 'Bangkok' ), 'invalid_body' ),
			'an unknown key'    => array( $with( array( 'branch' => '00000' ) ), 'invalid_body' ),
			'no address'        => array( array_slice( self::PAYER, 0, 2 ), 'invalid_payer' ),
			'an empty object'   => array( new stdClass(), 'invalid_payer' ),
			'a null name'       => array( $with( array( 'name' => null ) ), 'invalid_payer' ),
			'a numeric tax id'  => array( $with( array( 'tax_id' => 105561234567 ) ), 'invalid_payer' ),
			'no name'           => array( $with( array( 'name' => '' ) ), 'invalid_payer' ),
			'a long name'       => array( $with( array( 'name' => str_repeat( 'x', 201 ) ) ), 'invalid_payer' ),
			'a name with a tab' => array( $with( array( 'name' => "Bangkok\tBeauty" ) ), 'invalid_payer' ),
			'a C1 control'      => array( $with( array( 'name' => "Bangkok\u{0085}Beauty" ) ), 'invalid_payer' ),
			'a spaced tax id'   => array( $with( array( 'tax_id' => '0105 561' ) ), 'invalid_payer' ),
			'no tax id'         => array( $with( array( 'tax_id' => '' ) ), 'invalid_payer' ),
			'a long tax id'     => array( $with( array( 'tax_id' => str_repeat( '1', 21 ) ) ), 'invalid_payer' ),
			'a Thai-digit id'   => array( $with( array( 'tax_id' => '๐๑๐๕' ) ), 'invalid_payer' ),
			'two lines'         => array( $with( array( 'address' => "99/1\nBangkok" ) ), 'invalid_payer' ),
			'a long address'    => array( $with( array( 'address' => str_repeat( 'x', 601 ) ) ), 'invalid_payer' ),
			'no address text'   => array( $with( array( 'address' => '' ) ), 'invalid_payer' ),
		);
		foreach ( $bad as $name => list( $payer, $code ) ) {
			list( $s, $d ) = $this->put_program_rest(
				array(
					'payer' => $payer,
					'name'  => 'Changed',
				)
			);
			$this->assertSame( array( 400, $code ), array( $s, $d['error']['code'] ?? null ), $name );
		}
		$this->assertSame( $before, $this->shown_program(), 'refused changes nothing' );

		// Set, in the server's order whatever the body's; the longest name and address pass.
		list( $s, $d ) = $this->put_program_rest( array( 'payer' => array_reverse( self::PAYER, true ) ) );
		$this->assertSame( array( 200, self::PAYER ), array( $s, $d['payer'] ), wp_json_encode( $d ) );
		$this->assertSame( self::PAYER, $this->shown_program()['payer'] );
		$longest = array(
			'name'    => str_repeat( 'ก', 66 ) . 'xx',
			'tax_id'  => 'TH-' . str_repeat( '0', 17 ),
			'address' => str_repeat( 'ต', 200 ),
		);
		list( $s, $d ) = $this->put_program_rest( array( 'payer' => $longest ) );
		$this->assertSame( array( 200, $longest ), array( $s, $d['payer'] ), wp_json_encode( $d ) );
		$this->assertSame( array( 200, 20, 600 ), array_map( 'strlen', array_values( $longest ) ) );
		// Null removes it; so does a program without it, as every field left out takes its default.
		list( $s, $d ) = $this->put_program_rest( array( 'payer' => null ) );
		$this->assertSame( array( 200, null ), array( $s, $d['payer'] ) );
		$this->put_program_rest( array( 'payer' => self::PAYER ) );
		$p = $this->shown_program();
		unset( $p['webhook_secret'], $p['payer'] );
		list( $s, $d ) = $this->rest( 'PUT', '/v1/program', $p, $this->sk() );
		$this->assertSame( array( 200, null ), array( $s, $d['payer'] ) );
		// A program stored before payers existed has none.
		$stored = get_option( Reftrail_Program::OPTION );
		unset( $stored['payer'] );
		update_option( Reftrail_Program::OPTION, $stored );
		$this->assertNull( $this->shown_program()['payer'] );
	}

	public function test_an_affiliate_has_an_address_they_may_set_themselves() {
		$made = $this->affiliate( 'somchai', array( 'address' => self::THAI ) );
		$this->assertSame( self::THAI, $made['affiliate']['address'] );
		$this->assertSame( array( 'tax_id', 'payee_type', 'address', 'category' ), array_slice( array_keys( $made['affiliate'] ), 6, 4 ), "the server's order" );
		$this->assertSame( $made['affiliate'], $this->show_affiliate( 'somchai' ) );
		$this->assertNull( $this->affiliate( 'plain' )['affiliate']['address'], 'none unless given' );
		list( , $list ) = $this->rest( 'GET', '/v1/affiliates', null, $this->sk() );
		$this->assertSame( array( null, self::THAI ), array_column( $list['affiliates'], 'address' ) );
		list( $s, $me ) = $this->rest( 'GET', '/v1/me', null, self::as_affiliate( $made ) );
		$this->assertSame( array( 200, self::THAI ), array( $s, $me['affiliate']['address'] ) );

		// Refused: 400 invalid_address (invalid_body for a non-string), and nothing else of the
		// body written, by the merchant or the affiliate.
		$before = $this->show_affiliate( 'somchai' );
		$bad    = array( '', "12 Main St\r\nHanoi", "Hanoi\t", "Hanoi\u{009F}", str_repeat( 'ต', 200 ) . 'x', 12, true, array( 'Hanoi' ) );
		foreach ( $bad as $address ) {
			$code          = is_string( $address ) ? 'invalid_address' : 'invalid_body';
			$what          = is_string( $address ) ? bin2hex( $address ) : wp_json_encode( $address );
			list( $s, $d ) = $this->patch_affiliate(
				'somchai',
				array(
					'address' => $address,
					'name'    => 'Changed',
				)
			);
			$this->assertSame( array( 400, $code ), array( $s, $d['error']['code'] ?? null ), $what );
			list( $s, $d ) = $this->rest(
				'PATCH',
				'/v1/me',
				array(
					'address'         => $address,
					'referral_emails' => false,
				),
				self::as_affiliate( $made )
			);
			$this->assertSame( array( 400, $code ), array( $s, $d['error']['code'] ?? null ), $what );
			list( $s, $d ) = $this->rest(
				'POST',
				'/v1/affiliates',
				array(
					'id'      => 'new',
					'name'    => 'N',
					'address' => $address,
				),
				$this->sk()
			);
			$this->assertSame( array( 400, $code ), array( $s, $d['error']['code'] ?? null ), $what );
		}
		$this->assertSame( $before, $this->show_affiliate( 'somchai' ), 'refused changes nothing' );
		$this->assertTrue( Reftrail_Affiliates::referral_emails( 'somchai' ), 'nor what came with it' );
		list( $s ) = $this->rest( 'GET', '/v1/affiliates/new', null, $this->sk() );
		$this->assertSame( 404, $s, 'nor is a refused affiliate created' );

		// The affiliate moves: their own address, as they write it (600 bytes at most).
		$moved          = str_repeat( 'ต', 200 );
		list( $s, $me ) = $this->rest( 'PATCH', '/v1/me', array( 'address' => $moved ), self::as_affiliate( $made ) );
		$this->assertSame( array( 200, $moved ), array( $s, $me['affiliate']['address'] ), wp_json_encode( $me ) );
		$this->assertSame( $moved, $this->show_affiliate( 'somchai' )['address'] );
		// Absent leaves it; the affiliate removes it; the merchant sets it and removes it.
		list( $s, $me ) = $this->rest( 'PATCH', '/v1/me', array( 'referral_emails' => false ), self::as_affiliate( $made ) );
		$this->assertSame( array( 200, $moved ), array( $s, $me['affiliate']['address'] ) );
		list( $s, $me ) = $this->rest( 'PATCH', '/v1/me', array( 'address' => null ), self::as_affiliate( $made ) );
		$this->assertSame( array( 200, null ), array( $s, $me['affiliate']['address'] ) );
		list( $s, $d ) = $this->patch_affiliate( 'somchai', array( 'address' => '12 Lê Lợi, Quận 1, TP. Hồ Chí Minh' ) );
		$this->assertSame( array( 200, '12 Lê Lợi, Quận 1, TP. Hồ Chí Minh' ), array( $s, $d['address'] ) );
		list( $s, $d ) = $this->patch_affiliate( 'somchai', array( 'name' => 'Somchai' ) );
		$this->assertSame( array( 200, '12 Lê Lợi, Quận 1, TP. Hồ Chí Minh' ), array( $s, $d['address'] ), 'absent leaves it' );
		list( $s, $d ) = $this->patch_affiliate( 'somchai', array( 'address' => null ) );
		$this->assertSame( array( 200, null ), array( $s, $d['address'] ) );
		$this->assertSame( $d, $this->show_affiliate( 'somchai' ) );
	}

	public function test_certificates_say_what_was_paid_and_withheld_in_a_period() {
		$this->program(
			array(
				'hold_days'   => 0,
				'payer'       => self::PAYER,
				'withholding' => array(
					array(
						'currency'  => 'THB',
						'rate_bps'  => 300,
						'threshold' => 0,
					),
					array(
						'currency'  => 'VND',
						'rate_bps'  => 1000,
						'threshold' => 2000000,
					),
				),
			)
		);
		$somchai = $this->affiliate(
			'somchai',
			array(
				'name'         => 'สมชาย ใจดี',
				'tax_id'       => 'OLD-1',
				'payee_type'   => 'person',
				'address'      => self::THAI,
				'payout_email' => 'somchai@pay.test',
				'coupons'      => array( 'SOM' ),
			)
		);
		$this->affiliate(
			'Bao',
			array(
				'payout_email' => 'bao@pay.test',
				'coupons'      => array( 'BAO' ),
			)
		);
		$this->affiliate(
			'lan',
			array(
				'tax_id'       => 'VN-1',
				'payee_type'   => 'person',
				'address'      => '12 Lê Lợi, Quận 1, TP. Hồ Chí Minh',
				'payout_email' => 'lan@pay.test',
				'coupons'      => array( 'LAN' ),
			)
		);
		$exempt = $this->affiliate(
			'exempt',
			array(
				'payout_email'       => 'exempt@pay.test',
				'withholding_exempt' => true,
				'coupons'            => array( 'EX' ),
			)
		);
		$t0 = gmmktime( 12, 0, 0, 10, 31, 2026 );
		$t1 = gmmktime( 9, 0, 0, 11, 2, 2026 );
		$t2 = gmmktime( 9, 0, 0, 11, 10, 2026 );
		$t3 = gmmktime( 23, 59, 59, 11, 30, 2026 );
		$t4 = gmmktime( 8, 0, 0, 11, 20, 2026 );
		$t5 = gmmktime( 0, 0, 0, 12, 1, 2026 );

		// Before the period, though its transfer is marked sent within it.
		$this->approved_coupon_sale( 'SOM', 1000000 );
		$p0 = $this->pay( $t0 );
		$this->sent( $p0, 'somchai', 'THB', gmmktime( 10, 0, 0, 11, 3, 2026 ) );
		// 2 November: somchai 1,000.00 THB (30.00 withheld), sent an hour later; Bao 500.00 THB
		// (15.00); lan 2,500,000 VND (250,000), sent on 20 November, and 200.00 THB (6.00); the
		// exempt affiliate 1,000.00 THB (nothing withheld).
		$this->approved_coupon_sale( 'SOM', 1000000 );
		$this->approved_coupon_sale( 'BAO', 500000 );
		$this->approved_coupon_sale( 'LAN', 25000000, 'VND' );
		$this->approved_coupon_sale( 'LAN', 200000 );
		$this->approved_coupon_sale( 'EX', 1000000 );
		$p1 = $this->pay( $t1 );
		$this->sent( $p1, 'somchai', 'THB', $t1 + 3600 );
		$this->sent( $p1, 'lan', 'VND', $t4 );
		// 10 November, somchai with a new tax id: 2,345.60 THB (70.37 withheld, half to even);
		// lan 3,000,000 VND (300,000).
		$this->patch_affiliate( 'somchai', array( 'tax_id' => 'NEW-2' ) );
		$this->approved_coupon_sale( 'SOM', 2345600 );
		$this->approved_coupon_sale( 'LAN', 30000000, 'VND' );
		$p2 = $this->pay( $t2 );
		// The period's last second: Bao 300.00 THB (9.00); lan 1,500,000 VND, under the threshold.
		$this->approved_coupon_sale( 'BAO', 300000 );
		$this->approved_coupon_sale( 'LAN', 15000000, 'VND' );
		$p3 = $this->pay( $t3 );
		// After the period.
		$this->patch_affiliate( 'somchai', array( 'tax_id' => 'LATER-3' ) );
		$this->approved_coupon_sale( 'SOM', 1000000 );
		$this->pay( $t5 );
		// The payee as they are now: Bao gives a tax id, somchai moves and is paid as a company
		// (which names the form the tax is filed on, ภ.ง.ด.53 rather than ภ.ง.ด.3).
		$this->patch_affiliate( 'Bao', array( 'tax_id' => 'B-9' ) );
		$this->patch_affiliate( 'somchai', array( 'payee_type' => 'company' ) );
		$moved = '88 ถนนสีลม กรุงเทพมหานคร 10500';
		list( $s ) = $this->rest( 'PATCH', '/v1/me', array( 'address' => $moved ), self::as_affiliate( $somchai ) );
		$this->assertSame( 200, $s );

		$payment = fn( $payout, $at, $gross, $withheld ) => array(
			'payout'   => $payout,
			'paid_at'  => self::rfc( $at ),
			'gross'    => $gross,
			'withheld' => $withheld,
			'paid'     => $gross - $withheld,
		);
		$certificate = fn( $affiliate, $currency, array $payee, array $payments, $words ) => array(
			'affiliate'      => $affiliate,
			'currency'       => $currency,
			'payee'          => $payee,
			'payments'       => $payments,
			'gross'          => array_sum( array_column( $payments, 'gross' ) ),
			'withheld'       => array_sum( array_column( $payments, 'withheld' ) ),
			'paid'           => array_sum( array_column( $payments, 'paid' ) ),
			'withheld_words' => $words,
		);
		$bao_thb     = $certificate(
			'Bao',
			'THB',
			array(
				'name'    => 'Bao',
				'tax_id'  => 'B-9',
				'address' => null,
				'type'    => null,
			),
			array( $payment( $p1, $t1, 50000, 1500 ), $payment( $p3, $t3, 30000, 900 ) ),
			'ยี่สิบสี่บาทถ้วน'
		);
		$lan         = array(
			'name'    => 'Lan',
			'tax_id'  => 'VN-1',
			'address' => '12 Lê Lợi, Quận 1, TP. Hồ Chí Minh',
			'type'    => 'person',
		);
		$lan_thb     = $certificate( 'lan', 'THB', $lan, array( $payment( $p1, $t1, 20000, 600 ) ), 'หกบาทถ้วน' );
		$lan_vnd     = $certificate( 'lan', 'VND', $lan, array( $payment( $p2, $t2, 3000000, 300000 ), $payment( $p1, $t4, 2500000, 250000 ) ), null );
		$somchai_thb = $certificate(
			'somchai',
			'THB',
			array(
				'name'    => 'สมชาย ใจดี',
				'tax_id'  => 'NEW-2',
				'address' => $moved,
				'type'    => 'company',
			),
			array( $payment( $p1, $t1 + 3600, 100000, 3000 ), $payment( $p2, $t2, 234560, 7037 ) ),
			'หนึ่งร้อยบาทสามสิบเจ็ดสตางค์'
		);
		$this->assertSame( array( 334560, 10037, 324523 ), array( $somchai_thb['gross'], $somchai_thb['withheld'], $somchai_thb['paid'] ) );
		$this->assertSame( array( 5500000, 550000, 4950000 ), array( $lan_vnd['gross'], $lan_vnd['withheld'], $lan_vnd['paid'] ) );

		$period         = '?from=2026-11-01&to=2026-11-30';
		list( $s, $all ) = $this->rest( 'GET', '/v1/reports/withholding/certificates' . $period, null, $this->sk() );
		$this->assertSame( 200, $s, wp_json_encode( $all ) );
		$this->assertSame(
			array(
				'from'         => '2026-11-01T00:00:00Z',
				'to'           => '2026-12-01T00:00:00Z',
				'payer'        => self::PAYER,
				'certificates' => array( $bao_thb, $lan_thb, $lan_vnd, $somchai_thb ),
			),
			$all,
			'by affiliate id byte-wise, then currency; payments by when they were paid; the exempt affiliate and the line under the threshold nowhere'
		);
		// One affiliate's; an id that is no affiliate's, or another's in other letters, has none.
		list( $s, $d ) = $this->rest( 'GET', '/v1/reports/withholding/certificates' . $period . '&affiliate=lan', null, $this->sk() );
		$this->assertSame( array( 200, array( $lan_thb, $lan_vnd ) ), array( $s, $d['certificates'] ) );
		foreach ( array( 'LAN', 'nobody', 'exempt' ) as $other ) {
			list( $s, $d ) = $this->rest( 'GET', '/v1/reports/withholding/certificates' . $period . '&affiliate=' . $other, null, $this->sk() );
			$this->assertSame( array( 200, array() ), array( $s, $d['certificates'] ), $other );
		}
		// A period of times, `to` exclusive: the last second's payout left out.
		list( , $d ) = $this->rest( 'GET', '/v1/reports/withholding/certificates?from=2026-11-02T09:00:00Z&to=2026-11-30T23:59:59Z&affiliate=Bao', null, $this->sk() );
		$this->assertSame( array( $payment( $p1, $t1, 50000, 1500 ) ), $d['certificates'][0]['payments'] );
		// A period without payouts: none, as a JSON list.
		list( $s, $d ) = $this->rest( 'GET', '/v1/reports/withholding/certificates?from=2020-01-01&to=2020-12-31', null, $this->sk() );
		$this->assertSame( array( 200, array() ), array( $s, $d['certificates'] ) );
		$this->assertStringContainsString( '"certificates":[]', wp_json_encode( $d ) );

		// Each affiliate reads their own, the same; a WordPress user linked to an affiliate too.
		list( $s, $mine ) = $this->rest( 'GET', '/v1/me/withholding/certificates' . $period, null, self::as_affiliate( $somchai ) );
		$this->assertSame( array( 200, array_merge( $all, array( 'certificates' => array( $somchai_thb ) ) ) ), array( $s, $mine ) );
		list( $s, $mine ) = $this->rest( 'GET', '/v1/me/withholding/certificates' . $period, null, self::as_affiliate( $exempt ) );
		$this->assertSame( array( 200, array() ), array( $s, $mine['certificates'] ) );
		global $wpdb;
		$uid = $this->user( Reftrail_Schema::ROLE );
		$wpdb->update( Reftrail_Db::table( 'affiliates' ), array( 'user_id' => $uid ), array( 'id' => 'Bao' ) );
		wp_set_current_user( $uid );
		list( $s, $mine ) = $this->rest( 'GET', '/v1/me/withholding/certificates' . $period );
		$this->assertSame( array( 200, array( $bao_thb ) ), array( $s, $mine['certificates'] ) );
		wp_set_current_user( 0 );

		// Without a payer, the certificates say so.
		$this->program( array( 'payer' => null ) );
		list( , $d ) = $this->rest( 'GET', '/v1/reports/withholding/certificates' . $period . '&affiliate=Bao', null, $this->sk() );
		$this->assertSame( array( null, array( $bao_thb ) ), array( $d['payer'], $d['certificates'] ) );
		$this->assertStringContainsString( '"payer":null', wp_json_encode( $d ) );
	}

	public function test_the_period_and_the_affiliate_are_checked() {
		$made = $this->affiliate( 'somchai' );
		$as   = self::as_affiliate( $made );
		foreach ( array( '?from=tomorrow', '?from=2026-05-01&to=2026-04-01', '?to=2026-13-01', '?from=2026-05-01&to=2026-05-01T00:00:00Z', '?from=2000-01-01&to=2026-01-01', '?from[]=2026-01-01', '?to[]=2026-01-01&to[]=2026-02-01' ) as $q ) {
			list( $s, $d ) = $this->rest( 'GET', '/v1/reports/withholding/certificates' . $q, null, $this->sk() );
			$this->assertSame( array( 400, 'invalid_range' ), array( $s, $d['error']['code'] ?? null ), $q );
			list( $s, $d ) = $this->rest( 'GET', '/v1/me/withholding/certificates' . $q, null, $as );
			$this->assertSame( array( 400, 'invalid_range' ), array( $s, $d['error']['code'] ?? null ), $q );
		}
		// A future `from`, with the default `to` (now).
		$tomorrow      = gmdate( 'Y-m-d', time() + DAY_IN_SECONDS );
		list( $s, $d ) = $this->rest( 'GET', '/v1/me/withholding/certificates?from=' . $tomorrow, null, $as );
		$this->assertSame( array( 400, 'invalid_range' ), array( $s, $d['error']['code'] ?? null ) );
		foreach ( array( '?affiliate=', '?affiliate=a%20b', '?affiliate=' . str_repeat( 'a', 65 ), '?affiliate[]=somchai' ) as $q ) {
			list( $s, $d ) = $this->rest( 'GET', '/v1/reports/withholding/certificates' . $q, null, $this->sk() );
			$this->assertSame( array( 400, 'invalid_affiliate' ), array( $s, $d['error']['code'] ?? null ), $q );
		}
		// The last 30 days by default.
		list( $s, $d ) = $this->rest( 'GET', '/v1/reports/withholding/certificates', null, $this->sk() );
		$this->assertSame( 200, $s );
		$this->assertSame( 30 * DAY_IN_SECONDS, strtotime( $d['to'] ) - strtotime( $d['from'] ) );
		$this->assertSame( array( null, array() ), array( $d['payer'], $d['certificates'] ) );
	}

	public function test_each_route_has_its_callers() {
		$made = $this->affiliate( 'somchai' );
		$pk   = array( 'authorization' => 'Bearer ' . Reftrail_Keys::publishable() );
		// The affiliate's own: their token (or their WordPress user) only.
		foreach ( array(
			'anonymous'           => array( array(), 401, 'unauthorized' ),
			'an unknown token'    => array( array( 'authorization' => 'Bearer at_nothing' ), 401, 'unauthorized' ),
			'the secret key'      => array( $this->sk(), 403, 'forbidden' ),
			'the publishable key' => array( $pk, 403, 'forbidden' ),
		) as $who => list( $headers, $status, $code ) ) {
			list( $s, $d ) = $this->rest( 'GET', '/v1/me/withholding/certificates', null, $headers );
			$this->assertSame( array( $status, $code ), array( $s, $d['error']['code'] ?? null ), $who );
		}
		wp_set_current_user( $this->user( 'administrator' ) );
		list( $s ) = $this->rest( 'GET', '/v1/me/withholding/certificates' );
		$this->assertSame( 403, $s, 'a shop manager is no affiliate' );
		list( $s ) = $this->rest( 'GET', '/v1/reports/withholding/certificates' );
		$this->assertSame( 200, $s, 'but runs the program' );
		wp_set_current_user( 0 );
		// Everyone's: the merchant only.
		foreach ( array(
			'anonymous'           => array( array(), 401, 'unauthorized' ),
			'the publishable key' => array( $pk, 403, 'forbidden' ),
			"an affiliate's token" => array( self::as_affiliate( $made ), 403, 'forbidden' ),
		) as $who => list( $headers, $status, $code ) ) {
			list( $s, $d ) = $this->rest( 'GET', '/v1/reports/withholding/certificates', null, $headers );
			$this->assertSame( array( $status, $code ), array( $s, $d['error']['code'] ?? null ), $who );
		}
		list( $s ) = $this->rest( 'POST', '/v1/reports/withholding/certificates', array(), $this->sk() );
		$this->assertSame( 405, $s );
	}

	public function test_the_address_is_in_the_privacy_export() {
		$this->affiliate(
			'somchai',
			array(
				'email'      => 'somchai@customers.test',
				'tax_id'     => '1101801234563',
				'payee_type' => 'company',
				'address'    => self::THAI,
			)
		);
		list( $s, $x ) = $this->rest( 'POST', '/v1/privacy/export', array( 'email' => 'somchai@customers.test' ), $this->sk() );
		$this->assertSame( array( 200, '1101801234563', 'company', self::THAI ), array( $s, $x['affiliates'][0]['tax_id'], $x['affiliates'][0]['payee_type'], $x['affiliates'][0]['address'] ) );
		$this->assertSame( array( 'tax_id', 'payee_type', 'address', 'created_at' ), array_slice( array_keys( $x['affiliates'][0] ), 5 ), "next to the tax id, the server's order" );
		$found = null;
		foreach ( apply_filters( 'wp_privacy_personal_data_exporters', array() ) as $e ) {
			foreach ( call_user_func( $e['callback'], 'somchai@customers.test', 1 )['data'] as $item ) {
				if ( 'reftrail-affiliate-somchai' === $item['item_id'] ) {
					$found = array_column( $item['data'], 'value', 'name' );
				}
			}
		}
		$this->assertSame( array( '1101801234563', 'Company', self::THAI ), array( $found['Tax ID'] ?? null, $found['Payee type'] ?? null, $found['Address'] ?? null ) );
		$this->assertSame( array( 'Tax ID', 'Payee type', 'Address', 'Joined' ), array_slice( array_keys( $found ), -4 ) );
	}

	public function test_the_routes_are_in_the_openapi_document() {
		list( $s, $doc ) = $this->rest( 'GET', '/v1/openapi.json' );
		$this->assertSame( 200, $s );
		$merchant = $doc['paths']['/v1/reports/withholding/certificates']['get'];
		$this->assertSame( array( 'from', 'to', 'affiliate' ), array_column( $merchant['parameters'], 'name' ) );
		$this->assertSame( array( array( 'secret_key' => array() ), array( 'session' => array() ), array( 'wordpress_user' => array() ) ), $merchant['security'] );
		$mine = $doc['paths']['/v1/me/withholding/certificates']['get'];
		$this->assertSame( array( 'from', 'to' ), array_column( $mine['parameters'], 'name' ) );
		$this->assertSame( array( array( 'affiliate_token' => array() ), array( 'wordpress_user' => array() ) ), $mine['security'] );
		$this->assertStringContainsString( 'withheld_words', $mine['summary'] );
		$this->assertStringContainsString( '"payee": {"name", "tax_id", "address", "type"', $mine['summary'] );
		$this->assertStringContainsString( 'invalid_payer', $doc['paths']['/v1/program']['put']['summary'] );
		$this->assertStringContainsString( 'invalid_address', $doc['paths']['/v1/me']['patch']['summary'] );
		$routes = rest_get_server()->get_routes( 'reftrail/v1' );
		$this->assertArrayHasKey( '/reftrail/v1/reports/withholding/certificates', $routes );
		$this->assertArrayHasKey( '/reftrail/v1/me/withholding/certificates', $routes );
	}
}
