/* The door page: scan with the phone's camera, a handheld scanner or by typing, without page loads.
 *
 * The page works without this script (the form posts and the page reloads). With it, each scan
 * is sent as JSON with a fresh request id; on a network error the SAME request is sent once more,
 * so a flaky connection never checks anyone in twice (the server answers a repeated id with the
 * original result). The camera uses the vendored qr-scanner library (static/vendor/).
 *
 * At the entrance, door-offline.js takes over when the network does not answer within a few
 * seconds: it judges the scan against the day's roster snapshot and queues it to sync.
 */
(function () {
  "use strict";

  var form = document.querySelector("[data-scan-form]");
  if (!form || !window.fetch || !window.JSON) {
    return;
  }
  var field = form.querySelector("input[name=code]");
  var result = document.querySelector("[data-scan-result]");
  var recent = document.querySelector("[data-recent]");
  var tokenMeta = document.querySelector('meta[name="csrf-token"]');
  var scanUrl = form.getAttribute("action");
  var TIMEOUT_MS = 8000;
  var OFFLINE_TIMEOUT_MS = 3000; // with an offline door to hand over to, wait less
  var queue = Promise.resolve();
  var cameraOn = false;

  function newRequestId() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID();
    }
    // crypto.randomUUID needs a secure context; getRandomValues works everywhere.
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function offlineDoor() {
    var door = window.forumappDoorOffline;
    return door && door.takes() ? door : null;
  }

  function postOnce(body) {
    var controller = window.AbortController ? new AbortController() : null;
    var wait = offlineDoor() ? OFFLINE_TIMEOUT_MS : TIMEOUT_MS;
    var timer = controller ? setTimeout(function () { controller.abort(); }, wait) : null;
    return fetch(scanUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        // Read at each scan: the offline door may have refreshed it.
        "X-CSRFToken": tokenMeta ? tokenMeta.content : ""
      },
      body: JSON.stringify(body),
      signal: controller ? controller.signal : undefined
    }).finally(function () {
      if (timer) { clearTimeout(timer); }
    });
  }

  function postWithRetry(body) {
    // A network error or timeout may hide a request the server did receive: resending the
    // same request id is safe, because the server counts a request id once.
    return postOnce(body).catch(function (error) {
      if (offlineDoor() && error && error.name === "AbortError") {
        throw error; // no answer in time: the offline door judges it rather than wait again
      }
      return postOnce(body);
    });
  }

  function vibrate(tone) {
    if (navigator.vibrate) {
      try {
        navigator.vibrate(tone === "ok" ? 120 : [220, 100, 220]);
      } catch (ignored) { /* vibration is optional */ }
    }
  }

  function show(html) {
    // Emptying first makes screen readers announce a result that reads like the last one.
    result.textContent = "";
    window.setTimeout(function () {
      result.innerHTML = html;
      result.removeAttribute("aria-busy");
    }, 30);
  }

  function showProblem(title, message) {
    var card = document.createElement("div");
    card.className = "result-card result-stop";
    card.setAttribute("data-result", "not_sent");
    var heading = document.createElement("p");
    heading.className = "result-title";
    heading.textContent = "✗ " + title;
    var text = document.createElement("p");
    text.className = "result-message";
    text.textContent = message;
    card.appendChild(heading);
    card.appendChild(text);
    show(card.outerHTML);
    vibrate("stop");
  }

  function handle(response, code) {
    var type = response.headers.get("Content-Type") || "";
    if (response.redirected || type.indexOf("application/json") === -1) {
      showProblem("Not recorded",
        "Your sign-in has ended or the page is out of date. Reload the page and scan again.");
      return;
    }
    return response.json().then(function (answer) {
      if (!response.ok) {
        showProblem("Not recorded", answer.error || "The scan was refused. Reload the page.");
        return;
      }
      show(answer.card_html);
      if (offlineDoor()) {
        offlineDoor().seenOnline(code, answer);
      }
      if (recent && answer.recent_html) {
        recent.innerHTML = answer.recent_html;
      }
      vibrate(answer.tone);
    });
  }

  function judgeOffline(door, code, requestId) {
    return door.judge(code, requestId).then(function (judged) {
      show(judged.html);
      vibrate(judged.tone);
    });
  }

  function sendOrJudge(code) {
    var requestId = newRequestId();
    var door = offlineDoor();
    if (door && door.isOffline()) {
      return judgeOffline(door, code, requestId); // no waiting for a network that is not there
    }
    result.setAttribute("aria-busy", "true");
    return postWithRetry({ code: code, request_id: requestId })
      .then(function (response) { return handle(response, code); }, function () {
        // The same request id goes in the offline queue: if the server did get the scan, the
        // sync answers with that check-in instead of making another.
        if (offlineDoor()) {
          return judgeOffline(offlineDoor(), code, requestId);
        }
        showProblem("Not sent: no connection",
          "The scan was not recorded. Check the Wi-Fi or mobile data and scan again.");
      });
  }

  function send(code, fromCamera) {
    queue = queue.then(function () {
      return sendOrJudge(code)
        .catch(function () {
          showProblem("Not sent: no connection",
            "The scan was not recorded. Check the Wi-Fi or mobile data and scan again.");
        })
        .then(function () {
          // Ready for the next ticket. While the camera runs, focusing the field would open
          // the phone's keyboard over the camera, so only typed and handheld scans refocus.
          if (!fromCamera || !cameraOn) {
            field.focus();
          }
        });
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var code = field.value.trim();
    field.value = "";
    if (!code) {
      field.focus();
      return;
    }
    send(code, false);
  });

  // --- The camera ------------------------------------------------------------------------
  var camera = document.querySelector("[data-camera]");
  if (!camera) {
    return;
  }
  var toggle = camera.querySelector("[data-camera-toggle]");
  var video = camera.querySelector("[data-camera-video]");
  var status = camera.querySelector("[data-camera-status]");
  var scanner = null;
  var lastCode = null;
  var lastAt = 0;
  var REPEAT_MS = 4000; // the camera sees the same code many times a second
  var PREFERENCE = "forumapp-door-camera";

  camera.hidden = false;

  function say(message) {
    status.textContent = message;
  }

  function unavailable(reason) {
    toggle.hidden = true;
    video.hidden = true;
    say(reason + " Type the code or use a handheld scanner.");
  }

  function remember(on) {
    try {
      window.localStorage.setItem(PREFERENCE, on ? "on" : "off");
    } catch (ignored) { /* private browsing: no memory, no harm */ }
  }

  function wanted() {
    try {
      return window.localStorage.getItem(PREFERENCE) === "on";
    } catch (ignored) {
      return false;
    }
  }

  function scanRegion(v) {
    // Most of the picture, not the library's central two thirds: at a busy door people hold
    // tickets and phones wherever they like.
    var size = Math.round(0.9 * Math.min(v.videoWidth, v.videoHeight));
    return {
      x: Math.round((v.videoWidth - size) / 2),
      y: Math.round((v.videoHeight - size) / 2),
      width: size,
      height: size,
      downScaledWidth: 480,
      downScaledHeight: 480
    };
  }

  function onDecode(decoded) {
    var code = (decoded && decoded.data ? decoded.data : String(decoded || "")).trim();
    var now = Date.now();
    if (!code || (code === lastCode && now - lastAt < REPEAT_MS)) {
      return;
    }
    lastCode = code;
    lastAt = now;
    send(code, true);
  }

  function stop() {
    if (scanner) {
      scanner.stop();
    }
    cameraOn = false;
    video.hidden = true;
    toggle.textContent = "Start camera";
    toggle.setAttribute("aria-pressed", "false");
    say("Camera off.");
  }

  function start() {
    // Shown before the scanner is made: it hides a video that was hidden when it was made.
    video.hidden = false;
    if (!scanner) {
      scanner = new window.QrScanner(video, onDecode, {
        returnDetailedScanResult: true,
        preferredCamera: "environment",
        maxScansPerSecond: 8,
        calculateScanRegion: scanRegion
      });
    }
    say("Starting the camera…");
    return scanner.start().then(function () {
      cameraOn = true;
      toggle.textContent = "Stop camera";
      toggle.setAttribute("aria-pressed", "true");
      say("Camera on: hold the QR code in view.");
    }).catch(function (error) {
      video.hidden = true;
      cameraOn = false;
      remember(false);
      say("The camera could not start (" + (error && error.name ? error.name : error) +
        "). Allow camera access in the browser, or type the code or use a handheld scanner.");
    });
  }

  toggle.addEventListener("click", function () {
    if (cameraOn) {
      stop();
      remember(false);
    } else {
      remember(true);
      start();
    }
  });

  if (!window.QrScanner) {
    unavailable("Camera scanning could not be loaded.");
  } else if (!window.isSecureContext || !navigator.mediaDevices ||
             !navigator.mediaDevices.getUserMedia) {
    unavailable("The camera needs a secure (https) connection.");
  } else {
    window.QrScanner.hasCamera().then(function (hasCamera) {
      if (!hasCamera) {
        unavailable("No camera found on this device.");
      } else if (wanted()) {
        start();
      } else {
        say("Tap “Start camera” to scan with this phone's camera.");
      }
    }, function () {
      unavailable("No camera found on this device.");
    });
  }
})();
