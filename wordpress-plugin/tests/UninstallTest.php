<?php
/**
 * Uninstall through WordPress's own uninstall_plugin(), in a separate PHP process each time:
 * without the owner's choice the data stays; with it, tables and options go.
 *
 * @package Reftrail
 */

/**
 * Uninstall tests.
 */
class UninstallTest extends Reftrail_Test_Case {

	/** @var bool */
	protected $transactional = false;

	/**
	 * Whether the affiliates table exists.
	 *
	 * @return bool
	 */
	private function has_tables() {
		global $wpdb;
		return null !== $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', Reftrail_Db::table( 'affiliates' ) ) );
	}

	/**
	 * The plugin's tables that exist, short names.
	 *
	 * @return string[]
	 */
	private function tables() {
		global $wpdb;
		return array_values( array_filter( Reftrail_Schema::TABLES, fn( $t ) => null !== $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', Reftrail_Db::table( $t ) ) ) ) );
	}

	public function test_uninstall_keeps_data_unless_the_owner_chose_to_delete_it() {
		update_option( Reftrail_Settings::OPTION, array_merge( Reftrail_Settings::get(), array( 'delete_data' => false ) ) );
		$this->uninstall();
		wp_cache_flush();
		$this->assertTrue( $this->has_tables() );
		$this->assertNotFalse( get_option( Reftrail_Keys::KEYS ), 'keys stay' );
		$this->assertNotFalse( get_option( Reftrail_Program::OPTION ), 'settings stay' );
		wp_roles()->for_site();
		$this->assertNull( get_role( Reftrail_Schema::ROLE ), 'the role goes' );
		$this->assertFalse( get_role( 'administrator' )->has_cap( Reftrail_Schema::CAP ), 'the capability goes' );
		foreach ( Reftrail_Plugin::HOURLY as $hook ) {
			$this->assertFalse( wp_next_scheduled( $hook ), $hook . ' is no longer scheduled' );
		}
		$this->reactivate();

		update_option( Reftrail_Settings::OPTION, array_merge( Reftrail_Settings::get(), array( 'delete_data' => true ) ) );
		$this->uninstall();
		wp_cache_flush();
		$this->assertFalse( $this->has_tables() );
		$this->assertSame( array(), $this->tables(), 'every table goes, the history of the settings too' );
		$this->assertFalse( get_option( Reftrail_Schema::OPTION ) );
		$this->assertFalse( get_option( Reftrail_Keys::KEYS ) );
		$this->assertFalse( get_option( Reftrail_Settings::OPTION ) );
		$this->reactivate();
		wp_roles()->for_site();
		$this->assertTrue( $this->has_tables() );
		$this->assertSame( Reftrail_Schema::TABLES, $this->tables() );
		$this->assertNotNull( get_role( Reftrail_Schema::ROLE ) );
		$this->assertSame( Reftrail_Schema::VERSION, (int) get_option( Reftrail_Schema::OPTION ) );
	}
}
