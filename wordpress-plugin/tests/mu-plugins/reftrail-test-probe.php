<?php
/**
 * Plugin Name: Reftrail test probe
 * Description: Test-only. With `X-Reftrail-Probe: <id>` the number of database queries of the
 * request is written to wp-content/reftrail-probe-<id>.txt; with `X-Reftrail-Without: 1` the
 * Reftrail plugin is left out of that request, to compare a page view with and without it.
 */

$reftrail_probe = isset( $_SERVER['HTTP_X_REFTRAIL_PROBE'] ) ? preg_replace( '/[^a-z0-9]/', '', strtolower( $_SERVER['HTTP_X_REFTRAIL_PROBE'] ) ) : '';
if ( '' !== $reftrail_probe ) {
	if ( ! empty( $_SERVER['HTTP_X_REFTRAIL_WITHOUT'] ) ) {
		add_filter(
			'option_active_plugins',
			fn( $plugins ) => array_values( array_diff( (array) $plugins, array( 'reftrail/reftrail.php' ) ) )
		);
	}
	add_action(
		'shutdown',
		function () use ( $reftrail_probe ) {
			file_put_contents( WP_CONTENT_DIR . '/reftrail-probe-' . $reftrail_probe . '.txt', (string) $GLOBALS['wpdb']->num_queries );
		},
		PHP_INT_MAX
	);
}
