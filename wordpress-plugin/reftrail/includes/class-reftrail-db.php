<?php
/**
 * Storage helpers: table names, ids, times, transactions and named locks on `$wpdb`.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * The plugin's view of the database.
 */
final class Reftrail_Db {

	/** Seconds in a day. */
	const DAY = 86400;

	/**
	 * Open transaction depth: 0 outside, 1 inside the outermost, more in savepoints.
	 *
	 * @var int
	 */
	private static $depth = 0;

	/**
	 * The full name of one of the plugin's tables.
	 *
	 * @param string $name Short name (`clicks`, `orders`, ...).
	 * @return string
	 */
	public static function table( $name ) {
		global $wpdb;
		return $wpdb->prefix . 'reftrail_' . $name;
	}

	/**
	 * The current time, Unix seconds (filterable for tests of hold periods).
	 *
	 * @return int
	 */
	public static function now() {
		return (int) apply_filters( 'reftrail_now', time() );
	}

	/** The milliseconds of the last id this request made (new_id()). */
	private static $last_ms = 0;

	/**
	 * A sortable unique id: `prefix_` + 9 base62 characters of milliseconds + 12 random ones.
	 * The ids a request makes sort in the order it made them (byte for byte): one made in the
	 * millisecond of the one before takes the next millisecond, so that, say, two events queued
	 * one after the other are sent in that order.
	 *
	 * @param string $prefix Prefix.
	 * @return string
	 */
	public static function new_id( $prefix ) {
		$alphabet      = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
		$m             = max( (int) floor( microtime( true ) * 1000 ), self::$last_ms + 1 );
		self::$last_ms = $m;
		$t             = '';
		for ( $i = 0; $i < 9; $i++ ) {
			$t = $alphabet[ $m % 62 ] . $t;
			$m = intdiv( $m, 62 );
		}
		return $prefix . '_' . $t . self::random_base62( 12 );
	}

	/**
	 * `$len` random base62 characters.
	 *
	 * @param int $len Length.
	 * @return string
	 */
	public static function random_base62( $len ) {
		$alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
		$out      = '';
		while ( strlen( $out ) < $len ) {
			foreach ( str_split( random_bytes( 32 ) ) as $c ) {
				$b = ord( $c );
				if ( $b < 248 && strlen( $out ) < $len ) {
					$out .= $alphabet[ $b % 62 ];
				}
			}
		}
		return $out;
	}

	/**
	 * RFC 3339 UTC time of Unix seconds.
	 *
	 * @param int $t Seconds.
	 * @return string
	 */
	public static function rfc3339( $t ) {
		return gmdate( 'Y-m-d\TH:i:s\Z', max( 0, (int) $t ) );
	}

	/**
	 * Parses an RFC 3339 time into Unix seconds; null if malformed, not a real date and time
	 * (PHP's own parser would roll February 30 over into March), or outside 1970..9999.
	 *
	 * @param mixed $s Text.
	 * @return int|null
	 */
	public static function parse_time( $s ) {
		if ( ! is_string( $s ) || strlen( $s ) > 40 || 1 !== preg_match( '/^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))$/D', $s, $m ) ) {
			return null;
		}
		$offset_ok = ! isset( $m[8] ) || ( (int) $m[8] <= 23 && (int) $m[9] <= 59 );
		if ( ! checkdate( (int) $m[2], (int) $m[3], (int) $m[1] ) || (int) $m[4] > 23 || (int) $m[5] > 59 || (int) $m[6] > 59 || ! $offset_ok ) {
			return null;
		}
		$d = date_create_immutable( $s );
		if ( false === $d ) {
			return null;
		}
		$t = $d->getTimestamp();
		return ( $t >= 0 && $t <= 253402300799 ) ? $t : null;
	}

	/**
	 * Parses `YYYY-MM-DD` (start of that day, UTC) or a full RFC 3339 time.
	 *
	 * @param mixed $s Text.
	 * @return int|null
	 */
	public static function parse_date_or_time( $s ) {
		if ( is_string( $s ) && 10 === strlen( $s ) ) {
			return self::parse_time( $s . 'T00:00:00Z' );
		}
		return self::parse_time( $s );
	}

	/** Times an outermost transaction is run when InnoDB ends it for a deadlock or a lock wait. */
	const ATTEMPTS = 3;

	/**
	 * Runs `$fn` in a transaction (a savepoint when one is open); rolls back on any throwable.
	 * InnoDB ends one of two transactions that wait for each other's locks (and, after
	 * `innodb_lock_wait_timeout`, one that waited too long), expecting it to be run again: an
	 * outermost transaction that failed so is run again, up to ATTEMPTS times in all.
	 *
	 * @param callable $fn Work.
	 * @return mixed What `$fn` returns.
	 * @throws Throwable What `$fn` throws, after the rollback.
	 */
	public static function transaction( callable $fn ) {
		if ( 0 < self::$depth ) {
			return self::run( $fn );
		}
		for ( $attempt = 1; ; ++$attempt ) {
			self::$conflict = false;
			try {
				return self::run( $fn );
			} catch ( Throwable $e ) {
				if ( $attempt >= self::ATTEMPTS || ! self::$conflict ) {
					throw $e;
				}
				usleep( wp_rand( 5000, 30000 ) );
			}
		}
	}

	/** Whether the current outermost transaction met a lock conflict (at any depth). */
	private static $conflict = false;

	/**
	 * Whether `$error` (wpdb's last error) is InnoDB giving up a transaction on a lock.
	 *
	 * @param string $error The error text.
	 * @return bool
	 */
	public static function is_lock_conflict( $error ) {
		return false !== strpos( (string) $error, 'Deadlock found' ) || false !== strpos( (string) $error, 'Lock wait timeout exceeded' );
	}

	/**
	 * One run of `$fn` in a transaction or savepoint.
	 *
	 * @param callable $fn Work.
	 * @return mixed What `$fn` returns.
	 * @throws Throwable What `$fn` throws, after the rollback.
	 */
	private static function run( callable $fn ) {
		global $wpdb;
		$sp = 'reftrail_sp' . self::$depth;
		if ( 0 === self::$depth ) {
			$wpdb->query( 'START TRANSACTION' );
		} else {
			$wpdb->query( "SAVEPOINT {$sp}" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- a fixed identifier.
		}
		++self::$depth;
		try {
			$out = $fn();
		} catch ( Throwable $e ) {
			// Read before the rollback, which clears it.
			self::$conflict = self::$conflict || self::is_lock_conflict( $wpdb->last_error );
			--self::$depth;
			if ( 0 === self::$depth ) {
				$wpdb->query( 'ROLLBACK' );
			} else {
				$wpdb->query( "ROLLBACK TO SAVEPOINT {$sp}" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			}
			throw $e;
		}
		--self::$depth;
		if ( 0 === self::$depth ) {
			$wpdb->query( 'COMMIT' );
		} else {
			$wpdb->query( "RELEASE SAVEPOINT {$sp}" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		}
		return $out;
	}

	/**
	 * Opens an outer transaction that the caller ends with rollback() (tests).
	 */
	public static function begin() {
		global $wpdb;
		$wpdb->query( 'START TRANSACTION' );
		self::$depth = 1;
	}

	/**
	 * Rolls back the outer transaction opened by begin().
	 */
	public static function rollback() {
		global $wpdb;
		$wpdb->query( 'ROLLBACK' );
		self::$depth = 0;
	}

	/**
	 * Runs `$fn` holding the named lock (MariaDB GET_LOCK), so concurrent requests for the same
	 * order or referral go one at a time.
	 *
	 * @param string   $name Lock name.
	 * @param callable $fn   Work.
	 * @return mixed
	 * @throws Reftrail_Http_Error When the lock is not obtained within 10 seconds.
	 */
	public static function locked( $name, callable $fn ) {
		global $wpdb;
		$key = 'reftrail:' . substr( hash( 'sha256', $wpdb->prefix . $name ), 0, 40 );
		$got = $wpdb->get_var( $wpdb->prepare( 'SELECT GET_LOCK(%s, 10)', $key ) );
		if ( '1' !== (string) $got ) {
			throw new Reftrail_Http_Error( 409, 'busy', 'another request is changing this record; retry' );
		}
		try {
			return $fn();
		} finally {
			$wpdb->query( $wpdb->prepare( 'SELECT RELEASE_LOCK(%s)', $key ) );
		}
	}
}
