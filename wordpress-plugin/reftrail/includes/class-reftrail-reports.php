<?php
/**
 * The KPIs of `/v1/reports/*` and `/v1/me/report`, computed as the Rust server computes them:
 * clicks and unique visitors, gross and net leads and sales, revenue, AOV, commissions, EPC per
 * 100 clicks, cost per sale and lead, ROAS, cost of goods, ROI, contribution margin, reversal
 * rates, store revenue and incremental revenue.
 *
 * Cost of goods: the `cost` of the net revenue's sales (rejected ones left out) that carry one,
 * less what their refunds took back; `sales_without_cost` counts the net sales without one.
 * Contribution margin = net revenue − cost of goods − commissions; ROI = that margin /
 * commissions, only when no net sale lacks a cost (otherwise null). An affiliate's own report
 * leaves these merchant figures out (null).
 *
 * Multi-touch credit (`/affiliates` and `/categories` only, see Reftrail_Credit):
 * `credited_revenue_net` is the net revenue of the period's sales split by the shares the
 * program's `multi_touch` model gave each contributing affiliate; `assisted_sales` counts the
 * sales in which the group had a share while the paid affiliate is outside it (gross, net).
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * Reports.
 */
final class Reftrail_Reports {

	/**
	 * `a / b` to six decimals, or null when b is zero.
	 *
	 * @param int $a A.
	 * @param int $b B.
	 * @return float|null
	 */
	private static function ratio( $a, $b ) {
		return 0 === $b ? null : round( $a / $b, 6 );
	}

	/**
	 * `a / b` rounded half away from zero, 0 when b is zero.
	 *
	 * @param int $a A.
	 * @param int $b B.
	 * @return int
	 */
	private static function div_round( $a, $b ) {
		return 0 === $b ? 0 : intdiv( 2 * $a + ( $b <=> 0 ) * $b, 2 * $b );
	}

	/**
	 * Empty KPIs.
	 *
	 * @param string|null $key Group key.
	 * @return array
	 */
	private static function empty_kpis( $key ) {
		return array(
			'key'                    => $key,
			'clicks'                 => 0,
			'unique_clicks'          => 0,
			'unique_visitors'        => 0,
			'bot_clicks'             => 0,
			'leads'                  => array(
				'gross' => 0,
				'net'   => 0,
			),
			'sales'                  => array(
				'gross' => 0,
				'net'   => 0,
			),
			'conversion_rate'        => null,
			'conversion_rate_clicks' => null,
			'reversal_rate'          => null,
			'money'                  => array(),
			'reversed'               => 0,
		);
	}

	/**
	 * Empty money figures in `$cur`.
	 *
	 * @param string $cur Currency.
	 * @return array
	 */
	private static function empty_money( $cur ) {
		return array(
			'currency'             => $cur,
			'revenue_gross'        => 0,
			'revenue_net'          => 0,
			'sales_net'            => 0,
			'aov'                  => 0,
			'commissions_gross'    => 0,
			'commissions'          => 0,
			'lead_commissions'     => 0,
			'cost_per_sale'        => 0,
			'cost_per_lead'        => 0,
			'epc_per_100'          => 0,
			'roas'                 => null,
			'roas_percent'         => null,
			'cost_of_goods'        => 0,
			'sales_without_cost'   => 0,
			'roi'                  => null,
			'roi_percent'          => null,
			'contribution_margin'  => 0,
			'reversal_rate_amount' => null,
		);
	}

	/**
	 * KPIs grouped by `all`, `day`, `affiliate` or `category`.
	 *
	 * @param string $group     Grouping.
	 * @param int    $from      From.
	 * @param int    $to        To.
	 * @param string $affiliate Only this affiliate ('' for all).
	 * @param bool   $credit    Whether to add the multi-touch figures (affiliate and category).
	 * @return array Key => KPIs.
	 */
	public static function aggregate( $group, $from, $to, $affiliate = '', $credit = false ) {
		global $wpdb;
		$expr = function ( $x ) use ( $group ) {
			switch ( $group ) {
				case 'day':
					return "FLOOR({$x}.at / 86400)";
				case 'affiliate':
					return "{$x}.affiliate_id";
				case 'category':
					return 'a.category';
				default:
					return "''";
			}
		};
		$aff  = Reftrail_Db::table( 'affiliates' );
		$join = fn( $x ) => 'category' === $group ? " JOIN {$aff} a ON a.id = {$x}.affiliate_id" : '';
		$key  = function ( $v ) use ( $group ) {
			return 'day' === $group ? gmdate( 'Y-m-d', (int) $v * 86400 ) : (string) $v;
		};
		$out  = array();
		$c    = Reftrail_Db::table( 'clicks' );
		$g    = $expr( 'c' );
		$sql  = "SELECT {$g} AS k, COALESCE(SUM(1 - c.is_bot), 0) AS clicks, COALESCE(SUM(CASE WHEN c.is_bot = 0 THEN c.is_unique ELSE 0 END), 0) AS uniq,
			COUNT(DISTINCT CASE WHEN c.is_bot = 0 THEN c.visitor_key END) AS visitors, COALESCE(SUM(c.is_bot), 0) AS bots
			FROM {$c} c{$join('c')} WHERE c.at >= %d AND c.at < %d AND c.affiliate_id IS NOT NULL AND (%s = '' OR c.affiliate_id = %s) GROUP BY {$g}";
		foreach ( $wpdb->get_results( $wpdb->prepare( $sql, $from, $to, $affiliate, $affiliate ), ARRAY_A ) as $r ) { // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
			$k                          = $key( $r['k'] );
			$out[ $k ]                  = $out[ $k ] ?? self::empty_kpis( $k );
			$out[ $k ]['clicks']          = (int) $r['clicks'];
			$out[ $k ]['unique_clicks']   = (int) $r['uniq'];
			$out[ $k ]['unique_visitors'] = (int) $r['visitors'];
			$out[ $k ]['bot_clicks']      = (int) $r['bots'];
		}
		$rt  = Reftrail_Db::table( 'referrals' );
		$ft  = Reftrail_Db::table( 'refunds' );
		$lt  = Reftrail_Db::table( 'ledger' );
		$ot  = Reftrail_Db::table( 'orders' );
		$g   = $expr( 'r' );
		$sql = "SELECT {$g} AS k, r.currency, r.kind, COUNT(*) AS gross,
			SUM(CASE WHEN r.status IN ('reversed', 'rejected') THEN 0 ELSE 1 END) AS net,
			SUM(r.amount) AS revenue_gross,
			SUM(CASE WHEN r.status = 'rejected' THEN 0 ELSE r.amount - COALESCE((SELECT SUM(f.amount) FROM {$ft} f WHERE f.order_ref = r.source_id), 0) END) AS revenue_net,
			SUM(r.commission) AS commissions_gross,
			SUM(COALESCE((SELECT SUM(l.amount) FROM {$lt} l WHERE l.referral_id = r.id), 0)) AS commissions_net,
			SUM(CASE WHEN r.status = 'reversed' THEN 1 ELSE 0 END) AS reversed,
			SUM(CASE WHEN r.status = 'rejected' OR r.kind <> 'sale' THEN 0 ELSE COALESCE(o.cost, 0) - COALESCE((SELECT SUM(f.cost) FROM {$ft} f WHERE f.order_ref = r.source_id), 0) END) AS cost_net,
			SUM(CASE WHEN r.kind = 'sale' AND r.status NOT IN ('reversed', 'rejected') AND o.cost IS NULL THEN 1 ELSE 0 END) AS without_cost
			FROM {$rt} r{$join('r')} LEFT JOIN {$ot} o ON o.id = r.source_id WHERE r.at >= %d AND r.at < %d AND (%s = '' OR r.affiliate_id = %s) GROUP BY {$g}, r.currency, r.kind";
		foreach ( $wpdb->get_results( $wpdb->prepare( $sql, $from, $to, $affiliate, $affiliate ), ARRAY_A ) as $r ) { // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
			$k                      = $key( $r['k'] );
			$out[ $k ]              = $out[ $k ] ?? self::empty_kpis( $k );
			$out[ $k ]['reversed'] += (int) $r['reversed'];
			$cur                    = $r['currency'];
			if ( ! isset( $out[ $k ]['money'][ $cur ] ) ) {
				$out[ $k ]['money'][ $cur ] = self::empty_money( $cur );
			}
			$m                        = &$out[ $k ]['money'][ $cur ];
			$m['commissions_gross']  += (int) $r['commissions_gross'];
			$m['commissions']        += (int) $r['commissions_net'];
			$m['cost_of_goods']      += (int) $r['cost_net'];
			$m['sales_without_cost'] += (int) $r['without_cost'];
			if ( 'sale' === $r['kind'] ) {
				$out[ $k ]['sales']['gross'] += (int) $r['gross'];
				$out[ $k ]['sales']['net']   += (int) $r['net'];
				$m['sales_net']              += (int) $r['net'];
				$m['revenue_gross']          += (int) $r['revenue_gross'];
				$m['revenue_net']            += (int) $r['revenue_net'];
			} else {
				$out[ $k ]['leads']['gross'] += (int) $r['gross'];
				$out[ $k ]['leads']['net']   += (int) $r['net'];
				$m['lead_commissions']       += (int) $r['commissions_net'];
			}
			unset( $m );
		}
		if ( $credit ) {
			list( $moved, $assisted ) = Reftrail_Credit::moved( $group, $from, $to );
			foreach ( $moved as $g => $by_currency ) {
				$g         = (string) $g;
				$out[ $g ] = $out[ $g ] ?? self::empty_kpis( $g );
				foreach ( $by_currency as $cur => $delta ) {
					if ( ! isset( $out[ $g ]['money'][ $cur ] ) ) {
						$out[ $g ]['money'][ $cur ] = self::empty_money( $cur );
					}
					$out[ $g ]['money'][ $cur ]['credited_revenue_net'] = $delta;
				}
			}
			foreach ( $assisted as $g => $n ) {
				$g         = (string) $g;
				$out[ $g ] = $out[ $g ] ?? self::empty_kpis( $g );
				$out[ $g ]['assisted_sales'] = array(
					'gross' => $n[0],
					'net'   => $n[1],
				);
			}
			foreach ( $out as $k => $v ) {
				$out[ $k ]['assisted_sales'] = $v['assisted_sales'] ?? array(
					'gross' => 0,
					'net'   => 0,
				);
				foreach ( $v['money'] as $cur => $m ) {
					$out[ $k ]['money'][ $cur ]['credited_revenue_net'] = $m['revenue_net'] + ( $m['credited_revenue_net'] ?? 0 );
				}
			}
		}
		foreach ( $out as $k => $v ) {
			$v['conversion_rate']        = self::ratio( $v['sales']['net'], $v['unique_visitors'] );
			$v['conversion_rate_clicks'] = self::ratio( $v['sales']['net'], $v['clicks'] );
			$v['reversal_rate']          = self::ratio( $v['reversed'], $v['sales']['gross'] + $v['leads']['gross'] );
			foreach ( $v['money'] as $cur => $m ) {
				$m['aov']                  = self::div_round( $m['revenue_net'], $m['sales_net'] );
				$m['cost_per_sale']        = self::div_round( $m['commissions'] - $m['lead_commissions'], $m['sales_net'] );
				$m['cost_per_lead']        = self::div_round( $m['lead_commissions'], $v['leads']['net'] );
				$m['epc_per_100']          = self::div_round( $m['commissions'] * 100, $v['clicks'] );
				$m['roas']                 = self::ratio( $m['revenue_net'], $m['commissions'] );
				$m['roas_percent']         = null === $m['roas'] ? null : round( $m['roas'] * 100, 2 );
				$m['contribution_margin']  = $m['revenue_net'] - $m['cost_of_goods'] - $m['commissions'];
				$m['roi']                  = 0 === $m['sales_without_cost'] ? self::ratio( $m['contribution_margin'], $m['commissions'] ) : null;
				$m['roi_percent']          = null === $m['roi'] ? null : round( $m['roi'] * 100, 2 );
				$m['reversal_rate_amount'] = self::ratio( $m['revenue_gross'] - $m['revenue_net'], $m['revenue_gross'] );
				$v['money'][ $cur ]        = $m;
			}
			ksort( $v['money'] );
			$v['money'] = array_values( $v['money'] );
			unset( $v['reversed'] );
			$out[ $k ] = $v;
		}
		ksort( $out );
		return $out;
	}

	/**
	 * Store revenue (every order, net of refunds) per currency.
	 *
	 * @param int $from From.
	 * @param int $to   To.
	 * @return array Currency => minor units.
	 */
	private static function store_revenue( $from, $to ) {
		global $wpdb;
		$o    = Reftrail_Db::table( 'orders' );
		$f    = Reftrail_Db::table( 'refunds' );
		$rows = $wpdb->get_results( $wpdb->prepare( "SELECT o.currency, SUM(o.amount - COALESCE((SELECT SUM(f.amount) FROM {$f} f WHERE f.order_ref = o.id), 0)) AS rev FROM {$o} o WHERE o.at >= %d AND o.at < %d GROUP BY o.currency", $from, $to ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$out  = array();
		foreach ( $rows as $r ) {
			$out[ $r['currency'] ] = (int) $r['rev'];
		}
		ksort( $out );
		return $out;
	}

	/**
	 * The summary: KPIs, active affiliates, store and incremental revenue, top affiliates.
	 *
	 * @param int $from From.
	 * @param int $to   To.
	 * @return array
	 */
	public static function summary( $from, $to ) {
		global $wpdb;
		$program = Reftrail_Program::get();
		$all     = self::aggregate( 'all', $from, $to );
		$kpis    = $all ? reset( $all ) : self::empty_kpis( '' );
		if ( ! $all ) {
			unset( $kpis['reversed'] );
		}
		$aff      = Reftrail_Db::table( 'affiliates' );
		$approved = (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$aff} WHERE status = 'approved'" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$rt       = Reftrail_Db::table( 'referrals' );
		$ct       = Reftrail_Db::table( 'clicks' );
		switch ( $program['active_by'] ) {
			case 'sale':
				$sql = "SELECT COUNT(DISTINCT r.affiliate_id) FROM {$rt} r JOIN {$aff} a ON a.id = r.affiliate_id WHERE r.kind = 'sale' AND r.at >= %d AND r.at < %d AND a.status = 'approved'";
				break;
			case 'lead':
				$sql = "SELECT COUNT(DISTINCT r.affiliate_id) FROM {$rt} r JOIN {$aff} a ON a.id = r.affiliate_id WHERE r.at >= %d AND r.at < %d AND a.status = 'approved'";
				break;
			default:
				$sql = "SELECT COUNT(DISTINCT c.affiliate_id) FROM {$ct} c JOIN {$aff} a ON a.id = c.affiliate_id WHERE c.at >= %d AND c.at < %d AND c.is_bot = 0 AND a.status = 'approved'";
		}
		$active = (int) $wpdb->get_var( $wpdb->prepare( $sql, $from, $to ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		$now    = self::store_revenue( $from, $to );
		$len    = $to - $from;
		$have   = true;
		if ( null !== $program['baseline_daily_revenue'] ) {
			$base = array( $program['currency'] => intdiv( $program['baseline_daily_revenue'] * $len, Reftrail_Db::DAY ) );
		} else {
			$start = $wpdb->get_var( "SELECT MIN(created_at) FROM {$aff}" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			if ( null === $start ) {
				$have = false;
				$base = array();
			} else {
				$base = self::store_revenue( (int) $start - $len, (int) $start );
			}
		}
		$store = array();
		foreach ( $now as $cur => $rev ) {
			$b       = $base[ $cur ] ?? ( $have ? 0 : null );
			$store[] = array(
				'currency'    => $cur,
				'revenue'     => $rev,
				'baseline'    => $b,
				'incremental' => null === $b ? null : $rev - $b,
			);
		}
		$top = array();
		foreach ( self::aggregate( 'affiliate', $from, $to ) as $a => $k ) {
			$m = null;
			foreach ( $k['money'] as $x ) {
				if ( $x['currency'] === $program['currency'] ) {
					$m = $x;
				}
			}
			$top[] = array(
				'affiliate'   => (string) $a,
				'revenue_net' => $m['revenue_net'] ?? 0,
				'commissions' => $m['commissions'] ?? 0,
				'clicks'      => $k['clicks'],
			);
		}
		usort( $top, fn( $x, $y ) => array( $y['revenue_net'], $y['clicks'], $x['affiliate'] ) <=> array( $x['revenue_net'], $x['clicks'], $y['affiliate'] ) );
		return array(
			'from'                  => Reftrail_Db::rfc3339( $from ),
			'to'                    => Reftrail_Db::rfc3339( $to ),
			'kpis'                  => $kpis,
			'affiliates_approved'   => $approved,
			'affiliates_active'     => $active,
			'active_affiliate_rate' => self::ratio( $active, $approved ),
			'store'                 => $store,
			'top_affiliates'        => array_slice( $top, 0, 5 ),
		);
	}

	/**
	 * Rows grouped by day, affiliate or category.
	 *
	 * @param string      $group Grouping.
	 * @param int         $from  From.
	 * @param int         $to    To.
	 * @param string|null $sort  `affiliate` only: revenue (default), commission, credited_revenue, clicks, conversion_rate.
	 * @param mixed       $limit `affiliate` only: 1 to 1000 (default 100).
	 * @return array
	 * @throws Reftrail_Http_Error 400 invalid_query.
	 */
	public static function grouped( $group, $from, $to, $sort = null, $limit = null ) {
		$map = self::aggregate( $group, $from, $to, '', 'day' !== $group );
		if ( 'day' === $group ) {
			// Every day of the period is listed, empty ones too.
			for ( $d = intdiv( $from, Reftrail_Db::DAY ); $d * Reftrail_Db::DAY < $to; $d++ ) {
				$k = gmdate( 'Y-m-d', $d * Reftrail_Db::DAY );
				if ( ! isset( $map[ $k ] ) ) {
					$e = self::empty_kpis( $k );
					unset( $e['reversed'] );
					$map[ $k ] = $e;
				}
			}
			ksort( $map );
		}
		$rows = array_values( $map );
		if ( 'affiliate' === $group ) {
			$limit = null === $limit ? 100 : ( ctype_digit( (string) $limit ) ? (int) $limit : 0 );
			if ( $limit < 1 || $limit > 1000 ) {
				throw Reftrail_Http_Error::bad( 'invalid_query', 'limit must be 1 to 1000' );
			}
			$currency = Reftrail_Program::get()['currency'];
			$money    = function ( $k, $field ) use ( $currency ) {
				foreach ( $k['money'] as $m ) {
					if ( $m['currency'] === $currency ) {
						return $m[ $field ];
					}
				}
				return 0;
			};
			switch ( $sort ?? 'revenue' ) {
				case 'revenue':
					$key = fn( $k ) => $money( $k, 'revenue_net' );
					break;
				case 'commission':
					$key = fn( $k ) => $money( $k, 'commissions' );
					break;
				case 'credited_revenue':
					$key = fn( $k ) => $money( $k, 'credited_revenue_net' );
					break;
				case 'clicks':
					$key = fn( $k ) => $k['clicks'];
					break;
				case 'conversion_rate':
					$key = fn( $k ) => $k['conversion_rate'] ?? 0.0;
					break;
				default:
					throw Reftrail_Http_Error::bad( 'invalid_query', 'sort must be revenue, commission, credited_revenue, clicks or conversion_rate' );
			}
			usort( $rows, fn( $a, $b ) => $key( $b ) <=> $key( $a ) );
			$rows = array_slice( $rows, 0, $limit );
		}
		return array(
			'from' => Reftrail_Db::rfc3339( $from ),
			'to'   => Reftrail_Db::rfc3339( $to ),
			'rows' => $rows,
		);
	}

	/**
	 * One affiliate's KPIs.
	 *
	 * @param string $affiliate Affiliate.
	 * @param int    $from      From.
	 * @param int    $to        To.
	 * @return array
	 */
	public static function affiliate_kpis( $affiliate, $from, $to ) {
		$all = self::aggregate( 'all', $from, $to, $affiliate );
		if ( ! $all ) {
			$k = self::empty_kpis( '' );
			unset( $k['reversed'] );
			return $k;
		}
		$k = reset( $all );
		// The merchant's cost figures are not the affiliate's to see.
		foreach ( $k['money'] as $i => $m ) {
			foreach ( array( 'cost_of_goods', 'sales_without_cost', 'roi', 'roi_percent', 'contribution_margin' ) as $field ) {
				$k['money'][ $i ][ $field ] = null;
			}
		}
		return $k;
	}
}
