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

	/** The longest id suggest_id() makes, in bytes: short enough to share in a link. */
	const SUGGESTED_MAX_LEN = 32;

	/** The longest postal address, in bytes (200 Thai characters). */
	const MAX_ADDRESS = 600;

	/**
	 * Payee types: Thailand files tax withheld from people (ภ.ง.ด.3) and from companies
	 * (ภ.ง.ด.53) on separate forms, and the certificate names the form.
	 */
	const PAYEE_TYPES = array( 'person', 'company' );

	/** The bank-detail columns of an affiliate paid by PayPal. */
	const PAID_BY_PAYPAL = array(
		'payout_method'  => null,
		'payout_bank'    => null,
		'payout_account' => null,
		'payout_name'    => null,
	);

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
			if ( isset( $b[ $k ] ) && ! self::is_email( $b[ $k ] ) ) {
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
	 * Whether `$e` is an email address as an affiliate's may be: at most 254 bytes, something on
	 * each side of an `@`, no space or control character, none of `,"<>` (a list or a display
	 * name is not one address).
	 *
	 * @param mixed $e Candidate.
	 * @return bool
	 */
	public static function is_email( $e ) {
		return is_string( $e ) && null !== Reftrail_Tracking::email_hash( $e ) && strlen( $e ) <= 254 && false === strpbrk( $e, ',"<>' );
	}

	/**
	 * Whether `$t` is a tax id: 1 to 20 ASCII letters, digits or `-` (an affiliate's, and the
	 * program's payer's).
	 *
	 * @param mixed $t Candidate.
	 * @return bool
	 */
	public static function is_tax_id( $t ) {
		return is_string( $t ) && 1 === preg_match( '/^[A-Za-z0-9-]{1,20}$/D', $t );
	}

	/**
	 * Refuses a tax id that is not 1 to 20 ASCII letters, digits or `-` (null: none).
	 *
	 * @param mixed $t Tax id or null.
	 * @throws Reftrail_Http_Error 400 invalid_tax_id.
	 */
	private static function check_tax_id( $t ) {
		if ( null !== $t && ! self::is_tax_id( $t ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_tax_id', "tax_id must be 1 to 20 letters, digits or '-'" );
		}
	}

	/**
	 * Refuses a payee type other than `person` or `company` (null: not set).
	 *
	 * @param mixed $t Payee type or null.
	 * @throws Reftrail_Http_Error 400 invalid_payee_type.
	 */
	private static function check_payee_type( $t ) {
		if ( null !== $t && ! in_array( $t, self::PAYEE_TYPES, true ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_payee_type', 'payee_type must be person or company' );
		}
	}

	/**
	 * Refuses a postal address that is not one line of 1 to MAX_ADDRESS bytes without control
	 * characters (null: none). One line, because certificates print it in one box and commas
	 * separate its parts.
	 *
	 * @param mixed $a Address or null.
	 * @throws Reftrail_Http_Error 400 invalid_address.
	 */
	private static function check_address( $a ) {
		if ( null !== $a && ! Reftrail_Input::text( $a, self::MAX_ADDRESS ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_address', 'address must be one line of 1 to ' . self::MAX_ADDRESS . ' bytes without control characters' );
		}
	}

	/**
	 * Refuses a recruiter that is not an affiliate id (null: none); whether an affiliate has it is
	 * Reftrail_Recruiters::check()'s.
	 *
	 * @param mixed $r Recruiter or null.
	 * @throws Reftrail_Http_Error 400 invalid_recruiter.
	 */
	private static function check_recruiter_id( $r ) {
		if ( null !== $r && ! Reftrail_Cookie::is_id( $r ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_recruiter', 'recruiter must be an affiliate id' );
		}
	}

	/**
	 * Runs `$fn` in a transaction, under the recruiters' lock when `$b` sets a recruiter (two
	 * changes at once could otherwise each pass the loop check and make a loop together); the
	 * transaction opens once the lock is held, so it reads the recruiters as they are then.
	 *
	 * @param array    $b  Body.
	 * @param callable $fn Work.
	 * @return mixed What `$fn` returns.
	 */
	private static function with_recruiter_lock( array $b, callable $fn ) {
		$run = fn() => Reftrail_Db::transaction( $fn );
		return isset( $b['recruiter'] ) ? Reftrail_Db::locked( Reftrail_Recruiters::LOCK, $run ) : $run();
	}

	/**
	 * The shape of a body's `payout` object: only `method`, `bank`, `account` and `name`, each a
	 * string or null, `method` and `account` given. Checked with the body's other types, before
	 * any value is (the server refuses such a body as it reads it).
	 *
	 * @param array $p The `payout` object.
	 * @throws Reftrail_Http_Error 400 invalid_body.
	 */
	private static function payout_shape( array $p ) {
		foreach ( array_keys( $p ) as $k ) {
			if ( ! in_array( $k, array( 'method', 'bank', 'account', 'name' ), true ) ) {
				throw Reftrail_Http_Error::bad( 'invalid_body', sprintf( 'unknown field `payout.%s`', substr( (string) $k, 0, 40 ) ) );
			}
		}
		foreach ( array( 'method', 'bank', 'account', 'name' ) as $k ) {
			if ( isset( $p[ $k ] ) && ! is_string( $p[ $k ] ) ) {
				throw Reftrail_Http_Error::bad( 'invalid_body', sprintf( 'payout.%s: expected a string', $k ) );
			}
		}
		foreach ( array( 'method', 'account' ) as $k ) {
			if ( ! isset( $p[ $k ] ) ) {
				throw Reftrail_Http_Error::bad( 'invalid_body', sprintf( 'missing field `payout.%s`', $k ) );
			}
		}
	}

	/**
	 * Checks and normalizes the bank details of a `payout` object of the right shape.
	 *
	 * @param array $p The `payout` object.
	 * @return array The four `payout_*` columns.
	 * @throws Reftrail_Http_Error 400 invalid_payout_method, invalid_payout_bank,
	 *                             invalid_payout_account or invalid_payout_name.
	 */
	private static function payout_columns( array $p ) {
		try {
			$a = Reftrail_Bank_Transfer::account( $p['method'], $p['bank'] ?? null, $p['account'], $p['name'] ?? null );
		} catch ( Reftrail_Bank_Transfer_Error $e ) {
			throw Reftrail_Http_Error::bad( $e->error_code, $e->getMessage() );
		}
		return array(
			'payout_method'  => $a['method'],
			'payout_bank'    => $a['bank'],
			'payout_account' => $a['account'],
			'payout_name'    => $a['name'],
		);
	}

	/**
	 * An affiliate's bank details as the API shows them (`bank` and `name` left out when there
	 * are none, as the server writes them), or null for PayPal.
	 *
	 * @param array $row Affiliate row.
	 * @return array|null
	 */
	public static function payout_view( array $row ) {
		if ( null === ( $row['payout_method'] ?? null ) ) {
			return null;
		}
		$p = array( 'method' => $row['payout_method'] );
		if ( null !== $row['payout_bank'] ) {
			$p['bank'] = $row['payout_bank'];
		}
		$p['account'] = (string) $row['payout_account'];
		if ( null !== $row['payout_name'] ) {
			$p['name'] = $row['payout_name'];
		}
		return $p;
	}

	/**
	 * Where the affiliate's payouts go now: `method`, and `paypal_email` (payout_email, else
	 * email) for PayPal, or the bank details. Read in the caller's transaction.
	 *
	 * @param string $id Affiliate.
	 * @return array|null `method`, `paypal_email`, `bank`, `account`, `name`; null when there is
	 *                    no such affiliate.
	 */
	public static function paid_to( $id ) {
		global $wpdb;
		$t = Reftrail_Db::table( 'affiliates' );
		$r = $wpdb->get_row( $wpdb->prepare( "SELECT payout_method, COALESCE(payout_email, email, '') AS paypal_email, payout_bank, payout_account, payout_name FROM {$t} WHERE id = %s", $id ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		if ( ! $r ) {
			return null;
		}
		$bank = null !== $r['payout_method'];
		return array(
			'method'       => $bank ? $r['payout_method'] : 'paypal',
			'paypal_email' => $bank ? null : $r['paypal_email'],
			'bank'         => $bank ? $r['payout_bank'] : null,
			'account'      => $bank ? $r['payout_account'] : null,
			'name'         => $bank ? $r['payout_name'] : null,
		);
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
				'id'                 => 'string',
				'name'               => 'string',
				'email'              => 'string',
				'payout_email'       => 'string',
				'category'           => 'string',
				'status'             => 'string',
				'commission'         => 'object',
				'coupons'            => 'array',
				'user_id'            => 'int',
				'payout'             => 'object',
				'withholding_exempt' => 'bool',
				'tax_id'             => 'string',
				'payee_type'         => 'string',
				'address'            => 'string',
				'recruiter'          => 'string',
			)
		);
		if ( isset( $b['payout'] ) ) {
			self::payout_shape( $b['payout'] );
		}
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
			$ok = $wpdb->insert(
				$t,
				array(
					'code'         => $code,
					'affiliate_id' => $id,
					'created_at'   => Reftrail_Db::now(),
				),
				array( '%s', '%s', '%d' )
			);
			if ( ! $ok ) {
				throw self::write_failed( 'coupon_taken', sprintf( 'coupon %s belongs to another affiliate', $code ) );
			}
		}
	}

	/**
	 * A new portal token for the affiliate; the old one stops working. Issued by `$by`, it is
	 * recorded (`affiliate.token_issued`) in the same transaction.
	 *
	 * @param string      $id Affiliate.
	 * @param string|null $by Who issues it, as the activity log names them; null: not recorded
	 *                        (the token an affiliate is created with).
	 * @return string
	 * @throws Reftrail_Http_Error 503 when it cannot be recorded (the old token stays).
	 */
	public static function new_token( $id, $by = null ) {
		global $wpdb;
		return Reftrail_Db::transaction(
			function () use ( $wpdb, $id, $by ) {
				$token = 'at_' . Reftrail_Db::random_base62( 32 );
				$wpdb->update( Reftrail_Db::table( 'affiliates' ), array( 'token_hash' => hash( 'sha256', $token ) ), array( 'id' => $id ), array( '%s' ), array( '%s' ) );
				if ( null !== $by ) {
					Reftrail_Activity::record( $by, 'affiliate.token_issued', $id, $id, array() );
				}
				return $token;
			}
		);
	}

	/**
	 * Checks the body of a new affiliate as far as it can be without the database: the body of
	 * `POST /v1/affiliates`, or one a row of `POST /v1/affiliates.csv` stands for (the same checks,
	 * the same codes, in the same order).
	 *
	 * @param array $b Body.
	 * @return array The coupon codes (upper-cased, without duplicates) and the four `payout_*`
	 *               columns.
	 * @throws Reftrail_Http_Error 400.
	 */
	public static function check_new( array $b ) {
		Reftrail_Input::known( $b, array( 'id', 'name', 'email', 'payout_email', 'payout', 'withholding_exempt', 'tax_id', 'payee_type', 'address', 'category', 'status', 'commission', 'coupons', 'user_id', 'recruiter' ) );
		self::types( $b );
		if ( ! Reftrail_Cookie::is_id( $b['id'] ?? null ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_affiliate', "id must be 1 to 64 letters, digits, '-', '_' or '.'" );
		}
		if ( ! isset( $b['name'] ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_body', 'missing field `name`' );
		}
		$codes  = self::check( $b );
		$payout = isset( $b['payout'] ) ? self::payout_columns( $b['payout'] ) : self::PAID_BY_PAYPAL;
		self::check_tax_id( $b['tax_id'] ?? null );
		self::check_payee_type( $b['payee_type'] ?? null );
		self::check_address( $b['address'] ?? null );
		self::check_recruiter_id( $b['recruiter'] ?? null );
		return array( $codes, $payout );
	}

	/**
	 * Writes a new affiliate that passed check_new(), in the caller's transaction: the affiliate,
	 * its coupons and, created by `$by`, the `affiliate.created` entry. Its recruiter, if any, is
	 * the caller's to check; no portal token is issued.
	 *
	 * @param array       $b      Body.
	 * @param string[]    $codes  The coupon codes check_new() answered.
	 * @param array       $payout The `payout_*` columns check_new() answered.
	 * @param string|null $by     Who creates it, as the activity log names them; null: not
	 *                            recorded.
	 * @throws Reftrail_Http_Error 409 affiliate_exists or coupon_taken, 503.
	 */
	public static function insert_new( array $b, array $codes, array $payout, $by ) {
		global $wpdb;
		$t  = Reftrail_Db::table( 'affiliates' );
		$id = $b['id'];
		if ( $wpdb->get_var( $wpdb->prepare( "SELECT id FROM {$t} WHERE id = %s", $id ) ) ) { // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			throw new Reftrail_Http_Error( 409, 'affiliate_exists', 'an affiliate with this id exists' );
		}
		$now = Reftrail_Db::now();
		$ok  = $wpdb->insert(
			$t,
			array_merge(
				array(
					'id'                 => $id,
					'user_id'            => $b['user_id'] ?? null,
					'name'               => $b['name'],
					'email'              => $b['email'] ?? null,
					'email_hash'         => isset( $b['email'] ) ? Reftrail_Tracking::email_hash( $b['email'] ) : null,
					'payout_email'       => $b['payout_email'] ?? null,
					'category'           => $b['category'] ?? 'other',
					'status'             => $b['status'] ?? 'approved',
					'commission'         => isset( $b['commission'] ) ? wp_json_encode( $b['commission'] ) : null,
					'created_at'         => $now,
					'updated_at'         => $now,
					'withholding_exempt' => empty( $b['withholding_exempt'] ) ? 0 : 1,
					'tax_id'             => $b['tax_id'] ?? null,
					'address'            => $b['address'] ?? null,
					'payee_type'         => $b['payee_type'] ?? null,
					'recruiter_id'       => $b['recruiter'] ?? null,
				),
				$payout
			),
			array( '%s', '%d', '%s', '%s', '%s', '%s', '%s', '%s', '%s', '%d', '%d', '%d', '%s', '%s', '%s', '%s', '%s', '%s', '%s', '%s' )
		);
		if ( ! $ok ) {
			// Stored by a request that committed between the look-up and the insert.
			throw self::write_failed( 'affiliate_exists', 'an affiliate with this id exists' );
		}
		self::set_coupons( $id, $codes );
		if ( null !== $by ) {
			Reftrail_Activity::record( $by, 'affiliate.created', $id, $id, array() );
		}
	}

	/**
	 * Why an insert failed: a 409 `$code` for a duplicate key, else a 503.
	 *
	 * @param string $code    Code of the conflict.
	 * @param string $message Message of the conflict.
	 * @return Reftrail_Http_Error
	 */
	private static function write_failed( $code, $message ) {
		global $wpdb;
		if ( false !== stripos( (string) $wpdb->last_error, 'Duplicate' ) ) {
			return new Reftrail_Http_Error( 409, $code, $message );
		}
		return new Reftrail_Http_Error( 503, 'unavailable', 'the database is unavailable; retry later' );
	}

	/**
	 * Creates an affiliate; returns it and its portal token. A `recruiter` must be an affiliate's
	 * id, checked against loops (Reftrail_Recruiters::check()). Created by `$by`, it is recorded
	 * (`affiliate.created`) and `reftrail_affiliate_added` fires with the affiliate and `$by`, in
	 * the same transaction.
	 *
	 * @param array       $b  Body.
	 * @param string|null $by Who creates it, as the activity log names them; null: not recorded
	 *                        (an application through the registration form).
	 * @return array
	 * @throws Reftrail_Http_Error 400, 409, 422 invalid_recruiter or 503.
	 */
	public static function create( array $b, $by = null ) {
		list( $codes, $payout ) = self::check_new( $b );
		$id                     = $b['id'];
		return self::with_recruiter_lock(
			$b,
			function () use ( $b, $codes, $payout, $id, $by ) {
				if ( isset( $b['recruiter'] ) ) {
					Reftrail_Recruiters::check( $id, $b['recruiter'] );
				}
				self::insert_new( $b, $codes, $payout, $by );
				if ( null !== $by ) {
					// Added by the merchant, not applied: listeners (the WooCommerce coupon template)
					// act in this transaction. Imports write with insert_new() and fire nothing: their
					// affiliates bring the coupons they already had.
					do_action( 'reftrail_affiliate_added', self::get( $id ), $by );
				}
				return array(
					'affiliate' => self::get( $id ),
					'token'     => self::new_token( $id ),
				);
			}
		);
	}

	/**
	 * Changes the given fields; `commission: null` removes the overrides, `payout_email: null` the
	 * PayPal email, `tax_id: null` the tax id, `payee_type: null` the payee type, `address: null`
	 * the postal address, `payout: null` goes back to PayPal and a `payout` object replaces the
	 * bank details whole, `recruiter: null` removes the recruiter (another is checked as create()
	 * checks it). Everything is checked before anything is written. An application
	 * approved (status `pending` to `approved`) fires `reftrail_affiliate_approved` with the
	 * affiliate and `$by` in the same transaction (Reftrail_Affiliate_Mail queues the welcome,
	 * Reftrail_WooCommerce_Coupon_Template makes the template's coupon), and so does a
	 * change of where the payouts go fire `reftrail_payout_details_changed` (the affiliate is
	 * told). Changed by `$by`, the fields that differ are recorded (`affiliate.updated`) in the
	 * same transaction.
	 *
	 * @param string      $id Affiliate.
	 * @param array       $b  Body.
	 * @param string|null $by Who changes it, as the activity log names them; null: not recorded.
	 * @return array
	 * @throws Reftrail_Http_Error 400, 404, 409, 422 invalid_recruiter or 503.
	 */
	public static function update( $id, array $b, $by = null ) {
		global $wpdb;
		Reftrail_Input::known( $b, array( 'name', 'email', 'payout_email', 'payout', 'withholding_exempt', 'tax_id', 'payee_type', 'address', 'category', 'status', 'commission', 'coupons', 'recruiter' ) );
		self::types( $b );
		$codes  = self::check( $b );
		$payout = null;
		if ( array_key_exists( 'payout', $b ) ) {
			$payout = null === $b['payout'] ? self::PAID_BY_PAYPAL : self::payout_columns( $b['payout'] );
		}
		self::check_tax_id( $b['tax_id'] ?? null );
		self::check_payee_type( $b['payee_type'] ?? null );
		self::check_address( $b['address'] ?? null );
		self::check_recruiter_id( $b['recruiter'] ?? null );
		return self::with_recruiter_lock(
			$b,
			function () use ( $wpdb, $b, $codes, $payout, $id, $by ) {
				$t = Reftrail_Db::table( 'affiliates' );
				// Locked, so that of two approvals at once only one sees the application pending.
				$was = $wpdb->get_var( $wpdb->prepare( "SELECT status FROM {$t} WHERE id = %s FOR UPDATE", $id ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
				if ( null === $was ) {
					throw new Reftrail_Http_Error( 404, 'affiliate_not_found', 'no affiliate has this id' );
				}
				if ( isset( $b['recruiter'] ) ) {
					Reftrail_Recruiters::check( $id, $b['recruiter'] );
				}
				$shown  = self::get( $id );
				$before = self::paid_to( $id );
				$set    = array();
				foreach ( array( 'name', 'category', 'status' ) as $k ) {
					if ( isset( $b[ $k ] ) ) {
						$set[ $k ] = $b[ $k ];
					}
				}
				// null removes the PayPal email: payouts go to the contact email.
				if ( array_key_exists( 'payout_email', $b ) ) {
					$set['payout_email'] = $b['payout_email'];
				}
				if ( isset( $b['email'] ) ) {
					$set['email']      = $b['email'];
					$set['email_hash'] = Reftrail_Tracking::email_hash( $b['email'] );
				}
				if ( array_key_exists( 'commission', $b ) ) {
					$set['commission'] = null === $b['commission'] ? null : wp_json_encode( $b['commission'] );
				}
				if ( null !== $payout ) {
					$set = array_merge( $set, $payout );
				}
				// null removes the tax id, the payee type or the address; absent leaves it.
				foreach ( array( 'tax_id', 'payee_type', 'address' ) as $k ) {
					if ( array_key_exists( $k, $b ) ) {
						$set[ $k ] = $b[ $k ];
					}
				}
				if ( array_key_exists( 'recruiter', $b ) ) {
					$set['recruiter_id'] = $b['recruiter'];
				}
				if ( isset( $b['withholding_exempt'] ) ) {
					$set['withholding_exempt'] = $b['withholding_exempt'] ? 1 : 0;
				}
				$set['updated_at'] = Reftrail_Db::now();
				$wpdb->update( $t, $set, array( 'id' => $id ) );
				if ( isset( $b['coupons'] ) ) {
					self::set_coupons( $id, $codes );
				}
				$view = self::get( $id );
				// Recorded before the listeners act, so that what they record follows it.
				if ( null !== $by ) {
					Reftrail_Activity::record_changes( $by, $id, $shown, $view );
				}
				self::tell_if_paid_elsewhere( $id, $before );
				if ( 'pending' === $was && 'approved' === $view['status'] ) {
					do_action( 'reftrail_affiliate_approved', $view, $by );
					// As the listeners left it (the WooCommerce coupon template may add a code).
					$view = self::get( $id );
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
	 * Fires `reftrail_payout_details_changed` with the affiliate id and paid_to() when their
	 * payouts no longer go where they went (`$before`), in the caller's transaction.
	 *
	 * @param string     $id     Affiliate.
	 * @param array|null $before paid_to() before the change.
	 */
	private static function tell_if_paid_elsewhere( $id, $before ) {
		$now = self::paid_to( $id );
		if ( null !== $now && $now !== $before ) {
			do_action( 'reftrail_payout_details_changed', $id, $now );
		}
	}

	/**
	 * What an affiliate changes about themselves (`PATCH /v1/me`), only the fields given: the
	 * email about each new referral (`referral_emails`, on or off; payout and approval emails are
	 * not theirs to turn off), where their payouts go (`payout_email` and `payout`, as the
	 * merchant sets them; a change fires `reftrail_payout_details_changed`, so that they hear of it
	 * if it was not them) and their postal address (`address`; null removes it), which is theirs
	 * to keep current for their tax certificates. Everything is checked before anything is
	 * written. With `$by`, the fields that differ are recorded (`affiliate.updated`) in the same
	 * transaction.
	 *
	 * @param string      $id Affiliate.
	 * @param array       $b  Body.
	 * @param string|null $by Who changes it, as the activity log names them (`affiliate:<id>`);
	 *                        null: not recorded.
	 * @throws Reftrail_Http_Error 400, 404 or 503.
	 */
	public static function update_own( $id, array $b, $by = null ) {
		global $wpdb;
		Reftrail_Input::known( $b, array( 'referral_emails', 'payout_email', 'payout', 'address' ) );
		if ( isset( $b['referral_emails'] ) && ! is_bool( $b['referral_emails'] ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_body', 'referral_emails must be true or false' );
		}
		self::types( $b );
		self::check( $b );
		self::check_address( $b['address'] ?? null );
		$set = array();
		if ( isset( $b['referral_emails'] ) ) {
			$set['referral_emails'] = $b['referral_emails'] ? 1 : 0;
		}
		if ( array_key_exists( 'payout_email', $b ) ) {
			$set['payout_email'] = $b['payout_email'];
		}
		if ( array_key_exists( 'payout', $b ) ) {
			$set = array_merge( $set, null === $b['payout'] ? self::PAID_BY_PAYPAL : self::payout_columns( $b['payout'] ) );
		}
		if ( array_key_exists( 'address', $b ) ) {
			$set['address'] = $b['address'];
		}
		$set['updated_at'] = Reftrail_Db::now();
		Reftrail_Db::transaction(
			function () use ( $wpdb, $id, $set, $by ) {
				$t = Reftrail_Db::table( 'affiliates' );
				if ( null === $wpdb->get_var( $wpdb->prepare( "SELECT id FROM {$t} WHERE id = %s FOR UPDATE", $id ) ) ) { // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
					throw new Reftrail_Http_Error( 404, 'affiliate_not_found', 'no affiliate has this id' );
				}
				$shown  = self::get( $id );
				$before = self::paid_to( $id );
				if ( false === $wpdb->update( $t, $set, array( 'id' => $id ) ) ) {
					throw new Reftrail_Http_Error( 503, 'unavailable', 'the database is unavailable; retry later' );
				}
				self::tell_if_paid_elsewhere( $id, $before );
				if ( null !== $by ) {
					Reftrail_Activity::record_changes( $by, $id, $shown, self::get( $id ) );
				}
			}
		);
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
		$row = $wpdb->get_row( $wpdb->prepare( self::select() . ' WHERE a.id = %s', $id ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- select() holds table names only.
		if ( ! $row ) {
			throw new Reftrail_Http_Error( 404, 'affiliate_not_found', 'no affiliate has this id' );
		}
		return self::view( $row );
	}

	/**
	 * The query of affiliates as the API shows them: each row with its application, if it has one
	 * (`app_*` columns, NULL otherwise).
	 *
	 * @return string `SELECT ... FROM ... a LEFT JOIN ...`, without conditions.
	 */
	private static function select() {
		$t  = Reftrail_Db::table( 'affiliates' );
		$ap = Reftrail_Db::table( 'applications' );
		return "SELECT a.*, ap.website AS app_website, ap.message AS app_message, ap.terms_url AS app_terms_url, ap.applied_at AS app_applied_at FROM {$t} a LEFT JOIN {$ap} ap ON ap.affiliate_id = a.id";
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
			'id'                 => $row['id'],
			'name'               => $row['name'],
			'email'              => $row['email'],
			'payout_email'       => $row['payout_email'],
			'payout'             => self::payout_view( $row ),
			'withholding_exempt' => '1' === (string) $row['withholding_exempt'],
			'tax_id'             => $row['tax_id'],
			'payee_type'         => $row['payee_type'],
			'address'            => $row['address'],
			'category'           => $row['category'],
			'status'             => $row['status'],
			'commission'         => null === $row['commission'] ? null : json_decode( $row['commission'], true ),
			'coupons'            => $wpdb->get_col( $wpdb->prepare( "SELECT code FROM {$c} WHERE affiliate_id = %s ORDER BY code", $row['id'] ) ), // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			// Who recruited them (Reftrail_Recruiters); null: nobody.
			'recruiter'          => $row['recruiter_id'] ?? null,
			'created_at'         => Reftrail_Db::rfc3339( $row['created_at'] ),
			// What they wrote when they applied (Reftrail_Applications); null: the merchant added them.
			'application'        => null === ( $row['app_applied_at'] ?? null ) ? null : array(
				'website'    => $row['app_website'],
				'message'    => $row['app_message'],
				'terms_url'  => $row['app_terms_url'],
				'applied_at' => Reftrail_Db::rfc3339( $row['app_applied_at'] ),
			),
		);
	}

	/**
	 * A page of affiliates by id, and how many match.
	 *
	 * @param string $status   Status filter or ''.
	 * @param string $category Category filter or ''.
	 * @param int    $limit    Limit.
	 * @param int    $offset   Offset.
	 * @param string $email    Only those with this email address, whatever its case, or ''.
	 * @param string $q        Only those with this piece of text (trimmed, checked: search_text())
	 *                         in their id, name, email or a coupon code, or ''.
	 * @return array
	 */
	public static function index( $status, $category, $limit, $offset, $email = '', $q = '' ) {
		global $wpdb;
		$t     = Reftrail_Db::table( 'affiliates' );
		$where = "WHERE (%s = '' OR a.status = %s) AND (%s = '' OR a.category = %s) AND (%s = '' OR BINARY LOWER(a.email) = BINARY LOWER(%s))";
		$args  = array( $status, $status, $category, $category, $email, $email );
		if ( '' !== $q ) {
			return self::search( $where, $args, $q, $limit, $offset );
		}
		$total = (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$t} a {$where}", $args ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name and the conditions are ours; every value is bound.
		$rows  = $wpdb->get_results( $wpdb->prepare( self::select() . " {$where} ORDER BY a.id LIMIT %d OFFSET %d", array_merge( $args, array( $limit, $offset ) ) ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.PreparedSQL.NotPrepared -- as above.
		return array(
			'affiliates' => array_map( array( __CLASS__, 'view' ), $rows ),
			'total'      => $total,
		);
	}

	/**
	 * The `q` of the affiliates list, trimmed ('' for none).
	 *
	 * @param mixed $q The query's `q`.
	 * @return string
	 * @throws Reftrail_Http_Error 400 invalid_query.
	 */
	public static function search_text( $q ) {
		if ( null === $q ) {
			return '';
		}
		$text = is_string( $q ) && mb_check_encoding( $q, 'UTF-8' ) ? Reftrail_Short_Links::trim( $q ) : null;
		if ( null === $text || mb_strlen( $text, 'UTF-8' ) > 100 || Reftrail_Input::has_control( $text ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_query', 'q must be at most 100 characters without control characters' );
		}
		return $text;
	}

	/**
	 * Text as a search compares it, as the server's `affiliate_search::fold`: lower case, each
	 * accented Latin letter as its ASCII spelling (`ễ` is `e`, `Đ` is `d`), so that `nguyen`
	 * finds `Nguyễn`; other scripts (Thai) as written, lower-cased.
	 *
	 * @param string $s Text.
	 * @return string
	 */
	public static function fold( $s ) {
		$out = '';
		foreach ( mb_str_split( (string) $s, 1, 'UTF-8' ) as $c ) {
			$base = self::latin_base( $c );
			$out .= null === $base ? mb_strtolower( $c, 'UTF-8' ) : strtolower( $base );
		}
		return $out;
	}

	/**
	 * The ASCII spelling of a letter of the Latin blocks with diacritics (`ễ` is `e`, `Æ` is
	 * `AE`) by WordPress's remove_accents(); null for another character, for `×` and `÷` (signs),
	 * and for a letter it does not spell in ASCII.
	 *
	 * @param string $c One character.
	 * @return string|null
	 */
	private static function latin_base( $c ) {
		$cp = mb_ord( $c, 'UTF-8' );
		if ( ! ( ( $cp >= 0xC0 && $cp <= 0x24F ) || ( $cp >= 0x1E00 && $cp <= 0x1EFF ) ) || 0xD7 === $cp || 0xF7 === $cp ) {
			return null;
		}
		// A fixed locale: remove_accents() spells `ä` `ae` for German sites, not the server.
		$base = remove_accents( $c, 'en_US' );
		return 1 === preg_match( '/^[\x20-\x7e]+$/D', $base ) ? $base : null;
	}

	/**
	 * The page of index() for a search: the affiliates `$where` selects whose id, name, email or
	 * a coupon code holds `$q` once both are folded (fold()); names and codes are read and folded
	 * here, as the server does, since accents are beyond the tables' collation rules.
	 *
	 * @param string $where  The list's conditions.
	 * @param array  $args   Their values.
	 * @param string $q      The text, trimmed, not empty.
	 * @param int    $limit  Limit.
	 * @param int    $offset Offset.
	 * @return array
	 */
	private static function search( $where, array $args, $q, $limit, $offset ) {
		global $wpdb;
		$t     = Reftrail_Db::table( 'affiliates' );
		$c     = Reftrail_Db::table( 'coupons' );
		$codes = array();
		foreach ( $wpdb->get_results( "SELECT affiliate_id, code FROM {$c}", ARRAY_A ) as $r ) { // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours.
			$codes[ $r['affiliate_id'] ][] = $r['code'];
		}
		$query = self::fold( $q );
		$found = array();
		foreach ( $wpdb->get_results( $wpdb->prepare( "SELECT a.id, a.name, a.email FROM {$t} a {$where} ORDER BY a.id", $args ), ARRAY_A ) as $r ) { // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name and the conditions are ours; every value is bound.
			foreach ( array_merge( array( $r['id'], $r['name'], (string) $r['email'] ), $codes[ $r['id'] ] ?? array() ) as $field ) {
				if ( str_contains( self::fold( $field ), $query ) ) {
					$found[] = $r['id'];
					break;
				}
			}
		}
		$page  = array_slice( $found, $offset, $limit );
		$views = array();
		if ( $page ) {
			$in   = implode( ', ', array_fill( 0, count( $page ), '%s' ) );
			$rows = $wpdb->get_results( $wpdb->prepare( self::select() . " WHERE a.id IN ({$in})", $page ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.PreparedSQL.NotPrepared,WordPress.DB.PreparedSQLPlaceholders.UnfinishedPrepare -- the query and placeholders are ours; every value is bound.
			foreach ( $rows as $row ) {
				$views[ $row['id'] ] = self::view( $row );
			}
		}
		return array(
			'affiliates' => array_values( array_filter( array_map( fn( $id ) => $views[ $id ] ?? null, $page ) ) ),
			'total'      => count( $found ),
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
	 * form for a signed-in user), giving them the affiliate role. It is an application: what it
	 * says is kept (no website, message or terms) and recorded (`affiliate.applied`, by the
	 * affiliate), and `reftrail_affiliate_applied` (Reftrail_Affiliate_Mail tells the site's
	 * administrator) and `reftrail_application_created` (the webhooks) fire with the affiliate in
	 * the transaction that creates it. A recruiting link's recruiter is kept when they are an
	 * approved affiliate, else left out.
	 *
	 * @param WP_User     $user      User.
	 * @param string      $id        Wanted affiliate id.
	 * @param string      $name      Name.
	 * @param string      $payout    PayPal email or ''.
	 * @param string|null $recruiter The `?recruiter=` of the link they came by, or null.
	 * @return array
	 * @throws Reftrail_Http_Error 400 or 409.
	 */
	public static function register( WP_User $user, $id, $name, $payout, $recruiter = null ) {
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
			function () use ( $body, $recruiter ) {
				$recruiter = Reftrail_Recruiters::approved_affiliate( $recruiter );
				if ( null !== $recruiter && $recruiter !== $body['id'] ) {
					$body['recruiter'] = $recruiter;
				}
				$made = self::create( $body );
				$id   = $made['affiliate']['id'];
				Reftrail_Applications::keep( $id, null, null, null );
				Reftrail_Activity::record( Reftrail_Activity::by_affiliate( $id ), 'affiliate.applied', $id, $id, array() );
				$view = self::get( $id );
				do_action( 'reftrail_affiliate_applied', $view );
				do_action( 'reftrail_application_created', $view );
				return $view;
			}
		);
		$user->add_role( Reftrail_Schema::ROLE );
		return $affiliate;
	}

	/**
	 * Whether an affiliate (of any status) has this id; read in the caller's transaction.
	 *
	 * @param string $id Id.
	 * @return bool
	 */
	public static function exists( $id ) {
		global $wpdb;
		$t = Reftrail_Db::table( 'affiliates' );
		return null !== $wpdb->get_var( $wpdb->prepare( "SELECT id FROM {$t} WHERE id = %s", $id ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
	}

	/**
	 * The first id no affiliate has of `$base`, `$base-2` ... `$base-99`, else `$base-` and six
	 * random lower-case letters and digits (the server's choice, so that both backends name an
	 * applicant alike); read in the caller's transaction.
	 *
	 * @param string $base A suggest_id().
	 * @return string
	 */
	public static function free_id( $base ) {
		for ( $n = 1; $n < 100; $n++ ) {
			$id = 1 === $n ? $base : $base . '-' . $n;
			if ( ! self::exists( $id ) ) {
				return $id;
			}
		}
		$alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
		$tail     = '';
		for ( $i = 0; $i < 6; $i++ ) {
			$tail .= $alphabet[ random_int( 0, 35 ) ];
		}
		return $base . '-' . $tail;
	}

	/**
	 * The id suggested for someone who applies without choosing one (the server's `suggest_id`,
	 * pinned by tests/vectors/affiliate_ids.json): their name folded to lower-case ASCII, else
	 * their email's local part without a `+tag`, else `affiliate`; the caller appends `-2`, `-3`,
	 * ... while it is taken (free_id()).
	 *
	 * @param string $name  Name.
	 * @param string $email Email.
	 * @return string
	 */
	public static function suggest_id( $name, $email ) {
		$from_name = self::slug( (string) $name );
		if ( strlen( $from_name ) >= 3 ) {
			return $from_name;
		}
		$local      = explode( '@', (string) $email, 2 )[0];
		$from_email = self::slug( explode( '+', $local, 2 )[0] );
		return strlen( $from_email ) >= 3 ? $from_email : 'affiliate';
	}

	/**
	 * `$s` as lower-case ASCII words joined by `-`, at most SUGGESTED_MAX_LEN bytes. A Latin letter
	 * with diacritics (Vietnamese's included) becomes its base letter by WordPress's
	 * remove_accents(), one character at a time so that the other characters (punctuation, spaces,
	 * `×` and `÷`, other scripts, emoji, a combining mark on its own) separate words, as the
	 * server's transliteration of the Latin blocks only does.
	 *
	 * @param string $s Text.
	 * @return string
	 */
	private static function slug( $s ) {
		$out   = '';
		$gap   = false;
		$chars = mb_check_encoding( $s, 'UTF-8' ) ? mb_str_split( $s, 1, 'UTF-8' ) : array();
		foreach ( $chars as $c ) {
			$letters = '';
			if ( 1 === preg_match( '/^[A-Za-z0-9]$/D', $c ) ) {
				$letters = $c;
			} else {
				$letters = (string) preg_replace( '/[^A-Za-z0-9]/', '', (string) self::latin_base( $c ) );
			}
			foreach ( str_split( $letters ) as $b ) {
				if ( '' === $b ) {
					continue;
				}
				if ( $gap && '' !== $out ) {
					$out .= '-';
				}
				$gap  = false;
				$out .= strtolower( $b );
			}
			$gap = $gap || '' === $letters;
			if ( strlen( $out ) > self::SUGGESTED_MAX_LEN ) {
				break;
			}
		}
		return rtrim( substr( $out, 0, self::SUGGESTED_MAX_LEN ), '-' );
	}
}
