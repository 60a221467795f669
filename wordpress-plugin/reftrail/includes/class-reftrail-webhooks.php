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
 * program's webhook secret, retrying failures 30 s apart, doubling up to 6 h, 12 attempts in all;
 * one that fails them all is given up and the administrator told (Reftrail_Deliveries), and the
 * merchant may send it again by hand.
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
	 * Asks WP-Cron to run the delivery job (webhooks and postbacks) at `$when` unless it runs by
	 * then already.
	 *
	 * @param int $when Unix time.
	 */
	public static function schedule( $when ) {
		$when = max( time(), (int) $when );
		$next = wp_next_scheduled( self::CRON );
		if ( false === $next || $next > $when ) {
			wp_schedule_single_event( $when, self::CRON );
		}
	}

	/**
	 * POSTs `$payload` to `$url`, signed with `$secret` at this moment (10 s, no redirects, HTTP/1.1,
	 * the webhooks' user agent), through wp_remote_post(): endpoints are the merchant's own
	 * settings, on loopback too.
	 *
	 * @param string $secret  Webhook secret.
	 * @param string $url     Endpoint.
	 * @param string $payload JSON body.
	 * @return array `status` (the answer's status code; null without an answer) and `error` (why
	 *               it failed, `HTTP <code>` for a status outside 2xx; null when it succeeded).
	 */
	public static function post( $secret, $url, $payload ) {
		$response = wp_remote_post(
			$url,
			array(
				'timeout'     => 10,
				'redirection' => 0,
				'httpversion' => '1.1',
				'user-agent'  => 'reftrail-webhooks/1',
				'headers'     => array(
					'Content-Type'       => 'application/json',
					'Reftrail-Signature' => self::signature( $secret, time(), $payload ),
				),
				'body'        => $payload,
			)
		);
		if ( is_wp_error( $response ) ) {
			return array(
				'status' => null,
				'error'  => mb_strcut( $response->get_error_message(), 0, 300, 'UTF-8' ),
			);
		}
		$code = (int) wp_remote_retrieve_response_code( $response );
		return array(
			'status' => $code,
			'error'  => $code >= 200 && $code < 300 ? null : 'HTTP ' . $code,
		);
	}

	/**
	 * The body of a `ping`: an event with no data, which a test sends so that an endpoint's
	 * address, signature check and answer can be tried before any real event.
	 *
	 * @param int $at Unix time.
	 * @return string
	 */
	public static function ping_payload( $at ) {
		return (string) wp_json_encode(
			array(
				'id'         => Reftrail_Db::new_id( 'evt' ),
				'type'       => 'ping',
				'created_at' => Reftrail_Db::rfc3339( $at ),
				'data'       => new stdClass(),
			)
		);
	}

	/**
	 * Sends the due events (at most 20), in the order they were queued; each is claimed first, so
	 * two cron runs never send one twice. One failing its last attempt is given up, and the
	 * administrator told (Reftrail_Deliveries::give_up()). Schedules the next run while events
	 * wait.
	 *
	 * @return int How many were delivered.
	 */
	public static function deliver_due() {
		global $wpdb;
		$t      = Reftrail_Db::table( 'outbox' );
		$now    = Reftrail_Db::now();
		$rows   = $wpdb->get_results( $wpdb->prepare( "SELECT id, event, url, payload, attempts, next_at FROM {$t} WHERE delivered_at IS NULL AND failed_at IS NULL AND next_at <= %d ORDER BY next_at, BINARY id LIMIT 20", $now ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$secret = (string) get_option( Reftrail_Keys::WEBHOOK, '' );
		$sent   = 0;
		foreach ( $rows as $r ) {
			$claimed = $wpdb->query( $wpdb->prepare( "UPDATE {$t} SET next_at = %d WHERE id = %s AND next_at = %d", $now + 60, $r['id'], $r['next_at'] ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			if ( 1 !== (int) $claimed ) {
				continue;
			}
			$outcome  = self::post( $secret, $r['url'], $r['payload'] );
			$attempts = (int) $r['attempts'] + 1;
			if ( null === $outcome['error'] ) {
				$wpdb->update( $t, array( 'delivered_at' => Reftrail_Db::now(), 'attempts' => $attempts, 'last_error' => null ), array( 'id' => $r['id'] ) );
				++$sent;
				continue;
			}
			if ( $attempts >= self::MAX_ATTEMPTS ) {
				Reftrail_Deliveries::give_up(
					'webhook',
					$r['id'],
					$attempts,
					$outcome['error'],
					array(
						'kind'      => 'webhook',
						'event'     => $r['event'],
						'url'       => $r['url'],
						'affiliate' => null,
						'error'     => $outcome['error'],
					)
				);
				continue;
			}
			$wpdb->update(
				$t,
				array(
					'attempts'   => $attempts,
					'next_at'    => Reftrail_Db::now() + self::backoff( $attempts ),
					'last_error' => mb_strcut( $outcome['error'], 0, 500, 'UTF-8' ),
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
