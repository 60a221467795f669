<?php
/**
 * Loads the real WordPress site that scripts/wp-test-env.sh installed (with the plugin active),
 * then the WooCommerce stand-in and the shared test case.
 *
 * @package Reftrail
 */

$docroot = getenv( 'WP_DOCROOT' );
if ( ! $docroot || ! is_file( $docroot . '/wp-load.php' ) ) {
	fwrite( STDERR, "WP_DOCROOT must point at the test site (source \$WP_ENV_DIR/env.sh)\n" );
	exit( 1 );
}
$url                    = parse_url( (string) getenv( 'WP_URL' ) );
$_SERVER['HTTP_HOST']   = $url['host'] . ( isset( $url['port'] ) ? ':' . $url['port'] : '' );
$_SERVER['SERVER_NAME'] = $url['host'];
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['REMOTE_ADDR'] = '127.0.0.1';
define( 'WP_USE_THEMES', false );
require $docroot . '/wp-load.php';
if ( ! class_exists( 'Reftrail_Plugin' ) ) {
	fwrite( STDERR, "the Reftrail plugin is not active on the test site\n" );
	exit( 1 );
}
// PHPUnit includes this file inside a function and then copies its local variables into
// $GLOBALS. WordPress's files set some globals at file level (`$shortcode_tags = array();`) and
// fill them later through `global`: keep the global value, not the stale local copy.
foreach ( array_keys( get_defined_vars() ) as $reftrail_var ) {
	if ( 'GLOBALS' !== $reftrail_var && 'reftrail_var' !== $reftrail_var && array_key_exists( $reftrail_var, $GLOBALS ) ) {
		$$reftrail_var = $GLOBALS[ $reftrail_var ];
	}
}
unset( $reftrail_var );
require_once ABSPATH . 'wp-admin/includes/template.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';
if ( ! class_exists( 'WC_Order' ) ) {
	require __DIR__ . '/woocommerce-stand-in.php';
}
require __DIR__ . '/class-reftrail-test-case.php';
