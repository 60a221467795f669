<?php
/**
 * Recruiter commissions (two-tier): an affiliate who recruited another (the recruit's `recruiter`)
 * earns the program's `recruiter_rate_bps` share of each commission the recruit earns, paid by the
 * merchant on top of it; the records behind `/v1/recruiter-commissions` and `/v1/me/recruits`.
 *
 * A share is made with its referral, when the recruiter is approved and the share rounds to more
 * than nothing, and follows it in the referral's own transaction: pending or approved as the
 * referral is, approved with it, taken out of the ledger when it is rejected (out of what the next
 * payout owes when it was paid already), cut by the recruit's refunds (what is left is the rate of
 * what is left of the recruit's commission, rounded down), paid with the recruiter's next payout
 * (Reftrail_Ledger::create_payout()). A new share is told after its referral
 * (`reftrail_recruiter_commission_created`): the webhook `recruiter_commission.created` and the
 * recruiter's email. Its money moves in the ledger under
 * `recruiter_commission_id`, in the recruiter's buckets, so balances and payouts count it. The
 * rate is the program's when the referral is made; a later change leaves existing shares alone.
 * Each change locks the share's row first and reads its money with locking reads, so that a
 * refund and a rejection of the same referral at once change it one after the other.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * The recruiter commissions.
 */
final class Reftrail_Recruiters {

	/** Statuses: the referral's. */
	const STATUSES = array( 'pending', 'approved', 'paid', 'rejected', 'reversed' );

	/** The lock taken while an affiliate's recruiter is set, so that two changes at once cannot make a loop. */
	const LOCK = 'recruiters';

	/** The most recruits `GET /v1/me/recruits` lists. */
	const MAX_RECRUITS = 1000;

	/** The most shares `GET /v1/me/recruits` lists. */
	const MAX_MINE = 100;

	/**
	 * The share of `$commission` at `$rate_bps`, rounded down (never more than the rate promises);
	 * computed without overflowing for any commission up to 2^53.
	 *
	 * @param int $commission Minor units.
	 * @param int $rate_bps   Basis points.
	 * @return int
	 */
	public static function share( $commission, $rate_bps ) {
		$commission = (int) $commission;
		$rate_bps   = (int) $rate_bps;
		if ( $commission <= 0 || $rate_bps <= 0 ) {
			return 0;
		}
		return intdiv( $commission, 10000 ) * $rate_bps + intdiv( ( $commission % 10000 ) * $rate_bps, 10000 );
	}

	/**
	 * A rate in basis points as a percent for people reading `$locale`, without trailing zeros
	 * (the server's `recruiters::percent`): 1000 is `10`, 1250 `12.5` (`12,5` in Vietnamese),
	 * 1205 `12.05`, 5 `0.05`.
	 *
	 * @param int    $rate_bps Basis points.
	 * @param string $locale   en, vi or th.
	 * @return string
	 */
	public static function percent( $rate_bps, $locale ) {
		$bps        = (int) $rate_bps;
		$sign       = $bps < 0 ? '-' : '';
		$whole      = intdiv( abs( $bps ), 100 );
		$hundredths = abs( $bps ) % 100;
		if ( 0 === $hundredths ) {
			return $sign . $whole;
		}
		return $sign . $whole . ( 'vi' === $locale ? ',' : '.' ) . rtrim( sprintf( '%02d', $hundredths ), '0' );
	}

	/**
	 * Makes the share of the new referral `$referral` (pending or approved) for the recruiter of
	 * its affiliate, when the program pays one and the recruiter is approved: the share and its
	 * ledger row (`recruiter_commission`) into the recruiter's bucket of the referral's status.
	 *
	 * @param int    $rate_bps The program's recruiter rate.
	 * @param string $referral Referral id.
	 * @return array|null The share as `GET /v1/recruiter-commissions` lists it, read in the
	 *                    caller's transaction; null when none was made.
	 * @throws Reftrail_Http_Error 503 when it cannot be written.
	 */
	public static function created( $rate_bps, $referral ) {
		global $wpdb;
		if ( (int) $rate_bps <= 0 ) {
			return null;
		}
		$r   = Reftrail_Db::table( 'referrals' );
		$a   = Reftrail_Db::table( 'affiliates' );
		$row = $wpdb->get_row(
			$wpdb->prepare(
				"SELECT r.affiliate_id, r.commission, r.currency, r.status, r.at, rec.id AS recruiter
				FROM {$r} r JOIN {$a} a ON a.id = r.affiliate_id
				JOIN {$a} rec ON rec.id = a.recruiter_id AND BINARY rec.id = a.recruiter_id AND rec.status = 'approved'
				WHERE r.id = %s", // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table names are ours.
				$referral
			),
			ARRAY_A
		);
		if ( ! $row ) {
			return null;
		}
		$amount = self::share( (int) $row['commission'], (int) $rate_bps );
		if ( $amount <= 0 ) {
			return null;
		}
		$id = Reftrail_Db::new_id( 'rc' );
		$ok = $wpdb->insert(
			Reftrail_Db::table( 'recruiter_commissions' ),
			array(
				'id'           => $id,
				'referral_id'  => $referral,
				'affiliate_id' => $row['recruiter'],
				'recruit_id'   => $row['affiliate_id'],
				'rate_bps'     => (int) $rate_bps,
				'amount'       => $amount,
				'reversed'     => 0,
				'currency'     => $row['currency'],
				'status'       => $row['status'],
				// Dated as its referral, so the reports count both on the same day.
				'created_at'   => (int) $row['at'],
			),
			array( '%s', '%s', '%s', '%s', '%d', '%d', '%d', '%s', '%s', '%d' )
		);
		if ( ! $ok ) {
			throw self::unavailable();
		}
		$share = array(
			'id'           => $id,
			'affiliate_id' => $row['recruiter'],
			'currency'     => $row['currency'],
		);
		self::append( $share, 'approved' === $row['status'] ? 'approved' : 'pending', 'recruiter_commission', $amount );
		$t    = Reftrail_Db::table( 'recruiter_commissions' );
		$made = $wpdb->get_row( $wpdb->prepare( "SELECT * FROM {$t} WHERE id = %s", $id ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours.
		if ( ! $made ) {
			throw self::unavailable();
		}
		return self::view( $made );
	}

	/**
	 * Moves the share of `$referral`, just approved, from pending to approved.
	 *
	 * @param string $referral Referral id.
	 * @throws Reftrail_Http_Error 503.
	 */
	public static function approved( $referral ) {
		$s = self::share_of( $referral );
		if ( null === $s || 'pending' !== $s['status'] ) {
			return;
		}
		list( $pending ) = self::buckets( $s['id'] );
		self::append( $s, 'pending', 'approval', -$pending );
		self::append( $s, 'approved', 'approval', $pending );
		self::set_status( $s['id'], 'approved' );
	}

	/**
	 * Takes the share of `$referral`, just rejected, out of the ledger: its pending and approved
	 * money; when it was paid already, what it owes (amount less what refunds took back) out of
	 * approved, which the recruiter's next payout then nets, as a refund after a payout is.
	 *
	 * @param string $referral Referral id.
	 * @throws Reftrail_Http_Error 503.
	 */
	public static function rejected( $referral ) {
		$s = self::share_of( $referral );
		if ( null === $s ) {
			return;
		}
		if ( in_array( $s['status'], array( 'pending', 'approved' ), true ) ) {
			list( $pending, $approved ) = self::buckets( $s['id'] );
			self::append( $s, 'pending', 'rejection', -$pending );
			self::append( $s, 'approved', 'rejection', -$approved );
		} elseif ( 'paid' === $s['status'] ) {
			self::append( $s, 'approved', 'rejection', -( (int) $s['amount'] - (int) $s['reversed'] ) );
		} else {
			return;
		}
		self::set_status( $s['id'], 'rejected' );
	}

	/**
	 * Cuts the share of `$referral` after a refund of the recruit's order: to the rate of what is
	 * left of the recruit's commission (nothing after a full refund, when the share becomes
	 * `reversed`), out of pending while the share waits, else out of approved (negative after a
	 * payout: the next payout nets it). A rejected share is left alone.
	 *
	 * @param string $referral Referral id.
	 * @param int    $left     What is left of the recruit's commission after this refund.
	 * @param bool   $full     Whether the order is now refunded in full.
	 * @throws Reftrail_Http_Error 503.
	 */
	public static function refunded( $referral, $left, $full ) {
		global $wpdb;
		$s = self::share_of( $referral );
		if ( null === $s || 'rejected' === $s['status'] ) {
			return;
		}
		$target = $full ? 0 : self::share( $left, (int) $s['rate_bps'] );
		$cut    = max( 0, (int) $s['amount'] - (int) $s['reversed'] - $target );
		$t      = Reftrail_Db::table( 'recruiter_commissions' );
		if ( $cut > 0 ) {
			self::append( $s, 'pending' === $s['status'] ? 'pending' : 'approved', 'reversal', -$cut );
			$ok = $wpdb->query( $wpdb->prepare( "UPDATE {$t} SET reversed = reversed + %d WHERE id = %s", $cut, $s['id'] ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours.
			if ( 1 !== (int) $ok ) {
				throw self::unavailable();
			}
		}
		if ( $full ) {
			self::set_status( $s['id'], 'reversed' );
		}
	}

	/**
	 * Marks the share `$id` paid by `$payout` (the payout moves its money itself), if it is still
	 * approved.
	 *
	 * @param string $id     Share.
	 * @param string $payout Payout id.
	 */
	public static function paid( $id, $payout ) {
		global $wpdb;
		$t = Reftrail_Db::table( 'recruiter_commissions' );
		$wpdb->query( $wpdb->prepare( "UPDATE {$t} SET status = 'paid', payout_id = %s WHERE id = %s AND status = 'approved'", $payout, $id ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours.
	}

	/**
	 * Refuses a recruiter of `$affiliate` that no affiliate has (compared byte for byte), that is
	 * `$affiliate` itself, or that `$affiliate` recruited, directly or down the line (a loop). Read
	 * in the caller's transaction, under LOCK.
	 *
	 * @param string $affiliate The affiliate (who may not exist yet).
	 * @param string $recruiter The recruiter they would have.
	 * @throws Reftrail_Http_Error 422 invalid_recruiter.
	 */
	public static function check( $affiliate, $recruiter ) {
		if ( null === self::recruiter_of( $recruiter ) ) {
			throw new Reftrail_Http_Error( 422, 'invalid_recruiter', 'no affiliate has this id' );
		}
		if ( self::would_loop( $affiliate, $recruiter ) ) {
			throw new Reftrail_Http_Error( 422, 'invalid_recruiter', 'an affiliate cannot be recruited by themselves or by someone they recruited' );
		}
	}

	/**
	 * Whether making `$recruiter` the recruiter of `$affiliate` would make a loop: the chain up
	 * from `$recruiter` reaches `$affiliate`. Bounded, so that a loop stored by other means could
	 * not keep it running.
	 *
	 * @param string $affiliate Affiliate.
	 * @param string $recruiter Recruiter.
	 * @return bool
	 */
	public static function would_loop( $affiliate, $recruiter ) {
		$at = (string) $recruiter;
		for ( $i = 0; $i < 10000; $i++ ) {
			if ( $at === (string) $affiliate ) {
				return true;
			}
			$up = self::recruiter_of( $at );
			if ( null === $up || null === $up['recruiter_id'] ) {
				return false;
			}
			$at = (string) $up['recruiter_id'];
		}
		return true;
	}

	/**
	 * The affiliate `$id` (byte for byte) with its recruiter, or null when there is none.
	 *
	 * @param string $id Affiliate.
	 * @return array|null `id`, `recruiter_id`.
	 */
	private static function recruiter_of( $id ) {
		global $wpdb;
		$a = Reftrail_Db::table( 'affiliates' );
		return $wpdb->get_row( $wpdb->prepare( "SELECT id, recruiter_id FROM {$a} WHERE id = %s AND BINARY id = %s", $id, $id ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours.
	}

	/**
	 * The approved affiliate `$id` (byte for byte), or null: the recruiter an application through
	 * a recruiting link keeps.
	 *
	 * @param mixed $id Candidate from the link.
	 * @return string|null
	 */
	public static function approved_affiliate( $id ) {
		global $wpdb;
		if ( ! Reftrail_Cookie::is_id( $id ) ) {
			return null;
		}
		$a = Reftrail_Db::table( 'affiliates' );
		return $wpdb->get_var( $wpdb->prepare( "SELECT id FROM {$a} WHERE id = %s AND BINARY id = %s AND status = 'approved'", $id, $id ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours.
	}

	/**
	 * A page of shares as the merchant sees them, newest first (by created_at, then id), and how
	 * many match: only the recruiter `$affiliate`'s, the recruit `$recruit`'s and those of
	 * `$status` (each compared byte for byte) unless it is ''.
	 *
	 * @param string $affiliate Recruiter or ''.
	 * @param string $recruit   Recruit or ''.
	 * @param string $status    Status or ''.
	 * @param int    $limit     Limit.
	 * @param int    $offset    Offset.
	 * @return array `recruiter_commissions`, `total`.
	 */
	public static function index( $affiliate, $recruit, $status, $limit, $offset ) {
		global $wpdb;
		$t     = Reftrail_Db::table( 'recruiter_commissions' );
		$where = "(%s = '' OR (affiliate_id = %s AND BINARY affiliate_id = %s)) AND (%s = '' OR (recruit_id = %s AND BINARY recruit_id = %s)) AND (%s = '' OR status = %s)";
		$args  = array( $affiliate, $affiliate, $affiliate, $recruit, $recruit, $recruit, $status, $status );
		$rows  = $wpdb->get_results( $wpdb->prepare( "SELECT * FROM {$t} WHERE {$where} ORDER BY created_at DESC, BINARY id DESC LIMIT %d OFFSET %d", array_merge( $args, array( $limit, $offset ) ) ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name and the conditions are ours; every value is bound.
		$total = (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$t} WHERE {$where}", $args ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- as above.
		return array(
			'recruiter_commissions' => array_map( array( __CLASS__, 'view' ), $rows ),
			'total'                 => $total,
		);
	}

	/**
	 * What `GET /v1/me/recruits` answers affiliate `$affiliate`: the program's recruiter rate now,
	 * everyone they recruited (newest first; no contact details) and the latest shares they
	 * earned (newest first; without the merchant's bookkeeping).
	 *
	 * @param string $affiliate Affiliate.
	 * @return array `rate_bps`, `recruits`, `commissions`.
	 */
	public static function mine( $affiliate ) {
		global $wpdb;
		$a        = Reftrail_Db::table( 'affiliates' );
		$t        = Reftrail_Db::table( 'recruiter_commissions' );
		$recruits = $wpdb->get_results( $wpdb->prepare( "SELECT id, name, status, created_at FROM {$a} WHERE recruiter_id = %s AND BINARY recruiter_id = %s ORDER BY created_at DESC, BINARY id DESC LIMIT %d", $affiliate, $affiliate, self::MAX_RECRUITS ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours.
		$shares   = $wpdb->get_results( $wpdb->prepare( "SELECT * FROM {$t} WHERE affiliate_id = %s AND BINARY affiliate_id = %s ORDER BY created_at DESC, BINARY id DESC LIMIT %d", $affiliate, $affiliate, self::MAX_MINE ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- as above.
		return array(
			'rate_bps'    => (int) Reftrail_Program::get()['recruiter_rate_bps'],
			'recruits'    => array_map(
				fn( $r ) => array(
					'id'     => $r['id'],
					'name'   => $r['name'],
					'status' => $r['status'],
					'joined' => Reftrail_Db::rfc3339( $r['created_at'] ),
				),
				$recruits
			),
			'commissions' => array_map(
				fn( $r ) => array_diff_key( self::view( $r ), array_flip( array( 'affiliate', 'referral', 'rate_bps', 'payout_id' ) ) ),
				$shares
			),
		);
	}

	/**
	 * A row as the merchant sees it.
	 *
	 * @param array $row Row.
	 * @return array
	 */
	private static function view( array $row ) {
		return array(
			'id'         => $row['id'],
			'affiliate'  => $row['affiliate_id'],
			'recruit'    => $row['recruit_id'],
			'referral'   => $row['referral_id'],
			'rate_bps'   => (int) $row['rate_bps'],
			'amount'     => (int) $row['amount'],
			'reversed'   => (int) $row['reversed'],
			'currency'   => $row['currency'],
			'status'     => $row['status'],
			'payout_id'  => $row['payout_id'],
			'created_at' => Reftrail_Db::rfc3339( $row['created_at'] ),
		);
	}

	/**
	 * The share of `$referral`, its row locked for the caller's transaction (the latest committed
	 * version), or null when the referral has none.
	 *
	 * @param string $referral Referral id.
	 * @return array|null The row.
	 */
	private static function share_of( $referral ) {
		global $wpdb;
		$t = Reftrail_Db::table( 'recruiter_commissions' );
		return $wpdb->get_row( $wpdb->prepare( "SELECT * FROM {$t} WHERE referral_id = %s FOR UPDATE", $referral ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours.
	}

	/**
	 * The share's money per bucket, [pending, approved], read as committed now.
	 *
	 * @param string $id Share.
	 * @return int[]
	 */
	private static function buckets( $id ) {
		global $wpdb;
		$t   = Reftrail_Db::table( 'ledger' );
		$row = $wpdb->get_row( $wpdb->prepare( "SELECT COALESCE(SUM(CASE WHEN bucket = 'pending' THEN amount ELSE 0 END), 0) AS pending, COALESCE(SUM(CASE WHEN bucket = 'approved' THEN amount ELSE 0 END), 0) AS approved FROM {$t} WHERE recruiter_commission_id = %s LOCK IN SHARE MODE", $id ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours.
		return array( (int) $row['pending'], (int) $row['approved'] );
	}

	/**
	 * Appends one ledger row of a share, in the recruiter's buckets.
	 *
	 * @param array  $s      The share's row (`id`, `affiliate_id`, `currency`).
	 * @param string $bucket pending|approved.
	 * @param string $entry  recruiter_commission|approval|rejection|reversal.
	 * @param int    $amount Signed minor units (nothing is written for 0).
	 * @throws Reftrail_Http_Error 503.
	 */
	private static function append( array $s, $bucket, $entry, $amount ) {
		if ( ! Reftrail_Ledger::append( $s['affiliate_id'], null, null, $bucket, $entry, $amount, $s['currency'], null, $s['id'] ) ) {
			throw self::unavailable();
		}
	}

	/**
	 * Sets a share's status.
	 *
	 * @param string $id     Share.
	 * @param string $status Status.
	 * @throws Reftrail_Http_Error 503.
	 */
	private static function set_status( $id, $status ) {
		global $wpdb;
		$t = Reftrail_Db::table( 'recruiter_commissions' );
		if ( false === $wpdb->query( $wpdb->prepare( "UPDATE {$t} SET status = %s WHERE id = %s", $status, $id ) ) ) { // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours.
			throw self::unavailable();
		}
	}

	/**
	 * The 503 of a write that failed.
	 *
	 * @return Reftrail_Http_Error
	 */
	private static function unavailable() {
		return new Reftrail_Http_Error( 503, 'unavailable', 'the database is unavailable; retry later' );
	}
}
