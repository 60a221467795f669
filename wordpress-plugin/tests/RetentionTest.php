<?php
/**
 * Retention of click details: past the program's `click_details_days` (default 90, null keeps
 * them), the hourly job removes a click's IP hash, user agent and referrer, batch after batch from
 * a watermark; the click stays and the reports count it as before.
 *
 * @package Reftrail
 */

/**
 * Retention tests.
 */
class RetentionTest extends Reftrail_Test_Case {

	const DAY = 86400;

	protected function setUp(): void {
		parent::setUp();
		delete_option( Reftrail_Retention::WATERMARK );
	}

	/**
	 * Inserts clicks of alice at the given times, each with every detail.
	 *
	 * @param int[] $times Unix times.
	 */
	private function clicks( array $times ) {
		global $wpdb;
		$rows = array();
		foreach ( $times as $i => $at ) {
			$rows[] = $wpdb->prepare( "(%s, 'alice', %d, 'v:x', 0, 0, 'hash', 'granted', 'https://www.shop.test/?ref=alice', 'https://blog.example/post', 'Mozilla/5.0')", 'clk_' . $at . '_' . $i . '_' . wp_generate_password( 6, false ), $at );
		}
		foreach ( array_chunk( $rows, 1000 ) as $chunk ) {
			$wpdb->query( 'INSERT INTO ' . Reftrail_Db::table( 'clicks' ) . ' (id, affiliate_id, at, visitor_key, is_unique, is_bot, ip_hash, consent, url, referrer, user_agent) VALUES ' . implode( ',', $chunk ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- rows prepared above.
		}
	}

	/**
	 * [clicks with every detail, clicks with none] in the table.
	 *
	 * @return int[]
	 */
	private function details() {
		global $wpdb;
		$t = Reftrail_Db::table( 'clicks' );
		$r = $wpdb->get_row( "SELECT SUM(ip_hash <> '' AND user_agent <> '' AND referrer <> '') AS kept, SUM(ip_hash = '' AND user_agent = '' AND referrer = '') AS gone FROM {$t}", ARRAY_A ); // phpcs:ignore
		return array( (int) $r['kept'], (int) $r['gone'] );
	}

	/**
	 * The clicks the summary counts over the last 200 days.
	 *
	 * @return int
	 */
	private function summary_clicks() {
		$from                  = gmdate( 'Y-m-d', time() - 200 * self::DAY );
		list( $status, $body ) = $this->rest( 'GET', '/v1/reports/summary?from=' . $from, null, $this->sk() );
		$this->assertSame( 200, $status, wp_json_encode( $body ) );
		return $body['kpis']['clicks'];
	}

	public function test_old_clicks_lose_their_details_and_still_count() {
		$this->affiliate( 'alice' );
		$now = time();
		$this->assertSame( 90, Reftrail_Program::get()['click_details_days'], 'kept 90 days by default' );
		$this->clicks( array( $now - 100 * self::DAY, $now - 91 * self::DAY, $now - 89 * self::DAY, $now - 60 ) );
		$counted = $this->summary_clicks();
		$this->assertSame( 4, $counted );

		do_action( Reftrail_Retention::CRON );
		$this->assertSame( array( 2, 2 ), $this->details() );
		$this->assertSame( $counted, $this->summary_clicks(), 'the clicks still count' );
		$this->assertSame( 0, Reftrail_Retention::run(), 'nothing is left to do' );

		// Shorter: the job goes on from where it stopped.
		$this->program( array( 'click_details_days' => 30 ) );
		$this->assertSame( 1, Reftrail_Retention::run() );
		$this->assertSame( array( 1, 3 ), $this->details() );
		$this->assertEqualsWithDelta( $now - 30 * self::DAY, (int) get_option( Reftrail_Retention::WATERMARK ), 2 );
		// A day later, the recent click's turn.
		add_filter( 'reftrail_now', fn() => $now + 31 * self::DAY );
		$this->assertSame( 1, Reftrail_Retention::run() );
		$this->assertSame( array( 0, 4 ), $this->details() );
	}

	public function test_null_keeps_click_details() {
		$this->affiliate( 'alice' );
		$this->program( array( 'click_details_days' => null ) );
		$this->assertNull( Reftrail_Program::get()['click_details_days'] );
		$this->clicks( array( time() - 3000 * self::DAY, time() - 400 * self::DAY ) );
		$this->assertSame( 0, Reftrail_Retention::run() );
		$this->assertSame( array( 2, 0 ), $this->details() );
		$this->assertFalse( get_option( Reftrail_Retention::WATERMARK ) );
		$this->program( array( 'click_details_days' => 1 ) );
		$this->assertSame( 2, Reftrail_Retention::run() );
		$this->assertSame( array( 0, 2 ), $this->details() );
	}

	public function test_a_run_takes_batch_after_batch_and_never_goes_behind_its_watermark() {
		$this->affiliate( 'alice' );
		$this->program( array( 'click_details_days' => 30 ) );
		$t0 = time() - 100 * self::DAY;
		// More clicks in one second than a batch holds, then clicks spread over seconds, then one
		// older than the watermark (a click that arrived with an old time is not looked for).
		$times = array_fill( 0, Reftrail_Retention::BATCH + 3, $t0 );
		for ( $i = 1; $i <= 10; $i++ ) {
			$times[] = $t0 + $i;
		}
		$this->clicks( $times );
		$this->assertSame( Reftrail_Retention::BATCH + 13, Reftrail_Retention::run() );
		$this->assertSame( array( 0, Reftrail_Retention::BATCH + 13 ), $this->details() );
		$this->clicks( array( $t0 - self::DAY ) );
		$this->assertSame( 0, Reftrail_Retention::run() );
		$this->assertSame( array( 1, Reftrail_Retention::BATCH + 13 ), $this->details() );
	}

	public function test_a_sale_through_a_click_without_details_is_not_flagged_for_its_address() {
		global $wpdb;
		$this->affiliate( 'alice' );
		$this->program(
			array(
				'click_details_days' => 1,
				'fraud'              => array( 'clicks_per_ip_per_hour' => 1 ),
			)
		);
		$this->clicks( array( time() - 2 * self::DAY, time() - 2 * self::DAY, time() - 2 * self::DAY ) );
		$id = $wpdb->get_var( 'SELECT id FROM ' . Reftrail_Db::table( 'clicks' ) . ' LIMIT 1' ); // phpcs:ignore
		// With their address, the three clicks of one hour are too many.
		list( $status, $sale ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'R1', 'amount' => 1000, 'currency' => 'USD', 'click_id' => $id ), $this->sk() );
		$this->assertSame( 201, $status, wp_json_encode( $sale ) );
		$this->assertContains( 'click_velocity', $sale['referral']['flags'] );
		// Without it, nothing says they came from one address.
		Reftrail_Retention::run();
		list( $status, $sale ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'R2', 'amount' => 1000, 'currency' => 'USD', 'click_id' => $id ), $this->sk() );
		$this->assertSame( 201, $status, wp_json_encode( $sale ) );
		$this->assertNotContains( 'click_velocity', $sale['referral']['flags'] );
	}

	public function test_the_job_runs_hourly_and_stops_with_the_plugin() {
		$this->assertSame( 10, has_action( Reftrail_Retention::CRON, array( 'Reftrail_Retention', 'run' ) ) );
		$this->assertSame( 10, has_action( 'init', array( 'Reftrail_Plugin', 'schedule' ) ) );
		Reftrail_Plugin::schedule();
		$this->assertIsInt( wp_next_scheduled( Reftrail_Retention::CRON ) );
		$this->assertSame( 'hourly', wp_get_schedule( Reftrail_Retention::CRON ) );
		// Lost from the cron list: scheduled again (at `init`).
		wp_clear_scheduled_hook( Reftrail_Retention::CRON );
		Reftrail_Plugin::schedule();
		$this->assertSame( 'hourly', wp_get_schedule( Reftrail_Retention::CRON ) );
		Reftrail_Plugin::deactivate();
		foreach ( array( Reftrail_Retention::CRON, Reftrail_Affiliate_Mail::SWEEP, 'reftrail_approve_due' ) as $hook ) {
			$this->assertFalse( wp_next_scheduled( $hook ), $hook );
		}
		Reftrail_Plugin::schedule();
	}
}
