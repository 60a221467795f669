<?php
/**
 * Retention of click details, as on the Rust server: a click keeps the visitor's details (the IP
 * address hash, the user agent and the referring page) for the program's `click_details_days`,
 * then they are removed. The click itself stays: reports count it, and its visitor key and bot
 * flag were decided when it came. `null` days keeps the details.
 *
 * An hourly WP-Cron job goes forward from a watermark (an option: the time before which every
 * click's details are gone) along the clicks' `at` index, a batch at a time, so it never scans
 * clicks already forgotten; a run that finds more than its time allows asks for another run.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * Forgets old click details.
 */
final class Reftrail_Retention {

	/** The WP-Cron hook (hourly, and once more soon after a run that could not finish). */
	const CRON = 'reftrail_forget_click_details';

	/** The option holding the time before which every click's details are gone (not autoloaded). */
	const WATERMARK = 'reftrail_click_details_forgotten_before';

	/** Clicks per batch, at most (more when many share one second). */
	const BATCH = 5000;

	/** Seconds a run may spend starting batches. */
	const BUDGET = 20;

	/**
	 * Hooks.
	 */
	public static function init() {
		add_action( self::CRON, array( __CLASS__, 'run' ) );
	}

	/**
	 * The cron job: removes the details of clicks older than the program's `click_details_days`,
	 * batch after batch for at most BUDGET seconds.
	 *
	 * @return int How many clicks changed.
	 */
	public static function run() {
		$days = Reftrail_Program::get()['click_details_days'];
		if ( null === $days ) {
			return 0;
		}
		$cutoff  = Reftrail_Db::now() - (int) $days * Reftrail_Db::DAY;
		$started = microtime( true );
		$changed = 0;
		do {
			$from = (int) get_option( self::WATERMARK, 0 );
			if ( $from >= $cutoff ) {
				return $changed;
			}
			try {
				$changed += self::forget_batch( $from, $cutoff );
			} catch ( Reftrail_Http_Error $e ) {
				return $changed; // The next hour's run goes on from the watermark.
			}
		} while ( microtime( true ) - $started < self::BUDGET );
		wp_schedule_single_event( time() + 60, self::CRON );
		return $changed;
	}

	/**
	 * One batch: the clicks from `$from` up to the first click past BATCH of them (or the cutoff),
	 * and the watermark moved there, in one transaction. A second holding more clicks than a
	 * batch is taken whole, so runs always move on.
	 *
	 * @param int $from   Watermark.
	 * @param int $cutoff Clicks before this time are due.
	 * @return int How many clicks changed.
	 */
	private static function forget_batch( $from, $cutoff ) {
		global $wpdb;
		$t = Reftrail_Db::table( 'clicks' );
		return Reftrail_Db::transaction(
			function () use ( $wpdb, $t, $from, $cutoff ) {
				$at    = fn( $offset ) => $wpdb->get_var( $wpdb->prepare( "SELECT at FROM {$t} WHERE at >= %d AND at < %d ORDER BY at LIMIT 1 OFFSET %d", $from, $cutoff, $offset ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name only.
				$first = $at( 0 );
				$next  = null === $first ? null : $at( self::BATCH );
				$until = null === $next ? $cutoff : min( max( (int) $next, (int) $first + 1 ), $cutoff );
				$n     = $wpdb->query( $wpdb->prepare( "UPDATE {$t} SET ip_hash = '', user_agent = '', referrer = '' WHERE at >= %d AND at < %d AND (ip_hash <> '' OR user_agent <> '' OR referrer <> '')", $from, $until ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name only.
				if ( false === $n ) {
					throw new Reftrail_Http_Error( 503, 'unavailable', 'the database is unavailable; retry later' );
				}
				update_option( self::WATERMARK, $until, false );
				return (int) $n;
			}
		);
	}
}
