<?php
/**
 * The affiliate portal app of `www/portal/` (the same files the Rust server serves, shipped in the
 * plugin's `www/`) for affiliates signed in to WordPress.
 *
 * `[reftrail_portal]` and the portal block print the server-rendered portal inside a box that
 * `assets/portal-embed.js` (in the footer, nothing render-blocking) fills with a frame of the
 * portal document once it has loaded; without JavaScript the server-rendered portal stays. The
 * portal document, `/?reftrail_portal=1`, is a page of its own so that the app's stylesheet and
 * element ids never meet the theme's. It points the app at this site's REST routes with the
 * user's login cookie and a WordPress REST nonce (no portal token), as the wp-admin dashboard does
 * for the merchant, and only answers an approved affiliate. `applyUrl` names the sign-up page
 * (Reftrail_Shortcodes::sign_up_url()), where the recruiting link of the portal's team section
 * leads.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * The portal app.
 */
final class Reftrail_Portal {

	/** The query argument of the portal document. */
	const ARG = 'reftrail_portal';

	/**
	 * Hooks.
	 */
	public static function init() {
		add_action( 'init', array( __CLASS__, 'register_script' ) );
		add_action( 'template_redirect', array( __CLASS__, 'maybe_serve' ) );
	}

	/**
	 * The embedding script (footer, no dependencies); enqueued by the shortcode when it is used.
	 */
	public static function register_script() {
		wp_register_script( 'reftrail-portal-embed', plugins_url( 'assets/portal-embed.js', REFTRAIL_FILE ), array(), REFTRAIL_VERSION, true );
	}

	/**
	 * Whether the plugin ships the portal app.
	 *
	 * @return bool
	 */
	public static function available() {
		return is_file( REFTRAIL_DIR . '/www/portal/app.js' ) && is_file( REFTRAIL_DIR . '/www/shared/api.js' );
	}

	/**
	 * The portal document's address.
	 *
	 * @return string
	 */
	public static function url() {
		return add_query_arg( self::ARG, '1', home_url( '/' ) );
	}

	/**
	 * The server-rendered portal of an approved affiliate, in the box the app replaces.
	 *
	 * @param string $fallback The server-rendered portal (escaped HTML).
	 * @return string
	 */
	public static function embed( $fallback ) {
		if ( ! self::available() ) {
			return $fallback;
		}
		wp_enqueue_script( 'reftrail-portal-embed' );
		return '<div class="reftrail-portal-embed" data-reftrail-portal="' . esc_url( self::url() ) . '" data-reftrail-title="' . esc_attr__( 'Affiliate portal', 'reftrail' ) . '">' . $fallback . '</div>';
	}

	/**
	 * Answers `/?reftrail_portal=1` and ends the request; any other request goes on untouched.
	 */
	public static function maybe_serve() {
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- a page to show; nothing changes.
		if ( ! isset( $_GET[ self::ARG ] ) ) {
			return;
		}
		list( $status, $headers, $html ) = self::document();
		status_header( $status );
		nocache_headers();
		foreach ( $headers as $name => $value ) {
			header( $name . ': ' . $value );
		}
		echo $html; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- built from escaped parts in document().
		exit;
	}

	/**
	 * The portal document for the current user: `[status, headers, html]`. Anonymous visitors are
	 * sent to the login page; signed-in users who are not approved affiliates get the portal's
	 * message and no app; an approved affiliate gets the app with a REST nonce.
	 *
	 * @return array
	 */
	public static function document() {
		$headers = array(
			'Content-Type'            => 'text/html; charset=utf-8',
			'X-Frame-Options'         => 'SAMEORIGIN',
			'Content-Security-Policy' => "frame-ancestors 'self'",
			'X-Robots-Tag'            => 'noindex, nofollow',
			'Referrer-Policy'         => 'same-origin',
		);
		$user = wp_get_current_user();
		if ( ! $user->ID ) {
			return array( 302, $headers + array( 'Location' => wp_login_url( self::url() ) ), '' );
		}
		$id = Reftrail_Affiliates::by_user( $user->ID );
		$a  = $id ? Reftrail_Affiliates::get( $id ) : null;
		if ( ! $a || 'approved' !== $a['status'] || ! self::available() ) {
			return array( $a ? 200 : 403, $headers, self::page( Reftrail_Shortcodes::portal(), null ) );
		}
		$config = array(
			'apiBase'    => untrailingslashit( rest_url( 'reftrail' ) ),
			'headers'    => array( 'X-WP-Nonce' => wp_create_nonce( 'wp_rest' ) ),
			'signedIn'   => true,
			'signOutUrl' => wp_specialchars_decode( wp_logout_url(), ENT_QUOTES ), // wp_logout_url() is escaped for HTML.
			'shopUrl'    => home_url( '/' ),
		);
		// The sign-up page, which the team section's recruiting link points at (no link without one).
		$apply = Reftrail_Shortcodes::sign_up_url();
		if ( null !== $apply ) {
			$config['applyUrl'] = $apply;
		}
		$lang = substr( determine_locale(), 0, 2 );
		if ( in_array( $lang, array( 'vi', 'th' ), true ) ) {
			$config['locale'] = $lang;
		}
		return array( 200, $headers, self::page( Reftrail_Shortcodes::portal_markup( $a ), $config ) );
	}

	/**
	 * The HTML page: the app's stylesheets, configuration and module (when `$config`), the
	 * server-rendered portal in `<main>` until the app replaces it, and the frame's height kept to
	 * its content.
	 *
	 * @param string     $main   Escaped HTML for `<main>`.
	 * @param array|null $config The app's configuration, or null for no app.
	 * @return string
	 */
	private static function page( $main, $config ) {
		$base = plugins_url( 'www/', REFTRAIL_FILE );
		$ver  = rawurlencode( REFTRAIL_VERSION );
		$html = '<!doctype html><html lang="' . esc_attr( str_replace( '_', '-', determine_locale() ) ) . '"><head><meta charset="utf-8">'
			. '<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex, nofollow">'
			. '<title>' . esc_html( __( 'Affiliate portal', 'reftrail' ) . ' · ' . get_bloginfo( 'name' ) ) . '</title>'
			. '<link rel="stylesheet" href="' . esc_url( $base . 'shared/ui.css?ver=' . $ver ) . '">'
			. '<link rel="stylesheet" href="' . esc_url( $base . 'portal/portal.css?ver=' . $ver ) . '">';
		if ( null !== $config ) {
			$html .= wp_get_inline_script_tag( 'window.REFTRAIL_PAGES = ' . wp_json_encode( $config ) . ';', array( 'id' => 'reftrail-portal-config' ) );
			$html .= '<script type="module" id="reftrail-portal-app" src="' . esc_url( $base . 'portal/app.js?ver=' . $ver ) . '"></script>';
		}
		$html .= '</head><body><a class="skip" href="#main">' . esc_html__( 'Skip to content', 'reftrail' ) . '</a>'
			. '<header class="bar" id="top"><span class="brand">' . esc_html__( 'Reftrail', 'reftrail' ) . '</span></header>'
			. '<main id="main" tabindex="-1">' . $main . '</main>';
		// In the embedding page's frame: follow the content's height (grow at once, shrink once the
		// content has settled, so that a view being redrawn does not make the page jump).
		$html .= wp_get_inline_script_tag(
			'(function () {'
			. 'var f = null; try { f = window.frameElement; } catch (e) { f = null; }'
			. 'if (!f || !window.ResizeObserver) return;'
			. 'var shown = 0, timer = 0;'
			. 'function set(px) { shown = px; f.style.height = px + "px"; }'
			. 'new ResizeObserver(function () {'
			. 'var px = Math.ceil(document.body.getBoundingClientRect().height);'
			. 'clearTimeout(timer);'
			. 'if (px > shown) set(px); else if (px < shown) timer = setTimeout(function () { set(px); }, 800);'
			. '}).observe(document.body);'
			. '})();'
		);
		return $html . '</body></html>';
	}
}
