<?php
/**
 * The WooCommerce coupon each newly approved affiliate gets (`GET/PUT
 * /v1/woocommerce-coupons/template`): influencer programs give every affiliate a discount code,
 * and the template spares the merchant making one by hand for each. WordPress only: the Rust
 * server has no shop.
 *
 * The template is the body of `POST /v1/affiliates/{id}/woocommerce-coupons` without its code,
 * checked as that body is. When an application is approved (`reftrail_affiliate_approved`) or
 * the merchant adds an affiliate already approved (`reftrail_affiliate_added`), the coupon is
 * made by Reftrail_WooCommerce_Coupons::create() in that same transaction, under the code
 * suggested_code() gives, else the first free of that code followed by 2 to 20. A code that is
 * taken or refused makes no coupon and is recorded (`woocommerce_coupon.skipped`) instead, so
 * the approval never fails for it; any other failure rolls the approval back with the coupon.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * The coupon template and the coupons it makes.
 */
final class Reftrail_WooCommerce_Coupon_Template {

	/** Option name (not autoloaded: read when an affiliate is approved). */
	const OPTION = 'reftrail_woocommerce_coupon_template';

	/** The fields of a template: a coupon's but its code, which is made for each affiliate. */
	const FIELDS = array( 'discount_type', 'percent', 'amount', 'usage_limit_per_user' );

	/** The last number put after a taken code (`ALICE10`, then `ALICE102` ... `ALICE1020`). */
	const LAST_SUFFIX = 20;

	/** The lock changes of the template take, one at a time (each recorded against the one before). */
	const LOCK = 'woocommerce_coupon_template';

	/** The activity log's subject for changes of the template. */
	const SUBJECT = 'woocommerce_coupon_template';

	/**
	 * Listens for the approvals.
	 */
	public static function init() {
		add_action( 'reftrail_affiliate_approved', array( __CLASS__, 'affiliate_approved' ), 10, 2 );
		add_action( 'reftrail_affiliate_added', array( __CLASS__, 'affiliate_added' ), 10, 2 );
	}

	/**
	 * The template: `discount_type`, `percent` (percent) or `amount` (fixed_cart, in minor units
	 * of the shop's currency), `usage_limit_per_user` (or null); null when none is set.
	 *
	 * @return array|null
	 */
	public static function get() {
		$t = get_option( self::OPTION, null );
		return is_array( $t ) ? $t : null;
	}

	/**
	 * Replaces the template (`{"template": {...}}`), or turns it off (`{"template": null}`); a
	 * change is recorded (`woocommerce_coupon_template.updated`, before and after) in the same
	 * transaction.
	 *
	 * @param array  $body The decoded body.
	 * @param string $by   Who changes it, as the activity log names them.
	 * @return array `{"template": ...}` as stored.
	 * @throws Reftrail_Http_Error 400; 409 woocommerce_missing (a template without WooCommerce); 503.
	 */
	public static function put( array $body, $by ) {
		Reftrail_Input::known( $body, array( 'template' ) );
		if ( ! array_key_exists( 'template', $body ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_body', 'missing field `template`' );
		}
		Reftrail_Input::types( $body, array( 'template' => 'object' ) );
		$new = null === $body['template'] ? null : self::checked( $body['template'] );
		if ( null !== $new ) {
			Reftrail_WooCommerce_Coupons::require_woocommerce();
		}
		self::store( $new, $by );
		return array( 'template' => $new );
	}

	/**
	 * A template checked as a coupon's body is, without a code; answered in its stored shape.
	 *
	 * @param array $t Template.
	 * @return array
	 * @throws Reftrail_Http_Error 400.
	 */
	private static function checked( array $t ) {
		if ( array_key_exists( 'code', $t ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_body', 'a template has no code: each affiliate gets their own (their id in capitals, then the percent)' );
		}
		Reftrail_Input::known( $t, self::FIELDS );
		$d   = Reftrail_WooCommerce_Coupons::check_discount( $t );
		$out = array( 'discount_type' => $d['discount_type'] );
		if ( 'percent' === $d['discount_type'] ) {
			$out['percent'] = $d['percent'];
		} else {
			// Minor units, turned into the shop's currency when a coupon is made.
			$out['amount'] = $t['amount'];
		}
		$out['usage_limit_per_user'] = $d['usage_limit_per_user'];
		return $out;
	}

	/**
	 * Stores the template and records the change, when there is one, in one transaction.
	 *
	 * @param array|null $new Template, or null for none.
	 * @param string     $by  Who changes it.
	 * @throws Reftrail_Http_Error 503 when it is not written (nothing is).
	 */
	private static function store( $new, $by ) {
		try {
			Reftrail_Db::locked(
				self::LOCK,
				fn() => Reftrail_Db::transaction(
					function () use ( $new, $by ) {
						// Another request may have changed it since this one cached it.
						self::forget_cached();
						$before = self::get();
						if ( Reftrail_Program::canonical( $before ) === Reftrail_Program::canonical( $new ) ) {
							return;
						}
						$ok = null === $new ? delete_option( self::OPTION ) : update_option( self::OPTION, $new, false );
						if ( ! $ok ) {
							throw new Reftrail_Http_Error( 503, 'unavailable', 'the database is unavailable; retry later' );
						}
						Reftrail_Activity::record(
							$by,
							'woocommerce_coupon_template.updated',
							self::SUBJECT,
							null,
							array(
								'before' => $before,
								'after'  => $new,
							)
						);
					}
				)
			);
		} catch ( Throwable $e ) {
			// The rollback restored the row, but the cache still holds the value written.
			self::forget_cached();
			throw $e;
		}
	}

	/**
	 * Drops this request's cached copy of the template.
	 */
	private static function forget_cached() {
		wp_cache_delete( self::OPTION, 'options' );
		wp_cache_delete( 'notoptions', 'options' );
	}

	/**
	 * `reftrail_affiliate_approved`: an application approved, by the merchant (`$by`) or at once
	 * by the program (no one).
	 *
	 * @param array       $affiliate The affiliate, as Reftrail_Affiliates::get() shows it.
	 * @param string|null $by        Who approved it, as the activity log names them; null: the
	 *                               program itself.
	 */
	public static function affiliate_approved( $affiliate, $by = null ) {
		self::make( (string) $affiliate['id'], $by ?? Reftrail_Activity::BY_WOOCOMMERCE );
	}

	/**
	 * `reftrail_affiliate_added`: an affiliate the merchant added; one added approved is as good
	 * as approved now.
	 *
	 * @param array  $affiliate The affiliate, as Reftrail_Affiliates::get() shows it.
	 * @param string $by        Who added it.
	 */
	public static function affiliate_added( $affiliate, $by ) {
		if ( 'approved' === $affiliate['status'] ) {
			self::make( (string) $affiliate['id'], (string) $by );
		}
	}

	/**
	 * Makes the template's coupon for the affiliate, in the caller's transaction, unless there is
	 * no template, no WooCommerce, or a published WooCommerce coupon among their codes already.
	 *
	 * @param string $id Affiliate.
	 * @param string $by Who the activity log names for it.
	 * @throws Reftrail_Http_Error 503 (the caller's transaction rolls back).
	 */
	private static function make( $id, $by ) {
		$template = self::get();
		if ( null === $template || ! Reftrail_WooCommerce_Coupons::available() ) {
			return;
		}
		if ( Reftrail_WooCommerce_Coupons::index( $id )['coupons'] ) {
			return;
		}
		$base = Reftrail_WooCommerce_Coupons::suggested_code( $id, $template['percent'] ?? null );
		// An id of punctuation only would make a code of the percent alone, or nothing.
		if ( '' === Reftrail_WooCommerce_Coupons::suggested_code( $id, null ) ) {
			self::skipped( $id, $by, 'invalid_code', $base, 'the affiliate id has no letter or digit to make a code of' );
			return;
		}
		$author = self::author( $by );
		for ( $n = 1; $n <= self::LAST_SUFFIX; $n++ ) {
			$code = 1 === $n ? $base : $base . $n;
			try {
				Reftrail_WooCommerce_Coupons::create( $id, array_merge( $template, array( 'code' => $code ) ), $by, $author );
				return;
			} catch ( Reftrail_Http_Error $e ) {
				if ( 409 === $e->status && in_array( $e->error_code, array( 'coupon_taken', 'coupon_exists' ), true ) ) {
					continue;
				}
				// A code too long for an id of 64 characters, or an affiliate with 50 codes already.
				if ( 400 === $e->status ) {
					self::skipped( $id, $by, $e->error_code, $code, $e->getMessage() );
					return;
				}
				throw $e;
			}
		}
		self::skipped( $id, $by, 'codes_taken', $base, sprintf( '%1$s and %1$s2 to %1$s%2$d are all taken', $base, self::LAST_SUFFIX ) );
	}

	/**
	 * Records why no coupon was made for the affiliate (`woocommerce_coupon.skipped`).
	 *
	 * @param string $id      Affiliate.
	 * @param string $by      Who.
	 * @param string $reason  codes_taken, invalid_code, or the code of the refusal (invalid_coupons).
	 * @param string $code    The code tried (the first, for codes_taken).
	 * @param string $message The reason in words.
	 * @throws Reftrail_Http_Error 503.
	 */
	private static function skipped( $id, $by, $reason, $code, $message ) {
		Reftrail_Activity::record(
			$by,
			'woocommerce_coupon.skipped',
			$id,
			$id,
			array(
				'reason'  => $reason,
				'code'    => $code,
				'message' => $message,
			)
		);
	}

	/**
	 * The WordPress user a coupon made for `$by` is written by: that user for `user:<login>`, as
	 * a coupon made by hand is; else 0, as for the secret key or an approval made by the program.
	 *
	 * @param string $by Who, as the activity log names them.
	 * @return int
	 */
	private static function author( $by ) {
		if ( 0 !== strpos( $by, 'user:' ) ) {
			return 0;
		}
		$user = get_user_by( 'login', substr( $by, 5 ) );
		return $user ? (int) $user->ID : 0;
	}
}
