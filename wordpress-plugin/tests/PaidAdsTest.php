<?php
/**
 * The paid-ads flag (`fraud.flag_paid_ads`, as on the server): off by default and for a program
 * stored before it existed; a switch (anything else is refused and changes nothing), recorded in
 * the settings' history; when on, a conversion credited through a click (its id, or the signed
 * click cookie) whose click ids include an ad network's click id is flagged `paid_ads` and never
 * approved automatically; fbclid, the networks' ids and the sub ids are no ads.
 *
 * @package Reftrail
 */

/**
 * Paid-ads flag tests.
 */
class PaidAdsTest extends Reftrail_Test_Case {

	protected function setUp(): void {
		parent::setUp();
		$this->program(
			array(
				'hold_days'  => 0,
				'currency'   => 'VND',
				'commission' => array(
					'sale' => array(
						'type'     => 'percent',
						'rate_bps' => 1000,
					),
					'lead' => array( 'VND' => 20000 ),
				),
			)
		);
		$this->affiliate( 'alice', array( 'coupons' => array( 'ALICE10' ) ) );
	}

	/**
	 * Records a click of alice with `$click_ids`; returns its id.
	 *
	 * @param array       $click_ids Click ids and sub ids.
	 * @param string|null $ip        The visitor's address (default: one of many).
	 * @return string
	 */
	private function click_with( array $click_ids, $ip = null ) {
		list( $status, $body ) = Reftrail_Tracking::click(
			array(
				'affiliate' => 'alice',
				'url'       => 'https://www.shop.test/?ref=alice',
				'consent'   => 'granted',
				'click_ids' => $click_ids,
			),
			array(
				'ip'         => $ip ?? '198.51.100.' . wp_rand( 1, 250 ),
				'user_agent' => 'Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0',
				'https'      => true,
			)
		);
		$this->assertSame( 201, $status, wp_json_encode( $body ) );
		return $body['click_id'];
	}

	/**
	 * A verified sale credited by `$click`; returns [flags, status] of its referral.
	 *
	 * @param string $click   Click id.
	 * @param array  $headers Extra headers (the click cookie).
	 * @param array  $body    Fields to add or replace.
	 * @return array
	 */
	private function sale_by( $click, array $headers = array(), array $body = array() ) {
		list( $s, $d ) = $this->rest(
			'POST',
			'/v1/sales',
			array_merge(
				array(
					'order_id' => 'o-' . wp_generate_password( 10, false ),
					'amount'   => 80000,
					'currency' => 'VND',
					'click_id' => $click,
				),
				$body
			),
			array_merge( $this->sk(), $headers )
		);
		$this->assertSame( 201, $s, wp_json_encode( $d ) );
		return array( $d['referral']['flags'], $d['referral']['status'] );
	}

	/**
	 * Turns the flag on or off with `PUT /v1/program`.
	 *
	 * @param mixed $on The value sent.
	 * @return array [status, body]
	 */
	private function flag( $on ) {
		list( , $p ) = $this->rest( 'GET', '/v1/program', null, $this->sk() );
		return $this->put_program_rest( array( 'fraud' => array_merge( $p['fraud'], array( 'flag_paid_ads' => $on ) ) ) );
	}

	public function test_the_ad_networks_click_ids_and_no_others() {
		foreach ( array( '{"gclid":"Cj0"}', '{"msclkid":"m","sub1":"x"}', '{"ttclid":"t"}' ) as $ids ) {
			$this->assertTrue( Reftrail_Tracking::from_an_ad( $ids ), $ids );
		}
		foreach ( array( '{"fbclid":"IwAR"}', '{"irclickid":"i","sub1":"u"}', '{}', 'not json', '', null, '["gclid"]' ) as $ids ) {
			$this->assertFalse( Reftrail_Tracking::from_an_ad( $ids ), (string) $ids );
		}
		foreach ( Reftrail_Tracking::AD_CLICK_IDS as $id ) {
			$this->assertContains( $id, Reftrail_Tracking::CLICK_ID_PARAMS, "$id is captured" );
		}
		$this->assertSame( array( 'gclid', 'gbraid', 'wbraid', 'dclid', 'msclkid', 'ttclid', 'twclid', 'li_fat_id', 'epik', 'rdt_cid' ), Reftrail_Tracking::AD_CLICK_IDS );
	}

	public function test_the_setting_is_off_by_default_a_switch_and_recorded() {
		list( , $p ) = $this->rest( 'GET', '/v1/program', null, $this->sk() );
		$this->assertFalse( $p['fraud']['flag_paid_ads'], 'off unless asked' );
		foreach ( array( 'yes', 'true', 1, 0, null, array( true ) ) as $bad ) {
			$this->refused( $this->flag( $bad ), 400, 'invalid_fraud', wp_json_encode( $bad ) );
		}
		list( , $after ) = $this->rest( 'GET', '/v1/program', null, $this->sk() );
		$this->assertSame( $p, $after, 'nothing changed' );

		list( $s, $put ) = $this->flag( true );
		$this->assertSame( array( 200, true ), array( $s, $put['fraud']['flag_paid_ads'] ), wp_json_encode( $put ) );
		list( , $changes ) = $this->rest( 'GET', '/v1/program/changes?limit=1', null, $this->sk() );
		$change            = $changes['changes'][0]['settings'];
		$this->assertSame( array( 'fraud' ), array_column( $change, 'setting' ) );
		$this->assertSame( array( false, true ), array( $change[0]['before']['flag_paid_ads'], $change[0]['after']['flag_paid_ads'] ) );
		$this->assertSame( 120, $change[0]['after']['clicks_per_ip_per_hour'], 'the fraud settings are shown whole' );
		// A fraud object without it takes the default.
		$fraud = $put['fraud'];
		unset( $fraud['flag_paid_ads'] );
		list( $s, $put ) = $this->put_program_rest( array( 'fraud' => $fraud ) );
		$this->assertSame( array( 200, false ), array( $s, $put['fraud']['flag_paid_ads'] ) );

		// A program stored before the setting existed reads it off, and sent back as read changes nothing.
		$stored = get_option( Reftrail_Program::OPTION );
		unset( $stored['fraud']['flag_paid_ads'] );
		update_option( Reftrail_Program::OPTION, $stored );
		$this->assertFalse( Reftrail_Program::get()['fraud']['flag_paid_ads'] );
		list( , $before ) = $this->rest( 'GET', '/v1/program/changes', null, $this->sk() );
		$this->assertSame( 200, $this->put_program_rest( array() )[0] );
		list( , $now ) = $this->rest( 'GET', '/v1/program/changes', null, $this->sk() );
		$this->assertSame( $before, $now, 'no change recorded' );
	}

	public function test_sales_from_paid_ads_are_flagged_and_wait_for_review_when_asked() {
		// Off: an ad click credits as any other.
		$this->assertSame( array( array(), 'approved' ), $this->sale_by( $this->click_with( array( 'gclid' => 'Cj0KCQ' ) ) ) );

		$this->assertSame( 200, $this->flag( true )[0] );
		foreach ( Reftrail_Tracking::AD_CLICK_IDS as $id ) {
			$this->assertSame( array( array( 'paid_ads' ), 'pending' ), $this->sale_by( $this->click_with( array( $id => 'x1' ) ) ), $id );
		}
		$this->assertSame( array( array( 'paid_ads' ), 'pending' ), $this->sale_by( $this->click_with( array( 'msclkid' => 'm1', 'sub1' => 'x' ) ) ) );
		// Facebook adds fbclid to every link; networks' ids and sub ids are not ads.
		foreach ( array( array( 'fbclid' => 'IwAR' ), array( 'irclickid' => 'i', 'sub2' => 'y' ), array( 'cjevent' => 'c', 'awc' => 'a', 'sscid' => 's' ), array( 'sub1' => 'gclid' ), array() ) as $ids ) {
			$this->assertSame( array( array(), 'approved' ), $this->sale_by( $this->click_with( $ids ) ), wp_json_encode( $ids ) );
		}
		// The signed click cookie credits through its click too.
		$cookie = array(
			'cookie'     => 'rt_click=' . Reftrail_Click_Cookie::sign( $this->click_with( array( 'ttclid' => 't' ) ) ),
			'user_agent' => 'Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0',
		);
		list( $s, $d ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => 'cookie-1', 'amount' => 80000, 'currency' => 'VND', 'key' => Reftrail_Keys::publishable() ), $cookie );
		$this->assertSame( array( 201, 'cookie', array( 'paid_ads' ) ), array( $s, $d['referral']['attributed_by'], $d['referral']['flags'] ), wp_json_encode( $d ) );
		// A lead through an ad click is flagged the same.
		list( $s, $d ) = $this->rest(
			'POST',
			'/v1/leads',
			array(
				'event'       => 'signup',
				'customer_id' => 'lead-1',
				'click_id'    => $this->click_with( array( 'gbraid' => 'g' ) ),
			),
			$this->sk()
		);
		$this->assertSame( array( 201, array( 'paid_ads' ), 'pending' ), array( $s, $d['referral']['flags'], $d['referral']['status'] ), wp_json_encode( $d ) );
		// A coupon credits through no click: nothing to flag.
		$this->assertSame( array( array(), 'approved' ), $this->sale_by( $this->click_with( array( 'gclid' => 'Cj0' ) ), array(), array( 'coupon' => 'ALICE10' ) ) );
		// With the other flags, in the server's order.
		$this->program( array( 'fraud' => array_merge( Reftrail_Program::get()['fraud'], array( 'clicks_per_ip_per_hour' => 1 ) ) ) );
		$this->click_with( array(), '203.0.113.99' );
		$this->assertSame( array( array( 'click_velocity', 'paid_ads' ), 'pending' ), $this->sale_by( $this->click_with( array( 'dclid' => 'd' ), '203.0.113.99' ) ) );
	}

	public function test_the_team_email_names_the_flag_in_the_programs_language() {
		update_option( 'blogname', 'Shop' );
		$referral = array(
			'id'         => 'ref_1',
			'kind'       => 'sale',
			'affiliate'  => 'alice',
			'order_id'   => 'A-1',
			'event'      => null,
			'amount'     => 80000,
			'currency'   => 'VND',
			'commission' => 8000,
			'status'     => 'pending',
			'flags'      => array( 'paid_ads' ),
			'hold_until' => '2026-12-24T05:00:00Z',
		);
		foreach ( array(
			'en' => 'Why: the click came from a paid ad',
			'vi' => 'Lý do: lượt nhấp đến từ quảng cáo trả phí',
			'th' => 'เหตุผล: คลิกมาจากโฆษณาแบบชำระเงิน',
		) as $locale => $why ) {
			$text = Reftrail_Affiliate_Mail::render_for_admin(
				array(
					'name'   => 'Shop',
					'locale' => $locale,
				),
				'referral.flagged',
				'owner@example.test',
				'alice',
				'Alice',
				null,
				wp_json_encode( $referral )
			);
			$this->assertStringContainsString( "\n\n" . $why . "\n\n", $text['body'], $locale );
		}
	}

	/**
	 * Asserts a refusal: the status and the error code, with a message.
	 *
	 * @param array  $answer [status, body].
	 * @param int    $status Status.
	 * @param string $code   Code.
	 * @param string $what   What was sent.
	 */
	private function refused( array $answer, $status, $code, $what ) {
		list( $s, $d ) = $answer;
		$this->assertSame( array( $status, $code ), array( $s, $d['error']['code'] ?? null ), $what . ': ' . wp_json_encode( $d ) );
		$this->assertNotSame( '', (string) ( $d['error']['message'] ?? '' ), $what );
	}
}
