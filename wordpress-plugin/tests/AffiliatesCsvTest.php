<?php
/**
 * Affiliates as CSV (`GET /v1/affiliates.csv`, `POST /v1/affiliates.csv`), as the server's
 * `affiliate_csv` reads and writes them: the delimiter from the header line, each row's line as
 * an editor numbers it, cells as a spreadsheet writes them, AffiliateWP's export as it is; every
 * row checked as `POST /v1/affiliates` checks a body, against the program and the file's other
 * rows; a dry run or a file with an invalid row writes nothing, a valid one is written whole, its
 * new affiliates told by email when the merchant asks; the export in the import's columns, its
 * free text guarded against formulas.
 *
 * @package Reftrail
 */

/**
 * Affiliates CSV tests.
 */
class AffiliatesCsvTest extends Reftrail_Test_Case {

	/** @var array[] The messages wp_mail() was given: `to`, `subject`, `message`, `headers`. */
	private $mails = array();

	protected function setUp(): void {
		parent::setUp();
		add_filter( 'pre_wp_mail', array( $this, 'catch_mail' ), 10, 2 );
	}

	protected function tearDown(): void {
		remove_filter( 'pre_wp_mail', array( $this, 'catch_mail' ), 10 );
		remove_all_filters( 'reftrail_portal_url' );
		remove_action( 'shutdown', array( 'Reftrail_Affiliate_Mail', 'ask_for_a_run' ) );
		parent::tearDown();
	}

	/**
	 * The `pre_wp_mail` filter: keeps the message instead of sending it.
	 *
	 * @param null|bool $pre  Null.
	 * @param array     $atts wp_mail()'s arguments.
	 * @return bool
	 */
	public function catch_mail( $pre, $atts ) {
		$this->mails[] = $atts;
		return true;
	}

	/**
	 * The mail outbox's events and affiliates, in the order queued.
	 *
	 * @return array[]
	 */
	private static function outbox() {
		global $wpdb;
		return $wpdb->get_results( 'SELECT event, affiliate_id FROM ' . Reftrail_Db::table( 'mail_outbox' ) . ' ORDER BY at, BINARY id', ARRAY_N ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
	}

	/**
	 * Posts `$file` to the import with the secret key (or `$headers`); returns [status, body].
	 *
	 * @param string     $file    The CSV file.
	 * @param string     $query   Query, with its `?`.
	 * @param array|null $headers Headers instead of the secret key's.
	 * @return array
	 */
	private function import( $file, $query = '', $headers = null ) {
		list( $s, $d ) = $this->rest( 'POST', '/v1/affiliates.csv' . $query, $file, array_merge( $headers ?? $this->sk(), array( 'content-type' => 'text/csv' ) ) );
		return array( $s, $d );
	}

	/**
	 * A dry run of `$file`, which must answer 200; returns the answer.
	 *
	 * @param string $file The CSV file.
	 * @return array
	 */
	private function dry_run( $file ) {
		list( $s, $d ) = $this->import( $file, '?dry_run=true' );
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
		$this->assertTrue( $d['dry_run'] );
		return $d;
	}

	/**
	 * Each row of an answer as `line result` (`line code` for an invalid one).
	 *
	 * @param array $answer The import's answer.
	 * @return string[]
	 */
	private static function outcomes( array $answer ) {
		return array_map( fn( $r ) => $r['line'] . ' ' . ( 'invalid' === $r['result'] ? $r['error']['code'] : $r['result'] ), $answer['rows'] );
	}

	/**
	 * How many rows the plugin's tables hold: affiliates, coupons, activity entries.
	 *
	 * @return int[]
	 */
	private static function stored() {
		global $wpdb;
		return array_map(
			fn( $t ) => (int) $wpdb->get_var( 'SELECT COUNT(*) FROM ' . Reftrail_Db::table( $t ) ), // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
			array( 'affiliates', 'coupons', 'activity' )
		);
	}

	/**
	 * The export with `$query`, which must answer 200 as a CSV download: its rows by id, each by
	 * column name.
	 *
	 * @param string $query Query, with its `?`.
	 * @return array
	 */
	private function export( $query = '' ) {
		list( $s, $text, $h ) = $this->rest( 'GET', '/v1/affiliates.csv' . $query, null, $this->sk() );
		$this->assertSame( 200, $s, wp_json_encode( $text ) );
		$this->assertSame( 'text/csv; charset=utf-8', $h['Content-Type'] );
		$this->assertSame( 'attachment; filename="affiliates.csv"', $h['Content-Disposition'] );
		$stream = fopen( 'php://temp', 'r+' );
		fwrite( $stream, $text );
		rewind( $stream );
		$this->assertSame( Reftrail_Affiliates_Csv::COLUMNS, fgetcsv( $stream, null, ',', '"', '' ) );
		$rows = array();
		while ( false !== ( $r = fgetcsv( $stream, null, ',', '"', '' ) ) ) {
			$rows[ $r[0] ] = array_combine( Reftrail_Affiliates_Csv::COLUMNS, $r );
		}
		fclose( $stream );
		return $rows;
	}

	public function test_the_delimiter_comes_from_the_header_line() {
		$this->assertSame( ',', Reftrail_Affiliates_Csv::delimiter( "id,name\nminh;Minh\n" ) );
		$this->assertSame( ';', Reftrail_Affiliates_Csv::delimiter( "id;name\nminh,Minh\n" ) );
		$this->assertSame( "\t", Reftrail_Affiliates_Csv::delimiter( "id\tname\nminh;x,y\n" ) );
		$this->assertSame( ',', Reftrail_Affiliates_Csv::delimiter( "id;name,email\n" ), 'a comma first, wherever it is' );
		$this->assertSame( ';', Reftrail_Affiliates_Csv::delimiter( "id;name\tx\n" ), 'a semicolon before a tab' );
		$this->assertSame( ',', Reftrail_Affiliates_Csv::delimiter( "id\n" ), 'one column' );
		$this->assertSame( ',', Reftrail_Affiliates_Csv::delimiter( '' ) );
		// As Excel saves it with Vietnamese or Thai settings: `;` between cells, a decimal comma.
		foreach ( array( "id;name;sale_rate\nminh;Minh;12,5\n", "id\tname\tsale_rate\nminh\tMinh\t12,5\n" ) as $file ) {
			$rows = Reftrail_Affiliates_Csv::read( $file )['rows'];
			$this->assertSame( 'Minh', $rows[0]['body']['name'] );
			$this->assertSame(
				array(
					'sale' => array(
						'type'     => 'percent',
						'rate_bps' => 1250,
					),
				),
				$rows[0]['body']['commission']
			);
		}
	}

	public function test_lines_count_as_an_editor_numbers_them() {
		// CRLF, empty lines, a quoted cell over three lines: a row is on the line where it starts.
		$rows = Reftrail_Affiliates_Csv::read( "id,name\r\na,A\r\n\r\n\r\nb,\"B\nB\n\"\nc,C\n\nd,D" )['rows'];
		$this->assertSame( array( '2 a', '5 b', '8 c', '10 d' ), array_map( fn( $r ) => $r['line'] . ' ' . $r['id'], $rows ) );
		$this->assertSame( "B\nB\n", $rows[1]['body']['name'] );
		// Empty lines before the header count too; so do lines ended by CR alone.
		$rows = Reftrail_Affiliates_Csv::read( "\n\nid,name\n\nx,X\n" )['rows'];
		$this->assertSame( array( 5 ), array_column( $rows, 'line' ) );
		$rows = Reftrail_Affiliates_Csv::read( "id,name\rx,X\ry,Y\r" )['rows'];
		$this->assertSame( array( 2, 3 ), array_column( $rows, 'line' ) );
		// Through the route, with rows whose cells are all empty left out.
		$d = $this->dry_run( "id,name\n\nminh,Minh\n,\n \t, \nlan,\"Lan\nTran\"\nthu,Thu\n" );
		$this->assertSame( array( '3 created', '6 invalid_name', '8 created' ), self::outcomes( $d ) );
	}

	public function test_cells_are_read_as_a_spreadsheet_writes_them() {
		$sheet = Reftrail_Affiliates_Csv::read(
			"\xEF\xBB\xBFID, Name ,Email,coupons,sale_rate,withholding_exempt,earnings,Created_At,\n" .
			"minh, Minh Nguyen ,minh@example.com,\"MINH10, tet;  minh5\",\"12,5\",Yes,123,2026-01-01T00:00:00Z,\n" .
			"\n" .
			",,,,,,,,\n" .
			"\"lan\",\"Lan\",'=x@example.com,,,,,,\n"
		);
		$this->assertSame( array( 'earnings' ), $sheet['ignored_columns'], 'created_at is known; a nameless column is neither' );
		$this->assertCount( 2, $sheet['rows'] );
		$minh = $sheet['rows'][0]['body'];
		$this->assertSame( array( 2, 'Minh Nguyen' ), array( $sheet['rows'][0]['line'], $minh['name'] ) );
		$this->assertSame( array( 'MINH10', 'tet', 'minh5' ), $minh['coupons'] );
		$this->assertSame( 1250, $minh['commission']['sale']['rate_bps'] );
		$this->assertTrue( $minh['withholding_exempt'] );
		$lan = $sheet['rows'][1]['body'];
		$this->assertSame( array( 5, '=x@example.com' ), array( $sheet['rows'][1]['line'], $lan['email'] ), "the export's ' is taken off" );
		$this->assertArrayNotHasKey( 'status', $lan, 'an empty cell is a field not given' );
		$this->assertSame( array( null, 'x', "'x", "\t=y", '-1' ), array_map( array( 'Reftrail_Affiliates_Csv', 'clean' ), array( " \t ", ' x ', "'x", "'\t=y", "'-1" ) ) );
	}

	public function test_percents_both_ways() {
		foreach ( array(
			0     => '0',
			5     => '0.05',
			50    => '0.5',
			1000  => '10',
			1250  => '12.5',
			1234  => '12.34',
			10000 => '100',
		) as $bps => $text ) {
			$this->assertSame( $text, Reftrail_Affiliates_Csv::percent_text( $bps ) );
			$this->assertSame( $bps, Reftrail_Affiliates_Csv::parse_percent( $text ), $text );
		}
		$this->assertSame( 1250, Reftrail_Affiliates_Csv::parse_percent( '12,5' ) );
		$this->assertSame( 700, Reftrail_Affiliates_Csv::parse_percent( '007' ) );
		$this->assertSame( 1000, Reftrail_Affiliates_Csv::parse_percent( '0000010' ) );
		foreach ( array( '', '.5', '12.', '12.345', '100.01', '101', '-1', '1e2', '12 %', '12%', '1.2.3', '½', '1000', '１２' ) as $bad ) {
			$this->assertNull( Reftrail_Affiliates_Csv::parse_percent( $bad ), $bad );
		}
	}

	public function test_decimals_in_units_of_their_last_place() {
		foreach ( array(
			array( '5', 2, 500 ),
			array( '5.5', 2, 550 ),
			array( '5,55', 2, 555 ),
			array( '50000', 0, 50000 ),
			array( '50000.5', 0, null ),
			array( '5.', 2, null ),
			array( '', 2, null ),
			array( '-5', 2, null ),
			array( '1234567890123456', 0, null ),
			array( '123456789012345', 0, 123456789012345 ),
		) as list( $text, $decimals, $units ) ) {
			$this->assertSame( $units, Reftrail_Affiliates_Csv::parse_decimal( $text, $decimals ), $text );
		}
	}

	public function test_column_names_as_other_tools_write_them() {
		$this->assertSame( 'payment_email', Reftrail_Affiliates_Csv::column_name( ' Payment Email ' ) );
		$this->assertSame( 'affiliate_id', Reftrail_Affiliates_Csv::column_name( "Affiliate \t ID" ) );
		$this->assertSame( 'payout_email', Reftrail_Affiliates_Csv::column_name( 'payout-email' ) );
		$this->assertSame( 'id', Reftrail_Affiliates_Csv::column_name( 'ID' ) );
		$this->assertSame( '', Reftrail_Affiliates_Csv::column_name( ' - ' ) );
		// Two columns filling one field: an alias and the field's own name.
		foreach ( array( "id,name,rate,sale_rate\n" => 'sale_rate', "id,name,Payment Email,payout-email\n" => 'payout_email' ) as $file => $field ) {
			list( $s, $d ) = $this->import( $file, '?dry_run=true' );
			$this->assertSame( array( 400, "the column $field is named twice" ), array( $s, $d['error']['message'] ) );
		}
	}

	/**
	 * AffiliateWP's affiliate export (Tools → Export), as it writes it: labels for headers,
	 * every cell quoted, CRLF; the link names in its Username column here.
	 */
	public function test_an_affiliatewp_export_imports_as_it_is() {
		$this->program( array( 'currency' => 'VND' ) );
		$file          = '"Affiliate ID","Email","Name","Payment Email","Username","Rate","Rate Type","Earnings","Referrals","Visits","Conversion Rate","Status","Date Registered"' . "\r\n" .
			'"12","minh@example.com","Minh Nguyen","pay@example.com","minh","12.5","percentage","1000","3","40","7.5","active","2024-01-02 03:04:05"' . "\r\n" .
			'"13","lan@example.com","","","lan","50000","flat","0","0","0","0","inactive","2024-01-02 03:04:05"' . "\r\n" .
			'"14","thu@example.com","Thu","","thu","","","0","0","0","0","pending","2024-01-02 03:04:05"' . "\r\n";
		list( $s, $d ) = $this->import( $file, '?id_column=Username' );
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
		$this->assertSame( array( '2 created', '3 created', '4 created' ), self::outcomes( $d ) );
		$this->assertSame( array( 'affiliate_id', 'earnings', 'referrals', 'visits', 'conversion_rate', 'date_registered' ), $d['ignored_columns'] );
		$minh = $this->show_affiliate( 'minh' );
		$this->assertSame( array( 'Minh Nguyen', 'pay@example.com', 'approved' ), array( $minh['name'], $minh['payout_email'], $minh['status'] ) );
		$this->assertSame(
			array(
				'type'     => 'percent',
				'rate_bps' => 1250,
			),
			$minh['commission']['sale']
		);
		$lan = $this->show_affiliate( 'lan' );
		$this->assertSame( array( 'lan', 'suspended' ), array( $lan['name'], $lan['status'] ), 'a user without a name is known by their username' );
		$this->assertSame(
			array(
				'type'    => 'flat',
				'amounts' => array( 'VND' => 50000 ),
			),
			$lan['commission']['sale']
		);
		$thu = $this->show_affiliate( 'thu' );
		$this->assertSame( array( 'pending', null ), array( $thu['status'], $thu['commission'] ) );

		// Without naming the column, the file has no ids; by its Affiliate ID column, the ids are
		// the numbers.
		list( $s, $d ) = $this->import( $file, '?dry_run=true' );
		$this->assertSame( array( 400, 'invalid_csv', "the first row must name the columns, with an id column: the name in each affiliate's links" ), array( $s, $d['error']['code'], $d['error']['message'] ) );
		list( $s, $d ) = $this->import( $file, '?dry_run=true&id_column=Affiliate%20ID' );
		$this->assertSame( array( '12', '13', '14' ), array_column( $d['rows'], 'id' ) );
		$this->assertNotContains( 'affiliate_id', $d['ignored_columns'] );
		// A USD program's flat rate has cents, at most two; a rate type other tools do not write is
		// refused.
		$this->program( array( 'currency' => 'USD' ) );
		$rows = Reftrail_Affiliates_Csv::read( str_replace( '"50000"', '"5,5"', $file ), 'username' )['rows'];
		$this->assertSame( array( 'USD' => 550 ), $rows[1]['body']['commission']['sale']['amounts'] );
		$rows = Reftrail_Affiliates_Csv::read( str_replace( '"50000"', '"5.555"', $file ), 'username' )['rows'];
		$this->assertSame( array( 'invalid_sale_rate', 'a flat rate must be an amount in USD with at most 2 decimals' ), array( $rows[1]['error']->error_code, $rows[1]['error']->getMessage() ) );
		$rows = Reftrail_Affiliates_Csv::read( str_replace( '"flat"', '"tiered"', $file ), 'username', 'VND' )['rows'];
		$this->assertSame( array( 'invalid_sale_rate', 'rate_type must be percentage or flat' ), array( $rows[1]['error']->error_code, $rows[1]['error']->getMessage() ) );
		foreach ( array( '', '%20-%20', str_repeat( 'x', 65 ) ) as $column ) {
			list( $s, $d ) = $this->import( $file, '?dry_run=true&id_column=' . $column );
			$this->assertSame( array( 400, 'invalid_query' ), array( $s, $d['error']['code'] ), $column );
		}
		// Statuses and categories in any case; a username fills an empty name only.
		$d = $this->dry_run( "id,name,username,status,category\nx,X,xu,ACTIVE,Influencer\ny,,yu,Rejected,\nz,,,weird,\n" );
		$this->assertSame( array( '2 created', '3 created', '4 invalid_name' ), self::outcomes( $d ) );
		$rows = Reftrail_Affiliates_Csv::read( "id,name,username,status,category\nx,X,xu,ACTIVE,Influencer\ny,,yu,Rejected,\n", 'id', 'VND' )['rows'];
		$this->assertSame( array( 'X', 'approved', 'influencer' ), array( $rows[0]['body']['name'], $rows[0]['body']['status'], $rows[0]['body']['category'] ) );
		$this->assertSame( array( 'yu', 'suspended' ), array( $rows[1]['body']['name'], $rows[1]['body']['status'] ) );
		list( $s, $d ) = $this->import( "id,email\nx,x@example.com\n", '?dry_run=true' );
		$this->assertSame( 'the first row must name the columns, with a name column', $d['error']['message'] );
	}

	public function test_imported_affiliates_are_told_their_account_moved_when_the_merchant_asks() {
		$this->program(
			array(
				'name'             => 'Giày Sài Gòn',
				'currency'         => 'VND',
				'locale'           => null,
				// The merchant asks at the import: the program's list of affiliate emails is not asked.
				'affiliate_emails' => array(),
			)
		);
		add_filter( 'reftrail_portal_url', fn() => 'https://t.shop.test/portal/' );
		$this->affiliate( 'alice', array( 'email' => 'alice@aff.test' ) );
		$file = "id,name,email,status\nminh,Minh Nguyễn,minh@aff.test,\nlan,Lan Trần,lan@aff.test,pending\nthu,Thu Phạm,,approved\nalice,alice again,alice@aff.test,\n";
		// Checked first: one would be told (approved, with an email); nothing is queued.
		list( $s, $dry ) = $this->import( $file, '?dry_run=true&welcome=true' );
		$this->assertSame( array( 200, 3, 1 ), array( $s, $dry['created'], $dry['emailed'] ), wp_json_encode( $dry ) );
		$this->assertSame( array(), self::outbox() );
		list( $s, $d ) = $this->import( $file, '?welcome=maybe' );
		$this->assertSame( array( 400, 'invalid_query' ), array( $s, $d['error']['code'] ) );

		list( $s, $done ) = $this->import( $file, '?welcome=true' );
		$this->assertSame( array( 200, 3, 1 ), array( $s, $done['created'], $done['emailed'] ), wp_json_encode( $done ) );
		$this->assertSame( array( 'dry_run', 'created', 'existing', 'invalid', 'emailed', 'ignored_columns', 'rows' ), array_keys( $done ) );
		$this->assertSame( array( array( 'affiliate.imported', 'minh' ) ), self::outbox() );
		$this->assertSame( 1, Reftrail_Affiliate_Mail::send_due() );
		$this->assertCount( 1, $this->mails );
		$this->assertSame( array( 'minh@aff.test', 'Giày Sài Gòn: tài khoản cộng tác viên của bạn đã chuyển sang đây' ), array( $this->mails[0]['to'], $this->mails[0]['subject'] ) );
		$this->assertSame(
			"Xin chào Minh Nguyễn,\n\nGiày Sài Gòn giờ quản lý chương trình cộng tác viên tại đây. Các liên kết của bạn vẫn hoạt động như trước và vẫn ghi nhận hoa hồng cho bạn.\n\nLiên kết và thu nhập của bạn: https://t.shop.test/portal/\nTại đó, hãy yêu cầu liên kết đăng nhập: liên kết sẽ được gửi tới địa chỉ email này.\n\nBạn nhận được email này vì là cộng tác viên của Giày Sài Gòn.\n",
			$this->mails[0]['message']
		);

		// Without asking, an import tells no one.
		list( $s, $quiet ) = $this->import( "id,name,email\nhoa,Hoa,hoa@aff.test\n" );
		$this->assertSame( array( 200, 1, 0 ), array( $s, $quiet['created'], $quiet['emailed'] ) );
		$this->assertCount( 1, self::outbox() );
		// Nor does a file refused whole.
		list( $s ) = $this->import( "id,name,email\nkim,Kim,kim@aff.test\nbad id,X,\n", '?welcome=true' );
		$this->assertSame( 400, $s );
		$this->assertCount( 1, self::outbox() );
	}

	public function test_the_welcome_of_imported_affiliates_in_english_vietnamese_and_thai() {
		$portal = 'https://x.test/portal/';
		$text   = Reftrail_Affiliate_Mail::render( array( 'name' => 'Shoes', 'locale' => 'en' ), 'affiliate.imported', '{"affiliate":"minh"}', 'Minh', $portal );
		$this->assertSame(
			array(
				'subject' => 'Shoes: your affiliate account has moved here',
				'body'    => "Hello Minh,\n\nShoes now runs its affiliate program here. Your links work as before and go on crediting you.\n\nYour links and earnings: https://x.test/portal/\nAsk there for a sign-in link: it is sent to this email address.\n\nYou receive this email as an affiliate of Shoes.\n",
			),
			$text
		);
		$text = Reftrail_Affiliate_Mail::render( array( 'name' => 'ร้าน', 'locale' => 'th' ), 'affiliate.imported', '{"affiliate":"minh"}', 'Somchai', $portal );
		$this->assertSame(
			array(
				'subject' => 'ร้าน: บัญชีพาร์ทเนอร์ของคุณย้ายมาที่นี่แล้ว',
				'body'    => "สวัสดี Somchai,\n\nร้าน ย้ายโปรแกรมพาร์ทเนอร์มาไว้ที่นี่แล้ว ลิงก์ของคุณยังใช้ได้เหมือนเดิมและยังนับค่าคอมมิชชันให้คุณ\n\nลิงก์และรายได้ของคุณ: https://x.test/portal/\nขอลิงก์เข้าสู่ระบบได้ที่นั่น ระบบจะส่งไปยังอีเมลนี้\n\nคุณได้รับอีเมลนี้เนื่องจากเป็นพาร์ทเนอร์ของ ร้าน\n",
			),
			$text
		);
		$this->assertStringStartsWith( 'Xin chào Lan,', Reftrail_Affiliate_Mail::render( array( 'name' => 'Shop', 'locale' => 'vi' ), 'affiliate.imported', '{}', 'Lan', $portal )['body'] );
	}

	public function test_a_dry_run_writes_nothing() {
		$this->affiliate( 'alice', array( 'coupons' => array( 'ALICE' ) ) );
		$before = self::stored();
		$d      = $this->dry_run( "id,name,coupons,recruiter,earnings\nalice,Alice again,,,1\nminh,Minh,MINH10,lan,2\nlan,Lan,,alice,3\n" );
		$this->assertSame( array( '2 exists', '3 created', '4 created' ), self::outcomes( $d ) );
		$this->assertSame( array( 2, 1, 0, array( 'earnings' ) ), array( $d['created'], $d['existing'], $d['invalid'], $d['ignored_columns'] ) );
		$this->assertSame( array( 'line', 'id', 'result' ), array_keys( $d['rows'][1] ), 'error only on invalid rows' );
		$this->assertSame( $before, self::stored() );
		list( $s ) = $this->rest( 'GET', '/v1/affiliates/minh', null, $this->sk() );
		$this->assertSame( 404, $s );
		// dry_run=false is an import; anything but true or false is refused.
		list( $s, $d ) = $this->import( "id,name\nx,X\n", '?dry_run=maybe' );
		$this->assertSame( array( 400, 'invalid_query' ), array( $s, $d['error']['code'] ) );
		list( $s, $d ) = $this->import( "id,name\nx,X\n", '?dry_run=false' );
		$this->assertSame( array( 200, false, 1 ), array( $s, $d['dry_run'], $d['created'] ) );
	}

	public function test_an_import_creates_the_new_rows_as_post_would_and_skips_known_ones() {
		$this->affiliate( 'known', array( 'name' => 'Known before' ) );
		$file          = "\xEF\xBB\xBFID;Name;Email;Coupons;Sale_rate;Recruiter;Category;Payout_method;Payout_account;Payout_name;Withholding_exempt\n" .
			"known;Known renamed;k@example.com;;;;;;;;\n" .
			"minh;Nguyễn Văn Minh;minh@example.com;MINH10, minh10b;12,5;lan;influencer;;;;\n" .
			"lan; Trần Thị Lan ;;;;known;;promptpay;081-234-5678;'-Lan;no\n";
		list( $s, $d ) = $this->import( $file );
		$this->assertSame( 200, $s, wp_json_encode( $d ) );
		$this->assertSame( array( '2 exists', '3 created', '4 created' ), self::outcomes( $d ) );
		$this->assertSame( array( false, 2, 1, 0 ), array( $d['dry_run'], $d['created'], $d['existing'], $d['invalid'] ) );
		$minh = $this->show_affiliate( 'minh' );
		$this->assertSame(
			array( 'Nguyễn Văn Minh', 'minh@example.com', 'influencer', 'approved', 'lan', array( 'MINH10', 'MINH10B' ), 1250, false ),
			array( $minh['name'], $minh['email'], $minh['category'], $minh['status'], $minh['recruiter'], $minh['coupons'], $minh['commission']['sale']['rate_bps'], $minh['withholding_exempt'] )
		);
		$lan = $this->show_affiliate( 'lan' );
		$this->assertSame( array( 'Trần Thị Lan', 'other', 'known', null ), array( $lan['name'], $lan['category'], $lan['recruiter'], $lan['email'] ) );
		$this->assertSame(
			array(
				'method'  => 'promptpay',
				'account' => '0812345678',
				'name'    => '-Lan',
			),
			$lan['payout'],
			'bank details normalized as POST normalizes them'
		);
		$this->assertSame( 'Known before', $this->show_affiliate( 'known' )['name'], 'a known id is left as it is' );
		// One affiliate.created entry each, by the caller; no portal token.
		list( , $log ) = $this->rest( 'GET', '/v1/activity?action=affiliate.created', null, $this->sk() );
		$created       = array_map( fn( $e ) => $e['by'] . ' ' . $e['subject'], $log['activity'] );
		sort( $created );
		$this->assertSame( array( 'secret_key known', 'secret_key lan', 'secret_key minh' ), $created );
		global $wpdb;
		$this->assertSame( array( null, null ), $wpdb->get_col( 'SELECT token_hash FROM ' . Reftrail_Db::table( 'affiliates' ) . " WHERE id IN ('minh', 'lan')" ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		// The same file again changes nothing.
		$before        = self::stored();
		list( $s, $d ) = $this->import( $file );
		$this->assertSame( array( 200, 0, 3 ), array( $s, $d['created'], $d['existing'] ) );
		$this->assertSame( $before, self::stored() );
		// A WordPress user who manages the program imports as themselves.
		wp_set_current_user( $this->user( 'administrator' ) );
		list( $s, $d ) = $this->import( "id,name\nthu,Thu\n", '', array() );
		$this->assertSame( array( 200, 1 ), array( $s, $d['created'] ) );
		list( , $log ) = $this->rest( 'GET', '/v1/activity?action=affiliate.created&affiliate=thu', null, $this->sk() );
		$this->assertStringStartsWith( 'user:administrator_', $log['activity'][0]['by'] );
	}

	public function test_each_row_is_checked_as_post_checks_a_body() {
		$file = "id,name,email,category,sale_rate,commission,withholding_exempt,payout_method,payout_bank,payout_account,coupons\n" .
			"ok,Ok,ok@example.com,content,10,,,,,,\n" .
			",No id,,,,,,,,,\n" .
			"bad id,Bad,,,,,,,,,\n" .
			"noname,,,,,,,,,,\n" .
			"mail,Mail,not-an-email,,,,,,,,\n" .
			"cat,Cat,,blogger,,,,,,,\n" .
			"rate,Rate,,,12.345,,,,,,\n" .
			"both,Both,,,10,\"{\"\"sale\"\":null}\",,,,,\n" .
			"json,Json,,,,{nope,,,,,\n" .
			"exempt,Exempt,,,,,maybe,,,,\n" .
			"bank,Bank,,,,,,,,123,\n" .
			"vietqr,VietQR,,,,,,vietqr,970436,0011001234567,\n" .
			"badqr,BadQR,,,,,,vietqr,12,0011001234567,\n" .
			"short,Short\n" .
			'coupon,Coupon,,,,,,,,,A1 ' . str_repeat( 'C', 65 ) . "\n" .
			"lead,Lead,,,,\"{\"\"lead\"\":{\"\"VND\"\":20000}}\",,,,,\n" .
			"shape,Shape,,,,\"{\"\"extra\"\":1}\",,,,,\n";
		$this->assertSame(
			array( '2 created', '3 invalid_affiliate', '4 invalid_affiliate', '5 invalid_name', '6 invalid_email', '7 invalid_category', '8 invalid_sale_rate', '9 invalid_commission', '10 invalid_commission', '11 invalid_withholding_exempt', '12 invalid_payout', '13 created', '14 invalid_payout_bank', '15 invalid_csv', '16 invalid_coupons', '17 created', '18 invalid_commission' ),
			self::outcomes( $this->dry_run( $file ) )
		);
		// The same codes as POST /v1/affiliates, in the same order.
		list( $s, $d ) = $this->rest( 'POST', '/v1/affiliates', array( 'id' => 'mail', 'name' => 'Mail', 'email' => 'not-an-email' ), $this->sk() );
		$this->assertSame( array( 400, 'invalid_email' ), array( $s, $d['error']['code'] ) );
	}

	public function test_rows_against_the_program_and_each_other() {
		$this->affiliate( 'alice', array( 'coupons' => array( 'ALICE' ) ) );
		$this->affiliate( 'bob', array( 'coupons' => array( 'BOB10', 'GIẢM10' ) ) );
		$d = $this->dry_run( "id,name,coupons\nalice,Alice again,ALICE\nminh,Minh,MINH10 minh5\nminh,Minh twice,\nlan,Lan,minh10\nthu,Thu,bob10\nALICE,Alice in capitals,\nMinh,Minh in capitals,\nhoa,Hoa,giam10\n" );
		$this->assertSame( array( '2 exists', '3 created', '4 duplicate_row', '5 coupon_taken', '6 coupon_taken', '7 exists', '8 duplicate_row', '9 coupon_taken' ), self::outcomes( $d ), 'ids and codes compared as the tables compare them' );
		$this->assertSame( 'line 3 has this id too', $d['rows'][2]['error']['message'] );
		$this->assertSame( 'coupon MINH10 is on line 3 too', $d['rows'][3]['error']['message'] );
		$this->assertSame( 'coupon BOB10 belongs to another affiliate', $d['rows'][4]['error']['message'] );
		$this->assertSame( 'ALICE', $d['rows'][5]['id'], 'the id as given' );
	}

	public function test_recruiters_in_the_program_or_the_file_and_no_loops() {
		$this->affiliate( 'alice' );
		$this->affiliate( 'i' );
		$d = $this->dry_run( "id,name,recruiter\na,A,alice\nb,B,c\nc,C,a\nd,D,nobody\ne,E,f\nf,F,e\ng,G,g\nh,H,e\ni,I,alice\nj,J,Alice\n" );
		$this->assertSame( array( '2 created', '3 created', '4 created', '5 invalid_recruiter', '6 invalid_recruiter', '7 invalid_recruiter', '8 invalid_recruiter', '9 created', '10 exists', '11 invalid_recruiter' ), self::outcomes( $d ) );
		$this->assertSame( 'an affiliate cannot be recruited by themselves or by someone they recruited', $d['rows'][4]['error']['message'] );
		$this->assertSame( 'no affiliate has this id, in the program or in the file', $d['rows'][3]['error']['message'] );
	}

	public function test_a_file_with_an_invalid_row_writes_nothing() {
		$this->affiliate( 'owner', array( 'coupons' => array( 'TAKEN' ) ) );
		$before        = self::stored();
		$file          = "id,name,email,coupons\ngood,Good,good@example.com,GOOD\nbad,Bad mail,not-an-email,\ntaken,Taken,,taken\nlater,Later,,\n";
		list( $s, $d ) = $this->import( $file );
		$this->assertSame( array( 400, 'invalid_import' ), array( $s, $d['error']['code'] ) );
		$this->assertSame( 'line 3 (bad): invalid_email: not an email address; 2 of 4 rows are invalid, so nothing was imported', $d['error']['message'] );
		$this->assertSame( $before, self::stored(), 'nothing written' );
		list( $s, $d ) = $this->import( "id,name\n,No id\n" );
		$this->assertSame( 'line 2 (no id): invalid_affiliate: id must be 1 to 64 letters, digits, \'-\', \'_\' or \'.\'; 1 of 1 rows are invalid, so nothing was imported', $d['error']['message'] );
		// A conflict found only by the write (codes the table takes for the same) undoes the rows
		// written before it.
		list( $s, $d ) = $this->import( "id,name,coupons\nfirst,First,GIẢM20\nsecond,Second,GIAM20\n" );
		$this->assertSame( array( 409, 'coupon_taken' ), array( $s, $d['error']['code'] ) );
		$this->assertSame( $before, self::stored() );
	}

	public function test_unreadable_files_are_refused_whole() {
		foreach ( array(
			"id,name\nminh,Nguy\xe1n\n"        => 'the file is not UTF-8: save it as CSV UTF-8',
			"email,name\nm@example.com,Minh\n" => "the first row must name the columns, with an id column: the name in each affiliate's links",
			"id,email\nminh,m@example.com\n"   => 'the first row must name the columns, with a name column',
			"id,name, Name \nminh,Minh,M\n"    => 'the column name is named twice',
			"id,name\n"                        => 'the file has no affiliates',
			"id,name\n,\n\n \t \n"             => 'the file has no affiliates',
			''                                 => "the first row must name the columns, with an id column: the name in each affiliate's links",
		) as $file => $message ) {
			list( $s, $d ) = $this->import( (string) $file, '?dry_run=true' );
			$this->assertSame( array( 400, 'invalid_csv', $message ), array( $s, $d['error']['code'], $d['error']['message'] ), wp_json_encode( $file ) );
		}
		list( $s, $d ) = $this->import( "id,name\n" . str_repeat( "x,X\n", Reftrail_Affiliates_Csv::MAX_ROWS + 1 ), '?dry_run=true' );
		$this->assertSame( array( 400, 'invalid_csv', 'at most 10000 affiliates per file' ), array( $s, $d['error']['code'], $d['error']['message'] ) );
		$this->assertCount( Reftrail_Affiliates_Csv::MAX_ROWS, Reftrail_Affiliates_Csv::read( "id,name\n" . str_repeat( "x,X\n", Reftrail_Affiliates_Csv::MAX_ROWS ) )['rows'] );
		$huge          = "id,name,address\n" . str_repeat( 'x,X,' . str_repeat( 'a', 1000 ) . "\n", 4300 );
		list( $s, $d ) = $this->import( $huge, '?dry_run=true' );
		$this->assertSame( array( 413, 'payload_too_large' ), array( $s, $d['error']['code'] ) );
		// A body PHP dropped for its size is known by its announced length.
		list( $s, $d ) = $this->import( '', '?dry_run=true', array_merge( $this->sk(), array( 'content-length' => (string) ( Reftrail_Affiliates_Csv::MAX_BYTES + 1 ) ) ) );
		$this->assertSame( array( 413, 'payload_too_large' ), array( $s, $d['error']['code'] ) );
	}

	public function test_the_export_has_every_affiliate_in_the_import_columns() {
		$this->affiliate( 'recruiter' );
		$this->affiliate(
			'a',
			array(
				'email'              => 'a@example.com',
				'category'           => 'influencer',
				'coupons'            => array( 'ZED', 'ALPHA' ),
				'commission'         => array(
					'sale' => array(
						'type'     => 'percent',
						'rate_bps' => 1250,
					),
				),
				'recruiter'          => 'recruiter',
				'payout'             => array(
					'method'  => 'vietqr',
					'bank'    => '970436',
					'account' => '0011001234567',
					'name'    => 'NGUYEN VAN MINH',
				),
				'withholding_exempt' => true,
				'tax_id'             => '8012345678',
				'payee_type'         => 'person',
				'address'            => '12 Lê Lợi, Quận 1, TP. Hồ Chí Minh',
			)
		);
		$lead = array( 'lead' => array( 'VND' => 20000 ) );
		$this->affiliate(
			'B',
			array(
				'commission' => $lead,
				'status'     => 'suspended',
			)
		);
		$rows = $this->export();
		$this->assertSame( array( 'B', 'a', 'recruiter' ), array_keys( $rows ), 'by id, byte order' );
		$a = $rows['a'];
		$this->assertSame(
			array( 'a', 'A', 'a@example.com', '', 'influencer', 'approved', 'ALPHA ZED', '12.5', '', 'recruiter', 'vietqr', '970436', '0011001234567', 'NGUYEN VAN MINH', 'true', '8012345678', 'person', '12 Lê Lợi, Quận 1, TP. Hồ Chí Minh', $this->show_affiliate( 'a' )['created_at'] ),
			array_values( $a )
		);
		$b = $rows['B'];
		$this->assertSame( array( '', 'suspended', 'false', '' ), array( $b['sale_rate'], $b['status'], $b['withholding_exempt'], $b['payout_method'] ) );
		$this->assertSame( $lead, json_decode( $b['commission'], true ) );
		$this->assertSame( array( 'B' ), array_keys( $this->export( '?status=suspended' ) ) );
		$this->assertSame( array( 'a' ), array_keys( $this->export( '?category=influencer' ) ) );
		foreach ( array( '?status=gone', '?category=blogger', '?status[]=approved' ) as $q ) {
			list( $s, $d ) = $this->rest( 'GET', '/v1/affiliates.csv' . $q, null, $this->sk() );
			$this->assertSame( array( 400, 'invalid_query' ), array( $s, $d['error']['code'] ), $q );
		}
		// Read back, every row is an affiliate that exists, and nothing else is checked.
		list( , $text ) = $this->rest( 'GET', '/v1/affiliates.csv', null, $this->sk() );
		$d              = $this->dry_run( $text );
		$this->assertSame( array( 0, 3, 0, array() ), array( $d['created'], $d['existing'], $d['invalid'], $d['ignored_columns'] ) );
	}

	public function test_the_export_guards_free_text_against_formulas() {
		$this->affiliate(
			'f',
			array(
				'name'         => '=HYPERLINK("http://evil.test","x")',
				'email'        => '+f@example.com',
				'payout_email' => '-f@example.com',
				'payout'       => array(
					'method'  => 'promptpay',
					'account' => '0812345678',
					'name'    => '@Somchai',
				),
				'tax_id'       => '-0105561012345',
				'address'      => '=1+1, Bangkok',
			)
		);
		$this->affiliate(
			'-plain',
			array(
				'name'  => 'Plain = fine',
				'email' => 'plain@example.com',
			)
		);
		list( , $text ) = $this->rest( 'GET', '/v1/affiliates.csv', null, $this->sk() );
		$this->assertStringContainsString( "\n" . 'f,"\'=HYPERLINK(""http://evil.test"",""x"")",\'+f@example.com,\'-f@example.com,', $text );
		$f = $this->export()['f'];
		$this->assertSame(
			array( '\'=HYPERLINK("http://evil.test","x")', "'+f@example.com", "'-f@example.com", "'@Somchai", "'-0105561012345", "'=1+1, Bangkok" ),
			array( $f['name'], $f['email'], $f['payout_email'], $f['payout_name'], $f['tax_id'], $f['address'] )
		);
		$plain = $this->export()['-plain'];
		$this->assertSame( array( '-plain', 'Plain = fine', 'plain@example.com' ), array( $plain['id'], $plain['name'], $plain['email'] ), 'ids and text without a formula as they are' );
		// The import takes the guard off again.
		$body = Reftrail_Affiliates_Csv::read( $text )['rows'][1]['body'];
		$this->assertSame( array( '=HYPERLINK("http://evil.test","x")', '+f@example.com', '@Somchai', '=1+1, Bangkok' ), array( $body['name'], $body['email'], $body['payout']['name'], $body['address'] ) );
	}

	public function test_callers_and_the_openapi_entry() {
		$aff = $this->affiliate( 'amy' );
		$csv = array( 'content-type' => 'text/csv' );
		foreach ( array( 'GET', 'POST' ) as $m ) {
			$body          = 'POST' === $m ? "id,name\nx,X\n" : null;
			list( $s, $d ) = $this->rest( $m, '/v1/affiliates.csv', $body, $csv );
			$this->assertSame( array( 401, 'unauthorized' ), array( $s, $d['error']['code'] ), $m );
			list( $s, $d ) = $this->rest( $m, '/v1/affiliates.csv', $body, $csv + array( 'authorization' => 'Bearer ' . Reftrail_Keys::publishable() ) );
			$this->assertSame( array( 403, 'forbidden' ), array( $s, $d['error']['code'] ), $m );
			list( $s ) = $this->rest( $m, '/v1/affiliates.csv', $body, $csv + array( 'authorization' => 'Bearer ' . $aff['token'] ) );
			$this->assertSame( 403, $s, $m );
		}
		$this->assertSame( array( 1, 0 ), array_slice( self::stored(), 0, 2 ), 'nothing imported' );
		list( $s ) = $this->rest( 'DELETE', '/v1/affiliates.csv', null, $this->sk() );
		$this->assertSame( 405, $s );
		list( $s, $doc ) = $this->rest( 'GET', '/v1/openapi.json' );
		$this->assertSame( 200, $s );
		$get = $doc['paths']['/v1/affiliates.csv']['get'];
		$this->assertSame( array( 'status', 'category' ), array_column( $get['parameters'], 'name' ) );
		$this->assertArrayHasKey( 'text/csv', $get['responses']['200']['content'] );
		$post = $doc['paths']['/v1/affiliates.csv']['post'];
		$this->assertSame( array( 'dry_run', 'id_column', 'welcome' ), array_column( $post['parameters'], 'name' ) );
		$this->assertArrayHasKey( 'text/csv', $post['requestBody']['content'] );
		$this->assertSame( array( array( 'secret_key' => array() ), array( 'session' => array() ), array( 'wordpress_user' => array() ) ), $post['security'] );
		$this->assertStringContainsString( 'invalid_import', $post['summary'] );
	}
}
