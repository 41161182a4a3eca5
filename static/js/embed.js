/*! affsite embed.js: product boxes for any page.
 *
 * Put placeholders where boxes go and this script once, anywhere on the page:
 *
 *   <div class="affsite" data-ids="1005004757833857,33006951782" data-template="grid"
 *        data-theme="dark"></div>
 *   <script src="https://boxes.example/embed.js" async></script>
 *
 * data-ids: product ids or product page addresses, separated by commas; data-template,
 * data-theme and data-field are optional (the site's settings decide when left out).
 * Instead of data-ids, a list: data-search (or data-hot) with keywords, and optionally
 * data-category, data-sort, data-limit, data-min-price and data-max-price, as in
 *
 *   <div class="affsite" data-search="usb c cable" data-limit="4"></div>
 *
 * The script asks its own site once for every placeholder on the page (GET api/v1/embeds,
 * one request per 20 placeholders) and puts each box in an iframe of that site, so nothing
 * from product data ever runs or is parsed in this page. Each iframe reports its height with
 * the wp-embed protocol ({secret, message: "height", value}); only messages from that very
 * iframe, carrying its secret, are believed. Placeholders added later (single-page apps) are
 * picked up; each placeholder is handled once (data-affsite-state says how it went).
 *
 * ES5, no dependencies, no innerHTML, no eval; works without MutationObserver (call
 * window.affsiteEmbed.scan() after adding placeholders) and without fetch.
 */
(function (window, document) {
  "use strict";

  if (!document || !window.JSON || !document.querySelectorAll || window.affsiteEmbed) {
    return; // a browser too old for boxes, or a second copy of this script
  }

  var PER_REQUEST = 20; // placeholders per request (the server's cap)
  var IDS_PER_REQUEST = 50; // ids per request (the server's cap)
  var MAX_QUERY = 3500; // characters of query string per request, below URL limits
  var MAX_ATTRIBUTE = 2000; // characters taken from one placeholder attribute
  var MIN_SIZE = 20; // pixels, for heights and widths from the server or a frame
  var MAX_SIZE = 5000;
  var SELECTOR = ".affsite[data-ids], .affsite[data-search], .affsite[data-hot]";
  var LIST_DEFAULT = 10; // products a list shows without data-limit (the server's default)
  // A list's data attributes and the query names the server reads them as.
  var LIST_OPTIONS = [["data-category", "category"], ["data-sort", "sort"],
    ["data-limit", "limit"], ["data-min-price", "min_price"], ["data-max-price", "max_price"]];
  var STATE = "data-affsite-state";
  var SRC = /^embed\/[a-z][a-z0-9-]*\?[A-Za-z0-9%&=,._~-]*$/;
  var SECRET_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

  var base = baseOf(ownSource()); // e.g. "https://boxes.example/" (with the site's URL root)
  if (!base) {
    return;
  }
  var origin = originOf(base);
  var frames = {}; // "s" + secret -> the iframe it was given to
  var ready = false;
  var queued = false;

  function ownSource() {
    if (document.currentScript && document.currentScript.src) {
      return document.currentScript.src;
    }
    var scripts = document.getElementsByTagName("script");
    for (var i = scripts.length - 1; i >= 0; i--) {
      if (/\/embed\.js(?:[?#]|$)/.test(scripts[i].src || "")) {
        return scripts[i].src;
      }
    }
    return "";
  }

  function baseOf(src) {
    var match = /^(https?:\/\/[^\/?#\\@]+(?:\/[^?#]*)?\/)embed\.js(?:[?#].*)?$/i.exec(src || "");
    return match ? match[1] : "";
  }

  function originOf(url) {
    // As browsers write event.origin: lower-case scheme and host, no default port.
    var match = /^(https?):\/\/([^\/]+)/i.exec(url);
    var scheme = match[1].toLowerCase();
    var host = match[2].toLowerCase();
    var port = scheme === "https" ? ":443" : ":80";
    if (host.slice(-port.length) === port) {
      host = host.slice(0, -port.length);
    }
    return scheme + "://" + host;
  }

  function attribute(node, name) {
    var value = node.getAttribute(name);
    return value ? String(value).replace(/^\s+|\s+$/g, "").slice(0, MAX_ATTRIBUTE) : "";
  }

  function listSource(node) {
    // "search" or "hot" when the placeholder asks for a list instead of naming products.
    if (node.getAttribute("data-ids") !== null) {
      return "";
    }
    return node.getAttribute("data-search") !== null ? "search" :
      node.getAttribute("data-hot") !== null ? "hot" : "";
  }

  function placeholderQuery(node) {
    var source = listSource(node);
    var query = "ids=" + encodeURIComponent(attribute(node, "data-ids"));
    if (source) {
      query = source + "=" + encodeURIComponent(attribute(node, "data-" + source));
      for (var j = 0; j < LIST_OPTIONS.length; j++) {
        var option = attribute(node, LIST_OPTIONS[j][0]);
        if (option) {
          query += "&" + LIST_OPTIONS[j][1] + "=" + encodeURIComponent(option);
        }
      }
    }
    var names = ["template", "theme", "field"];
    for (var i = 0; i < names.length; i++) {
      var value = attribute(node, "data-" + names[i]);
      if (value) {
        query += "&" + names[i] + "=" + encodeURIComponent(value);
      }
    }
    return "b=" + encodeURIComponent(query);
  }

  function idCount(node) {
    if (listSource(node)) {
      // As many products as the list may find (the server counts it so too).
      var limit = parseInt(attribute(node, "data-limit"), 10);
      return limit > 0 ? Math.min(limit, IDS_PER_REQUEST) : LIST_DEFAULT;
    }
    return attribute(node, "data-ids").split(",").length;
  }

  function described(node) {
    var source = listSource(node) || "ids";
    return "data-" + source + "=\"" + attribute(node, "data-" + source) + "\"";
  }

  function scan() {
    queued = false;
    var found = document.querySelectorAll(SELECTOR);
    var batch = [];
    var parts = [];
    var ids = 0;
    var length = 0;
    for (var i = 0; i < found.length; i++) {
      var node = found[i];
      if (node.getAttribute(STATE)) {
        continue; // handled already (or being handled)
      }
      node.setAttribute(STATE, "loading");
      var part = placeholderQuery(node);
      var count = idCount(node);
      if (batch.length && (batch.length >= PER_REQUEST || ids + count > IDS_PER_REQUEST ||
          length + part.length + 1 > MAX_QUERY)) {
        request(batch, parts);
        batch = [];
        parts = [];
        ids = 0;
        length = 0;
      }
      batch.push(node);
      parts.push(part);
      ids += count;
      length += part.length + 1;
    }
    if (batch.length) {
      request(batch, parts);
    }
  }

  function schedule() {
    if (ready && !queued) {
      queued = true;
      window.setTimeout(scan, 0);
    }
  }

  function request(nodes, parts) {
    var xhr = new window.XMLHttpRequest();
    xhr.open("GET", base + "api/v1/embeds?" + parts.join("&"), true);
    xhr.onreadystatechange = function () {
      if (xhr.readyState !== 4) {
        return;
      }
      var boxes = null;
      if (xhr.status === 200) {
        try {
          boxes = window.JSON.parse(xhr.responseText).boxes;
        } catch (ignored) {
          boxes = null;
        }
      }
      for (var i = 0; i < nodes.length; i++) {
        var box = boxes && boxes[i];
        if (box && typeof box.src === "string" && SRC.test(box.src)) {
          mount(nodes[i], box);
        } else if (box && box.hidden === true) {
          nodes[i].setAttribute(STATE, "hidden"); // nothing to show, as the site chose
        } else {
          fail(nodes[i], box && typeof box.error === "string" ? box : null, xhr.status);
        }
      }
    };
    xhr.send();
  }

  function fail(node, box, status) {
    node.setAttribute(STATE, "error");
    var text = box ? box.error + (box.fix ? " " + box.fix : "") :
      "the box service answered " + status;
    if (window.console && window.console.warn) {
      window.console.warn("affsite: no box for " + described(node) + ": " + text);
    }
  }

  function newSecret() {
    var crypto = window.crypto || window.msCrypto;
    var secret = "";
    var values = null;
    if (crypto && crypto.getRandomValues && window.Uint8Array) {
      values = new window.Uint8Array(16);
      crypto.getRandomValues(values);
    }
    for (var i = 0; i < 16; i++) {
      var n = values ? values[i] : Math.floor(Math.random() * 256);
      secret += SECRET_CHARS.charAt(n % SECRET_CHARS.length);
    }
    return secret;
  }

  function clamp(value) {
    var n = parseInt(value, 10);
    if (!(n > 0)) {
      return 0;
    }
    return Math.max(MIN_SIZE, Math.min(MAX_SIZE, n));
  }

  function mount(node, box) {
    var secret = newSecret();
    var frame = document.createElement("iframe");
    frame.className = "affsite-frame";
    frame.title = typeof box.title === "string" && box.title ? box.title : "AliExpress products";
    // Scripts (the height messages) and new tabs for the call to action; no top navigation,
    // forms or dialogs. Old browsers ignore what they do not know.
    frame.setAttribute("sandbox",
      "allow-scripts allow-same-origin allow-popups allow-popups-to-escape-sandbox");
    frame.setAttribute("loading", "lazy");
    frame.setAttribute("referrerpolicy", "strict-origin-when-cross-origin");
    frame.setAttribute("scrolling", "no");
    frame.setAttribute("frameborder", "0");
    var style = frame.style;
    style.display = "block";
    style.width = "100%";
    style.maxWidth = clamp(box.width) ? clamp(box.width) + "px" : "100%"; // as wide as it may
    style.border = "0";
    style.overflow = "hidden";
    style.height = (clamp(box.height) || 300) + "px";
    frame.src = base + box.src + "#?secret=" + secret;
    frames["s" + secret] = frame;
    while (node.firstChild) {
      node.removeChild(node.firstChild); // a fallback link the site put inside
    }
    node.appendChild(frame);
    node.setAttribute(STATE, "done");
  }

  function onMessage(event) {
    var data = event.data;
    if (event.origin !== origin || !data || typeof data !== "object" ||
        typeof data.secret !== "string" || !/^[A-Za-z0-9]{1,64}$/.test(data.secret)) {
      return;
    }
    var frame = frames.hasOwnProperty("s" + data.secret) ? frames["s" + data.secret] : null;
    if (!frame || event.source !== frame.contentWindow) {
      return;
    }
    if (data.message === "height") {
      var height = clamp(data.value);
      if (height) {
        frame.style.height = height + "px";
      }
    } else if (data.message === "link" && typeof data.value === "string" &&
        data.value.indexOf(base) === 0 && document.activeElement === frame) {
      // Only for a visitor's click in that box, and only to this box site's own pages
      // (its /go/ links), as WordPress does.
      var opened = window.open(data.value, "_blank");
      if (opened) {
        opened.opener = null;
      }
    }
  }

  function start() {
    if (ready) {
      return;
    }
    ready = true;
    scan();
  }

  window.affsiteEmbed = {scan: scan};
  if (window.addEventListener) {
    window.addEventListener("message", onMessage, false);
  }
  if (window.MutationObserver) {
    new window.MutationObserver(schedule).observe(document.documentElement, {
      childList: true,
      subtree: true,
      attributes: true,
      attributeFilter: ["data-ids", "data-search", "data-hot"]
    });
  }
  // One request for a whole static page: wait until it is parsed.
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start, false);
  } else {
    start();
  }
}(window, document));
