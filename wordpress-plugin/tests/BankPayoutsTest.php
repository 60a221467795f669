<?php
/**
 * Bank-transfer payouts through the REST routes: an affiliate's `payout` (VietQR or PromptPay)
 * checked and normalized as saved, replaced whole or dropped by PATCH (the merchant's, or the
 * affiliate's own on /v1/me), a refusal writing nothing; a payout batch paying each affiliate by
 * their method, each line keeping how it was paid with the QR payload that pays it, the PayPal
 * file holding the PayPal lines only, the webhook carrying the same lines, and the affiliate
 * seeing where their money went.
 *
 * @package Reftrail
 */

/**
 * Bank payout tests.
 */
class BankPayoutsTest extends Reftrail_Test_Case {

	const VIETQR = array(
		'method'  => 'vietqr',
		'bank'    => '970436',
		'account' => '0011 0019-32.418',
		'name'    => 'NGUYEN VAN A',
	);

	public function test_bank_details_are_saved_normalized_and_shown() {
		$this->affiliate( 'paypal' );
		$this->assertNull( $this->show_affiliate( 'paypal' )['payout'], 'PayPal unless told' );
		$this->affiliate( 'paypal2', array( 'payout' => null ) );
		$this->assertNull( $this->show_affiliate( 'paypal2' )['payout'] );

		$made = $this->affiliate( 'lan', array( 'payout' => self::VIETQR ) );
		$want = array(
			'method'  => 'vietqr',
			'bank'    => '970436',
			'account' => '0011001932418',
			'name'    => 'NGUYEN VAN A',
		);
		$this->assertSame( $want, $made['affiliate']['payout'] );
		$this->assertSame( $want, $this->show_affiliate( 'lan' )['payout'] );
		// PromptPay has no bank, and a name left out is not shown.
		$made = $this->affiliate(
			'somchai',
			array(
				'payout' => array(
					'method'  => 'promptpay',
					'bank'    => null,
					'account' => '+66 81 234 5678',
					'name'    => null,
				),
			)
		);
		$this->assertSame(
			array(
				'method'  => 'promptpay',
				'account' => '0812345678',
			),
			$made['affiliate']['payout']
		);
		list( , $list ) = $this->rest( 'GET', '/v1/affiliates', null, $this->sk() );
		$this->assertSame(
			array(
				'lan'     => $want,
				'paypal'  => null,
				'paypal2' => null,
				'somchai' => array(
					'method'  => 'promptpay',
					'account' => '0812345678',
				),
			),
			array_column( $list['affiliates'], 'payout', 'id' )
		);
		global $wpdb;
		$row = $wpdb->get_row( $wpdb->prepare( 'SELECT payout_method, payout_bank, payout_account, payout_name FROM ' . Reftrail_Db::table( 'affiliates' ) . ' WHERE id = %s', 'somchai' ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		$this->assertSame( array( 'promptpay', null, '0812345678', null ), array_values( $row ) );
	}

	public function test_patch_leaves_replaces_whole_or_drops_the_bank_details() {
		$this->affiliate( 'lan', array( 'payout' => self::VIETQR ) );
		$want = $this->show_affiliate( 'lan' )['payout'];
		// Another field alone leaves them as they are.
		list( $s, $d ) = $this->patch_affiliate( 'lan', array( 'category' => 'coupon' ) );
		$this->assertSame( array( 200, 'coupon', $want ), array( $s, $d['category'], $d['payout'] ) );
		// An object replaces the whole: no name now, and PromptPay has no bank.
		list( $s, $d ) = $this->patch_affiliate(
			'lan',
			array(
				'payout' => array(
					'method'  => 'promptpay',
					'account' => '1-1018-01234-56-3',
				),
			)
		);
		$this->assertSame(
			array(
				200,
				array(
					'method'  => 'promptpay',
					'account' => '1101801234563',
				),
			),
			array( $s, $d['payout'] )
		);
		list( $s, $d ) = $this->patch_affiliate(
			'lan',
			array(
				'payout' => array(
					'method'  => 'promptpay',
					'account' => '004999000288505',
					'name'    => 'สมชาย ใจดี',
				),
			)
		);
		$this->assertSame(
			array(
				'method'  => 'promptpay',
				'account' => '004999000288505',
				'name'    => 'สมชาย ใจดี',
			),
			$d['payout']
		);
		// null goes back to PayPal.
		list( $s, $d ) = $this->patch_affiliate( 'lan', array( 'payout' => null ) );
		$this->assertSame( array( 200, null ), array( $s, $d['payout'] ) );
		$this->assertNull( $this->show_affiliate( 'lan' )['payout'] );
		global $wpdb;
		$row = $wpdb->get_row( $wpdb->prepare( 'SELECT payout_method, payout_bank, payout_account, payout_name FROM ' . Reftrail_Db::table( 'affiliates' ) . ' WHERE id = %s', 'lan' ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		$this->assertSame( array( null, null, null, null ), array_values( $row ), 'nothing of the old details is left' );
	}

	public function test_refused_bank_details_change_nothing() {
		$this->affiliate(
			'lan',
			array(
				'payout'  => array(
					'method'  => 'vietqr',
					'bank'    => '970415',
					'account' => '19033',
				),
				'coupons' => array( 'LAN' ),
			)
		);
		$this->affiliate( 'taken', array( 'coupons' => array( 'TAKEN' ) ) );
		$before = $this->show_affiliate( 'lan' );
		$bad    = array(
			array( array( 'method' => 'paypal', 'account' => 'x@y.test' ), 'invalid_payout_method' ),
			array( array( 'method' => 'VIETQR', 'bank' => '970436', 'account' => '1' ), 'invalid_payout_method' ),
			array( array( 'method' => '', 'account' => '1' ), 'invalid_payout_method' ),
			array( array( 'method' => 'vietqr', 'account' => '0011001932418' ), 'invalid_payout_bank' ),
			array( array( 'method' => 'vietqr', 'bank' => null, 'account' => '0011001932418' ), 'invalid_payout_bank' ),
			array( array( 'method' => 'vietqr', 'bank' => '97043', 'account' => '1' ), 'invalid_payout_bank' ),
			array( array( 'method' => 'vietqr', 'bank' => '９７０４３６', 'account' => '1' ), 'invalid_payout_bank' ),
			array( array( 'method' => 'promptpay', 'bank' => '970436', 'account' => '0812345678' ), 'invalid_payout_bank' ),
			array( array( 'method' => 'promptpay', 'bank' => '', 'account' => '0812345678' ), 'invalid_payout_bank' ),
			array( array( 'method' => 'vietqr', 'bank' => '1', 'account' => '' ), 'invalid_payout_bank' ),
			array( array( 'method' => 'vietqr', 'bank' => '970436', 'account' => '12345678901234567890' ), 'invalid_payout_account' ),
			array( array( 'method' => 'vietqr', 'bank' => '970436', 'account' => '0011/0019' ), 'invalid_payout_account' ),
			array( array( 'method' => 'vietqr', 'bank' => '970436', 'account' => ' - . ' ), 'invalid_payout_account' ),
			array( array( 'method' => 'promptpay', 'account' => '1101801234564' ), 'invalid_payout_account' ),
			array( array( 'method' => 'promptpay', 'account' => '+1 812 345 6789' ), 'invalid_payout_account' ),
			array( array( 'method' => 'promptpay', 'account' => '081234567' ), 'invalid_payout_account' ),
			array( array( 'method' => 'promptpay', 'account' => '0812345678', 'name' => '' ), 'invalid_payout_name' ),
			array( array( 'method' => 'promptpay', 'account' => '0812345678', 'name' => '   ' ), 'invalid_payout_name' ),
			array( array( 'method' => 'promptpay', 'account' => '0812345678', 'name' => "A\nB" ), 'invalid_payout_name' ),
			array( array( 'method' => 'promptpay', 'account' => '0812345678', 'name' => str_repeat( 'ก', 101 ) ), 'invalid_payout_name' ),
			// Unknown, missing or mistyped keys, and a payout that is no object.
			array( array( 'method' => 'promptpay', 'account' => '0812345678', 'iban' => 'x' ), 'invalid_body' ),
			array( array( 'method' => 'promptpay' ), 'invalid_body' ),
			array( array( 'account' => '0812345678' ), 'invalid_body' ),
			array( array( 'method' => null, 'account' => '0812345678' ), 'invalid_body' ),
			array( array( 'method' => 'promptpay', 'account' => 812345678 ), 'invalid_body' ),
			array( array( 'method' => 'vietqr', 'bank' => 970436, 'account' => '1' ), 'invalid_body' ),
			array( array( 'method' => 'promptpay', 'account' => '0812345678', 'name' => array( 'A' ) ), 'invalid_body' ),
			array( array(), 'invalid_body' ),
			array( 'vietqr', 'invalid_body' ),
			array( array( 'vietqr', '970436', '1' ), 'invalid_body' ),
		);
		global $wpdb;
		$count = fn() => (int) $wpdb->get_var( 'SELECT COUNT(*) FROM ' . Reftrail_Db::table( 'affiliates' ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		$n     = $count();
		foreach ( $bad as list( $payout, $code ) ) {
			// With other fields in the same body: nothing of them is applied either.
			list( $s, $d ) = $this->patch_affiliate(
				'lan',
				array(
					'name'    => 'Changed',
					'coupons' => array( 'NEW' ),
					'payout'  => $payout,
				)
			);
			$this->assertSame( array( 400, $code ), array( $s, $d['error']['code'] ?? null ), wp_json_encode( $payout ) );
			list( $s, $d ) = $this->rest(
				'POST',
				'/v1/affiliates',
				array(
					'id'     => 'new',
					'name'   => 'New',
					'payout' => $payout,
				),
				$this->sk()
			);
			$this->assertSame( array( 400, $code ), array( $s, $d['error']['code'] ?? null ), wp_json_encode( $payout ) );
		}
		$this->assertSame( $before, $this->show_affiliate( 'lan' ) );
		$this->assertSame( $n, $count(), 'no affiliate was created' );
		// The shape of the body first, then its fields, then the bank details (the server's order).
		list( $s, $d ) = $this->patch_affiliate(
			'lan',
			array(
				'name'   => '',
				'payout' => array(
					'method'  => 'promptpay',
					'account' => '0812345678',
					'iban'    => 'x',
				),
			)
		);
		$this->assertSame( array( 400, 'invalid_body' ), array( $s, $d['error']['code'] ) );
		list( $s, $d ) = $this->patch_affiliate(
			'lan',
			array(
				'name'   => '',
				'payout' => array(
					'method'  => 'swift',
					'account' => '1',
				),
			)
		);
		$this->assertSame( array( 400, 'invalid_name' ), array( $s, $d['error']['code'] ) );
		// A refusal found while writing (a coupon of another affiliate) rolls the details back too.
		list( $s, $d ) = $this->patch_affiliate(
			'lan',
			array(
				'coupons' => array( 'TAKEN' ),
				'payout'  => array(
					'method'  => 'promptpay',
					'account' => '0812345678',
				),
			)
		);
		$this->assertSame( array( 409, 'coupon_taken' ), array( $s, $d['error']['code'] ) );
		$this->assertSame( $before, $this->show_affiliate( 'lan' ) );
	}

	public function test_an_affiliate_sets_where_their_payouts_go() {
		$made = $this->affiliate( 'somchai', array( 'email' => 'somchai@aff.test' ) );
		$as   = array( 'authorization' => 'Bearer ' . $made['token'] );
		$me   = fn( $body ) => $this->rest( 'PATCH', '/v1/me', $body, $as );
		$pp   = array(
			'method'  => 'promptpay',
			'account' => '0812345678',
			'name'    => 'Somchai',
		);
		list( $s, $d ) = $me(
			array(
				'payout' => array(
					'method'  => 'promptpay',
					'account' => '081 234 5678',
					'name'    => 'Somchai',
				),
			)
		);
		$this->assertSame( array( 200, $pp ), array( $s, $d['affiliate']['payout'] ), wp_json_encode( $d ) );
		$this->assertSame( $pp, $this->show_affiliate( 'somchai' )['payout'], 'the merchant sees it' );
		// The PayPal email too; other fields alone leave the details.
		list( $s, $d ) = $me(
			array(
				'payout_email'    => 'somchai-pay@aff.test',
				'referral_emails' => false,
			)
		);
		$this->assertSame( array( 200, 'somchai-pay@aff.test', $pp, false ), array( $s, $d['affiliate']['payout_email'], $d['affiliate']['payout'], $d['referral_emails'] ) );

		// Refused: nothing changes, the referral emails included.
		$before = $this->show_affiliate( 'somchai' );
		foreach ( array(
			array( array( 'payout' => array( 'method' => 'vietqr', 'bank' => '1', 'account' => '1' ) ), 'invalid_payout_bank' ),
			array( array( 'payout' => array( 'method' => 'promptpay', 'account' => '1101801234564' ) ), 'invalid_payout_account' ),
			array( array( 'payout' => array( 'method' => 'promptpay', 'account' => '0812345678', 'name' => "\u{0085}" ) ), 'invalid_payout_name' ),
			array( array( 'payout_email' => 'not an email' ), 'invalid_payout_email' ),
			array( array( 'payout_email' => 42 ), 'invalid_body' ),
			array( array( 'payout' => array( 'method' => 'promptpay', 'account' => '0812345678', 'bank_name' => 'x' ) ), 'invalid_body' ),
			array( array( 'payout' => 'promptpay' ), 'invalid_body' ),
			array( array( 'email' => 'someone@else.test' ), 'invalid_body' ),
			array( array( 'name' => 'Someone else' ), 'invalid_body' ),
		) as list( $body, $code ) ) {
			list( $s, $d ) = $me( array_merge( array( 'referral_emails' => true ), $body ) );
			$this->assertSame( array( 400, $code ), array( $s, $d['error']['code'] ?? null ), wp_json_encode( $body ) );
		}
		$this->assertSame( $before, $this->show_affiliate( 'somchai' ) );
		$this->assertFalse( Reftrail_Affiliates::referral_emails( 'somchai' ) );

		// Back to PayPal, to the contact email once the PayPal email is removed; absent, it stays.
		list( $s, $d ) = $me( array( 'payout' => null ) );
		$this->assertSame( array( 200, null, 'somchai-pay@aff.test' ), array( $s, $d['affiliate']['payout'], $d['affiliate']['payout_email'] ) );
		list( $s, $d ) = $me( array( 'payout_email' => null ) );
		$this->assertSame( array( 200, null ), array( $s, $d['affiliate']['payout_email'] ) );
		$this->assertSame( 'somchai@aff.test', Reftrail_Affiliates::paid_to( 'somchai' )['paypal_email'] );
		// The merchant sets and removes it the same way.
		list( $s, $d ) = $this->patch_affiliate( 'somchai', array( 'payout_email' => 'set-by-shop@aff.test' ) );
		$this->assertSame( array( 200, 'set-by-shop@aff.test' ), array( $s, $d['payout_email'] ) );
		list( $s, $d ) = $this->patch_affiliate( 'somchai', array( 'name' => 'Somchai J.' ) );
		$this->assertSame( array( 200, 'set-by-shop@aff.test' ), array( $s, $d['payout_email'] ) );
		list( $s, $d ) = $this->patch_affiliate( 'somchai', array( 'payout_email' => null ) );
		$this->assertSame( array( 200, null ), array( $s, $d['payout_email'] ) );
		// Only their own: the merchant's key is refused.
		list( $s ) = $this->rest( 'PATCH', '/v1/me', array( 'payout' => null ), $this->sk() );
		$this->assertSame( 403, $s );
	}

	/**
	 * Records a sale credited through a coupon; returns its referral.
	 *
	 * @param string $order    Order id.
	 * @param int    $amount   Minor units.
	 * @param string $currency Code.
	 * @param string $coupon   Coupon.
	 * @return array
	 */
	private function sale( $order, $amount, $currency, $coupon ) {
		list( $s, $d ) = $this->rest(
			'POST',
			'/v1/sales',
			array(
				'order_id' => $order,
				'amount'   => $amount,
				'currency' => $currency,
				'coupon'   => $coupon,
			),
			$this->sk()
		);
		$this->assertSame( 201, $s, wp_json_encode( $d ) );
		return $d['referral'];
	}

	public function test_a_batch_pays_each_affiliate_by_their_method() {
		global $wpdb;
		$this->program(
			array(
				'hold_days' => 0,
				'webhooks'  => array( array( 'url' => 'http://127.0.0.1:9/hook' ) ),
			)
		);
		// No email at all: a bank affiliate is payable by its details alone.
		$lan = $this->affiliate(
			'lan',
			array(
				'payout'  => self::VIETQR,
				'coupons' => array( 'LAN' ),
			)
		);
		$this->affiliate(
			'somchai',
			array(
				'email'   => 'somchai@aff.test',
				'payout'  => array(
					'method'  => 'promptpay',
					'account' => '081-234-5678',
				),
				'coupons' => array( 'SOMCHAI' ),
			)
		);
		$this->affiliate(
			'alice',
			array(
				'payout_email' => 'alice@pay.test',
				'coupons'      => array( 'ALICE' ),
			)
		);
		$this->affiliate( 'nobody', array( 'coupons' => array( 'NOBODY' ) ) );
		$this->sale( 'B1', 12500000, 'VND', 'LAN' );
		$this->sale( 'B2', 5000, 'USD', 'LAN' );
		$this->sale( 'B3', 1250000, 'THB', 'SOMCHAI' );
		$this->sale( 'B4', 300000, 'VND', 'ALICE' );
		$this->sale( 'B5', 300000, 'VND', 'NOBODY' );

		list( $s, $p ) = $this->rest( 'POST', '/v1/payouts', null, $this->sk() );
		$this->assertSame( 201, $s, wp_json_encode( $p ) );
		$id    = $p['id'];
		$vnd   = Reftrail_Bank_Transfer::vietqr( '970436', '0011001932418', 1250000, Reftrail_Bank_Transfer::purpose( $id ) );
		$thb   = Reftrail_Bank_Transfer::promptpay( Reftrail_Bank_Transfer::promptpay_id( '0812345678' ), 125000 );
		$lines = array(
			array(
				'affiliate'             => 'alice',
				'currency'              => 'VND',
				'amount'                => 30000,
				'gross'                 => 30000,
				'withheld'              => 0,
				'tax_id'                => null,
				'method'                => 'paypal',
				'paypal_email'          => 'alice@pay.test',
				'bank'                  => null,
				'account'               => null,
				'account_name'          => null,
				'transfer_qr'           => null,
				'referrals'             => 1,
				'bonuses'               => 0,
				'recruiter_commissions' => 0,
				'fee'                   => null,
				'sent_at'               => null,
			),
			array(
				'affiliate'             => 'lan',
				'currency'              => 'USD',
				'amount'                => 500,
				'gross'                 => 500,
				'withheld'              => 0,
				'tax_id'                => null,
				'method'                => 'vietqr',
				'paypal_email'          => null,
				'bank'                  => '970436',
				'account'               => '0011001932418',
				'account_name'          => 'NGUYEN VAN A',
				'transfer_qr'           => null,
				'referrals'             => 1,
				'bonuses'               => 0,
				'recruiter_commissions' => 0,
				'fee'                   => null,
				'sent_at'               => null,
			),
			array(
				'affiliate'             => 'lan',
				'currency'              => 'VND',
				'amount'                => 1250000,
				'gross'                 => 1250000,
				'withheld'              => 0,
				'tax_id'                => null,
				'method'                => 'vietqr',
				'paypal_email'          => null,
				'bank'                  => '970436',
				'account'               => '0011001932418',
				'account_name'          => 'NGUYEN VAN A',
				'transfer_qr'           => $vnd,
				'referrals'             => 1,
				'bonuses'               => 0,
				'recruiter_commissions' => 0,
				'fee'                   => null,
				'sent_at'               => null,
			),
			array(
				'affiliate'             => 'somchai',
				'currency'              => 'THB',
				'amount'                => 125000,
				'gross'                 => 125000,
				'withheld'              => 0,
				'tax_id'                => null,
				'method'                => 'promptpay',
				'paypal_email'          => null,
				'bank'                  => null,
				'account'               => '0812345678',
				'account_name'          => null,
				'transfer_qr'           => $thb,
				'referrals'             => 1,
				'bonuses'               => 0,
				'recruiter_commissions' => 0,
				'fee'                   => null,
				'sent_at'               => null,
			),
		);
		// Nobody has neither an email nor bank details: not paid.
		$this->assertSame( $lines, $p['lines'] );
		$this->assertStringContainsString( '0208QRIBFTTA530370454071250000', $vnd );
		$this->assertStringContainsString( '62' . sprintf( '%02d', 4 + strlen( Reftrail_Bank_Transfer::purpose( $id ) ) ) . '08', $vnd, 'the payout id is the transfer note' );
		$this->assertStringContainsString( '01130066812345678', $thb );
		$this->assertStringContainsString( '54071250.00', $thb );

		// The PayPal file has the PayPal line only.
		list( $s, $csv ) = $this->rest( 'GET', '/v1/payouts/' . $id . '.csv', null, $this->sk() );
		$this->assertSame( array( 200, 'alice@pay.test,30000,VND,alice,Affiliate commission ' . $id . "\n" ), array( $s, $csv ) );

		// The webhook carries the same lines.
		$payload = json_decode( (string) $wpdb->get_var( $wpdb->prepare( 'SELECT payload FROM ' . Reftrail_Db::table( 'outbox' ) . ' WHERE event = %s', 'payout.created' ) ), true ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		$this->assertSame( $p, $payload['data'] );

		// A line is kept as it was paid: editing the affiliate later does not rewrite it.
		list( $s ) = $this->patch_affiliate(
			'lan',
			array(
				'payout' => array(
					'method'  => 'vietqr',
					'bank'    => '970422',
					'account' => '999',
				),
			)
		);
		$this->assertSame( 200, $s );
		$this->patch_affiliate( 'somchai', array( 'payout' => null ) );
		list( $s, $again ) = $this->rest( 'GET', '/v1/payouts/' . $id, null, $this->sk() );
		$this->assertSame( array( 200, $lines ), array( $s, $again['lines'] ) );
		list( , $all ) = $this->rest( 'GET', '/v1/payouts', null, $this->sk() );
		$this->assertSame( array( $again ), $all['payouts'] );

		// The affiliate sees where their money went.
		list( $s, $mine ) = $this->rest( 'GET', '/v1/me/payouts', null, array( 'authorization' => 'Bearer ' . $lan['token'] ) );
		$this->assertSame( 200, $s );
		$this->assertSame(
			array(
				array( 'USD', 'vietqr', null, '0011001932418' ),
				array( 'VND', 'vietqr', null, '0011001932418' ),
			),
			array_map( fn( $l ) => array( $l['currency'], $l['method'], $l['paypal_email'], $l['account'] ), $mine['payouts'] )
		);

		// Nothing left to pay the bank affiliates; a bank affiliate now paid by PayPal without an
		// email is not payable.
		$this->sale( 'B6', 10000, 'THB', 'SOMCHAI' );
		list( $s, $next ) = $this->rest( 'POST', '/v1/payouts', array( 'affiliates' => array( 'somchai' ) ), $this->sk() );
		$this->assertSame( 201, $s, wp_json_encode( $next ) );
		$this->assertSame( array( 'paypal', 'somchai@aff.test', null ), array( $next['lines'][0]['method'], $next['lines'][0]['paypal_email'], $next['lines'][0]['transfer_qr'] ) );
		$this->patch_affiliate( 'lan', array( 'payout' => null ) );
		$this->sale( 'B7', 10000, 'VND', 'LAN' );
		list( $s, $d ) = $this->rest( 'POST', '/v1/payouts', array( 'affiliates' => array( 'lan' ) ), $this->sk() );
		$this->assertSame( array( 422, 'nothing_to_pay' ), array( $s, $d['error']['code'] ) );
	}
}
