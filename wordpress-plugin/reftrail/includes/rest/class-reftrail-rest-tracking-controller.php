<?php
/**
 * `POST /v1/clicks`, `POST /v1/leads`, `POST /v1/sales`, `GET /v1/sales`: what the browser and
 * the shop's backend report.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * Clicks.
 */
class Reftrail_REST_Clicks_Controller extends Reftrail_REST_Controller {

	/**
	 * Registers the route.
	 */
	public function register_routes() {
		$this->rest_base = 'clicks';
		$this->register_create_route( 'clicks' );
	}

	/**
	 * Anyone may report a click, from an allowed origin.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|WP_Error
	 */
	public function create_item_permissions_check( $request ) {
		try {
			self::check_origin( $request );
		} catch ( Reftrail_Http_Error $e ) {
			return $e->to_wp_error();
		}
		return true;
	}

	/**
	 * Records a click; with consent, sets the signed HttpOnly `rt_click` cookie.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function create_item( $request ) {
		return $this->run(
			function () use ( $request ) {
				list( $status, $body, $cookie ) = Reftrail_Tracking::click( self::body( $request ), self::client( $request ) );
				$response                       = new WP_REST_Response( $body, $status );
				if ( null !== $cookie ) {
					$response->header( 'Set-Cookie', $cookie );
				}
				return $response;
			}
		);
	}

	/**
	 * The answer's schema.
	 *
	 * @return array
	 */
	public function get_item_schema() {
		return $this->schema_of(
			'reftrail-click',
			array(
				'click_id'  => array( 'string', __( 'The click id.', 'reftrail' ) ),
				'affiliate' => array( array( 'string', 'null' ), __( 'The credited affiliate.', 'reftrail' ) ),
				'unique'    => array( 'boolean', __( "The visitor's first click on the affiliate within an hour.", 'reftrail' ) ),
				'bot'       => array( 'boolean', __( 'Whether the user agent is a known bot.', 'reftrail' ) ),
			)
		);
	}
}

/**
 * Leads and sales: reported by the page (publishable key) or by the shop's backend (secret key),
 * with the same checks and the same context.
 */
abstract class Reftrail_REST_Conversion_Controller extends Reftrail_REST_Controller {

	/**
	 * Records the report.
	 *
	 * @param array $body    The request's body.
	 * @param array $context What the request says besides its body.
	 * @return array [status, JSON text]
	 */
	abstract protected function record( array $body, array $context );

	/**
	 * A bad bearer token or origin is refused; the key in the body is checked with the body.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|WP_Error
	 */
	public function create_item_permissions_check( $request ) {
		return $this->public_permissions_check( $request );
	}

	/**
	 * Records the lead or sale; a replay of its idempotency key answers the first result.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function create_item( $request ) {
		return $this->run(
			function () use ( $request ) {
				$body              = self::body( $request );
				list( $s, $text ) = $this->record(
					$body,
					array(
						'verified'        => self::ingest_verified( $request, $body ),
						'cookie_click'    => self::cookie_click( $request ),
						'user_agent'      => (string) $request->get_header( 'user_agent' ),
						'idempotency_key' => $request->get_header( 'idempotency_key' ) ?? ( $body['idempotency_key'] ?? null ),
					)
				);
				return self::json_response( $s, $text );
			}
		);
	}
}

/**
 * Leads.
 */
class Reftrail_REST_Leads_Controller extends Reftrail_REST_Conversion_Controller {

	/**
	 * Registers the route.
	 */
	public function register_routes() {
		$this->register_create_route( 'leads' );
	}

	/**
	 * Records a lead.
	 *
	 * @param array $body    The request's body.
	 * @param array $context What the request says besides its body.
	 * @return array [status, JSON text]
	 */
	protected function record( array $body, array $context ) {
		return Reftrail_Tracking::lead( $body, $context );
	}

	/**
	 * The answer's schema.
	 *
	 * @return array
	 */
	public function get_item_schema() {
		return $this->schema_of(
			'reftrail-lead',
			array(
				'lead_id'       => array( 'string', __( 'The lead id.', 'reftrail' ) ),
				'event'         => array( 'string', __( 'What happened.', 'reftrail' ) ),
				'verified'      => array( 'boolean', __( 'Whether the secret key reported it.', 'reftrail' ) ),
				'affiliate'     => array( array( 'string', 'null' ), __( 'The credited affiliate.', 'reftrail' ) ),
				'attributed_by' => array( array( 'string', 'null' ), __( 'How the affiliate was found.', 'reftrail' ) ),
				'referral'      => array( array( 'object', 'null' ), __( 'The referral, if credited.', 'reftrail' ) ),
			)
		);
	}
}

/**
 * Sales.
 */
class Reftrail_REST_Sales_Controller extends Reftrail_REST_Conversion_Controller {

	/**
	 * Registers the routes.
	 */
	public function register_routes() {
		$this->register_create_route(
			'sales',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_items' ),
					'permission_callback' => array( $this, 'get_items_permissions_check' ),
				),
			)
		);
	}

	/**
	 * Records a sale, credits its affiliate and creates the referral.
	 *
	 * @param array $body    The request's body.
	 * @param array $context What the request says besides its body.
	 * @return array [status, JSON text]
	 */
	protected function record( array $body, array $context ) {
		return Reftrail_Tracking::sale( $body, $context );
	}

	/**
	 * Listing sales is the merchant's.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|WP_Error
	 */
	public function get_items_permissions_check( $request ) {
		return $this->merchant_permissions_check( $request );
	}

	/**
	 * Every recorded sale, attributed or not, newest first.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_items( $request ) {
		return $this->run(
			function () use ( $request ) {
				global $wpdb;
				list( $limit, $offset ) = Reftrail_Input::page( $request->get_param( 'limit' ), $request->get_param( 'offset' ) );
				list( $from, $to )      = Reftrail_Input::range( $request->get_param( 'from' ), $request->get_param( 'to' ) );
				$aff                    = (string) $request->get_param( 'affiliate' );
				$t                      = Reftrail_Db::table( 'orders' );
				$rows                   = $wpdb->get_results( $wpdb->prepare( "SELECT * FROM {$t} WHERE at >= %d AND at < %d AND (%s = '' OR affiliate_id = %s) ORDER BY at DESC, id DESC LIMIT %d OFFSET %d", $from, $to, $aff, $aff, $limit, $offset ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
				return array(
					'sales' => array_map(
						fn( $r ) => array(
							'id'            => $r['id'],
							'order_id'      => $r['order_id'],
							'at'            => Reftrail_Db::rfc3339( $r['at'] ),
							'amount'        => (int) $r['amount'],
							'currency'      => $r['currency'],
							'cost'          => null === $r['cost'] ? null : (int) $r['cost'],
							'verified'      => (bool) (int) $r['verified'],
							'affiliate'     => $r['affiliate_id'],
							'attributed_by' => $r['attributed_by'],
						),
						$rows
					),
				);
			}
		);
	}

	/**
	 * The answer's schema.
	 *
	 * @return array
	 */
	public function get_item_schema() {
		return $this->schema_of(
			'reftrail-sale',
			array(
				'sale'     => array( 'object', __( 'The recorded sale.', 'reftrail' ) ),
				'referral' => array( array( 'object', 'null' ), __( 'The referral it created, if an affiliate is credited.', 'reftrail' ) ),
			)
		);
	}
}

/**
 * Refunds.
 */
class Reftrail_REST_Refunds_Controller extends Reftrail_REST_Controller {

	/**
	 * Registers the route.
	 */
	public function register_routes() {
		$this->register_create_route( 'refunds' );
	}

	/**
	 * The merchant's.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|WP_Error
	 */
	public function create_item_permissions_check( $request ) {
		return $this->merchant_permissions_check( $request );
	}

	/**
	 * Records a refund and reverses the commission in proportion.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function create_item( $request ) {
		return $this->run(
			function () use ( $request ) {
				list( $s, $text ) = Reftrail_Tracking::refund( self::body( $request ), $request->get_header( 'idempotency_key' ), self::actor( $request ) );
				return self::json_response( $s, $text );
			}
		);
	}

	/**
	 * The answer's schema.
	 *
	 * @return array
	 */
	public function get_item_schema() {
		return $this->schema_of(
			'reftrail-refund',
			array(
				'refund'              => array( 'object', __( 'The refund.', 'reftrail' ) ),
				'commission_reversed' => array( 'integer', __( 'Commission reversed by this refund, minor units.', 'reftrail' ) ),
				'referral'            => array( array( 'object', 'null' ), __( "The order's referral after the reversal.", 'reftrail' ) ),
			)
		);
	}
}
