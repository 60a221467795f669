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
		$html = $this->head();
		$this->assertStringContainsString( 'data-consent="pending"', $html );
		$this->assertStringContainsString( 'wp_listen_for_consent_change', $html );
		$GLOBALS['reftrail_test_consent'] = true;
		$this->assertSame( 'granted', Reftrail_Frontend::consent() );
		$this->assertTrue( apply_filters( 'wp_consent_api_registered_' . plugin_basename( REFTRAIL_FILE ), false ) );
	}
}
