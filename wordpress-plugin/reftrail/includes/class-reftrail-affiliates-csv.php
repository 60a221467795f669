<?php
/**
 * Affiliates as CSV: the export behind `GET /v1/affiliates.csv` (one row per affiliate, in
 * spreadsheet columns) and the import behind `POST /v1/affiliates.csv` (a merchant's file, that
 * export's, a spreadsheet's, or another tool's: AffiliateWP's affiliate export reads as it is;
 * read into the bodies `POST /v1/affiliates` takes, every row checked against the program and the
 * file's other rows, then all written or none). The server's `affiliate_csv` module does the
 * same. The import of AffiliateWP's own tables (Reftrail_AffiliateWP) makes rows of the same kind
 * and goes through the same plan and writing.
 *
 * @package Reftrail
 */

defined( 'ABSPATH' ) || exit;

/**
 * The affiliates' CSV export and import.
 */
final class Reftrail_Affiliates_Csv {

	/** The columns of the export, in order; the import reads the same names (`created_at` aside). */
	const COLUMNS = array( 'id', 'name', 'email', 'payout_email', 'category', 'status', 'coupons', 'sale_rate', 'commission', 'recruiter', 'payout_method', 'payout_bank', 'payout_account', 'payout_name', 'withholding_exempt', 'tax_id', 'payee_type', 'address', 'created_at' );

	/** The most rows one import takes. */
	const MAX_ROWS = 10000;

	/** The largest file one import takes, in bytes (4 MiB). */
	const MAX_BYTES = 4194304;

	/** The most affiliates one export writes. */
	const MAX_EXPORT = 100000;

	/** How many affiliates the export reads per query. */
	const EXPORT_PAGE = 500;

	/**
	 * The affiliates as CSV, by id (byte order, whatever the table's collation), with the
	 * filters of `GET /v1/affiliates`; read in one transaction (one snapshot of the tables).
	 *
	 * @param string $status   Status filter or ''.
	 * @param string $category Category filter or ''.
	 * @return string
	 * @throws Reftrail_Http_Error 422 export_too_large.
	 */
	public static function export( $status, $category ) {
		global $wpdb;
		return Reftrail_Db::transaction(
			function () use ( $wpdb, $status, $category ) {
				$t   = Reftrail_Db::table( 'affiliates' );
				$c   = Reftrail_Db::table( 'coupons' );
				$ids = $wpdb->get_col( $wpdb->prepare( "SELECT id FROM {$t} WHERE (%s = '' OR status = %s) AND (%s = '' OR category = %s) LIMIT %d", $status, $status, $category, $category, self::MAX_EXPORT + 1 ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours.
				if ( count( $ids ) > self::MAX_EXPORT ) {
					throw new Reftrail_Http_Error( 422, 'export_too_large', 'more than 100,000 affiliates match: export one status or category at a time' );
				}
				sort( $ids, SORT_STRING );
				$out = Reftrail_Ledger::csv_row( self::COLUMNS );
				foreach ( array_chunk( $ids, self::EXPORT_PAGE ) as $page ) {
					$in    = implode( ',', array_fill( 0, count( $page ), '%s' ) );
					$rows  = $wpdb->get_results( $wpdb->prepare( "SELECT * FROM {$t} WHERE id IN ({$in})", $page ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.PreparedSQL.NotPrepared -- the table name and the placeholders are ours; every value is bound.
					$codes = array();
					foreach ( $wpdb->get_results( $wpdb->prepare( "SELECT affiliate_id, code FROM {$c} WHERE affiliate_id IN ({$in})", $page ), ARRAY_A ) as $r ) { // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.PreparedSQL.NotPrepared -- as above.
						$codes[ $r['affiliate_id'] ][] = $r['code'];
					}
					$by_id = array();
					foreach ( $rows as $r ) {
						$by_id[ $r['id'] ] = $r;
					}
					foreach ( $page as $id ) {
						if ( isset( $by_id[ $id ] ) ) {
							$out .= Reftrail_Ledger::csv_row( self::row( $by_id[ $id ], $codes[ $id ] ?? array() ) );
						}
					}
				}
				return $out;
			}
		);
	}

	/**
	 * One affiliate as a row of COLUMNS. A plain percent override is written as `sale_rate`
	 * (what a spreadsheet edits); any other override as its JSON in `commission`. Free text a
	 * spreadsheet would run as a formula starts with `'`.
	 *
	 * @param array    $a     Affiliate row.
	 * @param string[] $codes Its coupon codes.
	 * @return string[]
	 */
	private static function row( array $a, array $codes ) {
		$text = fn( $s ) => Reftrail_Ledger::text_cell( (string) $s );
		sort( $codes, SORT_STRING );
		list( $sale_rate, $commission ) = self::commission_cells( $a['commission'] );
		return array(
			(string) $a['id'],
			$text( $a['name'] ),
			$text( $a['email'] ),
			$text( $a['payout_email'] ),
			(string) $a['category'],
			(string) $a['status'],
			implode( ' ', $codes ),
			$sale_rate,
			$commission,
			(string) $a['recruiter_id'],
			(string) $a['payout_method'],
			(string) $a['payout_bank'],
			(string) $a['payout_account'],
			$text( $a['payout_name'] ),
			'1' === (string) $a['withholding_exempt'] ? 'true' : 'false',
			$text( $a['tax_id'] ),
			(string) $a['payee_type'],
			$text( $a['address'] ),
			Reftrail_Db::rfc3339( $a['created_at'] ),
		);
	}

	/**
	 * The `sale_rate` and `commission` cells of stored overrides: `{"sale": {"type": "percent",
	 * "rate_bps": N}}` alone is N as a percent; other overrides are their JSON, as
	 * `GET /v1/affiliates/{id}` answers them.
	 *
	 * @param string|null $stored The `commission` column.
	 * @return string[]
	 */
	private static function commission_cells( $stored ) {
		$c = null === $stored ? null : json_decode( (string) $stored, true );
		if ( null === $c ) {
			return array( '', '' );
		}
		$given = is_array( $c ) ? array_keys( array_filter( $c, fn( $v ) => null !== $v ) ) : array();
		$sale  = $c['sale'] ?? null;
		if ( array( 'sale' ) === $given && is_array( $sale ) && 2 === count( $sale ) && 'percent' === ( $sale['type'] ?? null ) && is_int( $sale['rate_bps'] ?? null ) && $sale['rate_bps'] >= 0 ) {
			return array( self::percent_text( $sale['rate_bps'] ), '' );
		}
		return array( '', (string) wp_json_encode( json_decode( (string) $stored ), JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE ) );
	}

	/**
	 * Basis points as a percent without trailing zeros: 1250 is `12.5`, 5 is `0.05`.
	 *
	 * @param int $bps Basis points.
	 * @return string
	 */
	public static function percent_text( $bps ) {
		$whole = intdiv( (int) $bps, 100 );
		$frac  = (int) $bps % 100;
		if ( 0 === $frac ) {
			return (string) $whole;
		}
		return 0 === $frac % 10 ? $whole . '.' . intdiv( $frac, 10 ) : sprintf( '%d.%02d', $whole, $frac );
	}

	/**
	 * A percent from 0 to 100 with at most two decimals, `.` or `,` as the decimal mark (`12.5`,
	 * `12,5`), in basis points; null for anything else.
	 *
	 * @param string $s Text.
	 * @return int|null
	 */
	public static function parse_percent( $s ) {
		$bps = self::parse_decimal( $s, 2 );
		return null !== $bps && $bps <= 10000 ? $bps : null;
	}

	/**
	 * A non-negative decimal with at most `$decimals` decimals, `.` or `,` as the decimal mark,
	 * in units of its last decimal (`12,5` with 2 decimals is 1250); at most 15 whole digits. Null
	 * for anything else.
	 *
	 * @param string $s        Text.
	 * @param int    $decimals Decimals.
	 * @return int|null
	 */
	public static function parse_decimal( $s, $decimals ) {
		if ( 1 !== preg_match( '/^([0-9]{1,15})(?:[.,]([0-9]+))?$/D', (string) $s, $m ) || strlen( $m[2] ?? '' ) > $decimals ) {
			return null;
		}
		return (int) $m[1] * ( 10 ** $decimals ) + (int) str_pad( $m[2] ?? '', $decimals, '0' );
	}

	/**
	 * A header cell as the import compares it: trimmed, lower-case, each run of white space or
	 * `-` as one `_` (AffiliateWP's "Payment Email" is `payment_email`).
	 *
	 * @param string $header Header cell.
	 * @return string
	 */
	public static function column_name( $header ) {
		return implode( '_', preg_split( '/[\s-]+/u', mb_strtolower( (string) $header, 'UTF-8' ), -1, PREG_SPLIT_NO_EMPTY ) );
	}

	/**
	 * The field a column fills: its own name, or what another tool calls it; null for a column
	 * the import does not read.
	 *
	 * @param string $name      The column, as column_name() writes it.
	 * @param string $id_column The column of link names, as column_name() writes it.
	 * @return string|null
	 */
	private static function field_of( $name, $id_column ) {
		if ( $name === $id_column ) {
			return 'id';
		}
		$aliases = array(
			// The id comes from the id column alone.
			'id'            => null,
			// AffiliateWP's names.
			'payment_email' => 'payout_email',
			'rate'          => 'sale_rate',
		);
		$ours    = array_key_exists( $name, $aliases ) ? $aliases[ $name ] : $name;
		return in_array( $ours, array_merge( self::COLUMNS, array( 'username', 'rate_type' ) ), true ) ? $ours : null;
	}

	/**
	 * A 400 `invalid_csv`.
	 *
	 * @param string $message What makes the file unreadable.
	 * @return Reftrail_Http_Error
	 */
	private static function invalid_csv( $message ) {
		return Reftrail_Http_Error::bad( 'invalid_csv', $message );
	}

	/**
	 * The delimiter of a file, from its header line: Excel saves with `;` where the decimal mark
	 * is a comma (Vietnamese and Thai settings among them), and some tools with tabs.
	 *
	 * @param string $text The file.
	 * @return string
	 */
	public static function delimiter( $text ) {
		$nl     = strpos( $text, "\n" );
		$header = false === $nl ? $text : substr( $text, 0, $nl );
		foreach ( array( ',', ';', "\t" ) as $d ) {
			if ( false !== strpos( $header, $d ) ) {
				return $d;
			}
		}
		return ',';
	}

	/**
	 * A cell as the import reads it: trimmed of spaces and tabs, without the `'` an export puts
	 * before a formula character; null when empty.
	 *
	 * @param string|null $cell Cell.
	 * @return string|null
	 */
	public static function clean( $cell ) {
		$c = trim( (string) $cell, " \t" );
		if ( strlen( $c ) > 1 && "'" === $c[0] && false !== strpos( "=+-@\t\r", $c[1] ) ) {
			$c = substr( $c, 1 );
		}
		return '' === $c ? null : $c;
	}

	/**
	 * Reads a file into rows. Fails for what makes the whole file unreadable: not UTF-8, no id
	 * column or no `name` (or `username`) column, a column named twice, no rows, too many rows.
	 *
	 * @param string      $bytes     The file.
	 * @param string      $id_column The column of link names, as column_name() writes it (`id`
	 *                               unless the merchant names another, such as AffiliateWP's
	 *                               `username`).
	 * @param string|null $currency  What another tool's flat rate per sale is an amount in; null:
	 *                               the program's currency.
	 * @return array `rows`: each `line` (where the row starts; the header is line 1), `id` (the
	 *               cell, trimmed), and `body` (of `POST /v1/affiliates`, not yet checked as such)
	 *               or `error` (a Reftrail_Http_Error); `ignored_columns`: header names the
	 *               import does not read, lower-cased, in file order.
	 * @throws Reftrail_Http_Error 400 invalid_csv.
	 */
	public static function read( $bytes, $id_column = 'id', $currency = null ) {
		$bytes    = (string) $bytes;
		$currency = $currency ?? Reftrail_Program::get()['currency'];
		if ( ! mb_check_encoding( $bytes, 'UTF-8' ) ) {
			throw self::invalid_csv( 'the file is not UTF-8: save it as CSV UTF-8' );
		}
		$text = 0 === strncmp( $bytes, "\xEF\xBB\xBF", 3 ) ? substr( $bytes, 3 ) : $bytes;
		if ( false === strpos( $text, "\n" ) ) {
			// Lines ended by CR alone (old Mac spreadsheets): PHP's reader splits lines at LF only.
			$text = str_replace( "\r", "\n", $text );
		}
		$delimiter = self::delimiter( $text );
		$stream    = fopen( 'php://temp', 'r+' );
		fwrite( $stream, $text );
		rewind( $stream );
		$seen  = 0;
		$lines = 1;
		// Each record with the line it starts on: LFs before its first byte, quoted ones included.
		$next = function () use ( $stream, $text, $delimiter, &$seen, &$lines ) {
			$at = ftell( $stream );
			$r  = fgetcsv( $stream, null, $delimiter, '"', '' );
			if ( false === $r ) {
				return null;
			}
			$lines += substr_count( $text, "\n", $seen, $at - $seen );
			$seen   = $at;
			return array( $lines, array_map( fn( $c ) => (string) $c, $r ) );
		};
		try {
			do {
				$header = $next();
			} while ( null !== $header && array( '' ) === $header[1] );
			$names   = null === $header ? array() : array_map( array( __CLASS__, 'column_name' ), $header[1] );
			$columns = array();
			$ignored = array();
			foreach ( $names as $i => $name ) {
				$field = self::field_of( $name, $id_column );
				if ( null !== $field ) {
					if ( isset( $columns[ $field ] ) ) {
						throw self::invalid_csv( sprintf( 'the column %s is named twice', $field ) );
					}
					$columns[ $field ] = $i;
				} elseif ( '' !== $name ) {
					$ignored[] = $name;
				}
			}
			// A username stands in for a missing name even when it is also the column of link names.
			$username = array_search( 'username', $names, true );
			if ( false !== $username && ! isset( $columns['username'] ) ) {
				$columns['username'] = $username;
			}
			if ( ! isset( $columns['id'] ) ) {
				throw self::invalid_csv( sprintf( "the first row must name the columns, with an %s column: the name in each affiliate's links", $id_column ) );
			}
			if ( ! isset( $columns['name'] ) && ! isset( $columns['username'] ) ) {
				throw self::invalid_csv( 'the first row must name the columns, with a name column' );
			}
			$rows = array();
			while ( null !== ( $record = $next() ) ) {
				list( $line, $cells ) = $record;
				if ( array() === array_filter( $cells, fn( $c ) => null !== self::clean( $c ) ) ) {
					continue;
				}
				if ( count( $rows ) === self::MAX_ROWS ) {
					throw self::invalid_csv( sprintf( 'at most %d affiliates per file', self::MAX_ROWS ) );
				}
				$get = fn( $name ) => isset( $columns[ $name ], $cells[ $columns[ $name ] ] ) ? self::clean( $cells[ $columns[ $name ] ] ) : null;
				$row = array(
					'line'  => $line,
					'id'    => (string) $get( 'id' ),
					'body'  => null,
					'error' => null,
				);
				try {
					if ( count( $cells ) !== count( $names ) ) {
						throw self::invalid_csv( sprintf( 'the row has %d cells and the header %d', count( $cells ), count( $names ) ) );
					}
					$row['body'] = self::body( $get, $currency );
				} catch ( Reftrail_Http_Error $e ) {
					$row['error'] = $e;
				}
				$rows[] = $row;
			}
		} finally {
			fclose( $stream );
		}
		if ( ! $rows ) {
			throw self::invalid_csv( 'the file has no affiliates' );
		}
		return array(
			'rows'            => $rows,
			'ignored_columns' => $ignored,
		);
	}

	/**
	 * The body of `POST /v1/affiliates` that a row's cells stand for, after the checks of the
	 * cells only a file has: `sale_rate` or `commission`, `withholding_exempt`, `payout_*`.
	 *
	 * @param callable $get      A field's cleaned cell (clean()), null when empty or absent.
	 * @param string   $currency The currency of a flat rate.
	 * @return array
	 * @throws Reftrail_Http_Error 400 invalid_commission, invalid_sale_rate,
	 *                             invalid_withholding_exempt or invalid_payout.
	 */
	private static function body( callable $get, $currency ) {
		$rate       = $get( 'sale_rate' );
		$json       = $get( 'commission' );
		$commission = null;
		if ( null !== $rate && null !== $json ) {
			throw Reftrail_Http_Error::bad( 'invalid_commission', 'give sale_rate or commission, not both' );
		}
		if ( null !== $rate ) {
			$commission = array( 'sale' => self::sale_rate( $rate, $get( 'rate_type' ), $currency ) );
		} elseif ( null !== $json ) {
			$commission = self::commission_json( $json );
		}
		$exempt = $get( 'withholding_exempt' );
		if ( null !== $exempt ) {
			$v = strtolower( $exempt );
			if ( ! in_array( $v, array( 'true', 'yes', '1', 'false', 'no', '0' ), true ) ) {
				throw Reftrail_Http_Error::bad( 'invalid_withholding_exempt', 'withholding_exempt must be true or false' );
			}
			$exempt = in_array( $v, array( 'true', 'yes', '1' ), true );
		}
		$payout = null;
		$method = $get( 'payout_method' );
		if ( null !== $method ) {
			$payout = array(
				'method'  => $method,
				'bank'    => $get( 'payout_bank' ),
				'account' => (string) $get( 'payout_account' ),
				'name'    => $get( 'payout_name' ),
			);
		} elseif ( null !== $get( 'payout_bank' ) || null !== $get( 'payout_account' ) || null !== $get( 'payout_name' ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_payout', 'payout_bank, payout_account and payout_name need payout_method' );
		}
		// AffiliateWP's statuses: `active`, `inactive` and `rejected`.
		$status = $get( 'status' );
		if ( null !== $status ) {
			$status = mb_strtolower( $status, 'UTF-8' );
			$status = array(
				'active'   => 'approved',
				'inactive' => 'suspended',
				'rejected' => 'suspended',
			)[ $status ] ?? $status;
		}
		$category = $get( 'category' );
		$coupons  = $get( 'coupons' );
		$b        = array(
			'id'                 => (string) $get( 'id' ),
			// A user without a display name in another tool is known by their username.
			'name'               => (string) ( $get( 'name' ) ?? $get( 'username' ) ),
			'email'              => $get( 'email' ),
			'payout_email'       => $get( 'payout_email' ),
			'payout'             => $payout,
			'withholding_exempt' => $exempt,
			'tax_id'             => $get( 'tax_id' ),
			'payee_type'         => $get( 'payee_type' ),
			'address'            => $get( 'address' ),
			'category'           => null === $category ? null : mb_strtolower( $category, 'UTF-8' ),
			'status'             => $status,
			'commission'         => $commission,
			'coupons'            => null === $coupons ? null : preg_split( '/[ \t,;]+/', $coupons, -1, PREG_SPLIT_NO_EMPTY ),
			'recruiter'          => $get( 'recruiter' ),
		);
		return array_filter( $b, fn( $v ) => null !== $v );
	}

	/**
	 * A sale rate cell: a percent, or with AffiliateWP's `rate_type` of `flat`, an amount per
	 * sale in `$currency`.
	 *
	 * @param string      $rate      The cell.
	 * @param string|null $rate_type The `rate_type` cell.
	 * @param string      $currency  The currency of a flat rate.
	 * @return array The `sale` rate.
	 * @throws Reftrail_Http_Error 400 invalid_sale_rate.
	 */
	private static function sale_rate( $rate, $rate_type, $currency ) {
		$kind = null === $rate_type ? null : mb_strtolower( $rate_type, 'UTF-8' );
		if ( null === $kind || 'percentage' === $kind || 'percent' === $kind ) {
			$bps = self::parse_percent( $rate );
			if ( null === $bps ) {
				throw Reftrail_Http_Error::bad( 'invalid_sale_rate', 'sale_rate must be a percent from 0 to 100 with at most two decimals' );
			}
			return array(
				'type'     => 'percent',
				'rate_bps' => $bps,
			);
		}
		if ( 'flat' !== $kind ) {
			throw Reftrail_Http_Error::bad( 'invalid_sale_rate', 'rate_type must be percentage or flat' );
		}
		$exponent = Reftrail_Input::exponent( $currency );
		$amount   = self::parse_decimal( $rate, $exponent );
		if ( null === $amount ) {
			throw Reftrail_Http_Error::bad( 'invalid_sale_rate', sprintf( 'a flat rate must be an amount in %s with at most %d decimals', $currency, $exponent ) );
		}
		return array(
			'type'    => 'flat',
			'amounts' => array( $currency => $amount ),
		);
	}

	/**
	 * The overrides of a `commission` cell: a JSON object of the shape `POST /v1/affiliates`
	 * takes (its values are checked with the rest of the body).
	 *
	 * @param string $json Cell.
	 * @return array
	 * @throws Reftrail_Http_Error 400 invalid_commission.
	 */
	private static function commission_json( $json ) {
		$c = json_decode( $json, true, 32 );
		if ( JSON_ERROR_NONE !== json_last_error() ) {
			throw Reftrail_Http_Error::bad( 'invalid_commission', 'commission: ' . json_last_error_msg() );
		}
		// An empty array passes as the empty object, as in a JSON body (Reftrail_Input::types()).
		if ( ! is_array( $c ) || ( $c && array_is_list( $c ) ) ) {
			throw Reftrail_Http_Error::bad( 'invalid_commission', 'commission must be a JSON object' );
		}
		try {
			Reftrail_Rules_Shape::affiliate( $c );
		} catch ( Reftrail_Http_Error $e ) {
			throw Reftrail_Http_Error::bad( 'invalid_commission', $e->getMessage() );
		}
		return $c;
	}

	/**
	 * What importing the rows of read() does to a program with the affiliates `$existing` and
	 * the coupons `$coupon_owners`: each row checked as `POST /v1/affiliates` checks a body,
	 * against the program and against the file's other rows. Ids are told apart as the tables
	 * tell them (whatever their case: `ALICE` is `alice`); a recruiter is named byte for byte,
	 * as Reftrail_Recruiters names them.
	 *
	 * @param array[]  $rows          read()'s rows.
	 * @param string[] $existing      The program's affiliate ids.
	 * @param array    $coupon_owners Code (upper-cased) => the affiliate whose coupon it is.
	 * @return array[] Per row: `line`, `id`, `result` (created, exists or invalid), and `error`
	 *                 (invalid) or `body`, `codes`, `payout` (created: as check_new() answers).
	 */
	public static function plan( array $rows, array $existing, array $coupon_owners ) {
		$known = array();
		$taken = array();
		foreach ( $existing as $id ) {
			$known[ (string) $id ]               = true;
			$taken[ strtolower( (string) $id ) ] = true;
		}
		$id_lines     = array();
		$new_ids      = array();
		$coupon_lines = array();
		$planned      = array();
		foreach ( $rows as $r ) {
			$p = array(
				'line' => $r['line'],
				'id'   => $r['id'],
			);
			try {
				if ( null !== $r['error'] ) {
					throw $r['error'];
				}
				if ( ! Reftrail_Cookie::is_id( $r['id'] ) ) {
					throw Reftrail_Http_Error::bad( 'invalid_affiliate', "id must be 1 to 64 letters, digits, '-', '_' or '.'" );
				}
				$key = strtolower( $r['id'] );
				if ( isset( $taken[ $key ] ) ) {
					$p['result'] = 'exists';
					$planned[]   = $p;
					continue;
				}
				if ( isset( $id_lines[ $key ] ) ) {
					throw Reftrail_Http_Error::bad( 'duplicate_row', sprintf( 'line %d has this id too', $id_lines[ $key ] ) );
				}
				$id_lines[ $key ]       = $r['line'];
				$new_ids[ $r['id'] ]    = true;
				list( $codes, $payout ) = Reftrail_Affiliates::check_new( $r['body'] );
				foreach ( $codes as $code ) {
					if ( isset( $coupon_owners[ $code ] ) ) {
						throw new Reftrail_Http_Error( 409, 'coupon_taken', sprintf( 'coupon %s belongs to another affiliate', $code ) );
					}
					if ( isset( $coupon_lines[ $code ] ) ) {
						throw new Reftrail_Http_Error( 409, 'coupon_taken', sprintf( 'coupon %s is on line %d too', $code, $coupon_lines[ $code ] ) );
					}
				}
				foreach ( $codes as $code ) {
					$coupon_lines[ $code ] = $r['line'];
				}
				$p += array(
					'result' => 'created',
					'body'   => $r['body'],
					'codes'  => $codes,
					'payout' => $payout,
				);
			} catch ( Reftrail_Http_Error $e ) {
				$p['result'] = 'invalid';
				$p['error']  = $e;
			}
			$planned[] = $p;
		}
		return self::check_recruiters( $planned, $known, $new_ids );
	}

	/**
	 * Each new row's recruiter must be an affiliate of the program or a new row of the file, and
	 * no chain of recruiters among the new rows may come back to where it started (an existing
	 * affiliate's chain never reaches a new one, so loops can only be among new rows).
	 *
	 * @param array[] $planned  plan()'s rows.
	 * @param array   $existing The program's ids, as keys.
	 * @param array   $new_ids  The new rows' ids, as keys.
	 * @return array[]
	 */
	private static function check_recruiters( array $planned, array $existing, array $new_ids ) {
		$recruiter_of = array();
		foreach ( $planned as $p ) {
			if ( 'created' === $p['result'] && isset( $p['body']['recruiter'] ) ) {
				$recruiter_of[ $p['id'] ] = $p['body']['recruiter'];
			}
		}
		$in_loop = self::loops( $recruiter_of );
		foreach ( $planned as $i => $p ) {
			if ( 'created' !== $p['result'] || ! isset( $p['body']['recruiter'] ) ) {
				continue;
			}
			$r       = $p['body']['recruiter'];
			$message = null;
			if ( ! isset( $existing[ $r ] ) && ! isset( $new_ids[ $r ] ) ) {
				$message = 'no affiliate has this id, in the program or in the file';
			} elseif ( isset( $in_loop[ $p['id'] ] ) ) {
				$message = 'an affiliate cannot be recruited by themselves or by someone they recruited';
			}
			if ( null !== $message ) {
				$planned[ $i ] = array(
					'line'   => $p['line'],
					'id'     => $p['id'],
					'result' => 'invalid',
					'error'  => new Reftrail_Http_Error( 422, 'invalid_recruiter', $message ),
				);
			}
		}
		return $planned;
	}

	/**
	 * The ids on a loop of `$recruiter_of` (id => its recruiter), each edge followed once.
	 *
	 * @param array $recruiter_of Id => recruiter.
	 * @return array The ids on a loop, as keys.
	 */
	private static function loops( array $recruiter_of ) {
		$done    = array();
		$on_loop = array();
		foreach ( array_keys( $recruiter_of ) as $start ) {
			$path  = array();
			$index = array();
			$at    = (string) $start;
			while ( ! isset( $done[ $at ] ) ) {
				if ( isset( $index[ $at ] ) ) {
					foreach ( array_slice( $path, $index[ $at ] ) as $id ) {
						$on_loop[ $id ] = true;
					}
					break;
				}
				$index[ $at ] = count( $path );
				$path[]       = $at;
				if ( ! isset( $recruiter_of[ $at ] ) ) {
					break;
				}
				$at = (string) $recruiter_of[ $at ];
			}
			foreach ( $path as $id ) {
				$done[ $id ] = true;
			}
		}
		return $on_loop;
	}

	/**
	 * Imports a file (`POST /v1/affiliates.csv`): with `$dry_run`, answers what importing it would
	 * do and writes nothing; otherwise refuses it whole when a row is invalid, else creates every
	 * new row in one transaction (import_rows()).
	 *
	 * @param string $bytes     The file.
	 * @param bool   $dry_run   Whether to write nothing.
	 * @param string $by        Who imports it, as the activity log names them.
	 * @param string $id_column The column of link names, as column_name() writes it.
	 * @param bool   $welcome   Whether to email the new affiliates (WordPress always sends email).
	 * @return array The answer: `dry_run`, `created`, `existing`, `invalid`, `emailed`,
	 *               `ignored_columns`, `rows` (`line`, `id`, `result`, and `error` on invalid rows).
	 * @throws Reftrail_Http_Error 400 invalid_csv or invalid_import, 409, 503.
	 */
	public static function import( $bytes, $dry_run, $by, $id_column = 'id', $welcome = false ) {
		$sheet = self::read( $bytes, $id_column );
		return self::import_rows( $sheet['rows'], $sheet['ignored_columns'], $dry_run, $by, $welcome );
	}

	/**
	 * Imports rows as read() or row_of() answers them, from a file or from another tool's tables
	 * (Reftrail_AffiliateWP): with `$dry_run`, answers what importing them would do and writes
	 * nothing; otherwise refuses them all when a row is invalid, else creates every new row in one
	 * transaction, each with its `affiliate.created` entry by `$by` (no portal token) and, with
	 * `$welcome`, the email telling the approved ones with an address that their account has
	 * moved here (queued in that transaction, sent once it committed). The program is read in
	 * that transaction, under the recruiters' lock, so that the rows are checked against it as it
	 * is written.
	 *
	 * @param array[]       $rows            The rows.
	 * @param string[]      $ignored_columns Columns not read, for the answer.
	 * @param bool          $dry_run         Whether to write nothing.
	 * @param string        $by              Who imports them, as the activity log names them.
	 * @param bool          $welcome         Whether to email the new affiliates.
	 * @param callable|null $then            More to write in the same transaction, after the
	 *                                       affiliates (not in a dry run).
	 * @param string        $line_name       What a row's `line` is, in the refusal's message.
	 * @return array The answer, as import() answers it.
	 * @throws Reftrail_Http_Error 400 invalid_import, 409, 503, or what `$then` throws.
	 */
	public static function import_rows( array $rows, array $ignored_columns, $dry_run, $by, $welcome = false, ?callable $then = null, $line_name = 'line' ) {
		$run = function () use ( $rows, $ignored_columns, $dry_run, $by, $welcome, $then, $line_name ) {
			$planned = self::plan( $rows, self::ids(), self::coupon_owners( $rows ) );
			if ( ! $dry_run ) {
				self::refuse_invalid( $planned, $line_name );
				foreach ( $planned as $p ) {
					if ( 'created' === $p['result'] ) {
						Reftrail_Affiliates::insert_new( $p['body'], $p['codes'], $p['payout'], $by );
						if ( $welcome && self::welcomed( $p['body'] ) ) {
							Reftrail_Affiliate_Mail::affiliate_imported( $p['body']['id'] );
						}
					}
				}
				if ( null !== $then ) {
					$then();
				}
			}
			return self::answer( (bool) $dry_run, (bool) $welcome, $ignored_columns, $planned );
		};
		if ( $dry_run ) {
			return Reftrail_Db::transaction( $run );
		}
		return Reftrail_Db::locked( Reftrail_Recruiters::LOCK, fn() => Reftrail_Db::transaction( $run ) );
	}

	/**
	 * A row as read() answers it, made of another tool's fields instead of a file's cells
	 * (Reftrail_AffiliateWP): each field named as the column that fills it (`name`, `username`,
	 * `email`, `payout_email`, `status`, `sale_rate`, `rate_type`, ...), read and checked as that
	 * cell would be, trimmed, empty as not given; the coupon codes as they are, each one code
	 * (another tool's codes may hold the separators a cell's codes are split at).
	 *
	 * @param int         $line     The row's `line` in the answer.
	 * @param array       $fields   Field => text or null.
	 * @param string[]    $coupons  Coupon codes.
	 * @param string|null $currency What a flat rate is an amount in; null: the program's currency.
	 * @return array
	 */
	public static function row_of( $line, array $fields, array $coupons = array(), $currency = null ) {
		$get = function ( $name ) use ( $fields ) {
			$v = isset( $fields[ $name ] ) ? trim( (string) $fields[ $name ], " \t" ) : '';
			return '' === $v ? null : $v;
		};
		$row = array(
			'line'  => $line,
			'id'    => (string) $get( 'id' ),
			'body'  => null,
			'error' => null,
		);
		try {
			$row['body'] = self::body( $get, $currency ?? Reftrail_Program::get()['currency'] );
			if ( $coupons ) {
				$row['body']['coupons'] = array_values( $coupons );
			}
		} catch ( Reftrail_Http_Error $e ) {
			$row['error'] = $e;
		}
		return $row;
	}

	/**
	 * The program's affiliate ids, read in the caller's transaction.
	 *
	 * @return string[]
	 */
	private static function ids() {
		global $wpdb;
		$t = Reftrail_Db::table( 'affiliates' );
		return $wpdb->get_col( "SELECT id FROM {$t}" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours; nothing else.
	}

	/**
	 * The owners of the program's coupons among the rows' codes (upper-cased, as check_new()
	 * keeps them), read in the caller's transaction. A code counts as taken when the table holds
	 * one it takes for the same (its collation ignores accents: `GIẢM10` is `GIAM10`), as the
	 * write's own check does.
	 *
	 * @param array[] $rows read()'s rows.
	 * @return array Code => affiliate id.
	 */
	private static function coupon_owners( array $rows ) {
		global $wpdb;
		$t      = Reftrail_Db::table( 'coupons' );
		$wanted = array();
		foreach ( $rows as $r ) {
			foreach ( $r['body']['coupons'] ?? array() as $code ) {
				$wanted[ mb_strtoupper( $code ) ] = true;
			}
		}
		$owners = array();
		foreach ( array_chunk( array_map( 'strval', array_keys( $wanted ) ), 500 ) as $page ) {
			$in    = implode( ',', array_fill( 0, count( $page ), '%s' ) );
			$found = $wpdb->get_results( $wpdb->prepare( "SELECT code, affiliate_id FROM {$t} WHERE code IN ({$in})", $page ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.PreparedSQL.NotPrepared -- the table name and the placeholders are ours; every value is bound.
			$alike = false;
			foreach ( $found as $f ) {
				if ( isset( $wanted[ $f['code'] ] ) ) {
					$owners[ $f['code'] ] = $f['affiliate_id'];
				} else {
					$alike = true;
				}
			}
			if ( ! $alike ) {
				continue;
			}
			// A stored code equal to one of the page's without being it: which one, code by code.
			foreach ( $page as $code ) {
				if ( ! isset( $owners[ $code ] ) ) {
					$owner = $wpdb->get_var( $wpdb->prepare( "SELECT affiliate_id FROM {$t} WHERE code = %s", $code ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is ours.
					if ( null !== $owner ) {
						$owners[ $code ] = $owner;
					}
				}
			}
		}
		return $owners;
	}

	/**
	 * Refuses the import when a row is invalid, naming the first.
	 *
	 * @param array[] $planned   plan()'s rows.
	 * @param string  $line_name What a row's `line` is.
	 * @throws Reftrail_Http_Error 400 invalid_import.
	 */
	private static function refuse_invalid( array $planned, $line_name = 'line' ) {
		$invalid = array_values( array_filter( $planned, fn( $p ) => 'invalid' === $p['result'] ) );
		if ( ! $invalid ) {
			return;
		}
		$first = $invalid[0];
		throw Reftrail_Http_Error::bad(
			'invalid_import',
			sprintf(
				'%s %d (%s): %s: %s; %d of %d rows are invalid, so nothing was imported',
				$line_name,
				$first['line'],
				'' === $first['id'] ? 'no id' : $first['id'],
				$first['error']->error_code,
				$first['error']->getMessage(),
				count( $invalid ),
				count( $planned )
			)
		);
	}

	/**
	 * Whether a new affiliate is told of their account when the merchant asks: approved (the
	 * others are not in the program yet) and with an email to write to.
	 *
	 * @param array $body The row's body.
	 * @return bool
	 */
	private static function welcomed( array $body ) {
		return isset( $body['email'] ) && 'approved' === ( $body['status'] ?? 'approved' );
	}

	/**
	 * The answer of an import.
	 *
	 * @param bool     $dry_run         Whether nothing was written.
	 * @param bool     $welcome         Whether the new affiliates are emailed.
	 * @param string[] $ignored_columns Columns not read.
	 * @param array[]  $planned         plan()'s rows.
	 * @return array
	 */
	private static function answer( $dry_run, $welcome, array $ignored_columns, array $planned ) {
		$a = array(
			'dry_run'         => $dry_run,
			'created'         => 0,
			'existing'        => 0,
			'invalid'         => 0,
			'emailed'         => 0,
			'ignored_columns' => $ignored_columns,
			'rows'            => array(),
		);
		foreach ( $planned as $p ) {
			$row = array(
				'line'   => $p['line'],
				'id'     => $p['id'],
				'result' => $p['result'],
			);
			if ( 'invalid' === $p['result'] ) {
				$row['error'] = array(
					'code'    => $p['error']->error_code,
					'message' => $p['error']->getMessage(),
				);
				++$a['invalid'];
			} elseif ( 'exists' === $p['result'] ) {
				++$a['existing'];
			} else {
				++$a['created'];
				$a['emailed'] += $welcome && self::welcomed( $p['body'] ) ? 1 : 0;
			}
			$a['rows'][] = $row;
		}
		return $a;
	}
}
