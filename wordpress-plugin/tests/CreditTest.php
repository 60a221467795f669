<?php
/**
 * Multi-touch credit: the trail a sale gets from the visitor's clicks, the shares stored with
 * the referral, the money split, and the reports' credited revenue and assisted sales (the same
 * rules as server/src/credit.rs).
 *
 * @package Reftrail
 */

/**
 * Credit tests.
 */
class CreditTest extends Reftrail_Test_Case {

	/** A visitor id. */
	const VISITOR = 'creditvisitor0000001';

	/**
	 * A click by the test's visitor at `$at`.
	 *
	 * @param string $affiliate Affiliate.
	 * @param int    $at        Unix seconds.
	 * @return string Click id.
	 */
	private function visit( $affiliate, $at ) {
		add_filter( 'reftrail_now', fn() => $at );
		list( $status, $body ) = Reftrail_Tracking::click(
			array(
				'affiliate' => $affiliate,
				'url'       => 'https://shop.test/?ref=' . $affiliate,
				'consent'   => 'granted',
				'visitor'   => self::VISITOR,
			),
			array(
				'ip'         => '203.0.113.7',
				'user_agent' => 'Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0',
				'https'      => true,
			)
		);
		remove_all_filters( 'reftrail_now' );
		$this->assertSame( 201, $status );
		return $body['click_id'];
	}

	/**
	 * The stored shares of a referral: affiliate => basis points, in trail order.
	 *
	 * @param string $referral Referral id.
	 * @return array
	 */
	private function shares_of( $referral ) {
		global $wpdb;
		$t    = Reftrail_Db::table( 'referral_credit' );
		$rows = $wpdb->get_results( $wpdb->prepare( "SELECT affiliate_id, share_bp FROM {$t} WHERE referral_id = %s ORDER BY seq", $referral ), ARRAY_N ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$out  = array();
		foreach ( $rows as $r ) {
			$out[ $r[0] ] = (int) $r[1];
		}
		return $out;
	}

	public function test_split_gives_the_units_left_to_the_largest_remainders_ties_to_later() {
		$this->assertSame( array( 50, 50 ), Reftrail_Credit::split( 100, array( 5000, 5000 ) ) );
		$this->assertSame( array( 50, 51 ), Reftrail_Credit::split( 101, array( 5000, 5000 ) ) );
		$this->assertSame( array( 33, 33, 34 ), Reftrail_Credit::split( 100, array( 3333, 3333, 3334 ) ) );
		$this->assertSame( array( 0, 0, 1 ), Reftrail_Credit::split( 1, array( 3333, 3333, 3334 ) ) );
		$this->assertSame( array( 1, 0, 1 ), Reftrail_Credit::split( 2, array( 3334, 3333, 3333 ) ) );
		$this->assertSame( array( 19999, 10000, 20000 ), Reftrail_Credit::split( 49999, array( 4000, 2000, 4000 ) ) );
		$this->assertSame( array( -50, -51 ), Reftrail_Credit::split( -101, array( 5000, 5000 ) ) );
		$this->assertSame( PHP_INT_MAX, array_sum( Reftrail_Credit::split( PHP_INT_MAX, array( 1, 9999 ) ) ) );
		$this->assertSame( 9007199254740991, array_sum( Reftrail_Credit::split( 9007199254740991, array( 4000, 2000, 4000 ) ) ) );
	}

	public function test_the_trail_keeps_the_credited_touch() {
		$this->assertSame( array( array( 'alice', 10 ), array( 'bob', 20 ) ), Reftrail_Credit::trail( array( array( 'bob', 20 ), array( 'alice', 10 ) ), 'bob', 20 ) );
		$this->assertSame( array( array( 'alice', 10 ), array( 'bob', 20 ), array( 'carol', 30 ) ), Reftrail_Credit::trail( array( array( 'bob', 20 ), array( 'alice', 10 ) ), 'carol', 30 ) );
		$full = array( array( 'e', 50 ), array( 'd', 40 ), array( 'c', 30 ), array( 'b', 20 ), array( 'a', 10 ) );
		$this->assertSame( array( array( 'z', 15 ), array( 'b', 20 ), array( 'c', 30 ), array( 'd', 40 ), array( 'e', 50 ) ), Reftrail_Credit::trail( $full, 'z', 15 ) );
		$this->assertSame( array( array( 'a', 10 ), array( 'z', 10 ) ), Reftrail_Credit::trail( array( array( 'a', 10 ) ), 'z', 10 ) );
	}

	public function test_a_sale_is_credited_over_the_visitors_clicks_by_the_model() {
		foreach ( array( 'alice', 'bob', 'carol' ) as $a ) {
			$this->affiliate( $a );
		}
		$this->affiliate( 'dana', array( 'category' => 'coupon' ) );
		$this->program(
			array(
				'currency'    => 'VND',
				'multi_touch' => array(
					'kind'           => 'time_decay',
					'half_life_days' => 7,
				),
			)
		);
		$now = time();
		$this->visit( 'alice', $now - 14 * DAY_IN_SECONDS );
		$this->visit( 'bob', $now - 7 * DAY_IN_SECONDS );
		$this->visit( 'dana', $now - 3 * DAY_IN_SECONDS - 10 );
		$carol = $this->visit( 'carol', $now );
		add_filter( 'reftrail_now', fn() => $now );
		// A trail of five at most: dana's and carol's clicks are the newest, alice's the oldest.
		list( $status, $sale ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'o-credit-1', 'amount' => 70000, 'currency' => 'VND', 'click_id' => $carol, 'at' => gmdate( 'Y-m-d\TH:i:s\Z', $now ) ), $this->sk() );
		$this->assertSame( 201, $status, wp_json_encode( $sale ) );
		$this->assertSame( 'carol', $sale['referral']['affiliate'] );
		$shares = $this->shares_of( $sale['referral']['id'] );
		$this->assertSame( array( 'alice', 'bob', 'dana', 'carol' ), array_map( 'strval', array_keys( $shares ) ) );
		$this->assertSame( 10000, array_sum( $shares ) );
		$this->assertGreaterThan( $shares['alice'], $shares['bob'] );
		$this->assertGreaterThan( $shares['dana'], $shares['carol'] );

		// The same split in the reports, per affiliate and category, the parts summing exactly.
		list( $status, $r ) = $this->rest( 'GET', '/v1/reports/affiliates?sort=credited_revenue', null, $this->sk() );
		$this->assertSame( 200, $status );
		$credited = array();
		foreach ( $r['rows'] as $row ) {
			$credited[ $row['key'] ] = $row['money'][0]['credited_revenue_net'];
			$this->assertSame( 'carol' === $row['key'] ? 0 : 1, $row['assisted_sales']['net'] );
		}
		$want = Reftrail_Credit::split( 70000, array_values( $shares ) );
		$expected = array_combine( array( 'alice', 'bob', 'dana', 'carol' ), $want );
		$got      = array_intersect_key( $credited, $shares );
		ksort( $expected );
		ksort( $got );
		$this->assertSame( $expected, $got );
		$this->assertSame( 'carol', $r['rows'][0]['key'], 'ranked by credited revenue' );
		list( , $c ) = $this->rest( 'GET', '/v1/reports/categories', null, $this->sk() );
		$by = array_column( $c['rows'], null, 'key' );
		$this->assertSame( $want[2], $by['coupon']['money'][0]['credited_revenue_net'] );
		$this->assertSame( 70000 - $want[2], $by['other']['money'][0]['credited_revenue_net'] );
		$this->assertSame( array( 'gross' => 1, 'net' => 1 ), $by['coupon']['assisted_sales'] );
		$this->assertSame( array( 'gross' => 0, 'net' => 0 ), $by['other']['assisted_sales'] );
		// The summary and an affiliate's own report stay as they were.
		list( , $s ) = $this->rest( 'GET', '/v1/reports/summary', null, $this->sk() );
		$this->assertArrayNotHasKey( 'assisted_sales', $s['kpis'] );

		// A renewal keeps all of it with the first sale's affiliate, whatever the model.
		$this->program( array( 'multi_touch' => array( 'kind' => 'linear' ) ) );
		list( $status, $first ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'o-credit-2', 'amount' => 1000, 'currency' => 'VND', 'click_id' => $carol, 'subscription_id' => 'sub-1' ), $this->sk() );
		$this->assertSame( 201, $status );
		$this->assertCount( 4, $this->shares_of( $first['referral']['id'] ) );
		list( $status, $renewal ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'o-credit-3', 'amount' => 1000, 'currency' => 'VND', 'subscription_id' => 'sub-1' ), $this->sk() );
		$this->assertSame( 201, $status );
		$this->assertSame( 'renewal', $renewal['sale']['attributed_by'] );
		$this->assertSame( array( 'carol' => 10000 ), $this->shares_of( $renewal['referral']['id'] ) );
	}
}
