<?php
/**
 * Translations: the .pot lists every translatable string of the code (PHP, editor scripts,
 * block.json files, the plugin header), every one of them has a Vietnamese and a Thai translation
 * in the compiled .mo files, the committed files are what scripts/i18n-wordpress.sh yields, and
 * WordPress finds the translations of the blocks' block.json and of the block editor script.
 *
 * @package Reftrail
 */

require_once ABSPATH . WPINC . '/pomo/po.php';
require_once ABSPATH . WPINC . '/pomo/mo.php';

/**
 * Translation tests.
 */
class I18nTest extends Reftrail_Test_Case {

	/** Reads files only. */
	protected $transactional = false;

	const LOCALES = array( 'vi', 'th' );

	/**
	 * The template the code yields now, as PO entries keyed like MO entries.
	 *
	 * @return Translation_Entry[]
	 */
	private function strings_of_the_code() {
		static $entries = null;
		if ( null === $entries ) {
			$pot = tempnam( sys_get_temp_dir(), 'reftrail-pot' );
			exec( escapeshellarg( dirname( __DIR__, 2 ) . '/scripts/i18n-wordpress.sh' ) . ' --pot ' . escapeshellarg( $pot ) . ' 2>&1', $out, $rc );
			$this->assertSame( 0, $rc, implode( "\n", $out ) );
			$po = new PO();
			$this->assertTrue( $po->import_from_file( $pot ) );
			unlink( $pot );
			$entries = $po->entries;
		}
		return $entries;
	}

	public function test_the_pot_lists_every_translatable_string_of_the_code() {
		$code = $this->strings_of_the_code();
		$this->assertGreaterThan( 100, count( $code ) );
		$committed = new PO();
		$this->assertTrue( $committed->import_from_file( REFTRAIL_DIR . '/languages/reftrail.pot' ) );
		$this->assertSame( array(), array_values( array_diff( array_keys( $code ), array_keys( $committed->entries ) ) ), 'strings missing from languages/reftrail.pot (run scripts/i18n-wordpress.sh)' );
		$this->assertSame( array(), array_values( array_diff( array_keys( $committed->entries ), array_keys( $code ) ) ), 'strings in languages/reftrail.pot that the code no longer has' );
	}

	public function test_every_string_has_a_vietnamese_and_a_thai_translation() {
		$code = $this->strings_of_the_code();
		foreach ( self::LOCALES as $locale ) {
			$mo = new MO();
			$this->assertTrue( $mo->import_from_file( REFTRAIL_DIR . '/languages/reftrail-' . $locale . '.mo' ), $locale );
			$missing = array();
			foreach ( $code as $key => $entry ) {
				$t = $mo->entries[ $key ]->translations ?? array();
				$n = $entry->is_plural ? $mo->get_plural_forms_count() : 1;
				for ( $i = 0; $i < $n; $i++ ) {
					if ( ! isset( $t[ $i ] ) || '' === trim( $t[ $i ] ) ) {
						$missing[] = $key;
						break;
					}
				}
				if ( isset( $t[0] ) && preg_match_all( '/%(?:\d+\$)?[sdf]/', $entry->singular, $want ) ) {
					preg_match_all( '/%(?:\d+\$)?[sdf]/', $t[0], $got );
					$this->assertSame( count( $want[0] ), count( $got[0] ), "{$locale}: the placeholders of \"{$key}\"" );
				}
			}
			$this->assertSame( array(), $missing, "strings without a {$locale} translation in languages/reftrail-{$locale}.mo" );
		}
	}

	public function test_the_committed_translation_files_are_what_the_code_and_the_po_files_yield() {
		exec( escapeshellarg( dirname( __DIR__, 2 ) . '/scripts/i18n-wordpress.sh' ) . ' --check 2>&1', $out, $rc );
		$this->assertSame( 0, $rc, implode( "\n", $out ) );
	}

	public function test_wordpress_loads_the_translations_of_the_php_the_blocks_and_the_editor_script() {
		$this->assertTrue( wp_script_is( 'reftrail-blocks', 'registered' ) );
		$this->assertSame( 'Affiliate portal', WP_Block_Type_Registry::get_instance()->get_registered( 'reftrail/portal' )->title );
		$expected = array(
			'vi' => array( 'Cộng tác viên đã đăng nhập sẽ thấy', 'Cổng cộng tác viên' ),
			'th' => array( 'พันธมิตรที่เข้าสู่ระบบจะเห็น', 'พอร์ทัลพันธมิตร' ),
		);
		$note = 'Signed-in affiliates see their own links and earnings here. This preview shows the block as you see it.';
		foreach ( $expected as $locale => list( $note_start, $title ) ) {
			$pick = fn() => $locale;
			add_filter( 'determine_locale', $pick );
			try {
				$json = load_script_textdomain( 'reftrail-blocks', 'reftrail', REFTRAIL_DIR . '/languages' );
				$this->assertIsString( $json, $locale );
				$data = json_decode( $json, true );
				$this->assertSame( $locale, $data['locale_data']['messages']['']['lang'] );
				$this->assertStringStartsWith( $note_start, $data['locale_data']['messages'][ $note ][0] ?? '', $locale );
			} finally {
				remove_filter( 'determine_locale', $pick );
			}
			unload_textdomain( 'reftrail' );
			$this->assertTrue( load_textdomain( 'reftrail', REFTRAIL_DIR . '/languages/reftrail-' . $locale . '.mo' ) );
			// block.json's title, as register_block_type_from_metadata() translates it.
			$this->assertSame( $title, _x( 'Affiliate portal', 'block title', 'reftrail' ), $locale );
			$this->assertNotSame( 'The id used in links.', __( 'The id used in links.', 'reftrail' ), $locale );
			unload_textdomain( 'reftrail' );
		}
	}
}
