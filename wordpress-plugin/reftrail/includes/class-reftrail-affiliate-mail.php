<?php
/**
 * Emails to affiliates, as the Rust server sends them: a new referral that earned a commission
 * (`referral.created`), a payout on its way (`payout.created`), their application approved
 * (`affiliate.approved`) and a bonus given them (`bonus.created`), when the program's
 * `affiliate_emails` lists the event; each affiliate
 * may turn the first off for themselves (`PATCH /v1/me`). A recruiter hears of each share of
 * their recruit's new commission (`recruiter_commission.created`, after the recruit's own
 * message) under the same two choices as the first. A change of where their payouts go
 * (`payout_details.changed`) and a payout request the merchant declined, with the reason
 * (`payout_request.declined`), are told whatever the program says. And one the server has no
 * counterpart of: the site's administrator hears of each application waiting for review
 * (`affiliate.applied`, to admin_email, unless the plugin's settings say not to). And, as the
 * server tells its team, of each new referral flagged for review (`referral.flagged`, to
 * admin_email, in the program's language, unless the settings say not to), and of a webhook
 * event or an affiliate's postback given up after its last attempt (`delivery.failed`, likewise;
 * one email per endpoint while it keeps failing, in the transaction of the give-up), and of an
 * affiliate's request to be paid (`payout.requested`, likewise).
 *
 * Applicants (Reftrail_Applications) hear that their application waits for review
 * (`application.received`), or, when their address has an affiliate account already, that they
 * have one (`application.exists`, to that affiliate), whatever `affiliate_emails` says: each
 * answers the applicant's own request, which itself tells nothing. An address whose WordPress
 * user has no affiliate is told to sign in and apply from the account (`application.sign_in`, to
 * that user, a recipient the server has no counterpart of). An application approved at once
 * sends the welcome (`affiliate.approved`) when the program wants it.
 *
 * Affiliates brought in by an import (`POST /v1/affiliates.csv?welcome=true`) hear that their
 * account has moved here and their links work as before (`affiliate.imported`), whatever
 * `affiliate_emails` says: the merchant asked for it at that import.
 *
 * Like webhooks, a message is written to the `mail_outbox` table in the transaction of the change
 * it tells of (so it goes out if and only if the change happened, and a checkout or an API call
 * never waits for a mail server), then WP-Cron sends it with wp_mail(): on the next request,
 * through a single event asked for as the request ends, or in an hourly sweep. Each message is claimed before it is sent, so two cron
 * runs never send it twice; a failure is retried with the webhooks' backoff, up to MAX_ATTEMPTS.
 * The words are chosen when the message is sent, in the program's language (the administrator's
 * for theirs), for the affiliate's name and email and the admin_email of that moment. They hold
 * no order id and nothing about the customer (the administrator's message about a flagged
 * referral names its order id or lead event, as the dashboard shows them).
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * The affiliates' mail outbox and its delivery.
 */
final class Reftrail_Affiliate_Mail {

	/** Attempts before a message is given up. */
	const MAX_ATTEMPTS = 8;

	/** The single WP-Cron event asked for when messages are queued or wait for a retry. */
	const CRON = 'reftrail_send_affiliate_mail';

	/** The hourly WP-Cron event that sends whatever is due (a lost single event delays, no more). */
	const SWEEP = 'reftrail_affiliate_mail_sweep';

	/**
	 * What a payout line or a change of payout details names, per method, for its message to say
	 * where the money goes (a line queued before bank transfers existed has no method: PayPal).
	 */
	const PAID_TO = array(
		'paypal'    => array( 'paypal_email' ),
		'vietqr'    => array( 'account' ),
		'promptpay' => array( 'account' ),
	);

	/** Messages per run. */
	const BATCH = 20;

	/** Seconds a claimed message is left to its sender: wp_mail() through SMTP may wait minutes. */
	const LEASE = 900;

	/**
	 * Hooks.
	 */
	public static function init() {
		add_action( 'reftrail_referral_created', array( __CLASS__, 'referral_created' ) );
		add_action( 'reftrail_referral_created', array( __CLASS__, 'referral_flagged' ) );
		add_action( 'reftrail_recruiter_commission_created', array( __CLASS__, 'recruiter_commission_created' ) );
		add_action( 'reftrail_payout_created', array( __CLASS__, 'payout_created' ) );
		add_action( 'reftrail_bonus_created', array( __CLASS__, 'bonus_created' ) );
		add_action( 'reftrail_affiliate_approved', array( __CLASS__, 'affiliate_approved' ) );
		add_action( 'reftrail_affiliate_applied', array( __CLASS__, 'affiliate_applied' ) );
		add_action( 'reftrail_application_received', array( __CLASS__, 'application_received' ) );
		add_action( 'reftrail_application_exists', array( __CLASS__, 'application_exists' ), 10, 2 );
		add_action( 'reftrail_application_sign_in', array( __CLASS__, 'application_sign_in' ) );
		add_action( 'reftrail_payout_details_changed', array( __CLASS__, 'payout_details_changed' ), 10, 2 );
		add_action( self::CRON, array( __CLASS__, 'send_due' ) );
		add_action( self::SWEEP, array( __CLASS__, 'send_due' ) );
	}

	/**
	 * Whether the program wants affiliates emailed about `$event`.
	 *
	 * @param string $event Event.
	 * @return bool
	 */
	private static function wanted( $event ) {
		return in_array( $event, (array) Reftrail_Program::get()['affiliate_emails'], true );
	}

	/**
	 * Queues the message about a new referral, when it earned something and the affiliate has
	 * not turned these messages off for themselves (`PATCH /v1/me`).
	 *
	 * @param array $view The referral view.
	 */
	public static function referral_created( array $view ) {
		if ( (int) $view['commission'] <= 0 || ! self::wanted( 'referral.created' ) || ! Reftrail_Affiliates::referral_emails( $view['affiliate'] ) ) {
			return;
		}
		self::queue( 'referral.created', $view['affiliate'], $view );
	}

	/**
	 * Queues the message to a recruiter about a share of their recruit's new commission, under
	 * the referral message's choices: the program's `referral.created` and the recruiter's own
	 * (`PATCH /v1/me`).
	 *
	 * @param array $share The share as `GET /v1/recruiter-commissions` lists it.
	 */
	public static function recruiter_commission_created( array $share ) {
		if ( ! self::wanted( 'referral.created' ) || ! Reftrail_Affiliates::referral_emails( $share['affiliate'] ) ) {
			return;
		}
		self::queue( 'recruiter_commission.created', $share['affiliate'], $share );
	}

	/**
	 * Queues one message per affiliate line of a payout.
	 *
	 * @param array $payout The payout view.
	 */
	public static function payout_created( array $payout ) {
		if ( ! $payout['lines'] || ! self::wanted( 'payout.created' ) ) {
			return;
		}
		foreach ( $payout['lines'] as $line ) {
			$notice = array(
				'payout_id' => $payout['id'],
				'note'      => $payout['note'],
				'line'      => $line,
			);
			self::queue( 'payout.created', $line['affiliate'], $notice );
		}
	}

	/**
	 * Queues the message about a bonus given to an affiliate.
	 *
	 * @param array $bonus The bonus view (Reftrail_Bonuses).
	 */
	public static function bonus_created( array $bonus ) {
		if ( ! self::wanted( 'bonus.created' ) ) {
			return;
		}
		self::queue( 'bonus.created', $bonus['affiliate'], $bonus );
	}

	/**
	 * Queues the welcome of an affiliate whose application was approved (Reftrail_Affiliates
	 * fires this only for the status going from `pending` to `approved`, Reftrail_Applications for
	 * an application the program approves at once).
	 *
	 * @param array $affiliate The affiliate view.
	 */
	public static function affiliate_approved( array $affiliate ) {
		if ( ! self::wanted( 'affiliate.approved' ) ) {
			return;
		}
		self::queue( 'affiliate.approved', $affiliate['id'], array( 'affiliate' => $affiliate['id'] ) );
	}

	/**
	 * Queues the welcome of an affiliate brought in by an import, in the import's transaction:
	 * their account is here now and their links work as before.
	 *
	 * @param string $affiliate Affiliate id.
	 * @throws Reftrail_Http_Error 503 when it cannot be queued.
	 */
	public static function affiliate_imported( $affiliate ) {
		self::queue( 'affiliate.imported', $affiliate, array( 'affiliate' => $affiliate ) );
	}

	/**
	 * Queues the message telling an affiliate where their payouts go from now on
	 * (Reftrail_Affiliates fires this only when that changed, whoever changed it). It goes
	 * whatever `affiliate_emails` says: someone who took over a portal session could otherwise
	 * redirect the affiliate's money unnoticed.
	 *
	 * @param string $affiliate Affiliate id.
	 * @param array  $paid_to   Reftrail_Affiliates::paid_to().
	 */
	public static function payout_details_changed( $affiliate, array $paid_to ) {
		self::queue(
			'payout_details.changed',
			$affiliate,
			array(
				'method'       => $paid_to['method'],
				'paypal_email' => $paid_to['paypal_email'],
				'account'      => $paid_to['account'],
			)
		);
	}

	/**
	 * Queues the message telling an affiliate that the merchant declined their payout request, in
	 * the decline's transaction. It goes whatever `affiliate_emails` says: it answers their own
	 * request.
	 *
	 * @param string $affiliate Affiliate id.
	 * @param array  $notice    `currency`, `amount` (the balance asked for), `reason` (or null).
	 * @throws Reftrail_Http_Error 503 when it cannot be queued.
	 */
	public static function payout_request_declined( $affiliate, array $notice ) {
		self::queue(
			'payout_request.declined',
			$affiliate,
			array(
				'currency' => $notice['currency'],
				'amount'   => (int) $notice['amount'],
				'reason'   => $notice['reason'],
			)
		);
	}

	/**
	 * Queues the acknowledgement of an application waiting for review.
	 *
	 * @param array $affiliate The new, pending affiliate.
	 */
	public static function application_received( array $affiliate ) {
		self::queue( 'application.received', $affiliate['id'], array( 'affiliate' => $affiliate['id'] ) );
	}

	/**
	 * Queues the message to an affiliate whose address was given in an application: they have an
	 * account already (`$status`, as it was then, says whether it is still under review).
	 *
	 * @param string $affiliate Affiliate id.
	 * @param string $status    Their status.
	 */
	public static function application_exists( $affiliate, $status ) {
		self::queue( 'application.exists', $affiliate, array( 'status' => (string) $status ) );
	}

	/**
	 * Queues the message to a WordPress user without an affiliate whose address was given in an
	 * application: they sign in and apply from their account.
	 *
	 * @param int $user_id User.
	 */
	public static function application_sign_in( $user_id ) {
		self::queue( 'application.sign_in', '', array( 'user' => (int) $user_id ), 'user' );
	}

	/**
	 * Queues the administrator's message about an application waiting for review.
	 *
	 * @param array $affiliate The new, pending affiliate.
	 */
	public static function affiliate_applied( array $affiliate ) {
		if ( empty( Reftrail_Settings::get()['notify_applications'] ) ) {
			return;
		}
		self::queue( 'affiliate.applied', $affiliate['id'], array( 'affiliate' => $affiliate['id'] ), 'admin' );
	}

	/**
	 * Queues the administrator's message about a new referral, when it is flagged for review (the
	 * server's `referral.flagged`): every path that creates a referral (`POST /v1/sales`,
	 * `POST /v1/leads`, WooCommerce orders) tells of it in its transaction.
	 *
	 * @param array $view The referral view.
	 */
	public static function referral_flagged( array $view ) {
		if ( empty( $view['flags'] ) || empty( Reftrail_Settings::get()['notify_flagged'] ) ) {
			return;
		}
		self::queue( 'referral.flagged', $view['affiliate'], $view, 'admin' );
	}

	/**
	 * Queues the administrator's message about delivery `$id` given up after its last attempt
	 * (the server's `delivery.failed`), in the caller's transaction, unless another request to the
	 * same target was given up in the 24 hours before (a webhook's address; an affiliate's
	 * tracker, whatever its address): an endpoint down for a day makes one email, not one per
	 * request.
	 *
	 * @param string $id     The delivery (a webhook event or a postback).
	 * @param array  $notice `kind` (webhook or postback), `event`, `url`, `affiliate` (null for a
	 *                       webhook), `error`.
	 * @throws Reftrail_Http_Error 503 when the row is not written.
	 */
	public static function delivery_failed( $id, array $notice ) {
		global $wpdb;
		if ( empty( Reftrail_Settings::get()['notify_deliveries'] ) ) {
			return;
		}
		$since = Reftrail_Db::now() - Reftrail_Db::DAY;
		if ( 'postback' === $notice['kind'] ) {
			$t    = Reftrail_Db::table( 'postbacks' );
			$told = $wpdb->get_var( $wpdb->prepare( "SELECT 1 FROM {$t} WHERE affiliate_id = %s AND BINARY affiliate_id = %s AND delivered_at IS NULL AND failed_at >= %d AND BINARY id <> %s LIMIT 1", $notice['affiliate'], $notice['affiliate'], $since, $id ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours.
		} else {
			$t    = Reftrail_Db::table( 'outbox' );
			$told = $wpdb->get_var( $wpdb->prepare( "SELECT 1 FROM {$t} WHERE delivered_at IS NULL AND failed_at >= %d AND BINARY url = %s AND BINARY id <> %s LIMIT 1", $since, $notice['url'], $id ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours.
		}
		if ( null !== $told ) {
			return;
		}
		self::queue( 'delivery.failed', (string) ( $notice['affiliate'] ?? '' ), $notice, 'admin' );
	}

	/**
	 * Queues the administrator's message about an affiliate's request to be paid (the server's
	 * `payout.requested`), in the request's transaction, unless the settings say not to.
	 *
	 * @param array $request The request (Reftrail_Payout_Requests).
	 * @throws Reftrail_Http_Error 503 when the row is not written.
	 */
	public static function payout_requested( array $request ) {
		if ( empty( Reftrail_Settings::get()['notify_payout_requests'] ) ) {
			return;
		}
		$notice = array(
			'affiliate' => $request['affiliate'],
			'currency'  => $request['currency'],
			'amount'    => (int) $request['amount'],
		);
		self::queue( 'payout.requested', $request['affiliate'], $notice, 'admin' );
	}

	/**
	 * Writes one message to the outbox, in the caller's transaction.
	 *
	 * @param string $event     Event.
	 * @param string $affiliate Affiliate id (the applicant, the referral's affiliate or the
	 *                          postback's, in a message to the administrator; '' in one to a
	 *                          user or about a webhook).
	 * @param array  $payload   What the message tells.
	 * @param string $recipient `affiliate` (that affiliate), `admin` (the site's admin_email) or
	 *                          `user` (the WordPress user `user` of the payload).
	 * @throws Reftrail_Http_Error 503 when the row is not written (the change is rolled back
	 *                             rather than made without its message).
	 */
	private static function queue( $event, $affiliate, array $payload, $recipient = 'affiliate' ) {
		global $wpdb;
		$at = Reftrail_Db::now();
		$ok = $wpdb->insert(
			Reftrail_Db::table( 'mail_outbox' ),
			array(
				'id'           => Reftrail_Db::new_id( 'mail' ),
				'event'        => $event,
				'recipient'    => $recipient,
				'affiliate_id' => $affiliate,
				'payload'      => wp_json_encode( $payload ),
				'at'           => $at,
				'attempts'     => 0,
				'next_at'      => $at,
			),
			array( '%s', '%s', '%s', '%s', '%s', '%d', '%d', '%d' )
		);
		if ( false === $ok ) {
			throw new Reftrail_Http_Error( 503, 'unavailable', 'the database is unavailable; retry later' );
		}
		// Asked for when the request ends, after the transaction: scheduling writes WordPress's
		// cron option, whose row would otherwise stay locked until the commit.
		if ( ! has_action( 'shutdown', array( __CLASS__, 'ask_for_a_run' ) ) ) {
			add_action( 'shutdown', array( __CLASS__, 'ask_for_a_run' ) );
		}
	}

	/**
	 * Asks WP-Cron for a run now: the messages go out on the next request (WordPress keeps one
	 * such event per ten minutes; the hourly sweep covers a lost one).
	 */
	public static function ask_for_a_run() {
		wp_schedule_single_event( time(), self::CRON );
	}

	/**
	 * Sends the due messages (at most BATCH), in the order they were queued, each claimed first;
	 * asks for another run while messages wait.
	 *
	 * @return int How many were sent.
	 */
	public static function send_due() {
		global $wpdb;
		$t    = Reftrail_Db::table( 'mail_outbox' );
		$a    = Reftrail_Db::table( 'affiliates' );
		$now  = Reftrail_Db::now();
		$rows = $wpdb->get_results( $wpdb->prepare( "SELECT m.id, m.event, m.recipient, m.affiliate_id, m.payload, m.attempts, m.next_at, a.name, a.email FROM {$t} m LEFT JOIN {$a} a ON a.id = m.affiliate_id WHERE m.sent_at IS NULL AND m.failed_at IS NULL AND m.next_at <= %d ORDER BY m.next_at, BINARY m.id LIMIT %d", $now, self::BATCH ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table names only.
		$sent = 0;
		if ( $rows ) {
			$program = Reftrail_Program::get();
			$portal  = self::portal_url();
			foreach ( $rows as $r ) {
				// Whoever moves next_at first sends it; the lease covers the exchange.
				$claimed = $wpdb->query( $wpdb->prepare( "UPDATE {$t} SET next_at = %d WHERE id = %s AND next_at = %d AND sent_at IS NULL", $now + self::LEASE, $r['id'], $r['next_at'] ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
				if ( 1 !== (int) $claimed ) {
					continue;
				}
				$attempts = (int) $r['attempts'] + 1;
				$admin    = 'admin' === $r['recipient'];
				$user     = 'user' === $r['recipient'] ? get_userdata( (int) ( json_decode( (string) $r['payload'], true )['user'] ?? 0 ) ) : null;
				$to       = (string) ( $admin ? get_option( 'admin_email' ) : ( null === $user ? $r['email'] : ( $user ? $user->user_email : '' ) ) );
				$whose    = $admin ? 'the site\'s administration email' : ( null === $user ? 'the affiliate\'s email' : 'the user\'s email' );
				// Errors that a later attempt would meet again are final.
				if ( '' === $to ) {
					$error = array( $admin ? 'the site has no administration email' : ( null === $user ? 'the affiliate has no email' : 'the user is gone' ), true );
				} elseif ( ! is_email( $to ) ) {
					$error = array( $whose . ' is not an email address', true );
				} else {
					if ( $admin ) {
						$text = self::render_for_admin( $program, $r['event'], $to, $r['affiliate_id'], $r['name'], $r['email'], $r['payload'] );
					} elseif ( $user ) {
						$text = self::render_for_user( $program, $r['event'], $user->display_name );
					} else {
						$text = self::render( $program, $r['event'], $r['payload'], (string) $r['name'], $portal );
					}
					$error = null === $text ? array( 'cannot render ' . $r['event'], true ) : self::deliver( $to, $text );
				}
				if ( null === $error ) {
					$wpdb->update(
						$t,
						array(
							'sent_at'    => Reftrail_Db::now(),
							'attempts'   => $attempts,
							'last_error' => null,
						),
						array( 'id' => $r['id'] )
					);
					++$sent;
					continue;
				}
				list( $message, $final ) = $error;
				$wpdb->update(
					$t,
					array(
						'attempts'   => $attempts,
						'next_at'    => Reftrail_Db::now() + Reftrail_Webhooks::backoff( $attempts ),
						'failed_at'  => $final || $attempts >= self::MAX_ATTEMPTS ? Reftrail_Db::now() : null,
						'last_error' => Reftrail_Input::one_line( $message, 500 ),
					),
					array( 'id' => $r['id'] )
				);
			}
		}
		$next = $wpdb->get_var( "SELECT MIN(next_at) FROM {$t} WHERE sent_at IS NULL AND failed_at IS NULL" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		if ( null !== $next ) {
			wp_schedule_single_event( max( time(), (int) $next ), self::CRON );
		}
		return $sent;
	}

	/**
	 * Sends one message with wp_mail().
	 *
	 * @param string $to   Address.
	 * @param array  $text `subject`, `body`.
	 * @return array|null Null when sent, else `[error, false]` (to be retried).
	 */
	private static function deliver( $to, array $text ) {
		$error = 'wp_mail() did not send the message';
		$catch = function ( $e ) use ( &$error ) {
			if ( is_wp_error( $e ) ) {
				$error = $e->get_error_message();
			}
		};
		add_action( 'wp_mail_failed', $catch );
		try {
			$ok = wp_mail( $to, $text['subject'], $text['body'], array( 'Content-Type: text/plain; charset=UTF-8' ) );
		} catch ( Throwable $e ) {
			$ok    = false;
			$error = $e->getMessage();
		} finally {
			remove_action( 'wp_mail_failed', $catch );
		}
		return $ok ? null : array( $error, false );
	}

	/**
	 * The affiliate portal's address for the messages: the first published page with the portal
	 * block or shortcode, else the portal document of Reftrail_Portal (which works on any site).
	 * Filtered by `reftrail_portal_url`.
	 *
	 * @return string
	 */
	public static function portal_url() {
		global $wpdb;
		$page = $wpdb->get_var(
			$wpdb->prepare(
				"SELECT ID FROM {$wpdb->posts} WHERE post_type = 'page' AND post_status = 'publish' AND (post_content LIKE %s OR post_content LIKE %s) ORDER BY ID LIMIT 1",
				'%' . $wpdb->esc_like( '[reftrail_portal' ) . '%',
				'%' . $wpdb->esc_like( '<!-- wp:reftrail/portal' ) . '%'
			)
		);
		$url = $page ? get_permalink( (int) $page ) : false;
		return (string) apply_filters( 'reftrail_portal_url', $url ? $url : Reftrail_Portal::url() );
	}

	/**
	 * The message of a queued `$event` in the program's language, or null when its payload is not
	 * what the event carries.
	 *
	 * @param array  $program The program.
	 * @param string $event   Event.
	 * @param string $payload JSON of the outbox row.
	 * @param string $name    The affiliate's name.
	 * @param string $portal  The portal's address.
	 * @return array|null `subject`, `body`.
	 */
	public static function render( array $program, $event, $payload, $name, $portal ) {
		$p      = json_decode( (string) $payload, true );
		$locale = (string) $program['locale'];
		if ( 'referral.created' === $event && is_array( $p ) && self::has( $p, array( 'kind', 'amount', 'currency', 'commission', 'status', 'hold_until' ) ) ) {
			return self::in_language( $locale, fn() => self::referral_text( $locale, $program['name'], $name, $p, $portal ) );
		}
		$method = is_array( $p ) && is_array( $p['line'] ?? null ) ? ( $p['line']['method'] ?? 'paypal' ) : null;
		if ( 'payout.created' === $event && is_string( $method ) && isset( self::PAID_TO[ $method ] ) && self::has( $p['line'], array_merge( array( 'amount', 'currency', 'referrals' ), self::PAID_TO[ $method ] ) ) ) {
			return self::in_language( $locale, fn() => self::payout_text( $locale, $program['name'], $name, $p, $portal ) );
		}
		if ( 'payout_details.changed' === $event && is_array( $p ) && is_string( $p['method'] ?? null ) && isset( self::PAID_TO[ $p['method'] ] ) && self::has( $p, self::PAID_TO[ $p['method'] ] ) ) {
			return self::in_language( $locale, fn() => self::details_text( $program['name'], $name, $p, $portal ) );
		}
		if ( 'affiliate.approved' === $event ) {
			return self::in_language( $locale, fn() => self::approved_text( $program['name'], $name, $portal ) );
		}
		if ( 'affiliate.imported' === $event ) {
			return self::in_language( $locale, fn() => self::imported_text( $program['name'], $name, $portal ) );
		}
		if ( 'recruiter_commission.created' === $event && is_array( $p ) && self::has( $p, array( 'recruit', 'amount', 'currency', 'rate_bps', 'status' ) ) ) {
			return self::in_language( $locale, fn() => self::recruiter_commission_text( $locale, $program['name'], $name, $p, $portal ) );
		}
		if ( 'bonus.created' === $event && is_array( $p ) && self::has( $p, array( 'amount', 'currency', 'reason' ) ) && is_string( $p['reason'] ) ) {
			return self::in_language( $locale, fn() => self::bonus_text( $locale, $program['name'], $name, $p, $portal ) );
		}
		if ( 'payout_request.declined' === $event && is_array( $p ) && self::has( $p, array( 'currency', 'amount' ) ) && array_key_exists( 'reason', $p ) && ( null === $p['reason'] || is_string( $p['reason'] ) ) ) {
			return self::in_language( $locale, fn() => self::declined_text( $locale, $program['name'], $name, $p, $portal ) );
		}
		if ( 'application.received' === $event ) {
			return self::in_language( $locale, fn() => self::received_text( $program['name'], $name ) );
		}
		if ( 'application.exists' === $event && is_array( $p ) && is_string( $p['status'] ?? null ) ) {
			return self::in_language( $locale, fn() => self::exists_text( $program['name'], $name, $p['status'], $portal ) );
		}
		return null;
	}

	/**
	 * The message of a queued `$event` to a WordPress user, in the program's language (they asked
	 * through its form), or null when it is not one for them.
	 *
	 * @param array  $program The program.
	 * @param string $event   Event.
	 * @param string $name    The user's display name.
	 * @return array|null `subject`, `body`.
	 */
	public static function render_for_user( array $program, $event, $name ) {
		if ( 'application.sign_in' !== $event ) {
			return null;
		}
		return self::in_language( (string) $program['locale'], fn() => self::sign_in_text( $program['name'], $name, self::sign_in_url() ) );
	}

	/**
	 * Where a WordPress user signs in to apply: the login page, back to the sign-up page
	 * (Reftrail_Shortcodes::sign_up_url(); else the home page). Filtered by `reftrail_sign_in_url`.
	 *
	 * @return string
	 */
	public static function sign_in_url() {
		$back = Reftrail_Shortcodes::sign_up_url();
		return (string) apply_filters( 'reftrail_sign_in_url', wp_login_url( $back ?? home_url( '/' ) ) );
	}

	/**
	 * The message of a queued `$event` to the site's administrator at `$to`, or null when it is
	 * not one for them, the applicant is gone or the payload is not a flagged referral, a
	 * delivery given up or a payout request. An application is told in the administrator's
	 * language (that of the user with this email, else the site's, as WordPress writes to its
	 * administrator); a flagged referral, a delivery given up and a payout request in the
	 * program's, as the server tells its team.
	 *
	 * @param array       $program The program.
	 * @param string      $event   Event.
	 * @param string      $to      The administration email.
	 * @param string      $id      The applicant's affiliate id (the referral's affiliate).
	 * @param string|null $name    Their name (null when the affiliate is gone).
	 * @param string|null $email   Their email.
	 * @param string      $payload JSON of the outbox row.
	 * @return array|null `subject`, `body`.
	 */
	public static function render_for_admin( array $program, $event, $to, $id, $name, $email, $payload = '' ) {
		$site = wp_specialchars_decode( (string) get_option( 'blogname' ), ENT_QUOTES );
		$site = '' === $site ? $program['name'] : $site;
		if ( 'referral.flagged' === $event ) {
			$r = json_decode( (string) $payload, true );
			if ( ! is_array( $r ) || ! self::has( $r, array( 'affiliate', 'amount', 'currency', 'commission', 'flags' ) ) || ! is_array( $r['flags'] ) || ! $r['flags'] ) {
				return null;
			}
			$locale = (string) $program['locale'];
			return self::in_language( $locale, fn() => self::flagged_text( $locale, $site, $r, Reftrail_Admin::flagged_url( (string) $r['affiliate'] ) ) );
		}
		if ( 'delivery.failed' === $event ) {
			$n       = json_decode( (string) $payload, true );
			$webhook = is_array( $n ) && 'webhook' === ( $n['kind'] ?? null );
			$shape   = is_array( $n ) && self::has( $n, array( 'kind', 'event', 'url', 'error' ) ) && ( $webhook || ( 'postback' === $n['kind'] && is_string( $n['affiliate'] ?? null ) ) );
			if ( ! $shape ) {
				return null;
			}
			$locale = (string) $program['locale'];
			return self::in_language( $locale, fn() => self::delivery_failed_text( $site, (string) $program['name'], $n, Reftrail_Admin::deliveries_url() ) );
		}
		if ( 'payout.requested' === $event ) {
			$n = json_decode( (string) $payload, true );
			if ( ! is_array( $n ) || ! self::has( $n, array( 'affiliate', 'currency', 'amount' ) ) || ! is_string( $n['affiliate'] ) ) {
				return null;
			}
			$locale = (string) $program['locale'];
			return self::in_language( $locale, fn() => self::payout_requested_text( $locale, $site, $n, Reftrail_Admin::payouts_url() ) );
		}
		if ( 'affiliate.applied' !== $event || null === $name ) {
			return null;
		}
		$user   = get_user_by( 'email', $to );
		$locale = $user ? get_user_locale( $user ) : get_locale();
		$who    = null === $email || '' === $email ? $name : $name . ' <' . $email . '>';
		return self::in_language( $locale, fn() => self::application_text( $site, $program['name'], $id, $name, $who, Reftrail_Admin::review_url( $id ) ) );
	}

	/**
	 * Whether `$a` has every one of `$keys`, none null.
	 *
	 * @param array    $a    Decoded payload.
	 * @param string[] $keys Keys.
	 * @return bool
	 */
	private static function has( array $a, array $keys ) {
		foreach ( $keys as $k ) {
			if ( ! isset( $a[ $k ] ) ) {
				return false;
			}
		}
		return true;
	}

	/**
	 * Runs `$render` with the plugin's strings in `$locale` (en, vi, th, or a WordPress locale
	 * such as de_DE) whatever the language of the site or of the request: switch_to_locale() only
	 * switches to languages whose WordPress translations are installed, and a shop selling in VND
	 * may run WordPress in English. The plugin's translations of the request's language are
	 * loaded again afterwards.
	 *
	 * @param string   $locale Locale.
	 * @param callable $render Work.
	 * @return mixed What `$render` returns.
	 */
	private static function in_language( $locale, callable $render ) {
		unload_textdomain( 'reftrail' );
		if ( ! in_array( $locale, array( 'en', 'en_US' ), true ) && 1 === preg_match( '/^[A-Za-z0-9_-]{2,32}$/D', $locale ) ) {
			// The language packs' file first, as load_plugin_textdomain() looks for it.
			$file = 'reftrail-' . $locale . '.mo';
			if ( ! load_textdomain( 'reftrail', WP_LANG_DIR . '/plugins/' . $file ) ) {
				load_textdomain( 'reftrail', REFTRAIL_DIR . '/languages/' . $file );
			}
		}
		try {
			return $render();
		} finally {
			unload_textdomain( 'reftrail' );
			Reftrail_Plugin::load_textdomain();
		}
	}

	/**
	 * The last 4 characters of a bank account number or PromptPay ID (the whole of a shorter
	 * one): all a message names of it, as banks write it.
	 *
	 * @param string $account Account, stored without separators (ASCII letters and digits).
	 * @return string
	 */
	private static function last4( $account ) {
		return substr( (string) $account, -4 );
	}

	/**
	 * Minor units as a person reading `$locale` writes them, the server's `Money::localized`:
	 * digits grouped by thousands, then the code; `1.250.000 VND` and `12,50 USD` in vi,
	 * `1,250,000 VND` and `12.50 USD` in en and th.
	 *
	 * @param int    $amount   Minor units.
	 * @param string $currency Code.
	 * @param string $locale   en, vi or th.
	 * @return string
	 */
	public static function money( $amount, $currency, $locale ) {
		list( $group, $point ) = 'vi' === $locale ? array( '.', ',' ) : array( ',', '.' );
		$exp    = Reftrail_Input::exponent( $currency );
		$digits = str_pad( ltrim( (string) (int) $amount, '-' ), $exp + 1, '0', STR_PAD_LEFT );
		$whole  = substr( $digits, 0, strlen( $digits ) - $exp );
		$out    = ( (int) $amount < 0 ? '-' : '' ) . strrev( implode( $group, str_split( strrev( $whole ), 3 ) ) );
		if ( $exp > 0 ) {
			$out .= $point . substr( $digits, -$exp );
		}
		return $out . ' ' . $currency;
	}

	/**
	 * The message about a new referral, in the loaded language.
	 *
	 * @param string $locale  en, vi or th (for the money).
	 * @param string $program The program's name.
	 * @param string $name    The affiliate's name.
	 * @param array  $r       The referral view.
	 * @param string $portal  The portal's address.
	 * @return array `subject`, `body`.
	 */
	private static function referral_text( $locale, $program, $name, array $r, $portal ) {
		$commission = self::money( $r['commission'], $r['currency'], $locale );
		$amount     = self::money( $r['amount'], $r['currency'], $locale );
		if ( 'sale' === $r['kind'] ) {
			/* translators: 1: the order's amount, 2: the program's name, 3: the commission. */
			$what = sprintf( __( 'An order of %1$s you referred to %2$s earned you a commission of %3$s.', 'reftrail' ), $amount, $program, $commission );
		} else {
			/* translators: 1: the lead's event, such as "signup", 2: the program's name, 3: the commission. */
			$what = sprintf( __( 'A lead (%1$s) you referred to %2$s earned you a commission of %3$s.', 'reftrail' ), (string) ( $r['event'] ?? '' ), $program, $commission );
		}
		if ( 'pending' === $r['status'] ) {
			/* translators: %s: the date the hold ends (YYYY-MM-DD). */
			$status = sprintf( __( 'It is pending until %s (the shop\'s refund period), then approved if the order stands.', 'reftrail' ), substr( (string) $r['hold_until'], 0, 10 ) );
		} else {
			$status = __( 'It is approved and will be in your next payout.', 'reftrail' );
		}
		return array(
			/* translators: 1: the program's name, 2: the commission. */
			'subject' => sprintf( __( '%1$s: you earned %2$s', 'reftrail' ), $program, $commission ),
			'body'    => self::body( $program, $name, $what . "\n" . $status . "\n", __( 'Your referrals and earnings', 'reftrail' ), $portal, __( 'You can turn these emails off in your portal.', 'reftrail' ) ),
		);
	}

	/**
	 * The message to a recruiter about a share of their recruit's commission, in the loaded
	 * language: whose commission, the share and its rate, and whether it waits with that
	 * commission or is approved.
	 *
	 * @param string $locale  en, vi or th (for the money and the rate).
	 * @param string $program The program's name.
	 * @param string $name    The recruiter's name.
	 * @param array  $s       The share: `recruit`, `amount`, `currency`, `rate_bps`, `status`.
	 * @param string $portal  The portal's address.
	 * @return array `subject`, `body`.
	 */
	private static function recruiter_commission_text( $locale, $program, $name, array $s, $portal ) {
		$amount = self::money( $s['amount'], $s['currency'], $locale );
		$rate   = Reftrail_Recruiters::percent( $s['rate_bps'], $locale );
		/* translators: 1: the affiliate id of the affiliate the reader recruited, 2: the program's name, 3: the reader's share with its currency, 4: its rate as a percent before the percent sign, such as 12.5; "%%" is the percent sign. */
		$what = sprintf( __( '%1$s, whom you recruited to %2$s, earned a commission. You earn %3$s on top (%4$s %% of it).', 'reftrail' ), (string) $s['recruit'], $program, $amount, $rate );
		if ( 'pending' === $s['status'] ) {
			$status = __( 'It is pending with their commission, and approved when that is.', 'reftrail' );
		} else {
			$status = __( 'It is approved and will be in your next payout.', 'reftrail' );
		}
		return array(
			/* translators: 1: the program's name, 2: the reader's share of their recruit's commission, with its currency. */
			'subject' => sprintf( __( '%1$s: you earned %2$s from your team', 'reftrail' ), $program, $amount ),
			'body'    => self::body( $program, $name, $what . "\n" . $status . "\n", __( 'Your team and earnings', 'reftrail' ), $portal, __( 'You can turn these emails off in your portal.', 'reftrail' ) ),
		);
	}

	/**
	 * The message about a bonus, in the loaded language: how much, why (the merchant's reason, as
	 * given), and that the next payout pays it.
	 *
	 * @param string $locale  en, vi or th (for the money).
	 * @param string $program The program's name.
	 * @param string $name    The affiliate's name.
	 * @param array  $b       The bonus view: `amount`, `currency`, `reason`.
	 * @param string $portal  The portal's address.
	 * @return array `subject`, `body`.
	 */
	private static function bonus_text( $locale, $program, $name, array $b, $portal ) {
		$amount = self::money( $b['amount'], $b['currency'], $locale );
		/* translators: 1: the program's name, 2: the bonus's amount with its currency, 3: the reason the merchant gave for it. */
		$what = sprintf( __( '%1$s gave you a bonus of %2$s: %3$s', 'reftrail' ), $program, $amount, (string) $b['reason'] ) . "\n" . __( 'It will be in your next payout.', 'reftrail' ) . "\n";
		return array(
			/* translators: 1: the program's name, 2: the bonus's amount with its currency. */
			'subject' => sprintf( __( '%1$s: a bonus of %2$s for you', 'reftrail' ), $program, $amount ),
			'body'    => self::body( $program, $name, $what, __( 'Your referrals and earnings', 'reftrail' ), $portal ),
		);
	}

	/**
	 * The message about a payout, in the loaded language: what the affiliate is paid and where,
	 * the tax withheld from it when some was, and the merchant's note.
	 *
	 * @param string $locale  en, vi or th (for the money).
	 * @param string $program The program's name.
	 * @param string $name    The affiliate's name.
	 * @param array  $p       `payout_id`, `note`, `line` (this affiliate's line).
	 * @param string $portal  The portal's address.
	 * @return array `subject`, `body`.
	 */
	private static function payout_text( $locale, $program, $name, array $p, $portal ) {
		$line   = $p['line'];
		$amount = self::money( $line['amount'], $line['currency'], $locale );
		$count   = (int) $line['referrals'];
		$bonuses = (int) ( $line['bonuses'] ?? 0 );
		$shares  = (int) ( $line['recruiter_commissions'] ?? 0 );
		$method  = $line['method'] ?? 'paypal';
		$ending  = 'paypal' === $method ? '' : self::last4( $line['account'] );
		if ( $bonuses > 0 || $shares > 0 ) {
			$what = self::paying_for( $program, $amount, self::settled( $count, $bonuses, $shares ), $method, 'paypal' === $method ? $line['paypal_email'] : $ending );
		} elseif ( 'vietqr' === $method && 1 === $count ) {
			/* translators: 1: the program's name, 2: the amount, 3: the last 4 characters of a bank account number, such as 2418. */
			$what = sprintf( __( '%1$s is paying you %2$s for 1 referral, by bank transfer to your account ending in %3$s.', 'reftrail' ), $program, $amount, $ending );
		} elseif ( 'vietqr' === $method ) {
			/* translators: 1: the program's name, 2: the amount, 3: a number of referrals (2 or more), 4: the last 4 characters of a bank account number, such as 2418. */
			$what = sprintf( __( '%1$s is paying you %2$s for %3$d referrals, by bank transfer to your account ending in %4$s.', 'reftrail' ), $program, $amount, $count, $ending );
		} elseif ( 'promptpay' === $method && 1 === $count ) {
			/* translators: 1: the program's name, 2: the amount, 3: the last 4 characters of a PromptPay ID (a Thai mobile number, national ID or e-wallet ID), such as 5678. */
			$what = sprintf( __( '%1$s is paying you %2$s for 1 referral, by PromptPay to your PromptPay ID ending in %3$s.', 'reftrail' ), $program, $amount, $ending );
		} elseif ( 'promptpay' === $method ) {
			/* translators: 1: the program's name, 2: the amount, 3: a number of referrals (2 or more), 4: the last 4 characters of a PromptPay ID (a Thai mobile number, national ID or e-wallet ID), such as 5678. */
			$what = sprintf( __( '%1$s is paying you %2$s for %3$d referrals, by PromptPay to your PromptPay ID ending in %4$s.', 'reftrail' ), $program, $amount, $count, $ending );
		} elseif ( 1 === $count ) {
			/* translators: 1: the program's name, 2: the amount, 3: a PayPal email address. */
			$what = sprintf( __( '%1$s is paying you %2$s for 1 referral, to your PayPal account %3$s.', 'reftrail' ), $program, $amount, $line['paypal_email'] );
		} else {
			/* translators: 1: the program's name, 2: the amount, 3: a number of referrals (2 or more), 4: a PayPal email address. */
			$what = sprintf( __( '%1$s is paying you %2$s for %3$d referrals, to your PayPal account %4$s.', 'reftrail' ), $program, $amount, $count, $line['paypal_email'] );
		}
		$what .= "\n";
		$withheld = (int) ( $line['withheld'] ?? 0 );
		if ( $withheld > 0 ) {
			$gross = self::money( $line['gross'] ?? (int) $line['amount'] + $withheld, $line['currency'], $locale );
			/* translators: 1: the tax withheld, 2: what the payout line settled before the tax (both amounts with their currency, such as 250,000 VND). */
			$what .= sprintf( __( '%1$s of %2$s was withheld as tax and paid to the tax office in your name.', 'reftrail' ), self::money( $withheld, $line['currency'], $locale ), $gross ) . "\n";
		}
		if ( isset( $p['note'] ) && '' !== $p['note'] ) {
			/* translators: %s: the merchant's note on the payout. */
			$what .= sprintf( __( 'Note: %s', 'reftrail' ), $p['note'] ) . "\n";
		}
		return array(
			/* translators: 1: the program's name, 2: the amount. */
			'subject' => sprintf( __( '%1$s: a payout of %2$s is on its way', 'reftrail' ), $program, $amount ),
			'body'    => self::body( $program, $name, $what, __( 'Your payout history', 'reftrail' ), $portal ),
		);
	}

	/**
	 * What a payout line settles that has bonuses or recruiter commissions, in the loaded language:
	 * the counts that are not zero, "1 bonus", "2 referrals and 1 bonus", "2 referrals, 1 bonus
	 * and 3 commissions from your recruits" (the server's words).
	 *
	 * @param int $referrals Referrals settled.
	 * @param int $bonuses   Bonuses settled.
	 * @param int $shares    Shares of recruits' commissions settled.
	 * @return string
	 */
	private static function settled( $referrals, $bonuses, $shares = 0 ) {
		$parts = array();
		if ( 0 !== $referrals ) {
			$parts[] = 1 === $referrals
				? __( '1 referral', 'reftrail' )
				/* translators: %d: a number of referrals (2 or more). */
				: sprintf( __( '%d referrals', 'reftrail' ), $referrals );
		}
		if ( 0 !== $bonuses ) {
			$parts[] = 1 === $bonuses
				? __( '1 bonus', 'reftrail' )
				/* translators: %d: a number of bonuses (2 or more). */
				: sprintf( __( '%d bonuses', 'reftrail' ), $bonuses );
		}
		if ( 0 !== $shares ) {
			$parts[] = 1 === $shares
				? __( '1 commission from your recruits', 'reftrail' )
				/* translators: %d: a number of shares of the commissions of affiliates the reader recruited (2 or more). */
				: sprintf( __( '%d commissions from your recruits', 'reftrail' ), $shares );
		}
		if ( 3 === count( $parts ) ) {
			/* translators: 1: a number of referrals, such as "2 referrals", 2: a number of bonuses, such as "1 bonus", 3: a number of commissions from the reader's recruits, such as "3 commissions from your recruits". */
			return sprintf( __( '%1$s, %2$s and %3$s', 'reftrail' ), $parts[0], $parts[1], $parts[2] );
		}
		if ( 2 === count( $parts ) ) {
			/* translators: 1 and 2: two things a payout settles, each with its number, such as "2 referrals" and "1 bonus". */
			return sprintf( __( '%1$s and %2$s', 'reftrail' ), $parts[0], $parts[1] );
		}
		return $parts[0] ?? '';
	}

	/**
	 * The sentence of a payout message that says what the affiliate is paid, for what and where, in
	 * the loaded language, for a line that settles bonuses or recruiter commissions.
	 *
	 * @param string $program The program's name.
	 * @param string $amount  The amount with its currency.
	 * @param string $settled What the line settles (settled()).
	 * @param string $method  paypal, vietqr or promptpay.
	 * @param string $to      The PayPal email, or the last 4 characters of the account.
	 * @return string
	 */
	private static function paying_for( $program, $amount, $settled, $method, $to ) {
		if ( 'vietqr' === $method ) {
			/* translators: 1: the program's name, 2: the amount, 3: what the payout settles, such as "2 referrals and 1 bonus", 4: the last 4 characters of a bank account number, such as 2418. */
			return sprintf( __( '%1$s is paying you %2$s for %3$s, by bank transfer to your account ending in %4$s.', 'reftrail' ), $program, $amount, $settled, $to );
		}
		if ( 'promptpay' === $method ) {
			/* translators: 1: the program's name, 2: the amount, 3: what the payout settles, such as "2 referrals and 1 bonus", 4: the last 4 characters of a PromptPay ID (a Thai mobile number, national ID or e-wallet ID), such as 5678. */
			return sprintf( __( '%1$s is paying you %2$s for %3$s, by PromptPay to your PromptPay ID ending in %4$s.', 'reftrail' ), $program, $amount, $settled, $to );
		}
		/* translators: 1: the program's name, 2: the amount, 3: what the payout settles, such as "2 referrals and 1 bonus", 4: a PayPal email address. */
		return sprintf( __( '%1$s is paying you %2$s for %3$s, to your PayPal account %4$s.', 'reftrail' ), $program, $amount, $settled, $to );
	}

	/**
	 * The message telling an affiliate where their payouts go from now on, in the loaded
	 * language: a bank account or PromptPay ID by its last 4 characters only, as in the payout
	 * message.
	 *
	 * @param string $program The program's name.
	 * @param string $name    The affiliate's name.
	 * @param array  $d       `method`, `paypal_email`, `account`.
	 * @param string $portal  The portal's address.
	 * @return array `subject`, `body`.
	 */
	private static function details_text( $program, $name, array $d, $portal ) {
		if ( 'vietqr' === $d['method'] ) {
			/* translators: 1: the program's name, 2: the last 4 characters of a bank account number, such as 2418. */
			$what = sprintf( __( 'From now on, %1$s pays you by bank transfer to your account ending in %2$s.', 'reftrail' ), $program, self::last4( $d['account'] ) );
		} elseif ( 'promptpay' === $d['method'] ) {
			/* translators: 1: the program's name, 2: the last 4 characters of a PromptPay ID (a Thai mobile number, national ID or e-wallet ID), such as 5678. */
			$what = sprintf( __( 'From now on, %1$s pays you by PromptPay to your PromptPay ID ending in %2$s.', 'reftrail' ), $program, self::last4( $d['account'] ) );
		} else {
			/* translators: 1: the program's name, 2: a PayPal email address. */
			$what = sprintf( __( 'From now on, %1$s pays you to your PayPal account %2$s.', 'reftrail' ), $program, $d['paypal_email'] );
		}
		/* translators: %s: the program's name. */
		$what .= "\n\n" . sprintf( __( 'If you did not make this change, reply to this email or tell %s at once.', 'reftrail' ), $program ) . "\n";
		return array(
			/* translators: %s: the program's name. */
			'subject' => sprintf( __( '%s: your payout details were changed', 'reftrail' ), $program ),
			'body'    => self::body( $program, $name, $what, __( 'Your details', 'reftrail' ), $portal ),
		);
	}

	/**
	 * The welcome of an affiliate whose application was approved, in the loaded language.
	 *
	 * @param string $program The program's name.
	 * @param string $name    The affiliate's name.
	 * @param string $portal  The portal's address.
	 * @return array `subject`, `body`.
	 */
	private static function approved_text( $program, $name, $portal ) {
		/* translators: %s: the program's name. */
		$what = sprintf( __( 'Your application to %s is approved: you can share your links and earn commissions now.', 'reftrail' ), $program ) . "\n";
		return array(
			/* translators: %s: the program's name. */
			'subject' => sprintf( __( '%s: you are approved as an affiliate', 'reftrail' ), $program ),
			'body'    => self::body( $program, $name, $what, __( 'Your links and earnings', 'reftrail' ), $portal ),
		);
	}

	/**
	 * The welcome of an affiliate whose account was brought from another tool, in the loaded
	 * language (the server's words and layout).
	 *
	 * @param string $program The program's name.
	 * @param string $name    The affiliate's name.
	 * @param string $portal  The portal's address.
	 * @return array `subject`, `body`.
	 */
	private static function imported_text( $program, $name, $portal ) {
		/* translators: %s: the program's name. */
		$what = sprintf( __( '%s now runs its affiliate program here. Your links work as before and go on crediting you.', 'reftrail' ), $program ) . "\n";
		return array(
			/* translators: %s: the program's name. */
			'subject' => sprintf( __( '%s: your affiliate account has moved here', 'reftrail' ), $program ),
			'body'    => self::body( $program, $name, $what, __( 'Your links and earnings', 'reftrail' ), $portal, __( 'Ask there for a sign-in link: it is sent to this email address.', 'reftrail' ) ),
		);
	}

	/**
	 * The acknowledgement of an application waiting for review, in the loaded language (the
	 * server's words and layout: no link, the applicant has nothing to sign in to yet).
	 *
	 * @param string $program The program's name.
	 * @param string $name    The applicant's name.
	 * @return array `subject`, `body`.
	 */
	private static function received_text( $program, $name ) {
		/* translators: %s: the affiliate's name. */
		$hello = sprintf( __( 'Hello %s,', 'reftrail' ), $name );
		/* translators: %s: the program's name. */
		$what = sprintf( __( "We received your application to join %s's affiliate program. We will email you when it has been reviewed.", 'reftrail' ), $program );
		/* translators: %s: the program's name. */
		$why = sprintf( __( "You receive this email because you applied to %s's affiliate program.", 'reftrail' ), $program );
		return array(
			/* translators: %s: the program's name. */
			'subject' => sprintf( __( '%s: we received your application', 'reftrail' ), $program ),
			'body'    => $hello . "\n\n" . $what . "\n\n" . $why . "\n",
		);
	}

	/**
	 * The message to an affiliate whose address was given in a new application, in the loaded
	 * language (the server's words and layout): they have an account, still under review when
	 * `$status` is pending, and where to sign in.
	 *
	 * @param string $program The program's name.
	 * @param string $name    The affiliate's name.
	 * @param string $status  Their status when the application came.
	 * @param string $portal  The portal's address.
	 * @return array `subject`, `body`.
	 */
	private static function exists_text( $program, $name, $status, $portal ) {
		/* translators: %s: the affiliate's name. */
		$hello = sprintf( __( 'Hello %s,', 'reftrail' ), $name );
		/* translators: %s: the program's name. */
		$what  = sprintf( __( "Someone (perhaps you) asked to join %s's affiliate program with this email address. You already have an account, so no new one was made.", 'reftrail' ), $program );
		$state = 'pending' === $status ? __( 'Your application is still being reviewed.', 'reftrail' ) . "\n\n" : '';
		return array(
			/* translators: %s: the program's name. */
			'subject' => sprintf( __( '%s: you already have an affiliate account', 'reftrail' ), $program ),
			'body'    => $hello . "\n\n" . $what . "\n\n" . $state . __( 'Sign in', 'reftrail' ) . ': ' . $portal . "\n\n" . __( 'If this was not you, you can ignore this email.', 'reftrail' ) . "\n",
		);
	}

	/**
	 * The message to a WordPress user without an affiliate whose address was given in an
	 * application, in the loaded language: sign in and apply from the account, in the layout of
	 * exists_text().
	 *
	 * @param string $program The program's name.
	 * @param string $name    The user's display name.
	 * @param string $sign_in Where they sign in.
	 * @return array `subject`, `body`.
	 */
	private static function sign_in_text( $program, $name, $sign_in ) {
		/* translators: %s: the person's name. */
		$hello = sprintf( __( 'Hello %s,', 'reftrail' ), $name );
		/* translators: %s: the program's name. */
		$what = sprintf( __( "Someone (perhaps you) asked to join %s's affiliate program with this email address. This address already has an account on our site, so no new one was made: sign in and apply from your account.", 'reftrail' ), $program );
		return array(
			/* translators: %s: the program's name. */
			'subject' => sprintf( __( '%s: sign in to apply', 'reftrail' ), $program ),
			'body'    => $hello . "\n\n" . $what . "\n\n" . __( 'Sign in', 'reftrail' ) . ': ' . $sign_in . "\n\n" . __( 'If this was not you, you can ignore this email.', 'reftrail' ) . "\n",
		);
	}

	/**
	 * The administrator's message about an application, in the loaded language.
	 *
	 * @param string $site    The site's name.
	 * @param string $program The program's name.
	 * @param string $id      The affiliate id the applicant chose.
	 * @param string $name    The applicant's name.
	 * @param string $who     Their name and email.
	 * @param string $review  Where the application is reviewed.
	 * @return array `subject`, `body`.
	 */
	private static function application_text( $site, $program, $id, $name, $who, $review ) {
		/* translators: 1: a person's name and email, 2: the program's name, 3: the affiliate id they chose. */
		$what = sprintf( __( '%1$s applied to %2$s as an affiliate (id: %3$s). The application waits for your approval.', 'reftrail' ), $who, $program, $id );
		/* translators: 1: the site's name, 2: where the setting is, such as "Reftrail > Settings". */
		$why = sprintf( __( 'You receive this email as the administrator of %1$s; you can turn these emails off in %2$s.', 'reftrail' ), $site, __( 'Reftrail', 'reftrail' ) . ' > ' . __( 'Settings', 'reftrail' ) );
		return array(
			/* translators: 1: the site's name, 2: the applicant's name. */
			'subject' => sprintf( __( '%1$s: new affiliate application from %2$s', 'reftrail' ), $site, $name ),
			'body'    => $what . "\n\n" . __( 'Review the application', 'reftrail' ) . ': ' . $review . "\n\n" . $why . "\n",
		);
	}

	/**
	 * A fraud flag in words, in the loaded language (the server's words); an unknown one as it is.
	 *
	 * @param string $flag The flag's code.
	 * @return string
	 */
	private static function flag_words( $flag ) {
		switch ( $flag ) {
			case 'self_referral':
				return __( "the customer's email is the affiliate's own", 'reftrail' );
			case 'bot_user_agent':
				return __( "a bot's browser", 'reftrail' );
			case 'click_velocity':
				return __( 'too many clicks from one address', 'reftrail' );
			case 'conversion_rate':
				return __( 'an unusual conversion rate', 'reftrail' );
			case 'paid_ads':
				return __( 'the click came from a paid ad', 'reftrail' );
			default:
				return (string) $flag;
		}
	}

	/**
	 * The administrator's message about a flagged referral, in the loaded language (the server's
	 * words, without its greeting of a team member): whose referral, its order id (a lead's
	 * event), amount and commission, that it is never approved automatically, why it is flagged
	 * and where to review it.
	 *
	 * @param string $locale en, vi or th (for the money).
	 * @param string $site   The site's name.
	 * @param array  $r      The referral view.
	 * @param string $review Where the affiliate's flagged referrals are reviewed.
	 * @return array `subject`, `body`.
	 */
	private static function flagged_text( $locale, $site, array $r, $review ) {
		$what    = isset( $r['order_id'] ) ? (string) $r['order_id'] : (string) ( $r['event'] ?? '' );
		$reasons = implode( '; ', array_map( fn( $f ) => self::flag_words( (string) $f ), $r['flags'] ) );
		/* translators: 1: the affiliate id, 2: the order id (or the lead's event, such as "signup"), 3: the amount, 4: the commission (both with their currency). */
		$said = sprintf( __( 'A referral of %1$s (%2$s, %3$s, commission %4$s) was flagged and waits for your review. It is never approved automatically.', 'reftrail' ), (string) $r['affiliate'], $what, self::money( $r['amount'], $r['currency'], $locale ), self::money( $r['commission'], $r['currency'], $locale ) );
		/* translators: %s: why a referral is flagged, such as "a bot's browser; too many clicks from one address". */
		$why = sprintf( __( 'Why: %s', 'reftrail' ), $reasons );
		/* translators: %s: the address of the page where the referral is reviewed. */
		$act = sprintf( __( 'Approve or reject it at %s', 'reftrail' ), $review );
		/* translators: 1: the site's name, 2: where the setting is, such as "Reftrail > Settings". */
		$you = sprintf( __( 'You receive this email as the administrator of %1$s; you can turn these emails off in %2$s.', 'reftrail' ), $site, __( 'Reftrail', 'reftrail' ) . ' > ' . __( 'Settings', 'reftrail' ) );
		return array(
			/* translators: %s: the affiliate id. */
			'subject' => sprintf( __( 'A referral to review: %s', 'reftrail' ), (string) $r['affiliate'] ),
			'body'    => $said . "\n\n" . $why . "\n\n" . $act . "\n\n" . $you . "\n",
		);
	}

	/**
	 * The administrator's message about a delivery given up, in the loaded language (the server's
	 * `delivery_failed_text`, without its greeting of a team member): what was given up, where it
	 * went and after how many attempts, the last attempt's error, that other requests to the same
	 * address make no email for a day, and where to send them again.
	 *
	 * @param string $site    The site's name.
	 * @param string $program The program's name.
	 * @param array  $n       `kind`, `event`, `url`, `affiliate`, `error`.
	 * @param string $link    The dashboard's list of deliveries given up.
	 * @return array `subject`, `body`.
	 */
	private static function delivery_failed_text( $site, $program, array $n, $link ) {
		if ( 'webhook' === $n['kind'] ) {
			$subject = __( 'Webhook events are failing', 'reftrail' );
			/* translators: 1: the program's name, 2: the webhook event (such as referral.created), 3: the endpoint's address. */
			$said = sprintf( __( '%1$s gave up sending a webhook event (%2$s) to %3$s after 12 attempts over about a day.', 'reftrail' ), $program, (string) $n['event'], (string) $n['url'] );
		} else {
			/* translators: %s: the affiliate id. */
			$subject = sprintf( __( 'Postbacks of %s are failing', 'reftrail' ), (string) $n['affiliate'] );
			/* translators: 1: the program's name, 2: the postback's event (created, approved or reversed), 3: the tracker's address as filled in. */
			$said = sprintf( __( '%1$s gave up sending a postback (%2$s) to %3$s after 12 attempts over about a day.', 'reftrail' ), $program, (string) $n['event'], (string) $n['url'] );
		}
		/* translators: %s: why the last attempt failed, such as "HTTP 500" or a connection error. */
		$last = sprintf( __( 'The last attempt: %s', 'reftrail' ), (string) $n['error'] );
		$then = __( 'Other requests to this address given up in the next 24 hours make no email of their own.', 'reftrail' );
		/* translators: %s: the address of the dashboard's list of deliveries given up. */
		$act = sprintf( __( 'Once the address works, send them again at %s', 'reftrail' ), $link );
		/* translators: 1: the site's name, 2: where the setting is, such as "Reftrail > Settings". */
		$you = sprintf( __( 'You receive this email as the administrator of %1$s; you can turn these emails off in %2$s.', 'reftrail' ), $site, __( 'Reftrail', 'reftrail' ) . ' > ' . __( 'Settings', 'reftrail' ) );
		return array(
			'subject' => $subject,
			'body'    => $said . "\n\n" . $last . "\n\n" . $then . "\n\n" . $act . "\n\n" . $you . "\n",
		);
	}

	/**
	 * The administrator's message about a payout request, in the loaded language (the server's
	 * `payout_requested_text`, without its greeting of a team member): who asks, for how much,
	 * and where to pay or decline it.
	 *
	 * @param string $locale en, vi or th (for the money).
	 * @param string $site   The site's name.
	 * @param array  $n      `affiliate`, `currency`, `amount`.
	 * @param string $link   The dashboard's payouts.
	 * @return array `subject`, `body`.
	 */
	private static function payout_requested_text( $locale, $site, array $n, $link ) {
		$who = (string) $n['affiliate'];
		/* translators: 1: the affiliate id, 2: their approved balance with its currency, such as 125,000 VND. */
		$said = sprintf( __( '%1$s asks to be paid their approved balance of %2$s.', 'reftrail' ), $who, self::money( $n['amount'], (string) $n['currency'], $locale ) );
		/* translators: %s: the address of the dashboard's payouts. */
		$act = sprintf( __( 'Pay or decline it at %s', 'reftrail' ), $link );
		/* translators: 1: the site's name, 2: where the setting is, such as "Reftrail > Settings". */
		$you = sprintf( __( 'You receive this email as the administrator of %1$s; you can turn these emails off in %2$s.', 'reftrail' ), $site, __( 'Reftrail', 'reftrail' ) . ' > ' . __( 'Settings', 'reftrail' ) );
		return array(
			/* translators: %s: the affiliate id. */
			'subject' => sprintf( __( '%s asks to be paid', 'reftrail' ), $who ),
			'body'    => $said . "\n\n" . $act . "\n\n" . $you . "\n",
		);
	}

	/**
	 * The message about a declined payout request, in the loaded language (the server's
	 * `declined_text`, in its layout): how much was asked for, the merchant's reason when they gave
	 * one, and that the balance is still the affiliate's.
	 *
	 * @param string $locale  en, vi or th (for the money).
	 * @param string $program The program's name.
	 * @param string $name    The affiliate's name.
	 * @param array  $d       `currency`, `amount`, `reason` (or null).
	 * @param string $portal  The portal's address.
	 * @return array `subject`, `body`.
	 */
	private static function declined_text( $locale, $program, $name, array $d, $portal ) {
		/* translators: %s: the affiliate's name. */
		$hello = sprintf( __( 'Hello %s,', 'reftrail' ), $name );
		/* translators: 1: the program's name, 2: the balance asked for, with its currency, such as 125,000 VND. */
		$said = sprintf( __( '%1$s declined your request to be paid %2$s.', 'reftrail' ), $program, self::money( $d['amount'], (string) $d['currency'], $locale ) );
		/* translators: %s: why the merchant declined the request, as they wrote it. */
		$why = null === $d['reason'] ? '' : sprintf( __( 'Why: %s', 'reftrail' ), $d['reason'] ) . "\n\n";
		/* translators: %s: the address of the affiliate portal. */
		$then = sprintf( __( 'The balance is still yours: the next payout pays it, or ask again at %s', 'reftrail' ), $portal );
		/* translators: %s: the program's name. */
		$you = sprintf( __( 'You receive this email as an affiliate of %s.', 'reftrail' ), $program );
		return array(
			/* translators: %s: the program's name. */
			'subject' => sprintf( __( '%s: your payout request was declined', 'reftrail' ), $program ),
			'body'    => $hello . "\n\n" . $said . "\n\n" . $why . $then . "\n\n" . $you . "\n",
		);
	}

	/**
	 * The body around what a message tells: the greeting, the link to the portal (and, under it,
	 * how to turn the message off, when the affiliate can, or how to sign in), and why the
	 * affiliate receives it (the server's layout).
	 *
	 * @param string      $program  The program's name.
	 * @param string      $name     The affiliate's name.
	 * @param string      $what     The message's lines.
	 * @param string      $link     The portal link's label.
	 * @param string      $portal   The portal's address.
	 * @param string|null $turn_off The line under the link: how to turn these messages off, or
	 *                              how to sign in.
	 * @return string
	 */
	private static function body( $program, $name, $what, $link, $portal, $turn_off = null ) {
		/* translators: %s: the affiliate's name. */
		$hello = sprintf( __( 'Hello %s,', 'reftrail' ), $name );
		/* translators: %s: the program's name. */
		$why = sprintf( __( 'You receive this email as an affiliate of %s.', 'reftrail' ), $program );
		return $hello . "\n\n" . $what . "\n" . $link . ': ' . $portal . "\n" . ( null === $turn_off ? '' : $turn_off . "\n" ) . "\n" . $why . "\n";
	}
}
