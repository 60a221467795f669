<?php
/**
 * Plugin Name:       Reftrail
 * Plugin URI:        https://github.com/reftrail/reftrail
 * Description:       First-party affiliate tracking for your store: affiliate links, coupons, WooCommerce orders and refunds, commissions, payouts and an affiliate portal. Tracking survives page caches and keeps working where third-party scripts do not.
 * Version:           0.1.0
 * Requires at least: 6.1
 * Requires PHP:      8.1
 * Author:            Reftrail
 * License:           GPL-2.0-or-later
 * License URI:       https://www.gnu.org/licenses/gpl-2.0.html
 * Text Domain:       reftrail
 * Domain Path:       /languages
 * WC requires at least: 7.2
 * WC tested up to:   9.4
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

define( 'REFTRAIL_VERSION', '0.1.0' );
define( 'REFTRAIL_FILE', __FILE__ );
define( 'REFTRAIL_DIR', __DIR__ );

foreach ( array(
	'core/class-reftrail-cookie.php',
	'core/class-reftrail-attribution.php',
	'core/class-reftrail-models.php',
	'core/class-reftrail-commission.php',
	'core/class-reftrail-bank-transfer.php',
	'core/class-reftrail-withholding.php',
	'core/class-reftrail-bahttext.php',
	'class-reftrail-http-error.php',
	'class-reftrail-db.php',
	'class-reftrail-schema.php',
	'class-reftrail-keys.php',
	'class-reftrail-rules-shape.php',
	'class-reftrail-program.php',
	'class-reftrail-activity.php',
	'class-reftrail-creatives.php',
	'class-reftrail-short-links.php',
	'class-reftrail-bonuses.php',
	'class-reftrail-payout-requests.php',
	'class-reftrail-recruiters.php',
	'class-reftrail-affiliates.php',
	'class-reftrail-affiliates-csv.php',
	'class-reftrail-affiliatewp.php',
	'class-reftrail-woocommerce-coupons.php',
	'class-reftrail-woocommerce-coupon-template.php',
	'class-reftrail-applications.php',
	'class-reftrail-ledger.php',
	'class-reftrail-tracking.php',
	'class-reftrail-credit.php',
	'class-reftrail-reports.php',
	'class-reftrail-sessions.php',
	'class-reftrail-webhooks.php',
	'class-reftrail-postbacks.php',
	'class-reftrail-deliveries.php',
	'class-reftrail-affiliate-mail.php',
	'class-reftrail-outbox.php',
	'class-reftrail-retention.php',
	'class-reftrail-openapi.php',
	'class-reftrail-privacy.php',
	'rest/class-reftrail-rest-controller.php',
	'rest/class-reftrail-rest-tracking-controller.php',
	'rest/class-reftrail-rest-merchant-controllers.php',
	'rest/class-reftrail-rest-account-controllers.php',
	'rest/class-reftrail-rest-creatives-controller.php',
	'rest/class-reftrail-rest-short-links-controller.php',
	'rest/class-reftrail-rest-postbacks-controller.php',
	'rest/class-reftrail-rest-deliveries-controller.php',
	'rest/class-reftrail-rest-bonuses-controller.php',
	'rest/class-reftrail-rest-payout-requests-controller.php',
	'rest/class-reftrail-rest-recruiters-controller.php',
	'rest/class-reftrail-rest-portal-controller.php',
	'rest/class-reftrail-rest-activity-controller.php',
	'rest/class-reftrail-rest-privacy-controller.php',
	'rest/class-reftrail-rest-migrations-controller.php',
	'rest/class-reftrail-rest-woocommerce-coupons-controller.php',
	'class-reftrail-rest.php',
	'class-reftrail-frontend.php',
	'class-reftrail-woocommerce.php',
	'class-reftrail-registration.php',
	'class-reftrail-admin.php',
	'class-reftrail-shortcodes.php',
	'class-reftrail-portal.php',
	'class-reftrail-privacy-tools.php',
) as $reftrail_file ) {
	require_once REFTRAIL_DIR . '/includes/' . $reftrail_file;
}
unset( $reftrail_file );

register_activation_hook( __FILE__, array( 'Reftrail_Plugin', 'activate' ) );
register_deactivation_hook( __FILE__, array( 'Reftrail_Plugin', 'deactivate' ) );

/**
 * Boots the plugin.
 */
final class Reftrail_Plugin {

	/**
	 * The hourly jobs: approval of referrals whose hold ended, removal of old click details, a
	 * sweep of the emails to affiliates that are due (each one is also asked for when queued), and
	 * removal of the outboxes' rows finished long ago.
	 */
	const HOURLY = array( 'reftrail_approve_due', Reftrail_Retention::CRON, Reftrail_Affiliate_Mail::SWEEP, Reftrail_Outbox::CRON );

	/**
	 * Hooks everything.
	 */
	public static function boot() {
		Reftrail_Schema::maybe_upgrade();
		Reftrail_REST::maybe_answer_click_early();
		Reftrail_REST::init();
		Reftrail_Frontend::init();
		Reftrail_WooCommerce::init();
		Reftrail_Registration::init();
		Reftrail_Admin::init();
		Reftrail_Shortcodes::init();
		Reftrail_Portal::init();
		Reftrail_Short_Links::init();
		Reftrail_Webhooks::init();
		Reftrail_Postbacks::init();
		Reftrail_Affiliate_Mail::init();
		Reftrail_WooCommerce_Coupon_Template::init();
		Reftrail_Retention::init();
		Reftrail_Outbox::init();
		Reftrail_Privacy_Tools::init();
		// Before the blocks are registered at `init` (their block.json titles are translated then).
		add_action( 'init', array( __CLASS__, 'load_textdomain' ), 1 );
		add_action( 'reftrail_approve_due', array( 'Reftrail_Ledger', 'approve_due' ) );
		add_action( 'init', array( __CLASS__, 'schedule' ) );
	}

	/**
	 * Translations (`languages/reftrail-<locale>.mo`).
	 */
	public static function load_textdomain() {
		load_plugin_textdomain( 'reftrail', false, dirname( plugin_basename( REFTRAIL_FILE ) ) . '/languages' );
	}

	/**
	 * Activation: tables, role, keys (Reftrail_Schema), and the hourly jobs.
	 */
	public static function activate() {
		Reftrail_Schema::activate();
		self::schedule();
	}

	/**
	 * Schedules the hourly jobs that are missing (at activation, and at `init` in case the cron
	 * list lost them; a look-up in an option WordPress has already loaded).
	 */
	public static function schedule() {
		foreach ( self::HOURLY as $hook ) {
			if ( ! wp_next_scheduled( $hook ) ) {
				wp_schedule_event( time() + 60, 'hourly', $hook );
			}
		}
	}

	/**
	 * Clears every scheduled job of the plugin.
	 */
	public static function unschedule() {
		foreach ( array_merge( self::HOURLY, array( Reftrail_Webhooks::CRON, Reftrail_Affiliate_Mail::CRON ) ) as $hook ) {
			wp_clear_scheduled_hook( $hook );
		}
	}

	/**
	 * Deactivation: stops the schedule, and the site's own `/go/{code}` goes (the rewrite rules
	 * are rebuilt without it by the next request); data stays.
	 */
	public static function deactivate() {
		self::unschedule();
		delete_option( 'rewrite_rules' );
	}
}

Reftrail_Plugin::boot();
