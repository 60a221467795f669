/* [reftrail_portal] for an approved affiliate: puts the portal app (the portal document of
 * Reftrail_Portal, a page of this site) in a frame after the server-rendered portal, and swaps
 * them once the frame has loaded. Without JavaScript, or if the frame never loads, the
 * server-rendered portal stays. The frame's document keeps the frame's height to its content. */
( function () {
	'use strict';
	var boxes = document.querySelectorAll( '.reftrail-portal-embed[data-reftrail-portal]' );
	Array.prototype.forEach.call( boxes, function ( box ) {
		var frame = document.createElement( 'iframe' );
		frame.className = 'reftrail-portal-frame';
		frame.title = box.getAttribute( 'data-reftrail-title' ) || '';
		frame.style.cssText = 'display:block;width:100%;height:0;border:0;visibility:hidden';
		frame.addEventListener( 'load', function () {
			var fallback = box.querySelector( '.reftrail-portal' );
			if ( fallback ) {
				fallback.hidden = true;
			}
			if ( ! parseInt( frame.style.height, 10 ) ) {
				frame.style.height = '48rem'; // The frame's document could not size it.
			}
			frame.style.visibility = 'visible';
		}, { once: true } );
		frame.src = box.getAttribute( 'data-reftrail-portal' );
		box.appendChild( frame );
	} );
} )();
