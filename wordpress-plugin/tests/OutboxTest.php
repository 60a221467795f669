<?php
/**
 * Pruning of the outboxes (webhooks, emails, postbacks), as on the server: the rows queued more
 * than 30 days ago that were sent or given up are removed, in batches, by an hourly job that
 * stops with the plugin; a row still owed stays however old, a recent one however finished.
 *
 * @package Reftrail
 */

/**
 * Outbox pruning tests.
 */
class OutboxTest extends Reftrail_Test_Case {

	/** The time of the tests. */
	const NOW = 2000000000;

	/**
	 * Writes a row into an outbox.
	 *
	 * @param string   $table     Short table name.
	 * @param string   $id        Row id.
	 * @param int      $at        When it was queued.
	 * @param int|null $sent      When it was sent, or null.
	 * @param int|null $failed_at When it was given up, or null.
	 */
	private function row( $table, $id, $at, $sent, $failed_at ) {
		global $wpdb;
		$own = array(
			'outbox'      => array(
				'event'   => 'referral.created',
				'url'     => 'https://hooks.example/',
				'payload' => '{}',
			),
			'mail_outbox' => array(
				'event'        => 'referral.created',
				'affiliate_id' => 'alice',
				'payload'      => '{}',
			),
			'postbacks'   => array(
				'affiliate_id' => 'alice',
				'referral_id'  => 'r',
				'event'        => 'created',
				'url'          => 'https://t.example/',
			),
		)[ $table ];
		$row = array_merge(
			array(
				'id'        => $id,
				'at'        => $at,
				'attempts'  => 1,
				'next_at'   => $at,
				'failed_at' => $failed_at,
			),
			$own
		);
		$row[ Reftrail_Outbox::OUTBOXES[ $table ] ] = $sent;
		$ok = $wpdb->insert( Reftrail_Db::table( $table ), $row );
		$this->assertSame( 1, $ok, $wpdb->last_error );
	}

	/**
	 * The ids left in an outbox, sorted.
	 *
	 * @param string $table Short table name.
	 * @return string[]
	 */
	private function ids( $table ) {
		global $wpdb;
		return $wpdb->get_col( 'SELECT id FROM ' . Reftrail_Db::table( $table ) . ' ORDER BY BINARY id' ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- table name only.
	}

	public function test_finished_rows_go_after_30_days_and_owed_ones_never() {
		$old    = self::NOW - Reftrail_Outbox::FINISHED_KEPT - 1;
		$edge   = self::NOW - Reftrail_Outbox::FINISHED_KEPT;
		$recent = self::NOW - 86400;
		foreach ( array_keys( Reftrail_Outbox::OUTBOXES ) as $table ) {
			$this->row( $table, 'old-delivered', $old, $old, null );
			$this->row( $table, 'old-failed', $old, null, $old );
			$this->row( $table, 'old-owed', $old, null, null );
			// Retried long after it was queued: its age counts from when it was queued.
			$this->row( $table, 'old-sent-lately', $old, self::NOW - 60, null );
			$this->row( $table, 'edge-delivered', $edge, $edge, null );
			$this->row( $table, 'recent-delivered', $recent, $recent, null );
			$this->row( $table, 'recent-failed', $recent, null, $recent );
		}
		$this->assertSame( 9, Reftrail_Outbox::prune_finished( self::NOW ) );
		foreach ( array_keys( Reftrail_Outbox::OUTBOXES ) as $table ) {
			$this->assertSame( array( 'edge-delivered', 'old-owed', 'recent-delivered', 'recent-failed' ), $this->ids( $table ), $table );
		}
		$this->assertSame( 0, Reftrail_Outbox::prune_finished( self::NOW ), 'nothing more to remove' );
		// A month on, the recent ones are old; the owed one stays.
		$this->assertSame( 9, Reftrail_Outbox::prune_finished( self::NOW + 30 * 86400 ) );
		foreach ( array_keys( Reftrail_Outbox::OUTBOXES ) as $table ) {
			$this->assertSame( array( 'old-owed' ), $this->ids( $table ), $table );
		}
	}

	public function test_more_than_a_batch_goes_in_batches() {
		global $wpdb;
		$old  = self::NOW - Reftrail_Outbox::FINISHED_KEPT - 1;
		$rows = array();
		for ( $i = 0; $i <= Reftrail_Outbox::BATCH; $i++ ) {
			$rows[] = $wpdb->prepare( "(%s, 'referral.created', 'https://hooks.example/', '{}', %d, 1, %d, %d)", sprintf( 'evt_%05d', $i ), $old, $old, $old );
		}
		$this->row( 'outbox', 'owed', $old, null, null );
		foreach ( array_chunk( $rows, 1000 ) as $chunk ) {
			$wpdb->query( 'INSERT INTO ' . Reftrail_Db::table( 'outbox' ) . ' (id, event, url, payload, at, attempts, next_at, delivered_at) VALUES ' . implode( ',', $chunk ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- rows prepared above.
		}
		$statements = array();
		$count      = function ( $sql ) use ( &$statements ) {
			if ( 0 === strpos( $sql, 'DELETE FROM ' ) ) {
				$statements[] = $sql;
			}
			return $sql;
		};
		add_filter( 'query', $count );
		try {
			$removed = Reftrail_Outbox::prune_finished( self::NOW );
		} finally {
			remove_filter( 'query', $count );
		}
		$this->assertSame( Reftrail_Outbox::BATCH + 1, $removed );
		$this->assertSame( array( 'owed' ), $this->ids( 'outbox' ) );
		$this->assertCount( 2 + 1 + 1, $statements, 'two batches for the webhooks, one for each other outbox' );
		$this->assertStringContainsString( 'LIMIT ' . Reftrail_Outbox::BATCH, $statements[0] );
	}

	public function test_the_job_runs_hourly_and_stops_with_the_plugin() {
		$this->assertSame( 10, has_action( Reftrail_Outbox::CRON, array( 'Reftrail_Outbox', 'run' ) ) );
		$this->assertContains( Reftrail_Outbox::CRON, Reftrail_Plugin::HOURLY );
		Reftrail_Plugin::schedule();
		$this->assertSame( 'hourly', wp_get_schedule( Reftrail_Outbox::CRON ) );
		// Lost from the cron list: scheduled again (at `init`).
		wp_clear_scheduled_hook( Reftrail_Outbox::CRON );
		Reftrail_Plugin::schedule();
		$this->assertSame( 'hourly', wp_get_schedule( Reftrail_Outbox::CRON ) );
		// The job prunes as of now.
		add_filter( 'reftrail_now', fn() => self::NOW );
		$this->row( 'postbacks', 'old-delivered', self::NOW - Reftrail_Outbox::FINISHED_KEPT - 1, self::NOW - Reftrail_Outbox::FINISHED_KEPT - 1, null );
		do_action( Reftrail_Outbox::CRON );
		$this->assertSame( array(), $this->ids( 'postbacks' ) );
		Reftrail_Plugin::deactivate();
		$this->assertFalse( wp_next_scheduled( Reftrail_Outbox::CRON ) );
		Reftrail_Plugin::schedule();
	}
}
