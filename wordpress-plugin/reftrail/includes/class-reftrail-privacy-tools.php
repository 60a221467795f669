<?php
/**
 * WordPress's privacy tools: the personal-data exporter and eraser of Tools > Export Personal
 * Data and Tools > Erase Personal Data (the same export and erasure as `/v1/privacy/*`, for the
 * email address of the request and the WordPress user who has it), and the suggested text of
 * Settings > Privacy.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * Exporter, eraser and privacy-policy text.
 */
final class Reftrail_Privacy_Tools {

	/** The key of the exporter and of the eraser. */
	const KEY = 'reftrail';

	/**
	 * Hooks.
	 */
	public static function init() {
		add_filter( 'wp_privacy_personal_data_exporters', array( __CLASS__, 'register_exporter' ) );
		add_filter( 'wp_privacy_personal_data_erasers', array( __CLASS__, 'register_eraser' ) );
		add_action( 'admin_init', array( __CLASS__, 'add_policy_content' ) );
	}

	/**
	 * Adds the exporter.
	 *
	 * @param array $exporters Exporters.
	 * @return array
	 */
	public static function register_exporter( $exporters ) {
		$exporters[ self::KEY ] = array(
			'exporter_friendly_name' => __( 'Reftrail referrals', 'reftrail' ),
			'callback'               => array( __CLASS__, 'export' ),
		);
		return $exporters;
	}

	/**
	 * Adds the eraser.
	 *
	 * @param array $erasers Erasers.
	 * @return array
	 */
	public static function register_eraser( $erasers ) {
		$erasers[ self::KEY ] = array(
			'eraser_friendly_name' => __( 'Reftrail referrals', 'reftrail' ),
			'callback'             => array( __CLASS__, 'erase' ),
		);
		return $erasers;
	}

	/**
	 * A time for people, in the site's time zone and formats.
	 *
	 * @param string $rfc3339 Time.
	 * @return string
	 */
	private static function when( $rfc3339 ) {
		$t = Reftrail_Db::parse_time( $rfc3339 );
		return null === $t ? (string) $rfc3339 : (string) wp_date( get_option( 'date_format' ) . ' ' . get_option( 'time_format' ), $t );
	}

	/**
	 * How a conversion was credited, for people.
	 *
	 * @param string|null $by `attributed_by`.
	 * @return string
	 */
	private static function credited_by( $by ) {
		$names = array(
			'cookie'   => __( "the affiliate's link", 'reftrail' ),
			'click_id' => __( "the affiliate's link", 'reftrail' ),
			'touch'    => __( "the affiliate's link", 'reftrail' ),
			'coupon'   => __( "the affiliate's coupon", 'reftrail' ),
			'renewal'  => __( 'the first order of the subscription', 'reftrail' ),
			'customer' => __( 'an earlier order or sign-up of the same customer', 'reftrail' ),
		);
		return $names[ $by ] ?? (string) $by;
	}

	/**
	 * One exported item: the name/value pairs whose value is not empty.
	 *
	 * @param string $group       Group id.
	 * @param string $label       Group label.
	 * @param string $description Group description.
	 * @param string $id          Item id.
	 * @param array  $data        Name => value.
	 * @return array
	 */
	private static function item( $group, $label, $description, $id, array $data ) {
		$pairs = array();
		foreach ( $data as $name => $value ) {
			if ( null !== $value && '' !== $value ) {
				$pairs[] = array(
					'name'  => $name,
					'value' => (string) $value,
				);
			}
		}
		return array(
			'group_id'          => $group,
			'group_label'       => $label,
			'group_description' => $description,
			'item_id'           => $id,
			'data'              => $pairs,
		);
	}

	/**
	 * What an affiliate wrote when they applied through the public form (Reftrail_Applications),
	 * which is theirs too: when, their website and how they would promote the shop.
	 *
	 * @param string $affiliate Affiliate id.
	 * @return array Label => value (null: nothing to show).
	 */
	private static function application( $affiliate ) {
		$applied = Reftrail_Affiliates::get( $affiliate )['application'];
		return array(
			__( 'Applied', 'reftrail' )                         => null === $applied ? null : self::when( $applied['applied_at'] ),
			__( 'Website or channel', 'reftrail' )              => $applied['website'] ?? null,
			__( 'How they would promote the shop', 'reftrail' ) => $applied['message'] ?? null,
		);
	}

	/**
	 * The exporter: the orders, leads, clicks and affiliate account of the email address (and of
	 * the WordPress user with that email), all on the first page.
	 *
	 * @param string $email Email address.
	 * @param int    $page  Page, from 1.
	 * @return array|WP_Error `data`, `done`.
	 */
	public static function export( $email, $page = 1 ) {
		if ( (int) $page > 1 ) {
			return array(
				'data' => array(),
				'done' => true,
			);
		}
		try {
			$x = Reftrail_Privacy::export( Reftrail_Privacy::subject_of_email( $email ) );
		} catch ( Reftrail_Http_Error $e ) {
			return $e->to_wp_error();
		}
		$none = __( 'None', 'reftrail' );
		$yes  = __( 'Yes', 'reftrail' );
		$no   = __( 'No', 'reftrail' );
		$data = array();
		foreach ( $x['orders'] as $o ) {
			$data[] = self::item(
				'reftrail-orders',
				__( 'Referral orders', 'reftrail' ),
				__( 'Orders the affiliate program recorded, and the affiliate each one was credited to.', 'reftrail' ),
				'reftrail-order-' . $o['order_id'],
				array(
					__( 'Order', 'reftrail' )            => $o['order_id'],
					__( 'Date', 'reftrail' )             => self::when( $o['at'] ),
					__( 'Amount', 'reftrail' )           => Reftrail_Input::decimal( $o['amount'], $o['currency'] ) . ' ' . $o['currency'],
					__( 'Affiliate', 'reftrail' )        => $o['affiliate'] ?? $none,
					__( 'Credited through', 'reftrail' ) => null === $o['attributed_by'] ? null : self::credited_by( $o['attributed_by'] ),
					__( 'Reported by the shop', 'reftrail' ) => $o['verified'] ? $yes : $no,
				)
			);
		}
		foreach ( $x['leads'] as $l ) {
			$data[] = self::item(
				'reftrail-leads',
				__( 'Referral sign-ups', 'reftrail' ),
				__( 'Sign-ups and other leads the affiliate program recorded, and the affiliate each one was credited to.', 'reftrail' ),
				'reftrail-lead-' . $l['lead_id'],
				array(
					__( 'Event', 'reftrail' )            => $l['event'],
					__( 'Date', 'reftrail' )             => self::when( $l['at'] ),
					__( 'Affiliate', 'reftrail' )        => $l['affiliate'] ?? $none,
					__( 'Credited through', 'reftrail' ) => null === $l['attributed_by'] ? null : self::credited_by( $l['attributed_by'] ),
					__( 'Reported by the shop', 'reftrail' ) => $l['verified'] ? $yes : $no,
				)
			);
		}
		foreach ( $x['clicks'] as $c ) {
			$data[] = self::item(
				'reftrail-clicks',
				__( 'Affiliate link visits', 'reftrail' ),
				__( "Visits through an affiliate's link that these orders and sign-ups were credited through.", 'reftrail' ),
				'reftrail-click-' . $c['click_id'],
				array(
					__( 'Date', 'reftrail' )       => self::when( $c['at'] ),
					__( 'Page', 'reftrail' )       => $c['url'],
					__( 'Referrer', 'reftrail' )   => $c['referrer'],
					__( 'User agent', 'reftrail' ) => $c['user_agent'],
				)
			);
		}
		$methods = array(
			'vietqr'    => __( 'Bank transfer (VietQR)', 'reftrail' ),
			'promptpay' => __( 'PromptPay', 'reftrail' ),
		);
		$payees  = array(
			'person'  => __( 'Person', 'reftrail' ),
			'company' => __( 'Company', 'reftrail' ),
		);
		foreach ( $x['affiliates'] as $a ) {
			// The bank details of an account paid by bank transfer are the person's data too.
			$bank    = $a['payout'] ?? array();
			$method  = $bank['method'] ?? null;
			$account = 'promptpay' === $method ? __( 'PromptPay ID', 'reftrail' ) : __( 'Account number', 'reftrail' );
			$data[]  = self::item(
				'reftrail-affiliate',
				__( 'Affiliate account', 'reftrail' ),
				__( "The person's account in the affiliate program.", 'reftrail' ),
				'reftrail-affiliate-' . $a['id'],
				array(
					__( 'Affiliate id', 'reftrail' )          => $a['id'],
					__( 'Name', 'reftrail' )                  => $a['name'],
					__( 'Email', 'reftrail' )                 => $a['email'],
					__( 'PayPal email', 'reftrail' )          => $a['payout_email'],
					__( 'Payout method', 'reftrail' )         => null === $method ? null : ( $methods[ $method ] ?? $method ),
					__( 'Bank BIN', 'reftrail' )              => $bank['bank'] ?? null,
					$account                                  => $bank['account'] ?? null,
					__( "Account holder's name", 'reftrail' ) => $bank['name'] ?? null,
					__( 'Tax ID', 'reftrail' )                => $a['tax_id'] ?? null,
					__( 'Payee type', 'reftrail' )            => $payees[ $a['payee_type'] ?? '' ] ?? null,
					__( 'Address', 'reftrail' )               => $a['address'] ?? null,
					__( 'Joined', 'reftrail' )                => self::when( $a['created_at'] ),
				) + self::application( $a['id'] )
			);
		}
		return array(
			'data' => $data,
			'done' => true,
		);
	}

	/**
	 * The eraser: unlinks the email address (and the WordPress user with it) from orders, leads
	 * and clicks; affiliate accounts are kept, with a message naming each.
	 *
	 * @param string $email Email address.
	 * @param int    $page  Page, from 1.
	 * @return array|WP_Error `items_removed`, `items_retained`, `messages`, `done`.
	 */
	public static function erase( $email, $page = 1 ) {
		$out = array(
			'items_removed'  => false,
			'items_retained' => false,
			'messages'       => array(),
			'done'           => true,
		);
		if ( (int) $page > 1 ) {
			return $out;
		}
		try {
			$r = Reftrail_Privacy::erase( Reftrail_Privacy::subject_of_email( $email ) );
		} catch ( Reftrail_Http_Error $e ) {
			return $e->to_wp_error();
		}
		$out['items_removed']  = $r['orders'] + $r['leads'] + $r['clicks'] > 0;
		$out['items_retained'] = (bool) $r['affiliates_retained'];
		foreach ( $r['affiliates_retained'] as $id ) {
			/* translators: %s: an affiliate's id. */
			$out['messages'][] = sprintf( __( 'The affiliate account "%s" was kept: it holds commissions and payouts that are part of the shop\'s accounts. Edit or suspend it under Reftrail > Affiliates.', 'reftrail' ), $id );
		}
		return $out;
	}

	/**
	 * The suggested text of the privacy policy (HTML).
	 *
	 * @return string
	 */
	public static function policy_text() {
		$program = Reftrail_Program::get();
		$span    = fn( $days ) => 1 === $days ? __( 'one day', 'reftrail' ) : sprintf( /* translators: %d: a number of days, more than one. */ __( '%d days', 'reftrail' ), $days );
		$window  = $span( (int) ( $program['window_days'] ?? 30 ) );
		$p       = array(
			'<p class="privacy-policy-tutorial">' . esc_html__( 'Reftrail credits affiliates for the visitors, sign-ups and orders they bring. The text below says what it stores; adapt it to your consent banner and your affiliate program.', 'reftrail' ) . '</p>',
			'<p><strong class="privacy-policy-tutorial">' . esc_html__( 'Suggested text:', 'reftrail' ) . ' </strong>' . esc_html(
				sprintf(
					/* translators: %s: the attribution window, such as "30 days". */
					__( 'When you come to this site through a link of one of our affiliates, we record the visit: the page you arrived on, the page that linked to it, your browser\'s user agent and a one-way hash of your IP address. With your consent, or where none is needed, we keep the referral in a first-party cookie and a copy of it in your browser\'s local storage for %s, so that a purchase or sign-up in that time is credited to the affiliate. They hold no name, email or IP address: only the affiliate\'s id, how and when you arrived, the campaign, and random ids of your browser and of the visit.', 'reftrail' ),
					$window
				)
			) . '</p>',
		);
		if ( null !== $program['click_details_days'] ) {
			$p[] = '<p>' . esc_html(
				sprintf(
					/* translators: %s: how long click details are kept, such as "90 days". */
					__( 'The page that linked to ours, the user agent and the hash of your IP address are removed from the record of the visit after %s; the visit itself is still counted.', 'reftrail' ),
					$span( (int) $program['click_details_days'] )
				)
			) . '</p>';
		}
		array_push(
			$p,
			'<p>' . esc_html__( 'When you place an order or sign up, we record it with the affiliate it is credited to, a one-way hash (SHA-256) of your email address and your customer number, so that it is counted once and, where the shop has turned this on, your later orders on other devices are credited to the same affiliate. Your email address itself is not stored with them. Affiliates see the date and amount of the orders credited to them, never your name, email address or IP address.', 'reftrail' ) . '</p>',
			'<p>' . esc_html__( 'If you join our affiliate program, we keep your name, email address and where your payouts go (a PayPal email address, or a bank account or PromptPay ID with its holder\'s name) with the commissions and payouts of your account, for as long as the account exists and our accounting obligations require.', 'reftrail' ) . '</p>',
			'<p>' . esc_html__( 'You may ask us for a copy of this data or for its erasure; the site\'s administrators export and erase it under Tools > Export Personal Data and Tools > Erase Personal Data. Erasure removes the link between you and your orders, sign-ups and visits; the orders and the commissions paid on them stay in the shop\'s accounts without your email address or customer number.', 'reftrail' ) . '</p>'
		);
		return implode( "\n", $p );
	}

	/**
	 * Suggests the text in Settings > Privacy (at `admin_init`, as WordPress asks).
	 */
	public static function add_policy_content() {
		if ( function_exists( 'wp_add_privacy_policy_content' ) ) {
			wp_add_privacy_policy_content( __( 'Reftrail', 'reftrail' ), self::policy_text() );
		}
	}
}
