<?php
/**
 * `POST/GET/DELETE /v1/session` (the dashboard's sign-in), `GET/POST /v1/keys` and
 * `DELETE /v1/keys/{id}` (API keys), and the operator's `/healthz`, `/metrics` and
 * `/v1/openapi.json`.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * The dashboard's session.
 */
class Reftrail_REST_Session_Controller extends Reftrail_REST_Controller {

	/**
	 * Registers the route.
	 */
	public function register_routes() {
		register_rest_route(
			$this->namespace,
			'/session',
			array(
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'create_item' ),
					'permission_callback' => '__return_true',
				),
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_item' ),
					'permission_callback' => '__return_true',
				),
				array(
					'methods'             => WP_REST_Server::DELETABLE,
					'callback'            => array( $this, 'delete_item' ),
					'permission_callback' => '__return_true',
				),
			)
		);
	}

	/**
	 * Signs in; answers the CSRF token and sets the HttpOnly session cookie.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function create_item( $request ) {
		return $this->run(
			function () use ( $request ) {
				list( $token, $csrf, $expires, $user ) = Reftrail_Sessions::create( self::body( $request ) );
				$r                                     = new WP_REST_Response(
					array(
						'csrf_token' => $csrf,
						'expires_at' => Reftrail_Db::rfc3339( $expires ),
					) + Reftrail_Sessions::who( $user ),
					201
				);
				$r->header( 'Set-Cookie', Reftrail_Sessions::cookie( $token, Reftrail_Sessions::TTL, self::client( $request )['https'] ) );
				$r->header( 'Cache-Control', 'no-store' );
				return $r;
			}
		);
	}

	/**
	 * The session's CSRF token (for a dashboard page that reloads).
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_item( $request ) {
		$s = Reftrail_Sessions::from_request( $request );
		if ( null !== $s ) {
			$s['user'] = get_userdata( (int) $s['user_id'] );
		} elseif ( 'merchant' === self::caller( $request )['kind'] ) {
			// A shop manager signed in to WordPress (the dashboard embedded in wp-admin): WordPress's
			// REST nonce, which that page already sends, is the token that protects changes.
			$s = array(
				'csrf_token' => wp_create_nonce( 'wp_rest' ),
				'expires_at' => Reftrail_Db::now() + DAY_IN_SECONDS / 2,
				'user'       => wp_get_current_user(),
			);
		}
		if ( null === $s ) {
			return new WP_Error( 'unauthorized', 'not signed in', array( 'status' => 401 ) );
		}
		$r = new WP_REST_Response(
			array(
				'csrf_token' => $s['csrf_token'],
				'expires_at' => Reftrail_Db::rfc3339( $s['expires_at'] ),
			) + Reftrail_Sessions::who( $s['user'] ),
			200
		);
		$r->header( 'Cache-Control', 'no-store' );
		return $r;
	}

	/**
	 * Signs out (needs the CSRF token).
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function delete_item( $request ) {
		return $this->run(
			function () use ( $request ) {
				$c = self::caller( $request );
				if ( 'merchant' === $c['kind'] ) {
					return new WP_REST_Response( null, 204 ); // Signing out of WordPress is WordPress's.
				}
				if ( 'session' !== $c['kind'] ) {
					throw new Reftrail_Http_Error( 401, 'unauthorized', 'not signed in' );
				}
				if ( ! $c['csrf_ok'] ) {
					throw new Reftrail_Http_Error( 403, 'csrf_failed', "send the session's CSRF token in X-CSRF-Token" );
				}
				Reftrail_Sessions::delete( $request );
				$r = new WP_REST_Response( null, 204 );
				$r->header( 'Set-Cookie', Reftrail_Sessions::cookie( '', 0, false ) );
				return $r;
			}
		);
	}
}

/**
 * API keys.
 */
class Reftrail_REST_Keys_Controller extends Reftrail_REST_Controller {

	/**
	 * Registers the routes.
	 */
	public function register_routes() {
		$merchant = array( $this, 'merchant_permissions_check' );
		register_rest_route(
			$this->namespace,
			'/keys',
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
			'/keys/(?P<id>[A-Za-z0-9_]+)',
			array(
				array(
					'methods'             => WP_REST_Server::DELETABLE,
					'callback'            => array( $this, 'delete_item' ),
					'permission_callback' => $merchant,
				),
			)
		);
	}

	/**
	 * Keys, newest first, without their secrets.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response
	 */
	public function get_items( $request ) {
		$keys = array_reverse( Reftrail_Keys::all() );
		return rest_ensure_response(
			array(
				'keys' => array_map(
					fn( $e ) => array(
						'id'         => $e['id'],
						'kind'       => $e['kind'],
						'prefix'     => $e['prefix'],
						'created_at' => Reftrail_Db::rfc3339( $e['created_at'] ),
						'revoked_at' => null === $e['revoked_at'] ? null : Reftrail_Db::rfc3339( $e['revoked_at'] ),
					),
					$keys
				),
			)
		);
	}

	/**
	 * A new key, shown once.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function create_item( $request ) {
		return $this->run(
			function () use ( $request ) {
				$b = self::body( $request );
				Reftrail_Input::known( $b, array( 'kind' ) );
				if ( ! in_array( $b['kind'] ?? null, array( 'secret', 'publishable' ), true ) ) {
					throw Reftrail_Http_Error::bad( 'invalid_kind', 'kind must be secret or publishable' );
				}
				return new WP_REST_Response( Reftrail_Keys::create( $b['kind'], self::actor( $request ) ), 201 );
			}
		);
	}

	/**
	 * Revokes a key.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function delete_item( $request ) {
		return $this->run(
			function () use ( $request ) {
				if ( ! Reftrail_Keys::revoke( (string) $request['id'], self::actor( $request ) ) ) {
					throw new Reftrail_Http_Error( 404, 'key_not_found', 'no key has this id' );
				}
				return new WP_REST_Response( null, 204 );
			}
		);
	}
}

/**
 * `GET /healthz`, `GET /metrics` (Prometheus text), `GET /v1/openapi.json`.
 */
class Reftrail_REST_Operator_Controller extends Reftrail_REST_Controller {

	/**
	 * Registers the routes.
	 */
	public function register_routes() {
		register_rest_route(
			'reftrail',
			'/healthz',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => fn() => rest_ensure_response(
						array(
							'status' => 'ok',
							'schema' => (int) get_option( Reftrail_Schema::OPTION, 0 ),
						)
					),
					'permission_callback' => '__return_true',
				),
			)
		);
		register_rest_route(
			'reftrail',
			'/metrics',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'metrics' ),
					'permission_callback' => '__return_true',
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/openapi.json',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => fn() => rest_ensure_response( Reftrail_OpenAPI::document() ),
					'permission_callback' => '__return_true',
				),
			)
		);
	}

	/**
	 * Totals since the program began, as Prometheus counters (from the tables: WordPress has
	 * no long-lived process to count in).
	 *
	 * @return WP_REST_Response
	 */
	public function metrics() {
		global $wpdb;
		$count = fn( $table, $where = '1=1' ) => (int) $wpdb->get_var( 'SELECT COUNT(*) FROM ' . Reftrail_Db::table( $table ) . ' WHERE ' . $where ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- fixed SQL.
		// Every attempt but a success is a failure: the outboxes keep their rows and attempt counts.
		$failed = fn( $table, $done ) => (int) $wpdb->get_var( 'SELECT COALESCE(SUM(attempts), 0) - COUNT(' . $done . ') FROM ' . Reftrail_Db::table( $table ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- fixed SQL.
		$lines = array(
			array( 'reftrail_clicks_total', 'Clicks recorded.', $count( 'clicks' ) ),
			array( 'reftrail_bot_clicks_total', 'Clicks from known bots.', $count( 'clicks', 'is_bot = 1' ) ),
			array( 'reftrail_sales_total', 'Sales recorded, attributed or not.', $count( 'orders' ) ),
			array( 'reftrail_leads_total', 'Leads recorded.', $count( 'leads' ) ),
			array( 'reftrail_referrals_total', 'Referrals created.', $count( 'referrals' ) ),
			array( 'reftrail_flagged_total', 'Referrals with fraud flags.', $count( 'referrals', "flags <> '[]'" ) ),
			array( 'reftrail_webhooks_delivered_total', 'Webhook deliveries that succeeded.', $count( 'outbox', 'delivered_at IS NOT NULL' ) ),
			array( 'reftrail_webhook_failures_total', 'Webhook delivery attempts that failed.', $failed( 'outbox', 'delivered_at' ) ),
			array( 'reftrail_postbacks_delivered_total', "Affiliates' postbacks that succeeded.", $count( 'postbacks', 'delivered_at IS NOT NULL' ) ),
			array( 'reftrail_postback_failures_total', "Affiliates' postback attempts that failed.", $failed( 'postbacks', 'delivered_at' ) ),
			array( 'reftrail_affiliate_emails_sent_total', 'Affiliate emails sent.', $count( 'mail_outbox', 'sent_at IS NOT NULL' ) ),
			array( 'reftrail_affiliate_email_failures_total', 'Affiliate email attempts that failed.', $failed( 'mail_outbox', 'sent_at' ) ),
		);
		$text = '';
		foreach ( $lines as list( $name, $help, $value ) ) {
			$text .= "# HELP {$name} {$help}\n# TYPE {$name} counter\n{$name} {$value}\n";
		}
		$r = new WP_REST_Response( $text, 200 );
		$r->header( 'Content-Type', 'text/plain; version=0.0.4; charset=utf-8' );
		return $r;
	}
}
