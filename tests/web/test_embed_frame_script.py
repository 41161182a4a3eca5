"""static/js/embed-frame.js, the one script embed pages run, driven by Node with a stand-in
window: it posts its height in the wp-embed format (at once, and on every change), turns a
click on a link to our own host into a wp-embed ``link`` message only inside WordPress's
sandbox, and speaks again when the host gives it a secret late or asks with ``ready``. (The
real browser proof, with a WordPress-style listener, is tests/browser.)"""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from affsite.resources import static_folder

SCRIPT = static_folder() / "js" / "embed-frame.js"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(NODE is None, reason="Node.js is not installed")

# Runs the script in a fresh context with a stand-in window and document, then replays
# `steps` (new body heights, ResizeObserver callbacks, window events, clicks) and prints
# what was posted to the parent and which clicks were stopped.
HARNESS = r"""
const vm = require("vm");
const fs = require("fs");
const [source, scenario] = [fs.readFileSync(process.argv[1], "utf8"), JSON.parse(process.argv[2])];
const posted = [], stopped = [], listeners = {}, observers = [];
let bodyHeight = scenario.height;
const parent = { postMessage: (data, target) => posted.push({ data, target }) };
const window = {
  location: { hash: scenario.hash, host: "boxes.example" },
  origin: scenario.origin,
  addEventListener: (type, f) => { listeners["window:" + type] = f; },
  getComputedStyle: () => ({ marginTop: "0px", marginBottom: "0px" }),
  ResizeObserver: class { constructor(f) { observers.push(f); } observe() {} },
};
window.parent = scenario.framed ? parent : window;
const document = {
  body: { getBoundingClientRect: () => ({ height: bodyHeight }) },
  addEventListener: (type, f) => { listeners["document:" + type] = f; },
};
vm.runInNewContext(source, { window, document });
for (const step of scenario.steps) {
  if (step.height !== undefined) bodyHeight = step.height;
  if (step.observe) observers.forEach((f) => f([]));
  if (step.newHash !== undefined) {
    window.location.hash = step.newHash;
    listeners["window:hashchange"]();
  }
  if (step.message) {
    const source = step.message.fromParent ? window.parent : {};
    listeners["window:message"]({ source, data: step.message.data });
  }
  if (step.event) listeners["window:" + step.event]();
  if (step.click) {
    const link = { host: step.click.host, href: "https://" + step.click.host + step.click.path };
    const event = Object.assign({ button: 0, defaultPrevented: false }, step.click.keys || {}, {
      target: { closest: (selector) => (selector === "a[href]" ? link : null) },
      preventDefault() { this.defaultPrevented = true; },
    });
    listeners["document:click"](event);
    stopped.push(event.defaultPrevented);
  }
}
console.log(JSON.stringify({ posted, stopped }));
"""


def run(
    steps: list[dict[str, Any]],
    *,
    hash: str = "#?secret=Ab12Cd34Ef",
    origin: str = "null",
    framed: bool = True,
    height: float = 321.2,
) -> dict[str, Any]:
    scenario = {"steps": steps, "hash": hash, "origin": origin, "framed": framed, "height": height}
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


def messages(result: dict[str, Any]) -> list[tuple[str, str, object]]:
    assert {item["target"] for item in result["posted"]} <= {"*"}
    return [
        (m["data"]["secret"], m["data"]["message"], m["data"]["value"]) for m in result["posted"]
    ]


def test_the_height_goes_out_at_once_and_on_every_change() -> None:
    result = run(
        [
            {"event": "load"},  # same height: nothing new
            {"height": 480, "observe": True},
            {"observe": True},  # unchanged
            {"height": 200.4, "event": "resize"},  # it shrinks too
        ]
    )
    secret = "Ab12Cd34Ef"
    assert messages(result) == [
        (secret, "height", 322),
        (secret, "height", 480),
        (secret, "height", 201),
    ]


def test_without_a_secret_the_height_still_goes_out() -> None:
    # Our own embed.js and plain iframes: nothing to match, the message is the same shape.
    assert messages(run([], hash="")) == [("", "height", 322)]
    assert messages(run([], hash="#?secret=<script>")) == [("", "height", 322)]


def test_a_secret_given_after_loading_is_used_from_then_on() -> None:
    # WordPress's host script adds the fragment to an iframe it finds without one.
    result = run([{"newHash": "#?secret=Late99"}, {"height": 400, "observe": True}], hash="")
    assert messages(result) == [
        ("", "height", 322),
        ("Late99", "height", 322),  # said again, now under the secret
        ("Late99", "height", 400),
    ]


def test_a_ready_message_from_the_host_gets_the_height_again() -> None:
    ready = {"message": "ready", "secret": "Ab12Cd34Ef"}
    result = run([{"message": {"fromParent": True, "data": ready}}])
    assert messages(result) == [("Ab12Cd34Ef", "height", 322)] * 2


@pytest.mark.parametrize(
    "message",
    [
        {"fromParent": False, "data": {"message": "ready", "secret": "Ab12Cd34Ef"}},
        {"fromParent": True, "data": {"message": "ready", "secret": "Someone0else"}},
        {"fromParent": True, "data": {"message": "height", "secret": "Ab12Cd34Ef"}},
        {"fromParent": True, "data": "ready"},
        {"fromParent": True, "data": None},
    ],
)
def test_other_messages_are_ignored(message: dict[str, Any]) -> None:
    assert messages(run([{"message": message}])) == [("Ab12Cd34Ef", "height", 322)]


def test_a_page_that_is_not_framed_posts_nothing() -> None:
    assert run([{"height": 500, "observe": True}], framed=False)["posted"] == []


def test_in_wordpress_sandbox_a_click_on_our_link_asks_the_parent_to_open_it() -> None:
    click = {"click": {"host": "boxes.example", "path": "/go/1005004757833857"}}
    result = run([click])
    assert result["stopped"] == [True]
    assert messages(result)[-1] == (
        "Ab12Cd34Ef",
        "link",
        "https://boxes.example/go/1005004757833857",
    )


@pytest.mark.parametrize(
    ("options", "click"),
    [
        # Not sandboxed (our embed.js frames allow popups): the link opens by itself.
        ({"origin": "https://boxes.example"}, {"host": "boxes.example", "path": "/go/1"}),
        # No secret: no wp-embed host is listening.
        ({"hash": ""}, {"host": "boxes.example", "path": "/go/1"}),
        # Another host: WordPress would refuse it (it opens only the iframe's own host).
        ({}, {"host": "s.click.aliexpress.com", "path": "/e/_x"}),
        # A modifier key or another button: the visitor wants something else.
        ({}, {"host": "boxes.example", "path": "/go/1", "keys": {"ctrlKey": True}}),
        ({}, {"host": "boxes.example", "path": "/go/1", "keys": {"button": 1}}),
    ],
)
def test_everywhere_else_links_are_left_alone(
    options: dict[str, Any], click: dict[str, Any]
) -> None:
    result = run([{"click": click}], **options)
    assert result["stopped"] == [False]
    assert [m for m in messages(result) if m[1] == "link"] == []
