<?php
/**
 * The activity log: `GET /v1/activity` (the merchant), who did what to affiliates, referrals,
 * refunds, creatives, payouts, bonuses, keys and deliveries, newest first.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * `GET /v1/activity`.
 */
class Reftrail_REST_Activity_Controller extends Reftrail_REST_Controller {

	/**
	 * Registers the route.
	 */
	public function register_routes() {
		register_rest_route(
			$this->namespace,
			'/activity',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_items' ),
					'permission_callback' => array( $this, 'merchant_permissions_check' ),
				),
			)
		);
	}

	/**
	 * The log, newest first (`?affiliate&action&limit&offset`): the entries concerning one
	 * affiliate, of one action or family of actions (`referral.`).
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_items( $request ) {
		return $this->run(
			function () use ( $request ) {
				foreach ( array( 'affiliate', 'action' ) as $name ) {
					if ( is_array( $request->get_param( $name ) ) ) {
						throw Reftrail_Http_Error::bad( 'invalid_query', $name . ' must be given once, as text' );
					}
				}
				$action = $request->get_param( 'action' );
				if ( null !== $action && ! Reftrail_Activity::is_filter( $action ) ) {
					throw Reftrail_Http_Error::bad( 'invalid_action', 'action must be one of ' . implode( ', ', Reftrail_Activity::ACTIONS ) . ', or a family: affiliate., referral., refund., creative., payout., bonus., key., member., team., delivery., woocommerce_coupon_template., woocommerce_coupon.' );
				}
				list( $limit, $offset ) = Reftrail_Input::page( $request->get_param( 'limit' ), $request->get_param( 'offset' ) );
				$affiliate              = $request->get_param( 'affiliate' );
				return array( 'activity' => Reftrail_Activity::index( null === $affiliate ? null : (string) $affiliate, $action, $limit, $offset ) );
			}
		);
	}
}
