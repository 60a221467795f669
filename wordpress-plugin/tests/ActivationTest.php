<?php
/**
 * Activation: tables by dbDelta at the schema version, the affiliate role, the manager
 * capability, keys; upgrades are idempotent.
 *
 * @package Reftrail
 */

/**
 * Activation tests.
 */
class ActivationTest extends Reftrail_Test_Case {

	/** dbDelta and role changes commit; these tests run outside the test transaction. */
	protected $transactional = false;

	public function test_tables_exist_at_the_schema_version() {
		global $wpdb;
		foreach ( Reftrail_Schema::TABLES as $t ) {
			$name = Reftrail_Db::table( $t );
			$this->assertSame( $name, $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $name ) ) );
		}
		$this->assertSame( Reftrail_Schema::VERSION, (int) get_option( Reftrail_Schema::OPTION ) );
	}

	public function test_upgrade_is_idempotent_and_adds_a_missing_column() {
		global $wpdb;
		$t = Reftrail_Db::table( 'referrals' );
		$wpdb->query( "ALTER TABLE {$t} DROP COLUMN eligible" ); // phpcs:ignore
		update_option( Reftrail_Schema::OPTION, 1 );
		Reftrail_Schema::maybe_upgrade();
		$this->assertNotNull( $wpdb->get_row( "SHOW COLUMNS FROM {$t} LIKE 'eligible'" ) ); // phpcs:ignore
		$this->assertSame( Reftrail_Schema::VERSION, (int) get_option( Reftrail_Schema::OPTION ) );
		Reftrail_Schema::upgrade();
		$this->assertSame( '', $wpdb->last_error );
	}

	public function test_upgrade_from_5_adds_the_cost_of_goods_columns() {
		global $wpdb;
		$orders  = Reftrail_Db::table( 'orders' );
		$refunds = Reftrail_Db::table( 'refunds' );
		$wpdb->query( "ALTER TABLE {$orders} DROP COLUMN cost" ); // phpcs:ignore
		$wpdb->query( "ALTER TABLE {$refunds} DROP COLUMN cost" ); // phpcs:ignore
		update_option( Reftrail_Schema::OPTION, 5 );
		Reftrail_Schema::maybe_upgrade();
		$order_cost  = $wpdb->get_row( "SHOW COLUMNS FROM {$orders} LIKE 'cost'", ARRAY_A ); // phpcs:ignore
		$refund_cost = $wpdb->get_row( "SHOW COLUMNS FROM {$refunds} LIKE 'cost'", ARRAY_A ); // phpcs:ignore
		$this->assertSame( array( 'YES', null ), array( $order_cost['Null'], $order_cost['Default'] ), 'an order without a cost stays unknown' );
		$this->assertSame( array( 'NO', '0' ), array( $refund_cost['Null'], $refund_cost['Default'] ) );
		$this->assertSame( Reftrail_Schema::VERSION, (int) get_option( Reftrail_Schema::OPTION ) );
	}

	public function test_upgrade_from_6_credits_each_referral_to_its_affiliate() {
		global $wpdb;
		$referrals = Reftrail_Db::table( 'referrals' );
		$credit    = Reftrail_Db::table( 'referral_credit' );
		$id        = 'ref_upgrade_' . wp_generate_password( 8, false );
		$wpdb->insert(
			$referrals,
			array(
				'id'            => $id,
				'kind'          => 'sale',
				'source_id'     => 'ord_' . $id,
				'affiliate_id'  => 'alice',
				'at'            => 1780000000,
				'amount'        => 1000,
				'currency'      => 'USD',
				'commission'    => 100,
				'status'        => 'pending',
				'verified'      => 1,
				'attributed_by' => 'cookie',
				'flags'         => '[]',
				'hold_until'    => 1780000000,
			)
		);
		$wpdb->query( "DROP TABLE {$credit}" ); // phpcs:ignore
		update_option( Reftrail_Schema::OPTION, 6 );
		Reftrail_Schema::maybe_upgrade();
		$rows = $wpdb->get_results( $wpdb->prepare( "SELECT affiliate_id, seq, share_bp, at, solo FROM {$credit} WHERE referral_id = %s", $id ), ARRAY_A ); // phpcs:ignore
		$wpdb->delete( $referrals, array( 'id' => $id ) );
		$wpdb->delete( $credit, array( 'referral_id' => $id ) );
		$this->assertSame(
			array(
				array(
					'affiliate_id' => 'alice',
					'seq'          => '0',
					'share_bp'     => '10000',
					'at'           => '1780000000',
					'solo'         => '1',
				),
			),
			$rows
		);
		$this->assertSame( Reftrail_Schema::VERSION, (int) get_option( Reftrail_Schema::OPTION ) );
	}

	public function test_upgrade_from_8_adds_the_mail_outbox_and_the_program_keeps_its_settings() {
		global $wpdb;
		$t = Reftrail_Db::table( 'mail_outbox' );
		$wpdb->query( "DROP TABLE {$t}" ); // phpcs:ignore
		update_option( Reftrail_Schema::OPTION, 8 );
		Reftrail_Schema::maybe_upgrade();
		$this->assertSame( $t, $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $t ) ) );
		$this->assertSame( Reftrail_Schema::VERSION, (int) get_option( Reftrail_Schema::OPTION ) );
		// A program stored before these settings existed gets their defaults.
		$saved  = get_option( Reftrail_Program::OPTION );
		$before = array_diff_key( Reftrail_Program::defaults(), array_flip( array( 'click_details_days', 'affiliate_emails' ) ) );
		update_option( Reftrail_Program::OPTION, $before );
		try {
			$p = Reftrail_Program::get();
			$this->assertSame( array( 90, array( 'referral.created', 'payout.created', 'affiliate.approved', 'bonus.created' ) ), array( $p['click_details_days'], $p['affiliate_emails'] ) );
			// One that chose its emails keeps its choice when an event is added.
			update_option( Reftrail_Program::OPTION, array_merge( $before, array( 'affiliate_emails' => array( 'payout.created' ) ) ) );
			$this->assertSame( array( 'payout.created' ), Reftrail_Program::get()['affiliate_emails'] );
		} finally {
			update_option( Reftrail_Program::OPTION, $saved );
		}
	}

	public function test_upgrade_from_9_gives_the_mail_outbox_its_recipient() {
		global $wpdb;
		$t  = Reftrail_Db::table( 'mail_outbox' );
		$id = 'mail_upgrade_' . wp_generate_password( 8, false );
		$wpdb->query( "ALTER TABLE {$t} DROP COLUMN recipient" ); // phpcs:ignore
		// A message queued by version 9, waiting to be sent.
		$wpdb->insert(
			$t,
			array(
				'id'           => $id,
				'event'        => 'payout.created',
				'affiliate_id' => 'alice',
				'payload'      => '{}',
				'at'           => 1780000000,
				'attempts'     => 0,
				'next_at'      => 1780000000,
			)
		);
		update_option( Reftrail_Schema::OPTION, 9 );
		Reftrail_Schema::maybe_upgrade();
		$column    = $wpdb->get_row( "SHOW COLUMNS FROM {$t} LIKE 'recipient'", ARRAY_A ); // phpcs:ignore
		$recipient = $wpdb->get_var( $wpdb->prepare( "SELECT recipient FROM {$t} WHERE id = %s", $id ) ); // phpcs:ignore
		$wpdb->delete( $t, array( 'id' => $id ) );
		$this->assertSame( array( 'NO', 'affiliate' ), array( $column['Null'], $column['Default'] ) );
		$this->assertSame( 'affiliate', $recipient, 'what was queued goes to its affiliate' );
		$this->assertSame( Reftrail_Schema::VERSION, (int) get_option( Reftrail_Schema::OPTION ) );
	}

	public function test_upgrade_from_10_keeps_existing_affiliates_emailed_about_referrals() {
		global $wpdb;
		$t  = Reftrail_Db::table( 'affiliates' );
		$id = 'upgrade_' . strtolower( wp_generate_password( 8, false ) );
		$wpdb->query( "ALTER TABLE {$t} DROP COLUMN referral_emails" ); // phpcs:ignore
		// An affiliate of version 10.
		$wpdb->insert(
			$t,
			array(
				'id'         => $id,
				'name'       => 'Before',
				'category'   => 'other',
				'status'     => 'approved',
				'created_at' => 1780000000,
				'updated_at' => 1780000000,
			)
		);
		update_option( Reftrail_Schema::OPTION, 10 );
		try {
			Reftrail_Schema::maybe_upgrade();
			$column = $wpdb->get_row( "SHOW COLUMNS FROM {$t} LIKE 'referral_emails'", ARRAY_A ); // phpcs:ignore
			$on     = Reftrail_Affiliates::referral_emails( $id );
		} finally {
			$wpdb->delete( $t, array( 'id' => $id ) );
		}
		$this->assertSame( array( 'NO', '1' ), array( $column['Null'] ?? null, $column['Default'] ?? null ) );
		$this->assertTrue( $on, 'an existing affiliate stays on' );
		$this->assertSame( Reftrail_Schema::VERSION, (int) get_option( Reftrail_Schema::OPTION ) );
		Reftrail_Schema::upgrade();
		$this->assertSame( '', $wpdb->last_error );
	}

	public function test_upgrade_from_11_adds_bank_transfer_payouts_and_keeps_paypal_for_what_exists() {
		global $wpdb;
		$a  = Reftrail_Db::table( 'affiliates' );
		$l  = Reftrail_Db::table( 'payout_lines' );
		$p  = Reftrail_Db::table( 'payouts' );
		foreach ( array( 'payout_method', 'payout_bank', 'payout_account', 'payout_name' ) as $c ) {
			$wpdb->query( "ALTER TABLE {$a} DROP COLUMN {$c}" ); // phpcs:ignore
		}
		foreach ( array( 'method', 'bank', 'account', 'account_name' ) as $c ) {
			$wpdb->query( "ALTER TABLE {$l} DROP COLUMN {$c}" ); // phpcs:ignore
		}
		// An affiliate and a payout line of version 11.
		list( $id, $po ) = $this->old_payout_line( array( 'email' => 'before@example.test' ), array() );
		update_option( Reftrail_Schema::OPTION, 11 );
		try {
			Reftrail_Schema::maybe_upgrade();
			$columns = array();
			foreach ( array( $a => array( 'payout_method', 'payout_bank', 'payout_account', 'payout_name' ), $l => array( 'method', 'bank', 'account', 'account_name' ) ) as $table => $names ) {
				foreach ( $names as $c ) {
					$row           = $wpdb->get_row( $wpdb->prepare( "SHOW COLUMNS FROM {$table} LIKE %s", $c ), ARRAY_A ); // phpcs:ignore
					$columns[ $c ] = array( $row['Null'] ?? null, $row['Default'] ?? null );
				}
			}
			$affiliate = Reftrail_Affiliates::get( $id );
			$payout    = Reftrail_Ledger::payout( $po );
		} finally {
			$wpdb->delete( $l, array( 'payout_id' => $po ) );
			$wpdb->delete( $p, array( 'id' => $po ) );
			$wpdb->delete( $a, array( 'id' => $id ) );
		}
		$this->assertSame(
			array(
				'payout_method'  => array( 'YES', null ),
				'payout_bank'    => array( 'YES', null ),
				'payout_account' => array( 'YES', null ),
				'payout_name'    => array( 'YES', null ),
				'method'         => array( 'NO', 'paypal' ),
				'bank'           => array( 'YES', null ),
				'account'        => array( 'YES', null ),
				'account_name'   => array( 'YES', null ),
			),
			$columns
		);
		$this->assertNull( $affiliate['payout'], 'an existing affiliate is still paid by PayPal' );
		$this->assertSame(
			array(
				'affiliate'             => $id,
				'currency'              => 'VND',
				'amount'                => 125000,
				'gross'                 => 125000,
				'withheld'              => 0,
				'tax_id'                => null,
				'method'                => 'paypal',
				'paypal_email'          => 'before@example.test',
				'bank'                  => null,
				'account'               => null,
				'account_name'          => null,
				'transfer_qr'           => null,
				'referrals'             => 2,
				'bonuses'               => 0,
				'recruiter_commissions' => 0,
				'fee'                   => null,
				'sent_at'               => null,
			),
			$payout['lines'][0],
			'a past line was paid by PayPal'
		);
		$this->assertSame( Reftrail_Schema::VERSION, (int) get_option( Reftrail_Schema::OPTION ) );
		Reftrail_Schema::upgrade();
		$this->assertSame( '', $wpdb->last_error );
	}

	public function test_upgrade_from_12_adds_when_a_transfer_was_sent() {
		global $wpdb;
		$l  = Reftrail_Db::table( 'payout_lines' );
		$p  = Reftrail_Db::table( 'payouts' );
		$id = 'upgrade_' . strtolower( wp_generate_password( 8, false ) );
		$po = 'po_upgrade_' . wp_generate_password( 8, false );
		$wpdb->query( "ALTER TABLE {$l} DROP COLUMN sent_at" ); // phpcs:ignore
		// A payout line of version 12.
		$wpdb->insert(
			$p,
			array(
				'id' => $po,
				'at' => 1780000000,
			)
		);
		$wpdb->insert(
			$l,
			array(
				'payout_id'    => $po,
				'affiliate_id' => $id,
				'currency'     => 'THB',
				'amount'       => 125000,
				'paypal_email' => '',
				'referrals'    => 1,
				'method'       => 'promptpay',
				'account'      => '0812345678',
			)
		);
		update_option( Reftrail_Schema::OPTION, 12 );
		try {
			Reftrail_Schema::maybe_upgrade();
			$column = $wpdb->get_row( "SHOW COLUMNS FROM {$l} LIKE 'sent_at'", ARRAY_A ); // phpcs:ignore
			$before = Reftrail_Ledger::payout( $po );
			add_filter( 'reftrail_now', fn() => 1780003600 );
			$marked = Reftrail_Ledger::mark_sent( $po, $id, 'THB', true );
		} finally {
			remove_all_filters( 'reftrail_now' );
			$wpdb->delete( $l, array( 'payout_id' => $po ) );
			$wpdb->delete( $p, array( 'id' => $po ) );
		}
		$this->assertSame( array( 'YES', null ), array( $column['Null'] ?? null, $column['Default'] ?? null ) );
		$this->assertNull( $before['lines'][0]['sent_at'], 'a past line is not yet marked sent' );
		$this->assertSame( '2026-05-28T21:26:40Z', $marked['lines'][0]['sent_at'] );
		$this->assertSame( Reftrail_Schema::VERSION, (int) get_option( Reftrail_Schema::OPTION ) );
		Reftrail_Schema::upgrade();
		$this->assertSame( '', $wpdb->last_error );
	}

	public function test_upgrade_from_13_adds_withholding_and_keeps_past_lines_untaxed() {
		global $wpdb;
		$a  = Reftrail_Db::table( 'affiliates' );
		$l  = Reftrail_Db::table( 'payout_lines' );
		$p  = Reftrail_Db::table( 'payouts' );
		$id = 'upgrade_' . strtolower( wp_generate_password( 8, false ) );
		$po = 'po_upgrade_' . wp_generate_password( 8, false );
		foreach ( array( 'withholding_exempt', 'tax_id' ) as $c ) {
			$wpdb->query( "ALTER TABLE {$a} DROP COLUMN {$c}" ); // phpcs:ignore
		}
		foreach ( array( 'withheld', 'tax_id' ) as $c ) {
			$wpdb->query( "ALTER TABLE {$l} DROP COLUMN {$c}" ); // phpcs:ignore
		}
		// An affiliate and a payout line of version 13.
		$wpdb->insert(
			$a,
			array(
				'id'           => $id,
				'name'         => 'Before',
				'payout_email' => 'before@example.test',
				'category'     => 'other',
				'status'       => 'approved',
				'created_at'   => 1780000000,
				'updated_at'   => 1780000000,
			)
		);
		$wpdb->insert(
			$p,
			array(
				'id' => $po,
				'at' => 1780000000,
			)
		);
		$wpdb->insert(
			$l,
			array(
				'payout_id'    => $po,
				'affiliate_id' => $id,
				'currency'     => 'VND',
				'amount'       => 2500000,
				'paypal_email' => 'before@example.test',
				'referrals'    => 1,
				'method'       => 'paypal',
			)
		);
		update_option( Reftrail_Schema::OPTION, 13 );
		try {
			Reftrail_Schema::maybe_upgrade();
			$columns = array();
			foreach ( array( 'affiliates.withholding_exempt', 'affiliates.tax_id', 'payout_lines.withheld', 'payout_lines.tax_id' ) as $column ) {
				list( $table, $c )  = explode( '.', $column );
				$row                = $wpdb->get_row( 'SHOW COLUMNS FROM ' . Reftrail_Db::table( $table ) . " LIKE '{$c}'", ARRAY_A ); // phpcs:ignore
				$columns[ $column ] = array( $row['Null'] ?? null, $row['Default'] ?? null );
			}
			$affiliate = Reftrail_Affiliates::get( $id );
			$line      = Reftrail_Ledger::payout( $po )['lines'][0];
			$mine      = Reftrail_Ledger::payouts_of( $id, 10, 0 )[0];
			$csv       = Reftrail_Ledger::withholding_csv( 1779999999, 1780000001 );
			$patched   = Reftrail_Affiliates::update(
				$id,
				array(
					'tax_id'             => '8012345678',
					'withholding_exempt' => true,
				)
			);
		} finally {
			$wpdb->delete( $l, array( 'payout_id' => $po ) );
			$wpdb->delete( $p, array( 'id' => $po ) );
			$wpdb->delete( $a, array( 'id' => $id ) );
		}
		$this->assertSame(
			array(
				'affiliates.withholding_exempt' => array( 'NO', '0' ),
				'affiliates.tax_id'             => array( 'YES', null ),
				'payout_lines.withheld'         => array( 'NO', '0' ),
				'payout_lines.tax_id'           => array( 'YES', null ),
			),
			$columns
		);
		$this->assertSame( array( false, null ), array( $affiliate['withholding_exempt'], $affiliate['tax_id'] ), 'an existing affiliate is not exempt and has no tax id' );
		$this->assertSame( array( 2500000, 2500000, 0, null ), array( $line['amount'], $line['gross'], $line['withheld'], $line['tax_id'] ), 'nothing was withheld from a past line' );
		$this->assertSame( array( 2500000, 2500000, 0 ), array( $mine['amount'], $mine['gross'], $mine['withheld'] ) );
		$this->assertSame( "affiliate_id,name,tax_id,payee_type,currency,gross,withheld,paid,payouts\n{$id},Before,,,VND,2500000,0,2500000,1\n", $csv );
		$this->assertSame( array( true, '8012345678' ), array( $patched['withholding_exempt'], $patched['tax_id'] ) );
		$this->assertSame( Reftrail_Schema::VERSION, (int) get_option( Reftrail_Schema::OPTION ) );
		Reftrail_Schema::upgrade();
		$this->assertSame( '', $wpdb->last_error );
	}

	public function test_upgrade_from_14_adds_the_affiliates_address() {
		global $wpdb;
		$a  = Reftrail_Db::table( 'affiliates' );
		$id = 'upgrade_' . strtolower( wp_generate_password( 8, false ) );
		$wpdb->query( "ALTER TABLE {$a} DROP COLUMN address" ); // phpcs:ignore
		// An affiliate of version 14, and a program stored before it had a payer.
		$wpdb->insert(
			$a,
			array(
				'id'           => $id,
				'name'         => 'Before',
				'payout_email' => 'before@example.test',
				'tax_id'       => '1101801234563',
				'category'     => 'other',
				'status'       => 'approved',
				'created_at'   => 1780000000,
				'updated_at'   => 1780000000,
			)
		);
		$program = get_option( Reftrail_Program::OPTION );
		$stored  = Reftrail_Program::defaults();
		unset( $stored['payer'] );
		update_option( Reftrail_Program::OPTION, $stored );
		update_option( Reftrail_Schema::OPTION, 14 );
		try {
			Reftrail_Schema::maybe_upgrade();
			$column    = $wpdb->get_row( "SHOW COLUMNS FROM {$a} LIKE 'address'", ARRAY_A ); // phpcs:ignore
			$affiliate = Reftrail_Affiliates::get( $id );
			$payer     = Reftrail_Program::get()['payer'];
			$patched   = Reftrail_Affiliates::update( $id, array( 'address' => str_repeat( 'ต', 200 ) ) );
			Reftrail_Affiliates::update_own( $id, array( 'address' => null ) );
			$after     = Reftrail_Affiliates::get( $id );
		} finally {
			$wpdb->delete( $a, array( 'id' => $id ) );
			update_option( Reftrail_Program::OPTION, $program );
		}
		$this->assertSame( array( 'YES', null ), array( $column['Null'] ?? null, $column['Default'] ?? null ) );
		$this->assertSame( array( null, '1101801234563' ), array( $affiliate['address'], $affiliate['tax_id'] ), 'an existing affiliate has no address and keeps the rest' );
		$this->assertNull( $payer, 'nor has the program a payer' );
		$this->assertSame( str_repeat( 'ต', 200 ), $patched['address'], 'the column holds 600 bytes of Thai' );
		$this->assertNull( $after['address'], 'the affiliate removes it' );
		$this->assertSame( Reftrail_Schema::VERSION, (int) get_option( Reftrail_Schema::OPTION ) );
		Reftrail_Schema::upgrade();
		$this->assertSame( '', $wpdb->last_error );
	}

	public function test_upgrade_from_15_adds_the_history_of_the_program_settings() {
		global $wpdb;
		$t = Reftrail_Db::table( 'program_changes' );
		$wpdb->query( "DROP TABLE IF EXISTS {$t}" ); // phpcs:ignore
		$program = get_option( Reftrail_Program::OPTION );
		$was     = Reftrail_Program::get();
		update_option( Reftrail_Schema::OPTION, 15 );
		try {
			Reftrail_Schema::maybe_upgrade();
			$exists = $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $t ) );
			$kept   = Reftrail_Program::get();
			$empty  = Reftrail_Program::changes( 50, 0 );
			$body   = $kept;
			unset( $body['webhook_secret'] );
			Reftrail_Program::put( array_merge( $body, array( 'hold_days' => $kept['hold_days'] + 1 ) ), 'secret_key' );
			$after = Reftrail_Program::changes( 50, 0 );
		} finally {
			update_option( Reftrail_Program::OPTION, $program );
			$wpdb->query( "DELETE FROM {$t}" ); // phpcs:ignore
		}
		$this->assertSame( $t, $exists );
		$this->assertSame( $was, $kept, 'the program keeps its settings' );
		$this->assertSame( array(), $empty, 'no history before the upgrade: nothing is made up' );
		$this->assertCount( 1, $after );
		$this->assertSame(
			array(
				array(
					'setting' => 'hold_days',
					'before'  => $kept['hold_days'],
					'after'   => $kept['hold_days'] + 1,
				),
			),
			$after[0]['settings']
		);
		$this->assertSame( Reftrail_Schema::VERSION, (int) get_option( Reftrail_Schema::OPTION ) );
		Reftrail_Schema::upgrade();
		$this->assertSame( '', $wpdb->last_error );
	}

	public function test_upgrade_from_18_adds_the_affiliates_payee_type() {
		global $wpdb;
		$a  = Reftrail_Db::table( 'affiliates' );
		$id = 'upgrade_' . strtolower( wp_generate_password( 8, false ) );
		$wpdb->query( "ALTER TABLE {$a} DROP COLUMN payee_type" ); // phpcs:ignore
		// An affiliate of version 18.
		$wpdb->insert(
			$a,
			array(
				'id'           => $id,
				'name'         => 'Before',
				'payout_email' => 'before@example.test',
				'tax_id'       => '1101801234563',
				'address'      => '12 Sukhumvit Road, Bangkok 10110',
				'category'     => 'other',
				'status'       => 'approved',
				'created_at'   => 1780000000,
				'updated_at'   => 1780000000,
			)
		);
		update_option( Reftrail_Schema::OPTION, 18 );
		try {
			Reftrail_Schema::maybe_upgrade();
			$column    = $wpdb->get_row( "SHOW COLUMNS FROM {$a} LIKE 'payee_type'", ARRAY_A ); // phpcs:ignore
			$affiliate = Reftrail_Affiliates::get( $id );
			$patched   = Reftrail_Affiliates::update( $id, array( 'payee_type' => 'company' ) );
			$version   = (int) get_option( Reftrail_Schema::OPTION );
			Reftrail_Schema::upgrade();
			$error = $wpdb->last_error;
			$kept  = Reftrail_Affiliates::get( $id );
		} finally {
			$wpdb->delete( $a, array( 'id' => $id ) );
		}
		$this->assertSame( array( 'YES', null ), array( $column['Null'] ?? null, $column['Default'] ?? null ) );
		$this->assertSame( array( null, '1101801234563', '12 Sukhumvit Road, Bangkok 10110' ), array( $affiliate['payee_type'], $affiliate['tax_id'], $affiliate['address'] ), 'an existing affiliate has no payee type and keeps the rest' );
		$this->assertSame( 'company', $patched['payee_type'] );
		$this->assertSame( Reftrail_Schema::VERSION, $version, 'brought up to the current schema' );
		$this->assertGreaterThanOrEqual( 19, Reftrail_Schema::VERSION, 'the payee type came with schema 19' );
		$this->assertSame( '', $error, 'upgrading again changes nothing' );
		$this->assertSame( $patched, $kept );
	}

	public function test_roles_capability_and_keys() {
		$this->assertNotNull( get_role( Reftrail_Schema::ROLE ) );
		$this->assertTrue( get_role( 'administrator' )->has_cap( Reftrail_Schema::CAP ) );
		$this->assertFalse( get_role( 'subscriber' )->has_cap( Reftrail_Schema::CAP ) );
		$this->assertMatchesRegularExpression( '/^pk_[A-Za-z0-9]{32}$/', Reftrail_Keys::publishable() );
		$this->assertNotSame( '', Reftrail_Keys::cookie_keys()['current'] );
	}

	public function test_plugin_headers() {
		require_once ABSPATH . 'wp-admin/includes/plugin.php';
		$h = get_plugin_data( REFTRAIL_FILE, false, false );
		$this->assertSame( 'Reftrail', $h['Name'] );
		$this->assertSame( REFTRAIL_VERSION, $h['Version'] );
		$this->assertSame( 'reftrail', $h['TextDomain'] );
		$this->assertSame( '/languages', $h['DomainPath'] );
		$this->assertTrue( is_plugin_active( 'reftrail/reftrail.php' ) );
	}

	public function test_translations_load_for_vietnamese_and_thai() {
		foreach ( array( 'vi', 'th' ) as $locale ) {
			$mo = REFTRAIL_DIR . '/languages/reftrail-' . $locale . '.mo';
			$this->assertFileExists( $mo );
			unload_textdomain( 'reftrail' );
			$this->assertTrue( load_textdomain( 'reftrail', $mo ) );
			$this->assertNotSame( 'Affiliates', __( 'Affiliates', 'reftrail' ), $locale );
		}
		unload_textdomain( 'reftrail' );
		$this->assertFileExists( REFTRAIL_DIR . '/languages/reftrail.pot' );
	}
}
