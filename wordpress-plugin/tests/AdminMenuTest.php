<?php
/**
 * The Reftrail menu's count of decisions waiting (as WordPress counts comments awaiting
 * moderation): flagged or unverified pending referrals, or every pending one where the program
 * approves nothing by itself, and affiliates' applications.
 *
 * @package Reftrail
 */

/**
 * The admin menu.
 */
final class AdminMenuTest extends Reftrail_Test_Case {

	/**
	 * The Reftrail menu's title as an administrator sees it.
	 *
	 * @return string
	 */
	private function title() {
		global $menu;
		$menu = array(); // phpcs:ignore WordPress.WP.GlobalVariablesOverride.Prohibited -- a fresh menu for each look.
		wp_set_current_user( $this->user( 'administrator' ) );
		Reftrail_Admin::menu();
		foreach ( $menu as $item ) {
			if ( Reftrail_Admin::SLUG === $item[2] ) {
				return $item[0];
			}
		}
		$this->fail( 'no Reftrail menu' );
	}

	/**
	 * A sale of `$order` credited to `$affiliate` by a click, from the shop's page (unverified)
	 * or its backend (verified).
	 *
	 * @param string $order     Order id.
	 * @param string $affiliate Affiliate.
	 * @param bool   $verified  Whether the shop's backend reported it.
	 */
	private function sale( $order, $affiliate, $verified ) {
		list( $status ) = Reftrail_Tracking::sale(
			array(
				'order_id' => $order,
				'amount'   => 100000,
				'currency' => 'VND',
				'click_id' => $this->click( $affiliate ),
			),
			array(
				'verified'   => $verified,
				'user_agent' => 'Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0',
			)
		);
		$this->assertSame( 201, $status );
	}

	public function test_the_menu_counts_the_decisions_waiting() {
		$this->assertSame( 'Reftrail', $this->title(), 'nothing waits: no count' );
		$this->assertSame( 0, Reftrail_Admin::waiting() );

		$this->affiliate( 'alice' );
		$this->affiliate( 'applicant', array( 'status' => 'pending' ) );
		$this->sale( 'web-1', 'alice', false );
		$this->sale( 'shop-1', 'alice', true );
		// The application and the unverified sale; the verified one waits for its hold period.
		$this->assertSame( 2, Reftrail_Admin::waiting() );
		$title = $this->title();
		$this->assertStringStartsWith( 'Reftrail <span class="awaiting-mod count-2">', $title );
		$this->assertStringContainsString( '<span class="pending-count" aria-hidden="true">2</span>', $title );
		$this->assertStringContainsString( '<span class="screen-reader-text">Decisions waiting: 2</span>', $title );

		// Where nothing is approved by itself, every pending referral waits.
		$this->program( array( 'auto_approve' => false ) );
		$this->assertSame( 3, Reftrail_Admin::waiting() );

		// Decided: no longer waiting.
		$this->program( array( 'auto_approve' => true ) );
		list( , $list ) = $this->rest( 'GET', '/v1/referrals?affiliate=alice&status=pending', null, $this->sk() );
		foreach ( $list['referrals'] as $r ) {
			if ( ! $r['verified'] ) {
				list( $s ) = $this->rest( 'POST', '/v1/referrals/' . $r['id'] . '/approve', null, $this->sk() );
				$this->assertSame( 200, $s );
			}
		}
		$this->patch_affiliate( 'applicant', array( 'status' => 'approved' ) );
		$this->assertSame( 0, Reftrail_Admin::waiting() );
		$this->assertSame( 'Reftrail', $this->title() );
	}

	public function test_a_flagged_referral_waits_though_it_is_verified() {
		$this->affiliate( 'selfie', array( 'email' => 'selfie@example.test' ) );
		list( $status ) = Reftrail_Tracking::sale(
			array(
				'order_id' => 'self-1',
				'amount'   => 100000,
				'currency' => 'VND',
				'click_id' => $this->click( 'selfie' ),
				'customer' => array( 'email' => 'selfie@example.test' ),
			),
			array(
				'verified'   => true,
				'user_agent' => 'Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0',
			)
		);
		$this->assertSame( 201, $status );
		list( , $list ) = $this->rest( 'GET', '/v1/referrals?affiliate=selfie', null, $this->sk() );
		$this->assertSame( array( 'self_referral' ), $list['referrals'][0]['flags'] );
		$this->assertSame( 1, Reftrail_Admin::waiting() );
	}
}
