<?php
/**
 * The merchant's data-subject requests: `POST /v1/privacy/export` and `POST /v1/privacy/erase`,
 * with `{"email"?, "email_hash"?, "customer_id"?}` (see Reftrail_Privacy).
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * `POST /v1/privacy/export`, `POST /v1/privacy/erase`.
 */
class Reftrail_REST_Privacy_Controller extends Reftrail_REST_Controller {

	/**
	 * Registers the routes.
	 */
	public function register_routes() {
		foreach ( array(
			'export' => 'export_item',
			'erase'  => 'erase_item',
		) as $path => $callback ) {
			register_rest_route(
				$this->namespace,
				'/privacy/' . $path,
				array(
					array(
						'methods'             => WP_REST_Server::CREATABLE,
						'callback'            => array( $this, $callback ),
						'permission_callback' => array( $this, 'merchant_permissions_check' ),
					),
					'schema' => array( $this, 'get_public_item_schema' ),
				)
			);
		}
	}

	/**
	 * What the program holds about the customer.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function export_item( $request ) {
		return $this->run( fn() => Reftrail_Privacy::export( Reftrail_Privacy::subject( self::body( $request ) ) ) );
	}

	/**
	 * Erases the customer; the shop's orders, referrals and affiliate accounts stay.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function erase_item( $request ) {
		return $this->run( fn() => Reftrail_Privacy::erase( Reftrail_Privacy::subject( self::body( $request ) ) ) );
	}

	/**
	 * The request's schema.
	 *
	 * @return array
	 */
	public function get_item_schema() {
		return $this->schema_of(
			'reftrail-privacy-request',
			array(
				'email'       => array( 'string', __( "The customer's email address.", 'reftrail' ) ),
				'email_hash'  => array( 'string', __( "SHA-256 of the customer's trimmed, lower-cased email address, in hex.", 'reftrail' ) ),
				'customer_id' => array( 'string', __( "The shop's id of the customer.", 'reftrail' ) ),
			)
		);
	}
}
