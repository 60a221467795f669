<?php
/**
 * Plugin Name: Reftrail benchmark: a plain REST route
 * Description: Benchmark only (bench/wordpress-clicks.sh installs it as a mu-plugin). A plain
 * REST route registered the usual way on rest_api_init, which validates the same click body and
 * inserts one row: the baseline the plugin's click route is compared with. Also lets a request
 * with `X-Reftrail-Late: 1` take the plugin's click route through the usual REST dispatch.
 */

if ( ! empty( $_SERVER['HTTP_X_REFTRAIL_LATE'] ) ) {
	add_filter( 'reftrail_early_clicks', '__return_false' );
}

add_action(
	'rest_api_init',
	function () {
		register_rest_route(
			'bench/v1',
			'/plain',
			array(
				'methods'             => 'POST',
				'permission_callback' => '__return_true',
				'callback'            => function ( WP_REST_Request $request ) {
					global $wpdb;
					$b = json_decode( $request->get_body(), true );
					if ( ! is_array( $b ) || ! isset( $b['url'], $b['consent'] ) || ! preg_match( '/^[A-Za-z0-9._-]{1,64}$/', (string) ( $b['affiliate'] ?? '' ) ) ) {
						return new WP_Error( 'invalid', 'invalid click', array( 'status' => 400 ) );
					}
					$wpdb->insert(
						$wpdb->prefix . 'bench_plain',
						array(
							'affiliate' => $b['affiliate'],
							'url'       => substr( (string) $b['url'], 0, 2048 ),
							'at'        => time(),
						),
						array( '%s', '%s', '%d' )
					);
					return new WP_REST_Response( array( 'id' => $wpdb->insert_id ), 201 );
				},
			)
		);
	}
);
