<?php
/**
 * `[reftrail_portal]`: the signed-in affiliate's portal: the app of `www/portal/` (Reftrail_Portal)
 * over the server-rendered link, coupon codes and balances, which stay without JavaScript.
 * `[reftrail_register]`: a form for a signed-in user to apply as an affiliate (pending until the
 * owner approves). Both render on the server, escaped; the form carries a nonce. The blocks
 * `reftrail/portal` and `reftrail/register` (blocks/<name>/block.json, editor script
 * assets/blocks.js) render the same.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * Shortcodes.
 */
final class Reftrail_Shortcodes {

	/**
	 * Hooks.
	 */
	public static function init() {
		add_shortcode( 'reftrail_portal', array( __CLASS__, 'portal' ) );
		add_shortcode( 'reftrail_register', array( __CLASS__, 'register' ) );
		add_action( 'init', array( __CLASS__, 'register_blocks' ) );
	}

	/**
	 * The blocks: dynamic, described by `blocks/<name>/block.json` (whose title and description
	 * WordPress translates with the plugin's text domain) and rendered by the shortcodes'
	 * functions. The editor script's own strings come from `languages/reftrail-<locale>-<md5>.json`.
	 */
	public static function register_blocks() {
		if ( ! function_exists( 'register_block_type' ) ) {
			return;
		}
		wp_register_script(
			'reftrail-blocks',
			plugins_url( 'assets/blocks.js', REFTRAIL_FILE ),
			array( 'wp-blocks', 'wp-block-editor', 'wp-components', 'wp-element', 'wp-i18n', 'wp-server-side-render' ),
			REFTRAIL_VERSION,
			true
		);
		wp_set_script_translations( 'reftrail-blocks', 'reftrail', REFTRAIL_DIR . '/languages' );
		register_block_type( REFTRAIL_DIR . '/blocks/portal', array( 'render_callback' => fn() => self::portal() ) );
		register_block_type( REFTRAIL_DIR . '/blocks/register', array( 'render_callback' => fn() => self::register() ) );
	}

	/**
	 * The portal of the signed-in user: for an approved affiliate, the portal app of `www/portal/`
	 * over the server-rendered portal (which stays without JavaScript; see Reftrail_Portal);
	 * otherwise what they need to do.
	 *
	 * @return string
	 */
	public static function portal() {
		$user = wp_get_current_user();
		$id   = $user->ID ? Reftrail_Affiliates::by_user( $user->ID ) : null;
		if ( ! $id ) {
			return '<p class="reftrail-portal">' . esc_html__( 'Sign in with your affiliate account to see your links and earnings.', 'reftrail' ) . '</p>';
		}
		$a   = Reftrail_Affiliates::get( $id );
		$out = self::portal_markup( $a );
		return 'approved' === $a['status'] ? Reftrail_Portal::embed( $out ) : $out;
	}

	/**
	 * The server-rendered portal of an affiliate: name, link, coupon codes and balances.
	 *
	 * @param array $a The affiliate (Reftrail_Affiliates::get()).
	 * @return string
	 */
	public static function portal_markup( array $a ) {
		$id    = $a['id'];
		$param = Reftrail_Program::get()['params'][0] ?? 'ref';
		$out   = '<div class="reftrail-portal"><h3>' . esc_html( $a['name'] ) . '</h3>';
		if ( 'approved' !== $a['status'] ) {
			$out .= '<p>' . esc_html__( 'Your application is waiting for approval.', 'reftrail' ) . '</p></div>';
			return $out;
		}
		$out .= '<p>' . esc_html__( 'Your link:', 'reftrail' ) . ' <code>' . esc_html( add_query_arg( $param, $id, home_url( '/' ) ) ) . '</code></p>';
		if ( $a['coupons'] ) {
			$out .= '<p>' . esc_html__( 'Your coupon codes:', 'reftrail' ) . ' ' . esc_html( implode( ', ', $a['coupons'] ) ) . '</p>';
		}
		$out .= '<table><thead><tr><th>' . esc_html__( 'Currency', 'reftrail' ) . '</th><th>' . esc_html__( 'Pending', 'reftrail' ) . '</th><th>' . esc_html__( 'Approved', 'reftrail' ) . '</th><th>' . esc_html__( 'Paid', 'reftrail' ) . '</th></tr></thead><tbody>';
		foreach ( Reftrail_Ledger::balances( $id ) as $b ) {
			$out .= '<tr><td>' . esc_html( $b['currency'] ) . '</td><td>' . esc_html( Reftrail_Input::decimal( $b['pending'], $b['currency'] ) ) . '</td><td>' . esc_html( Reftrail_Input::decimal( $b['approved'], $b['currency'] ) ) . '</td><td>' . esc_html( Reftrail_Input::decimal( $b['paid'], $b['currency'] ) ) . '</td></tr>';
		}
		return $out . '</tbody></table></div>';
	}

	/**
	 * The registration form, and its handling on submit.
	 *
	 * @return string
	 */
	public static function register() {
		$user = wp_get_current_user();
		if ( ! $user->ID ) {
			return '<p class="reftrail-register">' . esc_html__( 'Sign in or create an account first, then apply here.', 'reftrail' ) . '</p>';
		}
		$msg = '';
		if ( isset( $_POST['reftrail_register'] ) ) {
			if ( ! isset( $_POST['_reftrail_nonce'] ) || ! wp_verify_nonce( sanitize_text_field( wp_unslash( $_POST['_reftrail_nonce'] ) ), 'reftrail_register' ) ) {
				$msg = __( 'The form expired; please try again.', 'reftrail' );
			} else {
				try {
					Reftrail_Affiliates::register(
						$user,
						sanitize_text_field( wp_unslash( $_POST['reftrail_id'] ?? '' ) ),
						sanitize_text_field( wp_unslash( $_POST['reftrail_name'] ?? '' ) ),
						sanitize_email( wp_unslash( $_POST['reftrail_payout'] ?? '' ) )
					);
					return '<p class="reftrail-register">' . esc_html__( 'Thank you! Your application is waiting for approval.', 'reftrail' ) . '</p>';
				} catch ( Reftrail_Http_Error $e ) {
					$msg = $e->getMessage();
				}
			}
		}
		if ( Reftrail_Affiliates::by_user( $user->ID ) ) {
			return '<p class="reftrail-register">' . esc_html__( 'You are already registered as an affiliate.', 'reftrail' ) . '</p>';
		}
		$out = '<form method="post" class="reftrail-register">';
		if ( '' !== $msg ) {
			$out .= '<p class="reftrail-error">' . esc_html( $msg ) . '</p>';
		}
		$out .= wp_nonce_field( 'reftrail_register', '_reftrail_nonce', true, false );
		$out .= '<p><label>' . esc_html__( 'Your affiliate id (letters, digits, . _ -)', 'reftrail' ) . '<br><input name="reftrail_id" required pattern="[A-Za-z0-9._-]{1,64}"></label></p>';
		$out .= '<p><label>' . esc_html__( 'Name', 'reftrail' ) . '<br><input name="reftrail_name" required maxlength="200" value="' . esc_attr( $user->display_name ) . '"></label></p>';
		$out .= '<p><label>' . esc_html__( 'PayPal email for payouts', 'reftrail' ) . '<br><input name="reftrail_payout" type="email"></label></p>';
		$out .= '<p><button type="submit" name="reftrail_register" value="1">' . esc_html__( 'Apply', 'reftrail' ) . '</button></p></form>';
		return $out;
	}
}
