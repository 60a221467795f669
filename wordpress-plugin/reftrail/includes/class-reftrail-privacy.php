<?php
/**
 * Data-subject requests (GDPR, Thailand's PDPA, Vietnam's Decree 13): what the program holds
 * about one customer, and its erasure. Used by `POST /v1/privacy/export|erase` and by
 * WordPress's own privacy tools (Tools > Export / Erase Personal Data).
 *
 * A customer is found by the hash of their email, their customer id, or both: the orders and
 * leads with that email hash or customer id, the clicks those were credited through, and the
 * affiliate accounts with that email. Erasure unlinks the customer and keeps the shop's
 * accounts: orders, referrals, commissions and payouts stay, without the email hash or customer
 * id; a lead's dedupe key (which holds one of them) becomes `erased:<lead id>` and its stored
 * first answer goes, so the same lead reported again is a new lead; the linked clicks lose their
 * IP hash, user agent and referrer; affiliate accounts are kept and named, for the merchant to
 * edit or suspend.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * Export and erasure of one customer's data.
 */
final class Reftrail_Privacy {

	/** The fields of a request's body. */
	const FIELDS = array( 'email', 'email_hash', 'customer_id' );

	/**
	 * The customer a request's body names: `email_hash` (from `email` or `email_hash`) and
	 * `customer_id`, at least one of them; `user_id` is null (WordPress's tools set it).
	 *
	 * @param array $b Decoded body.
	 * @return array
	 * @throws Reftrail_Http_Error 400 invalid_body, invalid_email, invalid_email_hash,
	 *                             invalid_customer_id or missing_customer.
	 */
	public static function subject( array $b ) {
		Reftrail_Input::known( $b, self::FIELDS );
		Reftrail_Input::types(
			$b,
			array(
				'email'       => 'string',
				'email_hash'  => 'string',
				'customer_id' => 'string',
			)
		);
		$hash     = Reftrail_Tracking::email_of( $b['email'] ?? null, $b['email_hash'] ?? null, true );
		$customer = $b['customer_id'] ?? null;
		if ( null !== $customer && ! Reftrail_Input::text( $customer, Reftrail_Input::MAX_TEXT ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_customer_id', 'customer_id must be 1 to 128 characters without control characters' );
		}
		if ( null === $hash && null === $customer ) {
			throw Reftrail_Http_Error::bad( 'missing_customer', 'send email, email_hash or customer_id: the customer whose data this is' );
		}
		return array(
			'email_hash'  => $hash,
			'customer_id' => $customer,
			'user_id'     => null,
		);
	}

	/**
	 * The customer behind an email address, as WordPress's privacy tools name one: its hash,
	 * and when a user has that email, their user id, which WooCommerce orders and sign-up leads
	 * carry as the customer id (and which links an affiliate account to the user).
	 *
	 * @param string $email Email address.
	 * @return array `email_hash`, `customer_id`, `user_id` (each null when unknown).
	 */
	public static function subject_of_email( $email ) {
		$user = is_email( $email ) ? get_user_by( 'email', $email ) : false;
		return array(
			'email_hash'  => Reftrail_Tracking::email_hash( (string) $email ),
			'customer_id' => $user ? (string) $user->ID : null,
			'user_id'     => $user ? (int) $user->ID : null,
		);
	}

	/**
	 * The SQL condition that finds the customer's orders or leads.
	 *
	 * @param array $s Subject.
	 * @return string
	 */
	private static function matching( array $s ) {
		global $wpdb;
		$or = array();
		if ( null !== $s['email_hash'] ) {
			$or[] = $wpdb->prepare( 'email_hash = %s', $s['email_hash'] );
		}
		if ( null !== $s['customer_id'] ) {
			$or[] = $wpdb->prepare( 'customer_id = %s', $s['customer_id'] );
		}
		return $or ? '(' . implode( ' OR ', $or ) . ')' : '1 = 0';
	}

	/**
	 * The customer's orders, oldest first. Lists here are in time order, then by id compared
	 * byte by byte: ids are base62 with both cases, in the order they were made, and the tables'
	 * collation ignores case.
	 *
	 * @param array $s Subject.
	 * @return array Rows.
	 */
	private static function orders( array $s ) {
		global $wpdb;
		$t = Reftrail_Db::table( 'orders' );
		return $wpdb->get_results( "SELECT id, order_id, at, amount, currency, affiliate_id, attributed_by, verified, click_id FROM {$t} WHERE " . self::matching( $s ) . ' ORDER BY at, BINARY id', ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.PreparedSQL.NotPrepared -- the condition is prepared by matching().
	}

	/**
	 * The customer's leads, oldest first.
	 *
	 * @param array $s Subject.
	 * @return array Rows.
	 */
	private static function leads( array $s ) {
		global $wpdb;
		$t = Reftrail_Db::table( 'leads' );
		return $wpdb->get_results( "SELECT id, dedupe_key, event, at, affiliate_id, attributed_by, verified, click_id FROM {$t} WHERE " . self::matching( $s ) . ' ORDER BY at, BINARY id', ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.PreparedSQL.NotPrepared -- the condition is prepared by matching().
	}

	/**
	 * The distinct click ids that orders and leads were credited through.
	 *
	 * @param array ...$lists Rows with `click_id`.
	 * @return string[]
	 */
	private static function click_ids( array ...$lists ) {
		$ids = array();
		foreach ( $lists as $rows ) {
			foreach ( $rows as $r ) {
				if ( null !== $r['click_id'] && '' !== $r['click_id'] ) {
					$ids[ $r['click_id'] ] = true;
				}
			}
		}
		return array_map( 'strval', array_keys( $ids ) );
	}

	/**
	 * `id IN (...)` of a non-empty list of ids, prepared.
	 *
	 * @param string[] $ids Ids.
	 * @return string
	 */
	private static function in( array $ids ) {
		global $wpdb;
		return $wpdb->prepare( 'id IN (' . implode( ', ', array_fill( 0, count( $ids ), '%s' ) ) . ')', $ids ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared,WordPress.DB.PreparedSQLPlaceholders.UnfinishedPrepare -- one placeholder per id.
	}

	/**
	 * The clicks of these ids, oldest first.
	 *
	 * @param string[] $ids Click ids.
	 * @return array Rows.
	 */
	private static function clicks( array $ids ) {
		global $wpdb;
		if ( ! $ids ) {
			return array();
		}
		$t = Reftrail_Db::table( 'clicks' );
		return $wpdb->get_results( "SELECT id, at, url, referrer, user_agent FROM {$t} WHERE " . self::in( $ids ) . ' ORDER BY at, BINARY id', ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.PreparedSQL.NotPrepared -- prepared by in().
	}

	/**
	 * The affiliate accounts with the customer's email (or linked to their WordPress user), with
	 * where their payouts go (the PayPal email and the bank details), their tax id, payee type and
	 * postal address.
	 *
	 * @param array $s Subject.
	 * @return array Rows.
	 */
	private static function affiliates( array $s ) {
		global $wpdb;
		$or = array();
		if ( null !== $s['email_hash'] ) {
			$or[] = $wpdb->prepare( 'email_hash = %s', $s['email_hash'] );
		}
		if ( ! empty( $s['user_id'] ) ) {
			$or[] = $wpdb->prepare( 'user_id = %d', $s['user_id'] );
		}
		if ( ! $or ) {
			return array();
		}
		$t = Reftrail_Db::table( 'affiliates' );
		return $wpdb->get_results( "SELECT id, name, email, payout_email, payout_method, payout_bank, payout_account, payout_name, tax_id, payee_type, address, created_at FROM {$t} WHERE " . implode( ' OR ', $or ) . ' ORDER BY created_at, BINARY id', ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.PreparedSQL.NotPrepared -- the conditions are prepared above.
	}

	/**
	 * Everything the program holds about the customer: `orders`, `leads`, `clicks`,
	 * `affiliates`, as `POST /v1/privacy/export` answers it.
	 *
	 * @param array $s Subject (subject() or subject_of_email()).
	 * @return array
	 */
	public static function export( array $s ) {
		$orders = self::orders( $s );
		$leads  = self::leads( $s );
		$by     = fn( $v ) => null === $v || '' === $v ? null : $v;
		return array(
			'orders'     => array_map(
				fn( $r ) => array(
					'order_id'      => $r['order_id'],
					'at'            => Reftrail_Db::rfc3339( $r['at'] ),
					'amount'        => (int) $r['amount'],
					'currency'      => $r['currency'],
					'affiliate'     => $by( $r['affiliate_id'] ),
					'attributed_by' => $by( $r['attributed_by'] ),
					'verified'      => 1 === (int) $r['verified'],
				),
				$orders
			),
			'leads'      => array_map(
				fn( $r ) => array(
					'lead_id'       => $r['id'],
					'event'         => $r['event'],
					'at'            => Reftrail_Db::rfc3339( $r['at'] ),
					'affiliate'     => $by( $r['affiliate_id'] ),
					'attributed_by' => $by( $r['attributed_by'] ),
					'verified'      => 1 === (int) $r['verified'],
				),
				$leads
			),
			'clicks'     => array_map(
				fn( $r ) => array(
					'click_id'   => $r['id'],
					'at'         => Reftrail_Db::rfc3339( $r['at'] ),
					'url'        => $r['url'],
					'referrer'   => $r['referrer'],
					'user_agent' => $r['user_agent'],
				),
				self::clicks( self::click_ids( $orders, $leads ) )
			),
			'affiliates' => array_map(
				fn( $r ) => array(
					'id'           => $r['id'],
					'name'         => $r['name'],
					'email'        => $r['email'],
					'payout_email' => $by( $r['payout_email'] ),
					'payout'       => Reftrail_Affiliates::payout_view( $r ),
					'tax_id'       => $r['tax_id'],
					'payee_type'   => $r['payee_type'],
					'address'      => $r['address'],
					'created_at'   => Reftrail_Db::rfc3339( $r['created_at'] ),
				),
				self::affiliates( $s )
			),
		);
	}

	/**
	 * Erases the customer, in one transaction: `orders`, `leads`, `clicks` (how many of each
	 * were changed) and `affiliates_retained` (the ids of the accounts kept), as
	 * `POST /v1/privacy/erase` answers it.
	 *
	 * @param array $s Subject (subject() or subject_of_email()).
	 * @return array
	 */
	public static function erase( array $s ) {
		return Reftrail_Db::transaction(
			function () use ( $s ) {
				global $wpdb;
				$ok     = function ( $result ) {
					if ( false === $result ) {
						throw new Reftrail_Http_Error( 503, 'unavailable', 'the database is unavailable; retry later' );
					}
					return $result;
				};
				$orders = self::orders( $s );
				$leads  = self::leads( $s );
				$clicks = self::click_ids( $orders, $leads );
				if ( $orders ) {
					$t = Reftrail_Db::table( 'orders' );
					$ok( $wpdb->query( "UPDATE {$t} SET email_hash = NULL, customer_id = NULL WHERE " . self::in( array_column( $orders, 'id' ) ) ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.PreparedSQL.NotPrepared -- prepared by in().
				}
				$lt = Reftrail_Db::table( 'leads' );
				$it = Reftrail_Db::table( 'idempotency' );
				foreach ( $leads as $lead ) {
					$ok(
						$wpdb->update(
							$lt,
							array(
								'email_hash'  => null,
								'customer_id' => null,
								'dedupe_key'  => 'erased:' . $lead['id'],
							),
							array( 'id' => $lead['id'] ),
							array( '%s', '%s', '%s' ),
							array( '%s' )
						)
					);
					// The stored first answer under the old key would replay the erased lead.
					$ok(
						$wpdb->delete(
							$it,
							array(
								'scope'    => 'lead',
								'idem_key' => $lead['dedupe_key'],
							),
							array( '%s', '%s' )
						)
					);
				}
				$changed = 0;
				if ( $clicks ) {
					$t       = Reftrail_Db::table( 'clicks' );
					$where   = self::in( $clicks );
					// Counted as changed only when something was still there to remove.
					$where  .= " AND (ip_hash <> '' OR user_agent <> '' OR referrer <> '')";
					$changed = (int) $ok( $wpdb->query( "UPDATE {$t} SET ip_hash = '', user_agent = '', referrer = '' WHERE {$where}" ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- prepared by in().
				}
				return array(
					'orders'              => count( $orders ),
					'leads'               => count( $leads ),
					'clicks'              => $changed,
					'affiliates_retained' => array_column( self::affiliates( $s ), 'id' ),
				);
			}
		);
	}
}
