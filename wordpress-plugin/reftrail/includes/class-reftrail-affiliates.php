<?php
/**
 * Affiliates: the records behind `/v1/affiliates`, their coupon codes, their portal tokens and
 * their WordPress users (role `reftrail_affiliate`).
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * The affiliates store.
 */
final class Reftrail_Affiliates {

	/** Categories. */
	const CATEGORIES = array( 'content', 'coupon', 'cashback', 'influencer', 'search', 'email', 'comparison', 'other' );

	/** Statuses. */
	const STATUSES = array( 'approved', 'pending', 'suspended' );

	/**
	 * Checks the fields shared by create and update; returns the coupon codes, upper-cased and
	 * without duplicates.
	 *
	 * @param array $b Body.
	 * @return string[]
	 * @throws Reftrail_Http_Error 400.
	 */
	private static function check( array $b ) {
		if ( array_key_exists( 'name', $b ) && ! Reftrail_Input::text( $b['name'], 200 ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_name', 'name must be 1 to 200 characters without control characters' );
		}
		foreach ( array(
			'email'        => 'invalid_email',
			'payout_email' => 'invalid_payout_email',
		) as $k => $code ) {
			if ( isset( $b[ $k ] ) && ( null === Reftrail_Tracking::email_hash( $b[ $k ] ) || strlen( $b[ $k ] ) > 254 || strpbrk( $b[ $k ], ',"<>' ) !== false ) ) {
				throw Reftrail_Http_Error::bad( $code, 'not an email address' );
			}
		}
		if ( isset( $b['category'] ) && ! in_array( $b['category'], self::CATEGORIES, true ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_category', 'category must be one of ' . implode( ', ', self::CATEGORIES ) );
		}
		if ( isset( $b['status'] ) && ! in_array( $b['status'], self::STATUSES, true ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_status', 'status must be approved, pending or suspended' );
		}
		if ( isset( $b['commission'] ) ) {
			Reftrail_Rules_Shape::affiliate( $b['commission'] );
			try {
				Reftrail_Commission::validate( array( 'affiliates' => array( 'x' => $b['commission'] ) ) );
			} catch ( Reftrail_Commission_Error $e ) {
				throw Reftrail_Http_Error::bad( 'invalid_commission', 'commission: ' . $e->error_code );
			} catch ( Throwable $e ) {
				throw Reftrail_Http_Error::bad( 'invalid_commission', 'commission is malformed' );
			}
		}
		$codes = array();
		if ( isset( $b['coupons'] ) ) {
			if ( count( $b['coupons'] ) > 50 ) {
				throw Reftrail_Http_Error::bad( 'invalid_coupons', 'at most 50 coupons' );
			}
			foreach ( $b['coupons'] as $c ) {
				if ( ! Reftrail_Input::text( $c, 64 ) || 1 === preg_match( '/\s/u', $c ) ) {
					throw Reftrail_Http_Error::bad( 'invalid_coupons', 'a coupon code is 1 to 64 characters without spaces' );
				}
				$up = mb_strtoupper( $c );
				if ( ! in_array( $up, $codes, true ) ) {
					$codes[] = $up;
				}
			}
		}
		return $codes;
	}

	/**
	 * The JSON types of an affiliate body.
	 *
	 * @param array $b Body.
	 */
	private static function types( array $b ) {
		Reftrail_Input::types(
			$b,
			array(
				'id'           => 'string',
				'name'         => 'string',
				'email'        => 'string',
				'payout_email' => 'string',
				'category'     => 'string',
				'status'       => 'string',
				'commission'   => 'object',
				'coupons'      => 'array',
				'user_id'      => 'int',
			)
		);
	}

	/**
	 * Replaces an affiliate's coupon codes.
	 *
	 * @param string   $id    Affiliate.
	 * @param string[] $codes Codes.
	 * @throws Reftrail_Http_Error 409 coupon_taken.
	 */
	private static function set_coupons( $id, array $codes ) {
		global $wpdb;
		$t = Reftrail_Db::table( 'coupons' );
		$wpdb->query( $wpdb->prepare( "DELETE FROM {$t} WHERE affiliate_id = %s", $id ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		foreach ( $codes as $code ) {
			$owner = $wpdb->get_var( $wpdb->prepare( "SELECT affiliate_id FROM {$t} WHERE code = %s", $code ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			if ( null !== $owner ) {
				throw new Reftrail_Http_Error( 409, 'coupon_taken', sprintf( 'coupon %s belongs to another affiliate', $code ) );
			}
			$wpdb->insert(
				$t,
				array(
					'code'         => $code,
					'affiliate_id' => $id,
					'created_at'   => Reftrail_Db::now(),
				),
				array( '%s', '%s', '%d' )
			);
		}
	}

	/**
	 * A new portal token for the affiliate; the old one stops working.
	 *
	 * @param string $id Affiliate.
	 * @return string
	 */
	public static function new_token( $id ) {
		global $wpdb;
		$token = 'at_' . Reftrail_Db::random_base62( 32 );
		$wpdb->update( Reftrail_Db::table( 'affiliates' ), array( 'token_hash' => hash( 'sha256', $token ) ), array( 'id' => $id ), array( '%s' ), array( '%s' ) );
		return $token;
	}

	/**
	 * Creates an affiliate; returns it and its portal token.
	 *
	 * @param array $b Body.
	 * @return array
	 * @throws Reftrail_Http_Error 400 or 409.
	 */
	public static function create( array $b ) {
		global $wpdb;
		Reftrail_Input::known( $b, array( 'id', 'name', 'email', 'payout_email', 'category', 'status', 'commission', 'coupons', 'user_id' ) );
		self::types( $b );
		if ( ! Reftrail_Cookie::is_id( $b['id'] ?? null ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_affiliate', "id must be 1 to 64 letters, digits, '-', '_' or '.'" );
		}
		if ( ! isset( $b['name'] ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_body', 'missing field `name`' );
		}
		$codes = self::check( $b );
		$id    = $b['id'];
		return Reftrail_Db::transaction(
			function () use ( $wpdb, $b, $codes, $id ) {
				$t = Reftrail_Db::table( 'affiliates' );
				if ( $wpdb->get_var( $wpdb->prepare( "SELECT id FROM {$t} WHERE id = %s", $id ) ) ) { // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
					throw new Reftrail_Http_Error( 409, 'affiliate_exists', 'an affiliate with this id exists' );
				}
				$now = Reftrail_Db::now();
				$wpdb->insert(
					$t,
					array(
						'id'           => $id,
						'user_id'      => $b['user_id'] ?? null,
						'name'         => $b['name'],
						'email'        => $b['email'] ?? null,
						'email_hash'   => isset( $b['email'] ) ? Reftrail_Tracking::email_hash( $b['email'] ) : null,
						'payout_email' => $b['payout_email'] ?? null,
						'category'     => $b['category'] ?? 'other',
						'status'       => $b['status'] ?? 'approved',
						'commission'   => isset( $b['commission'] ) ? wp_json_encode( $b['commission'] ) : null,
						'created_at'   => $now,
						'updated_at'   => $now,
					),
					array( '%s', '%d', '%s', '%s', '%s', '%s', '%s', '%s', '%s', '%d', '%d' )
				);
				self::set_coupons( $id, $codes );
				$token = self::new_token( $id );
				return array(
					'affiliate' => self::get( $id ),
					'token'     => $token,
				);
			}
		);
	}

	/**
	 * Changes the given fields; `commission: null` removes the overrides. An application approved
	 * (status `pending` to `approved`) fires `reftrail_affiliate_approved` with the affiliate in the
	 * same transaction (Reftrail_Affiliate_Mail queues the welcome).
	 *
	 * @param string $id Affiliate.
	 * @param array  $b  Body.
	 * @return array
	 * @throws Reftrail_Http_Error 400, 404 or 409.
	 */
	public static function update( $id, array $b ) {
		global $wpdb;
		Reftrail_Input::known( $b, array( 'name', 'email', 'payout_email', 'category', 'status', 'commission', 'coupons' ) );
		self::types( $b );
		$codes = self::check( $b );
		return Reftrail_Db::transaction(
			function () use ( $wpdb, $b, $codes, $id ) {
				$t = Reftrail_Db::table( 'affiliates' );
				// Locked, so that of two approvals at once only one sees the application pending.
				$was = $wpdb->get_var( $wpdb->prepare( "SELECT status FROM {$t} WHERE id = %s FOR UPDATE", $id ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
				if ( null === $was ) {
					throw new Reftrail_Http_Error( 404, 'affiliate_not_found', 'no affiliate has this id' );
				}
				$set = array();
				foreach ( array( 'name', 'payout_email', 'category', 'status' ) as $k ) {
					if ( isset( $b[ $k ] ) ) {
						$set[ $k ] = $b[ $k ];
					}
				}
				if ( isset( $b['email'] ) ) {
					$set['email']      = $b['email'];
					$set['email_hash'] = Reftrail_Tracking::email_hash( $b['email'] );
				}
				if ( array_key_exists( 'commission', $b ) ) {
					$set['commission'] = null === $b['commission'] ? null : wp_json_encode( $b['commission'] );
				}
				$set['updated_at'] = Reftrail_Db::now();
				$wpdb->update( $t, $set, array( 'id' => $id ) );
				if ( isset( $b['coupons'] ) ) {
					self::set_coupons( $id, $codes );
				}
				$view = self::get( $id );
				if ( 'pending' === $was && 'approved' === $view['status'] ) {
					do_action( 'reftrail_affiliate_approved', $view );
				}
				return $view;
			}
		);
	}

	/**
	 * Whether the affiliate is emailed about each new referral (false for one that does not
	 * exist). Read in the caller's transaction, so a referral queues its email or not as the
	 * affiliate's choice stood when it was made.
	 *
	 * @param string $id Affiliate.
	 * @return bool
	 */
	public static function referral_emails( $id ) {
		global $wpdb;
		$t = Reftrail_Db::table( 'affiliates' );
		return '1' === (string) $wpdb->get_var( $wpdb->prepare( "SELECT referral_emails FROM {$t} WHERE id = %s", $id ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
	}

	/**
	 * Turns the email about each new referral off or on, the affiliate's own choice
	 * (`PATCH /v1/me`); payout and approval emails are not theirs to turn off.
	 *
	 * @param string $id Affiliate.
	 * @param bool   $on On.
	 * @throws Reftrail_Http_Error 404 or 503.
	 */
	public static function set_referral_emails( $id, $on ) {
		global $wpdb;
		$t  = Reftrail_Db::table( 'affiliates' );
		$ok = $wpdb->query( $wpdb->prepare( "UPDATE {$t} SET referral_emails = %d, updated_at = %d WHERE id = %s", $on ? 1 : 0, Reftrail_Db::now(), $id ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		if ( false === $ok ) {
			throw new Reftrail_Http_Error( 503, 'unavailable', 'the database is unavailable; retry later' );
		}
		if ( 0 === (int) $ok && null === $wpdb->get_var( $wpdb->prepare( "SELECT id FROM {$t} WHERE id = %s", $id ) ) ) { // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			throw new Reftrail_Http_Error( 404, 'affiliate_not_found', 'no affiliate has this id' );
		}
	}

	/**
	 * One affiliate as the API shows it.
	 *
	 * @param string $id Affiliate.
	 * @return array
	 * @throws Reftrail_Http_Error 404.
	 */
	public static function get( $id ) {
		global $wpdb;
		$t   = Reftrail_Db::table( 'affiliates' );
		$row = $wpdb->get_row( $wpdb->prepare( "SELECT * FROM {$t} WHERE id = %s", $id ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		if ( ! $row ) {
			throw new Reftrail_Http_Error( 404, 'affiliate_not_found', 'no affiliate has this id' );
		}
		return self::view( $row );
	}

	/**
	 * A row as the API shows it.
	 *
	 * @param array $row Row.
	 * @return array
	 */
	private static function view( array $row ) {
		global $wpdb;
		$c = Reftrail_Db::table( 'coupons' );
		return array(
			'id'           => $row['id'],
			'name'         => $row['name'],
			'email'        => $row['email'],
			'payout_email' => $row['payout_email'],
			'category'     => $row['category'],
			'status'       => $row['status'],
			'commission'   => null === $row['commission'] ? null : json_decode( $row['commission'], true ),
			'coupons'      => $wpdb->get_col( $wpdb->prepare( "SELECT code FROM {$c} WHERE affiliate_id = %s ORDER BY code", $row['id'] ) ), // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			'created_at'   => Reftrail_Db::rfc3339( $row['created_at'] ),
		);
	}

	/**
	 * A page of affiliates by id, and how many match.
	 *
	 * @param string $status   Status filter or ''.
	 * @param string $category Category filter or ''.
	 * @param int    $limit    Limit.
	 * @param int    $offset   Offset.
	 * @return array
	 */
	public static function index( $status, $category, $limit, $offset ) {
		global $wpdb;
		$t     = Reftrail_Db::table( 'affiliates' );
		$where = "WHERE (%s = '' OR status = %s) AND (%s = '' OR category = %s)";
		$total = (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$t} {$where}", $status, $status, $category, $category ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$rows  = $wpdb->get_results( $wpdb->prepare( "SELECT * FROM {$t} {$where} ORDER BY id LIMIT %d OFFSET %d", $status, $status, $category, $category, $limit, $offset ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		return array(
			'affiliates' => array_map( array( __CLASS__, 'view' ), $rows ),
			'total'      => $total,
		);
	}

	/**
	 * The affiliate id of a portal token, if the affiliate is not suspended.
	 *
	 * @param string $token Token.
	 * @return string|null
	 */
	public static function by_token( $token ) {
		global $wpdb;
		$t = Reftrail_Db::table( 'affiliates' );
		return $wpdb->get_var( $wpdb->prepare( "SELECT id FROM {$t} WHERE token_hash = %s AND status <> 'suspended'", hash( 'sha256', $token ) ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
	}

	/**
	 * The affiliate id of a WordPress user, if linked and not suspended.
	 *
	 * @param int $user_id User.
	 * @return string|null
	 */
	public static function by_user( $user_id ) {
		global $wpdb;
		$t = Reftrail_Db::table( 'affiliates' );
		return $wpdb->get_var( $wpdb->prepare( "SELECT id FROM {$t} WHERE user_id = %d AND status <> 'suspended'", $user_id ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
	}

	/**
	 * Registers the current WordPress user as a pending affiliate (the `[reftrail_register]`
	 * form), giving them the affiliate role. Fires `reftrail_affiliate_applied` with the affiliate
	 * in the transaction that creates it (Reftrail_Affiliate_Mail tells the site's administrator).
	 *
	 * @param WP_User $user   User.
	 * @param string  $id     Wanted affiliate id.
	 * @param string  $name   Name.
	 * @param string  $payout PayPal email or ''.
	 * @return array
	 * @throws Reftrail_Http_Error 400 or 409.
	 */
	public static function register( WP_User $user, $id, $name, $payout ) {
		if ( self::by_user( $user->ID ) ) {
			throw new Reftrail_Http_Error( 409, 'already_registered', __( 'You are already registered as an affiliate.', 'reftrail' ) );
		}
		$body = array(
			'id'       => $id,
			'name'     => $name,
			'email'    => $user->user_email,
			'status'   => 'pending',
			'category' => 'other',
			'user_id'  => $user->ID,
		);
		if ( '' !== $payout ) {
			$body['payout_email'] = $payout;
		}
		$affiliate = Reftrail_Db::transaction(
			function () use ( $body ) {
				$made = self::create( $body );
				do_action( 'reftrail_affiliate_applied', $made['affiliate'] );
				return $made['affiliate'];
			}
		);
		$user->add_role( Reftrail_Schema::ROLE );
		return $affiliate;
	}
}
