<?php
/**
 * Short links, as the server keeps them: the target a link sends a visitor to (the affiliate's
 * parameter and the campaign set after the page's other query pairs, written as a browser's
 * URLSearchParams writes them, the fragment kept), the rules of codes and campaigns, the check
 * that a page is the shop's (its origin, ports and look-alike hosts), the routes of the affiliate
 * (`/v1/me/links`) and the merchant (`/v1/links`) with their callers and refusals, opening one
 * (`/wp-json/reftrail/go/{code}`: the redirect, the opens, a bot, an affiliate no longer approved,
 * a page no longer allowed), the click ids and sub ids an opened link passes on to the page, the
 * site's own `/go/{code}` over real HTTP, the OpenAPI document, the CORS preflights, and the
 * upgrade from schema 23 that adds the table.
 *
 * @package Reftrail
 */

/**
 * Short links tests.
 */
class ShortLinksTest extends Reftrail_Test_Case {

	/** The tests that commit (the table made again, another process serving): outside the transaction. */
	const COMMITTING_TESTS = array( 'test_the_upgrade_from_23_creates_the_table', 'test_the_sites_own_go_address_redirects_over_http' );

	/** The shop's origin in the tests. */
	const SHOP = 'https://www.shop.test';

	/** A browser's user agent. */
	const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';

	protected function setUp(): void {
		$this->transactional = ! in_array( $this->getName( false ), self::COMMITTING_TESTS, true );
		parent::setUp();
		if ( $this->transactional ) {
			$this->program( array( 'allowed_origins' => array( self::SHOP, 'http://127.0.0.1:8000' ) ) );
		}
	}

	/**
	 * The bearer header of a new affiliate's portal token.
	 *
	 * @param string $id Affiliate.
	 * @return array
	 */
	private function token( $id ) {
		return array( 'authorization' => 'Bearer ' . $this->affiliate( $id )['token'] );
	}

	/**
	 * Makes a link as the affiliate of `$who`; returns it.
	 *
	 * @param array $who  The affiliate's header.
	 * @param array $body Body.
	 * @return array
	 */
	private function made( array $who, array $body ) {
		list( $s, $d ) = $this->rest( 'POST', '/v1/me/links', $body, $who );
		$this->assertSame( 201, $s, wp_json_encode( $d ) );
		return $d;
	}

	/**
	 * Opens `/go/{code}` in-process as a browser (or `$ua`), with `$query` as the request's query
	 * string (slashed, as WordPress keeps $_SERVER); returns [status, Location or null, headers, body].
	 *
	 * @param string $code  Code.
	 * @param string $ua    User agent.
	 * @param string $query Query string, without its `?`.
	 * @return array
	 */
	private function open( $code, $ua = self::BROWSER, $query = '' ) {
		$request = new WP_REST_Request( 'GET', '/reftrail/go/' . $code );
		$request->set_header( 'user-agent', $ua );
		$was                     = $_SERVER['QUERY_STRING'] ?? null;
		$_SERVER['QUERY_STRING'] = wp_slash( $query );
		try {
			$response = rest_ensure_response( rest_do_request( $request ) );
		} finally {
			$_SERVER['QUERY_STRING'] = $was;
		}
		$headers = $response->get_headers();
		return array( $response->get_status(), $headers['Location'] ?? null, $headers, $response->get_data() );
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
	 * The rows of the table.
	 *
	 * @return int
	 */
	private function stored() {
		global $wpdb;
		return (int) $wpdb->get_var( 'SELECT COUNT(*) FROM ' . Reftrail_Db::table( 'short_links' ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
	}

	public function test_the_target_carries_the_affiliate_and_the_campaign_as_a_browser_writes_them() {
		foreach ( array(
			// The contract's example: after the page's own pairs, UTF-8 bytes as %XX, a space as +.
			array( 'https://www.shop.test/shoes?size=42', 'ref', 'alice', 'Tết sale', 'https://www.shop.test/shoes?size=42&ref=alice&utm_campaign=T%E1%BA%BFt+sale' ),
			// The affiliate's and the campaign's pairs are replaced, the others and the fragment stay.
			array( 'https://shop.test/s?size=42&ref=bob&utm_campaign=old#top', 'ref', 'alice', null, 'https://shop.test/s?size=42&utm_campaign=old&ref=alice#top' ),
			array( 'https://shop.test/s?ref=bob&size=42&utm_campaign=old#top', 'ref', 'alice', 'new', 'https://shop.test/s?size=42&ref=alice&utm_campaign=new#top' ),
			array( 'https://shop.test/s?size=42#top', 'ref', null, 'x', 'https://shop.test/s?size=42&utm_campaign=x#top' ),
			array( 'https://shop.test/s#top', 'via', 'alice', null, 'https://shop.test/s?via=alice#top' ),
			array( 'https://shop.test/s#', 'ref', 'alice', null, 'https://shop.test/s?ref=alice#' ),
			// No pair at all: the page as it is; pairs of its own only: written again.
			array( 'https://shop.test/s?size=42', 'via', null, null, 'https://shop.test/s?size=42' ),
			array( 'https://shop.test/s?', 'ref', null, null, 'https://shop.test/s?' ),
			array( 'https://shop.test/s?&&', 'ref', null, null, 'https://shop.test/s?&&' ),
			array( 'https://shop.test/s?q=a%20b&flag&&x=1+2', 'ref', null, 'c', 'https://shop.test/s?q=a+b&flag=&x=1+2&utm_campaign=c' ),
			array( 'https://shop.test/s?q=a%20b', 'ref', null, null, 'https://shop.test/s?q=a+b' ),
			// `*-._` as they are, `~` and every other byte encoded; bytes that are not UTF-8 are U+FFFD.
			array( 'https://shop.test/', 'ref', 'a.b-c_d', 'a*b~c d/é&=+%', 'https://shop.test/?ref=a.b-c_d&utm_campaign=a*b%7Ec+d%2F%C3%A9%26%3D%2B%25' ),
			array( 'http://127.0.0.1:8000/store/?a=%FF&b=%zz', 'ref', 'x', null, 'http://127.0.0.1:8000/store/?a=%EF%BF%BD&b=%25zz&ref=x' ),
			// The address as a browser reads it: scheme and host in lower case, no default port, a path.
			array( 'HTTPS://WWW.Shop.Test:443', 'ref', 'alice', null, 'https://www.shop.test/?ref=alice' ),
			array( 'http://www.shop.test:80/a?b=1', 'ref', null, null, 'http://www.shop.test/a?b=1' ),
			array( 'https://www.shop.test:8443/a', 'ref', 'alice', null, 'https://www.shop.test:8443/a?ref=alice' ),
			array( 'https://www.shop.test/sản-phẩm?size=42#đầu', 'ref', 'alice', null, 'https://www.shop.test/s%E1%BA%A3n-ph%E1%BA%A9m?size=42&ref=alice#%C4%91%E1%BA%A7u' ),
			array( 'https://www.shop.test/sản?q=ả', 'ref', null, null, 'https://www.shop.test/s%E1%BA%A3n?q=%E1%BA%A3' ),
		) as list( $landing, $param, $affiliate, $campaign, $target ) ) {
			$this->assertSame( $target, Reftrail_Short_Links::target( $landing, $param, $affiliate, $campaign ), $landing );
		}
		foreach ( array( 'javascript:alert(1)', '//www.shop.test/', 'ftp://www.shop.test/', 'https://:443/' ) as $bad ) {
			$this->assertNull( Reftrail_Short_Links::target( $bad, 'ref', 'alice', null ), $bad );
		}
		$this->assertSame( 'a*b%7Ec+d', Reftrail_Short_Links::form_encode( 'a*b~c d' ) );
		$this->assertSame( array( array( 'a b', 'c+d' ), array( 'e', '' ), array( '', 'f' ) ), Reftrail_Short_Links::query_pairs( 'a+b=c%2Bd&e&=f&' ) );
	}

	public function test_codes_are_lower_case_letters_digits_and_inner_hyphens() {
		$this->assertSame( 'alice-tiktok', Reftrail_Short_Links::check_code( " Alice-TikTok\u{3000}" ) );
		$this->assertSame( 'tet2026', Reftrail_Short_Links::check_code( 'tet2026' ) );
		$this->assertSame( 'a-b', Reftrail_Short_Links::check_code( 'A-B' ) );
		$this->assertSame( str_repeat( 'a', 40 ), Reftrail_Short_Links::check_code( str_repeat( 'A', 40 ) ) );
		foreach ( array( '', 'ab', 'go', '-ab', 'ab-', 'a b', 'a_b', 'a/b', 'a.b', 'ả-b', 'ǅab', str_repeat( 'a', 41 ), '...', '../x', "ab\0c", 7, null, array( 'abc' ) ) as $bad ) {
			try {
				Reftrail_Short_Links::check_code( $bad );
				$this->fail( 'accepted ' . wp_json_encode( $bad ) );
			} catch ( Reftrail_Http_Error $e ) {
				$this->assertSame( array( 400, 'invalid_code' ), array( $e->status, $e->error_code ), wp_json_encode( $bad ) );
			}
		}
		// A path names a link only as it is kept.
		$this->assertTrue( Reftrail_Short_Links::plausible_code( 'abc' ) );
		foreach ( array( 'Alice', ' abc', 'abc ', '../x', '..%2Fetc', 'ab' ) as $bad ) {
			$this->assertFalse( Reftrail_Short_Links::plausible_code( $bad ), $bad );
		}
		for ( $i = 0; $i < 200; $i++ ) {
			$code = Reftrail_Short_Links::new_code();
			$this->assertSame( 1, preg_match( '/^[23456789abcdefghijkmnpqrstuvwxyz]{7}$/D', $code ), $code );
			$this->assertTrue( Reftrail_Short_Links::plausible_code( $code ), $code );
		}
	}

	public function test_campaigns_are_trimmed_and_checked() {
		$this->assertNull( Reftrail_Short_Links::check_campaign( null ) );
		$this->assertNull( Reftrail_Short_Links::check_campaign( "  \u{3000}" ) );
		$this->assertSame( 'Tết sale', Reftrail_Short_Links::check_campaign( " Tết sale\t" ) );
		$this->assertSame( str_repeat( 'x', 256 ), Reftrail_Short_Links::check_campaign( str_repeat( 'x', 256 ) ) );
		foreach ( array( "a\nb", "a\u{7}b", "a\u{85}b", str_repeat( 'x', 257 ), str_repeat( 'ế', 86 ), "a\xffb" ) as $bad ) {
			try {
				Reftrail_Short_Links::check_campaign( $bad );
				$this->fail( 'accepted ' . bin2hex( $bad ) );
			} catch ( Reftrail_Http_Error $e ) {
				$this->assertSame( 'invalid_campaign', $e->error_code, bin2hex( $bad ) );
			}
		}
	}

	public function test_only_pages_on_the_programs_allowed_origins() {
		$p = array_merge( Reftrail_Program::get(), array( 'allowed_origins' => array( 'https://www.shop.test', 'http://127.0.0.1:8000', 'http://[::1]:8080' ) ) );
		foreach ( array(
			'https://www.shop.test/',
			'https://www.shop.test',
			'https://www.shop.test/shoes?size=42#top',
			'https://WWW.SHOP.TEST/x',
			'HTTPS://www.shop.test/x',
			'https://www.shop.test:443/x',
			'https://www.shop.test:0443/x',
			'  https://www.shop.test/  ',
			'http://127.0.0.1:8000/store/',
			'http://[::1]:8080/',
		) as $ok ) {
			$this->assertSame( trim( $ok ), Reftrail_Short_Links::check_landing( $p, $ok ), $ok );
		}
		foreach ( array(
			'https://evil.test/'                           => 'landing_not_allowed',
			'https://www.shop.test.evil.test/'             => 'landing_not_allowed',
			'https://www.shop.test./'                      => 'landing_not_allowed',
			'https://wwwxshop.test/'                       => 'landing_not_allowed',
			'https://shop.test/'                           => 'landing_not_allowed',
			'https://evil.test/?https://www.shop.test'     => 'landing_not_allowed',
			'https://evil.test/#https://www.shop.test'     => 'landing_not_allowed',
			'https://evil.test/https://www.shop.test/'     => 'landing_not_allowed',
			'http://www.shop.test/'                        => 'landing_not_allowed',
			'https://www.shop.test:444/'                   => 'landing_not_allowed',
			'https://www.shop.test:80/'                    => 'landing_not_allowed',
			'http://127.0.0.1:8001/'                       => 'landing_not_allowed',
			'http://127.0.0.1/'                            => 'landing_not_allowed',
			'http://[::1]/'                                => 'landing_not_allowed',
			'javascript:alert(1)'                          => 'invalid_landing_url',
			'https://user@www.shop.test/'                  => 'invalid_landing_url',
			'https://www.shop.test@evil.test/'             => 'invalid_landing_url',
			'https://u:p@www.shop.test/'                   => 'invalid_landing_url',
			'//www.shop.test/'                             => 'invalid_landing_url',
			'https:///www.shop.test/'                      => 'invalid_landing_url',
			'https://www.shop.test/a b'                    => 'invalid_landing_url',
			'https://www.shop.test/"onmouseover="x'        => 'invalid_landing_url',
			''                                             => 'invalid_landing_url',
		) as $bad => $code ) {
			try {
				Reftrail_Short_Links::check_landing( $p, (string) $bad );
				$this->fail( 'accepted ' . $bad );
			} catch ( Reftrail_Http_Error $e ) {
				$this->assertSame( array( 400, $code ), array( $e->status, $e->error_code ), (string) $bad );
			}
		}
		$none = array_merge( $p, array( 'allowed_origins' => array() ) );
		$this->assertFalse( Reftrail_Short_Links::leads_to_shop( $none, 'https://www.shop.test/' ), 'a program without allowed origins has no page to lead to' );
		$this->assertSame( 'http://[::1]:8080', Reftrail_Short_Links::origin_of( 'http://[::1]:8080/x' ) );
		$this->assertSame( 'https://www.shop.test', Reftrail_Short_Links::origin_of( 'https://WWW.shop.test:443?x#y' ) );
	}

	public function test_an_affiliate_makes_lists_opens_and_deletes_their_links() {
		add_filter( 'reftrail_now', fn() => 1789948800 );
		$alice = $this->token( 'alice' );
		$link  = $this->made(
			$alice,
			array(
				'landing_url' => ' https://www.shop.test/shoes?size=42 ',
				'campaign'    => ' Tết sale ',
			)
		);
		$code  = $link['code'];
		$this->assertSame( 1, preg_match( '/^[23456789a-km-np-z]{7}$/D', $code ), $code );
		$this->assertSame( array( 'code', 'path', 'url', 'affiliate', 'landing_url', 'campaign', 'target', 'opens', 'created_at' ), array_keys( $link ) );
		$this->assertSame( '/go/' . $code, $link['path'] );
		$this->assertSame( home_url( '/go/' . $code ), $link['url'], 'the site has pretty permalinks' );
		$this->assertSame( 'alice', $link['affiliate'] );
		$this->assertSame( 'https://www.shop.test/shoes?size=42', $link['landing_url'] );
		$this->assertSame( 'Tết sale', $link['campaign'] );
		$target = 'https://www.shop.test/shoes?size=42&ref=alice&utm_campaign=T%E1%BA%BFt+sale';
		$this->assertSame( $target, $link['target'] );
		$this->assertSame( 0, $link['opens'] );
		$this->assertSame( '2026-09-21T00:00:00Z', $link['created_at'] );

		// Opened by a browser: a 302 that no cache keeps, counted; a bot's is not counted.
		list( $s, $location, $h, $body ) = $this->open( $code );
		$this->assertSame( array( 302, $target, 'private, no-store', '' ), array( $s, $location, $h['Cache-Control'] ?? null, $body ) );
		$this->assertSame( array( 302, $target ), array_slice( $this->open( $code, 'Googlebot/2.1 (+http://www.google.com/bot.html)' ), 0, 2 ) );
		$this->assertSame( array( 302, $target ), array_slice( $this->open( $code, '' ), 0, 2 ) );
		$this->open( $code );
		list( $s, $mine ) = $this->rest( 'GET', '/v1/me/links', null, $alice );
		$this->assertSame( 200, $s );
		$this->assertSame( array( 'links' ), array_keys( $mine ) );
		$this->assertSame( array( $code ), array_column( $mine['links'], 'code' ) );
		$this->assertSame( 2, $mine['links'][0]['opens'], 'two browsers, no bot' );

		// A code of their own, kept in lower case, once; newest first, then by code.
		$own = $this->made(
			$alice,
			array(
				'landing_url' => 'https://www.shop.test/',
				'code'        => 'Alice-Bio',
				'campaign'    => '',
			)
		);
		$this->assertSame( array( 'alice-bio', null, 'https://www.shop.test/?ref=alice' ), array( $own['code'], $own['campaign'], $own['target'] ) );
		global $wpdb;
		$this->assertNull( $wpdb->get_var( $wpdb->prepare( 'SELECT campaign FROM ' . Reftrail_Db::table( 'short_links' ) . ' WHERE code = %s', 'alice-bio' ) ), 'no campaign is NULL' ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		$this->assertSame( array( 302, 'https://www.shop.test/?ref=alice' ), array_slice( $this->open( 'alice-bio' ), 0, 2 ) );
		list( $s, , $h, $body ) = $this->open( 'Alice-Bio' );
		$this->assertSame( array( 404, Reftrail_Short_Links::NOT_FOUND_TEXT, 'no-store' ), array( $s, $body, $h['Cache-Control'] ?? null ), 'codes are kept in lower case' );
		$this->assertArrayNotHasKey( 'Location', $h );
		$this->assertStringStartsWith( 'text/plain', $h['Content-Type'] ?? '' );
		$this->refused( $this->rest( 'POST', '/v1/me/links', array( 'landing_url' => 'https://www.shop.test/x', 'code' => 'ALICE-BIO' ), $alice ), 409, 'code_taken', 'the same code' );
		$bob = $this->token( 'bob' );
		$this->refused( $this->rest( 'POST', '/v1/me/links', array( 'landing_url' => 'https://www.shop.test/x', 'code' => 'alice-bio' ), $bob ), 409, 'code_taken', "another's code" );
		list( , $mine ) = $this->rest( 'GET', '/v1/me/links', null, $alice );
		$both = array( 'alice-bio', $code );
		sort( $both, SORT_STRING );
		$this->assertSame( $both, array_column( $mine['links'], 'code' ), 'made in the same second: by code' );
		list( , $theirs ) = $this->rest( 'GET', '/v1/me/links', null, $bob );
		$this->assertSame( array( 'links' => array() ), $theirs );

		// Only its owner deletes it; another affiliate's is as unknown.
		$this->refused( $this->rest( 'DELETE', '/v1/me/links/' . $code, null, $bob ), 404, 'link_not_found', "another's link" );
		$this->assertSame( 302, $this->open( $code )[0] );
		list( $s, $d ) = $this->rest( 'DELETE', '/v1/me/links/' . $code, null, $alice );
		$this->assertSame( array( 204, null ), array( $s, $d ) );
		$this->assertSame( array( 404, null ), array_slice( $this->open( $code ), 0, 2 ) );
		$this->refused( $this->rest( 'DELETE', '/v1/me/links/' . $code, null, $alice ), 404, 'link_not_found', 'deleted already' );
		$this->assertSame( 404, $this->open( 'nope123' )[0] );
		$this->assertSame( 1, $this->stored() );
	}

	public function test_the_link_follows_the_affiliate_and_the_program_when_opened() {
		$alice = $this->token( 'alice' );
		$code  = $this->made(
			$alice,
			array(
				'landing_url' => 'https://www.shop.test/s?ref=bob#top',
				'campaign'    => 'spring',
			)
		)['code'];
		$this->assertSame( 'https://www.shop.test/s?ref=alice&utm_campaign=spring#top', $this->open( $code )[1] );
		// The program's first parameter is the one it carries.
		$this->program( array( 'params' => array( 'via', 'ref' ) ) );
		$this->assertSame( 'https://www.shop.test/s?ref=bob&via=alice&utm_campaign=spring#top', $this->open( $code )[1] );
		// An affiliate no longer approved: still the shop's page, crediting nobody.
		foreach ( array( 'pending', 'suspended' ) as $status ) {
			list( $s ) = $this->patch_affiliate( 'alice', array( 'status' => $status ) );
			$this->assertSame( 200, $s );
			$this->assertSame( array( 302, 'https://www.shop.test/s?ref=bob&utm_campaign=spring#top' ), array_slice( $this->open( $code ), 0, 2 ), $status );
		}
		list( , $all ) = $this->rest( 'GET', '/v1/links', null, $this->sk() );
		$this->assertSame( 'https://www.shop.test/s?ref=bob&via=alice&utm_campaign=spring#top', $all['links'][0]['target'], 'the list shows the link as it credits them' );
		$this->patch_affiliate( 'alice', array( 'status' => 'approved' ) );
		// A page the program no longer allows leads nowhere.
		$this->program( array( 'allowed_origins' => array( 'https://shop.test' ) ) );
		$this->assertSame( array( 404, null ), array_slice( $this->open( $code ), 0, 2 ) );
		$this->program( array( 'allowed_origins' => array( 'https://www.shop.test' ) ) );
		$this->assertSame( 302, $this->open( $code )[0], 'allowed again' );
		global $wpdb;
		$this->assertSame( '5', $wpdb->get_var( $wpdb->prepare( 'SELECT opens FROM ' . Reftrail_Db::table( 'short_links' ) . ' WHERE code = %s', $code ) ), 'only the redirects count' ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
	}

	public function test_click_ids_and_sub_ids_go_on_to_the_shop() {
		// The server's case: the first value of each name, only click ids and sub ids, in order.
		$passed = Reftrail_Short_Links::passed_on( 'sub1=u%2042&gclid=Cj0&sub1=again&x=1&sub2=&sub3=a%0Ab&ref=bob' );
		$this->assertSame( array( array( 'sub1', 'u 42' ), array( 'gclid', 'Cj0' ) ), $passed );
		$this->assertSame( 'https://shop.test/s?ref=alice&sub1=u+42&gclid=Cj0#top', Reftrail_Short_Links::pass_on( 'https://shop.test/s?ref=alice&sub1=old#top', $passed ) );
		$this->assertSame( 'https://shop.test/', Reftrail_Short_Links::pass_on( 'https://shop.test/', array() ) );
		$this->assertSame( 'https://shop.test/s?q=a%20b', Reftrail_Short_Links::pass_on( 'https://shop.test/s?q=a%20b', array() ), 'nothing to pass on: the page as it is' );
		// Every click id and sub id goes on; no other name, whatever its case or brackets.
		$all = implode( '&', array_map( fn( $k ) => $k . '=v-' . $k, Reftrail_Tracking::CLICK_ID_PARAMS ) );
		$this->assertSame( array_map( fn( $k ) => array( $k, 'v-' . $k ), Reftrail_Tracking::CLICK_ID_PARAMS ), Reftrail_Short_Links::passed_on( $all ) );
		$this->assertSame( array(), Reftrail_Short_Links::passed_on( 'GCLID=x&Sub1=y&sub1%5B%5D=z&sub6=w&utm_campaign=c&campaign=c&ref=bob&via=bob&affiliate=bob&%20sub1=s' ) );
		// Values over 256 bytes or with control characters are dropped; the name's next value may fit.
		$this->assertSame( array(), Reftrail_Short_Links::passed_on( 'sub1=' . str_repeat( 'v', 257 ) ) );
		$this->assertSame( array( array( 'sub1', str_repeat( 'v', 256 ) ) ), Reftrail_Short_Links::passed_on( 'sub1=' . str_repeat( 'v', 256 ) ) );
		$this->assertSame( array(), Reftrail_Short_Links::passed_on( 'sub1=' . str_repeat( '%E1%BA%BF', 86 ) ), '258 bytes' );
		foreach ( array( '%00', '%09', '%0A', '%0D', '%1F', '%7F', '%C2%80', '%C2%85', '%C2%9F' ) as $c ) {
			$this->assertSame( array( array( 'sub1', 'ok' ) ), Reftrail_Short_Links::passed_on( 'sub1=a' . $c . 'b&sub1=ok' ), $c );
		}
		$this->assertSame( array( array( 'sub1', 'ok' ) ), Reftrail_Short_Links::passed_on( 'sub1=&sub1&sub1=ok&sub1=later' ) );
		// As a browser reads a query: `+` is a space, UTF-8 kept, bytes that are not UTF-8 are U+FFFD.
		$this->assertSame( array( array( 'sub1', 'Tết sale' ), array( 'sub2', "a\u{FFFD}b" ), array( 'sub3', 'a+b=c' ) ), Reftrail_Short_Links::passed_on( 'sub1=T%E1%BA%BFt+sale&sub2=a%FFb&sub3=a%2Bb=c' ) );
		// Written as a browser writes them, replacing the same names and keeping the fragment.
		$this->assertSame(
			'https://www.shop.test/s?size=42&ref=alice&utm_campaign=T%E1%BA%BFt+sale&sub2=x&sub1=T%E1%BA%BFt+sale&gclid=a%2Bb%3Dc%26d#%C4%91%E1%BA%A7u',
			Reftrail_Short_Links::pass_on( 'https://www.shop.test/s?size=42&sub1=old&ref=alice&utm_campaign=T%E1%BA%BFt+sale&sub2=x&gclid=old#đầu', array( array( 'sub1', 'Tết sale' ), array( 'gclid', 'a+b=c&d' ) ) )
		);
		$this->assertSame( 'https://shop.test/s?gclid=Cj0#top', Reftrail_Short_Links::pass_on( 'https://shop.test/s#top', array( array( 'gclid', 'Cj0' ) ) ) );
		$this->assertSame( 'https://shop.test/s?gclid=Cj0', Reftrail_Short_Links::pass_on( 'https://shop.test/s?', array( array( 'gclid', 'Cj0' ) ) ) );

		// Opened: the contract's case, at /wp-json/reftrail/go/{code}; the opens count as before.
		$alice  = $this->token( 'alice' );
		$link   = $this->made(
			$alice,
			array(
				'landing_url' => self::SHOP . '/shoes?size=42',
				'campaign'    => 'Tết sale',
			)
		);
		$target = self::SHOP . '/shoes?size=42&ref=alice&utm_campaign=T%E1%BA%BFt+sale';
		$this->assertSame( array( 302, $target . '&sub1=u+42&gclid=Cj0' ), array_slice( $this->open( $link['code'], self::BROWSER, 'sub1=u%2042&gclid=Cj0&x=1&sub1=again&ref=bob' ), 0, 2 ) );
		$this->assertSame( array( 302, $target ), array_slice( $this->open( $link['code'], self::BROWSER, 'x=1&ref=bob&utm_campaign=other' ), 0, 2 ), 'nothing else goes on' );
		$this->assertSame( $target . '&sub1=%27q%27', $this->open( $link['code'], self::BROWSER, 'sub1=%27q%27' )[1] );
		$this->assertSame( $target . '&sub1=%27q%5C%27', $this->open( $link['code'], self::BROWSER, "sub1='q\\'" )[1], 'the query as the visitor sent it' );
		$this->assertSame( $target, $this->open( $link['code'] )[1] );
		// A bot is sent on with them too; an unknown code is a 404 whatever the query.
		$this->assertSame( $target . '&gclid=Cj0', $this->open( $link['code'], 'Googlebot/2.1 (+http://www.google.com/bot.html)', 'gclid=Cj0' )[1] );
		$this->assertSame( array( 404, null ), array_slice( $this->open( 'nope123', self::BROWSER, 'gclid=Cj0' ), 0, 2 ) );
		// Suspended: the page without the affiliate, the click ids still on.
		$this->patch_affiliate( 'alice', array( 'status' => 'suspended' ) );
		$this->assertSame( self::SHOP . '/shoes?size=42&utm_campaign=T%E1%BA%BFt+sale&sub1=u+42', $this->open( $link['code'], self::BROWSER, 'sub1=u+42' )[1] );
		global $wpdb;
		$this->assertSame( '6', $wpdb->get_var( $wpdb->prepare( 'SELECT opens FROM ' . Reftrail_Db::table( 'short_links' ) . ' WHERE code = %s', $link['code'] ) ), 'six browsers, no bot' ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
	}

	public function test_refused_bodies_and_callers_change_nothing() {
		$alice = $this->token( 'alice' );
		foreach ( array(
			array( array( 'landing_url' => 'https://evil.test/' ), 400, 'landing_not_allowed' ),
			array( array( 'landing_url' => 'https://www.shop.test.evil.test/' ), 400, 'landing_not_allowed' ),
			array( array( 'landing_url' => 'http://www.shop.test/' ), 400, 'landing_not_allowed' ),
			array( array( 'landing_url' => 'javascript:alert(1)' ), 400, 'invalid_landing_url' ),
			array( array( 'landing_url' => 'https://u:p@www.shop.test/' ), 400, 'invalid_landing_url' ),
			array(
				array(
					'landing_url' => 'https://www.shop.test/',
					'code'        => 'a/b',
				),
				400,
				'invalid_code',
			),
			array(
				array(
					'landing_url' => 'https://www.shop.test/',
					'code'        => 'go',
				),
				400,
				'invalid_code',
			),
			array(
				array(
					'landing_url' => 'https://www.shop.test/',
					'campaign'    => "a\u{7}b",
				),
				400,
				'invalid_campaign',
			),
			// The first broken rule, in the server's order: the page, the campaign, the code.
			array(
				array(
					'landing_url' => 'https://evil.test/',
					'campaign'    => "a\nb",
					'code'        => '-',
				),
				400,
				'landing_not_allowed',
			),
			array(
				array(
					'landing_url' => 'https://www.shop.test/',
					'campaign'    => "a\nb",
					'code'        => '-',
				),
				400,
				'invalid_campaign',
			),
			array(
				array(
					'landing_url' => 'https://www.shop.test/',
					'affiliate'   => 'someone',
				),
				400,
				'invalid_body',
			),
			array( array( 'campaign' => 'x' ), 400, 'invalid_body' ),
			array( array( 'landing_url' => null ), 400, 'invalid_body' ),
			array( array( 'landing_url' => 7 ), 400, 'invalid_body' ),
			array(
				array(
					'landing_url' => 'https://www.shop.test/',
					'code'        => 7,
				),
				400,
				'invalid_body',
			),
			array( array( 'https://www.shop.test/' ), 400, 'invalid_body' ),
			array( '{"landing_url": ', 400, 'invalid_json' ),
		) as list( $body, $status, $code ) ) {
			$this->refused( $this->rest( 'POST', '/v1/me/links', $body, $alice ), $status, $code, wp_json_encode( $body ) );
		}
		$good = array( 'landing_url' => 'https://www.shop.test/' );
		$this->refused( $this->rest( 'POST', '/v1/me/links', $good, $this->sk() ), 403, 'forbidden', 'the secret key' );
		$this->refused( $this->rest( 'POST', '/v1/me/links', $good, array( 'authorization' => 'Bearer ' . Reftrail_Keys::publishable() ) ), 403, 'forbidden', 'the publishable key' );
		$this->refused( $this->rest( 'POST', '/v1/me/links', $good ), 401, 'unauthorized', 'no one' );
		$this->refused( $this->rest( 'GET', '/v1/me/links', null, array( 'authorization' => 'Bearer at_nope' ) ), 401, 'unauthorized', 'an unknown token' );
		$this->refused( $this->rest( 'GET', '/v1/links', null, $alice ), 403, 'forbidden', "an affiliate on the merchant's list" );
		$this->refused( $this->rest( 'DELETE', '/v1/links/abc', null, $alice ), 403, 'forbidden', "an affiliate on the merchant's delete" );
		$this->refused( $this->rest( 'GET', '/v1/links' ), 401, 'unauthorized', "no one on the merchant's list" );
		$this->assertSame( 0, $this->stored() );
	}

	public function test_an_affiliate_keeps_at_most_100_links() {
		global $wpdb;
		$alice = $this->token( 'alice' );
		for ( $i = 0; $i < 100; $i++ ) {
			$wpdb->insert(
				Reftrail_Db::table( 'short_links' ),
				array(
					'code'         => 'old-' . $i,
					'affiliate_id' => 'alice',
					'landing_url'  => 'https://www.shop.test/',
					'opens'        => 0,
					'created_at'   => 1000 + $i,
				)
			);
		}
		$this->refused( $this->rest( 'POST', '/v1/me/links', array( 'landing_url' => 'https://www.shop.test/' ), $alice ), 409, 'too_many_links', 'the 101st' );
		// Another affiliate is not concerned.
		$this->made( $this->token( 'bob' ), array( 'landing_url' => 'https://www.shop.test/' ) );
		list( , $mine ) = $this->rest( 'GET', '/v1/me/links', null, $alice );
		$this->assertCount( 100, $mine['links'] );
		$this->assertSame( 'old-99', $mine['links'][0]['code'], 'newest first' );
		list( $s ) = $this->rest( 'DELETE', '/v1/me/links/old-0', null, $alice );
		$this->assertSame( 204, $s );
		$this->made( $alice, array( 'landing_url' => 'https://www.shop.test/' ) );
		$this->assertSame( 101, $this->stored() );
	}

	public function test_the_merchant_lists_and_deletes_anyones_links() {
		$alice = $this->token( 'alice' );
		$bob   = $this->token( 'bob' );
		$now   = Reftrail_Db::now();
		$this->made( $alice, array( 'landing_url' => 'https://www.shop.test/a', 'code' => 'alice-1' ) );
		add_filter( 'reftrail_now', fn() => $now + 10 );
		$this->made( $bob, array( 'landing_url' => 'https://www.shop.test/b', 'code' => 'bob-1' ) );
		add_filter( 'reftrail_now', fn() => $now + 20, 11 );
		$this->made( $alice, array( 'landing_url' => 'https://www.shop.test/c', 'code' => 'alice-2' ) );
		$listed = function ( $query, $who = null ) {
			list( $s, $d ) = $this->rest( 'GET', '/v1/links' . $query, null, $who ?? $this->sk() );
			$this->assertSame( 200, $s, wp_json_encode( $d ) );
			return array_column( $d['links'], 'code' );
		};
		$this->assertSame( array( 'alice-2', 'bob-1', 'alice-1' ), $listed( '' ) );
		$this->assertSame( array( 'alice-2', 'alice-1' ), $listed( '?affiliate=alice' ) );
		$this->assertSame( array(), $listed( '?affiliate=ALICE' ), 'the affiliate compared byte for byte' );
		$this->assertSame( array( 'bob-1' ), $listed( '?limit=1&offset=1' ) );
		$this->assertSame( array(), $listed( '?affiliate=nobody' ) );
		foreach ( array( '?limit=0', '?limit=501', '?offset=-1', '?limit=x', '?affiliate[]=alice' ) as $q ) {
			$this->refused( $this->rest( 'GET', '/v1/links' . $q, null, $this->sk() ), 400, 'invalid_query', $q );
		}
		// A shop manager signed in to WordPress is the merchant too.
		wp_set_current_user( $this->user( 'administrator' ) );
		$this->assertSame( array( 'alice-2', 'bob-1', 'alice-1' ), $listed( '', array() ) );
		wp_set_current_user( 0 );

		list( $s, $d ) = $this->rest( 'DELETE', '/v1/links/bob-1', null, $this->sk() );
		$this->assertSame( array( 204, null ), array( $s, $d ) );
		$this->refused( $this->rest( 'DELETE', '/v1/links/bob-1', null, $this->sk() ), 404, 'link_not_found', 'deleted already' );
		$this->refused( $this->rest( 'DELETE', '/v1/links/ALICE-1', null, $this->sk() ), 404, 'link_not_found', 'a code as it is not kept' );
		$this->assertSame( array( 'alice-2', 'alice-1' ), $listed( '' ) );
		$this->assertSame( 404, $this->open( 'bob-1' )[0] );
	}

	public function test_the_affiliates_routes_answer_the_shops_pages_preflight() {
		foreach ( array( '/v1/me/links', '/v1/me/links/abc' ) as $path ) {
			list( $s, , $h ) = $this->rest( 'OPTIONS', $path, null, array( 'origin' => self::SHOP ) );
			$this->assertSame( array( 204, self::SHOP ), array( $s, $h['Access-Control-Allow-Origin'] ?? null ), $path );
			$this->refused( $this->rest( 'OPTIONS', $path, null, array( 'origin' => 'https://evil.test' ) ), 403, 'origin_not_allowed', $path );
		}
		$this->assertContains( '/reftrail/v1/me/links', Reftrail_REST::BROWSER_ROUTES );
		$this->assertTrue( Reftrail_REST::is_browser_route( '/reftrail/v1/me/links/abc' ) );
		$this->assertFalse( Reftrail_REST::is_browser_route( '/reftrail/v1/links/abc' ) );
		$this->assertFalse( Reftrail_REST::is_browser_route( '/reftrail/v1/me/links/abc/x' ) );
	}

	public function test_the_openapi_document_names_the_routes() {
		list( $s, $doc ) = $this->rest( 'GET', '/v1/openapi.json' );
		$this->assertSame( 200, $s );
		$this->assertSame( array( 'get', 'post' ), array_keys( $doc['paths']['/v1/me/links'] ) );
		$this->assertSame( array( 'landing_url', 'campaign', 'code' ), array_keys( $doc['paths']['/v1/me/links']['post']['requestBody']['content']['application/json']['schema']['properties'] ) );
		$this->assertSame( array( 'landing_url' ), $doc['paths']['/v1/me/links']['post']['requestBody']['content']['application/json']['schema']['required'] );
		$this->assertSame( array( array( 'affiliate_token' => array() ), array( 'wordpress_user' => array() ) ), $doc['paths']['/v1/me/links']['get']['security'] );
		$this->assertSame( array( 'delete' ), array_keys( $doc['paths']['/v1/me/links/{code}'] ) );
		$this->assertSame( array( 'code' ), array_column( $doc['paths']['/v1/me/links/{code}']['delete']['parameters'], 'name' ) );
		$this->assertSame( array( 'affiliate', 'limit', 'offset' ), array_column( $doc['paths']['/v1/links']['get']['parameters'], 'name' ) );
		$this->assertSame( array( 'code' ), array_column( $doc['paths']['/v1/links/{code}']['delete']['parameters'], 'name' ) );
		$this->assertSame( array( 'code' ), array_column( $doc['paths']['/go/{code}']['get']['parameters'], 'name' ) );
		$this->assertArrayHasKey( '302', $doc['paths']['/go/{code}']['get']['responses'] );
		$this->assertArrayNotHasKey( 'security', $doc['paths']['/go/{code}']['get'] );
		$this->assertSame( array( 'id' ), array_column( $doc['paths']['/v1/creatives/{id}']['delete']['parameters'], 'name' ), 'the other routes keep theirs' );
		$routes = rest_get_server()->get_routes();
		foreach ( array( '/reftrail/v1/me/links', '/reftrail/v1/me/links/(?P<code>[^/]+)', '/reftrail/v1/links', '/reftrail/v1/links/(?P<code>[^/]+)', '/reftrail/go/(?P<code>[^/]+)' ) as $route ) {
			$this->assertArrayHasKey( $route, $routes );
		}
	}

	public function test_the_sites_own_go_address_redirects_over_http() {
		global $wpdb;
		$program = get_option( Reftrail_Program::OPTION );
		$aff     = 'go' . strtolower( wp_generate_password( 10, false ) );
		$code    = $aff . '-bio';
		try {
			update_option( Reftrail_Program::OPTION, array_merge( Reftrail_Program::get(), array( 'allowed_origins' => array( self::SHOP ) ) ) );
			$made = $this->made(
				$this->token( $aff ),
				array(
					'landing_url' => self::SHOP . '/shoes?size=42#top',
					'campaign'    => 'Tết sale',
					'code'        => $code,
				)
			);
			$target = self::SHOP . '/shoes?size=42&ref=' . $aff . '&utm_campaign=T%E1%BA%BFt+sale#top';
			$this->assertSame( array( $target, home_url( '/go/' . $code ) ), array( $made['target'], $made['url'] ) );
			$base = untrailingslashit( (string) getenv( 'WP_URL' ) );
			$this->assertSame( $base . '/go/' . $code, $made['url'] );
			foreach ( array( '/go/' . $code, '/go/' . $code . '/', '/?reftrail_go=' . $code, '/wp-json/reftrail/go/' . $code ) as $path ) {
				list( $s, $h ) = $this->http( $path );
				$this->assertSame( array( 302, $target, 'private, no-store' ), array( $s, $h['location'] ?? null, $h['cache-control'] ?? null ), $path );
			}
			list( $s, $h ) = $this->http( '/go/' . $code, 'Googlebot/2.1 (+http://www.google.com/bot.html)' );
			$this->assertSame( array( 302, $target ), array( $s, $h['location'] ?? null ), 'a bot is sent on too' );
			foreach ( array( '/go/' . strtoupper( $code ), '/go/nope-' . $aff, '/?reftrail_go%5B%5D=' . $code, '/wp-json/reftrail/go/nope-' . $aff, '/wp-json/reftrail/go/..%2Fetc' ) as $path ) {
				list( $s, $h ) = $this->http( $path );
				$this->assertSame( array( 404, null ), array( $s, $h['location'] ?? null ), $path );
			}
			$opens = $wpdb->get_var( $wpdb->prepare( 'SELECT opens FROM ' . Reftrail_Db::table( 'short_links' ) . ' WHERE code = %s', $code ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
			$this->assertSame( '4', $opens, 'four browsers, no bot' );
			// Click ids and sub ids added to each address go on (the first of each name), the fragment kept.
			$passed = self::SHOP . '/shoes?size=42&ref=' . $aff . '&utm_campaign=T%E1%BA%BFt+sale&sub1=u+42&gclid=Cj0#top';
			foreach ( array( '/go/' . $code . '?', '/go/' . $code . '/?', '/?reftrail_go=' . $code . '&', '/wp-json/reftrail/go/' . $code . '?', '/?rest_route=/reftrail/go/' . $code . '&' ) as $path ) {
				list( $s, $h ) = $this->http( $path . 'sub1=u%2042&gclid=Cj0&x=1&sub1=again&ref=bob' );
				$this->assertSame( array( 302, $passed ), array( $s, $h['location'] ?? null ), $path );
			}
			list( $s, $h ) = $this->http( '/go/' . $code . '?sub1=' . str_repeat( 'v', 257 ) . '&sub2=a%0Ab&utm_source=x' );
			$this->assertSame( array( 302, $target ), array( $s, $h['location'] ?? null ), 'nothing that fits' );
		} finally {
			$wpdb->delete( Reftrail_Db::table( 'short_links' ), array( 'affiliate_id' => $aff ) );
			$wpdb->delete( Reftrail_Db::table( 'affiliates' ), array( 'id' => $aff ) );
			update_option( Reftrail_Program::OPTION, $program );
		}
	}

	/**
	 * One GET to the test site, redirects not followed.
	 *
	 * @param string $path Path and query.
	 * @param string $ua   User agent.
	 * @return array [status, headers (lower-case names => last value)]
	 */
	private function http( $path, $ua = self::BROWSER ) {
		$ch  = curl_init( untrailingslashit( (string) getenv( 'WP_URL' ) ) . $path );
		$out = array();
		curl_setopt_array(
			$ch,
			array(
				CURLOPT_RETURNTRANSFER => true,
				CURLOPT_FOLLOWLOCATION => false,
				CURLOPT_HTTPHEADER     => array( 'User-Agent: ' . $ua ),
				CURLOPT_TIMEOUT        => 30,
				CURLOPT_HEADERFUNCTION => function ( $ch, $line ) use ( &$out ) {
					$kv = explode( ':', $line, 2 );
					if ( 2 === count( $kv ) ) {
						$out[ strtolower( trim( $kv[0] ) ) ] = trim( $kv[1] );
					}
					return strlen( $line );
				},
			)
		);
		curl_exec( $ch );
		$status = (int) curl_getinfo( $ch, CURLINFO_RESPONSE_CODE );
		curl_close( $ch );
		return array( $status, $out );
	}

	public function test_the_upgrade_from_23_creates_the_table() {
		global $wpdb;
		$t = Reftrail_Db::table( 'short_links' );
		$wpdb->query( "DROP TABLE IF EXISTS {$t}" ); // phpcs:ignore
		update_option( Reftrail_Schema::OPTION, 23 );
		update_option( 'reftrail_flush_rewrite', 0 );
		try {
			Reftrail_Schema::maybe_upgrade();
			$exists  = $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $t ) );
			$columns = $wpdb->get_results( "SHOW FULL COLUMNS FROM {$t}", ARRAY_A ); // phpcs:ignore
			$version = (int) get_option( Reftrail_Schema::OPTION );
			$flush   = get_option( 'reftrail_flush_rewrite' );
			Reftrail_Schema::upgrade();
			$error = $wpdb->last_error;
			$wpdb->insert(
				$t,
				array(
					'code'         => 'abc',
					'affiliate_id' => 'x',
					'landing_url'  => 'https://www.shop.test/',
					'campaign'     => 'Spring',
					'created_at'   => 1,
				)
			);
			$same_code = $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$t} WHERE code = %s", 'ABC' ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			$same_camp = $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$t} WHERE campaign = %s", 'spring' ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			$opens     = $wpdb->get_var( "SELECT opens FROM {$t}" ); // phpcs:ignore
		} finally {
			$wpdb->query( "DELETE FROM {$t}" ); // phpcs:ignore
		}
		$this->assertSame( $t, $exists );
		$this->assertSame( array( 'code', 'affiliate_id', 'landing_url', 'campaign', 'opens', 'created_at' ), array_column( $columns, 'Field' ) );
		$collations = array_column( $columns, 'Collation', 'Field' );
		$this->assertStringEndsWith( '_bin', (string) $collations['code'] );
		$this->assertStringEndsWith( '_bin', (string) $collations['campaign'] );
		$this->assertSame( Reftrail_Schema::VERSION, $version, 'brought up to the current schema' );
		$this->assertGreaterThanOrEqual( 24, Reftrail_Schema::VERSION, 'short links came with schema 24' );
		$this->assertSame( '1', (string) $flush, 'the rewrite rules are rebuilt for /go/{code}' );
		$this->assertSame( '', $error, 'upgrading again changes nothing' );
		$this->assertSame( array( '0', '0', '0' ), array( $same_code, $same_camp, $opens ), 'codes and campaigns compared byte for byte; opens from 0' );
		$this->assertContains( 'short_links', Reftrail_Schema::TABLES );
	}
}
