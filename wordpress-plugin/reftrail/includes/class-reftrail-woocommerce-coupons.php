<?php
/**
 * WooCommerce coupons made for an affiliate (`/v1/affiliates/{id}/woocommerce-coupons`): the
 * shop's coupons whose code is one of the affiliate's, and a new one created in WooCommerce and
 * given to the affiliate in one step, so that the merchant no longer types an influencer's
 * discount code twice. WordPress only: the Rust server has no shop.
 *
 * The coupon is stored as WooCommerce's own data store (WC_Coupon_Data_Store_CPT::create) stores
 * one: a published `shop_coupon` post titled with the code as WooCommerce formats codes (lower
 * case), its description in `post_excerpt`, the discount in the meta `discount_type` and
 * `coupon_amount` (a decimal string), `individual_use` "no" and `usage_count` "0", and
 * `usage_limit_per_user` when one is given.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * The affiliates' WooCommerce coupons.
 */
final class Reftrail_WooCommerce_Coupons {

	/** WooCommerce's coupon post type. */
	const POST_TYPE = 'shop_coupon';

	/** The discounts a coupon made here gives: a percentage of the cart, or an amount off it. */
	const DISCOUNT_TYPES = array( 'percent', 'fixed_cart' );

	/** The fields of a new coupon's body. */
	const FIELDS = array( 'code', 'discount_type', 'percent', 'amount', 'usage_limit_per_user' );

	/**
	 * Whether WooCommerce's coupons are on this site (WooCommerce is active).
	 *
	 * @return bool
	 */
	public static function available() {
		return post_type_exists( self::POST_TYPE );
	}

	/**
	 * Refuses to go on without WooCommerce's coupons on this site.
	 *
	 * @throws Reftrail_Http_Error 409 woocommerce_missing.
	 */
	public static function require_woocommerce() {
		if ( ! self::available() ) {
			throw new Reftrail_Http_Error( 409, 'woocommerce_missing', 'WooCommerce is not active on this site: it has no shop_coupon post type' );
		}
	}

	/**
	 * The capability WooCommerce gives to whoever may publish coupons (`publish_shop_coupons`:
	 * administrators and shop managers); null without WooCommerce.
	 *
	 * @return string|null
	 */
	public static function create_capability() {
		$type = get_post_type_object( self::POST_TYPE );
		return $type ? (string) $type->cap->publish_posts : null;
	}

	/**
	 * The published WooCommerce coupons whose code is one of the affiliate's.
	 *
	 * @param string $id Affiliate.
	 * @return array `{"coupons": [...]}`, each as view() shows it, by code.
	 * @throws Reftrail_Http_Error 409 woocommerce_missing, 404 affiliate_not_found.
	 */
	public static function index( $id ) {
		self::require_woocommerce();
		return array( 'coupons' => self::of_codes( Reftrail_Affiliates::get( $id )['coupons'] ) );
	}

	/**
	 * The published coupons with one of `$codes` (upper-cased, as an affiliate's are): WooCommerce
	 * finds a code by its lower case (WC_Coupon_Data_Store_CPT::get_ids_by_code), the database's
	 * collation may equate more, and what is kept is compared as the plugin compares coupon codes
	 * (mb_strtoupper), so only a code the affiliate is credited for is listed.
	 *
	 * @param string[] $codes Codes.
	 * @return array[]
	 */
	private static function of_codes( array $codes ) {
		global $wpdb;
		if ( ! $codes ) {
			return array();
		}
		$in   = implode( ', ', array_fill( 0, count( $codes ), 'LOWER(%s)' ) );
		$rows = $wpdb->get_results( $wpdb->prepare( "SELECT ID, post_title FROM {$wpdb->posts} WHERE post_type = %s AND post_status = 'publish' AND LOWER(post_title) IN ({$in}) ORDER BY ID", array_merge( array( self::POST_TYPE ), $codes ) ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.PreparedSQLPlaceholders.UnfinishedPrepare -- placeholders only.
		$rows = array_values( array_filter( $rows, fn( $r ) => in_array( mb_strtoupper( $r['post_title'] ), $codes, true ) ) );
		update_meta_cache( 'post', array_map( 'intval', array_column( $rows, 'ID' ) ) );
		$out = array_map( fn( $r ) => self::view( (int) $r['ID'], mb_strtoupper( $r['post_title'] ) ), $rows );
		usort( $out, fn( $a, $b ) => strcmp( $a['code'], $b['code'] ) );
		return $out;
	}

	/**
	 * A coupon as the routes show it: its code as the affiliate's coupons hold it, the discount
	 * and its amount as WooCommerce stores them (WooCommerce's defaults for what is missing), how
	 * many orders used it, and where wp-admin edits it.
	 *
	 * @param int    $post_id The `shop_coupon` post.
	 * @param string $code    Its code, upper-cased.
	 * @return array
	 */
	private static function view( $post_id, $code ) {
		$type   = (string) get_post_meta( $post_id, 'discount_type', true );
		$amount = (string) get_post_meta( $post_id, 'coupon_amount', true );
		return array(
			'code'          => $code,
			'discount_type' => '' === $type ? 'fixed_cart' : $type,
			'amount'        => '' === $amount ? '0' : $amount,
			'usage_count'   => (int) get_post_meta( $post_id, 'usage_count', true ),
			// The address get_edit_post_link() makes, without its check of the current user, whom
			// a secret key or a dashboard session does not set.
			'url'           => admin_url( 'post.php?post=' . $post_id . '&action=edit' ),
		);
	}

	/**
	 * The shop's currency (WooCommerce's setting), else the program's.
	 *
	 * @return string
	 */
	private static function currency() {
		$c = function_exists( 'get_woocommerce_currency' ) ? get_woocommerce_currency() : '';
		return Reftrail_Input::currency( $c ) ? $c : Reftrail_Program::get()['currency'];
	}

	/**
	 * The code a coupon gets when none is given: the affiliate's id in capitals, letters and
	 * digits only, then the percent (`alice` and 10 % make `ALICE10`).
	 *
	 * @param string   $id      Affiliate.
	 * @param int|null $percent The percent off, or null for an amount off.
	 * @return string
	 */
	public static function suggested_code( $id, $percent ) {
		return strtoupper( (string) preg_replace( '/[^A-Za-z0-9]/', '', $id ) ) . ( null === $percent ? '' : (string) $percent );
	}

	/**
	 * The title WooCommerce and WordPress would store for `$code`: WooCommerce's formatting of
	 * codes (wc_format_coupon_code: entities decoded, sanitized, lower case), then WordPress's
	 * sanitizing of a post title for the current user (wp_insert_post).
	 *
	 * @param string $code Code.
	 * @return string
	 */
	private static function title_of( $code ) {
		$title = function_exists( 'wc_format_coupon_code' ) ? (string) wc_format_coupon_code( $code ) : mb_strtolower( $code );
		return wp_unslash( (string) sanitize_post_field( 'post_title', wp_slash( $title ), 0, 'db' ) );
	}

	/**
	 * Checks the discount of a coupon's body, all of it but the code (unknown fields are the
	 * caller's to refuse); answers `discount_type`, `percent` (null for an amount off), `amount`
	 * (the decimal string WooCommerce stores) and `usage_limit_per_user` (or null).
	 *
	 * @param array $b Body.
	 * @return array
	 * @throws Reftrail_Http_Error 400.
	 */
	public static function check_discount( array $b ) {
		Reftrail_Input::types(
			$b,
			array(
				'discount_type'        => 'string',
				'percent'              => 'int',
				'amount'               => 'int',
				'usage_limit_per_user' => 'int',
			)
		);
		$type = $b['discount_type'] ?? null;
		if ( ! in_array( $type, self::DISCOUNT_TYPES, true ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_discount_type', 'discount_type must be percent or fixed_cart' );
		}
		$percent = null;
		if ( 'percent' === $type ) {
			if ( isset( $b['amount'] ) ) {
				throw Reftrail_Http_Error::bad( 'invalid_body', 'amount is for fixed_cart coupons; a percent coupon takes percent' );
			}
			$percent = $b['percent'] ?? null;
			if ( ! is_int( $percent ) || $percent < 1 || $percent > 100 ) {
				throw Reftrail_Http_Error::bad( 'invalid_percent', 'percent must be a whole number from 1 to 100' );
			}
			$amount = (string) $percent;
		} else {
			if ( isset( $b['percent'] ) ) {
				throw Reftrail_Http_Error::bad( 'invalid_body', 'percent is for percent coupons; a fixed_cart coupon takes amount' );
			}
			$minor = $b['amount'] ?? null;
			if ( ! Reftrail_Input::amount( $minor ) || $minor < 1 ) {
				throw Reftrail_Http_Error::bad( 'invalid_amount', "amount must be a whole number of minor units of the shop's currency above zero" );
			}
			$amount = Reftrail_Input::decimal( $minor, self::currency() );
		}
		$limit = $b['usage_limit_per_user'] ?? null;
		if ( null !== $limit && $limit < 1 ) {
			throw Reftrail_Http_Error::bad( 'invalid_usage_limit_per_user', 'usage_limit_per_user must be at least 1, or null for no limit' );
		}
		return array(
			'discount_type'        => $type,
			'percent'              => $percent,
			'amount'               => $amount,
			'usage_limit_per_user' => $limit,
		);
	}

	/**
	 * Checks a new coupon's body; answers its code (upper-cased), `discount_type`, `amount` (the
	 * decimal string WooCommerce stores) and `usage_limit_per_user` (or null).
	 *
	 * @param string $id Affiliate.
	 * @param array  $b  Body.
	 * @return array
	 * @throws Reftrail_Http_Error 400.
	 */
	private static function check( $id, array $b ) {
		Reftrail_Input::known( $b, self::FIELDS );
		Reftrail_Input::types( $b, array( 'code' => 'string' ) );
		$discount = self::check_discount( $b );
		$code     = $b['code'] ?? self::suggested_code( $id, $discount['percent'] );
		// The rules of an affiliate's coupons (PATCH /v1/affiliates/{id}), which the code joins.
		if ( ! Reftrail_Input::text( $code, 64 ) || 1 === preg_match( '/\s/u', $code ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_coupons', 'a coupon code is 1 to 64 characters without spaces' );
		}
		$code = mb_strtoupper( $code );
		// A code WooCommerce would store as another (markup, entities) would credit no one.
		if ( mb_strtoupper( self::title_of( $code ) ) !== $code ) {
			throw Reftrail_Http_Error::bad( 'invalid_coupons', 'WooCommerce would not keep this code as it is: use letters, digits and punctuation other than < > &' );
		}
		return array(
			'code'                 => $code,
			'discount_type'        => $discount['discount_type'],
			'amount'               => $discount['amount'],
			'usage_limit_per_user' => $discount['usage_limit_per_user'],
		);
	}

	/**
	 * Whether WooCommerce has a coupon with this code in any state but the trash, found as
	 * WooCommerce finds codes (whatever their case).
	 *
	 * @param string $code Code.
	 * @return bool
	 */
	private static function exists( $code ) {
		global $wpdb;
		return null !== $wpdb->get_var( $wpdb->prepare( "SELECT ID FROM {$wpdb->posts} WHERE post_type = %s AND post_status NOT IN ('trash', 'auto-draft') AND LOWER(post_title) = LOWER(%s) LIMIT 1", self::POST_TYPE, self::title_of( $code ) ) );
	}

	/**
	 * Creates a WooCommerce coupon for the affiliate and adds its code to their coupons, as
	 * `PATCH /v1/affiliates/{id}` does (recorded in the activity log, with its conflicts): both
	 * in one transaction, or neither.
	 *
	 * @param string $id     Affiliate.
	 * @param array  $b      Body: `code`?, `discount_type`, `percent`? or `amount`?,
	 *                       `usage_limit_per_user`?.
	 * @param string $by     Who makes it, as the activity log names them.
	 * @param int    $author The WordPress user the coupon is written by (0: the secret key).
	 * @return array `{"coupon": {...as index() lists it}, "coupons": [the affiliate's codes]}`.
	 * @throws Reftrail_Http_Error 400, 404 affiliate_not_found, 409 woocommerce_missing,
	 *                             coupon_taken or coupon_exists, 503.
	 */
	public static function create( $id, array $b, $by, $author ) {
		$new = self::check( $id, $b );
		self::require_woocommerce();
		$made = Reftrail_Db::transaction(
			function () use ( $id, $new, $by, $author ) {
				global $wpdb;
				$t = Reftrail_Db::table( 'affiliates' );
				// Locked, so that coupons made for the same affiliate at once join their codes in turn.
				if ( null === $wpdb->get_var( $wpdb->prepare( "SELECT id FROM {$t} WHERE id = %s FOR UPDATE", $id ) ) ) { // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
					throw new Reftrail_Http_Error( 404, 'affiliate_not_found', 'no affiliate has this id' );
				}
				$code  = $new['code'];
				$c     = Reftrail_Db::table( 'coupons' );
				$owner = $wpdb->get_var( $wpdb->prepare( "SELECT affiliate_id FROM {$c} WHERE code = %s", $code ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
				if ( null !== $owner ) {
					throw new Reftrail_Http_Error( 409, 'coupon_taken', sprintf( 'coupon %s already belongs to affiliate %s', $code, $owner ) );
				}
				if ( self::exists( $code ) ) {
					throw new Reftrail_Http_Error( 409, 'coupon_exists', sprintf( 'WooCommerce already has a coupon %s', $code ) );
				}
				$coupons = Reftrail_Affiliates::get( $id )['coupons'];
				$after   = Reftrail_Affiliates::update( $id, array( 'coupons' => array_merge( $coupons, array( $code ) ) ), $by );
				$post_id = 0;
				try {
					$post_id = wp_insert_post(
						wp_slash(
							array(
								'post_type'    => self::POST_TYPE,
								'post_status'  => 'publish',
								'post_author'  => $author,
								'post_title'   => self::title_of( $code ),
								'post_content' => '',
								'post_excerpt' => 'Affiliate coupon: ' . $id,
							)
						),
						true
					);
					if ( is_wp_error( $post_id ) || ! $post_id ) {
						$post_id = 0;
						throw new Reftrail_Http_Error( 503, 'unavailable', 'the coupon could not be written; retry later' );
					}
					$meta = array(
						'discount_type'  => $new['discount_type'],
						'coupon_amount'  => $new['amount'],
						'individual_use' => 'no',
						'usage_count'    => '0',
					);
					if ( null !== $new['usage_limit_per_user'] ) {
						$meta['usage_limit_per_user'] = (string) $new['usage_limit_per_user'];
					}
					foreach ( $meta as $key => $value ) {
						if ( ! add_post_meta( $post_id, $key, wp_slash( $value ), true ) ) {
							throw new Reftrail_Http_Error( 503, 'unavailable', 'the coupon could not be written; retry later' );
						}
					}
				} catch ( Throwable $e ) {
					// Rolled back with the transaction: nothing of it may stay in this request's cache.
					if ( $post_id ) {
						clean_post_cache( $post_id );
					}
					throw $e;
				}
				return array(
					'coupon'  => self::view( $post_id, $code ),
					'coupons' => $after['coupons'],
				);
			}
		);
		// WooCommerce's REST API counts coupons by type in this transient, and forgets it on each new coupon.
		delete_transient( 'rest_api_coupons_type_count' );
		return $made;
	}
}
