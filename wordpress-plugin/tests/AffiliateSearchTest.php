<?php
/**
 * Finding affiliates (`GET /v1/affiliates?q=`), as the server does: a piece of their id, name,
 * email or a coupon code, whatever its case and the accents of Latin letters (`nguyen` finds
 * `Nguyễn`, `dang` finds `Đặng`), other scripts as written; trimmed; with the list's other
 * filters and pages; at most 100 characters without control characters.
 *
 * @package Reftrail
 */

/**
 * Affiliate search tests.
 */
class AffiliateSearchTest extends Reftrail_Test_Case {

	/**
	 * The ids `GET /v1/affiliates` answers for `$query`, with the total, which must be a 200.
	 *
	 * @param string $query Query, without its `?`.
	 * @return array [ids, total]
	 */
	private function found( $query ) {
		list( $s, $d ) = $this->rest( 'GET', '/v1/affiliates?' . $query, null, $this->sk() );
		$this->assertSame( 200, $s, $query . ': ' . wp_json_encode( $d ) );
		return array( array_column( $d['affiliates'], 'id' ), $d['total'] );
	}

	/**
	 * The ids found by `q` alone.
	 *
	 * @param string $q Text.
	 * @return string[]
	 */
	private function ids( $q ) {
		list( $ids, $total ) = $this->found( 'q=' . rawurlencode( $q ) );
		$this->assertSame( count( $ids ), $total, $q );
		return $ids;
	}

	public function test_text_is_folded_as_the_server_folds_it() {
		$this->assertSame( 'nguyen thi hong', Reftrail_Affiliates::fold( 'Nguyễn Thị Hồng' ) );
		$this->assertSame( 'dang van minh', Reftrail_Affiliates::fold( 'ĐẶNG Văn Minh' ) );
		$this->assertSame( 'aeroskobing', Reftrail_Affiliates::fold( 'Ærøskøbing' ) );
		$this->assertSame( 'สมชาย ใจดี', Reftrail_Affiliates::fold( 'สมชาย ใจดี' ), 'Thai as written' );
		$this->assertSame( 'giam10', Reftrail_Affiliates::fold( 'GIAM10' ) );
		$this->assertSame( '2 × 3 ÷ 1', Reftrail_Affiliates::fold( '2 × 3 ÷ 1' ) );
		$this->assertSame( 'ωμέγα', Reftrail_Affiliates::fold( 'ΩΜΈΓΑ' ), 'other scripts lower-cased' );
	}

	public function test_affiliates_are_found_by_a_piece_of_their_name_email_id_or_coupon() {
		$this->affiliate(
			'nguyen-1',
			array(
				'name'  => 'Nguyễn Thị Hồng',
				'email' => 'hong@affiliates.test',
			)
		);
		$this->affiliate(
			'minh-1',
			array(
				'name'    => 'Đặng Văn Minh',
				'email'   => 'minh@affiliates.test',
				'coupons' => array( 'TETSALE' ),
			)
		);
		$this->affiliate(
			'somchai',
			array(
				'name'     => 'สมชาย ใจดี',
				'category' => 'cashback',
				'status'   => 'pending',
			)
		);
		$this->affiliate( 'other', array( 'name' => 'Someone Else' ) );

		$this->assertSame( array( 'minh-1', 'nguyen-1' ), $this->ids( 'affiliates.test' ), 'by email' );
		foreach ( array( 'dang', 'đặng', 'ĐẶNG VĂN MINH', 'van m', 'tetsale', 'TetSale', 'MINH-1', '  minh@  ', "\u{3000}minh\u{3000}" ) as $q ) {
			$this->assertSame( array( 'minh-1' ), $this->ids( $q ), $q );
		}
		foreach ( array( 'nguyen thi hong', 'Nguyễn', 'THỊ', 'hong@' ) as $q ) {
			$this->assertSame( array( 'nguyen-1' ), $this->ids( $q ), $q );
		}
		$this->assertSame( array( 'somchai' ), $this->ids( 'สมชาย ใจดี' ) );
		foreach ( array( 'dang  van', 'tet-sale', 'nobody', '%', '_', "minh' OR '1'='1" ) as $q ) {
			$this->assertSame( array(), $this->ids( $q ), $q );
		}
		// Empty or blank: no search.
		$this->assertSame( array( array( 'minh-1', 'nguyen-1', 'other', 'somchai' ), 4 ), $this->found( 'q=' ) );
		$this->assertSame( array( array( 'minh-1', 'nguyen-1', 'other', 'somchai' ), 4 ), $this->found( 'q=%20%20' ) );

		// With the other filters, and paged: the total counts every match.
		$this->assertSame( array( array( 'somchai' ), 1 ), $this->found( 'q=i&category=cashback' ) );
		$this->assertSame( array( array( 'somchai' ), 1 ), $this->found( 'q=i&status=pending' ) );
		$this->assertSame( array( array( 'minh-1' ), 1 ), $this->found( 'q=affiliates&email=MINH%40affiliates.test' ) );
		$this->assertSame( array( array( 'minh-1', 'nguyen-1' ), 4 ), $this->found( 'q=h&limit=2' ) );
		$this->assertSame( array( array( 'other', 'somchai' ), 4 ), $this->found( 'q=h&limit=2&offset=2' ) );
		$this->assertSame( array( array(), 4 ), $this->found( 'q=h&offset=10' ) );
		list( $s, $d ) = $this->rest( 'GET', '/v1/affiliates?q=tetsale', null, $this->sk() );
		$this->assertSame( $this->show_affiliate( 'minh-1' ), $d['affiliates'][0], 'each as the list shows it' );

		// At most 100 characters (after trimming), without control characters, given once.
		$this->assertSame( array(), $this->ids( str_repeat( 'ễ', 100 ) ) );
		$this->assertSame( array(), $this->ids( ' ' . str_repeat( 'x', 100 ) . ' ' ) );
		foreach ( array( 'q=' . str_repeat( 'x', 101 ), 'q=' . rawurlencode( str_repeat( 'ễ', 101 ) ), 'q=a%0Ab', 'q=a%7Fb', 'q=a%C2%85b', 'q[]=minh', 'q=%FF' ) as $query ) {
			list( $s, $d ) = $this->rest( 'GET', '/v1/affiliates?' . $query, null, $this->sk() );
			$this->assertSame( array( 400, 'invalid_query' ), array( $s, $d['error']['code'] ?? null ), $query );
		}
		// Merchant callers only, as the list is.
		list( $s ) = $this->rest( 'GET', '/v1/affiliates?q=minh' );
		$this->assertSame( 401, $s );
		list( , $doc ) = $this->rest( 'GET', '/v1/openapi.json' );
		$this->assertContains( 'q', array_column( $doc['paths']['/v1/affiliates']['get']['parameters'], 'name' ) );
	}
}
