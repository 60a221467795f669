<?php
/**
 * The one error of the plugin's API: an HTTP status, a stable snake_case code and a sentence.
 * REST controllers turn it into a `WP_Error`, which the API answers as
 * `{"error": {"code", "message"}}`, the contract's shape.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * A refused request.
 */
class Reftrail_Http_Error extends RuntimeException {

	/** @var int */
	public $status;

	/** @var string */
	public $error_code;

	/**
	 * @param int    $status  HTTP status.
	 * @param string $code    Stable code.
	 * @param string $message What was wrong.
	 */
	public function __construct( $status, $code, $message ) {
		parent::__construct( $message );
		$this->status     = (int) $status;
		$this->error_code = $code;
	}

	/**
	 * A 400.
	 *
	 * @param string $code    Code.
	 * @param string $message Message.
	 * @return self
	 */
	public static function bad( $code, $message ) {
		return new self( 400, $code, $message );
	}

	/**
	 * As a WP_Error with the status.
	 *
	 * @return WP_Error
	 */
	public function to_wp_error() {
		return new WP_Error( $this->error_code, $this->getMessage(), array( 'status' => $this->status ) );
	}
}

/**
 * Input checks shared by the routes, the same limits as the server's.
 */
final class Reftrail_Input {

	/** Longest order id, SKU, coupon, event, customer id. */
	const MAX_TEXT = 128;

	/** Longest free-text note: a payout's note, a refund's or a rejection's reason. */
	const MAX_NOTE = 500;

	/** Longest URL. */
	const MAX_URL = 2048;

	/** Largest amount: JavaScript numbers are exact up to 2^53. */
	const MAX_AMOUNT = 9007199254740991;

	/**
	 * A text field: a string of 1 to `$max` bytes without control characters.
	 *
	 * @param mixed $s   Value.
	 * @param int   $max Longest.
	 * @return bool
	 */
	public static function text( $s, $max ) {
		return is_string( $s ) && '' !== $s && strlen( $s ) <= $max && ! self::has_control( $s ) && mb_check_encoding( $s, 'UTF-8' );
	}

	/**
	 * Checks the free-text note `$body[ $field ]`, if present: a string of at most MAX_NOTE
	 * bytes of UTF-8 without control characters (notes are exported in CSV, where a line break
	 * would start a new line).
	 *
	 * @param array  $body  Request body.
	 * @param string $field Field name (`note`, `reason`).
	 * @param string $code  Error code.
	 * @throws Reftrail_Http_Error 400 when the note is not acceptable.
	 */
	public static function check_note( array $body, $field, $code ) {
		if ( ! isset( $body[ $field ] ) ) {
			return;
		}
		$s = $body[ $field ];
		if ( ! is_string( $s ) || strlen( $s ) > self::MAX_NOTE || self::has_control( $s ) || ! mb_check_encoding( $s, 'UTF-8' ) ) {
			throw Reftrail_Http_Error::bad( $code, $field . ' must be at most ' . self::MAX_NOTE . ' bytes, without control characters' );
		}
	}

	/**
	 * Text typed elsewhere (a WooCommerce refund's reason) made into an acceptable note: invalid
	 * UTF-8 replaced, each run of white space and control characters (line breaks too) one
	 * space, cut to `$max` bytes on a character boundary.
	 *
	 * @param string $s   Text.
	 * @param int    $max Longest, in bytes.
	 * @return string
	 */
	public static function one_line( $s, $max ) {
		$s = mb_convert_encoding( (string) $s, 'UTF-8', 'UTF-8' );
		$s = trim( (string) preg_replace( '/(?:[\x00-\x20\x7f]|\xc2[\x80-\xa0])+/', ' ', $s ) );
		return rtrim( mb_strcut( $s, 0, $max, 'UTF-8' ) );
	}

	/**
	 * Whether `$s` has a control character (C0, DEL or C1).
	 *
	 * @param string $s Text.
	 * @return bool
	 */
	public static function has_control( $s ) {
		return 1 === preg_match( '/[\x00-\x1f\x7f]|\xc2[\x80-\x9f]/', $s );
	}

	/**
	 * An integer amount of minor units in 0..2^53-1.
	 *
	 * @param mixed $n Value.
	 * @return bool
	 */
	public static function amount( $n ) {
		return is_int( $n ) && $n >= 0 && $n <= self::MAX_AMOUNT;
	}

	/**
	 * Three upper-case ASCII letters.
	 *
	 * @param mixed $c Value.
	 * @return bool
	 */
	public static function currency( $c ) {
		return is_string( $c ) && 1 === preg_match( '/^[A-Z]{3}$/D', $c );
	}

	/**
	 * Requires the listed keys of `$body` to have the JSON types given (`string`, `int`, `bool`,
	 * `array`, `object`); null counts as absent.
	 *
	 * @param array $body  Decoded body.
	 * @param array $types Key => type.
	 * @throws Reftrail_Http_Error 400 invalid_body on a mismatch.
	 */
	public static function types( array $body, array $types ) {
		foreach ( $types as $k => $type ) {
			if ( ! array_key_exists( $k, $body ) || null === $body[ $k ] ) {
				continue;
			}
			$v  = $body[ $k ];
			$ok = ( 'string' === $type && is_string( $v ) ) || ( 'int' === $type && is_int( $v ) ) || ( 'bool' === $type && is_bool( $v ) )
				|| ( 'array' === $type && is_array( $v ) && array_is_list( $v ) ) || ( 'object' === $type && is_array( $v ) && ( ! $v || ! array_is_list( $v ) ) );
			if ( ! $ok ) {
				throw Reftrail_Http_Error::bad( 'invalid_body', sprintf( '%s: expected %s', $k, 'int' === $type ? 'an integer' : ( 'object' === $type ? 'an object' : 'a ' . $type ) ) );
			}
		}
	}

	/**
	 * Refuses keys not listed (the server's deny_unknown_fields).
	 *
	 * @param array    $body    Decoded body.
	 * @param string[] $allowed Keys.
	 * @throws Reftrail_Http_Error 400 invalid_body.
	 */
	public static function known( array $body, array $allowed ) {
		foreach ( array_keys( $body ) as $k ) {
			if ( ! in_array( $k, $allowed, true ) ) {
				throw Reftrail_Http_Error::bad( 'invalid_body', sprintf( 'unknown field `%s`', substr( (string) $k, 0, 40 ) ) );
			}
		}
	}

	/**
	 * The limit/offset of a list: limit 1..500 (default `$default`), offset >= 0.
	 *
	 * @param mixed $limit   Query value.
	 * @param mixed $offset  Query value.
	 * @param int   $default The limit when none is given.
	 * @return int[]
	 * @throws Reftrail_Http_Error 400 invalid_query.
	 */
	public static function page( $limit, $offset, $default = 100 ) {
		$l = null === $limit ? $default : ( is_numeric( $limit ) && ctype_digit( (string) $limit ) ? (int) $limit : -1 );
		$o = null === $offset ? 0 : ( is_numeric( $offset ) && ctype_digit( (string) $offset ) ? (int) $offset : -1 );
		if ( $l < 1 || $l > 500 || $o < 0 ) {
			throw Reftrail_Http_Error::bad( 'invalid_query', 'limit must be 1 to 500 and offset at least 0' );
		}
		return array( $l, $o );
	}

	/**
	 * The report range: from/to as RFC 3339 or YYYY-MM-DD; default the last 30 days.
	 *
	 * @param mixed $from From.
	 * @param mixed $to   To (a date includes its whole day).
	 * @return int[]
	 * @throws Reftrail_Http_Error 400 invalid_range.
	 */
	public static function range( $from, $to ) {
		$bad = Reftrail_Http_Error::bad( 'invalid_range', 'from and to must be RFC 3339 times or YYYY-MM-DD dates, from before to' );
		if ( null === $to ) {
			$t = Reftrail_Db::now() + 1;
		} else {
			$t = Reftrail_Db::parse_date_or_time( $to );
			if ( null === $t ) {
				throw $bad;
			}
			if ( 10 === strlen( (string) $to ) ) {
				$t += Reftrail_Db::DAY;
			}
		}
		$f = null === $from ? $t - 30 * Reftrail_Db::DAY : Reftrail_Db::parse_date_or_time( $from );
		if ( null === $f || $f >= $t || $t - $f > 3660 * Reftrail_Db::DAY ) {
			throw $bad;
		}
		return array( $f, $t );
	}

	/**
	 * The report range (range()) widened to whole UTC days, as the server's `day_range`: from the
	 * start of from's day to the end of the day to falls in (a `to` at midnight stays).
	 *
	 * @param mixed $from From.
	 * @param mixed $to   To (a date includes its whole day).
	 * @return int[] From (a day's start, inclusive) and to (a day's start, exclusive).
	 * @throws Reftrail_Http_Error 400 invalid_range.
	 */
	public static function day_range( $from, $to ) {
		list( $f, $t ) = self::range( $from, $to );
		return array( intdiv( $f, Reftrail_Db::DAY ) * Reftrail_Db::DAY, intdiv( $t + Reftrail_Db::DAY - 1, Reftrail_Db::DAY ) * Reftrail_Db::DAY );
	}

	/**
	 * The minor-unit exponent of a currency (ISO 4217), as the core's table gives it.
	 *
	 * @param string $c Code.
	 * @return int
	 */
	public static function exponent( $c ) {
		if ( in_array( $c, array( 'BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX', 'UYI', 'VND', 'VUV', 'XAF', 'XOF', 'XPF' ), true ) ) {
			return 0;
		}
		if ( in_array( $c, array( 'BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND' ), true ) ) {
			return 3;
		}
		return in_array( $c, array( 'CLF', 'UYW' ), true ) ? 4 : 2;
	}

	/**
	 * Minor units as a decimal string (`1250` USD is `12.50`).
	 *
	 * @param int    $amount   Minor units.
	 * @param string $currency Code.
	 * @return string
	 */
	public static function decimal( $amount, $currency ) {
		$exp = self::exponent( $currency );
		if ( 0 === $exp ) {
			return (string) $amount;
		}
		$amount = (int) $amount;
		$unit   = 10 ** $exp;
		$sign   = $amount < 0 ? '-' : '';
		// Whole units and the rest taken apart before their sign: abs(PHP_INT_MIN) is no int.
		return $sign . abs( intdiv( $amount, $unit ) ) . '.' . str_pad( (string) abs( $amount % $unit ), $exp, '0', STR_PAD_LEFT );
	}

	/**
	 * A decimal amount (WooCommerce's strings and floats) as integer minor units, rounded half
	 * away from zero at the currency's exponent.
	 *
	 * @param mixed  $value    Amount in major units.
	 * @param string $currency Code.
	 * @return int
	 */
	public static function minor_units( $value, $currency ) {
		$exp = self::exponent( $currency );
		$s   = is_string( $value ) ? trim( $value ) : sprintf( '%.8F', (float) $value );
		if ( 1 !== preg_match( '/^(-?)(\d*)(?:\.(\d*))?$/D', $s, $m ) ) {
			return 0;
		}
		$frac  = str_pad( $m[3] ?? '', $exp + 1, '0' );
		$units = (int) ( ( '' === $m[2] ? '0' : $m[2] ) . substr( $frac, 0, $exp ) );
		if ( (int) $frac[ $exp ] >= 5 ) {
			++$units;
		}
		return '-' === $m[1] ? -$units : $units;
	}
}
