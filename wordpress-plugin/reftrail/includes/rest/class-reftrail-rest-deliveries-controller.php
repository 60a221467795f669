<?php
/**
 * The merchant's deliveries: `GET /v1/deliveries` (webhook events and postbacks in one list),
 * `POST /v1/deliveries/{id}/retry` (one sent again) and `POST /v1/webhooks/test` (a signed test
 * event for a webhook endpoint). See Reftrail_Deliveries. Webhook endpoints are settings: only
 * the owner (merchant_role()) sees their events or tests one; a manager sees and sends again
 * postbacks; a viewer reads postbacks only.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * The deliveries' routes.
 */
class Reftrail_REST_Deliveries_Controller extends Reftrail_REST_Controller {

	/**
	 * Registers the routes.
	 */
	public function register_routes() {
		register_rest_route(
			$this->namespace,
			'/deliveries',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_items' ),
					'permission_callback' => array( $this, 'merchant_permissions_check' ),
				),
				'schema' => array( $this, 'get_public_item_schema' ),
			)
		);
		register_rest_route(
			$this->namespace,
			'/deliveries/(?P<id>[^/]+)/retry',
			array(
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'retry_item' ),
					'permission_callback' => array( $this, 'change_permissions_check' ),
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/webhooks/test',
			array(
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'test_webhook' ),
					'permission_callback' => array( $this, 'owner_permissions_check' ),
				),
			)
		);
	}

	/**
	 * Who may test a webhook endpoint: the owner, whose settings the endpoints are.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|WP_Error
	 */
	public function owner_permissions_check( $request ) {
		$allowed = $this->merchant_permissions_check( $request );
		if ( true !== $allowed ) {
			return $allowed;
		}
		if ( 'owner' !== self::merchant_role( $request ) ) {
			return new WP_Error( 'role_forbidden', __( "Webhook endpoints are part of the settings, which only the site's administrator may see or change.", 'reftrail' ), array( 'status' => 403 ) );
		}
		return true;
	}

	/**
	 * Webhook events and postbacks, newest first (`?kind&status&limit&offset`).
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_items( $request ) {
		return $this->run(
			function () use ( $request ) {
				foreach ( array( 'kind', 'status', 'limit', 'offset' ) as $name ) {
					if ( is_array( $request->get_param( $name ) ) ) {
						throw Reftrail_Http_Error::bad( 'invalid_query', $name . ' must be given once' );
					}
				}
				list( $limit, $offset ) = Reftrail_Input::page( $request->get_param( 'limit' ), $request->get_param( 'offset' ) );
				$kind                   = (string) $request->get_param( 'kind' );
				if ( '' !== $kind && ! isset( Reftrail_Deliveries::TABLES[ $kind ] ) ) {
					throw Reftrail_Http_Error::bad( 'invalid_query', 'kind must be webhook or postback' );
				}
				$status = (string) $request->get_param( 'status' );
				if ( '' !== $status && ! in_array( $status, Reftrail_Deliveries::STATUSES, true ) ) {
					throw Reftrail_Http_Error::bad( 'invalid_query', 'status must be pending, retrying, delivered or failed' );
				}
				$webhooks = 'owner' === self::merchant_role( $request );
				if ( 'webhook' === $kind && ! $webhooks ) {
					throw new Reftrail_Http_Error( 403, 'role_forbidden', "webhook endpoints are part of the settings, which only the site's administrator sees" );
				}
				return Reftrail_Deliveries::index( $kind, $status, $limit, $offset, $webhooks );
			}
		);
	}

	/**
	 * Sends again a delivery given up, or one waiting for a later attempt.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function retry_item( $request ) {
		return $this->run( fn() => Reftrail_Deliveries::retry( (string) $request['id'], self::actor( $request ), 'owner' === self::merchant_role( $request ) ) );
	}

	/**
	 * Sends a signed ping to a webhook endpoint and answers what came back.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function test_webhook( $request ) {
		return $this->run( fn() => Reftrail_Deliveries::test_webhook( self::body( $request ) ) );
	}

	/**
	 * A delivery as the list shows it.
	 *
	 * @return array
	 */
	public function get_item_schema() {
		return $this->schema_of(
			'reftrail-delivery',
			array(
				'id'           => array( 'string', __( 'The id: evt_... for a webhook event, pb_... for a postback.', 'reftrail' ) ),
				'kind'         => array( 'string', __( 'webhook or postback.', 'reftrail' ) ),
				'event'        => array( 'string', __( 'The webhook event (referral.created, ...) or the postback\'s (created, approved, reversed).', 'reftrail' ) ),
				'url'          => array( 'string', __( 'Where it goes: the endpoint, or the tracker\'s address as filled in.', 'reftrail' ) ),
				'affiliate_id' => array( array( 'string', 'null' ), __( 'The affiliate whose tracker it goes to (postbacks).', 'reftrail' ) ),
				'referral_id'  => array( array( 'string', 'null' ), __( 'The referral it reports (postbacks).', 'reftrail' ) ),
				'at'           => array( 'string', __( 'When it was queued.', 'reftrail' ) ),
				'status'       => array( 'string', __( 'pending, delivered or failed (given up after 12 attempts).', 'reftrail' ) ),
				'attempts'     => array( 'integer', __( 'Requests made so far (since it was last sent again by hand).', 'reftrail' ) ),
				'last_error'   => array( array( 'string', 'null' ), __( 'Why the last attempt failed (HTTP 500, a connection error).', 'reftrail' ) ),
				'next_at'      => array( array( 'string', 'null' ), __( 'When it is due (pending ones).', 'reftrail' ) ),
				'delivered_at' => array( array( 'string', 'null' ), __( 'When the other side accepted it.', 'reftrail' ) ),
				'failed_at'    => array( array( 'string', 'null' ), __( 'When it was given up.', 'reftrail' ) ),
			)
		);
	}
}
