<?php
/**
 * Creatives: the text links and image banners a merchant gives affiliates to post, the records
 * behind `/v1/creatives` and `/v1/me/creatives`. The affiliate's own link goes on each in the
 * portal, which knows the shop's address and the affiliate's parameter.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * The creatives store.
 */
final class Reftrail_Creatives {

	/** Kinds: a text link, or an image banner. */
	const KINDS = array( 'link', 'image' );

	/** Statuses: affiliates see the active ones. */
	const STATUSES = array( 'active', 'archived' );

	/** The fields of a creative that a body may give. */
	const FIELDS = array( 'name', 'kind', 'text', 'image_url', 'landing_url', 'status' );

	/** The longest name, in bytes. */
	const MAX_NAME = 120;

	/** The longest link or alt text, in bytes. */
	const MAX_TEXT = 500;

	/** The longest image or landing address, in bytes. */
	const MAX_URL = 2000;

	/**
	 * Whether `$s` is an address a page can link to or show as an image: an absolute http(s) URL
	 * with a host and no credentials, at most MAX_URL bytes, written without spaces, controls or
	 * the characters that end an HTML attribute or tag (it goes into `href` and `src` as given).
	 *
	 * @param mixed $s Value.
	 * @return bool
	 */
	public static function is_url( $s ) {
		if ( ! is_string( $s ) || '' === $s || strlen( $s ) > self::MAX_URL ) {
			return false;
		}
		// The authority right after `//`: browsers read `https:///x` as the host `x`.
		if ( 1 === preg_match( '/[\x00-\x20\x7f"\'<>\\\\`]/', $s ) || 1 !== preg_match( '#^https?://[^/]#i', $s ) ) {
			return false;
		}
		$p = wp_parse_url( $s );
		return is_array( $p ) && '' !== (string) ( $p['host'] ?? '' ) && '' === (string) ( $p['user'] ?? '' ) && '' === (string) ( $p['pass'] ?? '' );
	}

	/**
	 * The fields of a creative trimmed (spaces only), or the first rule they break, in the
	 * contract's order: name, kind, text, image_url, landing_url, status. A kind `image` needs an
	 * image_url; a kind `link` has none.
	 *
	 * @param array $f `name`, `kind`, `text`, `image_url`, `landing_url`, `status` (a required one
	 *                 that is null breaks its rule).
	 * @return array
	 * @throws Reftrail_Http_Error 400 invalid_name, invalid_kind, invalid_text, invalid_image_url,
	 *                             invalid_landing_url or invalid_status.
	 */
	public static function checked( array $f ) {
		// Spaces only: any other white space at either end is a control character or meant, and
		// both backends must store the same text.
		foreach ( array( 'name', 'text' ) as $k ) {
			if ( is_string( $f[ $k ] ?? null ) ) {
				$f[ $k ] = trim( $f[ $k ], ' ' );
			}
		}
		if ( ! Reftrail_Input::text( $f['name'] ?? null, self::MAX_NAME ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_name', 'name must be one line of 1 to 120 bytes' );
		}
		if ( ! in_array( $f['kind'] ?? null, self::KINDS, true ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_kind', 'kind must be link or image' );
		}
		if ( ! Reftrail_Input::text( $f['text'] ?? null, self::MAX_TEXT ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_text', "text (the link's text, or the image's alt text) must be one line of 1 to 500 bytes" );
		}
		$image = $f['image_url'] ?? null;
		if ( 'image' === $f['kind'] && ! self::is_url( $image ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_image_url', 'an image needs image_url: an http(s) address of at most 2000 bytes, without spaces, quotes or a user name' );
		}
		if ( 'link' === $f['kind'] && null !== $image ) {
			throw Reftrail_Http_Error::bad( 'invalid_image_url', 'a text link has no image_url (make it an image, or leave image_url out)' );
		}
		$landing = $f['landing_url'] ?? null;
		if ( null !== $landing && ! self::is_url( $landing ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_landing_url', 'landing_url must be an http(s) address of the shop of at most 2000 bytes, without spaces, quotes or a user name' );
		}
		if ( ! in_array( $f['status'] ?? null, self::STATUSES, true ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_status', 'status must be active or archived' );
		}
		return array(
			'name'        => $f['name'],
			'kind'        => $f['kind'],
			'text'        => $f['text'],
			'image_url'   => $image,
			'landing_url' => $landing,
			'status'      => $f['status'],
		);
	}

	/**
	 * Refuses a body with fields a creative does not have, or of the wrong JSON type: every
	 * field is a string or null.
	 *
	 * @param array $b Body.
	 * @throws Reftrail_Http_Error 400 invalid_body.
	 */
	private static function shape( array $b ) {
		Reftrail_Input::known( $b, self::FIELDS );
		Reftrail_Input::types( $b, array_fill_keys( self::FIELDS, 'string' ) );
	}

	/**
	 * Checks a new creative (`status` active unless given) and stores it; returns it. Made by
	 * `$by`, it is recorded (`creative.created`) in the same transaction.
	 *
	 * @param array  $b  Body: name, kind and text required; image_url, landing_url, status optional.
	 * @param string $by Who makes it, as the activity log names them.
	 * @return array
	 * @throws Reftrail_Http_Error 400; 503 when it cannot be stored or recorded.
	 */
	public static function create( array $b, $by ) {
		global $wpdb;
		self::shape( $b );
		foreach ( array( 'name', 'kind', 'text' ) as $k ) {
			if ( ! isset( $b[ $k ] ) ) {
				throw Reftrail_Http_Error::bad( 'invalid_body', sprintf( 'missing field `%s`', $k ) );
			}
		}
		$f = self::checked( array_merge( array( 'status' => 'active' ), array_filter( $b, fn( $v ) => null !== $v ) ) );
		return Reftrail_Db::transaction(
			function () use ( $wpdb, $f, $by ) {
				$id  = Reftrail_Db::new_id( 'cr' );
				$now = Reftrail_Db::now();
				$ok  = $wpdb->insert(
					Reftrail_Db::table( 'creatives' ),
					array_merge(
						array( 'id' => $id ),
						$f,
						array(
							'created_at' => $now,
							'updated_at' => $now,
						)
					),
					array( '%s', '%s', '%s', '%s', '%s', '%s', '%s', '%d', '%d' )
				);
				if ( ! $ok ) {
					throw self::unavailable();
				}
				$made = self::get( $id );
				Reftrail_Activity::record( $by, 'creative.created', $id, null, self::what( $made ) );
				return $made;
			}
		);
	}

	/**
	 * Changes the fields given; `image_url: null` and `landing_url: null` remove them, and a null
	 * name, kind, text or status breaks that field's rule. The creative as it would be is checked
	 * whole before anything is written; updated_at becomes now when a field changed. Changed by
	 * `$by`, the fields that differ are recorded (`creative.updated`) in the same transaction; a
	 * change to what it already is, or a refused one, records nothing.
	 *
	 * @param string $id Creative.
	 * @param array  $b  Body.
	 * @param string $by Who changes it, as the activity log names them.
	 * @return array
	 * @throws Reftrail_Http_Error 400, 404 creative_not_found; 503 when it cannot be stored or
	 *                             recorded.
	 */
	public static function update( $id, array $b, $by ) {
		global $wpdb;
		self::shape( $b );
		return Reftrail_Db::transaction(
			function () use ( $wpdb, $id, $b, $by ) {
				$t   = Reftrail_Db::table( 'creatives' );
				$row = $wpdb->get_row( $wpdb->prepare( "SELECT name, kind, text, image_url, landing_url, status FROM {$t} WHERE id = %s FOR UPDATE", $id ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours.
				if ( ! $row ) {
					throw self::not_found();
				}
				$set = self::checked( array_merge( $row, $b ) );
				// A change to what it already is keeps updated_at, as on the server.
				if ( $set !== $row ) {
					$set['updated_at'] = Reftrail_Db::now();
					if ( false === $wpdb->update( $t, $set, array( 'id' => $id ), array( '%s', '%s', '%s', '%s', '%s', '%s', '%d' ), array( '%s' ) ) ) {
						throw self::unavailable();
					}
				}
				$after   = self::get( $id );
				$changes = Reftrail_Activity::changes( Reftrail_Activity::CREATIVE_FIELDS, $row, $after );
				if ( $changes ) {
					Reftrail_Activity::record( $by, 'creative.updated', $after['id'], null, array( 'changes' => $changes ) );
				}
				return $after;
			}
		);
	}

	/**
	 * Deletes a creative (affiliates who pasted it keep their copy; its links still credit them).
	 * Deleted by `$by`, it is recorded (`creative.deleted`, with its name and kind) in the same
	 * transaction.
	 *
	 * @param string $id Creative.
	 * @param string $by Who deletes it, as the activity log names them.
	 * @throws Reftrail_Http_Error 404 creative_not_found; 503 when it cannot be recorded.
	 */
	public static function delete( $id, $by ) {
		global $wpdb;
		Reftrail_Db::transaction(
			function () use ( $wpdb, $id, $by ) {
				$t   = Reftrail_Db::table( 'creatives' );
				$row = $wpdb->get_row( $wpdb->prepare( "SELECT * FROM {$t} WHERE id = %s FOR UPDATE", $id ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours.
				if ( ! $row ) {
					throw self::not_found();
				}
				if ( ! $wpdb->query( $wpdb->prepare( "DELETE FROM {$t} WHERE id = %s", $row['id'] ) ) ) { // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours.
					throw self::unavailable();
				}
				Reftrail_Activity::record( $by, 'creative.deleted', $row['id'], null, self::what( $row ) );
			}
		);
	}

	/**
	 * What the log keeps of a creative made or deleted: its name and kind.
	 *
	 * @param array $c The creative, or its row.
	 * @return array `{"name", "kind"}`.
	 */
	private static function what( array $c ) {
		return array(
			'name' => $c['name'],
			'kind' => $c['kind'],
		);
	}

	/**
	 * One creative as the merchant sees it.
	 *
	 * @param string $id Creative.
	 * @return array
	 * @throws Reftrail_Http_Error 404 creative_not_found.
	 */
	public static function get( $id ) {
		global $wpdb;
		$t   = Reftrail_Db::table( 'creatives' );
		$row = $wpdb->get_row( $wpdb->prepare( "SELECT * FROM {$t} WHERE id = %s", $id ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours.
		if ( ! $row ) {
			throw self::not_found();
		}
		return self::view( $row );
	}

	/**
	 * A page of creatives as the merchant sees them, newest first (by created_at, then id); only
	 * those of `$status` unless it is ''.
	 *
	 * @param string $status Status or ''.
	 * @param int    $limit  Limit.
	 * @param int    $offset Offset.
	 * @return array[]
	 */
	public static function index( $status, $limit, $offset ) {
		global $wpdb;
		$t    = Reftrail_Db::table( 'creatives' );
		$rows = $wpdb->get_results( $wpdb->prepare( "SELECT * FROM {$t} WHERE (%s = '' OR status = %s) ORDER BY created_at DESC, BINARY id DESC LIMIT %d OFFSET %d", $status, $status, $limit, $offset ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours.
		return array_map( array( __CLASS__, 'view' ), $rows );
	}

	/**
	 * A page of the active creatives as an affiliate sees them, newest first: without status and
	 * created_at.
	 *
	 * @param int $limit  Limit.
	 * @param int $offset Offset.
	 * @return array[]
	 */
	public static function for_affiliates( $limit, $offset ) {
		return array_map(
			fn( $c ) => array(
				'id'          => $c['id'],
				'name'        => $c['name'],
				'kind'        => $c['kind'],
				'text'        => $c['text'],
				'image_url'   => $c['image_url'],
				'landing_url' => $c['landing_url'],
				'updated_at'  => $c['updated_at'],
			),
			self::index( 'active', $limit, $offset )
		);
	}

	/**
	 * A row as the merchant sees it.
	 *
	 * @param array $row Row.
	 * @return array
	 */
	private static function view( array $row ) {
		return array(
			'id'          => $row['id'],
			'name'        => $row['name'],
			'kind'        => $row['kind'],
			'text'        => $row['text'],
			'image_url'   => $row['image_url'],
			'landing_url' => $row['landing_url'],
			'status'      => $row['status'],
			'created_at'  => Reftrail_Db::rfc3339( $row['created_at'] ),
			'updated_at'  => Reftrail_Db::rfc3339( $row['updated_at'] ),
		);
	}

	/**
	 * The 503 of a write the database refused.
	 *
	 * @return Reftrail_Http_Error
	 */
	private static function unavailable() {
		return new Reftrail_Http_Error( 503, 'unavailable', 'the database is unavailable; retry later' );
	}

	/**
	 * The 404 of an unknown id.
	 *
	 * @return Reftrail_Http_Error
	 */
	private static function not_found() {
		return new Reftrail_Http_Error( 404, 'creative_not_found', 'no creative has this id' );
	}
}
