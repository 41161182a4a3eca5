"""Boxes by script tag: ``/embed.js`` and the one batched request it makes.

A site puts placeholders where boxes go and the script once (``static/js/embed.js``)::

    <div class="affsite" data-ids="1005004757833857,33006951782" data-template="grid"
         data-theme="dark"></div>
    <div class="affsite" data-search="usb c cable" data-limit="4" data-sort="LAST_VOLUME_DESC"
         data-min-price="5" data-max-price="20.50" data-category="44"></div>
    <script src="https://boxes.example/embed.js" async></script>

A placeholder names products (``data-ids``) or a list (``data-search`` or ``data-hot``, with
the options of the ``[aliexpress search=…]`` shortcode).

The script runs with the host page's privileges, so it never puts anything of ours into that
page but iframes of this site (as YouTube's and Twitter's widgets do): nothing from product data
is ever parsed in the host page. It learns this site's address from its own ``src``.

``GET /api/v1/embeds?b=<placeholder>&b=…`` answers every placeholder on a page at once. Each
``b`` is one placeholder's attributes as a query string (``ids=…&template=grid&theme=dark``,
URL-encoded once more; ``search=usb&limit=4`` for a list). The answer, in the order asked::

    {"boxes": [{"src": "embed/grid?ids=1005004757833857,33006951782&theme=dark",
                "width": 960, "height": 480, "title": "2 AliExpress products"},
               {"error": "…", "fix": "…"},
               {"hidden": true}]}

``width`` is the widest the frame should get (it fills its container up to that), ``height`` a
first guess until the page reports its own. ``src`` is relative to this site's URL root (the
script puts its own base in front), so the answer never depends on the ``Host`` header and CDNs
may keep it. The ids of all placeholders go to one catalog call (``Purpose.PUBLIC``: unknown ids
cost at most the public share), which also warms the cache, so every iframe that follows is a
cache hit; before it, one list request per distinct list (a list only public requests ask for
is paid from the public share too), whose products come with it. ``hidden`` is a placeholder
whose products are all unavailable while the settings say to show nothing then; a list that
found nothing, or could not be looked up, is an error item (the script shows nothing).

Caps: ``MAX_PLACEHOLDERS`` per request (more is a 400; the script splits bigger pages) and
``MAX_IDS`` ids in all, a list counting as its ``limit`` (placeholders past it get an error item).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import parse_qsl

from flask import current_app, jsonify, request
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from affsite.catalog import ProductAnswer, Purpose, get_catalog
from affsite.render import BoxSettings
from affsite.render.choices import BoxTemplate, Unavailable, clean_text
from affsite.settings import Settings, settings_store
from affsite.web.box_lists import lists_found
from affsite.web.box_query import MAX_IDS, BadBoxQuery, BoxQuery, read_query
from affsite.web.public_cache import public_answer
from affsite.web.root import bp

MAX_PLACEHOLDERS = 20
MAX_PLACEHOLDER_LENGTH = 4096  # characters of one ``b`` value
MAX_TITLE = 100  # characters of a product's title in an iframe's accessible name
SCRIPT_PATH = "js/embed.js"  # in the static folder
# The script's address does not change with its version (sites paste it once), so caches
# may keep it an hour and serve it stale for a day while they check for a new one.
SCRIPT_CACHE_CONTROL = "public, max-age=3600, stale-while-revalidate=86400, stale-if-error=86400"

# A first guess at each template's height in pixels (one product, and each further one), so
# the page does not jump much before the box reports its real height.
_HEIGHTS: dict[BoxTemplate, tuple[int, int]] = {
    BoxTemplate.BOX: (520, 0),
    BoxTemplate.GRID: (480, 0),
    BoxTemplate.LIST: (150, 140),
    BoxTemplate.TABLE: (160, 80),
    BoxTemplate.COMPACT: (80, 72),
    BoxTemplate.BUTTON: (64, 0),
    BoxTemplate.LINK: (40, 0),
    BoxTemplate.FIELD: (40, 0),
}


# How wide each template looks right, in CSS pixels: frames are as wide as the space they are
# given, up to this (a single box stretched across a wide column would be mostly picture).
_WIDTHS: dict[BoxTemplate, int] = {
    BoxTemplate.BOX: 400,
    BoxTemplate.GRID: 960,
    BoxTemplate.LIST: 720,
    BoxTemplate.TABLE: 960,
    BoxTemplate.COMPACT: 560,
    BoxTemplate.BUTTON: 320,
    BoxTemplate.LINK: 480,
    BoxTemplate.FIELD: 320,
}


def frame_width(template: BoxTemplate) -> int:
    """The widest a frame showing ``template`` gets.

    >>> frame_width(BoxTemplate.BOX)
    400
    """
    return _WIDTHS.get(template, 640)


def initial_height(template: BoxTemplate, count: int) -> int:
    """The height an iframe starts at before its page reports its own.

    >>> initial_height(BoxTemplate.LIST, 3), initial_height(BoxTemplate.BOX, 1)
    (430, 520)
    """
    first, each = _HEIGHTS.get(template, (400, 0))
    return first + each * max(0, count - 1)


# --- /embed.js -------------------------------------------------------------------------------


class _ScriptFile:
    """The script's bytes, read again only when the file changes (size or mtime)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: tuple[Path, int, int, bytes] | None = None

    def read(self, path: Path) -> tuple[bytes, float]:
        stat = path.stat()
        with self._lock:
            known = self._known
            if known is None or known[:3] != (path, stat.st_size, stat.st_mtime_ns):
                known = (path, stat.st_size, stat.st_mtime_ns, path.read_bytes())
                self._known = known
        return known[3], stat.st_mtime


_SCRIPT = _ScriptFile()


@bp.get("/embed.js")
def embed_script() -> Response:
    """The host-page script (see the module doc): JavaScript, any site may load it, caches may
    keep it (``ETag``, 304), never a cookie."""
    path = Path(current_app.static_folder or "static", *SCRIPT_PATH.split("/"))
    body, modified = _SCRIPT.read(path)
    response = Response(body, mimetype="application/javascript")
    _cross_origin(response)
    return public_answer(response, (), cache_control=SCRIPT_CACHE_CONTROL, last_modified=modified)


def _cross_origin(response: Response) -> None:
    # Loaded by <script src> from any site: CORP must allow it (a same-site CORP would break
    # every embedding site); CORS too, for pages that load scripts with crossorigin="anonymous".
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["X-Content-Type-Options"] = "nosniff"


# --- /api/v1/embeds --------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Placeholder:
    """One placeholder as asked (``query``, with the template it is drawn with), or why it
    cannot be drawn (``error`` and ``fix``)."""

    query: BoxQuery | None = None
    template: BoxTemplate = BoxTemplate.BOX
    error: str | None = None
    fix: str | None = None

    @property
    def ids(self) -> tuple[str, ...]:
        return () if self.query is None else self.query.ids

    @property
    def size(self) -> int:
        """Products it may show: its ids, or as many as its list may find."""
        if self.query is not None and self.query.list is not None:
            return self.query.list.page_size
        return len(self.ids)

    def src(self) -> str:
        """The embed page for it, relative to the site's URL root: the canonical query of
        ``affsite.web.box_query`` (digits, commas and enum values: nothing copied)."""
        query = self.query.query_string() if self.query is not None else ""
        return f"embed/{self.template.value}?{query}"


def read_placeholder(text: str, default_template: BoxTemplate) -> Placeholder:
    """One ``b`` value, ``ids=…[&template=…][&theme=…][&field=…]``, read as the snippet API
    and the embed pages read their query (``affsite.web.box_query``)."""
    if len(text) > MAX_PLACEHOLDER_LENGTH:
        return Placeholder(
            error="the placeholder is too long", fix="Put fewer products in one placeholder."
        )
    try:
        args = MultiDict(parse_qsl(text, keep_blank_values=True, max_num_fields=16))
        query = read_query(args)
    except BadBoxQuery as bad:
        return Placeholder(error=bad.error, fix=bad.fix)
    except ValueError:  # more fields than any placeholder has
        return Placeholder(
            error="the placeholder could not be read",
            fix="Use data-ids (or data-search or data-hot and their options), data-template, "
            "data-theme and data-field only.",
        )
    return Placeholder(query=query, template=query.template or default_template)


def _bad_request(error: str, fix: str) -> Response:
    response = jsonify({"error": error, "fix": fix})
    response.status_code = 400
    _cross_origin(response)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/api/v1/embeds")
def embeds() -> Response:
    """Every placeholder of a page at once (see the module doc)."""
    asked = request.args.getlist("b")
    if not asked:
        return _bad_request(
            "no placeholders given", "Add ?b= with a placeholder's ids, template and theme."
        )
    if len(asked) > MAX_PLACEHOLDERS:
        return _bad_request(
            f"too many placeholders ({len(asked)})",
            f"Ask for at most {MAX_PLACEHOLDERS} placeholders per request.",
        )
    settings = settings_store().load()
    look = BoxSettings.of(settings)
    placeholders = [read_placeholder(text, look.template) for text in asked]
    placeholders = _with_lists(_within_total(placeholders), settings)
    wanted = list(dict.fromkeys(pid for p in placeholders for pid in p.ids))
    # One catalog call for the whole page; anyone can send any id, so new ones are paid from
    # the public share. It also leaves the answers cached for the iframes that follow.
    answers = get_catalog().products(wanted, purpose=Purpose.PUBLIC) if wanted else []
    by_id = dict(zip(wanted, answers, strict=True))
    boxes = [_box(p, [by_id[pid] for pid in p.ids], look.unavailable) for p in placeholders]
    response = jsonify({"boxes": boxes})
    _cross_origin(response)
    return public_answer(response, answers)


def _within_total(placeholders: list[Placeholder]) -> list[Placeholder]:
    total = 0
    kept = []
    for placeholder in placeholders:
        total += placeholder.size
        if total > MAX_IDS and placeholder.size:
            placeholder = Placeholder(
                error=f"more than {MAX_IDS} products in one request",
                fix="Let embed.js split the page into several requests.",
            )
        kept.append(placeholder)
    return kept


def _with_lists(placeholders: list[Placeholder], settings: Settings) -> list[Placeholder]:
    """Placeholders asking for a list, with the ids it found (one list request for every
    distinct list); an error item for a list that shows nothing."""
    found = lists_found([p.query for p in placeholders if p.query is not None], settings)
    resolved = []
    for placeholder in placeholders:
        query = placeholder.query
        if query is not None and query.list is not None:
            answer = found[query.list]
            if answer.ids:
                placeholder = replace(placeholder, query=replace(query, ids=answer.ids))
            elif answer.reason is not None:  # the reason word is public, as in the JSON API
                placeholder = Placeholder(
                    error=f"the list could not be looked up ({answer.reason})",
                    fix="Try again later.",
                )
            else:
                placeholder = Placeholder(
                    error="the list found no products",
                    fix="Try other keywords, categories or prices.",
                )
        resolved.append(placeholder)
    return resolved


def _box(
    placeholder: Placeholder, answers: Sequence[ProductAnswer], unavailable: Unavailable
) -> dict[str, object]:
    if placeholder.error is not None:
        return {"error": placeholder.error, "fix": placeholder.fix}
    if unavailable is Unavailable.HIDE and all(a.product is None for a in answers):
        return {"hidden": True}
    return {
        "src": placeholder.src(),
        "width": frame_width(placeholder.template),
        "height": initial_height(placeholder.template, len(placeholder.ids)),
        "title": frame_title(answers),
    }


def frame_title(answers: Sequence[ProductAnswer]) -> str:
    """The iframe's accessible name: the product's title (one line, cut), or how many
    products.

    >>> frame_title([ProductAnswer(id="1", status="FALLBACK")] * 3)
    '3 AliExpress products'
    """
    if len(answers) != 1:
        return f"{len(answers)} AliExpress products"
    title = getattr(answers[0].product, "title", None)
    name = clean_text(title, MAX_TITLE) if isinstance(title, str) else ""
    return f"{name} (AliExpress product)" if name else "AliExpress product"
