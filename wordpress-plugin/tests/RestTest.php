<?php
/**
 * The REST routes per action and caller: the same routes, JSON, status codes and error shape as
 * the Rust server's contract.
 *
 * @package Reftrail
 */

/**
 * REST tests.
 */
class RestTest extends Reftrail_Test_Case {

	public function test_merchant_routes_per_caller() {
		$routes = array( array( 'GET', '/v1/affiliates' ), array( 'GET', '/v1/referrals' ), array( 'GET', '/v1/referrals.csv' ), array( 'GET', '/v1/reports/withholding.csv' ), array( 'GET', '/v1/reports/withholding/certificates' ), array( 'GET', '/v1/program' ), array( 'GET', '/v1/program/changes' ), array( 'GET', '/v1/creatives' ), array( 'GET', '/v1/activity' ), array( 'GET', '/v1/reports/summary' ), array( 'GET', '/v1/payouts' ), array( 'GET', '/v1/sales' ), array( 'GET', '/v1/balances' ), array( 'GET', '/v1/woocommerce-coupons/template' ), array( 'GET', '/v1/deliveries' ), array( 'GET', '/v1/payout-requests' ) );
		$aff    = $this->affiliate( 'amy' );
		foreach ( $routes as list( $m, $p ) ) {
			wp_set_current_user( 0 );
			list( $s, $d, $h ) = $this->rest( $m, $p );
			$this->assertSame( 401, $s, "anonymous $p" );
			$this->assertSame( 'unauthorized', $d['error']['code'] );
			$this->assertSame( 'Bearer realm="reftrail"', $h['WWW-Authenticate'] );
			list( $s, $d ) = $this->rest( $m, $p, null, array( 'authorization' => 'Bearer ' . Reftrail_Keys::publishable() ) );
			$this->assertSame( 403, $s, "publishable $p" );
			$this->assertSame( 'forbidden', $d['error']['code'] );
			list( $s ) = $this->rest( $m, $p, null, array( 'authorization' => 'Bearer ' . $aff['token'] ) );
			$this->assertSame( 403, $s, "affiliate token $p" );
			list( $s, $d ) = $this->rest( $m, $p, null, array( 'authorization' => 'Bearer sk_wrong' ) );
			$this->assertSame( 401, $s, "wrong key $p" );
			list( $s ) = $this->rest( $m, $p, null, $this->sk() );
			$this->assertSame( 200, $s, "secret key $p" );
			foreach ( array( 'subscriber' => 403, 'customer' => 403, 'administrator' => 200, 'shop_manager' => 200 ) as $role => $want ) {
				if ( ! get_role( $role ) ) {
					// WooCommerce's roles, as WooCommerce adds them; activation grants shop managers the capability.
					add_role( $role, $role, array( 'read' => true ) );
					Reftrail_Schema::add_roles();
				}
				wp_set_current_user( $this->user( $role ) );
				list( $s ) = $this->rest( $m, $p );
				$this->assertSame( $want, $s, "$role $p" );
			}
		}
	}

	public function test_clicks_record_and_sign_the_cookie() {
		$this->affiliate( 'alice' );
		$body              = array( 'affiliate' => 'alice', 'url' => 'https://shop.test/?ref=alice', 'referrer' => '', 'consent' => 'granted', 'visitor' => 'k3JQ9x2mP0aZ7bC4', 'campaign' => array( 'utm_campaign' => 'spring' ), 'click_ids' => array( 'gclid' => 'abc' ) );
		list( $s, $d, $h ) = $this->rest( 'POST', '/v1/clicks', $body, array( 'user_agent' => 'Mozilla/5.0 Firefox' ) );
		$this->assertSame( 201, $s, wp_json_encode( $d ) );
		$this->assertSame( 'alice', $d['affiliate'] );
		$this->assertTrue( $d['unique'] );
		$this->assertFalse( $d['bot'] );
		$this->assertMatchesRegularExpression( '/^rt_click=v1\.' . preg_quote( $d['click_id'], '/' ) . '\.[^;]+; Max-Age=2592000; Path=\/; HttpOnly; SameSite=Lax$/', $h['Set-Cookie'] );
		$value = substr( explode( ';', $h['Set-Cookie'] )[0], strlen( 'rt_click=' ) );
		$this->assertSame( $d['click_id'], Reftrail_Click_Cookie::verify( $value ) );
		list( , $d2 ) = $this->rest( 'POST', '/v1/clicks', $body, array( 'user_agent' => 'Mozilla/5.0 Firefox' ) );
		$this->assertFalse( $d2['unique'], 'second click within the hour' );
		// No consent: recorded, no cookie. A bot: recorded as a bot, no cookie.
		list( $s, , $h ) = $this->rest( 'POST', '/v1/clicks', array_merge( $body, array( 'consent' => 'pending' ) ), array( 'user_agent' => 'Mozilla/5.0' ) );
		$this->assertSame( 201, $s );
		$this->assertArrayNotHasKey( 'Set-Cookie', $h );
		list( $s, $d, $h ) = $this->rest( 'POST', '/v1/clicks', $body, array( 'user_agent' => 'Googlebot/2.1' ) );
		$this->assertTrue( $d['bot'] );
		$this->assertArrayNotHasKey( 'Set-Cookie', $h );
	}

	public function test_clicks_accept_text_plain_and_refuse_bad_input() {
		$this->affiliate( 'alice' );
		$request = new WP_REST_Request( 'POST', '/reftrail/v1/clicks' );
		$request->set_header( 'content-type', 'text/plain;charset=UTF-8' );
		$request->set_body( '{"affiliate":"alice","url":"https://shop.test/","consent":"denied"}' );
		$this->assertSame( 201, rest_do_request( $request )->get_status() );
		$cases = array(
			array( array( 'affiliate' => 'nobody', 'url' => 'https://shop.test/', 'consent' => 'granted' ), 404, 'unknown_affiliate' ),
			array( array( 'affiliate' => 'a b', 'url' => 'https://shop.test/', 'consent' => 'granted' ), 400, 'invalid_affiliate' ),
			array( array( 'affiliate' => 'alice', 'url' => 'javascript:alert(1)', 'consent' => 'granted' ), 400, 'invalid_url' ),
			array( array( 'affiliate' => 'alice', 'url' => 'https://shop.test/', 'consent' => 'maybe' ), 400, 'invalid_consent' ),
			array( array( 'affiliate' => 'alice', 'url' => 'https://shop.test/', 'consent' => 'granted', 'campaign' => array( 'evil' => 'x' ) ), 400, 'unknown_campaign_param' ),
			array( array( 'affiliate' => 'alice', 'url' => 'https://shop.test/', 'consent' => 'granted', 'landing' => 'nope' ), 400, 'invalid_landing' ),
			array( array( 'affiliate' => 'alice', 'url' => 'https://shop.test/', 'consent' => 'granted', 'via' => 'mail' ), 400, 'invalid_via' ),
			array( array( 'url' => 5, 'consent' => 'granted' ), 400, 'invalid_body' ),
			array( '{"url":', 400, 'invalid_json' ),
			array( '[1,2]', 400, 'invalid_body' ),
		);
		foreach ( $cases as list( $body, $status, $code ) ) {
			list( $s, $d ) = $this->rest( 'POST', '/v1/clicks', $body );
			$this->assertSame( $status, $s, wp_json_encode( $body ) );
			$this->assertSame( $code, $d['error']['code'], wp_json_encode( $body ) );
			$this->assertIsString( $d['error']['message'] );
		}
		$request = new WP_REST_Request( 'POST', '/reftrail/v1/clicks' );
		$request->set_header( 'content-type', 'application/x-www-form-urlencoded' );
		$request->set_body( 'affiliate=alice' );
		$r = apply_filters( 'rest_post_dispatch', rest_do_request( $request ), rest_get_server(), $request );
		$this->assertSame( 415, $r->get_status() );
		$this->assertSame( 'unsupported_media_type', $r->get_data()['error']['code'] );
		list( $s, $d ) = $this->rest( 'POST', '/v1/clicks', array( 'affiliate' => 'alice', 'url' => 'https://shop.test/', 'consent' => 'granted' ), array( 'origin' => 'https://evil.example' ) );
		$this->assertSame( 403, $s );
		$this->assertSame( 'origin_not_allowed', $d['error']['code'] );
		$this->program( array( 'allowed_origins' => array( 'https://evil.example' ) ) );
		list( $s ) = $this->rest( 'POST', '/v1/clicks', array( 'affiliate' => 'alice', 'url' => 'https://shop.test/', 'consent' => 'granted' ), array( 'origin' => 'https://evil.example' ) );
		$this->assertSame( 201, $s );
	}

	public function test_sales_attribution_order_and_idempotency() {
		$this->affiliate( 'alice', array( 'coupons' => array( 'alice10' ) ) );
		$this->affiliate( 'bob' );
		$pk = array( 'authorization' => 'Bearer ' . Reftrail_Keys::publishable() );
		// Click id in the body credits bob; the coupon beats it.
		$click             = $this->click( 'bob' );
		list( $s, $d )     = $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'A1', 'amount' => 10000, 'currency' => 'USD', 'click_id' => $click ), $pk );
		$this->assertSame( 201, $s, wp_json_encode( $d ) );
		$this->assertSame( 'bob', $d['referral']['affiliate'] );
		$this->assertSame( 'click_id', $d['referral']['attributed_by'] );
		$this->assertFalse( $d['referral']['verified'] );
		$this->assertSame( 1000, $d['referral']['commission'] );
		list( $s, $d ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'A2', 'amount' => 10000, 'currency' => 'USD', 'click_id' => $click, 'coupon' => 'Alice10' ), $this->sk() );
		$this->assertSame( 'alice', $d['referral']['affiliate'] );
		$this->assertSame( 'coupon', $d['referral']['attributed_by'] );
		$this->assertTrue( $d['referral']['verified'] );
		// The signed cookie beats the body's click id.
		$cookie_click = $this->click( 'alice' );
		$value        = Reftrail_Click_Cookie::sign( $cookie_click );
		list( , $d )  = $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'A3', 'amount' => 5000, 'currency' => 'USD', 'click_id' => $click, 'key' => Reftrail_Keys::publishable() ), array( 'cookie' => 'x=1; rt_click=' . $value ) );
		$this->assertSame( 'cookie', $d['referral']['attributed_by'] );
		$this->assertSame( 'alice', $d['referral']['affiliate'] );
		// A forged cookie credits nobody; the touch is the last resort.
		list( , $d ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'A4', 'amount' => 5000, 'currency' => 'USD', 'touch' => array( 'affiliate' => 'bob', 'at' => gmdate( 'Y-m-d\TH:i:s\Z' ) ) ), array_merge( $pk, array( 'cookie' => 'rt_click=' . $value . 'x' ) ) );
		$this->assertSame( 'touch', $d['referral']['attributed_by'] );
		// Unattributed orders are still recorded (store revenue).
		list( $s, $d ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'A5', 'amount' => 777, 'currency' => 'USD' ), $this->sk() );
		$this->assertSame( 201, $s );
		$this->assertNull( $d['referral'] );
		$this->assertNull( $d['sale']['affiliate'] );
		// A replay answers 200 with the first answer, and writes nothing.
		global $wpdb;
		$before           = $wpdb->get_var( 'SELECT COUNT(*) FROM ' . Reftrail_Db::table( 'referrals' ) ); // phpcs:ignore
		list( $s1, $d1 )  = $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'A2', 'amount' => 10000, 'currency' => 'USD', 'click_id' => $click, 'coupon' => 'Alice10' ), $this->sk() );
		list( $s2, , $h ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'A2', 'amount' => 1, 'currency' => 'USD' ), $this->sk() );
		$this->assertSame( array( 200, 200 ), array( $s1, $s2 ) );
		$this->assertSame( 'true', $h['Idempotent-Replayed'] );
		$this->assertSame( 'alice', $d1['referral']['affiliate'] );
		$this->assertSame( $before, $wpdb->get_var( 'SELECT COUNT(*) FROM ' . Reftrail_Db::table( 'referrals' ) ) ); // phpcs:ignore
		// The same Idempotency-Key with another body is a 409.
		$this->rest( 'POST', '/v1/sales', array( 'order_id' => 'K1', 'amount' => 100, 'currency' => 'USD' ), array_merge( $this->sk(), array( 'idempotency_key' => 'key-1' ) ) );
		list( $s, $d ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'K2', 'amount' => 100, 'currency' => 'USD' ), array_merge( $this->sk(), array( 'idempotency_key' => 'key-1' ) ) );
		$this->assertSame( 409, $s );
		$this->assertSame( 'idempotency_key_reused', $d['error']['code'] );
	}

	public function test_sales_refuse_bad_input_and_callers() {
		$cases = array(
			array( array( 'order_id' => '', 'amount' => 1, 'currency' => 'USD' ), 400, 'invalid_order_id' ),
			array( array( 'order_id' => 'x', 'amount' => -1, 'currency' => 'USD' ), 400, 'invalid_amount' ),
			array( array( 'order_id' => 'x', 'amount' => 1.5, 'currency' => 'USD' ), 400, 'invalid_body' ),
			array( array( 'order_id' => 'x', 'amount' => 1, 'currency' => 'usd' ), 400, 'invalid_currency' ),
			array( array( 'order_id' => 'x', 'amount' => 1, 'currency' => 'USD', 'items' => array( array( 'sku' => 'a', 'amount' => 1, 'quantity' => 0 ) ) ), 400, 'invalid_items' ),
			array( array( 'order_id' => 'x', 'amount' => 1, 'currency' => 'USD', 'at' => '2999-01-01T00:00:00Z' ), 400, 'invalid_at' ),
			array( array( 'order_id' => 'x', 'amount' => 1, 'currency' => 'USD', 'customer' => array( 'email' => 'a@b.c' ), 'key' => 'PK' ), 400, 'email_not_allowed' ),
		);
		foreach ( $cases as list( $body, $status, $code ) ) {
			if ( isset( $body['key'] ) ) {
				$body['key'] = Reftrail_Keys::publishable();
				$headers     = array();
			} else {
				$headers = $this->sk();
			}
			list( $s, $d ) = $this->rest( 'POST', '/v1/sales', $body, $headers );
			$this->assertSame( $status, $s, wp_json_encode( $body ) );
			$this->assertSame( $code, $d['error']['code'] );
		}
		list( $s, $d ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'x', 'amount' => 1, 'currency' => 'USD' ) );
		$this->assertSame( 401, $s );
		list( $s, $d ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'x', 'amount' => 1, 'currency' => 'USD', 'key' => 'sk_in_body' ) );
		$this->assertSame( 401, $s );
		wp_set_current_user( $this->user( 'subscriber' ) );
		list( $s, $d ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'x', 'amount' => 1, 'currency' => 'USD' ) );
		$this->assertSame( 403, $s );
		$this->assertSame( 'forbidden', $d['error']['code'] );
	}

	public function test_leads_are_counted_once_per_customer() {
		$this->affiliate( 'alice', array( 'email' => 'alice@example.test' ) );
		$this->program( array( 'commission' => array( 'sale' => array( 'type' => 'percent', 'rate_bps' => 1000 ), 'lead' => array( 'USD' => 200 ) ) ) );
		$click         = $this->click( 'alice' );
		list( $s, $d ) = $this->rest( 'POST', '/v1/leads', array( 'event' => 'signup', 'customer_id' => 'c1', 'click_id' => $click ), $this->sk() );
		$this->assertSame( 201, $s, wp_json_encode( $d ) );
		$this->assertSame( 200, $d['referral']['commission'] );
		list( $s ) = $this->rest( 'POST', '/v1/leads', array( 'event' => 'signup', 'customer_id' => 'c1' ), $this->sk() );
		$this->assertSame( 200, $s );
		list( $s, $d ) = $this->rest( 'POST', '/v1/leads', array( 'event' => 'signup' ), $this->sk() );
		$this->assertSame( 'missing_customer', $d['error']['code'] );
		// The affiliate's own email: flagged as a self-referral, never auto-approved.
		list( , $d ) = $this->rest( 'POST', '/v1/leads', array( 'event' => 'signup', 'email' => ' Alice@Example.test ', 'click_id' => $click ), $this->sk() );
		$this->assertSame( array( 'self_referral' ), $d['referral']['flags'] );
	}

	public function test_refunds_reverse_proportionally_and_review() {
		$this->affiliate( 'alice', array( 'coupons' => array( 'A' ), 'email' => 'alice@example.test' ) );
		$this->rest( 'POST', '/v1/sales', array( 'order_id' => 'R1', 'amount' => 3000, 'currency' => 'USD', 'coupon' => 'A' ), $this->sk() );
		$parts = array();
		foreach ( array( 'p1', 'p2', 'p3' ) as $rid ) {
			list( $s, $d ) = $this->rest( 'POST', '/v1/refunds', array( 'order_id' => 'R1', 'amount' => 1000, 'refund_id' => $rid ), $this->sk() );
			$this->assertSame( 201, $s, wp_json_encode( $d ) );
			$parts[] = $d['commission_reversed'];
		}
		$this->assertSame( array( 100, 100, 100 ), $parts );
		$this->assertSame( 'reversed', $d['referral']['status'] );
		$this->assertSame( 0, $d['referral']['commission_net'] );
		list( $s, $d ) = $this->rest( 'POST', '/v1/refunds', array( 'order_id' => 'R1', 'amount' => 1, 'refund_id' => 'p4' ), $this->sk() );
		$this->assertSame( 422, $s );
		$this->assertSame( 'refund_exceeds_order', $d['error']['code'] );
		list( $s, $d ) = $this->rest( 'POST', '/v1/refunds', array( 'order_id' => 'R1', 'amount' => 1000, 'refund_id' => 'p1' ), $this->sk() );
		$this->assertSame( 200, $s, 'replay' );
		list( $s, $d ) = $this->rest( 'POST', '/v1/refunds', array( 'order_id' => 'nope' ), $this->sk() );
		$this->assertSame( 404, $s );
		list( $s, $d ) = $this->rest( 'POST', '/v1/refunds', array( 'order_id' => 'R1', 'amount' => 5 ), $this->sk() );
		$this->assertSame( 'missing_refund_id', $d['error']['code'] );
		list( $s, $d ) = $this->rest( 'POST', '/v1/refunds', array( 'order_id' => 'R1', 'extra' => 1 ), $this->sk() );
		$this->assertSame( 'invalid_body', $d['error']['code'] );

		// Review: approve, reject, and the conflicts.
		list( , $sale ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'R2', 'amount' => 10000, 'currency' => 'USD', 'coupon' => 'A' ), $this->sk() );
		$id             = $sale['referral']['id'];
		list( $s, $d )  = $this->rest( 'POST', "/v1/referrals/$id/approve", null, $this->sk() );
		$this->assertSame( array( 200, 'approved' ), array( $s, $d['status'] ) );
		list( $s, $d ) = $this->rest( 'POST', "/v1/referrals/$id/reject", array( 'reason' => 'fraud' ), $this->sk() );
		$this->assertSame( array( 200, 'rejected', 0 ), array( $s, $d['status'], $d['commission_net'] ) );
		list( $s, $d ) = $this->rest( 'POST', "/v1/referrals/$id/approve", null, $this->sk() );
		$this->assertSame( array( 409, 'invalid_status' ), array( $s, $d['error']['code'] ) );
		list( $s, $d ) = $this->rest( 'GET', '/v1/referrals/ref_missing', null, $this->sk() );
		$this->assertSame( array( 404, 'referral_not_found' ), array( $s, $d['error']['code'] ) );
	}

	public function test_hold_period_payouts_and_paypal_csv() {
		$this->program( array( 'hold_days' => 7 ) );
		$this->affiliate( 'alice', array( 'coupons' => array( 'A' ), 'email' => 'alice@example.test', 'payout_email' => '=cmd@example.test' ) );
		list( , $sale ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'P1', 'amount' => 12500, 'currency' => 'USD', 'coupon' => 'A' ), $this->sk() );
		$this->assertSame( 'pending', $sale['referral']['status'] );
		list( $s, $d ) = $this->rest( 'POST', '/v1/payouts', null, $this->sk() );
		$this->assertSame( array( 422, 'nothing_to_pay' ), array( $s, $d['error']['code'] ) );
		add_filter( 'reftrail_now', fn() => time() + 8 * DAY_IN_SECONDS );
		list( , $d ) = $this->rest( 'GET', '/v1/referrals?status=approved', null, $this->sk() );
		$this->assertCount( 1, $d['referrals'], 'approved when the hold ended' );
		list( $s, $p ) = $this->rest( 'POST', '/v1/payouts', array( 'note' => 'November' ), $this->sk() );
		$this->assertSame( 201, $s, wp_json_encode( $p ) );
		$this->assertSame( 1250, $p['lines'][0]['amount'] );
		list( $s, $csv, $h ) = $this->rest( 'GET', '/v1/payouts/' . $p['id'] . '.csv', null, $this->sk() );
		$this->assertSame( 200, $s );
		$this->assertStringStartsWith( 'text/csv', $h['Content-Type'] );
		$this->assertSame( "'=cmd@example.test,12.50,USD,alice,November\n", $csv );
		list( , $d ) = $this->rest( 'GET', '/v1/referrals/' . $sale['referral']['id'], null, $this->sk() );
		$this->assertSame( array( 'paid', $p['id'] ), array( $d['status'], $d['payout_id'] ) );
		list( , $b ) = $this->rest( 'GET', '/v1/balances?affiliate=alice', null, $this->sk() );
		$this->assertSame( array( 0, 0, 1250 ), array( $b['balances'][0]['pending'], $b['balances'][0]['approved'], $b['balances'][0]['paid'] ) );
	}

	/**
	 * Records a sale credited through a coupon at a given time; returns its referral.
	 *
	 * @param string $order    Order id.
	 * @param int    $amount   Minor units.
	 * @param string $currency Code.
	 * @param string $coupon   Coupon.
	 * @param int    $at       Unix time.
	 * @return array
	 */
	private function sale_at( $order, $amount, $currency, $coupon, $at ) {
		list( $s, $d ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => $order, 'amount' => $amount, 'currency' => $currency, 'coupon' => $coupon, 'at' => gmdate( 'Y-m-d\TH:i:s\Z', $at ) ), $this->sk() );
		$this->assertSame( 201, $s, wp_json_encode( $d ) );
		return $d['referral'];
	}

	public function test_decimal_amounts_as_the_server_writes_them() {
		$cases = array(
			array( 1250, 'USD', '12.50' ),
			array( 5, 'USD', '0.05' ),
			array( 1250000, 'VND', '1250000' ),
			array( -150, 'USD', '-1.50' ),
			array( -5, 'USD', '-0.05' ),
			array( 1234, 'KWD', '1.234' ),
			array( -1234, 'KWD', '-1.234' ),
			array( 12345, 'CLF', '1.2345' ),
			array( 0, 'USD', '0.00' ),
			array( PHP_INT_MIN, 'USD', '-92233720368547758.08' ),
		);
		foreach ( $cases as list( $amount, $currency, $want ) ) {
			$this->assertSame( $want, Reftrail_Input::decimal( $amount, $currency ), "$amount $currency" );
		}
	}

	public function test_referral_ledger_downloads_as_csv() {
		$this->affiliate( 'alice', array( 'coupons' => array( 'ALICE' ), 'email' => 'alice@example.test' ) );
		$this->affiliate( 'bob', array( 'coupons' => array( 'BOB' ) ) );
		$t0      = time() - 3600;
		$usd     = $this->sale_at( '=1+2', 2000, 'USD', 'ALICE', $t0 - 300 );
		$odd     = $this->sale_at( 'C:\dir\"x",y', 1999, 'USD', 'ALICE', $t0 - 240 );
		$kwd     = $this->sale_at( '-5 KWD', 12345, 'KWD', 'ALICE', $t0 - 180 );
		$vnd     = $this->sale_at( 'plain-1', 1250000, 'VND', 'ALICE', $t0 - 120 );
		$bob     = $this->sale_at( 'bob-1', 500, 'USD', 'BOB', $t0 - 60 );
		$click   = $this->click( 'alice' );
		list( $s, $lead ) = $this->rest( 'POST', '/v1/leads', array( 'event' => '@signup', 'email' => 'alice@example.test', 'click_id' => $click ), $this->sk() );
		$this->assertSame( 201, $s, wp_json_encode( $lead ) );
		$lead = $lead['referral'];
		$this->assertSame( array( 'self_referral' ), $lead['flags'] );
		global $wpdb;
		$wpdb->update( Reftrail_Db::table( 'referrals' ), array( 'flags' => '["self_referral","click_velocity"]' ), array( 'id' => $lead['id'] ) );
		list( , $usd ) = $this->rest( 'POST', '/v1/referrals/' . $usd['id'] . '/approve', null, $this->sk() );

		list( $s, $csv, $h ) = $this->rest( 'GET', '/v1/referrals.csv?affiliate=alice', null, $this->sk() );
		$this->assertSame( 200, $s, is_string( $csv ) ? $csv : wp_json_encode( $csv ) );
		$this->assertSame( 'text/csv; charset=utf-8', $h['Content-Type'] );
		$this->assertSame( 'attachment; filename="referrals.csv"', $h['Content-Disposition'] );
		$row  = fn( $r, $cells ) => implode( ',', array( $r['id'], $r['at'] ) ) . ',' . $cells . ',' . $r['hold_until'] . ",,\n";
		$want = "referral_id,at,kind,affiliate,order_id,event,currency,amount,commission,commission_net,status,attributed_by,verified,flags,hold_until,payout_id,campaign\n"
			. $row( $lead, 'lead,alice,,\'@signup,' . $lead['currency'] . ',' . Reftrail_Input::decimal( 0, $lead['currency'] ) . ',' . Reftrail_Input::decimal( 0, $lead['currency'] ) . ',' . Reftrail_Input::decimal( 0, $lead['currency'] ) . ',pending,click_id,true,self_referral click_velocity' )
			. $row( $vnd, 'sale,alice,plain-1,,VND,1250000,125000,125000,pending,coupon,true,' )
			. $row( $kwd, "sale,alice,'-5 KWD,,KWD,12.345,1.234,1.234,pending,coupon,true," )
			. $row( $odd, 'sale,alice,"C:\dir\""x"",y",,USD,19.99,2.00,2.00,pending,coupon,true,' )
			. $row( $usd, "sale,alice,'=1+2,,USD,20.00,2.00,2.00,approved,coupon,true," );
		$this->assertSame( $want, $csv );
		// The JSON list holds the same referrals in the same order.
		list( , $d ) = $this->rest( 'GET', '/v1/referrals?affiliate=alice', null, $this->sk() );
		$this->assertSame( array( $lead['id'], $vnd['id'], $kwd['id'], $odd['id'], $usd['id'] ), array_column( $d['referrals'], 'id' ) );
		// Read back by a CSV parser without an escape character: the cells as written.
		$lines = array_map( fn( $l ) => str_getcsv( $l, ',', '"', '' ), explode( "\n", rtrim( $csv, "\n" ) ) );
		$this->assertSame( 'C:\dir\"x",y', $lines[4][4] );
		$this->assertCount( 17, $lines[4] );

		// Every referral of the period: bob's too, newest first.
		list( , $all ) = $this->rest( 'GET', '/v1/referrals.csv', null, $this->sk() );
		$ids           = array_map( fn( $l ) => explode( ',', $l )[0], array_slice( explode( "\n", rtrim( $all, "\n" ) ), 1 ) );
		$this->assertSame( array( $lead['id'], $bob['id'], $vnd['id'], $kwd['id'], $odd['id'], $usd['id'] ), $ids );
	}

	public function test_referral_ledger_csv_filters_and_refusals() {
		$this->affiliate( 'alice', array( 'coupons' => array( 'ALICE' ), 'email' => 'alice@example.test' ) );
		$this->affiliate( 'bob', array( 'coupons' => array( 'BOB' ) ) );
		$t0  = time() - 3 * DAY_IN_SECONDS;
		$old = $this->sale_at( 'old', 1000, 'USD', 'ALICE', $t0 - 40 * DAY_IN_SECONDS );
		$a1  = $this->sale_at( 'a1', 1000, 'USD', 'ALICE', $t0 );
		$a2  = $this->sale_at( 'a2', 2000, 'USD', 'ALICE', $t0 + DAY_IN_SECONDS );
		$b1  = $this->sale_at( 'b1', 3000, 'USD', 'BOB', $t0 + 2 * DAY_IN_SECONDS );
		global $wpdb;
		$wpdb->update( Reftrail_Db::table( 'referrals' ), array( 'flags' => '["conversion_rate"]' ), array( 'id' => $a2['id'] ) );
		// As the shop's page reports it with the publishable key.
		$wpdb->update( Reftrail_Db::table( 'referrals' ), array( 'verified' => 0 ), array( 'id' => $b1['id'] ) );
		$this->rest( 'POST', '/v1/referrals/' . $a1['id'] . '/approve', null, $this->sk() );
		$ids = function ( $query ) {
			list( $s, $csv ) = $this->rest( 'GET', '/v1/referrals.csv' . $query, null, $this->sk() );
			$this->assertSame( 200, $s, $query . ' ' . ( is_string( $csv ) ? $csv : wp_json_encode( $csv ) ) );
			$lines = explode( "\n", rtrim( $csv, "\n" ) );
			$this->assertSame( implode( ',', Reftrail_Ledger::CSV_HEADER ), $lines[0] );
			return array_map( fn( $l ) => explode( ',', $l )[0], array_slice( $lines, 1 ) );
		};
		$this->assertSame( array( $b1['id'], $a2['id'], $a1['id'] ), $ids( '' ), 'the last 30 days by default' );
		$this->assertSame( array( $a2['id'], $a1['id'] ), $ids( '?affiliate=alice' ) );
		$this->assertSame( array(), $ids( '?affiliate=nobody' ) );
		$this->assertSame( array( $a1['id'] ), $ids( '?status=approved' ) );
		$this->assertSame( array( $b1['id'], $a2['id'] ), $ids( '?status=pending' ) );
		$this->assertSame( array(), $ids( '?affiliate=alice&status=paid' ) );
		$this->assertSame( array( $a2['id'] ), $ids( '?flagged=true' ) );
		$this->assertSame( array( $b1['id'], $a1['id'] ), $ids( '?flagged=false' ) );
		$this->assertSame( array( $b1['id'] ), $ids( '?verified=false' ) );
		$this->assertSame( array( $a2['id'], $a1['id'] ), $ids( '?verified=true' ) );
		$this->assertSame( array( $a1['id'] ), $ids( '?verified=true&flagged=false' ) );
		$this->assertSame( array(), $ids( '?verified=false&affiliate=alice' ) );
		$day = fn( $t ) => gmdate( 'Y-m-d', $t );
		$this->assertSame( array( $a2['id'] ), $ids( '?from=' . rawurlencode( gmdate( 'Y-m-d\TH:i:s\Z', $t0 + 1 ) ) . '&to=' . rawurlencode( gmdate( 'Y-m-d\TH:i:s\Z', $t0 + 2 * DAY_IN_SECONDS ) ) ) );
		$this->assertSame( array( $old['id'] ), $ids( '?from=' . $day( $t0 - 41 * DAY_IN_SECONDS ) . '&to=' . $day( $t0 - 39 * DAY_IN_SECONDS ) ) );
		$this->assertSame( array( $b1['id'], $a2['id'], $a1['id'], $old['id'] ), $ids( '?from=' . $day( $t0 - 60 * DAY_IN_SECONDS ) ) );

		foreach ( array(
			'limit=5'         => 'invalid_query',
			'offset=0'        => 'invalid_query',
			'limit='          => 'invalid_query',
			'status=gone'     => 'invalid_query',
			'status[]=paid'   => 'invalid_query',
			'flagged=yes'     => 'invalid_query',
			'verified=1'      => 'invalid_query',
			'verified=maybe'  => 'invalid_query',
			'verified[]=true' => 'invalid_query',
			'from=yesterday'  => 'invalid_range',
			'from=2026-01-02&to=2026-01-01' => 'invalid_range',
		) as $query => $code ) {
			list( $s, $d, $h ) = $this->rest( 'GET', '/v1/referrals.csv?' . $query, null, $this->sk() );
			$this->assertSame( array( 400, $code ), array( $s, $d['error']['code'] ?? null ), $query );
			$this->assertArrayNotHasKey( 'Content-Disposition', $h, $query );
		}
		// The JSON list still pages, and counts every match whatever the page.
		list( $s, $d ) = $this->rest( 'GET', '/v1/referrals?limit=1&offset=1', null, $this->sk() );
		$this->assertSame( array( 200, array( $a2['id'] ), 3 ), array( $s, array_column( $d['referrals'], 'id' ), $d['total'] ) );
		list( , $d ) = $this->rest( 'GET', '/v1/referrals?limit=1&offset=5', null, $this->sk() );
		$this->assertSame( array( array(), 3 ), array( $d['referrals'], $d['total'] ) );
		list( , $d ) = $this->rest( 'GET', '/v1/referrals?verified=true&limit=1', null, $this->sk() );
		$this->assertSame( array( array( $a2['id'] ), 2 ), array( array_column( $d['referrals'], 'id' ), $d['total'] ) );
		list( , $d ) = $this->rest( 'GET', '/v1/referrals?verified=false&status=pending', null, $this->sk() );
		$this->assertSame( array( array( $b1['id'] ), 1 ), array( array_column( $d['referrals'], 'id' ), $d['total'] ) );
		list( , $d ) = $this->rest( 'GET', '/v1/referrals?affiliate=alice&verified=false', null, $this->sk() );
		$this->assertSame( array( array(), 0 ), array( $d['referrals'], $d['total'] ) );
		foreach ( array( 'verified=1', 'verified=TRUE', 'verified=' ) as $query ) {
			list( $s, $d ) = $this->rest( 'GET', '/v1/referrals?' . $query, null, $this->sk() );
			$this->assertSame( array( 400, 'invalid_query' ), array( $s, $d['error']['code'] ?? null ), $query );
		}
	}

	public function test_referrals_of_one_second_go_newest_first_by_id_byte_wise() {
		$this->affiliate( 'alice', array( 'coupons' => array( 'ALICE' ) ) );
		$at = time() - 600;
		$r1 = $this->sale_at( 's1', 1000, 'USD', 'ALICE', $at );
		$r2 = $this->sale_at( 's2', 1000, 'USD', 'ALICE', $at );
		// Ids sort by creation time byte-wise ('Z' < 'a'); a case-insensitive comparison would put
		// the older one first.
		global $wpdb;
		$ids = array( $r1['id'] => 'ref_00000000Z000000000000', $r2['id'] => 'ref_00000000a000000000000' );
		foreach ( $ids as $from => $to ) {
			$wpdb->update( Reftrail_Db::table( 'referrals' ), array( 'id' => $to ), array( 'id' => $from ) );
			$wpdb->update( Reftrail_Db::table( 'ledger' ), array( 'referral_id' => $to ), array( 'referral_id' => $from ) );
		}
		$newest_first = array( 'ref_00000000a000000000000', 'ref_00000000Z000000000000' );
		list( , $d ) = $this->rest( 'GET', '/v1/referrals?affiliate=alice', null, $this->sk() );
		$this->assertSame( $newest_first, array_column( $d['referrals'], 'id' ) );
		list( , $csv ) = $this->rest( 'GET', '/v1/referrals.csv?affiliate=alice', null, $this->sk() );
		$this->assertSame( $newest_first, array_map( fn( $l ) => explode( ',', $l )[0], array_slice( explode( "\n", rtrim( $csv, "\n" ) ), 1 ) ) );
		$this->assertSame( array( '1.00', '1.00' ), array_map( fn( $l ) => explode( ',', $l )[9], array_slice( explode( "\n", rtrim( $csv, "\n" ) ), 1 ) ), 'commission_net follows the ledger' );
	}

	public function test_referral_ledger_csv_reads_in_pages_and_refuses_more_than_100000() {
		global $wpdb;
		$this->affiliate( 'alice' );
		$r   = Reftrail_Db::table( 'referrals' );
		$now = time();
		// Bulk referrals (MariaDB's sequence tables): their hold ends later, so none is approved.
		// Bulk referrals (MariaDB's sequence tables), seven to a second so that pages end inside a
		// second; their hold ends later, so none is approved on the way.
		$bulk = function ( $n, $status ) use ( $wpdb, $r, $now ) {
			$wpdb->query( $wpdb->prepare( "INSERT INTO {$r} (id, kind, source_id, affiliate_id, at, amount, currency, commission, status, verified, attributed_by, flags, hold_until, eligible) SELECT CONCAT('ref_', %s, LPAD(seq, 8, '0')), 'sale', CONCAT('ord_', %s, seq), 'alice', %d - FLOOR(seq / 7), 100, 'USD', 10, %s, 1, 'coupon', '[]', %d, 1 FROM seq_1_to_{$n}", $status, $status, $now - 60, $status, $now + DAY_IN_SECONDS ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		};
		$bulk( 2500, 'paid' );
		list( $s, $csv ) = $this->rest( 'GET', '/v1/referrals.csv?status=paid', null, $this->sk() );
		$this->assertSame( 200, $s );
		$lines = array_slice( explode( "\n", rtrim( $csv, "\n" ) ), 1 );
		$got   = array_map( fn( $l ) => array_slice( explode( ',', $l ), 0, 2 ), $lines );
		$want  = array();
		for ( $i = 1; $i <= 2500; $i++ ) {
			$want[] = array( sprintf( 'ref_paid%08d', $i ), $this->rfc( $now - 60 - intdiv( $i, 7 ) ) );
		}
		usort( $want, fn( $a, $b ) => array( $b[1], $b[0] ) <=> array( $a[1], $a[0] ) );
		$this->assertSame( $want, $got, 'three pages, each referral once, newest first' );
		$this->assertSame( "ref_paid00001001,{$this->rfc( $now - 60 - 143 )},sale,alice,,,USD,1.00,0.10,0.00,paid,coupon,true,,{$this->rfc( $now + DAY_IN_SECONDS )},,", $lines[ array_search( array( 'ref_paid00001001', $this->rfc( $now - 60 - 143 ) ), $got, true ) ] );

		$bulk( Reftrail_Ledger::MAX_EXPORT - 2500 + 1, 'pending' );
		list( $s, $d, $h ) = $this->rest( 'GET', '/v1/referrals.csv', null, $this->sk() );
		$this->assertSame( array( 422, 'export_too_large' ), array( $s, $d['error']['code'] ?? null ) );
		$this->assertStringStartsWith( 'application/json', $h['Content-Type'] ?? 'application/json' );
		list( $s ) = $this->rest( 'GET', '/v1/referrals.csv?status=paid', null, $this->sk() );
		$this->assertSame( 200, $s, 'a narrower export still downloads' );
		list( $s ) = $this->rest( 'GET', '/v1/referrals?limit=500', null, $this->sk() );
		$this->assertSame( 200, $s, 'the list pages through any number' );
	}

	/**
	 * RFC 3339 UTC.
	 *
	 * @param int $t Unix time.
	 * @return string
	 */
	private function rfc( $t ) {
		return gmdate( 'Y-m-d\TH:i:s\Z', $t );
	}

	public function test_me_payouts_list_only_the_affiliates_own() {
		$this->program( array( 'hold_days' => 0 ) );
		$alice = $this->affiliate( 'alice', array( 'coupons' => array( 'A' ), 'email' => 'alice@example.test' ) );
		$bob   = $this->affiliate( 'bob', array( 'coupons' => array( 'B' ), 'email' => 'bob@example.test' ) );
		$as    = fn( $made ) => array( 'authorization' => 'Bearer ' . $made['token'] );
		list( $s, $d ) = $this->rest( 'GET', '/v1/me/payouts', null, $as( $alice ) );
		$this->assertSame( array( 200, array( 'payouts' => array() ) ), array( $s, $d ), 'an empty history' );
		$this->rest( 'POST', '/v1/sales', array( 'order_id' => 'Q1', 'amount' => 10000, 'currency' => 'USD', 'coupon' => 'A' ), $this->sk() );
		$this->rest( 'POST', '/v1/sales', array( 'order_id' => 'Q2', 'amount' => 30000, 'currency' => 'USD', 'coupon' => 'B' ), $this->sk() );
		list( $s, $first ) = $this->rest( 'POST', '/v1/payouts', array( 'note' => 'March' ), $this->sk() );
		$this->assertSame( 201, $s, wp_json_encode( $first ) );
		$this->rest( 'POST', '/v1/sales', array( 'order_id' => 'Q3', 'amount' => 5000, 'currency' => 'USD', 'coupon' => 'A' ), $this->sk() );
		add_filter( 'reftrail_now', fn() => time() + 60 );
		list( $s, $second ) = $this->rest( 'POST', '/v1/payouts', null, $this->sk() );
		$this->assertSame( 201, $s, wp_json_encode( $second ) );
		list( $s, $d ) = $this->rest( 'GET', '/v1/me/payouts', null, $as( $alice ) );
		$this->assertSame( 200, $s );
		$this->assertSame(
			array(
				array(
					'id'                    => $second['id'],
					'at'                    => $second['at'],
					'amount'                => 500,
					'gross'                 => 500,
					'withheld'              => 0,
					'currency'              => 'USD',
					'referrals'             => 1,
					'bonuses'               => 0,
					'recruiter_commissions' => 0,
					'method'                => 'paypal',
					'paypal_email'          => 'alice@example.test',
					'account'               => null,
					'note'                  => null,
					'sent_at'               => null,
				),
				array(
					'id'                    => $first['id'],
					'at'                    => $first['at'],
					'amount'                => 1000,
					'gross'                 => 1000,
					'withheld'              => 0,
					'currency'              => 'USD',
					'referrals'             => 1,
					'bonuses'               => 0,
					'recruiter_commissions' => 0,
					'method'                => 'paypal',
					'paypal_email'          => 'alice@example.test',
					'account'               => null,
					'note'                  => 'March',
					'sent_at'               => null,
				),
			),
			$d['payouts']
		);
		list( , $d ) = $this->rest( 'GET', '/v1/me/payouts', null, $as( $bob ) );
		$this->assertSame( array( array( $first['id'], 3000 ) ), array_map( fn( $p ) => array( $p['id'], $p['amount'] ), $d['payouts'] ), "bob sees only his line of the shared batch" );
		list( , $d ) = $this->rest( 'GET', '/v1/me/payouts?limit=1&offset=1', null, $as( $alice ) );
		$this->assertSame( array( $first['id'] ), array_column( $d['payouts'], 'id' ) );
		list( $s, $d ) = $this->rest( 'GET', '/v1/me/payouts?limit=0', null, $as( $alice ) );
		$this->assertSame( array( 400, 'invalid_query' ), array( $s, $d['error']['code'] ) );
		// Only an affiliate: not the merchant's key, not anonymous, not a shop manager.
		list( $s ) = $this->rest( 'GET', '/v1/me/payouts', null, $this->sk() );
		$this->assertSame( 403, $s );
		list( $s ) = $this->rest( 'GET', '/v1/me/payouts' );
		$this->assertSame( 401, $s );
		wp_set_current_user( $this->user( 'administrator' ) );
		list( $s ) = $this->rest( 'GET', '/v1/me/payouts' );
		$this->assertSame( 403, $s );
		// A WordPress user linked to bob, with the affiliate role, sees bob's.
		$uid = $this->user( Reftrail_Schema::ROLE );
		global $wpdb;
		$wpdb->update( Reftrail_Db::table( 'affiliates' ), array( 'user_id' => $uid ), array( 'id' => 'bob' ) );
		wp_set_current_user( $uid );
		list( $s, $d ) = $this->rest( 'GET', '/v1/me/payouts' );
		$this->assertSame( array( 200, array( $first['id'] ) ), array( $s, array_column( $d['payouts'], 'id' ) ) );
	}

	public function test_cost_of_goods_roi_and_contribution_margin() {
		$this->program( array( 'hold_days' => 0 ) );
		$made = $this->affiliate( 'alice', array( 'coupons' => array( 'A' ) ) );
		foreach ( array(
			array( array( 'cost' => -1 ), 'invalid_cost' ),
			array( array( 'cost' => 10001 ), 'invalid_cost' ),
			array( array( 'cost' => '40' ), 'invalid_body' ),
			array( array( 'cost' => 40.5 ), 'invalid_body' ),
		) as list( $bad, $code ) ) {
			list( $s, $d ) = $this->rest( 'POST', '/v1/sales', array_merge( array( 'order_id' => 'C0', 'amount' => 10000, 'currency' => 'USD', 'coupon' => 'A' ), $bad ), $this->sk() );
			$this->assertSame( array( 400, $code ), array( $s, $d['error']['code'] ?? null ), wp_json_encode( $bad ) );
		}
		list( , $d ) = $this->rest( 'GET', '/v1/sales', null, $this->sk() );
		$this->assertSame( array(), $d['sales'], 'a refused sale writes nothing' );
		list( $s, $d ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'C1', 'amount' => 3000, 'currency' => 'USD', 'coupon' => 'A', 'cost' => 1000 ), $this->sk() );
		$this->assertSame( array( 201, 1000 ), array( $s, $d['sale']['cost'] ) );
		$this->rest( 'POST', '/v1/sales', array( 'order_id' => 'C2', 'amount' => 10000, 'currency' => 'USD', 'coupon' => 'A', 'cost' => 0 ), $this->sk() );
		// A third of C1 refunded takes back 333 of its cost.
		$this->rest( 'POST', '/v1/refunds', array( 'order_id' => 'C1', 'amount' => 1000, 'refund_id' => 'C1-a' ), $this->sk() );
		$money = function () {
			list( , $r ) = $this->rest( 'GET', '/v1/reports/summary', null, $this->sk() );
			return $r['kpis']['money'][0];
		};
		$m = $money();
		$this->assertSame( array( 12000, 1200, 667, 0 ), array( $m['revenue_net'], $m['commissions'], $m['cost_of_goods'], $m['sales_without_cost'] ) );
		$this->assertSame( 12000 - 667 - 1200, $m['contribution_margin'] );
		$this->assertSame( round( ( 12000 - 667 - 1200 ) / 1200, 6 ), $m['roi'] );
		$this->assertSame( round( $m['roi'] * 100, 2 ), $m['roi_percent'] );
		// A sale without a cost: no ROI until it is no net sale any more.
		$this->rest( 'POST', '/v1/sales', array( 'order_id' => 'C3', 'amount' => 5000, 'currency' => 'USD', 'coupon' => 'A' ), $this->sk() );
		$m = $money();
		$this->assertSame( array( 1, null, null ), array( $m['sales_without_cost'], $m['roi'], $m['roi_percent'] ) );
		$this->assertSame( 17000 - 667 - 1700, $m['contribution_margin'] );
		$this->rest( 'POST', '/v1/refunds', array( 'order_id' => 'C3' ), $this->sk() );
		// The rest of C1, in two parts: its whole cost comes back.
		$this->rest( 'POST', '/v1/refunds', array( 'order_id' => 'C1', 'amount' => 1000, 'refund_id' => 'C1-b' ), $this->sk() );
		$this->assertSame( 333, $money()['cost_of_goods'] );
		$this->rest( 'POST', '/v1/refunds', array( 'order_id' => 'C1', 'refund_id' => 'C1-c' ), $this->sk() );
		$m = $money();
		$this->assertSame( array( 10000, 1000, 0, 0, 9000, 9.0 ), array( $m['revenue_net'], $m['commissions'], $m['cost_of_goods'], $m['sales_without_cost'], $m['contribution_margin'], $m['roi'] ) );
		list( , $d ) = $this->rest( 'GET', '/v1/sales', null, $this->sk() );
		// Sales of one second tie on time: find each by its order id, not by position.
		$costs = array_column( $d['sales'], 'cost', 'order_id' );
		$this->assertSame( array( 1000, 0, null ), array( $costs['C1'], $costs['C2'], $costs['C3'] ) );
		// The affiliate sees their revenue, not the merchant's cost figures.
		list( $s, $d ) = $this->rest( 'GET', '/v1/me/report', null, array( 'authorization' => 'Bearer ' . $made['token'] ) );
		$this->assertSame( 200, $s );
		$m = $d['kpis']['money'][0];
		$this->assertSame( 10000, $m['revenue_net'] );
		foreach ( array( 'cost_of_goods', 'sales_without_cost', 'roi', 'roi_percent', 'contribution_margin' ) as $k ) {
			$this->assertNull( $m[ $k ], $k );
		}
	}

	public function test_affiliates_crud() {
		list( $s, $d, $h ) = $this->rest( 'POST', '/v1/affiliates', array( 'id' => 'carol', 'name' => 'Carol', 'category' => 'influencer', 'commission' => array( 'sale' => array( 'type' => 'percent', 'rate_bps' => 1500 ) ), 'coupons' => array( 'carol5' ) ), $this->sk() );
		$this->assertSame( 201, $s );
		$this->assertSame( '/v1/affiliates/carol', $h['Location'] );
		$this->assertStringStartsWith( 'at_', $d['token'] );
		$this->assertSame( array( 'CAROL5' ), $d['affiliate']['coupons'] );
		list( $s, $d ) = $this->rest( 'POST', '/v1/affiliates', array( 'id' => 'carol', 'name' => 'Again' ), $this->sk() );
		$this->assertSame( array( 409, 'affiliate_exists' ), array( $s, $d['error']['code'] ) );
		list( $s, $d ) = $this->rest( 'POST', '/v1/affiliates', array( 'id' => 'dave', 'name' => 'Dave', 'coupons' => array( 'CAROL5' ) ), $this->sk() );
		$this->assertSame( array( 409, 'coupon_taken' ), array( $s, $d['error']['code'] ) );
		list( $s, $d ) = $this->rest( 'PATCH', '/v1/affiliates/carol', array( 'status' => 'suspended', 'commission' => null ), $this->sk() );
		$this->assertSame( array( 200, 'suspended', null ), array( $s, $d['status'], $d['commission'] ) );
		list( $s, $d ) = $this->rest( 'PATCH', '/v1/affiliates/nobody', array( 'name' => 'x' ), $this->sk() );
		$this->assertSame( 404, $s );
		foreach ( array( array( 'category' => 'spam' ), array( 'status' => 'boss' ), array( 'email' => 'nope' ), array( 'commission' => array( 'sale' => array( 'type' => 'percent', 'rate_bps' => 10001 ) ) ) ) as $bad ) {
			list( $s ) = $this->rest( 'POST', '/v1/affiliates', array_merge( array( 'id' => 'eve', 'name' => 'Eve' ), $bad ), $this->sk() );
			$this->assertSame( 400, $s, wp_json_encode( $bad ) );
		}
		list( , $d ) = $this->rest( 'GET', '/v1/affiliates?status=suspended', null, $this->sk() );
		$this->assertSame( 1, $d['total'] );
		list( $s, $d ) = $this->rest( 'GET', '/v1/affiliates?limit=0', null, $this->sk() );
		$this->assertSame( array( 400, 'invalid_query' ), array( $s, $d['error']['code'] ) );
	}

	public function test_program_and_reports() {
		list( $s, $p ) = $this->rest( 'GET', '/v1/program', null, $this->sk() );
		$this->assertSame( 200, $s );
		$this->assertSame( array( 'ref', 'aff', 'via', 'affiliate' ), $p['params'] );
		foreach ( array( array( 'window_days' => 0 ), array( 'model' => 'middle' ), array( 'commission' => array( 'sale' => array( 'type' => 'percent', 'rate_bps' => 20000 ) ) ), array( 'allowed_origins' => array( 'https://x.test/path' ) ), array( 'surprise' => 1 ) ) as $bad ) {
			list( $s, $d ) = $this->rest( 'PUT', '/v1/program', array_merge( array( 'name' => 'P' ), $bad ), $this->sk() );
			$this->assertSame( 400, $s, wp_json_encode( $bad ) );
		}
		list( $s, $p ) = $this->rest( 'PUT', '/v1/program', array( 'name' => 'Spring', 'window_days' => 60, 'hold_days' => 0 ), $this->sk() );
		$this->assertSame( array( 200, 60, 'last' ), array( $s, $p['window_days'], $p['model'] ) );
		$this->affiliate( 'alice', array( 'coupons' => array( 'A' ) ) );
		$this->click( 'alice' );
		$this->rest( 'POST', '/v1/sales', array( 'order_id' => 'S1', 'amount' => 10000, 'currency' => 'USD', 'coupon' => 'A' ), $this->sk() );
		$this->rest( 'POST', '/v1/sales', array( 'order_id' => 'S2', 'amount' => 5000, 'currency' => 'USD' ), $this->sk() );
		list( $s, $r ) = $this->rest( 'GET', '/v1/reports/summary', null, $this->sk() );
		$this->assertSame( 200, $s );
		$this->assertSame( 1, $r['kpis']['clicks'] );
		$this->assertSame( 1, $r['kpis']['sales']['net'] );
		$this->assertSame( 10000, $r['kpis']['money'][0]['revenue_net'] );
		$this->assertSame( 1000, $r['kpis']['money'][0]['commissions'] );
		$this->assertSame( 15000, $r['store'][0]['revenue'], 'store revenue counts unattributed orders' );
		$this->assertSame( 'alice', $r['top_affiliates'][0]['affiliate'] );
		foreach ( array( 'timeseries', 'affiliates', 'categories' ) as $g ) {
			list( $s, $r ) = $this->rest( 'GET', "/v1/reports/$g?from=2020-01-01", null, $this->sk() );
			$this->assertSame( 200, $s, $g );
			$this->assertNotEmpty( $r['rows'] );
		}
		list( $s, $d ) = $this->rest( 'GET', '/v1/reports/summary?from=yesterday', null, $this->sk() );
		$this->assertSame( array( 400, 'invalid_range' ), array( $s, $d['error']['code'] ) );
	}

	public function test_rates_by_affiliate_category() {
		$pct           = fn( $bps ) => array(
			'type'     => 'percent',
			'rate_bps' => $bps,
		);
		list( $s, $p ) = $this->rest( 'GET', '/v1/program', null, $this->sk() );
		$this->assertSame( array( 200, array() ), array( $s, $p['commission']['affiliate_categories'] ), 'none until the merchant sets some' );
		$rates         = array(
			'cashback' => array(
				'sale' => $pct( 300 ),
				'lead' => array( 'USD' => 50 ),
			),
			'coupon'   => array( 'lead' => array( 'USD' => 0 ) ),
		);
		$commission    = array(
			'sale'                 => $pct( 1000 ),
			'lead'                 => array( 'USD' => 200 ),
			'affiliate_categories' => $rates,
		);
		list( $s, $p ) = $this->put_program_rest( array( 'commission' => $commission ) );
		$this->assertSame( array( 200, $rates ), array( $s, $p['commission']['affiliate_categories'] ), wp_json_encode( $p ) );

		$cashback = $this->affiliate(
			'cashy',
			array(
				'category' => 'cashback',
				'coupons'  => array( 'CB' ),
			)
		);
		$this->affiliate(
			'owen',
			array(
				'category'   => 'cashback',
				'coupons'    => array( 'OWN' ),
				'commission' => array( 'sale' => $pct( 800 ) ),
			)
		);
		$content = $this->affiliate(
			'cora',
			array(
				'category' => 'content',
				'coupons'  => array( 'CT' ),
			)
		);
		// The category's 3 %, the affiliate's own 8 % above it, the program's 10 % for the others.
		foreach ( array(
			'CB'  => 300,
			'OWN' => 800,
			'CT'  => 1000,
		) as $coupon => $want ) {
			list( $s, $d ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'cat-' . $coupon, 'amount' => 10000, 'currency' => 'USD', 'coupon' => $coupon ), $this->sk() );
			$this->assertSame( array( 201, $want ), array( $s, $d['referral']['commission'] ?? null ), $coupon );
		}
		// A lead: the category's amount, else the program's; a category's amount of 0 pays 0.
		foreach ( array(
			array( 'cashy', 50 ),
			array( 'cora', 200 ),
		) as list( $id, $want ) ) {
			list( $s, $d ) = $this->rest( 'POST', '/v1/leads', array( 'event' => 'signup', 'customer_id' => 'c-' . $id, 'click_id' => $this->click( $id ) ), $this->sk() );
			$this->assertSame( array( 201, $want ), array( $s, $d['referral']['commission'] ?? null ), $id );
		}
		$this->patch_affiliate( 'cora', array( 'category' => 'coupon' ) );
		list( , $d ) = $this->rest( 'POST', '/v1/leads', array( 'event' => 'signup', 'customer_id' => 'c-cora-2', 'click_id' => $this->click( 'cora' ) ), $this->sk() );
		$this->assertSame( 0, $d['referral']['commission'], 'the category the affiliate has at the conversion' );

		// Each affiliate reads their category's rates.
		list( $s, $d ) = $this->rest( 'GET', '/v1/me', null, array( 'authorization' => 'Bearer ' . $cashback['token'] ) );
		$this->assertSame( array( 200, $rates['cashback'] ), array( $s, $d['category_commission'] ) );
		list( , $d ) = $this->rest( 'GET', '/v1/me', null, array( 'authorization' => 'Bearer ' . $content['token'] ) );
		$this->assertSame(
			array(
				'sale' => null,
				'lead' => array( 'USD' => 0 ),
			),
			$d['category_commission'],
			'now a coupon site'
		);
		$this->patch_affiliate( 'cora', array( 'category' => 'email' ) );
		list( , $d ) = $this->rest( 'PATCH', '/v1/me', array( 'referral_emails' => false ), array( 'authorization' => 'Bearer ' . $content['token'] ) );
		$this->assertArrayHasKey( 'category_commission', $d );
		$this->assertNull( $d['category_commission'], 'a category without rates' );

		// Only the program's categories, and only valid rates; a refused change writes nothing.
		foreach ( array(
			array( array( 'bloggers' => array( 'sale' => $pct( 300 ) ) ), 'invalid_commission', 'bloggers' ),
			array( array( 'coupon' => array( 'sale' => $pct( 10001 ) ) ), 'invalid_commission', 'invalid_rate' ),
			array( array( 'coupon' => array( 'lead' => array( 'USD' => -1 ) ) ), 'invalid_commission', 'negative_amount' ),
			array( array( 'coupon' => array( 'sale' => $pct( 'ten' ) ) ), 'invalid_body', 'rate_bps' ),
			array( array( 'coupon' => array( 'rate' => $pct( 300 ) ) ), 'invalid_body', 'rate' ),
			array( array( 'coupon', 'cashback' ), 'invalid_body', 'affiliate_categories' ),
		) as list( $bad, $code, $named ) ) {
			list( $s, $d ) = $this->put_program_rest( array( 'commission' => array_merge( $commission, array( 'affiliate_categories' => $bad ) ) ) );
			$this->assertSame( array( 400, $code ), array( $s, $d['error']['code'] ?? null ), wp_json_encode( $bad ) );
			$this->assertStringContainsString( $named, $d['error']['message'] );
		}
		list( , $p ) = $this->rest( 'GET', '/v1/program', null, $this->sk() );
		$this->assertSame( $rates, $p['commission']['affiliate_categories'] );
	}

	public function test_program_multi_touch_model_and_locale() {
		list( $s, $p ) = $this->rest( 'GET', '/v1/program', null, $this->sk() );
		$this->assertSame( 200, $s );
		$this->assertSame( array( 'kind' => 'last' ), $p['multi_touch'] );
		$this->assertSame( 'en', $p['locale'], 'a USD program speaks English' );
		list( $s, $p ) = $this->rest( 'PUT', '/v1/program', array( 'currency' => 'VND' ), $this->sk() );
		$this->assertSame( array( 200, 'vi' ), array( $s, $p['locale'] ), 'left out, the language is the currency\'s' );
		list( $s, $p ) = $this->rest( 'PUT', '/v1/program', array( 'currency' => 'THB', 'locale' => null ), $this->sk() );
		$this->assertSame( array( 200, 'th' ), array( $s, $p['locale'] ) );
		$set           = array(
			'currency'    => 'VND',
			'locale'      => 'en',
			'multi_touch' => array(
				'half_life_days' => 14,
				'kind'           => 'time_decay',
			),
		);
		list( $s, $p ) = $this->rest( 'PUT', '/v1/program', $set, $this->sk() );
		$this->assertSame( 200, $s, wp_json_encode( $p ) );
		$this->assertSame( '{"kind":"time_decay","half_life_days":14}', wp_json_encode( $p['multi_touch'] ) );
		$this->assertSame( 'en', $p['locale'] );
		foreach ( array(
			array( array( 'multi_touch' => array( 'kind' => 'position' ) ), 'invalid_multi_touch' ),
			array( array( 'multi_touch' => array( 'kind' => 'time_decay' ) ), 'invalid_multi_touch' ),
			array( array( 'multi_touch' => array( 'kind' => 'time_decay', 'half_life_days' => 366 ) ), 'invalid_multi_touch' ),
			array( array( 'multi_touch' => array( 'kind' => 'linear', 'half_life_days' => 3 ) ), 'invalid_multi_touch' ),
			array( array( 'multi_touch' => array( 'kind' => 'linear', 'weights' => array( 1 ) ) ), 'invalid_body' ),
			array( array( 'multi_touch' => array( 'half_life_days' => 3 ) ), 'invalid_body' ),
			array( array( 'multi_touch' => 'linear' ), 'invalid_body' ),
			array( array( 'locale' => 'fr' ), 'invalid_locale' ),
			array( array( 'locale' => '' ), 'invalid_locale' ),
			array( array( 'locale' => 2 ), 'invalid_body' ),
		) as list( $bad, $code ) ) {
			list( $s, $d ) = $this->rest( 'PUT', '/v1/program', array_merge( $set, array( 'name' => 'Not saved' ), $bad ), $this->sk() );
			$this->assertSame( array( 400, $code ), array( $s, $d['error']['code'] ?? null ), wp_json_encode( $bad ) );
		}
		list( , $p ) = $this->rest( 'GET', '/v1/program', null, $this->sk() );
		$this->assertSame( array( 'Affiliate program', 'en', 14 ), array( $p['name'], $p['locale'], $p['multi_touch']['half_life_days'] ), 'a refused change writes nothing' );
		// The portal follows the program's language; only a merchant changes it.
		$made          = $this->affiliate( 'alice' );
		$aff           = array( 'authorization' => 'Bearer ' . $made['token'] );
		list( $s, $d ) = $this->rest( 'GET', '/v1/me', null, $aff );
		$this->assertSame( array( 200, 'en' ), array( $s, $d['locale'] ) );
		list( $s ) = $this->rest( 'PUT', '/v1/program', array( 'locale' => 'th' ), $aff );
		$this->assertSame( 403, $s );
		wp_set_current_user( $this->user( 'subscriber' ) );
		list( $s ) = $this->rest( 'PUT', '/v1/program', array( 'locale' => 'th' ) );
		$this->assertSame( 403, $s, 'a subscriber cannot change the program' );
		wp_set_current_user( $this->user( 'administrator' ) );
		list( $s, $p ) = $this->rest( 'PUT', '/v1/program', array( 'locale' => 'th' ), array( 'x-wp-nonce' => wp_create_nonce( 'wp_rest' ) ) );
		$this->assertSame( array( 200, 'th' ), array( $s, $p['locale'] ) );
	}

	public function test_me_for_affiliates_only() {
		$made   = $this->affiliate( 'alice', array( 'coupons' => array( 'A' ) ) );
		$this->rest( 'POST', '/v1/sales', array( 'order_id' => 'M1', 'amount' => 2000, 'currency' => 'USD', 'coupon' => 'A' ), $this->sk() );
		list( $s, $d ) = $this->rest( 'GET', '/v1/me', null, array( 'authorization' => 'Bearer ' . $made['token'] ) );
		$this->assertSame( 200, $s );
		$this->assertSame( 'alice', $d['affiliate']['id'] );
		$this->assertSame( 200, $d['balances'][0]['pending'] );
		// A WordPress user linked to the affiliate, with the affiliate role.
		$uid = $this->user( Reftrail_Schema::ROLE );
		global $wpdb;
		$wpdb->update( Reftrail_Db::table( 'affiliates' ), array( 'user_id' => $uid ), array( 'id' => 'alice' ) );
		wp_set_current_user( $uid );
		list( $s, $d ) = $this->rest( 'GET', '/v1/me/report' );
		$this->assertSame( 200, $s );
		$this->assertCount( 1, $d['referrals'] );
		$this->assertSame( 200, $d['referrals'][0]['commission'] );
		list( $s ) = $this->rest( 'GET', '/v1/referrals' );
		$this->assertSame( 403, $s, 'an affiliate is not a merchant' );
		wp_set_current_user( 0 );
		list( $s ) = $this->rest( 'GET', '/v1/me' );
		$this->assertSame( 401, $s );
		list( $s ) = $this->rest( 'GET', '/v1/me', null, $this->sk() );
		$this->assertSame( 403, $s );
	}

	public function test_unknown_paths_and_methods() {
		list( $s, $d ) = $this->rest( 'GET', '/v1/nothing' );
		$this->assertSame( array( 404, 'not_found' ), array( $s, $d['error']['code'] ) );
		list( $s, $d ) = $this->rest( 'DELETE', '/v1/clicks' );
		$this->assertSame( array( 405, 'method_not_allowed' ), array( $s, $d['error']['code'] ) );
		list( $s, $d ) = $this->rest( 'GET', '/healthz' );
		$this->assertSame( array( 200, 'ok' ), array( $s, $d['status'] ) );
	}

	public function test_keys_sessions_preflight_and_operator_routes() {
		list( $s, $k ) = $this->rest( 'POST', '/v1/keys', array( 'kind' => 'publishable' ), $this->sk() );
		$this->assertSame( 201, $s );
		$this->assertStringStartsWith( 'pk_', $k['key'] );
		list( $s ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'K9', 'amount' => 1, 'currency' => 'USD' ), array( 'authorization' => 'Bearer ' . $k['key'] ) );
		$this->assertSame( 201, $s );
		list( $s ) = $this->rest( 'DELETE', '/v1/keys/' . $k['id'], null, $this->sk() );
		$this->assertSame( 204, $s );
		list( $s ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'K10', 'amount' => 1, 'currency' => 'USD' ), array( 'authorization' => 'Bearer ' . $k['key'] ) );
		$this->assertSame( 401, $s, 'a revoked key stops working' );
		list( $s, $d ) = $this->rest( 'POST', '/v1/keys', array( 'kind' => 'root' ), $this->sk() );
		$this->assertSame( array( 400, 'invalid_kind' ), array( $s, $d['error']['code'] ) );
		list( , $d ) = $this->rest( 'GET', '/v1/keys', null, $this->sk() );
		$this->assertStringNotContainsString( $this->secret, wp_json_encode( $d ) );

		// The dashboard session: a shop manager's password, then the CSRF token on changes.
		$uid = $this->user( 'administrator' );
		wp_set_password( 'correct horse battery', $uid );
		list( $s, $d ) = $this->rest( 'POST', '/v1/session', array( 'password' => 'wrong' ) );
		$this->assertSame( array( 401, 'unauthorized' ), array( $s, $d['error']['code'] ) );
		list( $s, $d, $h ) = $this->rest( 'POST', '/v1/session', array( 'password' => 'correct horse battery', 'username' => get_userdata( $uid )->user_login ) );
		$this->assertSame( 201, $s );
		$this->assertMatchesRegularExpression( '/^rt_session=[A-Za-z0-9]+; Max-Age=43200; Path=\/; HttpOnly; SameSite=Strict$/', $h['Set-Cookie'] );
		$cookie        = array( 'cookie' => explode( ';', $h['Set-Cookie'] )[0] );
		list( $s )     = $this->rest( 'GET', '/v1/affiliates', null, $cookie );
		$this->assertSame( 200, $s );
		list( $s, $e ) = $this->rest( 'POST', '/v1/affiliates', array( 'id' => 'bysession', 'name' => 'S' ), $cookie );
		$this->assertSame( array( 403, 'csrf_failed' ), array( $s, $e['error']['code'] ) );
		list( $s )     = $this->rest( 'POST', '/v1/affiliates', array( 'id' => 'bysession', 'name' => 'S' ), $cookie + array( 'x_csrf_token' => $d['csrf_token'] ) );
		$this->assertSame( 201, $s );
		list( $s, $csv ) = $this->rest( 'GET', '/v1/referrals.csv', null, $cookie );
		$this->assertSame( array( 200, implode( ',', Reftrail_Ledger::CSV_HEADER ) . "\n" ), array( $s, $csv ), 'a read: no CSRF token needed' );
		list( $s )     = $this->rest( 'GET', '/v1/me', null, $cookie );
		$this->assertSame( 403, $s, 'a session is not an affiliate' );
		list( $s )     = $this->rest( 'DELETE', '/v1/session', null, $cookie + array( 'x_csrf_token' => $d['csrf_token'] ) );
		$this->assertSame( 204, $s );
		list( $s )     = $this->rest( 'GET', '/v1/affiliates', null, $cookie );
		$this->assertSame( 401, $s, 'signed out' );

		// CORS preflight of a browser route.
		list( $s, , $h ) = $this->rest( 'OPTIONS', '/v1/clicks', null, array( 'origin' => home_url() ) );
		$this->assertSame( 204, $s );
		$this->assertSame( home_url(), $h['Access-Control-Allow-Origin'] );
		list( $s, $d ) = $this->rest( 'OPTIONS', '/v1/sales', null, array( 'origin' => 'https://evil.example' ) );
		$this->assertSame( array( 403, 'origin_not_allowed' ), array( $s, $d['error']['code'] ) );

		// OpenAPI, metrics, report sorting.
		list( $s, $doc ) = $this->rest( 'GET', '/v1/openapi.json' );
		$this->assertSame( array( 200, '3.1.0' ), array( $s, $doc['openapi'] ) );
		foreach ( array( '/v1/clicks', '/v1/sales', '/v1/me', '/v1/session', '/v1/referrals.csv', '/v1/program/changes', '/v1/creatives', '/v1/me/creatives', '/v1/activity', '/v1/woocommerce-coupons/template', '/healthz', '/metrics' ) as $p ) {
			$this->assertArrayHasKey( $p, $doc['paths'] );
		}
		$csv = $doc['paths']['/v1/referrals.csv']['get'];
		$this->assertArrayHasKey( 'text/csv', $csv['responses']['200']['content'] );
		$this->assertSame( array( 'status', 'affiliate', 'campaign', 'flagged', 'verified', 'from', 'to' ), array_column( $csv['parameters'], 'name' ) );
		$list = $doc['paths']['/v1/referrals']['get'];
		$this->assertSame( array( 'status', 'affiliate', 'campaign', 'flagged', 'verified', 'from', 'to', 'limit', 'offset' ), array_column( $list['parameters'], 'name' ) );
		$this->assertStringContainsString( '"total"', $list['summary'] );
		$this->assertSame( array( array( 'secret_key' => array() ), array( 'session' => array() ), array( 'wordpress_user' => array() ) ), $csv['security'] );
		list( $s, $text, $h ) = $this->rest( 'GET', '/metrics' );
		$this->assertSame( 200, $s );
		$this->assertStringStartsWith( 'text/plain', $h['Content-Type'] );
		$this->assertStringContainsString( 'reftrail_clicks_total 0', $text );
		list( $s, $d ) = $this->rest( 'GET', '/v1/reports/affiliates?sort=vibes', null, $this->sk() );
		$this->assertSame( array( 400, 'invalid_query' ), array( $s, $d['error']['code'] ) );
		list( $s, $d ) = $this->rest( 'GET', '/v1/reports/timeseries', null, $this->sk() );
		$this->assertGreaterThanOrEqual( 30, count( $d['rows'] ) );
		list( $s, $d ) = $this->rest( 'PUT', '/v1/program', array( 'commission' => array( 'sale' => array( 'type' => 'percent', 'rate_bps' => 'ten' ) ) ), $this->sk() );
		$this->assertSame( array( 400, 'invalid_body' ), array( $s, $d['error']['code'] ) );
		list( $s, $d ) = $this->rest( 'POST', '/v1/sales', '{"order_id":"x","amount":1e400,"currency":"USD"}', $this->sk() );
		$this->assertSame( array( 400, 'invalid_json' ), array( $s, $d['error']['code'] ) );
	}
}
