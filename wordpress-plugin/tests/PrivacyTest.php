<?php
/**
 * Data-subject requests: WordPress's personal-data exporter and eraser (called as Tools > Export
 * / Erase Personal Data call them, through the registration filters), matching the WordPress
 * user's id as the customer id of their orders and sign-ups, the affiliate account that is kept
 * and exported with its bank details, the suggested privacy-policy text, and
 * `POST /v1/privacy/export|erase` per caller.
 *
 * @package Reftrail
 */

/**
 * Privacy tests.
 */
class PrivacyTest extends Reftrail_Test_Case {

	/** The customer's email as they typed it. */
	const EMAIL = 'Minh.Tran@Customers.test';

	/**
	 * The callback WordPress's privacy tools would call for Reftrail.
	 *
	 * @param string $filter `wp_privacy_personal_data_exporters` or `..._erasers`.
	 * @return callable
	 */
	private function tool( $filter ) {
		$tools = apply_filters( $filter, array() );
		$this->assertArrayHasKey( 'reftrail', $tools, $filter );
		$this->assertIsCallable( $tools['reftrail']['callback'] );
		return $tools['reftrail']['callback'];
	}

	/**
	 * A customer who has a WordPress account, came through alice's link, signed up (a lead with
	 * their email), ordered as a guest with their email and as a signed-in customer (the
	 * WooCommerce way: their user id as the customer id), and also became an affiliate; and
	 * another customer's order.
	 *
	 * @return array `user`, `click`, `lead`, `account`.
	 */
	private function customer() {
		$this->affiliate( 'alice' );
		$user = wp_insert_user(
			array(
				'user_login' => 'minh' . wp_rand(),
				'user_pass'  => wp_generate_password( 20 ),
				'user_email' => self::EMAIL,
				'role'       => 'subscriber',
			)
		);
		$this->assertIsInt( $user );
		$click         = $this->click( 'alice' );
		list( $s, $l ) = $this->rest( 'POST', '/v1/leads', array( 'event' => 'signup', 'email' => strtolower( self::EMAIL ), 'click_id' => $click ), $this->sk() );
		$this->assertSame( 201, $s, wp_json_encode( $l ) );
		list( $s ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'G-1', 'amount' => 125000, 'currency' => 'VND', 'customer' => array( 'email' => self::EMAIL ), 'click_id' => $click ), $this->sk() );
		$this->assertSame( 201, $s );
		list( $s ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'W-2', 'amount' => 4990, 'currency' => 'THB', 'customer' => array( 'id' => (string) $user ) ), $this->sk() );
		$this->assertSame( 201, $s );
		list( $s ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'X-3', 'amount' => 1000, 'currency' => 'USD', 'customer' => array( 'email' => 'someone.else@customers.test', 'id' => (string) ( $user + 1000 ) ) ), $this->sk() );
		$this->assertSame( 201, $s );
		$this->affiliate( 'minh', array( 'email' => self::EMAIL, 'payout_email' => 'minh.pay@customers.test' ) );
		return array(
			'user'    => $user,
			'click'   => $click,
			'lead'    => $l['lead_id'],
			'account' => 'minh',
		);
	}

	/**
	 * The exported items of a group, by item id.
	 *
	 * @param array  $export The exporter's answer.
	 * @param string $group  Group id.
	 * @return array Item id => name => value.
	 */
	private function group( array $export, $group ) {
		$items = array();
		foreach ( $export['data'] as $item ) {
			if ( $group === $item['group_id'] ) {
				$this->assertNotSame( '', $item['group_label'] );
				$items[ $item['item_id'] ] = array_column( $item['data'], 'value', 'name' );
			}
		}
		return $items;
	}

	public function test_the_exporter_and_eraser_are_registered_with_wordpress() {
		$exporters = apply_filters( 'wp_privacy_personal_data_exporters', array() );
		$erasers   = apply_filters( 'wp_privacy_personal_data_erasers', array() );
		$this->assertSame( 'Reftrail referrals', $exporters['reftrail']['exporter_friendly_name'] ?? null );
		$this->assertSame( 'Reftrail referrals', $erasers['reftrail']['eraser_friendly_name'] ?? null );
		// WordPress's own exporters stay (the filter adds, it does not replace).
		$this->assertArrayHasKey( 'wordpress-comments', $exporters );
		$this->assertArrayHasKey( 'wordpress-comments', $erasers );
	}

	public function test_the_exporter_lists_the_orders_leads_clicks_and_affiliate_account_of_the_email_and_its_user() {
		$c      = $this->customer();
		$export = call_user_func( $this->tool( 'wp_privacy_personal_data_exporters' ), strtolower( self::EMAIL ), 1 );
		$this->assertTrue( $export['done'] );

		$orders = $this->group( $export, 'reftrail-orders' );
		// By email (the guest order) and by the user's id (the signed-in one); not someone else's.
		$this->assertSame( array( 'reftrail-order-G-1', 'reftrail-order-W-2' ), array_keys( $orders ) );
		$this->assertSame( '125000 VND', $orders['reftrail-order-G-1']['Amount'] );
		$this->assertSame( 'alice', $orders['reftrail-order-G-1']['Affiliate'] );
		$this->assertSame( "the affiliate's link", $orders['reftrail-order-G-1']['Credited through'] );
		$this->assertSame( 'Yes', $orders['reftrail-order-G-1']['Reported by the shop'] );
		$this->assertSame( '49.90 THB', $orders['reftrail-order-W-2']['Amount'] );
		$this->assertSame( 'None', $orders['reftrail-order-W-2']['Affiliate'] );
		$this->assertArrayNotHasKey( 'Credited through', $orders['reftrail-order-W-2'] );

		$leads = $this->group( $export, 'reftrail-leads' );
		$this->assertSame( array( 'reftrail-lead-' . $c['lead'] ), array_keys( $leads ) );
		$this->assertSame( 'signup', $leads[ 'reftrail-lead-' . $c['lead'] ]['Event'] );

		// The click both the lead and the guest order came through, once.
		$clicks = $this->group( $export, 'reftrail-clicks' );
		$this->assertSame( array( 'reftrail-click-' . $c['click'] ), array_keys( $clicks ) );
		$click = $clicks[ 'reftrail-click-' . $c['click'] ];
		$this->assertSame( 'https://shop.test/?ref=alice', $click['Page'] );
		$this->assertStringContainsString( 'Firefox', $click['User agent'] );

		$accounts = $this->group( $export, 'reftrail-affiliate' );
		$this->assertSame( array( 'reftrail-affiliate-minh' ), array_keys( $accounts ) );
		$this->assertSame( array( 'minh', 'Minh', self::EMAIL, 'minh.pay@customers.test' ), array( $accounts['reftrail-affiliate-minh']['Affiliate id'], $accounts['reftrail-affiliate-minh']['Name'], $accounts['reftrail-affiliate-minh']['Email'], $accounts['reftrail-affiliate-minh']['PayPal email'] ) );
		$this->assertArrayNotHasKey( 'Payout method', $accounts['reftrail-affiliate-minh'], 'paid by PayPal: no bank details' );

		// Everything is on the first page.
		$this->assertSame(
			array(
				'data' => array(),
				'done' => true,
			),
			call_user_func( $this->tool( 'wp_privacy_personal_data_exporters' ), self::EMAIL, 2 )
		);
		// An email nobody has: nothing, and done.
		$none = call_user_func( $this->tool( 'wp_privacy_personal_data_exporters' ), 'nobody@customers.test', 1 );
		$this->assertSame( array( array(), true ), array( $none['data'], $none['done'] ) );
	}

	public function test_an_affiliate_account_comes_with_its_bank_details() {
		$email = 'somchai@customers.test';
		$this->affiliate(
			'somchai',
			array(
				'name'    => 'Somchai',
				'email'   => strtoupper( $email ),
				'payout'  => array(
					'method'  => 'promptpay',
					'account' => '081-234-5678',
					'name'    => 'Somchai',
				),
			)
		);
		$export = fn() => $this->rest( 'POST', '/v1/privacy/export', array( 'email' => $email ), $this->sk() );
		$items  = fn() => $this->group( call_user_func( $this->tool( 'wp_privacy_personal_data_exporters' ), $email, 1 ), 'reftrail-affiliate' )['reftrail-affiliate-somchai'];

		// The REST export: the account as the server answers it, its bank details (normalized as
		// stored) next to the PayPal email.
		list( $s, $x ) = $export();
		$this->assertSame( 200, $s );
		$this->assertSame(
			array(
				'id'           => 'somchai',
				'name'         => 'Somchai',
				'email'        => strtoupper( $email ),
				'payout_email' => null,
				'payout'       => array(
					'method'  => 'promptpay',
					'account' => '0812345678',
					'name'    => 'Somchai',
				),
				'tax_id'       => null,
				'payee_type'   => null,
				'address'      => null,
				'created_at'   => $x['affiliates'][0]['created_at'] ?? null,
			),
			$x['affiliates'][0]
		);
		$this->assertCount( 1, $x['affiliates'] );
		$this->assertMatchesRegularExpression( '/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/', $x['affiliates'][0]['created_at'] );
		// WordPress's exporter: the same details, for people.
		$this->assertSame(
			array(
				'Affiliate id'          => 'somchai',
				'Name'                  => 'Somchai',
				'Email'                 => strtoupper( $email ),
				'Payout method'         => 'PromptPay',
				'PromptPay ID'          => '0812345678',
				"Account holder's name" => 'Somchai',
			),
			array_diff_key( $items(), array( 'Joined' => true ) )
		);

		// A Vietnamese bank account, without the holder's name.
		list( $s ) = $this->rest( 'PATCH', '/v1/affiliates/somchai', array( 'payout' => array( 'method' => 'vietqr', 'bank' => '970436', 'account' => '0011 0019 32418' ) ), $this->sk() );
		$this->assertSame( 200, $s );
		$this->assertSame(
			array(
				'method'  => 'vietqr',
				'bank'    => '970436',
				'account' => '0011001932418',
			),
			$export()[1]['affiliates'][0]['payout']
		);
		$this->assertSame(
			array(
				'Payout method'  => 'Bank transfer (VietQR)',
				'Bank BIN'       => '970436',
				'Account number' => '0011001932418',
			),
			array_diff_key( $items(), array_flip( array( 'Affiliate id', 'Name', 'Email', 'Joined' ) ) )
		);
		// The labels in the site's language.
		try {
			foreach ( array(
				'vi' => array(
					'Phương thức nhận tiền' => 'Chuyển khoản ngân hàng (VietQR)',
					'Mã BIN ngân hàng'      => '970436',
					'Số tài khoản'          => '0011001932418',
				),
				'th' => array(
					'วิธีรับเงิน'         => 'โอนผ่านธนาคาร (VietQR)',
					'รหัส BIN ของธนาคาร' => '970436',
					'เลขที่บัญชี'         => '0011001932418',
				),
			) as $locale => $want ) {
				unload_textdomain( 'reftrail' );
				$this->assertTrue( load_textdomain( 'reftrail', REFTRAIL_DIR . '/languages/reftrail-' . $locale . '.mo' ) );
				$this->assertSame( $want, array_intersect_key( $items(), $want ), $locale );
			}
			$this->rest( 'PATCH', '/v1/affiliates/somchai', array( 'payout' => array( 'method' => 'promptpay', 'account' => '0812345678', 'name' => 'Somchai' ) ), $this->sk() );
			$want = array(
				'วิธีรับเงิน'       => 'พร้อมเพย์',
				'หมายเลขพร้อมเพย์' => '0812345678',
				'ชื่อเจ้าของบัญชี'   => 'Somchai',
			);
			$this->assertSame( $want, array_intersect_key( $items(), $want ), 'th' );
			unload_textdomain( 'reftrail' );
			load_textdomain( 'reftrail', REFTRAIL_DIR . '/languages/reftrail-vi.mo' );
			$want = array(
				'Phương thức nhận tiền' => 'PromptPay',
				'Mã PromptPay'          => '0812345678',
				'Tên chủ tài khoản'     => 'Somchai',
			);
			$this->assertSame( $want, array_intersect_key( $items(), $want ), 'vi' );
		} finally {
			unload_textdomain( 'reftrail' );
		}

		// Back to PayPal: no bank details, the PayPal email as before.
		$this->rest( 'PATCH', '/v1/affiliates/somchai', array( 'payout' => null, 'payout_email' => 'somchai.pay@customers.test' ), $this->sk() );
		$account = $export()[1]['affiliates'][0];
		$this->assertSame( array( 'somchai.pay@customers.test', null ), array( $account['payout_email'], $account['payout'] ) );
		$this->assertSame( array( 'Affiliate id', 'Name', 'Email', 'PayPal email', 'Joined' ), array_keys( $items() ) );
	}

	public function test_the_eraser_unlinks_the_customer_and_keeps_the_affiliate_account() {
		global $wpdb;
		$c          = $this->customer();
		$referrals  = Reftrail_Db::table( 'referrals' );
		$before     = $wpdb->get_results( "SELECT id, affiliate_id, amount, commission, status FROM {$referrals} ORDER BY id", ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$erase      = $this->tool( 'wp_privacy_personal_data_erasers' );
		$r          = call_user_func( $erase, self::EMAIL, 1 );
		$this->assertSame( array( true, true, true ), array( $r['items_removed'], $r['items_retained'], $r['done'] ) );
		$this->assertCount( 1, $r['messages'] );
		$this->assertStringContainsString( '"minh"', $r['messages'][0] );
		$this->assertStringContainsString( 'Reftrail > Affiliates', $r['messages'][0] );

		// Nothing links the customer any more: not by email, not by user id.
		$orders = Reftrail_Db::table( 'orders' );
		$rows   = $wpdb->get_results( "SELECT order_id, email_hash, customer_id FROM {$orders} ORDER BY order_id", ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$this->assertSame( array( 'G-1', 'W-2', 'X-3' ), array_column( $rows, 'order_id' ), 'the orders stay' );
		$this->assertSame( array( null, null ), array( $rows[0]['email_hash'], $rows[0]['customer_id'] ) );
		$this->assertSame( array( null, null ), array( $rows[1]['email_hash'], $rows[1]['customer_id'] ) );
		$this->assertSame( Reftrail_Tracking::email_hash( 'someone.else@customers.test' ), $rows[2]['email_hash'], "someone else's order is untouched" );
		$lead = $wpdb->get_row( $wpdb->prepare( 'SELECT dedupe_key, email_hash, customer_id FROM ' . Reftrail_Db::table( 'leads' ) . ' WHERE id = %s', $c['lead'] ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		$this->assertSame(
			array(
				'dedupe_key'  => 'erased:' . $c['lead'],
				'email_hash'  => null,
				'customer_id' => null,
			),
			$lead
		);
		$stored = (int) $wpdb->get_var( 'SELECT COUNT(*) FROM ' . Reftrail_Db::table( 'idempotency' ) . " WHERE scope = 'lead'" ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		$this->assertSame( 0, $stored, "the lead's stored answer under the old key is gone" );
		$click = $wpdb->get_row( $wpdb->prepare( 'SELECT ip_hash, user_agent, referrer, url FROM ' . Reftrail_Db::table( 'clicks' ) . ' WHERE id = %s', $c['click'] ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		$this->assertSame( array( '', '', '', 'https://shop.test/?ref=alice' ), array_values( $click ) );
		// The shop's accounts: the referrals and their commissions, and the affiliate account.
		$this->assertSame( $before, $wpdb->get_results( "SELECT id, affiliate_id, amount, commission, status FROM {$referrals} ORDER BY id", ARRAY_A ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$this->assertCount( 2, $before );
		$this->assertSame( self::EMAIL, Reftrail_Affiliates::get( 'minh' )['email'] );

		// The export finds only the account now; a second erasure removes nothing.
		$export = call_user_func( $this->tool( 'wp_privacy_personal_data_exporters' ), self::EMAIL, 1 );
		$this->assertSame( array( 'reftrail-affiliate' ), array_values( array_unique( array_column( $export['data'], 'group_id' ) ) ) );
		$again = call_user_func( $erase, self::EMAIL, 1 );
		$this->assertSame( array( false, true, true ), array( $again['items_removed'], $again['items_retained'], $again['done'] ) );

		// The same sign-up reported again is a new lead, not a replay of the erased one.
		list( $s, $l ) = $this->rest( 'POST', '/v1/leads', array( 'event' => 'signup', 'email' => strtolower( self::EMAIL ), 'click_id' => $c['click'] ), $this->sk() );
		$this->assertSame( 201, $s );
		$this->assertNotSame( $c['lead'], $l['lead_id'] );
		// The guest order's replay still answers its referral.
		list( $s, $d ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'G-1', 'amount' => 125000, 'currency' => 'VND', 'customer' => array( 'email' => self::EMAIL ), 'click_id' => $c['click'] ), $this->sk() );
		$this->assertSame( array( 200, 'alice' ), array( $s, $d['referral']['affiliate'] ?? null ) );
	}

	public function test_an_erased_customer_is_not_matched_across_devices_any_more() {
		$this->affiliate( 'alice' );
		$this->program( array( 'match_customers' => true ) );
		$user  = $this->user( 'subscriber' );
		$email = get_userdata( $user )->user_email;
		$click = $this->click( 'alice' );
		list( $s ) = $this->rest( 'POST', '/v1/leads', array( 'event' => 'signup', 'customer_id' => (string) $user, 'click_id' => $click ), $this->sk() );
		$this->assertSame( 201, $s );
		list( $s, $d ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'M-1', 'amount' => 5000, 'currency' => 'USD', 'customer' => array( 'id' => (string) $user ) ), $this->sk() );
		$this->assertSame( array( 201, 'customer' ), array( $s, $d['referral']['attributed_by'] ?? null ), 'matched by the user id before' );

		// Erased by the account's email: the sign-up carried only the user id.
		$r = call_user_func( $this->tool( 'wp_privacy_personal_data_erasers' ), $email, 1 );
		$this->assertSame( array( true, false, array() ), array( $r['items_removed'], $r['items_retained'], $r['messages'] ) );
		list( $s, $d ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'M-2', 'amount' => 5000, 'currency' => 'USD', 'customer' => array( 'id' => (string) $user ) ), $this->sk() );
		$this->assertSame( 201, $s );
		$this->assertNull( $d['referral'], 'nothing links the customer to alice any more' );
	}

	public function test_the_retained_account_message_is_translated() {
		$this->affiliate( 'lan', array( 'email' => 'lan@customers.test' ) );
		$erase = $this->tool( 'wp_privacy_personal_data_erasers' );
		$want  = array(
			'vi' => 'Reftrail > Cộng tác viên',
			'th' => 'Reftrail > พันธมิตร',
		);
		try {
			foreach ( $want as $locale => $where ) {
				unload_textdomain( 'reftrail' );
				$this->assertTrue( load_textdomain( 'reftrail', REFTRAIL_DIR . '/languages/reftrail-' . $locale . '.mo' ) );
				$r = call_user_func( $erase, 'lan@customers.test', 1 );
				$this->assertSame( array( false, true ), array( $r['items_removed'], $r['items_retained'] ) );
				$this->assertStringContainsString( '"lan"', $r['messages'][0], $locale );
				$this->assertStringContainsString( $where, $r['messages'][0], $locale );
			}
		} finally {
			unload_textdomain( 'reftrail' );
		}
	}

	public function test_the_privacy_policy_text_is_suggested_in_wp_admin() {
		global $wp_filter, $wp_actions, $current_screen;
		$this->assertSame( 10, has_action( 'admin_init', array( 'Reftrail_Privacy_Tools', 'add_policy_content' ) ) );
		$this->program( array( 'window_days' => 45 ) );
		require_once ABSPATH . 'wp-admin/includes/class-wp-screen.php';
		require_once ABSPATH . 'wp-admin/includes/screen.php';
		require_once ABSPATH . 'wp-admin/includes/class-wp-privacy-policy-content.php';
		// Run `admin_init` in wp-admin with only the plugin's own callbacks (the others build
		// admin pages this test has no use for).
		$saved_hook    = $wp_filter['admin_init'];
		$saved_count   = $wp_actions['admin_init'] ?? null;
		$saved_screen  = $current_screen;
		$mine          = new WP_Hook();
		foreach ( $saved_hook->callbacks as $priority => $callbacks ) {
			foreach ( $callbacks as $cb ) {
				if ( is_array( $cb['function'] ) && 'Reftrail_Privacy_Tools' === $cb['function'][0] ) {
					$mine->add_filter( 'admin_init', $cb['function'], $priority, $cb['accepted_args'] );
				}
			}
		}
		try {
			$wp_filter['admin_init'] = $mine; // phpcs:ignore WordPress.WP.GlobalVariablesOverride.Prohibited
			$current_screen          = WP_Screen::get( 'options-privacy' ); // phpcs:ignore WordPress.WP.GlobalVariablesOverride.Prohibited
			$this->assertTrue( is_admin() );
			do_action( 'admin_init' );
			$suggested = array_values( array_filter( WP_Privacy_Policy_Content::get_suggested_policy_text(), fn( $s ) => 'Reftrail' === $s['plugin_name'] ) );
		} finally {
			$wp_filter['admin_init'] = $saved_hook; // phpcs:ignore WordPress.WP.GlobalVariablesOverride.Prohibited
			$current_screen          = $saved_screen; // phpcs:ignore WordPress.WP.GlobalVariablesOverride.Prohibited
			if ( null === $saved_count ) {
				unset( $wp_actions['admin_init'] );
			} else {
				$wp_actions['admin_init'] = $saved_count; // phpcs:ignore WordPress.WP.GlobalVariablesOverride.Prohibited
			}
		}
		$this->assertCount( 1, $suggested );
		$text = $suggested[0]['policy_text'];
		foreach ( array( 'first-party cookie', 'local storage', 'for 45 days', 'hash of your IP address', 'user agent', 'SHA-256', 'affiliate program', 'Tools &gt; Export Personal Data', 'Tools &gt; Erase Personal Data' ) as $part ) {
			$this->assertStringContainsString( $part, $text );
		}
		// How long click details stay, when they go at all.
		$this->assertStringContainsString( 'removed from the record of the visit after 90 days', $text );
		$this->program( array( 'click_details_days' => 1 ) );
		$this->assertStringContainsString( 'after one day;', Reftrail_Privacy_Tools::policy_text() );
		$this->program( array( 'click_details_days' => null ) );
		$this->assertStringNotContainsString( 'removed from the record', Reftrail_Privacy_Tools::policy_text() );
		$this->assertStringContainsString( 'class="privacy-policy-tutorial"', $text );
		// Translated, like the rest of the plugin.
		try {
			unload_textdomain( 'reftrail' );
			load_textdomain( 'reftrail', REFTRAIL_DIR . '/languages/reftrail-vi.mo' );
			$vi = Reftrail_Privacy_Tools::policy_text();
			$this->assertStringContainsString( '45 ngày', $vi );
			$this->assertStringNotContainsString( 'first-party cookie', $vi );
		} finally {
			unload_textdomain( 'reftrail' );
		}
	}

	public function test_an_export_lists_in_time_then_id_order() {
		global $wpdb;
		$hash = Reftrail_Tracking::email_hash( self::EMAIL );
		// Made in this order within one second: ids sort as bytes ('B' before 'a'), not by the
		// case-insensitive collation of the table.
		foreach ( array( array( 'ord_0000000Bz', 'B-1', 100 ), array( 'ord_0000000az', 'a-2', 100 ), array( 'ord_0000000Zz', 'Z-0', 99 ) ) as list( $id, $order_id, $at ) ) {
			$wpdb->insert(
				Reftrail_Db::table( 'orders' ),
				array(
					'id'         => $id,
					'order_id'   => $order_id,
					'at'         => $at,
					'amount'     => 1,
					'currency'   => 'USD',
					'shipping'   => 0,
					'tax'        => 0,
					'email_hash' => $hash,
					'verified'   => 1,
				)
			);
		}
		list( $s, $x ) = $this->rest( 'POST', '/v1/privacy/export', array( 'email' => self::EMAIL ), $this->sk() );
		$this->assertSame( 200, $s );
		$this->assertSame( array( 'Z-0', 'B-1', 'a-2' ), array_column( $x['orders'], 'order_id' ) );
	}

	public function test_the_privacy_routes_are_the_merchants() {
		$aff = $this->affiliate( 'amy' );
		$who = array( 'email' => 'someone@customers.test' );
		foreach ( array( '/v1/privacy/export', '/v1/privacy/erase' ) as $p ) {
			wp_set_current_user( 0 );
			list( $s, $d ) = $this->rest( 'POST', $p, $who );
			$this->assertSame( array( 401, 'unauthorized' ), array( $s, $d['error']['code'] ), "anonymous $p" );
			list( $s, $d ) = $this->rest( 'POST', $p, $who, array( 'authorization' => 'Bearer ' . Reftrail_Keys::publishable() ) );
			$this->assertSame( array( 403, 'forbidden' ), array( $s, $d['error']['code'] ), "publishable $p" );
			list( $s ) = $this->rest( 'POST', $p, $who, array( 'authorization' => 'Bearer ' . $aff['token'] ) );
			$this->assertSame( 403, $s, "affiliate token $p" );
			list( $s ) = $this->rest( 'GET', $p, null, $this->sk() );
			$this->assertSame( 405, $s, "GET $p" );
			list( $s ) = $this->rest( 'POST', $p, $who, $this->sk() );
			$this->assertSame( 200, $s, "secret key $p" );
			foreach ( array( 'subscriber' => 403, 'administrator' => 200 ) as $role => $want ) {
				wp_set_current_user( $this->user( $role ) );
				list( $s ) = $this->rest( 'POST', $p, $who );
				$this->assertSame( $want, $s, "$role $p" );
			}
			wp_set_current_user( 0 );
		}
		// The dashboard's session, with its CSRF token as on every change.
		$uid = $this->user( 'administrator' );
		wp_set_password( 'correct horse battery', $uid );
		list( $s, $session, $h ) = $this->rest( 'POST', '/v1/session', array( 'password' => 'correct horse battery', 'username' => get_userdata( $uid )->user_login ) );
		$this->assertSame( 201, $s );
		wp_set_current_user( 0 );
		$cookie        = array( 'cookie' => explode( ';', $h['Set-Cookie'] )[0] );
		list( $s, $d ) = $this->rest( 'POST', '/v1/privacy/erase', $who, $cookie );
		$this->assertSame( array( 403, 'csrf_failed' ), array( $s, $d['error']['code'] ) );
		list( $s, $d ) = $this->rest( 'POST', '/v1/privacy/erase', $who, $cookie + array( 'x_csrf_token' => $session['csrf_token'] ) );
		$this->assertSame( array( 200, 0 ), array( $s, $d['orders'] ) );
	}

	public function test_the_privacy_routes_answer_the_contracts_shapes() {
		$c = $this->customer();
		list( $s, $x ) = $this->rest( 'POST', '/v1/privacy/export', array( 'customer_id' => (string) $c['user'] ), $this->sk() );
		$this->assertSame( 200, $s );
		$this->assertSame( array( 'orders', 'leads', 'clicks', 'affiliates' ), array_keys( $x ) );
		$this->assertSame(
			array(
				array(
					'order_id'      => 'W-2',
					'at'            => $x['orders'][0]['at'],
					'amount'        => 4990,
					'currency'      => 'THB',
					'affiliate'     => null,
					'attributed_by' => null,
					'verified'      => true,
				),
			),
			$x['orders']
		);
		$this->assertMatchesRegularExpression( '/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/', $x['orders'][0]['at'] );
		$this->assertSame( array( array(), array(), array() ), array( $x['leads'], $x['clicks'], $x['affiliates'] ), 'a customer id alone finds no affiliate account' );

		list( $s, $r ) = $this->rest( 'POST', '/v1/privacy/erase', array( 'email_hash' => Reftrail_Tracking::email_hash( self::EMAIL ) ), $this->sk() );
		$this->assertSame( 200, $s );
		$this->assertSame(
			array(
				'orders'              => 1,
				'leads'               => 1,
				'clicks'              => 1,
				'affiliates_retained' => array( 'minh' ),
			),
			$r
		);
		foreach ( array(
			array( array(), 'missing_customer' ),
			array( array( 'email' => 'no-at-sign' ), 'invalid_email' ),
			array( array( 'email' => 'a@b.test', 'email_hash' => str_repeat( 'a', 64 ) ), 'invalid_email' ),
			array( array( 'email_hash' => str_repeat( 'A', 64 ) ), 'invalid_email_hash' ),
			array( array( 'customer_id' => "a\tb" ), 'invalid_customer_id' ),
			array( array( 'customer_id' => 7 ), 'invalid_body' ),
			array( array( 'phone' => '+84' ), 'invalid_body' ),
		) as list( $body, $code ) ) {
			list( $s, $d ) = $this->rest( 'POST', '/v1/privacy/erase', $body, $this->sk() );
			$this->assertSame( array( 400, $code ), array( $s, $d['error']['code'] ), wp_json_encode( $body ) );
			$this->assertNotSame( '', $d['error']['message'] );
		}
	}
}
