"""Error responses that never echo what the client sent (no input, no exception text)."""

from __future__ import annotations

from flask import Flask, Response, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, SecurityError

MESSAGES: dict[int, tuple[str, str]] = {
    400: ("Bad request", "The request could not be understood. Go back and try again."),
    401: ("Not signed in", "Sign in to continue."),
    403: ("Forbidden", "You are not allowed to do this."),
    404: ("Page not found", "There is nothing at this address. Check the link and try again."),
    405: ("Method not allowed", "This address does not accept that kind of request."),
    413: ("Too large", "What was sent is larger than this site accepts (1 MiB)."),
    429: ("Too many requests", "Wait a little and try again."),
    500: ("Server error", "Something went wrong on the server; details are in its log."),
}
CSRF_MESSAGE = (
    "The form has expired or did not come from this site. Go back, reload the page and "
    "submit it again."
)


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(SecurityError, _untrusted_host)
    app.register_error_handler(HTTPException, _http_error)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or (request.accept_mimetypes.best == "application/json")


def _page(code: int, title: str, message: str) -> Response:
    if _wants_json():
        body = jsonify(error=title, message=message)
    else:
        body = make_response(render_template("error.html", title=title, message=message))
    body.status_code = code
    return body


def _http_error(exc: HTTPException) -> HTTPException | Response:
    if exc.code is None or exc.code < 400:
        return exc  # redirects raised with abort() pass through unchanged
    title, message = MESSAGES.get(exc.code, (exc.name, "The request could not be completed."))
    response = _page(exc.code, title, message)
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def _csrf_error(exc: CSRFError) -> Response:
    return _page(400, "Form expired", CSRF_MESSAGE)


def _untrusted_host(exc: SecurityError) -> Response:
    # A Host outside TRUSTED_HOSTS: no URL can be built for it, so no page either (the error
    # page links home with url_for); plain words, nothing echoed.
    response = Response(
        "Bad request: this site does not answer to that host name.\n", 400, mimetype="text/plain"
    )
    response.headers["Cache-Control"] = "no-store"
    return response
