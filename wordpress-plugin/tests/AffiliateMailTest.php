<?php
/**
 * Emails to affiliates: a referral that earned a commission, a payout (to PayPal or by bank
 * transfer, the account named by its last characters), an approved application and a change of
 * where payouts go queue a message in the transaction of the change; WP-Cron sends it once with
 * wp_mail() (caught here by `pre_wp_mail`), in the program's language with its money written as
 * that language writes it; nothing is queued for what earned nothing or what the program does
 * not want; a refused message is tried again. And the site's administrator hears of each
 * application from the sign-up form, in their language, through the same outbox, unless the
 * settings say not to, and of each new referral flagged for review (from a sale or a lead; the
 * WooCommerce tests check orders), in the program's language with the server's words.
 * Applicants hear of their application (acknowledged, or their account already there, or their
 * WordPress account to sign in with), in the server's words. A recruiter hears of each share of
 * their recruit's commission, after the recruit's own message, under the referral message's
 * choices, in the server's words in en, vi and th.
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
		$_POST    = array();
		$_REQUEST = array();
		remove_all_filters( 'wp_redirect' );
		remove_all_filters( 'pre_option_admin_email' );
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
	 * The outbox, oldest first (in the order queued).
	 *
	 * @return array[]
	 */
	private function outbox() {
		global $wpdb;
		return $wpdb->get_results( 'SELECT * FROM ' . Reftrail_Db::table( 'mail_outbox' ) . ' ORDER BY at, BINARY id', ARRAY_A ); // phpcs:ignore
	}

	/**
	 * The outbox's events and affiliates, in the order queued.
	 *
	 * @return array[] `[event, affiliate]` each.
	 */
	private function queued() {
		return array_map( fn( $r ) => array( $r['event'], $r['affiliate_id'] ), $this->outbox() );
	}

	/**
	 * The shop of shop() paying recruiters 12.5 % (the server's test), where carol, recruited by
	 * alice, and dan, recruited by bob, sell with the coupons CAROL and DAN; neither has an email.
	 *
	 * @param array $changes Program changes.
	 */
	private function shop_with_recruits( array $changes = array() ) {
		$this->shop( array_merge( array( 'recruiter_rate_bps' => 1250 ), $changes ) );
		foreach ( array( 'carol' => 'alice', 'dan' => 'bob' ) as $id => $recruiter ) {
			$this->affiliate(
				$id,
				array(
					'name'      => $id . ' Trần',
					'coupons'   => array( strtoupper( $id ) ),
					'recruiter' => $recruiter,
				)
			);
		}
	}

	public function test_a_recruiter_hears_of_the_share_of_each_recruits_commission_after_the_recruits_own_message() {
		$this->shop_with_recruits();
		$this->sale( '7001', 'CAROL' );
		$this->sale( '7002', 'DAN' );
		// Each referral's message, then its recruiter's, each in the transaction of the sale.
		$this->assertSame(
			array(
				array( 'referral.created', 'carol' ),
				array( 'recruiter_commission.created', 'alice' ),
				array( 'referral.created', 'dan' ),
				array( 'recruiter_commission.created', 'bob' ),
			),
			$this->queued()
		);
		global $wpdb;
		$shares  = $wpdb->get_results( 'SELECT * FROM ' . Reftrail_Db::table( 'recruiter_commissions' ) . ' ORDER BY BINARY id', ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		$payload = json_decode( $this->outbox()[1]['payload'], true );
		list( , $listed ) = $this->rest( 'GET', '/v1/recruiter-commissions?affiliate=alice', null, $this->sk() );
		$this->assertSame( $listed['recruiter_commissions'][0], $payload, 'the share as GET /v1/recruiter-commissions lists it' );
		$this->assertSame( array( $shares[0]['id'], 'alice', 'carol', 1250, 15625, 'approved' ), array( $payload['id'], $payload['affiliate'], $payload['recruit'], $payload['rate_bps'], $payload['amount'], $payload['status'] ) );

		// carol and dan have no email, nor has bob: only alice's message goes.
		$this->assertSame( 1, Reftrail_Affiliate_Mail::send_due() );
		$this->assertCount( 1, $this->mails );
		$mail = $this->mails[0];
		$this->assertSame( 'alice@aff.test', $mail['to'] );
		$this->assertSame( 'Giày Sài Gòn: bạn nhận được 15.625 VND từ người bạn giới thiệu', $mail['subject'] );
		// 12.5 % of carol's 125,000 VND, in the server's test's words.
		$this->assertStringContainsString( $this->server_says( 'carol, cộng tác viên bạn giới thiệu tham gia Giày Sài Gòn, vừa nhận được một khoản hoa hồng. Bạn nhận thêm 15.625 VND (12,5 % hoa hồng của họ).' ), $mail['message'] );
		$portal = Reftrail_Affiliate_Mail::portal_url();
		$this->assertSame(
			"Xin chào Alice Nguyễn,\n\ncarol, cộng tác viên bạn giới thiệu tham gia Giày Sài Gòn, vừa nhận được một khoản hoa hồng. Bạn nhận thêm 15.625 VND (12,5 % hoa hồng của họ).\nKhoản này đã được duyệt và sẽ có trong lần thanh toán tới.\n\nĐội nhóm và thu nhập của bạn: {$portal}\nBạn có thể tắt các email này trong cổng cộng tác viên.\n\nBạn nhận được email này vì là cộng tác viên của Giày Sài Gòn.\n",
			$mail['message']
		);
		$this->assertSame(
			array(
				array( 'referral.created', 'carol', 'the affiliate has no email' ),
				array( 'recruiter_commission.created', 'alice', null ),
				array( 'referral.created', 'dan', 'the affiliate has no email' ),
				array( 'recruiter_commission.created', 'bob', 'the affiliate has no email' ),
			),
			array_map( fn( $r ) => array( $r['event'], $r['affiliate_id'], $r['last_error'] ), $this->outbox() )
		);
		$this->assertSame( 0, Reftrail_Affiliate_Mail::send_due(), 'nothing is sent twice' );
	}

	public function test_a_recruiter_who_turned_referral_emails_off_hears_of_no_share() {
		$this->shop_with_recruits();
		// alice turns referral emails off in her portal: her recruit's next sale tells only carol.
		list( $s ) = $this->rest( 'PATCH', '/v1/me', array( 'referral_emails' => false ), array( 'authorization' => 'Bearer ' . Reftrail_Affiliates::new_token( 'alice' ) ) );
		$this->assertSame( 200, $s );
		$referral = $this->sale( '7003', 'CAROL' )[1]['referral'];
		$this->assertSame( array( array( 'referral.created', 'carol' ) ), $this->queued() );
		list( , $listed ) = $this->rest( 'GET', '/v1/recruiter-commissions?affiliate=alice', null, $this->sk() );
		$this->assertSame( array( $referral['id'] ), array_column( $listed['recruiter_commissions'], 'referral' ), 'the share is made all the same' );
		// Bob's choice is his own.
		$this->sale( '7004', 'DAN' );
		$this->assertSame( array( array( 'referral.created', 'carol' ), array( 'referral.created', 'dan' ), array( 'recruiter_commission.created', 'bob' ) ), $this->queued() );
	}

	public function test_the_program_without_referral_emails_tells_no_recruiter() {
		$this->shop_with_recruits( array( 'affiliate_emails' => array( 'payout.created', 'bonus.created' ) ) );
		$this->sale( '7005', 'CAROL' );
		$this->sale( '7006', 'DAN' );
		$this->assertSame( array(), $this->outbox() );
		list( , $listed ) = $this->rest( 'GET', '/v1/recruiter-commissions', null, $this->sk() );
		$this->assertSame( 2, $listed['total'], 'the shares are made all the same' );
	}

	public function test_a_share_rolled_back_leaves_no_message() {
		$this->shop_with_recruits();
		$fail = function () {
			throw new Reftrail_Http_Error( 409, 'busy', 'test' );
		};
		add_action( 'reftrail_recruiter_commission_created', $fail, 20 );
		try {
			list( $status ) = $this->rest( 'POST', '/v1/sales', array( 'order_id' => '7007', 'amount' => 1250000, 'currency' => 'VND', 'coupon' => 'CAROL' ), $this->sk() );
		} finally {
			remove_action( 'reftrail_recruiter_commission_created', $fail, 20 );
		}
		$this->assertSame( 409, $status );
		$this->assertSame( array(), $this->outbox(), "neither carol's message nor alice's" );
		global $wpdb;
		$this->assertSame( '0', $wpdb->get_var( 'SELECT COUNT(*) FROM ' . Reftrail_Db::table( 'recruiter_commissions' ) ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
	}

	/**
	 * `$literal`, one of the server's format strings (checked by server_says()), with its
	 * `{name}` placeholders filled.
	 *
	 * @param string $literal The server's format string.
	 * @param array  $values  Placeholder => value.
	 * @return string
	 */
	private function server_fills( $literal, array $values ) {
		$out = $this->server_says( $literal );
		foreach ( $values as $k => $v ) {
			$out = str_replace( '{' . $k . '}', $v, $out );
		}
		return $out;
	}

	public function test_the_recruiter_email_in_english_vietnamese_and_thai() {
		$share = array(
			'id'         => 'rc_1',
			'affiliate'  => 'rosa',
			'recruit'    => 'tam',
			'referral'   => 'ref_1',
			'rate_bps'   => 1250,
			'amount'     => 15625,
			'reversed'   => 0,
			'currency'   => 'VND',
			'status'     => 'pending',
			'payout_id'  => null,
			'created_at' => '2026-09-21T00:00:00Z',
		);
		$portal = 'https://x.test/portal/';
		// The server's words in each language (server/src/affiliate_mail.rs recruiter_commission_text).
		$words = array(
			'en' => array(
				'program'  => 'Shoes',
				'amount'   => '15,625 VND',
				'rate'     => '12.5',
				'subject'  => '{program}: you earned {amount} from your team',
				'hello'    => 'Hello',
				'what'     => '{recruit}, whom you recruited to {program}, earned a commission. You earn {amount} on top ({rate} % of it).',
				'pending'  => 'It is pending with their commission, and approved when that is.',
				'approved' => 'It is approved and will be in your next payout.',
				'link'     => 'Your team and earnings',
				'turn_off' => 'You can turn these emails off in your portal.',
				'why'      => 'You receive this email as an affiliate of {program}.',
			),
			'vi' => array(
				'program'  => 'Giày Sài Gòn',
				'amount'   => '15.625 VND',
				'rate'     => '12,5',
				'subject'  => '{program}: bạn nhận được {amount} từ người bạn giới thiệu',
				'hello'    => 'Xin chào',
				'what'     => '{recruit}, cộng tác viên bạn giới thiệu tham gia {program}, vừa nhận được một khoản hoa hồng. Bạn nhận thêm {amount} ({rate} % hoa hồng của họ).',
				'pending'  => 'Khoản này đang chờ cùng với hoa hồng của họ và được duyệt khi hoa hồng đó được duyệt.',
				'approved' => 'Khoản này đã được duyệt và sẽ có trong lần thanh toán tới.',
				'link'     => 'Đội nhóm và thu nhập của bạn',
				'turn_off' => 'Bạn có thể tắt các email này trong cổng cộng tác viên.',
				'why'      => 'Bạn nhận được email này vì là cộng tác viên của {program}.',
			),
			'th' => array(
				'program'  => 'ร้าน',
				'amount'   => '15,625 VND',
				'rate'     => '12.5',
				'subject'  => '{program}: คุณได้รับ {amount} จากทีมของคุณ',
				'hello'    => 'สวัสดี',
				'what'     => '{recruit} พาร์ทเนอร์ที่คุณชวนเข้าร่วม {program} เพิ่งได้รับค่าคอมมิชชัน คุณได้รับเพิ่ม {amount} ({rate} % ของค่าคอมมิชชันนั้น)',
				'pending'  => 'รายการนี้รอดำเนินการพร้อมกับค่าคอมมิชชันของเขา และจะได้รับการอนุมัติเมื่อค่าคอมมิชชันนั้นได้รับการอนุมัติ',
				'approved' => 'รายการนี้ได้รับการอนุมัติแล้วและจะรวมอยู่ในการจ่ายเงินครั้งถัดไป',
				'link'     => 'ทีมและรายได้ของคุณ',
				'turn_off' => 'คุณปิดอีเมลเหล่านี้ได้ในพอร์ทัลพาร์ทเนอร์',
				'why'      => 'คุณได้รับอีเมลนี้เนื่องจากเป็นพาร์ทเนอร์ของ {program}',
			),
		);
		foreach ( $words as $locale => $w ) {
			$fill = array(
				'program' => $w['program'],
				'amount'  => $w['amount'],
				'rate'    => $w['rate'],
				'recruit' => 'tam',
			);
			$program = array(
				'name'   => $w['program'],
				'locale' => $locale,
			);
			foreach ( array( 'pending', 'approved' ) as $status ) {
				$text = Reftrail_Affiliate_Mail::render( $program, 'recruiter_commission.created', wp_json_encode( array( 'status' => $status ) + $share ), 'Rosa', $portal );
				$this->assertSame( $this->server_fills( $w['subject'], $fill ), $text['subject'], "$locale $status" );
				$this->assertSame(
					$this->server_says( $w['hello'] ) . " Rosa,\n\n" . $this->server_fills( $w['what'], $fill ) . "\n" . $this->server_says( $w[ $status ] ) . "\n\n"
					. $this->server_says( $w['link'] ) . ': ' . $portal . "\n" . $this->server_says( $w['turn_off'] ) . "\n\n" . $this->server_fills( $w['why'], $fill ) . "\n",
					$text['body'],
					"$locale $status"
				);
			}
		}
		// Whole, as the spec writes them.
		$text = Reftrail_Affiliate_Mail::render( array( 'name' => 'Shoes', 'locale' => 'en' ), 'recruiter_commission.created', wp_json_encode( $share ), 'Rosa', $portal );
		$this->assertSame( 'Shoes: you earned 15,625 VND from your team', $text['subject'] );
		$this->assertSame( "Hello Rosa,\n\ntam, whom you recruited to Shoes, earned a commission. You earn 15,625 VND on top (12.5 % of it).\nIt is pending with their commission, and approved when that is.\n\nYour team and earnings: https://x.test/portal/\nYou can turn these emails off in your portal.\n\nYou receive this email as an affiliate of Shoes.\n", $text['body'] );
		$text = Reftrail_Affiliate_Mail::render( array( 'name' => 'Giày Sài Gòn', 'locale' => 'vi' ), 'recruiter_commission.created', wp_json_encode( array( 'rate_bps' => 1000 ) + $share ), 'Rosa', $portal );
		$this->assertStringContainsString( 'Bạn nhận thêm 15.625 VND (10 % hoa hồng của họ).', $text['body'] );
		$text = Reftrail_Affiliate_Mail::render( array( 'name' => 'ร้าน', 'locale' => 'th' ), 'recruiter_commission.created', wp_json_encode( array( 'rate_bps' => 1205, 'currency' => 'THB' ) + $share ), 'Rosa', $portal );
		$this->assertStringContainsString( 'คุณได้รับเพิ่ม 156.25 THB (12.05 % ของค่าคอมมิชชันนั้น)', $text['body'] );
		// Another language reads English; a payload that is no share renders nothing.
		$text = Reftrail_Affiliate_Mail::render( array( 'name' => 'Schuhe', 'locale' => 'de' ), 'recruiter_commission.created', wp_json_encode( array( 'rate_bps' => 5 ) + $share ), 'Rosa', $portal );
		$this->assertStringContainsString( 'You earn 15,625 VND on top (0.05 % of it).', $text['body'] );
		$this->assertNull( Reftrail_Affiliate_Mail::render( array( 'name' => 'Shoes', 'locale' => 'en' ), 'recruiter_commission.created', wp_json_encode( array( 'recruit' => null ) + $share ), 'Rosa', $portal ) );
		$this->assertNull( Reftrail_Affiliate_Mail::render( array( 'name' => 'Shoes', 'locale' => 'en' ), 'recruiter_commission.created', '{}', 'Rosa', $portal ) );
		$this->assertSame( 'Affiliates', __( 'Affiliates', 'reftrail' ), "the request's own language is back" );
	}

	public function test_a_sale_credited_by_coupon_is_mailed_once_in_the_programs_language() {
		$this->shop();
		$this->assertSame( 'vi', Reftrail_Program::get()['locale'] );
		$this->assertSame( array( 'referral.created', 'payout.created', 'affiliate.approved', 'bonus.created' ), Reftrail_Program::get()['affiliate_emails'], 'all by default' );
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
			"Xin chào Alice Nguyễn,\n\nMột đơn hàng 1.250.000 VND bạn giới thiệu đến Giày Sài Gòn đã mang lại cho bạn khoản hoa hồng 125.000 VND.\nKhoản này đã được duyệt và sẽ có trong lần thanh toán tới.\n\nGiới thiệu và thu nhập của bạn: {$portal}\nBạn có thể tắt các email này trong cổng cộng tác viên.\n\nBạn nhận được email này vì là cộng tác viên của Giày Sài Gòn.\n",
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

	public function test_an_affiliate_turns_referral_emails_off_and_on_for_themselves() {
		$this->shop();
		$alice = array( 'authorization' => 'Bearer ' . Reftrail_Affiliates::new_token( 'alice' ) );
		$patch = fn( $body, $headers = array() ) => $this->rest( 'PATCH', '/v1/me', $body, $headers );
		$code  = fn( $answer ) => array( $answer[0], $answer[1]['error']['code'] ?? null );
		list( $s, $me ) = $this->rest( 'GET', '/v1/me', null, $alice );
		$this->assertSame( array( 200, true ), array( $s, $me['referral_emails'] ), 'on unless turned off' );

		// Refused, changing nothing: others than the affiliate, and bodies with other fields or
		// other values.
		$turn_off = array( 'referral_emails' => false );
		$this->assertSame( array( 401, 'unauthorized' ), $code( $patch( $turn_off ) ) );
		$this->assertSame( array( 403, 'forbidden' ), $code( $patch( $turn_off, $this->sk() ) ), 'not the merchant' );
		$this->assertSame( array( 403, 'forbidden' ), $code( $patch( $turn_off, array( 'authorization' => 'Bearer ' . Reftrail_Keys::publishable() ) ) ), 'not the browser key' );
		$this->assertSame( array( 401, 'unauthorized' ), $code( $patch( $turn_off, array( 'authorization' => 'Bearer at_nobody' ) ) ) );
		wp_set_current_user( $this->user( 'subscriber' ) );
		$this->assertSame( array( 403, 'forbidden' ), $code( $patch( $turn_off, array( 'x-wp-nonce' => wp_create_nonce( 'wp_rest' ) ) ) ), 'a user who is no affiliate' );
		wp_set_current_user( 0 );
		foreach ( array(
			array( 'referral_emails' => 'no' ),
			array( 'referral_emails' => 0 ),
			array( 'name' => 'Someone else' ),
			array( 'referral_emails' => false, 'email' => 'x@y.test' ),
		) as $bad ) {
			$this->assertSame( array( 400, 'invalid_body' ), $code( $patch( $bad, $alice ) ), wp_json_encode( $bad ) );
		}
		$this->assertSame( 400, $patch( '[false]', $alice )[0] );
		list( , $me ) = $this->rest( 'GET', '/v1/me', null, $alice );
		$this->assertTrue( $me['referral_emails'], 'refused requests change nothing' );
		// A field left out or null is left as it is.
		foreach ( array( array(), array( 'referral_emails' => null ) ) as $nothing ) {
			list( $s, $same ) = $patch( $nothing, $alice );
			$this->assertSame( array( 200, $me ), array( $s, $same ), wp_json_encode( $nothing ) );
		}

		// Off, with the portal token: the answer is GET /v1/me's.
		list( $s, $off ) = $patch( $turn_off, $alice );
		$this->assertSame( array( 200, false, 'alice' ), array( $s, $off['referral_emails'], $off['affiliate']['id'] ), wp_json_encode( $off ) );
		list( , $me ) = $this->rest( 'GET', '/v1/me', null, $alice );
		$this->assertSame( $me, $off );
		$this->assertSame( array( 'Alice Nguyễn', 'alice@aff.test' ), array( $me['affiliate']['name'], $me['affiliate']['email'] ), 'nothing else changes' );
		// A sale of hers queues no email; Bob's still does, and so does a payout to her.
		$this->sale( '6001', 'ALICE' );
		$this->assertSame( array(), $this->outbox() );
		$this->sale( '6002', 'BOB' );
		$this->assertSame( array( array( 'referral.created', 'bob' ) ), array_map( fn( $r ) => array( $r['event'], $r['affiliate_id'] ), $this->outbox() ) );
		list( $s, $payout ) = $this->rest( 'POST', '/v1/payouts', array(), $this->sk() );
		$this->assertSame( 201, $s, wp_json_encode( $payout ) );
		$mine = array_filter( $this->outbox(), fn( $r ) => 'alice' === $r['affiliate_id'] );
		$this->assertSame( array( 'payout.created' ), array_values( array_column( $mine, 'event' ) ) );

		// On again, as the affiliate signed in to WordPress with the REST nonce (the portal page).
		$uid = $this->user( Reftrail_Schema::ROLE );
		global $wpdb;
		$wpdb->update( Reftrail_Db::table( 'affiliates' ), array( 'user_id' => $uid ), array( 'id' => 'alice' ) );
		wp_set_current_user( $uid );
		list( $s, $me ) = $patch( array( 'referral_emails' => true ), array( 'x-wp-nonce' => wp_create_nonce( 'wp_rest' ) ) );
		$this->assertSame( array( 200, true, 'alice' ), array( $s, $me['referral_emails'], $me['affiliate']['id'] ) );
		wp_set_current_user( 0 );
		$this->sale( '6003', 'ALICE' );
		$mine = array_column( array_filter( $this->outbox(), fn( $r ) => 'alice' === $r['affiliate_id'] ), 'event' );
		sort( $mine );
		$this->assertSame( array( 'payout.created', 'referral.created' ), $mine );
		// Bob's choice is his own: Alice's token changes only Alice.
		list( , $bob ) = $this->rest( 'GET', '/v1/me', null, array( 'authorization' => 'Bearer ' . Reftrail_Affiliates::new_token( 'bob' ) ) );
		$this->assertTrue( $bob['referral_emails'] );
		$patch( $turn_off, $alice );
		$this->assertTrue( Reftrail_Affiliates::referral_emails( 'bob' ) );
		$this->assertFalse( Reftrail_Affiliates::referral_emails( 'alice' ) );
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

	public function test_a_bonus_is_mailed_in_the_programs_language_and_its_payout_counts_it() {
		$this->shop();
		$bonus = array(
			'affiliate' => 'alice',
			'amount'    => 500000,
			'currency'  => 'VND',
			'reason'    => 'Bán chạy nhất tháng 11',
		);
		list( $status, $given ) = $this->rest( 'POST', '/v1/bonuses', $bonus, $this->sk() );
		$this->assertSame( 201, $status, wp_json_encode( $given ) );
		$rows = $this->outbox();
		$this->assertSame( array( array( 'bonus.created', 'alice', 'affiliate' ) ), array_map( fn( $r ) => array( $r['event'], $r['affiliate_id'], $r['recipient'] ), $rows ) );
		$this->assertSame( $given, json_decode( $rows[0]['payload'], true ), 'the bonus as given' );
		$this->assertSame( array(), $this->mails, 'the request does not wait for the mail' );
		$this->assertSame( 1, Reftrail_Affiliate_Mail::send_due() );
		$mail   = $this->mails[0];
		$portal = Reftrail_Affiliate_Mail::portal_url();
		$this->assertSame( array( 'alice@aff.test', 'Giày Sài Gòn: bạn nhận được khoản thưởng 500.000 VND' ), array( $mail['to'], $mail['subject'] ) );
		$this->assertSame(
			"Xin chào Alice Nguyễn,\n\n" . $this->server_says( 'Giày Sài Gòn đã tặng bạn khoản thưởng 500.000 VND: Bán chạy nhất tháng 11' ) . "\nKhoản này sẽ có trong lần thanh toán tới.\n\nGiới thiệu và thu nhập của bạn: {$portal}\n\nBạn nhận được email này vì là cộng tác viên của Giày Sài Gòn.\n",
			$mail['message']
		);
		// Another bonus is mailed; its replay under the same Idempotency-Key, or a refusal, is not.
		$key = $this->sk() + array( 'idempotency_key' => 'bonus-mail' );
		$this->assertSame( 201, $this->rest( 'POST', '/v1/bonuses', array_merge( $bonus, array( 'amount' => 1000 ) ), $key )[0] );
		$this->assertSame( 200, $this->rest( 'POST', '/v1/bonuses', array_merge( $bonus, array( 'amount' => 1000 ) ), $key )[0] );
		$this->assertSame( 404, $this->rest( 'POST', '/v1/bonuses', array_merge( $bonus, array( 'affiliate' => 'nobody' ) ), $this->sk() )[0] );
		$this->assertCount( 2, $this->outbox() );

		// Paid with no referral beside it: the payout message names the bonuses alone.
		list( $status ) = $this->rest( 'POST', '/v1/payouts', array(), $this->sk() );
		$this->assertSame( 201, $status );
		$this->assertSame( 2, Reftrail_Affiliate_Mail::send_due() );
		// The second bonus's mail and the payout's go out in one round, in either order.
		$paid = array_values( array_filter( $this->mails, fn( $m ) => str_contains( $m['subject'], 'khoản thanh toán' ) ) );
		$this->assertCount( 1, $paid, wp_json_encode( array_column( $this->mails, 'subject' ) ) );
		$this->assertStringContainsString( 'Giày Sài Gòn đang thanh toán cho bạn 501.000 VND cho 2 khoản thưởng, vào tài khoản PayPal alice@pay.test.', $paid[0]['message'] );
		$this->server_says( 'Giày Sài Gòn đang thanh toán cho bạn 500.000 VND cho 1 khoản thưởng, vào tài khoản PayPal alice@pay.test.' );
	}

	public function test_a_bonus_is_not_mailed_when_the_program_leaves_it_out() {
		$this->shop( array( 'affiliate_emails' => array( 'payout.created' ) ) );
		list( $status ) = $this->rest(
			'POST',
			'/v1/bonuses',
			array(
				'affiliate' => 'alice',
				'amount'    => 1000,
				'currency'  => 'VND',
				'reason'    => 'Thanks',
			),
			$this->sk()
		);
		$this->assertSame( 201, $status );
		$this->assertSame( array(), $this->outbox() );
		// An event the program does not know is refused, and the message names the four.
		list( $status, $d ) = $this->put_program_rest( array( 'affiliate_emails' => array( 'bonus.paid' ) ) );
		$this->assertSame( array( 400, 'invalid_affiliate_emails' ), array( $status, $d['error']['code'] ?? null ) );
		$this->assertStringContainsString( 'referral.created, payout.created, affiliate.approved and bonus.created', $d['error']['message'] );
		list( $status, $d ) = $this->put_program_rest( array( 'affiliate_emails' => array( 'bonus.created', 'bonus.created' ) ) );
		$this->assertSame( array( 400, 'invalid_affiliate_emails' ), array( $status, $d['error']['code'] ?? null ), 'at most once' );
		list( $status, $d ) = $this->put_program_rest( array( 'affiliate_emails' => array( 'bonus.created' ) ) );
		$this->assertSame( array( 200, array( 'bonus.created' ) ), array( $status, $d['affiliate_emails'] ?? null ) );
	}

	public function test_the_bonus_email_in_english_and_thai() {
		$bonus = wp_json_encode(
			array(
				'id'        => 'bo_1',
				'affiliate' => 'somchai',
				'amount'    => 250000,
				'currency'  => 'THB',
				'reason'    => 'Top seller, November',
				'status'    => 'approved',
			)
		);
		$text  = Reftrail_Affiliate_Mail::render( array( 'name' => 'Shoes', 'locale' => 'en' ), 'bonus.created', $bonus, 'Somchai', 'https://x.test/portal/' );
		$this->assertSame(
			array(
				'subject' => 'Shoes: a bonus of 2,500.00 THB for you',
				'body'    => "Hello Somchai,\n\nShoes gave you a bonus of 2,500.00 THB: Top seller, November\nIt will be in your next payout.\n\nYour referrals and earnings: https://x.test/portal/\n\nYou receive this email as an affiliate of Shoes.\n",
			),
			$text
		);
		$text = Reftrail_Affiliate_Mail::render( array( 'name' => 'ร้าน', 'locale' => 'th' ), 'bonus.created', $bonus, 'Somchai', 'https://x.test/portal/' );
		$this->assertSame(
			array(
				'subject' => 'ร้าน: คุณได้รับโบนัส 2,500.00 THB',
				'body'    => "สวัสดี Somchai,\n\nร้าน มอบโบนัส 2,500.00 THB ให้คุณ: Top seller, November\nโบนัสนี้จะรวมอยู่ในการจ่ายเงินครั้งถัดไป\n\nการแนะนำและรายได้ของคุณ: https://x.test/portal/\n\nคุณได้รับอีเมลนี้เนื่องจากเป็นพาร์ทเนอร์ของ ร้าน\n",
			),
			$text
		);
		foreach ( array( '{}', '{"amount":1,"currency":"THB"}', '{"amount":1,"currency":"THB","reason":["x"]}', 'not json' ) as $payload ) {
			$this->assertNull( Reftrail_Affiliate_Mail::render( array( 'name' => 'Shoes', 'locale' => 'en' ), 'bonus.created', $payload, 'A', 'u' ), $payload );
		}
	}

	/**
	 * `$sentence`, after checking that the server's own tests of its emails
	 * (server/src/affiliate_mail.rs, server/tests/affiliate_mail.rs) expect it word for word: the
	 * sentences below are copied from there, and a change of the server's words fails here
	 * until the plugin says the same.
	 *
	 * @param string $sentence A string literal of the server's tests.
	 * @return string
	 */
	private function server_says( $sentence ) {
		static $rust = null;
		if ( null === $rust ) {
			$rust = '';
			foreach ( array( 'server/src/affiliate_mail.rs', 'server/tests/affiliate_mail.rs' ) as $file ) {
				$text = file_get_contents( dirname( __DIR__, 2 ) . '/' . $file ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_get_contents_file_get_contents
				$this->assertIsString( $text, $file );
				$rust .= $text;
			}
		}
		$this->assertStringContainsString( '"' . $sentence . '"', $rust, 'the server expects this sentence' );
		return $sentence;
	}

	/**
	 * The server's words for a VietQR account ending in 2418 and a PromptPay ID ending in 5678,
	 * in a payout of 2 referrals (a_bank_payout_message_names_the_account_by_its_last_digits).
	 *
	 * @return array Locale => `vietqr`, `promptpay`.
	 */
	private function servers_bank_sentences() {
		return array(
			'en' => array(
				'vietqr'    => $this->server_says( '2 referrals, by bank transfer to your account ending in 2418.' ),
				'promptpay' => $this->server_says( 'by PromptPay to your PromptPay ID ending in 5678.' ),
			),
			'vi' => array(
				'vietqr'    => $this->server_says( 'bằng chuyển khoản vào tài khoản ngân hàng có số cuối 2418.' ),
				'promptpay' => $this->server_says( 'qua PromptPay vào mã PromptPay có số cuối 5678.' ),
			),
			'th' => array(
				'vietqr'    => $this->server_says( 'โดยโอนเข้าบัญชีธนาคารที่ลงท้ายด้วย 2418' ),
				'promptpay' => $this->server_says( 'ผ่านพร้อมเพย์เข้าหมายเลขพร้อมเพย์ที่ลงท้ายด้วย 5678' ),
			),
		);
	}

	public function test_a_bank_payout_mail_names_the_account_by_its_last_characters() {
		$this->shop( array( 'affiliate_emails' => array( 'payout.created' ) ) );
		$this->affiliate(
			'lan',
			array(
				'name'    => 'Lan',
				'email'   => 'lan@aff.test',
				'coupons' => array( 'LAN' ),
				'payout'  => array(
					'method'  => 'vietqr',
					'bank'    => '970436',
					'account' => '0011001932418',
					'name'    => 'NGUYEN THI LAN',
				),
			)
		);
		$this->sale( '5001', 'LAN' );
		$this->sale( '5002', 'ALICE' );
		list( $status, $payout ) = $this->rest( 'POST', '/v1/payouts', array(), $this->sk() );
		$this->assertSame( 201, $status, wp_json_encode( $payout ) );
		$this->assertSame( 2, Reftrail_Affiliate_Mail::send_due() );
		$by_to = array_column( $this->mails, null, 'to' );
		$lan   = $by_to['lan@aff.test'];
		$this->assertSame( 'Giày Sài Gòn: khoản thanh toán 125.000 VND đang được chuyển', $lan['subject'] );
		$this->assertStringStartsWith( "Xin chào Lan,\n\nGiày Sài Gòn đang thanh toán cho bạn 125.000 VND cho 1 lượt giới thiệu, bằng chuyển khoản vào tài khoản ngân hàng có số cuối 2418.\n\nLịch sử thanh toán của bạn: ", $lan['message'] );
		$this->assertStringNotContainsString( 'PayPal', $lan['message'] );
		$this->assertStringNotContainsString( '0011001932418', $lan['message'], 'the whole account number is not mailed' );
		$this->assertStringNotContainsString( '970436', $lan['message'], 'nor the bank' );
		$this->assertStringContainsString( 'vào tài khoản PayPal alice@pay.test.', $by_to['alice@aff.test']['message'] );

		// The lines of the server's test: 1,250,000 VND for 2 referrals to Lan of "Shop", by
		// VietQR or PromptPay, in each language; whole messages as the server sends them.
		$line   = array(
			'affiliate'    => 'lan',
			'currency'     => 'VND',
			'amount'       => 1250000,
			'method'       => 'vietqr',
			'paypal_email' => null,
			'bank'         => '970436',
			'account'      => '0011001932418',
			'account_name' => 'NGUYEN THI LAN',
			'transfer_qr'  => null,
			'referrals'    => 2,
		);
		$pp     = array_merge(
			$line,
			array(
				'method'  => 'promptpay',
				'bank'    => null,
				'account' => '0812345678',
			)
		);
		$render = fn( $locale, array $l ) => self::payout_mail( $locale, $l, 'Lan', 'po_1' );
		$server = $this->servers_bank_sentences();
		$want   = array(
			'en' => array(
				'subject'   => 'Shop: a payout of 1,250,000 VND is on its way',
				'vietqr'    => "Hello Lan,\n\nShop is paying you 1,250,000 VND for 2 referrals, by bank transfer to your account ending in 2418.\n\nYour payout history: u\n\nYou receive this email as an affiliate of Shop.\n",
				'promptpay' => "Hello Lan,\n\nShop is paying you 1,250,000 VND for 2 referrals, by PromptPay to your PromptPay ID ending in 5678.\n\nYour payout history: u\n\nYou receive this email as an affiliate of Shop.\n",
			),
			'vi' => array(
				'subject'   => 'Shop: khoản thanh toán 1.250.000 VND đang được chuyển',
				'vietqr'    => "Xin chào Lan,\n\nShop đang thanh toán cho bạn 1.250.000 VND cho 2 lượt giới thiệu, bằng chuyển khoản vào tài khoản ngân hàng có số cuối 2418.\n\nLịch sử thanh toán của bạn: u\n\nBạn nhận được email này vì là cộng tác viên của Shop.\n",
				'promptpay' => "Xin chào Lan,\n\nShop đang thanh toán cho bạn 1.250.000 VND cho 2 lượt giới thiệu, qua PromptPay vào mã PromptPay có số cuối 5678.\n\nLịch sử thanh toán của bạn: u\n\nBạn nhận được email này vì là cộng tác viên của Shop.\n",
			),
			'th' => array(
				'subject'   => 'Shop: การจ่ายเงิน 1,250,000 VND กำลังดำเนินการ',
				'vietqr'    => "สวัสดี Lan,\n\nShop กำลังจ่ายเงินให้คุณ 1,250,000 VND สำหรับการแนะนำ 2 รายการ โดยโอนเข้าบัญชีธนาคารที่ลงท้ายด้วย 2418\n\nประวัติการจ่ายเงินของคุณ: u\n\nคุณได้รับอีเมลนี้เนื่องจากเป็นพาร์ทเนอร์ของ Shop\n",
				'promptpay' => "สวัสดี Lan,\n\nShop กำลังจ่ายเงินให้คุณ 1,250,000 VND สำหรับการแนะนำ 2 รายการ ผ่านพร้อมเพย์เข้าหมายเลขพร้อมเพย์ที่ลงท้ายด้วย 5678\n\nประวัติการจ่ายเงินของคุณ: u\n\nคุณได้รับอีเมลนี้เนื่องจากเป็นพาร์ทเนอร์ของ Shop\n",
			),
		);
		foreach ( $want as $locale => $w ) {
			foreach ( array(
				'vietqr'    => $line,
				'promptpay' => $pp,
			) as $method => $l ) {
				$text = $render( $locale, $l );
				$this->assertSame(
					array(
						'subject' => $w['subject'],
						'body'    => $w[ $method ],
					),
					$text,
					"$locale $method"
				);
				$this->assertStringContainsString( $server[ $locale ][ $method ], $text['body'], "$locale $method" );
				$this->assertStringNotContainsString( 'PayPal', $text['body'] );
				$this->assertStringNotContainsString( $l['account'], $text['body'], 'only the last characters' );
			}
		}
		// One referral, another currency, and an account shorter than 4 characters (shown whole).
		foreach ( array(
			array( 'en', array_merge( $line, array( 'referrals' => 1 ) ), 'Shop is paying you 1,250,000 VND for 1 referral, by bank transfer to your account ending in 2418.' ),
			array( 'en', array_merge( $pp, array( 'referrals' => 1 ) ), 'Shop is paying you 1,250,000 VND for 1 referral, by PromptPay to your PromptPay ID ending in 5678.' ),
			array( 'vi', array_merge( $line, array( 'referrals' => 1 ) ), 'Shop đang thanh toán cho bạn 1.250.000 VND cho 1 lượt giới thiệu, bằng chuyển khoản vào tài khoản ngân hàng có số cuối 2418.' ),
			array( 'th', array_merge( $pp, array( 'referrals' => 1, 'currency' => 'THB', 'amount' => 125000 ) ), 'Shop กำลังจ่ายเงินให้คุณ 1,250.00 THB สำหรับการแนะนำ 1 รายการ ผ่านพร้อมเพย์เข้าหมายเลขพร้อมเพย์ที่ลงท้ายด้วย 5678' ),
			array( 'en', array_merge( $line, array( 'account' => '999' ) ), 'by bank transfer to your account ending in 999.' ),
		) as list( $locale, $l, $sentence ) ) {
			$this->assertStringContainsString( $sentence, $render( $locale, $l )['body'], $locale );
		}
		// A line queued before bank transfers existed has no method: PayPal.
		$old = $render(
			'en',
			array(
				'affiliate'    => 'alice',
				'currency'     => 'USD',
				'amount'       => 1250,
				'paypal_email' => 'alice@pay.test',
				'referrals'    => 1,
			)
		);
		$this->assertStringContainsString( 'Shop is paying you 12.50 USD for 1 referral, to your PayPal account alice@pay.test.', $old['body'] );
		// The bank is not named, so a line without it says the same; a line that lacks its
		// account or PayPal email, or of a method unknown, is not rendered.
		$this->assertSame( $render( 'en', $line ), $render( 'en', array_merge( $line, array( 'bank' => null ) ) ) );
		$this->assertNull( $render( 'en', array_merge( $line, array( 'account' => null ) ) ) );
		$this->assertNull( $render( 'en', array_merge( $pp, array( 'account' => null ) ) ) );
		$this->assertNull( $render( 'en', array_merge( $line, array( 'method' => 'swift' ) ) ) );
		$this->assertNull( $render( 'en', array_merge( $line, array( 'method' => array( 'vietqr' ) ) ) ) );
		$this->assertNull( $render( 'en', array_merge( $line, array( 'method' => 'paypal' ) ) ), 'a PayPal line needs its email' );
	}

	public function test_a_payout_mail_says_what_was_withheld_as_tax() {
		// The server's test a_payout_message_says_what_was_withheld_as_tax: 2,500,000 VND for 2
		// referrals to Lan of "Shop", 250,000 VND withheld; its sentences word for word.
		$line   = array(
			'affiliate'    => 'lan',
			'currency'     => 'VND',
			'amount'       => 2250000,
			'gross'        => 2500000,
			'withheld'     => 250000,
			'tax_id'       => '8012345678',
			'method'       => 'paypal',
			'paypal_email' => 'lan@pay.test',
			'bank'         => null,
			'account'      => null,
			'account_name' => null,
			'transfer_qr'  => null,
			'referrals'    => 2,
			'sent_at'      => null,
		);
		$render = fn( $locale, array $l ) => self::payout_mail( $locale, $l, 'Lan', 'po_1' );
		foreach ( array(
			'vi' => 'Shop đang thanh toán cho bạn 2.250.000 VND cho 2 lượt giới thiệu, vào tài khoản PayPal lan@pay.test.\n250.000 VND trên tổng 2.500.000 VND đã được khấu trừ thuế và nộp cho cơ quan thuế thay bạn.\n',
			'en' => 'Shop is paying you 2,250,000 VND for 2 referrals, to your PayPal account lan@pay.test.\n250,000 VND of 2,500,000 VND was withheld as tax and paid to the tax office in your name.\n',
			'th' => 'หักภาษี ณ ที่จ่าย 250,000 VND จากยอด 2,500,000 VND และนำส่งกรมสรรพากรในนามของคุณแล้ว\n',
		) as $locale => $literal ) {
			// The Rust literal's `\n` escapes are line breaks.
			$says = str_replace( '\n', "\n", $this->server_says( $literal ) );
			$this->assertStringContainsString( $says, $render( $locale, $line )['body'], $locale );
		}
		// Whole, as the server lays it out: the sentence after the payment's, before the note.
		$this->assertSame(
			"Hello Lan,\n\nShop is paying you 2,250,000 VND for 2 referrals, to your PayPal account lan@pay.test.\n250,000 VND of 2,500,000 VND was withheld as tax and paid to the tax office in your name.\n\nYour payout history: u\n\nYou receive this email as an affiliate of Shop.\n",
			$render( 'en', $line )['body']
		);
		$this->assertSame( 'Shop: a payout of 2,250,000 VND is on its way', $render( 'en', $line )['subject'], 'the subject names what is paid' );
		// Nothing withheld, or a line queued before withholding existed: no such sentence.
		$none  = array_merge(
			$line,
			array(
				'withheld' => 0,
				'gross'    => 2250000,
			)
		);
		$older = array_diff_key( $line, array_flip( array( 'gross', 'withheld', 'tax_id' ) ) );
		foreach ( array( 'en', 'vi', 'th' ) as $locale ) {
			$body = $render( $locale, $none )['body'];
			$this->assertSame( $body, $render( $locale, $older )['body'], $locale );
			$this->assertStringNotContainsString( '2.500.000', str_replace( ',', '.', $body ), $locale );
			$this->assertStringNotContainsString( '250.000 VND', str_replace( ',', '.', str_replace( '2,250,000', '', str_replace( '2.250.000', '', $body ) ) ), $locale );
		}
		$this->assertStringNotContainsString( 'withheld', $render( 'en', $none )['body'] );

		// Through a payout: the Vietnamese shop withholds 10 % from 2,000,000 VND; bob is exempt.
		$this->shop(
			array(
				'affiliate_emails' => array( 'payout.created' ),
				'withholding'      => array(
					array(
						'currency'  => 'VND',
						'rate_bps'  => 1000,
						'threshold' => 2000000,
					),
				),
			)
		);
		$this->rest(
			'PATCH',
			'/v1/affiliates/bob',
			array(
				'email'              => 'bob@aff.test',
				'withholding_exempt' => true,
			),
			$this->sk()
		);
		// (Bob is told where his payouts go now.)
		$this->assertSame( 1, Reftrail_Affiliate_Mail::send_due() );
		$this->mails = array();
		// Two orders of 12,500,000 VND each: 2,500,000 VND of commissions.
		foreach ( array( 'ALICE', 'BOB' ) as $coupon ) {
			foreach ( array( 1, 2 ) as $n ) {
				list( $status, $body ) = $this->rest(
					'POST',
					'/v1/sales',
					array(
						'order_id' => 'W' . $coupon . $n,
						'amount'   => 12500000,
						'currency' => 'VND',
						'coupon'   => $coupon,
					),
					$this->sk()
				);
				$this->assertSame( 201, $status, wp_json_encode( $body ) );
			}
		}
		list( $status, $payout ) = $this->rest( 'POST', '/v1/payouts', array(), $this->sk() );
		$this->assertSame( 201, $status, wp_json_encode( $payout ) );
		$this->assertSame( array( 250000, 0 ), array_column( $payout['lines'], 'withheld' ), 'alice taxed, bob exempt' );
		$this->assertSame( 2, Reftrail_Affiliate_Mail::send_due() );
		$by_to = array_column( $this->mails, null, 'to' );
		$this->assertSame( 'Giày Sài Gòn: khoản thanh toán 2.250.000 VND đang được chuyển', $by_to['alice@aff.test']['subject'] );
		$this->assertStringStartsWith( "Xin chào Alice Nguyễn,\n\nGiày Sài Gòn đang thanh toán cho bạn 2.250.000 VND cho 2 lượt giới thiệu, vào tài khoản PayPal alice@pay.test.\n250.000 VND trên tổng 2.500.000 VND đã được khấu trừ thuế và nộp cho cơ quan thuế thay bạn.\n\nLịch sử thanh toán của bạn: ", $by_to['alice@aff.test']['message'] );
		$this->assertStringNotContainsString( 'thuế', $by_to['bob@aff.test']['message'] );
		$this->assertStringContainsString( 'cho bạn 2.500.000 VND cho 2 lượt giới thiệu', $by_to['bob@aff.test']['message'] );
	}

	public function test_a_change_of_payout_details_is_told_to_the_affiliate_whoever_made_it() {
		// Even a program that sends affiliates nothing else tells them this.
		$this->shop( array( 'affiliate_emails' => array() ) );
		$alice = array( 'authorization' => 'Bearer ' . Reftrail_Affiliates::new_token( 'alice' ) );
		$me    = fn( $body ) => $this->rest( 'PATCH', '/v1/me', $body, $alice );
		$vcb   = array(
			'payout' => array(
				'method'  => 'vietqr',
				'bank'    => '970436',
				'account' => '0011 0019 32418',
			),
		);
		$events = fn() => array_map( fn( $r ) => array( $r['event'], $r['affiliate_id'] ), $this->outbox() );
		// The affiliate in the portal: to a Vietcombank account.
		$this->assertSame( 200, $me( $vcb )[0] );
		// The same details again change nothing and tell nothing; neither does a refused change,
		// nor one of something else.
		$this->assertSame( 200, $me( $vcb )[0] );
		$this->assertSame( 400, $me( array( 'payout' => array( 'method' => 'promptpay', 'account' => '123' ) ) )[0] );
		$this->assertSame( 200, $me( array( 'referral_emails' => false ) )[0] );
		$this->assertSame( array( array( 'payout_details.changed', 'alice' ) ), $events() );
		// The merchant, back to PayPal; then another change of the profile, and of the contact
		// email of an affiliate paid at their payout email, tell nothing.
		list( $s ) = $this->rest( 'PATCH', '/v1/affiliates/alice', array( 'payout' => null ), $this->sk() );
		$this->assertSame( 200, $s );
		$this->rest( 'PATCH', '/v1/affiliates/alice', array( 'category' => 'coupon' ), $this->sk() );
		$this->rest( 'PATCH', '/v1/affiliates/alice', array( 'email' => 'alice@new.test' ), $this->sk() );
		$this->assertCount( 2, $this->outbox() );
		$this->assertSame( 2, Reftrail_Affiliate_Mail::send_due() );
		$this->assertSame( array( 'alice@new.test', 'alice@new.test' ), array_column( $this->mails, 'to' ), 'to the contact email as it is when sent' );
		$by_dest = array();
		foreach ( $this->mails as $m ) {
			$by_dest[ false === strpos( $m['message'], 'PayPal' ) ? 'bank' : 'paypal' ] = $m;
		}
		// What the server's test of the same changes expects.
		$this->assertSame( 'Giày Sài Gòn: thông tin nhận thanh toán của bạn đã thay đổi', $by_dest['bank']['subject'] );
		$this->assertStringStartsWith(
			"Xin chào Alice Nguyễn,\n\n"
			. $this->server_says( 'Từ nay Giày Sài Gòn sẽ thanh toán cho bạn bằng chuyển khoản vào tài khoản ngân hàng có số cuối 2418.' ) . "\n\n"
			. $this->server_says( 'Nếu không phải bạn thay đổi, hãy trả lời email này hoặc báo ngay cho Giày Sài Gòn.' ) . "\n\nThông tin của bạn: ",
			$by_dest['bank']['message']
		);
		$this->assertStringNotContainsString( '0011001932418', $by_dest['bank']['message'], 'only the last characters' );
		$this->assertStringNotContainsString( '970436', $by_dest['bank']['message'], 'nor the bank' );
		$this->assertStringContainsString( 'Từ nay Giày Sài Gòn sẽ ' . $this->server_says( 'thanh toán cho bạn vào tài khoản PayPal alice@pay.test.' ) . "\n", $by_dest['paypal']['message'] );

		// Each change of where the money goes: the payout email, the contact email when PayPal
		// falls back to it, the bank details whole or only the holder's name.
		$this->affiliate(
			'carol',
			array(
				'email'   => 'carol@aff.test',
				'payout'  => array(
					'method'  => 'promptpay',
					'account' => '0812345678',
				),
			)
		);
		$carol = fn( $body ) => $this->rest( 'PATCH', '/v1/affiliates/carol', $body, $this->sk() );
		$carol( array( 'payout' => array( 'method' => 'promptpay', 'account' => '0812345678', 'name' => 'Carol' ) ) );
		$carol( array( 'email' => 'carol@new.test' ) );
		$carol( array( 'payout' => null ) );
		$carol( array( 'email' => 'carol@newer.test' ) );
		$carol( array( 'payout_email' => 'carol@pay.test' ) );
		$carol( array( 'email' => 'carol@newest.test' ) );
		$told = array();
		foreach ( $this->outbox() as $r ) {
			if ( 'carol' === $r['affiliate_id'] ) {
				$p = json_decode( $r['payload'], true );
				// What the server's notice holds, no more.
				$this->assertSame( array( 'method', 'paypal_email', 'account' ), array_keys( $p ) );
				$told[] = implode( ' ', array( $p['method'], $p['paypal_email'] ?? '-', $p['account'] ?? '-' ) );
			}
		}
		sort( $told );
		$this->assertSame( array( 'paypal carol@new.test -', 'paypal carol@newer.test -', 'paypal carol@pay.test -', 'promptpay - 0812345678' ), $told );

		// The whole message in each language, as the server sends it to Lan of "Shop".
		$render = fn( $locale, array $d ) => Reftrail_Affiliate_Mail::render(
			array(
				'name'   => 'Shop',
				'locale' => $locale,
			),
			'payout_details.changed',
			wp_json_encode( $d ),
			'Lan',
			'u'
		);
		$vietqr = array(
			'method'       => 'vietqr',
			'paypal_email' => null,
			'account'      => '0011001932418',
		);
		$pp     = array(
			'method'       => 'promptpay',
			'paypal_email' => null,
			'account'      => '0812345678',
		);
		$server = $this->servers_bank_sentences();
		$want   = array(
			'en' => array(
				'subject'   => 'Shop: your payout details were changed',
				'vietqr'    => "Hello Lan,\n\nFrom now on, Shop pays you by bank transfer to your account ending in 2418.\n\nIf you did not make this change, reply to this email or tell Shop at once.\n\nYour details: u\n\nYou receive this email as an affiliate of Shop.\n",
				'promptpay' => "Hello Lan,\n\nFrom now on, Shop pays you by PromptPay to your PromptPay ID ending in 5678.\n\nIf you did not make this change, reply to this email or tell Shop at once.\n\nYour details: u\n\nYou receive this email as an affiliate of Shop.\n",
			),
			'vi' => array(
				'subject'   => 'Shop: thông tin nhận thanh toán của bạn đã thay đổi',
				'vietqr'    => "Xin chào Lan,\n\nTừ nay Shop sẽ thanh toán cho bạn bằng chuyển khoản vào tài khoản ngân hàng có số cuối 2418.\n\nNếu không phải bạn thay đổi, hãy trả lời email này hoặc báo ngay cho Shop.\n\nThông tin của bạn: u\n\nBạn nhận được email này vì là cộng tác viên của Shop.\n",
				'promptpay' => "Xin chào Lan,\n\nTừ nay Shop sẽ thanh toán cho bạn qua PromptPay vào mã PromptPay có số cuối 5678.\n\nNếu không phải bạn thay đổi, hãy trả lời email này hoặc báo ngay cho Shop.\n\nThông tin của bạn: u\n\nBạn nhận được email này vì là cộng tác viên của Shop.\n",
			),
			'th' => array(
				'subject'   => 'Shop: ข้อมูลการรับเงินของคุณถูกเปลี่ยนแปลง',
				'vietqr'    => "สวัสดี Lan,\n\nต่อจากนี้ Shop จะจ่ายเงินให้คุณโดยโอนเข้าบัญชีธนาคารที่ลงท้ายด้วย 2418\n\nหากคุณไม่ได้เป็นผู้เปลี่ยนแปลง โปรดตอบกลับอีเมลนี้หรือแจ้ง Shop ทันที\n\nข้อมูลของคุณ: u\n\nคุณได้รับอีเมลนี้เนื่องจากเป็นพาร์ทเนอร์ของ Shop\n",
				'promptpay' => "สวัสดี Lan,\n\nต่อจากนี้ Shop จะจ่ายเงินให้คุณผ่านพร้อมเพย์เข้าหมายเลขพร้อมเพย์ที่ลงท้ายด้วย 5678\n\nหากคุณไม่ได้เป็นผู้เปลี่ยนแปลง โปรดตอบกลับอีเมลนี้หรือแจ้ง Shop ทันที\n\nข้อมูลของคุณ: u\n\nคุณได้รับอีเมลนี้เนื่องจากเป็นพาร์ทเนอร์ของ Shop\n",
			),
		);
		foreach ( $want as $locale => $w ) {
			foreach ( array(
				'vietqr'    => $vietqr,
				'promptpay' => $pp,
			) as $method => $d ) {
				$text = $render( $locale, $d );
				$this->assertSame(
					array(
						'subject' => $w['subject'],
						'body'    => $w[ $method ],
					),
					$text,
					"$locale $method"
				);
				// The same words for where the money goes as in the server's payout message (the
				// English one there follows "2 referrals, ").
				$this->assertStringContainsString( 'en' === $locale ? substr( $server['en'][ $method ], strlen( '2 referrals, ' ) ) : $server[ $locale ][ $method ], $text['body'], "$locale $method" );
			}
		}
		$this->assertStringContainsString( 'From now on, Shop pays you to your PayPal account lan@pay.test.', $render( 'en', array( 'method' => 'paypal', 'paypal_email' => 'lan@pay.test' ) )['body'] );
		$this->assertStringContainsString( 'ต่อจากนี้ Shop จะจ่ายเงินให้คุณเข้าบัญชี PayPal lan@pay.test', $render( 'th', array( 'method' => 'paypal', 'paypal_email' => 'lan@pay.test' ) )['body'] );
		// A notice queued with the bank too says the same.
		$this->assertSame( $render( 'vi', $vietqr ), $render( 'vi', $vietqr + array( 'bank' => '970436' ) ) );
		$this->assertNull( $render( 'en', array( 'method' => 'vietqr' ) ), 'a bank account needs its number' );
		$this->assertNull( $render( 'en', array( 'method' => 'promptpay', 'account' => null ) ) );
		$this->assertNull( $render( 'en', array( 'method' => 'iban' ) ) );
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
		// The operator's counters: one sent, one attempt failed.
		list( , $metrics ) = $this->rest( 'GET', '/metrics' );
		$this->assertStringContainsString( "\nreftrail_affiliate_emails_sent_total 1\n", $metrics );
		$this->assertStringContainsString( "\nreftrail_affiliate_email_failures_total 1\n", $metrics );

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

	/**
	 * Changes an affiliate's status as the dashboard in wp-admin does, with the signed-in
	 * manager's cookie and REST nonce: the Approve button of a pending application sends the
	 * status alone, the affiliate's form sends all of it.
	 *
	 * @param string $id     Affiliate.
	 * @param string $status New status.
	 * @param bool   $form   Whether through the form.
	 * @return array The affiliate.
	 */
	private function dashboard_saves( $id, $status, $form = true ) {
		$body = array( 'status' => $status );
		if ( $form ) {
			$a    = Reftrail_Affiliates::get( $id );
			$body = array(
				'name'       => $a['name'],
				'email'      => $a['email'],
				'category'   => $a['category'],
				'status'     => $status,
				'coupons'    => $a['coupons'],
				'commission' => null,
			);
		}
		list( $s, $body ) = $this->rest( 'PATCH', '/v1/affiliates/' . $id, $body, array( 'x-wp-nonce' => wp_create_nonce( 'wp_rest' ) ) );
		$this->assertSame( 200, $s, wp_json_encode( $body ) );
		return $body;
	}

	public function test_an_application_approved_in_the_dashboard_is_welcomed_once() {
		$this->shop();
		$this->affiliate(
			'carol',
			array(
				'name'   => 'Carol Trần',
				'email'  => 'carol@aff.test',
				'status' => 'pending',
			)
		);
		$this->affiliate(
			'dave',
			array(
				'email'  => 'dave@aff.test',
				'status' => 'approved',
			)
		);
		$this->assertSame( array(), $this->outbox(), 'creating an affiliate, approved or not, queues nothing' );
		wp_set_current_user( $this->user( 'administrator' ) );
		// Approved with the list's button, saved again approved, suspended and approved again:
		// one welcome.
		$this->assertSame( 'approved', $this->dashboard_saves( 'carol', 'approved', false )['status'] );
		$this->assertCount( 1, $this->outbox() );
		foreach ( array( 'approved', 'suspended', 'approved' ) as $status ) {
			$this->assertSame( $status, $this->dashboard_saves( 'carol', $status )['status'] );
			$this->assertCount( 1, $this->outbox() );
		}
		// Suspended and approved again, never pending: no welcome.
		$this->dashboard_saves( 'dave', 'suspended' );
		$this->dashboard_saves( 'dave', 'approved' );
		$rows = $this->outbox();
		$this->assertCount( 1, $rows );
		$this->assertSame( array( 'affiliate.approved', 'affiliate', 'carol', '0' ), array( $rows[0]['event'], $rows[0]['recipient'], $rows[0]['affiliate_id'], $rows[0]['attempts'] ) );
		$this->assertSame( array(), $this->mails, 'the request does not wait for the mail' );
		$this->assertSame( 10, has_action( 'shutdown', array( 'Reftrail_Affiliate_Mail', 'ask_for_a_run' ) ) );

		do_action( Reftrail_Affiliate_Mail::CRON );
		$this->assertCount( 1, $this->mails );
		$this->assertSame( 'carol@aff.test', $this->mails[0]['to'] );
		$this->assertSame( 'Giày Sài Gòn: bạn đã được duyệt làm cộng tác viên', $this->mails[0]['subject'] );
		$portal = Reftrail_Affiliate_Mail::portal_url();
		$this->assertSame(
			"Xin chào Carol Trần,\n\nĐơn đăng ký của bạn tại Giày Sài Gòn đã được duyệt: giờ bạn có thể chia sẻ liên kết và nhận hoa hồng.\n\nLiên kết và thu nhập của bạn: {$portal}\n\nBạn nhận được email này vì là cộng tác viên của Giày Sài Gòn.\n",
			$this->mails[0]['message']
		);
		$this->assertNotNull( $this->outbox()[0]['sent_at'] );
		$this->assertSame( 0, Reftrail_Affiliate_Mail::send_due(), 'nothing is sent twice' );
		do_action( Reftrail_Affiliate_Mail::SWEEP );
		$this->assertCount( 1, $this->mails );
	}

	public function test_an_application_approved_from_the_affiliates_page_is_welcomed() {
		$this->shop();
		$this->affiliate(
			'erin',
			array(
				'email'  => 'erin@aff.test',
				'status' => 'pending',
			)
		);
		wp_set_current_user( $this->user( 'administrator' ) );
		$_POST    = array(
			'action'    => 'reftrail_affiliate_status',
			'affiliate' => 'erin',
			'status'    => 'approved',
			'_wpnonce'  => wp_create_nonce( 'reftrail_affiliate_status_erin' ),
		);
		$_REQUEST = $_POST;
		add_filter(
			'wp_redirect',
			function () {
				throw new RuntimeException( 'redirected' );
			}
		);
		try {
			Reftrail_Admin::handle_affiliate_status();
			$this->fail( 'no redirect' );
		} catch ( RuntimeException $e ) {
			$this->assertSame( 'redirected', $e->getMessage() );
		}
		$this->assertSame( 'approved', Reftrail_Affiliates::get( 'erin' )['status'] );
		$this->assertSame( array( array( 'affiliate.approved', 'erin' ) ), array_map( fn( $r ) => array( $r['event'], $r['affiliate_id'] ), $this->outbox() ) );
	}

	public function test_an_approval_rolled_back_or_unwanted_queues_no_welcome() {
		$this->shop();
		$this->affiliate(
			'carol',
			array(
				'email'  => 'carol@aff.test',
				'status' => 'pending',
			)
		);
		$fail = function () {
			throw new Reftrail_Http_Error( 409, 'busy', 'test' );
		};
		add_action( 'reftrail_affiliate_approved', $fail, 20 );
		try {
			list( $status ) = $this->rest( 'PATCH', '/v1/affiliates/carol', array( 'status' => 'approved' ), $this->sk() );
		} finally {
			remove_action( 'reftrail_affiliate_approved', $fail, 20 );
		}
		$this->assertSame( 409, $status );
		$this->assertSame( 'pending', Reftrail_Affiliates::get( 'carol' )['status'] );
		$this->assertSame( array(), $this->outbox() );
		// A program that does not list the event: approved, and no welcome.
		$this->program( array( 'affiliate_emails' => array( 'referral.created', 'payout.created' ) ) );
		list( $status, $body ) = $this->rest( 'PATCH', '/v1/affiliates/carol', array( 'status' => 'approved' ), $this->sk() );
		$this->assertSame( 200, $status, wp_json_encode( $body ) );
		$this->assertSame( 'approved', $body['status'] );
		$this->assertSame( array(), $this->outbox() );
	}

	/**
	 * Applies through the sign-up form (the shortcode or its block) as a signed-in user with the
	 * form's nonce; returns what the page shows.
	 *
	 * @param string $id     Wanted affiliate id.
	 * @param string $name   Name.
	 * @param string $markup `[reftrail_register]` or the block.
	 * @return string
	 */
	private function apply_as_visitor( $id, $name, $markup = '[reftrail_register]' ) {
		$user = wp_insert_user(
			array(
				'user_login' => 'applicant_' . $id,
				'user_pass'  => wp_generate_password( 20 ),
				'user_email' => $id . '@applicant.test',
				'role'       => 'subscriber',
			)
		);
		$this->assertIsInt( $user );
		wp_set_current_user( $user );
		$_POST = array(
			'reftrail_register' => '1',
			'reftrail_id'       => $id,
			'reftrail_name'     => $name,
			'reftrail_payout'   => '',
			'_reftrail_nonce'   => wp_create_nonce( 'reftrail_register' ),
		);
		try {
			$out = 0 === strpos( $markup, '[' ) ? do_shortcode( $markup ) : do_blocks( $markup );
		} finally {
			$_POST = array();
			wp_set_current_user( 0 );
		}
		$this->assertStringContainsString( 'waiting for approval', $out );
		$this->assertSame( 'pending', Reftrail_Affiliates::get( $id )['status'] );
		return $out;
	}

	public function test_an_application_from_the_sign_up_form_is_mailed_to_the_administrator_once() {
		$this->shop();
		update_option( 'blogname', 'Giày &amp; Dép' );
		add_filter( 'pre_option_admin_email', fn() => 'owner@shop.test' );
		// On by default, also for settings saved before this one existed.
		update_option( Reftrail_Settings::OPTION, array_diff_key( Reftrail_Settings::get(), array( 'notify_applications' => true ) ) );
		$this->assertTrue( Reftrail_Settings::get()['notify_applications'], 'on by default' );
		$this->apply_as_visitor( 'dan', 'Dan Lê' );
		$rows = $this->outbox();
		$this->assertCount( 1, $rows );
		$this->assertSame( array( 'affiliate.applied', 'admin', 'dan', '0' ), array( $rows[0]['event'], $rows[0]['recipient'], $rows[0]['affiliate_id'], $rows[0]['attempts'] ) );
		$this->assertSame( array(), $this->mails, 'the form does not wait for the mail' );
		$this->assertSame( 10, has_action( 'shutdown', array( 'Reftrail_Affiliate_Mail', 'ask_for_a_run' ) ) );

		do_action( Reftrail_Affiliate_Mail::CRON );
		$this->assertCount( 1, $this->mails );
		$mail   = $this->mails[0];
		$review = Reftrail_Admin::review_url( 'dan' );
		$this->assertSame( admin_url( 'admin.php?page=reftrail' ) . '#/affiliates?status=pending&id=dan', $review, 'the applicant in the dashboard' );
		$this->assertSame( 'owner@shop.test', $mail['to'] );
		// In the site's language (English here), not the program's.
		$this->assertSame( 'Giày & Dép: new affiliate application from Dan Lê', $mail['subject'] );
		$this->assertSame(
			"Dan Lê <dan@applicant.test> applied to Giày Sài Gòn as an affiliate (id: dan). The application waits for your approval.\n\nReview the application: {$review}\n\nYou receive this email as the administrator of Giày & Dép; you can turn these emails off in Reftrail > Settings.\n",
			$mail['message']
		);
		$this->assertContains( 'Content-Type: text/plain; charset=UTF-8', (array) $mail['headers'] );
		$this->assertNotNull( $this->outbox()[0]['sent_at'] );
		$this->assertSame( 0, Reftrail_Affiliate_Mail::send_due(), 'nothing is sent twice' );
		$this->assertCount( 1, $this->mails );
		// Approving the application welcomes the applicant; the administrator hears nothing more.
		$this->rest( 'PATCH', '/v1/affiliates/dan', array( 'status' => 'approved' ), $this->sk() );
		$events = array_column( $this->outbox(), 'recipient', 'event' );
		ksort( $events );
		$this->assertSame(
			array(
				'affiliate.applied'  => 'admin',
				'affiliate.approved' => 'affiliate',
			),
			$events
		);
	}

	public function test_no_administrator_email_when_the_setting_is_off() {
		$this->shop();
		update_option( Reftrail_Settings::OPTION, Reftrail_Settings::sanitize( array_merge( Reftrail_Settings::get(), array( 'notify_applications' => '' ) ) ) );
		$this->assertFalse( Reftrail_Settings::get()['notify_applications'] );
		$this->apply_as_visitor( 'dan', 'Dan', '<!-- wp:reftrail/register /-->' );
		$this->assertSame( array(), $this->outbox() );
		update_option( Reftrail_Settings::OPTION, Reftrail_Settings::sanitize( array( 'notify_applications' => '1' ) ) );
		$this->apply_as_visitor( 'eve', 'Eve', '<!-- wp:reftrail/register /-->' );
		$this->assertSame( array( 'eve' ), array_column( $this->outbox(), 'affiliate_id' ), 'the block applies as the shortcode does' );
	}

	public function test_the_settings_page_has_the_checkbox() {
		ob_start();
		Reftrail_Admin::field_applications();
		$html = ob_get_clean();
		$this->assertStringContainsString( 'name="reftrail_settings[notify_applications]" value="1" checked=\'checked\'', $html );
		$this->assertStringContainsString( 'Email me about new affiliate applications', $html );
		$this->assertStringContainsString( esc_html( get_option( 'admin_email' ) ), $html );
	}

	public function test_the_administrator_reads_it_in_their_language() {
		$program = array(
			'name'   => 'Shoes',
			'locale' => 'en',
		);
		$admin   = $this->user( 'administrator' );
		update_user_meta( $admin, 'locale', 'vi' );
		$to     = get_userdata( $admin )->user_email;
		$review = Reftrail_Admin::review_url( 'dan' );
		$text   = Reftrail_Affiliate_Mail::render_for_admin( $program, 'affiliate.applied', $to, 'dan', 'Dan', 'dan@x.test' );
		$this->assertSame( get_option( 'blogname' ) . ': đơn đăng ký cộng tác viên mới từ Dan', $text['subject'] );
		$this->assertStringStartsWith( "Dan <dan@x.test> đã đăng ký làm cộng tác viên của Shoes (mã: dan). Đơn đăng ký đang chờ bạn duyệt.\n\nXem xét đơn đăng ký: {$review}\n\n", $text['body'] );
		// No user has the address: the site's language.
		$th = fn() => 'th';
		add_filter( 'locale', $th );
		try {
			$text = Reftrail_Affiliate_Mail::render_for_admin( $program, 'affiliate.applied', 'owner@nowhere.test', 'dan', 'Dan', 'dan@x.test' );
		} finally {
			remove_filter( 'locale', $th );
			unload_textdomain( 'reftrail' );
			Reftrail_Plugin::load_textdomain();
		}
		$this->assertStringContainsString( 'ใบสมัครพันธมิตรใหม่จาก Dan', $text['subject'] );
		$this->assertSame( 'Affiliates', __( 'Affiliates', 'reftrail' ), "the request's own language is back" );
		$this->assertNull( Reftrail_Affiliate_Mail::render_for_admin( $program, 'affiliate.applied', $to, 'dan', null, null ), 'the applicant is gone' );
		$this->assertNull( Reftrail_Affiliate_Mail::render_for_admin( $program, 'affiliate.approved', $to, 'dan', 'Dan', null ) );
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
		$this->assertSame( "Hello Alice,\n\nA lead (signup) you referred to Shoes earned you a commission of 125,000 VND.\nIt is approved and will be in your next payout.\n\nYour referrals and earnings: https://x.test/portal/\nYou can turn these emails off in your portal.\n\nYou receive this email as an affiliate of Shoes.\n", $text['body'] );
		$text = Reftrail_Affiliate_Mail::render( array( 'name' => 'ร้าน', 'locale' => 'th' ), 'referral.created', wp_json_encode( $referral ), 'Somchai', 'https://x.test/portal/' );
		$this->assertStringEndsWith( "การแนะนำและรายได้ของคุณ: https://x.test/portal/\nคุณปิดอีเมลเหล่านี้ได้ในพอร์ทัลพาร์ทเนอร์\n\nคุณได้รับอีเมลนี้เนื่องจากเป็นพาร์ทเนอร์ของ ร้าน\n", $text['body'] );
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
		$text = Reftrail_Affiliate_Mail::render( $p, 'affiliate.approved', '{"affiliate":"alice"}', 'Alice', 'https://x.test/portal/' );
		$this->assertSame( 'Shoes: you are approved as an affiliate', $text['subject'] );
		$this->assertSame( "Hello Alice,\n\nYour application to Shoes is approved: you can share your links and earn commissions now.\n\nYour links and earnings: https://x.test/portal/\n\nYou receive this email as an affiliate of Shoes.\n", $text['body'] );
		$text = Reftrail_Affiliate_Mail::render( array( 'name' => 'ร้าน', 'locale' => 'th' ), 'affiliate.approved', '{"affiliate":"somchai"}', 'Somchai', 'https://x.test/portal/' );
		$this->assertSame( 'ร้าน: คุณได้รับการอนุมัติเป็นพาร์ทเนอร์แล้ว', $text['subject'] );
		$this->assertSame( "สวัสดี Somchai,\n\nใบสมัครของคุณกับ ร้าน ได้รับการอนุมัติแล้ว ตอนนี้คุณแชร์ลิงก์และรับค่าคอมมิชชันได้เลย\n\nลิงก์และรายได้ของคุณ: https://x.test/portal/\n\nคุณได้รับอีเมลนี้เนื่องจากเป็นพาร์ทเนอร์ของ ร้าน\n", $text['body'] );
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

	/**
	 * A sentence of the server's mail texts with the program's name put in: the literal, with its
	 * `{program}`, is checked to be the server's (server_says()).
	 *
	 * @param string $literal The server's format string.
	 * @param string $program The program's name.
	 * @return string
	 */
	private function server_formats( $literal, $program ) {
		return str_replace( '{program}', $program, $this->server_says( $literal ) );
	}

	/**
	 * Opens the shop's application form for review with no practical hourly limit.
	 *
	 * @param string $mode review or auto.
	 */
	private function open_applications( $mode = 'review' ) {
		$this->program(
			array(
				'applications' => $mode,
				'fraud'        => array_merge( Reftrail_Program::get()['fraud'], array( 'applications_per_ip_per_hour' => 100000 ) ),
			)
		);
	}

	/**
	 * An application through `POST /v1/portal/applications` that must be answered 202.
	 *
	 * @param string $name  Name.
	 * @param string $email Email.
	 */
	private function application( $name, $email ) {
		list( $s, $d ) = $this->rest(
			'POST',
			'/v1/portal/applications',
			array(
				'name'  => $name,
				'email' => $email,
			)
		);
		$this->assertSame( 202, $s, wp_json_encode( $d ) );
	}

	/**
	 * The message sent with this subject.
	 *
	 * @param string $subject Subject.
	 * @return array
	 */
	private function sent( $subject ) {
		$found = array_values( array_filter( $this->mails, fn( $m ) => $subject === $m['subject'] ) );
		$this->assertCount( 1, $found, $subject . ' among ' . wp_json_encode( array_column( $this->mails, 'subject' ) ) );
		return $found[0];
	}

	public function test_an_application_under_review_is_acknowledged_in_the_programs_language() {
		$this->shop();
		$this->open_applications();
		$this->application( 'Lan Phạm', 'lan@applicant.test' );
		$this->assertEqualsCanonicalizing(
			array( array( 'application.received', 'affiliate' ), array( 'affiliate.applied', 'admin' ) ),
			array_map( fn( $r ) => array( $r['event'], $r['recipient'] ), $this->outbox() )
		);
		$this->assertSame( array( 'lan@applicant.test' ), array_column( $this->mails, 'to' ), 'only WordPress\'s own email, to set a password, went out at once' );
		$this->mails = array();
		do_action( Reftrail_Affiliate_Mail::CRON );
		$mail = $this->sent( $this->server_formats( '{program}: đã nhận đơn đăng ký của bạn', 'Giày Sài Gòn' ) );
		$this->assertSame( 'lan@applicant.test', $mail['to'] );
		$this->assertSame(
			"Xin chào Lan Phạm,\n\n" . $this->server_formats( 'Chúng tôi đã nhận đơn đăng ký làm cộng tác viên của {program}. Chúng tôi sẽ gửi email cho bạn khi đơn được xét duyệt.', 'Giày Sài Gòn' )
				. "\n\n" . $this->server_formats( 'Bạn nhận được email này vì đã đăng ký làm cộng tác viên của {program}.', 'Giày Sài Gòn' ) . "\n",
			$mail['message']
		);
		$this->assertContains( 'Content-Type: text/plain; charset=UTF-8', (array) $mail['headers'] );
		$this->assertCount( 2, $this->mails, 'and the administrator\'s notice' );
		$this->assertSame( 'Affiliates', __( 'Affiliates', 'reftrail' ), "the request's own language is back" );
	}

	public function test_an_application_approved_at_once_is_welcomed_when_the_program_wants_it() {
		$this->shop();
		$this->open_applications( 'auto' );
		$this->application( 'Minh', 'minh@applicant.test' );
		$this->assertSame( array( array( 'affiliate.approved', 'affiliate', 'minh' ) ), array_map( fn( $r ) => array( $r['event'], $r['recipient'], $r['affiliate_id'] ), $this->outbox() ) );
		$this->mails = array();
		do_action( Reftrail_Affiliate_Mail::CRON );
		$this->assertSame( array( 'minh@applicant.test' ), array_column( $this->mails, 'to' ) );
		$this->assertSame( Reftrail_Affiliate_Mail::render( Reftrail_Program::get(), 'affiliate.approved', '{}', 'Minh', Reftrail_Affiliate_Mail::portal_url() ), array( 'subject' => $this->mails[0]['subject'], 'body' => $this->mails[0]['message'] ) );
		$this->program( array( 'affiliate_emails' => array( 'referral.created' ) ) );
		$this->application( 'Quiet', 'quiet@applicant.test' );
		$this->assertCount( 1, $this->outbox(), 'no welcome the program does not want, no acknowledgement either' );
	}

	public function test_a_known_address_is_told_it_has_an_account() {
		$this->shop();
		$this->open_applications();
		$this->affiliate( 'cam', array( 'name' => 'Cam', 'email' => 'cam@aff.test', 'status' => 'pending' ) );
		$this->application( 'Someone', 'ALICE@aff.test' );
		$this->application( 'Someone', 'cam@aff.test' );
		$this->assertEqualsCanonicalizing( array( array( 'application.exists', 'alice', '{"status":"approved"}' ), array( 'application.exists', 'cam', '{"status":"pending"}' ) ), array_map( fn( $r ) => array( $r['event'], $r['affiliate_id'], $r['payload'] ), $this->outbox() ) );
		$this->assertSame( array(), $this->mails );
		do_action( Reftrail_Affiliate_Mail::CRON );
		$portal  = Reftrail_Affiliate_Mail::portal_url();
		$subject = $this->server_formats( '{program}: bạn đã có tài khoản cộng tác viên', 'Giày Sài Gòn' );
		$what    = $this->server_formats( 'Ai đó (có thể là bạn) vừa đăng ký làm cộng tác viên của {program} bằng địa chỉ email này. Bạn đã có tài khoản nên chúng tôi không tạo tài khoản mới.', 'Giày Sài Gòn' );
		$bye     = $this->server_says( 'Đăng nhập' ) . ': ' . $portal . "\n\n" . $this->server_says( 'Nếu không phải bạn, hãy bỏ qua email này.' ) . "\n";
		$mails = array_column( $this->mails, null, 'to' );
		ksort( $mails );
		$this->assertSame( array( 'alice@aff.test', 'cam@aff.test' ), array_keys( $mails ) );
		$this->assertSame( array( $subject, $subject ), array_column( $mails, 'subject' ) );
		$this->assertSame( "Xin chào Alice Nguyễn,\n\n{$what}\n\n{$bye}", $mails['alice@aff.test']['message'] );
		$this->assertSame( "Xin chào Cam,\n\n{$what}\n\n" . $this->server_says( 'Đơn đăng ký của bạn vẫn đang được xét duyệt.' ) . "\n\n{$bye}", $mails['cam@aff.test']['message'] );
	}

	public function test_the_application_emails_in_english_and_thai() {
		$en = array(
			'name'   => 'Shoes',
			'locale' => 'en',
		);
		$th = array(
			'name'   => 'ร้านรองเท้า',
			'locale' => 'th',
		);
		$this->assertSame(
			array(
				'subject' => $this->server_says( 'Shoes: we received your application' ),
				'body'    => "Hello Al,\n\n" . $this->server_formats( "We received your application to join {program}'s affiliate program. We will email you when it has been reviewed.", 'Shoes' )
					. "\n\n" . $this->server_formats( "You receive this email because you applied to {program}'s affiliate program.", 'Shoes' ) . "\n",
			),
			Reftrail_Affiliate_Mail::render( $en, 'application.received', '{"affiliate":"al"}', 'Al', 'u' )
		);
		$this->assertSame(
			"Hello Al,\n\n" . $this->server_formats( "Someone (perhaps you) asked to join {program}'s affiliate program with this email address. You already have an account, so no new one was made.", 'Shoes' )
				. "\n\n" . $this->server_says( 'Sign in' ) . ": u\n\n" . $this->server_says( 'If this was not you, you can ignore this email.' ) . "\n",
			Reftrail_Affiliate_Mail::render( $en, 'application.exists', '{"status":"approved"}', 'Al', 'u' )['body']
		);
		$pending = Reftrail_Affiliate_Mail::render( $th, 'application.exists', '{"status":"pending"}', 'Niran', 'https://t/portal/' );
		$this->assertSame( $this->server_says( 'ร้านรองเท้า: คุณมีบัญชีพาร์ทเนอร์อยู่แล้ว' ), $pending['subject'] );
		$this->assertStringContainsString( $this->server_says( 'ใบสมัครของคุณยังอยู่ระหว่างการพิจารณา' ) . "\n\n" . $this->server_says( 'เข้าสู่ระบบ: https://t/portal/' ), $pending['body'] );
		$this->assertStringStartsWith( 'สวัสดี Niran,', $pending['body'] );
		$received = Reftrail_Affiliate_Mail::render( $th, 'application.received', '{}', 'Niran', 'u' );
		$this->assertSame( $this->server_formats( '{program}: เราได้รับใบสมัครของคุณแล้ว', 'ร้านรองเท้า' ), $received['subject'] );
		// A payload that is not the event's is not rendered.
		$this->assertNull( Reftrail_Affiliate_Mail::render( $en, 'application.exists', '{}', 'Al', 'u' ) );
		$this->assertNull( Reftrail_Affiliate_Mail::render_for_user( $en, 'application.exists', 'Al' ) );
		$this->assertSame( 'Affiliates', __( 'Affiliates', 'reftrail' ), "the request's own language is back" );
	}

	public function test_a_wordpress_user_without_an_affiliate_is_told_to_sign_in() {
		global $wpdb;
		$this->shop();
		$this->open_applications();
		// Only this test's page has the sign-up form (other pages go back with the rollback).
		$wpdb->query( "UPDATE {$wpdb->posts} SET post_status = 'draft' WHERE post_content LIKE '%reftrail_register%' OR post_content LIKE '%wp:reftrail/register%'" ); // phpcs:ignore
		wp_cache_flush();
		$this->assertSame( wp_login_url( home_url( '/' ) ), Reftrail_Affiliate_Mail::sign_in_url(), 'the home page when no page has the form' );
		$page = wp_insert_post(
			array(
				'post_type'    => 'page',
				'post_status'  => 'publish',
				'post_title'   => 'Join us',
				'post_content' => '<!-- wp:reftrail/register /-->',
			)
		);
		$uid = wp_insert_user(
			array(
				'user_login'   => 'hoa_' . wp_generate_password( 6, false ),
				'user_pass'    => wp_generate_password( 20 ),
				'user_email'   => 'hoa@customer.test',
				'display_name' => 'Hoa Trần',
			)
		);
		$this->assertIsInt( $uid );
		$this->application( 'Hoa', 'hoa@customer.test' );
		$this->assertSame( array( array( 'application.sign_in', 'user', '' ) ), array_map( fn( $r ) => array( $r['event'], $r['recipient'], $r['affiliate_id'] ), $this->outbox() ) );
		do_action( Reftrail_Affiliate_Mail::CRON );
		$sign_in = Reftrail_Affiliate_Mail::sign_in_url();
		$this->assertSame( wp_login_url( get_permalink( $page ) ), $sign_in, 'back to the form, signed in' );
		$this->assertCount( 1, $this->mails );
		$this->assertSame( array( 'hoa@customer.test', 'Giày Sài Gòn: đăng nhập để đăng ký' ), array( $this->mails[0]['to'], $this->mails[0]['subject'] ) );
		$this->assertSame(
			"Xin chào Hoa Trần,\n\nAi đó (có thể là bạn) vừa đăng ký làm cộng tác viên của Giày Sài Gòn bằng địa chỉ email này. Địa chỉ này đã có tài khoản trên trang của chúng tôi nên chúng tôi không tạo tài khoản mới: hãy đăng nhập và đăng ký từ tài khoản của bạn.\n\nĐăng nhập: {$sign_in}\n\nNếu không phải bạn, hãy bỏ qua email này.\n",
			$this->mails[0]['message']
		);
		$this->assertSame(
			array(
				'subject' => 'Shoes: sign in to apply',
				'body'    => "Hello Hoa,\n\nSomeone (perhaps you) asked to join Shoes's affiliate program with this email address. This address already has an account on our site, so no new one was made: sign in and apply from your account.\n\nSign in: {$sign_in}\n\nIf this was not you, you can ignore this email.\n",
			),
			Reftrail_Affiliate_Mail::render_for_user( array( 'name' => 'Shoes', 'locale' => 'en' ), 'application.sign_in', 'Hoa' )
		);
		// A user gone before the message is sent: given up at once.
		$this->application( 'Hoa', 'hoa@customer.test' );
		require_once ABSPATH . 'wp-admin/includes/user.php';
		wp_delete_user( $uid );
		do_action( Reftrail_Affiliate_Mail::CRON );
		$rows = array_values( array_filter( $this->outbox(), fn( $r ) => null === $r['sent_at'] ) );
		$this->assertCount( 1, $rows );
		$this->assertSame( array( '1', 'the user is gone' ), array( $rows[0]['attempts'], $rows[0]['last_error'] ) );
		$this->assertNotNull( $rows[0]['failed_at'] );
		$this->assertCount( 1, $this->mails );
	}

	/**
	 * A sentence of the server's message to its team about a flagged referral
	 * (server/src/team_mail.rs), with its placeholders (`{}` the affiliate, `{what}`, `{amount}`,
	 * `{commission}`) filled in when given.
	 *
	 * @param string $literal The server's string literal.
	 * @param array  $values  Placeholder => value.
	 * @return string
	 */
	private function team_says( $literal, array $values = array() ) {
		static $rust = null;
		if ( null === $rust ) {
			$rust = file_get_contents( dirname( __DIR__, 2 ) . '/server/src/team_mail.rs' ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_get_contents_file_get_contents
			$this->assertIsString( $rust );
		}
		$this->assertStringContainsString( '"' . $literal . '"', $rust, 'the server says this sentence' );
		foreach ( $values as $k => $v ) {
			$literal = str_replace( '{' . $k . '}', $v, $literal );
		}
		return $literal;
	}

	/**
	 * Posts a sale of 1,250,000 VND with alice's coupon, bought with `$email`; returns the
	 * referral.
	 *
	 * @param string $order Order id.
	 * @param string $email The customer's email.
	 * @return array
	 */
	private function sale_by( $order, $email ) {
		list( $status, $body ) = $this->rest(
			'POST',
			'/v1/sales',
			array(
				'order_id' => $order,
				'amount'   => 1250000,
				'currency' => 'VND',
				'coupon'   => 'ALICE',
				'customer' => array( 'email' => $email ),
			),
			$this->sk()
		);
		$this->assertContains( $status, array( 200, 201 ), wp_json_encode( $body ) );
		return $body['referral'];
	}

	/**
	 * The outbox's events with their recipients and affiliates, in the order queued.
	 *
	 * @return array[] `[event, recipient, affiliate]` each.
	 */
	private function queued_to() {
		return array_map( fn( $r ) => array( $r['event'], $r['recipient'], $r['affiliate_id'] ), $this->outbox() );
	}

	public function test_a_flagged_sale_is_mailed_to_the_administrator_once_in_the_programs_language() {
		$this->shop();
		update_option( 'blogname', 'Giày &amp; Dép' );
		add_filter( 'pre_option_admin_email', fn() => 'owner@shop.test' );
		// On by default, also for settings saved before this one existed.
		update_option( Reftrail_Settings::OPTION, array_diff_key( Reftrail_Settings::get(), array( 'notify_flagged' => true ) ) );
		$this->assertTrue( Reftrail_Settings::get()['notify_flagged'], 'on by default' );
		// Alice buys with her own address: a self-referral, left for review.
		$referral = $this->sale_by( '3001', 'Alice@Aff.test' );
		$this->assertSame( array( 'self_referral' ), $referral['flags'] );
		$this->assertSame( 'pending', $referral['status'] );
		$this->assertSame(
			array(
				array( 'referral.created', 'affiliate', 'alice' ),
				array( 'referral.flagged', 'admin', 'alice' ),
			),
			$this->queued_to()
		);
		$this->assertSame( $referral, json_decode( $this->outbox()[1]['payload'], true ), 'the referral as created' );
		$this->assertSame( array(), $this->mails, 'the request does not wait for the mail' );
		$this->assertSame( 10, has_action( 'shutdown', array( 'Reftrail_Affiliate_Mail', 'ask_for_a_run' ) ) );
		$this->sale_by( '3001', 'Alice@Aff.test' );
		$this->assertCount( 2, $this->outbox(), 'a replay queues nothing more' );

		do_action( Reftrail_Affiliate_Mail::CRON );
		$this->assertCount( 2, $this->mails );
		$mail = $this->sent( 'Cần xem lại một giới thiệu: alice' );
		$this->assertSame( $this->team_says( 'Cần xem lại một giới thiệu' ) . ': alice', $mail['subject'], 'the spec\'s subject is the server\'s' );
		$this->assertSame( 'owner@shop.test', $mail['to'] );
		$link = Reftrail_Admin::flagged_url( 'alice' );
		$this->assertSame( admin_url( 'admin.php?page=reftrail' ) . '#/referrals?flagged=true&affiliate=alice', $link, 'her flagged referrals in the dashboard' );
		$fill = array(
			''           => 'alice',
			'what'       => '3001',
			'amount'     => '1.250.000 VND',
			'commission' => '125.000 VND',
		);
		$this->assertSame(
			$this->team_says( 'Một giới thiệu của {} ({what}, {amount}, hoa hồng {commission}) bị gắn cờ và chờ bạn xem lại. Nó sẽ không được duyệt tự động.', $fill ) . "\n\n"
			. $this->team_says( 'Lý do' ) . ': ' . $this->team_says( 'khách hàng trùng email với cộng tác viên' ) . "\n\n"
			. $this->team_says( 'Duyệt hoặc từ chối tại' ) . ' ' . $link . "\n\n"
			. "Bạn nhận được email này vì là quản trị viên của Giày & Dép; bạn có thể tắt các email này trong Reftrail > Cài đặt.\n",
			$mail['message']
		);
		$this->assertSame( "Một giới thiệu của alice (3001, 1.250.000 VND, hoa hồng 125.000 VND) bị gắn cờ và chờ bạn xem lại. Nó sẽ không được duyệt tự động.\n\nLý do: khách hàng trùng email với cộng tác viên\n\nDuyệt hoặc từ chối tại {$link}\n\n", substr( $mail['message'], 0, strpos( $mail['message'], 'Bạn nhận' ) ) );
		$this->assertStringNotContainsString( 'Alice@Aff.test', $mail['message'], 'nothing about the customer' );
		$this->assertContains( 'Content-Type: text/plain; charset=UTF-8', (array) $mail['headers'] );
		$this->assertSame( 'alice@aff.test', $this->sent( 'Giày Sài Gòn: bạn nhận được 125.000 VND' )['to'], 'alice hears of her referral as always' );
		foreach ( $this->outbox() as $row ) {
			$this->assertNotNull( $row['sent_at'] );
		}
		$this->assertSame( 0, Reftrail_Affiliate_Mail::send_due(), 'nothing is sent twice' );
		$this->assertCount( 2, $this->mails );
		$this->assertSame( 'Affiliates', __( 'Affiliates', 'reftrail' ), "the request's own language is back" );
	}

	public function test_an_unflagged_referral_or_the_setting_off_tells_the_administrator_nothing() {
		$this->shop();
		$referral = $this->sale_by( '3101', 'buyer@customer.test' );
		$this->assertSame( array(), $referral['flags'] );
		$this->assertSame( array( array( 'referral.created', 'affiliate', 'alice' ) ), $this->queued_to() );
		do_action( Reftrail_Affiliate_Mail::CRON );
		$this->assertSame( array( 'alice@aff.test' ), array_column( $this->mails, 'to' ) );

		update_option( Reftrail_Settings::OPTION, Reftrail_Settings::sanitize( array_merge( Reftrail_Settings::get(), array( 'notify_flagged' => '' ) ) ) );
		$this->assertFalse( Reftrail_Settings::get()['notify_flagged'] );
		$this->assertTrue( Reftrail_Settings::get()['notify_applications'], 'the other email stays on' );
		$this->assertSame( array( 'self_referral' ), $this->sale_by( '3102', 'alice@aff.test' )['flags'] );
		$this->assertSame( array( 'referral.created', 'referral.created' ), array_column( $this->outbox(), 'event' ) );
		do_action( Reftrail_Affiliate_Mail::CRON );
		$this->assertSame( array( 'alice@aff.test', 'alice@aff.test' ), array_column( $this->mails, 'to' ), 'no message to the administrator' );

		// On again: the next flagged referral is told.
		update_option( Reftrail_Settings::OPTION, Reftrail_Settings::sanitize( array( 'notify_flagged' => '1' ) ) );
		$this->sale_by( '3103', 'alice@aff.test' );
		$this->assertSame( array( 'referral.flagged', 'admin', 'alice' ), $this->queued_to()[3] );
	}

	public function test_a_flagged_lead_is_told_with_its_event_even_when_it_earned_nothing() {
		$this->shop( array( 'locale' => 'en' ) );
		add_filter( 'pre_option_admin_email', fn() => 'owner@shop.test' );
		// No lead rate: alice hears nothing, the administrator hears of the flag.
		list( $status, $body ) = $this->rest( 'POST', '/v1/leads', array( 'event' => 'signup', 'email' => 'alice@aff.test', 'click_id' => $this->click( 'alice' ) ), $this->sk() );
		$this->assertSame( 201, $status, wp_json_encode( $body ) );
		$this->assertSame( array( 0, array( 'self_referral' ) ), array( $body['referral']['commission'], $body['referral']['flags'] ) );
		$this->assertSame( array( array( 'referral.flagged', 'admin', 'alice' ) ), $this->queued_to() );
		$this->assertSame( 1, Reftrail_Affiliate_Mail::send_due() );
		$site = wp_specialchars_decode( (string) get_option( 'blogname' ), ENT_QUOTES );
		$this->assertSame(
			array(
				'to'      => 'owner@shop.test',
				'subject' => 'A referral to review: alice',
				'message' => "A referral of alice (signup, 0 VND, commission 0 VND) was flagged and waits for your review. It is never approved automatically.\n\nWhy: the customer's email is the affiliate's own\n\nApprove or reject it at " . Reftrail_Admin::flagged_url( 'alice' ) . "\n\nYou receive this email as the administrator of {$site}; you can turn these emails off in Reftrail > Settings.\n",
			),
			array_intersect_key( $this->mails[0], array_flip( array( 'to', 'subject', 'message' ) ) )
		);
	}

	public function test_the_flagged_referral_email_in_english_vietnamese_and_thai() {
		update_option( 'blogname', 'Shop' );
		$referral = array(
			'id'         => 'ref_1',
			'kind'       => 'sale',
			'affiliate'  => 'minh-anh',
			'order_id'   => 'A-1001',
			'event'      => null,
			'amount'     => 1250000,
			'currency'   => 'VND',
			'commission' => 125000,
			'status'     => 'pending',
			'flags'      => array( 'self_referral', 'bot_user_agent', 'click_velocity', 'conversion_rate', 'paid_ads', 'new_signal' ),
			'hold_until' => '2026-12-24T05:00:00Z',
		);
		$link  = Reftrail_Admin::flagged_url( 'minh-anh' );
		$words = array(
			'en' => array(
				'subject' => 'A referral to review',
				'said'    => 'A referral of {} ({what}, {amount}, commission {commission}) was flagged and waits for your review. It is never approved automatically.',
				'amounts' => array( '1,250,000 VND', '125,000 VND' ),
				'why'     => 'Why',
				'flags'   => array( "the customer's email is the affiliate's own", "a bot's browser", 'too many clicks from one address', 'an unusual conversion rate', 'the click came from a paid ad' ),
				'act'     => 'Approve or reject it at',
				'you'     => 'You receive this email as the administrator of Shop; you can turn these emails off in Reftrail > Settings.',
			),
			'vi' => array(
				'subject' => 'Cần xem lại một giới thiệu',
				'said'    => 'Một giới thiệu của {} ({what}, {amount}, hoa hồng {commission}) bị gắn cờ và chờ bạn xem lại. Nó sẽ không được duyệt tự động.',
				'amounts' => array( '1.250.000 VND', '125.000 VND' ),
				'why'     => 'Lý do',
				'flags'   => array( 'khách hàng trùng email với cộng tác viên', 'trình duyệt giống bot', 'quá nhiều lượt nhấp từ một địa chỉ', 'tỷ lệ chuyển đổi bất thường', 'lượt nhấp đến từ quảng cáo trả phí' ),
				'act'     => 'Duyệt hoặc từ chối tại',
				'you'     => 'Bạn nhận được email này vì là quản trị viên của Shop; bạn có thể tắt các email này trong Reftrail > Cài đặt.',
			),
			'th' => array(
				'subject' => 'มีการแนะนำที่ต้องตรวจสอบ',
				'said'    => 'การแนะนำของ {} ({what}, {amount}, ค่าคอมมิชชัน {commission}) ถูกทำเครื่องหมายและรอให้คุณตรวจสอบ จะไม่ได้รับการอนุมัติอัตโนมัติ',
				'amounts' => array( '1,250,000 VND', '125,000 VND' ),
				'why'     => 'เหตุผล',
				'flags'   => array( 'ลูกค้าใช้อีเมลเดียวกับพาร์ทเนอร์', 'เบราว์เซอร์คล้ายบอต', 'คลิกจากที่อยู่เดียวกันมากเกินไป', 'อัตราการแปลงผิดปกติ', 'คลิกมาจากโฆษณาแบบชำระเงิน' ),
				'act'     => 'อนุมัติหรือปฏิเสธได้ที่',
				'you'     => 'คุณได้รับอีเมลนี้เนื่องจากเป็นผู้ดูแลระบบของ Shop ปิดอีเมลเหล่านี้ได้ที่ Reftrail > การตั้งค่า',
			),
		);
		// The administrator's own language does not matter: the program's does.
		$admin = $this->user( 'administrator' );
		update_user_meta( $admin, 'locale', 'th' );
		$to = get_userdata( $admin )->user_email;
		foreach ( $words as $locale => $w ) {
			$program = array(
				'name'   => 'Giày',
				'locale' => $locale,
			);
			$text    = Reftrail_Affiliate_Mail::render_for_admin( $program, 'referral.flagged', $to, 'minh-anh', 'Minh Anh', 'minh@example.com', wp_json_encode( $referral ) );
			$reasons = implode( '; ', array_merge( array_map( fn( $f ) => $this->team_says( $f ), $w['flags'] ), array( 'new_signal' ) ) );
			$said    = $this->team_says(
				$w['said'],
				array(
					''           => 'minh-anh',
					'what'       => 'A-1001',
					'amount'     => $w['amounts'][0],
					'commission' => $w['amounts'][1],
				)
			);
			$this->assertSame( $this->team_says( $w['subject'] ) . ': minh-anh', $text['subject'], $locale );
			$this->assertSame( $said . "\n\n" . $this->team_says( $w['why'] ) . ': ' . $reasons . "\n\n" . $this->team_says( $w['act'] ) . ' ' . $link . "\n\n" . $w['you'] . "\n", $text['body'], $locale );
		}
		// As the spec writes the subjects.
		$subject = fn( $locale ) => Reftrail_Affiliate_Mail::render_for_admin( array( 'name' => 'Giày', 'locale' => $locale ), 'referral.flagged', $to, 'minh-anh', null, null, wp_json_encode( $referral ) )['subject'];
		$this->assertSame( 'A referral to review: minh-anh', $subject( 'en' ) );
		$this->assertSame( 'Cần xem lại một giới thiệu: minh-anh', $subject( 'vi' ) );
		$this->assertSame( 'มีการแนะนำที่ต้องตรวจสอบ: minh-anh', $subject( 'th' ) );
		$this->assertSame( 'A referral to review: minh-anh', $subject( 'de_DE' ), 'another language reads English' );
		// A lead names its event; money as the language writes it.
		$lead = array_merge(
			$referral,
			array(
				'kind'       => 'lead',
				'order_id'   => null,
				'event'      => 'signup',
				'amount'     => 0,
				'currency'   => 'USD',
				'commission' => 250,
				'flags'      => array( 'click_velocity' ),
			)
		);
		$text = Reftrail_Affiliate_Mail::render_for_admin( array( 'name' => 'Giày', 'locale' => 'vi' ), 'referral.flagged', $to, 'minh-anh', 'Minh Anh', null, wp_json_encode( $lead ) );
		$this->assertStringStartsWith( "Một giới thiệu của minh-anh (signup, 0,00 USD, hoa hồng 2,50 USD) bị gắn cờ và chờ bạn xem lại. Nó sẽ không được duyệt tự động.\n\nLý do: quá nhiều lượt nhấp từ một địa chỉ\n\n", $text['body'] );
		// What is no flagged referral renders nothing.
		foreach ( array( '{}', 'null', wp_json_encode( array_merge( $referral, array( 'flags' => array() ) ) ), wp_json_encode( array_merge( $referral, array( 'flags' => 'bot_user_agent' ) ) ), wp_json_encode( array_merge( $referral, array( 'commission' => null ) ) ) ) as $payload ) {
			$this->assertNull( Reftrail_Affiliate_Mail::render_for_admin( array( 'name' => 'Giày', 'locale' => 'en' ), 'referral.flagged', $to, 'minh-anh', 'Minh Anh', null, $payload ), $payload );
		}
		$this->assertNull( Reftrail_Affiliate_Mail::render( array( 'name' => 'Giày', 'locale' => 'en' ), 'referral.flagged', wp_json_encode( $referral ), 'Minh Anh', 'u' ), 'not a message to an affiliate' );
		$this->assertSame( 'Affiliates', __( 'Affiliates', 'reftrail' ), "the request's own language is back" );
	}

	public function test_the_settings_page_has_the_flagged_referrals_checkbox() {
		ob_start();
		Reftrail_Admin::field_flagged();
		$html = ob_get_clean();
		$this->assertStringContainsString( 'name="reftrail_settings[notify_flagged]" value="1" checked=\'checked\'', $html );
		$this->assertStringContainsString( 'Email me about referrals flagged for review', $html );
		$this->assertStringContainsString( esc_html( get_option( 'admin_email' ) ), $html );
		$this->assertStringContainsString( 'a self-referral, a bot, too many clicks from one address, an unusual conversion rate', $html );
		update_option( Reftrail_Settings::OPTION, Reftrail_Settings::sanitize( array( 'notify_applications' => '1' ) ) );
		ob_start();
		Reftrail_Admin::field_flagged();
		$this->assertStringNotContainsString( 'checked', ob_get_clean() );
		global $wp_settings_fields, $wp_settings_sections;
		$saved = array( $wp_settings_fields, $wp_settings_sections );
		try {
			Reftrail_Admin::settings();
			$this->assertSame( array( 'notify_applications', 'notify_flagged', 'notify_deliveries', 'notify_payout_requests' ), array_keys( $wp_settings_fields['reftrail-settings']['reftrail_emails'] ), 'beside the applications\' checkbox' );
			$this->assertSame( 'Flagged referrals', $wp_settings_fields['reftrail-settings']['reftrail_emails']['notify_flagged']['title'] );
		} finally {
			unregister_setting( 'reftrail', Reftrail_Settings::OPTION );
			list( $wp_settings_fields, $wp_settings_sections ) = $saved;
		}
	}
}
