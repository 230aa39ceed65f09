/* The door's service worker (forumapp/checkin/offline_views.py renders it; door-offline.js
 * registers it with scope /door/).
 *
 * Door pages (/door/days/<id>) come from the network first, and from the copy kept of the last
 * one when the network fails or hangs, so a reload during an outage still opens the page. The
 * scripts, the style sheet and the scanner library come from the cache first: they change
 * only with a deploy, and a deploy changes VERSION, so the new worker keeps the new files and
 * drops the old ones. Everything else goes to the network untouched.
 *
 * Sign-out deletes these caches (door-wipe.js): the kept page lists recent check-ins.
 */
"use strict";

var VERSION = {{ version|tojson }};
var PREFIX = "forumapp-door-";
var CACHE = PREFIX + VERSION;
var ASSETS = {{ assets|tojson }};
var DOOR_PAGE = /^\/door\/days\/\d+$/;
var PAGE_TIMEOUT_MS = 4000; // a hanging Wi-Fi must not keep the door page from opening

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      return cache.addAll(ASSETS);
    }).then(function () {
      return self.skipWaiting();
    })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf(PREFIX) === 0 && name !== CACHE;
      }).map(function (name) {
        return caches.delete(name);
      }));
    }).then(function () {
      return self.clients.claim();
    })
  );
});

function keepable(response) {
  // Never keep the sign-in page a redirect led to, nor an error.
  return response && response.ok && !response.redirected && response.type === "basic";
}

function fromNetworkOrKept(request, path) {
  var network = fetch(request).then(function (response) {
    if (keepable(response)) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) {
        return cache.put(path, copy);
      });
    }
    return response;
  });
  var timeout = new Promise(function (resolve, reject) {
    setTimeout(function () { reject(new Error("timeout")); }, PAGE_TIMEOUT_MS);
  });
  return Promise.race([network, timeout]).catch(function (error) {
    return caches.match(path, { cacheName: CACHE }).then(function (kept) {
      if (kept) {
        return kept;
      }
      throw error;
    });
  });
}

function fromCacheFirst(request, path) {
  return caches.match(path, { cacheName: CACHE }).then(function (kept) {
    return kept || fetch(request);
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") {
    return;
  }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (ASSETS.indexOf(url.pathname) !== -1) {
    event.respondWith(fromCacheFirst(request, url.pathname));
  } else if (DOOR_PAGE.test(url.pathname)) {
    event.respondWith(fromNetworkOrKept(request, url.pathname));
  }
});

// The door page asks for itself to be kept the first time, before this worker controlled it.
self.addEventListener("message", function (event) {
  var message = event.data || {};
  if (message.type === "keep-page" && DOOR_PAGE.test(message.path)) {
    var done = fetch(message.path, { credentials: "same-origin" }).then(function (response) {
      if (!keepable(response)) {
        throw new Error("not kept");
      }
      return caches.open(CACHE).then(function (cache) {
        return cache.put(message.path, response);
      });
    }).then(function () {
      return "kept";
    }, function () {
      return "not kept";
    });
    event.waitUntil(done.then(function (answer) {
      if (event.ports && event.ports[0]) {
        event.ports[0].postMessage(answer);
      }
    }));
  }
});
