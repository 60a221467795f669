<?php
/**
 * The plugin's tables, created and upgraded with dbDelta by a schema version, and its role and
 * capability.
 *
 * Times are BIGINT Unix seconds (UTC); money is BIGINT minor units beside a CHAR(3) ISO 4217
 * code; flags are TINYINT 0/1. The ledger is append-only: every balance is a SUM over it. An
 * order's `cost` (cost of goods) is NULL when the shop sent none; a refund's `cost` is the part
 * of it the refund took back.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * Installation, upgrades, roles.
 */
final class Reftrail_Schema {

	/**
	 * The schema this code writes (9: the outbox of emails to affiliates; 10: its recipient, so
	 * it carries the site administrator's emails too; 11: whether an affiliate is emailed about
	 * each new referral, which they turn off or on themselves with `PATCH /v1/me`; 12: bank-transfer
	 * payouts, an affiliate's VietQR or PromptPay details and each payout line's snapshot of them;
	 * 13: when the merchant marked a payout line's transfer as sent; 14: tax withheld from payouts,
	 * an affiliate's exemption and tax id, and each payout line's tax and tax id; 15: an
	 * affiliate's postal address, which withholding tax certificates name; 16: the history of the
	 * program's settings, `GET /v1/program/changes`; 17: creatives, the text links and banners
	 * affiliates post, `/v1/creatives`; 18: the activity log, `GET /v1/activity`; 19: an
	 * affiliate's payee type, person or company, which names the withholding form; 20: bonuses, money
	 * given outside any referral and paid by the next payout, their `bonus_id` in the ledger, and
	 * each payout line's count of them and the fee its transfer cost; 21: applications from the
	 * public form, what each applicant wrote and the addresses that applied in the last hour; 22:
	 * recruiter commissions, an affiliate's recruiter, the shares of recruits' commissions, their
	 * `recruiter_commission_id` in the ledger (whose `entry` grows to name them) and each payout
	 * line's count of them; 23: each referral's campaign, the campaign of what credited it, filled
	 * for the referrals from before from the click their conversion names; 24: short links,
	 * `/go/{code}` to a page of the shop with an affiliate's parameter and a campaign, and the
	 * rewrite rule of the site's own `/go/{code}`; 25: affiliates' postbacks, an affiliate's
	 * postback URL and the requests owed to it; 26: the webhook and postback outboxes by time, for
	 * the merchant's list of deliveries; 27: payout requests, an affiliate's request to be paid
	 * their approved balance in one currency).
	 */
	const VERSION = 27;

	/** The option holding the installed schema version. */
	const OPTION = 'reftrail_db_version';

	/** The capability of shop managers who run the program. */
	const CAP = 'manage_reftrail';

	/** The role of affiliates who sign in to the portal. */
	const ROLE = 'reftrail_affiliate';

	/** Every table, short names. */
	const TABLES = array( 'affiliates', 'coupons', 'clicks', 'orders', 'refunds', 'leads', 'referrals', 'referral_credit', 'ledger', 'payouts', 'payout_lines', 'idempotency', 'sessions', 'outbox', 'mail_outbox', 'program_changes', 'creatives', 'activity', 'bonuses', 'applications', 'application_attempts', 'recruiter_commissions', 'short_links', 'postbacks', 'payout_requests' );

	/**
	 * Activation: tables, role, capability, keys.
	 */
	public static function activate() {
		self::upgrade();
		self::add_roles();
		Reftrail_Keys::ensure();
		self::ensure_options();
		update_option( 'reftrail_flush_rewrite', 1 );
	}

	/**
	 * Creates or upgrades the tables when the stored version is older (cheap: one autoloaded
	 * option read per request).
	 */
	public static function maybe_upgrade() {
		if ( (int) get_option( self::OPTION, 0 ) < self::VERSION ) {
			self::upgrade();
			self::add_roles();
			Reftrail_Keys::ensure();
			self::ensure_options();
			// Rewrite rules the new code adds (`/go/{code}`), rebuilt once this request has
			// registered them all (Reftrail_Short_Links::flush_if_asked()).
			update_option( 'reftrail_flush_rewrite', 1, true );
		}
	}

	/**
	 * Stores the settings with their defaults, autoloaded: a page view then reads them from the
	 * options WordPress loads anyway, with no query of its own (a missing option costs one).
	 */
	public static function ensure_options() {
		if ( false === get_option( Reftrail_Program::OPTION ) ) {
			add_option( Reftrail_Program::OPTION, Reftrail_Program::defaults(), '', 'yes' );
		}
		if ( false === get_option( Reftrail_Settings::OPTION ) ) {
			add_option( Reftrail_Settings::OPTION, Reftrail_Settings::get(), '', 'yes' );
		}
	}

	/**
	 * dbDelta of every table; records the version.
	 */
	public static function upgrade() {
		global $wpdb;
		require_once ABSPATH . 'wp-admin/includes/upgrade.php';
		$c = $wpdb->get_charset_collate();
		$t = fn( $n ) => Reftrail_Db::table( $n );
		$sql = array();
		$sql[] = "CREATE TABLE {$t('affiliates')} (
  id varchar(64) NOT NULL,
  user_id bigint(20) unsigned DEFAULT NULL,
  name varchar(200) NOT NULL,
  email varchar(254) DEFAULT NULL,
  email_hash char(64) DEFAULT NULL,
  payout_email varchar(254) DEFAULT NULL,
  category varchar(20) NOT NULL,
  status varchar(20) NOT NULL,
  commission longtext DEFAULT NULL,
  token_hash char(64) DEFAULT NULL,
  referral_emails tinyint(1) NOT NULL DEFAULT 1,
  payout_method varchar(20) DEFAULT NULL,
  payout_bank varchar(20) DEFAULT NULL,
  payout_account varchar(32) DEFAULT NULL,
  payout_name varchar(100) DEFAULT NULL,
  withholding_exempt tinyint(1) NOT NULL DEFAULT 0,
  tax_id varchar(20) DEFAULT NULL,
  address varchar(600) DEFAULT NULL,
  payee_type varchar(10) DEFAULT NULL,
  recruiter_id varchar(64) DEFAULT NULL,
  postback_url text DEFAULT NULL,
  created_at bigint(20) NOT NULL,
  updated_at bigint(20) NOT NULL,
  PRIMARY KEY  (id),
  KEY user_id (user_id),
  KEY token_hash (token_hash),
  KEY category (category),
  KEY recruiter (recruiter_id,created_at)
) $c;";
		$sql[] = "CREATE TABLE {$t('coupons')} (
  code varchar(64) NOT NULL,
  affiliate_id varchar(64) NOT NULL,
  created_at bigint(20) NOT NULL,
  PRIMARY KEY  (code),
  KEY affiliate_id (affiliate_id)
) $c;";
		$sql[] = "CREATE TABLE {$t('clicks')} (
  id varchar(40) NOT NULL,
  affiliate_id varchar(64) DEFAULT NULL,
  at bigint(20) NOT NULL,
  visitor_key varchar(80) NOT NULL,
  is_unique tinyint(1) NOT NULL,
  is_bot tinyint(1) NOT NULL,
  ip_hash char(32) NOT NULL,
  consent varchar(10) NOT NULL,
  via varchar(12) DEFAULT NULL,
  url text NOT NULL,
  referrer text NOT NULL,
  landing varchar(512) DEFAULT NULL,
  campaign text DEFAULT NULL,
  click_ids text DEFAULT NULL,
  user_agent varchar(512) NOT NULL,
  PRIMARY KEY  (id),
  KEY at (at),
  KEY affiliate_at (affiliate_id,at),
  KEY visitor (visitor_key,affiliate_id,at)
) $c;";
		$sql[] = "CREATE TABLE {$t('orders')} (
  id varchar(40) NOT NULL,
  order_id varchar(128) NOT NULL,
  at bigint(20) NOT NULL,
  amount bigint(20) NOT NULL,
  currency char(3) NOT NULL,
  shipping bigint(20) NOT NULL,
  tax bigint(20) NOT NULL,
  coupon varchar(128) DEFAULT NULL,
  email_hash char(64) DEFAULT NULL,
  customer_id varchar(128) DEFAULT NULL,
  subscription_id varchar(128) DEFAULT NULL,
  items longtext DEFAULT NULL,
  verified tinyint(1) NOT NULL,
  affiliate_id varchar(64) DEFAULT NULL,
  attributed_by varchar(12) DEFAULT NULL,
  click_id varchar(64) DEFAULT NULL,
  source varchar(20) NOT NULL DEFAULT 'api',
  cost bigint(20) DEFAULT NULL,
  PRIMARY KEY  (id),
  UNIQUE KEY order_id (order_id),
  KEY at (at),
  KEY subscription (subscription_id,at),
  KEY email_hash (email_hash,at),
  KEY customer (customer_id,at)
) $c;";
		$sql[] = "CREATE TABLE {$t('refunds')} (
  id varchar(40) NOT NULL,
  refund_key varchar(200) NOT NULL,
  order_ref varchar(40) NOT NULL,
  amount bigint(20) NOT NULL,
  currency char(3) NOT NULL,
  reason varchar(500) DEFAULT NULL,
  at bigint(20) NOT NULL,
  cost bigint(20) NOT NULL DEFAULT 0,
  PRIMARY KEY  (id),
  UNIQUE KEY refund_key (refund_key),
  KEY order_ref (order_ref)
) $c;";
		$sql[] = "CREATE TABLE {$t('leads')} (
  id varchar(40) NOT NULL,
  dedupe_key varchar(300) NOT NULL,
  at bigint(20) NOT NULL,
  event varchar(128) NOT NULL,
  email_hash char(64) DEFAULT NULL,
  customer_id varchar(128) DEFAULT NULL,
  verified tinyint(1) NOT NULL,
  affiliate_id varchar(64) DEFAULT NULL,
  attributed_by varchar(12) DEFAULT NULL,
  click_id varchar(64) DEFAULT NULL,
  PRIMARY KEY  (id),
  UNIQUE KEY dedupe_key (dedupe_key),
  KEY at (at),
  KEY email_hash (email_hash,at),
  KEY customer (customer_id,at)
) $c;";
		$sql[] = "CREATE TABLE {$t('referrals')} (
  id varchar(40) NOT NULL,
  kind varchar(8) NOT NULL,
  source_id varchar(40) NOT NULL,
  affiliate_id varchar(64) NOT NULL,
  at bigint(20) NOT NULL,
  amount bigint(20) NOT NULL,
  currency char(3) NOT NULL,
  commission bigint(20) NOT NULL,
  status varchar(10) NOT NULL,
  verified tinyint(1) NOT NULL,
  attributed_by varchar(12) NOT NULL,
  flags varchar(200) NOT NULL,
  hold_until bigint(20) NOT NULL,
  eligible tinyint(1) NOT NULL DEFAULT 1,
  payout_id varchar(40) DEFAULT NULL,
  decided_at bigint(20) DEFAULT NULL,
  campaign varchar(256) DEFAULT NULL,
  PRIMARY KEY  (id),
  UNIQUE KEY source_id (source_id),
  KEY at (at),
  KEY affiliate_at (affiliate_id,at),
  KEY status (status,hold_until)
) $c;";
		$sql[] = "CREATE TABLE {$t('referral_credit')} (
  referral_id varchar(40) NOT NULL,
  affiliate_id varchar(64) NOT NULL,
  seq int(11) NOT NULL,
  share_bp int(11) NOT NULL,
  at bigint(20) NOT NULL,
  solo tinyint(1) NOT NULL,
  PRIMARY KEY  (referral_id,affiliate_id),
  KEY split (solo,at),
  KEY affiliate_id (affiliate_id)
) $c;";
		$sql[] = "CREATE TABLE {$t('ledger')} (
  id varchar(40) NOT NULL,
  at bigint(20) NOT NULL,
  affiliate_id varchar(64) NOT NULL,
  referral_id varchar(40) DEFAULT NULL,
  bonus_id varchar(40) DEFAULT NULL,
  recruiter_commission_id varchar(40) DEFAULT NULL,
  payout_id varchar(40) DEFAULT NULL,
  bucket varchar(10) NOT NULL,
  entry varchar(20) NOT NULL,
  amount bigint(20) NOT NULL,
  currency char(3) NOT NULL,
  PRIMARY KEY  (id),
  KEY affiliate (affiliate_id,currency,bucket),
  KEY referral_id (referral_id),
  KEY bonus_id (bonus_id),
  KEY recruiter_commission_id (recruiter_commission_id)
) $c;";
		$sql[] = "CREATE TABLE {$t('payouts')} (
  id varchar(40) NOT NULL,
  at bigint(20) NOT NULL,
  note varchar(500) DEFAULT NULL,
  PRIMARY KEY  (id)
) $c;";
		// A line keeps how it was paid as it stood at the payout (later edits of the affiliate do
		// not rewrite it): `method` paypal, vietqr or promptpay; a bank line's paypal_email is ''.
		// `sent_at`: when the merchant marked its transfer as sent (NULL: not yet), their record of
		// the lines paid one by one from a banking app; the ledger holds them as paid already.
		// `amount` is what the affiliate received: `withheld` (the tax kept back under the program's
		// withholding rules) was paid to the tax office in their name, and `amount + withheld` is
		// what the line settled of their balance; `tax_id` is theirs as it stood at the payout.
		// `referrals`, `bonuses` and `recruiter_commissions` count what the line settles; `fee` is
		// what its transfer cost the merchant, in the line's currency, recorded when marked sent
		// (NULL: none recorded).
		$sql[] = "CREATE TABLE {$t('payout_lines')} (
  payout_id varchar(40) NOT NULL,
  affiliate_id varchar(64) NOT NULL,
  currency char(3) NOT NULL,
  amount bigint(20) NOT NULL,
  paypal_email varchar(254) NOT NULL,
  referrals bigint(20) NOT NULL,
  method varchar(20) NOT NULL DEFAULT 'paypal',
  bank varchar(20) DEFAULT NULL,
  account varchar(32) DEFAULT NULL,
  account_name varchar(100) DEFAULT NULL,
  sent_at bigint(20) DEFAULT NULL,
  withheld bigint(20) NOT NULL DEFAULT 0,
  tax_id varchar(20) DEFAULT NULL,
  bonuses bigint(20) NOT NULL DEFAULT 0,
  recruiter_commissions bigint(20) NOT NULL DEFAULT 0,
  fee bigint(20) DEFAULT NULL,
  PRIMARY KEY  (payout_id,affiliate_id,currency),
  KEY sent_at (sent_at)
) $c;";
		$sql[] = "CREATE TABLE {$t('idempotency')} (
  scope varchar(20) NOT NULL,
  idem_key varchar(300) NOT NULL,
  request_hash char(64) NOT NULL,
  body longtext NOT NULL,
  at bigint(20) NOT NULL,
  PRIMARY KEY  (scope,idem_key)
) $c;";
		$sql[] = "CREATE TABLE {$t('sessions')} (
  token_hash char(64) NOT NULL,
  csrf_token varchar(64) NOT NULL,
  user_id bigint(20) unsigned NOT NULL,
  created_at bigint(20) NOT NULL,
  expires_at bigint(20) NOT NULL,
  PRIMARY KEY  (token_hash),
  KEY expires_at (expires_at)
) $c;";
		$sql[] = "CREATE TABLE {$t('outbox')} (
  id varchar(40) NOT NULL,
  event varchar(40) NOT NULL,
  url text NOT NULL,
  payload longtext NOT NULL,
  at bigint(20) NOT NULL,
  attempts int(11) NOT NULL,
  next_at bigint(20) NOT NULL,
  delivered_at bigint(20) DEFAULT NULL,
  failed_at bigint(20) DEFAULT NULL,
  last_error varchar(500) DEFAULT NULL,
  PRIMARY KEY  (id),
  KEY due (delivered_at,failed_at,next_at),
  KEY at_id (at,id)
) $c;";
		// Emails about affiliates (Reftrail_Affiliate_Mail), written with the change they tell of;
		// the words are chosen when the message is sent. `recipient`: `affiliate`, the row's
		// affiliate; `admin`, the site's administration email (affiliate_id is the applicant, or
		// the flagged referral's affiliate); `user`, the WordPress user named in the payload
		// (affiliate_id '').
		$sql[] = "CREATE TABLE {$t('mail_outbox')} (
  id varchar(40) NOT NULL,
  event varchar(40) NOT NULL,
  recipient varchar(20) NOT NULL DEFAULT 'affiliate',
  affiliate_id varchar(64) NOT NULL,
  payload longtext NOT NULL,
  at bigint(20) NOT NULL,
  attempts int(11) NOT NULL,
  next_at bigint(20) NOT NULL,
  sent_at bigint(20) DEFAULT NULL,
  failed_at bigint(20) DEFAULT NULL,
  last_error varchar(500) DEFAULT NULL,
  PRIMARY KEY  (id),
  KEY due (sent_at,failed_at,next_at)
) $c;";
		// One row per `PUT /v1/program` that changed something (Reftrail_Program::put): `settings`
		// is the JSON list of `{"setting", "before", "after"}`; `seq` orders the changes of one
		// second as they were made.
		$sql[] = "CREATE TABLE {$t('program_changes')} (
  seq bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  id varchar(40) NOT NULL,
  at bigint(20) NOT NULL,
  changed_by varchar(100) NOT NULL,
  settings longtext NOT NULL,
  PRIMARY KEY  (seq),
  UNIQUE KEY id (id),
  KEY at (at)
) $c;";
		// The text links (`kind` link) and banners (`kind` image, with `image_url`) that affiliates
		// post with their own link (Reftrail_Creatives); `landing_url` NULL is the shop's home page.
		$sql[] = "CREATE TABLE {$t('creatives')} (
  id varchar(40) NOT NULL,
  name varchar(120) NOT NULL,
  kind varchar(10) NOT NULL,
  text varchar(500) NOT NULL,
  image_url text DEFAULT NULL,
  landing_url text DEFAULT NULL,
  status varchar(10) NOT NULL,
  created_at bigint(20) NOT NULL,
  updated_at bigint(20) NOT NULL,
  PRIMARY KEY  (id),
  KEY newest (created_at,id)
) $c;";
		// Who did what to affiliates, referrals, refunds, creatives, payouts, bonuses and keys
		// (Reftrail_Activity), one row per change, written with it: `details` is a JSON object;
		// `seq` orders the entries of one second as they were recorded; `affiliate_id` NULL when
		// no one affiliate is concerned.
		$sql[] = "CREATE TABLE {$t('activity')} (
  seq bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  id varchar(40) NOT NULL,
  at bigint(20) NOT NULL,
  by_whom varchar(100) NOT NULL,
  action varchar(40) NOT NULL,
  subject varchar(64) NOT NULL,
  affiliate_id varchar(64) DEFAULT NULL,
  details longtext NOT NULL,
  PRIMARY KEY  (seq),
  UNIQUE KEY id (id),
  KEY newest (at,seq),
  KEY affiliate (affiliate_id,at,seq)
) $c;";
		// Money the merchant gives an affiliate outside any referral (Reftrail_Bonuses): payable at
		// once, its ledger rows carry its id in `bonus_id`; `status` approved, paid (`payout_id` the
		// payout that paid it) or cancelled; `by_whom` as the activity log names who gave it.
		$sql[] = "CREATE TABLE {$t('bonuses')} (
  id varchar(40) NOT NULL,
  affiliate_id varchar(64) NOT NULL,
  amount bigint(20) NOT NULL,
  currency char(3) NOT NULL,
  reason varchar(200) NOT NULL,
  status varchar(10) NOT NULL,
  payout_id varchar(40) DEFAULT NULL,
  by_whom varchar(100) NOT NULL,
  created_at bigint(20) NOT NULL,
  cancelled_at bigint(20) DEFAULT NULL,
  PRIMARY KEY  (id),
  KEY affiliate_created (affiliate_id,created_at),
  KEY created_at (created_at)
) $c;";
		// What an applicant wrote on the public form (Reftrail_Applications), one row per affiliate
		// created by an application: `terms_url` is the program's terms as they were when accepted
		// (NULL: the program had none).
		$sql[] = "CREATE TABLE {$t('applications')} (
  affiliate_id varchar(64) NOT NULL,
  website varchar(500) DEFAULT NULL,
  message text DEFAULT NULL,
  terms_url varchar(500) DEFAULT NULL,
  applied_at bigint(20) NOT NULL,
  PRIMARY KEY  (affiliate_id)
) $c;";
		// The applications answered 202 in the last hour, by the hash of the client's address, for
		// `fraud.applications_per_ip_per_hour`; older rows are deleted as new ones come.
		$sql[] = "CREATE TABLE {$t('application_attempts')} (
  id varchar(40) NOT NULL,
  at bigint(20) NOT NULL,
  ip_hash char(64) NOT NULL,
  PRIMARY KEY  (id),
  KEY ip_at (ip_hash,at),
  KEY at (at)
) $c;";
		// The share of a recruit's commission their recruiter earns on top (Reftrail_Recruiters), one
		// per referral: `affiliate_id` is the recruiter, `recruit_id` the referral's affiliate,
		// `rate_bps` the program's rate when it was made; `reversed` what the recruit's refunds took
		// back; `status` follows the referral (pending, approved, paid with `payout_id`, rejected,
		// reversed). Its money moves in the ledger under `recruiter_commission_id`.
		$sql[] = "CREATE TABLE {$t('recruiter_commissions')} (
  id varchar(40) NOT NULL,
  referral_id varchar(40) NOT NULL,
  affiliate_id varchar(64) NOT NULL,
  recruit_id varchar(64) NOT NULL,
  rate_bps int(11) NOT NULL,
  amount bigint(20) NOT NULL,
  reversed bigint(20) NOT NULL DEFAULT 0,
  currency char(3) NOT NULL,
  status varchar(10) NOT NULL,
  payout_id varchar(40) DEFAULT NULL,
  created_at bigint(20) NOT NULL,
  PRIMARY KEY  (id),
  UNIQUE KEY referral_id (referral_id),
  KEY affiliate_created (affiliate_id,created_at),
  KEY recruit_created (recruit_id,created_at),
  KEY created_at (created_at)
) $c;";
		// Short links (Reftrail_Short_Links), `/go/{code}`: `code` and `campaign` are compared
		// byte for byte (the tables' collation would take `Spring` for `spring`); `opens` counts
		// the redirects, bots left out (the clicks are the tracker's).
		$bin   = $wpdb->charset ? "CHARACTER SET {$wpdb->charset} COLLATE {$wpdb->charset}_bin " : '';
		$sql[] = "CREATE TABLE {$t('short_links')} (
  code varchar(40) {$bin}NOT NULL,
  affiliate_id varchar(64) NOT NULL,
  landing_url text NOT NULL,
  campaign varchar(256) {$bin}DEFAULT NULL,
  opens bigint(20) NOT NULL DEFAULT 0,
  created_at bigint(20) NOT NULL,
  PRIMARY KEY  (code),
  KEY affiliate_created (affiliate_id,created_at)
) $c;";
		// Affiliates' postbacks (Reftrail_Postbacks): one row per request owed to an affiliate's
		// tracker, written with the referral event it reports (`event` created, approved or
		// reversed), `url` filled in then, and sent like the webhooks' outbox.
		$sql[] = "CREATE TABLE {$t('postbacks')} (
  id varchar(40) NOT NULL,
  affiliate_id varchar(64) NOT NULL,
  referral_id varchar(40) NOT NULL,
  event varchar(20) NOT NULL,
  url text NOT NULL,
  at bigint(20) NOT NULL,
  attempts int(11) NOT NULL,
  next_at bigint(20) NOT NULL,
  delivered_at bigint(20) DEFAULT NULL,
  failed_at bigint(20) DEFAULT NULL,
  last_error varchar(500) DEFAULT NULL,
  PRIMARY KEY  (id),
  KEY due (delivered_at,failed_at,next_at),
  KEY affiliate_at (affiliate_id,at),
  KEY at_id (at,id)
) $c;";
		// Payout requests (Reftrail_Payout_Requests): an affiliate's request to be paid their
		// approved balance in `currency` (`amount`, as it was when asked), `status` open until a
		// payout pays it (`payout_id`), the merchant declines it (`reason`, or NULL) or the
		// affiliate takes it back (cancelled), at `closed_at`. At most one is open per affiliate and
		// currency: MariaDB has no partial unique index, so requests are made under the payouts'
		// lock, which checks it.
		$sql[] = "CREATE TABLE {$t('payout_requests')} (
  id varchar(40) NOT NULL,
  affiliate_id varchar(64) NOT NULL,
  currency char(3) NOT NULL,
  amount bigint(20) NOT NULL,
  status varchar(10) NOT NULL,
  at bigint(20) NOT NULL,
  closed_at bigint(20) DEFAULT NULL,
  payout_id varchar(40) DEFAULT NULL,
  reason varchar(500) DEFAULT NULL,
  PRIMARY KEY  (id),
  KEY affiliate_currency (affiliate_id,currency,status),
  KEY affiliate_at (affiliate_id,at),
  KEY status_at (status,at)
) $c;";
		$before = (int) get_option( self::OPTION, 0 );
		dbDelta( $sql );
		if ( $before > 0 && $before < 7 ) {
			// Referrals from before multi-touch credit: their affiliate gets all of it.
			$wpdb->query( "INSERT IGNORE INTO {$t('referral_credit')} (referral_id, affiliate_id, seq, share_bp, at, solo) SELECT id, affiliate_id, 0, 10000, at, 1 FROM {$t('referrals')}" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table names only.
		}
		if ( $before > 0 && $before < 23 ) {
			self::backfill_campaigns();
		}
		update_option( self::OPTION, self::VERSION, true );
	}

	/**
	 * Gives the referrals from before schema 23 the campaign of the click their order or lead
	 * names (`click_id`, set when a click credited it); the others keep none. Read in pages of
	 * 500 by id, so a large ledger is not held in memory; running it again changes nothing.
	 */
	private static function backfill_campaigns() {
		global $wpdb;
		$r = Reftrail_Db::table( 'referrals' );
		$c = Reftrail_Db::table( 'clicks' );
		foreach ( array( 'orders', 'leads' ) as $source ) {
			$s     = Reftrail_Db::table( $source );
			$after = '';
			do {
				$rows = $wpdb->get_results( $wpdb->prepare( "SELECT r.id, c.campaign FROM {$r} r JOIN {$s} s ON s.id = r.source_id JOIN {$c} c ON c.id = s.click_id WHERE r.campaign IS NULL AND c.campaign IS NOT NULL AND r.id > %s ORDER BY r.id LIMIT %d", $after, 500 ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table names only.
				$named = array();
				foreach ( $rows as $row ) {
					$name = Reftrail_Tracking::campaign_name( $row['campaign'] );
					if ( null !== $name ) {
						$named[ $name ][] = $row['id'];
					}
					$after = $row['id'];
				}
				foreach ( $named as $name => $ids ) {
					$in = implode( ', ', array_fill( 0, count( $ids ), '%s' ) );
					$wpdb->query( $wpdb->prepare( "UPDATE {$r} SET campaign = %s WHERE campaign IS NULL AND id IN ({$in})", array_merge( array( (string) $name ), $ids ) ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.PreparedSQLPlaceholders.UnfinishedPrepare -- table name and placeholders only.
				}
			} while ( 500 === count( $rows ) );
		}
	}

	/**
	 * The affiliate role and the manager capability (administrators and shop managers).
	 */
	public static function add_roles() {
		if ( ! get_role( self::ROLE ) ) {
			add_role( self::ROLE, __( 'Affiliate', 'reftrail' ), array( 'read' => true ) );
		}
		foreach ( array( 'administrator', 'shop_manager' ) as $name ) {
			$role = get_role( $name );
			if ( $role && ! $role->has_cap( self::CAP ) ) {
				$role->add_cap( self::CAP );
			}
		}
	}

	/**
	 * Removes the role, the capability and the scheduled jobs, and (when `$data` is true) every
	 * table and option.
	 *
	 * @param bool $data Whether to delete the data too.
	 */
	public static function uninstall( $data ) {
		global $wpdb;
		foreach ( array( 'administrator', 'shop_manager' ) as $name ) {
			$role = get_role( $name );
			if ( $role ) {
				$role->remove_cap( self::CAP );
			}
		}
		remove_role( self::ROLE );
		Reftrail_Plugin::unschedule();
		if ( ! $data ) {
			return;
		}
		foreach ( self::TABLES as $name ) {
			$table = Reftrail_Db::table( $name );
			$wpdb->query( "DROP TABLE IF EXISTS `{$table}`" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table names are ours.
		}
		foreach ( array( self::OPTION, Reftrail_Program::OPTION, Reftrail_Settings::OPTION, Reftrail_WooCommerce_Coupon_Template::OPTION, Reftrail_Retention::WATERMARK, 'reftrail_flush_rewrite' ) as $o ) {
			delete_option( $o );
		}
		delete_transient( Reftrail_Sessions::FAILURES );
		Reftrail_Keys::delete_all();
	}
}
