<?php
/**
 * What the three outboxes share (`outbox` for webhooks, `mail_outbox` for emails, `postbacks`
 * for affiliates' trackers), as on the Rust server (`outbox.rs`): a row that was sent, or given
 * up, is kept 30 days after it was queued, to see what was sent, then an hourly WP-Cron job
 * removes it, in batches. A row still owed stays however old.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * Removal of finished outbox rows.
 */
final class Reftrail_Outbox {

	/** The WP-Cron hook (hourly, and once more soon after a run that could not finish). */
	const CRON = 'reftrail_prune_outboxes';

	/** How long a finished row is kept after it was queued, in seconds. */
	const FINISHED_KEPT = 30 * Reftrail_Db::DAY;

	/** Rows removed per statement, at most. */
	const BATCH = 5000;

	/** Seconds a run may spend starting batches. */
	const BUDGET = 20;

	/** Each outbox (short table name) and its column that says a row was sent. */
	const OUTBOXES = array(
		'outbox'      => 'delivered_at',
		'mail_outbox' => 'sent_at',
		'postbacks'   => 'delivered_at',
	);

	/**
	 * Hooks.
	 */
	public static function init() {
		add_action( self::CRON, array( __CLASS__, 'run' ) );
	}

	/**
	 * The cron job: prune_finished() now.
	 *
	 * @return int How many rows went.
	 */
	public static function run() {
		return self::prune_finished( Reftrail_Db::now() );
	}

	/**
	 * Removes the rows of every outbox queued before `$now - FINISHED_KEPT` that were sent or
	 * given up, batch after batch for at most BUDGET seconds; a run that finds more than its time
	 * allows asks for another run.
	 *
	 * @param int $now The time.
	 * @return int How many rows went.
	 */
	public static function prune_finished( $now ) {
		global $wpdb;
		$before  = (int) $now - self::FINISHED_KEPT;
		$started = microtime( true );
		$removed = 0;
		foreach ( self::OUTBOXES as $name => $sent ) {
			$t = Reftrail_Db::table( $name );
			do {
				if ( microtime( true ) - $started >= self::BUDGET ) {
					wp_schedule_single_event( time() + 60, self::CRON );
					return $removed;
				}
				$n = $wpdb->query( $wpdb->prepare( "DELETE FROM {$t} WHERE at < %d AND ({$sent} IS NOT NULL OR failed_at IS NOT NULL) LIMIT %d", $before, self::BATCH ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table and column names are ours.
				if ( false === $n ) {
					return $removed; // The next hour's run tries again.
				}
				$removed += (int) $n;
			} while ( self::BATCH === (int) $n );
		}
		return $removed;
	}
}
