<?php
/**
 * The dashboard's sessions (`POST/GET/DELETE /v1/session`), as on the Rust server: a shop
 * manager's WordPress password buys an HttpOnly `rt_session` cookie (SameSite=Strict, 12 hours)
 * and a CSRF token the dashboard sends in `X-CSRF-Token`. Only the token's SHA-256 is stored.
 * Failed sign-ins are limited to 20 per 15 minutes for the whole site.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * Sessions.
 */
final class Reftrail_Sessions {

	/** The cookie's name. */
	const COOKIE = 'rt_session';

	/** Lifetime, seconds. */
	const TTL = 43200;

	/** Transient with the times of recent failed sign-ins. */
	const FAILURES = 'reftrail_login_failures';

	/**
	 * The session a request's cookie names, if live: `csrf_token`, `user_id`, `expires_at`.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return array|null
	 */
	public static function from_request( WP_REST_Request $request ) {
		$token = self::token( $request );
		if ( null === $token ) {
			return null;
		}
		global $wpdb;
		$t   = Reftrail_Db::table( 'sessions' );
		$row = $wpdb->get_row( $wpdb->prepare( "SELECT csrf_token, user_id, expires_at FROM {$t} WHERE token_hash = %s AND expires_at > %d", hash( 'sha256', $token ), Reftrail_Db::now() ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		if ( ! $row || ! user_can( (int) $row['user_id'], Reftrail_Schema::CAP ) ) {
			return null;
		}
		return $row;
	}

	/**
	 * Who a session is, as `/v1/session` answers it beside the CSRF token: a user who may
	 * manage the program is its owner; the team is WordPress's own users.
	 *
	 * @param WP_User|false $user The signed-in user.
	 * @return array `role`, `member`, `team`.
	 */
	public static function who( $user ) {
		return array(
			'role'   => 'owner',
			'member' => $user ? array(
				'id'    => 'user:' . $user->user_login,
				'email' => (string) $user->user_email,
				'name'  => (string) $user->display_name,
			) : null,
			'team'   => false,
			// WordPress's own sign-in decides a second factor.
			'two_factor_setup_required' => false,
		);
	}

	/**
	 * The session token in the request's cookies.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return string|null
	 */
	private static function token( WP_REST_Request $request ) {
		foreach ( explode( ';', (string) $request->get_header( 'cookie' ) ) as $pair ) {
			$kv = explode( '=', trim( $pair ), 2 );
			if ( 2 === count( $kv ) && self::COOKIE === $kv[0] && 1 === preg_match( '/^[A-Za-z0-9]{20,64}$/D', $kv[1] ) ) {
				return $kv[1];
			}
		}
		return null;
	}

	/**
	 * Signs in with the password of a user who may manage the program (and their user name or
	 * email, when given).
	 *
	 * @param array $b `password`, `username`?, `email`?.
	 * @return array [token, csrf, expires_at, user]
	 * @throws Reftrail_Http_Error 401 or 429.
	 */
	public static function create( array $b ) {
		global $wpdb;
		Reftrail_Input::known( $b, array( 'password', 'username', 'email' ) );
		$password = $b['password'] ?? null;
		if ( ! is_string( $password ) || '' === $password || strlen( $password ) > 200 ) {
			throw new Reftrail_Http_Error( 401, 'unauthorized', 'wrong password' );
		}
		$now      = Reftrail_Db::now();
		$failures = array_values( array_filter( (array) get_transient( self::FAILURES ), fn( $t ) => $t > $now - 900 ) );
		if ( count( $failures ) >= 20 ) {
			throw new Reftrail_Http_Error( 429, 'rate_limited', 'too many failed sign-ins; wait 15 minutes' );
		}
		if ( isset( $b['email'] ) && is_string( $b['email'] ) && '' !== trim( $b['email'] ) ) {
			$users = array_filter( array( get_user_by( 'email', trim( $b['email'] ) ) ) );
		} elseif ( isset( $b['username'] ) && is_string( $b['username'] ) ) {
			$users = array_filter( array( get_user_by( 'login', $b['username'] ) ) );
		} else {
			$users = get_users(
				array(
					'capability' => Reftrail_Schema::CAP,
					'number'     => 50,
				)
			);
		}
		$user  = null;
		foreach ( $users as $u ) {
			if ( user_can( $u, Reftrail_Schema::CAP ) && wp_check_password( $password, $u->user_pass, $u->ID ) ) {
				$user = $u;
				break;
			}
		}
		if ( null === $user ) {
			$failures[] = $now;
			set_transient( self::FAILURES, $failures, 900 );
			throw new Reftrail_Http_Error( 401, 'unauthorized', 'wrong password' );
		}
		$token = Reftrail_Db::random_base62( 43 );
		$csrf  = Reftrail_Db::random_base62( 43 );
		$t     = Reftrail_Db::table( 'sessions' );
		$wpdb->query( $wpdb->prepare( "DELETE FROM {$t} WHERE expires_at < %d", $now ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$wpdb->insert(
			$t,
			array(
				'token_hash' => hash( 'sha256', $token ),
				'csrf_token' => $csrf,
				'user_id'    => $user->ID,
				'created_at' => $now,
				'expires_at' => $now + self::TTL,
			),
			array( '%s', '%s', '%d', '%d', '%d' )
		);
		return array( $token, $csrf, $now + self::TTL, $user );
	}

	/**
	 * Ends the request's session.
	 *
	 * @param WP_REST_Request $request Request.
	 */
	public static function delete( WP_REST_Request $request ) {
		global $wpdb;
		$token = self::token( $request );
		if ( null !== $token ) {
			$wpdb->delete( Reftrail_Db::table( 'sessions' ), array( 'token_hash' => hash( 'sha256', $token ) ), array( '%s' ) );
		}
	}

	/**
	 * The `Set-Cookie` value.
	 *
	 * @param string $value   Token ('' to delete).
	 * @param int    $max_age Seconds.
	 * @param bool   $secure  Whether the site is https.
	 * @return string
	 */
	public static function cookie( $value, $max_age, $secure ) {
		return self::COOKIE . '=' . $value . '; Max-Age=' . (int) $max_age . '; Path=/; HttpOnly; SameSite=Strict' . ( $secure ? '; Secure' : '' );
	}
}
