<?php
/**
 * Affiliates brought straight from AffiliateWP's own tables on the same site
 * (`GET/POST /v1/migrations/affiliatewp`): each AffiliateWP affiliate becomes a row of the
 * affiliates import (Reftrail_Affiliates_Csv::row_of()), checked, written and welcomed by email
 * exactly as a file's rows are, its id the name its links already carry. AffiliateWP itself need
 * not be active: its tables, its settings and its coupons' meta stay after it is deactivated.
 *
 * The names read are AffiliateWP's own: the table `affiliate_wp_affiliates`
 * (Affiliate_WP_DB_Affiliates::create_table()), the option `affwp_settings` with `referral_var`,
 * `referral_format` and `referral_rate_type` (Affiliate_WP_Settings), and the post meta
 * `affwp_discount_affiliate` on WooCommerce's `shop_coupon` posts (Affiliate_WP_WooCommerce).
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * The import of AffiliateWP's affiliates.
 */
final class Reftrail_AffiliateWP {

	/** AffiliateWP's settings. */
	const SETTINGS = 'affwp_settings';

	/** The post meta holding the affiliate a WooCommerce coupon credits. */
	const COUPON_META = 'affwp_discount_affiliate';

	/** What a row's `line` is: the AffiliateWP affiliate's number. */
	const LINE_NAME = 'AffiliateWP affiliate';

	/**
	 * AffiliateWP's affiliates table: one per site, or one for the whole network when AffiliateWP
	 * is set up that way (as its own DB class names it).
	 *
	 * @return string
	 */
	public static function table() {
		global $wpdb;
		return defined( 'AFFILIATE_WP_NETWORK_WIDE' ) && AFFILIATE_WP_NETWORK_WIDE ? 'affiliate_wp_affiliates' : $wpdb->prefix . 'affiliate_wp_affiliates';
	}

	/**
	 * Whether AffiliateWP's affiliates table is in the database.
	 *
	 * @return bool
	 */
	public static function available() {
		global $wpdb;
		return null !== $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $wpdb->esc_like( self::table() ) ) );
	}

	/**
	 * AffiliateWP's settings the import follows, read as Affiliate_WP_Settings::get() reads them
	 * (an empty value is the default): the query parameter of its links, whether they carry the
	 * affiliate's number or username, and the rate type of affiliates whose own is not set.
	 *
	 * @return array `referral_var`, `referral_format` (id or username), `referral_rate_type`.
	 */
	public static function settings() {
		$s   = get_option( self::SETTINGS, array() );
		$s   = is_array( $s ) ? $s : array();
		$get = fn( $key, $default ) => empty( $s[ $key ] ) || ! is_scalar( $s[ $key ] ) ? $default : (string) $s[ $key ];
		return array(
			'referral_var'       => $get( 'referral_var', 'ref' ),
			'referral_format'    => 'username' === $get( 'referral_format', 'id' ) ? 'username' : 'id',
			'referral_rate_type' => $get( 'referral_rate_type', 'percentage' ),
		);
	}

	/**
	 * What `GET /v1/migrations/affiliatewp` answers: whether AffiliateWP's tables are here, how
	 * many affiliates and linked coupons they hold, how its links are made, and whether the
	 * program lacks its link parameter.
	 *
	 * @return array
	 */
	public static function summary() {
		$available = self::available();
		$settings  = self::settings();
		$ids       = $available ? self::affiliate_ids() : array();
		return array(
			'available'       => $available,
			'affiliates'      => count( $ids ),
			'coupons'         => $available ? array_sum( array_map( 'count', self::coupons( $ids ) ) ) : 0,
			'referral_var'    => $settings['referral_var'],
			'referral_format' => $settings['referral_format'],
			'params_missing'  => self::params_missing( $settings ),
		);
	}

	/**
	 * Imports AffiliateWP's affiliates (`POST /v1/migrations/affiliatewp`), answering as
	 * `POST /v1/affiliates.csv` does, each row's `line` the AffiliateWP affiliate's number. A real
	 * import also adds AffiliateWP's link parameter to the program's when it lacks it (recorded as
	 * any change of the settings), in the import's transaction, so that the links affiliates
	 * already shared go on crediting them.
	 *
	 * @param bool   $dry_run Whether to write nothing.
	 * @param string $by      Who imports them, as the activity log and the program's history name them.
	 * @param bool   $welcome Whether to email the new approved affiliates that their account moved here.
	 * @return array
	 * @throws Reftrail_Http_Error 404 not_found without AffiliateWP's tables; as the CSV import.
	 */
	public static function import( $dry_run, $by, $welcome ) {
		if ( ! self::available() ) {
			throw new Reftrail_Http_Error( 404, 'not_found', "AffiliateWP's tables are not on this site" );
		}
		$settings  = self::settings();
		$add_param = function () use ( $settings, $by ) {
			if ( self::params_missing( $settings ) ) {
				// The whole program as PUT takes it, only its parameters changed.
				$program = array_intersect_key( Reftrail_Program::get(), Reftrail_Program::defaults() );
				unset( $program['webhook_secret'] );
				$program['params'][] = $settings['referral_var'];
				Reftrail_Program::put( $program, $by );
			}
		};
		return Reftrail_Affiliates_Csv::import_rows( self::rows( $settings ), array(), $dry_run, $by, $welcome, $add_param, self::LINE_NAME );
	}

	/**
	 * Whether the program's link parameters lack AffiliateWP's.
	 *
	 * @param array $settings settings().
	 * @return bool
	 */
	private static function params_missing( array $settings ) {
		return ! in_array( $settings['referral_var'], Reftrail_Program::get()['params'], true );
	}

	/**
	 * AffiliateWP's affiliate numbers.
	 *
	 * @return array Number => true.
	 */
	private static function affiliate_ids() {
		global $wpdb;
		$t = self::table();
		return array_fill_keys( array_map( 'intval', $wpdb->get_col( "SELECT affiliate_id FROM {$t}" ) ), true ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- AffiliateWP's table name; no value in the query.
	}

	/**
	 * The published WooCommerce coupons linked to AffiliateWP's affiliates, as its WooCommerce
	 * integration links them (the affiliate's number in the coupon's post meta), in the order
	 * they were made.
	 *
	 * @param array $ids The affiliates' numbers, as keys: links to any other are left out.
	 * @return array Affiliate number => codes (the coupons' titles, WooCommerce's codes).
	 */
	private static function coupons( array $ids ) {
		global $wpdb;
		$found = $wpdb->get_results(
			$wpdb->prepare(
				"SELECT p.post_title AS code, m.meta_value AS affiliate FROM {$wpdb->posts} p INNER JOIN {$wpdb->postmeta} m ON m.post_id = p.ID WHERE m.meta_key = %s AND p.post_type = %s AND p.post_status = %s ORDER BY p.ID, m.meta_id",
				self::COUPON_META,
				'shop_coupon',
				'publish'
			),
			ARRAY_A
		);
		$codes = array();
		foreach ( $found as $f ) {
			$affiliate = trim( (string) $f['affiliate'] );
			$code      = trim( (string) $f['code'] );
			if ( '' === $code || ! ctype_digit( $affiliate ) || ! isset( $ids[ (int) $affiliate ] ) ) {
				continue;
			}
			// One code once per affiliate, whatever its case: codes are compared upper-cased here.
			$codes[ (int) $affiliate ][ mb_strtoupper( $code, 'UTF-8' ) ] = $code;
		}
		return array_map( 'array_values', $codes );
	}

	/**
	 * One import row per AffiliateWP affiliate, by number: the id its links carry (its WordPress
	 * username or its number, as AffiliateWP's `referral_format` says), the user's display name
	 * (else username) and email, the payment email, the status, its own rate if it has one (of
	 * its rate type, else of the site's), its coupons. An affiliate whose WordPress user is gone
	 * is an invalid row: nothing says who they are.
	 *
	 * @param array $settings settings().
	 * @return array[]
	 */
	private static function rows( array $settings ) {
		global $wpdb;
		$t          = self::table();
		$affiliates = $wpdb->get_results( "SELECT a.affiliate_id, a.user_id, a.rate, a.rate_type, a.payment_email, a.status, u.ID AS user, u.user_login, u.user_email, u.display_name FROM {$t} a LEFT JOIN {$wpdb->users} u ON u.ID = a.user_id ORDER BY a.affiliate_id", ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- AffiliateWP's table name and WordPress's; no value in the query.
		$coupons    = self::coupons( array_fill_keys( array_map( fn( $a ) => (int) $a['affiliate_id'], $affiliates ), true ) );
		$currency   = Reftrail_Program::get()['currency'];
		$rows       = array();
		foreach ( $affiliates as $a ) {
			$number = (int) $a['affiliate_id'];
			$id     = 'username' === $settings['referral_format'] ? (string) $a['user_login'] : (string) $number;
			if ( null === $a['user'] ) {
				$rows[] = array(
					'line'  => $number,
					'id'    => $id,
					'body'  => null,
					'error' => Reftrail_Http_Error::bad( 'invalid_affiliate', sprintf( 'the WordPress user (%d) of this AffiliateWP affiliate no longer exists', (int) $a['user_id'] ) ),
				);
				continue;
			}
			$rate   = self::rate( $a['rate'] );
			$rows[] = Reftrail_Affiliates_Csv::row_of(
				$number,
				array(
					'id'           => $id,
					'name'         => $a['display_name'],
					'username'     => $a['user_login'],
					'email'        => $a['user_email'],
					'payout_email' => $a['payment_email'],
					'status'       => $a['status'],
					'sale_rate'    => $rate,
					'rate_type'    => null === $rate ? null : ( '' !== trim( (string) $a['rate_type'] ) ? $a['rate_type'] : $settings['referral_rate_type'] ),
				),
				$coupons[ $number ] ?? array(),
				$currency
			);
		}
		return $rows;
	}

	/**
	 * An affiliate's own rate as the import reads it, null when it has none. AffiliateWP keeps
	 * the rate as typed in its form, often with decimals the currency has none of (`50000.00`
	 * dong): zeros ending the decimals are dropped, which changes no amount.
	 *
	 * @param string|null $rate The `rate` column.
	 * @return string|null
	 */
	private static function rate( $rate ) {
		$r = trim( (string) $rate );
		if ( '' === $r ) {
			return null;
		}
		// Only after a decimal point: `100,000` may be a thousands separator.
		return 1 === preg_match( '/^[0-9]+\.[0-9]*$/D', $r ) ? rtrim( rtrim( $r, '0' ), '.' ) : $r;
	}
}
