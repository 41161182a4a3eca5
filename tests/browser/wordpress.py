"""What WordPress does with an oEmbed answer, reduced to its rules (our own code, written from
the behaviour of WordPress core's ``wp_filter_oembed_result`` and ``wp-embed.js``; see
shared/embeds.md):

* ``place(html)``: the server side. Keep only ``a[href]``, bare ``blockquote`` and
  ``iframe[src width height frameborder marginwidth marginheight scrolling title]`` (text stays,
  every other tag and attribute goes); refuse an answer without an iframe; then add
  ``class="wp-embedded-content"``, ``sandbox="allow-scripts" security="restricted"`` and a
  ``data-secret`` to the iframe, ``#?secret=`` to its ``src``, the secret to the blockquote, and
  -- when there is a blockquote -- clip the iframe out of sight until it speaks.
* ``HOST_SCRIPT``: the browser side. Listens for ``{secret, message, value}`` from those
  iframes: any message reveals the iframe and hides the blockquote; ``height`` resizes
  (clamped to 200-1000); ``link`` navigates the top page, only to an http(s) URL on the
  iframe's own host and only while the iframe has focus (the visitor clicked in it). On load
  it gives a secret to iframes without one and posts ``ready`` to each.
"""

from __future__ import annotations

import secrets
import string
from html import escape
from html.parser import HTMLParser

ALLOWED: dict[str, frozenset[str]] = {
    "a": frozenset({"href"}),
    "blockquote": frozenset(),
    "iframe": frozenset(
        {
            "src",
            "width",
            "height",
            "frameborder",
            "marginwidth",
            "marginheight",
            "scrolling",
            "title",
        }
    ),
}
CLIPPED = "position: absolute; clip: rect(1px, 1px, 1px, 1px);"


class _Kses(HTMLParser):
    """Keeps the allowed tags with their allowed attributes, and all text (escaped)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.iframes = 0
        self.blockquotes = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        allowed = ALLOWED.get(tag)
        if allowed is None:
            return
        kept = [(name, value or "") for name, value in attrs if name in allowed]
        if tag == "a" and not any(name == "href" for name, _ in kept):
            return
        self.iframes += tag == "iframe"
        self.blockquotes += tag == "blockquote"
        text = "".join(f' {name}="{escape(value)}"' for name, value in kept)
        self.out.append(f"<{tag}{text}>")

    def handle_endtag(self, tag: str) -> None:
        if tag in ALLOWED:
            self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.out.append(escape(data))


class _Secretive(HTMLParser):
    """Adds WordPress's attributes to the (already filtered) iframe and blockquote."""

    def __init__(self, secret: str, clip: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.secret = secret
        self.clip = clip
        self.out: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "iframe":
            values["src"] = f"{values.get('src', '')}#?secret={self.secret}"
            values.update(
                {
                    "class": "wp-embedded-content",
                    "sandbox": "allow-scripts",
                    "security": "restricted",
                    "data-secret": self.secret,
                }
            )
            if self.clip:
                values["style"] = CLIPPED
        elif tag == "blockquote":
            values.update({"class": "wp-embedded-content", "data-secret": self.secret})
        text = "".join(f' {name}="{escape(value)}"' for name, value in values.items())
        self.out.append(f"<{tag}{text}>")

    def handle_endtag(self, tag: str) -> None:
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.out.append(escape(data))


def place(html: str, secret: str | None = None) -> str:
    """The oEmbed ``html`` as WordPress puts it into a post (raises when it has no iframe)."""
    kses = _Kses()
    kses.feed(html)
    kses.close()
    if kses.iframes == 0:
        raise ValueError("WordPress shows no embed for an answer without an iframe")
    secret = secret or "".join(
        secrets.choice(string.ascii_letters + string.digits) for _ in range(10)
    )
    marked = _Secretive(secret, clip=kses.blockquotes > 0)
    marked.feed("".join(kses.out))
    marked.close()
    return "".join(marked.out)


HOST_SCRIPT = """
(function () {
  "use strict";
  function receive(event) {
    var data = event.data;
    if (!data || !(data.secret || data.message || data.value)) return;
    if (/[^a-zA-Z0-9]/.test(data.secret)) return;
    var selector = '[data-secret="' + data.secret + '"]';
    var quotes = document.querySelectorAll("blockquote" + selector);
    var frames = document.querySelectorAll("iframe" + selector);
    for (var q = 0; q < quotes.length; q++) quotes[q].style.display = "none";
    for (var i = 0; i < frames.length; i++) {
      var frame = frames[i];
      if (event.source !== frame.contentWindow) continue;
      frame.removeAttribute("style");
      if (data.message === "height") {
        var height = parseInt(data.value, 10);
        if (height > 1000) height = 1000;
        else if (~~height < 200) height = 200;
        frame.height = height;
      }
      if (data.message === "link") {
        var source = document.createElement("a");
        var target = document.createElement("a");
        source.href = frame.getAttribute("src");
        target.href = data.value;
        if (!/^https?:$/i.test(target.protocol)) continue;
        if (target.host === source.host && document.activeElement === frame) {
          window.top.location.href = data.value;
        }
      }
    }
  }
  var loaded = false;
  function onLoad() {
    if (loaded) return;
    loaded = true;
    var frames = document.querySelectorAll("iframe.wp-embedded-content");
    for (var i = 0; i < frames.length; i++) {
      var frame = frames[i];
      var secret = frame.getAttribute("data-secret");
      if (!secret) {
        secret = Math.random().toString(36).substr(2, 10);
        frame.src += "#?secret=" + secret;
        frame.setAttribute("data-secret", secret);
      }
      frame.contentWindow.postMessage({message: "ready", secret: secret}, "*");
    }
  }
  window.addEventListener("message", receive, false);
  document.addEventListener("DOMContentLoaded", onLoad, false);
  window.addEventListener("load", onLoad, false);
})();
"""
