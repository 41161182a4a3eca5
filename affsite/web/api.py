"""The public JSON API.

``GET /api/v1/products?ids=1005004757833857,33006951782`` answers a JSON array with one item
per id, in the order asked, in the shape of ``affsite.catalog.public_json``: a product, or
``{"id", "available": false, "reason"}``. Product page URLs are accepted in place of ids
(read offline; short links are not followed here). At most ``MAX_IDS`` ids per request.

Headers:

* ``X-Cache``: how the answer was made. For several ids it is the *worst* status among
  them, in the order HIT < NEGATIVE < MISS < STALE < FALLBACK, so a single HIT means every
  product came fresh from the cache. ``X-Cache-Detail`` counts each status
  (``HIT=3, MISS=1``).
* ``Cache-Control``: public. Fresh answers may be kept 5 minutes and then served stale while
  revalidating or on error (RFC 5861), so a proxy or CDN in front absorbs most traffic; stale
  and fallback answers are kept only briefly so they are replaced soon.
* ``Access-Control-Allow-Origin: *``: public data, no cookies involved.

A bad request (no ids, too many) is a 400 with ``{"error", "fix"}``; a gateway problem is
never an HTTP error, only ``"available": false`` items.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, current_app, jsonify, request
from werkzeug.wrappers import Response

from affsite.catalog import ProductAnswer, Purpose, Reason, Status, get_catalog
from affsite.product_ids import resolve
from affsite.web.public_cache import cache_headers

log = logging.getLogger(__name__)

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_IDS = 50


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


def _requested_ids() -> list[str]:
    items: list[str] = []
    for value in request.args.getlist("ids"):
        items.extend(part.strip() for part in value.split(",") if part.strip())
    return items


def product_id_of(text: str) -> str | None:
    """The global product id an id or a product page URL names (read offline: regional ids
    normalised, too-short numbers refused); None when it names none.
    """
    return resolve(text[:2048], offline=True).id


def _bad_request(error: str, fix: str) -> Response:
    response = jsonify({"error": error, "fix": fix})
    response.status_code = 400
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _answers_json(answers: list[ProductAnswer]) -> str:
    """The answers as a JSON array; an answer that cannot be written is that product's
    unavailable item (logged), never an error for the whole response."""
    try:
        return current_app.json.dumps([answer.to_json() for answer in answers])
    except Exception:  # untrusted product data: find the one(s) at fault, keep the others
        return "[" + ",".join(_item_json(answer) for answer in answers) + "]"


def _item_json(answer: ProductAnswer) -> str:
    try:
        return current_app.json.dumps(answer.to_json())
    except Exception:
        log.exception("product %r could not be written as JSON", str(answer.id)[:64])
        unavailable = ProductAnswer(
            id=str(answer.id)[:64], status=Status.FALLBACK, reason=Reason.UNAVAILABLE
        )
        return current_app.json.dumps(unavailable.to_json())


@bp.get("/products")
def products() -> Response:
    """Products by id or URL, as a JSON array in the order asked."""
    asked = _requested_ids()
    if not asked:
        return _bad_request(
            "no product ids given",
            "Add ?ids= with one or more AliExpress product ids, separated by commas.",
        )
    if len(asked) > MAX_IDS:
        return _bad_request(
            f"too many product ids ({len(asked)})",
            f"Ask for at most {MAX_IDS} products per request.",
        )
    ids = [product_id_of(text) for text in asked]
    # Anyone can call this with any id: new ids are paid from the new-product allowance.
    found = iter(get_catalog().products([pid for pid in ids if pid], purpose=Purpose.PUBLIC))
    answers = [
        next(found)
        if pid
        else ProductAnswer(id=text[:64], status=Status.FALLBACK, reason=Reason.INVALID_ID)
        for text, pid in zip(asked, ids, strict=True)
    ]
    response = Response(_answers_json(answers), mimetype="application/json")
    cache_headers(response, answers)
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
