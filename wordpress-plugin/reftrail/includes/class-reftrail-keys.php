<?php
/**
 * The program's credentials: the publishable key (public, printed in the script tag), the secret
 * key (only its SHA-256 is kept; shown once when made) and the click-cookie signing keys.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * Keys and their checks. API keys are a list (option `reftrail_api_keys`): `id`, `kind`
 * (`secret`|`publishable`), `prefix`, `hash` (SHA-256), `created_at`, `revoked_at`, and for
 * publishable keys, which are public, the `key` itself (the newest is printed in the page).
 */
final class Reftrail_Keys {

	/** Option: the API keys. */
	const KEYS = 'reftrail_api_keys';

	/** Option of the first release: the publishable key (migrated into KEYS). */
	const PUBLISHABLE = 'reftrail_publishable_key';

	/** Option of the first release: secret key hashes (migrated into KEYS). */
	const SECRETS = 'reftrail_secret_key_hashes';

	/** Option: click-cookie signing keys `{current, keys: {id: secret}}`. */
	const COOKIE = 'reftrail_cookie_keys';

	/** Option: the secret that signs webhook deliveries. */
	const WEBHOOK = 'reftrail_webhook_secret';

	/**
	 * Makes the first publishable key, a cookie key and the webhook secret if missing; brings
	 * keys of the first release into the list.
	 */
	public static function ensure() {
		$keys = get_option( self::KEYS );
		if ( ! is_array( $keys ) ) {
			$keys = array();
			$old  = get_option( self::PUBLISHABLE );
			if ( $old ) {
				$keys[] = self::entry( 'publishable', $old );
			}
			foreach ( (array) get_option( self::SECRETS, array() ) as $hash ) {
				$e         = self::entry( 'secret', 'sk_' );
				$e['hash'] = $hash;
				$keys[]    = $e;
			}
			update_option( self::KEYS, $keys, true );
			delete_option( self::PUBLISHABLE );
			delete_option( self::SECRETS );
		}
		if ( '' === self::publishable() ) {
			self::create( 'publishable' );
		}
		if ( ! get_option( self::COOKIE ) ) {
			self::rotate_cookie_key();
		}
		if ( ! get_option( self::WEBHOOK ) ) {
			add_option( self::WEBHOOK, 'whsec_' . Reftrail_Db::random_base62( 40 ), '', 'no' );
		}
	}

	/**
	 * A list entry for a key.
	 *
	 * @param string $kind Kind.
	 * @param string $key  Key.
	 * @return array
	 */
	private static function entry( $kind, $key ) {
		$e = array(
			'id'         => Reftrail_Db::new_id( 'key' ),
			'kind'       => $kind,
			'prefix'     => substr( $key, 0, 7 ),
			'hash'       => hash( 'sha256', $key ),
			'created_at' => Reftrail_Db::now(),
			'revoked_at' => null,
		);
		if ( 'publishable' === $kind ) {
			$e['key'] = $key;
		}
		return $e;
	}

	/**
	 * Every key.
	 *
	 * @return array
	 */
	public static function all() {
		$k = get_option( self::KEYS );
		return is_array( $k ) ? $k : array();
	}

	/**
	 * Changes the list of keys in one transaction, the option's row locked first, so that changes
	 * made at once go one after the other and each sees the list the previous one left; `$fn`
	 * records what it changed in the same transaction. A throwable leaves the list as it was.
	 *
	 * @param callable $fn The list as stored => [the new list, what to return].
	 * @return mixed What `$fn` returns second.
	 * @throws Throwable What `$fn` throws.
	 */
	private static function change( callable $fn ) {
		global $wpdb;
		try {
			return Reftrail_Db::transaction(
				function () use ( $wpdb, $fn ) {
					$row  = $wpdb->get_var( $wpdb->prepare( "SELECT option_value FROM {$wpdb->options} WHERE option_name = %s FOR UPDATE", self::KEYS ) );
					$keys = maybe_unserialize( (string) $row );
					// update_option() skips a value equal to this request's cached copy, which
					// another request may have changed since it was read.
					self::forget_cached();
					list( $keys, $out ) = $fn( is_array( $keys ) ? $keys : array() );
					update_option( self::KEYS, $keys, true );
					return $out;
				}
			);
		} catch ( Throwable $e ) {
			// The rollback restored the row, but the cache still holds the value it replaced.
			self::forget_cached();
			throw $e;
		}
	}

	/**
	 * Drops this request's cached copy of the keys, so the next read is the stored row.
	 */
	private static function forget_cached() {
		wp_cache_delete( 'alloptions', 'options' );
		wp_cache_delete( self::KEYS, 'options' );
	}

	/**
	 * Makes a key of `$kind`; returns its entry with the key (the only time a secret is seen).
	 * Made by `$by`, it is recorded (`key.created`) in the same transaction.
	 *
	 * @param string      $kind secret|publishable.
	 * @param string|null $by   Who makes it, as the activity log names them; null: not recorded
	 *                          (the keys the plugin makes for itself).
	 * @return array `id`, `kind`, `key`.
	 * @throws Reftrail_Http_Error 503 when it cannot be recorded (no key is made).
	 */
	public static function create( $kind, $by = null ) {
		$key = ( 'secret' === $kind ? 'sk_' : 'pk_' ) . Reftrail_Db::random_base62( 'secret' === $kind ? 40 : 32 );
		$e   = self::entry( $kind, $key );
		self::change(
			function ( array $keys ) use ( $e, $by ) {
				$keys[] = $e;
				if ( null !== $by ) {
					Reftrail_Activity::record( $by, 'key.created', $e['id'], null, array( 'kind' => $e['kind'] ) );
				}
				return array( $keys, null );
			}
		);
		return array(
			'id'   => $e['id'],
			'kind' => $kind,
			'key'  => $key,
		);
	}

	/**
	 * Revokes a key; false if there is none with this id. Revoked by `$by`, a key that was live is
	 * recorded (`key.revoked`) in the same transaction; revoking it again is not.
	 *
	 * @param string      $id Key id.
	 * @param string|null $by Who revokes it, as the activity log names them; null: not recorded.
	 * @return bool
	 * @throws Reftrail_Http_Error 503 when it cannot be recorded (the key stays live).
	 */
	public static function revoke( $id, $by = null ) {
		return self::change(
			function ( array $keys ) use ( $id, $by ) {
				$found = false;
				foreach ( $keys as $i => $e ) {
					if ( $e['id'] === $id ) {
						$found = true;
						if ( null === $e['revoked_at'] ) {
							$keys[ $i ]['revoked_at'] = Reftrail_Db::now();
							if ( null !== $by ) {
								Reftrail_Activity::record( $by, 'key.revoked', $id, null, array( 'kind' => $e['kind'] ) );
							}
						}
					}
				}
				return array( $keys, $found );
			}
		);
	}

	/**
	 * The publishable key printed in pages: the newest one not revoked.
	 *
	 * @return string
	 */
	public static function publishable() {
		$pk = '';
		foreach ( self::all() as $e ) {
			if ( 'publishable' === $e['kind'] && null === $e['revoked_at'] && isset( $e['key'] ) ) {
				$pk = $e['key'];
			}
		}
		return $pk;
	}

	/**
	 * Makes a new secret key and returns it; with `$replace`, every other secret key is revoked.
	 * By `$by`, each key revoked and the new one are recorded, all in one transaction.
	 *
	 * @param bool        $replace Whether the older secret keys stop working.
	 * @param string|null $by      Who makes it, as the activity log names them; null: not recorded.
	 * @return string
	 * @throws Reftrail_Http_Error 503 when it cannot be recorded (nothing changes).
	 */
	public static function new_secret( $replace = true, $by = null ) {
		return Reftrail_Db::transaction(
			function () use ( $replace, $by ) {
				if ( $replace ) {
					foreach ( self::all() as $e ) {
						if ( 'secret' === $e['kind'] ) {
							self::revoke( $e['id'], $by );
						}
					}
				}
				return self::create( 'secret', $by )['key'];
			}
		);
	}

	/**
	 * Whether `$key` is a live key of `$kind` (constant-time comparison of hashes).
	 *
	 * @param string $key  Candidate.
	 * @param string $kind Kind.
	 * @return bool
	 */
	private static function is_live( $key, $kind ) {
		$h  = hash( 'sha256', (string) $key );
		$ok = false;
		foreach ( self::all() as $e ) {
			if ( $e['kind'] === $kind && null === $e['revoked_at'] && hash_equals( (string) $e['hash'], $h ) ) {
				$ok = true;
			}
		}
		return $ok;
	}

	/**
	 * Whether `$key` is a live secret key.
	 *
	 * @param string $key Candidate.
	 * @return bool
	 */
	public static function is_secret( $key ) {
		return self::is_live( $key, 'secret' );
	}

	/**
	 * Whether `$key` is a live publishable key.
	 *
	 * @param string $key Candidate.
	 * @return bool
	 */
	public static function is_publishable( $key ) {
		return self::is_live( $key, 'publishable' );
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
		$k                = self::cookie_keys();
		$id               = 'k' . Reftrail_Db::random_base62( 6 );
		$k['keys'][ $id ] = Reftrail_Db::random_base62( 43 );
		$k['current']     = $id;
		update_option( self::COOKIE, $k, true );
	}

	/**
	 * Deletes every key (uninstall).
	 */
	public static function delete_all() {
		foreach ( array( self::KEYS, self::PUBLISHABLE, self::SECRETS, self::COOKIE, self::WEBHOOK ) as $o ) {
			delete_option( $o );
		}
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
