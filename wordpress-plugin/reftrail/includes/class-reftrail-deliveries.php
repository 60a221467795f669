<?php
/**
 * What the program sent to other systems, for the merchant, as the Rust server answers it
 * (`routes/deliveries.rs`): the webhook events (`outbox`) and the affiliates' postbacks
 * (`postbacks`) in one list, newest first (`GET /v1/deliveries`), one given up or waiting long
 * for its next attempt sent again by hand (`POST /v1/deliveries/{id}/retry`), a signed test
 * event for a webhook endpoint (`POST /v1/webhooks/test`), and what a worker does when a request
 * fails its last attempt: it is given up and the administrator is told, in one transaction.
 *
 * Webhook endpoints are part of the settings, which are the owner's: other merchant callers see
 * and send again postbacks only (the REST controller decides who is who).
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * The merchant's deliveries.
 */
final class Reftrail_Deliveries {

	/** The kinds, each with its table (short name). */
	const TABLES = array(
		'webhook'  => 'outbox',
		'postback' => 'postbacks',
	);

	/** The status filters. */
	const STATUSES = array( 'pending', 'retrying', 'delivered', 'failed' );

	/**
	 * A worker's claim moves `next_at` at most this far ahead (Reftrail_Webhooks::deliver_due()):
	 * a row due later than that is in no worker's hands.
	 */
	const LEASE = 60;

	/**
	 * Each status filter on an outbox's own columns (fixed SQL).
	 */
	const STATUS_SQL = array(
		''          => '1 = 1',
		'delivered' => 'delivered_at IS NOT NULL',
		'failed'    => 'delivered_at IS NULL AND failed_at IS NOT NULL',
		'pending'   => 'delivered_at IS NULL AND failed_at IS NULL',
		'retrying'  => 'delivered_at IS NULL AND failed_at IS NULL AND attempts > 0',
	);

	/**
	 * The columns of a delivery of `$kind`, as view() reads them (fixed SQL).
	 *
	 * @param string $kind webhook or postback.
	 * @return string
	 */
	private static function columns( $kind ) {
		$who = 'webhook' === $kind ? 'NULL AS affiliate_id, NULL AS referral_id' : 'affiliate_id, referral_id';
		return "'{$kind}' AS kind, id, event, url, {$who}, at, attempts, next_at, delivered_at, failed_at, last_error";
	}

	/**
	 * A page of deliveries, newest first (by time, then id), with the total matching and the
	 * counts by state of every delivery the caller sees, whatever the filters.
	 *
	 * @param string $kind     '' (both), webhook or postback.
	 * @param string $status   '' (any) or one of STATUSES.
	 * @param int    $limit    Page size.
	 * @param int    $offset   Offset.
	 * @param bool   $webhooks Whether the caller sees webhook events.
	 * @return array `deliveries`, `total`, `counts`.
	 */
	public static function index( $kind, $status, $limit, $offset, $webhooks ) {
		global $wpdb;
		$visible  = $webhooks ? array_keys( self::TABLES ) : array( 'postback' );
		$listed   = array_values( array_filter( $visible, fn( $k ) => '' === $kind || $k === $kind ) );
		$filter   = self::STATUS_SQL[ $status ];
		$branches = array();
		$args     = array();
		foreach ( $listed as $k ) {
			$t = Reftrail_Db::table( self::TABLES[ $k ] );
			// Each outbox gives only its newest offset + limit rows, through its (at, id) index.
			$branches[] = '(SELECT ' . self::columns( $k ) . " FROM {$t} WHERE {$filter} ORDER BY at DESC, BINARY id DESC LIMIT %d)";
			$args[]     = $offset + $limit;
		}
		$args[] = $limit;
		$args[] = $offset;
		$sql    = 'SELECT * FROM (' . implode( ' UNION ALL ', $branches ) . ') d ORDER BY at DESC, BINARY id DESC LIMIT %d OFFSET %d';
		$rows   = $wpdb->get_results( $wpdb->prepare( $sql, $args ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- table names and fixed conditions; every value is bound.
		$counts = array_map( array( __CLASS__, 'state_counts' ), self::TABLES );
		$sum    = function ( array $kinds, $state ) use ( $counts ) {
			$n = 0;
			foreach ( $kinds as $k ) {
				$n += self::matching( $counts[ $k ], $state );
			}
			return $n;
		};
		return array(
			'deliveries' => array_map( array( __CLASS__, 'view' ), (array) $rows ),
			'total'      => $sum( $listed, $status ),
			'counts'     => array(
				'pending'   => $sum( $visible, 'pending' ),
				'retrying'  => $sum( $visible, 'retrying' ),
				'delivered' => $sum( $visible, 'delivered' ),
				'failed'    => $sum( $visible, 'failed' ),
			),
		);
	}

	/**
	 * How many rows of an outbox are in each state: `waiting` (not sent yet, never failed),
	 * `retrying` (pending after a failed attempt), `failed` (given up) and `all`. Only the rows
	 * not delivered are grouped (few, through the outbox's due index); the delivered are what
	 * remains of all.
	 *
	 * @param string $table Short table name.
	 * @return int[]
	 */
	private static function state_counts( $table ) {
		global $wpdb;
		$t   = Reftrail_Db::table( $table );
		$out = array(
			'waiting'  => 0,
			'retrying' => 0,
			'failed'   => 0,
		);
		$rows = $wpdb->get_results( "SELECT CASE WHEN failed_at IS NOT NULL THEN 'failed' WHEN attempts > 0 THEN 'retrying' ELSE 'waiting' END AS s, COUNT(*) AS n FROM {$t} WHERE delivered_at IS NULL GROUP BY s", ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours.
		foreach ( (array) $rows as $r ) {
			$out[ $r['s'] ] = (int) $r['n'];
		}
		$out['all'] = (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$t}" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours.
		return $out;
	}

	/**
	 * How many of an outbox's rows (state_counts()) match the status filter `$status`.
	 *
	 * @param int[]  $c      Counts.
	 * @param string $status '' (any) or one of STATUSES.
	 * @return int
	 */
	private static function matching( array $c, $status ) {
		switch ( $status ) {
			case 'pending':
				return $c['waiting'] + $c['retrying'];
			case 'retrying':
				return $c['retrying'];
			case 'failed':
				return $c['failed'];
			case 'delivered':
				return $c['all'] - $c['waiting'] - $c['retrying'] - $c['failed'];
			default:
				return $c['all'];
		}
	}

	/**
	 * A delivery as the routes answer it.
	 *
	 * @param array $r A row of columns().
	 * @return array
	 */
	public static function view( array $r ) {
		$status = null !== $r['delivered_at'] ? 'delivered' : ( null !== $r['failed_at'] ? 'failed' : 'pending' );
		$time   = fn( $t ) => null === $t ? null : Reftrail_Db::rfc3339( (int) $t );
		return array(
			'id'           => $r['id'],
			'kind'         => $r['kind'],
			'event'        => $r['event'],
			'url'          => $r['url'],
			'affiliate_id' => $r['affiliate_id'],
			'referral_id'  => $r['referral_id'],
			'at'           => $time( $r['at'] ),
			'status'       => $status,
			'attempts'     => (int) $r['attempts'],
			'last_error'   => $r['last_error'],
			'next_at'      => 'pending' === $status ? $time( $r['next_at'] ) : null,
			'delivered_at' => $time( $r['delivered_at'] ),
			'failed_at'    => $time( $r['failed_at'] ),
		);
	}

	/**
	 * The delivery `$id` of either outbox, byte for byte, as a row of columns() (locked for the
	 * caller's transaction when `$lock`); null when neither has it.
	 *
	 * @param string $id   Id.
	 * @param bool   $lock Whether to lock the row.
	 * @return array|null
	 */
	private static function find( $id, $lock ) {
		global $wpdb;
		foreach ( self::TABLES as $kind => $table ) {
			$t   = Reftrail_Db::table( $table );
			$sql = 'SELECT ' . self::columns( $kind ) . " FROM {$t} WHERE id = %s AND BINARY id = %s" . ( $lock ? ' FOR UPDATE' : '' );
			$row = $wpdb->get_row( $wpdb->prepare( $sql, $id, $id ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- the table name and fixed SQL; the id is bound.
			if ( $row ) {
				return $row;
			}
		}
		return null;
	}

	/**
	 * Sends again delivery `$id`, given up or waiting for a later attempt: due at once, its
	 * attempts counted afresh (its last error kept until the next attempt), recorded as
	 * `delivery.retried` by `$by` in the same transaction; then asks WP-Cron for a round.
	 *
	 * @param string $id       Id.
	 * @param string $by       Who, as the activity log names them.
	 * @param bool   $webhooks Whether the caller sees webhook events.
	 * @return array The delivery as the list shows it.
	 * @throws Reftrail_Http_Error 404 delivery_not_found, 409 already_delivered or delivery_due, 503.
	 */
	public static function retry( $id, $by, $webhooks ) {
		global $wpdb;
		$view = Reftrail_Db::transaction(
			function () use ( $wpdb, $id, $by, $webhooks ) {
				$found = self::find( $id, true );
				// A webhook is not even said to exist to a caller the list leaves them out for.
				if ( null === $found || ( 'webhook' === $found['kind'] && ! $webhooks ) ) {
					throw new Reftrail_Http_Error( 404, 'delivery_not_found', 'no delivery has this id' );
				}
				$before = self::view( $found );
				if ( 'delivered' === $before['status'] ) {
					throw new Reftrail_Http_Error( 409, 'already_delivered', 'this delivery was accepted already' );
				}
				$t   = Reftrail_Db::table( self::TABLES[ $found['kind'] ] );
				$now = Reftrail_Db::now();
				// A row due within a lease may be in a worker's hands right now: it is left to it.
				$moved = $wpdb->query( $wpdb->prepare( "UPDATE {$t} SET attempts = 0, failed_at = NULL, next_at = %d WHERE id = %s AND BINARY id = %s AND delivered_at IS NULL AND (failed_at IS NOT NULL OR next_at > %d)", $now, $id, $id, $now + self::LEASE ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours.
				if ( false === $moved ) {
					throw new Reftrail_Http_Error( 503, 'unavailable', 'the database is unavailable; retry later' );
				}
				if ( 1 !== (int) $moved ) {
					throw new Reftrail_Http_Error( 409, 'delivery_due', 'this delivery is being sent or is due within a minute' );
				}
				Reftrail_Activity::record(
					$by,
					'delivery.retried',
					$id,
					$found['affiliate_id'],
					array(
						'kind'   => $before['kind'],
						'event'  => $before['event'],
						'url'    => $before['url'],
						'status' => $before['status'],
					)
				);
				return self::view( self::find( $id, false ) );
			}
		);
		// After the commit: scheduling writes WordPress's cron option, whose row would otherwise
		// stay locked until then.
		Reftrail_Webhooks::schedule( time() );
		return $view;
	}

	/**
	 * Sends a signed `ping` event to the webhook endpoint of body `{"url"}` and answers what came
	 * back: `url`, `delivered` (a 2xx answer), `status` (null without an answer), `error`. Nothing
	 * is queued.
	 *
	 * @param array $b Body.
	 * @return array
	 * @throws Reftrail_Http_Error 400 invalid_body or invalid_url.
	 */
	public static function test_webhook( array $b ) {
		Reftrail_Input::known( $b, array( 'url' ) );
		if ( ! isset( $b['url'] ) || ! is_string( $b['url'] ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_body', 'url: expected a string' );
		}
		$url = Reftrail_Postbacks::trim( $b['url'] );
		if ( ! Reftrail_Program::webhook_url_ok( $url ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_url', 'url must be an http(s) URL of at most 2,048 characters' );
		}
		$outcome = Reftrail_Webhooks::post( (string) get_option( Reftrail_Keys::WEBHOOK, '' ), $url, Reftrail_Webhooks::ping_payload( Reftrail_Db::now() ) );
		return array(
			'url'       => $url,
			'delivered' => null === $outcome['error'],
			'status'    => $outcome['status'],
			'error'     => $outcome['error'],
		);
	}

	/**
	 * Gives up delivery `$id` of `$kind` after its last failed attempt and queues the
	 * administrator's email about it (Reftrail_Affiliate_Mail::delivery_failed()), in one
	 * transaction. When that fails, neither is written: the row stays claimed until its lease
	 * ends and is tried again then.
	 *
	 * @param string $kind     webhook or postback.
	 * @param string $id       Id.
	 * @param int    $attempts The attempts made, the last one included.
	 * @param string $error    Why the last one failed.
	 * @param array  $notice   What the email tells: `kind`, `event`, `url`, `affiliate` (null for
	 *                         a webhook), `error`.
	 * @return bool Whether it was given up.
	 */
	public static function give_up( $kind, $id, $attempts, $error, array $notice ) {
		global $wpdb;
		try {
			Reftrail_Db::transaction(
				function () use ( $wpdb, $kind, $id, $attempts, $error, $notice ) {
					$now = Reftrail_Db::now();
					$ok  = $wpdb->update(
						Reftrail_Db::table( self::TABLES[ $kind ] ),
						array(
							'attempts'   => (int) $attempts,
							'next_at'    => $now + Reftrail_Webhooks::backoff( $attempts ),
							'failed_at'  => $now,
							'last_error' => mb_strcut( (string) $error, 0, 500, 'UTF-8' ),
						),
						array( 'id' => $id ),
						array( '%d', '%d', '%d', '%s' ),
						array( '%s' )
					);
					if ( false === $ok ) {
						throw new Reftrail_Http_Error( 503, 'unavailable', 'the database is unavailable; retry later' );
					}
					Reftrail_Affiliate_Mail::delivery_failed( $id, $notice );
				}
			);
		} catch ( Reftrail_Http_Error $e ) {
			return false;
		}
		return true;
	}
}
