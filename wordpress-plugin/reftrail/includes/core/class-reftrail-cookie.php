<?php
/**
 * The `rt_ref` cookie: the PHP reading and writing of the format defined in the core's
 * `src/cookie.rs` (version 1), pinned by `tests/vectors/cookie.json`.
 *
 *     1~VISITOR~REFERRAL[~TRAIL_AFFILIATE~TRAIL_AT]*~CHECKSUM
 *     REFERRAL = "" | AFFILIATE~VIA~AT~EXPIRES~CLICK_ID~CAMPAIGN
 *
 * Times are lower-case base 36 without leading zeros, up to 2^63 - 1 (PHP_INT_MAX); the checksum
 * is FNV-1a 32 of every byte before the last `~`, in the same base 36. A state is the array form
 * of the core's `State`: `visitor`, `referral` (`affiliate`, `via`, `at`, `expires`, `click_id`,
 * `campaign`) and `trail` (`affiliate`, `at`).
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * Why a cookie value did not decode: the code is the one the shared vectors use.
 */
class Reftrail_Cookie_Error extends RuntimeException {

	/**
	 * Stable snake_case code (`empty`, `version`, `byte`, `checksum`, `shape`, `number`,
	 * `affiliate`, `via`, `visitor`, `tag`, `trail_too_long`).
	 *
	 * @var string
	 */
	public $error_code;

	/**
	 * @param string $code The error code.
	 */
	public function __construct( $code ) {
		parent::__construct( $code );
		$this->error_code = $code;
	}
}

/**
 * Encodes and decodes the `rt_ref` cookie.
 */
final class Reftrail_Cookie {

	/** The cookie's name. */
	const NAME = 'rt_ref';

	/** The format version. */
	const VERSION = 1;

	/** The most trail entries a value holds. */
	const TRAIL_LEN = 5;

	/** Via names and their one-letter codes. */
	const VIA_CODES = array(
		'query'     => 'q',
		'fragment'  => 'f',
		'path'      => 'p',
		'decorated' => 'd',
	);

	/**
	 * Whether `$s` is an affiliate id: 1 to 64 bytes of `[A-Za-z0-9._-]`.
	 *
	 * @param mixed $s Candidate.
	 * @return bool
	 */
	public static function is_id( $s ) {
		return is_string( $s ) && 1 === preg_match( '/^[A-Za-z0-9._-]{1,64}$/D', $s );
	}

	/**
	 * Whether `$s` is a visitor id: 16 to 32 ASCII letters and digits.
	 *
	 * @param mixed $s Candidate.
	 * @return bool
	 */
	public static function is_visitor( $s ) {
		return is_string( $s ) && 1 === preg_match( '/^[A-Za-z0-9]{16,32}$/D', $s );
	}

	/**
	 * Writes `$state` as a cookie value. Like the core, never writes what decode would refuse.
	 *
	 * @param array $state The state.
	 * @return string
	 */
	public static function encode( array $state ) {
		$out     = '1~';
		$visitor = $state['visitor'] ?? null;
		if ( self::is_visitor( $visitor ) ) {
			$out .= $visitor;
		}
		$out .= '~';
		$r    = $state['referral'] ?? null;
		if ( is_array( $r ) ) {
			$out .= $r['affiliate'] . '~' . self::VIA_CODES[ $r['via'] ] . '~' . self::num( $r['at'] ) . '~' . self::num( $r['expires'] ) . '~';
			$out .= ( self::is_id( $r['click_id'] ?? null ) ? $r['click_id'] : '' ) . '~';
			$out .= self::is_id( $r['campaign'] ?? null ) ? $r['campaign'] : '';
		}
		$trail = array_slice( $state['trail'] ?? array(), -self::TRAIL_LEN );
		foreach ( $trail as $e ) {
			$out .= '~' . $e['affiliate'] . '~' . self::num( $e['at'] );
		}
		return $out . '~' . self::checksum( $out );
	}

	/**
	 * Reads a value written by encode: the whole state, or a Reftrail_Cookie_Error.
	 *
	 * @param string $value The cookie value.
	 * @return array
	 * @throws Reftrail_Cookie_Error When the value is not a valid v1 value.
	 */
	public static function decode( $value ) {
		if ( ! is_string( $value ) || '' === $value ) {
			throw new Reftrail_Cookie_Error( 'empty' );
		}
		$first = strpos( $value, '~' );
		if ( '1' !== ( false === $first ? $value : substr( $value, 0, $first ) ) ) {
			throw new Reftrail_Cookie_Error( 'version' );
		}
		if ( 1 !== preg_match( '/^[A-Za-z0-9._~-]*$/D', $value ) ) {
			throw new Reftrail_Cookie_Error( 'byte' );
		}
		$last = strrpos( $value, '~' );
		$body = substr( $value, 0, $last );
		if ( substr( $value, $last + 1 ) !== self::checksum( $body ) ) {
			throw new Reftrail_Cookie_Error( 'checksum' );
		}
		$fields = explode( '~', $body );
		$n      = count( $fields );
		$i      = 1;
		$next   = function () use ( $fields, $n, &$i ) {
			if ( $i >= $n ) {
				throw new Reftrail_Cookie_Error( 'shape' );
			}
			return $fields[ $i++ ];
		};
		$visitor = $next();
		if ( '' === $visitor ) {
			$visitor = null;
		} elseif ( ! self::is_visitor( $visitor ) ) {
			throw new Reftrail_Cookie_Error( 'visitor' );
		}
		$referral  = null;
		$affiliate = $next();
		if ( '' !== $affiliate ) {
			$referral = array(
				'affiliate' => self::affiliate( $affiliate ),
				'via'       => self::via( $next() ),
				'at'        => self::time( $next() ),
				'expires'   => self::time( $next() ),
				'click_id'  => self::tag( $next() ),
				'campaign'  => self::tag( $next() ),
			);
		}
		$trail = array();
		while ( $i < $n ) {
			$a = $fields[ $i++ ];
			if ( count( $trail ) === self::TRAIL_LEN ) {
				throw new Reftrail_Cookie_Error( 'trail_too_long' );
			}
			$a       = self::affiliate( $a );
			$trail[] = array(
				'affiliate' => $a,
				'at'        => self::time( $next() ),
			);
		}
		return array(
			'visitor'  => $visitor,
			'referral' => $referral,
			'trail'    => $trail,
		);
	}

	/**
	 * The canonical base-36 spelling of the FNV-1a 32 checksum of `$body`.
	 *
	 * @param string $body Bytes before the last separator.
	 * @return string
	 */
	public static function checksum( $body ) {
		return self::num( (int) hexdec( hash( 'fnv1a32', $body ) ) );
	}

	/**
	 * `$n` (0 to PHP_INT_MAX) in lower-case base 36; larger or float values are written as
	 * PHP_INT_MAX, as the core caps times at MAX_TIME.
	 *
	 * @param int|float $n Non-negative number.
	 * @return string
	 */
	public static function num( $n ) {
		if ( ! is_int( $n ) ) {
			$n = PHP_INT_MAX;
		}
		$digits = '0123456789abcdefghijklmnopqrstuvwxyz';
		$out    = '';
		do {
			$out = $digits[ $n % 36 ] . $out;
			$n   = intdiv( $n, 36 );
		} while ( $n > 0 );
		return $out;
	}

	/**
	 * Parses a canonical base-36 time up to PHP_INT_MAX.
	 *
	 * @param string $s Field.
	 * @return int
	 * @throws Reftrail_Cookie_Error When not canonical or too large.
	 */
	private static function time( $s ) {
		if ( 1 !== preg_match( '/^(0|[1-9a-z][0-9a-z]*)$/D', $s ) || strlen( $s ) > 13 ) {
			throw new Reftrail_Cookie_Error( 'number' );
		}
		$n = 0;
		foreach ( str_split( $s ) as $c ) {
			$d = ctype_digit( $c ) ? ord( $c ) - 48 : ord( $c ) - 87;
			$n = $n * 36 + $d;
			if ( ! is_int( $n ) ) {
				throw new Reftrail_Cookie_Error( 'number' );
			}
		}
		return $n;
	}

	/**
	 * @param string $s Field.
	 * @return string
	 * @throws Reftrail_Cookie_Error When not an affiliate id.
	 */
	private static function affiliate( $s ) {
		if ( ! self::is_id( $s ) ) {
			throw new Reftrail_Cookie_Error( 'affiliate' );
		}
		return $s;
	}

	/**
	 * @param string $s Field.
	 * @return string
	 * @throws Reftrail_Cookie_Error When not a via code.
	 */
	private static function via( $s ) {
		$name = array_search( $s, self::VIA_CODES, true );
		if ( false === $name ) {
			throw new Reftrail_Cookie_Error( 'via' );
		}
		return $name;
	}

	/**
	 * @param string $s Field.
	 * @return string|null
	 * @throws Reftrail_Cookie_Error When neither empty nor an affiliate id.
	 */
	private static function tag( $s ) {
		if ( '' === $s ) {
			return null;
		}
		if ( ! self::is_id( $s ) ) {
			throw new Reftrail_Cookie_Error( 'tag' );
		}
		return $s;
	}
}
