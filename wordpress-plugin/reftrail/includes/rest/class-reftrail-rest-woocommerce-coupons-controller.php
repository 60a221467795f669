<?php
/**
 * An affiliate's WooCommerce coupons: `GET/POST /v1/affiliates/{id}/woocommerce-coupons`
 * (Reftrail_WooCommerce_Coupons), and the coupon each new affiliate gets:
 * `GET/PUT /v1/woocommerce-coupons/template` (Reftrail_WooCommerce_Coupon_Template). WordPress
 * only: the Rust server has no shop and answers these paths 404, which the dashboard takes as
 * nothing to offer.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * `GET/POST /v1/affiliates/{id}/woocommerce-coupons`, `GET/PUT /v1/woocommerce-coupons/template`.
 */
class Reftrail_REST_WooCommerce_Coupons_Controller extends Reftrail_REST_Controller {

	/**
	 * Registers the route.
	 */
	public function register_routes() {
		register_rest_route(
			$this->namespace,
			'/affiliates/(?P<id>[^/]+)/woocommerce-coupons',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_items' ),
					'permission_callback' => array( $this, 'get_items_permissions_check' ),
				),
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'create_item' ),
					'permission_callback' => array( $this, 'create_item_permissions_check' ),
				),
				'schema' => array( $this, 'get_public_item_schema' ),
			)
		);
		register_rest_route(
			$this->namespace,
			'/woocommerce-coupons/template',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_template' ),
					'permission_callback' => array( $this, 'merchant_permissions_check' ),
				),
				array(
					'methods'             => 'PUT',
					'callback'            => array( $this, 'update_template' ),
					'permission_callback' => array( $this, 'update_template_permissions_check' ),
				),
			)
		);
	}

	/**
	 * Who may see an affiliate's WooCommerce coupons: the merchant.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|WP_Error
	 */
	public function get_items_permissions_check( $request ) {
		return $this->merchant_permissions_check( $request );
	}

	/**
	 * Who may make one: the secret key, or a merchant user who may also publish WooCommerce's
	 * coupons (WooCommerce gives administrators and shop managers `publish_shop_coupons`); one who
	 * may only read the program, as a viewer, is refused.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|WP_Error
	 */
	public function create_item_permissions_check( $request ) {
		$allowed = $this->merchant_permissions_check( $request );
		if ( true !== $allowed ) {
			return $allowed;
		}
		$caller = self::caller( $request );
		$cap    = Reftrail_WooCommerce_Coupons::create_capability();
		// Without WooCommerce there is no capability to ask for: the route answers woocommerce_missing.
		if ( 'secret' === $caller['kind'] || null === $cap || user_can( (int) $caller['user'], $cap ) ) {
			return true;
		}
		return new WP_Error( 'role_forbidden', __( 'Making a WooCommerce coupon needs the right to publish coupons in WooCommerce.', 'reftrail' ), array( 'status' => 403 ) );
	}

	/**
	 * The published WooCommerce coupons whose code is one of the affiliate's.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_items( $request ) {
		return $this->run( fn() => Reftrail_WooCommerce_Coupons::index( (string) $request['id'] ) );
	}

	/**
	 * Makes a WooCommerce coupon for the affiliate and adds its code to theirs.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function create_item( $request ) {
		return $this->run(
			function () use ( $request ) {
				$caller = self::caller( $request );
				$made   = Reftrail_WooCommerce_Coupons::create( (string) $request['id'], self::body( $request ), self::actor( $request ), (int) ( $caller['user'] ?? 0 ) );
				return new WP_REST_Response( $made, 201 );
			}
		);
	}

	/**
	 * The coupon template (null: none), where WooCommerce is active.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_template( $request ) {
		return $this->run(
			function () {
				Reftrail_WooCommerce_Coupons::require_woocommerce();
				return array( 'template' => Reftrail_WooCommerce_Coupon_Template::get() );
			}
		);
	}

	/**
	 * Who may change the template: as for the program's settings on the server, its owner only:
	 * the secret key, or a merchant user who may manage the site (`manage_options`:
	 * administrators). The template makes coupons for whoever approves affiliates later, so a
	 * shop manager or a role that may only read the program is refused.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|WP_Error
	 */
	public function update_template_permissions_check( $request ) {
		$allowed = $this->merchant_permissions_check( $request );
		if ( true !== $allowed ) {
			return $allowed;
		}
		$caller = self::caller( $request );
		if ( 'secret' === $caller['kind'] || user_can( (int) $caller['user'], 'manage_options' ) ) {
			return true;
		}
		return new WP_Error( 'role_forbidden', __( "Only the site's administrator can change the WooCommerce coupon each new affiliate gets.", 'reftrail' ), array( 'status' => 403 ) );
	}

	/**
	 * Replaces the coupon template, or turns it off.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function update_template( $request ) {
		return $this->run( fn() => Reftrail_WooCommerce_Coupon_Template::put( self::body( $request ), self::actor( $request ) ) );
	}

	/**
	 * A coupon as the route lists it.
	 *
	 * @return array
	 */
	public function get_item_schema() {
		return $this->schema_of(
			'reftrail-woocommerce-coupon',
			array(
				'code'          => array( 'string', __( "The coupon's code, in capitals, as the affiliate's coupons hold it (WooCommerce keeps it in lower case; codes are compared whatever their case).", 'reftrail' ) ),
				'discount_type' => array( 'string', __( 'percent (a percentage of the cart) or fixed_cart (an amount off the cart), as WooCommerce stores it.', 'reftrail' ) ),
				'amount'        => array( 'string', __( "The discount as WooCommerce stores it: the percent, or the amount in the shop's currency as a decimal number (12.50, 50000).", 'reftrail' ) ),
				'usage_count'   => array( 'integer', __( 'How many orders used the coupon, as WooCommerce counts them.', 'reftrail' ) ),
				'url'           => array( 'string', __( 'Where the coupon is edited in wp-admin.', 'reftrail' ) ),
			)
		);
	}
}
