<?php
/**
 * Campaigns, as the server keeps and reports them: a referral's campaign is that of what credited
 * it (the click's `utm_campaign`, else its `campaign`, exactly as given; the touch's; for a
 * renewal the referral of the subscription's first attributed order, for a returning customer the
 * referral of the conversion the match found; none for a coupon), for sales and leads, over REST
 * and through WooCommerce checkouts and renewals; the referral ledger by campaign
 * (`GET /v1/referrals?campaign=`, and its CSV, whose last column is the campaign), the name
 * compared byte for byte; the report per affiliate and campaign
 * (`GET /v1/reports/campaigns`) and the affiliate's own (`GET /v1/me/campaigns`, its CORS
 * preflight), their query checks and callers, the OpenAPI document, and the upgrade from schema
 * 22 that fills the campaign of the referrals from before from the clicks their conversions name.
 *
 * @package Reftrail
 */

/**
 * Campaigns tests.
 */
class CampaignsTest extends Reftrail_Test_Case {

	/** The tests that change tables, which commits: they run outside the transaction. */
	const SCHEMA_TESTS = array( 'test_the_upgrade_from_22_fills_the_campaigns_of_referrals_from_their_clicks' );

	/** The start of a UTC day the tests happen on (2026-09-21). */
	const DAY = 1789948800;

	/** @var int The plugin's now during a test. */
	private $now = 0;

	protected function setUp(): void {
		$this->transactional = ! in_array( $this->getName( false ), self::SCHEMA_TESTS, true );
		parent::setUp();
		if ( $this->transactional ) {
			$this->now = self::DAY + 3600;
			add_filter( 'reftrail_now', fn() => $this->now );
			$this->program(
				array(
					'hold_days'       => 0,
					'currency'        => 'VND',
					'match_customers' => true,
					'commission'      => array(
						'sale' => array(
							'type'     => 'percent',
							'rate_bps' => 1000,
						),
						'lead' => array(
							'VND' => 20000,
							'USD' => 100,
						),
					),
				)
			);
		}
	}

	/**
	 * Records a click for `$affiliate` with the campaign parameters `$tags`; returns its id.
	 *
	 * @param string      $affiliate Affiliate.
	 * @param array       $tags      Campaign parameters.
	 * @param string|null $visitor   The visitor (null: a new one).
	 * @param bool        $bot       Whether a bot clicked.
	 * @return string
	 */
	private function tagged_click( $affiliate, array $tags, $visitor = null, $bot = false ) {
		list( $status, $body ) = Reftrail_Tracking::click(
			array_merge(
				array(
					'affiliate' => $affiliate,
					'url'       => 'https://www.shop.test/?ref=' . $affiliate,
					'consent'   => 'granted',
					'visitor'   => $visitor ?? 'v' . strtolower( wp_generate_password( 20, false ) ),
				),
				$tags ? array( 'campaign' => $tags ) : array()
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
	 * A verified sale; returns its referral (null when nobody is credited).
	 *
	 * @param array $body    Fields besides the order id (amount 100,000 VND unless given).
	 * @param array $headers Headers besides the secret key.
	 * @return array|null
	 */
	private function sold( array $body, array $headers = array() ) {
		list( $s, $d ) = $this->rest(
			'POST',
			'/v1/sales',
			array_merge(
				array(
					'order_id' => 'o_' . wp_generate_password( 10, false ),
					'amount'   => 100000,
					'currency' => 'VND',
				),
				$body
			),
			array_merge( $this->sk(), $headers )
		);
		$this->assertSame( 201, $s, wp_json_encode( $d ) );
		return $d['referral'];
	}

	/**
	 * A verified lead; returns its referral.
	 *
	 * @param array $body Fields besides the event.
	 * @return array|null
	 */
	private function lead( array $body ) {
		list( $s, $d ) = $this->rest( 'POST', '/v1/leads', array_merge( array( 'event' => 'signup' ), $body ), $this->sk() );
		$this->assertSame( 201, $s, wp_json_encode( $d ) );
		return $d['referral'];
	}

	/**
	 * A touch the browser reports, ten minutes ago.
	 *
	 * @param string      $affiliate Affiliate.
	 * @param string|null $campaign  Its campaign.
	 * @return array
	 */
	private function touch( $affiliate, $campaign ) {
		return array_merge(
			array(
				'affiliate' => $affiliate,
				'via'       => 'query',
				'at'        => Reftrail_Db::rfc3339( $this->now - 600 ),
			),
			null === $campaign ? array() : array( 'campaign' => $campaign )
		);
	}

	/**
	 * [attributed_by, campaign] of a referral.
	 *
	 * @param array|null $r Referral.
	 * @return array
	 */
	private static function by( $r ) {
		return null === $r ? array( null, 'no referral' ) : array( $r['attributed_by'], $r['campaign'] );
	}

	/**
	 * Asserts a refusal: the status and the error code, with a message.
	 *
	 * @param array  $answer [status, body].
	 * @param int    $status Status.
	 * @param string $code   Code.
	 * @param string $what   What was sent.
	 */
	private function refused( array $answer, $status, $code, $what ) {
		list( $s, $d ) = $answer;
		$this->assertSame( array( $status, $code ), array( $s, $d['error']['code'] ?? null ), $what . ': ' . wp_json_encode( $d ) );
		$this->assertNotSame( '', (string) ( $d['error']['message'] ?? '' ), $what );
	}

	/**
	 * The answer of a campaigns report.
	 *
	 * @param string $path    Path and query.
	 * @param array  $headers The caller.
	 * @return array
	 */
	private function report( $path, array $headers ) {
		list( $s, $d ) = $this->rest( 'GET', $path, null, $headers );
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
		$this->assertSame( array( 'from', 'to', 'rows' ), array_keys( $d ) );
		return $d;
	}

	public function test_a_referral_keeps_the_campaign_of_what_credited_it() {
		$this->affiliate( 'alice', array( 'coupons' => array( 'ALICE10' ) ) );
		$tet   = $this->tagged_click(
			'alice',
			array(
				'utm_campaign' => 'Tết 2027 "VIP"',
				'campaign'     => 'other',
				'utm_source'   => 'tiktok',
			)
		);
		$zalo  = $this->tagged_click( 'alice', array( 'campaign' => ' Zalo ' ) );
		$plain = $this->tagged_click( 'alice', array( 'utm_source' => 'facebook' ) );
		$bare  = $this->tagged_click( 'alice', array() );

		// A click: its utm_campaign, else its campaign, as given; none without either.
		$this->assertSame( array( 'click_id', 'Tết 2027 "VIP"' ), self::by( $this->sold( array( 'click_id' => $tet ) ) ) );
		$this->assertSame( array( 'click_id', ' Zalo ' ), self::by( $this->sold( array( 'click_id' => $zalo ) ) ), 'case and spaces kept' );
		$this->assertSame( array( 'click_id', null ), self::by( $this->sold( array( 'click_id' => $plain ) ) ) );
		$this->assertSame( array( 'click_id', null ), self::by( $this->sold( array( 'click_id' => $bare ) ) ) );
		// The signed click cookie's click, before the click id in the body.
		$cookie = array( 'cookie' => Reftrail_Click_Cookie::NAME . '=' . Reftrail_Click_Cookie::sign( $zalo ) );
		$this->assertSame( array( 'cookie', ' Zalo ' ), self::by( $this->sold( array( 'click_id' => $tet ), $cookie ) ) );
		// A touch: its own campaign, or none.
		$this->assertSame( array( 'touch', 'newsletter' ), self::by( $this->sold( array( 'touch' => $this->touch( 'alice', 'newsletter' ) ) ) ) );
		$this->assertSame( array( 'touch', null ), self::by( $this->sold( array( 'touch' => $this->touch( 'alice', null ) ) ) ) );
		// A coupon has none, whatever click came with it.
		$this->assertSame( array( 'coupon', null ), self::by( $this->sold( array( 'coupon' => 'alice10', 'click_id' => $tet ) ) ) );
		// A renewal: the campaign of the subscription's first attributed order.
		$this->assertSame( array( 'click_id', 'Tết 2027 "VIP"' ), self::by( $this->sold( array( 'click_id' => $tet, 'subscription_id' => 'sub-1' ) ) ) );
		$this->assertSame( array( 'renewal', 'Tết 2027 "VIP"' ), self::by( $this->sold( array( 'subscription_id' => 'sub-1' ) ) ) );
		$this->assertSame( array( 'renewal', 'Tết 2027 "VIP"' ), self::by( $this->sold( array( 'subscription_id' => 'sub-1', 'click_id' => $zalo ) ) ), 'the renewal wins over a click' );
		$this->assertSame( array( 'coupon', null ), self::by( $this->sold( array( 'coupon' => 'ALICE10', 'subscription_id' => 'sub-2' ) ) ) );
		$this->assertSame( array( 'renewal', null ), self::by( $this->sold( array( 'subscription_id' => 'sub-2', 'click_id' => $tet ) ) ) );
		// Leads alike.
		$this->assertSame( array( 'click_id', ' Zalo ' ), self::by( $this->lead( array( 'customer_id' => 'lead-1', 'click_id' => $zalo ) ) ) );
		$this->assertSame( array( 'touch', 'story' ), self::by( $this->lead( array( 'customer_id' => 'lead-2', 'touch' => $this->touch( 'alice', 'story' ) ) ) ) );
		$this->assertSame( array( 'click_id', null ), self::by( $this->lead( array( 'customer_id' => 'lead-3', 'click_id' => $plain ) ) ) );

		// Stored with the referral: the ledger, one referral, the stored column.
		global $wpdb;
		list( $s, $d ) = $this->rest( 'GET', '/v1/referrals?affiliate=alice&limit=500', null, $this->sk() );
		$this->assertSame( 200, $s );
		$listed = array_column( $d['referrals'], 'campaign' );
		$this->assertCount( 16, $listed );
		$counts = array_count_values( array_filter( $listed, 'is_string' ) );
		ksort( $counts, SORT_STRING );
		$this->assertSame( array( ' Zalo ' => 3, 'Tết 2027 "VIP"' => 4, 'newsletter' => 1, 'story' => 1 ), $counts );
		$this->assertSame( 7, count( array_filter( $listed, 'is_null' ) ) );
		$one = $d['referrals'][0];
		list( $s, $got ) = $this->rest( 'GET', '/v1/referrals/' . $one['id'], null, $this->sk() );
		$this->assertSame( array( 200, $one ), array( $s, $got ) );
		$stored = $wpdb->get_col( $wpdb->prepare( 'SELECT campaign FROM ' . Reftrail_Db::table( 'referrals' ) . ' WHERE campaign = %s', ' Zalo ' ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		$this->assertSame( array( ' Zalo ', ' Zalo ', ' Zalo ' ), $stored );
		$this->assertArrayHasKey( 'campaign', ( new Reftrail_REST_Referrals_Controller() )->get_public_item_schema()['properties'] );
		// The ledger's CSV names each one's campaign in its last column, in the list's order.
		$csv = array_map( fn( $l ) => str_getcsv( $l, ',', '"', '' ), explode( "\n", rtrim( Reftrail_Ledger::referrals_csv( array( 'status' => '', 'affiliate' => 'alice', 'flagged' => null, 'verified' => null, 'from' => 0, 'to' => $this->now + 1 ) ), "\n" ) ) );
		$this->assertSame( Reftrail_Ledger::CSV_HEADER, $csv[0] );
		$this->assertSame( array( 'payout_id', 'campaign' ), array_slice( Reftrail_Ledger::CSV_HEADER, -2 ) );
		$this->assertSame( array_map( 'strval', $listed ), array_map( fn( $row ) => $row[ count( $row ) - 1 ], array_slice( $csv, 1 ) ) );
	}

	/**
	 * The ledger's answer to `$query` with the secret key: [ids, total].
	 *
	 * @param string $query Query string.
	 * @return array
	 */
	private function ledger( $query ) {
		list( $s, $d ) = $this->rest( 'GET', '/v1/referrals?' . $query, null, $this->sk() );
		$this->assertSame( 200, $s, $query . ': ' . wp_json_encode( $d ) );
		return array( array_column( $d['referrals'], 'id' ), $d['total'] );
	}

	/**
	 * The CSV lines (as written, without their line breaks) of the ledger's export for `$query`,
	 * after its header.
	 *
	 * @param string $query Query string.
	 * @return string[]
	 */
	private function ledger_csv( $query ) {
		list( $s, $csv ) = $this->rest( 'GET', '/v1/referrals.csv?' . $query, null, $this->sk() );
		$this->assertSame( 200, $s, $query . ': ' . ( is_string( $csv ) ? $csv : wp_json_encode( $csv ) ) );
		$lines = explode( "\n", rtrim( $csv, "\n" ) );
		$this->assertSame( implode( ',', Reftrail_Ledger::CSV_HEADER ), $lines[0] );
		return array_slice( $lines, 1 );
	}

	public function test_the_ledger_finds_a_campaign_byte_for_byte() {
		global $wpdb;
		$this->affiliate( 'alice', array( 'coupons' => array( 'ALICE10' ) ) );
		$this->affiliate( 'bob' );
		$nfd = "Te\u{0302}\u{0301}t"; // Tết decomposed: other bytes, the same text to a reader.
		$ref = array();
		foreach ( array( 'Spring', 'spring', 'spring', 'spring ', 'Tết', $nfd, 'Tet', 'TẾT' ) as $n => $name ) {
			$ref[ $n ] = $this->sold( array( 'click_id' => $this->tagged_click( 'alice', array( 'utm_campaign' => $name ) ) ) );
			$this->assertSame( $name, $ref[ $n ]['campaign'] );
			$this->now += 60;
		}
		$bobs = $this->sold( array( 'click_id' => $this->tagged_click( 'bob', array( 'campaign' => 'spring' ) ) ) );
		$this->sold( array( 'coupon' => 'ALICE10' ) );
		$this->now += 60;
		$q = fn( $campaign ) => 'campaign=' . rawurlencode( $campaign );

		// Exactly that name: neither another case nor a trailing space nor other accents.
		$this->assertSame( array( array( $bobs['id'], $ref[2]['id'], $ref[1]['id'] ), 3 ), $this->ledger( $q( 'spring' ) ) );
		$this->assertSame( array( array( $ref[0]['id'] ), 1 ), $this->ledger( $q( 'Spring' ) ) );
		$this->assertSame( array( array( $ref[3]['id'] ), 1 ), $this->ledger( $q( 'spring ' ) ) );
		$this->assertSame( array( array(), 0 ), $this->ledger( $q( 'SPRING' ) ) );
		$this->assertSame( array( array(), 0 ), $this->ledger( $q( ' spring' ) ) );
		$this->assertSame( array( array( $ref[4]['id'] ), 1 ), $this->ledger( $q( 'Tết' ) ) );
		$this->assertSame( array( array( $ref[5]['id'] ), 1 ), $this->ledger( $q( $nfd ) ) );
		$this->assertSame( array( array( $ref[6]['id'] ), 1 ), $this->ledger( $q( 'Tet' ) ) );
		$this->assertSame( array( array( $ref[7]['id'] ), 1 ), $this->ledger( $q( 'TẾT' ) ) );
		$this->assertSame( array( array(), 0 ), $this->ledger( $q( 'tết' ) ) );
		// (The tables' collation alone would take Spring and "spring " for spring, Tet for Tết.)
		$r     = Reftrail_Db::table( 'referrals' );
		$alike = fn( $name ) => (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$r} WHERE affiliate_id = %s AND campaign = %s", 'alice', $name ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$this->assertSame( 4, $alike( 'spring' ) );
		$this->assertGreaterThan( 1, $alike( 'Tet' ) );

		// With the other filters; total counts what they all match, whatever the page.
		$this->assertSame( array( array( $ref[2]['id'], $ref[1]['id'] ), 2 ), $this->ledger( 'affiliate=alice&' . $q( 'spring' ) ) );
		$this->assertSame( array( array( $bobs['id'] ), 3 ), $this->ledger( $q( 'spring' ) . '&limit=1' ) );
		$this->assertSame( array( array( $ref[1]['id'] ), 3 ), $this->ledger( $q( 'spring' ) . '&limit=1&offset=2' ) );
		$this->assertSame( 200, $this->rest( 'POST', '/v1/referrals/' . $ref[2]['id'] . '/reject', array( 'reason' => 'test order' ), $this->sk() )[0] );
		$this->assertSame( array( array( $ref[2]['id'] ), 1 ), $this->ledger( 'status=rejected&' . $q( 'spring' ) ) );
		$this->assertSame( array( array( $bobs['id'], $ref[1]['id'] ), 2 ), $this->ledger( 'status=approved&' . $q( 'spring' ) ) );
		$this->assertSame( array( array(), 0 ), $this->ledger( 'affiliate=bob&' . $q( 'Spring' ) ) );
		$this->assertSame( 10, $this->ledger( '' )[1], 'without it, every campaign and none' );

		// The CSV alike.
		$csv = $this->ledger_csv( $q( 'spring' ) );
		$this->assertSame( array( $bobs['id'], $ref[2]['id'], $ref[1]['id'] ), array_map( fn( $l ) => strtok( $l, ',' ), $csv ) );
		foreach ( $csv as $line ) {
			$this->assertStringEndsWith( ',spring', $line );
		}
		$this->assertSame( array( $ref[5]['id'] ), array_map( fn( $l ) => strtok( $l, ',' ), $this->ledger_csv( $q( $nfd ) ) ) );
		$tet = $this->ledger_csv( $q( 'Tết' ) );
		$this->assertCount( 1, $tet );
		$this->assertStringEndsWith( ',Tết', $tet[0] );
		$this->assertSame( array(), $this->ledger_csv( 'affiliate=alice&' . $q( 'SPRING' ) ) );
	}

	public function test_a_campaign_a_spreadsheet_would_run_is_a_text_cell() {
		$this->affiliate( 'carol', array( 'coupons' => array( 'CAROL' ) ) );
		// Each campaign and its cell as the CSV writes it.
		$cells = array(
			array( '=HYPERLINK("x")', "\"'=HYPERLINK(\"\"x\"\")\"" ),
			array( '+1', "'+1" ),
			array( '-1', "'-1" ),
			array( '@SUM(A1)', "'@SUM(A1)" ),
			array( 'a,b', '"a,b"' ),
			array( 'say "hi"', '"say ""hi"""' ),
			array( '=a,b', "\"'=a,b\"" ),
			array( '1+1', '1+1' ),
			array( ' =x', ' =x' ),
			array( 'Tết', 'Tết' ),
		);
		$ids   = array();
		foreach ( $cells as $n => list( $name ) ) {
			$ids[ $n ]  = $this->sold( array( 'click_id' => $this->tagged_click( 'carol', array( 'utm_campaign' => $name ) ) ) )['id'];
			$this->now += 60;
		}
		$coupon = $this->sold( array( 'coupon' => 'CAROL' ) )['id'];
		// The export of them all, newest first: each line ends with its campaign's cell; none: empty.
		$lines = $this->ledger_csv( 'affiliate=carol' );
		$this->assertCount( count( $cells ) + 1, $lines );
		$this->assertSame( $coupon, strtok( $lines[0], ',' ) );
		$this->assertStringEndsWith( ',,', $lines[0], 'no payout, no campaign' );
		foreach ( $cells as $n => list( $name, $cell ) ) {
			$line = $lines[ count( $cells ) - $n ];
			$this->assertSame( $ids[ $n ], strtok( $line, ',' ), $name );
			$this->assertStringEndsWith( ',' . $cell, $line, $name );
			// Read back: one cell per column, the last the name (made text).
			$row = str_getcsv( $line, ',', '"', '' );
			$this->assertCount( count( Reftrail_Ledger::CSV_HEADER ), $row, $name );
			$this->assertSame( false !== strpos( '=+-@', $name[0] ) ? "'" . $name : $name, end( $row ) );
		}
		// Found by the name as given, written as the cell.
		$formula = 'campaign=' . rawurlencode( '=HYPERLINK("x")' );
		$this->assertSame( array( array( $ids[0] ), 1 ), $this->ledger( $formula ) );
		$only = $this->ledger_csv( $formula );
		$this->assertCount( 1, $only );
		$this->assertStringEndsWith( ",\"'=HYPERLINK(\"\"x\"\")\"", $only[0] );
		// A tab or a carriage return first would be made text too (no campaign holds one).
		$this->assertSame( array( "'\tx", "'\rx", 'x' ), array( Reftrail_Ledger::text_cell( "\tx" ), Reftrail_Ledger::text_cell( "\rx" ), Reftrail_Ledger::text_cell( 'x' ) ) );
	}

	public function test_the_ledgers_campaign_is_checked() {
		$this->affiliate( 'alice' );
		$bad = array(
			'empty'          => '',
			'a C0 control'   => "\x01x",
			'a tab'          => "a\tb",
			'a line break'   => "a\nb",
			'DEL'            => "x\x7f",
			'a C1 control'   => "x\u{0085}",
			'257 bytes'      => str_repeat( 'a', 257 ),
			'258 bytes of ế' => str_repeat( 'ế', 86 ),
			'not UTF-8'      => "T\xe1t",
		);
		foreach ( array( '/v1/referrals', '/v1/referrals.csv' ) as $path ) {
			foreach ( $bad as $what => $campaign ) {
				$this->refused( $this->rest( 'GET', $path . '?campaign=' . rawurlencode( $campaign ), null, $this->sk() ), 400, 'invalid_query', $path . ' ' . $what );
			}
			$this->refused( $this->rest( 'GET', $path . '?campaign[]=spring', null, $this->sk() ), 400, 'invalid_query', $path . ' campaign[]' );
			// 256 bytes, of ASCII or not, is a name.
			foreach ( array( str_repeat( 'a', 256 ), str_repeat( 'ế', 85 ) . 'x' ) as $campaign ) {
				list( $s ) = $this->rest( 'GET', $path . '?campaign=' . rawurlencode( $campaign ), null, $this->sk() );
				$this->assertSame( 200, $s, $path . ' ' . strlen( $campaign ) . ' bytes' );
			}
		}
	}

	public function test_a_returning_customer_carries_the_campaign_of_the_conversion_the_match_found() {
		$this->affiliate( 'alice', array( 'coupons' => array( 'ALICE10' ) ) );
		$click = $this->tagged_click( 'alice', array( 'utm_campaign' => 'Spring' ) );
		$buyer = array( 'email' => 'Buyer@Customers.test' );
		$this->assertSame( array( 'click_id', 'Spring' ), self::by( $this->sold( array( 'click_id' => $click, 'customer' => $buyer ) ) ) );
		$this->now += 3 * DAY_IN_SECONDS;
		// The customer comes back on another device: matched by their email, the click's campaign.
		$this->assertSame( array( 'customer', 'Spring' ), self::by( $this->sold( array( 'customer' => array( 'email' => 'buyer@customers.test' ) ) ) ) );
		$this->assertSame( array( 'customer', 'Spring' ), self::by( $this->lead( array( 'email' => 'buyer@customers.test' ) ) ), 'a lead too' );
		// A lead a touch credited: a later order of the same customer id follows it.
		$this->assertSame( array( 'touch', 'webinar' ), self::by( $this->lead( array( 'customer_id' => 'cust-9', 'touch' => $this->touch( 'alice', 'webinar' ) ) ) ) );
		$this->now += 60;
		$this->assertSame( array( 'customer', 'webinar' ), self::by( $this->sold( array( 'customer' => array( 'id' => 'cust-9' ) ) ) ) );
		// The latest conversion a visit credited wins: a later touch without a campaign.
		$this->now += 60;
		$this->assertSame( array( 'touch', null ), self::by( $this->sold( array( 'customer' => array( 'id' => 'cust-9' ), 'touch' => $this->touch( 'alice', null ) ) ) ) );
		$this->now += 60;
		$this->assertSame( array( 'customer', null ), self::by( $this->sold( array( 'customer' => array( 'id' => 'cust-9' ) ) ) ) );
		// A coupon's customer is not matched later; one matched before is not either.
		$this->assertSame( array( 'coupon', null ), self::by( $this->sold( array( 'coupon' => 'ALICE10', 'customer' => array( 'id' => 'cust-10' ) ) ) ) );
		$this->assertNull( $this->sold( array( 'customer' => array( 'id' => 'cust-10' ) ) ) );
		// Without the program's matching, nobody.
		$this->program( array( 'match_customers' => false ) );
		$this->assertNull( $this->sold( array( 'customer' => array( 'email' => 'buyer@customers.test' ) ) ) );
	}

	public function test_woocommerce_checkouts_and_renewals_carry_the_campaign() {
		$this->affiliate( 'alice' );
		$this->affiliate( 'bob' );
		$order = fn( $total ) => new WC_Order(
			array(
				'total'          => $total,
				'billing_email'  => 'buyer@example.test',
				'items'          => array(),
				'shipping_total' => '0.00',
			)
		);
		$referral_of = function ( WC_Order $o ) {
			global $wpdb;
			$r = Reftrail_Db::table( 'referrals' );
			$t = Reftrail_Db::table( 'orders' );
			return $wpdb->get_var( $wpdb->prepare( "SELECT r.id FROM {$r} r JOIN {$t} o ON o.id = r.source_id WHERE o.order_id = %s", (string) $o->get_id() ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		};
		// The click cookie of a tagged link.
		$_COOKIE[ Reftrail_Click_Cookie::NAME ] = Reftrail_Click_Cookie::sign( $this->tagged_click( 'alice', array( 'utm_campaign' => 'wc-spring' ) ) );
		$parent                                 = $order( '30.00' );
		do_action( 'woocommerce_checkout_order_processed', $parent->get_id(), array(), $parent );
		$this->assertSame( array( 'cookie', 'wc-spring' ), self::by( Reftrail_Ledger::view( $referral_of( $parent ) ) ) );
		// Its renewals follow the parent order, whatever the renewal's request carries.
		$_COOKIE[ Reftrail_Click_Cookie::NAME ] = Reftrail_Click_Cookie::sign( $this->tagged_click( 'bob', array( 'utm_campaign' => 'other' ) ) );
		$renewal                                = $order( '30.00' );
		do_action( 'woocommerce_subscription_renewal_payment_complete', new WC_Subscription( 778, $parent->get_id() ), $renewal );
		$this->assertSame( array( 'renewal', 'wc-spring' ), self::by( Reftrail_Ledger::view( $referral_of( $renewal ) ) ) );
		// The browser's stored referral names its campaign: the touch carries it.
		$_COOKIE = array(
			Reftrail_Cookie::NAME => Reftrail_Cookie::encode(
				array(
					'visitor'  => 'k3JQ9x2mP0aZ7bC4',
					'referral' => array(
						'affiliate' => 'bob',
						'via'       => 'query',
						'at'        => $this->now - 60,
						'expires'   => $this->now + DAY_IN_SECONDS,
						'click_id'  => null,
						'campaign'  => 'summer-26',
					),
					'trail'    => array(
						array(
							'affiliate' => 'bob',
							'at'        => $this->now - 60,
						),
					),
				)
			),
		);
		$checkout = $order( '50.00' );
		do_action( 'woocommerce_store_api_checkout_order_processed', $checkout );
		$this->assertSame( array( 'touch', 'summer-26' ), self::by( Reftrail_Ledger::view( $referral_of( $checkout ) ) ) );
		$this->assertSame( 'summer-26', Reftrail_Tracking::request_attribution()['touch']['campaign'] );
	}

	public function test_the_report_counts_clicks_conversions_and_money_per_affiliate_and_campaign() {
		$this->affiliate( 'alice' );
		$bob_token = array( 'authorization' => 'Bearer ' . $this->affiliate( 'bob' )['token'] );
		$this->affiliate( 'carol', array( 'coupons' => array( 'CAROL' ) ) );
		// The day before: outside the period asked for.
		$this->now = self::DAY - 600;
		$before    = $this->tagged_click( 'alice', array( 'utm_campaign' => 'spring' ) );
		$this->sold( array( 'click_id' => $before ) );
		$this->now = self::DAY + 3600;
		$spring    = $this->tagged_click( 'alice', array( 'utm_campaign' => 'spring' ) );
		$spring2   = $this->tagged_click( 'alice', array( 'utm_campaign' => 'spring', 'utm_source' => 'tiktok' ) );
		$this->tagged_click( 'alice', array( 'utm_campaign' => 'spring' ), null, true );
		$upper = $this->tagged_click( 'alice', array( 'utm_campaign' => 'Spring' ) );
		$this->tagged_click( 'alice', array( 'campaign' => 'Tết' ) );
		$this->tagged_click( 'alice', array( 'campaign' => 'Tet' ) );
		$this->tagged_click( 'alice', array( 'utm_medium' => 'email' ) );
		$bob = $this->tagged_click( 'bob', array( 'utm_campaign' => 'spring' ), 'bobsvisitor0000000001' );
		$this->tagged_click( 'bob', array( 'utm_campaign' => 'spring' ), 'bobsvisitor0000000001' );

		$this->sold( array( 'click_id' => $spring ) );
		$rejected = $this->sold(
			array(
				'click_id' => $spring2,
				'amount'   => 50000,
			)
		);
		$this->assertSame( 200, $this->rest( 'POST', '/v1/referrals/' . $rejected['id'] . '/reject', null, $this->sk() )[0] );
		$this->sold(
			array(
				'order_id' => 'usd-1',
				'click_id' => $spring,
				'amount'   => 1000,
				'currency' => 'USD',
			)
		);
		list( $s ) = $this->rest(
			'POST',
			'/v1/refunds',
			array(
				'order_id'  => 'usd-1',
				'amount'    => 400,
				'refund_id' => 'rf-1',
			),
			$this->sk()
		);
		$this->assertSame( 201, $s );
		$this->lead(
			array(
				'customer_id' => 'lead-1',
				'click_id'    => $spring,
			)
		);
		$this->sold(
			array(
				'click_id' => $upper,
				'amount'   => 40000,
			)
		);
		$this->sold(
			array(
				'click_id' => $bob,
				'amount'   => 30000,
			)
		);
		$this->sold(
			array(
				'touch'  => $this->touch( 'bob', 'story' ),
				'amount' => 20000,
			)
		);
		$this->sold(
			array(
				'coupon' => 'CAROL',
				'amount' => 70000,
			)
		);

		$money = fn( $cur, $gross, $net, $commissions, $epc ) => array(
			'currency'      => $cur,
			'revenue_gross' => $gross,
			'revenue_net'   => $net,
			'commissions'   => $commissions,
			'epc_per_100'   => $epc,
		);
		$row   = fn( $aff, $campaign, $clicks, $unique, $sales, $leads, $rate, $m ) => array(
			'affiliate'              => $aff,
			'campaign'               => $campaign,
			'clicks'                 => $clicks,
			'unique_clicks'          => $unique,
			'sales'                  => array(
				'gross' => $sales[0],
				'net'   => $sales[1],
			),
			'leads'                  => array(
				'gross' => $leads[0],
				'net'   => $leads[1],
			),
			'conversion_rate_clicks' => $rate,
			'money'                  => $m,
		);
		$date  = gmdate( 'Y-m-d', self::DAY );
		$r     = $this->report( "/v1/reports/campaigns?from={$date}&to={$date}", $this->sk() );
		$this->assertSame( array( '2026-09-21T00:00:00Z', '2026-09-22T00:00:00Z' ), array( $r['from'], $r['to'] ) );
		$expected = array(
			// A bot's click is no click; a rejected sale counts gross, not net, and earns nothing.
			$row( 'alice', 'spring', 2, 2, array( 3, 2 ), array( 1, 1 ), 1.0, array( $money( 'USD', 1000, 600, 60, 3000 ), $money( 'VND', 150000, 100000, 30000, 1500000 ) ) ),
			// One visitor clicked twice.
			$row( 'bob', 'spring', 2, 1, array( 1, 1 ), array( 0, 0 ), 0.5, array( $money( 'VND', 30000, 30000, 3000, 150000 ) ) ),
			// Campaigns are told apart by case and accents; no campaign first among equals.
			$row( 'alice', 'Spring', 1, 1, array( 1, 1 ), array( 0, 0 ), 1.0, array( $money( 'VND', 40000, 40000, 4000, 400000 ) ) ),
			$row( 'alice', null, 1, 1, array( 0, 0 ), array( 0, 0 ), 0.0, array() ),
			$row( 'alice', 'Tet', 1, 1, array( 0, 0 ), array( 0, 0 ), 0.0, array() ),
			$row( 'alice', 'Tết', 1, 1, array( 0, 0 ), array( 0, 0 ), 0.0, array() ),
			// Referrals without clicks: no rate, no EPC; then by affiliate.
			$row( 'bob', 'story', 0, 0, array( 1, 1 ), array( 0, 0 ), null, array( $money( 'VND', 20000, 20000, 2000, 0 ) ) ),
			$row( 'carol', null, 0, 0, array( 1, 1 ), array( 0, 0 ), null, array( $money( 'VND', 70000, 70000, 7000, 0 ) ) ),
		);
		$this->assertSame( $expected, $r['rows'] );
		// The ratios keep their fraction over HTTP, as the server writes them.
		foreach ( array( '/reftrail/v1/reports/campaigns', '/reftrail/v1/me/campaigns' ) as $route ) {
			$this->assertStringContainsString( '"conversion_rate_clicks":1.0,', wp_json_encode( $r['rows'][0], apply_filters( 'rest_json_encode_options', 0, new WP_REST_Request( 'GET', $route ) ) ), $route );
		}

		// One affiliate's rows; an unknown one has none; the first rows only.
		$this->assertSame( array( $expected[1], $expected[6] ), $this->report( "/v1/reports/campaigns?from={$date}&to={$date}&affiliate=bob", $this->sk() )['rows'] );
		$this->assertSame( array(), $this->report( "/v1/reports/campaigns?from={$date}&to={$date}&affiliate=nobody", $this->sk() )['rows'] );
		$this->assertSame( array_slice( $expected, 0, 3 ), $this->report( "/v1/reports/campaigns?from={$date}&to={$date}&limit=3", $this->sk() )['rows'] );
		$this->assertSame( array_slice( $expected, 0, 1 ), $this->report( "/v1/reports/campaigns?from={$date}&to={$date}&limit=0001", $this->sk() )['rows'] );
		// The default period, the last 30 days in whole days, has the day before too.
		$r = $this->report( '/v1/reports/campaigns?affiliate=alice&limit=1000', $this->sk() );
		$this->assertSame( array( '2026-08-22T00:00:00Z', '2026-09-22T00:00:00Z' ), array( $r['from'], $r['to'] ) );
		$this->assertSame( array( 3, array( 4, 3 ) ), array( $r['rows'][0]['clicks'], array_values( $r['rows'][0]['sales'] ) ) );
		// A period of other days has no rows.
		$this->assertSame( array(), $this->report( '/v1/reports/campaigns?from=2020-01-01&to=2020-01-31', $this->sk() )['rows'] );

		// The affiliate's own rows, whatever affiliate they ask for.
		foreach ( array( '', '&affiliate=alice', '&affiliate=%3Cscript%3E', '&affiliate[]=alice' ) as $q ) {
			$own = $this->report( "/v1/me/campaigns?from={$date}&to={$date}{$q}", $bob_token );
			$this->assertSame( array( $expected[1], $expected[6] ), $own['rows'], $q );
		}
		$this->assertSame( array( $expected[1] ), $this->report( "/v1/me/campaigns?from={$date}&to={$date}&limit=1", $bob_token )['rows'] );
		// Signed in to WordPress as bob's user, the same.
		global $wpdb;
		$uid = $this->user( Reftrail_Schema::ROLE );
		$wpdb->update( Reftrail_Db::table( 'affiliates' ), array( 'user_id' => $uid ), array( 'id' => 'bob' ) );
		wp_set_current_user( $uid );
		$this->assertSame( array( $expected[1], $expected[6] ), $this->report( "/v1/me/campaigns?from={$date}&to={$date}", array() )['rows'] );
		wp_set_current_user( 0 );
		// Their own referrals in their report name the campaign too.
		list( $s, $d ) = $this->rest( 'GET', "/v1/me/report?from={$date}&to={$date}", null, $bob_token );
		$this->assertSame( 200, $s );
		$this->assertEqualsCanonicalizing( array( 'spring', 'story' ), array_column( $d['referrals'], 'campaign' ) );
	}

	public function test_bad_queries_and_callers_are_refused() {
		$alice = $this->affiliate( 'alice' );
		$token = array( 'authorization' => 'Bearer ' . $alice['token'] );
		foreach ( array( 'from=yesterday', 'from=2026-02-01&to=2026-01-01', 'from=2026-02-30', 'to[]=2026-01-01', 'from[]=2026-01-01' ) as $q ) {
			$this->refused( $this->rest( 'GET', '/v1/reports/campaigns?' . $q, null, $this->sk() ), 400, 'invalid_range', $q );
			$this->refused( $this->rest( 'GET', '/v1/me/campaigns?' . $q, null, $token ), 400, 'invalid_range', 'me: ' . $q );
		}
		foreach ( array( 'limit=0', 'limit=1001', 'limit=x', 'limit=-1', 'limit=1.5', 'limit=', 'limit[]=5', 'limit=99999999999999999999' ) as $q ) {
			$this->refused( $this->rest( 'GET', '/v1/reports/campaigns?' . $q, null, $this->sk() ), 400, 'invalid_query', $q );
			$this->refused( $this->rest( 'GET', '/v1/me/campaigns?' . $q, null, $token ), 400, 'invalid_query', 'me: ' . $q );
		}
		foreach ( array( 'affiliate=%3Cscript%3E', 'affiliate=', 'affiliate=' . str_repeat( 'a', 65 ), 'affiliate=al%20ice', 'affiliate[]=alice' ) as $q ) {
			$this->refused( $this->rest( 'GET', '/v1/reports/campaigns?' . $q, null, $this->sk() ), 400, 'invalid_query', $q );
		}
		$this->assertSame( 200, $this->rest( 'GET', '/v1/reports/campaigns?affiliate=' . str_repeat( 'a', 64 ) . '&limit=1000', null, $this->sk() )[0] );

		// The merchant's route: the secret key, a manager or the dashboard's session.
		$this->refused( $this->rest( 'GET', '/v1/reports/campaigns' ), 401, 'unauthorized', 'nobody' );
		$this->refused( $this->rest( 'GET', '/v1/reports/campaigns', null, $token ), 403, 'forbidden', "an affiliate's token" );
		$this->refused( $this->rest( 'GET', '/v1/reports/campaigns', null, array( 'authorization' => 'Bearer ' . Reftrail_Keys::publishable() ) ), 403, 'forbidden', 'the publishable key' );
		$this->refused( $this->rest( 'GET', '/v1/reports/campaigns', null, array( 'authorization' => 'Bearer sk_nope' ) ), 401, 'unauthorized', 'an unknown key' );
		wp_set_current_user( $this->user( 'administrator' ) );
		$this->assertSame( 200, $this->rest( 'GET', '/v1/reports/campaigns' )[0] );
		wp_set_current_user( 0 );
		// The affiliate's route: an affiliate only.
		$this->refused( $this->rest( 'GET', '/v1/me/campaigns' ), 401, 'unauthorized', 'nobody' );
		$this->refused( $this->rest( 'GET', '/v1/me/campaigns', null, $this->sk() ), 403, 'forbidden', 'the secret key' );
		$this->refused( $this->rest( 'GET', '/v1/me/campaigns', null, array( 'authorization' => 'Bearer at_nope' ) ), 401, 'unauthorized', 'an unknown token' );
		foreach ( array( '/v1/reports/campaigns', '/v1/me/campaigns' ) as $path ) {
			$this->refused( $this->rest( 'POST', $path, array(), $this->sk() ), 405, 'method_not_allowed', 'POST ' . $path );
		}

		// The portal may read it from another allowed origin; the preflight says so.
		$this->program( array( 'allowed_origins' => array( 'https://portal.example' ) ) );
		list( $s, , $h ) = $this->rest( 'OPTIONS', '/v1/me/campaigns', null, array( 'origin' => 'https://portal.example' ) );
		$this->assertSame( array( 204, 'https://portal.example' ), array( $s, $h['Access-Control-Allow-Origin'] ?? null ) );
		$this->refused( $this->rest( 'OPTIONS', '/v1/me/campaigns', null, array( 'origin' => 'https://evil.example' ) ), 403, 'origin_not_allowed', 'another origin' );
		$this->assertContains( '/reftrail/v1/me/campaigns', Reftrail_REST::BROWSER_ROUTES );
		$this->assertNotContains( '/reftrail/v1/reports/campaigns', Reftrail_REST::BROWSER_ROUTES );
	}

	public function test_the_openapi_document_names_the_routes() {
		list( $s, $doc ) = $this->rest( 'GET', '/v1/openapi.json' );
		$this->assertSame( 200, $s );
		$merchant = $doc['paths']['/v1/reports/campaigns']['get'];
		$this->assertSame( array( 'from', 'to', 'affiliate', 'limit' ), array_column( $merchant['parameters'], 'name' ) );
		$this->assertSame( array( array( 'secret_key' => array() ), array( 'session' => array() ), array( 'wordpress_user' => array() ) ), $merchant['security'] );
		$own = $doc['paths']['/v1/me/campaigns']['get'];
		$this->assertSame( array( 'from', 'to', 'limit' ), array_column( $own['parameters'], 'name' ) );
		$this->assertSame( array( array( 'affiliate_token' => array() ), array( 'wordpress_user' => array() ) ), $own['security'] );
		// The ledger and its export take a campaign.
		foreach ( array( '/v1/referrals' => array( 'limit', 'offset' ), '/v1/referrals.csv' => array() ) as $path => $paging ) {
			$this->assertSame( array_merge( array( 'status', 'affiliate', 'campaign', 'flagged', 'verified', 'from', 'to' ), $paging ), array_column( $doc['paths'][ $path ]['get']['parameters'], 'name' ), $path );
		}
		$routes = rest_get_server()->get_routes( 'reftrail/v1' );
		foreach ( array( '/reftrail/v1/reports/campaigns', '/reftrail/v1/me/campaigns' ) as $route ) {
			$this->assertArrayHasKey( $route, $routes );
		}
	}

	public function test_the_upgrade_from_22_fills_the_campaigns_of_referrals_from_their_clicks() {
		global $wpdb;
		$t      = fn( $n ) => Reftrail_Db::table( $n );
		$aff    = 'upgrade_' . strtolower( wp_generate_password( 8, false ) );
		$p      = 'upg' . strtolower( wp_generate_password( 6, false ) ) . '_';
		$click  = function ( $id, $tags ) use ( $wpdb, $t, $aff ) {
			ksort( $tags );
			$wpdb->insert(
				$t( 'clicks' ),
				array(
					'id'           => $id,
					'affiliate_id' => $aff,
					'at'           => 1780000000,
					'visitor_key'  => 'v:' . $id,
					'is_unique'    => 1,
					'is_bot'       => 0,
					'ip_hash'      => '',
					'consent'      => 'granted',
					'url'          => 'https://shop.test/',
					'referrer'     => '',
					'campaign'     => $tags ? wp_json_encode( $tags ) : null,
					'user_agent'   => 'Mozilla/5.0',
				)
			);
		};
		// A conversion and its referral as a site of schema 22 holds them (no campaign column).
		$converted = function ( $kind, $n, $click_id, $by ) use ( $wpdb, $t, $aff, $p ) {
			$source = $p . $kind . $n;
			if ( 'sale' === $kind ) {
				$wpdb->insert( $t( 'orders' ), array( 'id' => $source, 'order_id' => $source, 'at' => 1780000000, 'amount' => 1000, 'currency' => 'VND', 'shipping' => 0, 'tax' => 0, 'verified' => 1, 'affiliate_id' => $aff, 'attributed_by' => $by, 'click_id' => $click_id ) );
			} else {
				$wpdb->insert( $t( 'leads' ), array( 'id' => $source, 'dedupe_key' => $source, 'at' => 1780000000, 'event' => 'signup', 'verified' => 1, 'affiliate_id' => $aff, 'attributed_by' => $by, 'click_id' => $click_id ) );
			}
			return $wpdb->prepare( '(%s, %s, %s, %s, %d, %d, %s, %d, %s, %d, %s, %s, %d)', $p . 'ref' . $kind . $n, $kind, $source, $aff, 1780000000, 1000, 'VND', 100, 'approved', 1, $by, '[]', 1780000000 );
		};
		$wpdb->query( "ALTER TABLE {$t('referrals')} DROP COLUMN campaign" ); // phpcs:ignore
		try {
			$click( $p . 'k1', array( 'utm_campaign' => 'Tết 2027', 'campaign' => 'other', 'utm_source' => 'tiktok' ) );
			$click( $p . 'k2', array( 'campaign' => 'Zalo' ) );
			$click( $p . 'k3', array( 'utm_source' => 'facebook' ) );
			$click( $p . 'k4', array() );
			$values = array(
				$converted( 'sale', 1, $p . 'k1', 'cookie' ),
				$converted( 'sale', 2, $p . 'k3', 'click_id' ),
				$converted( 'sale', 3, $p . 'k4', 'click_id' ),
				$converted( 'sale', 4, null, 'coupon' ),
				$converted( 'sale', 5, $p . 'gone', 'click_id' ),
				$converted( 'lead', 1, $p . 'k2', 'click_id' ),
				$converted( 'lead', 2, null, 'touch' ),
			);
			// More than a page of the backfill's reading.
			for ( $n = 10; $n < 1210; $n++ ) {
				$values[] = $converted( 'sale', $n, $p . 'k2', 'click_id' );
			}
			$wpdb->query( "INSERT INTO {$t('referrals')} (id, kind, source_id, affiliate_id, at, amount, currency, commission, status, verified, attributed_by, flags, hold_until) VALUES " . implode( ', ', $values ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.PreparedSQL.NotPrepared -- each row was prepared.
			update_option( Reftrail_Schema::OPTION, 22 );
			Reftrail_Schema::maybe_upgrade();
			$version = (int) get_option( Reftrail_Schema::OPTION );
			$column  = $wpdb->get_row( "SHOW COLUMNS FROM {$t('referrals')} LIKE 'campaign'", ARRAY_A ); // phpcs:ignore
			$stored  = $wpdb->get_results( $wpdb->prepare( "SELECT id, campaign FROM {$t('referrals')} WHERE affiliate_id = %s ORDER BY id", $aff ), ARRAY_A ); // phpcs:ignore
			$views   = array_map( fn( $id ) => Reftrail_Ledger::view( $p . $id )['campaign'], array( 'refsale1', 'refsale2', 'refsale3', 'refsale4', 'refsale5', 'reflead1', 'reflead2', 'refsale10', 'refsale1209' ) );
			// Again: nothing changes, nothing fails.
			Reftrail_Schema::upgrade();
			$error = $wpdb->last_error;
			$again = $wpdb->get_results( $wpdb->prepare( "SELECT id, campaign FROM {$t('referrals')} WHERE affiliate_id = %s ORDER BY id", $aff ), ARRAY_A ); // phpcs:ignore
		} finally {
			if ( ! $wpdb->get_row( "SHOW COLUMNS FROM {$t('referrals')} LIKE 'campaign'" ) ) { // phpcs:ignore
				Reftrail_Schema::upgrade();
			}
			foreach ( array( 'referrals', 'orders', 'leads', 'clicks' ) as $table ) {
				$wpdb->query( $wpdb->prepare( "DELETE FROM {$t($table)} WHERE affiliate_id = %s", $aff ) ); // phpcs:ignore
			}
		}
		$this->assertSame( Reftrail_Schema::VERSION, $version, 'brought up to the current schema' );
		$this->assertGreaterThanOrEqual( 23, Reftrail_Schema::VERSION, 'campaigns came with schema 23' );
		$this->assertSame( array( 'varchar(256)', 'YES', null ), array( $column['Type'] ?? null, $column['Null'] ?? null, $column['Default'] ?? null ) );
		$this->assertSame( array( 'Tết 2027', null, null, null, null, 'Zalo', null, 'Zalo', 'Zalo' ), $views, "the credited click's utm_campaign, else its campaign; none without a click or a campaign" );
		$counts = array_count_values( array_map( fn( $r ) => (string) $r['campaign'], $stored ) );
		ksort( $counts, SORT_STRING );
		$this->assertSame(
			array(
				''         => 5,
				'Tết 2027' => 1,
				'Zalo'     => 1201,
			),
			$counts
		);
		$this->assertSame( '', $error, 'upgrading again changes nothing' );
		$this->assertSame( $stored, $again );
	}
}
