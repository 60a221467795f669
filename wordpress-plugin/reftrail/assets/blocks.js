/* The editor side of the plugin's blocks: the affiliate portal and the sign-up form. Their
 * metadata (title, description, icon, translated on the server) comes from blocks/<name>/block.json;
 * the output is the server's (the same as [reftrail_portal] and [reftrail_register]), shown inert
 * in the editor. No build step. */
( function ( blocks, element, blockEditor, components, ServerSideRender, i18n ) {
	'use strict';
	var el = element.createElement;
	var __ = i18n.__;
	var notes = {
		'reftrail/portal': __( 'Signed-in affiliates see their own links and earnings here. This preview shows the block as you see it.', 'reftrail' ),
		'reftrail/register': __( 'Signed-in visitors who are not affiliates yet see this form. This preview shows the block as you see it.', 'reftrail' ),
	};
	Object.keys( notes ).forEach( function ( name ) {
		blocks.registerBlockType( name, {
			edit: function () {
				return el(
					'div',
					blockEditor.useBlockProps(),
					el( 'p', { className: 'reftrail-block-note', style: { fontSize: '13px', opacity: 0.75 } }, notes[ name ] ),
					el( components.Disabled, null, el( ServerSideRender, { block: name } ) )
				);
			},
			save: function () {
				return null;
			},
		} );
	} );
} )( window.wp.blocks, window.wp.element, window.wp.blockEditor, window.wp.components, window.wp.serverSideRender, window.wp.i18n );
