<?php
/**
 * Plugin Name: Reftrail test webhook receiver
 * Description: Test-only. `POST /?reftrail_test_webhook=<id>` writes the body and the
 * Reftrail-Signature header to wp-content/reftrail-webhook-<id>.json and answers 200, or 500 with
 * `&fail=1`.
 */

add_action(
	'init',
	function () {
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
