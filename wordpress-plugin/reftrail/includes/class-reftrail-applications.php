<?php
/**
 * Applications: the public "become an affiliate" form (`POST /v1/portal/applications`, and the
 * `[reftrail_register]` form for visitors who are not signed in), open when the program's
 * `applications` setting is `review` (a `pending` affiliate the merchant approves or declines) or
 * `auto` (approved at once).
 *
 * The answer is the same whether or not the address is known, so that nobody learns who is in the
 * program: a known address creates nothing and its owner is told by email instead. A link name
 * that is taken is refused before the address is looked at, so that refusal says nothing about
 * the address either. Each application answered 202 counts against the client address's hourly
 * limit (`fraud.applications_per_ip_per_hour`), known addresses included.
 *
 * The plugin's portal is for WordPress users linked to an affiliate, so an application also
 * settles the applicant's WordPress account:
 * - from a visitor who is not signed in, with an address no affiliate has: when no WordPress user
 *   has it, a user is created (login from the address's local part, made unique; the affiliate
 *   role) and linked to the new affiliate, and WordPress sends them its own new-user email, to set
 *   their password; when a WordPress user has it but no affiliate, nothing is created and that
 *   address is emailed to sign in and apply from the account (`application.sign_in`), so that the
 *   answer is still the same as for any address; when that user is linked to an affiliate, it is
 *   a known address;
 * - from a signed-in WordPress user (the REST login cookie with its nonce, or the form): the
 *   application is theirs, given with their account's address (any other is a 400
 *   `invalid_email`), and the new affiliate is linked to them, with the affiliate role. A user
 *   already linked to an affiliate is a known address. An affiliate without a user that has the
 *   address is not linked to them: the address on a WordPress account is not proof enough to
 *   hand over an affiliate's earnings.
 *
 * Everything an application writes (the affiliate, its application, token, activity entry, the
 * emails queued, the WordPress user, the hourly count) is written in one transaction, under a lock
 * that makes applications go one at a time (the hourly count and the free id stay true); a
 * refused application writes nothing and sends nothing. WordPress's new-user email goes once the
 * transaction is committed.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * The applications.
 */
final class Reftrail_Applications {

	/** The fields of an application; no other is accepted. */
	const FIELDS = array( 'name', 'email', 'id', 'website', 'message', 'category', 'terms_accepted', 'recruiter' );

	/** The longest message an applicant may write, in bytes. */
	const MAX_MESSAGE = 2000;

	/** The lock applications take, one at a time. */
	const LOCK = 'applications';

	/** The seconds over which the client address's applications are counted. */
	const WINDOW = 3600;

	/**
	 * Whether an applicant's WordPress user is being created (Reftrail_Registration records no
	 * sign-up lead for it: an affiliate is no customer).
	 *
	 * @var bool
	 */
	private static $creating_user = false;

	/**
	 * The WordPress user created by the application being taken, if any.
	 *
	 * @var int|null
	 */
	private static $created_user = null;

	/**
	 * Whether the program takes applications now.
	 *
	 * @return bool
	 */
	public static function open() {
		return 'closed' !== Reftrail_Program::get()['applications'];
	}

	/**
	 * Whether the WordPress user being created now is an applicant's.
	 *
	 * @return bool
	 */
	public static function creating_user() {
		return self::$creating_user;
	}

	/**
	 * The fields of an application checked, in the contract's order (name, email, id, website,
	 * message, category, terms_accepted), each field's wrong JSON type breaking that field's rule;
	 * name and email trimmed, a message of white space only none. The recruiter comes from a link
	 * anyone can write, so one that is not an affiliate id is left out, never refused.
	 *
	 * @param array        $b    Body (unknown fields already refused).
	 * @param WP_User|null $user The signed-in applicant, whose account's address must be the one given.
	 * @return array `name`, `email`, `id` (or null), `website`, `message`, `category`,
	 *               `terms_accepted`, `recruiter` (an affiliate id, or null).
	 * @throws Reftrail_Http_Error 400 invalid_name, invalid_email, invalid_affiliate, invalid_website,
	 *                             invalid_message, invalid_category or invalid_terms_accepted.
	 */
	public static function checked( array $b, $user = null ) {
		$name = is_string( $b['name'] ?? null ) ? self::trim( $b['name'] ) : null;
		if ( ! Reftrail_Input::text( $name, 200 ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_name', 'name must be 1 to 200 bytes without control characters' );
		}
		$email = is_string( $b['email'] ?? null ) ? self::trim( $b['email'] ) : null;
		// WordPress's own check too: the applicant may need a WordPress account with this address.
		if ( ! Reftrail_Affiliates::is_email( $email ) || ! is_email( $email ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_email', 'email must be an address like name@example.com' );
		}
		if ( $user instanceof WP_User && $user->ID && 0 !== strcasecmp( $email, (string) $user->user_email ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_email', __( 'You are signed in: apply with the email address of your account, or sign out to apply with another.', 'reftrail' ) );
		}
		$id = $b['id'] ?? null;
		if ( null !== $id && ! Reftrail_Cookie::is_id( $id ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_affiliate', "id must be 1 to 64 letters, digits, '-', '_' or '.'" );
		}
		$website = $b['website'] ?? null;
		if ( null !== $website && ! Reftrail_Program::is_page_url( $website ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_website', 'website must be an http(s) URL of at most 500 bytes without spaces' );
		}
		$message = $b['message'] ?? null;
		if ( null !== $message && ! self::is_message( $message ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_message', 'message must be at most 2000 bytes, without control characters other than line breaks' );
		}
		$category = $b['category'] ?? 'other';
		if ( ! in_array( $category, Reftrail_Affiliates::CATEGORIES, true ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_category', 'category must be one of ' . implode( ', ', Reftrail_Affiliates::CATEGORIES ) );
		}
		$terms = $b['terms_accepted'] ?? false;
		if ( ! is_bool( $terms ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_terms_accepted', 'terms_accepted must be true or false' );
		}
		return array(
			'name'           => $name,
			'email'          => $email,
			'id'             => $id,
			'website'        => $website,
			'message'        => null === $message || '' === self::trim( $message ) ? null : $message,
			'category'       => $category,
			'terms_accepted' => $terms,
			'recruiter'      => Reftrail_Cookie::is_id( $b['recruiter'] ?? null ) ? $b['recruiter'] : null,
		);
	}

	/**
	 * `$s` without the white space at its ends, Unicode's included, as the server trims.
	 *
	 * @param string $s Text.
	 * @return string
	 */
	private static function trim( $s ) {
		$t = preg_replace( '/^[\s\p{Z}\x{85}]+|[\s\p{Z}\x{85}]+$/uD', '', $s );
		return null === $t ? $s : $t;
	}

	/**
	 * Whether `$m` is a message: at most MAX_MESSAGE bytes of UTF-8, line breaks allowed, no other
	 * control character.
	 *
	 * @param mixed $m Candidate.
	 * @return bool
	 */
	public static function is_message( $m ) {
		return is_string( $m ) && strlen( $m ) <= self::MAX_MESSAGE && mb_check_encoding( $m, 'UTF-8' ) && ! Reftrail_Input::has_control( str_replace( array( "\r", "\n" ), '', $m ) );
	}

	/**
	 * Takes an application; answers the status the applicant is told (`pending` or `approved`),
	 * the same whether or not the address is known. The checks, in the contract's order: the
	 * program takes applications, the fields, the terms, the client address's hourly limit, the
	 * link name.
	 *
	 * @param array        $b    Body (unknown fields already refused).
	 * @param string       $ip   The client address.
	 * @param WP_User|null $user The signed-in WordPress user applying, or null.
	 * @return string `pending` or `approved`.
	 * @throws Reftrail_Http_Error 403 applications_closed; 400; 422 terms_not_accepted;
	 *                             429 rate_limited; 409 affiliate_exists; 503.
	 */
	public static function apply( array $b, $ip, $user = null ) {
		$program = Reftrail_Program::get();
		if ( 'closed' === $program['applications'] ) {
			throw new Reftrail_Http_Error( 403, 'applications_closed', 'this program takes no applications' );
		}
		$user = $user instanceof WP_User && $user->ID ? $user : null;
		$a    = self::checked( $b, $user );
		if ( null !== $program['terms_url'] && true !== $a['terms_accepted'] ) {
			throw new Reftrail_Http_Error( 422, 'terms_not_accepted', "accept the program's terms to apply" );
		}
		$status             = 'auto' === $program['applications'] ? 'approved' : 'pending';
		self::$created_user = null;
		try {
			$made = Reftrail_Db::locked(
				self::LOCK,
				fn() => Reftrail_Db::transaction( fn() => self::take( $a, self::ip_hash( $ip ), $user, $program, $status ) )
			);
		} catch ( Throwable $e ) {
			// A user created in the rolled-back transaction may still be in WordPress's cache.
			if ( null !== self::$created_user ) {
				clean_user_cache( self::$created_user );
			}
			throw $e;
		} finally {
			self::$created_user = null;
		}
		if ( null !== $made['affiliate'] && null !== $user ) {
			$user->add_role( Reftrail_Schema::ROLE );
		}
		if ( null !== $made['new_user'] ) {
			wp_new_user_notification( $made['new_user'], null, 'user' );
		}
		return $status;
	}

	/**
	 * The part of apply() in its transaction: the hourly limit, the link name, the count, then
	 * what the address calls for.
	 *
	 * @param array        $a       The checked fields.
	 * @param string       $ip_hash The client address's hash.
	 * @param WP_User|null $user    The signed-in applicant.
	 * @param array        $program The program.
	 * @param string       $status  The new affiliate's status.
	 * @return array `affiliate` (the id created, or null), `new_user` (the WordPress user created, or null).
	 * @throws Reftrail_Http_Error 429, 409 or 503.
	 */
	private static function take( array $a, $ip_hash, $user, array $program, $status ) {
		global $wpdb;
		$t   = Reftrail_Db::table( 'application_attempts' );
		$now = Reftrail_Db::now();
		$n   = (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$t} WHERE ip_hash = %s AND at > %d", $ip_hash, $now - self::WINDOW ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours.
		if ( $n >= (int) $program['fraud']['applications_per_ip_per_hour'] ) {
			throw new Reftrail_Http_Error( 429, 'rate_limited', 'too many applications from this address; try again in an hour' );
		}
		if ( null !== $a['id'] && Reftrail_Affiliates::exists( $a['id'] ) ) {
			throw new Reftrail_Http_Error( 409, 'affiliate_exists', 'this link name is taken; choose another' );
		}
		$wpdb->query( $wpdb->prepare( "DELETE FROM {$t} WHERE at <= %d", $now - self::WINDOW ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours.
		$counted = $wpdb->insert(
			$t,
			array(
				'id'      => Reftrail_Db::new_id( 'apa' ),
				'at'      => $now,
				'ip_hash' => $ip_hash,
			),
			array( '%s', '%d', '%s' )
		);
		if ( ! $counted ) {
			throw self::unavailable();
		}
		$none = array(
			'affiliate' => null,
			'new_user'  => null,
		);
		// A known address: nothing is created; its first affiliate that is not suspended is told.
		$known = self::known( $a['email'], null === $user ? null : (int) $user->ID );
		if ( null !== $known ) {
			if ( '' !== $known['id'] ) {
				do_action( 'reftrail_application_exists', $known['id'], $known['status'] );
			}
			return $none;
		}
		$user_id  = null === $user ? null : (int) $user->ID;
		$new_user = null;
		if ( null === $user ) {
			$owner = get_user_by( 'email', $a['email'] );
			if ( $owner ) {
				// An account without an affiliate: its owner applies from it, signed in.
				do_action( 'reftrail_application_sign_in', (int) $owner->ID );
				return $none;
			}
			$new_user = self::create_user( $a['email'], $a['name'] );
			$user_id  = $new_user;
		}
		$id   = $a['id'] ?? Reftrail_Affiliates::free_id( Reftrail_Affiliates::suggest_id( $a['name'], $a['email'] ) );
		$made = array(
			'id'       => $id,
			'name'     => $a['name'],
			'email'    => $a['email'],
			'category' => $a['category'],
			'status'   => $status,
			'user_id'  => $user_id,
		);
		// The recruiting link's affiliate, kept only while they are approved.
		$recruiter = Reftrail_Recruiters::approved_affiliate( $a['recruiter'] );
		if ( null !== $recruiter ) {
			$made['recruiter'] = $recruiter;
		}
		Reftrail_Affiliates::create( $made );
		self::keep( $id, $a['website'], $a['message'], $program['terms_url'] );
		Reftrail_Activity::record( Reftrail_Activity::by_affiliate( $id ), 'affiliate.applied', $id, $id, array() );
		$view = Reftrail_Affiliates::get( $id );
		// The merchant's webhooks (Reftrail_Webhooks, `affiliate.applied`) hear of it in this transaction.
		do_action( 'reftrail_application_created', $view );
		// The emails (Reftrail_Affiliate_Mail) are queued in this transaction: the welcome of an
		// affiliate approved at once, else the acknowledgement, and the administrator's notice of
		// an application waiting for them. Approved at once, by no one: the WooCommerce coupon
		// template's coupon (Reftrail_WooCommerce_Coupon_Template) is made too.
		if ( 'approved' === $status ) {
			do_action( 'reftrail_affiliate_approved', $view );
		} else {
			do_action( 'reftrail_application_received', $view );
			do_action( 'reftrail_affiliate_applied', $view );
		}
		return array(
			'affiliate' => $id,
			'new_user'  => $new_user,
		);
	}

	/**
	 * Who has the address already, read in the caller's transaction: the first affiliate by id
	 * with it (any case) that is not suspended, else the affiliate of the WordPress user with it
	 * (or of the signed-in applicant), if not suspended; `id` '' when only suspended affiliates
	 * have it (nobody is told).
	 *
	 * @param string   $email   Address.
	 * @param int|null $user_id The signed-in applicant, or null.
	 * @return array|null `id`, `status`; null when no affiliate has it.
	 */
	private static function known( $email, $user_id ) {
		global $wpdb;
		$t    = Reftrail_Db::table( 'affiliates' );
		$rows = $wpdb->get_results( $wpdb->prepare( "SELECT id, status FROM {$t} WHERE BINARY LOWER(email) = BINARY LOWER(%s) ORDER BY BINARY id", $email ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours.
		if ( ! $rows ) {
			$owner   = null === $user_id ? get_user_by( 'email', $email ) : false;
			$user_id = $owner ? (int) $owner->ID : $user_id;
			if ( null !== $user_id ) {
				$rows = $wpdb->get_results( $wpdb->prepare( "SELECT id, status FROM {$t} WHERE user_id = %d ORDER BY BINARY id", $user_id ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours.
			}
		}
		if ( ! $rows ) {
			return null;
		}
		foreach ( $rows as $r ) {
			if ( 'suspended' !== $r['status'] ) {
				return $r;
			}
		}
		return array(
			'id'     => '',
			'status' => 'suspended',
		);
	}

	/**
	 * Creates the WordPress user of an applicant: a login from the address's local part
	 * (sanitize_user(), made unique), the address, their name as the name shown, a random password
	 * they replace through WordPress's new-user email, and the affiliate role.
	 *
	 * @param string $email Address (no user has it).
	 * @param string $name  Their name.
	 * @return int The user's id.
	 * @throws Reftrail_Http_Error 503 when WordPress refuses the user.
	 */
	private static function create_user( $email, $name ) {
		$base  = substr( trim( sanitize_user( explode( '@', $email, 2 )[0], true ) ), 0, 50 );
		$base  = '' === $base ? 'affiliate' : $base;
		$login = $base;
		for ( $n = 2; username_exists( $login ); $n++ ) {
			$login = $n < 100 ? $base . '-' . $n : $base . '-' . strtolower( Reftrail_Db::random_base62( 6 ) );
		}
		self::$creating_user = true;
		try {
			$id = wp_insert_user(
				array(
					'user_login'   => $login,
					'user_email'   => $email,
					'display_name' => $name,
					'user_pass'    => wp_generate_password( 32 ),
					'role'         => Reftrail_Schema::ROLE,
				)
			);
		} finally {
			self::$creating_user = false;
		}
		if ( is_wp_error( $id ) ) {
			throw new Reftrail_Http_Error( 503, 'unavailable', 'the WordPress account could not be created; retry later' );
		}
		self::$created_user = (int) $id;
		return (int) $id;
	}

	/**
	 * Keeps what an applicant wrote, in the caller's transaction.
	 *
	 * @param string      $affiliate The affiliate created.
	 * @param string|null $website   Their website or channel.
	 * @param string|null $message   How they will promote the shop.
	 * @param string|null $terms_url The program's terms they accepted, as the address is now.
	 * @throws Reftrail_Http_Error 503 when it is not written.
	 */
	public static function keep( $affiliate, $website, $message, $terms_url ) {
		global $wpdb;
		$ok = $wpdb->insert(
			Reftrail_Db::table( 'applications' ),
			array(
				'affiliate_id' => $affiliate,
				'website'      => $website,
				'message'      => $message,
				'terms_url'    => $terms_url,
				'applied_at'   => Reftrail_Db::now(),
			),
			array( '%s', '%s', '%s', '%s', '%d' )
		);
		if ( ! $ok ) {
			throw self::unavailable();
		}
	}

	/**
	 * The hash the hourly count keeps of a client address: salted with the cookie key, as clicks
	 * keep theirs, so that the table holds no address.
	 *
	 * @param string $ip Address.
	 * @return string 64 hex digits.
	 */
	private static function ip_hash( $ip ) {
		$keys = Reftrail_Keys::cookie_keys();
		$salt = $keys['keys'][ $keys['current'] ] ?? '';
		return hash( 'sha256', $salt . '|application|' . $ip );
	}

	/**
	 * The 503 of a write that failed.
	 *
	 * @return Reftrail_Http_Error
	 */
	private static function unavailable() {
		return new Reftrail_Http_Error( 503, 'unavailable', 'the database is unavailable; retry later' );
	}
}
