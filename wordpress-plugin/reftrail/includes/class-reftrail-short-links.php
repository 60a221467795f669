<?php
/**
 * Short links: `/go/{code}` stands for one affiliate's link to one page of the shop, with a
 * campaign name, short enough for a bio, a chat message or a printed card. Opening it redirects to
 * the page with the affiliate's parameter and `utm_campaign` added; the tracker on that page
 * records the click as for any other link. The records behind `/v1/me/links`, `/v1/links` and
 * `/go/{code}`, as the server keeps them (`short_links.rs`).
 *
 * A short link only ever leads to the shop: its page must be on one of the program's allowed
 * origins when it is made *and* when it is opened, so it is never an open redirect. Each is
 * opened at `/wp-json/reftrail/go/{code}` and, with pretty permalinks, at the site's own
 * `/go/{code}` (a rewrite rule, rebuilt after activation and each schema upgrade).
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * The short links store.
 */
final class Reftrail_Short_Links {

	/** How many short links one affiliate may keep. */
	const MAX_PER_AFFILIATE = 100;

	/** The longest campaign name, in bytes. */
	const MAX_CAMPAIGN = 256;

	/**
	 * The characters of a random code: lower-case letters and digits, without the look-alikes
	 * `0`, `o`, `1`, `l` (a code is read aloud and copied from paper).
	 */
	const ALPHABET = '23456789abcdefghijkmnpqrstuvwxyz';

	/** The length of a random code (32^7: 34 billion codes). */
	const CODE_LEN = 7;

	/** The fields of `POST /v1/me/links`. */
	const FIELDS = array( 'landing_url', 'campaign', 'code' );

	/** The query variable of the pretty address `/go/{code}`. */
	const QUERY_VAR = 'reftrail_go';

	/** The option asking for the rewrite rules to be rebuilt (activation, schema upgrades). */
	const FLUSH_OPTION = 'reftrail_flush_rewrite';

	/** What an unknown code answers at `/wp-json/reftrail/go/{code}`, as on the server. */
	const NOT_FOUND_TEXT = "This link does not exist (any more).\n";

	/** The white space Rust's `str::trim` takes off (Unicode's White_Space). */
	const SPACE = '[\x{9}-\x{d}\x{20}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]';

	/**
	 * Hooks of the pretty address.
	 */
	public static function init() {
		add_action( 'init', array( __CLASS__, 'rewrite' ) );
		// Rebuilt once every plugin has added its rules at `init`, whatever its priority.
		add_action( 'wp_loaded', array( __CLASS__, 'flush_if_asked' ) );
		add_filter( 'query_vars', array( __CLASS__, 'query_vars' ) );
		add_action( 'parse_request', array( __CLASS__, 'maybe_redirect' ) );
	}

	/**
	 * `/go/{code}` of the site itself leads to the redirect.
	 */
	public static function rewrite() {
		add_rewrite_rule( '^go/([^/]+)/?$', 'index.php?' . self::QUERY_VAR . '=$matches[1]', 'top' );
	}

	/**
	 * Rebuilds the rewrite rules when activation or a schema upgrade asked for it (an autoloaded
	 * option: no query otherwise).
	 */
	public static function flush_if_asked() {
		if ( get_option( self::FLUSH_OPTION ) ) {
			update_option( self::FLUSH_OPTION, 0, true );
			flush_rewrite_rules( false );
		}
	}

	/**
	 * Adds the query variable of the pretty address.
	 *
	 * @param string[] $vars Public query variables.
	 * @return string[]
	 */
	public static function query_vars( $vars ) {
		$vars[] = self::QUERY_VAR;
		return $vars;
	}

	/**
	 * Answers `/go/{code}` before WordPress queries any post: a 302 to the link's page and the end
	 * of the request; an unknown code is the theme's 404 page.
	 *
	 * @param WP $wp The request.
	 */
	public static function maybe_redirect( $wp ) {
		if ( ! isset( $wp->query_vars[ self::QUERY_VAR ] ) ) {
			return;
		}
		$code   = $wp->query_vars[ self::QUERY_VAR ];
		$ua     = isset( $_SERVER['HTTP_USER_AGENT'] ) ? sanitize_text_field( wp_unslash( $_SERVER['HTTP_USER_AGENT'] ) ) : '';
		$query  = isset( $_SERVER['QUERY_STRING'] ) ? (string) wp_unslash( $_SERVER['QUERY_STRING'] ) : ''; // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- read as pairs and checked by passed_on().
		$target = is_string( $code ) ? self::open( $code, $ua, $query ) : null;
		if ( null === $target ) {
			$wp->query_vars = array( 'error' => '404' );
			return;
		}
		if ( ! defined( 'DONOTCACHEPAGE' ) ) {
			define( 'DONOTCACHEPAGE', true ); // Page caches: never keep a redirect that counts opens.
		}
		status_header( 302 );
		header( 'Cache-Control: private, no-store' );
		header( 'Location: ' . $target ); // Not wp_redirect(): its sanitising would rewrite the page's own address.
		exit;
	}

	/**
	 * The full address of a short link for people: the site's `/go/{code}` with pretty
	 * permalinks, else null (the link's `path` under the API's base).
	 *
	 * @param string $code Code.
	 * @return string|null
	 */
	public static function url( $code ) {
		return '' !== (string) get_option( 'permalink_structure' ) ? home_url( '/go/' . $code ) : null;
	}

	/**
	 * A new random code.
	 *
	 * @return string
	 */
	public static function new_code() {
		$code = '';
		for ( $i = 0; $i < self::CODE_LEN; $i++ ) {
			$code .= self::ALPHABET[ random_int( 0, strlen( self::ALPHABET ) - 1 ) ];
		}
		return $code;
	}

	/**
	 * Text with the white space at its ends taken off, as Rust's `str::trim`.
	 *
	 * @param string $s Text.
	 * @return string
	 */
	public static function trim( $s ) {
		return (string) preg_replace( '/^' . self::SPACE . '+|' . self::SPACE . '+$/Du', '', $s );
	}

	/**
	 * A chosen code, trimmed and in lower case: 3 to 40 lower-case letters, digits or inner `-`.
	 *
	 * @param mixed $code Code as given.
	 * @return string
	 * @throws Reftrail_Http_Error 400 invalid_code.
	 */
	public static function check_code( $code ) {
		$code = is_string( $code ) && mb_check_encoding( $code, 'UTF-8' ) ? strtr( self::trim( $code ), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz' ) : '';
		if ( ! self::plausible_code( $code ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_code', 'code must be 3 to 40 letters, digits or inner hyphens' );
		}
		return $code;
	}

	/**
	 * Whether `$code`, exactly as it came in a request path, may name a link at all (codes are
	 * kept in lower case).
	 *
	 * @param mixed $code Code.
	 * @return bool
	 */
	public static function plausible_code( $code ) {
		return is_string( $code ) && 1 === preg_match( '/^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$/D', $code );
	}

	/**
	 * A campaign name, trimmed; none (absent, null, empty) is null.
	 *
	 * @param mixed $campaign Campaign as given.
	 * @return string|null
	 * @throws Reftrail_Http_Error 400 invalid_campaign.
	 */
	public static function check_campaign( $campaign ) {
		$c = null === $campaign ? '' : (string) $campaign;
		$c = mb_check_encoding( $c, 'UTF-8' ) ? self::trim( $c ) : "\0";
		if ( '' === $c ) {
			return null;
		}
		if ( strlen( $c ) > self::MAX_CAMPAIGN || Reftrail_Input::has_control( $c ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_campaign', 'campaign must be at most 256 bytes without control characters' );
		}
		return $c;
	}

	/**
	 * A landing page, trimmed: a plain http(s) address of the shop (its origin one of the
	 * program's allowed origins).
	 *
	 * @param array $program The program.
	 * @param mixed $landing The page as given.
	 * @return string
	 * @throws Reftrail_Http_Error 400 invalid_landing_url or landing_not_allowed.
	 */
	public static function check_landing( array $program, $landing ) {
		$landing = self::trim( (string) $landing );
		if ( ! Reftrail_Creatives::is_url( $landing ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_landing_url', 'landing_url must be an http(s) address of at most 2000 bytes, without spaces, quotes or a user name' );
		}
		if ( ! self::leads_to_shop( $program, $landing ) ) {
			throw Reftrail_Http_Error::bad( 'landing_not_allowed', "landing_url must be a page of the shop: its origin must be one of the program's allowed origins" );
		}
		return $landing;
	}

	/**
	 * Whether a short link may lead to `$landing`: a page on one of the program's allowed origins.
	 *
	 * @param array  $program The program.
	 * @param string $landing The page.
	 * @return bool
	 */
	public static function leads_to_shop( array $program, $landing ) {
		$origin = self::origin_of( $landing );
		if ( null === $origin ) {
			return false;
		}
		foreach ( (array) $program['allowed_origins'] as $allowed ) {
			if ( 0 === strcasecmp( (string) $allowed, $origin ) ) {
				return true;
			}
		}
		return false;
	}

	/**
	 * The page's origin (`https://www.shop.example`: scheme and host in lower case, the port
	 * unless it is the scheme's own), when `$url` is an http(s) address.
	 *
	 * @param string $url Address.
	 * @return string|null
	 */
	public static function origin_of( $url ) {
		$p = self::parts( $url );
		return null === $p ? null : $p['origin'];
	}

	/**
	 * An http(s) address taken apart as a browser reads it: `origin` (scheme, host in lower case
	 * (IDNA's ASCII form), port unless the scheme's own), `path` ('/' when none; bytes other than
	 * ASCII percent-encoded), `query` and `fragment` (null when absent); null when it is no
	 * http(s) address with a host.
	 *
	 * @param string $url Address.
	 * @return array|null
	 */
	private static function parts( $url ) {
		if ( 1 !== preg_match( '#^(https?)://([^/?\#]*)([^?\#]*)(?:\?([^\#]*))?(?:\#(.*))?$#Dis', (string) $url, $m, PREG_UNMATCHED_AS_NULL ) ) {
			return null;
		}
		$scheme    = strtolower( $m[1] );
		$authority = $m[2];
		$at        = strrpos( $authority, '@' );
		if ( false !== $at ) {
			$authority = substr( $authority, $at + 1 );
		}
		if ( 1 !== preg_match( '/^(\[[^\]]*\]|[^:\[\]]*)(?::(\d*))?$/D', $authority, $a ) || '' === $a[1] ) {
			return null;
		}
		$host = $a[1];
		if ( 1 === preg_match( '/[^\x00-\x7f]/', $host ) && function_exists( 'idn_to_ascii' ) ) {
			$ascii = idn_to_ascii( $host, IDNA_NONTRANSITIONAL_TO_ASCII, INTL_IDNA_VARIANT_UTS46 );
			$host  = false === $ascii ? $host : $ascii;
		}
		$host = strtolower( $host );
		$port = null;
		if ( isset( $a[2] ) && '' !== $a[2] ) {
			$port = (int) $a[2];
			if ( $port > 65535 ) {
				return null;
			}
			// The scheme's own port is no part of the origin.
			$port = ( 'https' === $scheme ? 443 : 80 ) === $port ? null : $port;
		}
		$path = '' === (string) $m[3] ? '/' : $m[3];
		return array(
			'origin'   => $scheme . '://' . $host . ( null === $port ? '' : ':' . $port ),
			'path'     => self::encode_bytes( $path, '{}' ),
			'query'    => null === $m[4] ? null : self::encode_bytes( $m[4], '' ),
			'fragment' => null === $m[5] ? null : self::encode_bytes( $m[5], '' ),
		);
	}

	/**
	 * `$s` with its bytes other than ASCII, and those of `$more`, percent-encoded.
	 *
	 * @param string $s    Text.
	 * @param string $more More bytes to encode.
	 * @return string
	 */
	private static function encode_bytes( $s, $more ) {
		$class = '[\x80-\xff' . preg_quote( $more, '/' ) . ']';
		return (string) preg_replace_callback( '/' . $class . '/', fn( $c ) => sprintf( '%%%02X', ord( $c[0] ) ), $s );
	}

	/**
	 * The name-value pairs of a query, as a browser's URLSearchParams reads them: `+` is a space,
	 * `%XX` a byte, UTF-8 that is not valid becomes U+FFFD.
	 *
	 * @param string $query Query, without its `?`.
	 * @return array[] [name, value] pairs, in order.
	 */
	public static function query_pairs( $query ) {
		$pairs = array();
		foreach ( explode( '&', $query ) as $seq ) {
			if ( '' === $seq ) {
				continue;
			}
			$kv      = explode( '=', $seq, 2 );
			$pairs[] = array( self::form_decode( $kv[0] ), self::form_decode( $kv[1] ?? '' ) );
		}
		return $pairs;
	}

	/**
	 * One name or value of a query, decoded.
	 *
	 * @param string $s Encoded.
	 * @return string
	 */
	private static function form_decode( $s ) {
		$s = rawurldecode( str_replace( '+', ' ', $s ) );
		if ( mb_check_encoding( $s, 'UTF-8' ) ) {
			return $s;
		}
		$was = mb_substitute_character();
		mb_substitute_character( 0xFFFD );
		$s = mb_convert_encoding( $s, 'UTF-8', 'UTF-8' );
		mb_substitute_character( $was );
		return $s;
	}

	/**
	 * One name or value as application/x-www-form-urlencoded writes it (WHATWG): the bytes
	 * `A-Za-z0-9*-._` as they are, a space as `+`, any other byte `%XX`.
	 *
	 * @param string $s Text.
	 * @return string
	 */
	public static function form_encode( $s ) {
		return str_replace( '%2A', '*', urlencode( $s ) );
	}

	/**
	 * Where a short link sends a visitor: `$landing` with `{$param}={$affiliate}` (when the
	 * affiliate is credited) and `utm_campaign={$campaign}` (when it names one) set after the
	 * query's other pairs, replacing any value they had there; the fragment stays. Without any
	 * pair at all the page is as it is. Null when `$landing` is no http(s) address.
	 *
	 * @param string      $landing   The page.
	 * @param string      $param     The program's first link parameter.
	 * @param string|null $affiliate The affiliate, when credited.
	 * @param string|null $campaign  The campaign, or null.
	 * @return string|null
	 */
	public static function target( $landing, $param, $affiliate, $campaign ) {
		$p = self::parts( $landing );
		if ( null === $p ) {
			return null;
		}
		$set = array();
		if ( null !== $affiliate ) {
			$set[] = array( (string) $param, (string) $affiliate );
		}
		if ( null !== $campaign ) {
			$set[] = array( 'utm_campaign', (string) $campaign );
		}
		$names = array_column( $set, 0 );
		$kept  = array_values( array_filter( self::query_pairs( (string) $p['query'] ), fn( $kv ) => ! in_array( $kv[0], $names, true ) ) );
		$query = $p['query'];
		if ( $kept || $set ) {
			$query = implode( '&', array_map( fn( $kv ) => self::form_encode( $kv[0] ) . '=' . self::form_encode( $kv[1] ), array_merge( $kept, $set ) ) );
		}
		return $p['origin'] . $p['path'] . ( null === $query ? '' : '?' . $query ) . ( null === $p['fragment'] ? '' : '#' . $p['fragment'] );
	}

	/**
	 * The click ids and sub ids (`gclid`, `sub1`…) in the query of an opened short link, to go on
	 * to the shop's page: an ad network or an affiliate's tracker adds them to the short link. The
	 * first value of each name, when it is at most 256 bytes without control characters.
	 *
	 * @param string $query The opened address's query, without its `?`.
	 * @return array[] [name, value] pairs, in order.
	 */
	public static function passed_on( $query ) {
		$out = array();
		foreach ( self::query_pairs( (string) $query ) as $kv ) {
			list( $k, $v ) = $kv;
			$known         = in_array( $k, Reftrail_Tracking::CLICK_ID_PARAMS, true );
			$fits          = '' !== $v && strlen( $v ) <= Reftrail_Tracking::MAX_TAG_VALUE && ! preg_match( '/[\x{0}-\x{1F}\x{7F}-\x{9F}]/u', $v );
			if ( $known && $fits && ! in_array( $k, array_column( $out, 0 ), true ) ) {
				$out[] = array( $k, $v );
			}
		}
		return $out;
	}

	/**
	 * `$target` with `$pairs` set in its query after its other pairs, replacing values of the
	 * same names; the fragment stays.
	 *
	 * @param string  $target The page a short link sends to.
	 * @param array[] $pairs  [name, value] pairs.
	 * @return string
	 */
	public static function pass_on( $target, array $pairs ) {
		$p = self::parts( $target );
		if ( null === $p || ! $pairs ) {
			return $target;
		}
		$names = array_column( $pairs, 0 );
		$kept  = array_values( array_filter( self::query_pairs( (string) $p['query'] ), fn( $kv ) => ! in_array( $kv[0], $names, true ) ) );
		$query = implode( '&', array_map( fn( $kv ) => self::form_encode( $kv[0] ) . '=' . self::form_encode( $kv[1] ), array_merge( $kept, $pairs ) ) );
		return $p['origin'] . $p['path'] . '?' . $query . ( null === $p['fragment'] ? '' : '#' . $p['fragment'] );
	}

	/**
	 * The program's first link parameter (`ref` by default): the one short links carry.
	 *
	 * @param array $program The program.
	 * @return string
	 */
	public static function param( array $program ) {
		$params = (array) ( $program['params'] ?? array() );
		return isset( $params[0] ) && is_string( $params[0] ) && '' !== $params[0] ? $params[0] : 'ref';
	}

	/**
	 * Makes a short link for `$affiliate` from the body of `POST /v1/me/links`; returns it.
	 *
	 * @param string $affiliate The affiliate calling.
	 * @param array  $b         Body: landing_url required; campaign and code optional.
	 * @return array
	 * @throws Reftrail_Http_Error 400 invalid_body, invalid_landing_url, landing_not_allowed,
	 *                             invalid_campaign, invalid_code; 409 too_many_links, code_taken;
	 *                             503 when it cannot be stored.
	 */
	public static function create( $affiliate, array $b ) {
		global $wpdb;
		Reftrail_Input::known( $b, self::FIELDS );
		Reftrail_Input::types( $b, array_fill_keys( self::FIELDS, 'string' ) );
		if ( ! isset( $b['landing_url'] ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_body', 'missing field `landing_url`' );
		}
		$program  = Reftrail_Program::get();
		$landing  = self::check_landing( $program, $b['landing_url'] );
		$campaign = self::check_campaign( $b['campaign'] ?? null );
		$chosen   = isset( $b['code'] ) ? self::check_code( $b['code'] ) : null;
		$code     = Reftrail_Db::transaction(
			function () use ( $wpdb, $affiliate, $landing, $campaign, $chosen ) {
				// The affiliate's row, locked: their links are counted and added one request at a time.
				$a = Reftrail_Db::table( 'affiliates' );
				$wpdb->get_var( $wpdb->prepare( "SELECT id FROM {$a} WHERE id = %s FOR UPDATE", $affiliate ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours.
				$t     = Reftrail_Db::table( 'short_links' );
				$count = (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$t} WHERE affiliate_id = %s AND BINARY affiliate_id = %s", $affiliate, $affiliate ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours.
				if ( $count >= self::MAX_PER_AFFILIATE ) {
					throw new Reftrail_Http_Error( 409, 'too_many_links', 'an affiliate keeps at most 100 short links; delete one first' );
				}
				if ( null !== $chosen ) {
					if ( ! self::insert( $chosen, $affiliate, $landing, $campaign ) ) {
						throw new Reftrail_Http_Error( 409, 'code_taken', 'this code is taken; choose another' );
					}
					return $chosen;
				}
				// A random code taken already (one in billions) is drawn again.
				for ( $i = 0; $i < 5; $i++ ) {
					$code = self::new_code();
					if ( self::insert( $code, $affiliate, $landing, $campaign ) ) {
						return $code;
					}
				}
				throw self::unavailable();
			}
		);
		return self::get( $code );
	}

	/**
	 * Stores a link under `$code` unless the code is taken; whether it did.
	 *
	 * @param string      $code      Code.
	 * @param string      $affiliate Affiliate.
	 * @param string      $landing   Page.
	 * @param string|null $campaign  Campaign.
	 * @return bool
	 * @throws Reftrail_Http_Error 503 when the database refuses it otherwise.
	 */
	private static function insert( $code, $affiliate, $landing, $campaign ) {
		global $wpdb;
		$t = Reftrail_Db::table( 'short_links' );
		if ( null !== $wpdb->get_var( $wpdb->prepare( "SELECT code FROM {$t} WHERE code = %s FOR UPDATE", $code ) ) ) { // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours.
			return false;
		}
		// insert(), not prepare(): a campaign of null stays NULL.
		$ok = $wpdb->insert(
			$t,
			array(
				'code'         => $code,
				'affiliate_id' => $affiliate,
				'landing_url'  => $landing,
				'campaign'     => $campaign,
				'opens'        => 0,
				'created_at'   => Reftrail_Db::now(),
			),
			array( '%s', '%s', '%s', '%s', '%d', '%d' )
		);
		if ( ! $ok ) {
			// Taken by a request that stored it between the look-up and the insert.
			if ( false !== stripos( (string) $wpdb->last_error, 'Duplicate' ) ) {
				return false;
			}
			throw self::unavailable();
		}
		return true;
	}

	/**
	 * One short link as the API answers it.
	 *
	 * @param string $code Code.
	 * @return array
	 * @throws Reftrail_Http_Error 404 link_not_found.
	 */
	public static function get( $code ) {
		global $wpdb;
		$t   = Reftrail_Db::table( 'short_links' );
		$row = $wpdb->get_row( $wpdb->prepare( "SELECT * FROM {$t} WHERE code = %s", $code ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours.
		if ( ! $row ) {
			throw self::not_found();
		}
		return self::view( $row, self::param( Reftrail_Program::get() ) );
	}

	/**
	 * A page of short links, newest first (by created_at, then code): only `$affiliate`'s
	 * (compared byte for byte) unless it is ''.
	 *
	 * @param string $affiliate Affiliate or ''.
	 * @param int    $limit     Limit.
	 * @param int    $offset    Offset.
	 * @return array[]
	 */
	public static function index( $affiliate, $limit, $offset ) {
		global $wpdb;
		$t     = Reftrail_Db::table( 'short_links' );
		$rows  = $wpdb->get_results( $wpdb->prepare( "SELECT * FROM {$t} WHERE (%s = '' OR (affiliate_id = %s AND BINARY affiliate_id = %s)) ORDER BY created_at DESC, code LIMIT %d OFFSET %d", $affiliate, $affiliate, $affiliate, $limit, $offset ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours.
		$param = self::param( Reftrail_Program::get() );
		return array_map( fn( $row ) => self::view( $row, $param ), $rows );
	}

	/**
	 * Deletes `$code` when `$affiliate` owns it (anyone's when `$affiliate` is ''): it stops
	 * working at once.
	 *
	 * @param string $code      Code.
	 * @param string $affiliate Owner or ''.
	 * @throws Reftrail_Http_Error 404 link_not_found; 503 when it cannot be deleted.
	 */
	public static function delete( $code, $affiliate ) {
		global $wpdb;
		$t    = Reftrail_Db::table( 'short_links' );
		$gone = $wpdb->query( $wpdb->prepare( "DELETE FROM {$t} WHERE code = %s AND (%s = '' OR (affiliate_id = %s AND BINARY affiliate_id = %s))", $code, $affiliate, $affiliate, $affiliate ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours.
		if ( false === $gone ) {
			throw self::unavailable();
		}
		if ( 0 === (int) $gone ) {
			throw self::not_found();
		}
	}

	/**
	 * Opens a short link: where it sends the visitor now (the page with the affiliate's parameter
	 * while the affiliate is approved, and the campaign), counting the open unless `$ua` is a
	 * bot's; null for a code that is not one exactly as kept, an unknown one, or a page no longer
	 * on the program's allowed origins.
	 *
	 * @param string $code  Code, as it came in the path.
	 * @param string $ua    The visitor's user agent.
	 * @param string $query The opened address's query: its click ids and sub ids go on.
	 * @return string|null
	 */
	public static function open( $code, $ua, $query = '' ) {
		global $wpdb;
		if ( ! self::plausible_code( $code ) ) {
			return null;
		}
		$t   = Reftrail_Db::table( 'short_links' );
		$row = $wpdb->get_row( $wpdb->prepare( "SELECT affiliate_id, landing_url, campaign FROM {$t} WHERE code = %s", $code ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours.
		if ( ! $row ) {
			return null;
		}
		$program = Reftrail_Program::get();
		if ( ! self::leads_to_shop( $program, $row['landing_url'] ) ) {
			return null;
		}
		$a        = Reftrail_Db::table( 'affiliates' );
		$credited = 'approved' === $wpdb->get_var( $wpdb->prepare( "SELECT status FROM {$a} WHERE id = %s AND BINARY id = %s", $row['affiliate_id'], $row['affiliate_id'] ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours.
		$target   = self::target( $row['landing_url'], self::param( $program ), $credited ? $row['affiliate_id'] : null, $row['campaign'] );
		if ( null === $target ) {
			return null;
		}
		if ( ! Reftrail_Tracking::is_bot( $ua ) ) {
			$wpdb->query( $wpdb->prepare( "UPDATE {$t} SET opens = opens + 1 WHERE code = %s", $code ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours.
		}
		return self::pass_on( $target, self::passed_on( $query ) );
	}

	/**
	 * A row as the API answers it.
	 *
	 * @param array  $row   Row.
	 * @param string $param The program's first link parameter.
	 * @return array
	 */
	private static function view( array $row, $param ) {
		$target = self::target( $row['landing_url'], $param, $row['affiliate_id'], $row['campaign'] );
		return array(
			'code'        => $row['code'],
			'path'        => '/go/' . $row['code'],
			'url'         => self::url( $row['code'] ),
			'affiliate'   => $row['affiliate_id'],
			'landing_url' => $row['landing_url'],
			'campaign'    => $row['campaign'],
			'target'      => $target ?? $row['landing_url'],
			'opens'       => (int) $row['opens'],
			'created_at'  => Reftrail_Db::rfc3339( $row['created_at'] ),
		);
	}

	/**
	 * The 503 of a write the database refused.
	 *
	 * @return Reftrail_Http_Error
	 */
	private static function unavailable() {
		return new Reftrail_Http_Error( 503, 'unavailable', 'the database is unavailable; retry later' );
	}

	/**
	 * The 404 of an unknown code (or another affiliate's).
	 *
	 * @return Reftrail_Http_Error
	 */
	private static function not_found() {
		return new Reftrail_Http_Error( 404, 'link_not_found', 'no short link has this code' );
	}
}
