<?php
/**
 * Payout requests (Reftrail_Payout_Requests): `GET/POST /v1/me/payout-requests` and
 * `DELETE /v1/me/payout-requests/{id}` (an affiliate: theirs, one asked for or taken back),
 * `GET /v1/payout-requests` and `POST /v1/payout-requests/{id}/decline` (the merchant; a viewer
 * reads them and declines none).
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * The payout requests' routes.
 */
class Reftrail_REST_Payout_Requests_Controller extends Reftrail_REST_Controller {

	/**
	 * Registers the routes.
	 */
	public function register_routes() {
		$affiliate = array( $this, 'affiliate_permissions_check' );
		register_rest_route(
			$this->namespace,
			'/me/payout-requests',
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
				'schema' => array( $this, 'get_public_item_schema' ),
			)
		);
		register_rest_route(
			$this->namespace,
			'/me/payout-requests/(?P<id>[^/]+)',
			array(
				array(
					'methods'             => WP_REST_Server::DELETABLE,
					'callback'            => array( $this, 'cancel_item' ),
					'permission_callback' => $affiliate,
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/payout-requests',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_items' ),
					'permission_callback' => array( $this, 'merchant_permissions_check' ),
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/payout-requests/(?P<id>[^/]+)/decline',
			array(
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'decline_item' ),
					'permission_callback' => array( $this, 'change_permissions_check' ),
				),
			)
		);
	}

	/**
	 * The calling affiliate's latest 50 requests, newest first.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_mine( $request ) {
		return $this->run( fn() => array( 'requests' => Reftrail_Payout_Requests::mine( self::caller( $request )['affiliate'] ) ) );
	}

	/**
	 * Asks for the calling affiliate's approved balance in a currency to be paid.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function create_item( $request ) {
		return $this->run( fn() => new WP_REST_Response( Reftrail_Payout_Requests::create( self::caller( $request )['affiliate'], self::body( $request ) ), 201 ) );
	}

	/**
	 * Takes back one of the calling affiliate's open requests.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function cancel_item( $request ) {
		return $this->run( fn() => Reftrail_Payout_Requests::cancel( self::caller( $request )['affiliate'], (string) $request['id'] ) );
	}

	/**
	 * The requests, newest first (`?status&affiliate&limit&offset`), with how many match.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_items( $request ) {
		return $this->run(
			function () use ( $request ) {
				foreach ( array( 'status', 'affiliate', 'limit', 'offset' ) as $name ) {
					if ( is_array( $request->get_param( $name ) ) ) {
						throw Reftrail_Http_Error::bad( 'invalid_query', $name . ' must be given once' );
					}
				}
				list( $limit, $offset ) = Reftrail_Input::page( $request->get_param( 'limit' ), $request->get_param( 'offset' ) );
				$status                 = (string) $request->get_param( 'status' );
				if ( '' !== $status && ! in_array( $status, Reftrail_Payout_Requests::STATUSES, true ) ) {
					throw Reftrail_Http_Error::bad( 'invalid_query', 'status must be open, paid, declined or cancelled' );
				}
				return Reftrail_Payout_Requests::index( $status, (string) $request->get_param( 'affiliate' ), $limit, $offset );
			}
		);
	}

	/**
	 * Declines an open request, with an optional reason the affiliate reads.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function decline_item( $request ) {
		return $this->run( fn() => Reftrail_Payout_Requests::decline( (string) $request['id'], self::body( $request, true ), self::actor( $request ) ) );
	}

	/**
	 * A payout request as the routes answer it.
	 *
	 * @return array
	 */
	public function get_item_schema() {
		return $this->schema_of(
			'reftrail-payout-request',
			array(
				'id'        => array( 'string', __( 'Id.', 'reftrail' ) ),
				'affiliate' => array( 'string', __( 'The affiliate who asks.', 'reftrail' ) ),
				'currency'  => array( 'string', __( 'ISO 4217 currency code.', 'reftrail' ) ),
				'amount'    => array( 'integer', __( 'The approved balance when it was asked, minor units.', 'reftrail' ) ),
				'status'    => array( 'string', __( 'open, paid, declined or cancelled (taken back by the affiliate).', 'reftrail' ) ),
				'at'        => array( 'string', __( 'When it was asked.', 'reftrail' ) ),
				'closed_at' => array( array( 'string', 'null' ), __( 'When it was paid, declined or taken back.', 'reftrail' ) ),
				'payout_id' => array( array( 'string', 'null' ), __( 'The payout that paid it.', 'reftrail' ) ),
				'reason'    => array( array( 'string', 'null' ), __( 'Why the merchant declined it.', 'reftrail' ) ),
			)
		);
	}
}
