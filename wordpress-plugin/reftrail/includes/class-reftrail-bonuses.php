<?php
/**
 * Bonuses: money the merchant gives an affiliate outside any referral (a contest prize, a launch
 * bonus, a goodwill correction), the records behind `/v1/bonuses` and `/v1/me/bonuses`.
 *
 * A bonus is payable at once: one ledger row into `approved` under its `bonus_id`, so balances
 * and the next payout include it like commission (Reftrail_Ledger::create_payout() marks it
 * `paid`). Until then it can be cancelled, which takes the amount back out of `approved`. Giving
 * and cancelling hold the payouts' lock, so a payout either pays a bonus or never sees it.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * The bonuses store.
 */
final class Reftrail_Bonuses {

	/** Statuses: payable, paid by a payout, or cancelled before that. */
	const STATUSES = array( 'approved', 'paid', 'cancelled' );

	/** The fields of `POST /v1/bonuses`, all required. */
	const FIELDS = array( 'affiliate', 'amount', 'currency', 'reason' );

	/** The longest reason, in bytes. */
	const MAX_REASON = 200;

	/** The idempotency scope of `POST /v1/bonuses`. */
	const SCOPE = 'bonus';

	/** The lock that payouts take (Reftrail_Ledger::create_payout()). */
	const LOCK = 'payouts';

	/**
	 * The fields of a new bonus checked, the reason trimmed of spaces, or the first rule they
	 * break in the contract's order: affiliate, amount, currency, reason. Each field's wrong type
	 * breaks that field's rule.
	 *
	 * @param array $b Body (unknown fields already refused).
	 * @return array `affiliate`, `amount`, `currency`, `reason`.
	 * @throws Reftrail_Http_Error 400 invalid_affiliate, invalid_amount, invalid_currency or
	 *                             invalid_reason.
	 */
	public static function checked( array $b ) {
		$affiliate = $b['affiliate'] ?? null;
		if ( ! Reftrail_Cookie::is_id( $affiliate ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_affiliate', "affiliate must be an affiliate id: 1 to 64 letters, digits, '-', '_' or '.'" );
		}
		$amount = $b['amount'] ?? null;
		if ( ! Reftrail_Input::amount( $amount ) || $amount < 1 ) {
			throw Reftrail_Http_Error::bad( 'invalid_amount', 'amount must be a whole number of minor units, 1 to 2^53-1' );
		}
		$currency = $b['currency'] ?? null;
		if ( ! Reftrail_Input::currency( $currency ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_currency', 'currency must be an ISO 4217 code of three capital letters' );
		}
		// Spaces only, as creatives trim their text: both backends must store the same reason.
		$reason = is_string( $b['reason'] ?? null ) ? trim( $b['reason'], ' ' ) : null;
		if ( ! Reftrail_Input::text( $reason, self::MAX_REASON ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_reason', 'reason must be one line of 1 to 200 bytes' );
		}
		return array(
			'affiliate' => $affiliate,
			'amount'    => $amount,
			'currency'  => $currency,
			'reason'    => $reason,
		);
	}

	/**
	 * The hash an Idempotency-Key is stored with: the body's fields as sent, in a fixed order
	 * (the same bonus sent with its fields in another order is the same request).
	 *
	 * @param array $b Body.
	 * @return string
	 */
	public static function request_hash( array $b ) {
		$fields = array();
		foreach ( self::FIELDS as $k ) {
			$fields[ $k ] = $b[ $k ] ?? null;
		}
		return hash( 'sha256', (string) wp_json_encode( $fields ) );
	}

	/**
	 * Gives an approved affiliate a bonus, payable at once: in one transaction under the payouts'
	 * lock, the bonus, its ledger row (`approved`, entry `bonus`), the activity entry
	 * (`bonus.created`), the `bonus.created` webhooks and, when the program sends it, the
	 * affiliate's email; with an Idempotency-Key, the answer stored with them. The same key seen
	 * while this request waited for the lock answers what it stored.
	 *
	 * @param array       $b    Body (unknown fields already refused).
	 * @param string      $by   Who gives it, as the activity log names them.
	 * @param string|null $idem Idempotency-Key (checked), or null.
	 * @return array [status (201, or 200 for a replay), the bonus view].
	 * @throws Reftrail_Http_Error 400; 404 affiliate_not_found; 409 idempotency_key_reused;
	 *                             422 affiliate_not_approved; 503.
	 */
	public static function create( array $b, $by, $idem = null ) {
		global $wpdb;
		$f    = self::checked( $b );
		$hash = self::request_hash( $b );
		if ( null !== $idem ) {
			$stored = Reftrail_Tracking::replay( self::SCOPE, $idem, $hash, true );
			if ( null !== $stored ) {
				return array( 200, json_decode( $stored, true ) );
			}
		}
		return Reftrail_Db::locked(
			self::LOCK,
			fn() => Reftrail_Db::transaction(
				function () use ( $wpdb, $f, $by, $idem, $hash ) {
					if ( null !== $idem ) {
						$stored = Reftrail_Tracking::replay( self::SCOPE, $idem, $hash, true );
						if ( null !== $stored ) {
							return array( 200, json_decode( $stored, true ) );
						}
					}
					$a   = Reftrail_Db::table( 'affiliates' );
					$row = $wpdb->get_row( $wpdb->prepare( "SELECT id, status FROM {$a} WHERE id = %s AND BINARY id = %s", $f['affiliate'], $f['affiliate'] ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours.
					if ( ! $row ) {
						throw new Reftrail_Http_Error( 404, 'affiliate_not_found', 'no affiliate has this id' );
					}
					if ( 'approved' !== $row['status'] ) {
						throw new Reftrail_Http_Error( 422, 'affiliate_not_approved', sprintf( 'a %s affiliate cannot be given a bonus; approve them first', $row['status'] ) );
					}
					$id = Reftrail_Db::new_id( 'bo' );
					$ok = $wpdb->insert(
						Reftrail_Db::table( 'bonuses' ),
						array(
							'id'           => $id,
							'affiliate_id' => $row['id'],
							'amount'       => $f['amount'],
							'currency'     => $f['currency'],
							'reason'       => $f['reason'],
							'status'       => 'approved',
							'by_whom'      => (string) $by,
							'created_at'   => Reftrail_Db::now(),
						),
						array( '%s', '%s', '%d', '%s', '%s', '%s', '%s', '%d' )
					);
					if ( ! $ok || ! Reftrail_Ledger::append( $row['id'], null, null, 'approved', 'bonus', $f['amount'], $f['currency'], $id ) ) {
						throw self::unavailable();
					}
					$view = self::get( $id );
					Reftrail_Activity::record(
						$by,
						'bonus.created',
						$id,
						$view['affiliate'],
						array(
							'amount'   => $view['amount'],
							'currency' => $view['currency'],
							'reason'   => $view['reason'],
						)
					);
					// The affiliate's email (Reftrail_Affiliate_Mail) and the webhooks (Reftrail_Webhooks)
					// are queued in this transaction, so they go out if and only if the bonus is given.
					do_action( 'reftrail_bonus_created', $view );
					if ( null !== $idem ) {
						Reftrail_Tracking::remember( self::SCOPE, $idem, $hash, (string) wp_json_encode( $view ) );
					}
					return array( 201, $view );
				}
			)
		);
	}

	/**
	 * Cancels a bonus not yet paid: in one transaction under the payouts' lock (a payout running
	 * at the same moment has either paid it, and this is a 409, or never sees it), its ledger row
	 * (`approved`, entry `bonus_cancel`, the amount taken back), the status and time, the
	 * activity entry and the webhooks (`bonus.cancelled`). A cancelled bonus is answered as it
	 * is, nothing written.
	 *
	 * @param string $id Bonus.
	 * @param string $by Who cancels it, as the activity log names them.
	 * @return array The bonus view.
	 * @throws Reftrail_Http_Error 404 bonus_not_found; 409 invalid_status (paid); 503.
	 */
	public static function cancel( $id, $by ) {
		global $wpdb;
		return Reftrail_Db::locked(
			self::LOCK,
			fn() => Reftrail_Db::transaction(
				function () use ( $wpdb, $id, $by ) {
					$t   = Reftrail_Db::table( 'bonuses' );
					$row = $wpdb->get_row( $wpdb->prepare( "SELECT * FROM {$t} WHERE id = %s AND BINARY id = %s FOR UPDATE", $id, $id ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours.
					if ( ! $row ) {
						throw self::not_found();
					}
					if ( 'cancelled' === $row['status'] ) {
						return self::view( $row );
					}
					if ( 'approved' !== $row['status'] ) {
						throw new Reftrail_Http_Error( 409, 'invalid_status', sprintf( 'a %s bonus cannot be cancelled', $row['status'] ) );
					}
					$ok = $wpdb->query( $wpdb->prepare( "UPDATE {$t} SET status = 'cancelled', cancelled_at = %d WHERE id = %s AND status = 'approved'", Reftrail_Db::now(), $row['id'] ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours.
					if ( 1 !== (int) $ok || ! Reftrail_Ledger::append( $row['affiliate_id'], null, null, 'approved', 'bonus_cancel', -(int) $row['amount'], $row['currency'], $row['id'] ) ) {
						throw self::unavailable();
					}
					Reftrail_Activity::record( $by, 'bonus.cancelled', $row['id'], $row['affiliate_id'], array() );
					$view = self::get( $row['id'] );
					// The webhooks (Reftrail_Webhooks) are queued in this transaction.
					do_action( 'reftrail_bonus_cancelled', $view );
					return $view;
				}
			)
		);
	}

	/**
	 * One bonus as the merchant sees it.
	 *
	 * @param string $id Bonus.
	 * @return array
	 * @throws Reftrail_Http_Error 404 bonus_not_found.
	 */
	public static function get( $id ) {
		global $wpdb;
		$t   = Reftrail_Db::table( 'bonuses' );
		$row = $wpdb->get_row( $wpdb->prepare( "SELECT * FROM {$t} WHERE id = %s AND BINARY id = %s", $id, $id ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours.
		if ( ! $row ) {
			throw self::not_found();
		}
		return self::view( $row );
	}

	/**
	 * A page of bonuses as the merchant sees them, newest first (by created_at, then id), and how
	 * many match: only `$affiliate`'s (compared byte for byte) unless it is '', only those of
	 * `$status` unless it is ''.
	 *
	 * @param string $affiliate Affiliate or ''.
	 * @param string $status    Status or ''.
	 * @param int    $limit     Limit.
	 * @param int    $offset    Offset.
	 * @return array `bonuses`, `total`.
	 */
	public static function index( $affiliate, $status, $limit, $offset ) {
		global $wpdb;
		$t     = Reftrail_Db::table( 'bonuses' );
		$where = "(%s = '' OR (affiliate_id = %s AND BINARY affiliate_id = %s)) AND (%s = '' OR status = %s)";
		$args  = array( $affiliate, $affiliate, $affiliate, $status, $status );
		$rows  = $wpdb->get_results( $wpdb->prepare( "SELECT * FROM {$t} WHERE {$where} ORDER BY created_at DESC, BINARY id DESC LIMIT %d OFFSET %d", array_merge( $args, array( $limit, $offset ) ) ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name and the conditions are ours; every value is bound.
		$total = (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$t} WHERE {$where}", $args ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- as above.
		return array(
			'bonuses' => array_map( array( __CLASS__, 'view' ), $rows ),
			'total'   => $total,
		);
	}

	/**
	 * A page of an affiliate's bonuses as they see them, the cancelled ones left out, newest
	 * first, and how many there are: without the affiliate, who gave it, or cancelled_at.
	 *
	 * @param string $affiliate Affiliate.
	 * @param int    $limit     Limit.
	 * @param int    $offset    Offset.
	 * @return array `bonuses`, `total`.
	 */
	public static function for_affiliate( $affiliate, $limit, $offset ) {
		global $wpdb;
		$t     = Reftrail_Db::table( 'bonuses' );
		$where = "affiliate_id = %s AND BINARY affiliate_id = %s AND status <> 'cancelled'";
		$rows  = $wpdb->get_results( $wpdb->prepare( "SELECT * FROM {$t} WHERE {$where} ORDER BY created_at DESC, BINARY id DESC LIMIT %d OFFSET %d", $affiliate, $affiliate, $limit, $offset ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name and the conditions are ours; every value is bound.
		$total = (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$t} WHERE {$where}", $affiliate, $affiliate ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- as above.
		return array(
			// The merchant's view without their bookkeeping.
			'bonuses' => array_map(
				fn( $row ) => array_diff_key( self::view( $row ), array_flip( array( 'affiliate', 'cancelled_at', 'by' ) ) ),
				$rows
			),
			'total'   => $total,
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
			'id'           => $row['id'],
			'affiliate'    => $row['affiliate_id'],
			'amount'       => (int) $row['amount'],
			'currency'     => $row['currency'],
			'reason'       => $row['reason'],
			'status'       => $row['status'],
			'payout_id'    => $row['payout_id'],
			'created_at'   => Reftrail_Db::rfc3339( $row['created_at'] ),
			'cancelled_at' => null === $row['cancelled_at'] ? null : Reftrail_Db::rfc3339( $row['cancelled_at'] ),
			'by'           => $row['by_whom'],
		);
	}

	/**
	 * The 404 of an unknown id.
	 *
	 * @return Reftrail_Http_Error
	 */
	private static function not_found() {
		return new Reftrail_Http_Error( 404, 'bonus_not_found', 'no bonus has this id' );
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
