<?php
/**
 * The shared vectors of tests/vectors/, the same files the Rust tests read: the PHP cookie codec,
 * attribution, multi-touch models and commission arithmetic must give exactly the same answers.
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

	public function test_half_to_even_as_documented() {
		$this->assertSame( 1234, Reftrail_Commission::apply_bps( 12345, 1000 ) );
		$this->assertSame( 1236, Reftrail_Commission::apply_bps( 12355, 1000 ) );
		$this->assertSame( 922337203685477581, Reftrail_Commission::apply_bps( PHP_INT_MAX, 1000 ) );
	}
}
