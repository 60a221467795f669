<?php
/**
 * The front end: one async script tag (the loader, which loads the wasm core without blocking
 * rendering) with the program's settings as data-* attributes, and the WP Consent API bridge.
 * A page view runs no database query of its own: every option read here is autoloaded.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * Front-end output.
 */
final class Reftrail_Frontend {

	/**
	 * Hooks.
	 */
	public static function init() {
		add_action( 'wp_head', array( __CLASS__, 'print_tag' ), 1 );
		add_filter( 'wp_consent_api_registered_' . plugin_basename( REFTRAIL_FILE ), '__return_true' );
	}

	/**
	 * The consent the page starts with: the WP Consent API's `marketing` category when that
	 * plugin is active, else the plugin's own setting.
	 *
	 * @return string granted|pending|denied
	 */
	public static function consent() {
		if ( function_exists( 'wp_has_consent' ) ) {
			return wp_has_consent( 'marketing' ) ? 'granted' : 'pending';
		}
		return Reftrail_Settings::get()['consent_default'];
	}

	/**
	 * The attributes of the script tag.
	 *
	 * @return array
	 */
	public static function attributes() {
		$program  = Reftrail_Program::get();
		$settings = Reftrail_Settings::get();
		$attrs    = array(
			'async'         => true,
			'src'           => plugins_url( 'assets/loader.js', REFTRAIL_FILE ) . '?ver=' . REFTRAIL_VERSION,
			'id'            => 'reftrail-loader',
			'data-endpoint' => untrailingslashit( rest_url( 'reftrail' ) ),
			'data-key'      => Reftrail_Keys::publishable(),
			'data-consent'  => self::consent(),
			'data-params'   => implode( ',', $program['params'] ),
			'data-window'   => (string) min( 400, (int) $program['window_days'] ),
			'data-model'    => 'first' === $program['model'] ? 'first' : 'last',
			'data-gpc'      => $settings['honour_gpc'] ? 'true' : 'false',
		);
		if ( '' !== $settings['decorate'] ) {
			$attrs['data-decorate'] = $settings['decorate'];
		}
		return apply_filters( 'reftrail_script_attributes', $attrs );
	}

	/**
	 * Prints the queue stub, the consent bridge and the async loader tag.
	 */
	public static function print_tag() {
		$stub = 'window.reftrail=window.reftrail||function(){(window.reftrail.q=window.reftrail.q||[]).push(arguments)};';
		if ( function_exists( 'wp_has_consent' ) ) {
			// WP Consent API: follow the visitor's choice for the marketing category.
			$stub .= 'document.addEventListener("wp_listen_for_consent_change",function(e){var d=e.detail||{};if(d.marketing){window.reftrail("consent",d.marketing==="allow"?"granted":"denied")}});';
		}
		wp_print_inline_script_tag( $stub, array( 'id' => 'reftrail-stub' ) );
		wp_print_script_tag( self::attributes() );
	}
}
