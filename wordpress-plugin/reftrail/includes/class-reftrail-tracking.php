<?php
/**
 * Clicks, leads, sales and refunds: what the browser, the shop's backend and the WooCommerce
 * hooks report, with the Rust server's rules.
 *
 * Attribution, first match wins: a subscription renewal credits the first sale's affiliate; then
 * the affiliate's coupon; then the signed `rt_click` cookie; then the `click_id` in the body; then
 * the touch the browser reports. Clicks and touches older than the window credit nobody; bot
 * clicks never credit. Every sale is recorded, credited or not (store revenue needs them all).
 * A referral keeps the campaign of what credited it: the click's (its `utm_campaign`, else its
 * `campaign`), the touch's, for a renewal or a returning customer the campaign of the referral
 * it follows; a coupon's has none. A sale is idempotent by `order_id`, a lead by (event,
 * customer); a replay answers 200 with the first answer and writes nothing.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * The tracking service.
 */
final class Reftrail_Tracking {

	/** A visitor's clicks on one affiliate within this many seconds count once as unique. */
	const UNIQUE_WINDOW = 3600;

	/** Campaign parameters a click may carry. */
	const CAMPAIGN_PARAMS = array( 'utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content', 'campaign' );

	/** The longest value of a campaign or click-id parameter, in bytes. */
	const MAX_TAG_VALUE = 256;

	/** Click-id parameters a click may carry. */
	const CLICK_ID_PARAMS = array( 'gclid', 'gbraid', 'wbraid', 'dclid', 'fbclid', 'msclkid', 'ttclid', 'twclid', 'li_fat_id', 'epik', 'rdt_cid', 'irclickid', 'cjevent', 'awc', 'sscid', 'sub1', 'sub2', 'sub3', 'sub4', 'sub5' );

	/**
	 * The click ids only an ad click carries: Google (search, app and web-to-app, display),
	 * Microsoft, TikTok, X, LinkedIn, Pinterest and Reddit ads. Not `fbclid`, which Facebook adds to
	 * every outbound link, and not the affiliate networks' or the affiliate's own ids.
	 */
	const AD_CLICK_IDS = array( 'gclid', 'gbraid', 'wbraid', 'dclid', 'msclkid', 'ttclid', 'twclid', 'li_fat_id', 'epik', 'rdt_cid' );

	/** User-agent markers of bots and previewers. */
	const BOT_MARKERS = array( 'bot', 'crawler', 'spider', 'slurp', 'crawl', 'headlesschrome', 'phantomjs', 'lighthouse', 'facebookexternalhit', 'facebot', 'embedly', 'quora link preview', 'pinterest', 'vkshare', 'w3c_validator', 'whatsapp', 'skypeuripreview', 'google-read-aloud', 'mediapartners-google', 'adsbot', 'apis-google', 'feedfetcher', 'python-requests', 'python-urllib', 'aiohttp', 'curl/', 'wget', 'libwww-perl', 'postmanruntime', 'insomnia', 'pingdom', 'uptimerobot', 'statuscake', 'site24x7', 'newrelicpinger', 'datadog', 'preview', 'monitor', 'archive.org_bot', 'ia_archiver' );

	/**
	 * Whether a user agent is a known bot (an empty one is).
	 *
	 * @param string $ua User agent.
	 * @return bool
	 */
	public static function is_bot( $ua ) {
		$ua = strtolower( trim( (string) $ua ) );
		if ( '' === $ua ) {
			return true;
		}
		foreach ( self::BOT_MARKERS as $m ) {
			if ( false !== strpos( $ua, $m ) ) {
				return true;
			}
		}
		return false;
	}

	/**
	 * SHA-256 hex of a trimmed, lower-cased email; null if not an email.
	 *
	 * @param string $email Email.
	 * @return string|null
	 */
	public static function email_hash( $email ) {
		$e  = trim( (string) $email, " \t\n\r\f\v" );
		$at = strpos( $e, '@' );
		if ( false === $at || 0 === $at || $at + 1 >= strlen( $e ) || strlen( $e ) > 254 || 1 === preg_match( '/[\x00-\x20\x7f]/', $e ) ) {
			return null;
		}
		return hash( 'sha256', strtolower( $e ) );
	}

	/**
	 * Records a click. `$client`: `ip`, `user_agent`, `https`.
	 *
	 * @param array $b      Decoded body.
	 * @param array $client The client.
	 * @return array [status, body, Set-Cookie value or null]
	 * @throws Reftrail_Http_Error On bad input or an unknown affiliate.
	 */
	public static function click( array $b, array $client ) {
		global $wpdb;
		Reftrail_Input::types(
			$b,
			array(
				'affiliate' => 'string',
				'url'       => 'string',
				'referrer'  => 'string',
				'consent'   => 'string',
				'via'       => 'string',
				'landing'   => 'string',
				'visitor'   => 'string',
				'campaign'  => 'object',
				'click_ids' => 'object',
				'key'       => 'string',
			)
		);
		foreach ( array( 'url', 'consent' ) as $k ) {
			if ( ! isset( $b[ $k ] ) ) {
				throw Reftrail_Http_Error::bad( 'invalid_body', sprintf( 'missing field `%s`', $k ) );
			}
		}
		$affiliate = $b['affiliate'] ?? null;
		if ( null !== $affiliate && ! Reftrail_Cookie::is_id( $affiliate ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_affiliate', "affiliate must be 1 to 64 letters, digits, '-', '_' or '.'" );
		}
		$url = $b['url'];
		if ( 1 !== preg_match( '#^https?://#', $url ) || ! Reftrail_Input::text( $url, Reftrail_Input::MAX_URL ) || false !== strpos( $url, ' ' ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_url', 'url must be an http(s) URL of at most 2048 bytes' );
		}
		$referrer = $b['referrer'] ?? '';
		if ( strlen( $referrer ) > Reftrail_Input::MAX_URL || Reftrail_Input::has_control( $referrer ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_referrer', 'referrer must be at most 2048 bytes without control characters' );
		}
		if ( ! in_array( $b['consent'], array( 'granted', 'denied', 'pending' ), true ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_consent', 'consent must be granted, denied or pending' );
		}
		if ( isset( $b['via'] ) && ! isset( Reftrail_Cookie::VIA_CODES[ $b['via'] ] ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_via', 'via must be query, fragment, path or decorated' );
		}
		if ( isset( $b['landing'] ) && ( 0 !== strpos( $b['landing'], '/' ) || ! Reftrail_Input::text( $b['landing'], 512 ) ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_landing', "landing must be a path starting with '/', at most 512 bytes" );
		}
		if ( isset( $b['visitor'] ) && ! Reftrail_Cookie::is_visitor( $b['visitor'] ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_visitor', 'visitor must be 16 to 32 ASCII letters and digits' );
		}
		$campaign  = self::tags( $b['campaign'] ?? array(), self::CAMPAIGN_PARAMS, 'unknown_campaign_param', 'invalid_campaign' );
		$click_ids = self::tags( $b['click_ids'] ?? array(), self::CLICK_ID_PARAMS, 'unknown_click_id_param', 'invalid_click_ids' );
		$program   = Reftrail_Program::get();
		$aff_t     = Reftrail_Db::table( 'affiliates' );
		if ( null !== $affiliate ) {
			$status = $wpdb->get_var( $wpdb->prepare( "SELECT status FROM {$aff_t} WHERE id = %s", $affiliate ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			if ( 'approved' !== $status ) {
				throw new Reftrail_Http_Error( 404, 'unknown_affiliate', 'no approved affiliate has this id' );
			}
		}
		$ua      = substr( (string) $client['user_agent'], 0, 512 );
		$bot     = self::is_bot( $ua );
		$keys    = Reftrail_Keys::cookie_keys();
		$salt    = $keys['keys'][ $keys['current'] ] ?? '';
		$ip_hash = substr( hash( 'sha256', $salt . '|ip|' . $client['ip'] ), 0, 32 );
		$at      = Reftrail_Db::now();
		$vkey    = isset( $b['visitor'] ) ? 'v:' . $b['visitor'] : 'h:' . substr( hash( 'sha256', $salt . '|' . $client['ip'] . '|' . $ua . '|' . intdiv( $at, Reftrail_Db::DAY ) ), 0, 32 );
		$id      = Reftrail_Db::new_id( 'c' );
		$clicks  = Reftrail_Db::table( 'clicks' );
		if ( null !== $affiliate ) {
			$seen = $wpdb->get_var( $wpdb->prepare( "SELECT 1 FROM {$clicks} WHERE visitor_key = %s AND affiliate_id = %s AND at > %d LIMIT 1", $vkey, $affiliate, $at - self::UNIQUE_WINDOW ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		} else {
			$seen = $wpdb->get_var( $wpdb->prepare( "SELECT 1 FROM {$clicks} WHERE visitor_key = %s AND affiliate_id IS NULL AND at > %d LIMIT 1", $vkey, $at - self::UNIQUE_WINDOW ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		}
		$unique = null === $seen && ! $bot;
		$ok     = $wpdb->insert(
			$clicks,
			array(
				'id'           => $id,
				'affiliate_id' => $affiliate,
				'at'           => $at,
				'visitor_key'  => $vkey,
				'is_unique'    => $unique ? 1 : 0,
				'is_bot'       => $bot ? 1 : 0,
				'ip_hash'      => $ip_hash,
				'consent'      => $b['consent'],
				'via'          => $b['via'] ?? null,
				'url'          => $url,
				'referrer'     => $referrer,
				'landing'      => $b['landing'] ?? null,
				'campaign'     => $campaign,
				'click_ids'    => $click_ids,
				'user_agent'   => $ua,
			),
			array( '%s', '%s', '%d', '%s', '%d', '%d', '%s', '%s', '%s', '%s', '%s', '%s', '%s', '%s', '%s' )
		);
		if ( false === $ok ) {
			throw new Reftrail_Http_Error( 503, 'unavailable', 'the database is unavailable; retry later' );
		}
		$cookie = null;
		if ( 'granted' === $b['consent'] && ! $bot && null !== $affiliate ) {
			$value = Reftrail_Click_Cookie::sign( $id );
			if ( null !== $value ) {
				$cookie = Reftrail_Click_Cookie::header( $value, (int) $program['window_days'] * Reftrail_Db::DAY, ! empty( $client['https'] ) );
			}
		}
		return array(
			201,
			array(
				'click_id'  => $id,
				'affiliate' => $affiliate,
				'unique'    => $unique,
				'bot'       => $bot,
			),
			$cookie,
		);
	}

	/**
	 * Checks campaign or click-id tags; returns their JSON, or null when there are none.
	 *
	 * @param array  $tags    Name => value.
	 * @param array  $known   Allowed names.
	 * @param string $unknown Code for an unknown name.
	 * @param string $bad     Code for a bad value.
	 * @return string|null
	 * @throws Reftrail_Http_Error 400.
	 */
	private static function tags( array $tags, array $known, $unknown, $bad ) {
		if ( count( $tags ) > count( $known ) ) {
			throw Reftrail_Http_Error::bad( $unknown, 'too many parameters' );
		}
		foreach ( $tags as $k => $v ) {
			if ( ! in_array( (string) $k, $known, true ) ) {
				throw Reftrail_Http_Error::bad( $unknown, sprintf( 'unknown parameter "%s"; known: %s', substr( (string) $k, 0, 40 ), implode( ', ', $known ) ) );
			}
			if ( ! Reftrail_Input::text( $v, self::MAX_TAG_VALUE ) ) {
				throw Reftrail_Http_Error::bad( $bad, sprintf( '%s must be 1 to 256 bytes without control characters', $k ) );
			}
		}
		if ( ! $tags ) {
			return null;
		}
		ksort( $tags );
		return wp_json_encode( $tags );
	}

	/**
	 * The campaign a click's stored tags (the JSON tags() wrote) name: its `utm_campaign`, else
	 * its `campaign`, exactly as given; null for none.
	 *
	 * @param string|null $tags The click's `campaign` column.
	 * @return string|null
	 */
	public static function campaign_name( $tags ) {
		$tags = json_decode( (string) $tags, true );
		if ( ! is_array( $tags ) ) {
			return null;
		}
		foreach ( array( 'utm_campaign', 'campaign' ) as $k ) {
			if ( isset( $tags[ $k ] ) && is_string( $tags[ $k ] ) ) {
				return $tags[ $k ];
			}
		}
		return null;
	}

	/**
	 * The campaign of the referral of a conversion (an order's or a lead's row id), or null.
	 *
	 * @param string|null $source_id The order's or lead's id.
	 * @return string|null
	 */
	private static function referral_campaign( $source_id ) {
		global $wpdb;
		if ( null === $source_id ) {
			return null;
		}
		$t = Reftrail_Db::table( 'referrals' );
		$c = $wpdb->get_var( $wpdb->prepare( "SELECT campaign FROM {$t} WHERE source_id = %s", $source_id ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		return null === $c ? null : (string) $c;
	}

	/**
	 * The email hash from `email` (verified callers only) or `email_hash` (sales, leads and
	 * data-subject requests).
	 *
	 * @param mixed $email    Email.
	 * @param mixed $hash     Hash.
	 * @param bool  $verified Whether the caller is a backend.
	 * @return string|null
	 * @throws Reftrail_Http_Error 400.
	 */
	public static function email_of( $email, $hash, $verified ) {
		if ( null !== $email && null !== $hash ) {
			throw Reftrail_Http_Error::bad( 'invalid_email', 'send email or email_hash, not both' );
		}
		if ( null !== $email ) {
			if ( ! $verified ) {
				throw Reftrail_Http_Error::bad( 'email_not_allowed', 'the browser sends email_hash; a plain email needs the secret key' );
			}
			$h = is_string( $email ) ? self::email_hash( $email ) : null;
			if ( null === $h ) {
				throw Reftrail_Http_Error::bad( 'invalid_email', 'email is not an email address' );
			}
			return $h;
		}
		if ( null !== $hash ) {
			if ( ! is_string( $hash ) || 1 !== preg_match( '/^[0-9a-f]{64}$/D', $hash ) ) {
				throw Reftrail_Http_Error::bad( 'invalid_email_hash', 'email_hash must be 64 lower-case hex characters (SHA-256)' );
			}
			return $hash;
		}
		return null;
	}

	/**
	 * Checks a browser-reported touch; returns [affiliate, at, campaign or null].
	 *
	 * @param mixed $t Touch.
	 * @return array
	 * @throws Reftrail_Http_Error 400 invalid_touch.
	 */
	private static function touch_of( $t ) {
		$bad = fn( $m ) => Reftrail_Http_Error::bad( 'invalid_touch', $m );
		if ( ! is_array( $t ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_body', 'touch: expected an object' );
		}
		if ( ! Reftrail_Cookie::is_id( $t['affiliate'] ?? null ) ) {
			throw $bad( 'touch.affiliate is not a valid affiliate id' );
		}
		$at = Reftrail_Db::parse_time( $t['at'] ?? null );
		if ( null === $at ) {
			throw $bad( 'touch.at must be an RFC 3339 time' );
		}
		if ( isset( $t['via'] ) && ! isset( Reftrail_Cookie::VIA_CODES[ $t['via'] ] ) ) {
			throw $bad( 'touch.via must be query, fragment, path or decorated' );
		}
		if ( isset( $t['campaign'] ) && ! Reftrail_Input::text( $t['campaign'], Reftrail_Input::MAX_TEXT ) ) {
			throw $bad( 'touch.campaign is too long or has control characters' );
		}
		if ( isset( $t['visitor'] ) && ! Reftrail_Cookie::is_visitor( $t['visitor'] ) ) {
			throw $bad( 'touch.visitor must be 16 to 32 letters and digits' );
		}
		return array( $t['affiliate'], $at, $t['campaign'] ?? null );
	}

	/**
	 * The stored first answer of an idempotent request, or null.
	 *
	 * @param string $scope  Scope.
	 * @param string $key    Key.
	 * @param string $hash   This request's hash.
	 * @param bool   $strict Whether a different request under the key is a 409.
	 * @return string|null
	 * @throws Reftrail_Http_Error 409 idempotency_key_reused.
	 */
	public static function replay( $scope, $key, $hash, $strict ) {
		global $wpdb;
		$t   = Reftrail_Db::table( 'idempotency' );
		$row = $wpdb->get_row( $wpdb->prepare( "SELECT request_hash, body FROM {$t} WHERE scope = %s AND idem_key = %s", $scope, $key ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		if ( ! $row ) {
			return null;
		}
		if ( $strict && ! hash_equals( $row['request_hash'], $hash ) ) {
			throw new Reftrail_Http_Error( 409, 'idempotency_key_reused', 'this Idempotency-Key was used for a different request' );
		}
		return $row['body'];
	}

	/**
	 * Stores the first answer.
	 *
	 * @param string $scope Scope.
	 * @param string $key   Key.
	 * @param string $hash  Request hash.
	 * @param string $body  Answer JSON.
	 */
	public static function remember( $scope, $key, $hash, $body ) {
		global $wpdb;
		$wpdb->insert(
			Reftrail_Db::table( 'idempotency' ),
			array(
				'scope'        => $scope,
				'idem_key'     => $key,
				'request_hash' => $hash,
				'body'         => $body,
				'at'           => Reftrail_Db::now(),
			),
			array( '%s', '%s', '%s', '%s', '%d' )
		);
	}

	/**
	 * A request's hash, the key fields left out.
	 *
	 * @param array $b Body.
	 * @return string
	 */
	private static function request_hash( array $b ) {
		unset( $b['key'], $b['idempotency_key'] );
		return hash( 'sha256', (string) wp_json_encode( $b ) );
	}

	/**
	 * Validates an Idempotency-Key (header, or `idempotency_key` in the body for sendBeacon).
	 *
	 * @param mixed $k Key.
	 * @return string|null
	 * @throws Reftrail_Http_Error 400.
	 */
	public static function idem_key( $k ) {
		if ( null === $k ) {
			return null;
		}
		if ( ! is_string( $k ) || '' === $k || strlen( $k ) > 128 || 1 !== preg_match( '/^[\x21-\x7e]+$/D', $k ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_idempotency_key', 'Idempotency-Key must be 1 to 128 visible ASCII characters' );
		}
		return $k;
	}

	/**
	 * The affiliate and time of a click that may credit a conversion at `$until`: not a bot,
	 * inside the window, and not after the conversion (five minutes of clock skew aside, as for
	 * a browser touch): a click cannot have brought an order placed before it.
	 *
	 * @param string $click_id Click id.
	 * @param int    $since    Window start.
	 * @param int    $until    The conversion's time.
	 * @return array|null [affiliate, at, campaign (campaign_name())].
	 */
	private static function click_affiliate( $click_id, $since, $until ) {
		global $wpdb;
		$t   = Reftrail_Db::table( 'clicks' );
		$row = $wpdb->get_row( $wpdb->prepare( "SELECT affiliate_id, at, campaign FROM {$t} WHERE id = %s AND is_bot = 0 AND at >= %d AND at <= %d AND affiliate_id IS NOT NULL", $click_id, $since, $until + 300 ), ARRAY_N ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		return $row ? array( $row[0], (int) $row[1], self::campaign_name( $row[2] ) ) : null;
	}

	/**
	 * The affiliate and time of the customer's latest verified conversion in [`$since`, `$until`]
	 * that a visit credited (a click or a browser touch; not a coupon, a renewal or an earlier
	 * match, so a match never outlives the window of the visit behind it). Only what the shop
	 * itself reported (verified) counts: leads a page reports with an email it was given could
	 * otherwise claim customers who later buy on their own.
	 *
	 * @param array $customer [email hash or null, customer id or null].
	 * @param int   $since    Window start.
	 * @param int   $until    The conversion's time.
	 * @return array|null [affiliate, time, the conversion's id (its referral's source_id)]
	 */
	private static function customer_affiliate( array $customer, $since, $until ) {
		global $wpdb;
		list( $hash, $id ) = $customer;
		if ( null === $hash && null === $id ) {
			return null;
		}
		$best = null;
		foreach ( array( 'orders', 'leads' ) as $table ) {
			$t   = Reftrail_Db::table( $table );
			$row = $wpdb->get_row( $wpdb->prepare( "SELECT affiliate_id, at, id FROM {$t} WHERE verified = 1 AND affiliate_id IS NOT NULL AND attributed_by IN ('cookie', 'click_id', 'touch') AND at >= %d AND at <= %d AND (email_hash = %s OR customer_id = %s) ORDER BY at DESC LIMIT 1", $since, $until, (string) $hash, (string) $id ), ARRAY_N ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			if ( $row && ( null === $best || (int) $row[1] > $best[1] ) ) {
				$best = array( $row[0], (int) $row[1], $row[2] );
			}
		}
		return $best;
	}

	/**
	 * The attribution of the current request's cookies (a checkout's, a sign-up's): the signed
	 * click cookie and the core's stored referral.
	 *
	 * @return array `cookie_click`, `touch`.
	 */
	public static function request_attribution() {
		$click = isset( $_COOKIE[ Reftrail_Click_Cookie::NAME ] ) ? Reftrail_Click_Cookie::verify( sanitize_text_field( wp_unslash( $_COOKIE[ Reftrail_Click_Cookie::NAME ] ) ) ) : null;
		$touch = null;
		if ( isset( $_COOKIE[ Reftrail_Cookie::NAME ] ) ) {
			try {
				$state = Reftrail_Cookie::decode( sanitize_text_field( wp_unslash( $_COOKIE[ Reftrail_Cookie::NAME ] ) ) );
				$live  = $state['referral'];
				if ( $live && $live['expires'] > Reftrail_Db::now() ) {
					$touch = array(
						'affiliate' => $live['affiliate'],
						'via'       => $live['via'],
						'at'        => Reftrail_Db::rfc3339( $live['at'] ),
					);
					if ( null !== $live['click_id'] ) {
						$touch['click_id'] = $live['click_id'];
					}
					if ( null !== $live['campaign'] ) {
						$touch['campaign'] = $live['campaign'];
					}
				}
			} catch ( Reftrail_Cookie_Error $e ) {
				$touch = null; // A forged or truncated cookie credits nobody.
			}
		}
		return array(
			'cookie_click' => $click,
			'touch'        => $touch,
		);
	}

	/**
	 * Decides who is credited; null for nobody.
	 *
	 * @param array $program Program.
	 * @param int   $at      Conversion time.
	 * @param array $s       `renewal_of`, `renewal_order` (the id of the order the renewal is
	 *                       credited through), `coupon`, `cookie_click`, `click_id`, `touch`,
	 *                       `customer` ([email hash, customer id], for the program's
	 *                       `match_customers`).
	 * @return array|null `affiliate`, `by`, `click_id`, `touched_at` (when the deciding click or
	 *                    touch happened; null for a coupon or a renewal), `campaign` (the credited
	 *                    click's, the touch's, or the referral's that a renewal or a returning
	 *                    customer follows; null for a coupon), `email_hash`, `overrides`,
	 *                    `category` (the affiliate's now, whose rates the program may set).
	 */
	private static function attribute( array $program, $at, array $s ) {
		global $wpdb;
		$since = $at - (int) $program['window_days'] * Reftrail_Db::DAY;
		$found = null;
		if ( ! empty( $s['renewal_of'] ) ) {
			$found = array( $s['renewal_of'], 'renewal', null, null, self::referral_campaign( $s['renewal_order'] ?? null ) );
		}
		if ( ! $found && ! empty( $s['coupon'] ) ) {
			$t = Reftrail_Db::table( 'coupons' );
			$a = $wpdb->get_var( $wpdb->prepare( "SELECT affiliate_id FROM {$t} WHERE code = %s", mb_strtoupper( $s['coupon'] ) ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			if ( $a ) {
				$found = array( $a, 'coupon', null, null, null );
			}
		}
		foreach ( array( 'cookie_click' => 'cookie', 'click_id' => 'click_id' ) as $k => $by ) {
			if ( ! $found && ! empty( $s[ $k ] ) ) {
				$a = self::click_affiliate( $s[ $k ], $since, $at );
				if ( $a ) {
					$found = array( $a[0], $by, $s[ $k ], $a[1], $a[2] );
				}
			}
		}
		if ( ! $found && ! empty( $s['touch'] ) ) {
			list( $a, $t, $campaign ) = $s['touch'];
			if ( $t >= $since && $t <= $at + 300 ) {
				$found = array( $a, 'touch', null, $t, $campaign );
			}
		}
		if ( ! $found && ! empty( $program['match_customers'] ) && ! empty( $s['customer'] ) ) {
			$a = self::customer_affiliate( $s['customer'], $since, $at );
			if ( $a ) {
				$found = array( $a[0], 'customer', null, $a[1], self::referral_campaign( $a[2] ) );
			}
		}
		if ( ! $found ) {
			return null;
		}
		$t   = Reftrail_Db::table( 'affiliates' );
		$row = $wpdb->get_row( $wpdb->prepare( "SELECT email_hash, commission, category FROM {$t} WHERE id = %s AND status = 'approved'", $found[0] ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		if ( ! $row ) {
			return null;
		}
		return array(
			'affiliate'  => $found[0],
			'by'         => $found[1],
			'click_id'   => $found[2],
			'touched_at' => $found[3],
			'campaign'   => $found[4],
			'email_hash' => $row['email_hash'],
			'overrides'  => $row['commission'],
			'category'   => $row['category'],
		);
	}

	/**
	 * The program's rules with the affiliate's own overrides merged in.
	 *
	 * @param array $program Program.
	 * @param array $credit  Credit.
	 * @return array
	 */
	private static function rules_for( array $program, array $credit ) {
		$rules = (array) $program['commission'];
		if ( null !== $credit['overrides'] && '' !== $credit['overrides'] ) {
			$rules['affiliates'][ $credit['affiliate'] ] = json_decode( $credit['overrides'], true );
		}
		return $rules;
	}

	/**
	 * The affiliate's volume in the calendar month (UTC) of `$at`, in `$currency`.
	 *
	 * @param string $affiliate Affiliate.
	 * @param string $currency  Currency.
	 * @param int    $at        Time.
	 * @return array
	 */
	private static function period( $affiliate, $currency, $at ) {
		global $wpdb;
		$start = gmmktime( 0, 0, 0, (int) gmdate( 'n', $at ), 1, (int) gmdate( 'Y', $at ) );
		$t     = Reftrail_Db::table( 'referrals' );
		$row   = $wpdb->get_row( $wpdb->prepare( "SELECT COUNT(*) AS n, COALESCE(SUM(amount), 0) AS revenue, COALESCE(SUM(commission), 0) AS commission FROM {$t} WHERE affiliate_id = %s AND currency = %s AND kind = 'sale' AND at >= %d AND status <> 'rejected'", $affiliate, $currency, $start ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		return array(
			'sales'      => (int) $row['n'],
			'revenue'    => (int) $row['revenue'],
			'commission' => (int) $row['commission'],
		);
	}

	/**
	 * Whole calendar months from `$from` to `$to` (UTC), not counting an incomplete one.
	 *
	 * @param int $from From.
	 * @param int $to   To.
	 * @return int
	 */
	public static function months_between( $from, $to ) {
		$m = ( (int) gmdate( 'Y', $to ) - (int) gmdate( 'Y', $from ) ) * 12 + ( (int) gmdate( 'n', $to ) - (int) gmdate( 'n', $from ) );
		if ( (int) gmdate( 'j', $to ) < (int) gmdate( 'j', $from ) ) {
			--$m;
		}
		return max( 0, $m );
	}

	/**
	 * Whether a click's stored click ids (the JSON object tags() wrote) name an ad click: one of
	 * AD_CLICK_IDS.
	 *
	 * @param string|null $click_ids The click's `click_ids` column.
	 * @return bool
	 */
	public static function from_an_ad( $click_ids ) {
		$ids = json_decode( (string) $click_ids, true );
		return is_array( $ids ) && (bool) array_intersect( array_map( 'strval', array_keys( $ids ) ), self::AD_CLICK_IDS );
	}

	/**
	 * Fraud flags of a conversion.
	 *
	 * @param array       $program    Program.
	 * @param array       $credit     Credit.
	 * @param string|null $email_hash The customer's email hash.
	 * @param bool        $verified   Whether a backend reported it.
	 * @param string      $ua         User agent.
	 * @param bool        $sale       Whether it is a sale (the conversion-rate band applies).
	 * @return string[]
	 */
	private static function flags( array $program, array $credit, $email_hash, $verified, $ua, $sale ) {
		global $wpdb;
		$flags = array();
		if ( null !== $email_hash && $email_hash === $credit['email_hash'] ) {
			$flags[] = 'self_referral';
		}
		if ( ! $verified && self::is_bot( $ua ) ) {
			$flags[] = 'bot_user_agent';
		}
		$clicks = Reftrail_Db::table( 'clicks' );
		$f      = $program['fraud'];
		if ( null !== $credit['click_id'] ) {
			// A click whose details are gone (Reftrail_Retention, erasure) has no address to count.
			$n = (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$clicks} c JOIN {$clicks} k ON k.ip_hash = c.ip_hash WHERE c.id = %s AND c.ip_hash <> '' AND k.at > c.at - 3600 AND k.at <= c.at", $credit['click_id'] ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			if ( $n > (int) $f['clicks_per_ip_per_hour'] ) {
				$flags[] = 'click_velocity';
			}
			if ( true === $f['flag_paid_ads'] && self::from_an_ad( $wpdb->get_var( $wpdb->prepare( "SELECT click_ids FROM {$clicks} WHERE id = %s", $credit['click_id'] ) ) ) ) { // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
				$flags[] = 'paid_ads';
			}
		}
		if ( $sale ) {
			$since = Reftrail_Db::now() - 30 * Reftrail_Db::DAY;
			$n     = (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$clicks} WHERE affiliate_id = %s AND at >= %d AND is_bot = 0", $credit['affiliate'], $since ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			if ( $n >= max( 1, (int) $f['conversion_rate_min_clicks'] ) ) {
				$r     = Reftrail_Db::table( 'referrals' );
				$sales = (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$r} WHERE affiliate_id = %s AND kind = 'sale' AND at >= %d", $credit['affiliate'], $since ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
				$pm    = intdiv( ( $sales + 1 ) * 1000, $n );
				if ( $pm < (int) $f['conversion_rate_min_permille'] || $pm > (int) $f['conversion_rate_max_permille'] ) {
					$flags[] = 'conversion_rate';
				}
			}
		}
		return $flags;
	}

	/**
	 * Computes a commission, mapping an arithmetic error to a 422.
	 *
	 * @param array $rules Rules.
	 * @param array $input Input.
	 * @return array
	 * @throws Reftrail_Http_Error 422 commission_error.
	 */
	private static function commission( array $rules, array $input ) {
		try {
			return Reftrail_Commission::compute( $rules, $input );
		} catch ( Reftrail_Commission_Error $e ) {
			throw new Reftrail_Http_Error( 422, 'commission_error', 'the commission could not be computed: ' . $e->error_code );
		}
	}

	/**
	 * Records a sale. `$ctx`: `verified`, `cookie_click`, `user_agent`, `idempotency_key`, and
	 * for WooCommerce `source`, `eligible`, `renewal_of` (`affiliate`, `first_at`, `order`: the id
	 * of the order the renewal is credited through, whose referral's campaign it carries).
	 *
	 * @param array $b   Decoded body.
	 * @param array $ctx Context.
	 * @return array [status, JSON text]
	 * @throws Reftrail_Http_Error On bad input.
	 */
	public static function sale( array $b, array $ctx ) {
		global $wpdb;
		Reftrail_Input::types(
			$b,
			array(
				'order_id'        => 'string',
				'amount'          => 'int',
				'currency'        => 'string',
				'shipping'        => 'int',
				'tax'             => 'int',
				'cost'            => 'int',
				'coupon'          => 'string',
				'items'           => 'array',
				'customer'        => 'object',
				'subscription_id' => 'string',
				'at'              => 'string',
				'click_id'        => 'string',
				'touch'           => 'object',
				'key'             => 'string',
			)
		);
		foreach ( array( 'order_id', 'amount', 'currency' ) as $k ) {
			if ( ! isset( $b[ $k ] ) ) {
				throw Reftrail_Http_Error::bad( 'invalid_body', sprintf( 'missing field `%s`', $k ) );
			}
		}
		$verified = (bool) $ctx['verified'];
		$idem     = self::idem_key( $ctx['idempotency_key'] ?? null );
		if ( ! Reftrail_Input::text( $b['order_id'], Reftrail_Input::MAX_TEXT ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_order_id', 'order_id must be 1 to 128 characters without control characters' );
		}
		$shipping = $b['shipping'] ?? 0;
		$tax      = $b['tax'] ?? 0;
		if ( ! Reftrail_Input::amount( $b['amount'] ) || ! Reftrail_Input::amount( $shipping ) || ! Reftrail_Input::amount( $tax ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_amount', 'amount, shipping and tax must be integers of minor units, 0 to 2^53-1' );
		}
		if ( $shipping + $tax > $b['amount'] ) {
			throw Reftrail_Http_Error::bad( 'invalid_amount', 'shipping and tax exceed the order amount' );
		}
		$cost = $b['cost'] ?? null;
		if ( null !== $cost && ( $cost < 0 || $cost > $b['amount'] ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_cost', __( 'cost (the cost of goods) must be an integer of minor units from 0 to amount', 'reftrail' ) );
		}
		if ( ! Reftrail_Input::currency( $b['currency'] ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_currency', 'currency must be an ISO 4217 code of three capital letters' );
		}
		$currency = $b['currency'];
		if ( isset( $b['coupon'] ) && ! Reftrail_Input::text( $b['coupon'], Reftrail_Input::MAX_TEXT ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_coupon', 'coupon must be 1 to 128 characters without control characters' );
		}
		$items_in = $b['items'] ?? array();
		if ( count( $items_in ) > 100 ) {
			throw Reftrail_Http_Error::bad( 'invalid_items', 'at most 100 items' );
		}
		$items = array();
		foreach ( $items_in as $it ) {
			$q = is_array( $it ) ? ( $it['quantity'] ?? 1 ) : 0;
			if ( ! is_array( $it ) || ! Reftrail_Input::text( $it['sku'] ?? null, Reftrail_Input::MAX_TEXT ) || ( isset( $it['category'] ) && ! Reftrail_Input::text( $it['category'], Reftrail_Input::MAX_TEXT ) )
				|| ! Reftrail_Input::amount( $it['amount'] ?? null ) || ! is_int( $q ) || $q < 1 || $q > 1000000 ) {
				throw Reftrail_Http_Error::bad( 'invalid_items', 'each item needs a sku (1-128 chars), an optional category, an amount of minor units and a quantity of 1 to 1000000' );
			}
			$items[] = array(
				'sku'      => $it['sku'],
				'category' => $it['category'] ?? null,
				'amount'   => $it['amount'],
				'quantity' => $q,
			);
		}
		$customer   = $b['customer'] ?? array();
		$email_hash = self::email_of( $customer['email'] ?? null, $customer['email_hash'] ?? null, $verified );
		if ( isset( $customer['id'] ) && ! Reftrail_Input::text( $customer['id'], Reftrail_Input::MAX_TEXT ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_customer_id', 'customer.id must be 1 to 128 characters' );
		}
		if ( isset( $b['subscription_id'] ) && ! Reftrail_Input::text( $b['subscription_id'], Reftrail_Input::MAX_TEXT ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_subscription_id', 'subscription_id must be 1 to 128 characters' );
		}
		if ( isset( $b['click_id'] ) && ! Reftrail_Cookie::is_id( $b['click_id'] ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_click_id', "click_id must be 1 to 64 letters, digits, '-', '_' or '.'" );
		}
		$touch = isset( $b['touch'] ) ? self::touch_of( $b['touch'] ) : null;
		$now   = Reftrail_Db::now();
		$at    = $now;
		if ( isset( $b['at'] ) ) {
			$at = Reftrail_Db::parse_time( $b['at'] );
			if ( null === $at || $at > $now + 300 ) {
				throw Reftrail_Http_Error::bad( 'invalid_at', 'at must be an RFC 3339 time, not in the future' );
			}
		}
		$hash = self::request_hash( $b );
		if ( null !== $idem ) {
			$r = self::replay( 'sale_key', $idem, $hash, true );
			if ( null !== $r ) {
				return array( 200, $r );
			}
		}
		$r = self::replay( 'sale', $b['order_id'], $hash, false );
		if ( null !== $r ) {
			return array( 200, $r );
		}
		$program = Reftrail_Program::get();
		return Reftrail_Db::locked(
			'sale:' . $b['order_id'],
			function () use ( $wpdb, $b, $ctx, $items, $items_in, $email_hash, $customer, $touch, $at, $hash, $idem, $verified, $currency, $shipping, $tax, $cost, $program ) {
				$r = self::replay( 'sale', $b['order_id'], $hash, false );
				if ( null !== $r ) {
					return array( 200, $r );
				}
				return Reftrail_Db::transaction(
					function () use ( $wpdb, $b, $ctx, $items, $items_in, $email_hash, $customer, $touch, $at, $hash, $idem, $verified, $currency, $shipping, $tax, $cost, $program ) {
						$orders  = Reftrail_Db::table( 'orders' );
						$renewal = $ctx['renewal_of'] ?? null;
						if ( null === $renewal && isset( $b['subscription_id'] ) ) {
							$first = $wpdb->get_row( $wpdb->prepare( "SELECT id, affiliate_id, at FROM {$orders} WHERE subscription_id = %s AND affiliate_id IS NOT NULL ORDER BY at LIMIT 1", $b['subscription_id'] ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
							if ( $first ) {
								$renewal = array(
									'affiliate' => $first['affiliate_id'],
									'first_at'  => (int) $first['at'],
									'order'     => $first['id'],
								);
							}
						}
						$credit     = self::attribute(
							$program,
							$at,
							array(
								'renewal_of'    => $renewal['affiliate'] ?? null,
								'renewal_order' => $renewal['order'] ?? null,
								'coupon'        => $b['coupon'] ?? null,
								'cookie_click'  => $ctx['cookie_click'] ?? null,
								'click_id'      => $b['click_id'] ?? null,
								'touch'         => $touch,
								'customer'      => array( $email_hash, $customer['id'] ?? null ),
							)
						);
						$is_renewal = null !== $credit && 'renewal' === $credit['by'];
						$order_ref  = Reftrail_Db::new_id( 'ord' );
						$wpdb->insert(
							$orders,
							array(
								'id'              => $order_ref,
								'order_id'        => $b['order_id'],
								'at'              => $at,
								'amount'          => $b['amount'],
								'currency'        => $currency,
								'shipping'        => $shipping,
								'tax'             => $tax,
								'coupon'          => $b['coupon'] ?? null,
								'email_hash'      => $email_hash,
								'customer_id'     => $customer['id'] ?? null,
								'subscription_id' => $b['subscription_id'] ?? null,
								'items'           => $items_in ? wp_json_encode( $items_in ) : null,
								'verified'        => $verified ? 1 : 0,
								'affiliate_id'    => $credit['affiliate'] ?? null,
								'attributed_by'   => $credit['by'] ?? null,
								'click_id'        => $credit['click_id'] ?? null,
								'source'          => $ctx['source'] ?? 'api',
								'cost'            => $cost,
							),
							array( '%s', '%s', '%d', '%d', '%s', '%d', '%d', '%s', '%s', '%s', '%s', '%s', '%d', '%s', '%s', '%s', '%s', '%d' )
						);
						$referral = null;
						if ( null !== $credit ) {
							if ( $items ) {
								$sum = 0;
								foreach ( $items as $it ) {
									$sum += $it['amount'] * $it['quantity'];
								}
								if ( ! is_int( $sum ) ) {
									throw Reftrail_Http_Error::bad( 'invalid_items', "the items' total is too large" );
								}
								$full     = $sum + $shipping + $tax;
								$subtotal = null;
								$discount = min( $sum, max( 0, $full - $b['amount'] ) );
							} else {
								$subtotal = $b['amount'] - $shipping - $tax;
								if ( $subtotal < 0 ) {
									throw Reftrail_Http_Error::bad( 'invalid_amount', 'shipping and tax exceed the order amount' );
								}
								$discount = 0;
							}
							$input      = array(
								'event'                   => 'sale',
								'affiliate'               => $credit['affiliate'],
								'affiliate_category'      => $credit['category'],
								'currency'                => $currency,
								'subtotal'                => $subtotal,
								'discount'                => $discount,
								'shipping'                => $shipping,
								'tax'                     => $tax,
								'items'                   => $items,
								'is_renewal'              => $is_renewal,
								'months_since_first_sale' => $is_renewal ? self::months_between( $renewal['first_at'], $at ) : 0,
								'period'                  => self::period( $credit['affiliate'], $currency, $at ),
							);
							$commission = self::commission( self::rules_for( $program, $credit ), $input );
							$referral   = Reftrail_Ledger::create(
								array(
									'kind'          => 'sale',
									'source_id'     => $order_ref,
									'affiliate'     => $credit['affiliate'],
									'at'            => $at,
									'amount'        => $b['amount'],
									'currency'      => $currency,
									'commission'    => $commission['amount'],
									'verified'      => $verified,
									'attributed_by' => $credit['by'],
									'campaign'      => $credit['campaign'],
									'flags'         => self::flags( $program, $credit, $email_hash, $verified, $ctx['user_agent'] ?? '', true ),
									'eligible'      => $ctx['eligible'] ?? true,
								)
							);
							// Who contributed, by the program's multi-touch model (the commission stays).
							Reftrail_Credit::record( $program, $referral['id'], $at, $credit, $b['touch']['visitor'] ?? null );
						}
						$answer = array(
							'sale'     => array(
								'id'            => $order_ref,
								'order_id'      => $b['order_id'],
								'at'            => Reftrail_Db::rfc3339( $at ),
								'amount'        => $b['amount'],
								'currency'      => $currency,
								'cost'          => $cost,
								'verified'      => $verified,
								'affiliate'     => $credit['affiliate'] ?? null,
								'attributed_by' => $credit['by'] ?? null,
							),
							'referral' => $referral,
						);
						$text   = wp_json_encode( $answer );
						self::remember( 'sale', $b['order_id'], $hash, $text );
						if ( null !== $idem ) {
							self::remember( 'sale_key', $idem, $hash, $text );
						}
						return array( 201, $text );
					}
				);
			}
		);
	}

	/**
	 * Records a lead. `$ctx` as for sale().
	 *
	 * @param array $b   Decoded body.
	 * @param array $ctx Context.
	 * @return array [status, JSON text]
	 * @throws Reftrail_Http_Error On bad input.
	 */
	public static function lead( array $b, array $ctx ) {
		global $wpdb;
		Reftrail_Input::types(
			$b,
			array(
				'event'       => 'string',
				'email'       => 'string',
				'email_hash'  => 'string',
				'customer_id' => 'string',
				'click_id'    => 'string',
				'touch'       => 'object',
				'key'         => 'string',
			)
		);
		if ( ! isset( $b['event'] ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_body', 'missing field `event`' );
		}
		$verified = (bool) $ctx['verified'];
		$idem     = self::idem_key( $ctx['idempotency_key'] ?? null );
		if ( ! Reftrail_Input::text( $b['event'], Reftrail_Input::MAX_TEXT ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_event', 'event must be 1 to 128 characters without control characters' );
		}
		$email_hash = self::email_of( $b['email'] ?? null, $b['email_hash'] ?? null, $verified );
		if ( isset( $b['customer_id'] ) && ! Reftrail_Input::text( $b['customer_id'], Reftrail_Input::MAX_TEXT ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_customer_id', 'customer_id must be 1 to 128 characters' );
		}
		if ( isset( $b['click_id'] ) && ! Reftrail_Cookie::is_id( $b['click_id'] ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_click_id', "click_id must be 1 to 64 letters, digits, '-', '_' or '.'" );
		}
		$touch = isset( $b['touch'] ) ? self::touch_of( $b['touch'] ) : null;
		if ( isset( $b['customer_id'] ) ) {
			$who = 'c:' . $b['customer_id'];
		} elseif ( null !== $email_hash ) {
			$who = 'e:' . $email_hash;
		} elseif ( null !== $idem ) {
			$who = 'k:' . $idem;
		} else {
			throw Reftrail_Http_Error::bad( 'missing_customer', 'a lead needs customer_id, email_hash (or email) or an Idempotency-Key, so it is counted once' );
		}
		$dedupe = $b['event'] . "\x1f" . $who;
		$hash   = self::request_hash( $b );
		if ( null !== $idem ) {
			$r = self::replay( 'lead_key', $idem, $hash, true );
			if ( null !== $r ) {
				return array( 200, $r );
			}
		}
		$r = self::replay( 'lead', $dedupe, $hash, false );
		if ( null !== $r ) {
			return array( 200, $r );
		}
		$program = Reftrail_Program::get();
		return Reftrail_Db::locked(
			'lead:' . $dedupe,
			function () use ( $wpdb, $b, $ctx, $verified, $idem, $email_hash, $touch, $dedupe, $hash, $program ) {
				$r = self::replay( 'lead', $dedupe, $hash, false );
				if ( null !== $r ) {
					return array( 200, $r );
				}
				return Reftrail_Db::transaction(
					function () use ( $wpdb, $b, $ctx, $verified, $idem, $email_hash, $touch, $dedupe, $hash, $program ) {
						$at      = Reftrail_Db::now();
						$credit  = self::attribute(
							$program,
							$at,
							array(
								'cookie_click' => $ctx['cookie_click'] ?? null,
								'click_id'     => $b['click_id'] ?? null,
								'touch'        => $touch,
								'customer'     => array( $email_hash, $b['customer_id'] ?? null ),
							)
						);
						$lead_id = Reftrail_Db::new_id( 'lead' );
						$wpdb->insert(
							Reftrail_Db::table( 'leads' ),
							array(
								'id'            => $lead_id,
								'dedupe_key'    => $dedupe,
								'at'            => $at,
								'event'         => $b['event'],
								'email_hash'    => $email_hash,
								'customer_id'   => $b['customer_id'] ?? null,
								'verified'      => $verified ? 1 : 0,
								'affiliate_id'  => $credit['affiliate'] ?? null,
								'attributed_by' => $credit['by'] ?? null,
								'click_id'      => $credit['click_id'] ?? null,
							),
							array( '%s', '%s', '%d', '%s', '%s', '%s', '%d', '%s', '%s', '%s' )
						);
						$referral = null;
						if ( null !== $credit ) {
							$currency   = $program['currency'];
							$input      = array(
								'event'              => 'lead',
								'affiliate'          => $credit['affiliate'],
								'affiliate_category' => $credit['category'],
								'currency'           => $currency,
								'period'             => self::period( $credit['affiliate'], $currency, $at ),
							);
							$commission = self::commission( self::rules_for( $program, $credit ), $input );
							$referral   = Reftrail_Ledger::create(
								array(
									'kind'          => 'lead',
									'source_id'     => $lead_id,
									'affiliate'     => $credit['affiliate'],
									'at'            => $at,
									'amount'        => 0,
									'currency'      => $currency,
									'commission'    => $commission['amount'],
									'verified'      => $verified,
									'attributed_by' => $credit['by'],
									'campaign'      => $credit['campaign'],
									'flags'         => self::flags( $program, $credit, $email_hash, $verified, $ctx['user_agent'] ?? '', false ),
								)
							);
							Reftrail_Credit::record( $program, $referral['id'], $at, $credit, $b['touch']['visitor'] ?? null );
						}
						$text = wp_json_encode(
							array(
								'lead_id'       => $lead_id,
								'event'         => $b['event'],
								'verified'      => $verified,
								'affiliate'     => $credit['affiliate'] ?? null,
								'attributed_by' => $credit['by'] ?? null,
								'referral'      => $referral,
							)
						);
						self::remember( 'lead', $dedupe, $hash, $text );
						if ( null !== $idem ) {
							self::remember( 'lead_key', $idem, $hash, $text );
						}
						return array( 201, $text );
					}
				);
			}
		);
	}

	/**
	 * Records a full or partial refund and reverses the commission in proportion, and the share of
	 * it the affiliate's recruiter earned (Reftrail_Recruiters::refunded()). A new refund is
	 * recorded in the activity log (`refund.created` by `$by`) in the same transaction; a replay
	 * or a refused refund is not.
	 *
	 * @param array       $b    `order_id`, `amount`?, `currency`?, `refund_id`?, `reason`?.
	 * @param string|null $idem Idempotency-Key header.
	 * @param string      $by   Who refunds, as the activity log names them.
	 * @return array [status, JSON text]
	 * @throws Reftrail_Http_Error On bad input; 503 when it cannot be recorded.
	 */
	public static function refund( array $b, $idem, $by ) {
		global $wpdb;
		Reftrail_Input::known( $b, array( 'order_id', 'amount', 'currency', 'refund_id', 'reason' ) );
		Reftrail_Input::types(
			$b,
			array(
				'order_id'  => 'string',
				'amount'    => 'int',
				'currency'  => 'string',
				'refund_id' => 'string',
				'reason'    => 'string',
			)
		);
		if ( ! isset( $b['order_id'] ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_body', 'missing field `order_id`' );
		}
		$idem = self::idem_key( $idem );
		if ( ! Reftrail_Input::text( $b['order_id'], 128 ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_order_id', 'order_id must be 1 to 128 characters' );
		}
		if ( isset( $b['amount'] ) && ( $b['amount'] < 1 || $b['amount'] > Reftrail_Input::MAX_AMOUNT ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_amount', 'amount must be a positive integer of minor units' );
		}
		if ( isset( $b['refund_id'] ) && ! Reftrail_Input::text( $b['refund_id'], 128 ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_refund_id', 'refund_id must be 1 to 128 characters' );
		}
		Reftrail_Input::check_note( $b, 'reason', 'invalid_reason' );
		if ( isset( $b['currency'] ) && ! Reftrail_Input::currency( $b['currency'] ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_currency', 'currency must be an ISO 4217 code' );
		}
		if ( isset( $b['refund_id'] ) ) {
			$key = 'r:' . $b['refund_id'];
		} elseif ( null !== $idem ) {
			$key = 'k:' . $idem;
		} elseif ( ! isset( $b['amount'] ) ) {
			$key = 'full:' . $b['order_id'];
		} else {
			throw Reftrail_Http_Error::bad( 'missing_refund_id', 'a partial refund needs refund_id or an Idempotency-Key, so a retry is not counted twice' );
		}
		$hash     = hash( 'sha256', (string) wp_json_encode( $b ) );
		$replayed = function () use ( $wpdb, $key, $hash ) {
			$r = self::replay( 'refund', $key, $hash, false );
			if ( null === $r ) {
				return null;
			}
			$stored = $wpdb->get_var( $wpdb->prepare( 'SELECT request_hash FROM ' . Reftrail_Db::table( 'idempotency' ) . " WHERE scope = 'refund' AND idem_key = %s", $key ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
			if ( ! hash_equals( (string) $stored, $hash ) ) {
				throw new Reftrail_Http_Error( 409, 'idempotency_key_reused', 'this refund id was used for a different refund' );
			}
			return array( 200, $r );
		};
		$r = $replayed();
		if ( null !== $r ) {
			return $r;
		}
		return Reftrail_Db::locked(
			'sale:' . $b['order_id'],
			fn() => Reftrail_Db::transaction(
				function () use ( $wpdb, $b, $key, $hash, $replayed, $by ) {
					// A concurrent retry of this refund may have committed while this one waited
					// for the order's lock: answer its result instead of refunding twice.
					$r = $replayed();
					if ( null !== $r ) {
						return $r;
					}
					$orders = Reftrail_Db::table( 'orders' );
					$order  = $wpdb->get_row( $wpdb->prepare( "SELECT id, amount, currency, cost FROM {$orders} WHERE order_id = %s", $b['order_id'] ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
					if ( ! $order ) {
						throw new Reftrail_Http_Error( 404, 'order_not_found', 'no sale has this order_id' );
					}
					$order_amount = (int) $order['amount'];
					$currency     = $order['currency'];
					if ( isset( $b['currency'] ) && $b['currency'] !== $currency ) {
						throw Reftrail_Http_Error::bad( 'currency_mismatch', sprintf( 'the order is in %s', $currency ) );
					}
					$refunds = Reftrail_Db::table( 'refunds' );
					$sums    = $wpdb->get_row( $wpdb->prepare( "SELECT COALESCE(SUM(amount), 0) AS amount, COALESCE(SUM(cost), 0) AS cost FROM {$refunds} WHERE order_ref = %s", $order['id'] ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
					$before  = (int) $sums['amount'];
					$left    = $order_amount - $before;
					$amount  = $b['amount'] ?? $left;
					if ( $amount <= 0 || $amount > $left ) {
						throw new Reftrail_Http_Error( 422, 'refund_exceeds_order', sprintf( '%d of %d %s is left to refund', $left, $order_amount, $currency ) );
					}
					// The cost of goods this refund takes back, in proportion like the commission.
					$cost = null === $order['cost'] ? 0 : Reftrail_Commission::reverse_part( (int) $order['cost'], $order_amount, $before, (int) $sums['cost'], $amount );
					$id   = Reftrail_Db::new_id( 'rfd' );
					$at   = Reftrail_Db::now();
					$wpdb->insert(
						$refunds,
						array(
							'id'         => $id,
							'refund_key' => $key,
							'order_ref'  => $order['id'],
							'amount'     => $amount,
							'currency'   => $currency,
							'reason'     => $b['reason'] ?? null,
							'at'         => $at,
							'cost'       => $cost,
						),
						array( '%s', '%s', '%s', '%d', '%s', '%s', '%d', '%d' )
					);
					$rt       = Reftrail_Db::table( 'referrals' );
					$rid      = $wpdb->get_var( $wpdb->prepare( "SELECT id FROM {$rt} WHERE source_id = %s", $order['id'] ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
					$reversed = 0;
					$referral = null;
					if ( $rid ) {
						$view = Reftrail_Ledger::view( $rid );
						if ( 'rejected' !== $view['status'] ) {
							$reversed_before = Reftrail_Ledger::reversed( $rid );
							$reversed        = Reftrail_Commission::reverse_part( $view['commission'], $order_amount, $before, $reversed_before, $amount );
							Reftrail_Ledger::append( $view['affiliate'], $rid, null, 'pending' === $view['status'] ? 'pending' : 'approved', 'reversal', -$reversed, $view['currency'] );
							$full = $before + $amount >= $order_amount;
							// The recruiter's share follows what is left of the recruit's commission.
							Reftrail_Recruiters::refunded( $rid, $view['commission'] - $reversed_before - $reversed, $full );
							if ( $full ) {
								$wpdb->query( $wpdb->prepare( "UPDATE {$rt} SET status = 'reversed', decided_at = %d WHERE id = %s", $at, $rid ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
							}
							$view = Reftrail_Ledger::view( $rid );
							if ( $reversed > 0 || $full ) {
								do_action( 'reftrail_referral_reversed', $view );
							}
						}
						$referral = $view;
					}
					Reftrail_Activity::record(
						$by,
						'refund.created',
						$id,
						null === $referral ? null : $referral['affiliate'],
						array(
							'order_id'            => $b['order_id'],
							'amount'              => $amount,
							'currency'            => $currency,
							'reason'              => $b['reason'] ?? null,
							'commission_reversed' => $reversed,
						)
					);
					$text = wp_json_encode(
						array(
							'refund'              => array(
								'id'             => $id,
								'order_id'       => $b['order_id'],
								'amount'         => $amount,
								'currency'       => $currency,
								'refunded_total' => $before + $amount,
								'at'             => Reftrail_Db::rfc3339( $at ),
							),
							'commission_reversed' => $reversed,
							'referral'            => $referral,
						)
					);
					self::remember( 'refund', $key, $hash, $text );
					return array( 201, $text );
				}
			)
		);
	}

	/**
	 * What is still refundable of an order, and its currency; null if the order is unknown.
	 *
	 * @param string $order_id The shop's order id.
	 * @return array|null [left, currency]
	 */
	public static function refundable( $order_id ) {
		global $wpdb;
		$o   = Reftrail_Db::table( 'orders' );
		$f   = Reftrail_Db::table( 'refunds' );
		$row = $wpdb->get_row( $wpdb->prepare( "SELECT o.amount - COALESCE((SELECT SUM(f.amount) FROM {$f} f WHERE f.order_ref = o.id), 0) AS lft, o.currency FROM {$o} o WHERE o.order_id = %s", $order_id ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		return $row ? array( (int) $row['lft'], $row['currency'] ) : null;
	}
}
