<?php
/**
 * Uninstall: removes the role and the capability; removes the tables, options and keys only when
 * the owner chose "Delete data on uninstall" in the settings.
 *
 * @package Reftrail
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

require_once __DIR__ . '/reftrail.php';

Reftrail_Schema::uninstall( (bool) Reftrail_Settings::get()['delete_data'] );
