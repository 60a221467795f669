<?php
/**
 * Plugin Name: Reftrail test webhook receiver
 * Description: Test-only. `POST /?reftrail_test_webhook=<id>` writes the body and the
 * Reftrail-Signature header to wp-content/reftrail-webhook-<id>.json and answers 200, or 500 with
 * `&fail=1`. `GET /?reftrail_test_postback=<id>` is an affiliate's tracker: it adds the request
 * (its query, user agent and protocol) as a line of JSON to wp-content/reftrail-postback-<id>.log
 * and answers 200, or 503 with `&fail=1`. Affiliates' postbacks may go to loopback here: the
 * trackers of the tests listen on it.
 */

add_filter( 'reftrail_postbacks_to_private_networks', '__return_true' );

add_action(
	'init',
	function () {
		if ( isset( $_GET['reftrail_test_postback'] ) && 'GET' === ( $_SERVER['REQUEST_METHOD'] ?? '' ) ) {
			$id = preg_replace( '/[^a-z0-9]/', '', strtolower( (string) $_GET['reftrail_test_postback'] ) );
			file_put_contents(
				WP_CONTENT_DIR . '/reftrail-postback-' . $id . '.log',
				wp_json_encode(
					array(
						'query'      => $_SERVER['QUERY_STRING'] ?? '',
						'user_agent' => $_SERVER['HTTP_USER_AGENT'] ?? '',
						'protocol'   => $_SERVER['SERVER_PROTOCOL'] ?? '',
					)
				) . "\n",
				FILE_APPEND | LOCK_EX
			);
			status_header( empty( $_GET['fail'] ) ? 200 : 503 );
			exit;
		}
		if ( ! isset( $_GET['reftrail_test_webhook'] ) || 'POST' !== ( $_SERVER['REQUEST_METHOD'] ?? '' ) ) {
			return;
		}
		$id = preg_replace( '/[^a-z0-9]/', '', strtolower( (string) $_GET['reftrail_test_webhook'] ) );
		file_put_contents(
			WP_CONTENT_DIR . '/reftrail-webhook-' . $id . '.json',
			wp_json_encode(
				array(
					'signature'  => $_SERVER['HTTP_REFTRAIL_SIGNATURE'] ?? '',
					'user_agent' => $_SERVER['HTTP_USER_AGENT'] ?? '',
					'body'       => file_get_contents( 'php://input' ),
				)
			)
		);
		status_header( empty( $_GET['fail'] ) ? 200 : 500 );
		exit;
	}
);
