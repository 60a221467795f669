<?php
/**
 * The program settings of `GET/PUT /v1/program` (the same document as the Rust server's), and
 * the plugin's own settings (consent default, data deletion on uninstall, emails to the site's
 * administrator).
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * The program: parameter names, window, model, commission rules, hold, origins, ...
 */
final class Reftrail_Program {

	/** Option name (autoloaded: the front end and the click route read it). */
	const OPTION = 'reftrail_program';

	/** Webhook events. */
	const WEBHOOK_EVENTS = array( 'affiliate.applied', 'referral.created', 'referral.approved', 'referral.reversed', 'recruiter_commission.created', 'payout.created', 'bonus.created', 'bonus.cancelled' );

	/** The multi-touch models (the serde names of the core's `MultiTouch`). */
	const MULTI_TOUCH_KINDS = array( 'first', 'last', 'linear', 'time_decay', 'position_based' );

	/** The UI languages. */
	const LOCALES = array( 'en', 'vi', 'th' );

	/**
	 * How the public form takes applications (`applications`; Reftrail_Applications): not at all,
	 * as `pending` affiliates the merchant approves or declines, or approved at once.
	 */
	const APPLICATIONS = array( 'closed', 'review', 'auto' );

	/** The longest address of a web page a setting or an applicant gives, in bytes. */
	const MAX_PAGE_URL = 500;

	/**
	 * What affiliates may be emailed about (`affiliate_emails`; Reftrail_Affiliate_Mail), all by
	 * default: a stored program without the field gets them all, one that saved a list keeps it.
	 */
	const AFFILIATE_EMAILS = array( 'referral.created', 'payout.created', 'affiliate.approved', 'bonus.created' );

	/** The largest recruiter rate (`recruiter_rate_bps`): half of the recruit's commission. */
	const MAX_RECRUITER_RATE_BPS = 5000;

	/** The settings the history of changes leaves out: the webhook secret is read-only and secret. */
	const UNRECORDED = array( 'webhook_secret' );

	/** What a payer must be: the message of `invalid_payer`. */
	const PAYER_RULE = "payer: name (1 to 200 bytes), tax_id (1 to 20 letters, digits or '-') and address (one line of 1 to 600 bytes)";

	/**
	 * The defaults: a working program.
	 *
	 * @return array
	 */
	public static function defaults() {
		return array(
			'name'                   => 'Affiliate program',
			'params'                 => array( 'ref', 'aff', 'via', 'affiliate' ),
			'window_days'            => 30,
			'model'                  => 'last',
			'multi_touch'            => array( 'kind' => 'last' ),
			'match_customers'        => false,
			// Days a click keeps the visitor's details (Reftrail_Retention); null keeps them.
			'click_details_days'     => 90,
			'hold_days'              => 30,
			'auto_approve'           => true,
			'allowed_origins'        => array(),
			'commission'             => array(
				'sale' => array(
					'type'     => 'percent',
					'rate_bps' => 1000,
				),
			),
			'fraud'                  => self::fraud_defaults(),
			'active_by'              => 'click',
			'baseline_daily_revenue' => null,
			'currency'               => 'USD',
			'locale'                 => null,
			'min_payout'             => 0,
			// The share of each commission a recruit earns that their recruiter earns on top, in
			// basis points (Reftrail_Recruiters); 0: no recruiter commissions.
			'recruiter_rate_bps'     => 0,
			// Tax withheld from payout lines, one rule per currency (Reftrail_Withholding):
			// `{"currency": "VND", "rate_bps": 1000, "threshold": 2000000}` keeps 10 % of each line
			// of 2,000,000 VND or more. Empty: nothing is withheld.
			'withholding'            => array(),
			// The shop as withholding tax certificates name the payer: `{"name", "tax_id",
			// "address"}`; null until the merchant sets it.
			'payer'                  => null,
			'affiliate_emails'       => self::AFFILIATE_EMAILS,
			// The public application form (Reftrail_Applications): closed until the merchant opens it.
			'applications'           => 'closed',
			// The program's terms for affiliates, which applicants must accept; null: none.
			'terms_url'              => null,
			// The shop's logo (an http(s) address of an image) for the affiliate portal's header.
			'logo_url'               => null,
			// The shop's colour (`#rrggbb`) for the portal's buttons and links: dark enough for
			// white text on it and to read on white (a contrast of at least 3:1).
			'accent_color'           => null,
			'webhooks'               => array(),
			'webhook_secret'         => '',
		);
	}

	/**
	 * Fraud threshold defaults.
	 *
	 * @return array
	 */
	private static function fraud_defaults() {
		return array(
			'clicks_per_ip_per_hour'       => 120,
			'conversion_rate_min_permille' => 0,
			'conversion_rate_max_permille' => 300,
			'conversion_rate_min_clicks'   => 50,
			'applications_per_ip_per_hour' => 10,
			// Whether a conversion whose click came from a paid ad is flagged `paid_ads`: for
			// programs whose terms forbid bidding on the shop's name.
			'flag_paid_ads'                => false,
		);
	}

	/**
	 * The language a program in `$currency` speaks when it names none.
	 *
	 * @param string $currency ISO 4217 code.
	 * @return string
	 */
	public static function locale_of_currency( $currency ) {
		return array(
			'VND' => 'vi',
			'THB' => 'th',
		)[ $currency ] ?? 'en';
	}

	/**
	 * The smallest payout of a balance in `$currency`, minor units: the program's `min_payout` in
	 * its own currency (the settings show it in that currency), else any positive balance, since
	 * a number of dong says nothing about dollars. As the server's `Program::min_payout_in`.
	 *
	 * @param array  $program  The program, as get() answers it.
	 * @param string $currency ISO 4217 code of the balance.
	 * @return int At least 1: a payout is never of nothing.
	 */
	public static function min_payout_in( array $program, $currency ) {
		return $currency === $program['currency'] ? max( 1, (int) $program['min_payout'] ) : 1;
	}

	/**
	 * The stored program, with defaults for what is missing (the language: the currency's).
	 *
	 * @return array
	 */
	public static function get() {
		return self::complete( get_option( self::OPTION ) );
	}

	/**
	 * A stored program as get() answers it.
	 *
	 * @param mixed $stored The option's value.
	 * @return array
	 */
	private static function complete( $stored ) {
		$p = array_merge( self::defaults(), is_array( $stored ) ? $stored : array() );
		// A threshold added since the program was stored takes its default.
		$p['fraud']      = array_merge( self::fraud_defaults(), is_array( $p['fraud'] ) ? $p['fraud'] : array() );
		$p['commission'] = self::with_affiliate_categories( $p['commission'] );
		if ( null === $p['locale'] ) {
			$p['locale'] = self::locale_of_currency( $p['currency'] );
		}
		return $p;
	}

	/**
	 * Commission rules with `affiliate_categories`, empty when they have none: the program answers
	 * it as the Rust server does, and rules stored before it existed equal the same rules sent
	 * back with it empty, which is no change.
	 *
	 * @param mixed $rules Commission rules.
	 * @return mixed
	 */
	private static function with_affiliate_categories( $rules ) {
		if ( is_array( $rules ) && ! isset( $rules['affiliate_categories'] ) ) {
			$rules['affiliate_categories'] = array();
		}
		return $rules;
	}

	/**
	 * Commission rules as JSON shows them: their maps (by affiliate, affiliate category, item
	 * category, product) and each set of overrides are objects even when empty, which PHP would
	 * encode as `[]`, and even when their keys read as a list (`"0"`, `"1"`).
	 *
	 * @param mixed $rules Commission rules, decoded.
	 * @return mixed
	 */
	public static function commission_json( $rules ) {
		if ( ! is_array( $rules ) ) {
			return $rules;
		}
		foreach ( array( 'affiliates', 'affiliate_categories', 'categories', 'products' ) as $k ) {
			if ( isset( $rules[ $k ] ) && is_array( $rules[ $k ] ) ) {
				if ( 'affiliates' === $k || 'affiliate_categories' === $k ) {
					$rules[ $k ] = array_map( fn( $o ) => is_array( $o ) ? (object) $o : $o, $rules[ $k ] );
				}
				$rules[ $k ] = (object) $rules[ $k ];
			}
		}
		return $rules;
	}

	/**
	 * Checks a program document (fields left out take their defaults), stores it, records what
	 * it changed and returns it.
	 *
	 * @param array  $body The decoded body.
	 * @param string $by   Who changes it, as the history names them (`secret_key`, `user:<login>`).
	 * @return array
	 * @throws Reftrail_Http_Error 400 naming the first bad field; 503 when the change cannot be recorded.
	 */
	public static function put( array $body, $by ) {
		Reftrail_Input::known( $body, array_keys( self::defaults() ) );
		Reftrail_Input::types(
			$body,
			array(
				'name'                   => 'string',
				'params'                 => 'array',
				'window_days'            => 'int',
				'model'                  => 'string',
				'multi_touch'            => 'object',
				'match_customers'        => 'bool',
				'click_details_days'     => 'int',
				'hold_days'              => 'int',
				'auto_approve'           => 'bool',
				'allowed_origins'        => 'array',
				'commission'             => 'object',
				'fraud'                  => 'object',
				'active_by'              => 'string',
				'baseline_daily_revenue' => 'int',
				'currency'               => 'string',
				'locale'                 => 'string',
				'min_payout'             => 'int',
				'recruiter_rate_bps'     => 'int',
				'withholding'            => 'array',
				'affiliate_emails'       => 'array',
				'applications'           => 'string',
				'terms_url'              => 'string',
				'logo_url'               => 'string',
				'accent_color'           => 'string',
				'webhooks'               => 'array',
			)
		);
		if ( isset( $body['withholding'] ) ) {
			$body['withholding'] = array_map( array( __CLASS__, 'withholding_shape' ), $body['withholding'] );
		}
		if ( isset( $body['payer'] ) ) {
			$body['payer'] = self::payer_shape( $body['payer'] );
		}
		if ( isset( $body['commission'] ) ) {
			Reftrail_Rules_Shape::rules( $body['commission'] );
		}
		if ( isset( $body['multi_touch'] ) ) {
			$body['multi_touch'] = self::multi_touch_shape( $body['multi_touch'] );
		}
		$p = array_merge( self::defaults(), array_filter( $body, fn( $v ) => null !== $v ) );
		// Null means something for these two (no baseline; keep click details), unlike the
		// fields where it stands for the default.
		foreach ( array( 'baseline_daily_revenue', 'click_details_days' ) as $k ) {
			if ( array_key_exists( $k, $body ) ) {
				$p[ $k ] = $body[ $k ];
			}
		}
		$p['fraud']          = array_merge( self::fraud_defaults(), (array) $p['fraud'] );
		$p['commission']     = self::with_affiliate_categories( $p['commission'] );
		$p['webhook_secret'] = '';
		self::validate( $p );
		if ( null === $p['locale'] ) {
			$p['locale'] = self::locale_of_currency( $p['currency'] );
		}
		self::store( $p, $by );
		return $p;
	}

	/**
	 * Stores a checked program and, when the settings differ from those it replaces, records the
	 * change, in one transaction. The option's row is locked first, so concurrent changes are
	 * recorded one after the other, each against the settings it replaced.
	 *
	 * @param array  $p  Program.
	 * @param string $by Who changes it.
	 * @throws Reftrail_Http_Error 503 when the change cannot be recorded (nothing is stored).
	 */
	private static function store( array $p, $by ) {
		global $wpdb;
		try {
			Reftrail_Db::transaction(
				function () use ( $wpdb, $p, $by ) {
					$row    = $wpdb->get_var( $wpdb->prepare( "SELECT option_value FROM {$wpdb->options} WHERE option_name = %s FOR UPDATE", self::OPTION ) );
					$before = self::complete( maybe_unserialize( (string) $row ) );
					// update_option() skips a value equal to this request's cached copy, which
					// another request may have changed since it was read.
					self::forget_cached();
					update_option( self::OPTION, $p, true );
					$settings = self::diff( $before, self::get() );
					if ( ! $settings ) {
						return;
					}
					$json = wp_json_encode( $settings );
					$ok   = false !== $json && $wpdb->insert(
						Reftrail_Db::table( 'program_changes' ),
						array(
							'id'         => Reftrail_Db::new_id( 'pc' ),
							'at'         => Reftrail_Db::now(),
							'changed_by' => (string) $by,
							'settings'   => $json,
						),
						array( '%s', '%d', '%s', '%s' )
					);
					if ( ! $ok ) {
						throw new Reftrail_Http_Error( 503, 'unavailable', 'the database is unavailable; retry later' );
					}
				}
			);
		} catch ( Throwable $e ) {
			// The rollback restored the row, but the cache still holds the value it replaced.
			self::forget_cached();
			throw $e;
		}
	}

	/**
	 * Drops this request's cached copy of the program, so the next read is the stored row.
	 */
	private static function forget_cached() {
		wp_cache_delete( 'alloptions', 'options' );
		wp_cache_delete( self::OPTION, 'options' );
	}

	/**
	 * The settings whose JSON value differs between two programs as `GET /v1/program` shows them,
	 * by name (byte order), each with its whole value before and after; never the unrecorded ones.
	 *
	 * @param array $before Program before.
	 * @param array $after  Program after.
	 * @return array[] `{"setting", "before", "after"}`.
	 */
	private static function diff( array $before, array $after ) {
		$names = array_diff( array_unique( array_merge( array_keys( $before ), array_keys( $after ) ) ), self::UNRECORDED );
		sort( $names, SORT_STRING );
		$out = array();
		foreach ( $names as $name ) {
			$b = $before[ $name ] ?? null;
			$a = $after[ $name ] ?? null;
			if ( self::canonical( $b ) !== self::canonical( $a ) ) {
				$out[] = array(
					'setting' => (string) $name,
					'before'  => $b,
					'after'   => $a,
				);
			}
		}
		return $out;
	}

	/**
	 * A value with its objects' keys sorted: JSON objects are equal whatever the order of their
	 * keys, so a commission sent again with its keys reordered is no change.
	 *
	 * @param mixed $v Value.
	 * @return mixed
	 */
	public static function canonical( $v ) {
		if ( ! is_array( $v ) ) {
			return $v;
		}
		$v = array_map( array( __CLASS__, 'canonical' ), $v );
		if ( ! array_is_list( $v ) ) {
			ksort( $v, SORT_STRING );
		}
		return $v;
	}

	/**
	 * The recorded changes of the settings, newest first (the later recorded first within a
	 * second): `{"id", "at", "by", "settings"}`.
	 *
	 * @param int $limit  Limit.
	 * @param int $offset Offset.
	 * @return array[]
	 */
	public static function changes( $limit, $offset ) {
		global $wpdb;
		$t    = Reftrail_Db::table( 'program_changes' );
		$rows = $wpdb->get_results( $wpdb->prepare( "SELECT id, at, changed_by, settings FROM {$t} ORDER BY at DESC, seq DESC LIMIT %d OFFSET %d", $limit, $offset ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours.
		return array_map(
			fn( $r ) => array(
				'id'       => $r['id'],
				'at'       => Reftrail_Db::rfc3339( (int) $r['at'] ),
				'by'       => $r['changed_by'],
				'settings' => json_decode( $r['settings'], true ),
			),
			$rows
		);
	}

	/**
	 * The shape of `multi_touch` (the server's `deny_unknown_fields` struct): `kind` a string,
	 * `half_life_days` an integer or absent; its values are checked by `validate`.
	 *
	 * @param array $m Decoded `multi_touch`.
	 * @return array `kind` first, `half_life_days` only when given.
	 * @throws Reftrail_Http_Error 400 invalid_body.
	 */
	private static function multi_touch_shape( array $m ) {
		Reftrail_Input::known( $m, array( 'kind', 'half_life_days' ) );
		Reftrail_Input::types(
			$m,
			array(
				'kind'           => 'string',
				'half_life_days' => 'int',
			)
		);
		if ( ! isset( $m['kind'] ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_body', __( 'multi_touch: missing field `kind`', 'reftrail' ) );
		}
		$out = array( 'kind' => $m['kind'] );
		if ( isset( $m['half_life_days'] ) ) {
			$out['half_life_days'] = $m['half_life_days'];
		}
		return $out;
	}

	/**
	 * The shape of one `withholding` rule (the core's `deny_unknown_fields` struct): exactly
	 * `currency` (a string), `rate_bps` (an integer of 0 to 2^32-1, the core's u32) and `threshold`
	 * (an integer); their values are checked by `validate`.
	 *
	 * @param mixed $r Decoded rule.
	 * @return array `currency`, `rate_bps`, `threshold`, in that order.
	 * @throws Reftrail_Http_Error 400 invalid_body.
	 */
	private static function withholding_shape( $r ) {
		if ( ! is_array( $r ) || ( $r && array_is_list( $r ) ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_body', 'withholding: each rule is an object' );
		}
		Reftrail_Input::known( $r, array( 'currency', 'rate_bps', 'threshold' ) );
		foreach ( array( 'currency', 'rate_bps', 'threshold' ) as $k ) {
			if ( ! isset( $r[ $k ] ) ) {
				throw Reftrail_Http_Error::bad( 'invalid_body', sprintf( 'withholding: missing field `%s`', $k ) );
			}
		}
		Reftrail_Input::types(
			$r,
			array(
				'currency'  => 'string',
				'rate_bps'  => 'int',
				'threshold' => 'int',
			)
		);
		if ( $r['rate_bps'] < 0 || $r['rate_bps'] > 4294967295 ) {
			throw Reftrail_Http_Error::bad( 'invalid_body', 'withholding: rate_bps: expected an integer of 0 to 4294967295' );
		}
		return array(
			'currency'  => $r['currency'],
			'rate_bps'  => $r['rate_bps'],
			'threshold' => $r['threshold'],
		);
	}

	/**
	 * The shape of `payer`: an object of exactly `name`, `tax_id` and `address` (an unknown key
	 * or a non-object is refused as the body's shape, as the server's parser refuses it; a missing
	 * or non-string field is a bad payer); its values are checked by `validate`.
	 *
	 * @param mixed $p Decoded `payer`, not null.
	 * @return array `name`, `tax_id`, `address`, in that order.
	 * @throws Reftrail_Http_Error 400 invalid_body or invalid_payer.
	 */
	private static function payer_shape( $p ) {
		if ( ! is_array( $p ) || ( $p && array_is_list( $p ) ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_body', 'payer: expected an object or null' );
		}
		Reftrail_Input::known( $p, array( 'name', 'tax_id', 'address' ) );
		foreach ( array( 'name', 'tax_id', 'address' ) as $k ) {
			if ( ! isset( $p[ $k ] ) || ! is_string( $p[ $k ] ) ) {
				throw Reftrail_Http_Error::bad( 'invalid_payer', self::PAYER_RULE );
			}
		}
		return array(
			'name'    => $p['name'],
			'tax_id'  => $p['tax_id'],
			'address' => $p['address'],
		);
	}

	/**
	 * Validates every field, in the server's order.
	 *
	 * @param array $p Program.
	 * @throws Reftrail_Http_Error 400.
	 */
	public static function validate( array $p ) {
		$bad = fn( $c, $m ) => Reftrail_Http_Error::bad( $c, $m );
		if ( ! Reftrail_Input::text( $p['name'], 200 ) ) {
			throw $bad( 'invalid_name', 'name must be 1 to 200 characters without control characters' );
		}
		$params_ok = is_array( $p['params'] ) && count( $p['params'] ) >= 1 && count( $p['params'] ) <= 10;
		foreach ( (array) $p['params'] as $x ) {
			$params_ok = $params_ok && Reftrail_Cookie::is_id( $x ) && strlen( $x ) <= 32;
		}
		if ( ! $params_ok ) {
			throw $bad( 'invalid_params', "params must be 1 to 10 names of letters, digits, '-', '_', '.'" );
		}
		if ( $p['window_days'] < 1 || $p['window_days'] > 3650 ) {
			throw $bad( 'invalid_window_days', 'window_days must be 1 to 3650' );
		}
		if ( ! in_array( $p['model'], array( 'last', 'first' ), true ) ) {
			throw $bad( 'invalid_model', "model must be 'last' or 'first'" );
		}
		$mt = is_array( $p['multi_touch'] ) ? $p['multi_touch'] : array();
		if ( ! in_array( $mt['kind'] ?? null, self::MULTI_TOUCH_KINDS, true ) ) {
			throw $bad( 'invalid_multi_touch', __( 'multi_touch.kind must be first, last, linear, time_decay or position_based', 'reftrail' ) );
		}
		$half = $mt['half_life_days'] ?? null;
		if ( 'time_decay' === $mt['kind'] ? ( ! is_int( $half ) || $half < 1 || $half > 365 ) : null !== $half ) {
			throw $bad( 'invalid_multi_touch', __( 'multi_touch.half_life_days is required for time_decay (1 to 365 days) and not allowed for other kinds', 'reftrail' ) );
		}
		if ( $p['hold_days'] < 0 || $p['hold_days'] > 3650 ) {
			throw $bad( 'invalid_hold_days', 'hold_days must be 0 to 3650' );
		}
		$details = $p['click_details_days'];
		if ( null !== $details && ( $details < 1 || $details > 3650 ) ) {
			throw $bad( 'invalid_click_details_days', 'click_details_days must be 1 to 3650, or null to keep click details' );
		}
		$origins_ok = count( $p['allowed_origins'] ) <= 50;
		foreach ( $p['allowed_origins'] as $o ) {
			$origins_ok = $origins_ok && self::is_origin( $o );
		}
		if ( ! $origins_ok ) {
			throw $bad( 'invalid_allowed_origins', 'allowed_origins must be at most 50 lower-case origins like https://shop.example (no path)' );
		}
		try {
			Reftrail_Commission::validate( (array) $p['commission'] );
		} catch ( Reftrail_Commission_Error $e ) {
			throw $bad( 'invalid_commission', 'commission rules: ' . $e->error_code );
		} catch ( Throwable $e ) {
			throw $bad( 'invalid_commission', 'commission rules are malformed' );
		}
		// Rates by affiliate category only for the categories an affiliate can have; the first
		// other one in byte order is named, as the server's sorted map names it.
		$unknown = array_diff( array_map( 'strval', array_keys( (array) ( $p['commission']['affiliate_categories'] ?? array() ) ) ), Reftrail_Affiliates::CATEGORIES );
		if ( $unknown ) {
			sort( $unknown, SORT_STRING );
			throw $bad( 'invalid_commission', sprintf( 'commission rules: affiliate_categories has %s, not one of %s', $unknown[0], implode( ', ', Reftrail_Affiliates::CATEGORIES ) ) );
		}
		$f = $p['fraud'];
		if ( ! is_int( $f['clicks_per_ip_per_hour'] ) || $f['clicks_per_ip_per_hour'] < 1 || $f['conversion_rate_min_permille'] < 0 || $f['conversion_rate_min_permille'] > 1000
			|| $f['conversion_rate_max_permille'] < $f['conversion_rate_min_permille'] || $f['conversion_rate_max_permille'] > 1000 || $f['conversion_rate_min_clicks'] < 0
			|| ! is_int( $f['applications_per_ip_per_hour'] ) || $f['applications_per_ip_per_hour'] < 1 || $f['applications_per_ip_per_hour'] > 100000 || ! is_bool( $f['flag_paid_ads'] ) ) {
			throw $bad( 'invalid_fraud', 'fraud thresholds are out of range' );
		}
		$emails_ok = true;
		foreach ( $p['affiliate_emails'] as $i => $e ) {
			$emails_ok = $emails_ok && in_array( $e, self::AFFILIATE_EMAILS, true ) && ! in_array( $e, array_slice( $p['affiliate_emails'], 0, $i ), true );
		}
		if ( ! $emails_ok ) {
			throw $bad( 'invalid_affiliate_emails', 'affiliate_emails lists each of referral.created, payout.created, affiliate.approved and bonus.created at most once' );
		}
		$rules = (array) $p['withholding'];
		if ( count( $rules ) > 20 ) {
			throw $bad( 'invalid_withholding', 'withholding: at most 20 rules' );
		}
		try {
			Reftrail_Withholding::validate( $rules );
		} catch ( Reftrail_Withholding_Error $e ) {
			throw $bad( 'invalid_withholding', $e->getMessage() );
		}
		foreach ( $rules as $r ) {
			if ( $r['threshold'] > Reftrail_Input::MAX_AMOUNT ) {
				throw $bad( 'invalid_withholding', 'withholding: threshold is too large' );
			}
		}
		$payer = $p['payer'];
		if ( null !== $payer && ( ! is_array( $payer ) || ! Reftrail_Input::text( $payer['name'] ?? null, 200 ) || ! Reftrail_Affiliates::is_tax_id( $payer['tax_id'] ?? null )
			|| ! Reftrail_Input::text( $payer['address'] ?? null, Reftrail_Affiliates::MAX_ADDRESS ) ) ) {
			throw $bad( 'invalid_payer', self::PAYER_RULE );
		}
		if ( ! in_array( $p['active_by'], array( 'click', 'lead', 'sale' ), true ) ) {
			throw $bad( 'invalid_active_by', "active_by must be 'click', 'lead' or 'sale'" );
		}
		if ( null !== $p['baseline_daily_revenue'] && ! Reftrail_Input::amount( $p['baseline_daily_revenue'] ) ) {
			throw $bad( 'invalid_baseline', 'baseline_daily_revenue must be a non-negative integer' );
		}
		if ( ! Reftrail_Input::currency( $p['currency'] ) ) {
			throw $bad( 'invalid_currency', 'currency must be an ISO 4217 code like USD' );
		}
		if ( null !== $p['locale'] && ! in_array( $p['locale'], self::LOCALES, true ) ) {
			throw $bad( 'invalid_locale', __( "locale must be 'en', 'vi' or 'th'", 'reftrail' ) );
		}
		if ( ! Reftrail_Input::amount( $p['min_payout'] ) ) {
			throw $bad( 'invalid_min_payout', 'min_payout must be a non-negative integer' );
		}
		if ( ! in_array( $p['applications'], self::APPLICATIONS, true ) ) {
			throw $bad( 'invalid_applications', "applications must be 'closed', 'review' or 'auto'" );
		}
		if ( null !== $p['terms_url'] && ! self::is_page_url( $p['terms_url'] ) ) {
			throw $bad( 'invalid_terms_url', 'terms_url must be an http(s) URL of at most 500 bytes without spaces, or null' );
		}
		if ( null !== $p['logo_url'] && ! self::is_page_url( $p['logo_url'] ) ) {
			throw $bad( 'invalid_logo_url', 'logo_url must be an http(s) URL of at most 500 bytes without spaces, or null' );
		}
		if ( null !== $p['accent_color'] ) {
			$ratio = self::contrast_with_white( $p['accent_color'] );
			if ( null === $ratio ) {
				throw $bad( 'invalid_accent_color', 'accent_color must be a colour as #rrggbb, or null' );
			}
			if ( $ratio < 3.0 ) {
				throw $bad( 'invalid_accent_color', sprintf( 'accent_color %s is too light for white text and to read on white (contrast %.1F:1; it needs 3:1): choose a darker shade', $p['accent_color'], $ratio ) );
			}
		}
		if ( ! is_int( $p['recruiter_rate_bps'] ) || $p['recruiter_rate_bps'] < 0 || $p['recruiter_rate_bps'] > self::MAX_RECRUITER_RATE_BPS ) {
			throw $bad( 'invalid_recruiter_rate', "recruiter_rate_bps must be 0 to 5000 (50 % of the recruit's commission)" );
		}
		if ( count( $p['webhooks'] ) > 10 ) {
			throw $bad( 'invalid_webhooks', 'at most 10 webhooks' );
		}
		foreach ( $p['webhooks'] as $w ) {
			$url = is_array( $w ) ? ( $w['url'] ?? null ) : null;
			if ( ! self::webhook_url_ok( $url ) ) {
				throw $bad( 'invalid_webhooks', 'a webhook url must be an http(s) URL' );
			}
			foreach ( (array) ( $w['events'] ?? array() ) as $e ) {
				if ( ! in_array( $e, self::WEBHOOK_EVENTS, true ) ) {
					throw $bad( 'invalid_webhooks', 'unknown webhook event' );
				}
			}
		}
	}

	/**
	 * Whether `$url` may be a webhook endpoint, as the server's `webhook_url_ok`: `http://` or
	 * `https://`, at most 2,048 bytes of UTF-8 without white space (Unicode's too) or control
	 * characters, with a host both WordPress's HTTP API (wp_parse_url()) and the URL standard
	 * (Reftrail_Postbacks::address(), as the server's parser) read; `http://` alone has none.
	 *
	 * @param mixed $url Candidate.
	 * @return bool
	 */
	public static function webhook_url_ok( $url ) {
		if ( ! Reftrail_Input::text( $url, 2048 ) || 1 !== preg_match( '#^https?://#', $url ) || 1 === preg_match( '/[\s\p{Z}\x{85}]/u', $url ) ) {
			return false;
		}
		$host = wp_parse_url( $url, PHP_URL_HOST );
		return is_string( $host ) && '' !== $host && null !== Reftrail_Postbacks::address( $url );
	}

	/**
	 * Whether `$u` is the address of a web page as a setting or an applicant gives it (the terms,
	 * a website): `http://` or `https://` and something after it, at most MAX_PAGE_URL bytes, no
	 * white space (Unicode's too) or control character, so that it shows as one link.
	 *
	 * @param mixed $u Candidate.
	 * @return bool
	 */
	public static function is_page_url( $u ) {
		return is_string( $u ) && strlen( $u ) <= self::MAX_PAGE_URL && 1 === preg_match( '#^https?://.#s', $u )
			&& 1 !== preg_match( '/[\s\p{Z}\x{85}]/u', $u ) && ! Reftrail_Input::has_control( $u ) && mb_check_encoding( $u, 'UTF-8' );
	}

	/**
	 * The WCAG contrast ratio of the colour `#rrggbb` against white (1 to 21); null when `$hex` is
	 * not such a colour. Colours are not money: floating point is what the formula takes.
	 *
	 * @param mixed $hex Candidate.
	 * @return float|null
	 */
	public static function contrast_with_white( $hex ) {
		// hexdec() would skip what is not a digit: the six digits are checked first.
		if ( ! is_string( $hex ) || 1 !== preg_match( '/^#[0-9a-fA-F]{6}$/D', $hex ) ) {
			return null;
		}
		$channel   = function ( $i ) use ( $hex ) {
			$v = hexdec( substr( $hex, 1 + $i, 2 ) ) / 255.0;
			return $v <= 0.04045 ? $v / 12.92 : ( ( $v + 0.055 ) / 1.055 ) ** 2.4;
		};
		$luminance = 0.2126 * $channel( 0 ) + 0.7152 * $channel( 2 ) + 0.0722 * $channel( 4 );
		return 1.05 / ( $luminance + 0.05 );
	}

	/**
	 * What the portal shows before anyone signs in (`GET /v1/portal/program`): the program's name,
	 * language and currency, how it takes applications and the shop's branding; nothing else of
	 * its settings.
	 *
	 * @return array `name`, `locale`, `currency`, `applications`, `terms_url`, `logo_url`, `accent_color`.
	 */
	public static function public_view() {
		$p = self::get();
		return array(
			'name'         => $p['name'],
			'locale'       => $p['locale'],
			'currency'     => $p['currency'],
			'applications' => $p['applications'],
			'terms_url'    => $p['terms_url'],
			'logo_url'     => $p['logo_url'],
			'accent_color' => $p['accent_color'],
		);
	}

	/**
	 * Whether `$s` is a web origin: `http(s)://host[:port]`, lower-case, no path.
	 *
	 * @param mixed $s Candidate.
	 * @return bool
	 */
	public static function is_origin( $s ) {
		return is_string( $s ) && strlen( $s ) <= 261 && 1 === preg_match( '#^https?://[a-z0-9.\-:\[\]]+$#D', $s );
	}

	/**
	 * The attribution policy of the core for this program.
	 *
	 * @param array $p Program.
	 * @return array
	 */
	public static function policy( array $p ) {
		return array(
			'model'       => 'first' === $p['model'] ? 'first_click' : 'last_click',
			'window_days' => min( 400, max( 1, (int) $p['window_days'] ) ),
		);
	}
}

/**
 * The plugin's own settings (not part of the HTTP contract).
 */
final class Reftrail_Settings {

	/** Option name (autoloaded: the front end reads it on every page). */
	const OPTION = 'reftrail_settings';

	/**
	 * Settings with defaults.
	 *
	 * @return array
	 */
	public static function get() {
		$s = get_option( self::OPTION );
		return array_merge(
			array(
				'consent_default'        => 'granted',
				'honour_gpc'             => true,
				'decorate'               => '',
				'lead_on_registration'   => false,
				'delete_data'            => false,
				// Email admin_email about each application from the sign-up form.
				'notify_applications'    => true,
				// Email admin_email about each new referral flagged for review.
				'notify_flagged'         => true,
				// Email admin_email when a webhook event or a postback is given up.
				'notify_deliveries'      => true,
				// Email admin_email when an affiliate asks to be paid.
				'notify_payout_requests' => true,
			),
			is_array( $s ) ? $s : array()
		);
	}

	/**
	 * Cleans a submitted settings form (Settings API sanitize callback).
	 *
	 * @param mixed $in Submitted values.
	 * @return array
	 */
	public static function sanitize( $in ) {
		$in       = is_array( $in ) ? $in : array();
		$consent  = isset( $in['consent_default'] ) ? sanitize_key( $in['consent_default'] ) : 'granted';
		$decorate = array();
		foreach ( explode( ',', (string) ( $in['decorate'] ?? '' ) ) as $host ) {
			$host = strtolower( trim( $host ) );
			if ( '' !== $host && 1 === preg_match( '/^[a-z0-9.-]{1,253}$/D', $host ) ) {
				$decorate[] = $host;
			}
		}
		return array(
			'consent_default'        => in_array( $consent, array( 'granted', 'pending', 'denied' ), true ) ? $consent : 'granted',
			'honour_gpc'             => ! empty( $in['honour_gpc'] ),
			'decorate'               => implode( ',', $decorate ),
			'lead_on_registration'   => ! empty( $in['lead_on_registration'] ),
			'delete_data'            => ! empty( $in['delete_data'] ),
			'notify_applications'    => ! empty( $in['notify_applications'] ),
			'notify_flagged'         => ! empty( $in['notify_flagged'] ),
			'notify_deliveries'      => ! empty( $in['notify_deliveries'] ),
			'notify_payout_requests' => ! empty( $in['notify_payout_requests'] ),
		);
	}
}
