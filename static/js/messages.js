/* Messages where the person is looking: flash messages after a redirect, and a form's error
   summary.

   Many actions answer with a redirect to a part of a long page (/me/<token>#forum-5,
   /staff/forums/1/topics#group-3) and the browser scrolls there, while base.html renders the
   messages ("Your breakout choices are saved.") at the top of <main>, out of sight. This moves
   them into that part: right after its heading, so headings stay in order and the messages are
   read after the heading of the part they are about. Without JavaScript they stay at the top.
   The region keeps its role="status", so it is still announced as it is now. */
(function () {
  "use strict";

  // Containers in which a message region (a <div>) may not stand between the children.
  var LIST_OR_TABLE = /^(UL|OL|DL|MENU|TABLE|THEAD|TBODY|TFOOT|TR|COLGROUP|SELECT|DATALIST|OPTGROUP)$/;

  function isShown(element) {
    return element.getClientRects().length > 0;
  }

  function fragmentTarget() {
    var id = window.location.hash.slice(1);
    if (!id) {
      return null;
    }
    try {
      id = decodeURIComponent(id);
    } catch (error) {
      return null; // a malformed fragment names nothing
    }
    return document.getElementById(id);
  }

  /* The heading the messages go after: the target itself when it is a heading, else its first
     heading that is shown (one in a closed <details> would hide the messages with it). */
  function headingOf(target) {
    if (/^H[1-6]$/.test(target.tagName)) {
      return target;
    }
    var heading = target.querySelector("h1, h2, h3, h4, h5, h6");
    return heading && isShown(heading) ? heading : null;
  }

  function place(region, target) {
    var heading = headingOf(target);
    if (heading) {
      heading.after(region);
      return;
    }
    // No heading: just before the target, or before the list or table it belongs to.
    var before = target;
    while (before.parentElement && LIST_OR_TABLE.test(before.parentElement.tagName)) {
      before = before.parentElement;
    }
    before.before(region);
  }

  /* Brings the messages on screen if they are not, once the page has loaded: the browser
     scrolls to the target after this script has run, and keeps the target in place while the
     page loads, so messages placed before a target would sit just above the window. */
  function keepInView(region) {
    var box = region.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) {
      region.scrollIntoView({ block: "nearest" });
    }
  }

  function moveMessages() {
    var region = document.querySelector("main .flashes");
    var target = fragmentTarget();
    if (!region || !target) {
      return;
    }
    var main = region.closest("main");
    if (!main || target === main || !main.contains(target) || target.contains(region)) {
      return; // already where the person is looking
    }
    if (!isShown(target)) {
      return; // the browser does not scroll to a hidden target: the top is where they look
    }
    place(region, target);
    if (document.readyState === "complete") {
      keepInView(region);
    } else {
      window.addEventListener("load", function () {
        keepInView(region);
      });
    }
  }

  /* A form sent back with errors: its error summary (data-focus-on-load, tabindex="-1") takes
     the focus, so keyboard and screen-reader users land on what to correct. */
  function focusErrorSummary() {
    var summary = document.querySelector("[data-focus-on-load]");
    if (summary && isShown(summary)) {
      summary.focus();
    }
  }

  moveMessages();
  focusErrorSummary();
})();
