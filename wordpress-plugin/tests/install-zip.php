<?php
/**
 * Installs a plugin zip into a WordPress site the way Plugins > Add New > Upload does
 * (Plugin_Upgrader), then activates it.
 *
 *   WP_URL=... php install-zip.php <docroot> <zip>
 *
 * @package Reftrail
 */

list( , $docroot, $zip ) = $argv;
$u                    = parse_url( getenv( 'WP_URL' ) );
$_SERVER['HTTP_HOST'] = $u['host'] . ( isset( $u['port'] ) ? ':' . $u['port'] : '' );
require $docroot . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/admin.php';
require_once ABSPATH . 'wp-admin/includes/class-wp-upgrader.php';
wp_set_current_user( 1 );
$upgrader = new Plugin_Upgrader( new Automatic_Upgrader_Skin() );
$result   = $upgrader->install( $zip );
if ( true !== $result ) {
	fwrite( STDERR, 'install failed: ' . ( is_wp_error( $result ) ? $result->get_error_message() : wp_json_encode( $upgrader->skin->get_upgrade_messages() ) ) . "\n" );
	exit( 1 );
}
$file      = $upgrader->plugin_info();
$activated = activate_plugin( $file );
if ( is_wp_error( $activated ) ) {
	fwrite( STDERR, 'activation failed: ' . $activated->get_error_message() . "\n" );
	exit( 1 );
}
delete_option( 'rewrite_rules' );
echo "installed and activated $file\n";
