/* What an offline door keeps on a phone is deleted when its staff member signs out.
 *
 * The door page (door-offline.js) keeps the day's roster snapshot in IndexedDB and the page
 * itself in the service worker's cache. Submitting a sign-out form deletes both first, then
 * signs out. The sign-in page deletes the roster and the kept pages too (a session that ended
 * elsewhere, an account deactivated), but keeps scans still waiting to sync: they hold only
 * codes and times, and signing in again sends them.
 */
(function () {
  "use strict";

  var DATABASE = "forumapp-door";
  var CACHE_PREFIX = "forumapp-door-";
  var ROSTER_STORES = ["snapshots", "marks"];
  var WAIT_MS = 1500; // a blocked deletion must not keep anyone from signing out

  function within(promise) {
    return Promise.race([
      promise,
      new Promise(function (resolve) { setTimeout(resolve, WAIT_MS); })
    ]).catch(function () { /* nothing kept, nothing to delete */ });
  }

  function deleteCaches() {
    if (!window.caches) {
      return Promise.resolve();
    }
    return window.caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf(CACHE_PREFIX) === 0;
      }).map(function (name) {
        return window.caches.delete(name);
      }));
    });
  }

  function deleteDatabase() {
    return new Promise(function (resolve) {
      if (!window.indexedDB) {
        resolve();
        return;
      }
      var request = window.indexedDB.deleteDatabase(DATABASE);
      request.onsuccess = request.onerror = function () { resolve(); };
      // Blocked: another tab still has it open; it closes on "versionchange" and the
      // deletion then goes ahead on its own.
    });
  }

  function clearRoster() {
    return new Promise(function (resolve) {
      if (!window.indexedDB) {
        resolve();
        return;
      }
      var request = window.indexedDB.open(DATABASE);
      request.onerror = function () { resolve(); };
      request.onupgradeneeded = function () {
        // There was no database: do not make an empty one.
        request.transaction.abort();
      };
      request.onsuccess = function () {
        var db = request.result;
        var stores = ROSTER_STORES.filter(function (name) {
          return db.objectStoreNames.contains(name);
        });
        if (!stores.length) {
          db.close();
          resolve();
          return;
        }
        var tx = db.transaction(stores, "readwrite");
        stores.forEach(function (name) { tx.objectStore(name).clear(); });
        tx.oncomplete = tx.onerror = tx.onabort = function () {
          db.close();
          resolve();
        };
      };
    });
  }

  /** Delete everything the door keeps (at sign-out). */
  function wipeAll() {
    return within(Promise.all([deleteDatabase(), deleteCaches()]));
  }

  /** Delete the roster and the kept pages, not the scans waiting to sync (sign-in page). */
  function wipeRoster() {
    return within(Promise.all([clearRoster(), deleteCaches()]));
  }

  window.forumappDoorWipe = { wipeAll: wipeAll, wipeRoster: wipeRoster };

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-sign-out") || form.dataset.wiped) {
      return;
    }
    event.preventDefault();
    var offline = window.forumappDoorOffline;
    var waiting = offline ? offline.waitingCount() : Promise.resolve(0);
    waiting.then(function (count) {
      if (count && !window.confirm(count + (count === 1 ? " scan has" : " scans have") +
          " not been synced yet. Sign out anyway and discard " + (count === 1 ? "it" : "them") +
          "?")) {
        return false;
      }
      return (offline ? offline.close() : Promise.resolve()).then(wipeAll).then(function () {
        return true;
      });
    }).then(function (go) {
      if (go) {
        form.dataset.wiped = "true";
        form.submit();
      }
    });
  }, true);

  if (document.querySelector("[data-door-wipe-roster]")) {
    wipeRoster();
  }
})();
