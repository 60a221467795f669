<?php
/**
 * Affiliates' postbacks: `GET/PUT /v1/me/postback` and `POST /v1/me/postback/test` (an
 * affiliate, their own), the same under `/v1/affiliates/{id}/postback` (the merchant, for any
 * affiliate). See Reftrail_Postbacks for what is sent when.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * The postbacks' routes.
 */
class Reftrail_REST_Postbacks_Controller extends Reftrail_REST_Controller {

	/**
	 * Registers the routes.
	 */
	public function register_routes() {
		$merchant  = array( $this, 'merchant_permissions_check' );
		$affiliate = array( $this, 'affiliate_permissions_check' );
		register_rest_route(
			$this->namespace,
			'/me/postback',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_mine' ),
					'permission_callback' => $affiliate,
				),
				array(
					'methods'             => 'PUT',
					'callback'            => array( $this, 'update_mine' ),
					'permission_callback' => $affiliate,
				),
				'schema' => array( $this, 'get_public_item_schema' ),
			)
		);
		register_rest_route(
			$this->namespace,
			'/me/postback/test',
			array(
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'test_mine' ),
					'permission_callback' => $affiliate,
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/affiliates/(?P<id>[^/]+)/postback',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_item' ),
					'permission_callback' => $merchant,
				),
				array(
					'methods'             => 'PUT',
					'callback'            => array( $this, 'update_item' ),
					'permission_callback' => $merchant,
				),
				'schema' => array( $this, 'get_public_item_schema' ),
			)
		);
		register_rest_route(
			$this->namespace,
			'/affiliates/(?P<id>[^/]+)/postback/test',
			array(
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'test_item' ),
					'permission_callback' => $merchant,
				),
			)
		);
	}

	/**
	 * The calling affiliate's postback URL and latest deliveries.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_mine( $request ) {
		return $this->run( fn() => Reftrail_Postbacks::show( (string) self::caller( $request )['affiliate'] ) );
	}

	/**
	 * Sets or removes the calling affiliate's postback URL; answers as GET does.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function update_mine( $request ) {
		return $this->run(
			function () use ( $request ) {
				$id = (string) self::caller( $request )['affiliate'];
				Reftrail_Postbacks::update( $id, Reftrail_Postbacks::url_of( self::body( $request ) ), Reftrail_Activity::by_affiliate( $id ) );
				return Reftrail_Postbacks::show( $id );
			}
		);
	}

	/**
	 * Sends the calling affiliate's tracker a postback with sample values, to the URL given or
	 * the saved one, and answers what it said.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function test_mine( $request ) {
		return $this->run( fn() => Reftrail_Postbacks::test( (string) self::caller( $request )['affiliate'], Reftrail_Postbacks::url_of( self::body( $request, true ) ) ) );
	}

	/**
	 * Affiliate `{id}`'s postback URL and latest deliveries.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_item( $request ) {
		return $this->run(
			function () use ( $request ) {
				$id = self::known( $request );
				return Reftrail_Postbacks::show( $id );
			}
		);
	}

	/**
	 * Sets or removes affiliate `{id}`'s postback URL for them; answers as GET does.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function update_item( $request ) {
		return $this->run(
			function () use ( $request ) {
				// The body is read before the affiliate is looked up, as on the server.
				$url = Reftrail_Postbacks::url_of( self::body( $request ) );
				$id  = self::known( $request );
				Reftrail_Postbacks::update( $id, $url, self::actor( $request ) );
				return Reftrail_Postbacks::show( $id );
			}
		);
	}

	/**
	 * Sends affiliate `{id}`'s tracker a test postback.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function test_item( $request ) {
		return $this->run(
			function () use ( $request ) {
				$url = Reftrail_Postbacks::url_of( self::body( $request, true ) );
				return Reftrail_Postbacks::test( self::known( $request ), $url );
			}
		);
	}

	/**
	 * The `{id}` of the request, when an affiliate has it.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return string
	 * @throws Reftrail_Http_Error 404 affiliate_not_found.
	 */
	private static function known( WP_REST_Request $request ) {
		$id = (string) $request['id'];
		if ( ! Reftrail_Affiliates::exists( $id ) ) {
			throw new Reftrail_Http_Error( 404, 'affiliate_not_found', 'no affiliate has this id' );
		}
		return $id;
	}

	/**
	 * The postback schema.
	 *
	 * @return array
	 */
	public function get_item_schema() {
		return $this->schema_of(
			'reftrail-postback',
			array(
				'url'        => array( array( 'string', 'null' ), __( 'The address the affiliate\'s tracker is called at, with {macros} in its path or query; null for none.', 'reftrail' ) ),
				'macros'     => array( 'array', __( 'The macros the address may use, without braces.', 'reftrail' ) ),
				'deliveries' => array( 'array', __( 'The latest requests owed or made, newest first (at most 20): id, event, referral_id, url (as filled in), at, status (pending, delivered or failed), attempts, last_error, delivered_at.', 'reftrail' ) ),
			)
		);
	}
}
