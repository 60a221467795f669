<?php
/**
 * AffiliateWP's affiliates imported straight from its tables (`GET/POST
 * /v1/migrations/affiliatewp`): its affiliates table made with AffiliateWP's own CREATE TABLE,
 * its settings option, WordPress users, and WooCommerce coupons as `shop_coupon` posts carrying
 * AffiliateWP's meta (WooCommerce itself is a stand-in here: its coupons are posts). What the
 * site holds is answered; a dry run writes nothing; an import makes the affiliates as
 * AffiliateWP's links name them, with their coupons, statuses and rates, or nothing when one is
 * invalid; AffiliateWP's link parameter joins the program's; no table, no import.
 *
 * @package Reftrail
 */

/**
 * AffiliateWP import tests.
 */
class AffiliateWpImportTest extends Reftrail_Test_Case {

	/** The test that runs on a site without AffiliateWP's table. */
	const WITHOUT_TABLE = 'test_without_affiliatewps_table_nothing_is_offered_and_nothing_imported';

	protected function setUp(): void {
		// The table exists before the test's transaction opens (a CREATE TABLE would commit it)
		// and is dropped once it is rolled back.
		self::drop_table();
		if ( self::WITHOUT_TABLE !== $this->getName( false ) ) {
			self::create_table();
		}
		parent::setUp();
		delete_option( Reftrail_AffiliateWP::SETTINGS );
		remove_all_filters( 'reftrail_portal_url' );
	}

	protected function tearDown(): void {
		remove_action( 'shutdown', array( 'Reftrail_Affiliate_Mail', 'ask_for_a_run' ) );
		parent::tearDown();
		self::drop_table();
	}

	/**
	 * AffiliateWP's affiliates table, as Affiliate_WP_DB_Affiliates::create_table() makes it.
	 */
	private static function create_table() {
		global $wpdb;
		$t = Reftrail_AffiliateWP::table();
		$wpdb->query(
			"CREATE TABLE {$t} (
			affiliate_id bigint(20) NOT NULL AUTO_INCREMENT,
			user_id bigint(20) NOT NULL,
			rate tinytext NOT NULL,
			rate_type tinytext NOT NULL,
			payment_email mediumtext NOT NULL,
			status tinytext NOT NULL,
			earnings mediumtext NOT NULL,
			unpaid_earnings mediumtext NOT NULL,
			referrals bigint(20) NOT NULL,
			visits bigint(20) NOT NULL,
			date_registered datetime NOT NULL,
			PRIMARY KEY  (affiliate_id),
			KEY user_id (user_id)
			) CHARACTER SET utf8 COLLATE utf8_general_ci;"
		); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
	}

	/**
	 * Drops AffiliateWP's table, if any.
	 */
	private static function drop_table() {
		global $wpdb;
		$wpdb->query( 'DROP TABLE IF EXISTS ' . Reftrail_AffiliateWP::table() ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
	}

	/**
	 * A WordPress user as AffiliateWP's affiliates are; returns its id.
	 *
	 * @param string $login        Username.
	 * @param string $display_name Display name ('' for none).
	 * @param string $email        Email.
	 * @return int
	 */
	private function wp_user( $login, $display_name, $email ) {
		$id = wp_insert_user(
			array(
				'user_login'   => $login,
				'user_pass'    => wp_generate_password( 20 ),
				'user_email'   => $email,
				'display_name' => $display_name,
				'role'         => 'subscriber',
			)
		);
		$this->assertIsInt( $id, is_wp_error( $id ) ? $id->get_error_message() : '' );
		if ( '' === $display_name ) {
			// wp_insert_user() fills an empty display name with the username; AffiliateWP's sites
			// may hold users without one.
			global $wpdb;
			$wpdb->update( $wpdb->users, array( 'display_name' => '' ), array( 'ID' => $id ) );
			clean_user_cache( $id );
		}
		return $id;
	}

	/**
	 * A row of AffiliateWP's affiliates table, as AffiliateWP adds them.
	 *
	 * @param int   $number  affiliate_id.
	 * @param int   $user_id The WordPress user.
	 * @param array $columns Other columns.
	 */
	private static function affwp_affiliate( $number, $user_id, array $columns = array() ) {
		global $wpdb;
		$wpdb->insert(
			Reftrail_AffiliateWP::table(),
			array_merge(
				array(
					'affiliate_id'    => $number,
					'user_id'         => $user_id,
					'rate'            => '',
					'rate_type'       => '',
					'payment_email'   => '',
					'status'          => 'active',
					'earnings'        => '1250.00',
					'unpaid_earnings' => '80.00',
					'referrals'       => 7,
					'visits'          => 300,
					'date_registered' => '2024-03-04 05:06:07',
				),
				$columns
			)
		);
	}

	/**
	 * A WooCommerce coupon (a `shop_coupon` post titled with its code) linked to an AffiliateWP
	 * affiliate by AffiliateWP's meta.
	 *
	 * @param string   $code   Code.
	 * @param int|null $number The affiliate's number; null: not linked.
	 * @param string   $status Post status.
	 */
	private function coupon( $code, $number, $status = 'publish' ) {
		$id = wp_insert_post(
			array(
				'post_type'   => 'shop_coupon',
				'post_title'  => $code,
				'post_status' => $status,
			),
			true
		);
		$this->assertIsInt( $id );
		if ( null !== $number ) {
			update_post_meta( $id, Reftrail_AffiliateWP::COUPON_META, (string) $number );
		}
	}

	/**
	 * AffiliateWP's settings.
	 *
	 * @param array $settings Keys of `affwp_settings`.
	 */
	private static function affwp_settings( array $settings ) {
		update_option( Reftrail_AffiliateWP::SETTINGS, array_merge( array( 'license_key' => 'x' ), $settings ) );
	}

	/**
	 * A site AffiliateWP ran on: five affiliates (one of each status, rates of each kind), their
	 * coupons and some that are not theirs. Returns the usernames by affiliate number.
	 *
	 * @return string[]
	 */
	private function affwp_site() {
		$users = array(
			11 => $this->wp_user( 'minh_nguyen', 'Nguyễn Văn Minh', 'minh@aff.test' ),
			12 => $this->wp_user( 'lan.tran', '', 'lan@aff.test' ),
			13 => $this->wp_user( 'thu-pham', 'Thu Phạm', 'thu@aff.test' ),
			14 => $this->wp_user( 'somchai', 'สมชาย', 'somchai@aff.test' ),
			15 => $this->wp_user( 'kim', 'Kim Le', 'kim@aff.test' ),
		);
		self::affwp_affiliate(
			11,
			$users[11],
			array(
				'rate'          => '12.5',
				'rate_type'     => 'percentage',
				'payment_email' => 'pay-minh@aff.test',
			)
		);
		self::affwp_affiliate(
			12,
			$users[12],
			array(
				'rate'      => '50000.00',
				'rate_type' => 'flat',
				'status'    => 'inactive',
			)
		);
		self::affwp_affiliate( 13, $users[13], array( 'status' => 'pending' ) );
		// Its own rate without a type of its own: the site's rate type applies.
		self::affwp_affiliate(
			14,
			$users[14],
			array(
				'rate'   => '7',
				'status' => 'rejected',
			)
		);
		self::affwp_affiliate( 15, $users[15], array( 'payment_email' => '' ) );
		$this->coupon( 'minh10', 11 );
		$this->coupon( 'MINH-TET', 11 );
		$this->coupon( 'lan5', 12 );
		// Not brought over: the same code again, a draft, a coupon in the bin, one linked to no
		// affiliate, one to an affiliate AffiliateWP no longer has.
		$this->coupon( 'MINH10', 11 );
		$this->coupon( 'minhdraft', 11, 'draft' );
		$this->coupon( 'lanold', 12, 'trash' );
		$this->coupon( 'storewide', null );
		$this->coupon( 'gone20', 99 );
		return array(
			11 => 'minh_nguyen',
			12 => 'lan.tran',
			13 => 'thu-pham',
			14 => 'somchai',
			15 => 'kim',
		);
	}

	/**
	 * Calls the route with the secret key (or `$headers`); returns [status, body].
	 *
	 * @param string     $method  GET or POST.
	 * @param string     $query   Query, with its `?`.
	 * @param array|null $headers Headers instead of the secret key's.
	 * @return array
	 */
	private function call( $method, $query = '', $headers = null ) {
		list( $s, $d ) = $this->rest( $method, '/v1/migrations/affiliatewp' . $query, null, $headers ?? $this->sk() );
		return array( $s, $d );
	}

	/**
	 * How many rows the plugin's tables hold: affiliates, coupons, activity entries, program changes.
	 *
	 * @return int[]
	 */
	private static function stored() {
		global $wpdb;
		return array_map(
			fn( $t ) => (int) $wpdb->get_var( 'SELECT COUNT(*) FROM ' . Reftrail_Db::table( $t ) ), // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
			array( 'affiliates', 'coupons', 'activity', 'program_changes' )
		);
	}

	/**
	 * Each row of an answer as `line id result` (`line id code` for an invalid one).
	 *
	 * @param array $answer The import's answer.
	 * @return string[]
	 */
	private static function outcomes( array $answer ) {
		return array_map( fn( $r ) => $r['line'] . ' ' . $r['id'] . ' ' . ( 'invalid' === $r['result'] ? $r['error']['code'] : $r['result'] ), $answer['rows'] );
	}

	public function test_what_affiliatewp_left_is_answered_with_its_settings() {
		$this->affwp_site();
		list( $s, $d ) = $this->call( 'GET' );
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
		// AffiliateWP's defaults when its settings never named them: ?ref=<number>, a parameter
		// the program already reads.
		$this->assertSame(
			array(
				'available'       => true,
				'affiliates'      => 5,
				'coupons'         => 3,
				'referral_var'    => 'ref',
				'referral_format' => 'id',
				'params_missing'  => false,
			),
			$d
		);
		self::affwp_settings(
			array(
				'referral_var'    => 'partner',
				'referral_format' => 'username',
			)
		);
		list( , $d ) = $this->call( 'GET' );
		$this->assertSame( array( 'partner', 'username', true ), array( $d['referral_var'], $d['referral_format'], $d['params_missing'] ) );
		// Empty values are AffiliateWP's defaults, as its settings read them.
		self::affwp_settings(
			array(
				'referral_var'    => '',
				'referral_format' => '',
			)
		);
		list( , $d ) = $this->call( 'GET' );
		$this->assertSame( array( 'ref', 'id', false ), array( $d['referral_var'], $d['referral_format'], $d['params_missing'] ) );
		$this->assertSame( array( 0, 0, 0, 0 ), self::stored(), 'reading writes nothing' );
	}

	public function test_a_dry_run_answers_each_affiliate_and_writes_nothing() {
		$this->affwp_site();
		self::affwp_settings( array( 'referral_var' => 'partner' ) );
		$before = Reftrail_Program::get();
		list( $s, $d ) = $this->call( 'POST', '?dry_run=true&welcome=true' );
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
		$this->assertSame( array( 'dry_run', 'created', 'existing', 'invalid', 'emailed', 'ignored_columns', 'rows' ), array_keys( $d ) );
		// Two would be told by email: the approved ones (active in AffiliateWP) with an email.
		$this->assertSame( array( true, 5, 0, 0, 2, array() ), array( $d['dry_run'], $d['created'], $d['existing'], $d['invalid'], $d['emailed'], $d['ignored_columns'] ) );
		$this->assertSame( array( '11 11 created', '12 12 created', '13 13 created', '14 14 created', '15 15 created' ), self::outcomes( $d ) );
		$this->assertSame( array( 0, 0, 0, 0 ), self::stored() );
		$this->assertSame( $before, Reftrail_Program::get(), 'the missing parameter is only reported' );
		foreach ( array( '?dry_run=yes', '?welcome=1', '?dry_run[]=true' ) as $q ) {
			list( $s, $d ) = $this->call( 'POST', $q );
			$this->assertSame( array( 400, 'invalid_query' ), array( $s, $d['error']['code'] ), $q );
		}
		$this->assertSame( array( 0, 0, 0, 0 ), self::stored() );
	}

	public function test_an_import_makes_the_affiliates_as_affiliatewps_links_name_them() {
		$this->program( array( 'currency' => 'VND' ) );
		$names = $this->affwp_site();
		// Usernames in the links: the ids are the usernames.
		self::affwp_settings( array( 'referral_format' => 'username' ) );
		list( $s, $d ) = $this->call( 'POST', '?welcome=true' );
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
		$this->assertSame( array( false, 5, 0, 0, 2 ), array( $d['dry_run'], $d['created'], $d['existing'], $d['invalid'], $d['emailed'] ) );
		$this->assertSame( array( '11 minh_nguyen created', '12 lan.tran created', '13 thu-pham created', '14 somchai created', '15 kim created' ), self::outcomes( $d ) );

		$minh = $this->show_affiliate( $names[11] );
		$this->assertSame(
			array( 'Nguyễn Văn Minh', 'minh@aff.test', 'pay-minh@aff.test', 'approved', 'other', array( 'MINH-TET', 'MINH10' ) ),
			array( $minh['name'], $minh['email'], $minh['payout_email'], $minh['status'], $minh['category'], $minh['coupons'] )
		);
		$this->assertSame(
			array(
				'type'     => 'percent',
				'rate_bps' => 1250,
			),
			$minh['commission']['sale']
		);
		// No display name: the username; a flat rate per sale in the program's currency (its
		// zero decimals, which the dong has none of, dropped).
		$lan = $this->show_affiliate( $names[12] );
		$this->assertSame( array( 'lan.tran', 'lan@aff.test', null, 'suspended', array( 'LAN5' ) ), array( $lan['name'], $lan['email'], $lan['payout_email'], $lan['status'], $lan['coupons'] ) );
		$this->assertSame(
			array(
				'type'    => 'flat',
				'amounts' => array( 'VND' => 50000 ),
			),
			$lan['commission']['sale']
		);
		// No rate of its own: none here either, the program's applies.
		$thu = $this->show_affiliate( $names[13] );
		$this->assertSame( array( 'Thu Phạm', 'pending', null, array() ), array( $thu['name'], $thu['status'], $thu['commission'], $thu['coupons'] ) );
		// A rate without a type of its own: AffiliateWP's site-wide type (percentage by default).
		$somchai = $this->show_affiliate( $names[14] );
		$this->assertSame( array( 'สมชาย', 'suspended' ), array( $somchai['name'], $somchai['status'] ) );
		$this->assertSame(
			array(
				'type'     => 'percent',
				'rate_bps' => 700,
			),
			$somchai['commission']['sale']
		);
		$kim = $this->show_affiliate( 'kim' );
		$this->assertSame( array( 'approved', null, null ), array( $kim['status'], $kim['payout_email'], $kim['commission'] ) );

		// Each recorded as created by the caller; the approved ones with an email are told.
		list( , $log ) = $this->rest( 'GET', '/v1/activity?affiliate=lan.tran', null, $this->sk() );
		$this->assertSame( array( array( 'affiliate.created', 'secret_key' ) ), array_map( fn( $e ) => array( $e['action'], $e['by'] ), $log['activity'] ) );
		global $wpdb;
		$told = $wpdb->get_col( 'SELECT affiliate_id FROM ' . Reftrail_Db::table( 'mail_outbox' ) . " WHERE event = 'affiliate.imported' ORDER BY affiliate_id" ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		$this->assertSame( array( 'kim', 'minh_nguyen' ), $told );

		// Again: every affiliate is in the program, left as it is.
		$wpdb->update( Reftrail_AffiliateWP::table(), array( 'status' => 'inactive' ), array( 'affiliate_id' => 11 ) );
		list( $s, $again ) = $this->call( 'POST' );
		$this->assertSame( array( 200, 0, 5, 0 ), array( $s, $again['created'], $again['existing'], $again['invalid'] ) );
		$this->assertSame( 'approved', $this->show_affiliate( $names[11] )['status'] );
	}

	public function test_ids_are_affiliatewps_numbers_when_its_links_carry_numbers() {
		$this->affwp_site();
		list( $s, $d ) = $this->call( 'POST' );
		$this->assertSame( array( 200, 5, 0 ), array( $s, $d['created'], $d['emailed'] ), wp_json_encode( $d ) );
		$a = $this->show_affiliate( '11' );
		$this->assertSame( array( 'Nguyễn Văn Minh', array( 'MINH-TET', 'MINH10' ) ), array( $a['name'], $a['coupons'] ) );
		$this->assertSame( 'lan.tran', $this->show_affiliate( '12' )['name'] );
		$this->assertSame( array( 5, 3, 5, 0 ), self::stored(), 'the program already reads ?ref=: no change to it' );
	}

	public function test_an_invalid_affiliate_stops_the_import_and_writes_nothing() {
		$names = $this->affwp_site();
		self::affwp_settings(
			array(
				'referral_format' => 'username',
				'referral_var'    => 'partner',
			)
		);
		// A username the program's ids do not allow, and an affiliate whose user was deleted;
		// a coupon of an affiliate already in the program.
		self::affwp_affiliate( 16, $this->wp_user( 'hoa@shop', 'Hoa', 'hoa@aff.test' ) );
		self::affwp_affiliate( 17, 987654 );
		$this->affiliate( 'alice', array( 'coupons' => array( 'THU15' ) ) );
		$this->coupon( 'thu15', 13 );
		$before = self::stored();
		list( $s, $dry ) = $this->call( 'POST', '?dry_run=true' );
		$this->assertSame( 200, $s );
		$this->assertSame( array( 4, 0, 3 ), array( $dry['created'], $dry['existing'], $dry['invalid'] ) );
		$this->assertSame( array( '11 minh_nguyen created', '12 lan.tran created', '13 thu-pham coupon_taken', '14 somchai created', '15 kim created', '16 hoa@shop invalid_affiliate', '17  invalid_affiliate' ), self::outcomes( $dry ) );
		$this->assertStringContainsString( 'no longer exists', $dry['rows'][6]['error']['message'] );

		list( $s, $d ) = $this->call( 'POST', '?welcome=true' );
		$this->assertSame( array( 400, 'invalid_import' ), array( $s, $d['error']['code'] ) );
		$this->assertSame( 'AffiliateWP affiliate 13 (thu-pham): coupon_taken: coupon THU15 belongs to another affiliate; 3 of 7 rows are invalid, so nothing was imported', $d['error']['message'] );
		$this->assertSame( $before, self::stored(), 'no affiliate, no coupon, no entry, no change to the program' );
		$this->assertNotContains( 'partner', Reftrail_Program::get()['params'] );
		$this->assertSame( 404, $this->rest( 'GET', '/v1/affiliates/' . $names[11], null, $this->sk() )[0] );
	}

	public function test_affiliatewps_link_parameter_joins_the_programs() {
		$this->affwp_site();
		self::affwp_settings( array( 'referral_var' => 'partner' ) );
		$params = Reftrail_Program::get()['params'];
		list( $s, $d ) = $this->call( 'POST' );
		$this->assertSame( array( 200, 5 ), array( $s, $d['created'] ), wp_json_encode( $d ) );
		$this->assertSame( array_merge( $params, array( 'partner' ) ), Reftrail_Program::get()['params'] );
		list( , $changes ) = $this->rest( 'GET', '/v1/program/changes', null, $this->sk() );
		$this->assertCount( 1, $changes['changes'] );
		$this->assertSame( 'secret_key', $changes['changes'][0]['by'] );
		$this->assertSame(
			array(
				array(
					'setting' => 'params',
					'before'  => $params,
					'after'   => array_merge( $params, array( 'partner' ) ),
				),
			),
			$changes['changes'][0]['settings']
		);
		list( , $g ) = $this->call( 'GET' );
		$this->assertFalse( $g['params_missing'] );
		// Once there, it is not added again.
		list( $s ) = $this->call( 'POST' );
		$this->assertSame( 200, $s );
		list( , $changes ) = $this->rest( 'GET', '/v1/program/changes', null, $this->sk() );
		$this->assertCount( 1, $changes['changes'] );
	}

	public function test_an_empty_affiliatewp_adds_no_one_and_still_its_parameter() {
		self::affwp_settings( array( 'referral_var' => 'partner' ) );
		list( , $g ) = $this->call( 'GET' );
		$this->assertSame( array( true, 0, 0, true ), array( $g['available'], $g['affiliates'], $g['coupons'], $g['params_missing'] ) );
		list( $s, $d ) = $this->call( 'POST' );
		$this->assertSame( array( 200, 0, array() ), array( $s, $d['created'], $d['rows'] ) );
		$this->assertContains( 'partner', Reftrail_Program::get()['params'] );
	}

	public function test_without_affiliatewps_table_nothing_is_offered_and_nothing_imported() {
		$this->assertFalse( Reftrail_AffiliateWP::available() );
		// Its settings may stay behind alone: still nothing to import.
		self::affwp_settings( array( 'referral_var' => 'partner' ) );
		list( $s, $d ) = $this->call( 'GET' );
		$this->assertSame( array( 200, false, 0, 0 ), array( $s, $d['available'], $d['affiliates'], $d['coupons'] ) );
		foreach ( array( '', '?dry_run=true' ) as $q ) {
			list( $s, $d ) = $this->call( 'POST', $q );
			$this->assertSame( array( 404, 'not_found', "AffiliateWP's tables are not on this site" ), array( $s, $d['error']['code'], $d['error']['message'] ), $q );
		}
		$this->assertNotContains( 'partner', Reftrail_Program::get()['params'] );
		$this->assertSame( array( 0, 0, 0, 0 ), self::stored() );
	}

	public function test_callers_and_the_openapi_entry() {
		$this->affwp_site();
		$aff = $this->affiliate( 'amy' );
		foreach ( array( 'GET', 'POST' ) as $m ) {
			list( $s, $d ) = $this->call( $m, '', array() );
			$this->assertSame( array( 401, 'unauthorized' ), array( $s, $d['error']['code'] ), $m );
			// The caller is refused before the query is read.
			list( $s, $d ) = $this->call( $m, '?dry_run=maybe', array( 'authorization' => 'Bearer ' . Reftrail_Keys::publishable() ) );
			$this->assertSame( array( 403, 'forbidden' ), array( $s, $d['error']['code'] ), $m );
			list( $s ) = $this->call( $m, '', array( 'authorization' => 'Bearer ' . $aff['token'] ) );
			$this->assertSame( 403, $s, $m );
		}
		$this->assertSame( 1, self::stored()[0], 'nothing imported' );
		// A shop manager signed in to WordPress.
		wp_set_current_user( $this->user( 'administrator' ) );
		list( $s, $d ) = $this->call( 'POST', '?dry_run=true', array() );
		$this->assertSame( array( 200, 5 ), array( $s, $d['created'] ), wp_json_encode( $d ) );
		wp_set_current_user( 0 );
		list( $s ) = $this->call( 'DELETE' );
		$this->assertSame( 405, $s );

		list( $s, $doc ) = $this->rest( 'GET', '/v1/openapi.json' );
		$this->assertSame( 200, $s );
		$path = $doc['paths']['/v1/migrations/affiliatewp'];
		$this->assertSame( array( 'get', 'post' ), array_keys( $path ) );
		$this->assertSame( array( 'dry_run', 'welcome' ), array_column( $path['post']['parameters'], 'name' ) );
		$this->assertSame( array( array( 'secret_key' => array() ), array( 'session' => array() ), array( 'wordpress_user' => array() ) ), $path['post']['security'] );
		$this->assertStringContainsString( 'invalid_import', $path['post']['summary'] );
		$this->assertStringContainsString( '404 not_found', $path['post']['summary'] );
		// WordPress's own index describes the route and what GET answers.
		$route = rest_get_server()->get_routes( 'reftrail/v1' )['/reftrail/v1/migrations/affiliatewp'];
		$this->assertCount( 2, $route );
		list( $s, $index ) = $this->rest( 'OPTIONS', '/v1/migrations/affiliatewp', null, $this->sk() );
		$this->assertSame( 200, $s );
		$this->assertSame( array( 'available', 'affiliates', 'coupons', 'referral_var', 'referral_format', 'params_missing' ), array_keys( $index['schema']['properties'] ) );
	}
}
