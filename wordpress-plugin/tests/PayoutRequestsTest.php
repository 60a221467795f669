<?php
/**
 * Payout requests, as the server's routes/payout_requests.rs and tests/contract/payout_requests.rs
 * have them: an affiliate asks to be paid their approved balance in one currency, sees their
 * requests and takes an open one back; the merchant lists them with filters, pays one with an
 * ordinary payout (which closes it in its transaction) or declines it with a reason. One open
 * request per affiliate and currency, made under the payouts' lock; none below the program's
 * minimum or without anywhere to pay. Each request and decline is in the activity log; the
 * administrator is emailed of each request unless the settings say not to, and the affiliate of
 * each decline whatever the program says, in the program's language with the server's words.
 * And the routes in the OpenAPI document, the settings page and the schema upgrade.
 *
 * @package Reftrail
 */

/**
 * Payout requests tests.
 */
class PayoutRequestsTest extends Reftrail_Test_Case {

	/** The tests that change tables, which commits: they run outside the transaction. */
	const SCHEMA_TESTS = array( 'test_the_upgrade_from_26_adds_the_table' );

	/** @var array[] The messages wp_mail() was given. */
	private $mails = array();

	protected function setUp(): void {
		$this->transactional = ! in_array( $this->getName( false ), self::SCHEMA_TESTS, true );
		parent::setUp();
		if ( $this->transactional ) {
			$this->program( array( 'hold_days' => 0 ) );
		}
		add_filter( 'pre_wp_mail', array( $this, 'catch_mail' ), 10, 2 );
	}

	protected function tearDown(): void {
		remove_filter( 'pre_wp_mail', array( $this, 'catch_mail' ), 10 );
		remove_all_filters( 'pre_option_admin_email' );
		remove_all_filters( 'option_' . Reftrail_Settings::OPTION );
		remove_action( 'shutdown', array( 'Reftrail_Affiliate_Mail', 'ask_for_a_run' ) );
		parent::tearDown();
	}

	/**
	 * The `pre_wp_mail` filter: keeps the message instead of sending it.
	 *
	 * @param null|bool $pre  Null.
	 * @param array     $atts wp_mail()'s arguments.
	 * @return bool
	 */
	public function catch_mail( $pre, $atts ) {
		$this->mails[] = $atts;
		return true;
	}

	/**
	 * An approved affiliate with a PayPal email (their own) and the coupon of their id in
	 * capitals; the bearer header of their token.
	 *
	 * @param string $id    Id.
	 * @param array  $extra Fields.
	 * @return array
	 */
	private function member( $id, array $extra = array() ) {
		$a = $this->affiliate(
			$id,
			array_merge(
				array(
					'email'   => $id . '@aff.test',
					'coupons' => array( strtoupper( $id ) ),
				),
				$extra
			)
		);
		return array( 'authorization' => 'Bearer ' . $a['token'] );
	}

	/**
	 * A verified sale by `$affiliate`'s coupon (10 % commission, approved at once).
	 *
	 * @param string $affiliate Affiliate.
	 * @param int    $amount    Minor units.
	 * @param string $currency  Currency.
	 */
	private function earn( $affiliate, $amount, $currency = 'VND' ) {
		$this->approved_coupon_sale( strtoupper( $affiliate ), $amount, $currency );
	}

	/**
	 * POST /v1/me/payout-requests as `$who`: [status, body].
	 *
	 * @param array        $who  Headers.
	 * @param array|string $body Body.
	 * @return array
	 */
	private function ask( array $who, $body ) {
		return array_slice( $this->rest( 'POST', '/v1/me/payout-requests', $body, $who ), 0, 2 );
	}

	/**
	 * A request that must be accepted.
	 *
	 * @param array  $who      Headers.
	 * @param string $currency Currency.
	 * @return array
	 */
	private function asked( array $who, $currency = 'VND' ) {
		list( $s, $d ) = $this->ask( $who, array( 'currency' => $currency ) );
		$this->assertSame( 201, $s, wp_json_encode( $d ) );
		return $d;
	}

	/**
	 * GET /v1/me/payout-requests as `$who`: the requests.
	 *
	 * @param array $who Headers.
	 * @return array[]
	 */
	private function mine( array $who ) {
		list( $s, $d ) = $this->rest( 'GET', '/v1/me/payout-requests', null, $who );
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
		$this->assertSame( array( 'requests' ), array_keys( $d ) );
		return $d['requests'];
	}

	/**
	 * GET /v1/payout-requests`$query` with the secret key: the page.
	 *
	 * @param string $query Query, with its `?`.
	 * @return array
	 */
	private function listed( $query = '' ) {
		list( $s, $d ) = $this->rest( 'GET', '/v1/payout-requests' . $query, null, $this->sk() );
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
		return $d;
	}

	/**
	 * POST /v1/payout-requests/`$id`/decline: [status, body].
	 *
	 * @param string            $id      Request.
	 * @param array|string|null $body    Body.
	 * @param array|null        $headers Headers (the secret key by default).
	 * @return array
	 */
	private function decline( $id, $body = null, $headers = null ) {
		return array_slice( $this->rest( 'POST', '/v1/payout-requests/' . $id . '/decline', $body, $headers ?? $this->sk() ), 0, 2 );
	}

	/**
	 * DELETE /v1/me/payout-requests/`$id` as `$who`: [status, body].
	 *
	 * @param string $id  Request.
	 * @param array  $who Headers.
	 * @return array
	 */
	private function take_back( $id, array $who ) {
		return array_slice( $this->rest( 'DELETE', '/v1/me/payout-requests/' . $id, null, $who ), 0, 2 );
	}

	/**
	 * Asserts a refusal.
	 *
	 * @param array  $answer [status, body].
	 * @param int    $status Status.
	 * @param string $code   Code.
	 * @param string $what   What was sent.
	 */
	private function refused( array $answer, $status, $code, $what = '' ) {
		$this->assertSame( array( $status, $code ), array( $answer[0], $answer[1]['error']['code'] ?? null ), $what . ' ' . wp_json_encode( $answer[1] ) );
		$this->assertNotSame( '', $answer[1]['error']['message'] ?? '' );
	}

	/**
	 * The entries of the activity log of `$action`, newest first.
	 *
	 * @param string $action Action.
	 * @return array[]
	 */
	private function logged( $action ) {
		list( $s, $d ) = $this->rest( 'GET', '/v1/activity?action=' . $action, null, $this->sk() );
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
		return $d['activity'];
	}

	/**
	 * The queued emails of `$event`: [recipient, affiliate_id, payload].
	 *
	 * @param string $event Event.
	 * @return array[]
	 */
	private static function queued( $event ) {
		global $wpdb;
		$rows = $wpdb->get_results( $wpdb->prepare( 'SELECT recipient, affiliate_id, payload FROM ' . Reftrail_Db::table( 'mail_outbox' ) . ' WHERE event = %s ORDER BY at, BINARY id', $event ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		return array_map( fn( $r ) => array( $r['recipient'], $r['affiliate_id'], json_decode( $r['payload'], true ) ), $rows );
	}

	/**
	 * The server's string literal `$literal` (asserted to be in `$file` of server/src) with its
	 * placeholders filled in.
	 *
	 * @param string $file    team_mail.rs or affiliate_mail.rs.
	 * @param string $literal The server's string literal.
	 * @param array  $values  Placeholder => value.
	 * @return string
	 */
	private function server_says( $file, $literal, array $values = array() ) {
		$rust = file_get_contents( dirname( __DIR__, 2 ) . '/server/src/' . $file ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_get_contents_file_get_contents
		$this->assertIsString( $rust );
		$this->assertStringContainsString( '"' . $literal . '"', $rust, 'the server says this sentence' );
		foreach ( $values as $k => $v ) {
			$literal = str_replace( '{' . $k . '}', $v, $literal );
		}
		return $literal;
	}

	public function test_an_affiliate_asks_to_be_paid_and_a_payout_answers_it() {
		$alice = $this->member( 'alice' );
		$this->refused( $this->ask( $alice, array( 'currency' => 'VND' ) ), 409, 'below_minimum', 'nothing approved yet' );
		$this->earn( 'alice', 500000 );
		$before = Reftrail_Db::now();
		$r      = $this->asked( $alice );
		$this->assertSame( array( 'id', 'affiliate', 'currency', 'amount', 'status', 'at', 'closed_at', 'payout_id', 'reason' ), array_keys( $r ) );
		$this->assertMatchesRegularExpression( '/^prq_[0-9A-Za-z]{21}$/', $r['id'] );
		$this->assertSame( array( 'alice', 'VND', 50000, 'open', null, null, null ), array( $r['affiliate'], $r['currency'], $r['amount'], $r['status'], $r['closed_at'], $r['payout_id'], $r['reason'] ) );
		$this->assertGreaterThanOrEqual( $before, Reftrail_Db::parse_time( $r['at'] ) );
		$this->assertMatchesRegularExpression( '/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/', $r['at'] );
		$this->refused( $this->ask( $alice, array( 'currency' => 'VND' ) ), 409, 'request_open', 'one open request per currency' );
		$this->assertSame( array( $r ), $this->mine( $alice ) );

		// The merchant's list, filtered.
		$this->assertSame(
			array(
				'requests' => array( $r ),
				'total'    => 1,
			),
			$this->listed( '?affiliate=alice&status=open' )
		);
		$this->assertSame( 0, $this->listed( '?affiliate=alice&status=paid' )['total'] );
		$this->assertSame( 0, $this->listed( '?affiliate=ALICE' )['total'], 'the affiliate byte for byte' );
		$log = $this->logged( 'payout.requested' );
		$this->assertCount( 1, $log );
		$this->assertSame( array( 'affiliate:alice', 'payout.requested', $r['id'], 'alice' ), array( $log[0]['by'], $log[0]['action'], $log[0]['subject'], $log[0]['affiliate'] ) );
		$this->assertSame(
			array(
				'currency' => 'VND',
				'amount'   => 50000,
			),
			$log[0]['details']
		);

		// A payout of another currency, or of another affiliate only, leaves it open.
		$this->member( 'bob' );
		$this->earn( 'bob', 100000 );
		$this->earn( 'alice', 10000, 'USD' );
		list( $s, $p ) = $this->rest(
			'POST',
			'/v1/payouts',
			array(
				'currency'   => 'USD',
				'affiliates' => array( 'alice' ),
			),
			$this->sk()
		);
		$this->assertSame( 201, $s, wp_json_encode( $p ) );
		list( $s, $p ) = $this->rest( 'POST', '/v1/payouts', array( 'affiliates' => array( 'bob' ) ), $this->sk() );
		$this->assertSame( 201, $s, wp_json_encode( $p ) );
		$this->assertSame( 'open', $this->mine( $alice )[0]['status'] );

		// Paid with an ordinary payout of that affiliate and currency: closed by it.
		$now = Reftrail_Db::now() + 60;
		add_filter( 'reftrail_now', fn() => $now );
		list( $s, $payout ) = $this->rest(
			'POST',
			'/v1/payouts',
			array(
				'currency'   => 'VND',
				'affiliates' => array( 'alice' ),
			),
			$this->sk()
		);
		$this->assertSame( 201, $s, wp_json_encode( $payout ) );
		$this->assertSame( 50000, $payout['lines'][0]['amount'] );
		$paid = $this->mine( $alice )[0];
		$this->assertSame( array( $r['id'], 'paid', $payout['id'], Reftrail_Db::rfc3339( $now ), $payout['at'], null ), array( $paid['id'], $paid['status'], $paid['payout_id'], $paid['closed_at'], $paid['closed_at'], $paid['reason'] ) );
		$this->assertSame( 1, $this->listed( '?affiliate=alice&status=paid' )['total'] );
		// Closed: neither taken back nor declined.
		$this->refused( $this->take_back( $r['id'], $alice ), 409, 'request_closed' );
		$this->refused( $this->decline( $r['id'], array() ), 409, 'request_closed' );
		$this->assertStringContainsString( 'paid', $this->decline( $r['id'], array() )[1]['error']['message'] );
		// Paid out: nothing left to ask for.
		$this->refused( $this->ask( $alice, array( 'currency' => 'VND' ) ), 409, 'below_minimum' );
	}

	public function test_a_payout_of_every_balance_closes_each_open_request_it_pays() {
		$alice = $this->member( 'alice' );
		$bob   = $this->member( 'bob' );
		$this->earn( 'alice', 300000 );
		$this->earn( 'alice', 20000, 'USD' );
		$this->earn( 'bob', 200000 );
		$a_vnd = $this->asked( $alice );
		$a_usd = $this->asked( $alice, 'USD' );
		$b_vnd = $this->asked( $bob );
		list( $s, $payout ) = $this->rest( 'POST', '/v1/payouts', array(), $this->sk() );
		$this->assertSame( 201, $s, wp_json_encode( $payout ) );
		$this->assertCount( 3, $payout['lines'] );
		$page = $this->listed( '?status=paid' );
		$this->assertSame( 3, $page['total'] );
		$this->assertEqualsCanonicalizing( array( $a_vnd['id'], $a_usd['id'], $b_vnd['id'] ), array_column( $page['requests'], 'id' ) );
		$this->assertSame( array( $payout['id'] ), array_values( array_unique( array_column( $page['requests'], 'payout_id' ) ) ) );
		$this->assertSame( 0, $this->listed( '?status=open' )['total'] );
	}

	public function test_a_request_is_declined_with_a_reason_or_taken_back() {
		$alice = $this->member( 'alice' );
		$this->earn( 'alice', 300000 );
		$this->earn( 'alice', 10000, 'USD' );
		$vnd           = $this->asked( $alice );
		list( $s, $d ) = $this->decline( $vnd['id'], array( 'reason' => '  Hóa đơn chưa đủ: gửi lại sau ngày 5  ' ) );
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
		$this->assertSame( array( 'declined', 'Hóa đơn chưa đủ: gửi lại sau ngày 5', null ), array( $d['status'], $d['reason'], $d['payout_id'] ) );
		$this->assertNotNull( Reftrail_Db::parse_time( $d['closed_at'] ) );
		$log = $this->logged( 'payout.request_declined' );
		$this->assertSame( array( 'secret_key', $vnd['id'], 'alice' ), array( $log[0]['by'], $log[0]['subject'], $log[0]['affiliate'] ) );
		$this->assertSame(
			array(
				'currency' => 'VND',
				'amount'   => 30000,
				'reason'   => 'Hóa đơn chưa đủ: gửi lại sau ngày 5',
			),
			$log[0]['details']
		);
		$this->refused( $this->decline( $vnd['id'], array( 'reason' => 'again' ) ), 409, 'request_closed' );
		$this->assertCount( 1, $this->logged( 'payout.request_declined' ), 'a refusal records nothing' );

		// Another currency is a request of its own; the affiliate takes it back.
		$usd = $this->asked( $alice, 'USD' );
		$this->assertSame( 1000, $usd['amount'] );
		list( $s, $back ) = $this->take_back( $usd['id'], $alice );
		$this->assertSame( 200, $s, wp_json_encode( $back ) );
		$this->assertSame( array( 'cancelled', null, null ), array( $back['status'], $back['reason'], $back['payout_id'] ) );
		$this->assertNotNull( $back['closed_at'] );
		$this->refused( $this->take_back( $usd['id'], $alice ), 409, 'request_closed', 'taken back already' );
		$this->refused( $this->decline( $usd['id'] ), 409, 'request_closed' );
		// Declined and taken back, the balance is still theirs to ask for again.
		$again = $this->asked( $alice );
		$this->assertSame( 30000, $again['amount'] );
		$statuses = array_map( fn( $r ) => array( $r['currency'], $r['status'] ), $this->mine( $alice ) );
		$this->assertEqualsCanonicalizing( array( array( 'VND', 'open' ), array( 'USD', 'cancelled' ), array( 'VND', 'declined' ) ), $statuses );

		// A decline with no body, an empty body or an empty reason keeps no reason.
		foreach ( array( null, array(), array( 'reason' => null ), array( 'reason' => '   ' ) ) as $i => $body ) {
			$open = 0 === $i ? $again : $this->asked( $alice );
			list( $s, $d ) = $this->decline( $open['id'], $body );
			$this->assertSame( array( 200, 'declined', true, null ), array( $s, $d['status'] ?? null, array_key_exists( 'reason', $d ), $d['reason'] ?? null ), wp_json_encode( $body ) . ' ' . wp_json_encode( $d ) );
			$this->assertNull( $this->logged( 'payout.request_declined' )[0]['details']['reason'] );
		}

		// Someone else's request is not theirs to take back; nor is an unknown one.
		$bob = $this->member( 'bob' );
		$this->refused( $this->take_back( $vnd['id'], $bob ), 404, 'payout_request_not_found' );
		$this->refused( $this->take_back( 'prq_nothing_here', $alice ), 404, 'payout_request_not_found' );
		$this->refused( $this->take_back( strtoupper( $vnd['id'] ), $alice ), 404, 'payout_request_not_found', 'the id byte for byte' );
	}

	public function test_payout_requests_refuse_bad_input() {
		$alice = $this->member( 'alice' );
		$this->earn( 'alice', 300000 );
		foreach ( array( 'vnd', 'VNDX', '', 'VN', 'ĐỒN' ) as $currency ) {
			$this->refused( $this->ask( $alice, array( 'currency' => $currency ) ), 400, 'invalid_currency', $currency );
		}
		$this->refused( $this->ask( $alice, array() ), 400, 'invalid_body', 'no currency' );
		$this->refused( $this->ask( $alice, array( 'currency' => null ) ), 400, 'invalid_body', 'a null currency' );
		$this->refused( $this->ask( $alice, array( 'currency' => 704 ) ), 400, 'invalid_body', 'a number' );
		$this->refused( $this->ask( $alice, array( 'currency' => 'VND', 'amount' => 1 ) ), 400, 'invalid_body', 'an unknown field' );
		$this->refused( $this->ask( $alice, '[]' ), 400, 'invalid_body', 'a list' );
		$this->refused( $this->ask( $alice, '{"currency":' ), 400, 'invalid_json' );
		// A balance in another currency is not asked for in this one.
		$this->refused( $this->ask( $alice, array( 'currency' => 'THB' ) ), 409, 'below_minimum' );
		$this->assertSame( array(), $this->mine( $alice ), 'nothing written' );

		foreach ( array( '?status=waiting', '?status=OPEN', '?limit=0', '?limit=501', '?offset=-1', '?limit=x', '?status[]=open' ) as $query ) {
			$this->refused( $this->rest( 'GET', '/v1/payout-requests' . $query, null, $this->sk() ), 400, 'invalid_query', $query );
		}
		$this->refused( $this->decline( 'prq_nothing_here' ), 404, 'payout_request_not_found' );
		$r = $this->asked( $alice );
		foreach ( array( "a\nb", "tab\there", str_repeat( 'é', 251 ), "\u{85}" ) as $reason ) {
			$this->refused( $this->decline( $r['id'], array( 'reason' => $reason ) ), 400, 'invalid_reason', wp_json_encode( $reason ) );
		}
		$this->refused( $this->decline( $r['id'], array( 'reason' => 42 ) ), 400, 'invalid_body', 'a number' );
		$this->refused( $this->decline( $r['id'], array( 'why' => 'x' ) ), 400, 'invalid_body', 'an unknown field' );
		$this->assertSame( 'open', $this->mine( $alice )[0]['status'], 'nothing written' );
		list( $s, $d ) = $this->decline( $r['id'], array( 'reason' => str_repeat( 'é', 250 ) ) );
		$this->assertSame( array( 200, 500 ), array( $s, strlen( $d['reason'] ?? '' ) ), '500 bytes' );
	}

	public function test_each_side_calls_its_own_routes_only() {
		$alice = $this->member( 'alice' );
		$this->earn( 'alice', 300000 );
		$r = $this->asked( $alice );
		$this->assertSame( 401, $this->rest( 'GET', '/v1/me/payout-requests' )[0] );
		$this->assertSame( 401, $this->rest( 'POST', '/v1/me/payout-requests', array( 'currency' => 'VND' ) )[0] );
		$this->assertSame( 401, $this->rest( 'GET', '/v1/payout-requests' )[0] );
		$this->assertSame( 401, $this->rest( 'POST', '/v1/payout-requests/' . $r['id'] . '/decline' )[0] );
		$this->assertSame( 401, $this->rest( 'GET', '/v1/me/payout-requests', null, array( 'authorization' => 'Bearer at_nope' ) )[0] );
		foreach ( array( $this->sk(), array( 'authorization' => 'Bearer ' . Reftrail_Keys::publishable() ) ) as $who ) {
			$this->refused( array_slice( $this->rest( 'GET', '/v1/me/payout-requests', null, $who ), 0, 2 ), 403, 'forbidden' );
			$this->refused( $this->ask( $who, array( 'currency' => 'VND' ) ), 403, 'forbidden' );
			$this->refused( $this->take_back( $r['id'], $who ), 403, 'forbidden' );
		}
		$this->refused( array_slice( $this->rest( 'GET', '/v1/payout-requests', null, $alice ), 0, 2 ), 403, 'forbidden' );
		$this->refused( $this->decline( $r['id'], null, $alice ), 403, 'forbidden' );

		// A WordPress user linked to an affiliate is that affiliate, by cookie and nonce.
		$uid = $this->user( Reftrail_Schema::ROLE );
		$this->member( 'carol', array( 'user_id' => $uid ) );
		$this->earn( 'carol', 200000 );
		wp_set_current_user( $uid );
		list( $s, $d ) = $this->ask( array( 'x-wp-nonce' => wp_create_nonce( 'wp_rest' ) ), array( 'currency' => 'VND' ) );
		$this->assertSame( array( 201, 'carol' ), array( $s, $d['affiliate'] ?? null ), wp_json_encode( $d ) );
		$this->assertSame( array( $d['id'] ), array_column( $this->mine( array() ), 'id' ) );
		wp_set_current_user( 0 );

		// A viewer reads the requests and declines none; a shop manager declines one.
		wp_set_current_user( $this->user( self::viewer_role() ) );
		list( $s, $page ) = $this->rest( 'GET', '/v1/payout-requests?status=open' );
		$this->assertSame( array( 200, 2 ), array( $s, $page['total'] ?? null ) );
		$this->refused( $this->decline( $r['id'], array( 'reason' => 'no' ), array() ), 403, 'role_forbidden' );
		$this->refused( $this->decline( 'prq_nothing_here', null, array() ), 403, 'role_forbidden', 'whatever the id' );
		$this->assertSame( 'open', $this->mine( $alice )[0]['status'] );
		$manager = $this->user( self::manager_role() );
		wp_set_current_user( $manager );
		list( $s, $d ) = $this->decline( $r['id'], array( 'reason' => 'Chờ đối soát' ), array() );
		$this->assertSame( array( 200, 'declined' ), array( $s, $d['status'] ?? null ), wp_json_encode( $d ) );
		wp_set_current_user( 0 );
		$this->assertSame( 'user:' . get_userdata( $manager )->user_login, $this->logged( 'payout.request_declined' )[0]['by'] );
	}

	public function test_a_request_approves_the_referrals_whose_hold_ended_first() {
		$this->program(
			array(
				'currency'   => 'VND',
				'hold_days'  => 30,
				'min_payout' => 40000,
			)
		);
		$alice = $this->member( 'alice' );
		list( $s, $d ) = $this->rest(
			'POST',
			'/v1/sales',
			array(
				'order_id' => 'H-1',
				'amount'   => 500000,
				'currency' => 'VND',
				'coupon'   => 'ALICE',
			),
			$this->sk()
		);
		$this->assertSame( array( 201, 'pending' ), array( $s, $d['referral']['status'] ?? null ), wp_json_encode( $d ) );
		$this->refused( $this->ask( $alice, array( 'currency' => 'VND' ) ), 409, 'below_minimum', 'still held' );
		$later = Reftrail_Db::now() + 31 * Reftrail_Db::DAY;
		add_filter( 'reftrail_now', fn() => $later );
		$r = $this->asked( $alice );
		$this->assertSame( 50000, $r['amount'], 'approved on the way' );
		$this->assertSame( Reftrail_Db::rfc3339( $later ), $r['at'] );

		// Under the program's smallest payout, nothing to ask for.
		$this->program( array( 'hold_days' => 0 ) );
		$bob = $this->member( 'bob' );
		$this->earn( 'bob', 390000 );
		$this->refused( $this->ask( $bob, array( 'currency' => 'VND' ) ), 409, 'below_minimum', 'one under the minimum' );
		$this->earn( 'bob', 10000 );
		$this->assertSame( 40000, $this->asked( $bob )['amount'], 'at the minimum' );
	}

	public function test_nowhere_to_pay_is_refused() {
		// No email at all: no PayPal address to pay.
		$a   = $this->affiliate( 'dan', array( 'coupons' => array( 'DAN' ) ) );
		$dan = array( 'authorization' => 'Bearer ' . $a['token'] );
		$this->earn( 'dan', 300000 );
		$this->refused( $this->ask( $dan, array( 'currency' => 'VND' ) ), 409, 'no_payout_details' );
		$this->assertSame( array(), $this->mine( $dan ) );
		// A PayPal email of their own, or bank details, will do.
		list( $s, $d ) = $this->rest( 'PATCH', '/v1/me', array( 'payout_email' => 'dan@paypal.test' ), $dan );
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
		$this->assertSame( 'open', $this->asked( $dan )['status'] );
		$a   = $this->affiliate( 'eve', array( 'coupons' => array( 'EVE' ) ) );
		$eve = array( 'authorization' => 'Bearer ' . $a['token'] );
		$this->earn( 'eve', 300000 );
		list( $s, $d ) = $this->rest(
			'PATCH',
			'/v1/me',
			array(
				'payout' => array(
					'method'  => 'promptpay',
					'account' => '0812345678',
				),
			),
			$eve
		);
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
		$this->assertSame( 'open', $this->asked( $eve )['status'] );
	}

	public function test_at_most_one_request_is_open_and_it_is_made_under_the_payouts_lock() {
		global $wpdb;
		$alice = $this->member( 'alice' );
		$this->earn( 'alice', 300000 );
		// The lock a payout holds is held while the request is checked and written: the email is
		// queued inside it, which reads the settings.
		$held = array();
		$key  = 'reftrail:' . substr( hash( 'sha256', $wpdb->prefix . 'payouts' ), 0, 40 );
		add_filter(
			'option_' . Reftrail_Settings::OPTION,
			function ( $v ) use ( &$held, $wpdb, $key ) {
				$held[] = $wpdb->get_var( $wpdb->prepare( 'SELECT IS_USED_LOCK(%s) = CONNECTION_ID()', $key ) );
				return $v;
			}
		);
		$r = $this->asked( $alice );
		$this->assertContains( '1', $held, 'read under the payouts\' lock' );
		$this->assertNull( $wpdb->get_var( $wpdb->prepare( 'SELECT IS_USED_LOCK(%s)', $key ) ), 'released' );
		$this->refused( $this->ask( $alice, array( 'currency' => 'VND' ) ), 409, 'request_open' );
		$this->earn( 'alice', 100000 );
		$this->refused( $this->ask( $alice, array( 'currency' => 'VND' ) ), 409, 'request_open', 'a larger balance too' );
		$t = Reftrail_Db::table( 'payout_requests' );
		$this->assertSame( '1', $wpdb->get_var( "SELECT COUNT(*) FROM {$t} WHERE status = 'open'" ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$this->assertSame( 30000, $this->mine( $alice )[0]['amount'], 'the balance when it was asked' );
		$this->assertSame( $r['id'], $this->mine( $alice )[0]['id'] );
	}

	public function test_lists_are_newest_first_and_paged() {
		global $wpdb;
		$t = Reftrail_Db::table( 'payout_requests' );
		for ( $i = 0; $i < 60; $i++ ) {
			$wpdb->insert(
				$t,
				array(
					'id'           => sprintf( 'prq_%03d', $i ),
					'affiliate_id' => 0 === $i % 2 ? 'alice' : 'bob',
					'currency'     => 'VND',
					'amount'       => 1000 + $i,
					'status'       => 'declined',
					'at'           => 1780000000 + intdiv( $i, 2 ),
					'closed_at'    => 1780000100,
				)
			);
		}
		$alice = $this->member( 'alice' );
		$mine  = $this->mine( $alice );
		$this->assertCount( 30, $mine );
		$this->assertSame( 'prq_058', $mine[0]['id'] );
		$this->assertSame( array( 'alice', 1058, 'declined', '2026-05-28T20:27:09Z', null ), array( $mine[0]['affiliate'], $mine[0]['amount'], $mine[0]['status'], $mine[0]['at'], $mine[0]['reason'] ) );
		$all = $this->listed();
		$this->assertSame( 60, $all['total'] );
		$this->assertSame( array( 'prq_059', 'prq_058', 'prq_057' ), array_slice( array_column( $all['requests'], 'id' ), 0, 3 ), 'by time, then id' );
		$page = $this->listed( '?limit=5&offset=10&status=declined&affiliate=bob' );
		$this->assertSame( array( 30, array( 'prq_039', 'prq_037', 'prq_035', 'prq_033', 'prq_031' ) ), array( $page['total'], array_column( $page['requests'], 'id' ) ) );
		$this->assertSame( 0, $this->listed( '?status=cancelled' )['total'] );
		// An affiliate sees their latest 50.
		for ( $i = 60; $i < 120; $i++ ) {
			$wpdb->insert(
				$t,
				array(
					'id'           => sprintf( 'prq_%03d', $i ),
					'affiliate_id' => 'alice',
					'currency'     => 'USD',
					'amount'       => 1,
					'status'       => 'cancelled',
					'at'           => 1790000000 + $i,
				)
			);
		}
		$mine = $this->mine( $alice );
		$this->assertCount( 50, $mine );
		$this->assertSame( array( 'prq_119', 'prq_070' ), array( $mine[0]['id'], $mine[49]['id'] ) );
	}

	public function test_the_administrator_is_emailed_of_each_request_unless_the_settings_say_not_to() {
		add_filter( 'pre_option_admin_email', fn() => 'owner@shop.test' );
		update_option( 'blogname', 'Shop' );
		// On by default, also for settings saved before this one existed.
		update_option( Reftrail_Settings::OPTION, array_diff_key( Reftrail_Settings::get(), array( 'notify_payout_requests' => true ) ) );
		$this->assertTrue( Reftrail_Settings::get()['notify_payout_requests'], 'on by default' );
		$this->program(
			array(
				'name'   => 'Giày Sài Gòn',
				'locale' => 'vi',
			)
		);
		$minh = $this->member( 'minh' );
		$this->earn( 'minh', 1000000 );
		$r = $this->asked( $minh );
		$this->assertSame(
			array(
				array(
					'admin',
					'minh',
					array(
						'affiliate' => 'minh',
						'currency'  => 'VND',
						'amount'    => 100000,
					),
				),
			),
			self::queued( 'payout.requested' )
		);
		$this->assertTrue( (bool) has_action( 'shutdown', array( 'Reftrail_Affiliate_Mail', 'ask_for_a_run' ) ), 'a mail run is asked for' );
		Reftrail_Affiliate_Mail::send_due();
		$this->mails = array_values( array_filter( $this->mails, fn( $m ) => 'owner@shop.test' === $m['to'] ) );
		$this->assertCount( 1, $this->mails, 'beside the email about minh\'s referral' );
		$this->assertSame( $this->server_says( 'team_mail.rs', '{who} yêu cầu thanh toán', array( 'who' => 'minh' ) ), $this->mails[0]['subject'] );
		$this->assertStringContainsString( 'minh yêu cầu được thanh toán số dư đã duyệt 100.000 VND.', $this->mails[0]['message'], 'as the server\'s team test reads it' );
		$this->assertStringContainsString( Reftrail_Admin::payouts_url(), $this->mails[0]['message'] );
		$this->assertStringEndsWith( '#/payouts', Reftrail_Admin::payouts_url(), 'the dashboard\'s payouts' );

		// Declined and asked again with the setting off: no email; the request is made all the same.
		$this->assertSame( 200, $this->decline( $r['id'] )[0] );
		update_option( Reftrail_Settings::OPTION, Reftrail_Settings::sanitize( array_merge( Reftrail_Settings::get(), array( 'notify_payout_requests' => '' ) ) ) );
		$this->assertFalse( Reftrail_Settings::get()['notify_payout_requests'] );
		$this->assertTrue( Reftrail_Settings::get()['notify_deliveries'], 'the other emails stay on' );
		$this->asked( $minh );
		$this->assertCount( 1, self::queued( 'payout.requested' ) );
		$this->assertCount( 2, $this->logged( 'payout.requested' ) );
	}

	public function test_the_administrators_email_in_english_vietnamese_and_thai() {
		update_option( 'blogname', 'Shop' );
		$link    = Reftrail_Admin::payouts_url();
		$payload = wp_json_encode(
			array(
				'affiliate' => 'minh-anh',
				'currency'  => 'VND',
				'amount'    => 1250000,
			)
		);
		$words   = array(
			'en' => array( '{who} asks to be paid', '{who} asks to be paid their approved balance of {amount}.', 'Pay or decline it at', '1,250,000 VND', 'You receive this email as the administrator of Shop; you can turn these emails off in Reftrail > Settings.' ),
			'vi' => array( '{who} yêu cầu thanh toán', '{who} yêu cầu được thanh toán số dư đã duyệt {amount}.', 'Thanh toán hoặc từ chối tại', '1.250.000 VND', 'Bạn nhận được email này vì là quản trị viên của Shop; bạn có thể tắt các email này trong Reftrail > Cài đặt.' ),
			'th' => array( '{who} ขอรับการจ่ายเงิน', '{who} ขอรับยอดคงเหลือที่อนุมัติแล้ว {amount}', 'จ่ายหรือปฏิเสธได้ที่', '1,250,000 VND', 'คุณได้รับอีเมลนี้เนื่องจากเป็นผู้ดูแลระบบของ Shop ปิดอีเมลเหล่านี้ได้ที่ Reftrail > การตั้งค่า' ),
		);
		foreach ( $words as $locale => list( $subject, $said, $act, $amount, $you ) ) {
			$program = array(
				'name'   => 'Giày',
				'locale' => $locale,
			);
			$text    = Reftrail_Affiliate_Mail::render_for_admin( $program, 'payout.requested', 'owner@shop.test', 'minh-anh', 'Minh Anh', null, $payload );
			$this->assertIsArray( $text, $locale );
			$this->assertSame( $this->server_says( 'team_mail.rs', $subject, array( 'who' => 'minh-anh' ) ), $text['subject'], $locale );
			$said = $this->server_says(
				'team_mail.rs',
				$said,
				array(
					'who'    => 'minh-anh',
					'amount' => $amount,
				)
			);
			$this->assertSame( $said . "\n\n" . $this->server_says( 'team_mail.rs', $act ) . ' ' . $link . "\n\n" . $you . "\n", $text['body'], $locale );
		}
		$this->assertSame( 'minh-anh asks to be paid', Reftrail_Affiliate_Mail::render_for_admin( array( 'name' => 'Giày', 'locale' => 'de_DE' ), 'payout.requested', 'owner@shop.test', 'minh-anh', null, null, $payload )['subject'], 'another language reads English' );
		foreach ( array( '{}', 'null', '{"affiliate":"a","currency":"VND"}', '{"affiliate":null,"currency":"VND","amount":1}' ) as $bad ) {
			$this->assertNull( Reftrail_Affiliate_Mail::render_for_admin( array( 'name' => 'Giày', 'locale' => 'en' ), 'payout.requested', 'owner@shop.test', 'a', null, null, $bad ), $bad );
		}
		$this->assertSame( 'Affiliates', __( 'Affiliates', 'reftrail' ), "the request's own language is back" );
	}

	public function test_a_declined_request_is_mailed_with_its_reason_whatever_the_settings() {
		// Even a program that sends affiliates no other email tells them this: it answers them.
		$this->program(
			array(
				'name'             => 'Giày Sài Gòn',
				'locale'           => 'vi',
				'affiliate_emails' => array(),
			)
		);
		update_option( Reftrail_Settings::OPTION, Reftrail_Settings::sanitize( array() ) );
		$alice = $this->member( 'alice', array( 'name' => 'Alice' ) );
		$this->earn( 'alice', 1250000 );
		$r = $this->asked( $alice );
		$this->assertSame( array(), self::queued( 'payout.requested' ), 'the administrator\'s email is off' );
		$this->assertSame( 200, $this->decline( $r['id'], array( 'reason' => 'Chờ đối soát cuối tháng' ) )[0] );
		$this->assertSame(
			array(
				array(
					'affiliate',
					'alice',
					array(
						'currency' => 'VND',
						'amount'   => 125000,
						'reason'   => 'Chờ đối soát cuối tháng',
					),
				),
			),
			self::queued( 'payout_request.declined' )
		);
		$this->assertSame( 1, Reftrail_Affiliate_Mail::send_due() );
		$this->assertSame( array( 'alice@aff.test' ), array_column( $this->mails, 'to' ) );
		$text = $this->mails[0]['message'];
		$this->assertStringContainsString( 'Giày Sài Gòn đã từ chối yêu cầu thanh toán 125.000 VND của bạn.', $text, 'as the server\'s test reads it' );
		$this->assertStringContainsString( 'Lý do: Chờ đối soát cuối tháng', $text );
		$this->assertStringContainsString( Reftrail_Affiliate_Mail::portal_url(), $text );

		// A refused decline queues nothing.
		$this->refused( $this->decline( $r['id'], array( 'reason' => 'again' ) ), 409, 'request_closed' );
		$this->assertCount( 1, self::queued( 'payout_request.declined' ) );
	}

	public function test_the_affiliates_email_in_english_vietnamese_and_thai() {
		$portal = 'https://shop.test/portal/';
		$words  = array(
			'en' => array( '{program}: your payout request was declined', 'Hello', '{program} declined your request to be paid {amount}.', 'Why', 'The balance is still yours: the next payout pays it, or ask again at', 'You receive this email as an affiliate of {program}.', '125,000 VND' ),
			'vi' => array( '{program}: yêu cầu thanh toán của bạn bị từ chối', 'Xin chào', '{program} đã từ chối yêu cầu thanh toán {amount} của bạn.', 'Lý do', 'Số dư vẫn là của bạn: đợt thanh toán tới sẽ trả, hoặc bạn có thể yêu cầu lại tại', 'Bạn nhận được email này vì là cộng tác viên của {program}.', '125.000 VND' ),
			'th' => array( '{program}: คำขอรับเงินของคุณถูกปฏิเสธ', 'สวัสดี', '{program} ปฏิเสธคำขอรับเงิน {amount} ของคุณ', 'เหตุผล', 'ยอดเงินยังเป็นของคุณ: รอบจ่ายครั้งถัดไปจะจ่ายให้ หรือขอใหม่ได้ที่', 'คุณได้รับอีเมลนี้เนื่องจากเป็นพาร์ทเนอร์ของ {program}', '125,000 VND' ),
		);
		foreach ( $words as $locale => list( $subject, $hello, $said, $why, $then, $you, $amount ) ) {
			$program = array(
				'name'   => 'Giày',
				'locale' => $locale,
			);
			$fill    = array(
				'program' => 'Giày',
				'amount'  => $amount,
			);
			foreach ( array( 'Chờ đối soát', null ) as $reason ) {
				$payload = wp_json_encode(
					array(
						'currency' => 'VND',
						'amount'   => 125000,
						'reason'   => $reason,
					)
				);
				$text    = Reftrail_Affiliate_Mail::render( $program, 'payout_request.declined', $payload, 'Lan', $portal );
				$this->assertIsArray( $text, $locale );
				$this->assertSame( $this->server_says( 'affiliate_mail.rs', $subject, $fill ), $text['subject'], $locale );
				$body = $this->server_says( 'affiliate_mail.rs', $hello ) . " Lan,\n\n" . $this->server_says( 'affiliate_mail.rs', $said, $fill ) . "\n\n"
					. ( null === $reason ? '' : $this->server_says( 'affiliate_mail.rs', $why ) . ': ' . $reason . "\n\n" )
					. $this->server_says( 'affiliate_mail.rs', $then ) . ' ' . $portal . "\n\n" . $this->server_says( 'affiliate_mail.rs', $you, $fill ) . "\n";
				$this->assertSame( $body, $text['body'], $locale . ' ' . wp_json_encode( $reason ) );
			}
		}
		foreach ( array( '{}', 'null', '{"currency":"VND","amount":1}', '{"currency":"VND","amount":1,"reason":7}' ) as $bad ) {
			$this->assertNull( Reftrail_Affiliate_Mail::render( array( 'name' => 'Giày', 'locale' => 'en' ), 'payout_request.declined', $bad, 'Lan', $portal ), $bad );
		}
		$this->assertSame( 'Affiliates', __( 'Affiliates', 'reftrail' ), "the request's own language is back" );
	}

	public function test_the_settings_page_has_the_payout_requests_checkbox() {
		ob_start();
		Reftrail_Admin::field_payout_requests();
		$html = ob_get_clean();
		$this->assertStringContainsString( 'name="reftrail_settings[notify_payout_requests]" value="1" checked=\'checked\'', $html );
		$this->assertStringContainsString( 'Email me when an affiliate asks to be paid', $html );
		$this->assertStringContainsString( esc_html( get_option( 'admin_email' ) ), $html );
		update_option( Reftrail_Settings::OPTION, Reftrail_Settings::sanitize( array( 'notify_deliveries' => '1' ) ) );
		$this->assertSame( array( false, true ), array( Reftrail_Settings::get()['notify_payout_requests'], Reftrail_Settings::get()['notify_deliveries'] ) );
		ob_start();
		Reftrail_Admin::field_payout_requests();
		$this->assertStringNotContainsString( 'checked', ob_get_clean() );
		global $wp_settings_fields, $wp_settings_sections;
		$saved = array( $wp_settings_fields, $wp_settings_sections );
		try {
			Reftrail_Admin::settings();
			$fields = $wp_settings_fields['reftrail-settings']['reftrail_emails'];
			$this->assertSame( array( 'notify_applications', 'notify_flagged', 'notify_deliveries', 'notify_payout_requests' ), array_keys( $fields ), 'beside the other emails' );
			$this->assertSame( 'Payout requests', $fields['notify_payout_requests']['title'] );
		} finally {
			unregister_setting( 'reftrail', Reftrail_Settings::OPTION );
			list( $wp_settings_fields, $wp_settings_sections ) = $saved;
		}
	}

	public function test_the_openapi_document_names_the_routes() {
		list( $s, $doc ) = $this->rest( 'GET', '/v1/openapi.json' );
		$this->assertSame( 200, $s );
		$this->assertSame( array( 'get', 'post' ), array_keys( $doc['paths']['/v1/me/payout-requests'] ) );
		$this->assertSame( array( 'currency' ), array_keys( $doc['paths']['/v1/me/payout-requests']['post']['requestBody']['content']['application/json']['schema']['properties'] ) );
		$this->assertSame( array( array( 'affiliate_token' => array() ), array( 'wordpress_user' => array() ) ), $doc['paths']['/v1/me/payout-requests']['post']['security'] );
		$this->assertSame( array( 'delete' ), array_keys( $doc['paths']['/v1/me/payout-requests/{id}'] ) );
		$this->assertSame( array( 'get' ), array_keys( $doc['paths']['/v1/payout-requests'] ) );
		$this->assertSame( array( 'status', 'affiliate', 'limit', 'offset' ), array_column( $doc['paths']['/v1/payout-requests']['get']['parameters'], 'name' ) );
		$this->assertSame( array( 'post' ), array_keys( $doc['paths']['/v1/payout-requests/{id}/decline'] ) );
		$this->assertSame( array( 'id' ), array_column( $doc['paths']['/v1/payout-requests/{id}/decline']['post']['parameters'], 'name' ) );
		foreach ( array( '409 request_open', 'below_minimum', 'no_payout_details', 'invalid_currency' ) as $word ) {
			$this->assertStringContainsString( $word, $doc['paths']['/v1/me/payout-requests']['post']['summary'] );
		}
		foreach ( array( '400 invalid_reason', '403 role_forbidden', '404 payout_request_not_found', '409 request_closed' ) as $word ) {
			$this->assertStringContainsString( $word, $doc['paths']['/v1/payout-requests/{id}/decline']['post']['summary'] );
		}
		foreach ( array( 'payout.requested', 'payout.request_declined' ) as $action ) {
			$this->assertStringContainsString( $action, $doc['paths']['/v1/activity']['get']['summary'] );
			$this->assertContains( $action, Reftrail_Activity::ACTIONS );
		}
		$this->assertContains( 'delivery.retried', Reftrail_Activity::ACTIONS, 'the others kept' );
		$routes = rest_get_server()->get_routes();
		foreach ( array( '/reftrail/v1/me/payout-requests', '/reftrail/v1/me/payout-requests/(?P<id>[^/]+)', '/reftrail/v1/payout-requests', '/reftrail/v1/payout-requests/(?P<id>[^/]+)/decline' ) as $route ) {
			$this->assertArrayHasKey( $route, $routes );
		}
		$this->assertTrue( Reftrail_REST::is_browser_route( '/reftrail/v1/me/payout-requests' ) );
		$this->assertTrue( Reftrail_REST::is_browser_route( '/reftrail/v1/me/payout-requests/prq_1' ) );
		$schema = ( new Reftrail_REST_Payout_Requests_Controller() )->get_public_item_schema();
		$this->assertSame( array( 'reftrail-payout-request', array( 'id', 'affiliate', 'currency', 'amount', 'status', 'at', 'closed_at', 'payout_id', 'reason' ) ), array( $schema['title'], array_keys( $schema['properties'] ) ) );
	}

	public function test_the_upgrade_from_26_adds_the_table() {
		global $wpdb;
		$t = Reftrail_Db::table( 'payout_requests' );
		$wpdb->query( "DROP TABLE IF EXISTS {$t}" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		update_option( Reftrail_Schema::OPTION, 26 );
		Reftrail_Schema::maybe_upgrade();
		$exists  = $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $t ) );
		$columns = array_column( $wpdb->get_results( "SHOW COLUMNS FROM {$t}", ARRAY_A ), 'Field' ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$keys    = array_values( array_unique( array_column( $wpdb->get_results( "SHOW INDEX FROM {$t}", ARRAY_A ), 'Key_name' ) ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$version = (int) get_option( Reftrail_Schema::OPTION );
		Reftrail_Schema::upgrade();
		$this->assertSame( '', $wpdb->last_error, 'upgrading again changes nothing' );
		$this->assertSame( $t, $exists );
		$this->assertSame( array( 'id', 'affiliate_id', 'currency', 'amount', 'status', 'at', 'closed_at', 'payout_id', 'reason' ), $columns );
		$this->assertSame( array( 'PRIMARY', 'affiliate_currency', 'affiliate_at', 'status_at' ), $keys );
		$this->assertSame( Reftrail_Schema::VERSION, $version, 'brought up to the current schema' );
		$this->assertGreaterThanOrEqual( 27, Reftrail_Schema::VERSION, 'payout requests came with schema 27' );
		$this->assertContains( 'payout_requests', Reftrail_Schema::TABLES, 'dropped on uninstall with the others' );
	}
}
