<?php
/**
 * The portal's branding, as on the server: the program's `logo_url` (an http(s) address, as
 * terms_url) and `accent_color` (`#rrggbb` whose WCAG contrast with white is at least 3:1), null
 * by default and for a program stored before they existed; `GET /v1/portal/program` answers them;
 * refusals change nothing; changes are recorded in the settings' history.
 *
 * @package Reftrail
 */

/**
 * Branding tests.
 */
class BrandingTest extends Reftrail_Test_Case {

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

	public function test_the_contrast_of_a_colour_with_white() {
		$ratio = fn( $c ) => null === Reftrail_Program::contrast_with_white( $c ) ? null : round( Reftrail_Program::contrast_with_white( $c ) * 10 ) / 10;
		$this->assertSame( 1.0, $ratio( '#ffffff' ) );
		$this->assertSame( 21.0, $ratio( '#000000' ) );
		$this->assertSame( 4.5, $ratio( '#767676' ), "WCAG's grey at 4.5:1" );
		$this->assertSame( $ratio( '#2f5bd3' ), $ratio( '#2F5BD3' ) );
		foreach ( array( '2f5bd3', '#2f5bd', '#2f5bd3ff', '#gg0000', '', '#', '#+f5bd3', '#-f5bd3', '# f5bd3', "#2f5bd3\n", '#2f5bd3 ', null, 0x2f5bd3, array( '#2f5bd3' ) ) as $bad ) {
			$this->assertNull( Reftrail_Program::contrast_with_white( $bad ), wp_json_encode( $bad ) );
		}
		foreach ( array(
			'#2f5bd3' => true,
			'#ee4d2d' => true,
			'#ffd400' => false,
			'#00b14f' => false,
			'#007a3d' => true,
			'#767676' => true,
		) as $colour => $ok ) {
			$p                 = Reftrail_Program::defaults();
			$p['accent_color'] = $colour;
			try {
				Reftrail_Program::validate( $p );
				$this->assertTrue( $ok, $colour . ' is accepted' );
			} catch ( Reftrail_Http_Error $e ) {
				$this->assertFalse( $ok, $colour . ' is refused: ' . $e->getMessage() );
			}
		}
	}

	public function test_the_portal_wears_the_shops_logo_and_colour() {
		list( , $before ) = $this->rest( 'GET', '/v1/program', null, $this->sk() );
		$this->assertSame( array( null, null ), array( $before['logo_url'], $before['accent_color'] ), 'none unless set' );
		$this->assertSame( array( 'terms_url', 'logo_url', 'accent_color', 'webhooks' ), array_slice( array_keys( $before ), array_search( 'terms_url', array_keys( $before ), true ), 4 ), "in the server's order" );
		list( , $shown ) = $this->rest( 'GET', '/v1/portal/program' );
		$this->assertSame( array( null, null ), array( $shown['logo_url'], $shown['accent_color'] ) );

		list( $s, $put ) = $this->put_program_rest(
			array(
				'logo_url'     => 'https://www.shop.test/logo.svg',
				'accent_color' => '#ee4d2d',
			)
		);
		$this->assertSame( array( 200, 'https://www.shop.test/logo.svg', '#ee4d2d' ), array( $s, $put['logo_url'], $put['accent_color'] ), wp_json_encode( $put ) );
		list( $s, $shown ) = $this->rest( 'GET', '/v1/portal/program' );
		$this->assertSame( array( 200, 'https://www.shop.test/logo.svg', '#ee4d2d' ), array( $s, $shown['logo_url'], $shown['accent_color'] ) );
		list( , $changes ) = $this->rest( 'GET', '/v1/program/changes?limit=1', null, $this->sk() );
		$this->assertSame(
			array(
				array(
					'setting' => 'accent_color',
					'before'  => null,
					'after'   => '#ee4d2d',
				),
				array(
					'setting' => 'logo_url',
					'before'  => null,
					'after'   => 'https://www.shop.test/logo.svg',
				),
			),
			$changes['changes'][0]['settings']
		);

		// A colour too light for white text, or not #rrggbb, is refused, as is a logo that is not
		// an http(s) address; nothing changes.
		list( , $set ) = $this->rest( 'GET', '/v1/program', null, $this->sk() );
		$too_light     = $this->refused( $this->put_program_rest( array( 'accent_color' => '#ffd400' ) ), 400, 'invalid_accent_color', '#ffd400' );
		$this->assertSame( 'accent_color #ffd400 is too light for white text and to read on white (contrast 1.4:1; it needs 3:1): choose a darker shade', $too_light );
		$this->assertStringContainsString( '(contrast 2.8:1;', $this->refused( $this->put_program_rest( array( 'accent_color' => '#00b14f' ) ), 400, 'invalid_accent_color', '#00b14f' ) );
		foreach ( array( 'red', '#+e4d2d', 'ee4d2d', '#ee4d2', '', '#ee4d2d ' ) as $bad ) {
			$message = $this->refused( $this->put_program_rest( array( 'accent_color' => $bad ) ), 400, 'invalid_accent_color', $bad );
			$this->assertSame( 'accent_color must be a colour as #rrggbb, or null', $message, $bad );
		}
		foreach ( array( 'javascript:alert(1)', 'https://www.shop.test/' . str_repeat( 'x', 500 ), 'https://www.shop.test/a logo.svg', '//www.shop.test/logo.svg', '' ) as $bad ) {
			$this->refused( $this->put_program_rest( array( 'logo_url' => $bad ) ), 400, 'invalid_logo_url', $bad );
		}
		foreach ( array( 'logo_url', 'accent_color' ) as $field ) {
			$this->refused( $this->put_program_rest( array( $field => array( 'x' ) ) ), 400, 'invalid_body', $field . ' as a list' );
		}
		// Checked after terms_url and before the recruiter rate, as on the server.
		$this->refused( $this->put_program_rest( array( 'terms_url' => 'x', 'logo_url' => 'x' ) ), 400, 'invalid_terms_url', 'both' );
		$this->refused( $this->put_program_rest( array( 'logo_url' => 'x', 'accent_color' => 'x' ) ), 400, 'invalid_logo_url', 'both' );
		$this->refused( $this->put_program_rest( array( 'accent_color' => 'x', 'recruiter_rate_bps' => -1 ) ), 400, 'invalid_accent_color', 'both' );
		list( , $after ) = $this->rest( 'GET', '/v1/program', null, $this->sk() );
		$this->assertSame( $set, $after, 'nothing changed' );

		// The longest logo address is 500 bytes; an upper-case colour is kept as written; null removes both.
		$logo            = 'https://www.shop.test/' . str_repeat( 'x', 478 );
		list( $s, $put ) = $this->put_program_rest(
			array(
				'logo_url'     => $logo,
				'accent_color' => '#007A3D',
			)
		);
		$this->assertSame( array( 200, $logo, '#007A3D' ), array( $s, $put['logo_url'], $put['accent_color'] ), wp_json_encode( $put ) );
		list( $s, $put ) = $this->put_program_rest(
			array(
				'logo_url'     => null,
				'accent_color' => null,
			)
		);
		$this->assertSame( array( 200, null, null ), array( $s, $put['logo_url'], $put['accent_color'] ) );

		// A program stored before these settings existed reads them as none.
		$this->put_program_rest( array( 'accent_color' => '#ee4d2d' ) );
		$stored = get_option( Reftrail_Program::OPTION );
		unset( $stored['logo_url'], $stored['accent_color'] );
		update_option( Reftrail_Program::OPTION, $stored );
		list( , $shown ) = $this->rest( 'GET', '/v1/portal/program' );
		$this->assertSame( array( null, null ), array( $shown['logo_url'], $shown['accent_color'] ) );
	}

	public function test_the_openapi_document_names_them() {
		list( , $doc ) = $this->rest( 'GET', '/v1/openapi.json' );
		foreach ( array( 'logo_url', 'accent_color', 'invalid_logo_url', 'invalid_accent_color', 'flag_paid_ads' ) as $word ) {
			$this->assertStringContainsString( $word, $doc['paths']['/v1/program']['put']['summary'] );
		}
		foreach ( array( 'logo_url', 'accent_color' ) as $word ) {
			$this->assertStringContainsString( $word, $doc['paths']['/v1/portal/program']['get']['summary'] );
		}
	}
}
