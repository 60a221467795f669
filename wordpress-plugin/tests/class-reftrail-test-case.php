<?php
/**
 * The shared test case: each test runs in a transaction rolled back afterwards (the plugin's
 * own transactions become savepoints inside it), calls the REST routes in-process through
 * WordPress's REST server, and has helpers for users and keys.
 *
 * @package Reftrail
 */

use PHPUnit\Framework\TestCase;

/**
 * Base of the plugin's integration tests.
 */
abstract class Reftrail_Test_Case extends TestCase {

	/** Whether each test runs inside a rolled-back transaction. */
	protected $transactional = true;

	/** @var string A secret key valid during the test. */
	protected $secret;

	protected function setUp(): void {
		parent::setUp();
		if ( $this->transactional ) {
			global $wpdb;
			Reftrail_Db::begin();
			// Start from empty tables; the rollback brings back whatever was there.
			foreach ( Reftrail_Schema::TABLES as $t ) {
				$wpdb->query( 'DELETE FROM ' . Reftrail_Db::table( $t ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
			}
		}
		wp_cache_flush();
		if ( $this->transactional ) {
			// Every test starts from the default program (rolled back afterwards).
			update_option( Reftrail_Program::OPTION, Reftrail_Program::defaults() );
		}
		$this->secret = Reftrail_Keys::new_secret( false );
		wp_set_current_user( 0 );
		$_COOKIE = array();
	}

	protected function tearDown(): void {
		wp_set_current_user( 0 );
		$_COOKIE = array();
		remove_all_filters( 'reftrail_now' );
		if ( $this->transactional ) {
			Reftrail_Db::rollback();
		}
		wp_cache_flush();
		parent::tearDown();
	}

	/**
	 * Calls a route in-process; returns [status, data, headers] after the plugin's error shaping.
	 *
	 * @param string            $method  Method.
	 * @param string            $path    Path under /reftrail, with an optional query.
	 * @param array|string|null $body    Body (array: JSON).
	 * @param array             $headers Headers.
	 * @return array
	 */
	protected function rest( $method, $path, $body = null, array $headers = array() ) {
		$parts   = explode( '?', $path, 2 );
		$request = new WP_REST_Request( $method, '/reftrail' . $parts[0] );
		if ( isset( $parts[1] ) ) {
			parse_str( $parts[1], $query );
			$request->set_query_params( $query );
		}
		if ( null !== $body ) {
			$request->set_body( is_string( $body ) ? $body : wp_json_encode( $body ) );
			$request->set_header( 'content-type', 'application/json' );
		}
		foreach ( $headers as $k => $v ) {
			$request->set_header( $k, $v );
		}
		$server   = rest_get_server();
		$response = rest_do_request( $request );
		$response = is_wp_error( $response ) ? rest_convert_error_to_response( $response ) : rest_ensure_response( $response );
		$response = apply_filters( 'rest_post_dispatch', $response, $server, $request );
		return array( $response->get_status(), $response->get_data(), $response->get_headers() );
	}

	/**
	 * A role that may read the program (manage_reftrail) and nothing more: the dashboard's viewer.
	 *
	 * @return string
	 */
	protected static function viewer_role() {
		if ( ! get_role( 'reftrail_test_viewer' ) ) {
			add_role(
				'reftrail_test_viewer',
				'Viewer',
				array(
					'read'                => true,
					Reftrail_Schema::CAP => true,
				)
			);
		}
		return 'reftrail_test_viewer';
	}

	/**
	 * A shop manager as WooCommerce makes one: runs the shop (manage_woocommerce) and the program,
	 * does not manage the site: the dashboard's manager.
	 *
	 * @return string
	 */
	protected static function manager_role() {
		if ( ! get_role( 'reftrail_test_shop_manager' ) ) {
			add_role(
				'reftrail_test_shop_manager',
				'Shop manager',
				array(
					'read'                => true,
					'manage_woocommerce'  => true,
					Reftrail_Schema::CAP => true,
				)
			);
		}
		return 'reftrail_test_shop_manager';
	}

	/**
	 * The bearer header of the secret key.
	 *
	 * @return array
	 */
	protected function sk() {
		return array( 'authorization' => 'Bearer ' . $this->secret );
	}

	/**
	 * A user with a role; returns its id.
	 *
	 * @param string $role Role.
	 * @return int
	 */
	protected function user( $role ) {
		$login = $role . '_' . wp_generate_password( 8, false );
		$id    = wp_insert_user(
			array(
				'user_login' => $login,
				'user_pass'  => wp_generate_password( 20 ),
				'user_email' => $login . '@example.test',
				'role'       => $role,
			)
		);
		$this->assertIsInt( $id );
		return $id;
	}

	/**
	 * Creates an affiliate with the secret key; returns the answer.
	 *
	 * @param string $id    Id.
	 * @param array  $extra Fields.
	 * @return array
	 */
	protected function affiliate( $id, array $extra = array() ) {
		list( $status, $data ) = $this->rest( 'POST', '/v1/affiliates', array_merge( array( 'id' => $id, 'name' => ucfirst( $id ) ), $extra ), $this->sk() );
		$this->assertSame( 201, $status, wp_json_encode( $data ) );
		return $data;
	}

	/**
	 * The payout email (`subject`, `body`) a payout line makes for `$name`, from the program
	 * "Shop" in `$locale`, as Reftrail_Affiliate_Mail renders it.
	 *
	 * @param string $locale    en, vi or th.
	 * @param array  $line      The payout line.
	 * @param string $name      The affiliate's name.
	 * @param string $payout_id The payout.
	 * @return array|null
	 */
	protected static function payout_mail( $locale, array $line, $name, $payout_id = 'po_1' ) {
		return Reftrail_Affiliate_Mail::render(
			array(
				'name'   => 'Shop',
				'locale' => $locale,
			),
			'payout.created',
			wp_json_encode(
				array(
					'payout_id' => $payout_id,
					'note'      => null,
					'line'      => $line,
				)
			),
			$name,
			'u'
		);
	}

	/**
	 * The money entry of a report row (or `kpis`) in `$currency`; null when it has none.
	 *
	 * @param array  $row      A report row.
	 * @param string $currency Currency.
	 * @return array|null
	 */
	protected function money( array $row, $currency = 'VND' ) {
		foreach ( $row['money'] as $m ) {
			if ( $m['currency'] === $currency ) {
				return $m;
			}
		}
		return null;
	}

	/**
	 * The row of a key in a grouped report, read with the secret key.
	 *
	 * @param string $report affiliates, categories or timeseries.
	 * @param string $key    Row key.
	 * @param string $query  Query, with its `?`.
	 * @return array|null
	 */
	protected function report_row( $report, $key, $query ) {
		list( $s, $d ) = $this->rest( 'GET', '/v1/reports/' . $report . $query, null, $this->sk() );
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
		foreach ( $d['rows'] as $row ) {
			if ( $row['key'] === $key ) {
				return $row;
			}
		}
		return null;
	}

	/**
	 * Writes an affiliate, a payout and the payout line that paid them straight into the tables,
	 * as a site of an older schema version holds them (the upgrade tests drop the newer columns
	 * first); `$affiliate` and `$line` add or replace columns. Returns [affiliate id, payout id].
	 *
	 * @param array $affiliate Columns of the affiliate.
	 * @param array $line      Columns of the payout line.
	 * @return array
	 */
	protected function old_payout_line( array $affiliate = array(), array $line = array() ) {
		global $wpdb;
		$id = 'upgrade_' . strtolower( wp_generate_password( 8, false ) );
		$po = 'po_upgrade_' . wp_generate_password( 8, false );
		$wpdb->insert(
			Reftrail_Db::table( 'affiliates' ),
			array_merge(
				array(
					'id'         => $id,
					'name'       => 'Before',
					'category'   => 'other',
					'status'     => 'approved',
					'created_at' => 1780000000,
					'updated_at' => 1780000000,
				),
				$affiliate
			)
		);
		$wpdb->insert(
			Reftrail_Db::table( 'payouts' ),
			array(
				'id' => $po,
				'at' => 1780000000,
			)
		);
		$wpdb->insert(
			Reftrail_Db::table( 'payout_lines' ),
			array_merge(
				array(
					'payout_id'    => $po,
					'affiliate_id' => $id,
					'currency'     => 'VND',
					'amount'       => 125000,
					'paypal_email' => 'before@example.test',
					'referrals'    => 2,
				),
				$line
			)
		);
		return array( $id, $po );
	}

	/**
	 * PUTs the program as it is with `$changes` through the REST route, with the secret key;
	 * returns [status, body, headers].
	 *
	 * @param array $changes Fields.
	 * @return array
	 */
	protected function put_program_rest( array $changes ) {
		list( , $p ) = $this->rest( 'GET', '/v1/program', null, $this->sk() );
		unset( $p['webhook_secret'] );
		return $this->rest( 'PUT', '/v1/program', array_merge( $p, $changes ), $this->sk() );
	}

	/**
	 * A verified sale by coupon, approved at once (the test's program holds nothing).
	 *
	 * @param string $coupon   Coupon.
	 * @param int    $amount   Order amount, minor units.
	 * @param string $currency Currency.
	 */
	protected function approved_coupon_sale( $coupon, $amount, $currency = 'THB' ) {
		list( $s, $d ) = $this->rest(
			'POST',
			'/v1/sales',
			array(
				'order_id' => 'o_' . wp_generate_password( 10, false ),
				'amount'   => $amount,
				'currency' => $currency,
				'coupon'   => $coupon,
			),
			$this->sk()
		);
		$this->assertSame( 201, $s, wp_json_encode( $d ) );
		$this->assertSame( 'approved', $d['referral']['status'] ?? null, wp_json_encode( $d ) );
	}

	/**
	 * PATCHes an affiliate with the secret key; returns [status, body, headers].
	 *
	 * @param string $id   Affiliate.
	 * @param mixed  $body Body.
	 * @return array
	 */
	protected function patch_affiliate( $id, $body ) {
		return $this->rest( 'PATCH', '/v1/affiliates/' . $id, $body, $this->sk() );
	}

	/**
	 * One affiliate as GET answers it.
	 *
	 * @param string $id Affiliate.
	 * @return array
	 */
	protected function show_affiliate( $id ) {
		list( $s, $d ) = $this->rest( 'GET', '/v1/affiliates/' . $id, null, $this->sk() );
		$this->assertSame( 200, $s );
		return $d;
	}

	/**
	 * Records a click for an affiliate in-process; returns its id.
	 *
	 * @param string $affiliate Affiliate.
	 * @return string
	 */
	protected function click( $affiliate ) {
		list( $status, $body ) = Reftrail_Tracking::click(
			array(
				'affiliate' => $affiliate,
				'url'       => 'https://shop.test/?ref=' . $affiliate,
				'consent'   => 'granted',
			),
			array(
				'ip'         => '203.0.113.' . wp_rand( 1, 250 ),
				'user_agent' => 'Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0',
				'https'      => true,
			)
		);
		$this->assertSame( 201, $status );
		return $body['click_id'];
	}

	/**
	 * Runs WordPress's uninstall of the plugin in another process (outside the test transaction:
	 * it drops tables, which commits).
	 */
	protected function uninstall() {
		$script = '$u = parse_url( getenv( "WP_URL" ) ); $_SERVER["HTTP_HOST"] = $u["host"] . ":" . $u["port"]; require getenv( "WP_DOCROOT" ) . "/wp-load.php"; require_once ABSPATH . "wp-admin/includes/plugin.php"; deactivate_plugins( "reftrail/reftrail.php" ); uninstall_plugin( "reftrail/reftrail.php" ); echo "done";';
		$out    = shell_exec( 'php -r ' . escapeshellarg( $script ) . ' 2>&1' );
		$this->assertStringEndsWith( 'done', trim( (string) $out ) );
	}

	/**
	 * Activates the plugin again (another process), as the owner would.
	 */
	protected function reactivate() {
		$script = '$u = parse_url( getenv( "WP_URL" ) ); $_SERVER["HTTP_HOST"] = $u["host"] . ":" . $u["port"]; require getenv( "WP_DOCROOT" ) . "/wp-load.php"; require_once ABSPATH . "wp-admin/includes/plugin.php"; $r = activate_plugin( "reftrail/reftrail.php" ); echo is_wp_error( $r ) ? $r->get_error_message() : "done";';
		$this->assertSame( 'done', trim( (string) shell_exec( 'php -r ' . escapeshellarg( $script ) . ' 2>&1' ) ) );
		wp_cache_flush();
	}

	/**
	 * Sets the program's settings for this test.
	 *
	 * @param array $changes Fields.
	 */
	protected function program( array $changes ) {
		$p = Reftrail_Program::get();
		unset( $p['webhook_secret'] );
		Reftrail_Program::put( array_merge( $p, $changes ), 'secret_key' );
	}
}
