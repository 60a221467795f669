<?php
/**
 * A lead when a visitor creates an account (opt-in: Reftrail > Settings > Sign-ups), through
 * WordPress's own `user_register`, so a WooCommerce account made at checkout and a sign-up on
 * wp-login.php both count. It is credited from the request's own cookies, as a checkout is, and
 * keeps the customer (their user id, which WooCommerce orders carry as the customer id, and their
 * email), so the program's cross-device matching can credit their later orders on any device.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * Sign-ups.
 */
final class Reftrail_Registration {

	/**
	 * Hooks.
	 */
	public static function init() {
		add_action( 'user_register', array( __CLASS__, 'registered' ), 10, 1 );
	}

	/**
	 * Records the sign-up of `$user_id` as a verified lead, when the setting is on and the
	 * account is the visitor's own (not one an administrator creates for someone, nor the one an
	 * affiliate application makes).
	 *
	 * @param int $user_id The new user.
	 */
	public static function registered( $user_id ) {
		// An affiliate's account made by their application is no customer's sign-up.
		if ( empty( Reftrail_Settings::get()['lead_on_registration'] ) || current_user_can( 'create_users' ) || Reftrail_Applications::creating_user() ) {
			return;
		}
		$user = get_userdata( $user_id );
		if ( ! $user ) {
			return;
		}
		$body = array(
			'event'       => 'signup',
			'customer_id' => (string) $user_id,
		);
		if ( null !== Reftrail_Tracking::email_hash( (string) $user->user_email ) ) {
			$body['email'] = (string) $user->user_email;
		}
		$seen = Reftrail_Tracking::request_attribution();
		if ( null !== $seen['touch'] ) {
			$body['touch'] = array_diff_key( $seen['touch'], array( 'click_id' => 1 ) );
			if ( isset( $seen['touch']['click_id'] ) ) {
				$body['click_id'] = $seen['touch']['click_id'];
			}
		}
		try {
			Reftrail_Tracking::lead(
				$body,
				array(
					'verified'     => true,
					'cookie_click' => $seen['cookie_click'],
					'user_agent'   => isset( $_SERVER['HTTP_USER_AGENT'] ) ? sanitize_text_field( wp_unslash( $_SERVER['HTTP_USER_AGENT'] ) ) : '',
				)
			);
		} catch ( Reftrail_Http_Error $e ) {
			// A sign-up never fails because of the affiliate program; the lead is simply not kept.
			return;
		}
	}
}
