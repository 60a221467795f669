<?php
/**
 * The activity log (`GET /v1/activity`): each action recorded once with who made it (the secret
 * key, a WordPress user by their login in WordPress, the dashboard or the plugin's own admin
 * forms, an affiliate changing themself or applying through the registration form), its subject,
 * its affiliate and its details (refunds with the money they moved, creatives field by field); nothing for a refused request, a repeat or what the plugin does
 * on its own (approvals after the hold, its own keys); a change that cannot be recorded
 * not made; the filters, pages and order (entries of one second as they were recorded); who may
 * read it; the table the upgrade from schema 17 adds and the uninstall drops.
 *
 * @package Reftrail
 */

/**
 * Activity log tests.
 */
class ActivityTest extends Reftrail_Test_Case {

	/** The tests that create or drop the table, which commits: they run outside the transaction. */
	const SCHEMA_TESTS = array( 'test_the_upgrade_from_17_creates_the_table', 'test_uninstall_with_the_data_drops_the_table' );

	protected function setUp(): void {
		$this->transactional = ! in_array( $this->getName( false ), self::SCHEMA_TESTS, true );
		parent::setUp();
	}

	protected function tearDown(): void {
		$_POST    = array();
		$_REQUEST = array();
		remove_all_filters( 'wp_redirect' );
		remove_all_filters( 'wp_die_handler' );
		parent::tearDown();
	}

	/**
	 * The log as `GET /v1/activity` answers it (the secret key by default).
	 *
	 * @param string     $query   Query, with its `?`.
	 * @param array|null $headers Headers.
	 * @return array[]
	 */
	private function activity( $query = '', ?array $headers = null ) {
		list( $s, $d ) = $this->rest( 'GET', '/v1/activity' . $query, null, $headers ?? $this->sk() );
		$this->assertSame( 200, $s, $query . ' ' . wp_json_encode( $d ) );
		$this->assertSame( array( 'activity' ), array_keys( $d ) );
		return $d['activity'];
	}

	/**
	 * The action, who and subject of each entry, in the list's order.
	 *
	 * @param array[] $list Entries.
	 * @return array[]
	 */
	private function summary( array $list ) {
		return array_map( fn( $e ) => array( $e['action'], $e['by'], $e['subject'] ), $list );
	}

	/**
	 * Asserts two lists of entries are the same JSON (an empty `details` is an object, `{}`).
	 *
	 * @param array[] $want    Entries.
	 * @param array[] $got     Entries.
	 * @param string  $message Message.
	 */
	private function assertEntries( array $want, array $got, $message = '' ) {
		$this->assertSame( wp_json_encode( $want, JSON_PRETTY_PRINT ), wp_json_encode( $got, JSON_PRETTY_PRINT ), $message );
	}

	/**
	 * An entry's details as JSON, so that `{}` and `[]` differ.
	 *
	 * @param array $e Entry.
	 * @return string
	 */
	private function details( array $e ) {
		return wp_json_encode( $e['details'] );
	}

	/**
	 * A pending referral of `$coupon`'s affiliate (a verified sale held for 30 days); its id.
	 *
	 * @param string $coupon Coupon.
	 * @param int    $amount Amount.
	 * @return string
	 */
	private function pending_sale( $coupon, $amount = 100000 ) {
		list( $s, $d ) = $this->rest(
			'POST',
			'/v1/sales',
			array(
				'order_id' => 'o_' . wp_generate_password( 10, false ),
				'amount'   => $amount,
				'currency' => 'USD',
				'coupon'   => $coupon,
			),
			$this->sk()
		);
		$this->assertSame( 201, $s, wp_json_encode( $d ) );
		$this->assertSame( 'pending', $d['referral']['status'] );
		return $d['referral']['id'];
	}

	/**
	 * Signs a WordPress administrator in to the dashboard (`POST /v1/session`); returns the
	 * headers of a change made with that session, and their login.
	 *
	 * @return array [headers, login]
	 */
	private function dashboard_session() {
		$manager = $this->user( 'administrator' );
		wp_set_password( 'correct horse battery', $manager );
		$login                   = get_userdata( $manager )->user_login;
		list( $s, $session, $h ) = $this->rest(
			'POST',
			'/v1/session',
			array(
				'username' => $login,
				'password' => 'correct horse battery',
			)
		);
		$this->assertSame( 201, $s );
		return array(
			array(
				'cookie'       => explode( ';', $h['Set-Cookie'] )[0],
				'x_csrf_token' => $session['csrf_token'],
			),
			$login,
		);
	}

	/**
	 * Submits one of the plugin's wp-admin forms as the current user, with its nonce; returns
	 * where it sent them.
	 *
	 * @param string $handler Reftrail_Admin's handler.
	 * @param string $nonce   The form's nonce action.
	 * @param array  $fields  Fields.
	 * @return string
	 */
	private function submit( $handler, $nonce, array $fields ) {
		$to = null;
		add_filter(
			'wp_redirect',
			function ( $url ) use ( &$to ) {
				$to = $url;
				throw new RuntimeException( 'redirected' );
			}
		);
		$_POST    = array_merge( $fields, array( '_wpnonce' => wp_create_nonce( $nonce ) ) );
		$_REQUEST = $_POST;
		try {
			call_user_func( array( 'Reftrail_Admin', $handler ) );
			$this->fail( 'no redirect' );
		} catch ( RuntimeException $e ) {
			$this->assertSame( 'redirected', $e->getMessage() );
		} finally {
			remove_all_filters( 'wp_redirect' );
			$_POST    = array();
			$_REQUEST = array();
		}
		return (string) $to;
	}

	public function test_changes_to_an_affiliate_are_recorded_field_by_field() {
		add_filter( 'reftrail_now', fn() => 1780000000 );
		$commission = array(
			'sale' => array(
				'type'     => 'percent',
				'rate_bps' => 1500,
			),
		);
		$made       = $this->affiliate(
			'alice',
			array(
				'email'      => 'alice@aff.test',
				'category'   => 'content',
				'coupons'    => array( 'ALICE' ),
				'commission' => $commission,
			)
		);
		$list       = $this->activity();
		$this->assertCount( 1, $list );
		$this->assertSame( array( 'id', 'at', 'by', 'action', 'subject', 'affiliate', 'details' ), array_keys( $list[0] ) );
		$this->assertMatchesRegularExpression( '/^ac_[0-9A-Za-z]{21}$/', $list[0]['id'] );
		$this->assertSame( array( '2026-05-28T20:26:40Z', 'secret_key', 'affiliate.created', 'alice', 'alice', '{}' ), array( $list[0]['at'], $list[0]['by'], $list[0]['action'], $list[0]['subject'], $list[0]['affiliate'], $this->details( $list[0] ) ) );

		$before        = $this->show_affiliate( 'alice' );
		list( $s, $d ) = $this->patch_affiliate(
			'alice',
			array(
				'name'               => 'Alice Changed',
				'category'           => 'content',
				'status'             => 'pending',
				'coupons'            => array( 'alice2', 'ALICE' ),
				'commission'         => array(
					'sale' => array(
						'type'     => 'percent',
						'rate_bps' => 2000,
					),
				),
				'payout'             => array(
					'method'  => 'vietqr',
					'bank'    => '970436',
					'account' => '19033',
				),
				'withholding_exempt' => true,
				'tax_id'             => '0105551234567',
				'payee_type'         => 'company',
			)
		);
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
		$after = $this->show_affiliate( 'alice' );
		$list  = $this->activity();
		$this->assertSame( array( array( 'affiliate.updated', 'secret_key', 'alice' ), array( 'affiliate.created', 'secret_key', 'alice' ) ), $this->summary( $list ) );
		$this->assertSame( 'alice', $list[0]['affiliate'] );
		$this->assertSame(
			array(
				'changes' => array(
					array(
						'field'  => 'commission',
						'before' => $commission,
						'after'  => $after['commission'],
					),
					array(
						'field'  => 'coupons',
						'before' => array( 'ALICE' ),
						'after'  => array( 'ALICE', 'ALICE2' ),
					),
					array(
						'field'  => 'name',
						'before' => 'Alice',
						'after'  => 'Alice Changed',
					),
					array(
						'field'  => 'payee_type',
						'before' => null,
						'after'  => 'company',
					),
					array(
						'field'  => 'payout',
						'before' => null,
						'after'  => $after['payout'],
					),
					array(
						'field'  => 'status',
						'before' => 'approved',
						'after'  => 'pending',
					),
					array(
						'field'  => 'tax_id',
						'before' => null,
						'after'  => '0105551234567',
					),
					array(
						'field'  => 'withholding_exempt',
						'before' => false,
						'after'  => true,
					),
				),
			),
			$list[0]['details'],
			'only what changed (the category was content already), by field, as GET shows it'
		);
		$this->assertSame( $before['commission'], $commission );
		$this->assertSame(
			array(
				'method'  => 'vietqr',
				'bank'    => '970436',
				'account' => '19033',
			),
			$after['payout']
		);

		// The same again (the commission's keys in another order, the coupons in another case),
		// and refused changes: nothing more.
		list( $s ) = $this->patch_affiliate(
			'alice',
			array(
				'name'       => 'Alice Changed',
				'coupons'    => array( 'ALICE', 'Alice2' ),
				'commission' => array(
					'sale' => array(
						'rate_bps' => 2000,
						'type'     => 'percent',
					),
				),
			)
		);
		$this->assertSame( 200, $s );
		list( $s, $d ) = $this->patch_affiliate(
			'alice',
			array(
				'name'  => 'Not saved',
				'email' => 'not an email',
			)
		);
		$this->assertSame( array( 400, 'invalid_email' ), array( $s, $d['error']['code'] ) );
		list( $s, $d ) = $this->patch_affiliate(
			'alice',
			array(
				'name'       => 'Not saved',
				'payee_type' => 'partnership',
			)
		);
		$this->assertSame( array( 400, 'invalid_payee_type' ), array( $s, $d['error']['code'] ) );
		$this->affiliate( 'bob', array( 'coupons' => array( 'BOB' ) ) );
		list( $s, $d ) = $this->patch_affiliate( 'alice', array( 'coupons' => array( 'BOB' ) ) );
		$this->assertSame( array( 409, 'coupon_taken' ), array( $s, $d['error']['code'] ) );
		list( $s ) = $this->patch_affiliate( 'nobody', array( 'name' => 'Nobody' ) );
		$this->assertSame( 404, $s );
		list( $s ) = $this->rest( 'POST', '/v1/affiliates', array( 'id' => 'alice', 'name' => 'Again' ), $this->sk() );
		$this->assertSame( 409, $s );
		list( $s ) = $this->rest( 'PATCH', '/v1/affiliates/alice', array( 'name' => 'Publishable' ), array( 'authorization' => 'Bearer ' . Reftrail_Keys::publishable() ) );
		$this->assertSame( 403, $s );
		$this->assertSame( 'Alice Changed', $this->show_affiliate( 'alice' )['name'] );
		$this->assertSame(
			array( array( 'affiliate.created', 'secret_key', 'bob' ), array( 'affiliate.updated', 'secret_key', 'alice' ), array( 'affiliate.created', 'secret_key', 'alice' ) ),
			$this->summary( $this->activity() )
		);

		// Removing: null after.
		$now       = $this->show_affiliate( 'alice' );
		list( $s ) = $this->patch_affiliate(
			'alice',
			array(
				'commission' => null,
				'payout'     => null,
				'tax_id'     => null,
				'payee_type' => null,
			)
		);
		$this->assertSame( 200, $s );
		$list = $this->activity( '?affiliate=alice&limit=1' );
		$this->assertSame(
			array(
				array( 'commission', $now['commission'], null ),
				array( 'payee_type', 'company', null ),
				array( 'payout', $now['payout'], null ),
				array( 'tax_id', '0105551234567', null ),
			),
			array_map( fn( $c ) => array( $c['field'], $c['before'], $c['after'] ), $list[0]['details']['changes'] )
		);
		$this->assertNotEmpty( $made['token'] );
	}

	public function test_an_affiliate_changing_themself_is_named_as_the_affiliate() {
		$made = $this->affiliate( 'alice', array( 'email' => 'alice@aff.test' ) );
		$uid  = $this->user( Reftrail_Schema::ROLE );
		$this->affiliate(
			'lan',
			array(
				'email'   => 'lan@aff.test',
				'user_id' => $uid,
			)
		);
		// With their portal token.
		list( $s, $d ) = $this->rest( 'PATCH', '/v1/me', array( 'payout_email' => 'alice@pay.test' ), array( 'authorization' => 'Bearer ' . $made['token'] ) );
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
		// Signed in to WordPress with the account linked to them.
		wp_set_current_user( $uid );
		list( $s, $d ) = $this->rest(
			'PATCH',
			'/v1/me',
			array(
				'payout'  => array(
					'method'  => 'promptpay',
					'account' => '0812345678',
				),
				'address' => '1 Sukhumvit Rd, Bangkok 10110',
			),
			array( 'x-wp-nonce' => wp_create_nonce( 'wp_rest' ) )
		);
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
		$payout = $d['affiliate']['payout'];
		// What is not a field of the affiliate (their emails about referrals), the same again, a
		// refused change: nothing.
		list( $s ) = $this->rest( 'PATCH', '/v1/me', array( 'referral_emails' => false ), array( 'x-wp-nonce' => wp_create_nonce( 'wp_rest' ) ) );
		$this->assertSame( 200, $s );
		list( $s ) = $this->rest( 'PATCH', '/v1/me', array( 'address' => '1 Sukhumvit Rd, Bangkok 10110' ), array( 'x-wp-nonce' => wp_create_nonce( 'wp_rest' ) ) );
		$this->assertSame( 200, $s );
		list( $s, $d ) = $this->rest( 'PATCH', '/v1/me', array( 'payout_email' => 'nope' ), array( 'x-wp-nonce' => wp_create_nonce( 'wp_rest' ) ) );
		$this->assertSame( array( 400, 'invalid_payout_email' ), array( $s, $d['error']['code'] ) );
		wp_set_current_user( 0 );

		$this->assertSame(
			array( array( 'affiliate.updated', 'affiliate:alice', 'alice' ), array( 'affiliate.created', 'secret_key', 'alice' ) ),
			$this->summary( $this->activity( '?affiliate=alice' ) )
		);
		$this->assertSame(
			array(
				'changes' => array(
					array(
						'field'  => 'payout_email',
						'before' => null,
						'after'  => 'alice@pay.test',
					),
				),
			),
			$this->activity( '?affiliate=alice' )[0]['details']
		);
		$lan = $this->activity( '?affiliate=lan' );
		$this->assertSame( array( array( 'affiliate.updated', 'affiliate:lan', 'lan' ), array( 'affiliate.created', 'secret_key', 'lan' ) ), $this->summary( $lan ) );
		$this->assertSame( array( 'method' => 'promptpay', 'account' => '0812345678' ), $payout );
		$this->assertSame(
			array(
				'changes' => array(
					array(
						'field'  => 'address',
						'before' => null,
						'after'  => '1 Sukhumvit Rd, Bangkok 10110',
					),
					array(
						'field'  => 'payout',
						'before' => null,
						'after'  => $payout,
					),
				),
			),
			$lan[0]['details']
		);
	}

	public function test_wordpress_users_are_named_by_their_login() {
		$admin = $this->user( 'administrator' );
		$login = get_userdata( $admin )->user_login;
		wp_set_current_user( $admin );
		$nonce         = array( 'x-wp-nonce' => wp_create_nonce( 'wp_rest' ) );
		list( $s, $d ) = $this->rest(
			'POST',
			'/v1/affiliates',
			array(
				'id'   => 'alice',
				'name' => 'Alice',
			),
			$nonce
		);
		$this->assertSame( 201, $s, wp_json_encode( $d ) );
		list( $s ) = $this->rest( 'POST', '/v1/affiliates/alice/token', null, $nonce );
		$this->assertSame( 201, $s );
		wp_set_current_user( 0 );

		// The dashboard's session is a WordPress user's sign-in: named the same way.
		list( $session, $manager ) = $this->dashboard_session();
		list( $s, $d )             = $this->rest( 'PATCH', '/v1/affiliates/alice', array( 'category' => 'coupon' ), $session );
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
		list( $s, $k ) = $this->rest( 'POST', '/v1/keys', array( 'kind' => 'publishable' ), $session );
		$this->assertSame( 201, $s );
		// Without its CSRF token: refused, nothing recorded.
		list( $s ) = $this->rest( 'PATCH', '/v1/affiliates/alice', array( 'category' => 'email' ), array( 'cookie' => $session['cookie'] ) );
		$this->assertSame( 403, $s );

		$list = $this->activity();
		$this->assertSame(
			array(
				array( 'key.created', 'user:' . $manager, $k['id'] ),
				array( 'affiliate.updated', 'user:' . $manager, 'alice' ),
				array( 'affiliate.token_issued', 'user:' . $login, 'alice' ),
				array( 'affiliate.created', 'user:' . $login, 'alice' ),
			),
			$this->summary( $list )
		);
		$this->assertSame( '{"changes":[{"field":"category","before":"other","after":"coupon"}]}', $this->details( $list[1] ) );
		$this->assertSame( '{}', $this->details( $list[2] ) );
		list( $s, $read ) = $this->rest( 'GET', '/v1/activity', null, array( 'cookie' => $session['cookie'] ) );
		$this->assertSame( 200, $s );
		$this->assertEntries( $list, $read['activity'], 'a read: no CSRF token needed' );
	}

	public function test_decisions_about_referrals_are_recorded_not_the_automatic_approvals() {
		$this->affiliate( 'alice', array( 'coupons' => array( 'ALICE' ) ) );
		$one   = $this->pending_sale( 'ALICE' );
		$two   = $this->pending_sale( 'ALICE' );
		$three = $this->pending_sale( 'ALICE' );
		for ( $i = 0; $i < 2; $i++ ) {
			list( $s ) = $this->rest( 'POST', "/v1/referrals/{$one}/approve", null, $this->sk() );
			$this->assertSame( 200, $s );
			list( $s ) = $this->rest( 'POST', "/v1/referrals/{$two}/reject", array( 'reason' => 'test order' ), $this->sk() );
			$this->assertSame( 200, $s );
		}
		// Approved, then rejected without a reason; a rejected one cannot be approved.
		list( $s ) = $this->rest( 'POST', "/v1/referrals/{$one}/reject", null, $this->sk() );
		$this->assertSame( 200, $s );
		list( $s, $d ) = $this->rest( 'POST', "/v1/referrals/{$two}/approve", null, $this->sk() );
		$this->assertSame( array( 409, 'invalid_status' ), array( $s, $d['error']['code'] ) );
		list( $s, $d ) = $this->rest( 'POST', "/v1/referrals/{$three}/reject", array( 'reason' => "two\nlines" ), $this->sk() );
		$this->assertSame( array( 400, 'invalid_reason' ), array( $s, $d['error']['code'] ) );
		list( $s ) = $this->rest( 'POST', '/v1/referrals/ref_nope/approve', null, $this->sk() );
		$this->assertSame( 404, $s );

		// The hold ends: approved by the plugin, which no one decided.
		add_filter( 'reftrail_now', fn() => time() + 31 * Reftrail_Db::DAY );
		list( $s, $d ) = $this->rest( 'GET', '/v1/referrals?affiliate=alice&from=2020-01-01', null, $this->sk() );
		$this->assertSame( 200, $s );
		$this->assertSame( 'approved', array_column( $d['referrals'], 'status', 'id' )[ $three ] );

		$list = $this->activity( '?affiliate=alice' );
		$this->assertSame(
			array(
				array( 'referral.rejected', 'secret_key', $one ),
				array( 'referral.rejected', 'secret_key', $two ),
				array( 'referral.approved', 'secret_key', $one ),
				array( 'affiliate.created', 'secret_key', 'alice' ),
			),
			$this->summary( $list )
		);
		$this->assertSame( array( 'alice', 'alice', 'alice' ), array_column( array_slice( $list, 0, 3 ), 'affiliate' ) );
		$this->assertSame( array( '{"reason":null}', '{"reason":"test order"}', '{}' ), array_map( array( $this, 'details' ), array_slice( $list, 0, 3 ) ) );
		$this->assertEntries( array_slice( $list, 0, 3 ), $this->activity( '?action=referral.' ) );
	}

	public function test_payouts_made_and_lines_marked_sent_are_recorded() {
		$this->program( array( 'hold_days' => 0 ) );
		$this->affiliate(
			'lan',
			array(
				'payout'  => array(
					'method'  => 'vietqr',
					'bank'    => '970436',
					'account' => '19033',
				),
				'coupons' => array( 'LAN' ),
			)
		);
		$this->affiliate(
			'alice',
			array(
				'payout_email' => 'alice@pay.test',
				'coupons'      => array( 'ALICE' ),
			)
		);
		$this->approved_coupon_sale( 'LAN', 10000000, 'VND' );
		$this->approved_coupon_sale( 'ALICE', 10000000, 'VND' );
		$this->assertSame( array(), $this->activity( '?action=referral.' ), 'approved on creation: no one decided' );
		$idem          = array_merge( $this->sk(), array( 'idempotency_key' => 'batch-1' ) );
		list( $s, $p ) = $this->rest( 'POST', '/v1/payouts', null, $idem );
		$this->assertSame( 201, $s, wp_json_encode( $p ) );
		list( $s ) = $this->rest( 'POST', '/v1/payouts', null, $idem );
		$this->assertSame( 200, $s, 'the same request again: answered, not made again' );
		list( $s, $d ) = $this->rest( 'POST', '/v1/payouts', null, $this->sk() );
		$this->assertSame( array( 422, 'nothing_to_pay' ), array( $s, $d['error']['code'] ) );
		$sent = function ( $affiliate, $currency, $sent ) use ( $p ) {
			list( $s ) = $this->rest(
				'POST',
				"/v1/payouts/{$p['id']}/sent",
				array(
					'affiliate' => $affiliate,
					'currency'  => $currency,
					'sent'      => $sent,
				),
				$this->sk()
			);
			return $s;
		};
		$this->assertSame( array( 200, 200, 200, 200 ), array( $sent( 'lan', 'VND', true ), $sent( 'lan', 'VND', true ), $sent( 'alice', 'VND', false ), $sent( 'lan', 'VND', false ) ) );
		$this->assertSame( array( 404, 404 ), array( $sent( 'LAN', 'VND', true ), $sent( 'lan', 'THB', true ) ) );

		$list = $this->activity( '?action=payout.' );
		$this->assertSame(
			array(
				array( 'payout.sent', 'secret_key', $p['id'] ),
				array( 'payout.sent', 'secret_key', $p['id'] ),
				array( 'payout.created', 'secret_key', $p['id'] ),
			),
			$this->summary( $list )
		);
		$this->assertSame( array( 'lan', 'lan', null ), array_column( $list, 'affiliate' ) );
		$this->assertSame( array( '{"currency":"VND","sent":false,"fee":null}', '{"currency":"VND","sent":true,"fee":null}', '{"lines":2}' ), array_map( array( $this, 'details' ), $list ) );
		$this->assertEntries( array_slice( $list, 0, 2 ), $this->activity( '?affiliate=lan&action=payout.sent' ) );
		$this->assertSame( array(), $this->activity( '?affiliate=alice&action=payout.' ), 'the payout itself concerns no one affiliate' );
	}

	public function test_keys_created_and_revoked_are_recorded_not_the_plugins_own() {
		$this->assertSame( array(), $this->activity(), "the test's own secret key is not recorded" );
		list( $s, $pk ) = $this->rest( 'POST', '/v1/keys', array( 'kind' => 'publishable' ), $this->sk() );
		$this->assertSame( 201, $s );
		list( $s, $sk ) = $this->rest( 'POST', '/v1/keys', array( 'kind' => 'secret' ), $this->sk() );
		$this->assertSame( 201, $s );
		list( $s ) = $this->rest( 'POST', '/v1/keys', array( 'kind' => 'root' ), $this->sk() );
		$this->assertSame( 400, $s );
		for ( $i = 0; $i < 2; $i++ ) {
			list( $s ) = $this->rest( 'DELETE', '/v1/keys/' . $pk['id'], null, $this->sk() );
			$this->assertSame( 204, $s );
		}
		list( $s, $d ) = $this->rest( 'DELETE', '/v1/keys/key_nope', null, $this->sk() );
		$this->assertSame( array( 404, 'key_not_found' ), array( $s, $d['error']['code'] ) );
		// Revoked with the key it revokes: recorded as that key's last act.
		list( $s ) = $this->rest( 'DELETE', '/v1/keys/' . $sk['id'], null, array( 'authorization' => 'Bearer ' . $sk['key'] ) );
		$this->assertSame( 204, $s );

		$list = $this->activity();
		$this->assertSame(
			array(
				array( 'key.revoked', 'secret_key', $sk['id'] ),
				array( 'key.revoked', 'secret_key', $pk['id'] ),
				array( 'key.created', 'secret_key', $sk['id'] ),
				array( 'key.created', 'secret_key', $pk['id'] ),
			),
			$this->summary( $list )
		);
		$this->assertSame( array( null, null, null, null ), array_column( $list, 'affiliate' ) );
		$this->assertSame( array( '{"kind":"secret"}', '{"kind":"publishable"}', '{"kind":"secret"}', '{"kind":"publishable"}' ), array_map( array( $this, 'details' ), $list ) );
	}

	public function test_the_admin_pages_forms_are_recorded_by_the_user() {
		$admin = $this->user( 'administrator' );
		$by    = 'user:' . get_userdata( $admin )->user_login;
		wp_set_current_user( $admin );
		$to = $this->submit(
			'handle_add_affiliate',
			'reftrail_add_affiliate',
			array(
				'id'       => 'dana',
				'name'     => 'Dana',
				'category' => 'content',
				'coupons'  => 'DANA',
			)
		);
		$this->assertStringContainsString( 'reftrail_msg=added', $to );
		$to = $this->submit(
			'handle_add_affiliate',
			'reftrail_add_affiliate',
			array(
				'id'   => 'dana',
				'name' => 'Dana again',
			)
		);
		$this->assertStringContainsString( 'reftrail_msg=affiliate_exists', $to );
		foreach ( array( 'suspended', 'approved', 'approved', 'boss' ) as $status ) {
			$this->submit(
				'handle_affiliate_status',
				'reftrail_affiliate_status_dana',
				array(
					'affiliate' => 'dana',
					'status'    => $status,
				)
			);
		}
		$one = $this->pending_sale( 'DANA' );
		$two = $this->pending_sale( 'DANA' );
		foreach ( array( array( $one, 'approve' ), array( $one, 'approve' ), array( $two, 'reject' ) ) as list( $id, $decision ) ) {
			$this->submit(
				'handle_review',
				'reftrail_review_' . $id,
				array(
					'referral' => $id,
					'decision' => $decision,
				)
			);
		}
		$list = $this->activity( '?affiliate=dana' );
		$this->assertSame(
			array(
				array( 'referral.rejected', $by, $two ),
				array( 'referral.approved', $by, $one ),
				array( 'affiliate.updated', $by, 'dana' ),
				array( 'affiliate.updated', $by, 'dana' ),
				array( 'affiliate.created', $by, 'dana' ),
			),
			$this->summary( $list )
		);
		$this->assertSame(
			array( '{"reason":null}', '{}', '{"changes":[{"field":"status","before":"suspended","after":"approved"}]}', '{"changes":[{"field":"status","before":"approved","after":"suspended"}]}', '{}' ),
			array_map( array( $this, 'details' ), $list )
		);

		// A new secret key: every live one revoked, the new one made, each recorded.
		$live = array_column( array_filter( Reftrail_Keys::all(), fn( $e ) => 'secret' === $e['kind'] && null === $e['revoked_at'] ), 'id' );
		$this->submit( 'handle_secret_key', 'reftrail_secret_key', array() );
		$keys = $this->activity( '?action=key.&limit=500', array( 'x-wp-nonce' => wp_create_nonce( 'wp_rest' ) ) );
		$made = Reftrail_Keys::all()[ count( Reftrail_Keys::all() ) - 1 ];
		$this->assertSame( array( 'key.created', $by, $made['id'], '{"kind":"secret"}' ), array( $keys[0]['action'], $keys[0]['by'], $keys[0]['subject'], $this->details( $keys[0] ) ) );
		$revoked = array_slice( $keys, 1 );
		$this->assertEqualsCanonicalizing( $live, array_column( $revoked, 'subject' ) );
		$this->assertSame( array( array( 'key.revoked', $by, '{"kind":"secret"}' ) ), array_values( array_unique( array_map( fn( $e ) => array( $e['action'], $e['by'], $this->details( $e ) ), $revoked ), SORT_REGULAR ) ) );
		$this->assertFalse( Reftrail_Keys::is_secret( $this->secret ) );
	}

	public function test_an_application_through_the_registration_form_is_recorded_as_the_applicant_and_its_decision_by_the_owner() {
		$uid = $this->user( 'subscriber' );
		wp_set_current_user( $uid );
		Reftrail_Affiliates::register( wp_get_current_user(), 'erin', 'Erin', '' );
		$this->assertSame( array( array( 'affiliate.applied', 'affiliate:erin', 'erin' ) ), $this->summary( $this->activity() ) );
		$admin = $this->user( 'administrator' );
		wp_set_current_user( $admin );
		$this->submit(
			'handle_affiliate_status',
			'reftrail_affiliate_status_erin',
			array(
				'affiliate' => 'erin',
				'status'    => 'approved',
			)
		);
		$this->assertSame( array( array( 'affiliate.updated', 'user:' . get_userdata( $admin )->user_login, 'erin' ) ), $this->summary( $this->activity( '?action=affiliate.updated' ) ) );
	}

	public function test_refunds_are_recorded_once_with_the_money_they_moved() {
		$this->affiliate( 'alice', array( 'coupons' => array( 'ALICE' ) ) );
		$sale = function ( array $body ) {
			list( $s, $d ) = $this->rest( 'POST', '/v1/sales', $body, $this->sk() );
			$this->assertSame( 201, $s, wp_json_encode( $d ) );
			return $d;
		};
		$refund = function ( array $body, ?array $headers = null ) {
			return $this->rest( 'POST', '/v1/refunds', $body, $headers ?? $this->sk() );
		};
		$sale(
			array(
				'order_id' => 'o_alice',
				'amount'   => 100000,
				'currency' => 'VND',
				'coupon'   => 'ALICE',
			)
		);
		$body          = array(
			'order_id'  => 'o_alice',
			'amount'    => 40000,
			'refund_id' => 'rf_1',
			'reason'    => 'size too small',
		);
		list( $s, $r ) = $refund( $body );
		$this->assertSame( 201, $s, wp_json_encode( $r ) );
		$this->assertSame( 4000, $r['commission_reversed'] );
		// A replay, a refund id used for another refund, more than is left, an unknown order, a
		// bad reason: nothing more.
		list( $s ) = $refund( $body );
		$this->assertSame( 200, $s );
		list( $s, $d ) = $refund( array_merge( $body, array( 'amount' => 1000 ) ) );
		$this->assertSame( array( 409, 'idempotency_key_reused' ), array( $s, $d['error']['code'] ) );
		list( $s, $d ) = $refund(
			array(
				'order_id'  => 'o_alice',
				'amount'    => 70000,
				'refund_id' => 'rf_2',
			)
		);
		$this->assertSame( array( 422, 'refund_exceeds_order' ), array( $s, $d['error']['code'] ) );
		list( $s, $d ) = $refund( array( 'order_id' => 'o_nobody' ) );
		$this->assertSame( array( 404, 'order_not_found' ), array( $s, $d['error']['code'] ) );
		list( $s, $d ) = $refund(
			array(
				'order_id'  => 'o_alice',
				'amount'    => 1000,
				'refund_id' => 'rf_3',
				'reason'    => "two\nlines",
			)
		);
		$this->assertSame( array( 400, 'invalid_reason' ), array( $s, $d['error']['code'] ) );
		list( $s, $d ) = $refund( array( 'order_id' => 'o_alice' ), array( 'authorization' => 'Bearer ' . Reftrail_Keys::publishable() ) );
		$this->assertSame( 403, $s );

		$list = $this->activity( '?affiliate=alice&action=refund.' );
		$this->assertSame( array( array( 'refund.created', 'secret_key', $r['refund']['id'] ) ), $this->summary( $list ) );
		$this->assertSame( 'alice', $list[0]['affiliate'] );
		$this->assertSame( '{"order_id":"o_alice","amount":40000,"currency":"VND","reason":"size too small","commission_reversed":4000}', $this->details( $list[0] ) );

		// The rest, by a WordPress user, with an Idempotency-Key and no amount: what was left,
		// and the commission left; the referral is reversed.
		$admin = $this->user( 'administrator' );
		wp_set_current_user( $admin );
		list( $s, $rest ) = $refund(
			array( 'order_id' => 'o_alice' ),
			array(
				'x-wp-nonce'      => wp_create_nonce( 'wp_rest' ),
				'idempotency_key' => 'the-rest',
			)
		);
		wp_set_current_user( 0 );
		$this->assertSame( 201, $s, wp_json_encode( $rest ) );
		$this->assertSame( 'reversed', $rest['referral']['status'] );
		$entry = $this->activity( '?affiliate=alice&action=refund.created&limit=1' )[0];
		$this->assertSame( array( 'refund.created', 'user:' . get_userdata( $admin )->user_login, $rest['refund']['id'] ), array( $entry['action'], $entry['by'], $entry['subject'] ) );
		$this->assertSame( '{"order_id":"o_alice","amount":60000,"currency":"VND","reason":null,"commission_reversed":6000}', $this->details( $entry ) );

		// An order nobody referred, and one whose referral was rejected: no commission reversed;
		// the rejected one still concerns its affiliate.
		$sale(
			array(
				'order_id' => 'o_plain',
				'amount'   => 5000,
				'currency' => 'USD',
			)
		);
		$rejected = $sale(
			array(
				'order_id' => 'o_rejected',
				'amount'   => 8000,
				'currency' => 'USD',
				'coupon'   => 'ALICE',
			)
		);
		list( $s ) = $this->rest( 'POST', '/v1/referrals/' . $rejected['referral']['id'] . '/reject', null, $this->sk() );
		$this->assertSame( 200, $s );
		list( $s, $plain ) = $refund( array( 'order_id' => 'o_plain' ) );
		$this->assertSame( 201, $s, wp_json_encode( $plain ) );
		list( $s, $none ) = $refund(
			array(
				'order_id' => 'o_rejected',
				'reason'   => '',
			)
		);
		$this->assertSame( 201, $s, wp_json_encode( $none ) );
		$list = $this->activity( '?action=refund.created' );
		$this->assertSame( array( $none['refund']['id'], $plain['refund']['id'] ), array_column( array_slice( $list, 0, 2 ), 'subject' ) );
		$this->assertSame( array( 'alice', null ), array_column( array_slice( $list, 0, 2 ), 'affiliate' ) );
		$this->assertSame(
			array( '{"order_id":"o_rejected","amount":8000,"currency":"USD","reason":"","commission_reversed":0}', '{"order_id":"o_plain","amount":5000,"currency":"USD","reason":null,"commission_reversed":0}' ),
			array_map( array( $this, 'details' ), array_slice( $list, 0, 2 ) )
		);
		$this->assertCount( 4, $list );
		$this->assertEntries( $list, $this->activity( '?action=refund.' ) );
	}

	public function test_changes_to_creatives_are_recorded_field_by_field() {
		$create        = fn( array $body, $headers ) => $this->rest( 'POST', '/v1/creatives', $body, $headers );
		list( $s, $c ) = $create(
			array(
				'name' => ' Giày chạy bộ ',
				'kind' => 'link',
				'text' => 'Giày chạy bộ −20 %',
			),
			$this->sk()
		);
		$this->assertSame( 201, $s, wp_json_encode( $c ) );
		$id    = $c['id'];
		$patch = fn( array $body, $headers = null ) => $this->rest( 'PATCH', '/v1/creatives/' . $id, $body, $headers ?? $this->sk() );
		list( $s, $d ) = $patch(
			array(
				'kind'        => 'image',
				'image_url'   => 'https://cdn.shop.test/b.png',
				'text'        => 'Giày chạy bộ −20 %',
				'landing_url' => 'https://shop.test/giay',
			)
		);
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
		// The same again (the name with its spaces trimmed again), refused changes, an unknown
		// creative, a creative not made: nothing.
		list( $s ) = $patch(
			array(
				'text' => 'Giày chạy bộ −20 %',
				'name' => 'Giày chạy bộ  ',
			)
		);
		$this->assertSame( 200, $s );
		list( $s, $d ) = $patch( array( 'kind' => 'link' ) );
		$this->assertSame( array( 400, 'invalid_image_url' ), array( $s, $d['error']['code'] ) );
		list( $s, $d ) = $patch(
			array(
				'name'   => 'Not saved',
				'status' => 'gone',
			)
		);
		$this->assertSame( array( 400, 'invalid_status' ), array( $s, $d['error']['code'] ) );
		list( $s, $d ) = $this->rest( 'PATCH', '/v1/creatives/cr_nope', array( 'name' => 'Nope' ), $this->sk() );
		$this->assertSame( array( 404, 'creative_not_found' ), array( $s, $d['error']['code'] ) );
		list( $s ) = $create(
			array(
				'name' => 'No text',
				'kind' => 'link',
			),
			$this->sk()
		);
		$this->assertSame( 400, $s );
		list( $s ) = $patch( array( 'name' => 'Publishable' ), array( 'authorization' => 'Bearer ' . Reftrail_Keys::publishable() ) );
		$this->assertSame( 403, $s );
		// Archived and restored by a WordPress user in the dashboard, the landing page removed.
		list( $session, $manager ) = $this->dashboard_session();
		list( $s, $d )             = $patch( array( 'status' => 'archived' ), $session );
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
		list( $s ) = $patch(
			array(
				'status'      => 'active',
				'landing_url' => null,
				'name'        => 'Giày chạy bộ (2)',
			),
			$session
		);
		$this->assertSame( 200, $s );
		list( $s ) = $this->rest( 'DELETE', '/v1/creatives/' . $id, null, $session );
		$this->assertSame( 204, $s );
		list( $s, $d ) = $this->rest( 'DELETE', '/v1/creatives/' . $id, null, $this->sk() );
		$this->assertSame( array( 404, 'creative_not_found' ), array( $s, $d['error']['code'] ) );

		$list = $this->activity( '?action=creative.' );
		$by   = 'user:' . $manager;
		$this->assertSame(
			array(
				array( 'creative.deleted', $by, $id ),
				array( 'creative.updated', $by, $id ),
				array( 'creative.updated', $by, $id ),
				array( 'creative.updated', 'secret_key', $id ),
				array( 'creative.created', 'secret_key', $id ),
			),
			$this->summary( $list )
		);
		$this->assertSame( array( null, null, null, null, null ), array_column( $list, 'affiliate' ) );
		$this->assertSame(
			array(
				array( 'name' => 'Giày chạy bộ (2)', 'kind' => 'image' ),
				array(
					'changes' => array(
						array(
							'field'  => 'landing_url',
							'before' => 'https://shop.test/giay',
							'after'  => null,
						),
						array(
							'field'  => 'name',
							'before' => 'Giày chạy bộ',
							'after'  => 'Giày chạy bộ (2)',
						),
						array(
							'field'  => 'status',
							'before' => 'archived',
							'after'  => 'active',
						),
					),
				),
				array(
					'changes' => array(
						array(
							'field'  => 'status',
							'before' => 'active',
							'after'  => 'archived',
						),
					),
				),
				array(
					'changes' => array(
						array(
							'field'  => 'image_url',
							'before' => null,
							'after'  => 'https://cdn.shop.test/b.png',
						),
						array(
							'field'  => 'kind',
							'before' => 'link',
							'after'  => 'image',
						),
						array(
							'field'  => 'landing_url',
							'before' => null,
							'after'  => 'https://shop.test/giay',
						),
					),
				),
				array( 'name' => 'Giày chạy bộ', 'kind' => 'link' ),
			),
			array_column( $list, 'details' )
		);
		$this->assertEntries( array( $list[4] ), $this->activity( '?action=creative.created' ) );
		$this->assertSame( array(), $this->activity( '?affiliate=' . $id ), 'a creative concerns no affiliate' );
	}

	public function test_a_refund_or_a_creative_that_cannot_be_recorded_is_not_made() {
		global $wpdb;
		$this->affiliate( 'alice', array( 'coupons' => array( 'ALICE' ) ) );
		list( $s ) = $this->rest(
			'POST',
			'/v1/sales',
			array(
				'order_id' => 'o_1',
				'amount'   => 10000,
				'currency' => 'USD',
				'coupon'   => 'ALICE',
			),
			$this->sk()
		);
		$this->assertSame( 201, $s );
		list( $s, $c ) = $this->rest(
			'POST',
			'/v1/creatives',
			array(
				'name' => 'Banner',
				'kind' => 'link',
				'text' => 'Shop now',
			),
			$this->sk()
		);
		$this->assertSame( 201, $s );
		$t     = Reftrail_Db::table( 'activity' );
		$break = fn( $sql ) => 0 === strpos( $sql, "INSERT INTO `{$t}`" ) ? str_replace( $t, $t . '_missing', $sql ) : $sql;
		add_filter( 'query', $break );
		$quiet = $wpdb->suppress_errors( true );
		try {
			$answers = array(
				$this->rest( 'POST', '/v1/refunds', array( 'order_id' => 'o_1' ), $this->sk() ),
				$this->rest( 'POST', '/v1/creatives', array( 'name' => 'Other', 'kind' => 'link', 'text' => 'Other' ), $this->sk() ),
				$this->rest( 'PATCH', '/v1/creatives/' . $c['id'], array( 'name' => 'Changed' ), $this->sk() ),
				$this->rest( 'DELETE', '/v1/creatives/' . $c['id'], null, $this->sk() ),
			);
		} finally {
			$wpdb->suppress_errors( $quiet );
			remove_filter( 'query', $break );
		}
		foreach ( $answers as list( $s, $d ) ) {
			$this->assertSame( array( 503, 'unavailable' ), array( $s, $d['error']['code'] ) );
		}
		$this->assertSame( array( 10000, 'USD' ), Reftrail_Tracking::refundable( 'o_1' ), 'nothing refunded' );
		list( , $d ) = $this->rest( 'GET', '/v1/referrals?affiliate=alice', null, $this->sk() );
		$this->assertSame( array( 'pending', 1000 ), array( $d['referrals'][0]['status'], $d['referrals'][0]['commission_net'] ), 'no commission reversed' );
		list( , $d ) = $this->rest( 'GET', '/v1/creatives', null, $this->sk() );
		$this->assertSame( array( array( $c['id'], 'Banner' ) ), array_map( fn( $x ) => array( $x['id'], $x['name'] ), $d['creatives'] ), 'none made, changed or deleted' );
		// Then recorded, the refund is made (not answered as a replay of the failed one).
		list( $s ) = $this->rest( 'POST', '/v1/refunds', array( 'order_id' => 'o_1' ), $this->sk() );
		$this->assertSame( 201, $s );
		$this->assertSame( array( 'refund.created', 'creative.created', 'affiliate.created' ), array_column( $this->activity(), 'action' ) );
	}

	public function test_a_change_that_cannot_be_recorded_is_not_made() {
		global $wpdb;
		$this->affiliate( 'alice' );
		$keys  = count( Reftrail_Keys::all() );
		$t     = Reftrail_Db::table( 'activity' );
		$break = fn( $sql ) => 0 === strpos( $sql, "INSERT INTO `{$t}`" ) ? str_replace( $t, $t . '_missing', $sql ) : $sql;
		add_filter( 'query', $break );
		$quiet = $wpdb->suppress_errors( true );
		try {
			list( $s, $d ) = $this->patch_affiliate( 'alice', array( 'name' => 'Changed' ) );
			list( $ks, $k ) = $this->rest( 'POST', '/v1/keys', array( 'kind' => 'publishable' ), $this->sk() );
			list( $ts ) = $this->rest( 'POST', '/v1/affiliates', array( 'id' => 'bob', 'name' => 'Bob' ), $this->sk() );
		} finally {
			$wpdb->suppress_errors( $quiet );
			remove_filter( 'query', $break );
		}
		$this->assertSame( array( 503, 'unavailable' ), array( $s, $d['error']['code'] ) );
		$this->assertSame( array( 503, 'unavailable' ), array( $ks, $k['error']['code'] ) );
		$this->assertSame( 503, $ts );
		$this->assertSame( 'Alice', $this->show_affiliate( 'alice' )['name'] );
		$this->assertCount( $keys, Reftrail_Keys::all(), 'no key made' );
		list( $s ) = $this->rest( 'GET', '/v1/affiliates/bob', null, $this->sk() );
		$this->assertSame( 404, $s );
		$this->assertSame( array( array( 'affiliate.created', 'secret_key', 'alice' ) ), $this->summary( $this->activity() ) );
	}

	public function test_filters_pages_and_newest_first_in_the_order_recorded() {
		$at = 1780000000;
		add_filter(
			'reftrail_now',
			function () use ( &$at ) {
				return $at;
			}
		);
		// Four in one second; one recorded later with an earlier clock; one after.
		$this->affiliate( 'alice' );
		$this->patch_affiliate( 'alice', array( 'name' => 'Alice 2' ) );
		$this->rest( 'POST', '/v1/affiliates/alice/token', null, $this->sk() );
		$this->affiliate( 'bob' );
		$at -= 60;
		$this->patch_affiliate( 'alice', array( 'name' => 'Alice 3' ) );
		$at            += 120;
		list( , $key ) = $this->rest( 'POST', '/v1/keys', array( 'kind' => 'publishable' ), $this->sk() );
		$all           = $this->activity();
		$this->assertSame(
			array(
				array( 'key.created', 'secret_key', $key['id'] ),
				array( 'affiliate.created', 'secret_key', 'bob' ),
				array( 'affiliate.token_issued', 'secret_key', 'alice' ),
				array( 'affiliate.updated', 'secret_key', 'alice' ),
				array( 'affiliate.created', 'secret_key', 'alice' ),
				array( 'affiliate.updated', 'secret_key', 'alice' ),
			),
			$this->summary( $all ),
			'by time, newest first; in one second, the later recorded first'
		);
		$this->assertSame( array( '2026-05-28T20:27:40Z', '2026-05-28T20:26:40Z', '2026-05-28T20:26:40Z', '2026-05-28T20:26:40Z', '2026-05-28T20:26:40Z', '2026-05-28T20:25:40Z' ), array_column( $all, 'at' ) );
		$this->assertSame( 'Alice 3', $all[5]['details']['changes'][0]['after'] );

		// Pages.
		$this->assertEntries( array_slice( $all, 0, 2 ), $this->activity( '?limit=2' ) );
		$this->assertEntries( array_slice( $all, 2, 2 ), $this->activity( '?limit=2&offset=2' ) );
		$this->assertEntries( array_slice( $all, 5 ), $this->activity( '?limit=500&offset=5' ) );
		$this->assertSame( array(), $this->activity( '?offset=6' ) );
		// Filters, alone and together.
		$alice = array( $all[2], $all[3], $all[4], $all[5] );
		$this->assertEntries( $alice, $this->activity( '?affiliate=alice' ) );
		$this->assertEntries( array( $all[3], $all[5] ), $this->activity( '?affiliate=alice&action=affiliate.updated' ) );
		$this->assertEntries( array_slice( $all, 1 ), $this->activity( '?action=affiliate.' ) );
		$this->assertEntries( array( $all[0] ), $this->activity( '?action=key.' ) );
		$this->assertEntries( array( $all[0] ), $this->activity( '?action=key.created' ) );
		$this->assertSame( array(), $this->activity( '?action=key.revoked' ) );
		$this->assertEntries( array( $all[1], $all[4] ), $this->activity( '?action=affiliate.created' ) );
		$this->assertEntries( array( $all[4] ), $this->activity( '?action=affiliate.created&affiliate=alice&offset=0&limit=1' ) );
		$this->assertEntries( array( $all[3] ), $this->activity( '?affiliate=alice&limit=1&offset=1' ) );
		foreach ( array( 'alicex', 'ALICE', 'alice ', '', "alice'--", 'nobody' ) as $other ) {
			$this->assertSame( array(), $this->activity( '?affiliate=' . rawurlencode( $other ) ), "affiliate=$other" );
		}
		// A hundred by default.
		for ( $i = 0; $i < 100; $i++ ) {
			Reftrail_Activity::record( 'secret_key', 'key.revoked', 'key_' . $i, null, array( 'kind' => 'secret' ) );
		}
		$page = $this->activity();
		$this->assertCount( 100, $page );
		$this->assertSame( 'key_99', $page[0]['subject'] );
		$this->assertCount( 106, $this->activity( '?limit=500' ) );
	}

	public function test_bad_filters_and_pages_are_refused() {
		foreach ( array( 'action=affiliate', 'action=referral.paid', 'action=AFFILIATE.', 'action=', 'action=.', 'action=affiliate.updated.', 'action=program.', 'action=affiliate.created%20', 'action=affiliate.%25' ) as $q ) {
			list( $s, $d ) = $this->rest( 'GET', '/v1/activity?' . $q, null, $this->sk() );
			$this->assertSame( array( 400, 'invalid_action' ), array( $s, $d['error']['code'] ?? null ), $q );
		}
		foreach ( array( 'limit=0', 'limit=501', 'limit=-1', 'limit=ten', 'limit=1.5', 'limit=', 'limit[]=1', 'offset=-1', 'offset=x', 'action[]=key.', 'affiliate[]=alice' ) as $q ) {
			list( $s, $d ) = $this->rest( 'GET', '/v1/activity?' . $q, null, $this->sk() );
			$this->assertSame( array( 400, 'invalid_query' ), array( $s, $d['error']['code'] ?? null ), $q );
		}
		$this->assertSame( array(), $this->activity( '?limit=1&offset=99999999999999999999' ) );
	}

	public function test_merchant_callers_only() {
		$made          = $this->affiliate( 'alice' );
		list( $s, $d ) = $this->rest( 'GET', '/v1/activity' );
		$this->assertSame( array( 401, 'unauthorized' ), array( $s, $d['error']['code'] ) );
		list( $s, $d ) = $this->rest( 'GET', '/v1/activity', null, array( 'authorization' => 'Bearer ' . Reftrail_Keys::publishable() ) );
		$this->assertSame( array( 403, 'forbidden' ), array( $s, $d['error']['code'] ) );
		list( $s, $d ) = $this->rest( 'GET', '/v1/activity', null, array( 'authorization' => 'Bearer ' . $made['token'] ) );
		$this->assertSame( array( 403, 'forbidden' ), array( $s, $d['error']['code'] ) );
		$linked = $this->user( Reftrail_Schema::ROLE );
		$this->affiliate( 'lan', array( 'user_id' => $linked ) );
		foreach ( array( 'subscriber' => 403, Reftrail_Schema::ROLE => 403, 'administrator' => 200 ) as $role => $want ) {
			wp_set_current_user( Reftrail_Schema::ROLE === $role ? $linked : $this->user( $role ) );
			list( $s, $d ) = $this->rest( 'GET', '/v1/activity', null, array( 'x-wp-nonce' => wp_create_nonce( 'wp_rest' ) ) );
			$this->assertSame( $want, $s, $role );
		}
		$this->assertSame( array( 'lan', 'alice' ), array_column( $d['activity'], 'subject' ) );
	}

	public function test_the_openapi_document_names_the_route() {
		list( $s, $doc ) = $this->rest( 'GET', '/v1/openapi.json' );
		$this->assertSame( 200, $s );
		$this->assertSame( array( 'get' ), array_keys( $doc['paths']['/v1/activity'] ) );
		$this->assertSame( array( 'affiliate', 'action', 'limit', 'offset' ), array_column( $doc['paths']['/v1/activity']['get']['parameters'], 'name' ) );
		$this->assertStringContainsString( '400 invalid_action', $doc['paths']['/v1/activity']['get']['summary'] );
		$this->assertSame( array( array( 'secret_key' => array() ), array( 'session' => array() ), array( 'wordpress_user' => array() ) ), $doc['paths']['/v1/activity']['get']['security'] );
	}

	public function test_the_upgrade_from_17_creates_the_table() {
		global $wpdb;
		$t = Reftrail_Db::table( 'activity' );
		$wpdb->query( "DROP TABLE IF EXISTS {$t}" ); // phpcs:ignore
		update_option( Reftrail_Schema::OPTION, 17 );
		try {
			Reftrail_Schema::maybe_upgrade();
			$exists  = $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $t ) );
			$columns = $wpdb->get_col( "SHOW COLUMNS FROM {$t}" ); // phpcs:ignore
			$indexes = array_values( array_unique( $wpdb->get_col( "SHOW INDEX FROM {$t}", 2 ) ) ); // phpcs:ignore
			$version = (int) get_option( Reftrail_Schema::OPTION );
			$empty   = Reftrail_Activity::index( null, null, 100, 0 );
			Reftrail_Db::transaction( fn() => Reftrail_Activity::record( 'secret_key', 'key.created', 'key_upgrade', null, array( 'kind' => 'secret' ) ) );
			$listed = Reftrail_Activity::index( null, 'key.', 100, 0 );
			Reftrail_Schema::upgrade();
			$error = $wpdb->last_error;
			$kept  = Reftrail_Activity::index( null, 'key.', 100, 0 );
		} finally {
			$wpdb->query( "DELETE FROM {$t}" ); // phpcs:ignore
		}
		$this->assertSame( $t, $exists );
		$this->assertSame( array( 'seq', 'id', 'at', 'by_whom', 'action', 'subject', 'affiliate_id', 'details' ), $columns );
		$this->assertSame( array( 'PRIMARY', 'id', 'newest', 'affiliate' ), $indexes );
		$this->assertSame( Reftrail_Schema::VERSION, $version, 'brought up to the current schema' );
		$this->assertGreaterThanOrEqual( 18, Reftrail_Schema::VERSION, 'the activity log came with schema 18' );
		$this->assertSame( array(), $empty, 'no entries before the upgrade: nothing is made up' );
		$this->assertSame( array( array( 'key.created', 'secret_key', 'key_upgrade' ) ), $this->summary( $listed ) );
		$this->assertSame( '', $error, 'upgrading again changes nothing' );
		$this->assertSame( $listed, $kept );
		$this->assertContains( 'activity', Reftrail_Schema::TABLES );
	}

	public function test_uninstall_with_the_data_drops_the_table() {
		global $wpdb;
		$t = Reftrail_Db::table( 'activity' );
		Reftrail_Db::transaction( fn() => Reftrail_Activity::record( 'secret_key', 'key.created', 'key_uninstall', null, array( 'kind' => 'secret' ) ) );
		update_option( Reftrail_Settings::OPTION, array_merge( Reftrail_Settings::get(), array( 'delete_data' => true ) ) );
		$this->uninstall();
		wp_cache_flush();
		$gone = $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $t ) );
		$this->reactivate();
		wp_roles()->for_site();
		$this->assertNull( $gone, 'the table goes with the data' );
		$this->assertSame( $t, $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $t ) ), 'activation makes it again' );
		$this->assertSame( array(), Reftrail_Activity::index( null, null, 100, 0 ) );
		$this->assertFalse( Reftrail_Settings::get()['delete_data'], 'the settings are the defaults again' );
	}
}
