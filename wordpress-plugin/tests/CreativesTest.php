<?php
/**
 * Creatives: the text links and banners the merchant keeps under `/v1/creatives` (each field
 * checked, the first broken rule named, a refused request changing nothing; a change merging the
 * fields given into the creative and checking it whole), the active ones an affiliate reads under
 * `/v1/me/creatives`, who may call what, the report of each creative's clicks, conversions and
 * revenue (`/v1/reports/creatives`) and an affiliate's own (`/v1/me/reports/creatives`), the
 * table the upgrade from schema 16 adds and the uninstall drops.
 *
 * @package Reftrail
 */

/**
 * Creatives tests.
 */
class CreativesTest extends Reftrail_Test_Case {

	/** The tests that create or drop the table, which commits: they run outside the transaction. */
	const SCHEMA_TESTS = array( 'test_the_upgrade_from_16_creates_the_table', 'test_uninstall_with_the_data_drops_the_table' );

	/** A banner that passes every check. */
	const BANNER = array(
		'name'        => 'Tết banner 728×90',
		'kind'        => 'image',
		'text'        => 'Giày chạy bộ giảm 20% · ลด 20%',
		'image_url'   => 'https://cdn.shop.test/banners/tet-728x90.png',
		'landing_url' => 'https://www.shop.test/sale/?season=tet',
	);

	protected function setUp(): void {
		$this->transactional = ! in_array( $this->getName( false ), self::SCHEMA_TESTS, true );
		parent::setUp();
	}

	/**
	 * POSTs a creative with the secret key; returns [status, body].
	 *
	 * @param array|string $body Body.
	 * @return array
	 */
	private function post( $body ) {
		list( $s, $d ) = $this->rest( 'POST', '/v1/creatives', $body, $this->sk() );
		return array( $s, $d );
	}

	/**
	 * Creates a creative; returns it.
	 *
	 * @param array $changes Fields over BANNER (null: left out).
	 * @return array
	 */
	private function made( array $changes = array() ) {
		list( $s, $d ) = $this->post( array_filter( array_merge( self::BANNER, $changes ), fn( $v ) => null !== $v ) );
		$this->assertSame( 201, $s, wp_json_encode( $d ) );
		return $d;
	}

	/**
	 * PATCHes a creative with the secret key; returns [status, body].
	 *
	 * @param string       $id   Creative.
	 * @param array|string $body Body.
	 * @return array
	 */
	private function patch( $id, $body ) {
		list( $s, $d ) = $this->rest( 'PATCH', '/v1/creatives/' . $id, $body, $this->sk() );
		return array( $s, $d );
	}

	/**
	 * `GET /v1/creatives` with the secret key.
	 *
	 * @param string $query Query, with its `?`.
	 * @return array[]
	 */
	private function listed( $query = '' ) {
		list( $s, $d ) = $this->rest( 'GET', '/v1/creatives' . $query, null, $this->sk() );
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
		$this->assertSame( array( 'creatives' ), array_keys( $d ) );
		return $d['creatives'];
	}

	/**
	 * The rows of the table.
	 *
	 * @return int
	 */
	private function stored() {
		global $wpdb;
		return (int) $wpdb->get_var( 'SELECT COUNT(*) FROM ' . Reftrail_Db::table( 'creatives' ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
	}

	/**
	 * Asserts a refusal: the status and the error code, with a message.
	 *
	 * @param array  $answer [status, body].
	 * @param string $code   Code.
	 * @param string $what   What was sent.
	 * @param int    $status Status.
	 */
	private function refused( array $answer, $code, $what, $status = 400 ) {
		list( $s, $d ) = $answer;
		$this->assertSame( array( $status, $code ), array( $s, $d['error']['code'] ?? null ), $what . ': ' . wp_json_encode( $d ) );
		$this->assertNotSame( '', (string) ( $d['error']['message'] ?? '' ), $what );
	}

	public function test_addresses_a_page_can_link_to_or_show() {
		foreach ( array(
			'https://www.shop.test/'                               => true,
			'http://127.0.0.1:8000/store/?ref=x#top'               => true,
			'HTTPS://CDN.SHOP.TEST/A.PNG'                          => true,
			'Http://cdn.shop.test/a.png'                           => true,
			'https://xn--gy-7ka.vn/gi%C3%A0y'                      => true,
			'https://giày.vn/sản-phẩm'                             => true,
			'https://www.shop.test:8443/sale/?season=spring&x=1'   => true,
			'https://[2001:db8::1]/a.png'                          => true,
			'https://cdn.shop.test/' . str_repeat( 'a', 1978 )     => true,
			'https://cdn.shop.test/' . str_repeat( 'a', 1979 )     => false,
			''                                                     => false,
			'https://'                                             => false,
			'https:///path'                                        => false,
			'HTTP:////www.shop.test/'                              => false,
			'https://user:pw@www.shop.test/'                       => false,
			'https://user@www.shop.test/'                          => false,
			'https://:pw@www.shop.test/'                           => false,
			'javascript:alert(1)'                                  => false,
			'JavaScript://www.shop.test/%0aalert(1)'               => false,
			'data:image/png;base64,AAAA'                           => false,
			'ftp://cdn.shop.test/a.png'                            => false,
			'//cdn.shop.test/a.png'                                => false,
			'/banners/a.png'                                       => false,
			'www.shop.test'                                        => false,
			'https:/www.shop.test/'                                => false,
			' https://www.shop.test/'                              => false,
			'https://cdn.shop.test/a b.png'                        => false,
			"https://cdn.shop.test/a\tb.png"                       => false,
			"https://cdn.shop.test/a.png\n"                        => false,
			"https://cdn.shop.test/a\0.png"                        => false,
			"https://cdn.shop.test/\x7f"                           => false,
			'https://cdn.shop.test/a.png"onerror="x'               => false,
			"https://cdn.shop.test/a.png'onerror='x"               => false,
			'https://cdn.shop.test/<script>'                       => false,
			'https://cdn.shop.test/a\\b'                           => false,
			'https://cdn.shop.test/a`b'                            => false,
			'https://www.shop.test:99999/'                         => false,
		) as $url => $ok ) {
			$this->assertSame( $ok, Reftrail_Creatives::is_url( (string) $url ), (string) $url );
		}
		foreach ( array( null, 7, true, array( 'https://www.shop.test/' ) ) as $v ) {
			$this->assertFalse( Reftrail_Creatives::is_url( $v ), wp_json_encode( $v ) );
		}
	}

	public function test_the_first_broken_rule_is_named_and_only_spaces_are_trimmed() {
		$f    = self::BANNER + array( 'status' => 'active' );
		$code = function ( array $changes ) use ( $f ) {
			try {
				Reftrail_Creatives::checked( array_merge( $f, $changes ) );
				return 'ok';
			} catch ( Reftrail_Http_Error $e ) {
				return $e->error_code;
			}
		};
		$this->assertSame( 'ok', $code( array() ) );
		$this->assertSame( 'ok', $code( array( 'name' => str_repeat( 'ẞ', 40 ) ) ), '120 bytes' );
		$this->assertSame( 'invalid_name', $code( array( 'name' => str_repeat( 'ẞ', 40 ) . 'a' ) ), '121 bytes' );
		$this->assertSame( 'ok', $code( array( 'text' => str_repeat( 'ต', 166 ) . 'ab' ) ), '500 bytes of Thai' );
		$this->assertSame( 'invalid_text', $code( array( 'text' => str_repeat( 'ต', 167 ) ) ), '501 bytes of Thai' );
		$this->assertSame( 'invalid_name', $code( array( 'name' => "a\u{85}b" ) ), 'a C1 control' );
		$this->assertSame( 'invalid_name', $code( array( 'name' => "\tBanner" ) ), 'a tab is not trimmed' );
		$this->assertSame( 'invalid_text', $code( array( 'text' => "a\r\nb" ) ) );
		$this->assertSame( 'invalid_kind', $code( array( 'kind' => 'Image' ) ) );
		$this->assertSame( 'invalid_image_url', $code( array( 'kind' => 'link' ) ), 'a link has no image' );
		$this->assertSame( 'ok', $code( array( 'kind' => 'link', 'image_url' => null ) ) );
		$this->assertSame( 'invalid_image_url', $code( array( 'image_url' => null ) ), 'an image has one' );
		$this->assertSame( 'invalid_landing_url', $code( array( 'landing_url' => 'shop.test' ) ) );
		$this->assertSame( 'ok', $code( array( 'landing_url' => null ) ) );
		$this->assertSame( 'invalid_status', $code( array( 'status' => 'draft' ) ) );
		// Several broken: the first in the contract's order.
		$this->assertSame( 'invalid_name', $code( array( 'name' => '', 'kind' => 'video', 'status' => 'x' ) ) );
		$this->assertSame( 'invalid_kind', $code( array( 'kind' => 'video', 'text' => '' ) ) );
		$this->assertSame( 'invalid_text', $code( array( 'text' => '', 'image_url' => 'x' ) ) );
		$this->assertSame( 'invalid_image_url', $code( array( 'image_url' => 'x', 'landing_url' => 'y' ) ) );
		$this->assertSame( 'invalid_landing_url', $code( array( 'landing_url' => 'y', 'status' => 'z' ) ) );
		foreach ( array( 'name', 'kind', 'text', 'status' ) as $k ) {
			$this->assertSame( 'invalid_' . $k, $code( array( $k => null ) ), "{$k}: null" );
		}

		$kept = Reftrail_Creatives::checked( array_merge( $f, array( 'name' => '  Tết banner ', 'text' => "\u{3000}Giảm 20%  " ) ) );
		$this->assertSame( array( 'Tết banner', "\u{3000}Giảm 20%" ), array( $kept['name'], $kept['text'] ), 'spaces only' );
		$this->assertSame( array( 'name', 'kind', 'text', 'image_url', 'landing_url', 'status' ), array_keys( $kept ) );
	}

	public function test_bad_creatives_are_refused_and_nothing_is_saved() {
		$long    = fn( $n ) => str_repeat( 'a', $n );
		$with    = fn( $k, $v ) => array_merge( self::BANNER, array( $k => $v ) );
		$without = function ( $k ) {
			$b = self::BANNER;
			unset( $b[ $k ] );
			return $b;
		};
		$link  = array_merge( $without( 'image_url' ), array( 'kind' => 'link' ) );
		$cases = array(
			array( $with( 'name', '' ), 'invalid_name' ),
			array( $with( 'name', '   ' ), 'invalid_name' ),
			array( $with( 'name', $long( 121 ) ), 'invalid_name' ),
			array( $with( 'name', "first\nsecond line" ), 'invalid_name' ),
			array( $with( 'name', "bell\u{7}" ), 'invalid_name' ),
			array( $with( 'name', "del\u{7f}" ), 'invalid_name' ),
			array( $with( 'name', "nel\u{85}" ), 'invalid_name' ),
			array( $with( 'name', 7 ), 'invalid_body' ),
			array( $with( 'name', null ), 'invalid_body' ),
			array( $with( 'name', array( 'x' ) ), 'invalid_body' ),
			array( $without( 'name' ), 'invalid_body' ),
			array( $with( 'kind', 'video' ), 'invalid_kind' ),
			array( $with( 'kind', '' ), 'invalid_kind' ),
			array( $with( 'kind', 'IMAGE' ), 'invalid_kind' ),
			array( $with( 'kind', true ), 'invalid_body' ),
			array( $without( 'kind' ), 'invalid_body' ),
			array( $with( 'text', '' ), 'invalid_text' ),
			array( $with( 'text', '   ' ), 'invalid_text' ),
			array( $with( 'text', $long( 501 ) ), 'invalid_text' ),
			array( $with( 'text', "two\nlines" ), 'invalid_text' ),
			array( $with( 'text', "nul\0" ), 'invalid_text' ),
			array( $with( 'text', 5 ), 'invalid_body' ),
			array( $without( 'text' ), 'invalid_body' ),
			array( $without( 'image_url' ), 'invalid_image_url' ),
			array( $with( 'image_url', null ), 'invalid_image_url' ),
			array( $with( 'image_url', 'javascript:alert(1)' ), 'invalid_image_url' ),
			array( $with( 'image_url', 'data:image/png;base64,AAAA' ), 'invalid_image_url' ),
			array( $with( 'image_url', 'ftp://cdn.shop.test/a.png' ), 'invalid_image_url' ),
			array( $with( 'image_url', '//cdn.shop.test/a.png' ), 'invalid_image_url' ),
			array( $with( 'image_url', '/banners/a.png' ), 'invalid_image_url' ),
			array( $with( 'image_url', 'https://' ), 'invalid_image_url' ),
			array( $with( 'image_url', 'https://cdn.shop.test/a b.png' ), 'invalid_image_url' ),
			array( $with( 'image_url', 'https://cdn.shop.test/a.png"onerror="alert(1)' ), 'invalid_image_url' ),
			array( $with( 'image_url', 'https://cdn.shop.test/"><script>alert(1)</script>' ), 'invalid_image_url' ),
			array( $with( 'image_url', 'https://cdn.shop.test/' . $long( 2000 ) ), 'invalid_image_url' ),
			array( $with( 'image_url', 42 ), 'invalid_body' ),
			array( array_merge( $link, array( 'image_url' => 'https://cdn.shop.test/a.png' ) ), 'invalid_image_url' ),
			array( $with( 'landing_url', 'javascript:alert(1)' ), 'invalid_landing_url' ),
			array( $with( 'landing_url', '/sale/' ), 'invalid_landing_url' ),
			array( $with( 'landing_url', 'https://user:pw@www.shop.test/' ), 'invalid_landing_url' ),
			array( $with( 'landing_url', 'www.shop.test' ), 'invalid_landing_url' ),
			array( $with( 'landing_url', "https://www.shop.test/'; DROP TABLE wp_users; --" ), 'invalid_landing_url' ),
			array( $with( 'landing_url', '' ), 'invalid_landing_url' ),
			array( $with( 'landing_url', array() ), 'invalid_body' ),
			array( $with( 'status', 'deleted' ), 'invalid_status' ),
			array( $with( 'status', 'Active' ), 'invalid_status' ),
			array( $with( 'status', '' ), 'invalid_status' ),
			array( $with( 'status', 1 ), 'invalid_body' ),
			array( $with( 'colour', 'red' ), 'invalid_body' ),
			array( $with( 'id', 'cr_mine' ), 'invalid_body' ),
			array( $with( 'created_at', '2026-01-01T00:00:00Z' ), 'invalid_body' ),
			// Several rules broken: the first in the contract's order.
			array( array_merge( self::BANNER, array( 'name' => '', 'status' => 'x' ) ), 'invalid_name' ),
			array( array_merge( self::BANNER, array( 'text' => '', 'landing_url' => 'x' ) ), 'invalid_text' ),
			array( array_merge( self::BANNER, array( 'landing_url' => 'x', 'status' => 'x' ) ), 'invalid_landing_url' ),
			// Not an object of fields; not JSON, as on every route.
			array( '[1,2,3]', 'invalid_body' ),
			array( '"banner"', 'invalid_body' ),
			array( '{"name":', 'invalid_json' ),
			array( '', 'invalid_json' ),
			array( '{"name":"\ud800","kind":"link","text":"x"}', 'invalid_json' ),
			array( str_repeat( '[', 600 ) . str_repeat( ']', 600 ), 'invalid_json' ),
		);
		foreach ( $cases as list( $body, $code ) ) {
			$this->refused( $this->post( $body ), $code, is_string( $body ) ? $body : (string) wp_json_encode( $body ) );
		}
		$this->refused( $this->rest( 'POST', '/v1/creatives', wp_json_encode( self::BANNER ), $this->sk() + array( 'content-type' => 'application/xml' ) ), 'unsupported_media_type', 'xml', 415 );
		$this->refused( $this->post( wp_json_encode( $with( 'text', $long( 70000 ) ) ) ), 'payload_too_large', 'a large body', 413 );
		$this->assertSame( 0, $this->stored(), 'nothing saved' );
		$this->assertSame( array(), $this->listed() );
	}

	public function test_a_creative_is_stored_as_given_with_its_ends_trimmed() {
		add_filter( 'reftrail_now', fn() => 1780000000 );
		$c = $this->made(
			array(
				'name' => '  ' . self::BANNER['name'] . ' ',
				'text' => ' ' . self::BANNER['text'] . '  ',
			)
		);
		$this->assertMatchesRegularExpression( '/^cr_[0-9A-Za-z]{21}$/', $c['id'] );
		$this->assertSame(
			array(
				'id'          => $c['id'],
				'name'        => self::BANNER['name'],
				'kind'        => 'image',
				'text'        => self::BANNER['text'],
				'image_url'   => self::BANNER['image_url'],
				'landing_url' => self::BANNER['landing_url'],
				'status'      => 'active',
				'created_at'  => '2026-05-28T20:26:40Z',
				'updated_at'  => '2026-05-28T20:26:40Z',
			),
			$c
		);
		$this->assertSame( array( $c ), $this->listed(), 'listed as answered' );

		// Markup and SQL are text like any other: stored as given (the portal escapes what it shows).
		$hostile = $this->made(
			array(
				'name'      => "<script>alert(1)</script> x'); DROP TABLE wp_users; --",
				'text'      => '<img src=x onerror=alert(2)> \' OR \'1\'=\'1',
				'image_url' => 'HTTPS://CDN.SHOP.TEST/A.PNG?a=1&b=%22',
			)
		);
		$this->assertSame( "<script>alert(1)</script> x'); DROP TABLE wp_users; --", $hostile['name'] );
		$this->assertSame( '<img src=x onerror=alert(2)> \' OR \'1\'=\'1', $hostile['text'] );
		$this->assertSame( 'HTTPS://CDN.SHOP.TEST/A.PNG?a=1&b=%22', $hostile['image_url'], 'no normalisation' );

		// A text link, with no landing page (the shop's home page), archived from the start.
		$link = $this->made(
			array(
				'kind'        => 'link',
				'image_url'   => null,
				'landing_url' => null,
				'status'      => 'archived',
				'name'        => str_repeat( 'ẞ', 40 ),
				'text'        => str_repeat( 'ต', 166 ) . 'ab',
			)
		);
		$this->assertSame( array( 'link', null, null, 'archived' ), array( $link['kind'], $link['image_url'], $link['landing_url'], $link['status'] ) );
		$this->assertSame( str_repeat( 'ẞ', 40 ), $link['name'], '120 bytes kept whole' );
		$this->assertSame( 500, strlen( $link['text'] ) );
		// Explicit nulls are the same as leaving the fields out.
		list( $s, $d ) = $this->post(
			array(
				'name'        => 'Nulls',
				'kind'        => 'link',
				'text'        => 'Shop now',
				'image_url'   => null,
				'landing_url' => null,
				'status'      => null,
			)
		);
		$this->assertSame( 201, $s, wp_json_encode( $d ) );
		$this->assertSame( array( 'active', null, null ), array( $d['status'], $d['image_url'], $d['landing_url'] ) );
		$this->assertSame( 4, $this->stored() );
	}

	public function test_newest_first_by_status_and_in_pages() {
		$at = 1780000000;
		add_filter(
			'reftrail_now',
			function () use ( &$at ) {
				return $at;
			}
		);
		$old = $this->made( array( 'name' => 'Old' ) );
		$at += 60;
		$archived = $this->made( array( 'name' => 'Archived', 'status' => 'archived' ) );
		$at += 60;
		// Three in one second: by id, newest first.
		$same = array( $this->made( array( 'name' => 'Same 1' ) ), $this->made( array( 'name' => 'Same 2' ) ), $this->made( array( 'name' => 'Same 3' ) ) );
		$ids  = array_column( $same, 'id' );
		usort( $ids, fn( $a, $b ) => strcmp( $b, $a ) );
		$at -= 3600;
		$earliest = $this->made( array( 'name' => 'Made with an earlier clock' ) );

		$all = $this->listed();
		$this->assertSame( array_merge( $ids, array( $archived['id'], $old['id'], $earliest['id'] ) ), array_column( $all, 'id' ) );
		$this->assertSame( $all, $this->listed( '?limit=500&offset=0' ) );
		$this->assertSame( array_slice( $all, 0, 2 ), $this->listed( '?limit=2' ) );
		$this->assertSame( array_slice( $all, 2, 2 ), $this->listed( '?limit=2&offset=2' ) );
		$this->assertSame( array_slice( $all, 5 ), $this->listed( '?offset=5' ) );
		$this->assertSame( array(), $this->listed( '?offset=6' ) );
		$this->assertSame( array(), $this->listed( '?limit=1&offset=99999999999999999999' ) );
		$this->assertSame( array( $archived ), $this->listed( '?status=archived' ) );
		$this->assertSame( array_values( array_filter( $all, fn( $c ) => 'active' === $c['status'] ) ), $this->listed( '?status=active' ) );
		$this->assertSame( array( $old ), $this->listed( '?status=active&limit=1&offset=3' ) );

		foreach ( array( 'limit=0', 'limit=501', 'limit=-1', 'limit=ten', 'limit=1.5', 'limit=', 'limit[]=1', 'offset=-1', 'offset=x', 'offset=1e3' ) as $q ) {
			$this->refused( $this->rest( 'GET', '/v1/creatives?' . $q, null, $this->sk() ), 'invalid_query', $q );
		}
		foreach ( array( 'status=deleted', 'status=gone', 'status=', 'status=ACTIVE', 'status[]=active', "status=active' OR '1'='1" ) as $q ) {
			$this->refused( $this->rest( 'GET', '/v1/creatives?' . $q, null, $this->sk() ), 'invalid_status', $q );
		}
		$this->refused( $this->rest( 'GET', '/v1/creatives?status=gone&limit=0', null, $this->sk() ), 'invalid_status', 'the status first, as on the server' );

		// A hundred by default.
		global $wpdb;
		for ( $i = 0; $i < 100; $i++ ) {
			$wpdb->insert(
				Reftrail_Db::table( 'creatives' ),
				array(
					'id'         => Reftrail_Db::new_id( 'cr' ),
					'name'       => 'Bulk ' . $i,
					'kind'       => 'link',
					'text'       => 'Shop now',
					'status'     => 'active',
					'created_at' => 1700000000,
					'updated_at' => 1700000000,
				)
			);
		}
		$this->assertCount( 100, $this->listed() );
		$this->assertCount( 106, $this->listed( '?limit=500' ) );
	}

	public function test_a_change_merges_the_fields_given_and_is_checked_whole() {
		$at = 1780000000;
		add_filter(
			'reftrail_now',
			function () use ( &$at ) {
				return $at;
			}
		);
		$link = $this->made(
			array(
				'kind'      => 'link',
				'image_url' => null,
				'text'      => 'Spring sale: 20% off running shoes',
			)
		);
		$at += 90;
		$id  = $link['id'];

		// Some fields change; the others stay; null removes the landing page.
		list( $s, $changed ) = $this->patch(
			$id,
			array(
				'text'        => '  Spring sale: 25% off ',
				'landing_url' => null,
			)
		);
		$this->assertSame( 200, $s, wp_json_encode( $changed ) );
		$this->assertSame( array( 'Spring sale: 25% off', null ), array( $changed['text'], $changed['landing_url'] ), 'trimmed; removed' );
		foreach ( array( 'id', 'name', 'kind', 'image_url', 'status', 'created_at' ) as $same ) {
			$this->assertSame( $link[ $same ], $changed[ $same ], $same );
		}
		$this->assertSame( '2026-05-28T20:28:10Z', $changed['updated_at'], 'now' );
		$this->assertSame( array( $changed ), $this->listed(), 'as stored' );

		// Becoming a banner needs an image: refused whole, nothing changed (not the text either).
		$this->refused( $this->patch( $id, array( 'kind' => 'image', 'text' => 'Not saved' ) ), 'invalid_image_url', 'no image' );
		$this->assertSame( array( $changed ), $this->listed() );
		list( $s, $banner ) = $this->patch( $id, array( 'kind' => 'image', 'image_url' => 'https://cdn.shop.test/b.png' ) );
		$this->assertSame( array( 200, 'image', 'https://cdn.shop.test/b.png', 'Spring sale: 25% off' ), array( $s, $banner['kind'], $banner['image_url'], $banner['text'] ) );
		// Back to a text link: the image goes with the kind, or the change is refused.
		$this->refused( $this->patch( $id, array( 'kind' => 'link' ) ), 'invalid_image_url', 'a link with an image' );
		$this->refused( $this->patch( $id, array( 'image_url' => null ) ), 'invalid_image_url', 'an image without one' );
		list( $s, $back ) = $this->patch( $id, array( 'kind' => 'link', 'image_url' => null ) );
		$this->assertSame( array( 200, 'link', null ), array( $s, $back['kind'], $back['image_url'] ) );
		// The landing page comes back; archived; active again.
		list( $s, $d ) = $this->patch( $id, array( 'landing_url' => 'https://www.shop.test/new/', 'status' => 'archived' ) );
		$this->assertSame( array( 200, 'https://www.shop.test/new/', 'archived' ), array( $s, $d['landing_url'], $d['status'] ) );
		list( $s, $d ) = $this->patch( $id, array( 'status' => 'active' ) );
		$this->assertSame( array( 200, 'active' ), array( $s, $d['status'] ) );
		// A change to what it already is, or none, answers the creative and keeps updated_at.
		$at += 60;
		list( $s, $same ) = $this->patch( $id, array() );
		$this->assertSame( array( 200, $d ), array( $s, $same ) );
		list( $s, $same ) = $this->patch( $id, array( 'status' => 'active', 'name' => ' ' . $d['name'] . ' ', 'landing_url' => $d['landing_url'] ) );
		$this->assertSame( array( 200, $d ), array( $s, $same ) );
		list( $s, $later ) = $this->patch( $id, array( 'name' => 'Renamed' ) );
		$this->assertSame( array( 200, 'Renamed', '2026-05-28T20:29:10Z' ), array( $s, $later['name'], $later['updated_at'] ) );

		// Refused changes leave the creative as it was.
		$before = $this->listed();
		foreach ( array(
			array( array( 'name' => '' ), 'invalid_name' ),
			array( array( 'name' => null ), 'invalid_name' ),
			array( array( 'name' => "two\nlines" ), 'invalid_name' ),
			array( array( 'kind' => null ), 'invalid_kind' ),
			array( array( 'kind' => 'video' ), 'invalid_kind' ),
			array( array( 'text' => null ), 'invalid_text' ),
			array( array( 'text' => str_repeat( 'a', 501 ) ), 'invalid_text' ),
			array( array( 'status' => null ), 'invalid_status' ),
			array( array( 'status' => 'hidden' ), 'invalid_status' ),
			array( array( 'text' => 'ok', 'image_url' => 'javascript:x' ), 'invalid_image_url' ),
			array( array( 'landing_url' => 'nope' ), 'invalid_landing_url' ),
			array( array( 'landing_url' => 'https://www.shop.test/"><script>' ), 'invalid_landing_url' ),
			array( array( 'name' => 'Renamed', 'status' => 'x' ), 'invalid_status' ),
			array( array( 'id' => 'cr_other' ), 'invalid_body' ),
			array( array( 'updated_at' => '2030-01-01T00:00:00Z' ), 'invalid_body' ),
			array( array( 'name' => 5 ), 'invalid_body' ),
			array( array( 'landing_url' => false ), 'invalid_body' ),
			array( '[1]', 'invalid_body' ),
			array( '{"name":', 'invalid_json' ),
			array( '', 'invalid_json' ),
		) as list( $body, $code ) ) {
			$this->refused( $this->patch( $id, $body ), $code, is_string( $body ) ? $body : (string) wp_json_encode( $body ) );
		}
		$this->assertSame( $before, $this->listed(), 'unchanged' );

		// Unknown ids, SQL in the id among them: nothing found, nothing changed.
		foreach ( array( 'cr_nobody', "x' OR '1'='1", $id . 'X', substr( $id, 0, -1 ) ) as $unknown ) {
			$this->refused( $this->patch( $unknown, array( 'status' => 'archived' ) ), 'creative_not_found', $unknown, 404 );
		}
		$this->refused( $this->patch( 'cr_nobody', array( 'status' => 'x' ) ), 'creative_not_found', 'found before checked', 404 );
		$this->refused( $this->patch( 'cr_nobody', array( 'id' => 'x' ) ), 'invalid_body', 'the body is read first' );
		$this->assertSame( $before, $this->listed() );
	}

	public function test_a_deleted_creative_is_gone() {
		$a = $this->made( array( 'name' => 'A' ) );
		$b = $this->made( array( 'name' => 'B' ) );
		list( $s, $d ) = $this->rest( 'DELETE', '/v1/creatives/' . $a['id'], null, $this->sk() );
		$this->assertSame( array( 204, null ), array( $s, $d ) );
		$this->assertSame( array( $b['id'] ), array_column( $this->listed(), 'id' ) );
		$this->refused( $this->rest( 'DELETE', '/v1/creatives/' . $a['id'], null, $this->sk() ), 'creative_not_found', 'again', 404 );
		$this->refused( $this->patch( $a['id'], array( 'status' => 'active' ) ), 'creative_not_found', 'changed', 404 );
		$this->refused( $this->rest( 'DELETE', "/v1/creatives/x' OR '1'='1", null, $this->sk() ), 'creative_not_found', 'SQL', 404 );
		$this->assertSame( 1, $this->stored() );
		list( $s, $d ) = $this->rest( 'GET', '/v1/creatives/' . $b['id'], null, $this->sk() );
		$this->assertSame( array( 405, 'method_not_allowed' ), array( $s, $d['error']['code'] ?? null ), 'no route reads one creative' );
	}

	public function test_an_affiliate_sees_the_active_creatives_without_status() {
		$at = 1780000000;
		add_filter(
			'reftrail_now',
			function () use ( &$at ) {
				return $at;
			}
		);
		$alice = $this->affiliate( 'alice' );
		$as    = array( 'authorization' => 'Bearer ' . $alice['token'] );
		list( $s, $d ) = $this->rest( 'GET', '/v1/me/creatives', null, $as );
		$this->assertSame( array( 200, array( 'creatives' => array() ) ), array( $s, $d ), 'none yet' );

		$live = $this->made( array( 'name' => 'Live', 'kind' => 'link', 'image_url' => null ) );
		$at  += 10;
		$old  = $this->made( array( 'name' => 'Old' ) );
		$at  += 10;
		$new  = $this->made( array( 'name' => 'New' ) );
		$at  += 10;
		$this->patch( $old['id'], array( 'status' => 'archived' ) );
		$this->made( array( 'name' => 'Never shown', 'status' => 'archived' ) );

		list( $s, $d ) = $this->rest( 'GET', '/v1/me/creatives', null, $as );
		$this->assertSame( 200, $s );
		$mine = fn( $c ) => array(
			'id'          => $c['id'],
			'name'        => $c['name'],
			'kind'        => $c['kind'],
			'text'        => $c['text'],
			'image_url'   => $c['image_url'],
			'landing_url' => $c['landing_url'],
			'updated_at'  => $c['updated_at'],
		);
		$this->assertSame( array( 'creatives' => array( $mine( $new ), $mine( $live ) ) ), $d, 'the active ones, newest first, without status and created_at' );
		list( , $d ) = $this->rest( 'GET', '/v1/me/creatives?limit=1&offset=1', null, $as );
		$this->assertSame( array( $mine( $live ) ), $d['creatives'] );
		$this->refused( $this->rest( 'GET', '/v1/me/creatives?limit=0', null, $as ), 'invalid_query', 'limit=0' );
		$this->refused( $this->rest( 'GET', '/v1/me/creatives?offset=-1', null, $as ), 'invalid_query', 'offset=-1' );
		// A status asked for changes nothing: an affiliate sees the active ones only.
		list( , $d ) = $this->rest( 'GET', '/v1/me/creatives?status=archived', null, $as );
		$this->assertSame( array( $new['id'], $live['id'] ), array_column( $d['creatives'], 'id' ) );

		// A WordPress user linked to the affiliate, with the affiliate role, sees the same.
		global $wpdb;
		$uid = $this->user( Reftrail_Schema::ROLE );
		$wpdb->update( Reftrail_Db::table( 'affiliates' ), array( 'user_id' => $uid ), array( 'id' => 'alice' ) );
		wp_set_current_user( $uid );
		list( $s, $d ) = $this->rest( 'GET', '/v1/me/creatives' );
		$this->assertSame( array( 200, array( $new['id'], $live['id'] ) ), array( $s, array_column( $d['creatives'], 'id' ) ) );
		wp_set_current_user( 0 );

		// A suspended affiliate's token no longer works.
		$this->rest( 'PATCH', '/v1/affiliates/alice', array( 'status' => 'suspended' ), $this->sk() );
		$this->refused( $this->rest( 'GET', '/v1/me/creatives', null, $as ), 'unauthorized', 'suspended', 401 );
	}

	public function test_only_the_merchant_keeps_creatives_and_only_an_affiliate_reads_theirs() {
		$made  = $this->made();
		$alice = $this->affiliate( 'alice' );
		$one   = '/v1/creatives/' . $made['id'];
		$calls = array(
			array( 'GET', '/v1/creatives', null ),
			array( 'POST', '/v1/creatives', self::BANNER ),
			array( 'POST', '/v1/creatives', '[1]' ),
			array( 'PATCH', $one, array( 'status' => 'archived' ) ),
			array( 'PATCH', $one, array( 'id' => 'cr_other' ) ),
			array( 'DELETE', $one, null ),
		);
		$callers = array(
			'nobody'          => array( array(), 401, 'unauthorized' ),
			'publishable key' => array( array( 'authorization' => 'Bearer ' . Reftrail_Keys::publishable() ), 403, 'forbidden' ),
			'affiliate token' => array( array( 'authorization' => 'Bearer ' . $alice['token'] ), 403, 'forbidden' ),
			'unknown token'   => array( array( 'authorization' => 'Bearer sk_nope' ), 401, 'unauthorized' ),
		);
		foreach ( $calls as list( $method, $path, $body ) ) {
			foreach ( $callers as $who => list( $headers, $status, $code ) ) {
				$this->refused( $this->rest( $method, $path, $body, $headers ), $code, "{$who}: {$method} {$path}", $status );
			}
			foreach ( array( 'subscriber', Reftrail_Schema::ROLE ) as $role ) {
				wp_set_current_user( $this->user( $role ) );
				$this->refused( $this->rest( $method, $path, $body, array( 'x-wp-nonce' => wp_create_nonce( 'wp_rest' ) ) ), 'forbidden', "{$role}: {$method} {$path}", 403 );
				wp_set_current_user( 0 );
			}
		}
		$this->assertSame( array( $made ), $this->listed(), 'nothing changed' );

		// An administrator signed in to WordPress.
		wp_set_current_user( $this->user( 'administrator' ) );
		$nonce         = array( 'x-wp-nonce' => wp_create_nonce( 'wp_rest' ) );
		list( $s, $d ) = $this->rest( 'POST', '/v1/creatives', array_merge( self::BANNER, array( 'name' => 'By the admin' ) ), $nonce );
		$this->assertSame( array( 201, 'By the admin' ), array( $s, $d['name'] ?? null ) );
		list( $s ) = $this->rest( 'PATCH', '/v1/creatives/' . $d['id'], array( 'status' => 'archived' ), $nonce );
		$this->assertSame( 200, $s );
		list( $s ) = $this->rest( 'GET', '/v1/creatives', null, $nonce );
		$this->assertSame( 200, $s );
		$this->refused( $this->rest( 'POST', '/v1/creatives', '[1]', $nonce ), 'invalid_body', 'allowed, then not an object' );
		list( $s ) = $this->rest( 'DELETE', '/v1/creatives/' . $d['id'], null, $nonce );
		$this->assertSame( 204, $s );
		$this->refused( $this->rest( 'GET', '/v1/me/creatives', null, $nonce ), 'forbidden', 'a shop manager on /v1/me', 403 );
		wp_set_current_user( 0 );

		// The dashboard's session: reads without its CSRF token, changes with it.
		$manager = $this->user( 'administrator' );
		wp_set_password( 'correct horse battery', $manager );
		list( $s, $session, $h ) = $this->rest(
			'POST',
			'/v1/session',
			array(
				'username' => get_userdata( $manager )->user_login,
				'password' => 'correct horse battery',
			)
		);
		$this->assertSame( 201, $s );
		$cookie    = array( 'cookie' => explode( ';', $h['Set-Cookie'] )[0] );
		list( $s ) = $this->rest( 'GET', '/v1/creatives', null, $cookie );
		$this->assertSame( 200, $s );
		$this->refused( $this->rest( 'POST', '/v1/creatives', self::BANNER, $cookie ), 'csrf_failed', 'no CSRF token', 403 );
		$this->refused( $this->rest( 'DELETE', $one, null, $cookie ), 'csrf_failed', 'no CSRF token', 403 );
		list( $s ) = $this->rest( 'POST', '/v1/creatives', self::BANNER, $cookie + array( 'x_csrf_token' => $session['csrf_token'] ) );
		$this->assertSame( 201, $s );
		$this->refused( $this->rest( 'GET', '/v1/me/creatives', null, $cookie ), 'forbidden', 'the dashboard on /v1/me', 403 );

		// The affiliate's route: only an affiliate.
		$this->refused( $this->rest( 'GET', '/v1/me/creatives' ), 'unauthorized', 'nobody', 401 );
		$this->refused( $this->rest( 'GET', '/v1/me/creatives', null, $this->sk() ), 'forbidden', 'the secret key', 403 );
		$this->refused( $this->rest( 'GET', '/v1/me/creatives', null, array( 'authorization' => 'Bearer ' . Reftrail_Keys::publishable() ) ), 'forbidden', 'the publishable key', 403 );
		$this->refused( $this->rest( 'GET', '/v1/me/creatives', null, array( 'authorization' => 'Bearer at_nope' ) ), 'unauthorized', 'an unknown token', 401 );
		$this->assertSame( 2, $this->stored() );
	}

	public function test_the_openapi_document_names_the_routes() {
		list( $s, $doc ) = $this->rest( 'GET', '/v1/openapi.json' );
		$this->assertSame( 200, $s );
		$this->assertSame( array( 'get', 'post' ), array_keys( $doc['paths']['/v1/creatives'] ) );
		$this->assertSame( array( 'patch', 'delete' ), array_keys( $doc['paths']['/v1/creatives/{id}'] ) );
		$this->assertSame( array( 'get' ), array_keys( $doc['paths']['/v1/me/creatives'] ) );
		$this->assertSame( array( 'status', 'limit', 'offset' ), array_column( $doc['paths']['/v1/creatives']['get']['parameters'], 'name' ) );
		$this->assertSame( array( array( 'affiliate_token' => array() ), array( 'wordpress_user' => array() ) ), $doc['paths']['/v1/me/creatives']['get']['security'] );
		$this->assertSame( array( 'id' ), array_column( $doc['paths']['/v1/creatives/{id}']['delete']['parameters'], 'name' ) );
	}

	/**
	 * A click on an affiliate's link as the browser reports it, at the plugin's now; returns its id.
	 *
	 * @param string|null $utm_content The campaign's utm_content, if any.
	 * @param bool        $bot         Whether a known bot makes it.
	 * @param string      $affiliate   Whose link.
	 * @return string
	 */
	private function click_through( $utm_content, $bot = false, $affiliate = 'alice' ) {
		list( $status, $body ) = Reftrail_Tracking::click(
			array_merge(
				array(
					'affiliate' => $affiliate,
					'url'       => 'https://www.shop.test/?ref=' . $affiliate,
					'consent'   => 'granted',
				),
				null === $utm_content ? array() : array(
					'campaign' => array(
						'utm_source'  => 'blog',
						'utm_content' => $utm_content,
					),
				)
			),
			array(
				'ip'         => '203.0.113.' . wp_rand( 1, 250 ),
				'user_agent' => $bot ? 'Googlebot/2.1 (+http://www.google.com/bot.html)' : 'Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0',
				'https'      => true,
			)
		);
		$this->assertSame( 201, $status, wp_json_encode( $body ) );
		return $body['click_id'];
	}

	public function test_the_report_counts_each_creatives_clicks_conversions_and_revenue() {
		$this->program(
			array(
				'hold_days' => 0,
				'currency'  => 'VND',
			)
		);
		$day = 1790000000;
		$now = $day - 3;
		add_filter(
			'reftrail_now',
			function () use ( &$now ) {
				return $now;
			}
		);
		$this->affiliate( 'alice' );
		// Made a second apart: the newest is listed first among equals.
		$old    = $this->made( array( 'name' => 'Old banner' ) );
		$now    = $day - 2;
		$banner = $this->made();
		$now    = $day - 1;
		$quiet  = $this->made(
			array(
				'name'      => 'Shoes link',
				'kind'      => 'link',
				'image_url' => null,
			)
		);
		$now = $day;
		$c1 = $this->click_through( $banner['id'] );
		$c2 = $this->click_through( $banner['id'] );
		// Not the banner's: a bot, a plain link, an id of no creative, an id in another case.
		$this->click_through( $banner['id'], true );
		$plain = $this->click_through( null );
		$this->click_through( 'cr_nosuchcreative' );
		$this->click_through( strtoupper( $banner['id'] ) );
		$this->click_through( $old['id'] );
		$sale = fn( $order, $amount, $currency, $click ) => $this->credited_sale( $order, $amount, $currency, $click )['id'];
		$sale( 'o1', 100000, 'VND', $c1 );
		list( $s ) = $this->rest(
			'POST',
			'/v1/refunds',
			array(
				'order_id'  => 'o1',
				'amount'    => 50000,
				'refund_id' => 'r1',
			),
			$this->sk()
		);
		$this->assertSame( 201, $s );
		$rejected = $sale( 'o2', 300000, 'VND', $c2 );
		$this->assertSame( 200, $this->rest( 'POST', "/v1/referrals/{$rejected}/reject", null, $this->sk() )[0] );
		$sale( 'o3', 10000, 'THB', $c1 );
		$sale( 'o4', 900000, 'VND', $plain );
		list( $s ) = $this->rest(
			'POST',
			'/v1/leads',
			array(
				'event'       => 'signup',
				'customer_id' => 'c1',
				'click_id'    => $c2,
			),
			$this->sk()
		);
		$this->assertSame( 201, $s );

		$date           = gmdate( 'Y-m-d', $day );
		list( $s, $r )  = $this->rest( 'GET', "/v1/reports/creatives?from={$date}&to={$date}", null, $this->sk() );
		$this->assertSame( 200, $s, wp_json_encode( $r ) );
		$this->assertSame( array( '2026-09-21T00:00:00Z', '2026-09-22T00:00:00Z' ), array( $r['from'], $r['to'] ) );
		$this->assertSame(
			array(
				array(
					'creative'        => $banner['id'],
					'name'            => $banner['name'],
					'kind'            => 'image',
					'status'          => 'active',
					'clicks'          => 2,
					'leads'           => array(
						'gross' => 1,
						'net'   => 1,
					),
					'sales'           => array(
						'gross' => 3,
						'net'   => 2,
					),
					'conversion_rate' => 1.0,
					'money'           => array(
						array(
							'currency'    => 'THB',
							'revenue_net' => 10000,
							'commissions' => 1000,
						),
						array(
							'currency'    => 'VND',
							'revenue_net' => 50000,
							'commissions' => 5000,
						),
					),
				),
				array(
					'creative'        => $old['id'],
					'name'            => 'Old banner',
					'kind'            => 'image',
					'status'          => 'active',
					'clicks'          => 1,
					'leads'           => array(
						'gross' => 0,
						'net'   => 0,
					),
					'sales'           => array(
						'gross' => 0,
						'net'   => 0,
					),
					'conversion_rate' => 0.0,
					'money'           => array(),
				),
				array(
					'creative'        => $quiet['id'],
					'name'            => 'Shoes link',
					'kind'            => 'link',
					'status'          => 'active',
					'clicks'          => 0,
					'leads'           => array(
						'gross' => 0,
						'net'   => 0,
					),
					'sales'           => array(
						'gross' => 0,
						'net'   => 0,
					),
					'conversion_rate' => null,
					'money'           => array(),
				),
			),
			$r['rows'],
			'the most clicked first; a rejected sale counts gross, not net, and no revenue; the lead counts no money'
		);
		// The ratio keeps its fraction over HTTP, as the server writes it.
		$this->assertStringContainsString( '"conversion_rate":1.0,', wp_json_encode( $r['rows'][0], apply_filters( 'rest_json_encode_options', 0, new WP_REST_Request( 'GET', '/reftrail/v1/reports/creatives' ) ) ) );

		// Archived, it keeps its figures; another period has none; the default is the last 30 days.
		$this->patch( $banner['id'], array( 'status' => 'archived' ) );
		list( , $r ) = $this->rest( 'GET', '/v1/reports/creatives', null, $this->sk() );
		$this->assertSame( array( $banner['id'], 'archived', 2 ), array( $r['rows'][0]['creative'], $r['rows'][0]['status'], $r['rows'][0]['clicks'] ) );
		$this->assertSame( array( '2026-08-22T00:00:00Z', '2026-09-22T00:00:00Z' ), array( $r['from'], $r['to'] ), 'whole days' );
		list( , $r ) = $this->rest( 'GET', '/v1/reports/creatives?from=2020-01-01&to=2020-01-31', null, $this->sk() );
		$this->assertSame( array( 0, 0, 0 ), array_column( $r['rows'], 'clicks' ) );
		$this->assertSame( array( $quiet['id'], $banner['id'], $old['id'] ), array_column( $r['rows'], 'creative' ), 'the newest first when none was clicked' );
		$this->assertSame( array( array(), array(), array() ), array_column( $r['rows'], 'money' ) );

		foreach ( array( '?from=2026-02-30', '?from=2026-09-22&to=2026-09-21', '?from[]=2026-09-01' ) as $q ) {
			$this->refused( $this->rest( 'GET', '/v1/reports/creatives' . $q, null, $this->sk() ), 'invalid_range', $q );
		}
		$this->refused( $this->rest( 'GET', '/v1/reports/creatives' ), 'unauthorized', 'nobody', 401 );
		$this->refused( $this->rest( 'GET', '/v1/reports/creatives', null, array( 'authorization' => 'Bearer ' . Reftrail_Keys::publishable() ) ), 'forbidden', 'the publishable key', 403 );
		list( $s, $doc ) = $this->rest( 'GET', '/v1/openapi.json' );
		$this->assertSame( array( 'from', 'to' ), array_column( $doc['paths']['/v1/reports/creatives']['get']['parameters'], 'name' ) );
	}

	public function test_an_affiliate_sees_their_own_traffic_on_the_active_creatives() {
		$this->program(
			array(
				'hold_days' => 0,
				'currency'  => 'VND',
			)
		);
		$day = 1790000000;
		$now = $day - 2;
		add_filter(
			'reftrail_now',
			function () use ( &$now ) {
				return $now;
			}
		);
		$alice  = $this->affiliate( 'alice' );
		$bob    = $this->affiliate( 'bob' );
		$banner = $this->made();
		$now    = $day - 1;
		$old    = $this->made(
			array(
				'name'      => 'Old link',
				'kind'      => 'link',
				'image_url' => null,
				'status'    => 'archived',
			)
		);
		$now = $day;
		$c1  = $this->click_through( $banner['id'] );
		$this->click_through( $banner['id'] );
		$this->click_through( $banner['id'], true );
		$this->click_through( $old['id'] );
		$cb   = $this->click_through( $banner['id'], false, 'bob' );
		$sale = fn( $order, $amount, $currency, $click ) => $this->credited_sale( $order, $amount, $currency, $click )['affiliate'];
		$this->assertSame( 'alice', $sale( 'o1', 200000, 'VND', $c1 ) );
		$this->assertSame( 'bob', $sale( 'o2', 50000, 'THB', $cb ) );

		$date = gmdate( 'Y-m-d', $day );
		$mine = function ( array $who ) use ( $date ) {
			list( $s, $r ) = $this->rest( 'GET', "/v1/me/reports/creatives?from={$date}&to={$date}", null, $who );
			$this->assertSame( 200, $s, wp_json_encode( $r ) );
			$this->assertSame( array( '2026-09-21T00:00:00Z', '2026-09-22T00:00:00Z' ), array( $r['from'], $r['to'] ) );
			return $r['rows'];
		};
		$row  = fn( $clicks, $sales, $rate, $money ) => array(
			'creative'        => $banner['id'],
			'name'            => $banner['name'],
			'kind'            => 'image',
			'status'          => 'active',
			'clicks'          => $clicks,
			'leads'           => array(
				'gross' => 0,
				'net'   => 0,
			),
			'sales'           => array(
				'gross' => $sales,
				'net'   => $sales,
			),
			'conversion_rate' => $rate,
			'money'           => $money,
		);
		$as_alice = array( 'authorization' => 'Bearer ' . $alice['token'] );
		$this->assertSame(
			array(
				$row(
					2,
					1,
					0.5,
					array(
						array(
							'currency'    => 'VND',
							'revenue_net' => 200000,
							'commissions' => 20000,
						),
					)
				),
			),
			$mine( $as_alice ),
			"alice's own non-bot clicks and sale; the archived link she clicked is not hers to post"
		);
		$theirs = $mine( array( 'authorization' => 'Bearer ' . $bob['token'] ) );
		$this->assertSame(
			array(
				$row(
					1,
					1,
					1.0,
					array(
						array(
							'currency'    => 'THB',
							'revenue_net' => 50000,
							'commissions' => 5000,
						),
					)
				),
			),
			$theirs,
			"bob's own"
		);
		$this->assertStringContainsString( '"conversion_rate":1.0,', wp_json_encode( $theirs[0], apply_filters( 'rest_json_encode_options', 0, new WP_REST_Request( 'GET', '/reftrail/v1/me/reports/creatives' ) ) ) );

		// Signed in to WordPress as her user, alice sees the same; the merchant still sees all.
		global $wpdb;
		$uid = $this->user( Reftrail_Schema::ROLE );
		$wpdb->update( Reftrail_Db::table( 'affiliates' ), array( 'user_id' => $uid ), array( 'id' => 'alice' ) );
		wp_set_current_user( $uid );
		$this->assertSame( $mine( $as_alice ), $mine( array() ) );
		wp_set_current_user( 0 );
		list( , $all ) = $this->rest( 'GET', "/v1/reports/creatives?from={$date}&to={$date}", null, $this->sk() );
		$this->assertSame(
			array( array( $banner['id'], 3, 2 ), array( $old['id'], 1, 0 ) ),
			array_map( fn( $r ) => array( $r['creative'], $r['clicks'], $r['sales']['gross'] ), $all['rows'] )
		);

		// The default period is the last 30 days, in whole days; a broken one is refused.
		list( , $r ) = $this->rest( 'GET', '/v1/me/reports/creatives', null, $as_alice );
		$this->assertSame( array( '2026-08-22T00:00:00Z', '2026-09-22T00:00:00Z', 2 ), array( $r['from'], $r['to'], $r['rows'][0]['clicks'] ) );
		foreach ( array( '?from=2026-02-30', '?from=2026-09-22&to=2026-09-21', '?to[]=2026-09-01' ) as $q ) {
			$this->refused( $this->rest( 'GET', '/v1/me/reports/creatives' . $q, null, $as_alice ), 'invalid_range', $q );
		}

		// Only an affiliate.
		$this->refused( $this->rest( 'GET', '/v1/me/reports/creatives', null, $this->sk() ), 'forbidden', 'the secret key', 403 );
		$this->refused( $this->rest( 'GET', '/v1/me/reports/creatives', null, array( 'authorization' => 'Bearer ' . Reftrail_Keys::publishable() ) ), 'forbidden', 'the publishable key', 403 );
		$this->refused( $this->rest( 'GET', '/v1/me/reports/creatives' ), 'unauthorized', 'nobody', 401 );
		$this->refused( $this->rest( 'GET', '/v1/me/reports/creatives', null, array( 'authorization' => 'Bearer at_nope' ) ), 'unauthorized', 'an unknown token', 401 );

		// The portal may run on another allowed origin.
		list( $s, , $h ) = $this->rest( 'OPTIONS', '/v1/me/reports/creatives', null, array( 'origin' => home_url() ) );
		$this->assertSame( array( 204, home_url() ), array( $s, $h['Access-Control-Allow-Origin'] ?? null ) );
		list( $s, $d ) = $this->rest( 'OPTIONS', '/v1/me/reports/creatives', null, array( 'origin' => 'https://evil.example' ) );
		$this->assertSame( array( 403, 'origin_not_allowed' ), array( $s, $d['error']['code'] ?? null ) );

		list( , $doc ) = $this->rest( 'GET', '/v1/openapi.json' );
		$op            = $doc['paths']['/v1/me/reports/creatives']['get'];
		$this->assertSame( array( 'from', 'to' ), array_column( $op['parameters'], 'name' ) );
		$this->assertSame( array( array( 'affiliate_token' => array() ), array( 'wordpress_user' => array() ) ), $op['security'] );
	}

	public function test_the_upgrade_from_16_creates_the_table() {
		global $wpdb;
		$t = Reftrail_Db::table( 'creatives' );
		$wpdb->query( "DROP TABLE IF EXISTS {$t}" ); // phpcs:ignore
		update_option( Reftrail_Schema::OPTION, 16 );
		try {
			Reftrail_Schema::maybe_upgrade();
			$exists  = $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $t ) );
			$columns = $wpdb->get_col( "SHOW COLUMNS FROM {$t}" ); // phpcs:ignore
			$version = (int) get_option( Reftrail_Schema::OPTION );
			$made    = $this->made();
			Reftrail_Schema::upgrade();
			$error = $wpdb->last_error;
			$kept  = $this->listed();
		} finally {
			$wpdb->query( "DELETE FROM {$t}" ); // phpcs:ignore
		}
		$this->assertSame( $t, $exists );
		$this->assertSame( array( 'id', 'name', 'kind', 'text', 'image_url', 'landing_url', 'status', 'created_at', 'updated_at' ), $columns );
		$this->assertSame( Reftrail_Schema::VERSION, $version, 'brought up to the current schema' );
		$this->assertGreaterThanOrEqual( 17, Reftrail_Schema::VERSION, 'creatives came with schema 17' );
		$this->assertSame( '', $error, 'upgrading again changes nothing' );
		$this->assertSame( array( $made ), $kept );
		$this->assertContains( 'creatives', Reftrail_Schema::TABLES );
	}

	public function test_uninstall_with_the_data_drops_the_table() {
		global $wpdb;
		$t = Reftrail_Db::table( 'creatives' );
		$this->made();
		update_option( Reftrail_Settings::OPTION, array_merge( Reftrail_Settings::get(), array( 'delete_data' => true ) ) );
		$this->uninstall();
		wp_cache_flush();
		$gone = $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $t ) );
		$this->reactivate();
		wp_roles()->for_site();
		$this->assertNull( $gone, 'the table goes with the data' );
		$this->assertSame( $t, $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $t ) ), 'activation makes it again' );
		$this->assertSame( 0, $this->stored() );
		$this->assertFalse( Reftrail_Settings::get()['delete_data'], 'the settings are the defaults again' );
	}

	/**
	 * A verified sale credited by `$click`; returns its referral.
	 *
	 * @param string $order    Order id.
	 * @param int    $amount   Minor units.
	 * @param string $currency ISO 4217 code.
	 * @param string $click    Click id.
	 * @return array
	 */
	private function credited_sale( $order, $amount, $currency, $click ) {
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
		return $d['referral'];
	}
}
