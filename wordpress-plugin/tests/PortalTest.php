<?php
/**
 * The affiliate portal for WordPress users: the portal document (`/?reftrail_portal=1`) per
 * caller, and `[reftrail_portal]`'s box around the server-rendered portal. Needs the portal app
 * in the plugin's `www/` (scripts/test-wordpress.sh copies it in, as the release zip has it).
 *
 * @package Reftrail
 */

/**
 * Portal tests.
 */
class PortalTest extends Reftrail_Test_Case {

	protected function tearDown(): void {
		wp_dequeue_script( 'reftrail-portal-embed' );
		parent::tearDown();
	}

	/**
	 * A WordPress user linked to a new affiliate.
	 *
	 * @param string $id     Affiliate id.
	 * @param string $status Status.
	 * @param array  $extra  Fields.
	 * @return int User id.
	 */
	private function affiliate_user( $id, $status, array $extra = array() ) {
		$uid = $this->user( Reftrail_Schema::ROLE );
		$this->affiliate( $id, array_merge( array( 'status' => $status, 'user_id' => $uid ), $extra ) );
		return $uid;
	}

	/**
	 * The configuration the document gives the app, or null.
	 *
	 * @param string $html The document.
	 * @return array|null
	 */
	private function config( $html ) {
		if ( ! preg_match( '#<script id="reftrail-portal-config">\s*window\.REFTRAIL_PAGES = (\{.*?\});\s*</script>#s', $html, $m ) ) {
			return null;
		}
		return json_decode( $m[1], true );
	}

	public function test_a_visitor_is_sent_to_the_login_page() {
		list( $status, $headers, $html ) = Reftrail_Portal::document();
		$this->assertSame( 302, $status );
		$this->assertStringContainsString( 'wp-login.php?redirect_to=' . rawurlencode( Reftrail_Portal::url() ), $headers['Location'] );
		$this->assertSame( '', $html );
	}

	public function test_a_user_who_is_no_affiliate_gets_the_message_and_no_app() {
		wp_set_current_user( $this->user( 'subscriber' ) );
		list( $status, $headers, $html ) = Reftrail_Portal::document();
		$this->assertSame( 403, $status );
		$this->assertStringContainsString( 'Sign in with your affiliate account', $html );
		$this->assertNull( $this->config( $html ) );
		$this->assertStringNotContainsString( 'portal/app.js', $html );
		$this->assertSame( 'SAMEORIGIN', $headers['X-Frame-Options'] );
	}

	public function test_a_pending_or_suspended_affiliate_gets_no_app() {
		wp_set_current_user( $this->affiliate_user( 'waiting', 'pending' ) );
		list( $status, , $html ) = Reftrail_Portal::document();
		$this->assertSame( 200, $status );
		$this->assertStringContainsString( 'Your application is waiting for approval.', $html );
		$this->assertNull( $this->config( $html ) );
		$this->assertStringNotContainsString( 'reftrail-portal-embed', do_shortcode( '[reftrail_portal]' ) );
		$this->assertFalse( wp_script_is( 'reftrail-portal-embed', 'enqueued' ) );

		wp_set_current_user( $this->affiliate_user( 'stopped', 'suspended' ) );
		list( $status, , $html ) = Reftrail_Portal::document();
		$this->assertSame( 403, $status );
		$this->assertNull( $this->config( $html ) );
	}

	public function test_an_approved_affiliate_gets_the_app_signed_in_by_a_rest_nonce() {
		$this->assertTrue( Reftrail_Portal::available(), 'www/portal is in the plugin' );
		$uid = $this->affiliate_user( 'amy', 'approved', array( 'name' => '<script>alert(1)</script>Amy', 'coupons' => array( 'AMY10' ) ) );
		wp_set_current_user( $uid );
		list( $status, $headers, $html ) = Reftrail_Portal::document();
		$this->assertSame( 200, $status );
		$this->assertSame( 'text/html; charset=utf-8', $headers['Content-Type'] );
		$this->assertSame( 'SAMEORIGIN', $headers['X-Frame-Options'] );
		$this->assertSame( "frame-ancestors 'self'", $headers['Content-Security-Policy'] );
		$config = $this->config( $html );
		$this->assertIsArray( $config );
		$this->assertSame( untrailingslashit( rest_url( 'reftrail' ) ), $config['apiBase'] );
		$this->assertTrue( $config['signedIn'] );
		$this->assertSame( home_url( '/' ), $config['shopUrl'] );
		$this->assertSame( 1, wp_verify_nonce( $config['headers']['X-WP-Nonce'], 'wp_rest' ), 'the REST nonce of this user' );
		$this->assertStringContainsString( 'action=logout&_wpnonce=', $config['signOutUrl'] );
		$this->assertArrayNotHasKey( 'locale', $config, 'the program or the browser picks the language of an English site' );
		$this->assertMatchesRegularExpression( '#<script type="module" id="reftrail-portal-app" src="[^"]+/www/portal/app\.js\?ver=[^"]+"></script>#', $html );
		$this->assertStringContainsString( '/www/shared/ui.css', $html );
		// The server-rendered portal waits in <main> for the app, escaped.
		$this->assertMatchesRegularExpression( '#<main id="main" tabindex="-1"><div class="reftrail-portal">.*\?ref=amy.*AMY10.*</main>#s', $html );
		$this->assertStringNotContainsString( '<script>alert(1)</script>', $html );
		$this->assertStringContainsString( '&lt;script&gt;alert(1)&lt;/script&gt;Amy', $html );
		// Its answers for this user are theirs only: /v1/me with the nonce's user.
		list( $s, $me ) = $this->rest( 'GET', '/v1/me' );
		$this->assertSame( 200, $s );
		$this->assertSame( 'amy', $me['affiliate']['id'] );
	}

	public function test_the_app_speaks_the_users_language() {
		$uid = $this->affiliate_user( 'lan', 'approved' );
		update_user_meta( $uid, 'locale', 'th' );
		wp_set_current_user( $uid );
		$pick = fn() => get_user_locale();
		add_filter( 'determine_locale', $pick ); // As for a signed-in user's page view.
		try {
			list( , , $html ) = Reftrail_Portal::document();
		} finally {
			remove_filter( 'determine_locale', $pick );
		}
		$this->assertSame( 'th', $this->config( $html )['locale'] );
		$this->assertStringContainsString( '<html lang="th">', $html );
	}

	public function test_the_shortcode_boxes_the_server_rendered_portal_for_the_app() {
		wp_set_current_user( $this->affiliate_user( 'bea', 'approved', array( 'coupons' => array( 'BEA5' ) ) ) );
		$out = do_shortcode( '[reftrail_portal]' );
		$this->assertSame( 1, preg_match( '#^<div class="reftrail-portal-embed" data-reftrail-portal="([^"]+)" data-reftrail-title="Affiliate portal"><div class="reftrail-portal">.*</div></div>$#s', $out, $m ), $out );
		$this->assertSame( Reftrail_Portal::url(), html_entity_decode( $m[1] ) );
		$this->assertStringContainsString( '?ref=bea', $out );
		$this->assertStringContainsString( 'BEA5', $out );
		$this->assertTrue( wp_script_is( 'reftrail-portal-embed', 'enqueued' ) );
		$script = wp_scripts()->registered['reftrail-portal-embed'];
		$this->assertSame( array(), $script->deps );
		$this->assertSame( 1, $script->extra['group'] ?? null, 'in the footer: nothing render-blocking' );
	}
}
