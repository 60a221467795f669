<?php
/**
 * Short links: `GET/POST /v1/me/links` and `DELETE /v1/me/links/{code}` (an affiliate, their
 * own), `GET /v1/links` and `DELETE /v1/links/{code}` (the merchant, anyone's), and
 * `GET /go/{code}` (anyone: a redirect to the shop).
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * The short links' routes.
 */
class Reftrail_REST_Short_Links_Controller extends Reftrail_REST_Controller {

	/**
	 * Registers the routes.
	 */
	public function register_routes() {
		$merchant  = array( $this, 'merchant_permissions_check' );
		$affiliate = array( $this, 'affiliate_permissions_check' );
		register_rest_route(
			$this->namespace,
			'/me/links',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_mine' ),
					'permission_callback' => $affiliate,
				),
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'create_item' ),
					'permission_callback' => $affiliate,
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/me/links/(?P<code>[^/]+)',
			array(
				array(
					'methods'             => WP_REST_Server::DELETABLE,
					'callback'            => array( $this, 'delete_mine' ),
					'permission_callback' => $affiliate,
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/links',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_items' ),
					'permission_callback' => $merchant,
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/links/(?P<code>[^/]+)',
			array(
				array(
					'methods'             => WP_REST_Server::DELETABLE,
					'callback'            => array( $this, 'delete_item' ),
					'permission_callback' => $merchant,
				),
			)
		);
		// Opened from anywhere, by a top-level navigation that sends no credentials.
		register_rest_route(
			'reftrail',
			'/go/(?P<code>[^/]+)',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'open' ),
					'permission_callback' => '__return_true',
				),
			)
		);
	}

	/**
	 * The affiliate's short links, newest first (at most 100, all they may keep).
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_mine( $request ) {
		return $this->run( fn() => array( 'links' => Reftrail_Short_Links::index( (string) self::caller( $request )['affiliate'], Reftrail_Short_Links::MAX_PER_AFFILIATE, 0 ) ) );
	}

	/**
	 * Makes a short link to a page of the shop for the affiliate calling.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function create_item( $request ) {
		return $this->run( fn() => new WP_REST_Response( Reftrail_Short_Links::create( (string) self::caller( $request )['affiliate'], self::body( $request ) ), 201 ) );
	}

	/**
	 * Deletes one of the affiliate's short links; another's is as unknown.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function delete_mine( $request ) {
		return $this->run(
			function () use ( $request ) {
				Reftrail_Short_Links::delete( (string) $request['code'], (string) self::caller( $request )['affiliate'] );
				return new WP_REST_Response( null, 204 );
			}
		);
	}

	/**
	 * Everyone's short links, newest first (`?affiliate&limit&offset`).
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_items( $request ) {
		return $this->run(
			function () use ( $request ) {
				$affiliate = $request->get_param( 'affiliate' );
				if ( null !== $affiliate && ! is_string( $affiliate ) ) {
					throw Reftrail_Http_Error::bad( 'invalid_query', 'affiliate must be given once' );
				}
				list( $limit, $offset ) = Reftrail_Input::page( $request->get_param( 'limit' ), $request->get_param( 'offset' ) );
				return array( 'links' => Reftrail_Short_Links::index( (string) $affiliate, $limit, $offset ) );
			}
		);
	}

	/**
	 * Deletes anyone's short link (one used against the program's terms).
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function delete_item( $request ) {
		return $this->run(
			function () use ( $request ) {
				Reftrail_Short_Links::delete( (string) $request['code'], '' );
				return new WP_REST_Response( null, 204 );
			}
		);
	}

	/**
	 * Opens a short link: 302 to the shop's page (`Cache-Control: private, no-store`), or a plain
	 * text 404 as on the server.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response
	 */
	public function open( $request ) {
		$query  = isset( $_SERVER['QUERY_STRING'] ) ? (string) wp_unslash( $_SERVER['QUERY_STRING'] ) : ''; // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- read as pairs and checked by passed_on().
		$target = Reftrail_Short_Links::open( (string) $request['code'], (string) $request->get_header( 'user_agent' ), $query );
		$r      = new WP_REST_Response( null === $target ? Reftrail_Short_Links::NOT_FOUND_TEXT : '', null === $target ? 404 : 302 );
		// Served as text (Reftrail_REST::serve_text): no JSON body.
		$r->header( 'Content-Type', 'text/plain; charset=utf-8' );
		if ( null === $target ) {
			$r->header( 'Cache-Control', 'no-store' );
			return $r;
		}
		$r->header( 'Location', $target );
		$r->header( 'Cache-Control', 'private, no-store' );
		return $r;
	}
}
