<?php
/**
 * Referrals and their money: the append-only ledger (buckets pending, approved, paid), the
 * referral view of the API, approval, rejection, automatic approval after the hold period,
 * balances and payouts. Rows of the ledger are never updated or deleted. A bonus's money
 * (Reftrail_Bonuses) moves in the same ledger under its `bonus_id`, and a recruiter's share of a
 * recruit's commission (Reftrail_Recruiters) under its `recruiter_commission_id`, changed in the
 * transaction of the referral change that drives it.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * The ledger.
 */
final class Reftrail_Ledger {

	/** Referral statuses. */
	const STATUSES = array( 'pending', 'approved', 'paid', 'rejected', 'reversed' );

	/**
	 * Appends one row (nothing for a zero amount).
	 *
	 * @param string      $affiliate Affiliate.
	 * @param string|null $referral  Referral id.
	 * @param string|null $payout    Payout id.
	 * @param string      $bucket    pending|approved|paid.
	 * @param string      $entry     commission|approval|reversal|rejection|payout|bonus|bonus_cancel|
	 *                               recruiter_commission.
	 * @param int         $amount    Signed minor units.
	 * @param string      $currency  Code.
	 * @param string|null $bonus     Bonus id.
	 * @param string|null $recruiter_commission Recruiter commission id.
	 * @return bool Whether the row was written (a zero amount writes none).
	 */
	public static function append( $affiliate, $referral, $payout, $bucket, $entry, $amount, $currency, $bonus = null, $recruiter_commission = null ) {
		global $wpdb;
		if ( 0 === (int) $amount ) {
			return true;
		}
		return false !== $wpdb->insert(
			Reftrail_Db::table( 'ledger' ),
			array(
				'id'                      => Reftrail_Db::new_id( 'led' ),
				'at'                      => Reftrail_Db::now(),
				'affiliate_id'            => $affiliate,
				'referral_id'             => $referral,
				'bonus_id'                => $bonus,
				'recruiter_commission_id' => $recruiter_commission,
				'payout_id'               => $payout,
				'bucket'                  => $bucket,
				'entry'                   => $entry,
				'amount'                  => (int) $amount,
				'currency'                => $currency,
			),
			array( '%s', '%d', '%s', '%s', '%s', '%s', '%s', '%s', '%s', '%d', '%s' )
		);
	}

	/**
	 * A referral's money per bucket: [pending, approved, paid].
	 *
	 * @param string $id Referral id.
	 * @return int[]
	 */
	public static function buckets( $id ) {
		global $wpdb;
		$t    = Reftrail_Db::table( 'ledger' );
		$rows = $wpdb->get_results( $wpdb->prepare( "SELECT bucket, SUM(amount) AS s FROM {$t} WHERE referral_id = %s GROUP BY bucket", $id ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$b    = array(
			'pending'  => 0,
			'approved' => 0,
			'paid'     => 0,
		);
		foreach ( $rows as $r ) {
			$b[ $r['bucket'] ] = (int) $r['s'];
		}
		return array( $b['pending'], $b['approved'], $b['paid'] );
	}

	/**
	 * What refunds have reversed from a referral so far.
	 *
	 * @param string $id Referral id.
	 * @return int
	 */
	public static function reversed( $id ) {
		global $wpdb;
		$t = Reftrail_Db::table( 'ledger' );
		return -(int) $wpdb->get_var( $wpdb->prepare( "SELECT COALESCE(SUM(amount), 0) FROM {$t} WHERE referral_id = %s AND entry = 'reversal'", $id ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
	}

	/**
	 * The SELECT of the referral view.
	 *
	 * @return string
	 */
	private static function select() {
		$r = Reftrail_Db::table( 'referrals' );
		$o = Reftrail_Db::table( 'orders' );
		$l = Reftrail_Db::table( 'leads' );
		$g = Reftrail_Db::table( 'ledger' );
		return "SELECT r.*, o.order_id AS order_id, l.event AS event,
			COALESCE((SELECT SUM(g.amount) FROM {$g} g WHERE g.referral_id = r.id), 0) AS commission_net
			FROM {$r} r LEFT JOIN {$o} o ON o.id = r.source_id LEFT JOIN {$l} l ON l.id = r.source_id";
	}

	/**
	 * A referral row as the API shows it.
	 *
	 * @param array $row Row of select().
	 * @return array
	 */
	public static function view_of( array $row ) {
		return array(
			'id'             => $row['id'],
			'kind'           => $row['kind'],
			'affiliate'      => $row['affiliate_id'],
			'order_id'       => $row['order_id'],
			'event'          => $row['event'],
			'at'             => Reftrail_Db::rfc3339( $row['at'] ),
			'amount'         => (int) $row['amount'],
			'currency'       => $row['currency'],
			'commission'     => (int) $row['commission'],
			'commission_net' => (int) $row['commission_net'],
			'status'         => $row['status'],
			'verified'       => (bool) (int) $row['verified'],
			'attributed_by'  => $row['attributed_by'],
			'campaign'       => null === $row['campaign'] ? null : (string) $row['campaign'],
			'flags'          => json_decode( $row['flags'], true ) ?: array(),
			'hold_until'     => Reftrail_Db::rfc3339( $row['hold_until'] ),
			'payout_id'      => $row['payout_id'],
		);
	}

	/**
	 * One referral's view.
	 *
	 * @param string $id Referral id.
	 * @return array
	 * @throws Reftrail_Http_Error 404.
	 */
	public static function view( $id ) {
		global $wpdb;
		$row = $wpdb->get_row( $wpdb->prepare( self::select() . ' WHERE r.id = %s', $id ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		if ( ! $row ) {
			throw new Reftrail_Http_Error( 404, 'referral_not_found', 'no referral has this id' );
		}
		return self::view_of( $row );
	}

	/** The most referrals one CSV export holds; a larger one asks for a shorter period. */
	const MAX_EXPORT = 100000;

	/** The columns of the referral ledger's CSV. */
	const CSV_HEADER = array( 'referral_id', 'at', 'kind', 'affiliate', 'order_id', 'event', 'currency', 'amount', 'commission', 'commission_net', 'status', 'attributed_by', 'verified', 'flags', 'hold_until', 'payout_id', 'campaign' );

	/**
	 * The WHERE clause of the referrals `$q` selects, with its arguments. A campaign matches byte
	 * for byte (BINARY: the tables' collation would take `spring` for `Spring`, `Tet` for `Tết`
	 * and ignore trailing spaces).
	 *
	 * @param array $q `status`, `affiliate`, `campaign` (string|null; absent: any), `flagged`
	 *                 (bool|null), `verified` (bool|null), `from`, `to`.
	 * @return array [SQL, arguments]
	 */
	private static function where( array $q ) {
		$where = array( 'r.at >= %d', 'r.at < %d' );
		$args  = array( $q['from'], $q['to'] );
		if ( '' !== $q['status'] ) {
			$where[] = 'r.status = %s';
			$args[]  = $q['status'];
		}
		if ( '' !== $q['affiliate'] ) {
			$where[] = 'r.affiliate_id = %s';
			$args[]  = $q['affiliate'];
		}
		if ( null !== ( $q['campaign'] ?? null ) ) {
			$where[] = 'BINARY r.campaign = %s';
			$args[]  = (string) $q['campaign'];
		}
		if ( true === $q['flagged'] ) {
			$where[] = "r.flags <> '[]'";
		} elseif ( false === $q['flagged'] ) {
			$where[] = "r.flags = '[]'";
		}
		if ( null !== $q['verified'] ) {
			$where[] = 'r.verified = %d';
			$args[]  = $q['verified'] ? 1 : 0;
		}
		return array( implode( ' AND ', $where ), $args );
	}

	/**
	 * Referrals, newest first. Referrals of one second go by id, compared byte-wise: ids sort by
	 * creation time that way, and the tables' case-insensitive collation would mix them up.
	 *
	 * @param array $q The filters of where(), `limit`, `offset`.
	 * @return array
	 */
	public static function index( array $q ) {
		global $wpdb;
		list( $where, $args ) = self::where( $q );
		$args[]               = $q['limit'];
		$args[]               = $q['offset'];
		$sql                  = self::select() . ' WHERE ' . $where . ' ORDER BY r.at DESC, BINARY r.id DESC LIMIT %d OFFSET %d';
		$rows                 = $wpdb->get_results( $wpdb->prepare( $sql, $args ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		return array_map( array( __CLASS__, 'view_of' ), $rows );
	}

	/**
	 * How many referrals `$q` selects, whatever page index() answers of them.
	 *
	 * @param array $q The filters of where().
	 * @return int
	 */
	public static function count( array $q ) {
		global $wpdb;
		list( $where, $args ) = self::where( $q );
		$r                    = Reftrail_Db::table( 'referrals' );
		return (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$r} r WHERE {$where}", $args ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
	}

	/**
	 * The referrals `$q` selects (the filters of index(), without paging) as CSV, in index()'s
	 * order: a header row, then one row per referral with its times in RFC 3339 UTC, its amounts
	 * as decimals in the currency's units, its flags joined by a space, empty cells for what it
	 * lacks, its campaign last, and an order id, event or campaign that a spreadsheet would run as
	 * a formula made text. Read in pages of 1000 in one transaction (one snapshot of the table).
	 *
	 * @param array $q The filters of where().
	 * @return string
	 * @throws Reftrail_Http_Error 422 export_too_large beyond MAX_EXPORT referrals.
	 */
	public static function referrals_csv( array $q ) {
		global $wpdb;
		$too_large = fn() => new Reftrail_Http_Error( 422, 'export_too_large', 'more than 100,000 referrals match: export a shorter period' );
		return Reftrail_Db::transaction(
			function () use ( $wpdb, $q, $too_large ) {
				list( $where, $args ) = self::where( $q );
				$r                    = Reftrail_Db::table( 'referrals' );
				$count                = (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM (SELECT 1 FROM {$r} r WHERE {$where} LIMIT %d) x", array_merge( $args, array( self::MAX_EXPORT + 1 ) ) ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
				if ( $count > self::MAX_EXPORT ) {
					throw $too_large();
				}
				$out   = self::csv_row( self::CSV_HEADER );
				$n     = 0;
				$after = null;
				do {
					$page_where = $where;
					$page_args  = $args;
					if ( null !== $after ) {
						$page_where .= ' AND (r.at < %d OR (r.at = %d AND BINARY r.id < %s))';
						array_push( $page_args, $after[0], $after[0], $after[1] );
					}
					// The second of the page's last row, read in the `at` index's order: the page then
					// sorts only the rows from that second on, not every row left.
					$floor = $wpdb->get_var( $wpdb->prepare( "SELECT r.at FROM {$r} r WHERE {$page_where} ORDER BY r.at DESC LIMIT 1 OFFSET 999", $page_args ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
					if ( null !== $floor ) {
						$page_where .= ' AND r.at >= %d';
						$page_args[] = (int) $floor;
					}
					$page_args[] = 1000;
					$rows        = $wpdb->get_results( $wpdb->prepare( self::select() . ' WHERE ' . $page_where . ' ORDER BY r.at DESC, BINARY r.id DESC LIMIT %d', $page_args ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
					$n          += count( $rows );
					if ( $n > self::MAX_EXPORT ) {
						throw $too_large();
					}
					foreach ( $rows as $row ) {
						$v    = self::view_of( $row );
						$out .= self::csv_row(
							array(
								$v['id'],
								$v['at'],
								$v['kind'],
								$v['affiliate'],
								self::text_cell( (string) $v['order_id'] ),
								self::text_cell( (string) $v['event'] ),
								$v['currency'],
								Reftrail_Input::decimal( $v['amount'], $v['currency'] ),
								Reftrail_Input::decimal( $v['commission'], $v['currency'] ),
								Reftrail_Input::decimal( $v['commission_net'], $v['currency'] ),
								$v['status'],
								$v['attributed_by'],
								$v['verified'] ? 'true' : 'false',
								implode( ' ', $v['flags'] ),
								$v['hold_until'],
								(string) $v['payout_id'],
								self::text_cell( (string) $v['campaign'] ),
							)
						);
					}
					if ( $rows ) {
						$last  = end( $rows );
						$after = array( (int) $last['at'], (string) $last['id'] );
					}
				} while ( 1000 === count( $rows ) );
				return $out;
			}
		);
	}

	/**
	 * `$s` as a spreadsheet shows it: one starting with `=`, `+`, `-` or `@` would be a formula
	 * (and one starting with a tab or a carriage return may be read as one), so it gets a leading
	 * `'`.
	 *
	 * @param string $s Text.
	 * @return string
	 */
	public static function text_cell( $s ) {
		return ( '' !== $s && false !== strpos( "=+-@\t\r", $s[0] ) ) ? "'" . $s : $s;
	}

	/**
	 * One CSV record with its line break (RFC 4180): a field holding a comma, a double quote or a
	 * line break is quoted, its double quotes doubled; nothing else is (the server's writer).
	 *
	 * @param string[] $fields Fields.
	 * @return string
	 */
	public static function csv_row( array $fields ) {
		$cell = fn( $s ) => ( strpbrk( (string) $s, ",\"\r\n" ) !== false ) ? '"' . str_replace( '"', '""', (string) $s ) . '"' : (string) $s;
		return implode( ',', array_map( $cell, $fields ) ) . "\n";
	}

	/**
	 * Creates a referral with its first ledger row; approves it at once when the program
	 * auto-approves, the hold is zero and nothing is flagged. The affiliate's recruiter gets their
	 * share of it (Reftrail_Recruiters) in the caller's transaction. Told in that order:
	 * `reftrail_referral_created`, then `reftrail_referral_approved` for one approved at once (the
	 * referral as created, approved), then `reftrail_recruiter_commission_created`.
	 *
	 * @param array $r `kind`, `source_id`, `affiliate`, `at`, `amount`, `currency`, `commission`,
	 *                 `verified`, `attributed_by`, `campaign` (of what credited it; null for none),
	 *                 `flags`, `eligible`.
	 * @return array The referral view.
	 */
	public static function create( array $r ) {
		global $wpdb;
		$program  = Reftrail_Program::get();
		$id       = Reftrail_Db::new_id( 'ref' );
		$now      = Reftrail_Db::now();
		$eligible = $r['eligible'] ?? true;
		$auto     = $program['auto_approve'] && $r['verified'] && ! $r['flags'] && 0 === (int) $program['hold_days'] && $eligible;
		$wpdb->insert(
			Reftrail_Db::table( 'referrals' ),
			array(
				'id'            => $id,
				'kind'          => $r['kind'],
				'source_id'     => $r['source_id'],
				'affiliate_id'  => $r['affiliate'],
				'at'            => $r['at'],
				'amount'        => $r['amount'],
				'currency'      => $r['currency'],
				'commission'    => $r['commission'],
				'status'        => $auto ? 'approved' : 'pending',
				'verified'      => $r['verified'] ? 1 : 0,
				'attributed_by' => $r['attributed_by'],
				'flags'         => wp_json_encode( array_values( $r['flags'] ) ),
				'hold_until'    => max( $r['at'], $now ) + (int) $program['hold_days'] * Reftrail_Db::DAY,
				'eligible'      => $eligible ? 1 : 0,
				'decided_at'    => $auto ? $now : null,
				'campaign'      => $r['campaign'] ?? null,
			),
			array( '%s', '%s', '%s', '%s', '%d', '%d', '%s', '%d', '%s', '%d', '%s', '%s', '%d', '%d', '%d', '%s' )
		);
		self::append( $r['affiliate'], $id, null, 'pending', 'commission', $r['commission'], $r['currency'] );
		if ( $auto ) {
			self::append( $r['affiliate'], $id, null, 'pending', 'approval', -$r['commission'], $r['currency'] );
			self::append( $r['affiliate'], $id, null, 'approved', 'approval', $r['commission'], $r['currency'] );
		}
		$share = Reftrail_Recruiters::created( (int) $program['recruiter_rate_bps'], $id );
		$view  = self::view( $id );
		do_action( 'reftrail_referral_created', $view );
		if ( $auto ) {
			do_action( 'reftrail_referral_approved', $view );
		}
		// Then the recruiter's share of it, after the referral it follows (its webhook event and
		// its email come after the referral's own).
		if ( null !== $share ) {
			do_action( 'reftrail_recruiter_commission_created', $share );
		}
		return $view;
	}

	/**
	 * Moves a pending referral's money to approved, and its recruiter's share with it; false if it
	 * was not pending.
	 *
	 * @param string $id Referral id.
	 * @return bool
	 */
	private static function approve_in( $id ) {
		global $wpdb;
		$t       = Reftrail_Db::table( 'referrals' );
		$changed = $wpdb->query( $wpdb->prepare( "UPDATE {$t} SET status = 'approved', decided_at = %d WHERE id = %s AND status = 'pending'", Reftrail_Db::now(), $id ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		if ( 1 !== (int) $changed ) {
			return false;
		}
		$row           = $wpdb->get_row( $wpdb->prepare( "SELECT affiliate_id, currency FROM {$t} WHERE id = %s", $id ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		list( $pending ) = self::buckets( $id );
		self::append( $row['affiliate_id'], $id, null, 'pending', 'approval', -$pending, $row['currency'] );
		self::append( $row['affiliate_id'], $id, null, 'approved', 'approval', $pending, $row['currency'] );
		Reftrail_Recruiters::approved( $id );
		return true;
	}

	/**
	 * Approves by hand (also flagged, unverified, or before the hold ends). Approved by `$by`, the
	 * move from pending is recorded (`referral.approved`) in the same transaction.
	 *
	 * @param string      $id Referral id.
	 * @param string|null $by Who approves it, as the activity log names them; null: not recorded.
	 * @return array
	 * @throws Reftrail_Http_Error 404, 409 or 503.
	 */
	public static function approve( $id, $by = null ) {
		return Reftrail_Db::locked(
			'referral:' . $id,
			function () use ( $id, $by ) {
				return Reftrail_Db::transaction(
					function () use ( $id, $by ) {
						$before = self::view( $id );
						if ( in_array( $before['status'], array( 'approved', 'paid' ), true ) ) {
							return $before;
						}
						if ( 'pending' !== $before['status'] ) {
							throw new Reftrail_Http_Error( 409, 'invalid_status', sprintf( 'a %s referral cannot be approved', $before['status'] ) );
						}
						$moved = self::approve_in( $id );
						$view  = self::view( $id );
						do_action( 'reftrail_referral_approved', $view );
						if ( $moved && null !== $by ) {
							Reftrail_Activity::record( $by, 'referral.approved', $id, $view['affiliate'], array() );
						}
						return $view;
					}
				);
			}
		);
	}

	/**
	 * Rejects a pending or approved referral: its remaining commission leaves the ledger, and its
	 * recruiter's share too (Reftrail_Recruiters::rejected()). Rejected
	 * by `$by`, it is recorded (`referral.rejected`, with the reason) in the same transaction.
	 *
	 * @param string      $id     Referral id.
	 * @param string|null $by     Who rejects it, as the activity log names them; null: not recorded.
	 * @param string|null $reason Why, if they said.
	 * @return array
	 * @throws Reftrail_Http_Error 404, 409 or 503.
	 */
	public static function reject( $id, $by = null, $reason = null ) {
		global $wpdb;
		return Reftrail_Db::locked(
			'referral:' . $id,
			function () use ( $id, $wpdb, $by, $reason ) {
				return Reftrail_Db::transaction(
					function () use ( $id, $wpdb, $by, $reason ) {
						$before = self::view( $id );
						if ( 'rejected' === $before['status'] ) {
							return $before;
						}
						if ( ! in_array( $before['status'], array( 'pending', 'approved' ), true ) ) {
							throw new Reftrail_Http_Error( 409, 'invalid_status', sprintf( 'a %s referral cannot be rejected', $before['status'] ) );
						}
						$t = Reftrail_Db::table( 'referrals' );
						$wpdb->query( $wpdb->prepare( "UPDATE {$t} SET status = 'rejected', decided_at = %d WHERE id = %s", Reftrail_Db::now(), $id ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
						list( $pending, $approved ) = self::buckets( $id );
						self::append( $before['affiliate'], $id, null, 'pending', 'rejection', -$pending, $before['currency'] );
						self::append( $before['affiliate'], $id, null, 'approved', 'rejection', -$approved, $before['currency'] );
						Reftrail_Recruiters::rejected( $id );
						$view = self::view( $id );
						do_action( 'reftrail_referral_reversed', $view );
						if ( null !== $by ) {
							Reftrail_Activity::record( $by, 'referral.rejected', $id, $view['affiliate'], array( 'reason' => $reason ) );
						}
						return $view;
					}
				);
			}
		);
	}

	/**
	 * Approves every verified, unflagged, eligible pending referral whose hold ended (when the
	 * program auto-approves). Also run hourly by WP-Cron.
	 *
	 * @return int How many.
	 */
	public static function approve_due() {
		global $wpdb;
		$program = Reftrail_Program::get();
		if ( ! $program['auto_approve'] ) {
			return 0;
		}
		$t   = Reftrail_Db::table( 'referrals' );
		$ids = $wpdb->get_col( $wpdb->prepare( "SELECT id FROM {$t} WHERE status = 'pending' AND hold_until <= %d AND verified = 1 AND eligible = 1 AND flags = '[]' ORDER BY hold_until LIMIT 500", Reftrail_Db::now() ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$n   = 0;
		foreach ( $ids as $id ) {
			$done = Reftrail_Db::locked( 'referral:' . $id, fn() => Reftrail_Db::transaction( fn() => self::approve_in( $id ) ) );
			if ( $done ) {
				do_action( 'reftrail_referral_approved', self::view( $id ) );
				++$n;
			}
		}
		return $n;
	}

	/**
	 * Makes a referral eligible for approval (its order was paid): the hold starts now.
	 *
	 * @param string $id Referral id.
	 */
	public static function make_eligible( $id ) {
		global $wpdb;
		$t       = Reftrail_Db::table( 'referrals' );
		$program = Reftrail_Program::get();
		$until   = Reftrail_Db::now() + (int) $program['hold_days'] * Reftrail_Db::DAY;
		$wpdb->query( $wpdb->prepare( "UPDATE {$t} SET eligible = 1, hold_until = %d WHERE id = %s AND eligible = 0", $until, $id ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
	}

	/**
	 * Balances per affiliate and currency.
	 *
	 * @param string $affiliate Only this affiliate's ('' for all).
	 * @return array
	 */
	public static function balances( $affiliate = '' ) {
		global $wpdb;
		$t    = Reftrail_Db::table( 'ledger' );
		$rows = $wpdb->get_results(
			$wpdb->prepare(
				"SELECT affiliate_id, currency, SUM(CASE WHEN bucket = 'pending' THEN amount ELSE 0 END) AS pending,
				SUM(CASE WHEN bucket = 'approved' THEN amount ELSE 0 END) AS approved, SUM(CASE WHEN bucket = 'paid' THEN amount ELSE 0 END) AS paid
				FROM {$t} WHERE (%s = '' OR affiliate_id = %s) GROUP BY affiliate_id, currency ORDER BY affiliate_id, currency", // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
				$affiliate,
				$affiliate
			),
			ARRAY_A
		);
		return array_map(
			fn( $r ) => array(
				'affiliate' => $r['affiliate_id'],
				'currency'  => $r['currency'],
				'pending'   => (int) $r['pending'],
				'approved'  => (int) $r['approved'],
				'paid'      => (int) $r['paid'],
			),
			$rows
		);
	}

	/**
	 * A payout line as the API shows it, from its row: PayPal lines have a `paypal_email`; bank
	 * lines have the affiliate's details as they stood at the payout and, when the line is in the
	 * currency the method's banking apps read, the QR payload that pays it (the payout id as the
	 * transfer note); `sent_at`, when the merchant marked its transfer as sent (null: not yet), and
	 * `fee`, what that transfer cost the merchant (null: none recorded). `amount` is what the
	 * affiliate is paid (what the QR code pays), `withheld` the tax kept back for the tax office,
	 * `gross` their sum: what the line settled of the balance, `referrals`, `bonuses` and
	 * `recruiter_commissions` how many of each it settled.
	 *
	 * @param array  $row    `affiliate_id`, `currency`, `amount`, `paypal_email`, `referrals`,
	 *                       `method`, `bank`, `account`, `account_name`, `withheld`, `tax_id`,
	 *                       `bonuses`, `recruiter_commissions`, and `sent_at` and `fee` once stored.
	 * @param string $payout Payout id.
	 * @return array
	 */
	private static function line_of( array $row, $payout ) {
		$bank     = 'paypal' !== $row['method'];
		$withheld = (int) ( $row['withheld'] ?? 0 );
		return array(
			'affiliate'             => $row['affiliate_id'],
			'currency'              => $row['currency'],
			'amount'                => (int) $row['amount'],
			'gross'                 => (int) $row['amount'] + $withheld,
			'withheld'              => $withheld,
			'tax_id'                => $row['tax_id'] ?? null,
			'method'                => $row['method'],
			'paypal_email'          => $bank ? null : $row['paypal_email'],
			'bank'                  => $row['bank'],
			'account'               => $row['account'],
			'account_name'          => $row['account_name'],
			'transfer_qr'           => $bank ? Reftrail_Bank_Transfer::transfer_qr(
				array(
					'method'  => $row['method'],
					'bank'    => $row['bank'],
					'account' => $row['account'],
					'name'    => $row['account_name'],
				),
				(int) $row['amount'],
				$row['currency'],
				$payout
			) : null,
			'referrals'             => (int) $row['referrals'],
			'bonuses'               => (int) ( $row['bonuses'] ?? 0 ),
			'recruiter_commissions' => (int) ( $row['recruiter_commissions'] ?? 0 ),
			'fee'                   => isset( $row['fee'] ) ? (int) $row['fee'] : null,
			'sent_at'               => isset( $row['sent_at'] ) ? Reftrail_Db::rfc3339( $row['sent_at'] ) : null,
		);
	}

	/**
	 * Batches approved balances into a payout: a line per affiliate and currency, paid by PayPal
	 * (which needs an email) or by bank transfer (always payable: the details were checked when
	 * saved), as the affiliate is paid at this moment. The line settles the whole approved balance
	 * (its gross, which the smallest payout of its currency is compared with: the program's
	 * min_payout in the program's own currency, any positive sum in another); the tax the
	 * program's withholding rules keep back from it, unless the affiliate is exempt, is left out
	 * of what they are paid, and their tax id is kept with it. The approved balance includes the bonuses not yet paid
	 * (Reftrail_Bonuses) and the shares of recruits' commissions (Reftrail_Recruiters): the line
	 * pays them with the commission, marks them paid and counts them (`bonuses`,
	 * `recruiter_commissions`) apart from the referrals. Each line closes its affiliate's open
	 * request to be paid in that currency (Reftrail_Payout_Requests), if they made one. Made by
	 * `$by`, it is recorded (`payout.created`, with the number of lines) in the same transaction.
	 *
	 * @param array       $body `currency`, `affiliates`, `note`.
	 * @param string|null $by   Who makes it, as the activity log names them; null: not recorded.
	 * @return array The payout view.
	 * @throws Reftrail_Http_Error 422 when nothing is payable; 503.
	 */
	public static function create_payout( array $body, $by = null ) {
		global $wpdb;
		self::approve_due();
		$program = Reftrail_Program::get();
		$rules   = (array) $program['withholding'];
		return Reftrail_Db::locked(
			'payouts',
			fn() => Reftrail_Db::transaction(
				function () use ( $wpdb, $body, $program, $rules, $by ) {
					$l     = Reftrail_Db::table( 'ledger' );
					$a     = Reftrail_Db::table( 'affiliates' );
					$rows  = $wpdb->get_results(
						$wpdb->prepare(
							"SELECT l.affiliate_id, l.currency, SUM(l.amount) AS total, COALESCE(a.payout_email, a.email, '') AS email,
							a.payout_method, a.payout_bank, a.payout_account, a.payout_name, a.withholding_exempt, a.tax_id
							FROM {$l} l JOIN {$a} a ON a.id = l.affiliate_id WHERE l.bucket = 'approved' AND (%s = '' OR l.currency = %s)
							GROUP BY l.affiliate_id, l.currency, a.payout_email, a.email, a.payout_method, a.payout_bank, a.payout_account, a.payout_name,
							a.withholding_exempt, a.tax_id
							ORDER BY l.affiliate_id, l.currency", // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
							$body['currency'] ?? '',
							$body['currency'] ?? ''
						),
						ARRAY_A
					);
					$id    = Reftrail_Db::new_id( 'po' );
					$at    = Reftrail_Db::now();
					$lines = array();
					foreach ( $rows as $r ) {
						$total = (int) $r['total'];
						$bank  = null !== $r['payout_method'];
						if ( $total < Reftrail_Program::min_payout_in( $program, $r['currency'] ) || ( ! $bank && '' === $r['email'] ) ) {
							continue;
						}
						if ( isset( $body['affiliates'] ) && ! in_array( $r['affiliate_id'], $body['affiliates'], true ) ) {
							continue;
						}
						if ( ! $lines ) {
							$wpdb->insert(
								Reftrail_Db::table( 'payouts' ),
								array(
									'id'   => $id,
									'at'   => $at,
									'note' => $body['note'] ?? null,
								),
								array( '%s', '%d', '%s' )
							);
						}
						// One group per referral, per bonus and per recruiter commission: each is paid,
						// and counted, on its own.
						$parts     = $wpdb->get_results( $wpdb->prepare( "SELECT referral_id, bonus_id, recruiter_commission_id, SUM(amount) AS s FROM {$l} WHERE affiliate_id = %s AND currency = %s AND bucket = 'approved' GROUP BY referral_id, bonus_id, recruiter_commission_id HAVING SUM(amount) <> 0", $r['affiliate_id'], $r['currency'] ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
						$referrals = 0;
						$bonuses   = 0;
						$shares    = 0;
						foreach ( $parts as $p ) {
							self::append( $r['affiliate_id'], $p['referral_id'], $id, 'approved', 'payout', -(int) $p['s'], $r['currency'], $p['bonus_id'], $p['recruiter_commission_id'] );
							self::append( $r['affiliate_id'], $p['referral_id'], $id, 'paid', 'payout', (int) $p['s'], $r['currency'], $p['bonus_id'], $p['recruiter_commission_id'] );
							if ( null !== $p['referral_id'] ) {
								$rt = Reftrail_Db::table( 'referrals' );
								$wpdb->query( $wpdb->prepare( "UPDATE {$rt} SET status = 'paid', payout_id = %s WHERE id = %s AND status = 'approved'", $id, $p['referral_id'] ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
								++$referrals;
							}
							if ( null !== $p['bonus_id'] ) {
								$bt = Reftrail_Db::table( 'bonuses' );
								$wpdb->query( $wpdb->prepare( "UPDATE {$bt} SET status = 'paid', payout_id = %s WHERE id = %s AND status = 'approved'", $id, $p['bonus_id'] ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
								++$bonuses;
							}
							if ( null !== $p['recruiter_commission_id'] ) {
								Reftrail_Recruiters::paid( $p['recruiter_commission_id'], $id );
								++$shares;
							}
						}
						$withheld = Reftrail_Withholding::withheld( $rules, $r['currency'], $total, '1' === (string) $r['withholding_exempt'] );
						$row      = array(
							'payout_id'             => $id,
							'affiliate_id'          => $r['affiliate_id'],
							'currency'              => $r['currency'],
							'amount'                => $total - $withheld,
							'paypal_email'          => $bank ? '' : $r['email'],
							'referrals'             => $referrals,
							'method'                => $bank ? $r['payout_method'] : 'paypal',
							'bank'                  => $bank ? $r['payout_bank'] : null,
							'account'               => $bank ? $r['payout_account'] : null,
							'account_name'          => $bank ? $r['payout_name'] : null,
							'withheld'              => $withheld,
							'tax_id'                => $r['tax_id'],
							'bonuses'               => $bonuses,
							'recruiter_commissions' => $shares,
						);
						$wpdb->insert( Reftrail_Db::table( 'payout_lines' ), $row, array( '%s', '%s', '%s', '%d', '%s', '%d', '%s', '%s', '%s', '%s', '%d', '%s', '%d', '%d' ) );
						$lines[] = self::line_of( $row, $id );
					}
					if ( ! $lines ) {
						throw new Reftrail_Http_Error( 422, 'nothing_to_pay', 'no affiliate has an approved balance at or above the minimum payout and a payout email or bank details' );
					}
					$view = array(
						'id'    => $id,
						'at'    => Reftrail_Db::rfc3339( $at ),
						'note'  => $body['note'] ?? null,
						'lines' => $lines,
					);
					do_action( 'reftrail_payout_created', $view );
					// The affiliates' requests this payout answers are closed with it.
					Reftrail_Payout_Requests::close_paid( $id, $lines, $at );
					if ( null !== $by ) {
						Reftrail_Activity::record( $by, 'payout.created', $id, null, array( 'lines' => count( $lines ) ) );
					}
					return $view;
				}
			)
		);
	}

	/**
	 * One payout.
	 *
	 * @param string $id Payout id.
	 * @return array
	 * @throws Reftrail_Http_Error 404.
	 */
	public static function payout( $id ) {
		global $wpdb;
		$p = $wpdb->get_row( $wpdb->prepare( 'SELECT * FROM ' . Reftrail_Db::table( 'payouts' ) . ' WHERE id = %s', $id ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		if ( ! $p ) {
			throw new Reftrail_Http_Error( 404, 'payout_not_found', 'no payout has this id' );
		}
		$lines = $wpdb->get_results( $wpdb->prepare( 'SELECT * FROM ' . Reftrail_Db::table( 'payout_lines' ) . ' WHERE payout_id = %s ORDER BY affiliate_id, currency', $id ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		return array(
			'id'    => $p['id'],
			'at'    => Reftrail_Db::rfc3339( $p['at'] ),
			'note'  => $p['note'],
			'lines' => array_map( fn( $l ) => self::line_of( $l, $p['id'] ), $lines ),
		);
	}

	/**
	 * Marks one line's transfer as sent, or not, and what it cost: the merchant's record of the
	 * lines paid from their banking app (or by PayPal's file), and the fees the reports add to the
	 * channel cost; the ledger already holds the lines as paid. `$sent` true sets `sent_at` to now
	 * unless it is set (the first time is kept) and the line's fee to `$fee` when one is given (a
	 * correction when it had one), else keeps it; false clears both. Affiliate and currency are
	 * compared byte for byte. Marked by `$by`, a change of whether the line is sent or of its fee is
	 * recorded (`payout.sent`, with the fee as it is now) in the same transaction; marking it again
	 * the same way is not.
	 *
	 * @param string      $id        Payout id.
	 * @param string      $affiliate The line's affiliate.
	 * @param string      $currency  The line's currency.
	 * @param bool        $sent      Sent or not yet.
	 * @param string|null $by        Who marks it, as the activity log names them; null: not recorded.
	 * @param int|null    $fee       What the transfer cost, minor units (checked by the caller; only
	 *                               with `$sent` true); null keeps the line's.
	 * @return array The payout view.
	 * @throws Reftrail_Http_Error 404 payout_not_found or payout_line_not_found; 503.
	 */
	public static function mark_sent( $id, $affiliate, $currency, $sent, $by = null, $fee = null ) {
		global $wpdb;
		return Reftrail_Db::transaction(
			function () use ( $wpdb, $id, $affiliate, $currency, $sent, $by, $fee ) {
				$payout = self::payout( $id )['id'];
				$t      = Reftrail_Db::table( 'payout_lines' );
				// An UPDATE that changes nothing (marked again) counts no row: the line is looked up first.
				$line = $wpdb->get_row( $wpdb->prepare( "SELECT affiliate_id, currency, sent_at, fee FROM {$t} WHERE payout_id = %s AND BINARY affiliate_id = %s AND BINARY currency = %s FOR UPDATE", $payout, $affiliate, $currency ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table names are ours.
				if ( null === $line ) {
					throw new Reftrail_Http_Error( 404, 'payout_line_not_found', 'this payout has no line for this affiliate and currency' );
				}
				$old_fee = null === $line['fee'] ? null : (int) $line['fee'];
				$new_fee = $sent ? ( null === $fee ? $old_fee : (int) $fee ) : null;
				// The fee is written as SQL NULL or a bound integer: `%d` alone would make NULL a 0.
				$ok = $wpdb->query( $wpdb->prepare( "UPDATE {$t} SET sent_at = CASE WHEN %d = 1 THEN COALESCE(sent_at, %d) ELSE NULL END, fee = CASE WHEN %d = 1 THEN %d ELSE NULL END WHERE payout_id = %s AND BINARY affiliate_id = %s AND BINARY currency = %s", $sent ? 1 : 0, Reftrail_Db::now(), null === $new_fee ? 0 : 1, (int) $new_fee, $payout, $affiliate, $currency ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table names are ours.
				if ( false === $ok ) {
					throw new Reftrail_Http_Error( 503, 'unavailable', 'the database is unavailable; retry later' );
				}
				if ( null !== $by && ( ( null !== $line['sent_at'] ) !== (bool) $sent || $old_fee !== $new_fee ) ) {
					Reftrail_Activity::record(
						$by,
						'payout.sent',
						$payout,
						$line['affiliate_id'],
						array(
							'currency' => $line['currency'],
							'sent'     => (bool) $sent,
							'fee'      => $new_fee,
						)
					);
				}
				return self::payout( $payout );
			}
		);
	}

	/**
	 * Payouts, newest first.
	 *
	 * @param int $limit  Limit.
	 * @param int $offset Offset.
	 * @return array
	 */
	public static function payouts( $limit, $offset ) {
		global $wpdb;
		$ids = $wpdb->get_col( $wpdb->prepare( 'SELECT id FROM ' . Reftrail_Db::table( 'payouts' ) . ' ORDER BY at DESC, id DESC LIMIT %d OFFSET %d', $limit, $offset ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		return array_map( array( __CLASS__, 'payout' ), $ids );
	}

	/**
	 * The payouts that paid one affiliate, newest first: their line of each batch, with how it
	 * was paid (`method`; `paypal_email` for PayPal, `account` for a bank transfer), how many
	 * `referrals`, `bonuses` and `recruiter_commissions` it settled, what they received (`amount`)
	 * of what it settled (`gross`) after the tax `withheld`, and when the merchant marked its
	 * transfer as sent (`sent_at`, null until then).
	 *
	 * @param string $affiliate Affiliate id.
	 * @param int    $limit     Limit.
	 * @param int    $offset    Offset.
	 * @return array
	 */
	public static function payouts_of( $affiliate, $limit, $offset ) {
		global $wpdb;
		$l    = Reftrail_Db::table( 'payout_lines' );
		$p    = Reftrail_Db::table( 'payouts' );
		$rows = $wpdb->get_results( $wpdb->prepare( "SELECT p.id, p.at, l.amount, l.withheld, l.currency, l.referrals, l.bonuses, l.recruiter_commissions, l.method, l.paypal_email, l.account, p.note, l.sent_at FROM {$l} l JOIN {$p} p ON p.id = l.payout_id WHERE l.affiliate_id = %s ORDER BY p.at DESC, p.id DESC, l.currency LIMIT %d OFFSET %d", $affiliate, $limit, $offset ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table names are ours.
		return array_map(
			fn( $r ) => array(
				'id'                    => $r['id'],
				'at'                    => Reftrail_Db::rfc3339( $r['at'] ),
				'amount'                => (int) $r['amount'],
				'gross'                 => (int) $r['amount'] + (int) $r['withheld'],
				'withheld'              => (int) $r['withheld'],
				'currency'              => $r['currency'],
				'referrals'             => (int) $r['referrals'],
				'bonuses'               => (int) $r['bonuses'],
				'recruiter_commissions' => (int) $r['recruiter_commissions'],
				'method'                => $r['method'],
				'paypal_email'          => 'paypal' === $r['method'] ? $r['paypal_email'] : null,
				'account'               => $r['account'],
				'note'                  => $r['note'],
				'sent_at'               => null === $r['sent_at'] ? null : Reftrail_Db::rfc3339( $r['sent_at'] ),
			),
			$rows
		);
	}

	/** The columns of the withholding report. */
	const WITHHOLDING_HEADER = array( 'affiliate_id', 'name', 'tax_id', 'payee_type', 'currency', 'gross', 'withheld', 'paid', 'payouts' );

	/**
	 * What was paid to each affiliate in each currency by the payouts of `[$from, $to)`, and the
	 * tax withheld from it, as CSV for the shop's filing: a header row, then one row per affiliate
	 * and currency (by affiliate id, then currency, compared byte-wise) with their name (made text
	 * when a spreadsheet would run it as a formula), the tax id as the latest of those payouts
	 * recorded it ('' for none), their payee type as it is now (`person`, `company`, or '' when not
	 * set), the sums of gross, withheld and paid as decimals in the currency's units, and how many
	 * payouts paid them.
	 *
	 * @param int $from From, inclusive.
	 * @param int $to   To, exclusive.
	 * @return string
	 */
	public static function withholding_csv( $from, $to ) {
		global $wpdb;
		$l    = Reftrail_Db::table( 'payout_lines' );
		$p    = Reftrail_Db::table( 'payouts' );
		$a    = Reftrail_Db::table( 'affiliates' );
		$rows = $wpdb->get_results(
			$wpdb->prepare(
				"SELECT l.affiliate_id, COALESCE(MAX(a.name), '') AS name, COALESCE(MAX(a.payee_type), '') AS payee_type, l.currency, SUM(l.amount + l.withheld) AS gross,
				SUM(l.withheld) AS withheld, SUM(l.amount) AS paid, COUNT(*) AS payouts,
				(SELECT l2.tax_id FROM {$l} l2 JOIN {$p} p2 ON p2.id = l2.payout_id
					WHERE l2.affiliate_id = l.affiliate_id AND l2.currency = l.currency AND p2.at >= %d AND p2.at < %d
					ORDER BY p2.at DESC, BINARY p2.id DESC LIMIT 1) AS tax_id
				FROM {$l} l JOIN {$p} p ON p.id = l.payout_id LEFT JOIN {$a} a ON a.id = l.affiliate_id
				WHERE p.at >= %d AND p.at < %d
				GROUP BY l.affiliate_id, l.currency ORDER BY BINARY l.affiliate_id, BINARY l.currency", // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table names are ours.
				$from,
				$to,
				$from,
				$to
			),
			ARRAY_A
		);
		$out = self::csv_row( self::WITHHOLDING_HEADER );
		foreach ( $rows as $r ) {
			$out .= self::csv_row(
				array(
					$r['affiliate_id'],
					self::text_cell( (string) $r['name'] ),
					(string) $r['tax_id'],
					$r['payee_type'],
					$r['currency'],
					Reftrail_Input::decimal( (int) $r['gross'], $r['currency'] ),
					Reftrail_Input::decimal( (int) $r['withheld'], $r['currency'] ),
					Reftrail_Input::decimal( (int) $r['paid'], $r['currency'] ),
					(string) (int) $r['payouts'],
				)
			);
		}
		return $out;
	}

	/**
	 * The withholding tax certificates of the payouts of `[$from, $to)` (Thailand's 50 Tawi,
	 * Vietnam's withholding voucher): one per affiliate and currency with tax withheld, by
	 * affiliate id, then currency (compared byte-wise), each listing the payout lines with tax
	 * withheld (lines with none appear nowhere) by when they were paid (`paid_at`: when the
	 * merchant marked the transfer sent, else the payout's time), then payout id; and their sums.
	 * The payee is the affiliate as they are now (name, address, `type`: their payee type, which
	 * names the form the tax was filed on), with the tax id of the latest line that has one (kept
	 * on the line as it stood at the payout, else the affiliate's current one). `withheld_words`:
	 * THB's total withheld in Thai words, as the certificate writes it.
	 *
	 * @param int    $from      From, inclusive (the payout's time).
	 * @param int    $to        To, exclusive.
	 * @param string $affiliate Only this affiliate's ('' for everyone's).
	 * @return array[]
	 */
	public static function withholding_certificates( $from, $to, $affiliate ) {
		global $wpdb;
		$l    = Reftrail_Db::table( 'payout_lines' );
		$p    = Reftrail_Db::table( 'payouts' );
		$a    = Reftrail_Db::table( 'affiliates' );
		$rows = $wpdb->get_results(
			$wpdb->prepare(
				"SELECT l.affiliate_id, l.currency, p.id AS payout, COALESCE(l.sent_at, p.at) AS paid_at, l.amount, l.withheld,
				COALESCE(l.tax_id, a.tax_id) AS tax_id, COALESCE(a.name, l.affiliate_id) AS name, a.address, a.payee_type
				FROM {$l} l JOIN {$p} p ON p.id = l.payout_id LEFT JOIN {$a} a ON a.id = l.affiliate_id
				WHERE p.at >= %d AND p.at < %d AND l.withheld > 0 AND (%s = '' OR BINARY l.affiliate_id = %s)
				ORDER BY BINARY l.affiliate_id, BINARY l.currency, paid_at, BINARY p.id", // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table names are ours.
				$from,
				$to,
				$affiliate,
				$affiliate
			),
			ARRAY_A
		);
		$out = array();
		$at  = -1;
		foreach ( $rows as $r ) {
			$amount   = (int) $r['amount'];
			$withheld = (int) $r['withheld'];
			$payment  = array(
				'payout'   => $r['payout'],
				'paid_at'  => Reftrail_Db::rfc3339( $r['paid_at'] ),
				'gross'    => $amount + $withheld,
				'withheld' => $withheld,
				'paid'     => $amount,
			);
			if ( $at >= 0 && $out[ $at ]['affiliate'] === $r['affiliate_id'] && $out[ $at ]['currency'] === $r['currency'] ) {
				// Lines come by date: a later one's tax id is the one the payee gave last.
				if ( null !== $r['tax_id'] ) {
					$out[ $at ]['payee']['tax_id'] = $r['tax_id'];
				}
				$out[ $at ]['payments'][] = $payment;
				continue;
			}
			$out[] = array(
				'affiliate'      => $r['affiliate_id'],
				'currency'       => $r['currency'],
				'payee'          => array(
					'name'    => $r['name'],
					'tax_id'  => $r['tax_id'],
					'address' => $r['address'],
					'type'    => $r['payee_type'],
				),
				'payments'       => array( $payment ),
				'gross'          => 0,
				'withheld'       => 0,
				'paid'           => 0,
				'withheld_words' => null,
			);
			$at = count( $out ) - 1;
		}
		foreach ( $out as &$c ) {
			$c['gross']          = array_sum( array_column( $c['payments'], 'gross' ) );
			$c['withheld']       = array_sum( array_column( $c['payments'], 'withheld' ) );
			$c['paid']           = array_sum( array_column( $c['payments'], 'paid' ) );
			$c['withheld_words'] = 'THB' === $c['currency'] ? Reftrail_Bahttext::words( $c['withheld'] ) : null;
		}
		unset( $c );
		return $out;
	}

	/**
	 * The PayPal mass payment file of a payout, its PayPal lines only: email, amount (what the
	 * affiliate is paid, the tax withheld left out), currency, id, note; no header; cells that a
	 * spreadsheet would read as formulas are quoted with a leading `'`.
	 *
	 * @param array $p Payout view.
	 * @return string
	 */
	public static function paypal_csv( array $p ) {
		$note = $p['note'] ?? ( 'Affiliate commission ' . $p['id'] );
		$out  = '';
		foreach ( $p['lines'] as $l ) {
			if ( 'paypal' !== $l['method'] ) {
				continue;
			}
			$out .= self::csv_row( array( self::text_cell( $l['paypal_email'] ), Reftrail_Input::decimal( $l['amount'], $l['currency'] ), $l['currency'], $l['affiliate'], self::text_cell( $note ) ) );
		}
		return $out;
	}
}
