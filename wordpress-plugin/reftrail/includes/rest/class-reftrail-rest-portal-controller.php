<?php
/**
 * The portal's public routes, no credentials needed: `GET /v1/portal/program` (what the portal
 * shows before anyone signs in) and `POST /v1/portal/applications` (the "become an affiliate"
 * form, Reftrail_Applications).
 *
 * Same origin only, as the server serves them: the portal's pages are this site's own, so a
 * request that another site's page makes (an `Origin` other than this site's, the program's
 * allowed origins included) is refused before it is read, its preflight too, and no answer
 * carries CORS headers (Reftrail_REST). A signed-in WordPress user (the login cookie with its REST
 * nonce, or an application password) applies as themself.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * The portal's public routes.
 */
class Reftrail_REST_Portal_Controller extends Reftrail_REST_Controller {

	/**
	 * Registers the routes.
	 */
	public function register_routes() {
		$same_origin = array( $this, 'portal_permissions_check' );
		register_rest_route(
			$this->namespace,
			'/portal/program',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_program' ),
					'permission_callback' => $same_origin,
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/portal/applications',
			array(
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'create_item' ),
					'permission_callback' => $same_origin,
				),
				'schema' => array( $this, 'get_public_item_schema' ),
			)
		);
	}

	/**
	 * Permission of the portal's public routes: anyone from this site's own pages (a bearer token
	 * that matches nothing is still a 401).
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|WP_Error
	 */
	public function portal_permissions_check( $request ) {
		try {
			self::caller( $request );
			self::check_same_origin( $request );
		} catch ( Reftrail_Http_Error $e ) {
			return $e->to_wp_error();
		}
		return true;
	}

	/**
	 * How the program takes applications, for the portal's pages.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_program( $request ) {
		return $this->run( fn() => Reftrail_Program::public_view() );
	}

	/**
	 * Takes an application: 202 `{"status": "pending"|"approved"}`, the same for every address.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function create_item( $request ) {
		return $this->run(
			function () use ( $request ) {
				$body = self::body( $request );
				Reftrail_Input::known( $body, Reftrail_Applications::FIELDS );
				$user   = wp_get_current_user();
				$status = Reftrail_Applications::apply( $body, self::client( $request )['ip'], $user->ID ? $user : null );
				return new WP_REST_Response( array( 'status' => $status ), 202 );
			}
		);
	}

	/**
	 * The application schema.
	 *
	 * @return array
	 */
	public function get_item_schema() {
		return $this->schema_of(
			'reftrail-application',
			array(
				'name'           => array( 'string', __( 'Their name: 1 to 200 bytes.', 'reftrail' ) ),
				'email'          => array( 'string', __( 'Their email address.', 'reftrail' ) ),
				'id'             => array( array( 'string', 'null' ), __( 'The link name they want; made from the name when absent.', 'reftrail' ) ),
				'website'        => array( array( 'string', 'null' ), __( 'Their website or channel: an http(s) URL.', 'reftrail' ) ),
				'message'        => array( array( 'string', 'null' ), __( 'How they will promote the shop: at most 2,000 bytes, line breaks allowed.', 'reftrail' ) ),
				'category'       => array( 'string', __( 'One of the affiliate categories (default other).', 'reftrail' ) ),
				'terms_accepted' => array( array( 'boolean', 'null' ), __( "Whether they accept the program's terms; required when it has some.", 'reftrail' ) ),
				'recruiter'      => array( array( 'string', 'null' ), __( "The affiliate whose recruiting link brought them; kept only when it is an approved affiliate's id, never refused.", 'reftrail' ) ),
			)
		);
	}
}
