<?php
/**
 * The activity log behind `GET /v1/activity`: who created or changed an affiliate (field by field,
 * before and after) or applied to the program (Reftrail_Applications), issued their portal
 * token, approved or rejected a referral, recorded a refund (through the API or WooCommerce),
 * made a payout or marked a line sent, gave or cancelled a bonus, created, changed (field by
 * field) or deleted a creative, created or revoked a key, changed the WooCommerce coupon each
 * new affiliate gets or was given none of it, sent a webhook event or a postback again, asked to
 * be paid (an affiliate) or declined such a request. Each entry is written in the
 * transaction of the change it records, and only when something changed. The program's
 * settings keep their own history (Reftrail_Program::changes()).
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * The activity log.
 */
final class Reftrail_Activity {

	/** The actions, as `GET /v1/activity?action=` names them. */
	const ACTIONS = array(
		'affiliate.created',
		'affiliate.applied',
		'affiliate.updated',
		'affiliate.token_issued',
		'referral.approved',
		'referral.rejected',
		'refund.created',
		'creative.created',
		'creative.updated',
		'creative.deleted',
		'payout.created',
		'payout.sent',
		'bonus.created',
		'bonus.cancelled',
		'key.created',
		'key.revoked',
		// WordPress with WooCommerce only (Reftrail_WooCommerce_Coupon_Template): the coupon each
		// new affiliate gets, changed, or not made for one (why, in the details).
		'woocommerce_coupon_template.updated',
		'woocommerce_coupon.skipped',
		// The server's team; WordPress's dashboard people are its users, so these are never
		// recorded here, but the filter names the same actions on both backends.
		'member.invited',
		'member.updated',
		'member.removed',
		'team.policy_changed',
		// A webhook event or a postback sent again by hand (Reftrail_Deliveries).
		'delivery.retried',
		// An affiliate asked to be paid, the merchant declined it (Reftrail_Payout_Requests).
		'payout.requested',
		'payout.request_declined',
	);

	/**
	 * The fields of an affiliate (as `GET /v1/affiliates/{id}` shows it) whose changes are
	 * recorded, by name; `id`, `created_at` and the token never change or are never shown.
	 */
	const AFFILIATE_FIELDS = array( 'address', 'category', 'commission', 'coupons', 'email', 'name', 'payee_type', 'payout', 'payout_email', 'recruiter', 'status', 'tax_id', 'withholding_exempt' );

	/**
	 * The fields of a creative (as `GET /v1/creatives` shows it) whose changes are recorded, by
	 * name; `id` never changes and the times follow the others.
	 */
	const CREATIVE_FIELDS = array( 'image_url', 'kind', 'landing_url', 'name', 'status', 'text' );

	/**
	 * Who the log names for what WooCommerce reports with no one signed in (Reftrail_WooCommerce),
	 * and for the WooCommerce coupon made for an affiliate the program approved at once
	 * (Reftrail_WooCommerce_Coupon_Template).
	 */
	const BY_WOOCOMMERCE = 'woocommerce';

	/**
	 * Whether `$filter` is an action or a family of them (`referral.`), byte for byte.
	 *
	 * @param mixed $filter Candidate.
	 * @return bool
	 */
	public static function is_filter( $filter ) {
		if ( ! is_string( $filter ) ) {
			return false;
		}
		if ( in_array( $filter, self::ACTIONS, true ) ) {
			return true;
		}
		if ( '.' !== substr( $filter, -1 ) ) {
			return false;
		}
		foreach ( self::ACTIONS as $a ) {
			if ( strlen( $a ) > strlen( $filter ) && 0 === strncmp( $a, $filter, strlen( $filter ) ) ) {
				return true;
			}
		}
		return false;
	}

	/**
	 * How the log names a WordPress user, as the program's history does.
	 *
	 * @param WP_User $user User.
	 * @return string `user:<user_login>`.
	 */
	public static function by_user( WP_User $user ) {
		return 'user:' . $user->user_login;
	}

	/**
	 * How the log names an affiliate changing themself (`PATCH /v1/me`).
	 *
	 * @param string $id Affiliate.
	 * @return string `affiliate:<id>`.
	 */
	public static function by_affiliate( $id ) {
		return 'affiliate:' . $id;
	}

	/**
	 * Records `$action` by `$by` on `$subject` (concerning `$affiliate`), in the caller's
	 * transaction, so that the entry and the change it records are kept or lost together.
	 *
	 * @param string      $by        Who: `secret_key`, `user:<login>`, `affiliate:<id>`,
	 *                               `woocommerce`.
	 * @param string      $action    One of ACTIONS.
	 * @param string      $subject   The id of what it was done to.
	 * @param string|null $affiliate The affiliate concerned, if one is.
	 * @param array       $details   The action's details (a JSON object; empty: `{}`).
	 * @throws Reftrail_Http_Error 503 when the entry cannot be written.
	 */
	public static function record( $by, $action, $subject, $affiliate, array $details ) {
		global $wpdb;
		$json = wp_json_encode( (object) $details );
		$ok   = false !== $json && $wpdb->insert(
			Reftrail_Db::table( 'activity' ),
			array(
				'id'           => Reftrail_Db::new_id( 'ac' ),
				'at'           => Reftrail_Db::now(),
				'by_whom'      => (string) $by,
				'action'       => $action,
				'subject'      => (string) $subject,
				'affiliate_id' => $affiliate,
				'details'      => $json,
			),
			array( '%s', '%d', '%s', '%s', '%s', '%s', '%s' )
		);
		if ( ! $ok ) {
			throw new Reftrail_Http_Error( 503, 'unavailable', 'the database is unavailable; retry later' );
		}
	}

	/**
	 * The recorded fields that differ between two views of an affiliate, by name, each with its
	 * JSON value before and after (objects compared whatever the order of their keys).
	 *
	 * @param array $before The affiliate before, as Reftrail_Affiliates::get() shows it.
	 * @param array $after  The affiliate after.
	 * @return array[] `{"field", "before", "after"}`; empty when nothing recorded changed.
	 */
	public static function affiliate_changes( array $before, array $after ) {
		return self::changes( self::AFFILIATE_FIELDS, $before, $after );
	}

	/**
	 * The `$fields` that differ between two views of something, in the order of `$fields`, each
	 * with its JSON value before and after (null when absent; objects compared whatever the
	 * order of their keys).
	 *
	 * @param string[] $fields Field names.
	 * @param array    $before The view before.
	 * @param array    $after  The view after.
	 * @return array[] `{"field", "before", "after"}`; empty when none of them changed.
	 */
	public static function changes( array $fields, array $before, array $after ) {
		$out = array();
		foreach ( $fields as $f ) {
			$b = $before[ $f ] ?? null;
			$a = $after[ $f ] ?? null;
			if ( Reftrail_Program::canonical( $b ) !== Reftrail_Program::canonical( $a ) ) {
				$out[] = array(
					'field'  => $f,
					'before' => $b,
					'after'  => $a,
				);
			}
		}
		return $out;
	}

	/**
	 * Records `affiliate.updated` by `$by` when affiliate `$id`, as it is now in the caller's
	 * transaction, differs from `$before`.
	 *
	 * @param string $by     Who.
	 * @param string $id     Affiliate.
	 * @param array  $before The affiliate before the change (Reftrail_Affiliates::get()).
	 * @param array  $after  The affiliate after it.
	 * @throws Reftrail_Http_Error 503.
	 */
	public static function record_changes( $by, $id, array $before, array $after ) {
		$changes = self::affiliate_changes( $before, $after );
		if ( $changes ) {
			self::record( $by, 'affiliate.updated', $id, $id, array( 'changes' => $changes ) );
		}
	}

	/**
	 * A page of the log, newest first (by time, then the later recorded first):
	 * `{"id", "at", "by", "action", "subject", "affiliate", "details"}`.
	 *
	 * @param string|null $affiliate Only the entries concerning this affiliate (null: all).
	 * @param string|null $action    Only this action, or family ending in `.` (null: all).
	 * @param int         $limit     Limit.
	 * @param int         $offset    Offset.
	 * @return array[]
	 */
	public static function index( $affiliate, $action, $limit, $offset ) {
		global $wpdb;
		$t     = Reftrail_Db::table( 'activity' );
		$where = array( '1 = 1' );
		$args  = array();
		if ( null !== $affiliate ) {
			// Byte for byte, as the server compares ids; the collation's match narrows by the index.
			$where[] = 'affiliate_id = %s AND BINARY affiliate_id = %s';
			array_push( $args, (string) $affiliate, (string) $affiliate );
		}
		if ( null !== $action ) {
			// A family matches by prefix; action names hold no LIKE wildcard.
			$family  = '.' === substr( $action, -1 );
			$where[] = $family ? 'action LIKE %s' : 'action = %s';
			$args[]  = $family ? $wpdb->esc_like( $action ) . '%' : $action;
		}
		$args[] = $limit;
		$args[] = $offset;
		$sql    = "SELECT id, at, by_whom, action, subject, affiliate_id, details FROM {$t} WHERE " . implode( ' AND ', $where ) . ' ORDER BY at DESC, seq DESC LIMIT %d OFFSET %d';
		$rows   = $wpdb->get_results( $wpdb->prepare( $sql, $args ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- the table name and the conditions are ours; every value is bound.
		return array_map(
			function ( $r ) {
				$details = json_decode( $r['details'], true );
				return array(
					'id'        => $r['id'],
					'at'        => Reftrail_Db::rfc3339( (int) $r['at'] ),
					'by'        => $r['by_whom'],
					'action'    => $r['action'],
					'subject'   => $r['subject'],
					'affiliate' => $r['affiliate_id'],
					// Details are a JSON object, `{}` when empty rather than PHP's empty list.
					'details'   => $details ? $details : (object) array(),
				);
			},
			$rows
		);
	}
}
