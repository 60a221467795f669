<?php
/**
 * wp-admin: the Reftrail menu for users with `manage_reftrail`: the dashboard (a mount point for
 * the merchant dashboard of `www/dashboard/`, pointed at this site's REST routes), affiliates
 * (list and add), referrals (review: approve or reject), and settings (Settings API; keys).
 * Every form carries a nonce and every value shown is escaped.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * Admin pages.
 */
final class Reftrail_Admin {

	/** Menu slug. */
	const SLUG = 'reftrail';

	/**
	 * Hooks.
	 */
	public static function init() {
		add_action( 'admin_menu', array( __CLASS__, 'menu' ) );
		add_action( 'admin_init', array( __CLASS__, 'settings' ) );
		add_action( 'admin_post_reftrail_add_affiliate', array( __CLASS__, 'handle_add_affiliate' ) );
		add_action( 'admin_post_reftrail_review', array( __CLASS__, 'handle_review' ) );
		add_action( 'admin_post_reftrail_affiliate_status', array( __CLASS__, 'handle_affiliate_status' ) );
		add_action( 'admin_post_reftrail_secret_key', array( __CLASS__, 'handle_secret_key' ) );
		add_action( 'admin_enqueue_scripts', array( __CLASS__, 'enqueue' ) );
	}

	/**
	 * On the dashboard page, WordPress's media modal (`wp.media`): the dashboard's creatives pick
	 * their banner from the Media Library with it.
	 *
	 * @param string $hook The admin page's hook suffix.
	 */
	public static function enqueue( $hook ) {
		if ( 'toplevel_page_' . self::SLUG === $hook && current_user_can( Reftrail_Schema::CAP ) ) {
			wp_enqueue_media();
		}
	}

	/**
	 * How many decisions wait for the merchant: pending referrals that are flagged or unverified
	 * (every pending one where the program approves nothing by itself), and affiliates'
	 * applications. The dashboard's overview lists them.
	 *
	 * @return int
	 */
	public static function waiting() {
		global $wpdb;
		$referrals  = Reftrail_Db::table( 'referrals' );
		$affiliates = Reftrail_Db::table( 'affiliates' );
		$program    = Reftrail_Program::get();
		// Verified, unflagged ones wait only for their hold period when approval is automatic.
		$which = $program['auto_approve'] ? " AND (flags <> '[]' OR verified = 0)" : '';
		$n     = (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$referrals} WHERE status = 'pending'{$which}" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name and the condition are ours.
		return $n + (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$affiliates} WHERE status = 'pending'" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
	}

	/**
	 * The menu. Its title carries the count of decisions waiting, as WordPress shows comments
	 * awaiting moderation.
	 */
	public static function menu() {
		$title = __( 'Reftrail', 'reftrail' );
		$n     = current_user_can( Reftrail_Schema::CAP ) ? self::waiting() : 0;
		if ( $n > 0 ) {
			$title .= sprintf(
				' <span class="awaiting-mod count-%1$d"><span class="pending-count" aria-hidden="true">%2$s</span><span class="screen-reader-text">%3$s</span></span>',
				$n,
				esc_html( number_format_i18n( $n ) ),
				/* translators: %s: how many referrals and applications wait for a decision */
				esc_html( sprintf( __( 'Decisions waiting: %s', 'reftrail' ), number_format_i18n( $n ) ) )
			);
		}
		add_menu_page( __( 'Reftrail', 'reftrail' ), $title, Reftrail_Schema::CAP, self::SLUG, array( __CLASS__, 'page_dashboard' ), 'dashicons-share', 56 );
		add_submenu_page( self::SLUG, __( 'Dashboard', 'reftrail' ), __( 'Dashboard', 'reftrail' ), Reftrail_Schema::CAP, self::SLUG, array( __CLASS__, 'page_dashboard' ) );
		add_submenu_page( self::SLUG, __( 'Affiliates', 'reftrail' ), __( 'Affiliates', 'reftrail' ), Reftrail_Schema::CAP, 'reftrail-affiliates', array( __CLASS__, 'page_affiliates' ) );
		add_submenu_page( self::SLUG, __( 'Referrals', 'reftrail' ), __( 'Referrals', 'reftrail' ), Reftrail_Schema::CAP, 'reftrail-referrals', array( __CLASS__, 'page_referrals' ) );
		add_submenu_page( self::SLUG, __( 'Settings', 'reftrail' ), __( 'Settings', 'reftrail' ), Reftrail_Schema::CAP, 'reftrail-settings', array( __CLASS__, 'page_settings' ) );
	}

	/**
	 * Settings API registration.
	 */
	public static function settings() {
		register_setting(
			'reftrail',
			Reftrail_Settings::OPTION,
			array(
				'type'              => 'array',
				'sanitize_callback' => array( 'Reftrail_Settings', 'sanitize' ),
				'default'           => Reftrail_Settings::get(),
			)
		);
		add_settings_section( 'reftrail_tracking', __( 'Tracking', 'reftrail' ), '__return_false', 'reftrail-settings' );
		add_settings_field( 'consent_default', __( 'Consent before the visitor chooses', 'reftrail' ), array( __CLASS__, 'field_consent' ), 'reftrail-settings', 'reftrail_tracking' );
		add_settings_field( 'honour_gpc', __( 'Global Privacy Control', 'reftrail' ), array( __CLASS__, 'field_gpc' ), 'reftrail-settings', 'reftrail_tracking' );
		add_settings_field( 'decorate', __( 'Other domains of the shop', 'reftrail' ), array( __CLASS__, 'field_decorate' ), 'reftrail-settings', 'reftrail_tracking' );
		add_settings_field( 'lead_on_registration', __( 'Sign-ups', 'reftrail' ), array( __CLASS__, 'field_registration' ), 'reftrail-settings', 'reftrail_tracking' );
		add_settings_section( 'reftrail_emails', __( 'Emails', 'reftrail' ), '__return_false', 'reftrail-settings' );
		add_settings_field( 'notify_applications', __( 'Affiliate applications', 'reftrail' ), array( __CLASS__, 'field_applications' ), 'reftrail-settings', 'reftrail_emails' );
		add_settings_field( 'notify_flagged', __( 'Flagged referrals', 'reftrail' ), array( __CLASS__, 'field_flagged' ), 'reftrail-settings', 'reftrail_emails' );
		add_settings_field( 'notify_deliveries', __( 'Failed deliveries', 'reftrail' ), array( __CLASS__, 'field_deliveries' ), 'reftrail-settings', 'reftrail_emails' );
		add_settings_field( 'notify_payout_requests', __( 'Payout requests', 'reftrail' ), array( __CLASS__, 'field_payout_requests' ), 'reftrail-settings', 'reftrail_emails' );
		add_settings_section( 'reftrail_data', __( 'Data', 'reftrail' ), '__return_false', 'reftrail-settings' );
		add_settings_field( 'delete_data', __( 'Delete data on uninstall', 'reftrail' ), array( __CLASS__, 'field_delete' ), 'reftrail-settings', 'reftrail_data' );
	}

	/**
	 * Consent field.
	 */
	public static function field_consent() {
		$v = Reftrail_Settings::get()['consent_default'];
		echo '<select name="' . esc_attr( Reftrail_Settings::OPTION ) . '[consent_default]">';
		foreach ( array(
			'granted' => __( 'Granted (no consent banner needed)', 'reftrail' ),
			'pending' => __( 'Pending until the visitor agrees', 'reftrail' ),
			'denied'  => __( 'Denied', 'reftrail' ),
		) as $k => $label ) {
			echo '<option value="' . esc_attr( $k ) . '"' . selected( $v, $k, false ) . '>' . esc_html( $label ) . '</option>';
		}
		echo '</select><p class="description">' . esc_html__( 'When the WP Consent API plugin is active, its marketing category decides instead.', 'reftrail' ) . ' ' . esc_html__( 'A consent banner that uses Google Consent Mode (ad_storage) is followed as well.', 'reftrail' ) . '</p>';
	}

	/**
	 * GPC field.
	 */
	public static function field_gpc() {
		echo '<label><input type="checkbox" name="' . esc_attr( Reftrail_Settings::OPTION ) . '[honour_gpc]" value="1"' . checked( Reftrail_Settings::get()['honour_gpc'], true, false ) . '> ' . esc_html__( 'Honour the browser\'s Global Privacy Control signal', 'reftrail' ) . '</label>';
	}

	/**
	 * Decorate field.
	 */
	public static function field_decorate() {
		echo '<input type="text" class="regular-text" name="' . esc_attr( Reftrail_Settings::OPTION ) . '[decorate]" value="' . esc_attr( Reftrail_Settings::get()['decorate'] ) . '" placeholder="pay.example.com">';
		echo '<p class="description">' . esc_html__( 'Comma-separated hosts whose links carry the referral across domains.', 'reftrail' ) . '</p>';
	}

	/**
	 * Lead-on-registration field.
	 */
	public static function field_registration() {
		echo '<label><input type="checkbox" name="' . esc_attr( Reftrail_Settings::OPTION ) . '[lead_on_registration]" value="1"' . checked( Reftrail_Settings::get()['lead_on_registration'], true, false ) . '> ' . esc_html__( 'Record a lead when a visitor creates an account', 'reftrail' ) . '</label>';
		echo '<p class="description">' . esc_html__( 'Credited to the affiliate who brought the visitor, and paid at the program\'s lead rate. With cross-device matching on, the customer\'s later orders on any device are credited too.', 'reftrail' ) . '</p>';
	}

	/**
	 * Application-email field.
	 */
	public static function field_applications() {
		echo '<label><input type="checkbox" name="' . esc_attr( Reftrail_Settings::OPTION ) . '[notify_applications]" value="1"' . checked( Reftrail_Settings::get()['notify_applications'], true, false ) . '> ' . esc_html__( 'Email me about new affiliate applications', 'reftrail' ) . '</label>';
		/* translators: %s: the site's administration email address. */
		echo '<p class="description">' . esc_html( sprintf( __( 'Sent to %s (Settings > General) when someone applies through the sign-up form or block, with a link to review the application.', 'reftrail' ), (string) get_option( 'admin_email' ) ) ) . '</p>';
	}

	/**
	 * Flagged-referral email field.
	 */
	public static function field_flagged() {
		echo '<label><input type="checkbox" name="' . esc_attr( Reftrail_Settings::OPTION ) . '[notify_flagged]" value="1"' . checked( Reftrail_Settings::get()['notify_flagged'], true, false ) . '> ' . esc_html__( 'Email me about referrals flagged for review', 'reftrail' ) . '</label>';
		/* translators: %s: the site's administration email address. */
		echo '<p class="description">' . esc_html( sprintf( __( 'Sent to %s (Settings > General) when a new referral is flagged for review (a self-referral, a bot, too many clicks from one address, an unusual conversion rate), with a link to review it.', 'reftrail' ), (string) get_option( 'admin_email' ) ) ) . '</p>';
	}

	/**
	 * Failed-delivery email field.
	 */
	public static function field_deliveries() {
		echo '<label><input type="checkbox" name="' . esc_attr( Reftrail_Settings::OPTION ) . '[notify_deliveries]" value="1"' . checked( Reftrail_Settings::get()['notify_deliveries'], true, false ) . '> ' . esc_html__( 'Email me when a webhook event or an affiliate\'s postback is given up', 'reftrail' ) . '</label>';
		/* translators: %s: the site's administration email address. */
		echo '<p class="description">' . esc_html( sprintf( __( 'Sent to %s (Settings > General) when a request to one of your webhook endpoints or to an affiliate\'s tracker failed all its 12 attempts, once a day per address while it keeps failing, with a link to send them again.', 'reftrail' ), (string) get_option( 'admin_email' ) ) ) . '</p>';
	}

	/**
	 * Payout-request email field.
	 */
	public static function field_payout_requests() {
		echo '<label><input type="checkbox" name="' . esc_attr( Reftrail_Settings::OPTION ) . '[notify_payout_requests]" value="1"' . checked( Reftrail_Settings::get()['notify_payout_requests'], true, false ) . '> ' . esc_html__( 'Email me when an affiliate asks to be paid', 'reftrail' ) . '</label>';
		/* translators: %s: the site's administration email address. */
		echo '<p class="description">' . esc_html( sprintf( __( 'Sent to %s (Settings > General) when an affiliate asks in their portal to be paid their approved balance, with a link to pay or decline the request.', 'reftrail' ), (string) get_option( 'admin_email' ) ) ) . '</p>';
	}

	/**
	 * Delete-data field.
	 */
	public static function field_delete() {
		echo '<label><input type="checkbox" name="' . esc_attr( Reftrail_Settings::OPTION ) . '[delete_data]" value="1"' . checked( Reftrail_Settings::get()['delete_data'], true, false ) . '> ' . esc_html__( 'Remove affiliates, referrals and settings when the plugin is deleted', 'reftrail' ) . '</label>';
	}

	/**
	 * Stops a request without the capability.
	 */
	private static function require_cap() {
		if ( ! current_user_can( Reftrail_Schema::CAP ) ) {
			wp_die( esc_html__( 'You are not allowed to manage the affiliate program.', 'reftrail' ), 403 );
		}
	}

	/**
	 * The signed-in user as the activity log names who made a change (`user:<login>`).
	 *
	 * @return string
	 */
	private static function by() {
		return Reftrail_Activity::by_user( wp_get_current_user() );
	}

	/**
	 * Money for people: `12.50 USD`.
	 *
	 * @param int    $amount   Minor units.
	 * @param string $currency Code.
	 * @return string
	 */
	private static function money( $amount, $currency ) {
		return Reftrail_Input::decimal( (int) $amount, $currency ) . ' ' . $currency;
	}

	/**
	 * The dashboard: the merchant dashboard of `www/dashboard/` (shipped in the plugin's `www/`)
	 * talking to this site's REST routes with the user's WordPress login and REST nonce; without
	 * those files, the figures of the last 30 days rendered here. `reftrail_admin_dashboard` fires
	 * with the configuration either way.
	 */
	public static function page_dashboard() {
		self::require_cap();
		$config = array(
			'apiBase' => untrailingslashit( rest_url( 'reftrail' ) ),
			'headers' => array( 'X-WP-Nonce' => wp_create_nonce( 'wp_rest' ) ),
			// The plugin prints the tracker's tag itself: the dashboard has nothing to paste.
			'tracker' => 'plugin',
		);
		echo '<div class="wrap reftrail-admin">';
		if ( is_file( REFTRAIL_DIR . '/www/dashboard/app.js' ) ) {
			$base = plugins_url( 'www/', REFTRAIL_FILE );
			echo '<link rel="stylesheet" href="' . esc_url( $base . 'shared/ui.css?ver=' . REFTRAIL_VERSION ) . '">';
			echo '<link rel="stylesheet" href="' . esc_url( $base . 'dashboard/dashboard.css?ver=' . REFTRAIL_VERSION ) . '">';
			echo '<div id="reftrail-dashboard"><header class="bar" id="top"><span class="brand">' . esc_html__( 'Reftrail', 'reftrail' ) . '</span></header>';
			echo '<main id="main" tabindex="-1"><div class="state state-loading" role="status">' . esc_html__( 'Loading…', 'reftrail' ) . '</div></main></div>';
			wp_print_inline_script_tag( 'window.REFTRAIL_PAGES = ' . wp_json_encode( $config ) . ';', array( 'id' => 'reftrail-dashboard-config' ) );
			wp_print_script_tag(
				array(
					'type' => 'module',
					'src'  => $base . 'dashboard/app.js?ver=' . REFTRAIL_VERSION,
					'id'   => 'reftrail-dashboard-app',
				)
			);
			self::recent_clicks();
		} else {
			self::summary();
		}
		do_action( 'reftrail_admin_dashboard', $config );
		echo '</div>';
	}

	/**
	 * The figures of the last 30 days and the recent clicks, rendered on the server.
	 */
	private static function summary() {
		list( $from, $to ) = Reftrail_Input::range( null, null );
		$s                 = Reftrail_Reports::summary( $from, $to );
		echo '<h1>' . esc_html__( 'Affiliate program', 'reftrail' ) . '</h1>';
		echo '<table class="widefat striped" style="max-width:40em"><tbody>';
		$rows = array(
			__( 'Clicks (30 days)', 'reftrail' )  => (string) $s['kpis']['clicks'],
			__( 'Unique visitors', 'reftrail' )   => (string) $s['kpis']['unique_visitors'],
			__( 'Sales (net)', 'reftrail' )       => (string) $s['kpis']['sales']['net'],
			__( 'Active affiliates', 'reftrail' ) => $s['affiliates_active'] . ' / ' . $s['affiliates_approved'],
		);
		foreach ( $s['kpis']['money'] as $m ) {
			/* translators: %s: currency code */
			$rows[ sprintf( __( 'Revenue (net, %s)', 'reftrail' ), $m['currency'] ) ] = self::money( $m['revenue_net'], $m['currency'] );
			/* translators: %s: currency code */
			$rows[ sprintf( __( 'Commissions (%s)', 'reftrail' ), $m['currency'] ) ] = self::money( $m['commissions'], $m['currency'] );
		}
		foreach ( $rows as $k => $v ) {
			echo '<tr><th>' . esc_html( $k ) . '</th><td>' . esc_html( $v ) . '</td></tr>';
		}
		echo '</tbody></table>';
		self::recent_clicks();
	}

	/**
	 * The last clicks: affiliate, landing page, campaign and referrer, as the visitors sent them
	 * (so every one is escaped).
	 */
	private static function recent_clicks() {
		global $wpdb;
		$t    = Reftrail_Db::table( 'clicks' );
		$rows = $wpdb->get_results( $wpdb->prepare( "SELECT affiliate_id, at, url, landing, referrer, campaign, is_bot FROM {$t} ORDER BY at DESC, id DESC LIMIT %d", 20 ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		echo '<h2>' . esc_html__( 'Recent clicks', 'reftrail' ) . '</h2><table class="widefat striped"><thead><tr><th>' . esc_html__( 'When', 'reftrail' ) . '</th><th>' . esc_html__( 'Affiliate', 'reftrail' ) . '</th><th>' . esc_html__( 'Landing page', 'reftrail' ) . '</th><th>' . esc_html__( 'Campaign', 'reftrail' ) . '</th><th>' . esc_html__( 'Referrer', 'reftrail' ) . '</th></tr></thead><tbody>';
		foreach ( $rows as $r ) {
			$campaign = Reftrail_Tracking::campaign_name( $r['campaign'] );
			echo '<tr><td>' . esc_html( Reftrail_Db::rfc3339( $r['at'] ) ) . '</td><td>' . esc_html( (string) $r['affiliate_id'] ) . ( $r['is_bot'] ? ' (' . esc_html__( 'bot', 'reftrail' ) . ')' : '' ) . '</td><td>' . esc_html( (string) ( $r['landing'] ?? $r['url'] ) ) . '</td><td>' . esc_html( (string) $campaign ) . '</td><td>' . esc_html( $r['referrer'] ) . '</td></tr>';
		}
		echo '</tbody></table>';
	}

	/**
	 * Affiliates: the list (with who recruited each, whose share of their commissions the program
	 * pays) and the add form.
	 */
	public static function page_affiliates() {
		self::require_cap();
		$list = Reftrail_Affiliates::index( '', '', 500, 0 );
		echo '<div class="wrap"><h1>' . esc_html__( 'Affiliates', 'reftrail' ) . '</h1>';
		self::notice();
		echo '<table class="widefat striped"><thead><tr><th>' . esc_html__( 'Id', 'reftrail' ) . '</th><th>' . esc_html__( 'Name', 'reftrail' ) . '</th><th>' . esc_html__( 'Email', 'reftrail' ) . '</th><th>' . esc_html__( 'Category', 'reftrail' ) . '</th><th>' . esc_html__( 'Status', 'reftrail' ) . '</th><th>' . esc_html__( 'Coupons', 'reftrail' ) . '</th><th>' . esc_html__( 'Recruited by', 'reftrail' ) . '</th><th>' . esc_html__( 'Link', 'reftrail' ) . '</th><th></th></tr></thead><tbody>';
		$param = Reftrail_Program::get()['params'][0] ?? 'ref';
		foreach ( $list['affiliates'] as $a ) {
			$link = add_query_arg( $param, $a['id'], home_url( '/' ) );
			echo '<tr><td>' . esc_html( $a['id'] ) . '</td><td>' . esc_html( $a['name'] ) . '</td><td>' . esc_html( (string) $a['email'] ) . '</td><td>' . esc_html( $a['category'] ) . '</td><td>' . esc_html( $a['status'] ) . '</td><td>' . esc_html( implode( ', ', $a['coupons'] ) ) . '</td><td>' . esc_html( (string) $a['recruiter'] ) . '</td><td><code>' . esc_html( $link ) . '</code></td><td>';
			echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '" style="display:inline">';
			wp_nonce_field( 'reftrail_affiliate_status_' . $a['id'] );
			echo '<input type="hidden" name="action" value="reftrail_affiliate_status"><input type="hidden" name="affiliate" value="' . esc_attr( $a['id'] ) . '">';
			if ( 'approved' !== $a['status'] ) {
				echo '<button class="button" name="status" value="approved">' . esc_html__( 'Approve', 'reftrail' ) . '</button> ';
			}
			if ( 'suspended' !== $a['status'] ) {
				echo '<button class="button" name="status" value="suspended">' . esc_html__( 'Suspend', 'reftrail' ) . '</button>';
			}
			echo '</form></td></tr>';
		}
		echo '</tbody></table>';
		echo '<h2>' . esc_html__( 'Add an affiliate', 'reftrail' ) . '</h2>';
		echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '">';
		wp_nonce_field( 'reftrail_add_affiliate' );
		echo '<input type="hidden" name="action" value="reftrail_add_affiliate"><table class="form-table">';
		echo '<tr><th><label for="rt-id">' . esc_html__( 'Id (used in links)', 'reftrail' ) . '</label></th><td><input id="rt-id" name="id" required pattern="[A-Za-z0-9._-]{1,64}"></td></tr>';
		echo '<tr><th><label for="rt-name">' . esc_html__( 'Name', 'reftrail' ) . '</label></th><td><input id="rt-name" name="name" required maxlength="200"></td></tr>';
		echo '<tr><th><label for="rt-email">' . esc_html__( 'Email', 'reftrail' ) . '</label></th><td><input id="rt-email" name="email" type="email"></td></tr>';
		echo '<tr><th><label for="rt-cat">' . esc_html__( 'Category', 'reftrail' ) . '</label></th><td><select id="rt-cat" name="category">';
		foreach ( Reftrail_Affiliates::CATEGORIES as $c ) {
			echo '<option value="' . esc_attr( $c ) . '">' . esc_html( $c ) . '</option>';
		}
		echo '</select></td></tr><tr><th><label for="rt-coupons">' . esc_html__( 'Coupon codes', 'reftrail' ) . '</label></th><td><input id="rt-coupons" name="coupons" placeholder="ALICE10, ALICE20"></td></tr></table>';
		submit_button( __( 'Add affiliate', 'reftrail' ) );
		echo '</form></div>';
	}

	/**
	 * The add-affiliate form's handler.
	 */
	public static function handle_add_affiliate() {
		self::require_cap();
		check_admin_referer( 'reftrail_add_affiliate' );
		$body = array(
			'id'       => sanitize_text_field( wp_unslash( $_POST['id'] ?? '' ) ),
			'name'     => sanitize_text_field( wp_unslash( $_POST['name'] ?? '' ) ),
			'category' => sanitize_key( wp_unslash( $_POST['category'] ?? 'other' ) ),
		);
		$email = sanitize_email( wp_unslash( $_POST['email'] ?? '' ) );
		if ( '' !== $email ) {
			$body['email'] = $email;
		}
		$coupons = array_filter( array_map( 'trim', explode( ',', sanitize_text_field( wp_unslash( $_POST['coupons'] ?? '' ) ) ) ) );
		if ( $coupons ) {
			$body['coupons'] = array_values( $coupons );
		}
		try {
			Reftrail_Affiliates::create( $body, self::by() );
			$msg = 'added';
		} catch ( Reftrail_Http_Error $e ) {
			$msg = $e->error_code;
		}
		wp_safe_redirect( add_query_arg( 'reftrail_msg', rawurlencode( $msg ), admin_url( 'admin.php?page=reftrail-affiliates' ) ) );
		exit;
	}

	/**
	 * The approve/suspend form's handler (applications from [reftrail_register] wait here).
	 */
	public static function handle_affiliate_status() {
		self::require_cap();
		$id = sanitize_text_field( wp_unslash( $_POST['affiliate'] ?? '' ) );
		check_admin_referer( 'reftrail_affiliate_status_' . $id );
		$status = sanitize_key( wp_unslash( $_POST['status'] ?? '' ) );
		try {
			Reftrail_Affiliates::update( $id, array( 'status' => $status ), self::by() );
			$msg = 'approved' === $status ? 'approved' : 'suspended';
		} catch ( Reftrail_Http_Error $e ) {
			$msg = $e->error_code;
		}
		wp_safe_redirect( add_query_arg( 'reftrail_msg', rawurlencode( $msg ), admin_url( 'admin.php?page=reftrail-affiliates' ) ) );
		exit;
	}

	/**
	 * Where the application of affiliate `$id` is reviewed: the dashboard's affiliates with their
	 * details open above the pending applications (each with its Approve button), or the
	 * Affiliates page's list when the dashboard is not shipped.
	 *
	 * @param string $id Affiliate.
	 * @return string
	 */
	public static function review_url( $id ) {
		if ( is_file( REFTRAIL_DIR . '/www/dashboard/app.js' ) ) {
			return admin_url( 'admin.php?page=' . self::SLUG ) . '#/affiliates?status=pending&id=' . rawurlencode( $id );
		}
		return admin_url( 'admin.php?page=reftrail-affiliates' );
	}

	/**
	 * Where the flagged referrals of affiliate `$id` are reviewed: the dashboard's referrals,
	 * filtered to that affiliate's flagged ones, or the Referrals page when the dashboard is not
	 * shipped.
	 *
	 * @param string $id Affiliate.
	 * @return string
	 */
	public static function flagged_url( $id ) {
		if ( is_file( REFTRAIL_DIR . '/www/dashboard/app.js' ) ) {
			return admin_url( 'admin.php?page=' . self::SLUG ) . '#/referrals?flagged=true&affiliate=' . rawurlencode( $id );
		}
		return admin_url( 'admin.php?page=reftrail-referrals' );
	}

	/**
	 * Where the deliveries given up are listed and sent again: the dashboard's deliveries,
	 * filtered to those, or the dashboard's page when the dashboard is not shipped.
	 *
	 * @return string
	 */
	public static function deliveries_url() {
		$page = admin_url( 'admin.php?page=' . self::SLUG );
		return is_file( REFTRAIL_DIR . '/www/dashboard/app.js' ) ? $page . '#/deliveries?status=failed' : $page;
	}

	/**
	 * Where affiliates' payout requests are paid or declined: the dashboard's payouts, or the
	 * dashboard's page when the dashboard is not shipped.
	 *
	 * @return string
	 */
	public static function payouts_url() {
		$page = admin_url( 'admin.php?page=' . self::SLUG );
		return is_file( REFTRAIL_DIR . '/www/dashboard/app.js' ) ? $page . '#/payouts' : $page;
	}

	/**
	 * Shows the outcome of the last form.
	 */
	private static function notice() {
		if ( ! isset( $_GET['reftrail_msg'] ) ) { // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- display only.
			return;
		}
		$msg = sanitize_key( wp_unslash( $_GET['reftrail_msg'] ) ); // phpcs:ignore WordPress.Security.NonceVerification.Recommended
		$ok  = in_array( $msg, array( 'added', 'approved', 'rejected', 'suspended' ), true );
		/* translators: %s: result code */
		echo '<div class="notice notice-' . ( $ok ? 'success' : 'error' ) . '"><p>' . esc_html( $ok ? __( 'Done.', 'reftrail' ) : sprintf( __( 'Not done: %s', 'reftrail' ), $msg ) ) . '</p></div>';
	}

	/**
	 * Referrals: the ledger with approve and reject buttons.
	 */
	public static function page_referrals() {
		self::require_cap();
		Reftrail_Ledger::approve_due();
		// `&affiliate=<id>` narrows the list to one affiliate (a link from their row elsewhere);
		// anything that is not an affiliate id shows every referral.
		$affiliate = sanitize_text_field( wp_unslash( $_GET['affiliate'] ?? '' ) ); // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- a read-only filter.
		if ( ! preg_match( '/^[A-Za-z0-9._-]{1,64}$/', $affiliate ) ) {
			$affiliate = '';
		}
		$rows = Reftrail_Ledger::index(
			array(
				'status'    => '',
				'affiliate' => $affiliate,
				'flagged'   => null,
				'verified'  => null,
				'from'      => 0,
				'to'        => PHP_INT_MAX,
				'limit'     => 200,
				'offset'    => 0,
			)
		);
		echo '<div class="wrap"><h1>' . esc_html__( 'Referrals', 'reftrail' ) . '</h1>';
		self::notice();
		echo '<table class="widefat striped"><thead><tr><th>' . esc_html__( 'When', 'reftrail' ) . '</th><th>' . esc_html__( 'Affiliate', 'reftrail' ) . '</th><th>' . esc_html__( 'Order or lead', 'reftrail' ) . '</th><th>' . esc_html__( 'Amount', 'reftrail' ) . '</th><th>' . esc_html__( 'Commission', 'reftrail' ) . '</th><th>' . esc_html__( 'Status', 'reftrail' ) . '</th><th>' . esc_html__( 'Flags', 'reftrail' ) . '</th><th></th></tr></thead><tbody>';
		foreach ( $rows as $r ) {
			echo '<tr><td>' . esc_html( $r['at'] ) . '</td><td>' . esc_html( $r['affiliate'] ) . '</td><td>' . esc_html( (string) ( $r['order_id'] ?? $r['event'] ) ) . '</td><td>' . esc_html( self::money( $r['amount'], $r['currency'] ) ) . '</td><td>' . esc_html( self::money( $r['commission_net'], $r['currency'] ) ) . '</td><td>' . esc_html( $r['status'] ) . '</td><td>' . esc_html( implode( ', ', $r['flags'] ) ) . '</td><td>';
			if ( in_array( $r['status'], array( 'pending', 'approved' ), true ) ) {
				echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '" style="display:inline">';
				wp_nonce_field( 'reftrail_review_' . $r['id'] );
				echo '<input type="hidden" name="action" value="reftrail_review"><input type="hidden" name="referral" value="' . esc_attr( $r['id'] ) . '">';
				if ( 'pending' === $r['status'] ) {
					echo '<button class="button" name="decision" value="approve">' . esc_html__( 'Approve', 'reftrail' ) . '</button> ';
				}
				echo '<button class="button" name="decision" value="reject">' . esc_html__( 'Reject', 'reftrail' ) . '</button></form>';
			}
			echo '</td></tr>';
		}
		echo '</tbody></table></div>';
	}

	/**
	 * The review form's handler.
	 */
	public static function handle_review() {
		self::require_cap();
		$id = sanitize_text_field( wp_unslash( $_POST['referral'] ?? '' ) );
		check_admin_referer( 'reftrail_review_' . $id );
		$decision = sanitize_key( wp_unslash( $_POST['decision'] ?? '' ) );
		try {
			if ( 'approve' === $decision ) {
				Reftrail_Ledger::approve( $id, self::by() );
				$msg = 'approved';
			} else {
				Reftrail_Ledger::reject( $id, self::by() );
				$msg = 'rejected';
			}
		} catch ( Reftrail_Http_Error $e ) {
			$msg = $e->error_code;
		}
		wp_safe_redirect( add_query_arg( 'reftrail_msg', rawurlencode( $msg ), admin_url( 'admin.php?page=reftrail-referrals' ) ) );
		exit;
	}

	/**
	 * Settings and keys.
	 */
	public static function page_settings() {
		self::require_cap();
		echo '<div class="wrap"><h1>' . esc_html__( 'Reftrail settings', 'reftrail' ) . '</h1>';
		self::notice();
		echo '<form method="post" action="options.php">';
		settings_fields( 'reftrail' );
		do_settings_sections( 'reftrail-settings' );
		submit_button();
		echo '</form><h2>' . esc_html__( 'Keys', 'reftrail' ) . '</h2><p>' . esc_html__( 'Publishable key (printed in the page):', 'reftrail' ) . ' <code>' . esc_html( Reftrail_Keys::publishable() ) . '</code></p>';
		$new = get_transient( 'reftrail_new_secret_' . get_current_user_id() );
		if ( $new ) {
			delete_transient( 'reftrail_new_secret_' . get_current_user_id() );
			echo '<div class="notice notice-warning"><p>' . esc_html__( 'Your new secret key, shown once:', 'reftrail' ) . ' <code>' . esc_html( $new ) . '</code></p></div>';
		}
		echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '">';
		wp_nonce_field( 'reftrail_secret_key' );
		echo '<input type="hidden" name="action" value="reftrail_secret_key">';
		submit_button( __( 'Make a new secret key (the old one stops working)', 'reftrail' ), 'secondary' );
		echo '</form></div>';
	}

	/**
	 * The new-secret-key form's handler.
	 */
	public static function handle_secret_key() {
		self::require_cap();
		check_admin_referer( 'reftrail_secret_key' );
		$url = admin_url( 'admin.php?page=reftrail-settings' );
		try {
			set_transient( 'reftrail_new_secret_' . get_current_user_id(), Reftrail_Keys::new_secret( true, self::by() ), 300 );
		} catch ( Reftrail_Http_Error $e ) {
			$url = add_query_arg( 'reftrail_msg', rawurlencode( $e->error_code ), $url );
		}
		wp_safe_redirect( $url );
		exit;
	}
}
