<?php
/**
 * Webhooks: `affiliate.applied` (an application from the public form created an affiliate: the
 * affiliate as `GET /v1/affiliates/{id}` shows it, with its application), `referral.created`,
 * `referral.approved`, `referral.reversed`, `recruiter_commission.created` (a recruiter's share of
 * their recruit's new commission, as `GET /v1/recruiter-commissions` lists it, after the events of
 * the referral it follows), `payout.created`, `bonus.created`, `bonus.cancelled`, as the Rust
 * server sends them. An event is written to the `outbox` table in the transaction of the
 * change it reports (so it is sent if and only if the change happened), then WP-Cron POSTs it
 * with `Reftrail-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">` under the
 * program's webhook secret, retrying failures 30 s apart, doubling up to 6 h, 12 attempts in all.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * The outbox and its delivery.
 */
final class Reftrail_Webhooks {

	/** Attempts before an event is marked failed. */
	const MAX_ATTEMPTS = 12;

	/** The WP-Cron hook that delivers due events. */
	const CRON = 'reftrail_deliver_webhooks';

	/**
	 * Hooks.
	 */
	public static function init() {
		add_action( 'reftrail_application_created', fn( $v ) => self::enqueue( 'affiliate.applied', $v ) );
		add_action( 'reftrail_referral_created', fn( $v ) => self::enqueue( 'referral.created', $v ) );
		add_action( 'reftrail_referral_approved', fn( $v ) => self::enqueue( 'referral.approved', $v ) );
		add_action( 'reftrail_referral_reversed', fn( $v ) => self::enqueue( 'referral.reversed', $v ) );
		add_action( 'reftrail_recruiter_commission_created', fn( $v ) => self::enqueue( 'recruiter_commission.created', $v ) );
		add_action( 'reftrail_payout_created', fn( $v ) => self::enqueue( 'payout.created', $v ) );
		add_action( 'reftrail_bonus_created', fn( $v ) => self::enqueue( 'bonus.created', $v ) );
		add_action( 'reftrail_bonus_cancelled', fn( $v ) => self::enqueue( 'bonus.cancelled', $v ) );
		add_action( self::CRON, array( __CLASS__, 'deliver_due' ) );
	}

	/**
	 * Writes one outbox row per endpoint subscribed to `$event`, and asks WP-Cron to deliver.
	 *
	 * @param string $event Event type.
	 * @param array  $data  The affiliate, referral, recruiter commission, payout or bonus view.
	 */
	public static function enqueue( $event, array $data ) {
		global $wpdb;
		$program = Reftrail_Program::get();
		$at      = Reftrail_Db::now();
		$any     = false;
		foreach ( (array) $program['webhooks'] as $w ) {
			$events = (array) ( $w['events'] ?? array() );
			if ( $events && ! in_array( $event, $events, true ) ) {
				continue;
			}
			$id = Reftrail_Db::new_id( 'evt' );
			$wpdb->insert(
				Reftrail_Db::table( 'outbox' ),
				array(
					'id'       => $id,
					'event'    => $event,
					'url'      => $w['url'],
					'payload'  => wp_json_encode(
						array(
							'id'         => $id,
							'type'       => $event,
							'created_at' => Reftrail_Db::rfc3339( $at ),
							'data'       => $data,
						)
					),
					'at'       => $at,
					'attempts' => 0,
					'next_at'  => $at,
				),
				array( '%s', '%s', '%s', '%s', '%d', '%d', '%d' )
			);
			$any = true;
		}
		if ( $any && ! wp_next_scheduled( self::CRON ) ) {
			wp_schedule_single_event( time(), self::CRON );
		}
	}

	/**
	 * The signature header value for `$body` at time `$t`.
	 *
	 * @param string $secret Webhook secret.
	 * @param int    $t      Unix time.
	 * @param string $body   Body.
	 * @return string
	 */
	public static function signature( $secret, $t, $body ) {
		return 't=' . $t . ',v1=' . hash_hmac( 'sha256', $t . '.' . $body, $secret );
	}

	/**
	 * Seconds before the next attempt after `$attempts` attempts.
	 *
	 * @param int $attempts Attempts so far.
	 * @return int
	 */
	public static function backoff( $attempts ) {
		return min( 30 << max( 0, min( 10, $attempts ) ), 6 * HOUR_IN_SECONDS );
	}

	/**
	 * Sends the due events (at most 20), in the order they were queued; each is claimed first, so
	 * two cron runs never send one twice. Schedules the next run while events wait.
	 *
	 * @return int How many were delivered.
	 */
	public static function deliver_due() {
		global $wpdb;
		$t      = Reftrail_Db::table( 'outbox' );
		$now    = Reftrail_Db::now();
		$rows   = $wpdb->get_results( $wpdb->prepare( "SELECT id, url, payload, attempts, next_at FROM {$t} WHERE delivered_at IS NULL AND failed_at IS NULL AND next_at <= %d ORDER BY next_at, BINARY id LIMIT 20", $now ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$secret = (string) get_option( Reftrail_Keys::WEBHOOK, '' );
		$sent   = 0;
		foreach ( $rows as $r ) {
			$claimed = $wpdb->query( $wpdb->prepare( "UPDATE {$t} SET next_at = %d WHERE id = %s AND next_at = %d", $now + 60, $r['id'], $r['next_at'] ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			if ( 1 !== (int) $claimed ) {
				continue;
			}
			$ts       = time();
			$response = wp_remote_post(
				$r['url'],
				array(
					'timeout'     => 10,
					'redirection' => 0,
					'user-agent'  => 'reftrail-webhooks/1',
					'headers'     => array(
						'Content-Type'       => 'application/json',
						'Reftrail-Signature' => self::signature( $secret, $ts, $r['payload'] ),
					),
					'body'        => $r['payload'],
				)
			);
			$code     = is_wp_error( $response ) ? 0 : (int) wp_remote_retrieve_response_code( $response );
			$attempts = (int) $r['attempts'] + 1;
			if ( $code >= 200 && $code < 300 ) {
				$wpdb->update( $t, array( 'delivered_at' => Reftrail_Db::now(), 'attempts' => $attempts, 'last_error' => null ), array( 'id' => $r['id'] ) );
				++$sent;
				continue;
			}
			$error = is_wp_error( $response ) ? $response->get_error_message() : 'HTTP ' . $code;
			$wpdb->update(
				$t,
				array(
					'attempts'   => $attempts,
					'next_at'    => Reftrail_Db::now() + self::backoff( $attempts ),
					'failed_at'  => $attempts >= self::MAX_ATTEMPTS ? Reftrail_Db::now() : null,
					'last_error' => substr( $error, 0, 500 ),
				),
				array( 'id' => $r['id'] )
			);
		}
		$next = $wpdb->get_var( "SELECT MIN(next_at) FROM {$t} WHERE delivered_at IS NULL AND failed_at IS NULL" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		if ( null !== $next && ! wp_next_scheduled( self::CRON ) ) {
			wp_schedule_single_event( max( time(), (int) $next ), self::CRON );
		}
		return $sent;
	}
}
