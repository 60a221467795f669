<?php
/**
 * The merchant's routes: affiliates, referrals (also as CSV) and their review, balances and payouts
 * (with the PayPal CSV), the program settings and the reports; and the affiliate's `/v1/me`.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * `GET/POST /v1/affiliates`, `GET/POST /v1/affiliates.csv`, `GET/PATCH /v1/affiliates/{id}`,
 * `POST /v1/affiliates/{id}/token`.
 */
class Reftrail_REST_Affiliates_Controller extends Reftrail_REST_Controller {

	/**
	 * Registers the routes.
	 */
	public function register_routes() {
		$merchant = array( $this, 'merchant_permissions_check' );
		register_rest_route(
			$this->namespace,
			'/affiliates',
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
			'/affiliates\.csv',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_csv' ),
					'permission_callback' => $merchant,
				),
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'import_csv' ),
					'permission_callback' => $merchant,
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/affiliates/(?P<id>[^/]+)',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_item' ),
					'permission_callback' => $merchant,
				),
				array(
					'methods'             => 'PATCH',
					'callback'            => array( $this, 'update_item' ),
					'permission_callback' => $merchant,
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/affiliates/(?P<id>[^/]+)/token',
			array(
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'create_token' ),
					'permission_callback' => $merchant,
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/affiliates/(?P<id>[^/]+)/daily',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_daily' ),
					'permission_callback' => $merchant,
				),
			)
		);
	}

	/**
	 * An affiliate's figures per day (`?from&to&campaign`), as `GET /v1/me/daily` answers them to
	 * the affiliate.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_daily( $request ) {
		return $this->run(
			function () use ( $request ) {
				$id = (string) $request['id'];
				Reftrail_Affiliates::get( $id );
				return Reftrail_Reports::daily_answer( $id, $request->get_param( 'from' ), $request->get_param( 'to' ), $request->get_param( 'campaign' ) );
			}
		);
	}

	/**
	 * Lists affiliates (`?status&category&email&q&limit&offset`; `email` compared whatever its
	 * case, so that the merchant finds an applicant by the address they gave; `q` a piece of their
	 * id, name, email or a coupon code, whatever its case and Latin accents).
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_items( $request ) {
		return $this->run(
			function () use ( $request ) {
				list( $limit, $offset ) = Reftrail_Input::page( $request->get_param( 'limit' ), $request->get_param( 'offset' ) );
				$status                 = (string) $request->get_param( 'status' );
				$category               = (string) $request->get_param( 'category' );
				if ( ( '' !== $status && ! in_array( $status, Reftrail_Affiliates::STATUSES, true ) ) || ( '' !== $category && ! in_array( $category, Reftrail_Affiliates::CATEGORIES, true ) ) ) {
					throw Reftrail_Http_Error::bad( 'invalid_query', 'unknown status or category' );
				}
				$email = $request->get_param( 'email' ) ?? '';
				if ( ! is_string( $email ) || strlen( $email ) > 254 ) {
					throw Reftrail_Http_Error::bad( 'invalid_query', 'email must be given once, at most 254 bytes' );
				}
				return Reftrail_Affiliates::index( $status, $category, $limit, $offset, $email, Reftrail_Affiliates::search_text( $request->get_param( 'q' ) ) );
			}
		);
	}

	/**
	 * The affiliates as a CSV download (`GET /v1/affiliates.csv`), with the list's filters
	 * `status` and `category`, without paging.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_csv( $request ) {
		return $this->run(
			function () use ( $request ) {
				$status   = $request->get_param( 'status' ) ?? '';
				$category = $request->get_param( 'category' ) ?? '';
				if ( ! is_string( $status ) || ! is_string( $category ) || ( '' !== $status && ! in_array( $status, Reftrail_Affiliates::STATUSES, true ) ) || ( '' !== $category && ! in_array( $category, Reftrail_Affiliates::CATEGORIES, true ) ) ) {
					throw Reftrail_Http_Error::bad( 'invalid_query', 'unknown status or category' );
				}
				$r = new WP_REST_Response( Reftrail_Affiliates_Csv::export( $status, $category ), 200 );
				$r->header( 'Content-Type', 'text/csv; charset=utf-8' );
				$r->header( 'Content-Disposition', 'attachment; filename="affiliates.csv"' );
				return $r;
			}
		);
	}

	/**
	 * Imports a CSV file of affiliates (`POST /v1/affiliates.csv[?dry_run=true][&id_column=]
	 * [&welcome=true]`): the body is the file, whatever its content type, at most 4 MiB;
	 * `id_column` names the column of link names (default `id`; AffiliateWP's `Username` or
	 * `Affiliate ID`); `welcome` emails the new approved affiliates that their account moved here.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function import_csv( $request ) {
		return $this->run(
			function () use ( $request ) {
				$query     = $request->get_query_params();
				$dry_run   = $query['dry_run'] ?? 'false';
				$id_column = $query['id_column'] ?? 'id';
				$welcome   = $query['welcome'] ?? 'false';
				foreach ( array(
					'dry_run' => $dry_run,
					'welcome' => $welcome,
				) as $name => $value ) {
					if ( ! in_array( $value, array( 'true', 'false' ), true ) ) {
						throw Reftrail_Http_Error::bad( 'invalid_query', $name . ' must be true or false' );
					}
				}
				$file = (string) $request->get_body();
				// PHP drops a body over post_max_size: its announced length tells it was too large.
				if ( strlen( $file ) > Reftrail_Affiliates_Csv::MAX_BYTES || (int) $request->get_header( 'content_length' ) > Reftrail_Affiliates_Csv::MAX_BYTES ) {
					throw new Reftrail_Http_Error( 413, 'payload_too_large', 'the file is larger than 4 MiB: import it in parts' );
				}
				$id_column = is_string( $id_column ) ? Reftrail_Affiliates_Csv::column_name( $id_column ) : '';
				if ( '' === $id_column || strlen( $id_column ) > 64 ) {
					throw Reftrail_Http_Error::bad( 'invalid_query', 'id_column must name a column of the file' );
				}
				return Reftrail_Affiliates_Csv::import( $file, 'true' === $dry_run, self::actor( $request ), $id_column, 'true' === $welcome );
			}
		);
	}

	/**
	 * Creates an affiliate; answers it and its portal token once, with `Location`.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function create_item( $request ) {
		return $this->run(
			function () use ( $request ) {
				$made = Reftrail_Affiliates::create( self::body( $request ), self::actor( $request ) );
				$r    = new WP_REST_Response( $made, 201 );
				$r->header( 'Location', '/v1/affiliates/' . $made['affiliate']['id'] );
				return $r;
			}
		);
	}

	/**
	 * One affiliate.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_item( $request ) {
		return $this->run( fn() => Reftrail_Affiliates::get( (string) $request['id'] ) );
	}

	/**
	 * Changes an affiliate.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function update_item( $request ) {
		return $this->run( fn() => Reftrail_Affiliates::update( (string) $request['id'], self::body( $request ), self::actor( $request ) ) );
	}

	/**
	 * A new portal token; the old one stops working.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function create_token( $request ) {
		return $this->run(
			function () use ( $request ) {
				$id = (string) $request['id'];
				Reftrail_Affiliates::get( $id );
				return new WP_REST_Response(
					array(
						'affiliate' => $id,
						'token'     => Reftrail_Affiliates::new_token( $id, self::actor( $request ) ),
					),
					201
				);
			}
		);
	}

	/**
	 * The affiliate schema.
	 *
	 * @return array
	 */
	public function get_item_schema() {
		return $this->schema_of(
			'reftrail-affiliate',
			array(
				'id'                 => array( 'string', __( 'The id used in links.', 'reftrail' ) ),
				'name'               => array( 'string', __( 'Name.', 'reftrail' ) ),
				'email'              => array( array( 'string', 'null' ), __( 'Contact email.', 'reftrail' ) ),
				'payout_email'       => array( array( 'string', 'null' ), __( 'PayPal email.', 'reftrail' ) ),
				'payout'             => array( array( 'object', 'null' ), __( 'Bank-transfer details instead of PayPal: method (vietqr or promptpay), bank (VietQR: the NAPAS BIN), account, name.', 'reftrail' ) ),
				'withholding_exempt' => array( 'boolean', __( "Paid in full, whatever the program's withholding rules say.", 'reftrail' ) ),
				'tax_id'             => array( array( 'string', 'null' ), __( "Their tax id, as the shop's withholding filing names them.", 'reftrail' ) ),
				'payee_type'         => array( array( 'string', 'null' ), __( 'person or company: which form the tax withheld from them is filed on (in Thailand, ภ.ง.ด.3 or ภ.ง.ด.53).', 'reftrail' ) ),
				'address'            => array( array( 'string', 'null' ), __( 'Their postal address, in one line, as withholding tax certificates name them.', 'reftrail' ) ),
				'category'           => array( 'string', __( 'Category.', 'reftrail' ) ),
				'status'             => array( 'string', __( 'approved, pending or suspended.', 'reftrail' ) ),
				'commission'         => array( array( 'object', 'null' ), __( 'Commission overrides.', 'reftrail' ) ),
				'coupons'            => array( 'array', __( 'Coupon codes that credit this affiliate.', 'reftrail' ) ),
				'recruiter'          => array( array( 'string', 'null' ), __( "The affiliate who recruited them, who earns the program's recruiter rate of their commissions; null for none.", 'reftrail' ) ),
				'created_at'         => array( 'string', __( 'Created.', 'reftrail' ) ),
				'application'        => array( array( 'object', 'null' ), __( 'What they wrote when they applied through the public form: website, message, terms_url (the terms they accepted), applied_at; null for affiliates the merchant added.', 'reftrail' ) ),
			)
		);
	}
}

/**
 * `GET /v1/referrals[.csv]`, `GET /v1/referrals/{id}`, `POST /v1/referrals/{id}/{approve,reject}`.
 */
class Reftrail_REST_Referrals_Controller extends Reftrail_REST_Controller {

	/**
	 * Registers the routes.
	 */
	public function register_routes() {
		$merchant = array( $this, 'merchant_permissions_check' );
		register_rest_route(
			$this->namespace,
			'/referrals',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_items' ),
					'permission_callback' => $merchant,
				),
				'schema' => array( $this, 'get_public_item_schema' ),
			)
		);
		register_rest_route(
			$this->namespace,
			'/referrals\.csv',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_csv' ),
					'permission_callback' => $merchant,
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/referrals/(?P<id>[^/]+)',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_item' ),
					'permission_callback' => $merchant,
				),
			)
		);
		foreach ( array( 'approve', 'reject' ) as $action ) {
			register_rest_route(
				$this->namespace,
				'/referrals/(?P<id>[^/]+)/' . $action,
				array(
					array(
						'methods'             => WP_REST_Server::CREATABLE,
						'callback'            => array( $this, $action . '_item' ),
						'permission_callback' => $merchant,
					),
				)
			);
		}
	}

	/**
	 * The filters of the ledger (`status`, `affiliate`, `campaign`, `flagged`, `verified`, `from`,
	 * `to`), checked: a campaign given is 1 to 256 bytes without control characters, as a click's.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return array As Reftrail_Ledger::index() takes them, without paging.
	 * @throws Reftrail_Http_Error 400 invalid_query or invalid_range.
	 */
	private static function filters( WP_REST_Request $request ) {
		foreach ( array( 'status', 'affiliate', 'campaign', 'flagged', 'verified', 'from', 'to' ) as $name ) {
			if ( is_array( $request->get_param( $name ) ) ) {
				throw Reftrail_Http_Error::bad( 'invalid_query', $name . ' must be given once, as text' );
			}
		}
		$status = (string) $request->get_param( 'status' );
		if ( '' !== $status && ! in_array( $status, Reftrail_Ledger::STATUSES, true ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_query', 'status must be pending, approved, paid, rejected or reversed' );
		}
		$campaign = $request->get_param( 'campaign' );
		if ( null !== $campaign && ! Reftrail_Input::text( $campaign, Reftrail_Tracking::MAX_TAG_VALUE ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_query', 'campaign must be 1 to 256 bytes without control characters' );
		}
		$flagged = $request->get_param( 'flagged' );
		if ( null !== $flagged && ! in_array( $flagged, array( 'true', 'false' ), true ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_query', 'flagged must be true or false' );
		}
		$verified = $request->get_param( 'verified' );
		if ( null !== $verified && ! in_array( $verified, array( 'true', 'false' ), true ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_query', 'verified must be true or false' );
		}
		list( $from, $to ) = Reftrail_Input::range( $request->get_param( 'from' ), $request->get_param( 'to' ) );
		return array(
			'status'    => $status,
			'affiliate' => (string) $request->get_param( 'affiliate' ),
			'campaign'  => $campaign,
			'flagged'   => null === $flagged ? null : 'true' === $flagged,
			'verified'  => null === $verified ? null : 'true' === $verified,
			'from'      => $from,
			'to'        => $to,
		);
	}

	/**
	 * The ledger, newest first (approving those whose hold ended first).
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_items( $request ) {
		return $this->run(
			function () use ( $request ) {
				list( $limit, $offset ) = Reftrail_Input::page( $request->get_param( 'limit' ), $request->get_param( 'offset' ) );
				$q                      = self::filters( $request );
				Reftrail_Ledger::approve_due();
				$q['limit']  = $limit;
				$q['offset'] = $offset;
				return array(
					'referrals' => Reftrail_Ledger::index( $q ),
					'total'     => Reftrail_Ledger::count( $q ),
				);
			}
		);
	}

	/**
	 * The ledger as a CSV download (`GET /v1/referrals.csv`): the list's filters without paging,
	 * in the list's order (approving those whose hold ended first).
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_csv( $request ) {
		return $this->run(
			function () use ( $request ) {
				if ( null !== $request->get_param( 'limit' ) || null !== $request->get_param( 'offset' ) ) {
					throw Reftrail_Http_Error::bad( 'invalid_query', 'the export has no pages: leave out limit and offset' );
				}
				$q = self::filters( $request );
				Reftrail_Ledger::approve_due();
				$r = new WP_REST_Response( Reftrail_Ledger::referrals_csv( $q ), 200 );
				$r->header( 'Content-Type', 'text/csv; charset=utf-8' );
				$r->header( 'Content-Disposition', 'attachment; filename="referrals.csv"' );
				return $r;
			}
		);
	}

	/**
	 * One referral.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_item( $request ) {
		return $this->run( fn() => Reftrail_Ledger::view( (string) $request['id'] ) );
	}

	/**
	 * Approves by hand.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function approve_item( $request ) {
		return $this->run( fn() => Reftrail_Ledger::approve( (string) $request['id'], self::actor( $request ) ) );
	}

	/**
	 * Rejects; the optional body is `{"reason"}`.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function reject_item( $request ) {
		return $this->run(
			function () use ( $request ) {
				$body = self::body( $request, true );
				Reftrail_Input::known( $body, array( 'reason' ) );
				Reftrail_Input::check_note( $body, 'reason', 'invalid_reason' );
				return Reftrail_Ledger::reject( (string) $request['id'], self::actor( $request ), $body['reason'] ?? null );
			}
		);
	}

	/**
	 * The referral schema.
	 *
	 * @return array
	 */
	public function get_item_schema() {
		return $this->schema_of(
			'reftrail-referral',
			array(
				'id'             => array( 'string', __( 'Id.', 'reftrail' ) ),
				'kind'           => array( 'string', __( 'sale or lead.', 'reftrail' ) ),
				'affiliate'      => array( 'string', __( 'The credited affiliate.', 'reftrail' ) ),
				'order_id'       => array( array( 'string', 'null' ), __( "The shop's order id.", 'reftrail' ) ),
				'event'          => array( array( 'string', 'null' ), __( "The lead's event.", 'reftrail' ) ),
				'at'             => array( 'string', __( 'When.', 'reftrail' ) ),
				'amount'         => array( 'integer', __( 'Order amount, minor units.', 'reftrail' ) ),
				'currency'       => array( 'string', __( 'ISO 4217 code.', 'reftrail' ) ),
				'commission'     => array( 'integer', __( 'Commission first owed.', 'reftrail' ) ),
				'commission_net' => array( 'integer', __( 'Commission now owed.', 'reftrail' ) ),
				'status'         => array( 'string', __( 'pending, approved, paid, rejected, reversed.', 'reftrail' ) ),
				'verified'       => array( 'boolean', __( 'Whether a backend reported it.', 'reftrail' ) ),
				'attributed_by'  => array( 'string', __( 'How the affiliate was found.', 'reftrail' ) ),
				'campaign'       => array( array( 'string', 'null' ), __( 'The campaign of what credited it: the click or the touch, or the referral a renewal or a returning customer follows.', 'reftrail' ) ),
				'flags'          => array( 'array', __( 'Fraud signals.', 'reftrail' ) ),
				'hold_until'     => array( 'string', __( 'When the hold ends.', 'reftrail' ) ),
				'payout_id'      => array( array( 'string', 'null' ), __( 'The payout that paid it.', 'reftrail' ) ),
			)
		);
	}
}

/**
 * `GET /v1/balances`, `GET/POST /v1/payouts`, `GET /v1/payouts/{id}[.csv]`,
 * `POST /v1/payouts/{id}/sent`, `GET /v1/reports/withholding.csv`,
 * `GET /v1/reports/withholding/certificates`.
 */
class Reftrail_REST_Payouts_Controller extends Reftrail_REST_Controller {

	/**
	 * Registers the routes.
	 */
	public function register_routes() {
		$merchant = array( $this, 'merchant_permissions_check' );
		register_rest_route(
			$this->namespace,
			'/balances',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => fn( $r ) => $this->run( fn() => array( 'balances' => Reftrail_Ledger::balances( (string) $r->get_param( 'affiliate' ) ) ) ),
					'permission_callback' => $merchant,
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/payouts',
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
			)
		);
		register_rest_route(
			$this->namespace,
			'/payouts/(?P<id>[A-Za-z0-9_]+?)(?P<csv>\.csv)?',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_item' ),
					'permission_callback' => $merchant,
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/payouts/(?P<id>[^/]+)/sent',
			array(
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'mark_sent' ),
					'permission_callback' => $merchant,
					'args'                => self::mark_sent_args(),
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/reports/withholding\.csv',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_withholding_csv' ),
					'permission_callback' => $merchant,
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/reports/withholding/certificates',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_certificates' ),
					'permission_callback' => $merchant,
				),
			)
		);
	}

	/**
	 * The body of `POST /v1/payouts/{id}/sent`, described for the REST index. affiliate, currency
	 * and sent are required, fee is optional, and no other field is accepted; mark_sent() checks
	 * them after the caller, as the server does, so a refused caller is a 401 or 403 and a bad body
	 * a 400 `invalid_body` or `invalid_fee` (WordPress's own argument checks would come first and
	 * answer another code).
	 *
	 * @return array
	 */
	private static function mark_sent_args() {
		$arg = fn( $type, $description ) => array(
			'type'              => $type,
			'description'       => $description,
			'validate_callback' => null,
			'sanitize_callback' => null,
		);
		return array(
			'affiliate' => $arg( 'string', __( "The line's affiliate (required).", 'reftrail' ) ),
			'currency'  => $arg( 'string', __( "The line's currency (required).", 'reftrail' ) ),
			'sent'      => $arg( 'boolean', __( 'true: the transfer was sent (the first time marked is kept); false: not yet (required).', 'reftrail' ) ),
			'fee'       => $arg( 'integer', __( "With sent true: what the transfer cost, in minor units of the line's currency (replaces the line's fee; left out, the fee is kept). Marking it not sent clears the fee.", 'reftrail' ) ),
		);
	}

	/**
	 * Payouts, newest first.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_items( $request ) {
		return $this->run(
			function () use ( $request ) {
				list( $limit, $offset ) = Reftrail_Input::page( $request->get_param( 'limit' ), $request->get_param( 'offset' ) );
				return array( 'payouts' => Reftrail_Ledger::payouts( $limit, $offset ) );
			}
		);
	}

	/**
	 * Batches approved commissions into a payout.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function create_item( $request ) {
		return $this->run(
			function () use ( $request ) {
				$body = self::body( $request, true );
				Reftrail_Input::known( $body, array( 'currency', 'affiliates', 'note' ) );
				Reftrail_Input::types(
					$body,
					array(
						'currency'   => 'string',
						'affiliates' => 'array',
						'note'       => 'string',
					)
				);
				if ( isset( $body['currency'] ) && ! Reftrail_Input::currency( $body['currency'] ) ) {
					throw Reftrail_Http_Error::bad( 'invalid_currency', 'currency must be an ISO 4217 code' );
				}
				if ( isset( $body['affiliates'] ) && ( count( $body['affiliates'] ) > 1000 || count( array_filter( $body['affiliates'], array( 'Reftrail_Cookie', 'is_id' ) ) ) !== count( $body['affiliates'] ) ) ) {
					throw Reftrail_Http_Error::bad( 'invalid_affiliates', 'affiliates must be at most 1000 affiliate ids' );
				}
				Reftrail_Input::check_note( $body, 'note', 'invalid_note' );
				$idem = Reftrail_Tracking::idem_key( $request->get_header( 'idempotency_key' ) );
				$hash = hash( 'sha256', (string) wp_json_encode( $body ) );
				if ( null !== $idem ) {
					$r = Reftrail_Tracking::replay( 'payout', $idem, $hash, true );
					if ( null !== $r ) {
						return self::json_response( 200, $r );
					}
				}
				$view = Reftrail_Ledger::create_payout( $body, self::actor( $request ) );
				if ( null !== $idem ) {
					Reftrail_Tracking::remember( 'payout', $idem, $hash, wp_json_encode( $view ) );
				}
				return new WP_REST_Response( $view, 201 );
			}
		);
	}

	/**
	 * Marks one line's transfer as sent, or not, and what it cost (`{"affiliate", "currency",
	 * "sent", "fee"?}`); answers the whole payout, as `GET /v1/payouts/{id}` does.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function mark_sent( $request ) {
		return $this->run(
			function () use ( $request ) {
				$body = self::body( $request );
				Reftrail_Input::known( $body, array( 'affiliate', 'currency', 'sent', 'fee' ) );
				foreach ( array( 'affiliate', 'currency', 'sent' ) as $k ) {
					if ( ! isset( $body[ $k ] ) ) {
						throw Reftrail_Http_Error::bad( 'invalid_body', sprintf( 'missing field `%s`', $k ) );
					}
				}
				Reftrail_Input::types(
					$body,
					array(
						'affiliate' => 'string',
						'currency'  => 'string',
						'sent'      => 'bool',
					)
				);
				// A null fee is no fee, as the server reads it: the line keeps its own.
				$fee = $body['fee'] ?? null;
				if ( null !== $fee && ( ! Reftrail_Input::amount( $fee ) || ! $body['sent'] ) ) {
					throw Reftrail_Http_Error::bad( 'invalid_fee', 'fee must be a whole number of minor units, 0 or more, given with sent: true' );
				}
				return Reftrail_Ledger::mark_sent( (string) $request['id'], $body['affiliate'], $body['currency'], $body['sent'], self::actor( $request ), $fee );
			}
		);
	}

	/**
	 * The tax withheld from the payouts of a period (`?from&to`, as the reports take them), as a
	 * CSV download for the shop's filing: one row per affiliate and currency.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_withholding_csv( $request ) {
		return $this->run(
			function () use ( $request ) {
				list( $from, $to ) = self::period( $request );
				$r                 = new WP_REST_Response( Reftrail_Ledger::withholding_csv( $from, $to ), 200 );
				$r->header( 'Content-Type', 'text/csv; charset=utf-8' );
				$r->header( 'Content-Disposition', 'attachment; filename="withholding.csv"' );
				return $r;
			}
		);
	}

	/**
	 * Every affiliate's withholding tax certificates for the payouts of a period (`?from&to`, as
	 * the reports take them), or one affiliate's (`&affiliate`): what the shop paid each of them
	 * and the tax it withheld, with the payer and the payee, for the dashboard to print.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_certificates( $request ) {
		return $this->run(
			function () use ( $request ) {
				$affiliate = $request->get_param( 'affiliate' );
				if ( null !== $affiliate && ! Reftrail_Cookie::is_id( $affiliate ) ) {
					throw Reftrail_Http_Error::bad( 'invalid_affiliate', "affiliate must be 1 to 64 letters, digits, '-', '_' or '.'" );
				}
				list( $from, $to ) = self::period( $request );
				return self::certificates( $from, $to, (string) $affiliate );
			}
		);
	}

	/**
	 * One payout as JSON, or with `.csv` the PayPal mass payment file.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_item( $request ) {
		return $this->run(
			function () use ( $request ) {
				$p = Reftrail_Ledger::payout( (string) $request['id'] );
				if ( empty( $request['csv'] ) ) {
					return $p;
				}
				$r = new WP_REST_Response( Reftrail_Ledger::paypal_csv( $p ), 200 );
				$r->header( 'Content-Type', 'text/csv; charset=utf-8' );
				$r->header( 'Content-Disposition', 'attachment; filename="' . $p['id'] . '.csv"' );
				return $r;
			}
		);
	}
}

/**
 * `GET/PUT /v1/program`, `GET /v1/program/changes`.
 */
class Reftrail_REST_Program_Controller extends Reftrail_REST_Controller {

	/**
	 * Registers the routes.
	 */
	public function register_routes() {
		register_rest_route(
			$this->namespace,
			'/program',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => fn() => $this->run( fn() => array_merge( Reftrail_Program::get(), array( 'webhook_secret' => (string) get_option( Reftrail_Keys::WEBHOOK, '' ) ) ) ),
					'permission_callback' => array( $this, 'merchant_permissions_check' ),
				),
				array(
					'methods'             => 'PUT',
					'callback'            => fn( $r ) => $this->run( fn() => array_merge( Reftrail_Program::put( self::body( $r ), self::actor( $r ) ), array( 'webhook_secret' => (string) get_option( Reftrail_Keys::WEBHOOK, '' ) ) ) ),
					'permission_callback' => array( $this, 'merchant_permissions_check' ),
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/program/changes',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_changes' ),
					'permission_callback' => array( $this, 'merchant_permissions_check' ),
				),
			)
		);
	}

	/**
	 * The history of the program's settings, newest first (`?limit&offset`, 50 by default).
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_changes( $request ) {
		return $this->run(
			function () use ( $request ) {
				list( $limit, $offset ) = Reftrail_Input::page( $request->get_param( 'limit' ), $request->get_param( 'offset' ), 50 );
				return array( 'changes' => Reftrail_Program::changes( $limit, $offset ) );
			}
		);
	}
}

/**
 * `GET /v1/reports/{summary,timeseries,affiliates,categories,creatives,campaigns}`,
 * `GET /v1/me/reports/creatives` (an affiliate's own traffic on the active creatives) and
 * `GET /v1/me/campaigns` (an affiliate's own rows of the campaigns report).
 */
class Reftrail_REST_Reports_Controller extends Reftrail_REST_Controller {

	/**
	 * Registers the routes.
	 */
	public function register_routes() {
		foreach ( array(
			'summary'    => 'all',
			'timeseries' => 'day',
			'affiliates' => 'affiliate',
			'categories' => 'category',
		) as $name => $group ) {
			register_rest_route(
				$this->namespace,
				'/reports/' . $name,
				array(
					array(
						'methods'             => WP_REST_Server::READABLE,
						'callback'            => function ( $request ) use ( $group ) {
							return $this->run(
								function () use ( $request, $group ) {
									list( $from, $to ) = Reftrail_Input::range( $request->get_param( 'from' ), $request->get_param( 'to' ) );
									return 'all' === $group ? Reftrail_Reports::summary( $from, $to ) : Reftrail_Reports::grouped( $group, $from, $to, $request->get_param( 'sort' ), $request->get_param( 'limit' ) );
								}
							);
						},
						'permission_callback' => array( $this, 'merchant_permissions_check' ),
					),
				)
			);
		}
		// The merchant's report of every creative, and the affiliate's of their own traffic.
		$this->register_report_pair(
			'/reports/creatives',
			'/me/reports/creatives',
			fn( $request, $from, $to, $own ) => Reftrail_Reports::creatives( $from, $to, $own ?? '' )
		);
		// Which links sell, per affiliate and campaign: the merchant's (every affiliate's, or one's)
		// and the affiliate's own, whatever `affiliate` they send.
		$this->register_report_pair(
			'/reports/campaigns',
			'/me/campaigns',
			fn( $request, $from, $to, $own ) => Reftrail_Reports::campaigns( $from, $to, $own ?? self::affiliate_filter( $request ), self::limit( $request ) )
		);
	}

	/**
	 * Registers a report the merchant reads (at `$merchant`) and an affiliate reads of their own
	 * (at `$own`, whatever affiliate they name).
	 *
	 * @param string   $merchant The merchant's route.
	 * @param string   $own      The affiliate's route.
	 * @param callable $report   fn( $request, $from, $to, $affiliate ): the report, where
	 *                           `$affiliate` is the calling affiliate's id on `$own`, null on
	 *                           `$merchant`.
	 */
	private function register_report_pair( $merchant, $own, callable $report ) {
		foreach ( array(
			$merchant => false,
			$own      => true,
		) as $route => $is_own ) {
			register_rest_route(
				$this->namespace,
				$route,
				array(
					array(
						'methods'             => WP_REST_Server::READABLE,
						'callback'            => function ( $request ) use ( $is_own, $report ) {
							return $this->run(
								function () use ( $request, $is_own, $report ) {
									list( $from, $to ) = self::period( $request );
									return $report( $request, $from, $to, $is_own ? self::caller( $request )['affiliate'] : null );
								}
							);
						},
						'permission_callback' => array( $this, $is_own ? 'affiliate_permissions_check' : 'merchant_permissions_check' ),
					),
				)
			);
		}
	}

	/**
	 * The campaigns report's `affiliate` filter: '' for every affiliate, else an affiliate id
	 * (an unknown one has no rows).
	 *
	 * @param WP_REST_Request $request Request.
	 * @return string
	 * @throws Reftrail_Http_Error 400 invalid_query.
	 */
	private static function affiliate_filter( WP_REST_Request $request ) {
		$a = $request->get_param( 'affiliate' );
		if ( null === $a ) {
			return '';
		}
		if ( ! Reftrail_Cookie::is_id( $a ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_query', "affiliate must be 1 to 64 letters, digits, '-', '_' or '.'" );
		}
		return $a;
	}

	/**
	 * The campaigns report's `limit`: 1 to 1000, default 100.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return int
	 * @throws Reftrail_Http_Error 400 invalid_query.
	 */
	private static function limit( WP_REST_Request $request ) {
		$l = $request->get_param( 'limit' );
		if ( null === $l ) {
			return 100;
		}
		$n = is_string( $l ) && ctype_digit( $l ) ? (int) $l : 0;
		if ( $n < 1 || $n > 1000 ) {
			throw Reftrail_Http_Error::bad( 'invalid_query', 'limit must be 1 to 1000' );
		}
		return $n;
	}
}

/**
 * `GET /v1/me`, `GET /v1/me/report`, `GET /v1/me/daily`, `GET /v1/me/payouts`,
 * `GET /v1/me/withholding/certificates`: the signed-in affiliate's own figures; `PATCH /v1/me`: what they may change about themselves
 * (the email about each new referral, on or off, where their payouts go, their postal address).
 */
class Reftrail_REST_Me_Controller extends Reftrail_REST_Controller {

	/**
	 * Registers the routes.
	 */
	public function register_routes() {
		register_rest_route(
			$this->namespace,
			'/me',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_item' ),
					'permission_callback' => array( $this, 'get_item_permissions_check' ),
				),
				array(
					'methods'             => 'PATCH',
					'callback'            => array( $this, 'update_item' ),
					'permission_callback' => array( $this, 'get_item_permissions_check' ),
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/me/report',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_report' ),
					'permission_callback' => array( $this, 'get_item_permissions_check' ),
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/me/daily',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_daily' ),
					'permission_callback' => array( $this, 'get_item_permissions_check' ),
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/me/payouts',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_payouts' ),
					'permission_callback' => array( $this, 'get_item_permissions_check' ),
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/me/withholding/certificates',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_certificates' ),
					'permission_callback' => array( $this, 'get_item_permissions_check' ),
				),
			)
		);
	}

	/**
	 * Only an affiliate.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|WP_Error
	 */
	public function get_item_permissions_check( $request ) {
		return $this->affiliate_permissions_check( $request );
	}

	/**
	 * The affiliate's profile, links and balances.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_item( $request ) {
		return $this->run( fn() => self::me( self::caller( $request )['affiliate'] ) );
	}

	/**
	 * Changes what the affiliate may change about themselves, the fields given: the email about
	 * each new referral (`referral_emails`), their PayPal email (`payout_email`), their bank
	 * details (`payout`) and their postal address (`address`); answers as `GET /v1/me` does.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function update_item( $request ) {
		return $this->run(
			function () use ( $request ) {
				$id = self::caller( $request )['affiliate'];
				Reftrail_Affiliates::update_own( $id, self::body( $request ), Reftrail_Activity::by_affiliate( $id ) );
				return self::me( $id );
			}
		);
	}

	/**
	 * The profile of affiliate `$id`, as `GET /v1/me` answers it.
	 *
	 * @param string $id Affiliate.
	 * @return array
	 * @throws Reftrail_Http_Error 404.
	 */
	private static function me( $id ) {
		$program   = Reftrail_Program::get();
		$p         = $program['params'][0] ?? 'ref';
		$home      = home_url( '/' );
		$affiliate = Reftrail_Affiliates::get( $id );
		$category  = $program['commission']['affiliate_categories'][ $affiliate['category'] ] ?? null;
		return array(
			'affiliate'           => $affiliate,
			'link_params'         => $program['params'],
			'links'               => array( $home . '?' . $p . '=' . $id, $home . '#' . $p . '=' . $id, $home . 'ref/' . $id . '/' ),
			'balances'            => Reftrail_Ledger::balances( $id ),
			'locale'              => $program['locale'],
			'referral_emails'     => Reftrail_Affiliates::referral_emails( $id ),
			// The smallest payout, minor units of min_payout_currency (the program's): an approved
			// balance in that currency below it waits; other currencies are paid from any balance.
			'min_payout'          => (int) $program['min_payout'],
			'min_payout_currency' => $program['currency'],
			// The program's overrides for the affiliate's category, which they earn where they
			// have none of their own; null when the category has none.
			'category_commission' => is_array( $category ) ? array(
				'sale' => $category['sale'] ?? null,
				'lead' => $category['lead'] ?? null,
			) : null,
		);
	}

	/**
	 * The payouts that paid the affiliate, newest first (`?limit&offset`); only their own lines.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_payouts( $request ) {
		return $this->run(
			function () use ( $request ) {
				list( $limit, $offset ) = Reftrail_Input::page( $request->get_param( 'limit' ), $request->get_param( 'offset' ) );
				return array( 'payouts' => Reftrail_Ledger::payouts_of( self::caller( $request )['affiliate'], $limit, $offset ) );
			}
		);
	}

	/**
	 * The affiliate's own withholding tax certificates for the payouts of a period (`?from&to`):
	 * what the shop paid them and withheld, as the merchant's route answers it for them alone.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_certificates( $request ) {
		return $this->run(
			function () use ( $request ) {
				list( $from, $to ) = self::period( $request );
				return self::certificates( $from, $to, self::caller( $request )['affiliate'] );
			}
		);
	}

	/**
	 * The affiliate's figures day by day (UTC) for the portal's chart, every day of the period
	 * (`?from&to` as `GET /v1/me/report` reads them, widened to whole days; at most 400 days),
	 * narrowed to one campaign's clicks and referrals with `?campaign`: `{"from", "to", "days"}`
	 * (Reftrail_Reports::daily()).
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_daily( $request ) {
		return $this->run(
			function () use ( $request ) {
				return Reftrail_Reports::daily_answer( self::caller( $request )['affiliate'], $request->get_param( 'from' ), $request->get_param( 'to' ), $request->get_param( 'campaign' ) );
			}
		);
	}

	/**
	 * The affiliate's KPIs and referrals in a period (no customer data).
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_report( $request ) {
		return $this->run(
			function () use ( $request ) {
				global $wpdb;
				$id                = self::caller( $request )['affiliate'];
				list( $from, $to ) = Reftrail_Input::range( $request->get_param( 'from' ), $request->get_param( 'to' ) );
				$rows              = Reftrail_Ledger::index(
					array(
						'status'    => '',
						'affiliate' => $id,
						'flagged'   => null,
						'verified'  => null,
						'from'      => $from,
						'to'        => $to,
						'limit'     => 500,
						'offset'    => 0,
					)
				);
				return array(
					'from'      => Reftrail_Db::rfc3339( $from ),
					'to'        => Reftrail_Db::rfc3339( $to ),
					'kpis'      => Reftrail_Reports::affiliate_kpis( $id, $from, $to ),
					'referrals' => array_map(
						fn( $r ) => array(
							'id'         => $r['id'],
							'kind'       => $r['kind'],
							'at'         => $r['at'],
							'amount'     => $r['amount'],
							'currency'   => $r['currency'],
							'commission' => $r['commission_net'],
							'status'     => $r['status'],
							'campaign'   => $r['campaign'],
						),
						$rows
					),
				);
			}
		);
	}
}
