<?php
/**
 * Bonuses: `GET/POST /v1/bonuses` and `POST /v1/bonuses/{id}/cancel` (the merchant), and
 * `GET /v1/me/bonuses` (an affiliate: theirs, the cancelled ones left out).
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * The bonuses' routes.
 */
class Reftrail_REST_Bonuses_Controller extends Reftrail_REST_Controller {

	/**
	 * Registers the routes.
	 */
	public function register_routes() {
		$merchant = array( $this, 'merchant_permissions_check' );
		register_rest_route(
			$this->namespace,
			'/bonuses',
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
				'schema' => array( $this, 'get_public_item_schema' ),
			)
		);
		register_rest_route(
			$this->namespace,
			'/bonuses/(?P<id>[^/]+)/cancel',
			array(
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'cancel_item' ),
					'permission_callback' => $merchant,
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/me/bonuses',
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
	 * The bonuses, newest first (`?affiliate&status&limit&offset`; all when no filter is given),
	 * with how many match the filters.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_items( $request ) {
		return $this->run(
			function () use ( $request ) {
				$status = $request->get_param( 'status' ) ?? '';
				if ( '' !== $status && ! in_array( $status, Reftrail_Bonuses::STATUSES, true ) ) {
					throw Reftrail_Http_Error::bad( 'invalid_status', 'status must be approved, paid or cancelled' );
				}
				$affiliate = $request->get_param( 'affiliate' ) ?? '';
				if ( '' !== $affiliate && ! Reftrail_Cookie::is_id( $affiliate ) ) {
					throw Reftrail_Http_Error::bad( 'invalid_affiliate', "affiliate must be an affiliate id: 1 to 64 letters, digits, '-', '_' or '.'" );
				}
				list( $limit, $offset ) = Reftrail_Input::page( $request->get_param( 'limit' ), $request->get_param( 'offset' ) );
				return Reftrail_Bonuses::index( $affiliate, $status, $limit, $offset );
			}
		);
	}

	/**
	 * Gives an affiliate a bonus; an Idempotency-Key seen before with the same bonus answers the
	 * first bonus again (200, `Idempotent-Replayed`).
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function create_item( $request ) {
		return $this->run(
			function () use ( $request ) {
				$body = self::body( $request );
				Reftrail_Input::known( $body, Reftrail_Bonuses::FIELDS );
				$idem                 = Reftrail_Tracking::idem_key( $request->get_header( 'idempotency_key' ) );
				list( $status, $view ) = Reftrail_Bonuses::create( $body, self::actor( $request ), $idem );
				$r                    = new WP_REST_Response( $view, $status );
				if ( 200 === $status ) {
					$r->header( 'Idempotent-Replayed', 'true' );
				}
				return $r;
			}
		);
	}

	/**
	 * Cancels a bonus not yet paid.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function cancel_item( $request ) {
		return $this->run( fn() => Reftrail_Bonuses::cancel( (string) $request['id'], self::actor( $request ) ) );
	}

	/**
	 * The calling affiliate's bonuses that are not cancelled, newest first (`?limit&offset`).
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_mine( $request ) {
		return $this->run(
			function () use ( $request ) {
				list( $limit, $offset ) = Reftrail_Input::page( $request->get_param( 'limit' ), $request->get_param( 'offset' ) );
				return Reftrail_Bonuses::for_affiliate( self::caller( $request )['affiliate'], $limit, $offset );
			}
		);
	}

	/**
	 * The bonus schema.
	 *
	 * @return array
	 */
	public function get_item_schema() {
		return $this->schema_of(
			'reftrail-bonus',
			array(
				'id'           => array( 'string', __( 'Id.', 'reftrail' ) ),
				'affiliate'    => array( 'string', __( 'The affiliate it is for.', 'reftrail' ) ),
				'amount'       => array( 'integer', __( 'Amount, in minor units of the currency.', 'reftrail' ) ),
				'currency'     => array( 'string', __( 'ISO 4217 currency code.', 'reftrail' ) ),
				'reason'       => array( 'string', __( 'What it is for, shown to the affiliate.', 'reftrail' ) ),
				'status'       => array( 'string', __( 'approved (paid by the next payout), paid or cancelled.', 'reftrail' ) ),
				'payout_id'    => array( array( 'string', 'null' ), __( 'The payout that paid it.', 'reftrail' ) ),
				'created_at'   => array( 'string', __( 'Created.', 'reftrail' ) ),
				'cancelled_at' => array( array( 'string', 'null' ), __( 'When it was cancelled.', 'reftrail' ) ),
				'by'           => array( 'string', __( 'Who gave it, as the activity log names them.', 'reftrail' ) ),
			)
		);
	}
}
