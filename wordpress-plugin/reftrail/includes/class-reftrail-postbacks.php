<?php
/**
 * Affiliates' postbacks: a `GET` to the affiliate's own tracker (a cashback site, a network, a
 * media buyer's tracker) for each event of their referrals, `created`, `approved` and
 * `reversed`, as the Rust server sends them. The affiliate (or the merchant for them) saves an
 * address with `{macro}` placeholders (`https://track.example/pb?click={sub1}&payout={commission}`);
 * the values are percent-encoded (everything but RFC 3986's unreserved characters), so a value
 * never adds a parameter or changes the path.
 *
 * The request is written to the `postbacks` table with the referral change it reports (on the
 * actions the webhooks are queued on, the address filled in then, so it says what was true at
 * that moment), and the webhooks' WP-Cron job sends the due rows with the outbox's claim,
 * backoff and number of attempts.
 *
 * The address comes from an affiliate and its sub ids from visitors' links, so only public hosts
 * are called: a template naming a private one is refused when saved or tested, and a request
 * goes only to the public addresses its host resolves to, through wp_safe_remote_get(). The
 * filter `reftrail_postbacks_to_private_networks` (true by default when the constant
 * REFTRAIL_POSTBACKS_TO_PRIVATE_NETWORKS is true) lifts both, for trackers on the shop's own
 * network.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * Postback templates, their queue and their delivery.
 */
final class Reftrail_Postbacks {

	/** The longest template accepted, in bytes. */
	const MAX_LEN = 2048;

	/** The macros a template may use, in the order the portal lists them. */
	const MACROS = array( 'event', 'status', 'kind', 'referral_id', 'amount', 'amount_minor', 'commission', 'commission_minor', 'currency', 'campaign', 'click_id', 'sub1', 'sub2', 'sub3', 'sub4', 'sub5', 'timestamp' );

	/** The sub ids of a click (its click ids of these names) that the macros of that name give. */
	const SUB_IDS = array( 'sub1', 'sub2', 'sub3', 'sub4', 'sub5' );

	/** The user agent of postback requests. */
	const USER_AGENT = 'reftrail-postbacks/1';

	/** How many deliveries an affiliate's postback lists, newest first. */
	const SHOWN = 20;

	/** Test postbacks an affiliate may send in a minute. */
	const TESTS_PER_MINUTE = 10;

	/** The filter that lets postbacks go to loopback and private-network hosts. */
	const PRIVATE_FILTER = 'reftrail_postbacks_to_private_networks';

	/**
	 * Unicode's White_Space characters, as a character class body: the ones trimmed around a
	 * template.
	 */
	const BLANK = '\x{9}-\x{d}\x{20}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}';

	/** White space and control characters, none of which a template may hold. */
	const REFUSED = '\x{0}-\x{20}\x{7f}-\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}';

	/**
	 * Hooks: a postback with each referral event the webhooks tell, and the delivery round in
	 * the webhooks' job.
	 */
	public static function init() {
		add_action( 'reftrail_referral_created', fn( $v ) => self::enqueue( 'referral.created', $v['id'] ) );
		add_action( 'reftrail_referral_approved', fn( $v ) => self::enqueue( 'referral.approved', $v['id'] ) );
		add_action( 'reftrail_referral_reversed', fn( $v ) => self::enqueue( 'referral.reversed', $v['id'] ) );
		add_action( Reftrail_Webhooks::CRON, array( __CLASS__, 'deliver_due' ) );
	}

	/**
	 * Whether postbacks may go to loopback and private-network hosts (filter
	 * `reftrail_postbacks_to_private_networks`).
	 *
	 * @return bool
	 */
	public static function to_private_networks() {
		$default = defined( 'REFTRAIL_POSTBACKS_TO_PRIVATE_NETWORKS' ) && true === constant( 'REFTRAIL_POSTBACKS_TO_PRIVATE_NETWORKS' );
		return (bool) apply_filters( self::PRIVATE_FILTER, $default );
	}

	/**
	 * The message of a template error, by kind.
	 *
	 * @param string $kind  Kind.
	 * @param string $macro The unknown macro's name.
	 * @return WP_Error
	 */
	private static function error( $kind, $macro = '' ) {
		$messages = array(
			'too_long'      => 'a postback URL has at most ' . self::MAX_LEN . ' characters',
			'whitespace'    => 'a postback URL has no spaces or control characters',
			'unknown_macro' => '{' . $macro . '} is not a macro; the macros are {' . implode( '} {', self::MACROS ) . '}',
			'brace'         => 'braces only surround a macro, as in {sub1}; write a literal one as %7B or %7D',
			'not_http'      => 'a postback URL is an http:// or https:// address',
			'macro_in_host' => 'the host of a postback URL is written out; macros go in its path or query',
			'credentials'   => 'a postback URL carries no user name or password; put a token in the query',
			'private_host'  => 'a postback URL points to a public host, not into a private network',
		);
		return new WP_Error( $kind, $messages[ $kind ] );
	}

	/**
	 * `$s` without the white space around it (Unicode's, as the server trims).
	 *
	 * @param string $s Text.
	 * @return string
	 */
	public static function trim( $s ) {
		$s = (string) $s;
		return preg_replace( '/^[' . self::BLANK . ']+|[' . self::BLANK . ']+$/u', '', $s ) ?? $s;
	}

	/**
	 * Checks a template, the white space around it removed: at most MAX_LEN bytes, no white space
	 * or control character, braces only around one of MACROS, an absolute http(s) address once
	 * filled in, its scheme, host and port written out, no user name or password, and (unless
	 * `$allow_private`) a host outside loopback and private networks.
	 *
	 * @param string $text          Template.
	 * @param bool   $allow_private Whether a loopback or private-network host is allowed.
	 * @return string|WP_Error The template (trimmed), or why it is refused, the error's code one
	 *                         of too_long, whitespace, unknown_macro, brace, not_http,
	 *                         macro_in_host, credentials or private_host.
	 */
	public static function parse( $text, $allow_private ) {
		$text = self::trim( $text );
		if ( strlen( $text ) > self::MAX_LEN ) {
			return self::error( 'too_long' );
		}
		if ( ! mb_check_encoding( $text, 'UTF-8' ) ) {
			return self::error( 'not_http' );
		}
		if ( 1 === preg_match( '/[' . self::REFUSED . ']/u', $text ) ) {
			return self::error( 'whitespace' );
		}
		$pieces = self::pieces( $text );
		if ( is_wp_error( $pieces ) ) {
			return $pieces;
		}
		$url = self::address( self::fill( $pieces, fn() => '0' ) );
		if ( null === $url ) {
			return self::error( 'not_http' );
		}
		// The scheme, the slashes and the authority of the template, macros as written.
		if ( false !== strpos( substr( $text, 0, self::authority_end( $text ) ), '{' ) ) {
			return self::error( 'macro_in_host' );
		}
		if ( '' !== $url['username'] || '' !== $url['password'] ) {
			return self::error( 'credentials' );
		}
		if ( ! $allow_private && self::private_host( $url ) ) {
			return self::error( 'private_host' );
		}
		return $text;
	}

	/**
	 * A template split into text and macros: `['text', $text]` and `['macro', $name]` pieces.
	 *
	 * @param string $text Template.
	 * @return array[]|WP_Error
	 */
	private static function pieces( $text ) {
		$out  = array();
		$rest = (string) $text;
		while ( true ) {
			$open = strcspn( $rest, '{}' );
			if ( strlen( $rest ) === $open ) {
				break;
			}
			if ( '}' === $rest[ $open ] ) {
				return self::error( 'brace' );
			}
			// The next brace closes this one.
			$after = substr( $rest, $open + 1 );
			$close = strcspn( $after, '{}' );
			if ( strlen( $after ) === $close || '}' !== $after[ $close ] ) {
				return self::error( 'brace' );
			}
			$name = substr( $after, 0, $close );
			if ( ! in_array( $name, self::MACROS, true ) ) {
				return self::error( 'unknown_macro', $name );
			}
			if ( $open > 0 ) {
				$out[] = array( 'text', substr( $rest, 0, $open ) );
			}
			$out[] = array( 'macro', $name );
			$rest  = substr( $after, $close + 1 );
		}
		if ( '' !== $rest ) {
			$out[] = array( 'text', $rest );
		}
		return $out;
	}

	/**
	 * The pieces with each macro replaced by its value, percent-encoded.
	 *
	 * @param array[]  $pieces Pieces of pieces().
	 * @param callable $value  Macro name => its value (string or null: empty).
	 * @return string
	 */
	private static function fill( array $pieces, callable $value ) {
		$out = '';
		foreach ( $pieces as list( $kind, $s ) ) {
			$out .= 'text' === $kind ? $s : rawurlencode( (string) $value( $s ) );
		}
		return $out;
	}

	/**
	 * The address a checked template makes with `$values`, each percent-encoded (RFC 3986's
	 * unreserved characters kept, upper-case hex digits); a macro without a value is empty.
	 *
	 * @param string $template A template parse() accepted.
	 * @param array  $values   Macro => value (string or null).
	 * @return string
	 */
	public static function expand( $template, array $values ) {
		$pieces = self::pieces( $template );
		if ( is_wp_error( $pieces ) ) {
			return '';
		}
		return self::fill( $pieces, fn( $m ) => $values[ $m ] ?? null );
	}

	/**
	 * Where the scheme, the slashes after it and the authority (`user@host:port`) of `$text` end,
	 * as a URL parser reads an http(s) address: the slashes and backslashes after the scheme are
	 * skipped, and the authority ends at the first `/`, `\`, `?` or `#`.
	 *
	 * @param string $text An address or template.
	 * @return int
	 */
	private static function authority_end( $text ) {
		if ( 1 !== preg_match( '/^[A-Za-z][A-Za-z0-9+.\-]*:/', $text, $m ) ) {
			return 0;
		}
		$start = strlen( $m[0] );
		$start = $start + strspn( $text, '/\\', $start );
		return $start + strcspn( $text, '/\\?#', $start );
	}

	/**
	 * The parts of an absolute http(s) address that decide where it goes, read as the WHATWG URL
	 * standard (and the server's URL parser) reads them: `scheme` (lower case), `username`,
	 * `password` ('' when none), `type` (domain, ipv4 or ipv6), `host` (a domain in lower-case
	 * ASCII, or the address as written), `ip` (the address's bytes for ipv4 and ipv6), `port`
	 * (null when none is written). Null when it is not one.
	 *
	 * @param string $url Address.
	 * @return array|null
	 */
	public static function address( $url ) {
		$url = (string) $url;
		if ( 1 !== preg_match( '/^([A-Za-z][A-Za-z0-9+.\-]*):/', $url, $m ) ) {
			return null;
		}
		$scheme = strtolower( $m[1] );
		if ( 'http' !== $scheme && 'https' !== $scheme ) {
			return null;
		}
		$start     = strlen( $m[0] ) + strspn( $url, '/\\', strlen( $m[0] ) );
		$authority = substr( $url, $start, self::authority_end( $url ) - $start );
		$at        = strrpos( $authority, '@' );
		$username  = '';
		$password  = '';
		if ( false !== $at ) {
			$userinfo = explode( ':', substr( $authority, 0, $at ), 2 );
			$username = $userinfo[0];
			$password = $userinfo[1] ?? '';
			$authority = substr( $authority, $at + 1 );
		}
		// The host ends at the first colon outside brackets; the port follows it.
		if ( '' !== $authority && '[' === $authority[0] ) {
			$close = strpos( $authority, ']' );
			if ( false === $close || ( strlen( $authority ) > $close + 1 && ':' !== $authority[ $close + 1 ] ) ) {
				return null;
			}
			$host = substr( $authority, 0, $close + 1 );
			$port = substr( $authority, $close + 2 );
		} else {
			$parts = explode( ':', $authority, 2 );
			$host  = $parts[0];
			$port  = $parts[1] ?? '';
		}
		if ( '' !== $port && ( ! ctype_digit( $port ) || (int) ltrim( $port, '0' ) > 65535 || strlen( ltrim( $port, '0' ) ) > 5 ) ) {
			return null;
		}
		$parsed = self::host( $host );
		if ( null === $parsed ) {
			return null;
		}
		return array_merge(
			$parsed,
			array(
				'scheme'   => $scheme,
				'username' => $username,
				'password' => $password,
				'port'     => '' === $port ? null : (int) $port,
			)
		);
	}

	/**
	 * A host as the URL standard parses it for http(s): an IPv6 address in brackets, else
	 * percent-decoded and made ASCII (IDNA), then an IPv4 address when its last label is a
	 * number (`2130706433`, `0x7f.1` and `127.1` too), else a domain without forbidden
	 * characters. Null when it is not a valid host.
	 *
	 * @param string $host Host as written.
	 * @return array|null `type`, `host`, and `ip` for an address.
	 */
	private static function host( $host ) {
		if ( '' === $host ) {
			return null;
		}
		if ( '[' === $host[0] ) {
			$inner = substr( $host, 1, -1 );
			$ip    = false !== strpos( $inner, ':' ) && false === strpos( $inner, '%' ) ? @inet_pton( $inner ) : false; // phpcs:ignore WordPress.PHP.NoSilencedErrors.Discouraged -- a malformed address warns.
			if ( false === $ip || 16 !== strlen( $ip ) ) {
				return null;
			}
			return array(
				'type' => 'ipv6',
				'host' => $host,
				'ip'   => $ip,
			);
		}
		$domain = rawurldecode( $host );
		if ( ! mb_check_encoding( $domain, 'UTF-8' ) ) {
			return null;
		}
		if ( 1 === preg_match( '/[^\x00-\x7f]/', $domain ) ) {
			if ( ! function_exists( 'idn_to_ascii' ) ) {
				return null;
			}
			$domain = idn_to_ascii( $domain, IDNA_NONTRANSITIONAL_TO_ASCII, INTL_IDNA_VARIANT_UTS46 );
			if ( false === $domain || '' === $domain ) {
				return null;
			}
		}
		$domain = strtolower( $domain );
		if ( 1 === preg_match( '/[\x00-\x20#%\/:<>?@\[\\\\\]^|\x7f]/', $domain ) ) {
			return null;
		}
		foreach ( explode( '.', $domain ) as $label ) {
			if ( 0 === strpos( $label, 'xn--' ) && ( ! function_exists( 'idn_to_utf8' ) || false === idn_to_utf8( $label, IDNA_NONTRANSITIONAL_TO_UNICODE, INTL_IDNA_VARIANT_UTS46 ) || 4 === strlen( $label ) ) ) {
				return null;
			}
		}
		if ( self::ends_in_a_number( $domain ) ) {
			$ip = self::ipv4( $domain );
			if ( null === $ip ) {
				return null;
			}
			return array(
				'type' => 'ipv4',
				'host' => $domain,
				'ip'   => $ip,
			);
		}
		return array(
			'type' => 'domain',
			'host' => $domain,
			'ip'   => null,
		);
	}

	/**
	 * Whether the last label of a domain (a final empty one aside) is a number, which makes it an
	 * IPv4 address.
	 *
	 * @param string $domain ASCII domain.
	 * @return bool
	 */
	private static function ends_in_a_number( $domain ) {
		$labels = explode( '.', $domain );
		if ( '' === end( $labels ) ) {
			if ( 1 === count( $labels ) ) {
				return false;
			}
			array_pop( $labels );
		}
		$last = (string) end( $labels );
		return ( '' !== $last && ctype_digit( $last ) ) || null !== self::ipv4_number( $last );
	}

	/**
	 * One part of an IPv4 address: decimal, octal with a leading `0` or hexadecimal with `0x`;
	 * null when it is none (values past 2^40 are held at 2^40, more than any part may be).
	 *
	 * @param string $part Part.
	 * @return int|null
	 */
	private static function ipv4_number( $part ) {
		if ( '' === $part ) {
			return null;
		}
		$radix  = 10;
		$digits = '/^[0-9]+$/D';
		if ( strlen( $part ) >= 2 && 0 === strncasecmp( $part, '0x', 2 ) ) {
			$part   = substr( $part, 2 );
			$radix  = 16;
			$digits = '/^[0-9a-fA-F]+$/D';
		} elseif ( strlen( $part ) >= 2 && '0' === $part[0] ) {
			$part   = substr( $part, 1 );
			$radix  = 8;
			$digits = '/^[0-7]+$/D';
		}
		if ( '' === $part ) {
			return 0;
		}
		if ( 1 !== preg_match( $digits, $part ) ) {
			return null;
		}
		$n = 0;
		foreach ( str_split( $part ) as $d ) {
			$n = min( $n * $radix + (int) hexdec( $d ), 1 << 40 );
		}
		return $n;
	}

	/**
	 * The bytes of an IPv4 address written as the URL standard allows (one to four parts, the
	 * last one filling the bytes left); null when it is not one.
	 *
	 * @param string $domain ASCII host.
	 * @return string|null
	 */
	private static function ipv4( $domain ) {
		$parts = explode( '.', $domain );
		if ( '' === end( $parts ) && count( $parts ) > 1 ) {
			array_pop( $parts );
		}
		if ( count( $parts ) > 4 ) {
			return null;
		}
		$numbers = array();
		foreach ( $parts as $part ) {
			$n = self::ipv4_number( $part );
			if ( null === $n ) {
				return null;
			}
			$numbers[] = $n;
		}
		$last = array_pop( $numbers );
		foreach ( $numbers as $n ) {
			if ( $n > 255 ) {
				return null;
			}
		}
		if ( $last >= 256 ** ( 4 - count( $numbers ) ) ) {
			return null;
		}
		$ip = $last;
		foreach ( $numbers as $i => $n ) {
			$ip += $n * 256 ** ( 3 - $i );
		}
		return pack( 'N', $ip );
	}

	/**
	 * Whether the host of an address() is in a private network: `localhost` and its subdomains
	 * (a final dot aside), or an IP address that is not public.
	 *
	 * @param array $url An address().
	 * @return bool
	 */
	private static function private_host( array $url ) {
		if ( 'domain' !== $url['type'] ) {
			return ! self::is_public( $url['ip'] );
		}
		$d = '.' === substr( $url['host'], -1 ) ? substr( $url['host'], 0, -1 ) : $url['host'];
		return 'localhost' === $d || '.localhost' === substr( $d, -10 );
	}

	/**
	 * Whether an IP address is reachable on the public internet: not loopback, private (RFC 1918,
	 * unique local), shared (100.64/10), link-local, unspecified, broadcast, multicast, reserved
	 * (0/8, 240/4, 192.0.0/24) or for documentation; an IPv4-mapped IPv6 address is judged as its
	 * IPv4 address.
	 *
	 * @param string $ip The address's 4 or 16 bytes (inet_pton()).
	 * @return bool
	 */
	public static function is_public( $ip ) {
		$ip = (string) $ip;
		if ( 16 === strlen( $ip ) ) {
			if ( str_repeat( "\0", 10 ) . "\xff\xff" === substr( $ip, 0, 12 ) ) {
				return self::is_public( substr( $ip, 12 ) );
			}
			$b = array_values( unpack( 'C16', $ip ) );
			return ! ( str_repeat( "\0", 15 ) . "\1" === $ip
				|| str_repeat( "\0", 16 ) === $ip
				|| 0xff === $b[0]
				|| 0xfc === ( $b[0] & 0xfe )
				|| ( 0xfe === $b[0] && 0x80 === ( $b[1] & 0xc0 ) )
				|| ( 0x20 === $b[0] && 0x01 === $b[1] && 0x0d === $b[2] && 0xb8 === $b[3] ) );
		}
		if ( 4 !== strlen( $ip ) ) {
			return false;
		}
		list( $a, $b, $c ) = array_values( unpack( 'C4', $ip ) );
		return ! ( 0 === $a || 10 === $a || 127 === $a || $a >= 224
			|| ( 100 === $a && $b >= 64 && $b < 128 )
			|| ( 169 === $a && 254 === $b )
			|| ( 172 === $a && $b >= 16 && $b <= 31 )
			|| ( 192 === $a && 168 === $b )
			|| ( 192 === $a && 0 === $b && ( 0 === $c || 2 === $c ) )
			|| ( 198 === $a && 51 === $b && 100 === $c )
			|| ( 203 === $a && 0 === $b && 113 === $c ) );
	}

	/**
	 * Minor units of a currency as a decimal number in major units, without grouping (`1250` USD
	 * is `12.50`, `150000` VND is `150000`, `-5` THB is `-0.05`), by the currency's exponent;
	 * done on the digits, so every integer is exact.
	 *
	 * @param int    $minor    Minor units.
	 * @param string $currency ISO 4217 code (an unknown one has exponent 2).
	 * @return string
	 */
	public static function decimal( $minor, $currency ) {
		$minor  = (int) $minor;
		$exp    = Reftrail_Input::exponent( (string) $currency );
		$sign   = $minor < 0 ? '-' : '';
		$digits = ltrim( (string) $minor, '-' );
		if ( 0 === $exp ) {
			return $sign . $digits;
		}
		$padded = str_pad( $digits, $exp + 1, '0', STR_PAD_LEFT );
		return $sign . substr( $padded, 0, -$exp ) . '.' . substr( $padded, -$exp );
	}

	/**
	 * The value of each macro for one event of a referral.
	 *
	 * @param array $o `event` (created, approved, reversed or test), `status` (the referral's
	 *                 after it), `kind`, `referral_id`, `amount` and `commission` (minor units:
	 *                 the commission now owed), `currency`, `campaign`, `click_id`, `click_ids`
	 *                 (the click's click ids and sub ids by name), `at` (Unix seconds of the
	 *                 conversion).
	 * @return array Macro => value (null: empty).
	 */
	public static function values( array $o ) {
		$currency = (string) $o['currency'];
		$values   = array(
			'event'            => (string) $o['event'],
			'status'           => (string) $o['status'],
			'kind'             => (string) $o['kind'],
			'referral_id'      => (string) $o['referral_id'],
			'amount'           => self::decimal( $o['amount'], $currency ),
			'amount_minor'     => (string) (int) $o['amount'],
			'commission'       => self::decimal( $o['commission'], $currency ),
			'commission_minor' => (string) (int) $o['commission'],
			'currency'         => $currency,
			'campaign'         => null === $o['campaign'] ? null : (string) $o['campaign'],
			'click_id'         => null === $o['click_id'] ? null : (string) $o['click_id'],
			'timestamp'        => (string) (int) $o['at'],
		);
		$ids = is_array( $o['click_ids'] ) ? $o['click_ids'] : array();
		foreach ( self::SUB_IDS as $sub ) {
			$values[ $sub ] = isset( $ids[ $sub ] ) && is_string( $ids[ $sub ] ) ? $ids[ $sub ] : null;
		}
		return $values;
	}

	/**
	 * The values of a test postback: `test` for every id, a sale of 100 of `$currency` with a
	 * 10 % commission, now.
	 *
	 * @param string $currency The program's currency.
	 * @return array
	 */
	public static function sample( $currency ) {
		$amount = 100 * 10 ** Reftrail_Input::exponent( (string) $currency );
		return self::values(
			array(
				'event'       => 'test',
				'status'      => 'pending',
				'kind'        => 'sale',
				'referral_id' => 'test',
				'amount'      => $amount,
				'commission'  => intdiv( $amount, 10 ),
				'currency'    => (string) $currency,
				'campaign'    => 'test',
				'click_id'    => 'test',
				'click_ids'   => array_fill_keys( self::SUB_IDS, 'test' ),
				'at'          => Reftrail_Db::now(),
			)
		);
	}

	/**
	 * Queues the postback of the webhook event `$event` (`referral.created`, `referral.approved`,
	 * `referral.reversed`) of referral `$referral_id` when its affiliate has a postback URL, in
	 * the caller's transaction: the address filled in with the referral as it is now, the
	 * commission as the ledger sums it (net of reversals), and the click of its order or lead.
	 *
	 * @param string $event       Webhook event.
	 * @param string $referral_id Referral.
	 * @throws Reftrail_Http_Error 503 when the row cannot be written.
	 */
	public static function enqueue( $event, $referral_id ) {
		global $wpdb;
		$short = 0 === strpos( $event, 'referral.' ) ? substr( $event, 9 ) : $event;
		$r     = Reftrail_Db::table( 'referrals' );
		$a     = Reftrail_Db::table( 'affiliates' );
		$g     = Reftrail_Db::table( 'ledger' );
		$o     = Reftrail_Db::table( 'orders' );
		$l     = Reftrail_Db::table( 'leads' );
		$c     = Reftrail_Db::table( 'clicks' );
		$row   = $wpdb->get_row(
			$wpdb->prepare(
				"SELECT a.postback_url, r.affiliate_id, r.status, r.kind, r.amount, r.currency, r.campaign, r.at,
				COALESCE((SELECT SUM(g.amount) FROM {$g} g WHERE g.referral_id = r.id), 0) AS owed, c.id AS click_id, c.click_ids
				FROM {$r} r JOIN {$a} a ON a.id = r.affiliate_id
				LEFT JOIN {$o} o ON r.kind = 'sale' AND o.id = r.source_id
				LEFT JOIN {$l} l ON r.kind = 'lead' AND l.id = r.source_id
				LEFT JOIN {$c} c ON c.id = COALESCE(o.click_id, l.click_id)
				WHERE r.id = %s", // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table names only.
				$referral_id
			),
			ARRAY_A
		);
		if ( ! $row || null === $row['postback_url'] ) {
			return;
		}
		// Stored templates were checked when saved; the host policy applies when sending.
		$template = self::parse( $row['postback_url'], true );
		if ( is_wp_error( $template ) ) {
			return;
		}
		$url = self::expand(
			$template,
			self::values(
				array(
					'event'       => $short,
					'status'      => $row['status'],
					'kind'        => $row['kind'],
					'referral_id' => $referral_id,
					'amount'      => (int) $row['amount'],
					'commission'  => (int) $row['owed'],
					'currency'    => $row['currency'],
					'campaign'    => $row['campaign'],
					'click_id'    => $row['click_id'],
					'click_ids'   => json_decode( (string) $row['click_ids'], true ),
					'at'          => (int) $row['at'],
				)
			)
		);
		$at = Reftrail_Db::now();
		$ok = $wpdb->insert(
			Reftrail_Db::table( 'postbacks' ),
			array(
				'id'           => Reftrail_Db::new_id( 'pb' ),
				'affiliate_id' => $row['affiliate_id'],
				'referral_id'  => $referral_id,
				'event'        => $short,
				'url'          => $url,
				'at'           => $at,
				'attempts'     => 0,
				'next_at'      => $at,
			),
			array( '%s', '%s', '%s', '%s', '%s', '%d', '%d', '%d' )
		);
		if ( false === $ok ) {
			throw new Reftrail_Http_Error( 503, 'unavailable', 'the database is unavailable; retry later' );
		}
		Reftrail_Webhooks::schedule( time() );
	}

	/**
	 * Requests `$url` with `GET` (10 s, no redirects, the postbacks' user agent). Unless postbacks
	 * may go to private networks, an address written as a private IP is refused, and a name goes
	 * only to the public addresses it resolves to (none: refused), through wp_safe_remote_get().
	 *
	 * @param string $url Address.
	 * @return array `status` (the answer's status code; null without an answer) and `error` (why
	 *               it failed, `HTTP <code>` for a status outside 2xx; null when it succeeded).
	 */
	public static function send( $url ) {
		$fail  = fn( $error ) => array(
			'status' => null,
			'error'  => $error,
		);
		$parts = self::address( $url );
		if ( null === $parts ) {
			return $fail( 'not a valid address once filled in' );
		}
		$args = array(
			'timeout'     => 10,
			'redirection' => 0,
			'httpversion' => '1.1',
			'user-agent'  => self::USER_AGENT,
		);
		if ( self::to_private_networks() ) {
			$response = wp_remote_get( $url, $args );
		} else {
			if ( self::private_host( $parts ) ) {
				return $fail( 'the address is in a private network' );
			}
			$hooks = array();
			if ( 'domain' === $parts['type'] ) {
				$found  = gethostbynamel( $parts['host'] );
				$public = array_values( array_filter( (array) $found, fn( $a ) => self::is_public( (string) inet_pton( $a ) ) ) );
				if ( ! $public ) {
					return $fail( $parts['host'] . ' has no public address' );
				}
				// cURL connects to the addresses checked here, not to what a second look-up says. The
				// hooks are in place only while this one request is made.
				$port                    = $parts['port'] ?? ( 'https' === $parts['scheme'] ? 443 : 80 );
				$hooks['http_api_curl'] = function ( $handle ) use ( $parts, $port, $public ) {
					curl_setopt( $handle, CURLOPT_RESOLVE, array( $parts['host'] . ':' . $port . ':' . implode( ',', $public ) ) ); // phpcs:ignore WordPress.WP.AlternativeFunctions.curl_curl_setopt -- WordPress's own cURL handle.
				};
			}
			if ( null !== $parts['port'] ) {
				// A tracker may listen on any port of a public host.
				$hooks['http_allowed_safe_ports'] = fn( $ports ) => array_merge( (array) $ports, array( $parts['port'] ) );
			}
			foreach ( $hooks as $hook => $fn ) {
				add_filter( $hook, $fn );
			}
			try {
				$response = wp_safe_remote_get( $url, $args );
			} finally {
				foreach ( $hooks as $hook => $fn ) {
					remove_filter( $hook, $fn, 10 );
				}
			}
		}
		if ( is_wp_error( $response ) ) {
			return $fail( mb_strcut( $response->get_error_message(), 0, 300, 'UTF-8' ) );
		}
		$code = (int) wp_remote_retrieve_response_code( $response );
		return array(
			'status' => $code,
			'error'  => $code >= 200 && $code < 300 ? null : 'HTTP ' . $code,
		);
	}

	/**
	 * One round: claims up to 20 due postbacks, in the order they were queued, and sends them;
	 * a failure is due again after the outbox's backoff, and given up after its number of
	 * attempts, the administrator told (Reftrail_Deliveries::give_up()). Asks for the next round
	 * while postbacks wait.
	 *
	 * @return int How many were delivered.
	 */
	public static function deliver_due() {
		global $wpdb;
		$t    = Reftrail_Db::table( 'postbacks' );
		$now  = Reftrail_Db::now();
		$rows = $wpdb->get_results( $wpdb->prepare( "SELECT id, affiliate_id, event, url, attempts, next_at FROM {$t} WHERE delivered_at IS NULL AND failed_at IS NULL AND next_at <= %d ORDER BY next_at, BINARY id LIMIT 20", $now ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$sent = 0;
		foreach ( $rows as $r ) {
			$claimed = $wpdb->query( $wpdb->prepare( "UPDATE {$t} SET next_at = %d WHERE id = %s AND next_at = %d", $now + 60, $r['id'], $r['next_at'] ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			if ( 1 !== (int) $claimed ) {
				continue;
			}
			$outcome  = self::send( $r['url'] );
			$attempts = (int) $r['attempts'] + 1;
			if ( null === $outcome['error'] ) {
				$wpdb->update( $t, array( 'delivered_at' => Reftrail_Db::now(), 'attempts' => $attempts, 'last_error' => null ), array( 'id' => $r['id'] ) );
				++$sent;
				continue;
			}
			if ( $attempts >= Reftrail_Webhooks::MAX_ATTEMPTS ) {
				Reftrail_Deliveries::give_up(
					'postback',
					$r['id'],
					$attempts,
					$outcome['error'],
					array(
						'kind'      => 'postback',
						'event'     => $r['event'],
						'url'       => $r['url'],
						'affiliate' => $r['affiliate_id'],
						'error'     => $outcome['error'],
					)
				);
				continue;
			}
			$wpdb->update(
				$t,
				array(
					'attempts'   => $attempts,
					'next_at'    => Reftrail_Db::now() + Reftrail_Webhooks::backoff( $attempts ),
					'last_error' => mb_strcut( $outcome['error'], 0, 500, 'UTF-8' ),
				),
				array( 'id' => $r['id'] )
			);
		}
		$next = $wpdb->get_var( "SELECT MIN(next_at) FROM {$t} WHERE delivered_at IS NULL AND failed_at IS NULL" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		if ( null !== $next ) {
			Reftrail_Webhooks::schedule( (int) $next );
		}
		return $sent;
	}

	/**
	 * `$text` checked as a template under the host policy.
	 *
	 * @param string $text Template.
	 * @return string
	 * @throws Reftrail_Http_Error 400 invalid_postback_url.
	 */
	private static function checked( $text ) {
		$template = self::parse( $text, self::to_private_networks() );
		if ( is_wp_error( $template ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_postback_url', $template->get_error_message() );
		}
		return $template;
	}

	/**
	 * Affiliate `$id`'s postback as the routes answer it: `url` (the template, or null), `macros`
	 * and `deliveries` (the latest SHOWN, newest first: `id`, `event`, `referral_id`, `url` as
	 * filled in, `at`, `status` pending, delivered or failed (given up), `attempts`, `last_error`,
	 * `delivered_at`).
	 *
	 * @param string $id Affiliate.
	 * @return array
	 */
	public static function show( $id ) {
		global $wpdb;
		$a    = Reftrail_Db::table( 'affiliates' );
		$t    = Reftrail_Db::table( 'postbacks' );
		$url  = $wpdb->get_var( $wpdb->prepare( "SELECT postback_url FROM {$a} WHERE id = %s", $id ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$rows = $wpdb->get_results( $wpdb->prepare( "SELECT id, event, referral_id, url, at, attempts, last_error, delivered_at, failed_at FROM {$t} WHERE affiliate_id = %s ORDER BY at DESC, BINARY id DESC LIMIT %d", $id, self::SHOWN ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		return array(
			'url'        => null === $url ? null : (string) $url,
			'macros'     => self::MACROS,
			'deliveries' => array_map(
				fn( $r ) => array(
					'id'           => $r['id'],
					'event'        => $r['event'],
					'referral_id'  => $r['referral_id'],
					'url'          => $r['url'],
					'at'           => Reftrail_Db::rfc3339( (int) $r['at'] ),
					'status'       => null !== $r['delivered_at'] ? 'delivered' : ( null !== $r['failed_at'] ? 'failed' : 'pending' ),
					'attempts'     => (int) $r['attempts'],
					'last_error'   => $r['last_error'],
					'delivered_at' => null === $r['delivered_at'] ? null : Reftrail_Db::rfc3339( (int) $r['delivered_at'] ),
				),
				$rows
			),
		);
	}

	/**
	 * The `url` of a body of the routes that set or test a postback URL (`{"url"}`, nothing else):
	 * a string, or null when it is null or absent.
	 *
	 * @param array $b Body.
	 * @return string|null
	 * @throws Reftrail_Http_Error 400 invalid_body.
	 */
	public static function url_of( array $b ) {
		Reftrail_Input::known( $b, array( 'url' ) );
		Reftrail_Input::types( $b, array( 'url' => 'string' ) );
		return $b['url'] ?? null;
	}

	/**
	 * Saves affiliate `$id`'s postback URL (null or an empty string removes it) and, when it
	 * changed, records the change (`affiliate.updated`) as made by `$by`, in the same transaction.
	 *
	 * @param string      $id   Affiliate.
	 * @param string|null $text The template (url_of()).
	 * @param string      $by   Who changes it, as the activity log names them.
	 * @throws Reftrail_Http_Error 400 invalid_postback_url, 404 or 503.
	 */
	public static function update( $id, $text, $by ) {
		global $wpdb;
		$text = self::trim( (string) $text );
		$url  = '' === $text ? null : self::checked( $text );
		Reftrail_Db::transaction(
			function () use ( $wpdb, $id, $url, $by ) {
				$t   = Reftrail_Db::table( 'affiliates' );
				$row = $wpdb->get_row( $wpdb->prepare( "SELECT id, postback_url FROM {$t} WHERE id = %s FOR UPDATE", $id ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
				if ( ! $row ) {
					throw new Reftrail_Http_Error( 404, 'affiliate_not_found', 'no affiliate has this id' );
				}
				$before = $row['postback_url'];
				if ( $before === $url ) {
					return;
				}
				$set = array(
					'postback_url' => $url,
					'updated_at'   => Reftrail_Db::now(),
				);
				if ( false === $wpdb->update( $t, $set, array( 'id' => $id ), array( '%s', '%d' ), array( '%s' ) ) ) {
					throw new Reftrail_Http_Error( 503, 'unavailable', 'the database is unavailable; retry later' );
				}
				$change = array(
					'field'  => 'postback_url',
					'before' => $before,
					'after'  => $url,
				);
				Reftrail_Activity::record( $by, 'affiliate.updated', $id, $id, array( 'changes' => array( $change ) ) );
			}
		);
	}

	/**
	 * Whether affiliate `$id` may send another test postback now: at most TESTS_PER_MINUTE in the
	 * minute from their first one, so that no one drives the site's requests at a host of their
	 * choosing. Every call counts, the refused ones too.
	 *
	 * @param string $id Affiliate.
	 * @return bool
	 */
	private static function test_allowed( $id ) {
		$key = 'reftrail_postback_tests_' . md5( (string) $id );
		return Reftrail_Db::locked(
			$key,
			function () use ( $key ) {
				$now   = time();
				$tests = get_transient( $key );
				if ( ! is_array( $tests ) || ! isset( $tests[0], $tests[1] ) || $tests[0] <= $now - MINUTE_IN_SECONDS ) {
					$tests = array( $now, 0 );
				}
				++$tests[1];
				set_transient( $key, $tests, max( 1, $tests[0] + MINUTE_IN_SECONDS - $now ) );
				return $tests[1] <= self::TESTS_PER_MINUTE;
			}
		);
	}

	/**
	 * Sends affiliate `$id` a postback with sample values (sample()) to the template given or,
	 * without one, to the saved one, and answers what the tracker said: `url` (as filled in),
	 * `delivered`, `status`, `error`. Nothing is saved or queued.
	 *
	 * @param string      $id   Affiliate.
	 * @param string|null $text The template to try (url_of()); null: the saved one.
	 * @return array
	 * @throws Reftrail_Http_Error 400 invalid_postback_url, 409 no_postback_url or 429 rate_limited.
	 */
	public static function test( $id, $text ) {
		global $wpdb;
		if ( null === $text ) {
			$t    = Reftrail_Db::table( 'affiliates' );
			$text = $wpdb->get_var( $wpdb->prepare( "SELECT postback_url FROM {$t} WHERE id = %s", $id ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			if ( null === $text ) {
				throw new Reftrail_Http_Error( 409, 'no_postback_url', 'save a postback URL or send one to test' );
			}
		}
		$template = self::checked( $text );
		if ( ! self::test_allowed( $id ) ) {
			throw new Reftrail_Http_Error( 429, 'rate_limited', 'at most ' . self::TESTS_PER_MINUTE . ' test postbacks a minute: wait a little' );
		}
		$url     = self::expand( $template, self::sample( Reftrail_Program::get()['currency'] ) );
		$outcome = self::send( $url );
		return array(
			'url'       => $url,
			'delivered' => null === $outcome['error'],
			'status'    => $outcome['status'],
			'error'     => $outcome['error'],
		);
	}
}
