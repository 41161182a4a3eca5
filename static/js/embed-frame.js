/* affsite embed pages: talk to the page that frames us, with the wp-embed messages.
 *
 * WordPress (and our own /embed.js) listen for postMessage from their iframes:
 *   {secret, message: "height", value: N}  -> the iframe is made N px tall;
 *   {secret, message: "link", value: URL}  -> the top page opens URL (WordPress only does
 *     so when URL is on the iframe's own host and the iframe has focus).
 * The secret reaches us in our address's fragment (#?secret=abc123); WordPress reveals an
 * oEmbed iframe only once it has sent a message, so the height goes out at once. WordPress's
 * host script may add the secret after we loaded (a new fragment, no reload) and asks every
 * embed that may have missed it to speak again with a "ready" message: both make us send our
 * height again, under the secret we have then.
 *
 * Links: inside WordPress's sandbox (sandbox="allow-scripts": an opaque origin, no popups,
 * no top navigation) a target=_blank link cannot open, so a click on a link to our own host
 * (the /go/<id> call to action) asks the parent to open it instead. Everywhere else links
 * work as they are. Nothing here reads the page's content or sends anything but our height
 * and the address clicked.
 */
(function () {
  "use strict";

  var secret = "";
  var framed = window.parent && window.parent !== window;
  var lastHeight = -1;

  function readSecret() {
    var match = /[#&?]secret=([A-Za-z0-9]{1,64})/.exec(window.location.hash);
    secret = match ? match[1] : "";
  }

  function send(message, value) {
    if (framed) {
      window.parent.postMessage({ secret: secret, message: message, value: value }, "*");
    }
  }

  function height() {
    var body = document.body;
    if (!body) {
      return 0;
    }
    var style = window.getComputedStyle(body);
    var margins = (parseFloat(style.marginTop) || 0) + (parseFloat(style.marginBottom) || 0);
    // The body's own box (content, padding, border), not the document's scroll height,
    // which never drops below the frame's height: the frame can shrink as well as grow.
    return Math.ceil(body.getBoundingClientRect().height + margins);
  }

  function reportHeight() {
    var value = height();
    if (value > 0 && value !== lastHeight) {
      lastHeight = value;
      send("height", value);
    }
  }

  function reportHeightAgain() {
    lastHeight = -1;
    reportHeight();
  }

  function onHashChange() {
    var previous = secret;
    readSecret();
    if (secret !== previous) {
      reportHeightAgain();
    }
  }

  function onMessage(event) {
    // Only the page framing us, only "ready", only under our own secret when we have one.
    var data = event.data;
    if (!framed || event.source !== window.parent || !data || typeof data !== "object") {
      return;
    }
    if (data.message === "ready" && (!secret || data.secret === secret)) {
      reportHeightAgain();
    }
  }

  function sandboxed() {
    // An opaque origin: sandboxed without allow-same-origin (WordPress's oEmbed iframes).
    if (typeof window.origin === "string") {
      return window.origin === "null";
    }
    try {
      void document.cookie;
      return false;
    } catch (error) {
      return true;
    }
  }

  function onClick(event) {
    if (!secret || !framed || event.defaultPrevented || event.button !== 0) {
      return;
    }
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) {
      return;
    }
    var target = event.target;
    var link = target && target.closest ? target.closest("a[href]") : null;
    if (!link || link.host !== window.location.host || !sandboxed()) {
      return;
    }
    event.preventDefault();
    send("link", link.href); // absolute, resolved by the browser against our address
  }

  readSecret();
  reportHeight();
  window.addEventListener("hashchange", onHashChange);
  window.addEventListener("message", onMessage);
  document.addEventListener("click", onClick);
  window.addEventListener("load", reportHeight);
  window.addEventListener("resize", reportHeight);
  if (typeof window.ResizeObserver === "function") {
    new window.ResizeObserver(reportHeight).observe(document.body);
  }
})();
