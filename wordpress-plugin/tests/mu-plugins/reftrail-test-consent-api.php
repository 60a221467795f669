<?php
/**
 * Plugin Name: Reftrail test consent API (WP Consent API stand-in)
 * Description: Test-only. For requests with `X-Reftrail-Consent-Api: 1`, the two things of the WP
 * Consent API plugin that Reftrail uses (it cannot be installed here): the PHP function
 * `wp_has_consent()` and the script's global `wp_has_consent(category)`, both reading the
 * `wp_consent_<category>` cookie as the API does for an opt-in site ('allow' is consent).
 */

// Declared inside the condition: a function at a file's top level exists as soon as the file is
// compiled, whatever the request.
if ( ! empty( $_SERVER['HTTP_X_REFTRAIL_CONSENT_API'] ) ) {
	/**
	 * Whether the visitor consented to `$category`.
	 *
	 * @param string $category Category.
	 * @return bool
	 */
	function wp_has_consent( $category ) {
		$name = 'wp_consent_' . $category;
		return isset( $_COOKIE[ $name ] ) && 'allow' === $_COOKIE[ $name ];
	}

	add_action(
		'wp_head',
		function () {
			// The API's script, loaded before Reftrail's stub as a consent plugin's script would be.
			echo "<script>function wp_has_consent(c){return ('; '+document.cookie+';').indexOf('; wp_consent_'+c+'=allow;')>=0}</script>\n";
		},
		0
	);
}
