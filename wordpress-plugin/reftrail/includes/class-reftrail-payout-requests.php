<?php
/**
 * Payout requests, as the Rust server keeps them (`routes/payout_requests.rs`): an affiliate asks
 * to be paid their approved balance in one currency (`POST /v1/me/payout-requests`) rather than
 * wait for the merchant's next batch; the merchant sees them (`GET /v1/payout-requests`), pays one
 * with an ordinary payout (any payout that pays the affiliate in that currency closes it, in its
 * transaction: Reftrail_Ledger::create_payout()) or declines it with a reason the affiliate is
 * emailed; the affiliate may take an open one back.
 *
 * At most one request per affiliate and currency is open. MariaDB has no partial unique index, so
 * a request is made under the payouts' lock (Reftrail_Ledger::create_payout(), the bonuses): a
 * payout made meanwhile either paid the balance before the request reads it, or sees the request
 * and closes it.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * The payout requests store.
 */
final class Reftrail_Payout_Requests {

	/** The states of a request: `cancelled` is taken back by the affiliate. */
	const STATUSES = array( 'open', 'paid', 'declined', 'cancelled' );

	/** The lock payouts take (Reftrail_Ledger::create_payout()). */
	const LOCK = 'payouts';

	/** How many of their requests an affiliate sees. */
	const MINE = 50;

	/** The columns of a request, as view() reads them. */
	const COLUMNS = 'id, affiliate_id, currency, amount, status, at, closed_at, payout_id, reason';

	/**
	 * Asks for affiliate `$affiliate`'s approved balance in `$currency` to be paid: referrals whose
	 * hold ended are approved first (as a payout does), then, under the payouts' lock and in one
	 * transaction, the request, the activity entry (`payout.requested`, by the affiliate) and the
	 * administrator's email.
	 *
	 * @param string $affiliate The calling affiliate.
	 * @param array  $b         Body: `{"currency"}`.
	 * @return array The request.
	 * @throws Reftrail_Http_Error 400 invalid_body or invalid_currency; 409 request_open,
	 *                             below_minimum or no_payout_details; 503.
	 */
	public static function create( $affiliate, array $b ) {
		global $wpdb;
		Reftrail_Input::known( $b, array( 'currency' ) );
		if ( ! isset( $b['currency'] ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_body', 'missing field `currency`' );
		}
		Reftrail_Input::types( $b, array( 'currency' => 'string' ) );
		$currency = $b['currency'];
		if ( ! Reftrail_Input::currency( $currency ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_currency', 'currency must be an ISO 4217 code' );
		}
		Reftrail_Ledger::approve_due();
		$min = Reftrail_Program::min_payout_in( Reftrail_Program::get(), $currency );
		return Reftrail_Db::locked(
			self::LOCK,
			fn() => Reftrail_Db::transaction(
				function () use ( $wpdb, $affiliate, $currency, $min ) {
					$t    = Reftrail_Db::table( 'payout_requests' );
					$open = $wpdb->get_var( $wpdb->prepare( "SELECT id FROM {$t} WHERE affiliate_id = %s AND BINARY affiliate_id = %s AND currency = %s AND status = 'open' LIMIT 1 FOR UPDATE", $affiliate, $affiliate, $currency ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours.
					if ( null !== $open ) {
						throw new Reftrail_Http_Error( 409, 'request_open', 'a payout request in this currency is waiting already' );
					}
					$balance = self::approved_balance( $affiliate, $currency );
					if ( $balance < $min ) {
						throw new Reftrail_Http_Error( 409, 'below_minimum', sprintf( 'the approved balance (%d minor units of %s) is below the smallest payout (%d)', $balance, $currency, $min ) );
					}
					// The rule a payout skips a line by: PayPal needs an email, bank details were
					// checked when saved.
					$to = Reftrail_Affiliates::paid_to( $affiliate );
					if ( null === $to || ( 'paypal' === $to['method'] && '' === (string) $to['paypal_email'] ) ) {
						throw new Reftrail_Http_Error( 409, 'no_payout_details', 'add where to be paid (PayPal email or bank account) first' );
					}
					$id = Reftrail_Db::new_id( 'prq' );
					$ok = $wpdb->insert(
						$t,
						array(
							'id'           => $id,
							'affiliate_id' => $affiliate,
							'currency'     => $currency,
							'amount'       => $balance,
							'status'       => 'open',
							'at'           => Reftrail_Db::now(),
						),
						array( '%s', '%s', '%s', '%d', '%s', '%d' )
					);
					if ( ! $ok ) {
						throw self::unavailable();
					}
					Reftrail_Activity::record(
						Reftrail_Activity::by_affiliate( $affiliate ),
						'payout.requested',
						$id,
						$affiliate,
						array(
							'currency' => $currency,
							'amount'   => $balance,
						)
					);
					$view = self::get( $id );
					Reftrail_Affiliate_Mail::payout_requested( $view );
					return $view;
				}
			)
		);
	}

	/**
	 * Takes back one of affiliate `$affiliate`'s open requests.
	 *
	 * @param string $affiliate The calling affiliate.
	 * @param string $id        Request.
	 * @return array The request, `cancelled`.
	 * @throws Reftrail_Http_Error 404 payout_request_not_found (also another affiliate's); 409
	 *                             request_closed; 503.
	 */
	public static function cancel( $affiliate, $id ) {
		return Reftrail_Db::transaction(
			function () use ( $affiliate, $id ) {
				$found = self::get( $id );
				if ( $found['affiliate'] !== $affiliate ) {
					throw self::not_found();
				}
				self::close( $found, 'cancelled', null );
				return self::get( $id );
			}
		);
	}

	/**
	 * Declines an open request: in one transaction, its status and reason, the activity entry
	 * (`payout.request_declined`, by `$by`) and the affiliate's email, which goes whatever the
	 * program's `affiliate_emails` says since it answers their own request.
	 *
	 * @param string $id Request.
	 * @param array  $b  Body: `{"reason"}` (optional; at most 500 bytes without control
	 *                   characters; trimmed, empty is none).
	 * @param string $by Who declines it, as the activity log names them.
	 * @return array The request, `declined`.
	 * @throws Reftrail_Http_Error 400 invalid_body or invalid_reason; 404 payout_request_not_found;
	 *                             409 request_closed; 503.
	 */
	public static function decline( $id, array $b, $by ) {
		Reftrail_Input::known( $b, array( 'reason' ) );
		Reftrail_Input::types( $b, array( 'reason' => 'string' ) );
		Reftrail_Input::check_note( $b, 'reason', 'invalid_reason' );
		// Trimmed of Unicode white space as the server trims it (control characters are refused).
		$reason = isset( $b['reason'] ) ? (string) preg_replace( '/^[\s\p{Z}]+|[\s\p{Z}]+$/u', '', $b['reason'] ) : '';
		$reason = '' === $reason ? null : $reason;
		return Reftrail_Db::transaction(
			function () use ( $id, $reason, $by ) {
				$found = self::get( $id );
				self::close( $found, 'declined', $reason );
				Reftrail_Activity::record(
					$by,
					'payout.request_declined',
					$found['id'],
					$found['affiliate'],
					array(
						'currency' => $found['currency'],
						'amount'   => $found['amount'],
						'reason'   => $reason,
					)
				);
				Reftrail_Affiliate_Mail::payout_request_declined(
					$found['affiliate'],
					array(
						'currency' => $found['currency'],
						'amount'   => $found['amount'],
						'reason'   => $reason,
					)
				);
				return self::get( $found['id'] );
			}
		);
	}

	/**
	 * Closes, in the caller's transaction (a payout's), the open request of each affiliate and
	 * currency that payout `$payout` pays: `paid`, with the payout and its time.
	 *
	 * @param string  $payout Payout.
	 * @param array[] $lines  The payout's lines (`affiliate`, `currency`).
	 * @param int     $at     The payout's time.
	 * @throws Reftrail_Http_Error 503.
	 */
	public static function close_paid( $payout, array $lines, $at ) {
		global $wpdb;
		$t = Reftrail_Db::table( 'payout_requests' );
		foreach ( $lines as $line ) {
			$ok = $wpdb->query( $wpdb->prepare( "UPDATE {$t} SET status = 'paid', closed_at = %d, payout_id = %s WHERE affiliate_id = %s AND BINARY affiliate_id = %s AND currency = %s AND status = 'open'", $at, $payout, $line['affiliate'], $line['affiliate'], $line['currency'] ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours.
			if ( false === $ok ) {
				throw self::unavailable();
			}
		}
	}

	/**
	 * The latest requests of affiliate `$affiliate`, newest first (by time, then id).
	 *
	 * @param string $affiliate Affiliate.
	 * @return array[]
	 */
	public static function mine( $affiliate ) {
		global $wpdb;
		$t    = Reftrail_Db::table( 'payout_requests' );
		$rows = $wpdb->get_results( $wpdb->prepare( 'SELECT ' . self::COLUMNS . " FROM {$t} WHERE affiliate_id = %s AND BINARY affiliate_id = %s ORDER BY at DESC, BINARY id DESC LIMIT %d", $affiliate, $affiliate, self::MINE ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.PreparedSQL.NotPrepared -- the table name and columns are ours; every value is bound.
		return array_map( array( __CLASS__, 'view' ), (array) $rows );
	}

	/**
	 * A page of requests for the merchant, newest first (by time, then id), and how many match:
	 * only those of `$status` unless it is '', only `$affiliate`'s (byte for byte) unless it is ''.
	 *
	 * @param string $status    One of STATUSES, or ''.
	 * @param string $affiliate Affiliate, or ''.
	 * @param int    $limit     Limit.
	 * @param int    $offset    Offset.
	 * @return array `requests`, `total`.
	 */
	public static function index( $status, $affiliate, $limit, $offset ) {
		global $wpdb;
		$t     = Reftrail_Db::table( 'payout_requests' );
		$where = "(%s = '' OR status = %s) AND (%s = '' OR (affiliate_id = %s AND BINARY affiliate_id = %s))";
		$args  = array( $status, $status, $affiliate, $affiliate, $affiliate );
		$rows  = $wpdb->get_results( $wpdb->prepare( 'SELECT ' . self::COLUMNS . " FROM {$t} WHERE {$where} ORDER BY at DESC, BINARY id DESC LIMIT %d OFFSET %d", array_merge( $args, array( $limit, $offset ) ) ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.PreparedSQL.NotPrepared -- the table name, columns and conditions are ours; every value is bound.
		$total = (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$t} WHERE {$where}", $args ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- as above.
		return array(
			'requests' => array_map( array( __CLASS__, 'view' ), (array) $rows ),
			'total'    => $total,
		);
	}

	/**
	 * Request `$id`, byte for byte.
	 *
	 * @param string $id Request.
	 * @return array
	 * @throws Reftrail_Http_Error 404 payout_request_not_found.
	 */
	public static function get( $id ) {
		global $wpdb;
		$t   = Reftrail_Db::table( 'payout_requests' );
		$row = $wpdb->get_row( $wpdb->prepare( 'SELECT ' . self::COLUMNS . " FROM {$t} WHERE id = %s AND BINARY id = %s", $id, $id ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.PreparedSQL.NotPrepared -- the table name and columns are ours; the id is bound.
		if ( ! $row ) {
			throw self::not_found();
		}
		return self::view( $row );
	}

	/**
	 * A request as the routes answer it.
	 *
	 * @param array $r A row of COLUMNS.
	 * @return array
	 */
	private static function view( array $r ) {
		return array(
			'id'        => $r['id'],
			'affiliate' => $r['affiliate_id'],
			'currency'  => $r['currency'],
			'amount'    => (int) $r['amount'],
			'status'    => $r['status'],
			'at'        => Reftrail_Db::rfc3339( (int) $r['at'] ),
			'closed_at' => null === $r['closed_at'] ? null : Reftrail_Db::rfc3339( (int) $r['closed_at'] ),
			'payout_id' => $r['payout_id'],
			'reason'    => $r['reason'],
		);
	}

	/**
	 * The approved balance of `$affiliate` in `$currency`, minor units, in the caller's
	 * transaction.
	 *
	 * @param string $affiliate Affiliate.
	 * @param string $currency  Currency.
	 * @return int
	 */
	private static function approved_balance( $affiliate, $currency ) {
		global $wpdb;
		$l = Reftrail_Db::table( 'ledger' );
		return (int) $wpdb->get_var( $wpdb->prepare( "SELECT COALESCE(SUM(amount), 0) FROM {$l} WHERE affiliate_id = %s AND BINARY affiliate_id = %s AND currency = %s AND bucket = 'approved'", $affiliate, $affiliate, $currency ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours.
	}

	/**
	 * Moves `$found` to `$status` (with `$reason`) if it is still open, in the caller's
	 * transaction; one that a payout, the merchant or the affiliate closed meanwhile is left as it
	 * is.
	 *
	 * @param array       $found  The request as read.
	 * @param string      $status cancelled or declined.
	 * @param string|null $reason The merchant's reason.
	 * @throws Reftrail_Http_Error 409 request_closed; 503.
	 */
	private static function close( array $found, $status, $reason ) {
		global $wpdb;
		$t     = Reftrail_Db::table( 'payout_requests' );
		// prepare() would write a null reason as ''.
		$set   = null === $reason ? 'reason = NULL' : 'reason = %s';
		$args  = null === $reason ? array( $status, Reftrail_Db::now(), $found['id'], $found['id'] ) : array( $status, Reftrail_Db::now(), $reason, $found['id'], $found['id'] );
		$moved = $wpdb->query( $wpdb->prepare( "UPDATE {$t} SET status = %s, closed_at = %d, {$set} WHERE id = %s AND BINARY id = %s AND status = 'open'", $args ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name and a fixed condition; every value is bound.
		if ( false === $moved ) {
			throw self::unavailable();
		}
		if ( 1 !== (int) $moved ) {
			// Read again: it may have been closed between the read and the update.
			$now = 'open' === $found['status'] ? self::get( $found['id'] )['status'] : $found['status'];
			throw new Reftrail_Http_Error( 409, 'request_closed', sprintf( 'this payout request is %s already', $now ) );
		}
	}

	/**
	 * The 404 of an unknown id.
	 *
	 * @return Reftrail_Http_Error
	 */
	private static function not_found() {
		return new Reftrail_Http_Error( 404, 'payout_request_not_found', 'no payout request has this id' );
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
