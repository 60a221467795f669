<?php
/**
 * The shared vectors of tests/vectors/, the same files the Rust tests read: the PHP cookie codec,
 * attribution, multi-touch models, commission arithmetic, bank-transfer payouts (account checks
 * and QR payloads), the tax withheld from payouts, amounts of baht in Thai words and the
 * affiliate id suggested for an applicant must give exactly the same answers.
 *
 * @package Reftrail
 */

use PHPUnit\Framework\TestCase;

/**
 * Vector tests.
 */
class VectorsTest extends TestCase {

	/**
	 * A vector file's cases, keyed by name.
	 *
	 * @param string $file File name.
	 * @return array
	 */
	private static function cases( $file ) {
		$path = dirname( __DIR__, 2 ) . '/tests/vectors/' . $file;
		$out  = array();
		foreach ( json_decode( file_get_contents( $path ), true, 512, JSON_THROW_ON_ERROR ) as $c ) {
			$out[ $c['name'] ] = array( $c );
		}
		return $out;
	}

	public static function cookie_cases() {
		return self::cases( 'cookie.json' );
	}

	public static function attribution_cases() {
		return self::cases( 'attribution.json' );
	}

	public static function model_cases() {
		return self::cases( 'models.json' );
	}

	public static function commission_cases() {
		return self::cases( 'commission.json' );
	}

	public static function withholding_cases() {
		return self::cases( 'withholding.json' );
	}

	/**
	 * The cases of bahttext.json, which have no names: each is keyed by its amount.
	 *
	 * @return array
	 */
	public static function bahttext_cases() {
		$path = dirname( __DIR__, 2 ) . '/tests/vectors/bahttext.json';
		$out  = array();
		foreach ( json_decode( file_get_contents( $path ), true, 512, JSON_THROW_ON_ERROR ) as $c ) {
			$out[ $c['satang'] . ' satang' ] = array( $c );
		}
		return $out;
	}

	/**
	 * The cases of affiliate_ids.json (`{"cases": [...]}`), keyed by their place and name (names
	 * repeat no rule, and some hold control characters).
	 *
	 * @return array
	 */
	public static function affiliate_id_cases() {
		$path = dirname( __DIR__, 2 ) . '/tests/vectors/affiliate_ids.json';
		$out  = array();
		foreach ( json_decode( file_get_contents( $path ), true, 512, JSON_THROW_ON_ERROR )['cases'] as $i => $c ) {
			$out[ $i . ' ' . wp_json_encode( $c['name'] ) ] = array( $c );
		}
		return $out;
	}

	/**
	 * One section of bank_transfer.json (an object of `payloads`, `accounts`, `transfers`), keyed
	 * by name.
	 *
	 * @param string $section Section.
	 * @return array
	 */
	private static function bank_transfer( $section ) {
		$path = dirname( __DIR__, 2 ) . '/tests/vectors/bank_transfer.json';
		$file = json_decode( file_get_contents( $path ), true, 512, JSON_THROW_ON_ERROR );
		$out  = array();
		foreach ( $file[ $section ] as $c ) {
			$out[ $c['name'] ] = array( $c );
		}
		return $out;
	}

	public static function bank_payload_cases() {
		return self::bank_transfer( 'payloads' );
	}

	public static function bank_account_cases() {
		return self::bank_transfer( 'accounts' );
	}

	public static function bank_transfer_cases() {
		return self::bank_transfer( 'transfers' );
	}

	/**
	 * @dataProvider cookie_cases
	 * @param array $c Case.
	 */
	public function test_cookie( array $c ) {
		if ( isset( $c['error'] ) ) {
			try {
				Reftrail_Cookie::decode( $c['encoded'] );
				$this->fail( 'decoded a value the core refuses' );
			} catch ( Reftrail_Cookie_Error $e ) {
				$this->assertSame( $c['error'], $e->error_code );
			}
			return;
		}
		$this->assertSame( $c['encoded'], Reftrail_Cookie::encode( $c['state'] ) );
		$this->assertSame( $c['state'], Reftrail_Cookie::decode( $c['encoded'] ) );
	}

	/**
	 * @dataProvider attribution_cases
	 * @param array $c Case.
	 */
	public function test_attribution( array $c ) {
		$this->assertSame( $c['expected'], Reftrail_Attribution::decide( $c['state'], $c['touch'], $c['policy'], $c['now'] ) );
	}

	/**
	 * @dataProvider model_cases
	 * @param array $c Case.
	 */
	public function test_models( array $c ) {
		$shares = Reftrail_Models::shares( $c['trail'], $c['model'], $c['now'] );
		$this->assertSame( $c['shares'], $shares );
		$this->assertSame( $c['by_affiliate'], Reftrail_Models::by_affiliate( $c['trail'], $shares ) );
	}

	/**
	 * @dataProvider commission_cases
	 * @param array $c Case.
	 */
	public function test_commission( array $c ) {
		if ( isset( $c['reverse'] ) ) {
			$r     = $c['reverse'];
			$out   = array();
			$done  = 0;
			$taken = 0;
			foreach ( $r['refunds'] as $refund ) {
				$part   = Reftrail_Commission::reverse_part( $r['commission'], $r['order_amount'], $done, $taken, $refund );
				$done  += $refund;
				$taken += $part;
				$out[]  = $part;
			}
			$this->assertSame( $c['expected']['reversals'], $out );
			return;
		}
		if ( isset( $c['error'] ) ) {
			try {
				Reftrail_Commission::compute( $c['rules'], $c['input'] );
				$this->fail( 'computed what the core refuses' );
			} catch ( Reftrail_Commission_Error $e ) {
				$this->assertSame( $c['error'], $e->error_code );
			}
			return;
		}
		$got  = Reftrail_Commission::compute( $c['rules'], $c['input'] );
		$keys = array( 'kind', 'sku', 'category', 'rule', 'basis', 'rate_bps', 'tier', 'amount' );
		foreach ( $c['expected'] as $k => $want ) {
			if ( 'lines' === $k ) {
				$norm = fn( $l ) => array_combine( $keys, array_map( fn( $x ) => $l[ $x ] ?? null, $keys ) );
				$this->assertSame( array_map( $norm, $want ), array_map( $norm, $got['lines'] ), 'lines' );
			} else {
				$this->assertSame( $want, $got[ $k ], $k );
			}
		}
	}

	/**
	 * @dataProvider bank_payload_cases
	 * @param array $c Case.
	 */
	public function test_bank_payload( array $c ) {
		if ( 'vietqr' === $c['method'] ) {
			$got = Reftrail_Bank_Transfer::vietqr( $c['bank'], $c['account'], $c['amount'], $c['purpose'] ?? '' );
		} else {
			$this->assertSame( 'promptpay', $c['method'] );
			$this->assertContains( $c['kind'], array( 'mobile', 'tax_id', 'ewallet' ) );
			$got = Reftrail_Bank_Transfer::promptpay(
				array(
					'kind'   => $c['kind'],
					'digits' => $c['id'],
				),
				$c['amount']
			);
		}
		$this->assertSame( $c['payload'], $got );
	}

	/**
	 * @dataProvider bank_account_cases
	 * @param array $c Case.
	 */
	public function test_bank_account( array $c ) {
		$g = $c['given'];
		try {
			$got = Reftrail_Bank_Transfer::account( $g['method'], $g['bank'], $g['account'], $g['name'] );
		} catch ( Reftrail_Bank_Transfer_Error $e ) {
			$this->assertNull( $c['saved'] );
			$this->assertSame( $c['error'], $e->error_code );
			$this->assertSame( Reftrail_Bank_Transfer::MESSAGES[ $e->error_code ], $e->getMessage() );
			return;
		}
		$this->assertNull( $c['error'], 'accepted what the core refuses' );
		$this->assertSame( $c['saved'], $got );
	}

	/**
	 * @dataProvider bank_transfer_cases
	 * @param array $c Case.
	 */
	public function test_bank_transfer_qr( array $c ) {
		$p = $c['payout'];
		$a = Reftrail_Bank_Transfer::account( $p['method'], $p['bank'], $p['account'], $p['name'] );
		$this->assertSame( $c['transfer_qr'], Reftrail_Bank_Transfer::transfer_qr( $a, $c['amount'], $c['currency'], $c['reference'] ) );
	}

	public function test_bank_transfer_vectors_have_unique_names_and_enough_cases() {
		$names = array_merge( array_keys( self::bank_payload_cases() ), array_keys( self::bank_account_cases() ), array_keys( self::bank_transfer_cases() ) );
		$this->assertSame( $names, array_values( array_unique( $names ) ) );
		$this->assertGreaterThanOrEqual( 6 + 20 + 6, count( $names ) );
	}

	public function test_bank_transfer_as_the_core_reads_it() {
		// CRC-16/CCITT-FALSE's check value, and the payloads the specification quotes.
		$this->assertSame( '29B1', Reftrail_Bank_Transfer::crc16( '123456789' ) );
		$this->assertSame( '00020101021238570010A00000072701270006970415011300110019324180208QRIBFTTA530370454061200005802VN62170813ung ho lu lut6304C15C', Reftrail_Bank_Transfer::vietqr( '970415', '0011001932418', 120000, 'ung ho lu lut' ) );
		$this->assertSame( '00020101021229370016A000000677010111011300660000000005802TH530376454044.226304E469', Reftrail_Bank_Transfer::promptpay( Reftrail_Bank_Transfer::promptpay_id( '0000000000' ), 422 ) );
		$this->assertSame( 'po0Abc123XyZ9pQ', Reftrail_Bank_Transfer::purpose( 'po_0Abc123XyZ9pQ' ) );
		// A `+` belongs only before 66; 66 only before 9 digits.
		$this->assertNull( Reftrail_Bank_Transfer::promptpay_id( '+0812345678' ) );
		$this->assertNull( Reftrail_Bank_Transfer::promptpay_id( '++66812345678' ) );
		$this->assertSame( 'mobile', Reftrail_Bank_Transfer::promptpay_id( '+66-81-234-5678' )['kind'] );
		// A name is counted in characters; white space of any script alone is no name; C1 controls
		// are control characters too.
		$ok = fn( $name ) => Reftrail_Bank_Transfer::account( 'promptpay', null, '0812345678', $name )['name'];
		$this->assertSame( str_repeat( '😀', 100 ), $ok( str_repeat( '😀', 100 ) ) );
		$this->assertSame( "NGUYEN\u{00A0}VAN A", $ok( "NGUYEN\u{00A0}VAN A" ) );
		foreach ( array( str_repeat( '😀', 101 ), "\u{3000}\u{3000}", "\u{00A0}", "A\u{0085}B", "A\u{007F}", "\xff" ) as $bad ) {
			try {
				Reftrail_Bank_Transfer::account( 'promptpay', null, '0812345678', $bad );
				$this->fail( 'accepted the name ' . bin2hex( $bad ) );
			} catch ( Reftrail_Bank_Transfer_Error $e ) {
				$this->assertSame( 'invalid_payout_name', $e->error_code );
			}
		}
		// No QR for nothing to pay, nor for details that no longer pass the checks.
		$v = Reftrail_Bank_Transfer::account( 'vietqr', '970436', '0011001932418', null );
		$this->assertNull( Reftrail_Bank_Transfer::transfer_qr( $v, 0, 'VND', 'po_1' ) );
		$this->assertNull( Reftrail_Bank_Transfer::transfer_qr( array_merge( $v, array( 'bank' => null ) ), 100, 'VND', 'po_1' ) );
		// A reference without letters or digits gives no transfer note (field 62).
		$this->assertSame( Reftrail_Bank_Transfer::vietqr( '970436', '0011001932418', 100, '' ), Reftrail_Bank_Transfer::transfer_qr( $v, 100, 'VND', '_-_' ) );
	}

	/**
	 * @dataProvider withholding_cases
	 * @param array $c Case.
	 */
	public function test_withholding( array $c ) {
		// The vectors' rules are all valid.
		Reftrail_Withholding::validate( $c['rules'] );
		$this->assertIsInt( $c['gross'], 'read as an integer, exactly' );
		$this->assertSame( $c['withheld'], Reftrail_Withholding::withheld( $c['rules'], $c['currency'], $c['gross'], $c['exempt'] ) );
	}

	public function test_withholding_vectors_have_unique_names_and_enough_cases() {
		$path  = dirname( __DIR__, 2 ) . '/tests/vectors/withholding.json';
		$names = array_column( json_decode( file_get_contents( $path ), true, 512, JSON_THROW_ON_ERROR ), 'name' );
		$this->assertSame( $names, array_values( array_unique( $names ) ) );
		$this->assertGreaterThanOrEqual( 13, count( $names ) );
	}

	public function test_withholding_rules_are_checked_as_the_core_checks_them() {
		$vnd = array(
			'currency'  => 'VND',
			'rate_bps'  => 1000,
			'threshold' => 2000000,
		);
		Reftrail_Withholding::validate( array() );
		Reftrail_Withholding::validate( array( $vnd, array_merge( $vnd, array( 'currency' => 'THB', 'rate_bps' => 5000, 'threshold' => 0 ) ), array_merge( $vnd, array( 'currency' => 'USD', 'rate_bps' => 1 ) ) ) );
		foreach ( array(
			'currency'  => array( array_merge( $vnd, array( 'currency' => 'vnd' ) ) ),
			'duplicate' => array( $vnd, array_merge( $vnd, array( 'rate_bps' => 500 ) ) ),
			'rate'      => array( array_merge( $vnd, array( 'rate_bps' => 0 ) ) ),
			'threshold' => array( array_merge( $vnd, array( 'threshold' => -1 ) ) ),
		) as $code => $rules ) {
			try {
				Reftrail_Withholding::validate( $rules );
				$this->fail( 'accepted ' . $code );
			} catch ( Reftrail_Withholding_Error $e ) {
				$this->assertSame( $code, $e->error_code );
				$this->assertSame( Reftrail_Withholding::MESSAGES[ $code ], $e->getMessage() );
			}
		}
		foreach ( array( 'VNDX', 'VN', 'V1D', 'ÀBC' ) as $bad ) {
			try {
				Reftrail_Withholding::validate( array( array_merge( $vnd, array( 'currency' => $bad ) ) ) );
				$this->fail( 'accepted ' . $bad );
			} catch ( Reftrail_Withholding_Error $e ) {
				$this->assertSame( 'currency', $e->error_code );
			}
		}
		$this->assertSame( 'withholding: rate_bps must be 1 to 5000 (50 %)', Reftrail_Withholding::MESSAGES['rate'] );
		// At the rate's bound, the largest line stays exact; nothing for nothing, nor a refund.
		$this->assertSame( intdiv( PHP_INT_MAX, 2 ) + 1, Reftrail_Withholding::withheld( array( array_merge( $vnd, array( 'rate_bps' => 5000, 'threshold' => 0 ) ) ), 'VND', PHP_INT_MAX, false ) );
		$this->assertSame( 0, Reftrail_Withholding::withheld( array( array_merge( $vnd, array( 'threshold' => 0 ) ) ), 'VND', 0, false ) );
		$this->assertSame( 0, Reftrail_Withholding::withheld( array( array_merge( $vnd, array( 'threshold' => 0 ) ) ), 'VND', -5000000, false ) );
	}

	/**
	 * @dataProvider bahttext_cases
	 * @param array $c Case.
	 */
	public function test_bahttext( array $c ) {
		$this->assertSame( array( 'satang', 'words' ), array_keys( $c ), 'the documented shape' );
		$this->assertIsInt( $c['satang'], 'read as an integer, exactly' );
		$this->assertSame( $c['words'], Reftrail_Bahttext::words( $c['satang'] ) );
	}

	public function test_bahttext_vectors_have_unique_amounts_and_enough_cases() {
		$path    = dirname( __DIR__, 2 ) . '/tests/vectors/bahttext.json';
		$amounts = array_column( json_decode( file_get_contents( $path ), true, 512, JSON_THROW_ON_ERROR ), 'satang' );
		$this->assertSame( $amounts, array_values( array_unique( $amounts ) ) );
		$this->assertGreaterThanOrEqual( 40, count( $amounts ) );
	}

	public function test_bahttext_at_the_extremes_of_an_integer() {
		// 92,233,720,368,547,758.07 baht; the most negative amount has no positive counterpart.
		$this->assertStringEndsWith( 'บาทเจ็ดสตางค์', Reftrail_Bahttext::words( PHP_INT_MAX ) );
		$this->assertStringStartsWith( 'เก้าหมื่นสองพันสองร้อยสามสิบสามล้าน', Reftrail_Bahttext::words( PHP_INT_MAX ) );
		$this->assertSame( 'ลบ' . substr( Reftrail_Bahttext::words( PHP_INT_MAX ), 0, -strlen( 'เจ็ดสตางค์' ) ) . 'แปดสตางค์', Reftrail_Bahttext::words( PHP_INT_MIN ) );
		// The satang are a number of their own: one satang is "หนึ่ง" after any baht.
		$this->assertSame( 'สิบเอ็ดบาทหนึ่งสตางค์', Reftrail_Bahttext::words( 1101 ) );
		$this->assertSame( 'ลบหนึ่งล้านเอ็ดบาทสิบเอ็ดสตางค์', Reftrail_Bahttext::words( -100000111 ) );
	}

	/**
	 * @dataProvider affiliate_id_cases
	 */
	public function test_affiliate_id( array $c ) {
		$id = Reftrail_Affiliates::suggest_id( $c['name'], $c['email'] );
		$this->assertSame( $c['id'], $id );
		$this->assertTrue( Reftrail_Cookie::is_id( $id ), 'an affiliate id' );
		$this->assertLessThanOrEqual( Reftrail_Affiliates::SUGGESTED_MAX_LEN, strlen( $id ) );
	}

	public function test_affiliate_id_vectors_have_enough_cases() {
		$cases = self::affiliate_id_cases();
		$this->assertGreaterThanOrEqual( 25, count( $cases ) );
		// Vietnamese, Thai, the email fallback and the signs that are no letters are all covered.
		$ids = array_column( array_column( $cases, 0 ), 'id' );
		foreach ( array( 'dang-van-duc', 'somchai-j', 'affiliate', 'x-y-z' ) as $id ) {
			$this->assertContains( $id, $ids );
		}
	}

	public function test_half_to_even_as_documented() {
		$this->assertSame( 1234, Reftrail_Commission::apply_bps( 12345, 1000 ) );
		$this->assertSame( 1236, Reftrail_Commission::apply_bps( 12355, 1000 ) );
		$this->assertSame( 922337203685477581, Reftrail_Commission::apply_bps( PHP_INT_MAX, 1000 ) );
	}
}
