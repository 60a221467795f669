<?php
/**
 * Tax withheld from a payout line. Paying an individual, a shop may have to keep part of the
 * commission back and pay it to the tax office in the affiliate's name: in Vietnam 10 % of a
 * payment of 2,000,000 VND or more to a person without a labour contract (unless they filed a
 * commitment that their income stays below the taxable level), in Thailand 3 % of a service fee.
 * The program lists one rule per currency (`{"currency", "rate_bps", "threshold"}`); an affiliate
 * may be exempt (a business that invoices, or a person with a commitment on file).
 *
 * A rule applies to a whole line when its amount reaches the threshold: the tax is that share of
 * the line, rounded half to even to a whole minor unit, like commissions (integer arithmetic
 * only). The PHP of the core's `src/withholding.rs`, pinned by `tests/vectors/withholding.json`.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * Why withholding rules were refused; the code is the core's `Invalid`.
 */
class Reftrail_Withholding_Error extends RuntimeException {

	/**
	 * `currency`, `duplicate`, `rate` or `threshold`.
	 *
	 * @var string
	 */
	public $error_code;

	/**
	 * @param string $code The error code.
	 */
	public function __construct( $code ) {
		parent::__construct( Reftrail_Withholding::MESSAGES[ $code ] );
		$this->error_code = $code;
	}
}

/**
 * The rules' checks and the tax of a line.
 */
final class Reftrail_Withholding {

	/** The most a rule may withhold: 50 %. */
	const MAX_RATE_BPS = 5000;

	/** What a person should fix, per error code (the core's `Invalid::message`). */
	const MESSAGES = array(
		'currency'  => 'withholding: currency must be an ISO 4217 code',
		'duplicate' => 'withholding: one rule per currency',
		'rate'      => 'withholding: rate_bps must be 1 to 5000 (50 %)',
		'threshold' => 'withholding: threshold must be 0 or more minor units',
	);

	/**
	 * Checks a program's rules, each already of the right shape (`currency` a string, `rate_bps`
	 * and `threshold` integers), in order: for each rule its currency, then that no earlier rule
	 * has it, its rate, its threshold.
	 *
	 * @param array[] $rules Rules.
	 * @throws Reftrail_Withholding_Error The first problem.
	 */
	public static function validate( array $rules ) {
		$seen = array();
		foreach ( $rules as $r ) {
			if ( ! is_string( $r['currency'] ) || 1 !== preg_match( '/^[A-Z]{3}$/D', $r['currency'] ) ) {
				throw new Reftrail_Withholding_Error( 'currency' );
			}
			if ( in_array( $r['currency'], $seen, true ) ) {
				throw new Reftrail_Withholding_Error( 'duplicate' );
			}
			$seen[] = $r['currency'];
			if ( ! is_int( $r['rate_bps'] ) || $r['rate_bps'] < 1 || $r['rate_bps'] > self::MAX_RATE_BPS ) {
				throw new Reftrail_Withholding_Error( 'rate' );
			}
			if ( ! is_int( $r['threshold'] ) || $r['threshold'] < 0 ) {
				throw new Reftrail_Withholding_Error( 'threshold' );
			}
		}
	}

	/**
	 * The tax withheld from a line paying `$gross` minor units of `$currency` to an affiliate
	 * (`$exempt` or not) under `$rules`: 0 when exempt, for nothing to pay, without a rule for the
	 * currency or under its threshold; else `gross x rate_bps / 10 000` rounded half to even.
	 *
	 * @param array[] $rules    Rules (`currency`, `rate_bps`, `threshold`).
	 * @param string  $currency The line's currency.
	 * @param int     $gross    What the line settles, minor units.
	 * @param bool    $exempt   Whether the affiliate is exempt.
	 * @return int
	 */
	public static function withheld( array $rules, $currency, $gross, $exempt ) {
		$gross = (int) $gross;
		if ( $exempt || $gross <= 0 ) {
			return 0;
		}
		foreach ( $rules as $r ) {
			if ( is_array( $r ) && ( $r['currency'] ?? null ) === $currency && $gross >= (int) ( $r['threshold'] ?? 0 ) ) {
				try {
					return Reftrail_Commission::apply_bps( $gross, (int) $r['rate_bps'] );
				} catch ( Reftrail_Commission_Error $e ) {
					return 0;
				}
			}
		}
		return 0;
	}
}
