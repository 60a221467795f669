<?php
/**
 * Multi-touch shares: the PHP port of `src/models.rs`, pinned by `tests/vectors/models.json`.
 * Each trail entry gets basis points summing to exactly 10 000, in integer arithmetic.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * First, last, linear, time-decay and position-based shares.
 */
final class Reftrail_Models {

	/** What the shares add up to. */
	const TOTAL = 10000;

	/** 2^(-j/16) for j in 0..16, in units of 2^-16. */
	const HALVING_TABLE = array( 65536, 62757, 60097, 57549, 55109, 52773, 50535, 48393, 46341, 44376, 42495, 40693, 38968, 37316, 35734, 34219, 32768 );

	/**
	 * Each entry's share in basis points, in trail order.
	 *
	 * @param array $trail Entries (`affiliate`, `at`), oldest first.
	 * @param array $model `kind`: first|last|linear|position_based|time_decay (`half_life_days`).
	 * @param int   $now   Unix seconds.
	 * @return int[]
	 */
	public static function shares( array $trail, array $model, $now ) {
		$n    = count( $trail );
		$last = max( 0, $n - 1 );
		switch ( $model['kind'] ) {
			case 'first':
				$w = array_map( fn( $i ) => (int) ( 0 === $i ), range( 0, $n - 1 ) );
				break;
			case 'last':
				$w = array_map( fn( $i ) => (int) ( $last === $i ), range( 0, $n - 1 ) );
				break;
			case 'position_based':
				if ( $n > 2 ) {
					$end = 2 * ( $n - 2 );
					$w   = array_map( fn( $i ) => ( 0 === $i || $last === $i ) ? $end : 1, range( 0, $n - 1 ) );
					break;
				}
				$w = array_fill( 0, $n, 1 );
				break;
			case 'time_decay':
				$w = self::time_decay( $trail, (int) $model['half_life_days'], $now );
				break;
			default:
				$w = array_fill( 0, $n, 1 );
		}
		if ( 0 === $n ) {
			return array();
		}
		return self::apportion( $w );
	}

	/**
	 * Sums shares per affiliate in order of first appearance, zero totals left out.
	 *
	 * @param array $trail  Entries.
	 * @param int[] $shares Shares.
	 * @return array List of [`affiliate`, `share`].
	 */
	public static function by_affiliate( array $trail, array $shares ) {
		$out = array();
		foreach ( $trail as $i => $e ) {
			$out[ $e['affiliate'] ] = ( $out[ $e['affiliate'] ] ?? 0 ) + $shares[ $i ];
		}
		$list = array();
		foreach ( $out as $a => $s ) {
			if ( $s > 0 ) {
				$list[] = array(
					'affiliate' => (string) $a,
					'share'     => $s,
				);
			}
		}
		return $list;
	}

	/**
	 * Time-decay weights (see the core's `MultiTouch::TimeDecay`).
	 *
	 * @param array $trail Entries.
	 * @param int   $half  Half-life in days (0 read as 1).
	 * @param int   $now   Unix seconds.
	 * @return int[]
	 */
	private static function time_decay( array $trail, $half, $now ) {
		$h    = max( 1, $half ) * 86400;
		$ages = array_map( fn( $e ) => max( 0, $now - $e['at'] ), $trail );
		$kmin = $ages ? min( array_map( fn( $a ) => intdiv( $a, $h ), $ages ) ) : 0;
		$base = 40; // Trails of 2^23 entries or more never occur here (five at most).
		$out  = array();
		foreach ( $ages as $age ) {
			$shift = intdiv( $age, $h ) - $kmin;
			if ( $shift > $base ) {
				$out[] = 0;
				continue;
			}
			$f     = intdiv( ( $age % $h ) << 16, $h );
			$j     = $f >> 12;
			$t     = $f & 0xfff;
			$hi    = self::HALVING_TABLE[ $j ] ?? 65536;
			$lo    = self::HALVING_TABLE[ $j + 1 ] ?? 32768;
			$m     = $hi - ( ( ( $hi - $lo ) * $t ) >> 12 );
			$out[] = ( ( ( 1 << $base ) >> $shift ) * $m ) >> 16;
		}
		return $out;
	}

	/**
	 * Splits TOTAL in proportion to the weights: floors, then largest remainder, ties to the
	 * later entry; all-zero weights split evenly.
	 *
	 * @param int[] $w Weights.
	 * @return int[]
	 */
	private static function apportion( array $w ) {
		$total = array_sum( $w );
		if ( 0 === $total ) {
			return self::apportion( array_fill( 0, count( $w ), 1 ) );
		}
		$out   = array();
		$order = array();
		foreach ( $w as $i => $x ) {
			$scaled  = $x * self::TOTAL;
			$out[]   = min( self::TOTAL, intdiv( $scaled, $total ) );
			$order[] = array( $scaled % $total, $i );
		}
		$left = self::TOTAL - array_sum( $out );
		usort( $order, fn( $a, $b ) => array( $b[0], $b[1] ) <=> array( $a[0], $a[1] ) );
		for ( $k = 0; $k < $left && $k < count( $order ); $k++ ) {
			++$out[ $order[ $k ][1] ];
		}
		return $out;
	}
}
