<?php
/**
 * The JSON shape of commission rules (the core's `Rules` with serde's `deny_unknown_fields`):
 * a wrong type or an unknown field is `invalid_body`, as on the Rust server; the values are
 * then checked by Reftrail_Commission::validate (`invalid_commission`).
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * Shape checks.
 */
final class Reftrail_Rules_Shape {

	/**
	 * Checks program rules.
	 *
	 * @param mixed  $r    Rules.
	 * @param string $path Field path for the message.
	 * @throws Reftrail_Http_Error 400 invalid_body.
	 */
	public static function rules( $r, $path = 'commission' ) {
		self::object( $r, $path, array( 'sale', 'lead', 'include_shipping', 'include_tax', 'affiliates', 'affiliate_categories', 'categories', 'products', 'recurring', 'caps' ) );
		self::opt( $r, 'sale', $path, array( __CLASS__, 'rate' ) );
		self::opt( $r, 'lead', $path, array( __CLASS__, 'amounts' ) );
		foreach ( array( 'include_shipping', 'include_tax' ) as $k ) {
			if ( isset( $r[ $k ] ) && ! is_bool( $r[ $k ] ) ) {
				self::fail( "$path.$k", 'a boolean' );
			}
		}
		foreach ( array( 'affiliates', 'affiliate_categories', 'categories', 'products' ) as $k ) {
			if ( isset( $r[ $k ] ) ) {
				self::object( $r[ $k ], "$path.$k", null );
				foreach ( $r[ $k ] as $name => $v ) {
					if ( 'affiliates' === $k || 'affiliate_categories' === $k ) {
						self::affiliate( $v, "$path.$k.$name" );
					} else {
						self::rate( $v, "$path.$k.$name" );
					}
				}
			}
		}
		if ( isset( $r['recurring'] ) ) {
			$rec  = $r['recurring'];
			$type = is_array( $rec ) ? ( $rec['type'] ?? null ) : null;
			$keys = array(
				'none'     => array( 'type' ),
				'months'   => array( 'type', 'months', 'rate' ),
				'lifetime' => array( 'type', 'rate' ),
			);
			if ( ! isset( $keys[ $type ] ) ) {
				self::fail( "$path.recurring.type", 'none, months or lifetime' );
			}
			self::object( $rec, "$path.recurring", $keys[ $type ] );
			if ( 'months' === $type ) {
				self::uint( $rec['months'] ?? null, "$path.recurring.months" );
			}
			self::opt( $rec, 'rate', "$path.recurring", array( __CLASS__, 'rate' ) );
		}
		if ( isset( $r['caps'] ) ) {
			self::object( $r['caps'], "$path.caps", array( 'per_referral', 'per_period' ) );
			self::opt( $r['caps'], 'per_referral', "$path.caps", array( __CLASS__, 'amounts' ) );
			self::opt( $r['caps'], 'per_period', "$path.caps", array( __CLASS__, 'amounts' ) );
		}
	}

	/**
	 * Checks one affiliate's overrides (`sale`, `lead`).
	 *
	 * @param mixed  $a    Overrides.
	 * @param string $path Field path.
	 */
	public static function affiliate( $a, $path = 'commission' ) {
		self::object( $a, $path, array( 'sale', 'lead' ) );
		self::opt( $a, 'sale', $path, array( __CLASS__, 'rate' ) );
		self::opt( $a, 'lead', $path, array( __CLASS__, 'amounts' ) );
	}

	/**
	 * A rate, tagged by `type`.
	 *
	 * @param mixed  $r    Rate.
	 * @param string $path Field path.
	 */
	public static function rate( $r, $path ) {
		$type = is_array( $r ) ? ( $r['type'] ?? null ) : null;
		switch ( $type ) {
			case 'percent':
				self::object( $r, $path, array( 'type', 'rate_bps' ) );
				self::uint( $r['rate_bps'] ?? null, "$path.rate_bps" );
				return;
			case 'flat':
				self::object( $r, $path, array( 'type', 'amounts' ) );
				self::amounts( $r['amounts'] ?? null, "$path.amounts" );
				return;
			case 'sales_tiers':
			case 'revenue_tiers':
				self::object( $r, $path, array( 'type', 'rate_bps', 'tiers' ) );
				self::uint( $r['rate_bps'] ?? null, "$path.rate_bps" );
				if ( ! isset( $r['tiers'] ) || ! is_array( $r['tiers'] ) || ! array_is_list( $r['tiers'] ) ) {
					self::fail( "$path.tiers", 'an array' );
				}
				foreach ( $r['tiers'] as $i => $t ) {
					self::object( $t, "$path.tiers[$i]", array( 'from', 'rate_bps' ) );
					self::uint( $t['rate_bps'] ?? null, "$path.tiers[$i].rate_bps" );
					if ( 'sales_tiers' === $type ) {
						self::uint( $t['from'] ?? null, "$path.tiers[$i].from" );
					} else {
						self::amounts( $t['from'] ?? null, "$path.tiers[$i].from" );
					}
				}
				return;
			default:
				self::fail( "$path.type", 'percent, flat, sales_tiers or revenue_tiers' );
		}
	}

	/**
	 * Amounts per currency.
	 *
	 * @param mixed  $a    Amounts.
	 * @param string $path Field path.
	 */
	public static function amounts( $a, $path ) {
		self::object( $a, $path, null );
		foreach ( $a as $c => $v ) {
			if ( ! Reftrail_Input::currency( (string) $c ) ) {
				self::fail( "$path.$c", 'a currency code of three capital letters' );
			}
			if ( ! is_int( $v ) ) {
				self::fail( "$path.$c", 'an integer of minor units' );
			}
		}
	}

	/**
	 * A JSON object, with only `$allowed` keys when given.
	 *
	 * @param mixed      $v       Value.
	 * @param string     $path    Field path.
	 * @param array|null $allowed Keys.
	 */
	private static function object( $v, $path, $allowed ) {
		if ( ! is_array( $v ) || ( $v && array_is_list( $v ) ) ) {
			self::fail( $path, 'an object' );
		}
		if ( null !== $allowed ) {
			foreach ( array_keys( $v ) as $k ) {
				if ( ! in_array( $k, $allowed, true ) ) {
					throw Reftrail_Http_Error::bad( 'invalid_body', sprintf( '%s: unknown field `%s`', $path, substr( (string) $k, 0, 40 ) ) );
				}
			}
		}
	}

	/**
	 * Calls `$check` on `$v[$k]` when present.
	 *
	 * @param array    $v     Object.
	 * @param string   $k     Key.
	 * @param string   $path  Path of the object.
	 * @param callable $check Check.
	 */
	private static function opt( array $v, $k, $path, callable $check ) {
		if ( isset( $v[ $k ] ) ) {
			$check( $v[ $k ], "$path.$k" );
		}
	}

	/**
	 * A non-negative integer.
	 *
	 * @param mixed  $v    Value.
	 * @param string $path Field path.
	 */
	private static function uint( $v, $path ) {
		if ( ! is_int( $v ) || $v < 0 || $v > 4294967295 ) {
			self::fail( $path, 'a non-negative integer' );
		}
	}

	/**
	 * Refuses.
	 *
	 * @param string $path What.
	 * @param string $want Expected.
	 * @throws Reftrail_Http_Error 400 invalid_body.
	 */
	private static function fail( $path, $want ) {
		throw Reftrail_Http_Error::bad( 'invalid_body', sprintf( '%s: expected %s', $path, $want ) );
	}
}
