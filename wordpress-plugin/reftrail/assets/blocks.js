/* The editor side of the plugin's blocks: the affiliate portal and the sign-up form, rendered by
 * the server (the same output as [reftrail_portal] and [reftrail_register]). No build step. */
( function ( blocks, element, ServerSideRender, i18n ) {
	'use strict';
	var el = element.createElement;
	var __ = i18n.__;
	[
		[ 'reftrail/portal', __( 'Affiliate portal', 'reftrail' ), __( "The signed-in affiliate's link, coupons and earnings.", 'reftrail' ) ],
		[ 'reftrail/register', __( 'Affiliate sign-up', 'reftrail' ), __( 'A form to apply as an affiliate.', 'reftrail' ) ],
	].forEach( function ( b ) {
		blocks.registerBlockType( b[ 0 ], {
			apiVersion: 2,
			title: b[ 1 ],
			description: b[ 2 ],
			icon: 'share',
			category: 'widgets',
			supports: { html: false },
			edit: function () {
				return el( 'div', null, el( ServerSideRender, { block: b[ 0 ] } ) );
			},
			save: function () {
				return null;
			},
		} );
	} );
} )( window.wp.blocks, window.wp.element, window.wp.serverSideRender, window.wp.i18n );
