<?php
/**
 * Creatives: `GET/POST /v1/creatives` and `PATCH/DELETE /v1/creatives/{id}` (the merchant), and
 * `GET /v1/me/creatives` (an affiliate: the active ones).
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * The creatives' routes.
 */
class Reftrail_REST_Creatives_Controller extends Reftrail_REST_Controller {

	/**
	 * Registers the routes.
	 */
	public function register_routes() {
		$merchant = array( $this, 'merchant_permissions_check' );
		register_rest_route(
			$this->namespace,
			'/creatives',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_items' ),
					'permission_callback' => $merchant,
				),
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'create_item' ),
					'permission_callback' => $merchant,
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/creatives/(?P<id>[^/]+)',
			array(
				array(
					'methods'             => 'PATCH',
					'callback'            => array( $this, 'update_item' ),
					'permission_callback' => $merchant,
				),
				array(
					'methods'             => WP_REST_Server::DELETABLE,
					'callback'            => array( $this, 'delete_item' ),
					'permission_callback' => $merchant,
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/me/creatives',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_mine' ),
					'permission_callback' => array( $this, 'affiliate_permissions_check' ),
				),
			)
		);
	}

	/**
	 * The creatives, newest first (`?status&limit&offset`; every status when none is given).
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_items( $request ) {
		return $this->run(
			function () use ( $request ) {
				$status = $request->get_param( 'status' );
				if ( null !== $status && ! in_array( $status, Reftrail_Creatives::STATUSES, true ) ) {
					throw Reftrail_Http_Error::bad( 'invalid_status', 'status must be active or archived' );
				}
				list( $limit, $offset ) = Reftrail_Input::page( $request->get_param( 'limit' ), $request->get_param( 'offset' ) );
				return array( 'creatives' => Reftrail_Creatives::index( (string) $status, $limit, $offset ) );
			}
		);
	}

	/**
	 * Adds a creative.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function create_item( $request ) {
		return $this->run( fn() => new WP_REST_Response( Reftrail_Creatives::create( self::body( $request ), self::actor( $request ) ), 201 ) );
	}

	/**
	 * Changes the fields given of a creative.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function update_item( $request ) {
		return $this->run( fn() => Reftrail_Creatives::update( (string) $request['id'], self::body( $request ), self::actor( $request ) ) );
	}

	/**
	 * Deletes a creative.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function delete_item( $request ) {
		return $this->run(
			function () use ( $request ) {
				Reftrail_Creatives::delete( (string) $request['id'], self::actor( $request ) );
				return new WP_REST_Response( null, 204 );
			}
		);
	}

	/**
	 * The active creatives, newest first (`?limit&offset`), for the affiliate to post with their
	 * link.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_mine( $request ) {
		return $this->run(
			function () use ( $request ) {
				list( $limit, $offset ) = Reftrail_Input::page( $request->get_param( 'limit' ), $request->get_param( 'offset' ) );
				return array( 'creatives' => Reftrail_Creatives::for_affiliates( $limit, $offset ) );
			}
		);
	}
}
