<?php
/**
 * Recruiter commissions: `GET /v1/recruiter-commissions` (the merchant: every share of a recruit's
 * commission, by recruiter, recruit and status) and `GET /v1/me/recruits` (an affiliate: the
 * program's recruiter rate, their recruits and what each of their commissions earned them).
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * The recruiter commissions' routes.
 */
class Reftrail_REST_Recruiters_Controller extends Reftrail_REST_Controller {

	/**
	 * Registers the routes.
	 */
	public function register_routes() {
		register_rest_route(
			$this->namespace,
			'/recruiter-commissions',
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
			'/me/recruits',
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
	 * The shares, newest first (`?affiliate&recruit&status&limit&offset`; all when no filter is
	 * given), with how many match the filters.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_items( $request ) {
		return $this->run(
			function () use ( $request ) {
				$affiliate = $request->get_param( 'affiliate' ) ?? '';
				$recruit   = $request->get_param( 'recruit' ) ?? '';
				$status    = $request->get_param( 'status' ) ?? '';
				$id_ok     = fn( $s ) => '' === $s || Reftrail_Cookie::is_id( $s );
				if ( ! $id_ok( $affiliate ) || ! $id_ok( $recruit ) || ! ( '' === $status || in_array( $status, Reftrail_Recruiters::STATUSES, true ) ) ) {
					throw Reftrail_Http_Error::bad( 'invalid_query', 'affiliate and recruit must be affiliate ids; status one of pending, approved, paid, rejected, reversed' );
				}
				list( $limit, $offset ) = Reftrail_Input::page( $request->get_param( 'limit' ), $request->get_param( 'offset' ) );
				return Reftrail_Recruiters::index( $affiliate, $recruit, $status, $limit, $offset );
			}
		);
	}

	/**
	 * The calling affiliate's recruits and the shares of their commissions.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_mine( $request ) {
		return $this->run( fn() => Reftrail_Recruiters::mine( self::caller( $request )['affiliate'] ) );
	}

	/**
	 * The recruiter commission schema.
	 *
	 * @return array
	 */
	public function get_item_schema() {
		return $this->schema_of(
			'reftrail-recruiter-commission',
			array(
				'id'         => array( 'string', __( 'Id.', 'reftrail' ) ),
				'affiliate'  => array( 'string', __( 'The recruiter, who earns it.', 'reftrail' ) ),
				'recruit'    => array( 'string', __( 'The recruit whose commission it is a share of.', 'reftrail' ) ),
				'referral'   => array( 'string', __( "The recruit's referral.", 'reftrail' ) ),
				'rate_bps'   => array( 'integer', __( "The program's recruiter rate when it was made, in basis points.", 'reftrail' ) ),
				'amount'     => array( 'integer', __( 'Amount as made, in minor units of the currency.', 'reftrail' ) ),
				'reversed'   => array( 'integer', __( "How much of it the recruit's refunds took back.", 'reftrail' ) ),
				'currency'   => array( 'string', __( 'ISO 4217 currency code.', 'reftrail' ) ),
				'status'     => array( 'string', __( 'pending, approved, paid, rejected or reversed, as its referral.', 'reftrail' ) ),
				'payout_id'  => array( array( 'string', 'null' ), __( 'The payout that paid it.', 'reftrail' ) ),
				'created_at' => array( 'string', __( 'Created.', 'reftrail' ) ),
			)
		);
	}
}
