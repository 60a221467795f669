<?php
/**
 * The program's credentials: the publishable key (public, printed in the script tag), the secret
 * key (only its SHA-256 is kept; shown once when made) and the click-cookie signing keys.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * Keys and their checks.
 */
final class Reftrail_Keys {

	/** Option: the publishable key. */
	const PUBLISHABLE = 'reftrail_publishable_key';

	/** Option: SHA-256 hashes of valid secret keys. */
	const SECRETS = 'reftrail_secret_key_hashes';

	/** Option: click-cookie signing keys `{current, keys: {id: secret}}`. */
	const COOKIE = 'reftrail_cookie_keys';

	/**
	 * Makes the publishable key and a cookie key if missing.
	 */
	public static function ensure() {
		if ( ! get_option( self::PUBLISHABLE ) ) {
			update_option( self::PUBLISHABLE, 'pk_' . Reftrail_Db::random_base62( 32 ), true );
		}
		if ( ! get_option( self::COOKIE ) ) {
			self::rotate_cookie_key();
		}
		if ( false === get_option( self::SECRETS ) ) {
			add_option( self::SECRETS, array(), '', false );
		}
	}

	/**
	 * The publishable key.
	 *
	 * @return string
	 */
	public static function publishable() {
		return (string) get_option( self::PUBLISHABLE, '' );
	}

	/**
	 * Makes a new secret key, keeps its hash, and returns it (the only time it is seen).
	 *
	 * @param bool $replace Whether the older secret keys stop working.
	 * @return string
	 */
	public static function new_secret( $replace = true ) {
		$key    = 'sk_' . Reftrail_Db::random_base62( 40 );
		$hashes = $replace ? array() : (array) get_option( self::SECRETS, array() );
		$hashes[] = hash( 'sha256', $key );
		update_option( self::SECRETS, array_values( $hashes ), false );
		return $key;
	}

	/**
	 * Whether `$key` is a valid secret key (constant-time comparison of hashes).
	 *
	 * @param string $key Candidate.
	 * @return bool
	 */
	public static function is_secret( $key ) {
		$h = hash( 'sha256', (string) $key );
		foreach ( (array) get_option( self::SECRETS, array() ) as $known ) {
			if ( hash_equals( (string) $known, $h ) ) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Whether `$key` is the publishable key.
	 *
	 * @param string $key Candidate.
	 * @return bool
	 */
	public static function is_publishable( $key ) {
		$pk = self::publishable();
		return '' !== $pk && hash_equals( $pk, (string) $key );
	}

	/**
	 * The cookie keys: `['current' => id, 'keys' => [id => secret]]`.
	 *
	 * @return array
	 */
	public static function cookie_keys() {
		$k = get_option( self::COOKIE );
		return is_array( $k ) ? $k : array(
			'current' => '',
			'keys'    => array(),
		);
	}

	/**
	 * A new current cookie key; older ones keep verifying.
	 */
	public static function rotate_cookie_key() {
		$k                  = self::cookie_keys();
		$id                 = 'k' . Reftrail_Db::random_base62( 6 );
		$k['keys'][ $id ]   = Reftrail_Db::random_base62( 43 );
		$k['current']       = $id;
		update_option( self::COOKIE, $k, true );
	}

	/**
	 * Deletes every key (uninstall).
	 */
	public static function delete_all() {
		delete_option( self::PUBLISHABLE );
		delete_option( self::SECRETS );
		delete_option( self::COOKIE );
	}
}

/**
 * The server-set click cookie `rt_click`: `v1.<click id>.<key id>.<base64url HMAC-SHA256>`, the
 * same format the Rust server writes (HttpOnly, SameSite=Lax, Path=/, Secure on https).
 */
final class Reftrail_Click_Cookie {

	/** The cookie's name. */
	const NAME = 'rt_click';

	/**
	 * The signed value for `$click_id` under the current key.
	 *
	 * @param string $click_id Click id.
	 * @return string|null
	 */
	public static function sign( $click_id ) {
		$k = Reftrail_Keys::cookie_keys();
		if ( empty( $k['keys'][ $k['current'] ] ) ) {
			return null;
		}
		$payload = 'v1.' . $click_id . '.' . $k['current'];
		return $payload . '.' . self::b64( hash_hmac( 'sha256', $payload, $k['keys'][ $k['current'] ], true ) );
	}

	/**
	 * The click id in a cookie value if its signature verifies, else null.
	 *
	 * @param mixed $value Cookie value.
	 * @return string|null
	 */
	public static function verify( $value ) {
		if ( ! is_string( $value ) || strlen( $value ) > 200 || 0 !== strpos( $value, 'v1.' ) ) {
			return null;
		}
		$parts = explode( '.', substr( $value, 3 ) );
		if ( count( $parts ) < 3 ) {
			return null;
		}
		$sig      = array_pop( $parts );
		$key_id   = array_pop( $parts );
		$click_id = implode( '.', $parts );
		$keys     = Reftrail_Keys::cookie_keys()['keys'];
		if ( ! Reftrail_Cookie::is_id( $click_id ) || ! isset( $keys[ $key_id ] ) ) {
			return null;
		}
		$want = self::b64( hash_hmac( 'sha256', 'v1.' . $click_id . '.' . $key_id, $keys[ $key_id ], true ) );
		return hash_equals( $want, $sig ) ? $click_id : null;
	}

	/**
	 * The `Set-Cookie` header value.
	 *
	 * @param string $value   Signed value.
	 * @param int    $max_age Seconds.
	 * @param bool   $secure  Whether the page is https.
	 * @return string
	 */
	public static function header( $value, $max_age, $secure ) {
		return self::NAME . '=' . $value . '; Max-Age=' . (int) $max_age . '; Path=/; HttpOnly; SameSite=Lax' . ( $secure ? '; Secure' : '' );
	}

	/**
	 * Unpadded base64url.
	 *
	 * @param string $bytes Bytes.
	 * @return string
	 */
	private static function b64( $bytes ) {
		return rtrim( strtr( base64_encode( $bytes ), '+/', '-_' ), '=' );
	}
}
