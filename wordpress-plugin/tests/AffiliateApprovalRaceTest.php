<?php
/**
 * Two approvals of one application at once (the dashboard's button clicked in two tabs): the
 * second waits for the first and finds the affiliate approved, so only one welcome is queued.
 * The other request is a second database connection that runs the plugin's own read of the
 * status, asynchronously, while the first approval's transaction is open.
 *
 * @package Reftrail
 */

/**
 * Concurrent approval tests.
 */
class AffiliateApprovalRaceTest extends Reftrail_Test_Case {

	/** Two connections see each other's work only once it is committed. */
	protected $transactional = false;

	public function test_a_second_approval_at_once_waits_and_finds_the_affiliate_approved() {
		global $wpdb;
		$id = 'race_' . strtolower( wp_generate_password( 8, false ) );
		$this->affiliate(
			$id,
			array(
				'email'  => $id . '@aff.test',
				'status' => 'pending',
			)
		);
		list( $host, $port, $socket ) = $wpdb->parse_db_host( DB_HOST );
		$other                        = mysqli_init();
		$this->assertTrue( $other->real_connect( $host, DB_USER, DB_PASSWORD, DB_NAME, $port ? (int) $port : null, $socket ) );
		$other->query( 'SET SESSION innodb_lock_wait_timeout = 10' );
		$t      = Reftrail_Db::table( 'affiliates' );
		$read   = null;
		$waited = null;
		// Once the first approval has read the status and is about to change it, the other
		// request starts and reads it the same way.
		$race = function ( $sql ) use ( &$race, &$read, &$waited, $other, $t ) {
			if ( 0 === strpos( $sql, "SELECT status FROM {$t} " ) ) {
				$read = $sql;
			} elseif ( null !== $read && 0 === strpos( $sql, "UPDATE `{$t}` SET" ) ) {
				remove_filter( 'query', $race );
				$other->query( 'START TRANSACTION' );
				$other->query( $read, MYSQLI_ASYNC );
				$links  = array( $other );
				$errors = array();
				$reject = array();
				$waited = 0 === mysqli_poll( $links, $errors, $reject, 0, 300000 );
			}
			return $sql;
		};
		add_filter( 'query', $race );
		try {
			$approved = Reftrail_Affiliates::update( $id, array( 'status' => 'approved' ) );
		} finally {
			remove_filter( 'query', $race );
			$seen = null;
			if ( null !== $waited ) {
				$links  = array( $other );
				$errors = array();
				$reject = array();
				$result = mysqli_poll( $links, $errors, $reject, 10 ) ? $other->reap_async_query() : false;
				$seen   = $result ? $result->fetch_row()[0] : null;
			}
			$other->query( 'ROLLBACK' );
			$other->close();
			$wpdb->query( $wpdb->prepare( 'DELETE FROM ' . Reftrail_Db::table( 'mail_outbox' ) . ' WHERE affiliate_id = %s', $id ) ); // phpcs:ignore
			$wpdb->query( $wpdb->prepare( "DELETE FROM {$t} WHERE id = %s", $id ) ); // phpcs:ignore
		}
		$this->assertSame( 'approved', $approved['status'] );
		$this->assertNotNull( $read, 'the approval reads the status' );
		$this->assertTrue( $waited, 'the other request waits while the first approval is open' );
		$this->assertSame( 'approved', $seen, 'then finds the affiliate approved: no second welcome' );
	}
}
