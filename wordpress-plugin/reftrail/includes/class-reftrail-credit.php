<?php
/**
 * Multi-touch credit, as the Rust server's `server/src/credit.rs` records and reports it.
 *
 * The commission stays with the referral's affiliate; the program's `multi_touch` model only
 * says who contributed. When a referral is created, the buyer's trail is rebuilt from the
 * plugin's clicks: the non-bot clicks of the same visitor (the `visitor_key` of the click that
 * credited the conversion, or `v:` + the visitor id the browser sent) on approved affiliates'
 * links, inside the window and not after the conversion, the newest five, oldest first; the
 * credited affiliate's touch is added when missing (in place of the oldest other one when the
 * trail is full). Reftrail_Models splits 10,000 basis points over it, summed per affiliate,
 * stored in `referral_credit`. A renewal, or no trail, gives the credited affiliate all of it.
 *
 * Money: a sale's net revenue (amount less refunds; 0 when rejected) is split with
 * `floor(net × share / 10000)` each, the units left over one each to the largest remainders,
 * ties to the later affiliate in the trail: the parts sum to exactly the net revenue.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * Multi-touch credit of referrals.
 */
final class Reftrail_Credit {

	/** The most touches a trail keeps (the browser core's `TRAIL_LEN`). */
	const TRAIL_LEN = 5;

	/**
	 * The trail of `$clicks` (newest first: [affiliate, at]) with the credited touch added when
	 * missing, oldest first.
	 *
	 * @param array  $clicks      Clicks, newest first.
	 * @param string $credited    The credited affiliate.
	 * @param int    $credited_at When its deciding touch happened.
	 * @return array List of [affiliate, at].
	 */
	public static function trail( array $clicks, $credited, $credited_at ) {
		$trail = array_reverse( array_slice( $clicks, 0, self::TRAIL_LEN ) );
		foreach ( $trail as $e ) {
			if ( (string) $e[0] === (string) $credited ) {
				return $trail;
			}
		}
		if ( count( $trail ) >= self::TRAIL_LEN ) {
			array_shift( $trail );
		}
		$at = 0;
		while ( $at < count( $trail ) && $trail[ $at ][1] <= $credited_at ) {
			++$at;
		}
		array_splice( $trail, $at, 0, array( array( (string) $credited, (int) $credited_at ) ) );
		return $trail;
	}

	/**
	 * Shares per affiliate of a trail under `$model` at `$now`; an empty trail gives
	 * `$credited` all.
	 *
	 * @param array  $trail    List of [affiliate, at], oldest first.
	 * @param array  $model    The program's `multi_touch`.
	 * @param int    $now      The conversion's time.
	 * @param string $credited The credited affiliate.
	 * @return array List of [`affiliate`, `share`].
	 */
	public static function shares( array $trail, array $model, $now, $credited ) {
		$entries = array_map(
			fn( $e ) => array(
				'affiliate' => (string) $e[0],
				'at'        => (int) $e[1],
			),
			$trail
		);
		$out     = Reftrail_Models::by_affiliate( $entries, Reftrail_Models::shares( $entries, $model, $now ) );
		if ( ! $out ) {
			$out = array(
				array(
					'affiliate' => (string) $credited,
					'share'     => Reftrail_Models::TOTAL,
				),
			);
		}
		return $out;
	}

	/**
	 * Splits `$net` minor units by `$shares` (basis points summing to 10,000): floors, then one
	 * unit each to the largest remainders, ties to the later entry.
	 *
	 * @param int   $net    Minor units.
	 * @param int[] $shares Basis points.
	 * @return int[]
	 */
	public static function split( $net, array $shares ) {
		if ( $net < 0 ) {
			return array_map( fn( $x ) => -$x, self::split( -$net, $shares ) );
		}
		$q     = intdiv( $net, Reftrail_Models::TOTAL );
		$r     = $net % Reftrail_Models::TOTAL;
		$parts = array();
		$order = array();
		foreach ( array_values( $shares ) as $i => $s ) {
			$parts[] = $q * $s + intdiv( $r * $s, Reftrail_Models::TOTAL );
			$order[] = array( ( $r * $s ) % Reftrail_Models::TOTAL, $i );
		}
		$left = $net - array_sum( $parts );
		usort( $order, fn( $a, $b ) => $b <=> $a );
		for ( $k = 0; $k < $left && $k < count( $order ); $k++ ) {
			++$parts[ $order[ $k ][1] ];
		}
		return $parts;
	}

	/**
	 * Rebuilds the trail of a conversion at `$at`, splits it by the program's model and stores
	 * the shares of `$referral_id`.
	 *
	 * @param array       $program     Program.
	 * @param string      $referral_id Referral.
	 * @param int         $at          The conversion's time.
	 * @param array       $credit      `affiliate`, `by`, `click_id`, `touched_at`.
	 * @param string|null $visitor     The visitor id the browser sent with the conversion.
	 * @return array The shares.
	 */
	public static function record( array $program, $referral_id, $at, array $credit, $visitor ) {
		global $wpdb;
		$visitor_key = null;
		if ( null !== $credit['click_id'] ) {
			$c           = Reftrail_Db::table( 'clicks' );
			$visitor_key = $wpdb->get_var( $wpdb->prepare( "SELECT visitor_key FROM {$c} WHERE id = %s", $credit['click_id'] ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		}
		if ( null === $visitor_key && null !== $visitor ) {
			$visitor_key = 'v:' . $visitor;
		}
		$model    = (array) ( $program['multi_touch'] ?? array( 'kind' => 'last' ) );
		$credited = (string) $credit['affiliate'];
		if ( null !== $visitor_key && 'renewal' !== $credit['by'] ) {
			// Clicks of one second go in id order: ids sort by creation time byte-wise.
			$c      = Reftrail_Db::table( 'clicks' );
			$a      = Reftrail_Db::table( 'affiliates' );
			$rows   = $wpdb->get_results( $wpdb->prepare( "SELECT c.affiliate_id, c.at FROM {$c} c JOIN {$a} a ON a.id = c.affiliate_id WHERE c.visitor_key = %s AND c.affiliate_id IS NOT NULL AND c.is_bot = 0 AND c.at >= %d AND c.at <= %d AND a.status = 'approved' ORDER BY c.at DESC, BINARY c.id DESC LIMIT %d", $visitor_key, $at - (int) $program['window_days'] * Reftrail_Db::DAY, $at, self::TRAIL_LEN ), ARRAY_N ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			$clicks = array_map( fn( $r ) => array( (string) $r[0], (int) $r[1] ), $rows );
			$trail  = self::trail( $clicks, $credited, $credit['touched_at'] ?? $at );
			$shares = self::shares( $trail, $model, $at, $credited );
		} else {
			$shares = self::shares( array(), $model, $at, $credited );
		}
		$solo = 1 === count( $shares ) && $shares[0]['affiliate'] === $credited ? 1 : 0;
		foreach ( $shares as $seq => $s ) {
			$wpdb->insert(
				Reftrail_Db::table( 'referral_credit' ),
				array(
					'referral_id'  => $referral_id,
					'affiliate_id' => $s['affiliate'],
					'seq'          => $seq,
					'share_bp'     => $s['share'],
					'at'           => $at,
					'solo'         => $solo,
				),
				array( '%s', '%s', '%d', '%d', '%d', '%d' )
			);
		}
		return $shares;
	}

	/**
	 * What the split credit of the sales in [`$from`, `$to`) moves between groups, and the
	 * sales each group assisted.
	 *
	 * @param string $group `affiliate` or `category`.
	 * @param int    $from  From.
	 * @param int    $to    To.
	 * @return array [moved: group => currency => minor units, assisted: group => [gross, net]].
	 */
	public static function moved( $group, $from, $to ) {
		global $wpdb;
		$ct   = Reftrail_Db::table( 'referral_credit' );
		$rt   = Reftrail_Db::table( 'referrals' );
		$ft   = Reftrail_Db::table( 'refunds' );
		$at   = Reftrail_Db::table( 'affiliates' );
		$ga   = 'category' === $group ? 'ac.category' : 'c.affiliate_id';
		$gr   = 'category' === $group ? 'ar.category' : 'r.affiliate_id';
		$join = 'category' === $group ? " JOIN {$at} ac ON ac.id = c.affiliate_id JOIN {$at} ar ON ar.id = r.affiliate_id" : '';
		$sql  = "SELECT c.referral_id, {$ga} AS g, c.share_bp, {$gr} AS paid, r.kind, r.currency, r.status, r.amount,
			COALESCE((SELECT SUM(f.amount) FROM {$ft} f WHERE f.order_ref = r.source_id), 0) AS refunded
			FROM {$ct} c JOIN {$rt} r ON r.id = c.referral_id{$join}
			WHERE c.solo = 0 AND c.at >= %d AND c.at < %d ORDER BY c.referral_id, c.seq";
		$rows = $wpdb->get_results( $wpdb->prepare( $sql, $from, $to ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		$by   = array();
		foreach ( $rows as $r ) {
			$by[ $r['referral_id'] ][] = $r;
		}
		$moved    = array();
		$assisted = array();
		foreach ( $by as $parts ) {
			$r = $parts[0];
			if ( 'sale' !== $r['kind'] ) {
				continue;
			}
			$paid = (string) $r['paid'];
			$cur  = $r['currency'];
			$net  = 'rejected' === $r['status'] ? 0 : (int) $r['amount'] - (int) $r['refunded'];
			$moved[ $paid ][ $cur ] = ( $moved[ $paid ][ $cur ] ?? 0 ) - $net;
			$split = self::split( $net, array_map( fn( $p ) => (int) $p['share_bp'], $parts ) );
			$seen  = array();
			foreach ( $parts as $i => $p ) {
				$g                   = (string) $p['g'];
				$moved[ $g ][ $cur ] = ( $moved[ $g ][ $cur ] ?? 0 ) + $split[ $i ];
				if ( $g !== $paid && ! in_array( $g, $seen, true ) ) {
					$seen[]           = $g;
					$assisted[ $g ]   = $assisted[ $g ] ?? array( 0, 0 );
					$assisted[ $g ][0] += 1;
					if ( 'reversed' !== $r['status'] && 'rejected' !== $r['status'] ) {
						$assisted[ $g ][1] += 1;
					}
				}
			}
		}
		return array( $moved, $assisted );
	}
}
