<?php
/**
 * Emails to affiliates: a referral that earned a commission and a payout queue a message in the
 * transaction of the change; WP-Cron sends it once with wp_mail() (caught here by `pre_wp_mail`),
 * in the program's language with its money written as that language writes it; nothing is queued
 * for what earned nothing or what the program does not want; a refused message is tried again.
 *
 * @package Reftrail
 */

/**
 * Affiliate mail tests.
 */
class AffiliateMailTest extends Reftrail_Test_Case {

	/** @var array[] The messages wp_mail() was given: `to`, `subject`, `message`, `headers`. */
	private $mails = array();

	/** @var bool What wp_mail() answers. */
	private $mail_works = true;

	/** @var callable|null Runs inside wp_mail(), as another cron run would meanwhile. */
	private $while_sending = null;

	protected function setUp(): void {
		parent::setUp();
		add_filter( 'pre_wp_mail', array( $this, 'catch_mail' ), 10, 2 );
	}

	protected function tearDown(): void {
		remove_filter( 'pre_wp_mail', array( $this, 'catch_mail' ), 10 );
		remove_all_filters( 'reftrail_portal_url' );
		remove_action( 'shutdown', array( 'Reftrail_Affiliate_Mail', 'ask_for_a_run' ) );
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
		if ( $this->while_sending ) {
			( $this->while_sending )();
		}
		if ( $this->mail_works ) {
			$this->mails[] = $atts;
		}
		return $this->mail_works;
	}

	/**
	 * The Vietnamese shop of these tests: VND (so Vietnamese), hold 0 days, 10 % per sale; alice
	 * has an email, bob none.
	 *
	 * @param array $changes Program changes.
	 */
	private function shop( array $changes = array() ) {
		$this->program(
			array_merge(
				array(
					'name'      => 'Giày Sài Gòn',
					'currency'  => 'VND',
					'locale'    => null,
					'hold_days' => 0,
				),
				$changes
			)
		);
		$this->affiliate(
			'alice',
			array(
				'name'         => 'Alice Nguyễn',
				'email'        => 'alice@aff.test',
				'payout_email' => 'alice@pay.test',
				'coupons'      => array( 'ALICE' ),
			)
		);
		$this->affiliate(
			'bob',
			array(
				'name'    => 'Bob',
				'coupons' => array( 'BOB' ),
			)
		);
	}

	/**
	 * Posts a sale of 1,250,000 VND with a coupon; returns [status, body].
	 *
	 * @param string $order  Order id.
	 * @param string $coupon Coupon.
	 * @return array
	 */
	private function sale( $order, $coupon ) {
		list( $status, $body ) = $this->rest(
			'POST',
			'/v1/sales',
			array(
				'order_id' => $order,
				'amount'   => 1250000,
				'currency' => 'VND',
				'coupon'   => $coupon,
			),
			$this->sk()
		);
		$this->assertContains( $status, array( 200, 201 ), wp_json_encode( $body ) );
		return array( $status, $body );
	}

	/**
	 * The outbox, oldest first.
	 *
	 * @return array[]
	 */
	private function outbox() {
		global $wpdb;
		return $wpdb->get_results( 'SELECT * FROM ' . Reftrail_Db::table( 'mail_outbox' ) . ' ORDER BY at, id', ARRAY_A ); // phpcs:ignore
	}

	public function test_a_sale_credited_by_coupon_is_mailed_once_in_the_programs_language() {
		$this->shop();
		$this->assertSame( 'vi', Reftrail_Program::get()['locale'] );
		$this->assertSame( array( 'referral.created', 'payout.created' ), Reftrail_Program::get()['affiliate_emails'], 'both by default' );
		$this->sale( '1001', 'ALICE' );
		$rows = $this->outbox();
		$this->assertCount( 1, $rows );
		$this->assertSame( array( 'referral.created', 'alice', '0' ), array( $rows[0]['event'], $rows[0]['affiliate_id'], $rows[0]['attempts'] ) );
		$this->assertSame( array(), $this->mails, 'the request does not wait for the mail' );
		// A run is asked for when the request ends.
		$this->assertSame( 10, has_action( 'shutdown', array( 'Reftrail_Affiliate_Mail', 'ask_for_a_run' ) ) );
		wp_clear_scheduled_hook( Reftrail_Affiliate_Mail::CRON );
		Reftrail_Affiliate_Mail::ask_for_a_run();
		$this->assertIsInt( wp_next_scheduled( Reftrail_Affiliate_Mail::CRON ) );
		$this->assertLessThanOrEqual( time(), wp_next_scheduled( Reftrail_Affiliate_Mail::CRON ) );
		list( $status ) = $this->sale( '1001', 'ALICE' );
		$this->assertSame( 200, $status );
		$this->assertCount( 1, $this->outbox(), 'a replay queues nothing more' );

		// Another run while this one sends finds nothing due: the message is claimed.
		$nested              = null;
		$this->while_sending = function () use ( &$nested ) {
			$this->while_sending = null;
			$nested              = Reftrail_Affiliate_Mail::send_due();
		};
		do_action( Reftrail_Affiliate_Mail::CRON );
		$this->assertSame( 0, $nested );
		$this->assertCount( 1, $this->mails );
		$mail = $this->mails[0];
		$this->assertSame( 'alice@aff.test', $mail['to'] );
		$this->assertSame( 'Giày Sài Gòn: bạn nhận được 125.000 VND', $mail['subject'] );
		$portal = Reftrail_Affiliate_Mail::portal_url();
		$this->assertSame(
			"Xin chào Alice Nguyễn,\n\nMột đơn hàng 1.250.000 VND bạn giới thiệu đến Giày Sài Gòn đã mang lại cho bạn khoản hoa hồng 125.000 VND.\nKhoản này đã được duyệt và sẽ có trong lần thanh toán tới.\n\nGiới thiệu và thu nhập của bạn: {$portal}\n\nBạn nhận được email này vì là cộng tác viên của Giày Sài Gòn.\n",
			$mail['message']
		);
		$this->assertStringNotContainsString( '1001', $mail['message'] . $mail['subject'], 'no order id' );
		$this->assertContains( 'Content-Type: text/plain; charset=UTF-8', (array) $mail['headers'] );
		$rows = $this->outbox();
		$this->assertNotNull( $rows[0]['sent_at'] );
		$this->assertSame( '1', $rows[0]['attempts'] );
		$this->assertSame( 0, Reftrail_Affiliate_Mail::send_due(), 'nothing is sent twice' );
		do_action( Reftrail_Affiliate_Mail::SWEEP );
		$this->assertCount( 1, $this->mails );
		$this->assertSame( 'Affiliates', __( 'Affiliates', 'reftrail' ), "the request's own language is back" );
	}

	public function test_a_message_another_run_claimed_first_is_left_to_it() {
		global $wpdb;
		$this->shop();
		$this->sale( '1004', 'ALICE' );
		// Between this run's look-up and its claim, another run claims the message.
		$t     = Reftrail_Db::table( 'mail_outbox' );
		$other = function ( $sql ) use ( &$other, $wpdb, $t ) {
			if ( 0 === strpos( $sql, "UPDATE {$t} SET next_at = " ) ) {
				remove_filter( 'query', $other );
				$wpdb->query( "UPDATE {$t} SET next_at = next_at + 1" ); // phpcs:ignore
			}
			return $sql;
		};
		add_filter( 'query', $other );
		try {
			$this->assertSame( 0, Reftrail_Affiliate_Mail::send_due() );
		} finally {
			remove_filter( 'query', $other );
		}
		$this->assertSame( array(), $this->mails );
		$row = $this->outbox()[0];
		$this->assertSame( array( '0', null, null ), array( $row['attempts'], $row['sent_at'], $row['failed_at'] ), 'untouched by this run' );
	}

	public function test_the_programs_language_is_used_whatever_the_requests() {
		$this->shop( array( 'locale' => 'en' ) );
		$this->sale( '1005', 'ALICE' );
		$vi = fn() => 'vi';
		add_filter( 'determine_locale', $vi );
		try {
			Reftrail_Plugin::load_textdomain();
			$this->assertSame( 'Cộng tác viên', __( 'Affiliates', 'reftrail' ) );
			$this->assertSame( 1, Reftrail_Affiliate_Mail::send_due() );
			$this->assertSame( 'Giày Sài Gòn: you earned 125,000 VND', $this->mails[0]['subject'] );
			$this->assertStringStartsWith( "Hello Alice Nguyễn,\n\nAn order of 1,250,000 VND you referred to Giày Sài Gòn", $this->mails[0]['message'] );
			$this->assertSame( 'Cộng tác viên', __( 'Affiliates', 'reftrail' ), "the request's language is back" );
		} finally {
			remove_filter( 'determine_locale', $vi );
			unload_textdomain( 'reftrail' );
			Reftrail_Plugin::load_textdomain();
		}
	}

	public function test_a_pending_referral_names_the_end_of_its_hold() {
		$this->shop( array( 'hold_days' => 30 ) );
		list( , $body ) = $this->sale( '1002', 'ALICE' );
		Reftrail_Affiliate_Mail::send_due();
		$until = substr( $body['referral']['hold_until'], 0, 10 );
		$this->assertStringContainsString( "Khoản này đang chờ đến {$until} (thời hạn hoàn tiền của cửa hàng), sau đó sẽ được duyệt nếu đơn hàng không bị hoàn.\n", $this->mails[0]['message'] );
	}

	public function test_what_earned_nothing_or_reaches_nobody_is_not_mailed() {
		$this->shop();
		// No lead rate: the lead earns nothing.
		list( $status, $body ) = $this->rest( 'POST', '/v1/leads', array( 'event' => 'signup', 'customer_id' => 'c1', 'click_id' => $this->click( 'alice' ) ), $this->sk() );
		$this->assertSame( 201, $status, wp_json_encode( $body ) );
		$this->assertSame( 'alice', $body['referral']['affiliate'] );
		$this->assertSame( 0, $body['referral']['commission'] );
		$this->assertSame( array(), $this->outbox() );
		// Bob has no email: his message is given up at once.
		$this->sale( '1003', 'BOB' );
		$this->assertSame( 0, Reftrail_Affiliate_Mail::send_due() );
		$rows = $this->outbox();
		$this->assertCount( 1, $rows );
		$this->assertSame( array( 'bob', null, '1', 'the affiliate has no email' ), array( $rows[0]['affiliate_id'], $rows[0]['sent_at'], $rows[0]['attempts'], $rows[0]['last_error'] ) );
		$this->assertNotNull( $rows[0]['failed_at'] );
		$this->assertSame( array(), $this->mails );
	}

	public function test_the_program_chooses_what_affiliates_hear_about() {
		$this->shop( array( 'affiliate_emails' => array() ) );
		$this->sale( '2001', 'ALICE' );
		$this->assertSame( array(), $this->outbox(), 'none wanted' );
		$this->program( array( 'affiliate_emails' => array( 'payout.created' ) ) );
		$this->sale( '2002', 'ALICE' );
		$this->assertSame( array(), $this->outbox(), 'no referral emails' );
		list( $status ) = $this->rest( 'POST', '/v1/payouts', array(), $this->sk() );
		$this->assertSame( 201, $status );
		$this->assertSame( array( 'payout.created' ), array_column( $this->outbox(), 'event' ) );
	}

	public function test_a_payout_mails_each_affiliate_it_pays() {
		$this->shop( array( 'affiliate_emails' => array( 'payout.created' ) ) );
		$this->affiliate(
			'carol',
			array(
				'name'    => 'Carol',
				'email'   => 'carol@aff.test',
				'coupons' => array( 'CAROL' ),
			)
		);
		$this->sale( '3001', 'ALICE' );
		$this->sale( '3002', 'ALICE' );
		$this->sale( '3003', 'CAROL' );
		list( $status, $payout ) = $this->rest( 'POST', '/v1/payouts', array( 'note' => 'Tháng 11' ), $this->sk() );
		$this->assertSame( 201, $status, wp_json_encode( $payout ) );
		$this->assertCount( 2, $payout['lines'] );
		$queued = array_column( $this->outbox(), 'affiliate_id' );
		sort( $queued );
		$this->assertSame( array( 'alice', 'carol' ), $queued );
		$this->assertSame( 2, Reftrail_Affiliate_Mail::send_due() );
		$by_to = array_column( $this->mails, null, 'to' );
		ksort( $by_to );
		$this->assertSame( array( 'alice@aff.test', 'carol@aff.test' ), array_keys( $by_to ) );
		$alice = $by_to['alice@aff.test'];
		$this->assertSame( 'Giày Sài Gòn: khoản thanh toán 250.000 VND đang được chuyển', $alice['subject'] );
		$this->assertStringStartsWith( "Xin chào Alice Nguyễn,\n\nGiày Sài Gòn đang thanh toán cho bạn 250.000 VND cho 2 lượt giới thiệu, vào tài khoản PayPal alice@pay.test.\nGhi chú: Tháng 11\n\nLịch sử thanh toán của bạn: ", $alice['message'] );
		// Carol has no payout email: PayPal gets her email.
		$this->assertStringContainsString( 'cho bạn 125.000 VND cho 1 lượt giới thiệu, vào tài khoản PayPal carol@aff.test.', $by_to['carol@aff.test']['message'] );
	}

	public function test_a_message_wp_mail_refuses_is_sent_again_later() {
		$this->shop();
		$this->sale( '4001', 'ALICE' );
		$this->mail_works = false;
		$this->assertSame( 0, Reftrail_Affiliate_Mail::send_due() );
		$row = $this->outbox()[0];
		$this->assertSame( array( '1', null, null ), array( $row['attempts'], $row['sent_at'], $row['failed_at'] ) );
		$this->assertNotSame( '', (string) $row['last_error'] );
		$this->assertGreaterThanOrEqual( time() + Reftrail_Webhooks::backoff( 1 ) - 1, (int) $row['next_at'] );
		$this->assertIsInt( wp_next_scheduled( Reftrail_Affiliate_Mail::CRON ), 'a run is asked for when it is due again' );
		$this->mail_works = true;
		$this->assertSame( 0, Reftrail_Affiliate_Mail::send_due(), 'not before its time' );
		add_filter( 'reftrail_now', fn() => time() + Reftrail_Webhooks::backoff( 1 ) + 1 );
		$this->assertSame( 1, Reftrail_Affiliate_Mail::send_due() );
		$row = $this->outbox()[0];
		$this->assertSame( array( '2', null ), array( $row['attempts'], $row['last_error'] ) );
		$this->assertCount( 1, $this->mails );

		// The last attempt that fails gives the message up.
		global $wpdb;
		$this->sale( '4002', 'ALICE' );
		$t = Reftrail_Db::table( 'mail_outbox' );
		$wpdb->query( $wpdb->prepare( "UPDATE {$t} SET attempts = %d WHERE sent_at IS NULL", Reftrail_Affiliate_Mail::MAX_ATTEMPTS - 1 ) ); // phpcs:ignore
		$this->mail_works = false;
		$this->assertSame( 0, Reftrail_Affiliate_Mail::send_due() );
		$row = $this->outbox()[1];
		$this->assertSame( (string) Reftrail_Affiliate_Mail::MAX_ATTEMPTS, $row['attempts'] );
		$this->assertNotNull( $row['failed_at'] );
	}

	public function test_a_change_rolled_back_leaves_no_message() {
		$this->shop();
		$fail = function () {
			throw new Reftrail_Http_Error( 409, 'busy', 'test' );
		};
		add_action( 'reftrail_referral_created', $fail, 20 );
		try {
			list( $status ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => '5001', 'amount' => 1250000, 'currency' => 'VND', 'coupon' => 'ALICE' ), $this->sk() );
		} finally {
			remove_action( 'reftrail_referral_created', $fail, 20 );
		}
		$this->assertSame( 409, $status );
		$this->assertSame( array(), $this->outbox() );
	}

	public function test_the_words_and_money_of_each_language() {
		foreach ( array(
			array( 1250000, 'VND', 'vi', '1.250.000 VND' ),
			array( 1250000, 'VND', 'en', '1,250,000 VND' ),
			array( 1999, 'THB', 'th', '19.99 THB' ),
			array( 123456789, 'THB', 'th', '1,234,567.89 THB' ),
			array( 1250, 'USD', 'vi', '12,50 USD' ),
			array( 5, 'USD', 'en', '0.05 USD' ),
			array( -100000, 'VND', 'vi', '-100.000 VND' ),
			array( 999, 'JPY', 'en', '999 JPY' ),
			array( 1234567, 'KWD', 'en', '1,234.567 KWD' ),
			array( PHP_INT_MIN, 'USD', 'en', '-92,233,720,368,547,758.08 USD' ),
			array( 0, 'VND', 'vi', '0 VND' ),
		) as list( $amount, $currency, $locale, $want ) ) {
			$this->assertSame( $want, Reftrail_Affiliate_Mail::money( $amount, $currency, $locale ) );
		}
		$referral = array(
			'kind'       => 'lead',
			'event'      => 'signup',
			'order_id'   => null,
			'amount'     => 1250000,
			'currency'   => 'VND',
			'commission' => 125000,
			'status'     => 'approved',
			'hold_until' => '2026-12-24T05:00:00Z',
		);
		$p    = array(
			'name'   => 'Shoes',
			'locale' => 'en',
		);
		$text = Reftrail_Affiliate_Mail::render( $p, 'referral.created', wp_json_encode( $referral ), 'Alice', 'https://x.test/portal/' );
		$this->assertSame( 'Shoes: you earned 125,000 VND', $text['subject'] );
		$this->assertSame( "Hello Alice,\n\nA lead (signup) you referred to Shoes earned you a commission of 125,000 VND.\nIt is approved and will be in your next payout.\n\nYour referrals and earnings: https://x.test/portal/\n\nYou receive this email as an affiliate of Shoes.\n", $text['body'] );
		$notice = array(
			'payout_id' => 'po_1',
			'note'      => 'November',
			'line'      => array(
				'affiliate'    => 'alice',
				'currency'     => 'THB',
				'amount'       => 123456,
				'paypal_email' => 'alice@pay.test',
				'referrals'    => 3,
			),
		);
		$text = Reftrail_Affiliate_Mail::render( array( 'name' => 'ร้าน', 'locale' => 'th' ), 'payout.created', wp_json_encode( $notice ), 'Somchai', 'https://x.test/portal/' );
		$this->assertSame( 'ร้าน: การจ่ายเงิน 1,234.56 THB กำลังดำเนินการ', $text['subject'] );
		$this->assertSame( "สวัสดี Somchai,\n\nร้าน กำลังจ่ายเงินให้คุณ 1,234.56 THB สำหรับการแนะนำ 3 รายการ เข้าบัญชี PayPal alice@pay.test\nหมายเหตุ: November\n\nประวัติการจ่ายเงินของคุณ: https://x.test/portal/\n\nคุณได้รับอีเมลนี้เนื่องจากเป็นพาร์ทเนอร์ของ ร้าน\n", $text['body'] );
		$text = Reftrail_Affiliate_Mail::render( array( 'name' => 'Shop', 'locale' => 'en' ), 'payout.created', wp_json_encode( array_merge( $notice, array( 'note' => null ) ) ), 'Alice', 'u' );
		$this->assertStringContainsString( 'Shop is paying you 1,234.56 THB for 3 referrals, to your PayPal account alice@pay.test.', $text['body'] );
		$this->assertStringNotContainsString( 'Note', $text['body'] );
		$notice['line']['referrals'] = 1;
		$text                        = Reftrail_Affiliate_Mail::render( array( 'name' => 'Shop', 'locale' => 'en' ), 'payout.created', wp_json_encode( $notice ), 'Alice', 'u' );
		$this->assertStringContainsString( 'Shop is paying you 1,234.56 THB for 1 referral, to your PayPal account alice@pay.test.', $text['body'] );
		$this->assertNull( Reftrail_Affiliate_Mail::render( $p, 'referral.created', '{}', 'A', 'u' ), 'not a referral' );
		$this->assertNull( Reftrail_Affiliate_Mail::render( $p, 'nope', wp_json_encode( $referral ), 'A', 'u' ) );
	}

	public function test_the_link_goes_to_the_page_with_the_portal() {
		global $wpdb;
		// Only this test's page has the portal (other pages go back with the rollback).
		$wpdb->query( "UPDATE {$wpdb->posts} SET post_status = 'draft' WHERE post_content LIKE '%reftrail_portal%' OR post_content LIKE '%wp:reftrail/portal%'" ); // phpcs:ignore
		wp_cache_flush();
		$this->assertSame( Reftrail_Portal::url(), Reftrail_Affiliate_Mail::portal_url(), 'the portal document when no page has it' );
		$page = wp_insert_post(
			array(
				'post_type'    => 'page',
				'post_status'  => 'publish',
				'post_title'   => 'Partners',
				'post_content' => '<!-- wp:reftrail/portal /-->',
			)
		);
		$this->assertSame( get_permalink( $page ), Reftrail_Affiliate_Mail::portal_url() );
		add_filter( 'reftrail_portal_url', fn() => 'https://partners.example/' );
		$this->assertSame( 'https://partners.example/', Reftrail_Affiliate_Mail::portal_url() );
	}
}
