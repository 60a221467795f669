<?php
/**
 * An affiliate's figures day by day (`GET /v1/me/daily`), as the server's `me_daily` answers
 * them: every UTC day of the period, oldest first, its boundaries at midnight UTC; the non-bot
 * clicks, the sales and leads that still count (rejected and reversed ones left out) and their
 * commission per currency as the ledger holds it now (net of partial refunds), currencies whose
 * sum is 0 left out and the rest sorted by code; the period read as `GET /v1/me/report` reads
 * it, widened to whole days, at most 400 of them; its callers, CORS preflight and OpenAPI entry.
 *
 * @package Reftrail
 */

/**
 * Daily figures tests.
 */
class DailyTest extends Reftrail_Test_Case {

	/** The start of a UTC day the tests happen on (2026-09-21). */
	const DAY = 1789948800;

	/** @var int The plugin's now during a test. */
	private $now = 0;

	protected function setUp(): void {
		parent::setUp();
		$this->now = self::DAY + 3600;
		add_filter( 'reftrail_now', fn() => $this->now );
		$this->program(
			array(
				'hold_days'  => 0,
				'currency'   => 'VND',
				'commission' => array(
					'sale' => array(
						'type'     => 'percent',
						'rate_bps' => 1000,
					),
					'lead' => array( 'VND' => 20000 ),
				),
			)
		);
	}

	/**
	 * Records a click for `$affiliate` now; returns its id.
	 *
	 * @param string $affiliate Affiliate.
	 * @param bool   $bot       Whether a bot clicked.
	 * @param array  $campaign  Its campaign parameters.
	 * @return string
	 */
	private function clicked( $affiliate, $bot = false, array $campaign = array() ) {
		list( $status, $body ) = Reftrail_Tracking::click(
			array(
				'affiliate' => $affiliate,
				'url'       => 'https://www.shop.test/?ref=' . $affiliate,
				'consent'   => 'granted',
				'visitor'   => 'v' . strtolower( wp_generate_password( 20, false ) ),
				'campaign'  => $campaign,
			),
			array(
				'ip'         => '203.0.113.7',
				'user_agent' => $bot ? 'Googlebot/2.1 (+http://www.google.com/bot.html)' : 'Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0',
				'https'      => true,
			)
		);
		$this->assertSame( 201, $status, wp_json_encode( $body ) );
		return $body['click_id'];
	}

	/**
	 * A verified sale now, credited by `$click`; returns its referral.
	 *
	 * @param string $order    Order id.
	 * @param int    $amount   Amount, minor units.
	 * @param string $currency Currency.
	 * @param string $click    Click id.
	 * @return array
	 */
	private function sold( $order, $amount, $currency, $click ) {
		list( $s, $d ) = $this->rest(
			'POST',
			'/v1/sales',
			array(
				'order_id' => $order,
				'amount'   => $amount,
				'currency' => $currency,
				'click_id' => $click,
			),
			$this->sk()
		);
		$this->assertSame( 201, $s, wp_json_encode( $d ) );
		$this->assertNotNull( $d['referral'], wp_json_encode( $d ) );
		return $d['referral'];
	}

	/**
	 * A refund of `$order` (all of it without an amount).
	 *
	 * @param string   $order  Order id.
	 * @param int|null $amount Amount.
	 */
	private function refunded( $order, $amount = null ) {
		list( $s, $d ) = $this->rest(
			'POST',
			'/v1/refunds',
			array_merge(
				array(
					'order_id'  => $order,
					'refund_id' => 'rf-' . $order,
				),
				null === $amount ? array() : array( 'amount' => $amount )
			),
			$this->sk()
		);
		$this->assertSame( 201, $s, wp_json_encode( $d ) );
	}

	/**
	 * The answer of `GET /v1/me/daily` with `$query`, which must be a 200.
	 *
	 * @param string $query   Query, with its `?` (or '').
	 * @param array  $headers The caller.
	 * @return array
	 */
	private function daily( $query, array $headers ) {
		list( $s, $d ) = $this->rest( 'GET', '/v1/me/daily' . $query, null, $headers );
		$this->assertSame( 200, $s, $query . ': ' . wp_json_encode( $d ) );
		return $d;
	}

	/**
	 * A day as the route lists it.
	 *
	 * @param string $day         YYYY-MM-DD.
	 * @param int    $clicks      Clicks.
	 * @param int    $sales       Sales.
	 * @param int    $leads       Leads.
	 * @param array  $commissions Currency => amount, in the expected order.
	 * @return array
	 */
	private static function day( $day, $clicks = 0, $sales = 0, $leads = 0, array $commissions = array() ) {
		$list = array();
		foreach ( $commissions as $currency => $amount ) {
			$list[] = array(
				'currency' => $currency,
				'amount'   => $amount,
			);
		}
		return array(
			'day'         => $day,
			'clicks'      => $clicks,
			'sales'       => $sales,
			'leads'       => $leads,
			'commissions' => $list,
		);
	}

	/**
	 * Asserts a refusal: the status and the error code, with a message.
	 *
	 * @param array  $answer [status, body].
	 * @param int    $status Status.
	 * @param string $code   Code.
	 * @param string $what   What was sent.
	 * @return string The message.
	 */
	private function refused( array $answer, $status, $code, $what ) {
		list( $s, $d ) = $answer;
		$this->assertSame( array( $status, $code ), array( $s, $d['error']['code'] ?? null ), $what . ': ' . wp_json_encode( $d ) );
		$this->assertNotSame( '', (string) ( $d['error']['message'] ?? '' ), $what );
		return $d['error']['message'];
	}

	public function test_every_utc_day_with_the_clicks_sales_leads_and_commissions_that_still_count() {
		$alice = $this->affiliate( 'alice' );
		$bob   = $this->affiliate( 'bob' );
		$me    = array( 'authorization' => 'Bearer ' . $alice['token'] );

		// The last second of 2026-09-20: a click and a sale.
		$this->now = self::DAY - 1;
		$c0        = $this->clicked( 'alice' );
		$this->sold( 'eve-1', 100000, 'VND', $c0 );

		// Midnight of 2026-09-21: two clicks, a bot's (left out), bob's (his).
		$this->now = self::DAY;
		$c1        = $this->clicked( 'alice' );
		$this->clicked( 'alice' );
		$this->clicked( 'alice', true );
		$cb = $this->clicked( 'bob' );
		// Sales in three currencies, VND first: the list is by currency code.
		$this->sold( 'vnd-1', 200000, 'VND', $c1 );
		$this->sold( 'usd-1', 1000, 'USD', $c1 );
		$this->sold( 'thb-1', 5000, 'THB', $c1 );
		// A lead (the program's currency).
		list( $s, $d ) = $this->rest(
			'POST',
			'/v1/leads',
			array(
				'event'       => 'signup',
				'customer_id' => 'lead-1',
				'click_id'    => $c1,
			),
			$this->sk()
		);
		$this->assertSame( array( 201, 'alice' ), array( $s, $d['referral']['affiliate'] ?? null ), wp_json_encode( $d ) );
		// A rejected sale and a reversed one are left out; a partly refunded one counts its net.
		$rejected = $this->sold( 'vnd-rejected', 50000, 'VND', $c1 );
		$this->assertSame( 200, $this->rest( 'POST', '/v1/referrals/' . $rejected['id'] . '/reject', null, $this->sk() )[0] );
		$this->sold( 'vnd-reversed', 30000, 'VND', $c1 );
		$this->refunded( 'vnd-reversed' );
		$this->sold( 'vnd-partly', 40000, 'VND', $c1 );
		$this->refunded( 'vnd-partly', 10000 );
		// A USD sale refunded in full is left out with its commission.
		$this->sold( 'usd-reversed', 3000, 'USD', $c1 );
		$this->refunded( 'usd-reversed' );
		// Bob's sale is his.
		$this->sold( 'bob-1', 70000, 'VND', $cb );

		// 2026-09-22: a sale of nothing counts, but its sum of 0 is left out. 2026-09-23: nothing.
		$this->now = self::DAY + Reftrail_Db::DAY + 3600;
		$this->sold( 'usd-zero', 0, 'USD', $c1 );

		$this->now = self::DAY + 3 * Reftrail_Db::DAY + 3600;
		$d         = $this->daily( '?from=2026-09-20&to=2026-09-23', $me );
		$this->assertSame( array( '2026-09-20T00:00:00Z', '2026-09-24T00:00:00Z' ), array( $d['from'], $d['to'] ) );
		$this->assertSame(
			array(
				self::day( '2026-09-20', 1, 1, 0, array( 'VND' => 10000 ) ),
				self::day(
					'2026-09-21',
					2,
					4,
					1,
					array(
						'THB' => 500,
						'USD' => 100,
						'VND' => 20000 + 20000 + 3000,
					)
				),
				self::day( '2026-09-22', 0, 1 ),
				self::day( '2026-09-23' ),
			),
			$d['days']
		);
		$this->assertStringContainsString( '"commissions":[]}', wp_json_encode( $d['days'][3] ), 'no commission is an empty list' );

		// Times are widened to whole UTC days: a second into a day brings the whole day.
		$d = $this->daily( '?from=2026-09-20T23:59:59Z&to=2026-09-21T00:00:01Z', $me );
		$this->assertSame( array( '2026-09-20T00:00:00Z', '2026-09-22T00:00:00Z' ), array( $d['from'], $d['to'] ) );
		$this->assertSame( array( '2026-09-20', '2026-09-21' ), array_column( $d['days'], 'day' ) );
		// A time `to` is exclusive: midnight leaves its day out; an offset is read in UTC.
		$d = $this->daily( '?from=2026-09-20&to=2026-09-21T00:00:00Z', $me );
		$this->assertSame( array( self::day( '2026-09-20', 1, 1, 0, array( 'VND' => 10000 ) ) ), $d['days'] );
		$d = $this->daily( '?from=2026-09-21T06:59:59%2B07:00&to=2026-09-21T07:00:00%2B07:00', $me );
		$this->assertSame( array( '2026-09-20' ), array_column( $d['days'], 'day' ), '06:59:59 in Bangkok is the 20th in UTC' );

		// Bob sees his own.
		$d = $this->daily( '?from=2026-09-21&to=2026-09-21', array( 'authorization' => 'Bearer ' . $bob['token'] ) );
		$this->assertSame( array( self::day( '2026-09-21', 1, 1, 0, array( 'VND' => 7000 ) ) ), $d['days'] );

		// Signed in to WordPress as her user, alice sees the same.
		global $wpdb;
		$uid = $this->user( Reftrail_Schema::ROLE );
		$wpdb->update( Reftrail_Db::table( 'affiliates' ), array( 'user_id' => $uid ), array( 'id' => 'alice' ) );
		wp_set_current_user( $uid );
		$this->assertSame( $this->daily( '?from=2026-09-20&to=2026-09-23', $me ), $this->daily( '?from=2026-09-20&to=2026-09-23', array() ) );
		wp_set_current_user( 0 );
	}

	public function test_the_period_is_at_most_400_days_by_default_the_last_30() {
		$alice = $this->affiliate( 'alice' );
		$me    = array( 'authorization' => 'Bearer ' . $alice['token'] );

		// The default: the 30 days up to now, widened to whole days, today last.
		$d = $this->daily( '', $me );
		$this->assertSame( array( '2026-08-22T00:00:00Z', '2026-09-22T00:00:00Z' ), array( $d['from'], $d['to'] ) );
		$this->assertCount( 31, $d['days'] );
		$this->assertSame( array( '2026-08-22', '2026-09-21' ), array( $d['days'][0]['day'], $d['days'][30]['day'] ) );

		// 400 days (2025-01-01 to 2026-02-04, inclusive) are answered; 401 are not.
		$d = $this->daily( '?from=2025-01-01&to=2026-02-04', $me );
		$this->assertCount( 400, $d['days'] );
		$this->assertSame( array( '2025-01-01', '2026-02-04' ), array( $d['days'][0]['day'], $d['days'][399]['day'] ) );
		$this->assertCount( 400, $this->daily( '?from=2025-01-01T12:00:00Z&to=2026-02-04T12:00:00Z', $me )['days'] );
		foreach ( array( 'from=2025-01-01&to=2026-02-05', 'from=2025-01-01T00:00:00Z&to=2026-02-05T00:00:01Z', 'from=2020-01-01&to=2026-01-01' ) as $q ) {
			$message = $this->refused( $this->rest( 'GET', '/v1/me/daily?' . $q, null, $me ), 400, 'invalid_range', $q );
			$this->assertSame( 'a daily report covers at most 400 days', $message, $q );
		}
		// A period /v1/me/report refuses is refused so.
		foreach ( array( 'from=2026-13-01', 'from=yesterday', 'from=2026-02-30', 'from=2026-02-01&to=2026-01-01', 'from=2026-01-01&to=2026-01-01T00:00:00Z', 'to[]=2026-01-01', 'from[]=2026-01-01' ) as $q ) {
			$this->refused( $this->rest( 'GET', '/v1/me/daily?' . $q, null, $me ), 400, 'invalid_range', $q );
			$this->refused( $this->rest( 'GET', '/v1/me/report?' . $q, null, $me ), 400, 'invalid_range', 'report: ' . $q );
		}
	}

	public function test_only_an_affiliate_from_an_allowed_origin_and_the_openapi_entry() {
		$alice = $this->affiliate( 'alice' );
		$this->refused( $this->rest( 'GET', '/v1/me/daily' ), 401, 'unauthorized', 'nobody' );
		$this->refused( $this->rest( 'GET', '/v1/me/daily', null, $this->sk() ), 403, 'forbidden', 'the secret key' );
		$this->refused( $this->rest( 'GET', '/v1/me/daily', null, array( 'authorization' => 'Bearer ' . Reftrail_Keys::publishable() ) ), 403, 'forbidden', 'the publishable key' );
		$this->refused( $this->rest( 'GET', '/v1/me/daily', null, array( 'authorization' => 'Bearer at_nope' ) ), 401, 'unauthorized', 'an unknown token' );
		$this->refused( $this->rest( 'POST', '/v1/me/daily', array(), array( 'authorization' => 'Bearer ' . $alice['token'] ) ), 405, 'method_not_allowed', 'POST' );
		// A manager is not an affiliate.
		wp_set_current_user( $this->user( 'administrator' ) );
		$this->refused( $this->rest( 'GET', '/v1/me/daily' ), 403, 'forbidden', 'an administrator' );
		wp_set_current_user( 0 );

		// The portal may read it from another allowed origin; the preflight says so.
		$this->program( array( 'allowed_origins' => array( 'https://portal.example' ) ) );
		list( $s, , $h ) = $this->rest( 'OPTIONS', '/v1/me/daily', null, array( 'origin' => 'https://portal.example' ) );
		$this->assertSame( array( 204, 'https://portal.example' ), array( $s, $h['Access-Control-Allow-Origin'] ?? null ) );
		$this->refused( $this->rest( 'OPTIONS', '/v1/me/daily', null, array( 'origin' => 'https://evil.example' ) ), 403, 'origin_not_allowed', 'another origin' );
		$this->assertContains( '/reftrail/v1/me/daily', Reftrail_REST::BROWSER_ROUTES );

		list( $s, $doc ) = $this->rest( 'GET', '/v1/openapi.json' );
		$this->assertSame( 200, $s );
		$op = $doc['paths']['/v1/me/daily']['get'];
		$this->assertSame( array( 'from', 'to', 'campaign' ), array_column( $op['parameters'], 'name' ) );
		$this->assertSame( array( 'id', 'from', 'to', 'campaign' ), array_column( $doc['paths']['/v1/affiliates/{id}/daily']['get']['parameters'], 'name' ) );
		$this->assertStringContainsString( 'invalid_campaign', $op['summary'] );
		$this->assertSame( array( array( 'affiliate_token' => array() ), array( 'wordpress_user' => array() ) ), $op['security'] );
		$this->assertArrayHasKey( '200', $op['responses'] );
		$this->assertStringContainsString( '400 days', $op['summary'] );
	}

	public function test_a_campaigns_days_count_only_its_clicks_and_referrals() {
		$alice = $this->affiliate( 'alice' );
		$this->affiliate( 'bob' );
		$me = array( 'authorization' => 'Bearer ' . $alice['token'] );
		// Under `tiktok-bio`: a click named by utm_campaign, one by the campaign parameter, each
		// with a sale; a bot's click. Under others: utm_campaign over campaign, the same name in
		// another case or with accents, another campaign, none; bob's click under the name.
		$this->now = self::DAY - 1;
		$this->sold( 'eve', 100000, 'VND', $this->clicked( 'alice', false, array( 'utm_campaign' => 'tiktok-bio' ) ) );
		$this->now = self::DAY;
		$this->sold( 't1', 100000, 'VND', $this->clicked( 'alice', false, array( 'utm_campaign' => 'tiktok-bio', 'utm_source' => 'tiktok' ) ) );
		$this->sold( 't2', 200000, 'VND', $this->clicked( 'alice', false, array( 'campaign' => 'tiktok-bio' ) ) );
		$this->clicked( 'alice', true, array( 'utm_campaign' => 'tiktok-bio' ) );
		$this->sold( 'z1', 400000, 'VND', $this->clicked( 'alice', false, array( 'utm_campaign' => 'zalo-group', 'campaign' => 'tiktok-bio' ) ) );
		$this->sold( 'c1', 500000, 'VND', $this->clicked( 'alice', false, array( 'utm_campaign' => 'TikTok-bio' ) ) );
		$this->sold( 'n1', 800000, 'VND', $this->clicked( 'alice' ) );
		$this->clicked( 'alice', false, array( 'utm_campaign' => 'Tết "sale"/1' ) );
		$this->clicked( 'bob', false, array( 'utm_campaign' => 'tiktok-bio' ) );
		// A lead under the name; a rejected sale under it is left out.
		list( $s, $d ) = $this->rest(
			'POST',
			'/v1/leads',
			array(
				'event'       => 'signup',
				'customer_id' => 'lead-1',
				'click_id'    => $this->clicked( 'alice', false, array( 'utm_campaign' => 'tiktok-bio' ) ),
			),
			$this->sk()
		);
		$this->assertSame( array( 201, 'tiktok-bio' ), array( $s, $d['referral']['campaign'] ?? null ), wp_json_encode( $d ) );
		$rejected = $this->sold( 'r1', 300000, 'VND', $this->clicked( 'alice', false, array( 'campaign' => 'tiktok-bio' ) ) );
		$this->assertSame( 200, $this->rest( 'POST', '/v1/referrals/' . $rejected['id'] . '/reject', null, $this->sk() )[0] );

		$this->now = self::DAY + 3600;
		$of        = fn( $query ) => $this->daily( '?from=2026-09-20&to=2026-09-21' . $query, $me )['days'];
		$this->assertSame(
			array(
				self::day( '2026-09-20', 1, 1, 0, array( 'VND' => 10000 ) ),
				self::day( '2026-09-21', 4, 2, 1, array( 'VND' => 10000 + 20000 + 20000 ) ),
			),
			$of( '&campaign=tiktok-bio' )
		);
		$this->assertSame( array( 1, 1, array( 'VND' => 40000 ) ), array( $of( '&campaign=zalo-group' )[1]['clicks'], $of( '&campaign=zalo-group' )[1]['sales'], array( 'VND' => $of( '&campaign=zalo-group' )[1]['commissions'][0]['amount'] ) ) );
		$this->assertSame( array( 1, 1 ), array( $of( '&campaign=TikTok-bio' )[1]['clicks'], $of( '&campaign=TikTok-bio' )[1]['sales'] ), 'names are told apart by case' );
		$this->assertSame( array( 1, 0 ), array( $of( '&campaign=' . rawurlencode( 'Tết "sale"/1' ) )[1]['clicks'], $of( '&campaign=' . rawurlencode( 'Tết "sale"/1' ) )[1]['sales'] ) );
		$this->assertSame( 0, $of( '&campaign=' . rawurlencode( 'Tet "sale"/1' ) )[1]['clicks'], 'and by accents' );
		$this->assertSame( array( self::day( '2026-09-20' ), self::day( '2026-09-21' ) ), $of( '&campaign=nothing-here' ) );
		// Trimmed; empty (or blank) is every campaign.
		$this->assertSame( $of( '&campaign=tiktok-bio' ), $of( '&campaign=%20tiktok-bio%E3%80%80' ) );
		$all = $of( '' );
		$this->assertSame( array( 8, 5, 1 ), array( $all[1]['clicks'], $all[1]['sales'], $all[1]['leads'] ) );
		$this->assertSame( $all, $of( '&campaign=' ) );
		$this->assertSame( $all, $of( '&campaign=%20%20' ) );

		// The merchant narrows the same way.
		list( $s, $d ) = $this->rest( 'GET', '/v1/affiliates/alice/daily?from=2026-09-20&to=2026-09-21&campaign=tiktok-bio', null, $this->sk() );
		$this->assertSame( array( 200, $of( '&campaign=tiktok-bio' ) ), array( $s, $d['days'] ) );
		list( $s, $d ) = $this->rest( 'GET', '/v1/affiliates/bob/daily?from=2026-09-21&to=2026-09-21&campaign=tiktok-bio', null, $this->sk() );
		$this->assertSame( array( 200, array( self::day( '2026-09-21', 1 ) ) ), array( $s, $d['days'] ) );

		// A name of more than 256 bytes or with control characters is refused, and one given twice
		// over as a list; the period is checked first.
		foreach ( array( '/v1/me/daily', '/v1/affiliates/alice/daily' ) as $path ) {
			$who = '/v1/me/daily' === $path ? $me : $this->sk();
			foreach ( array( str_repeat( 'x', 257 ), str_repeat( 'ế', 86 ), "a\nb", "a\u{85}b", "a\x7fb" ) as $bad ) {
				$this->refused( $this->rest( 'GET', $path . '?campaign=' . rawurlencode( $bad ), null, $who ), 400, 'invalid_campaign', $path . ' ' . $bad );
			}
			$this->refused( $this->rest( 'GET', $path . '?campaign[]=tiktok-bio', null, $who ), 400, 'invalid_query', $path . ' a list' );
			$this->refused( $this->rest( 'GET', $path . '?from=nope&campaign=' . str_repeat( 'x', 257 ), null, $who ), 400, 'invalid_range', $path . ' both' );
		}
		$this->assertCount( 2, $of( '&campaign=' . str_repeat( 'x', 256 ) ), 'at most 256 bytes' );
		$this->refused( $this->rest( 'GET', '/v1/affiliates/nobody/daily?campaign=tiktok-bio', null, $this->sk() ), 404, 'affiliate_not_found', 'an unknown affiliate' );
	}
}
