<?php
/**
 * Moving from another affiliate plugin on the same site: `GET /v1/migrations/affiliatewp` (what
 * AffiliateWP left in the database) and `POST /v1/migrations/affiliatewp` (its affiliates
 * imported, or only checked). WordPress only: the Rust server has no AffiliateWP and answers
 * these paths 404, which the dashboard takes as nothing to offer.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * `GET/POST /v1/migrations/affiliatewp`.
 */
class Reftrail_REST_Migrations_Controller extends Reftrail_REST_Controller {

	/**
	 * Registers the route.
	 */
	public function register_routes() {
		register_rest_route(
			$this->namespace,
			'/migrations/affiliatewp',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_item' ),
					'permission_callback' => array( $this, 'get_item_permissions_check' ),
				),
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'create_item' ),
					'permission_callback' => array( $this, 'create_item_permissions_check' ),
					'args'                => self::import_args(),
				),
				'schema' => array( $this, 'get_public_item_schema' ),
			)
		);
	}

	/**
	 * The import's query, described for the index; checked by create_item() after the caller,
	 * as the CSV import checks its own, so that a refused caller is a 401 or 403 whatever the
	 * query (WordPress's argument checks would come first).
	 *
	 * @return array
	 */
	private static function import_args() {
		$arg = fn( $description ) => array(
			'type'              => 'string',
			'enum'              => array( 'true', 'false' ),
			'description'       => $description,
			'validate_callback' => null,
			'sanitize_callback' => null,
		);
		return array(
			'dry_run' => $arg( __( 'true: check every affiliate and answer what the import would do, writing nothing (default false).', 'reftrail' ) ),
			'welcome' => $arg( __( 'true: email each new approved affiliate with an email, once the import is written, that their account has moved here (default false).', 'reftrail' ) ),
		);
	}

	/**
	 * Who may see what AffiliateWP left: the merchant.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|WP_Error
	 */
	public function get_item_permissions_check( $request ) {
		return $this->merchant_permissions_check( $request );
	}

	/**
	 * Who may import: the merchant.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|WP_Error
	 */
	public function create_item_permissions_check( $request ) {
		return $this->merchant_permissions_check( $request );
	}

	/**
	 * Whether AffiliateWP's tables are on this site, what they hold and how its links are made.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_item( $request ) {
		return $this->run( fn() => Reftrail_AffiliateWP::summary() );
	}

	/**
	 * Imports AffiliateWP's affiliates (`?dry_run=true` only checks them; `?welcome=true` emails
	 * the new approved ones), answering as `POST /v1/affiliates.csv` does.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function create_item( $request ) {
		return $this->run(
			function () use ( $request ) {
				$query = $request->get_query_params();
				$flags = array();
				foreach ( array( 'dry_run', 'welcome' ) as $name ) {
					$value = $query[ $name ] ?? 'false';
					if ( ! in_array( $value, array( 'true', 'false' ), true ) ) {
						throw Reftrail_Http_Error::bad( 'invalid_query', $name . ' must be true or false' );
					}
					$flags[ $name ] = 'true' === $value;
				}
				return Reftrail_AffiliateWP::import( $flags['dry_run'], self::actor( $request ), $flags['welcome'] );
			}
		);
	}

	/**
	 * What `GET /v1/migrations/affiliatewp` answers.
	 *
	 * @return array
	 */
	public function get_item_schema() {
		return $this->schema_of(
			'reftrail-affiliatewp-migration',
			array(
				'available'       => array( 'boolean', __( "Whether AffiliateWP's affiliates table is in this site's database (AffiliateWP itself need not be active).", 'reftrail' ) ),
				'affiliates'      => array( 'integer', __( 'How many affiliates AffiliateWP has.', 'reftrail' ) ),
				'coupons'         => array( 'integer', __( 'How many published WooCommerce coupons AffiliateWP links to its affiliates.', 'reftrail' ) ),
				'referral_var'    => array( 'string', __( "The query parameter of AffiliateWP's links (its setting; ref by default).", 'reftrail' ) ),
				'referral_format' => array( 'string', __( "What AffiliateWP's links carry: id (the affiliate's number) or username; the imported affiliates' ids are the same.", 'reftrail' ) ),
				'params_missing'  => array( 'boolean', __( "Whether the program's link parameters lack referral_var: an import adds it, so that the links affiliates already shared keep working.", 'reftrail' ) ),
			)
		);
	}
}
