<?php
/**
 * Wires the REST controllers, gives every error under `/reftrail/` the contract's shape
 * `{"error": {"code", "message"}}` (WordPress's own is `{"code", "message", "data"}`), serves
 * the CSV downloads (the payout file, the referral ledger) as text, and answers `POST /v1/clicks`
 * early, before WordPress's `init`, which a click does not need.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * REST wiring.
 */
final class Reftrail_REST {

	/**
	 * Hooks.
	 */
	public static function init() {
		add_action( 'rest_api_init', array( __CLASS__, 'register' ) );
		add_filter( 'rest_post_dispatch', array( __CLASS__, 'shape_errors' ), 10, 3 );
		add_filter( 'rest_pre_serve_request', array( __CLASS__, 'serve_text' ), 10, 4 );
		add_filter( 'rest_pre_serve_request', array( __CLASS__, 'restrict_cors' ), 20, 4 );
		add_filter( 'rest_pre_dispatch', array( __CLASS__, 'preflight' ), 10, 3 );
		add_filter( 'rest_json_encode_options', array( __CLASS__, 'json_options' ), 10, 2 );
		add_filter( 'rest_pre_echo_response', array( __CLASS__, 'json_objects' ), 10, 3 );
	}

	/**
	 * The program's commission rules, in `/v1/program` and in its history, with their maps as
	 * JSON objects (`"affiliate_categories": {}`, not `[]`), as the server writes them; only
	 * when written out, so the answer's data stays the arrays the rest of the plugin compares.
	 *
	 * @param mixed           $result  Response data.
	 * @param WP_REST_Server  $server  Server.
	 * @param WP_REST_Request $request Request.
	 * @return mixed
	 */
	public static function json_objects( $result, $server, $request ) {
		$route = untrailingslashit( (string) $request->get_route() );
		if ( ! is_array( $result ) ) {
			return $result;
		}
		if ( '/reftrail/v1/program' === $route && isset( $result['commission'] ) ) {
			$result['commission'] = Reftrail_Program::commission_json( $result['commission'] );
		} elseif ( '/reftrail/v1/program/changes' === $route && isset( $result['changes'] ) && is_array( $result['changes'] ) ) {
			foreach ( $result['changes'] as $i => $change ) {
				foreach ( $change['settings'] ?? array() as $j => $setting ) {
					if ( 'commission' === ( $setting['setting'] ?? null ) ) {
						foreach ( array( 'before', 'after' ) as $k ) {
							$result['changes'][ $i ]['settings'][ $j ][ $k ] = Reftrail_Program::commission_json( $setting[ $k ] ?? null );
						}
					}
				}
			}
		}
		return $result;
	}

	/**
	 * The reports' ratios keep their fraction when it is zero (a ROAS of 0 is `0.0`, 6 is `6.0`),
	 * as the server writes them: a JSON reader comparing numbers strictly tells `0` from `0.0`.
	 *
	 * @param int             $options JSON encoding options.
	 * @param WP_REST_Request $request Request.
	 * @return int
	 */
	public static function json_options( $options, $request ) {
		$route = (string) $request->get_route();
		if ( 0 === strpos( $route, '/reftrail/v1/reports/' ) || 0 === strpos( $route, '/reftrail/v1/me/report' ) || '/reftrail/v1/me/campaigns' === untrailingslashit( $route ) ) {
			$options |= JSON_PRESERVE_ZERO_FRACTION;
		}
		return $options;
	}

	/**
	 * The controllers.
	 *
	 * @return Reftrail_REST_Controller[]
	 */
	public static function controllers() {
		return array(
			new Reftrail_REST_Clicks_Controller(),
			new Reftrail_REST_Leads_Controller(),
			new Reftrail_REST_Sales_Controller(),
			new Reftrail_REST_Refunds_Controller(),
			new Reftrail_REST_Affiliates_Controller(),
			new Reftrail_REST_Referrals_Controller(),
			new Reftrail_REST_Payouts_Controller(),
			new Reftrail_REST_Program_Controller(),
			new Reftrail_REST_Creatives_Controller(),
			new Reftrail_REST_Short_Links_Controller(),
			new Reftrail_REST_Postbacks_Controller(),
			new Reftrail_REST_Deliveries_Controller(),
			new Reftrail_REST_Bonuses_Controller(),
			new Reftrail_REST_Payout_Requests_Controller(),
			new Reftrail_REST_Recruiters_Controller(),
			new Reftrail_REST_Portal_Controller(),
			new Reftrail_REST_Activity_Controller(),
			new Reftrail_REST_Reports_Controller(),
			new Reftrail_REST_Me_Controller(),
			new Reftrail_REST_Session_Controller(),
			new Reftrail_REST_Keys_Controller(),
			new Reftrail_REST_Operator_Controller(),
			new Reftrail_REST_Privacy_Controller(),
			new Reftrail_REST_Migrations_Controller(),
			new Reftrail_REST_WooCommerce_Coupons_Controller(),
		);
	}

	/**
	 * Registers every route.
	 */
	public static function register() {
		foreach ( self::controllers() as $c ) {
			$c->register_routes();
		}
	}

	/**
	 * The contract's code for a WordPress error code.
	 *
	 * @param string $code   WordPress or plugin code.
	 * @param int    $status Status.
	 * @return string
	 */
	public static function contract_code( $code, $status ) {
		$map = array(
			'rest_no_route'              => 'not_found',
			'rest_invalid_json'          => 'invalid_json',
			'rest_invalid_param'         => 'invalid_query',
			'rest_missing_callback_param' => 'invalid_query',
			'rest_cookie_invalid_nonce'  => 'csrf_failed',
			'rest_forbidden'             => 401 === $status ? 'unauthorized' : 'forbidden',
			'incorrect_password'         => 'unauthorized',
			'invalid_username'           => 'unauthorized',
			'invalid_email'              => 401 === $status ? 'unauthorized' : 'invalid_email',
		);
		if ( isset( $map[ $code ] ) ) {
			return $map[ $code ];
		}
		if ( 0 === strpos( $code, 'rest_' ) ) {
			return 401 === $status ? 'unauthorized' : ( 403 === $status ? 'forbidden' : ( $status >= 500 ? 'internal_error' : 'invalid_request' ) );
		}
		return $code;
	}

	/**
	 * The contract's error body.
	 *
	 * @param string $code    Code.
	 * @param string $message Message.
	 * @return array
	 */
	public static function error_body( $code, $message ) {
		return array(
			'error' => array(
				'code'    => $code,
				'message' => $message,
			),
		);
	}

	/**
	 * Rewrites WordPress error responses of the plugin's routes into the contract's shape; an
	 * unsupported method on a known path is a 405 as on the server.
	 *
	 * @param WP_HTTP_Response $result  Response.
	 * @param WP_REST_Server   $server  Server.
	 * @param WP_REST_Request  $request Request.
	 * @return WP_HTTP_Response
	 */
	public static function shape_errors( $result, $server, $request ) {
		$route = $request->get_route();
		if ( 0 !== strpos( $route, '/reftrail/' ) && '/reftrail' !== $route ) {
			return $result;
		}
		$status = $result->get_status();
		$data   = $result->get_data();
		if ( $status < 400 || ! is_array( $data ) || ! isset( $data['code'], $data['message'] ) ) {
			return $result;
		}
		$code = (string) $data['code'];
		if ( 'rest_no_route' === $code ) {
			foreach ( array_keys( $server->get_routes( 'reftrail/v1' ) ) as $pattern ) {
				if ( 1 === preg_match( '@^' . $pattern . '$@i', $route ) ) {
					$result->set_status( 405 );
					$result->set_data( self::error_body( 'method_not_allowed', 'this path does not accept that method' ) );
					return $result;
				}
			}
		}
		$message = 0 === strpos( $code, 'rest_' ) ? wp_strip_all_tags( (string) $data['message'] ) : (string) $data['message'];
		$code    = self::contract_code( $code, $status );
		$result->set_data( self::error_body( $code, $message ) );
		if ( 401 === $status ) {
			$result->header( 'WWW-Authenticate', 'Bearer realm="reftrail"' );
		}
		return $result;
	}

	/** The routes browsers call from the shop's pages (CORS applies). */
	const BROWSER_ROUTES = array( '/reftrail/v1/clicks', '/reftrail/v1/leads', '/reftrail/v1/sales', '/reftrail/v1/me', '/reftrail/v1/me/report', '/reftrail/v1/me/daily', '/reftrail/v1/me/payouts', '/reftrail/v1/me/creatives', '/reftrail/v1/me/reports/creatives', '/reftrail/v1/me/campaigns', '/reftrail/v1/me/bonuses', '/reftrail/v1/me/recruits', '/reftrail/v1/me/withholding/certificates', '/reftrail/v1/me/links', '/reftrail/v1/me/postback', '/reftrail/v1/me/postback/test', '/reftrail/v1/me/payout-requests' );

	/**
	 * The browser routes with a path parameter (CORS applies): an affiliate's short link, their
	 * payout request.
	 */
	const BROWSER_ROUTE_PATTERNS = array( '#^/reftrail/v1/me/links/[^/]+$#D', '#^/reftrail/v1/me/payout-requests/[^/]+$#D' );

	/**
	 * Whether browsers call `$route` from the shop's pages (CORS applies).
	 *
	 * @param string $route Route, without a trailing slash.
	 * @return bool
	 */
	public static function is_browser_route( $route ) {
		if ( in_array( $route, self::BROWSER_ROUTES, true ) ) {
			return true;
		}
		foreach ( self::BROWSER_ROUTE_PATTERNS as $pattern ) {
			if ( 1 === preg_match( $pattern, $route ) ) {
				return true;
			}
		}
		return false;
	}

	/**
	 * The routes of the portal's own pages (Reftrail_REST_Portal_Controller): same origin only, no
	 * CORS, as the server serves them.
	 */
	const PORTAL_ROUTES = array( '/reftrail/v1/portal/program', '/reftrail/v1/portal/applications' );

	/**
	 * Answers a CORS preflight of a browser route: 204 with the CORS headers for an allowed
	 * origin, 403 `origin_not_allowed` otherwise (WordPress would answer 200 with the route's
	 * description). A preflight of a portal route allows nothing: 403 from another origin, 204
	 * without CORS headers from the site's own (which never needs one).
	 *
	 * @param mixed           $result  Earlier result.
	 * @param WP_REST_Server  $server  Server.
	 * @param WP_REST_Request $request Request.
	 * @return mixed
	 */
	public static function preflight( $result, $server, $request ) {
		if ( null !== $result || 'OPTIONS' !== $request->get_method() ) {
			return $result;
		}
		$route = untrailingslashit( $request->get_route() );
		if ( in_array( $route, self::PORTAL_ROUTES, true ) ) {
			try {
				Reftrail_REST_Controller::check_same_origin( $request );
			} catch ( Reftrail_Http_Error $e ) {
				return $e->to_wp_error();
			}
			return new WP_REST_Response( null, 204 );
		}
		if ( ! self::is_browser_route( $route ) ) {
			return $result;
		}
		$origin = (string) $request->get_header( 'origin' );
		try {
			Reftrail_REST_Controller::check_origin( $request );
		} catch ( Reftrail_Http_Error $e ) {
			return $e->to_wp_error();
		}
		$r = new WP_REST_Response( null, 204 );
		if ( '' !== $origin ) {
			$r->header( 'Access-Control-Allow-Origin', $origin );
			$r->header( 'Access-Control-Allow-Credentials', 'true' );
			$r->header( 'Access-Control-Allow-Methods', 'GET, POST, PATCH, OPTIONS' );
			$r->header( 'Access-Control-Allow-Headers', 'content-type, authorization, idempotency-key' );
			$r->header( 'Access-Control-Max-Age', '600' );
			$r->header( 'Vary', 'Origin' );
		}
		return $r;
	}

	/**
	 * WordPress echoes any Origin in Access-Control-Allow-Origin; on the plugin's routes only
	 * the site's own origin and the program's allowed origins keep it, and on the portal's own
	 * routes none does.
	 *
	 * @param bool             $served  Whether already served.
	 * @param WP_HTTP_Response $result  Response.
	 * @param WP_REST_Request  $request Request.
	 * @param WP_REST_Server   $server  Server.
	 * @return bool
	 */
	public static function restrict_cors( $served, $result, $request, $server ) {
		if ( 0 !== strpos( $request->get_route(), '/reftrail/' ) || ! $request->get_header( 'origin' ) ) {
			return $served;
		}
		$allowed = ! in_array( untrailingslashit( $request->get_route() ), self::PORTAL_ROUTES, true );
		try {
			Reftrail_REST_Controller::check_origin( $request );
		} catch ( Reftrail_Http_Error $e ) {
			$allowed = false;
		}
		if ( ! $allowed && ! headers_sent() ) {
			header_remove( 'Access-Control-Allow-Origin' );
			header_remove( 'Access-Control-Allow-Credentials' );
		}
		return $served;
	}

	/**
	 * Sends a text answer (the CSV downloads, the metrics) as text rather than JSON.
	 *
	 * @param bool             $served  Whether already served.
	 * @param WP_HTTP_Response $result  Response.
	 * @param WP_REST_Request  $request Request.
	 * @param WP_REST_Server   $server  Server.
	 * @return bool
	 */
	public static function serve_text( $served, $result, $request, $server ) {
		$headers = $result->get_headers();
		if ( ! $served && isset( $headers['Content-Type'] ) && 0 === strpos( $headers['Content-Type'], 'text/' ) && is_string( $result->get_data() ) ) {
			echo $result->get_data(); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- CSV or Prometheus text, not HTML.
			return true;
		}
		return $served;
	}

	/**
	 * Whether this request is `POST /v1/clicks` (pretty or `?rest_route=` form).
	 *
	 * @return bool
	 */
	public static function is_click_request() {
		if ( 'POST' !== ( $_SERVER['REQUEST_METHOD'] ?? '' ) ) {
			return false;
		}
		if ( isset( $_GET['rest_route'] ) ) { // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- routing only.
			return '/reftrail/v1/clicks' === $_GET['rest_route']; // phpcs:ignore WordPress.Security.NonceVerification.Recommended
		}
		$path = (string) wp_parse_url( (string) ( $_SERVER['REQUEST_URI'] ?? '' ), PHP_URL_PATH );
		$home = (string) wp_parse_url( home_url( '/' ), PHP_URL_PATH );
		return untrailingslashit( $path ) === rtrim( $home, '/' ) . '/' . rest_get_url_prefix() . '/reftrail/v1/clicks';
	}

	/**
	 * Answers a click before `init`: the same controller, the same answer, about a third of
	 * WordPress's per-request work. Filter `reftrail_early_clicks` to false to go the usual way.
	 */
	public static function maybe_answer_click_early() {
		if ( ! self::is_click_request() || ! apply_filters( 'reftrail_early_clicks', true ) ) {
			return;
		}
		$server  = new WP_REST_Server();
		$request = new WP_REST_Request( 'POST', '/reftrail/v1/clicks' );
		$request->set_headers( $server->get_headers( wp_unslash( $_SERVER ) ) );
		$request->set_body( (string) file_get_contents( 'php://input' ) );
		$c      = new Reftrail_REST_Clicks_Controller();
		$check  = $c->create_item_permissions_check( $request );
		$result = true === $check ? $c->create_item( $request ) : $check;
		if ( is_wp_error( $result ) ) {
			$status = (int) ( $result->get_error_data()['status'] ?? 500 );
			$body   = self::error_body( $result->get_error_code(), $result->get_error_message() );
			$heads  = array();
		} else {
			$status = $result->get_status();
			$body   = $result->get_data();
			$heads  = $result->get_headers();
		}
		$origin = $request->get_header( 'origin' );
		status_header( $status );
		header( 'Content-Type: application/json; charset=' . get_option( 'blog_charset' ) );
		header( 'X-Content-Type-Options: nosniff' );
		header( 'Cache-Control: no-store' );
		if ( $origin && is_array( $body ) && ! isset( $body['error'] ) ) {
			header( 'Access-Control-Allow-Origin: ' . esc_url_raw( $origin ) );
			header( 'Access-Control-Allow-Credentials: true' );
			header( 'Vary: Origin' );
		}
		foreach ( $heads as $k => $v ) {
			header( $k . ': ' . $v, false );
		}
		echo wp_json_encode( $body );
		exit;
	}
}
