"""Boxes by script tag: /embed.js and the one batched request it makes for a whole page."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, unquote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from affsite.catalog import EXTENSION_KEY as CATALOG_KEY
from affsite.catalog import ProductAnswer, Purpose, Reason, Status, get_catalog
from affsite.render.choices import BoxTemplate
from affsite.resources import static_folder
from affsite.settings import settings_store
from affsite.web.script_embed import MAX_PLACEHOLDERS, read_placeholder

from .conftest import MakeApp

EARBUDS = "1005004757833857"
MUG = "33006951782"
SCRIPT = static_folder() / "js" / "embed.js"


def embeds(
    client: FlaskClient, *placeholders: str, headers: dict[str, str] | None = None
) -> TestResponse:
    query = "&".join(f"b={quote(p, safe='')}" for p in placeholders)
    return client.get(f"/api/v1/embeds?{query}", headers=headers or {})


class Recording:
    """Wraps the app's catalog and records every ``products`` call."""

    def __init__(self, app: Flask) -> None:
        self.inner = app.extensions[CATALOG_KEY]
        self.calls: list[tuple[list[str], Purpose]] = []
        app.extensions[CATALOG_KEY] = self

    def products(self, ids: Sequence[str], *, purpose: Purpose) -> list[ProductAnswer]:
        self.calls.append((list(ids), Purpose(purpose)))
        answers: list[ProductAnswer] = self.inner.products(ids, purpose=purpose)
        return answers

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


# --- /embed.js --------------------------------------------------------------------------------


def test_the_script_is_javascript_any_site_may_load_and_caches_may_keep(
    client: FlaskClient,
) -> None:
    response = client.get("/embed.js")
    headers = response.headers
    assert response.status_code == 200
    assert response.data == SCRIPT.read_bytes()
    assert headers["Content-Type"].startswith("application/javascript")
    assert headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"].startswith("public, max-age=3600")
    assert "X-Frame-Options" not in headers
    assert headers["ETag"] and headers["Last-Modified"]

    again = client.get("/embed.js", headers={"If-None-Match": headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert again.headers["Cache-Control"] == headers["Cache-Control"]


def test_public_answers_never_carry_a_cookie_even_for_a_signed_in_admin(
    admin: FlaskClient,
) -> None:
    for path in ("/embed.js", f"/api/v1/embeds?b={quote('ids=' + EARBUDS)}", "/api/v1/embeds"):
        response = admin.get(path)
        assert "Set-Cookie" not in response.headers, path
        assert "cookie" not in response.headers.get("Vary", "").lower(), path


def test_the_script_is_small_old_browser_javascript_that_never_parses_markup() -> None:
    # It runs with every embedding site's privileges: no HTML parsing of anything, no code
    # from strings, and ES5 syntax only (old browsers stop at the first newer token).
    source = SCRIPT.read_text()
    assert len(source.encode()) < 12_000
    code = re.sub(r"/\*.*?\*/|//[^\n]*", "", source, flags=re.S)  # comments out
    for forbidden in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "Function(",
        "DOMParser",
        "createContextualFragment",
        "srcdoc",
    ):
        assert forbidden not in code, forbidden
    for modern in ("=>", "`", "let ", "const ", "class ", "async ", "await ", "...", "fetch("):
        assert modern not in code, modern
    # The origin check and the per-frame secret on every message it acts on.
    assert "event.origin !== origin" in code
    assert "event.source !== frame.contentWindow" in code
    # Never a data-secret attribute: WordPress's own listener would resize our frames too.
    assert "data-secret" not in code


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_script_parses() -> None:
    result = subprocess.run(
        ["node", "--check", str(SCRIPT)], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr


# --- /api/v1/embeds ---------------------------------------------------------------------------


def test_every_placeholder_of_a_page_costs_one_catalog_call(app: Flask) -> None:
    recording = Recording(app)
    response = embeds(
        app.test_client(),
        f"ids={EARBUDS},{MUG}&template=grid&theme=dark",
        f"ids={EARBUDS}",
        f"ids=https://www.aliexpress.com/item/{MUG}.html?spm=x&template=list&field=title",
    )
    assert response.status_code == 200
    assert recording.calls == [([EARBUDS, MUG], Purpose.PUBLIC)]
    boxes = response.get_json()["boxes"]
    assert [box["src"] for box in boxes] == [
        f"embed/grid?ids={EARBUDS},{MUG}&theme=dark",
        f"embed/box?ids={EARBUDS}",
        f"embed/list?ids={MUG}&field=title",
    ]
    assert [box["height"] for box in boxes] == [480, 520, 150]
    assert [box["width"] for box in boxes] == [960, 400, 720]  # the widest each should get
    assert boxes[0]["title"] == "2 AliExpress products"
    assert boxes[1]["title"].startswith("Wireless Earbuds") and boxes[1]["title"].endswith(
        "(AliExpress product)"
    )


def test_the_request_warms_the_cache_for_the_frames_that_follow(app: Flask) -> None:
    response = embeds(app.test_client(), f"ids={EARBUDS},{MUG}&template=grid")
    assert response.headers["X-Cache"] == "MISS"
    with app.app_context():
        answers = get_catalog().products([EARBUDS, MUG], purpose=Purpose.PUBLIC)
    assert [answer.status for answer in answers] == [Status.HIT, Status.HIT]


def test_bad_placeholders_are_errors_of_their_own(app: Flask) -> None:
    recording = Recording(app)
    response = embeds(
        app.test_client(),
        "ids=",
        "ids=not-a-product",
        f"ids={EARBUDS}&template=../../etc/passwd",
        f"ids={EARBUDS}&theme=neon",
        "ids=" + ",".join([EARBUDS] * 51),
        "x" * 5000,
        f"ids={MUG}",
    )
    boxes = response.get_json()["boxes"]
    assert [box.get("error") for box in boxes] == [
        "no product ids given",
        "item 1 of ids is not an AliExpress product",
        "unknown template",
        "unknown theme",
        "too many product ids (51)",
        "the placeholder is too long",
        None,
    ]
    assert all(box["fix"] for box in boxes[:-1])
    assert "etc/passwd" not in response.get_data(as_text=True)
    assert boxes[-1]["src"] == f"embed/box?ids={MUG}"
    assert recording.calls == [([MUG], Purpose.PUBLIC)]


def test_what_the_frame_address_holds_is_rebuilt_never_copied(client: FlaskClient) -> None:
    hostile = f"https://www.aliexpress.com/item/{EARBUDS}.html?x=%22%3E%3Cscript%3E"
    response = embeds(client, f"ids={hostile}&template=GRID&theme=Dark&extra=<script>")
    box = response.get_json()["boxes"][0]
    assert box["src"] == f"embed/grid?ids={EARBUDS}&theme=dark"


def test_placeholders_per_request_are_capped(app: Flask) -> None:
    recording = Recording(app)
    client = app.test_client()
    too_many = embeds(client, *[f"ids={EARBUDS}"] * (MAX_PLACEHOLDERS + 1))
    assert too_many.status_code == 400
    assert too_many.get_json()["error"] == "too many placeholders (21)"
    assert too_many.headers["Access-Control-Allow-Origin"] == "*"
    none = client.get("/api/v1/embeds")
    assert none.status_code == 400 and none.get_json()["error"] == "no placeholders given"
    assert recording.calls == []
    assert embeds(client, *[f"ids={EARBUDS}"] * MAX_PLACEHOLDERS).status_code == 200


def test_at_most_fifty_products_per_request(app: Flask) -> None:
    recording = Recording(app)
    ids = [str(1005000000001000 + n) for n in range(60)]
    response = embeds(
        app.test_client(),
        "ids=" + ",".join(ids[:30]),
        "ids=" + ",".join(ids[30:50]),
        "ids=" + ",".join(ids[50:]),
    )
    boxes = response.get_json()["boxes"]
    assert "src" in boxes[0] and "src" in boxes[1]
    assert boxes[2]["error"] == "more than 50 products in one request"
    assert [len(ids) for ids, _ in recording.calls] == [50]


def test_unknown_ids_cost_at_most_the_public_share(app: Flask) -> None:
    with app.app_context():
        settings_store().save({"new_product_share": 0})
    client = app.test_client()
    response = embeds(client, f"ids={EARBUDS}", f"ids={MUG}&template=list")
    assert response.headers["X-Cache"] == "FALLBACK"
    with app.app_context():
        catalog = get_catalog()
        assert catalog.stats().new_products_used == 0
        answers = catalog.products([EARBUDS], purpose=Purpose.PUBLIC)
    assert answers[0].reason == Reason.NEW_PRODUCT_LIMIT
    # The frames still come: they show the site's "not available" box.
    assert [box["src"] for box in response.get_json()["boxes"]] == [
        f"embed/box?ids={EARBUDS}",
        f"embed/list?ids={MUG}",
    ]


def test_a_placeholder_of_only_unavailable_products_is_hidden_when_the_settings_say_so(
    app: Flask,
) -> None:
    with app.app_context():
        settings_store().save({"new_product_share": 0, "unavailable_display": "hide"})
    boxes = embeds(app.test_client(), f"ids={EARBUDS}").get_json()["boxes"]
    assert boxes == [{"hidden": True}]


def test_the_answer_is_public_cacheable_and_conditional(client: FlaskClient) -> None:
    first = embeds(client, f"ids={EARBUDS}")
    headers = first.headers
    assert headers["Content-Type"] == "application/json"
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "Host" not in headers.get("Vary", "")  # relative addresses: no Host in it
    second = embeds(client, f"ids={EARBUDS}")
    assert second.headers["X-Cache"] == "HIT"
    assert second.headers["Cache-Control"].startswith("public, max-age=300")
    tag = second.headers["ETag"]
    third = embeds(client, f"ids={EARBUDS}", headers={"If-None-Match": tag})
    assert third.status_code == 304
    assert third.headers["Access-Control-Allow-Origin"] == "*"


def test_a_catalog_answer_with_a_hostile_title_is_plain_json(make_app: MakeApp) -> None:
    from affsite.aliexpress import Product

    app = make_app()
    hostile = Product(id=EARBUDS, title='</script><img src=x onerror=alert(1)>"\n\t x')

    class Hostile:
        def products(self, ids: Sequence[str], *, purpose: Purpose) -> list[ProductAnswer]:
            return [
                ProductAnswer(id=pid, status=Status.HIT, product=hostile, fetched_at=1.7e9)
                for pid in ids
            ]

    app.extensions[CATALOG_KEY] = Hostile()
    response = embeds(app.test_client(), f"ids={EARBUDS}")
    box = response.get_json()["boxes"][0]
    # The script sets it with the title property (never as markup); one line, cut to size.
    assert box["title"] == '</script><img src=x onerror=alert(1)>" x (AliExpress product)'
    assert response.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("text", "src"),
    [
        (f"ids={EARBUDS}", f"embed/box?ids={EARBUDS}"),
        (f"ids={EARBUDS}&template=field&field=title", f"embed/field?ids={EARBUDS}&field=title"),
        (f"ids={EARBUDS}&theme=auto", f"embed/box?ids={EARBUDS}&theme=auto"),
        (f"ids={EARBUDS}&ids={MUG}", f"embed/box?ids={EARBUDS},{MUG}"),
    ],
)
def test_placeholders_read_like_the_embed_pages_query(text: str, src: str) -> None:
    assert read_placeholder(text, BoxTemplate.BOX).src() == src


def test_a_placeholder_without_a_template_takes_the_sites_default() -> None:
    assert read_placeholder(f"ids={MUG}", BoxTemplate.TABLE).src() == f"embed/table?ids={MUG}"


# --- the script itself, driven by Node with a stand-in page -----------------------------------

NODE = shutil.which("node")

# Runs embed.js in a fresh context with a stand-in window and document holding placeholders,
# then replays `steps` and prints what happened: the requests made, each placeholder's state
# and iframe, windows opened, console warnings. The stand-in server answers every placeholder
# with src "embed/box?ids=<its ids>", except ids "bad" (an error), "gone" (hidden) and "evil"
# (a src pointing elsewhere).
HARNESS = r"""
const vm = require("vm");
const fs = require("fs");
const [source, scenario] = [fs.readFileSync(process.argv[1], "utf8"), JSON.parse(process.argv[2])];
const requests = [], pending = [], timers = [], observers = [], opened = [], warnings = [];
const listeners = {};
let seed = 1;
class Node {
  constructor(tag, attrs) { this.tagName = tag; this.attrs = Object.assign({}, attrs || {});
    this.children = []; this.style = {}; }
  getAttribute(n) {
    return Object.prototype.hasOwnProperty.call(this.attrs, n) ? this.attrs[n] : null;
  }
  setAttribute(n, v) { this.attrs[n] = String(v); }
  get firstChild() { return this.children[0] || null; }
  removeChild(c) { this.children.splice(this.children.indexOf(c), 1); }
  appendChild(c) { this.children.push(c); }
}
const placeholders = [];
function add(spec) { const n = new Node("div", spec.attrs); n.id = spec.id;
  n.children.push(new Node("a", { href: "https://fallback.example/" })); placeholders.push(n); }
(scenario.placeholders || []).forEach(add);
const script = new Node("script"); script.src = scenario.src;
const document = {
  readyState: scenario.readyState, documentElement: new Node("html"), activeElement: null,
  currentScript: scenario.currentScript ? script : undefined,
  getElementsByTagName: (t) => (t === "script" ? [new Node("script"), script] : []),
  querySelectorAll: (sel) => placeholders.filter((n) =>
    /(^| )affsite( |$)/.test(n.getAttribute("class") || "") && sel.split(", ").some((one) => {
      const wanted = /^\.affsite\[(data-[a-z]+)\]$/.exec(one);
      return wanted !== null && n.getAttribute(wanted[1]) !== null;
    })),
  createElement: (tag) => {
    const n = new Node(tag);
    if (tag === "iframe") n.contentWindow = {};
    return n;
  },
  addEventListener: (type, f) => { listeners["document:" + type] = f; },
};
function answer(url) {
  const query = url.split("?")[1];
  return query.split("&").map((part) => {
    const inner = decodeURIComponent(part.slice(2));
    const ids = decodeURIComponent(inner.split("&")[0].slice(4));
    if (ids === "bad") return { error: "no such product", fix: "Use another." };
    if (ids === "gone") return { hidden: true };
    if (ids === "evil") return { src: "//evil.example/x", height: 100 };
    return { src: "embed/box?ids=" + ids, height: 300, width: 400, title: "T " + ids };
  });
}
class XMLHttpRequest {
  open(method, url) { this.url = url; requests.push(url); pending.push(this); }
  send() {}
}
const window = {
  JSON, Math, Uint8Array, XMLHttpRequest,
  crypto: { getRandomValues: (a) => {
    a.forEach((_, i) => { seed = (seed * 29 + 7) % 256; a[i] = seed; });
    return a;
  } },
  console: { warn: (text) => warnings.push(text) },
  setTimeout: (f) => timers.push(f),
  addEventListener: (type, f) => { listeners["window:" + type] = f; },
  open: (url, target) => { opened.push([url, target]); return {}; },
  MutationObserver: scenario.noObserver ? undefined : class {
    constructor(f) { observers.push(f); } observe(target, options) { this.options = options; } },
};
const run = () => vm.runInNewContext(source, { window, document });
const frameOf = (id) => placeholders.find((p) => p.id === id).children[0];
run();
for (const step of scenario.steps) {
  if (step.add) add(step.add);
  if (step.observe) observers.forEach((f) => f([]));
  if (step.ready) { document.readyState = "interactive"; listeners["document:DOMContentLoaded"](); }
  if (step.flush) timers.splice(0).forEach((f) => f());
  if (step.scan) window.affsiteEmbed.scan();
  if (step.again) run();
  if (step.respond) pending.splice(0).forEach((x) => { x.readyState = 4;
    x.status = step.respond; x.responseText = JSON.stringify({ boxes: answer(x.url) });
    x.onreadystatechange(); });
  if (step.message) {
    const m = step.message, frame = frameOf(m.frame);
    const secret = /secret=([A-Za-z0-9]+)/.exec(frame.src)[1];
    document.activeElement = m.focus ? frame : null;
    listeners["window:message"]({
      origin: m.origin, source: m.source === "other" ? {} : frame.contentWindow,
      data: Object.assign({ secret: m.secret === undefined ? secret : m.secret }, m.data) });
  }
}
console.log(JSON.stringify({
  requests, opened, warnings, observed: observers.length,
  nodes: placeholders.map((n) => ({ id: n.id, state: n.getAttribute("data-affsite-state"),
    children: n.children.map((c) => ({ tag: c.tagName, src: c.src, title: c.title,
      className: c.className, attrs: c.attrs, style: c.style })) })),
}));
"""

BASE = "https://boxes.example/shop/"


def placeholder(pid: str, ids: str, **attrs: str) -> dict[str, object]:
    return {"id": pid, "attrs": {"class": "affsite", "data-ids": ids, **attrs}}


def run_script(
    steps: list[dict[str, Any]],
    placeholders: list[dict[str, object]],
    *,
    src: str = BASE + "embed.js?v=2",
    ready_state: str = "loading",
    current_script: bool = True,
    no_observer: bool = False,
) -> dict[str, Any]:
    scenario = {
        "steps": steps,
        "placeholders": placeholders,
        "src": src,
        "readyState": ready_state,
        "currentScript": current_script,
        "noObserver": no_observer,
    }
    assert NODE is not None
    done = subprocess.run(
        [NODE, "-e", HARNESS, str(SCRIPT), json.dumps(scenario)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def asked(url: str) -> list[str]:
    """The placeholders (``b`` values, decoded) one request carried."""
    query = url.split("?", 1)[1]
    return [unquote(part[2:]) for part in query.split("&")]


def nodes(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {node["id"]: node for node in result["nodes"]}


needs_node = pytest.mark.skipif(NODE is None, reason="Node.js is not installed")


@needs_node
def test_one_request_for_every_placeholder_once_the_page_is_parsed() -> None:
    result = run_script(
        [
            {"add": placeholder("late", "4")},  # parsed after the script ran
            {"observe": True, "flush": True},  # still parsing: wait
            {"ready": True},
            {"respond": 200},
        ],
        [
            placeholder("one", "1", **{"data-template": "grid", "data-theme": "dark"}),
            placeholder("two", "2,3", **{"data-template": "field", "data-field": "title"}),
            {"id": "fragment", "attrs": {"class": "affsite affsite-box"}},  # a drawn box
            placeholder("other", "9", **{"class": "not-ours"}),
        ],
    )
    assert len(result["requests"]) == 1
    url = result["requests"][0]
    assert url.startswith(f"{BASE}api/v1/embeds?b=")
    assert asked(url) == [
        "ids=1&template=grid&theme=dark",
        "ids=2%2C3&template=field&field=title",  # each value encoded, then the whole
        "ids=4",
    ]
    found = nodes(result)
    assert [found[n]["state"] for n in ("one", "two", "late")] == ["done"] * 3
    assert found["fragment"]["state"] is None and found["other"]["state"] is None


@needs_node
def test_each_box_is_an_iframe_of_our_site_with_its_own_secret() -> None:
    result = run_script(
        [{"respond": 200}],
        [placeholder("one", "1"), placeholder("two", "2")],
        ready_state="complete",
    )
    (frame,) = nodes(result)["one"]["children"]  # the site's fallback link is replaced
    (other,) = nodes(result)["two"]["children"]
    assert frame["src"].split("#")[1] != other["src"].split("#")[1]
    assert frame["tag"] == "iframe" and frame["className"] == "affsite-frame"
    assert re.fullmatch(
        rf"{re.escape(BASE)}embed/box\?ids=1#\?secret=[A-Za-z0-9]{{16}}", frame["src"]
    )
    assert frame["title"] == "T 1"
    assert frame["attrs"]["sandbox"] == (
        "allow-scripts allow-same-origin allow-popups allow-popups-to-escape-sandbox"
    )
    assert frame["attrs"]["loading"] == "lazy"
    assert frame["attrs"]["referrerpolicy"] == "strict-origin-when-cross-origin"
    assert "data-secret" not in frame["attrs"]  # WordPress's listener must leave it alone
    assert frame["style"]["height"] == "300px" and frame["style"]["maxWidth"] == "400px"
    assert frame["style"]["width"] == "100%"


@needs_node
def test_bad_placeholders_and_foreign_addresses_show_nothing() -> None:
    result = run_script(
        [{"respond": 200}],
        [placeholder("bad", "bad"), placeholder("gone", "gone"), placeholder("evil", "evil")],
        ready_state="complete",
    )
    found = nodes(result)
    assert [found[n]["state"] for n in ("bad", "gone", "evil")] == ["error", "hidden", "error"]
    assert all(child["tag"] == "a" for n in found.values() for child in n["children"])
    assert (
        result["warnings"][0] == 'affsite: no box for data-ids="bad": no such product Use another.'
    )

    down = run_script([{"respond": 503}], [placeholder("one", "1")], ready_state="complete")
    assert nodes(down)["one"]["state"] == "error"
    assert down["warnings"] == ['affsite: no box for data-ids="1": the box service answered 503']


@needs_node
def test_only_that_frames_messages_resize_it() -> None:
    origin = "https://boxes.example"
    steps: list[dict[str, Any]] = [{"respond": 200}]
    for message in (
        {"origin": origin, "data": {"message": "height", "value": 640}},  # taken
        {"origin": "https://evil.example", "data": {"message": "height", "value": 1}},
        {"origin": origin, "source": "other", "data": {"message": "height", "value": 2}},
        {"origin": origin, "secret": "WrongSecret", "data": {"message": "height", "value": 3}},
        {"origin": origin, "secret": "constructor", "data": {"message": "height", "value": 4}},
        {"origin": origin, "data": {"message": "height", "value": "x"}},
    ):
        steps.append({"message": {"frame": "one", **message}})
    result = run_script(steps, [placeholder("one", "1")], ready_state="complete")
    assert nodes(result)["one"]["children"][0]["style"]["height"] == "640px"

    huge = run_script(
        [
            {"respond": 200},
            {
                "message": {
                    "frame": "one",
                    "origin": origin,
                    "data": {"message": "height", "value": 10**9},
                }
            },
        ],
        [placeholder("one", "1")],
        ready_state="complete",
    )
    assert nodes(huge)["one"]["children"][0]["style"]["height"] == "5000px"


@needs_node
def test_link_messages_open_only_our_pages_after_a_click_in_that_frame() -> None:
    origin = "https://boxes.example"
    go = f"{BASE}go/1"
    steps: list[dict[str, Any]] = [{"respond": 200}]
    for value, focus in ((go, True), (go, False), ("https://evil.example/", True)):
        data = {"message": "link", "value": value}
        steps.append({"message": {"frame": "one", "origin": origin, "focus": focus, "data": data}})
    result = run_script(steps, [placeholder("one", "1")], ready_state="complete")
    assert result["opened"] == [[go, "_blank"]]


@needs_node
def test_placeholders_added_later_are_picked_up_once_each() -> None:
    result = run_script(
        [
            {"respond": 200},
            {"add": placeholder("spa", "7")},
            {"observe": True},
            {"observe": True},  # several mutations in one tick: one scan
            {"flush": True},
            {"respond": 200},
            {"scan": True},  # nothing new
            {"observe": True, "flush": True},
        ],
        [placeholder("one", "1")],
        ready_state="complete",
    )
    assert [asked(url) for url in result["requests"]] == [["ids=1"], ["ids=7"]]
    assert nodes(result)["spa"]["state"] == "done"


@needs_node
def test_without_mutation_observer_a_page_can_ask_for_a_scan() -> None:
    result = run_script(
        [{"respond": 200}, {"add": placeholder("spa", "7")}, {"scan": True}, {"respond": 200}],
        [placeholder("one", "1")],
        ready_state="complete",
        no_observer=True,
    )
    assert result["observed"] == 0
    assert [asked(url) for url in result["requests"]] == [["ids=1"], ["ids=7"]]


@needs_node
def test_big_pages_are_split_at_the_servers_caps() -> None:
    many = [placeholder(f"p{n}", str(n + 1)) for n in range(MAX_PLACEHOLDERS + 5)]
    result = run_script([], many, ready_state="complete")
    assert [len(asked(url)) for url in result["requests"]] == [MAX_PLACEHOLDERS, 5]

    wide = [placeholder(f"w{n}", ",".join(["1"] * 30)) for n in range(3)]
    result = run_script([], wide, ready_state="complete")
    assert [len(asked(url)) for url in result["requests"]] == [1, 1, 1]  # 50 ids at most


@needs_node
def test_a_second_copy_of_the_script_does_nothing() -> None:
    result = run_script([{"again": True}], [placeholder("one", "1")], ready_state="complete")
    assert len(result["requests"]) == 1


@needs_node
@pytest.mark.parametrize(
    ("src", "current", "expected"),
    [
        ("https://boxes.example/embed.js", True, "https://boxes.example/api/v1/embeds?"),
        ("https://boxes.example:443/a/b/embed.js#x", True, "https://boxes.example:443/a/b/api/"),
        (BASE + "embed.js", False, f"{BASE}api/v1/embeds?"),  # old browsers: found by name
    ],
)
def test_the_script_finds_its_own_site(src: str, current: bool, expected: str) -> None:
    result = run_script(
        [], [placeholder("one", "1")], src=src, current_script=current, ready_state="complete"
    )
    assert result["requests"][0].startswith(expected)


@needs_node
@pytest.mark.parametrize(
    "src", ["javascript:alert(1)//embed.js", "https://a@evil.example/embed.js", "data:,embed.js"]
)
def test_a_script_from_an_odd_address_does_nothing(src: str) -> None:
    assert (
        run_script([], [placeholder("one", "1")], src=src, ready_state="complete")["requests"] == []
    )


@needs_node
def test_list_placeholders_send_their_options_and_count_as_their_limit() -> None:
    search = {
        "class": "affsite",
        "data-search": "usb c",
        "data-limit": "40",
        "data-min-price": "5",
        "data-sort": "LAST_VOLUME_DESC",
        "data-template": "grid",
    }
    result = run_script(
        [{"respond": 200}],
        [
            {"id": "list", "attrs": search},
            {"id": "hot", "attrs": {"class": "affsite", "data-hot": "", "data-category": "44"}},
            placeholder("ids", ",".join(str(n) for n in range(1, 12))),  # 40 + 11 > 50
        ],
        ready_state="complete",
    )
    first, second = result["requests"]
    assert asked(first) == [
        "search=usb%20c&sort=LAST_VOLUME_DESC&limit=40&min_price=5&template=grid",
        "hot=&category=44",
    ]
    assert asked(second)[0].startswith("ids=1%2C2")
