<?php
/**
 * The front end: one async script tag (the loader, which loads the wasm core without blocking
 * rendering) with the program's settings as data-* attributes, and the WP Consent API bridge.
 * A page view runs no database query of its own: every option read here is autoloaded.
 *
 * Page optimisers are told to leave both tags alone (WP Rocket, LiteSpeed Cache and Autoptimize
 * through their exclusion filters, Cloudflare's Rocket Loader through `data-cfasync`): a delayed
 * tracker misses every visitor who leaves before touching the page, and a loader combined into
 * another file can no longer find its core next to itself.
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
	/** What the optimisers' exclusion lists match: the tags' `src` and the stub's text. */
	const OPTIMISER_PATTERN = 'reftrail';

	/** The page optimisers' filters of scripts not to combine, minify, defer or delay. */
	const OPTIMISER_FILTERS = array(
		'rocket_exclude_js',
		'rocket_exclude_defer_js',
		'rocket_delay_js_exclusions',
		'litespeed_optimize_js_excludes',
		'litespeed_optm_js_defer_exc',
		'litespeed_optm_gm_js_exc',
		'autoptimize_filter_js_exclude',
	);

	/**
	 * Hooks.
	 */
	public static function init() {
		add_action( 'wp_head', array( __CLASS__, 'print_tag' ), 1 );
		add_filter( 'wp_consent_api_registered_' . plugin_basename( REFTRAIL_FILE ), '__return_true' );
		foreach ( self::OPTIMISER_FILTERS as $filter ) {
			add_filter( $filter, array( __CLASS__, 'exclude_from_optimiser' ) );
		}
	}

	/**
	 * Adds the tracker to an optimiser's exclusions: a list, or (Autoptimize) a comma-separated
	 * string.
	 *
	 * @param array|string|null $excluded What the optimiser and other plugins exclude already.
	 * @return array|string
	 */
	public static function exclude_from_optimiser( $excluded ) {
		if ( is_string( $excluded ) ) {
			return '' === trim( $excluded ) ? self::OPTIMISER_PATTERN : $excluded . ', ' . self::OPTIMISER_PATTERN;
		}
		$excluded   = is_array( $excluded ) ? $excluded : array();
		$excluded[] = self::OPTIMISER_PATTERN;
		return $excluded;
	}

	/**
	 * The consent the page starts with: `pending` when the WP Consent API plugin is active (the
	 * visitor's choice is then read in the browser, see print_tag), else the plugin's own
	 * setting. Never the visitor's own answer: a page cache would serve one visitor's consent to
	 * everyone.
	 *
	 * @return string granted|pending|denied
	 */
	public static function consent() {
		if ( function_exists( 'wp_has_consent' ) ) {
			return 'pending';
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
			'data-cfasync'  => 'false',
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
			// WP Consent API: the visitor's choice for the marketing category, asked of the API's
			// script in the browser (now, and once the page is parsed in case that script comes
			// later), and each change of it.
			$stub .= '(function(){function c(){if(typeof wp_has_consent=="function"&&wp_has_consent("marketing")){window.reftrail("consent","granted")}}c();document.addEventListener("DOMContentLoaded",c)})();';
			$stub .= 'document.addEventListener("wp_listen_for_consent_change",function(e){var d=e.detail||{};if(d.marketing){window.reftrail("consent",d.marketing==="allow"?"granted":"denied")}});';
		}
		wp_print_inline_script_tag(
			$stub,
			array(
				'id'           => 'reftrail-stub',
				'data-cfasync' => 'false',
			)
		);
		wp_print_script_tag( self::attributes() );
	}
}
