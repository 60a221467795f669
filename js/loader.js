/*! Reftrail loader: the one script tag a storefront pastes.
 *
 * <script async src="https://shop.example/reftrail/loader.js"
 *         data-endpoint="https://shop.example/rt" data-key="pk_live_…"></script>
 *
 * It defines window.reftrail(command, ...args) at once as a queue, loads the core (glue + wasm,
 * next to this file) without blocking rendering, then hands the queued calls to it. It never
 * throws into the page: if the core cannot load, reftrail() keeps queueing harmlessly.
 */
(function (w, d) {
  'use strict';
  var stub = w.reftrail;
  if (stub && stub.loaded) return; // a second copy of the tag
  // A page may define its own stub before this tag; keep its queue.
  var queue = (stub && stub.q) || [];
  var reftrail = function () {
    queue.push(arguments);
  };
  reftrail.q = queue;
  w.reftrail = reftrail;

  var script = d.currentScript;
  if (!script) return;
  var base = script.src.replace(/[^/]*$/, '');
  var options = {};
  for (var name in script.dataset) options[name] = script.dataset[name];

  import(base + 'reftrail.js')
    .then(function (core) {
      return core.start(options, queue, base + 'reftrail_bg.wasm').then(function () {
        var ready = function (command, a, b) {
          try {
            return core.command(command, a, b);
          } catch (e) {
            // The core reports misuse in the console; nothing reaches the page.
          }
        };
        ready.loaded = 1;
        w.reftrail = ready;
      });
    })
    ['catch'](function () {});
})(window, document);
