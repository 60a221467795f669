<?php
/**
 * The KPIs of `/v1/reports/*` and `/v1/me/report`, computed as the Rust server computes them:
 * clicks and unique visitors, gross and net leads and sales, revenue, AOV, commissions, EPC per
 * 100 clicks, cost per sale and lead, ROAS, cost of goods, ROI, contribution margin, reversal
 * rates, store revenue and incremental revenue.
 *
 * Channel cost: commissions + `bonuses` (given in the period by created_at, not cancelled, paid
 * or not) + `fees` (of the payout lines marked sent in the period, by sent_at) +
 * `recruiter_commissions` (the shares of recruits' commissions made in the period by created_at,
 * less what refunds took back, rejected ones left out), each counted for the affiliate paid (a
 * share on the recruiter's row, its recruit's revenue on theirs), their category and its UTC
 * day; ROAS = net revenue / channel cost.
 *
 * Cost of goods: the `cost` of the net revenue's sales (rejected ones left out) that carry one,
 * less what their refunds took back; `sales_without_cost` counts the net sales without one.
 * Contribution margin = net revenue − cost of goods − commissions; ROI = (net revenue − cost of
 * goods − channel cost) / channel cost, only when no net sale lacks a cost (otherwise null). An
 * affiliate's own report leaves these merchant figures and the fees out (null), and shows their
 * own recruiter commissions; its ROAS is net revenue / (commissions + bonuses), what the
 * affiliate was given for the revenue they brought.
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
			'currency'              => $cur,
			'revenue_gross'         => 0,
			'revenue_net'           => 0,
			'sales_net'             => 0,
			'aov'                   => 0,
			'commissions_gross'     => 0,
			'commissions'           => 0,
			'lead_commissions'      => 0,
			'bonuses'               => 0,
			'recruiter_commissions' => 0,
			'fees'                  => 0,
			'channel_cost'          => 0,
			'cost_per_sale'         => 0,
			'cost_per_lead'         => 0,
			'epc_per_100'           => 0,
			'roas'                  => null,
			'roas_percent'          => null,
			'cost_of_goods'         => 0,
			'sales_without_cost'    => 0,
			'roi'                   => null,
			'roi_percent'           => null,
			'contribution_margin'   => 0,
			'reversal_rate_amount'  => null,
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
		self::add_costs_beyond_commission( $out, $group, $from, $to, $affiliate, $key );
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
				$m['channel_cost']         = $m['commissions'] + $m['bonuses'] + $m['fees'] + $m['recruiter_commissions'];
				$m['roas']                 = self::ratio( $m['revenue_net'], $m['channel_cost'] );
				$m['roas_percent']         = null === $m['roas'] ? null : round( $m['roas'] * 100, 2 );
				$m['contribution_margin']  = $m['revenue_net'] - $m['cost_of_goods'] - $m['commissions'];
				$m['roi']                  = 0 === $m['sales_without_cost'] ? self::ratio( $m['revenue_net'] - $m['cost_of_goods'] - $m['channel_cost'], $m['channel_cost'] ) : null;
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
	 * Adds to `$out` the channel's costs beyond commission, per group and currency: the bonuses
	 * given in the period and not cancelled (by created_at), the fees of the payout lines marked
	 * sent in it (by sent_at) and the recruiter commissions made in it, less what refunds took back
	 * and not rejected (by created_at), each for the affiliate paid (a recruiter commission for the
	 * recruiter). A currency with nothing but these still gets its money entry.
	 *
	 * @param array    $out       Key => KPIs, as aggregate() builds them.
	 * @param string   $group     `all`, `day`, `affiliate` or `category`.
	 * @param int      $from      From.
	 * @param int      $to        To.
	 * @param string   $affiliate Only this affiliate ('' for all).
	 * @param callable $key       The group key of a row's `k`.
	 */
	private static function add_costs_beyond_commission( array &$out, $group, $from, $to, $affiliate, callable $key ) {
		global $wpdb;
		$aff = Reftrail_Db::table( 'affiliates' );
		// [money field, table, the time it counts at, which rows count, what they cost].
		$costs = array(
			array( 'bonuses', Reftrail_Db::table( 'bonuses' ), 'created_at', "x.status <> 'cancelled'", 'x.amount' ),
			array( 'fees', Reftrail_Db::table( 'payout_lines' ), 'sent_at', 'x.fee IS NOT NULL', 'x.fee' ),
			array( 'recruiter_commissions', Reftrail_Db::table( 'recruiter_commissions' ), 'created_at', "x.status <> 'rejected'", 'x.amount - x.reversed' ),
		);
		foreach ( $costs as list( $field, $table, $at, $which, $sum ) ) {
			switch ( $group ) {
				case 'day':
					$g = "FLOOR(x.{$at} / 86400)";
					break;
				case 'affiliate':
					$g = 'x.affiliate_id';
					break;
				case 'category':
					$g = 'a.category';
					break;
				default:
					$g = "''";
			}
			$join = 'category' === $group ? " JOIN {$aff} a ON a.id = x.affiliate_id" : '';
			$sql  = "SELECT {$g} AS k, x.currency, SUM({$sum}) AS s FROM {$table} x{$join}
				WHERE {$which} AND x.{$at} >= %d AND x.{$at} < %d AND (%s = '' OR x.affiliate_id = %s) GROUP BY {$g}, x.currency";
			foreach ( $wpdb->get_results( $wpdb->prepare( $sql, $from, $to, $affiliate, $affiliate ), ARRAY_A ) as $r ) { // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- table and column names are ours; every value is bound.
				$k         = $key( $r['k'] );
				$out[ $k ] = $out[ $k ] ?? self::empty_kpis( $k );
				$cur       = $r['currency'];
				if ( ! isset( $out[ $k ]['money'][ $cur ] ) ) {
					$out[ $k ]['money'][ $cur ] = self::empty_money( $cur );
				}
				$out[ $k ]['money'][ $cur ][ $field ] += (int) $r['s'];
			}
		}
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
	 * The SQL of the creative id a stored click campaign names in `utm_content`, as a binary
	 * string (grouped and compared byte for byte, as ids are). The campaign is the JSON that
	 * Reftrail_Tracking::click() wrote of the click's tags: `"utm_content":"` can only be that key
	 * there (a quote inside a value is escaped), and a creative id needs no escaping, so the text up
	 * to the next quote is the value whenever it can be a creative's id.
	 *
	 * @param string $campaign The campaign column.
	 * @return string
	 */
	private static function utm_content_sql( $campaign ) {
		return "BINARY SUBSTRING_INDEX(SUBSTRING_INDEX({$campaign}, '\"utm_content\":\"', -1), '\"', 1)";
	}

	/**
	 * Which creative sells (`GET /v1/reports/creatives`): for every creative, active or archived,
	 * the non-bot clicks of `[$from, $to)` on its links (a click belongs to the creative its
	 * campaign's `utm_content` names, which the portal puts on each creative's link), the leads and
	 * sales of the period credited by those clicks (gross, and net of reversed and rejected ones),
	 * net sales / clicks, and per currency the sales' revenue net of refunds (rejected sales left
	 * out) and the referrals' net commission. The period is widened to whole UTC days, as the
	 * server's; the most clicked first, then the newest.
	 *
	 * For an affiliate (`GET /v1/me/reports/creatives`): only the active creatives, the ones they
	 * may post, with their own clicks and their own referrals credited through those creatives'
	 * clicks.
	 *
	 * @param int    $from      From (Reftrail_Input::range()).
	 * @param int    $to        To.
	 * @param string $affiliate Only this affiliate's traffic, on the active creatives ('' for all).
	 * @return array `from`, `to`, `rows`.
	 */
	public static function creatives( $from, $to, $affiliate = '' ) {
		global $wpdb;
		$from  = intdiv( $from, Reftrail_Db::DAY ) * Reftrail_Db::DAY;
		$to    = intdiv( $to + Reftrail_Db::DAY - 1, Reftrail_Db::DAY ) * Reftrail_Db::DAY;
		$rows  = array();
		$ct    = Reftrail_Db::table( 'creatives' );
		$like  = '%' . $wpdb->esc_like( '"utm_content":"' ) . '%';
		$empty = array(
			'gross' => 0,
			'net'   => 0,
		);
		$sql   = "SELECT id, name, kind, status FROM {$ct} WHERE %s = '' OR status = 'active' ORDER BY created_at DESC, BINARY id DESC";
		foreach ( $wpdb->get_results( $wpdb->prepare( $sql, $affiliate ), ARRAY_A ) as $c ) { // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- the table name is ours; the value is bound.
			$rows[ $c['id'] ] = array(
				'creative'        => $c['id'],
				'name'            => $c['name'],
				'kind'            => $c['kind'],
				'status'          => $c['status'],
				'clicks'          => 0,
				'leads'           => $empty,
				'sales'           => $empty,
				'conversion_rate' => null,
				'money'           => array(),
			);
		}
		$k      = self::utm_content_sql( 'c.campaign' );
		$clicks = Reftrail_Db::table( 'clicks' );
		$sql    = "SELECT {$k} AS creative, COUNT(*) AS n FROM {$clicks} c WHERE c.at >= %d AND c.at < %d AND c.is_bot = 0 AND c.campaign LIKE %s AND (%s = '' OR c.affiliate_id = %s) GROUP BY creative";
		foreach ( $wpdb->get_results( $wpdb->prepare( $sql, $from, $to, $like, $affiliate, $affiliate ), ARRAY_A ) as $r ) { // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- table names and the expression are ours; every value is bound.
			if ( isset( $rows[ $r['creative'] ] ) ) {
				$rows[ $r['creative'] ]['clicks'] += (int) $r['n'];
			}
		}
		$rt  = Reftrail_Db::table( 'referrals' );
		$ot  = Reftrail_Db::table( 'orders' );
		$lt  = Reftrail_Db::table( 'leads' );
		$ft  = Reftrail_Db::table( 'refunds' );
		$gt  = Reftrail_Db::table( 'ledger' );
		$sql = "SELECT {$k} AS creative, r.kind, r.status, r.currency, COUNT(*) AS n,
			SUM(CASE WHEN r.kind = 'sale' AND r.status <> 'rejected' THEN r.amount - COALESCE((SELECT SUM(f.amount) FROM {$ft} f WHERE f.order_ref = r.source_id), 0) ELSE 0 END) AS revenue_net,
			SUM(COALESCE((SELECT SUM(g.amount) FROM {$gt} g WHERE g.referral_id = r.id), 0)) AS commissions
			FROM {$rt} r LEFT JOIN {$ot} o ON o.id = r.source_id LEFT JOIN {$lt} l ON l.id = r.source_id JOIN {$clicks} c ON c.id = COALESCE(o.click_id, l.click_id)
			WHERE r.at >= %d AND r.at < %d AND c.campaign LIKE %s AND (%s = '' OR r.affiliate_id = %s) GROUP BY creative, r.kind, r.status, r.currency";
		foreach ( $wpdb->get_results( $wpdb->prepare( $sql, $from, $to, $like, $affiliate, $affiliate ), ARRAY_A ) as $r ) { // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- as above.
			if ( ! isset( $rows[ $r['creative'] ] ) ) {
				continue;
			}
			$row    = &$rows[ $r['creative'] ];
			$counts = 'sale' === $r['kind'] ? 'sales' : 'leads';
			$row[ $counts ]['gross'] += (int) $r['n'];
			if ( ! in_array( $r['status'], array( 'reversed', 'rejected' ), true ) ) {
				$row[ $counts ]['net'] += (int) $r['n'];
			}
			$cur                  = $r['currency'];
			$row['money'][ $cur ] = $row['money'][ $cur ] ?? array(
				'currency'    => $cur,
				'revenue_net' => 0,
				'commissions' => 0,
			);
			$row['money'][ $cur ]['revenue_net'] += (int) $r['revenue_net'];
			$row['money'][ $cur ]['commissions'] += (int) $r['commissions'];
			unset( $row );
		}
		foreach ( $rows as $id => $row ) {
			ksort( $row['money'], SORT_STRING );
			$row['money']           = array_values( $row['money'] );
			$row['conversion_rate'] = self::ratio( $row['sales']['net'], $row['clicks'] );
			$rows[ $id ]            = $row;
		}
		$rows = array_values( $rows );
		// usort is stable: equal clicks keep the newest creative first.
		usort( $rows, fn( $a, $b ) => $b['clicks'] <=> $a['clicks'] );
		return array(
			'from' => Reftrail_Db::rfc3339( $from ),
			'to'   => Reftrail_Db::rfc3339( $to ),
			'rows' => $rows,
		);
	}

	/**
	 * Which of an affiliate's links sell (`GET /v1/reports/campaigns`, and `GET /v1/me/campaigns`
	 * for the affiliate's own rows): a row per affiliate and campaign with a click or a referral
	 * in `[$from, $to)`, widened to whole UTC days as the server's. A click's campaign is its
	 * `utm_campaign`, else its `campaign` (Reftrail_Tracking::campaign_name()); a referral's the
	 * one it was created with; null for neither. Per row: the non-bot clicks (by the click's day)
	 * and unique ones, the leads and sales created in the period (gross, and net of reversed and
	 * rejected ones), net sales / clicks, and per currency of its referrals the affiliates report's
	 * money restricted to the campaign: sale amounts (all statuses), their amounts less refunds
	 * (rejected ones left out), the referrals' net commission in the ledger and EPC per 100 clicks.
	 * Campaigns are told apart byte for byte (case and accents kept), not by the tables' collation.
	 * Sorted by clicks, then net sales (both descending), then affiliate and campaign (byte-wise,
	 * no campaign first); the first `$limit`.
	 *
	 * @param int    $from      From (Reftrail_Input::range()).
	 * @param int    $to        To.
	 * @param string $affiliate Only this affiliate's rows ('' for all).
	 * @param int    $limit     At most this many rows.
	 * @return array `from`, `to`, `rows`.
	 */
	public static function campaigns( $from, $to, $affiliate, $limit ) {
		global $wpdb;
		$from  = intdiv( $from, Reftrail_Db::DAY ) * Reftrail_Db::DAY;
		$to    = intdiv( $to + Reftrail_Db::DAY - 1, Reftrail_Db::DAY ) * Reftrail_Db::DAY;
		$rows  = array();
		$empty = array(
			'gross' => 0,
			'net'   => 0,
		);
		$row   = function ( $aff, $campaign ) use ( &$rows, $empty ) {
			$k = $aff . "\0" . ( null === $campaign ? '' : "\1" . $campaign );
			if ( ! isset( $rows[ $k ] ) ) {
				$rows[ $k ] = array(
					'affiliate'              => (string) $aff,
					'campaign'               => $campaign,
					'clicks'                 => 0,
					'unique_clicks'          => 0,
					'sales'                  => $empty,
					'leads'                  => $empty,
					'conversion_rate_clicks' => null,
					'money'                  => array(),
				);
			}
			return $k;
		};
		// Clicks grouped by their stored tags (the whole text, by its hash: the same tags are the
		// same bytes, as the click wrote them sorted), whose campaign is then read in PHP.
		$ct  = Reftrail_Db::table( 'clicks' );
		$sql = "SELECT c.affiliate_id AS a, MD5(c.campaign) AS h, MIN(c.campaign) AS tags, COUNT(*) AS n, COALESCE(SUM(c.is_unique), 0) AS uniq
			FROM {$ct} c WHERE c.at >= %d AND c.at < %d AND c.is_bot = 0 AND c.affiliate_id IS NOT NULL AND (%s = '' OR c.affiliate_id = %s) GROUP BY c.affiliate_id, h";
		foreach ( $wpdb->get_results( $wpdb->prepare( $sql, $from, $to, $affiliate, $affiliate ), ARRAY_A ) as $r ) { // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- the table name is ours; every value is bound.
			$k                            = $row( $r['a'], Reftrail_Tracking::campaign_name( $r['tags'] ) );
			$rows[ $k ]['clicks']        += (int) $r['n'];
			$rows[ $k ]['unique_clicks'] += (int) $r['uniq'];
		}
		$rt  = Reftrail_Db::table( 'referrals' );
		$ft  = Reftrail_Db::table( 'refunds' );
		$gt  = Reftrail_Db::table( 'ledger' );
		$sql = "SELECT r.affiliate_id AS a, BINARY r.campaign AS cmp, r.currency, r.kind, COUNT(*) AS gross,
			SUM(CASE WHEN r.status IN ('reversed', 'rejected') THEN 0 ELSE 1 END) AS net,
			SUM(r.amount) AS revenue_gross,
			SUM(CASE WHEN r.status = 'rejected' THEN 0 ELSE r.amount - COALESCE((SELECT SUM(f.amount) FROM {$ft} f WHERE f.order_ref = r.source_id), 0) END) AS revenue_net,
			SUM(COALESCE((SELECT SUM(g.amount) FROM {$gt} g WHERE g.referral_id = r.id), 0)) AS commissions
			FROM {$rt} r WHERE r.at >= %d AND r.at < %d AND (%s = '' OR r.affiliate_id = %s) GROUP BY r.affiliate_id, cmp, r.currency, r.kind";
		foreach ( $wpdb->get_results( $wpdb->prepare( $sql, $from, $to, $affiliate, $affiliate ), ARRAY_A ) as $r ) { // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- table names are ours; every value is bound.
			$k      = $row( $r['a'], null === $r['cmp'] ? null : (string) $r['cmp'] );
			$counts = 'sale' === $r['kind'] ? 'sales' : 'leads';
			$rows[ $k ][ $counts ]['gross'] += (int) $r['gross'];
			$rows[ $k ][ $counts ]['net']   += (int) $r['net'];
			$cur                             = $r['currency'];
			if ( ! isset( $rows[ $k ]['money'][ $cur ] ) ) {
				$rows[ $k ]['money'][ $cur ] = array(
					'currency'      => $cur,
					'revenue_gross' => 0,
					'revenue_net'   => 0,
					'commissions'   => 0,
					'epc_per_100'   => 0,
				);
			}
			$m = &$rows[ $k ]['money'][ $cur ];
			if ( 'sale' === $r['kind'] ) {
				$m['revenue_gross'] += (int) $r['revenue_gross'];
				$m['revenue_net']   += (int) $r['revenue_net'];
			}
			$m['commissions'] += (int) $r['commissions'];
			unset( $m );
		}
		foreach ( $rows as $k => $v ) {
			foreach ( $v['money'] as $cur => $m ) {
				$v['money'][ $cur ]['epc_per_100'] = self::div_round( $m['commissions'] * 100, $v['clicks'] );
			}
			ksort( $v['money'], SORT_STRING );
			$v['money']                  = array_values( $v['money'] );
			$v['conversion_rate_clicks'] = self::ratio( $v['sales']['net'], $v['clicks'] );
			$rows[ $k ]                  = $v;
		}
		$rows = array_values( $rows );
		usort(
			$rows,
			function ( $x, $y ) {
				return array( $y['clicks'], $y['sales']['net'] ) <=> array( $x['clicks'], $x['sales']['net'] )
					?: strcmp( $x['affiliate'], $y['affiliate'] )
					?: ( null === $x['campaign'] ? -1 : 0 ) - ( null === $y['campaign'] ? -1 : 0 )
					?: strcmp( (string) $x['campaign'], (string) $y['campaign'] );
			}
		);
		return array(
			'from' => Reftrail_Db::rfc3339( $from ),
			'to'   => Reftrail_Db::rfc3339( $to ),
			'rows' => array_slice( $rows, 0, $limit ),
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
		// The merchant's cost figures are not the affiliate's to see; their ROAS counts what they
		// were given (commissions and bonuses), not what the merchant's transfers cost.
		foreach ( $k['money'] as $i => $m ) {
			foreach ( array( 'fees', 'channel_cost', 'cost_of_goods', 'sales_without_cost', 'roi', 'roi_percent', 'contribution_margin' ) as $field ) {
				$k['money'][ $i ][ $field ] = null;
			}
			$roas                            = self::ratio( $m['revenue_net'], $m['commissions'] + $m['bonuses'] );
			$k['money'][ $i ]['roas']         = $roas;
			$k['money'][ $i ]['roas_percent'] = null === $roas ? null : round( $roas * 100, 2 );
		}
		return $k;
	}

	/**
	 * The answer of `GET /v1/me/daily` (and the merchant's `/v1/affiliates/{id}/daily`) for
	 * `$affiliate` over the period the query names, narrowed to its campaign if it names one:
	 * `from`, `to` and every day.
	 *
	 * @param string     $affiliate Affiliate id.
	 * @param mixed|null $from      The query's `from`.
	 * @param mixed|null $to        The query's `to`.
	 * @param mixed|null $campaign  The query's `campaign` (trimmed; empty is none).
	 * @return array
	 * @throws Reftrail_Http_Error 400 invalid_range, invalid_query or invalid_campaign.
	 */
	public static function daily_answer( $affiliate, $from, $to, $campaign = null ) {
		list( $from, $to ) = Reftrail_Input::day_range( $from, $to );
		if ( $to - $from > 400 * Reftrail_Db::DAY ) {
			throw Reftrail_Http_Error::bad( 'invalid_range', 'a daily report covers at most 400 days' );
		}
		if ( null !== $campaign && ! is_string( $campaign ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_query', 'campaign must be given once' );
		}
		return array(
			'from' => Reftrail_Db::rfc3339( $from ),
			'to'   => Reftrail_Db::rfc3339( $to ),
			'days' => self::daily( $affiliate, $from, $to, Reftrail_Short_Links::check_campaign( $campaign ) ),
		);
	}

	/**
	 * An affiliate's figures day by day (`GET /v1/me/daily`), as the server's `me_daily`: every
	 * UTC day of `[$from, $to)` (whole days, Reftrail_Input::day_range()), oldest first, with its
	 * non-bot clicks on their links, the sales and leads they made that day (by the referral's
	 * time) that still count (neither rejected nor reversed), and per currency the commission of
	 * those referrals as the ledger holds it now (net of reversals); a currency whose sum is 0 is
	 * left out, the others sorted by code. With a campaign, only its clicks (those whose campaign,
	 * Reftrail_Tracking::campaign_name(), is that name) and the referrals made with it, names
	 * compared byte for byte as the campaigns report tells them apart.
	 *
	 * @param string      $affiliate Affiliate.
	 * @param int         $from      The first day's start.
	 * @param int         $to        The start of the day after the last.
	 * @param string|null $campaign  Only this campaign's clicks and referrals; null for all.
	 * @return array[] `{"day", "clicks", "sales", "leads", "commissions": [{"currency", "amount"}]}`.
	 */
	public static function daily( $affiliate, $from, $to, $campaign = null ) {
		global $wpdb;
		$first = intdiv( $from, Reftrail_Db::DAY );
		$days  = array();
		$money = array();
		for ( $d = $first; $d < intdiv( $to, Reftrail_Db::DAY ); $d++ ) {
			$days[ $d ]  = array(
				'day'         => gmdate( 'Y-m-d', $d * Reftrail_Db::DAY ),
				'clicks'      => 0,
				'sales'       => 0,
				'leads'       => 0,
				'commissions' => array(),
			);
			$money[ $d ] = array();
		}
		$ct = Reftrail_Db::table( 'clicks' );
		if ( null === $campaign ) {
			$sql  = "SELECT FLOOR(c.at / 86400) AS d, COUNT(*) AS n FROM {$ct} c WHERE c.affiliate_id = %s AND c.at >= %d AND c.at < %d AND c.is_bot = 0 GROUP BY d";
			$rows = $wpdb->get_results( $wpdb->prepare( $sql, $affiliate, $from, $to ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- the table name is ours; every value is bound.
		} else {
			// Grouped by the clicks' stored tags (by their hash, as the campaigns report does),
			// whose campaign is then read in PHP.
			$sql  = "SELECT FLOOR(c.at / 86400) AS d, MD5(c.campaign) AS h, MIN(c.campaign) AS tags, COUNT(*) AS n FROM {$ct} c WHERE c.affiliate_id = %s AND c.at >= %d AND c.at < %d AND c.is_bot = 0 AND c.campaign IS NOT NULL GROUP BY d, h";
			$rows = array_filter(
				$wpdb->get_results( $wpdb->prepare( $sql, $affiliate, $from, $to ), ARRAY_A ), // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- the table name is ours; every value is bound.
				fn( $r ) => Reftrail_Tracking::campaign_name( $r['tags'] ) === $campaign
			);
		}
		foreach ( $rows as $r ) {
			if ( isset( $days[ (int) $r['d'] ] ) ) {
				$days[ (int) $r['d'] ]['clicks'] += (int) $r['n'];
			}
		}
		$rt  = Reftrail_Db::table( 'referrals' );
		$gt  = Reftrail_Db::table( 'ledger' );
		$sql = "SELECT FLOOR(r.at / 86400) AS d, r.kind, r.currency, COUNT(*) AS n,
			SUM(COALESCE((SELECT SUM(g.amount) FROM {$gt} g WHERE g.referral_id = r.id), 0)) AS commission
			FROM {$rt} r WHERE r.affiliate_id = %s AND r.at >= %d AND r.at < %d AND r.status NOT IN ('rejected', 'reversed') AND (%d = 0 OR BINARY r.campaign = %s) GROUP BY d, r.kind, r.currency";
		foreach ( $wpdb->get_results( $wpdb->prepare( $sql, $affiliate, $from, $to, null === $campaign ? 0 : 1, (string) $campaign ), ARRAY_A ) as $r ) { // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- table names are ours; every value is bound.
			$d = (int) $r['d'];
			if ( ! isset( $days[ $d ] ) ) {
				continue;
			}
			$days[ $d ][ 'lead' === $r['kind'] ? 'leads' : 'sales' ] += (int) $r['n'];
			$money[ $d ][ $r['currency'] ]                            = ( $money[ $d ][ $r['currency'] ] ?? 0 ) + (int) $r['commission'];
		}
		foreach ( $money as $d => $sums ) {
			ksort( $sums, SORT_STRING );
			foreach ( $sums as $currency => $amount ) {
				if ( 0 !== $amount ) {
					$days[ $d ]['commissions'][] = array(
						'currency' => (string) $currency,
						'amount'   => $amount,
					);
				}
			}
		}
		return array_values( $days );
	}
}
