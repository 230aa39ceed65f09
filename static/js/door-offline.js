/* The entrance door when the venue's network is down.
 *
 * While online the page keeps the day's roster snapshot (GET .../door-snapshot, refreshed every
 * minute) in IndexedDB, under the signed-in staff member and the day: keyed hashes of the ticket
 * codes (HMAC-SHA256 under a key given with the snapshot) and what the door shows of each
 * holder, never the codes. When a scan cannot reach the server (door.js hands it over) or the
 * browser says it is offline, the page judges scans against the snapshot at once, queues each
 * welcome with its request id, code and scan time, and says so in a banner. It probes for the
 * network every few seconds; when it is back, the queue goes to the batch endpoint in order
 * (checkin.offline.sync_scans), and scans that could not be checked in are listed for
 * organizers on the live check-in page.
 *
 * A service worker (/door/service-worker.js) keeps this page and its scripts, so a reload while
 * offline still opens it. Sign-out deletes what is kept (door-wipe.js).
 */
(function () {
  "use strict";

  var container = document.querySelector("[data-door-offline]");
  if (!container || !window.indexedDB || !window.fetch || !window.crypto || !window.crypto.subtle) {
    return;
  }
  var settings = container.dataset;
  var state = container.querySelector("[data-offline-state]");
  var details = container.querySelector("[data-offline-details]");
  var age = document.querySelector("[data-offline-age]");
  var owner = settings.userId;
  var dayId = settings.dayId;
  var dayDate = settings.dayDate; // 2027-03-15
  var snapshotId = owner + ":" + dayId;

  var DATABASE = "forumapp-door";
  var BATCH_MAX = 200;
  var REFRESH_MS = 60 * 1000; // the roster, while online
  var PROBE_MS = 5000; // the network, while offline
  var SNAPSHOT_TIMEOUT_MS = 15000;
  var PROBE_TIMEOUT_MS = 3000;
  var SYNC_TIMEOUT_MS = 20000;
  var ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  var CODE_LENGTH = 26;

  var db = null;
  var opening = null;
  var snapshot = null; // {id, date, fetchedAt, offset, key, tickets}
  var byHash = new Map();
  var marks = new Map(); // hash -> {at, requestId}: checked in on this phone
  var hmacKey = null;
  var offline = false;
  var syncing = null;
  var signedOut = false;
  var probeTimer = null;

  // --- Storage ---------------------------------------------------------------------------

  function asPromise(request) {
    return new Promise(function (resolve, reject) {
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function done(tx) {
    return new Promise(function (resolve, reject) {
      tx.oncomplete = function () { resolve(); };
      tx.onerror = tx.onabort = function () { reject(tx.error); };
    });
  }

  function openDatabase() {
    if (db) {
      return Promise.resolve(db);
    }
    if (!opening) {
      var request = window.indexedDB.open(DATABASE, 1);
      request.onupgradeneeded = function () {
        var made = request.result;
        made.createObjectStore("snapshots", { keyPath: "id" });
        made.createObjectStore("marks", { keyPath: "id" });
        made.createObjectStore("queue", { keyPath: "seq", autoIncrement: true });
      };
      opening = asPromise(request).then(function (opened) {
        // Sign-out in another tab deletes the database: let it.
        opened.onversionchange = function () {
          opened.close();
          db = null;
          opening = null;
        };
        db = opened;
        return opened;
      }).catch(function (error) {
        opening = null;
        throw error;
      });
    }
    return opening;
  }

  function store(name, mode) {
    return openDatabase().then(function (opened) {
      var tx = opened.transaction(name, mode || "readonly");
      return { tx: tx, store: tx.objectStore(name) };
    });
  }

  function ownRange() {
    return window.IDBKeyRange.bound(owner + ":", owner + ":\uffff");
  }

  function queued() {
    return store("queue").then(function (s) {
      return asPromise(s.store.getAll());
    }).then(function (items) {
      return items.filter(function (item) { return item.owner === owner; });
    });
  }

  function localDate(ms) {
    var d = new Date(ms);
    return d.getFullYear() + "-" + ("0" + (d.getMonth() + 1)).slice(-2) + "-" +
      ("0" + d.getDate()).slice(-2);
  }

  function forgetOldRosters() {
    // Another staff member's rosters, and days that are over, do not stay on this phone.
    var today = localDate(now());
    return store("snapshots", "readwrite").then(function (s) {
      return asPromise(s.store.getAll()).then(function (all) {
        all.forEach(function (kept) {
          if (kept.owner !== owner || kept.date < today) {
            s.store.delete(kept.id);
          }
        });
        return done(s.tx);
      });
    }).then(function () {
      return store("marks", "readwrite");
    }).then(function (s) {
      return asPromise(s.store.getAll()).then(function (all) {
        all.forEach(function (mark) {
          if (mark.owner !== owner || mark.date < today) {
            s.store.delete(mark.id);
          }
        });
        return done(s.tx);
      });
    });
  }

  // --- The roster snapshot ---------------------------------------------------------------

  function now() {
    // The phone's clock, set right by the server's (measured with each snapshot): the server
    // refuses scan times in the future or off the day.
    return Date.now() + (snapshot ? snapshot.offset : 0);
  }

  function keyBytes(base64url) {
    var text = base64url.replace(/-/g, "+").replace(/_/g, "/");
    while (text.length % 4) {
      text += "=";
    }
    var raw = window.atob(text);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) {
      bytes[i] = raw.charCodeAt(i);
    }
    return bytes;
  }

  function use(kept) {
    snapshot = kept;
    byHash = new Map();
    kept.tickets.forEach(function (ticket) { byHash.set(ticket.hash, ticket); });
    return window.crypto.subtle.importKey(
      "raw", keyBytes(kept.key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]
    ).then(function (key) {
      hmacKey = key;
      showAge();
    });
  }

  function loadKept() {
    return store("snapshots").then(function (s) {
      return asPromise(s.store.get(snapshotId));
    }).then(function (kept) {
      return kept ? use(kept) : null;
    }).then(function () {
      return store("marks");
    }).then(function (s) {
      return asPromise(s.store.getAll(ownRange()));
    }).then(function (all) {
      all.forEach(function (mark) {
        if (mark.dayId === dayId) {
          marks.set(mark.hash, mark);
        }
      });
    });
  }

  function withTimeout(ms, options) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, ms) : null;
    var merged = Object.assign({ credentials: "same-origin", cache: "no-store" }, options || {});
    if (controller) {
      merged.signal = controller.signal;
    }
    return { options: merged, clear: function () { if (timer) { clearTimeout(timer); } } };
  }

  function request(url, ms, options) {
    var call = withTimeout(ms, options);
    return fetch(url, call.options).finally(call.clear);
  }

  function isJson(response) {
    return (response.headers.get("Content-Type") || "").indexOf("application/json") !== -1;
  }

  // The count and the latest check-ins, as the server has them once the queue is synced:
  // the page still showed what it knew when it went offline.
  function refreshRecent() {
    var recent = document.querySelector("[data-recent]");
    if (!recent || !settings.recentUrl) {
      return;
    }
    request(settings.recentUrl, SNAPSHOT_TIMEOUT_MS, {
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok || !isJson(response)) {
        return null;
      }
      return response.json().then(function (answer) {
        if (answer.recent_html) {
          recent.innerHTML = answer.recent_html;
        }
      });
    }).catch(function () { /* the next scan brings it */ });
  }

  function refreshSnapshot() {
    var asked = Date.now();
    return request(settings.snapshotUrl, SNAPSHOT_TIMEOUT_MS, {
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (response.status === 401 || response.status === 403 || response.redirected ||
          !isJson(response)) {
        return null; // the sync says what to do about a sign-in that ended
      }
      if (!response.ok) {
        return null;
      }
      return response.json().then(function (answer) {
        var answered = Date.now();
        var kept = {
          id: snapshotId,
          owner: owner,
          dayId: dayId,
          date: answer.date,
          fetchedAt: answered,
          offset: Date.parse(answer.generated_at) - Math.round((asked + answered) / 2),
          key: answer.key,
          tickets: answer.tickets
        };
        return store("snapshots", "readwrite").then(function (s) {
          s.store.put(kept);
          return done(s.tx);
        }).then(function () {
          return use(kept);
        }).then(function () {
          return dropMarksBefore(asked + kept.offset);
        });
      });
    });
  }

  function dropMarksBefore(serverTime) {
    // A check-in made before the snapshot was asked for is in it (or was undone since); one
    // still waiting to sync is not.
    return queued().then(function (items) {
      var waiting = new Set(items.map(function (item) { return item.request_id; }));
      var stale = [];
      marks.forEach(function (mark, hash) {
        if (mark.at < serverTime && !waiting.has(mark.requestId)) {
          stale.push(hash);
        }
      });
      if (!stale.length) {
        return;
      }
      return store("marks", "readwrite").then(function (s) {
        stale.forEach(function (hash) {
          marks.delete(hash);
          s.store.delete(owner + ":" + dayId + ":" + hash);
        });
        return done(s.tx);
      });
    });
  }

  function showAge() {
    if (!age) {
      return;
    }
    if (!snapshot) {
      age.textContent = "No roster on this phone yet: scans need the network until it arrives.";
      return;
    }
    var minutes = Math.floor((Date.now() - snapshot.fetchedAt) / 60000);
    var words;
    if (minutes < 1) {
      words = "less than a minute ago";
    } else if (minutes < 60) {
      words = minutes + (minutes === 1 ? " minute ago" : " minutes ago");
    } else {
      var hours = Math.floor(minutes / 60);
      words = hours + (hours === 1 ? " hour ago" : " hours ago");
    }
    age.textContent = "Roster from " + words + " (" + snapshot.tickets.length +
      (snapshot.tickets.length === 1 ? " ticket" : " tickets") + ").";
  }

  // --- Judging a scan --------------------------------------------------------------------

  function normalise(raw) {
    var code = String(raw || "").trim().toUpperCase()
      .replace(/O/g, "0").replace(/[IL]/g, "1").replace(/[- ]/g, "");
    if (code.length !== CODE_LENGTH) {
      return null;
    }
    for (var i = 0; i < code.length; i += 1) {
      if (ALPHABET.indexOf(code[i]) === -1) {
        return null;
      }
    }
    return code;
  }

  function hashOf(code) {
    return window.crypto.subtle.sign("HMAC", hmacKey, new TextEncoder().encode(code))
      .then(function (signature) {
        return Array.prototype.map.call(new Uint8Array(signature), function (b) {
          return ("0" + b.toString(16)).slice(-2);
        }).join("");
      });
  }

  function dayLabel() {
    var parts = dayDate.split("-").map(Number);
    return new Date(Date.UTC(parts[0], parts[1] - 1, parts[2])).toLocaleDateString("en-US", {
      weekday: "long", month: "long", day: "numeric", timeZone: "UTC"
    });
  }

  function clockTime(ms) {
    return new Date(ms - (snapshot ? snapshot.offset : 0)).toLocaleTimeString("en-US", {
      hour: "numeric", minute: "2-digit"
    });
  }

  var TITLES = {
    checked_in: ["ok", "✓", "Checked in"],
    already_checked_in: ["warn", "!", "Already checked in"],
    not_registered_for_day: ["stop", "✗", "Not registered for this day"],
    waitlisted: ["stop", "✗", "Waitlisted, not confirmed"],
    cancelled: ["stop", "✗", "Cancelled"],
    invalid: ["stop", "✗", "Invalid code"],
    not_sent: ["stop", "✗", "Not sent: no connection"]
  };

  function element(tag, className, text) {
    var made = document.createElement(tag);
    if (className) {
      made.className = className;
    }
    if (text !== undefined) {
      made.textContent = text;
    }
    return made;
  }

  function detail(list, term, value, className) {
    var row = element("div", className);
    row.appendChild(element("dt", null, term));
    row.appendChild(document.createTextNode(" "));
    row.appendChild(element("dd", null, value));
    list.appendChild(row);
  }

  /** A result card like the server's (_result_card.html), marked as judged offline. */
  function card(result, message, ticket, at) {
    var style = TITLES[result];
    var box = element("div", "result-card result-" + style[0]);
    box.setAttribute("data-result", result);
    box.setAttribute("data-offline", "true");
    var title = element("p", "result-title");
    var icon = element("span", "result-icon", style[1]);
    icon.setAttribute("aria-hidden", "true");
    title.appendChild(icon);
    title.appendChild(document.createTextNode(" " + style[2] + " "));
    title.appendChild(element("span", "result-offline", "(offline)"));
    box.appendChild(title);
    if (ticket) {
      box.appendChild(element("p", "result-name", ticket.name));
      var list = element("dl", "result-details");
      if (ticket.teams && ticket.teams.length) {
        detail(list, ticket.teams.length === 1 ? "Team:" : "Teams:", ticket.teams.join(", "));
      }
      if (ticket.organization) {
        detail(list, "Organization:", ticket.organization);
      }
      detail(list, "Day:", dayLabel() + (result === "checked_in" ? " · checked in at " +
        clockTime(at) : ""));
      if (ticket.needs) {
        detail(list, "Accessibility needs:", "on file: look them up by name when back online.",
          "result-needs");
      }
      box.appendChild(list);
    }
    box.appendChild(element("p", "result-message", message));
    return { html: box.outerHTML, tone: style[0] === "ok" ? "ok" : "stop", result: result };
  }

  function queueScan(code, requestId, at, hash) {
    var item = {
      owner: owner,
      dayId: dayId,
      code: code,
      day: dayDate,
      request_id: requestId,
      scanned_at: new Date(at).toISOString()
    };
    var mark = {
      id: owner + ":" + dayId + ":" + hash,
      owner: owner,
      dayId: dayId,
      date: dayDate,
      hash: hash,
      at: at,
      requestId: requestId
    };
    marks.set(hash, mark);
    return openDatabase().then(function (opened) {
      var tx = opened.transaction(["queue", "marks"], "readwrite");
      tx.objectStore("queue").add(item);
      tx.objectStore("marks").put(mark);
      return done(tx);
    });
  }

  function decide(raw, requestId) {
    var at = now();
    var code = normalise(raw);
    if (!code) {
      return Promise.resolve(card("invalid", "That is not a forum ticket code."));
    }
    if (!snapshot || !hmacKey) {
      return Promise.resolve(card("not_sent",
        "There is no roster on this phone yet, so the scan was not recorded. Check the Wi-Fi " +
        "or mobile data and scan again."));
    }
    return hashOf(code).then(function (hash) {
      var ticket = byHash.get(hash);
      var day = dayLabel();
      if (!ticket) {
        return card("invalid", "Unknown code: it is not in the roster downloaded " +
          "at " + clockTime(snapshot.fetchedAt + snapshot.offset) + ". Look the person up " +
          "by name, or check again when back online.");
      }
      var name = ticket.name;
      if (ticket.status === "replaced") {
        return card("invalid", "This code was replaced by a newer one for " + name +
          ". Ask for their latest ticket or look them up by name.", ticket);
      }
      if (ticket.status === "not_today") {
        return card("not_registered_for_day", name + " is not registered for " + day + ".",
          ticket);
      }
      if (ticket.status === "waitlisted") {
        return card("waitlisted", name + " is on the waitlist for " + day +
          ", not confirmed.", ticket);
      }
      if (ticket.status === "cancelled") {
        return card("cancelled", name + " cancelled their place for " + day + ".", ticket);
      }
      var mark = marks.get(hash);
      if (mark) {
        return card("already_checked_in", name + " was already checked in at " +
          clockTime(mark.at) + " on this phone.", ticket);
      }
      if (ticket.checked_in) {
        return card("already_checked_in", name + " was already checked in (before the " +
          "roster was downloaded).", ticket);
      }
      return queueScan(code, requestId, at, hash).then(function () {
        showWaiting();
        return card("checked_in", "Welcome, " + name + "! Checked in for " + day +
          ". Recorded on this phone: it syncs when the network returns.", ticket, at);
      });
    });
  }

  // --- The banner and the network --------------------------------------------------------

  function say(kind, text) {
    container.hidden = false;
    container.setAttribute("data-state", kind);
    state.textContent = text;
  }

  function scans(count) {
    return count + (count === 1 ? " scan" : " scans");
  }

  function showWaiting() {
    return queued().then(function (items) {
      if (signedOut) {
        showSignedOut(items.length);
      } else if (syncing) {
        say("syncing", "Syncing… " + items.length + " left");
      } else if (offline) {
        say("offline", "Offline — " + scans(items.length) + " waiting to sync");
      }
      return items.length;
    });
  }

  function showSignedOut(count) {
    say("signed-out", "Your sign-in has ended: sign in again to sync " + scans(count) + ".");
    details.textContent = "";
    var link = element("a", null, "Sign in again");
    link.href = settings.signInUrl;
    var line = element("p");
    line.appendChild(link);
    details.appendChild(line);
  }

  function goOffline() {
    if (!offline) {
      offline = true;
      details.textContent = "";
    }
    showWaiting();
    if (!probeTimer) {
      probeTimer = setInterval(probe, PROBE_MS);
    }
  }

  function probe() {
    if (syncing || signedOut) {
      return;
    }
    request(settings.probeUrl, PROBE_TIMEOUT_MS).then(function (response) {
      if (response.ok) {
        return sync();
      }
    }).catch(function () { /* still offline */ });
  }

  function refreshToken() {
    // A page reopened from the cache may carry an expired CSRF token: read a fresh one.
    return request(settings.pageUrl, SYNC_TIMEOUT_MS).then(function (response) {
      if (response.redirected || !response.ok) {
        return false;
      }
      return response.text().then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.querySelector('meta[name="csrf-token"]');
        var meta = document.querySelector('meta[name="csrf-token"]');
        if (!fresh || !meta) {
          return false;
        }
        meta.setAttribute("content", fresh.getAttribute("content"));
        return true;
      });
    });
  }

  function postBatch(items) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return request(settings.batchUrl, SYNC_TIMEOUT_MS, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": meta ? meta.getAttribute("content") : ""
      },
      body: JSON.stringify(items.map(function (item) {
        return {
          code: item.code, day: item.day, request_id: item.request_id,
          scanned_at: item.scanned_at
        };
      }))
    });
  }

  function removeSynced(items, results) {
    var answered = new Set(results.map(function (r) { return r.request_id; }));
    return store("queue", "readwrite").then(function (s) {
      items.forEach(function (item) {
        if (answered.has(item.request_id)) {
          s.store.delete(item.seq);
        }
      });
      return done(s.tx);
    });
  }

  function listProblems(problems) {
    details.textContent = "";
    if (!problems.length) {
      return;
    }
    details.appendChild(element("p", null, scans(problems.length) + " could not be checked " +
      "in when synced" + (problems.some(function (p) { return p.result === "conflict"; })
        ? " (organizers see them on the live check-in page)" : "") + ":"));
    var list = element("ul", "offline-problems");
    problems.forEach(function (problem) {
      list.appendChild(element("li", null, problem.message));
    });
    details.appendChild(list);
  }

  function sync() {
    if (syncing) {
      return syncing;
    }
    var problems = [];
    var tokenRefreshed = false;

    function round() {
      return queued().then(function (items) {
        if (!items.length) {
          return "synced";
        }
        say("syncing", "Syncing… " + items.length + " left");
        var batch = items.slice(0, BATCH_MAX);
        return postBatch(batch).then(function (response) {
          if (response.status === 401 || response.status === 403 || response.redirected ||
              !isJson(response) && response.status !== 400) {
            return "signed-out";
          }
          if (response.status === 400 && !tokenRefreshed) {
            tokenRefreshed = true;
            return refreshToken().then(function (fresh) {
              return fresh ? round() : "signed-out";
            });
          }
          if (!response.ok) {
            return response.text().then(function () { return "refused"; });
          }
          return response.json().then(function (answer) {
            answer.results.forEach(function (r) {
              if (r.result !== "checked_in") {
                problems.push(r);
              }
            });
            return removeSynced(batch, answer.results).then(round);
          });
        });
      });
    }

    syncing = round().then(function (outcome) {
      syncing = null;
      if (outcome === "synced") {
        offline = false;
        signedOut = false;
        clearInterval(probeTimer);
        probeTimer = null;
        say("synced", "All synced");
        listProblems(problems);
        refreshRecent();
        return refreshSnapshot().catch(function () { /* next minute */ });
      }
      if (outcome === "signed-out") {
        signedOut = true;
        return showWaiting();
      }
      // Refused as a whole (should not happen): keep the scans and say so.
      listProblems(problems);
      return queued().then(function (items) {
        say("refused", "The sync was refused: " + scans(items.length) + " still waiting. " +
          "Ask an organizer.");
      });
    }, function () {
      // The network went again: stay offline, try later.
      syncing = null;
      listProblems(problems);
      goOffline();
    });
    return syncing;
  }

  // --- Lookup by name while offline ------------------------------------------------------

  function folded(text) {
    return String(text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  var STATUS_LABELS = {
    confirmed: "Confirmed",
    waitlisted: "Waitlisted",
    not_today: "Not registered for this day",
    cancelled: "Cancelled"
  };

  function lookUp(form, answerBox) {
    var query = folded(form.querySelector("input[name=q]").value.trim());
    answerBox.textContent = "";
    answerBox.hidden = false;
    var heading = element("h3", null, "Found in the roster (offline)");
    answerBox.appendChild(heading);
    if (!snapshot || query.length < 2) {
      answerBox.appendChild(element("p", null, snapshot
        ? "Type at least two letters of a name or organization."
        : "There is no roster on this phone: look people up when back online."));
      return;
    }
    var found = snapshot.tickets.filter(function (ticket) {
      return ticket.status !== "replaced" &&
        (folded(ticket.name).indexOf(query) !== -1 ||
         folded(ticket.organization).indexOf(query) !== -1);
    }).sort(function (a, b) { return a.name.localeCompare(b.name); });
    var count = element("p", null, found.length ? (found.length === 1 ? "1 person" :
      found.length + " people") + " found. Check in by scanning, or when back online."
      : "Nobody in the roster matches. Check in by scanning, or when back online.");
    count.setAttribute("role", "status");
    answerBox.appendChild(count);
    var list = element("ul", "plain-list offline-lookup-list");
    found.slice(0, 30).forEach(function (ticket) {
      var item = element("li", "lookup-row");
      item.appendChild(element("p", "lookup-name", ticket.name));
      if (ticket.organization) {
        item.appendChild(element("p", null, ticket.organization));
      }
      var status = STATUS_LABELS[ticket.status] || ticket.status;
      if (ticket.status === "confirmed" && (ticket.checked_in || marks.has(ticket.hash))) {
        status += ", checked in";
      }
      item.appendChild(element("p", null, status));
      list.appendChild(item);
    });
    answerBox.appendChild(list);
  }

  var lookupForm = document.querySelector("[data-lookup-form]");
  if (lookupForm) {
    var answerBox = element("section", "offline-lookup");
    answerBox.setAttribute("aria-label", "Found in the roster (offline)");
    answerBox.hidden = true;
    lookupForm.parentNode.insertBefore(answerBox, lookupForm.nextSibling);
    lookupForm.addEventListener("submit", function (event) {
      if (offline || !navigator.onLine) {
        event.preventDefault();
        lookUp(lookupForm, answerBox);
      }
    });
  }

  // --- What door.js calls ----------------------------------------------------------------

  var ready = openDatabase().then(forgetOldRosters).then(loadKept).catch(function () {
    /* private browsing without IndexedDB: the door works online only */
  });

  window.forumappDoorOffline = {
    /** Whether scans that cannot be sent are judged here (the entrance, entry mode). */
    takes: function () {
      var form = document.querySelector("[data-scan-form]");
      return !form || form.getAttribute("data-mode") !== "exit";
    },
    /** Whether scans are judged here at once, without trying the network. */
    isOffline: function () {
      return offline || !!syncing || signedOut;
    },
    /** A scan that could not be sent (or made while offline): judge it, queue a welcome. */
    judge: function (code, requestId) {
      goOffline();
      return ready.then(function () { return decide(code, requestId); });
    },
    /** A scan the server answered: remember on this phone who is in. */
    seenOnline: function (code, answer) {
      var normal = normalise(code);
      if (!normal || !hmacKey ||
          (answer.result !== "checked_in" && answer.result !== "already_checked_in")) {
        return;
      }
      hashOf(normal).then(function (hash) {
        if (!marks.has(hash)) {
          var mark = {
            id: owner + ":" + dayId + ":" + hash, owner: owner, dayId: dayId, date: dayDate,
            hash: hash, at: now(), requestId: null
          };
          marks.set(hash, mark);
          return store("marks", "readwrite").then(function (s) {
            s.store.put(mark);
            return done(s.tx);
          });
        }
      }).catch(function () { /* only a hint for offline judging */ });
    },
    waitingCount: function () {
      return ready.then(queued).then(function (items) { return items.length; },
        function () { return 0; });
    },
    /** Let go of the database (sign-out deletes it). */
    close: function () {
      clearInterval(probeTimer);
      if (db) {
        db.close();
        db = null;
        opening = null;
      }
      return Promise.resolve();
    }
  };

  window.addEventListener("offline", function () { goOffline(); });
  window.addEventListener("online", function () {
    if (offline) {
      probe();
    }
  });

  ready.then(function () {
    showAge();
    setInterval(showAge, 15000);
    return queued();
  }).then(function (items) {
    if (!navigator.onLine) {
      goOffline();
    } else if (items && items.length) {
      // Scans left from before a reload (or a sign-in that had ended): send them.
      offline = true;
      sync();
    }
  }).catch(function () { /* nothing kept */ }).then(function () {
    return refreshSnapshot().catch(function () {
      if (!navigator.onLine) {
        goOffline();
      }
    });
  });
  setInterval(function () {
    if (!offline && !syncing) {
      refreshSnapshot().catch(function () { /* the next scan tells whether we are offline */ });
    }
  }, REFRESH_MS);

  // --- The service worker ----------------------------------------------------------------

  if (navigator.serviceWorker && window.isSecureContext && settings.workerUrl) {
    navigator.serviceWorker.register(settings.workerUrl, { scope: settings.workerScope })
      .then(function () {
        return navigator.serviceWorker.ready;
      }).then(function (registration) {
        return new Promise(function (resolve) {
          var channel = new MessageChannel();
          channel.port1.onmessage = function (event) { resolve(event.data); };
          registration.active.postMessage(
            { type: "keep-page", path: window.location.pathname }, [channel.port2]
          );
        });
      }).then(function (answer) {
        container.setAttribute("data-page-kept", answer === "kept" ? "true" : "false");
      }).catch(function () {
        container.setAttribute("data-page-kept", "false");
      });
  }
})();
