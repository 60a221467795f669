<?php
/**
 * The WooCommerce coupon each newly approved affiliate gets (`GET/PUT
 * /v1/woocommerce-coupons/template`), against the WooCommerce STAND-IN of woocommerce-stand-in.php:
 * the template checked as a coupon's body, kept and recorded; who may change it; the coupon made
 * in the approval's transaction (an application approved by the merchant or at once, an affiliate
 * added approved) and never by an import; taken codes and their numbered successors, the
 * refusals that make none and say why, and the failures that take the approval back with it.
 *
 * @package Reftrail
 */

/**
 * WooCommerce coupon template tests.
 */
class WooCommerceCouponTemplateTest extends Reftrail_Test_Case {

	const PATH = '/v1/woocommerce-coupons/template';

	/** A ten percent template, one use per customer. */
	const TEN_PERCENT = array(
		'discount_type'        => 'percent',
		'percent'              => 10,
		'usage_limit_per_user' => 1,
	);

	/** @var array[] The messages wp_mail() was given. */
	private $mails = array();

	protected function setUp(): void {
		parent::setUp();
		add_filter( 'pre_wp_mail', array( $this, 'catch_mail' ), 10, 2 );
	}

	protected function tearDown(): void {
		remove_filter( 'pre_wp_mail', array( $this, 'catch_mail' ), 10 );
		remove_action( 'shutdown', array( 'Reftrail_Affiliate_Mail', 'ask_for_a_run' ) );
		if ( ! post_type_exists( 'shop_coupon' ) ) {
			reftrail_stand_in_register_coupons();
		}
		parent::tearDown();
	}

	/**
	 * The `pre_wp_mail` filter: keeps the message instead of sending it.
	 *
	 * @param null|bool $pre  Null.
	 * @param array     $atts wp_mail()'s arguments.
	 * @return bool
	 */
	public function catch_mail( $pre, $atts ) {
		$this->mails[] = $atts;
		return true;
	}

	/**
	 * PUTs `{"template": $template}` (or a raw body); returns [status, body].
	 *
	 * @param mixed      $template Template, null, or a string body.
	 * @param array|null $headers  Headers (default the secret key).
	 * @return array
	 */
	private function put( $template, ?array $headers = null ) {
		$body          = is_string( $template ) ? $template : array( 'template' => $template );
		list( $s, $d ) = $this->rest( 'PUT', self::PATH, $body, $headers ?? $this->sk() );
		return array( $s, $d );
	}

	/**
	 * Sets the template with the secret key.
	 *
	 * @param array|null $template Template.
	 */
	private function set( $template ) {
		list( $s, $d ) = $this->put( $template );
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
	}

	/**
	 * The template as GET answers it with the secret key.
	 *
	 * @return array
	 */
	private function shown() {
		list( $s, $d ) = $this->rest( 'GET', self::PATH, null, $this->sk() );
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
		return $d;
	}

	/**
	 * Approves affiliate `$id` with PATCH (the secret key, or `$headers`); returns [status, body].
	 *
	 * @param string     $id      Affiliate.
	 * @param array|null $headers Headers.
	 * @return array
	 */
	private function approve( $id, ?array $headers = null ) {
		list( $s, $d ) = $this->rest( 'PATCH', '/v1/affiliates/' . $id, array( 'status' => 'approved' ), $headers ?? $this->sk() );
		return array( $s, $d );
	}

	/**
	 * A pending affiliate, as an application waiting for review leaves one.
	 *
	 * @param string $id    Id.
	 * @param array  $extra Fields.
	 */
	private function pending( $id, array $extra = array() ) {
		$this->affiliate( $id, array_merge( array( 'status' => 'pending' ), $extra ) );
	}

	/**
	 * The affiliate's coupon codes, read with the secret key.
	 *
	 * @param string $id Affiliate.
	 * @return string[]
	 */
	private function codes( $id ) {
		list( $s, $d ) = $this->rest( 'GET', '/v1/affiliates/' . $id, null, $this->sk() );
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
		return $d['coupons'];
	}

	/**
	 * The `shop_coupon` posts titled `$title` (whatever the case), in any state.
	 *
	 * @param string $title Title.
	 * @return WP_Post[]
	 */
	private static function posts( $title ) {
		global $wpdb;
		$ids = $wpdb->get_col( $wpdb->prepare( "SELECT ID FROM {$wpdb->posts} WHERE post_type = 'shop_coupon' AND LOWER(post_title) = LOWER(%s) ORDER BY ID", $title ) );
		return array_map( 'get_post', $ids );
	}

	/**
	 * How many `shop_coupon` posts there are.
	 *
	 * @return int
	 */
	private static function coupon_posts() {
		global $wpdb;
		return (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->posts} WHERE post_type = 'shop_coupon'" );
	}

	/**
	 * A coupon made in WooCommerce's own screens.
	 *
	 * @param string $code   Code.
	 * @param string $status Post status.
	 * @return int
	 */
	private function shop_coupon( $code, $status = 'publish' ) {
		$id = wp_insert_post(
			array(
				'post_type'   => 'shop_coupon',
				'post_title'  => $code,
				'post_status' => $status,
			),
			true
		);
		$this->assertIsInt( $id );
		return $id;
	}

	/**
	 * The activity log (with the secret key), newest first, of `$query`.
	 *
	 * @param string $query Query, with its `?`.
	 * @return array[]
	 */
	private function log( $query = '' ) {
		list( $s, $d ) = $this->rest( 'GET', '/v1/activity' . $query, null, $this->sk() );
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
		return $d['activity'];
	}

	/**
	 * How many activity entries there are.
	 *
	 * @return int
	 */
	private static function activity() {
		global $wpdb;
		return (int) $wpdb->get_var( 'SELECT COUNT(*) FROM ' . Reftrail_Db::table( 'activity' ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
	}

	/**
	 * Signs a WordPress user of `$role` in to the dashboard; returns the headers of a change
	 * made with that session, and the user's id.
	 *
	 * @param string $role Role.
	 * @return array
	 */
	private function session_of( $role ) {
		$uid = $this->user( $role );
		wp_set_password( 'correct horse battery', $uid );
		list( $s, $session, $h ) = $this->rest(
			'POST',
			'/v1/session',
			array(
				'username' => get_userdata( $uid )->user_login,
				'password' => 'correct horse battery',
			)
		);
		$this->assertSame( 201, $s, wp_json_encode( $session ) );
		return array(
			array(
				'cookie'       => explode( ';', $h['Set-Cookie'] )[0],
				'x_csrf_token' => $session['csrf_token'],
			),
			$uid,
		);
	}

	/**
	 * WooCommerce's shop manager, who may manage the program and publish coupons but not manage
	 * the site.
	 *
	 * @return string
	 */
	private static function shop_manager_role() {
		if ( ! get_role( 'shop_manager' ) ) {
			// As WooCommerce adds it; activation and the stand-in give it the program and the coupons.
			add_role( 'shop_manager', 'Shop manager', array( 'read' => true ) );
			Reftrail_Schema::add_roles();
			reftrail_stand_in_register_coupons();
		}
		return 'shop_manager';
	}

	public function test_the_template_is_kept_as_given_and_each_change_recorded() {
		$this->assertSame( array( 'template' => null ), $this->shown() );
		list( $s, $d ) = $this->put(
			array(
				'discount_type' => 'percent',
				'percent'       => 10,
			)
		);
		$ten = array(
			'discount_type'        => 'percent',
			'percent'              => 10,
			'usage_limit_per_user' => null,
		);
		$this->assertSame( array( 200, array( 'template' => $ten ) ), array( $s, $d ) );
		$this->assertSame( array( 'template' => $ten ), $this->shown() );

		$fixed = array(
			'discount_type'        => 'fixed_cart',
			'amount'               => 50000,
			'usage_limit_per_user' => 1,
		);
		$this->set( $fixed );
		$this->assertSame( array( 'template' => $fixed ), $this->shown() );
		// What GET answers may be sent back as it is: no change, nothing recorded.
		$before = self::activity();
		$this->set( $this->shown()['template'] );
		$this->assertSame( $before, self::activity() );

		$this->set( null );
		$this->assertSame( array( 'template' => null ), $this->shown() );
		$this->assertFalse( get_option( Reftrail_WooCommerce_Coupon_Template::OPTION ) );
		$this->set( null );

		$log = $this->log( '?action=woocommerce_coupon_template.updated' );
		$this->assertSame(
			array(
				array( null, $ten ),
				array( $ten, $fixed ),
				array( $fixed, null ),
			),
			array_reverse( array_map( fn( $e ) => array( $e['details']['before'], $e['details']['after'] ), $log ) )
		);
		$this->assertSame( array( 'secret_key' ), array_values( array_unique( array_column( $log, 'by' ) ) ) );
		$this->assertSame( array( 'woocommerce_coupon_template' ), array_values( array_unique( array_column( $log, 'subject' ) ) ) );
		$this->assertSame( array( null ), array_values( array_unique( array_column( $log, 'affiliate' ) ) ) );
		$this->assertCount( 3, $this->log( '?action=woocommerce_coupon_template.' ) );
	}

	public function test_a_template_is_checked_as_a_coupon_is_and_a_refused_one_changes_nothing() {
		$this->set( self::TEN_PERCENT );
		$activity = self::activity();
		$refused  = array(
			array( array( 'code' => 'VIP', 'discount_type' => 'percent', 'percent' => 10 ), 'invalid_body' ),
			array( array( 'code' => null, 'discount_type' => 'percent', 'percent' => 10 ), 'invalid_body' ),
			array( array( 'discount_type' => 'percent', 'percent' => 10, 'free_shipping' => true ), 'invalid_body' ),
			array( array( 'percent' => 10 ), 'invalid_discount_type' ),
			array( array(), 'invalid_discount_type' ),
			array( array( 'discount_type' => 'fixed_product', 'amount' => 100 ), 'invalid_discount_type' ),
			array( array( 'discount_type' => 'percent' ), 'invalid_percent' ),
			array( array( 'discount_type' => 'percent', 'percent' => 0 ), 'invalid_percent' ),
			array( array( 'discount_type' => 'percent', 'percent' => 101 ), 'invalid_percent' ),
			array( array( 'discount_type' => 'percent', 'percent' => 12.5 ), 'invalid_body' ),
			array( array( 'discount_type' => 'percent', 'percent' => '10' ), 'invalid_body' ),
			array( array( 'discount_type' => 'percent', 'percent' => 10, 'amount' => 100 ), 'invalid_body' ),
			array( array( 'discount_type' => 'fixed_cart' ), 'invalid_amount' ),
			array( array( 'discount_type' => 'fixed_cart', 'amount' => 0 ), 'invalid_amount' ),
			array( array( 'discount_type' => 'fixed_cart', 'amount' => -5 ), 'invalid_amount' ),
			array( array( 'discount_type' => 'fixed_cart', 'amount' => 100, 'percent' => 10 ), 'invalid_body' ),
			array( array( 'discount_type' => 'fixed_cart', 'amount' => 100, 'usage_limit_per_user' => 0 ), 'invalid_usage_limit_per_user' ),
			array( array( 'discount_type' => 'percent', 'percent' => 10, 'usage_limit_per_user' => -1 ), 'invalid_usage_limit_per_user' ),
			array( array( 'discount_type' => 'percent', 'percent' => 10, 'usage_limit_per_user' => '1' ), 'invalid_body' ),
			array( array( 10 ), 'invalid_body' ),
		);
		foreach ( $refused as list( $template, $code ) ) {
			list( $s, $d ) = $this->put( $template );
			$this->assertSame( array( 400, $code ), array( $s, $d['error']['code'] ?? null ), wp_json_encode( $template ) );
		}
		foreach ( array( '{}', '{"template": {"discount_type": "percent", "percent": 10}, "enabled": true}', '[1]', '{"template": 10}', '{"template": "percent"}', '{"template": true}' ) as $raw ) {
			list( $s, $d ) = $this->put( $raw );
			$this->assertSame( array( 400, 'invalid_body' ), array( $s, $d['error']['code'] ?? null ), $raw );
		}
		$this->assertSame( array( 'template' => self::TEN_PERCENT ), $this->shown() );
		$this->assertSame( $activity, self::activity() );
	}

	public function test_only_the_owner_may_change_the_template_and_any_merchant_may_read_it() {
		$this->set( self::TEN_PERCENT );
		$other = array(
			'discount_type' => 'percent',
			'percent'       => 20,
		);
		foreach ( array( self::viewer_role(), self::shop_manager_role() ) as $role ) {
			wp_set_current_user( $this->user( $role ) );
			list( $s, $d ) = $this->rest( 'GET', self::PATH );
			$this->assertSame( array( 200, self::TEN_PERCENT ), array( $s, $d['template'] ?? null ), $role );
			list( $s, $d ) = $this->rest( 'PUT', self::PATH, array( 'template' => $other ) );
			$this->assertSame( array( 403, 'role_forbidden' ), array( $s, $d['error']['code'] ?? null ), $role );
			list( $s, $d ) = $this->rest( 'PUT', self::PATH, array( 'template' => null ) );
			$this->assertSame( array( 403, 'role_forbidden' ), array( $s, $d['error']['code'] ?? null ), $role );
			wp_set_current_user( 0 );
			list( $session ) = $this->session_of( $role );
			list( $s, $d )   = $this->put( $other, $session );
			$this->assertSame( array( 403, 'role_forbidden' ), array( $s, $d['error']['code'] ?? null ), $role . ' session' );
		}
		list( $s ) = $this->put( $other, array() );
		$this->assertSame( 401, $s );
		list( $s ) = $this->put( $other, array( 'authorization' => 'Bearer ' . Reftrail_Keys::publishable() ) );
		$this->assertSame( 403, $s );
		list( $s ) = $this->rest( 'GET', self::PATH, null, array( 'authorization' => 'Bearer ' . Reftrail_Keys::publishable() ) );
		$this->assertSame( 403, $s );
		wp_set_current_user( $this->user( 'subscriber' ) );
		list( $s ) = $this->rest( 'GET', self::PATH );
		$this->assertSame( 403, $s );
		wp_set_current_user( 0 );
		$this->assertSame( array( 'template' => self::TEN_PERCENT ), $this->shown() );
		$this->assertCount( 1, $this->log( '?action=woocommerce_coupon_template.updated' ) );

		// An administrator, signed in to WordPress or to the dashboard, changes it as themself.
		$admin = $this->user( 'administrator' );
		wp_set_current_user( $admin );
		list( $s, $d ) = $this->rest( 'PUT', self::PATH, array( 'template' => $other ) );
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
		wp_set_current_user( 0 );
		list( $session, $uid ) = $this->session_of( 'administrator' );
		list( $s, $d )         = $this->put( null, $session );
		$this->assertSame( array( 200, array( 'template' => null ) ), array( $s, $d ) );
		$this->assertSame(
			array( 'user:' . get_userdata( $uid )->user_login, 'user:' . get_userdata( $admin )->user_login ),
			array_column( array_slice( $this->log( '?action=woocommerce_coupon_template.updated' ), 0, 2 ), 'by' )
		);
	}

	public function test_approving_a_pending_application_makes_the_coupon_in_the_same_step() {
		update_option( 'woocommerce_currency', 'VND' );
		$this->pending( 'alice', array( 'coupons' => array( 'OLD5' ) ) );
		$this->set( self::TEN_PERCENT );
		$posts = self::coupon_posts();

		list( $s, $d ) = $this->approve( 'alice' );
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
		$this->assertSame( array( 'approved', array( 'ALICE10', 'OLD5' ) ), array( $d['status'], $d['coupons'] ), 'the answer shows the new code' );
		$this->assertSame( array( 'ALICE10', 'OLD5' ), $this->codes( 'alice' ) );
		$this->assertSame( $posts + 1, self::coupon_posts() );
		$post = self::posts( 'ALICE10' );
		$this->assertCount( 1, $post );
		$post = $post[0];
		$this->assertSame( array( 'publish', 'alice10', 'Affiliate coupon: alice', '0' ), array( $post->post_status, $post->post_title, $post->post_excerpt, (string) $post->post_author ) );
		$this->assertSame(
			array(
				'discount_type'        => array( 'percent' ),
				'coupon_amount'        => array( '10' ),
				'individual_use'       => array( 'no' ),
				'usage_count'          => array( '0' ),
				'usage_limit_per_user' => array( '1' ),
			),
			get_post_meta( $post->ID )
		);
		list( , $wc ) = $this->rest( 'GET', '/v1/affiliates/alice/woocommerce-coupons', null, $this->sk() );
		$this->assertSame( array( 'ALICE10' ), array_column( $wc['coupons'], 'code' ) );

		// The approval, then the coupon joining their codes, both by whoever approved.
		$log = $this->log( '?affiliate=alice&action=affiliate.updated' );
		$this->assertSame( array( 'secret_key', 'secret_key' ), array_column( $log, 'by' ) );
		$this->assertSame( array( 'coupons', 'status' ), array( $log[0]['details']['changes'][0]['field'], $log[1]['details']['changes'][0]['field'] ) );
		$this->assertSame( array( 'ALICE10', 'OLD5' ), $log[0]['details']['changes'][0]['after'] );
		$this->assertSame( array(), $this->log( '?action=woocommerce_coupon.skipped' ) );

		// Approved again, or changed otherwise: no other coupon.
		$this->approve( 'alice' );
		$this->rest( 'PATCH', '/v1/affiliates/alice', array( 'name' => 'Alice N.' ), $this->sk() );
		$this->assertSame( $posts + 1, self::coupon_posts() );

		// Suspended, then approved again: not an application approved.
		$this->pending( 'kim' );
		$this->rest( 'PATCH', '/v1/affiliates/kim', array( 'status' => 'suspended' ), $this->sk() );
		$this->approve( 'kim' );
		$this->assertSame( array(), $this->codes( 'kim' ) );
	}

	public function test_an_amount_off_is_stored_in_the_shops_currency_and_written_by_the_approving_user() {
		update_option( 'woocommerce_currency', 'THB' );
		$this->pending( 'bao.tran' );
		$this->set(
			array(
				'discount_type' => 'fixed_cart',
				'amount'        => 15000,
			)
		);
		list( $session, $uid ) = $this->session_of( 'administrator' );
		list( $s, $d )         = $this->approve( 'bao.tran', $session );
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
		// No percent: the id alone.
		$this->assertSame( array( 'BAOTRAN' ), $d['coupons'] );
		$post = self::posts( 'BAOTRAN' )[0];
		$this->assertSame( (string) $uid, (string) $post->post_author );
		$this->assertSame( array( 'fixed_cart', '150.00', '' ), array( get_post_meta( $post->ID, 'discount_type', true ), get_post_meta( $post->ID, 'coupon_amount', true ), get_post_meta( $post->ID, 'usage_limit_per_user', true ) ) );
		$login = 'user:' . get_userdata( $uid )->user_login;
		$this->assertSame( array( $login, $login ), array_column( $this->log( '?affiliate=bao.tran&action=affiliate.updated' ), 'by' ) );
	}

	public function test_applications_approved_by_the_merchant_or_at_once_get_the_coupon() {
		$this->program(
			array(
				'applications' => 'review',
				'fraud'        => array_merge( Reftrail_Program::get()['fraud'], array( 'applications_per_ip_per_hour' => 1000 ) ),
			)
		);
		$this->set( self::TEN_PERCENT );
		$posts         = self::coupon_posts();
		list( $s, $d ) = $this->rest(
			'POST',
			'/v1/portal/applications',
			array(
				'name'  => 'Alice',
				'email' => 'alice@example.test',
				'id'    => 'alice',
			)
		);
		$this->assertSame( array( 202, 'pending' ), array( $s, $d['status'] ?? null ), wp_json_encode( $d ) );
		$this->assertSame( array(), $this->codes( 'alice' ), 'nothing while it waits' );
		$this->assertSame( $posts, self::coupon_posts() );
		list( $s, $d ) = $this->approve( 'alice' );
		$this->assertSame( array( 200, array( 'ALICE10' ) ), array( $s, $d['coupons'] ) );
		$this->assertCount( 1, self::posts( 'alice10' ) );

		// Approved at once by the program: the coupon is WooCommerce's doing, written by no one.
		$this->program( array( 'applications' => 'auto' ) );
		list( $s, $d ) = $this->rest(
			'POST',
			'/v1/portal/applications',
			array(
				'name'  => 'Minh',
				'email' => 'minh@example.test',
				'id'    => 'minh',
			)
		);
		$this->assertSame( array( 202, 'approved' ), array( $s, $d['status'] ?? null ), wp_json_encode( $d ) );
		$this->assertSame( array( 'MINH10' ), $this->codes( 'minh' ) );
		$this->assertSame( '0', (string) self::posts( 'minh10' )[0]->post_author );
		$log = $this->log( '?affiliate=minh' );
		$this->assertSame( array( array( 'woocommerce', 'affiliate.updated' ), array( 'affiliate:minh', 'affiliate.applied' ) ), array_map( fn( $e ) => array( $e['by'], $e['action'] ), $log ) );
		$this->assertSame( $posts + 2, self::coupon_posts() );
	}

	public function test_an_affiliate_the_merchant_adds_approved_gets_one_and_an_import_does_not() {
		$this->set( self::TEN_PERCENT );
		$made = $this->affiliate( 'bob' );
		$this->assertSame( array( 'approved', array( 'BOB10' ) ), array( $made['affiliate']['status'], $made['affiliate']['coupons'] ), 'the answer shows the new code' );
		$this->assertCount( 1, self::posts( 'bob10' ) );
		$this->assertSame( array( array( 'secret_key', 'affiliate.updated' ), array( 'secret_key', 'affiliate.created' ) ), array_map( fn( $e ) => array( $e['by'], $e['action'] ), $this->log( '?affiliate=bob' ) ) );
		// Added pending: not yet.
		$this->pending( 'carol' );
		$this->assertSame( array(), $this->codes( 'carol' ) );
		$this->approve( 'carol' );
		$this->assertSame( array( 'CAROL10' ), $this->codes( 'carol' ) );

		// Imported, from a file or from AffiliateWP: they bring the coupons they had.
		$posts         = self::coupon_posts();
		$file          = "id,name,status,coupons\ndung,Dung,approved,DUNG-OLD\nlan,Lan,approved,\nhoa,Hoa,pending,\n";
		list( $s, $d ) = $this->rest( 'POST', '/v1/affiliates.csv', $file, array_merge( $this->sk(), array( 'content-type' => 'text/csv' ) ) );
		$this->assertSame( array( 200, 3 ), array( $s, $d['created'] ?? null ), wp_json_encode( $d ) );
		$this->assertSame( array( array( 'DUNG-OLD' ), array() ), array( $this->codes( 'dung' ), $this->codes( 'lan' ) ) );
		$this->assertSame( $posts, self::coupon_posts() );
		$this->assertSame( array(), $this->log( '?action=woocommerce_coupon.skipped' ) );
		// An imported application approved later is an application approved.
		$this->approve( 'hoa' );
		$this->assertSame( array( 'HOA10' ), $this->codes( 'hoa' ) );
	}

	public function test_a_taken_code_is_followed_by_its_number_up_to_20_then_none_is_made_and_the_approval_goes_on() {
		// Another affiliate's code, and one WooCommerce has (a draft too): the next number.
		$this->affiliate( 'other', array( 'coupons' => array( 'ALICE10', 'BOB102' ) ) );
		$this->shop_coupon( 'bob10', 'draft' );
		$this->pending( 'alice' );
		$this->pending( 'bob' );
		$this->set( self::TEN_PERCENT );
		list( $s, $d ) = $this->approve( 'alice' );
		$this->assertSame( array( 200, array( 'ALICE102' ) ), array( $s, $d['coupons'] ) );
		$this->assertSame( array( 'BOB103' ), $this->approve( 'bob' )[1]['coupons'] );
		$this->assertCount( 1, self::posts( 'alice102' ) );
		$this->assertCount( 1, self::posts( 'bob103' ) );

		// 19 taken: the 20th is made.
		$taken = array( 'KIM10' );
		for ( $n = 2; $n <= 19; $n++ ) {
			$taken[] = 'KIM10' . $n;
		}
		$this->affiliate( 'holder', array( 'coupons' => array_slice( $taken, 0, 10 ) ) );
		foreach ( array_slice( $taken, 10 ) as $code ) {
			$this->shop_coupon( strtolower( $code ) );
		}
		$this->pending( 'kim' );
		$this->assertSame( array( 'KIM1020' ), $this->approve( 'kim' )[1]['coupons'] );

		// All 20 taken: none is made, the approval stands, and the log says why.
		$this->rest( 'PATCH', '/v1/affiliates/holder', array( 'coupons' => array( 'LAN10', 'LAN102', 'LAN103' ) ), $this->sk() );
		for ( $n = 4; $n <= 20; $n++ ) {
			$this->shop_coupon( 'lan10' . $n, 0 === $n % 2 ? 'publish' : 'pending' );
		}
		$this->pending( 'lan' );
		$posts         = self::coupon_posts();
		list( $s, $d ) = $this->approve( 'lan' );
		$this->assertSame( array( 200, 'approved', array() ), array( $s, $d['status'], $d['coupons'] ), wp_json_encode( $d ) );
		$this->assertSame( $posts, self::coupon_posts() );
		$skipped = $this->log( '?action=woocommerce_coupon.skipped' );
		$this->assertCount( 1, $skipped );
		$this->assertSame( array( 'secret_key', 'lan', 'lan' ), array( $skipped[0]['by'], $skipped[0]['subject'], $skipped[0]['affiliate'] ) );
		$this->assertSame( array( 'codes_taken', 'LAN10' ), array( $skipped[0]['details']['reason'], $skipped[0]['details']['code'] ) );
		$this->assertStringContainsString( 'LAN1020', $skipped[0]['details']['message'] );
		$this->assertCount( 1, $this->log( '?action=woocommerce_coupon.' ) );
		$this->assertSame( 'approved', $this->rest( 'GET', '/v1/affiliates/lan', null, $this->sk() )[1]['status'] );
	}

	public function test_a_code_that_cannot_be_made_is_recorded_and_the_approval_goes_on() {
		$this->set( self::TEN_PERCENT );
		// An id of punctuation only: a code of the percent alone would be no one's.
		$made = $this->affiliate( '-_-' );
		$this->assertSame( array( 'approved', array() ), array( $made['affiliate']['status'], $made['affiliate']['coupons'] ) );
		// A 64-character id: its code is too long.
		$long = str_repeat( 'a', 63 ) . 'b';
		$this->pending( $long );
		$this->assertSame( array( 200, array() ), array( $this->approve( $long )[0], $this->codes( $long ) ) );
		// An affiliate with 50 codes has room for no other.
		$fifty = array_map( fn( $n ) => 'C' . $n, range( 1, 50 ) );
		$this->pending( 'full', array( 'coupons' => $fifty ) );
		$this->assertSame( 200, $this->approve( 'full' )[0] );
		$this->assertCount( 50, $this->codes( 'full' ) );
		$this->assertSame( array(), self::posts( 'full10' ) );

		$skipped = $this->log( '?action=woocommerce_coupon.skipped' );
		$this->assertSame(
			array(
				array( 'full', 'invalid_coupons', 'FULL10' ),
				array( $long, 'invalid_coupons', strtoupper( $long ) . '10' ),
				array( '-_-', 'invalid_code', '10' ),
			),
			array_map( fn( $e ) => array( $e['subject'], $e['details']['reason'], $e['details']['code'] ), $skipped )
		);
		$this->assertSame( 'at most 50 coupons', $skipped[0]['details']['message'] );
	}

	public function test_no_template_makes_nothing() {
		$posts = self::coupon_posts();
		$this->affiliate( 'bob' );
		$this->pending( 'alice' );
		$this->assertSame( array( 200, array() ), array( $this->approve( 'alice' )[0], $this->codes( 'alice' ) ) );
		// Turned off again.
		$this->set( self::TEN_PERCENT );
		$this->set( null );
		$this->affiliate( 'carol' );
		$this->assertSame( array( array(), array() ), array( $this->codes( 'bob' ), $this->codes( 'carol' ) ) );
		$this->assertSame( $posts, self::coupon_posts() );
		$this->assertSame( array(), $this->log( '?action=woocommerce_coupon.skipped' ) );
	}

	public function test_an_affiliate_with_a_woocommerce_coupon_already_gets_none() {
		$this->shop_coupon( 'summer' );
		$this->shop_coupon( 'winter', 'draft' );
		$this->pending( 'alice', array( 'coupons' => array( 'SUMMER' ) ) );
		$this->pending( 'bob', array( 'coupons' => array( 'WINTER' ) ) );
		$this->set( self::TEN_PERCENT );
		$posts = self::coupon_posts();
		$this->assertSame( array( 'SUMMER' ), $this->approve( 'alice' )[1]['coupons'] );
		$this->assertSame( $posts, self::coupon_posts() );
		// Codes without a WooCommerce coupon do not count.
		$made = $this->affiliate( 'carol', array( 'coupons' => array( 'Summer-Sale', 'SUMMER2' ) ) );
		$this->assertSame( array( 'CAROL10', 'SUMMER-SALE', 'SUMMER2' ), $made['affiliate']['coupons'] );
		// Only a published coupon counts.
		$this->assertSame( array( 'BOB10', 'WINTER' ), $this->approve( 'bob' )[1]['coupons'] );
		$this->assertSame( array(), $this->log( '?action=woocommerce_coupon.skipped' ) );
	}

	public function test_without_woocommerce_the_template_is_refused_and_approvals_go_on_without_a_coupon() {
		$this->set( self::TEN_PERCENT );
		$this->pending( 'alice' );
		unregister_post_type( 'shop_coupon' );
		list( $s, $d ) = $this->rest( 'GET', self::PATH, null, $this->sk() );
		$this->assertSame( array( 409, 'woocommerce_missing' ), array( $s, $d['error']['code'] ?? null ) );
		list( $s, $d ) = $this->put(
			array(
				'discount_type' => 'percent',
				'percent'       => 20,
			)
		);
		$this->assertSame( array( 409, 'woocommerce_missing' ), array( $s, $d['error']['code'] ?? null ) );
		// Checked first, as a coupon's body is.
		list( $s, $d ) = $this->put( array( 'discount_type' => 'percent' ) );
		$this->assertSame( array( 400, 'invalid_percent' ), array( $s, $d['error']['code'] ?? null ) );
		$this->assertSame( self::TEN_PERCENT, Reftrail_WooCommerce_Coupon_Template::get() );

		$posts         = self::coupon_posts();
		list( $s, $d ) = $this->approve( 'alice' );
		$this->assertSame( array( 200, 'approved', array() ), array( $s, $d['status'], $d['coupons'] ), wp_json_encode( $d ) );
		$this->assertSame( array( 'approved', array() ), array( $this->affiliate( 'bob' )['affiliate']['status'], $this->codes( 'bob' ) ) );
		$this->assertSame( $posts, self::coupon_posts() );
		$this->assertSame( array(), $this->log( '?action=woocommerce_coupon.skipped' ) );

		// Turning it off needs no WooCommerce.
		list( $s, $d ) = $this->put( null );
		$this->assertSame( array( 200, array( 'template' => null ) ), array( $s, $d ) );
	}

	public function test_a_rolled_back_approval_leaves_no_coupon() {
		$this->pending( 'alice', array( 'coupons' => array( 'OLD5' ) ) );
		$this->set( self::TEN_PERCENT );
		$posts    = self::coupon_posts();
		$activity = self::activity();
		// Something after the coupon fails: the approval and its coupon go back together.
		$fail = function () {
			throw new Reftrail_Http_Error( 503, 'unavailable', 'the database is unavailable; retry later' );
		};
		add_action( 'reftrail_affiliate_approved', $fail, 20 );
		try {
			list( $s, $d ) = $this->approve( 'alice' );
		} finally {
			remove_action( 'reftrail_affiliate_approved', $fail, 20 );
		}
		$this->assertSame( array( 503, 'unavailable' ), array( $s, $d['error']['code'] ?? null ) );
		$this->assertSame( array(), self::posts( 'ALICE10' ) );
		$this->assertSame( array( $posts, $activity ), array( self::coupon_posts(), self::activity() ) );
		list( , $a ) = $this->rest( 'GET', '/v1/affiliates/alice', null, $this->sk() );
		$this->assertSame( array( 'pending', array( 'OLD5' ) ), array( $a['status'], $a['coupons'] ) );

		// The coupon's own write failing is no refused code: the approval fails with it.
		$fail_meta = fn( $check, $id, $key ) => 'coupon_amount' === $key ? false : $check;
		add_filter( 'add_post_metadata', $fail_meta, 10, 3 );
		try {
			list( $s, $d ) = $this->approve( 'alice' );
		} finally {
			remove_filter( 'add_post_metadata', $fail_meta, 10 );
		}
		$this->assertSame( array( 503, 'unavailable' ), array( $s, $d['error']['code'] ?? null ) );
		$this->assertSame( array(), self::posts( 'ALICE10' ) );
		$this->assertSame( array( $posts, $activity ), array( self::coupon_posts(), self::activity() ) );
		$this->assertSame( 'pending', $this->rest( 'GET', '/v1/affiliates/alice', null, $this->sk() )[1]['status'] );

		// A new affiliate whose coupon fails is not added either.
		add_filter( 'add_post_metadata', $fail_meta, 10, 3 );
		try {
			list( $s, $d ) = $this->rest(
				'POST',
				'/v1/affiliates',
				array(
					'id'   => 'bob',
					'name' => 'Bob',
				),
				$this->sk()
			);
		} finally {
			remove_filter( 'add_post_metadata', $fail_meta, 10 );
		}
		$this->assertSame( array( 503, 'unavailable' ), array( $s, $d['error']['code'] ?? null ) );
		$this->assertSame( 404, $this->rest( 'GET', '/v1/affiliates/bob', null, $this->sk() )[0] );
		$this->assertSame( array( $posts, $activity ), array( self::coupon_posts(), self::activity() ) );

		// Then it works.
		list( $s, $d ) = $this->approve( 'alice' );
		$this->assertSame( array( 200, array( 'ALICE10', 'OLD5' ) ), array( $s, $d['coupons'] ) );
	}

	public function test_the_route_is_in_the_openapi_document() {
		list( , $doc ) = $this->rest( 'GET', '/v1/openapi.json' );
		$path          = $doc['paths'][ self::PATH ];
		$this->assertSame( array( 'get', 'put' ), array_keys( $path ) );
		$body = $path['put']['requestBody']['content']['application/json']['schema'];
		$this->assertSame( array( array( 'template' ), false, array( 'template' ) ), array( $body['required'], $body['additionalProperties'], array_keys( $body['properties'] ) ) );
		foreach ( array( 'role_forbidden', 'woocommerce_missing', 'woocommerce_coupon.skipped', 'woocommerce_coupon_template.updated' ) as $word ) {
			$this->assertStringContainsString( $word, $path['put']['summary'] );
		}
		$this->assertStringContainsString( 'woocommerce_missing', $path['get']['summary'] );
		$this->assertSame( array( array( 'secret_key' => array() ), array( 'session' => array() ), array( 'wordpress_user' => array() ) ), $path['put']['security'] );
		$this->assertStringContainsString( 'woocommerce_coupon.skipped', $doc['paths']['/v1/activity']['get']['summary'] );
		$routes = rest_get_server()->get_routes( 'reftrail/v1' );
		$this->assertArrayHasKey( '/reftrail/v1/woocommerce-coupons/template', $routes );
	}
}
