<?php
/**
 * The base of the plugin's REST controllers: who is calling, the JSON body (also `text/plain`,
 * as `sendBeacon` and CORS-simple `fetch` send it), and the contract's error shape.
 *
 * Callers, as the contract names them:
 * - `Authorization: Bearer sk_...`: a backend with the secret key (every merchant route,
 *   verified leads and sales);
 * - `Authorization: Bearer pk_...` or `"key": "pk_..."` in the body: the browser (unverified);
 * - a WordPress user with `manage_reftrail` (administrators and shop managers), by cookie and
 *   `X-WP-Nonce` or by application password: the merchant;
 * - the dashboard's session (`POST /v1/session`, cookie `rt_session`), with its CSRF token in
 *   `X-CSRF-Token` on everything but reads: the merchant, as on the Rust server;
 * - a WordPress user linked to an affiliate (role `reftrail_affiliate`), or
 *   `Authorization: Bearer at_...`: that affiliate, on `/v1/me` only.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * Shared behaviour of the controllers.
 */
abstract class Reftrail_REST_Controller extends WP_REST_Controller {

	/** The namespace. */
	const NS = 'reftrail/v1';

	/**
	 * Resolved callers per request.
	 *
	 * @var array
	 */
	private static $callers = array();

	/**
	 * Sets the namespace.
	 */
	public function __construct() {
		$this->namespace = self::NS;
	}

	/**
	 * Who is calling: `['kind' => anonymous|secret|publishable|session|merchant|affiliate|user,
	 * 'affiliate' => id|null]`, with `'user' => WordPress user id` for a session or a merchant.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return array
	 * @throws Reftrail_Http_Error 401 for a bearer token that matches nothing.
	 */
	public static function caller( WP_REST_Request $request ) {
		$id = spl_object_id( $request );
		if ( isset( self::$callers[ $id ] ) && self::$callers[ $id ][0] === $request ) {
			return self::$callers[ $id ][1];
		}
		$caller              = self::resolve( $request );
		self::$callers[ $id ] = array( $request, $caller );
		return $caller;
	}

	/**
	 * See caller().
	 *
	 * @param WP_REST_Request $request Request.
	 * @return array
	 * @throws Reftrail_Http_Error 401.
	 */
	private static function resolve( WP_REST_Request $request ) {
		$auth = (string) $request->get_header( 'authorization' );
		if ( 1 === preg_match( '/^bearer(\s+(\S*))?\s*$/i', $auth, $m ) ) {
			return self::for_token( $m[2] ?? '' );
		}
		$session = Reftrail_Sessions::from_request( $request );
		if ( null !== $session ) {
			$sent = (string) $request->get_header( 'x_csrf_token' );
			return array(
				'kind'      => 'session',
				'affiliate' => null,
				'user'      => (int) $session['user_id'],
				'csrf_ok'   => '' !== $sent && hash_equals( $session['csrf_token'], $sent ),
			);
		}
		$user = wp_get_current_user();
		if ( $user && $user->ID ) {
			if ( user_can( $user, Reftrail_Schema::CAP ) ) {
				return array(
					'kind'      => 'merchant',
					'affiliate' => null,
					'user'      => (int) $user->ID,
				);
			}
			$aff = Reftrail_Affiliates::by_user( $user->ID );
			return array(
				'kind'      => $aff ? 'affiliate' : 'user',
				'affiliate' => $aff,
			);
		}
		return array(
			'kind'      => 'anonymous',
			'affiliate' => null,
		);
	}

	/**
	 * The caller a bearer token stands for.
	 *
	 * @param string $token Token.
	 * @return array
	 * @throws Reftrail_Http_Error 401.
	 */
	public static function for_token( $token ) {
		if ( strlen( $token ) <= 120 ) {
			if ( 0 === strpos( $token, 'sk_' ) && Reftrail_Keys::is_secret( $token ) ) {
				return array(
					'kind'      => 'secret',
					'affiliate' => null,
				);
			}
			if ( 0 === strpos( $token, 'pk_' ) && Reftrail_Keys::is_publishable( $token ) ) {
				return array(
					'kind'      => 'publishable',
					'affiliate' => null,
				);
			}
			if ( 0 === strpos( $token, 'at_' ) ) {
				$aff = Reftrail_Affiliates::by_token( $token );
				if ( $aff ) {
					return array(
						'kind'      => 'affiliate',
						'affiliate' => $aff,
					);
				}
			}
		}
		throw new Reftrail_Http_Error( 401, 'unauthorized', 'unknown or revoked credentials' );
	}

	/**
	 * Who makes a merchant request, as the program's history of changes and the activity log name
	 * them: `secret_key`, or `user:<user_login>` for a WordPress user, signed in to WordPress or to
	 * the dashboard.
	 *
	 * @param WP_REST_Request $request Request that passed merchant_permissions_check().
	 * @return string
	 * @throws Reftrail_Http_Error 403 for any other caller.
	 */
	public static function actor( WP_REST_Request $request ) {
		$c = self::caller( $request );
		if ( 'secret' === $c['kind'] ) {
			return 'secret_key';
		}
		$user = in_array( $c['kind'], array( 'session', 'merchant' ), true ) ? get_userdata( $c['user'] ) : false;
		if ( ! $user ) {
			throw new Reftrail_Http_Error( 403, 'forbidden', 'this credential cannot call merchant routes' );
		}
		return Reftrail_Activity::by_user( $user );
	}

	/**
	 * Permission of merchant routes: the secret key or a user with `manage_reftrail`.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|WP_Error
	 */
	public function merchant_permissions_check( $request ) {
		try {
			$c = self::caller( $request );
		} catch ( Reftrail_Http_Error $e ) {
			return $e->to_wp_error();
		}
		if ( in_array( $c['kind'], array( 'secret', 'merchant' ), true ) ) {
			return true;
		}
		if ( 'session' === $c['kind'] ) {
			$safe = in_array( $request->get_method(), array( 'GET', 'HEAD' ), true );
			return ( $c['csrf_ok'] || $safe ) ? true : new WP_Error( 'csrf_failed', 'send the session\'s CSRF token in X-CSRF-Token', array( 'status' => 403 ) );
		}
		if ( 'anonymous' === $c['kind'] ) {
			return new WP_Error( 'unauthorized', __( 'Merchant routes need the secret key or a signed-in shop manager.', 'reftrail' ), array( 'status' => 401 ) );
		}
		return new WP_Error( 'forbidden', __( 'This credential cannot call merchant routes.', 'reftrail' ), array( 'status' => 403 ) );
	}

	/**
	 * The server's team role a merchant caller stands for: `owner` (the program's settings, keys
	 * and webhook endpoints) for the secret key and a user who may manage the site
	 * (`manage_options`: administrators), as the WooCommerce coupon template decides it; `manager`
	 * (changes everything else) for a user who may run the shop (WooCommerce's
	 * `manage_woocommerce`: shop managers); `viewer` (reads) for any other user with
	 * `manage_reftrail`.
	 *
	 * @param WP_REST_Request $request Request that passed merchant_permissions_check().
	 * @return string owner, manager or viewer.
	 */
	public static function merchant_role( WP_REST_Request $request ) {
		$c = self::caller( $request );
		if ( 'secret' === $c['kind'] ) {
			return 'owner';
		}
		$user = (int) ( $c['user'] ?? 0 );
		if ( user_can( $user, 'manage_options' ) ) {
			return 'owner';
		}
		return user_can( $user, 'manage_woocommerce' ) ? 'manager' : 'viewer';
	}

	/**
	 * Permission of merchant routes that change something: a merchant caller who is not a viewer
	 * (merchant_role()), as the server refuses its read-only members.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|WP_Error
	 */
	public function change_permissions_check( $request ) {
		$allowed = $this->merchant_permissions_check( $request );
		if ( true !== $allowed ) {
			return $allowed;
		}
		if ( 'viewer' === self::merchant_role( $request ) ) {
			return new WP_Error( 'role_forbidden', __( 'A viewer may read the program but not change it.', 'reftrail' ), array( 'status' => 403 ) );
		}
		return true;
	}

	/**
	 * Permission of the affiliate's routes (`/v1/me...`): an affiliate's token, or a WordPress
	 * user linked to an affiliate.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|WP_Error
	 */
	public function affiliate_permissions_check( $request ) {
		try {
			$c = self::caller( $request );
		} catch ( Reftrail_Http_Error $e ) {
			return $e->to_wp_error();
		}
		if ( 'affiliate' === $c['kind'] ) {
			return true;
		}
		if ( 'anonymous' === $c['kind'] ) {
			return new WP_Error( 'unauthorized', __( 'Sign in as an affiliate.', 'reftrail' ), array( 'status' => 401 ) );
		}
		return new WP_Error( 'forbidden', __( 'Only an affiliate may call /v1/me.', 'reftrail' ), array( 'status' => 403 ) );
	}

	/**
	 * Permission of routes that read a bearer token only when one is sent (clicks, leads,
	 * sales): a malformed or unknown token is a 401; the rest is decided with the body.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|WP_Error
	 */
	public function public_permissions_check( $request ) {
		try {
			self::caller( $request );
			self::check_origin( $request );
		} catch ( Reftrail_Http_Error $e ) {
			return $e->to_wp_error();
		}
		return true;
	}

	/**
	 * Refuses a browser origin that is neither the site's own nor one of the program's allowed
	 * origins; requests without `Origin` pass.
	 *
	 * @param WP_REST_Request $request Request.
	 * @throws Reftrail_Http_Error 403 origin_not_allowed.
	 */
	public static function check_origin( WP_REST_Request $request ) {
		$origin = $request->get_header( 'origin' );
		if ( null === $origin || '' === $origin ) {
			return;
		}
		$allowed = array_merge( array( self::own_origin() ), Reftrail_Program::get()['allowed_origins'] );
		foreach ( $allowed as $a ) {
			if ( 0 === strcasecmp( $a, $origin ) ) {
				return;
			}
		}
		throw new Reftrail_Http_Error( 403, 'origin_not_allowed', 'this origin is not in the program\'s allowed origins' );
	}

	/**
	 * Refuses a browser origin other than the site's own (the program's allowed origins too): the
	 * routes of the portal's own pages. Requests without `Origin` pass.
	 *
	 * @param WP_REST_Request $request Request.
	 * @throws Reftrail_Http_Error 403 origin_not_allowed.
	 */
	public static function check_same_origin( WP_REST_Request $request ) {
		$origin = $request->get_header( 'origin' );
		if ( null !== $origin && '' !== $origin && 0 !== strcasecmp( self::own_origin(), $origin ) ) {
			throw new Reftrail_Http_Error( 403, 'origin_not_allowed', 'this route answers the pages of this site only' );
		}
	}

	/**
	 * The site's own origin, `scheme://host[:port]` of its home page, lower-case.
	 *
	 * @return string
	 */
	public static function own_origin() {
		$home = wp_parse_url( home_url() );
		return strtolower( $home['scheme'] . '://' . $home['host'] . ( isset( $home['port'] ) ? ':' . $home['port'] : '' ) );
	}

	/**
	 * The JSON object of the body: `application/json`, `text/plain` holding JSON, or
	 * `application/*+json`; anything else is a 415.
	 *
	 * @param WP_REST_Request $request  Request.
	 * @param bool            $optional Whether an empty body is an empty object.
	 * @return array
	 * @throws Reftrail_Http_Error 415 or 400.
	 */
	public static function body( WP_REST_Request $request, $optional = false ) {
		$raw = (string) $request->get_body();
		if ( $optional && '' === trim( $raw ) ) {
			return array();
		}
		$ct = $request->get_content_type();
		$ct = strtolower( $ct['value'] ?? '' );
		if ( ! ( 'application/json' === $ct || 'text/plain' === $ct || ( 0 === strpos( $ct, 'application/' ) && '+json' === substr( $ct, -5 ) ) ) ) {
			throw new Reftrail_Http_Error( 415, 'unsupported_media_type', 'send the body as application/json (or text/plain holding JSON)' );
		}
		if ( strlen( $raw ) > 65536 ) {
			throw new Reftrail_Http_Error( 413, 'payload_too_large', 'the request body is too large' );
		}
		if ( '' === $raw ) {
			throw Reftrail_Http_Error::bad( 'invalid_json', 'the request body is empty; send a JSON object' );
		}
		$data = json_decode( $raw, true, 32 );
		if ( JSON_ERROR_NONE !== json_last_error() ) {
			throw Reftrail_Http_Error::bad( 'invalid_json', 'the body is not valid JSON: ' . json_last_error_msg() );
		}
		$finite = true;
		is_array( $data ) && array_walk_recursive(
			$data,
			function ( $v ) use ( &$finite ) {
				$finite = $finite && ! ( is_float( $v ) && ! is_finite( $v ) );
			}
		);
		if ( ! $finite || ( is_float( $data ) && ! is_finite( $data ) ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_json', 'a number in the body is out of range' );
		}
		if ( ! is_array( $data ) || ( $data && array_is_list( $data ) ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_body', 'the body must be a JSON object' );
		}
		return $data;
	}

	/**
	 * Registers `POST /{path}` (create_item, guarded by create_item_permissions_check) with the
	 * route's other endpoints, if any, and the schema.
	 *
	 * @param string $path Route below the namespace.
	 * @param array  $more Other endpoints of the route, as register_rest_route takes them.
	 */
	protected function register_create_route( $path, array $more = array() ) {
		register_rest_route(
			$this->namespace,
			'/' . $path,
			array_merge(
				array(
					array(
						'methods'             => WP_REST_Server::CREATABLE,
						'callback'            => array( $this, 'create_item' ),
						'permission_callback' => array( $this, 'create_item_permissions_check' ),
					),
				),
				$more,
				array( 'schema' => array( $this, 'get_public_item_schema' ) )
			)
		);
	}

	/**
	 * Runs a handler; a Reftrail_Http_Error becomes a WP_Error with its status.
	 *
	 * @param callable $fn Handler returning a WP_REST_Response or data.
	 * @return WP_REST_Response|WP_Error
	 */
	protected function run( callable $fn ) {
		try {
			$out = $fn();
			return $out instanceof WP_REST_Response ? $out : rest_ensure_response( $out );
		} catch ( Reftrail_Http_Error $e ) {
			return $e->to_wp_error();
		}
	}

	/**
	 * The period of a report, `?from&to` (Reftrail_Input::range()); a parameter given twice is
	 * refused rather than one of its values picked.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return int[] From (inclusive) and to (exclusive), Unix seconds.
	 * @throws Reftrail_Http_Error 400 invalid_range.
	 */
	protected static function period( WP_REST_Request $request ) {
		foreach ( array( 'from', 'to' ) as $name ) {
			if ( is_array( $request->get_param( $name ) ) ) {
				throw Reftrail_Http_Error::bad( 'invalid_range', $name . ' must be given once' );
			}
		}
		return Reftrail_Input::range( $request->get_param( 'from' ), $request->get_param( 'to' ) );
	}

	/**
	 * The withholding tax certificates of a period as both certificate routes answer them: the
	 * period, the program's payer and the certificates (Reftrail_Ledger::withholding_certificates).
	 *
	 * @param int    $from      From, inclusive.
	 * @param int    $to        To, exclusive.
	 * @param string $affiliate Only this affiliate's ('' for everyone's).
	 * @return array
	 */
	protected static function certificates( $from, $to, $affiliate ) {
		return array(
			'from'         => Reftrail_Db::rfc3339( $from ),
			'to'           => Reftrail_Db::rfc3339( $to ),
			'payer'        => Reftrail_Program::get()['payer'],
			'certificates' => Reftrail_Ledger::withholding_certificates( $from, $to, $affiliate ),
		);
	}

	/**
	 * A response from a stored JSON answer.
	 *
	 * @param int    $status Status.
	 * @param string $text   JSON.
	 * @return WP_REST_Response
	 */
	protected static function json_response( $status, $text ) {
		$r = new WP_REST_Response( json_decode( $text, true ), $status );
		if ( 200 === $status ) {
			$r->header( 'Idempotent-Replayed', 'true' );
		}
		return $r;
	}

	/**
	 * The client of a request: address, user agent, whether the page is https.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return array
	 */
	public static function client( WP_REST_Request $request ) {
		$origin  = (string) $request->get_header( 'origin' );
		$referer = (string) $request->get_header( 'referer' );
		return array(
			'ip'         => isset( $_SERVER['REMOTE_ADDR'] ) ? sanitize_text_field( wp_unslash( $_SERVER['REMOTE_ADDR'] ) ) : 'unknown',
			'user_agent' => (string) $request->get_header( 'user_agent' ),
			'https'      => is_ssl() || 0 === strpos( $origin, 'https://' ) || ( '' === $origin && 0 === strpos( $referer, 'https://' ) ),
		);
	}

	/**
	 * The verified-ness of a lead or sale: the secret key or a merchant user is verified, the
	 * publishable key (header or body) is not; other callers are refused.
	 *
	 * @param WP_REST_Request $request Request.
	 * @param array           $body    Body.
	 * @return bool
	 * @throws Reftrail_Http_Error 401 or 403.
	 */
	public static function ingest_verified( WP_REST_Request $request, array $body ) {
		$c   = self::caller( $request );
		$key = $body['key'] ?? null;
		if ( null !== $key && ( ! is_string( $key ) || strlen( $key ) > 120 || Reftrail_Input::has_control( $key ) ) ) {
			throw new Reftrail_Http_Error( 401, 'unauthorized', 'malformed key' );
		}
		if ( 'anonymous' === $c['kind'] && null !== $key ) {
			if ( 0 !== strpos( $key, 'pk_' ) ) {
				throw new Reftrail_Http_Error( 401, 'unauthorized', 'a key in the body must be the publishable key' );
			}
			$c = self::for_token( $key );
		}
		switch ( $c['kind'] ) {
			case 'secret':
			case 'merchant':
				return true;
			case 'session':
				if ( ! $c['csrf_ok'] ) {
					throw new Reftrail_Http_Error( 403, 'csrf_failed', "send the session's CSRF token in X-CSRF-Token" );
				}
				return true;
			case 'publishable':
				return false;
			case 'anonymous':
				throw new Reftrail_Http_Error( 401, 'unauthorized', 'send the publishable key (Authorization: Bearer pk_... or "key" in the body) or the secret key' );
			default:
				throw new Reftrail_Http_Error( 403, 'forbidden', 'this credential cannot report conversions' );
		}
	}

	/**
	 * The verified click id of the signed `rt_click` cookie of the request, if any.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return string|null
	 */
	public static function cookie_click( WP_REST_Request $request ) {
		$header = (string) $request->get_header( 'cookie' );
		foreach ( explode( ';', $header ) as $pair ) {
			$kv = explode( '=', trim( $pair ), 2 );
			if ( 2 === count( $kv ) && Reftrail_Click_Cookie::NAME === $kv[0] ) {
				return Reftrail_Click_Cookie::verify( $kv[1] );
			}
		}
		return isset( $_COOKIE[ Reftrail_Click_Cookie::NAME ] ) ? Reftrail_Click_Cookie::verify( sanitize_text_field( wp_unslash( $_COOKIE[ Reftrail_Click_Cookie::NAME ] ) ) ) : null;
	}

	/**
	 * A JSON Schema object with the given properties.
	 *
	 * @param string $title Title.
	 * @param array  $props Name => [type, description].
	 * @return array
	 */
	protected function schema_of( $title, array $props ) {
		$p = array();
		foreach ( $props as $name => $def ) {
			$p[ $name ] = array(
				'type'        => $def[0],
				'description' => $def[1],
				'context'     => array( 'view', 'edit' ),
			);
		}
		return $this->add_additional_fields_schema(
			array(
				'$schema'    => 'http://json-schema.org/draft-04/schema#',
				'title'      => $title,
				'type'       => 'object',
				'properties' => $p,
			)
		);
	}
}
