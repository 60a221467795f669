<?php
/**
 * A transaction InnoDB ends for a deadlock is run again: two connections lock two affiliates in
 * opposite orders, InnoDB gives up the plugin's (it changed nothing, the other did), and the
 * plugin's transaction, run a second time, succeeds.
 *
 * @package Reftrail
 */

/**
 * Deadlock retry tests.
 */
class TransactionRetryTest extends Reftrail_Test_Case {

	/** Two connections see each other's work only once it is committed. */
	protected $transactional = false;

	public function test_a_transaction_ended_for_a_deadlock_is_run_again() {
		global $wpdb;
		$t   = Reftrail_Db::table( 'affiliates' );
		$one = 'lock_' . strtolower( wp_generate_password( 8, false ) );
		$two = 'lock_' . strtolower( wp_generate_password( 8, false ) );
		$this->affiliate( $one, array( 'email' => $one . '@aff.test' ) );
		$this->affiliate( $two, array( 'email' => $two . '@aff.test' ) );
		list( $host, $port, $socket ) = $wpdb->parse_db_host( DB_HOST );
		$other                        = mysqli_init();
		$this->assertTrue( $other->real_connect( $host, DB_USER, DB_PASSWORD, DB_NAME, $port ? (int) $port : null, $socket ) );
		$other->query( 'SET SESSION innodb_lock_wait_timeout = 10' );
		$calls    = 0;
		$errors   = array();
		$suppress = $wpdb->suppress_errors( true );
		try {
			$name = Reftrail_Db::transaction(
				function () use ( $wpdb, $t, $one, $two, $other, &$calls, &$errors ) {
					++$calls;
					if ( 1 === $calls ) {
						// This one holds `one`; the other changes `two`, then waits for `one`.
						$wpdb->query( $wpdb->prepare( "SELECT id FROM {$t} WHERE id = %s FOR UPDATE", $one ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
						$other->query( 'START TRANSACTION' );
						$other->query( "UPDATE {$t} SET name = 'Other' WHERE id = '{$two}'" );
						$other->query( "UPDATE {$t} SET name = 'Other' WHERE id = '{$one}'", MYSQLI_ASYNC );
						usleep( 300000 );
					} else {
						// Given up, this one's locks went: the other finished; it lets go of both.
						$links  = array( $other );
						$errs   = array();
						$reject = array();
						mysqli_poll( $links, $errs, $reject, 10 );
						$other->reap_async_query();
						$other->query( 'ROLLBACK' );
					}
					// Waiting for `two`, held by the other, which waits for `one`: a deadlock.
					$name = $wpdb->get_var( $wpdb->prepare( "SELECT name FROM {$t} WHERE id = %s FOR UPDATE", $two ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
					if ( null === $name ) {
						$errors[] = $wpdb->last_error;
						throw new Reftrail_Http_Error( 503, 'unavailable', 'the database is unavailable; retry later' );
					}
					return $name;
				}
			);
		} finally {
			$wpdb->suppress_errors( $suppress );
			$other->close();
			$wpdb->query( $wpdb->prepare( "DELETE FROM {$t} WHERE id IN (%s, %s)", $one, $two ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		}
		$this->assertSame( 2, $calls, 'run a second time' );
		$this->assertCount( 1, $errors );
		$this->assertStringContainsString( 'Deadlock found', $errors[0] );
		$this->assertNotSame( 'Other', $name, 'the other rolled back: its change is not seen' );
	}

	public function test_any_other_failure_is_not_run_again() {
		$calls = 0;
		try {
			Reftrail_Db::transaction(
				function () use ( &$calls ) {
					++$calls;
					throw new Reftrail_Http_Error( 409, 'affiliate_exists', 'taken' );
				}
			);
			$this->fail( 'the error reaches the caller' );
		} catch ( Reftrail_Http_Error $e ) {
			$this->assertSame( 409, $e->status );
		}
		$this->assertSame( 1, $calls );
	}

	public function test_lock_conflicts_are_known_by_their_message() {
		$this->assertTrue( Reftrail_Db::is_lock_conflict( 'Deadlock found when trying to get lock; try restarting transaction' ) );
		$this->assertTrue( Reftrail_Db::is_lock_conflict( 'Lock wait timeout exceeded; try restarting transaction' ) );
		$this->assertFalse( Reftrail_Db::is_lock_conflict( "Duplicate entry 'alice' for key 'PRIMARY'" ) );
		$this->assertFalse( Reftrail_Db::is_lock_conflict( '' ) );
	}
}
