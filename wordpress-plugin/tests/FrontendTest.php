<?php
/**
 * The front end: the async loader tag with the program's settings, and consent from the WP
 * Consent API when that plugin is present (its function `wp_has_consent` is defined here, with
 * the API's signature, since the plugin cannot be installed here), else from the setting.
 *
 * @package Reftrail
 */

/**
 * Front-end tests.
 */
class FrontendTest extends Reftrail_Test_Case {

	/**
	 * The tag printed in wp_head.
	 *
	 * @return string
	 */
	private function head() {
		ob_start();
		Reftrail_Frontend::print_tag();
		return (string) ob_get_clean();
	}

	public function test_the_tag_carries_the_program_settings() {
		$this->program( array( 'params' => array( 'via', 'ref' ), 'window_days' => 900, 'model' => 'first' ) );
		update_option( Reftrail_Settings::OPTION, Reftrail_Settings::sanitize( array( 'consent_default' => 'pending', 'decorate' => 'Pay.Example, bad host!, checkout.shop.test' ) ) );
		$html = $this->head();
		$this->assertMatchesRegularExpression( '#<script async src="[^"]+/assets/loader\.js\?ver=[^"]+" id="reftrail-loader"#', $html );
		foreach ( array( 'data-params="via,ref"', 'data-window="400"', 'data-model="first"', 'data-decorate="pay.example,checkout.shop.test"', 'data-key="' . Reftrail_Keys::publishable() . '"' ) as $attr ) {
			$this->assertStringContainsString( $attr, $html );
		}
		if ( ! function_exists( 'wp_has_consent' ) ) {
			$this->assertStringContainsString( 'data-consent="pending"', $html );
			$this->assertStringNotContainsString( 'wp_listen_for_consent_change', $html );
		}
		$this->assertStringContainsString( 'window.reftrail=window.reftrail||function(){', $html );
	}

	public function test_page_optimisers_leave_the_tags_alone() {
		$html = $this->head();
		// Cloudflare's Rocket Loader skips both tags.
		$this->assertMatchesRegularExpression( '#<script[^>]*id="reftrail-stub"[^>]*data-cfasync="false"|<script[^>]*data-cfasync="false"[^>]*id="reftrail-stub"#', $html );
		$this->assertMatchesRegularExpression( '#<script[^>]*data-cfasync="false"[^>]*id="reftrail-loader"|<script[^>]*id="reftrail-loader"[^>]*data-cfasync="false"#', $html );
		// WP Rocket and LiteSpeed Cache keep what other plugins excluded and add the tracker, whose
		// pattern matches the loader's address and the stub's text.
		foreach ( array( 'rocket_exclude_js', 'rocket_exclude_defer_js', 'rocket_delay_js_exclusions', 'litespeed_optimize_js_excludes', 'litespeed_optm_js_defer_exc', 'litespeed_optm_gm_js_exc' ) as $filter ) {
			$list = apply_filters( $filter, array( '/other/plugin.js' ) );
			$this->assertSame( '/other/plugin.js', $list[0], $filter );
			$pattern = end( $list );
			$this->assertMatchesRegularExpression( '#' . $pattern . '#', Reftrail_Frontend::attributes()['src'], $filter );
			$this->assertMatchesRegularExpression( '#' . $pattern . '#', $html, $filter );
		}
		$this->assertSame( array( Reftrail_Frontend::OPTIMISER_PATTERN ), apply_filters( 'rocket_delay_js_exclusions', null ) );
		// Autoptimize passes a comma-separated string.
		$this->assertSame( 'jquery.js, ' . Reftrail_Frontend::OPTIMISER_PATTERN, apply_filters( 'autoptimize_filter_js_exclude', 'jquery.js' ) );
		$this->assertSame( Reftrail_Frontend::OPTIMISER_PATTERN, apply_filters( 'autoptimize_filter_js_exclude', '' ) );
	}

	public function test_the_wp_consent_api_decides_when_present() {
		if ( ! function_exists( 'wp_has_consent' ) ) {
			/**
			 * The WP Consent API's function, as that plugin defines it: whether the visitor
			 * consented to a category. Here it answers what the test sets.
			 *
			 * @param string $category Category.
			 * @return bool
			 */
			function wp_has_consent( $category ) {
				return 'marketing' === $category && ! empty( $GLOBALS['reftrail_test_consent'] );
			}
		}
		update_option( Reftrail_Settings::OPTION, Reftrail_Settings::sanitize( array( 'consent_default' => 'granted' ) ) );
		$GLOBALS['reftrail_test_consent'] = false;
		$this->assertSame( 'pending', Reftrail_Frontend::consent(), 'the API overrides the setting' );
		$refused = $this->head();
		$this->assertStringContainsString( 'data-consent="pending"', $refused );
		$this->assertStringContainsString( 'wp_listen_for_consent_change', $refused );
		$this->assertStringContainsString( 'wp_has_consent("marketing")', $refused, 'the choice is read in the browser' );
		// A visitor who consented gets the very same page: a cached page serves no one else's choice.
		$GLOBALS['reftrail_test_consent'] = true;
		$this->assertSame( 'pending', Reftrail_Frontend::consent() );
		$this->assertSame( $refused, $this->head() );
		$this->assertTrue( apply_filters( 'wp_consent_api_registered_' . plugin_basename( REFTRAIL_FILE ), false ) );
	}
}
