"""Whole HTTP/1.1 requests out of bytes that arrive in any pieces, without blocking.

``affsite serve``'s event loop feeds a :class:`RequestReader` whatever each socket read gave;
the reader says when one complete request (head and body) is there, or why it is refused.
Only then does a worker thread see the request, so a client that sends slowly never holds a
thread.

The framing follows gunicorn's own parser (RFC 9112): the head ends at the first empty line,
every line ends with CRLF, the body is ``Content-Length`` bytes or a chunked body. A chunked
body is decoded here and handed on with a ``Content-Length`` instead, so a malformed chunk is
answered 400 here and never reaches the application as an error while it reads its input.

>>> reader = RequestReader(RequestLimits(body_bytes=100))
>>> reader.feed(b"POST /x HTTP/1.1\\r\\nContent-Length: 5\\r\\n\\r\\nab") is None
True
>>> reader.feed(b"cdeGET /next")
Complete(data=b'POST /x HTTP/1.1\\r\\nContent-Length: 5\\r\\n\\r\\nabcde', rest=b'GET /next')
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from http import HTTPStatus

__all__ = ["Complete", "Refusal", "RequestLimits", "RequestReader"]

_HEAD_END = b"\r\n\r\n"
_CRLF = b"\r\n"
_BARE_LF = re.compile(rb"(?<!\r)\n")
_HEX = frozenset(b"0123456789abcdefABCDEF")
# RFC 9112 section 7.1.1 (as gunicorn checks it): everything from the first ";" of a chunk
# size line is a list of extensions, each a token with an optional token or quoted value.
_TOKEN = rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_QUOTED = rb'"(?:[\t !#-\[\]-~\x80-\xff]|\\[\t -~\x80-\xff])*"'
_CHUNK_EXTENSIONS = re.compile(
    rb"(?:[ \t]*;[ \t]*" + _TOKEN + rb"(?:[ \t]*=[ \t]*(?:" + _TOKEN + rb"|" + _QUOTED + rb"))?)*"
)
# Transfer codings gunicorn knows besides chunked; a body in one of them is not decoded by
# anyone here, so such requests are answered 501 instead of handing the application
# compressed bytes it would take for form data.
_KNOWN_CODINGS = frozenset((b"gzip", b"x-gzip", b"deflate", b"compress", b"identity"))
# gunicorn's limit for one header field, which it also applies to a chunk size line.
_LINE_BYTES = 8190


@dataclass(frozen=True, kw_only=True)
class RequestLimits:
    """How much of a request the event loop holds, and for how long."""

    #: Request line and header fields together (nginx's default is 32 KiB).
    head_bytes: int = 64 * 1024
    #: The largest body accepted: the app's ``MAX_CONTENT_LENGTH``.
    body_bytes: int = 1024 * 1024
    #: Seconds a client has to send one whole request (and to take its answer).
    seconds: float = 15.0


@dataclass(frozen=True, kw_only=True)
class Refusal:
    """A request answered by the event loop itself, then the connection is closed."""

    status: HTTPStatus
    detail: str

    def response(self) -> bytes:
        """A complete HTTP/1.1 response that closes the connection."""
        body = f"{self.status.value} {self.status.phrase}\n".encode()
        return (
            f"HTTP/1.1 {self.status.value} {self.status.phrase}\r\n"
            "Connection: close\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body


@dataclass(frozen=True)
class Complete:
    """One whole request (``data``: what gunicorn's parser gets) and the bytes after it."""

    data: bytes
    rest: bytes


class _Step(Enum):
    HEAD = "head"
    LENGTH = "length"
    CHUNK_SIZE = "chunk size"
    CHUNK_DATA = "chunk data"
    TRAILERS = "trailers"
    DONE = "done"


@dataclass
class _Head:
    fields: list[bytes]
    request_line: bytes
    lengths: list[bytes] = field(default_factory=list)
    codings: list[bytes] = field(default_factory=list)
    coding_fields: set[int] = field(default_factory=set)
    expects_continue: bool = False


class RequestReader:
    """Reads one request from bytes fed as they arrive; see the module docstring.

    Work per byte is constant: every search resumes where the last one stopped, so a client
    that sends one byte at a time costs no more than one that sends all at once.
    """

    def __init__(self, limits: RequestLimits) -> None:
        self._limits = limits
        self._buf = bytearray()
        self._step = _Step.HEAD
        self._scanned = 0  # where the current search resumes
        self._pos = 0  # start of what the current step reads
        self._head = b""  # what is handed on before the body
        self._head_end = 0
        self._body_end = 0
        self._body = bytearray()  # a chunked body, decoded so far
        self._chunk_end = 0
        self.expects_continue = False

    @property
    def buffered(self) -> int:
        """Bytes held for this request so far."""
        return len(self._buf) + len(self._body)

    def feed(self, data: bytes) -> Complete | Refusal | None:
        """Take the next bytes from the client: the request once it is whole, a refusal as
        soon as it cannot be served, else ``None`` (send more)."""
        if self._step is _Step.DONE:
            raise RuntimeError("the request is already complete")
        self._buf += data
        verdict: Complete | Refusal | None = None
        if self._step is _Step.HEAD:
            verdict = self._read_head()
        if verdict is None and self._step is _Step.LENGTH:
            verdict = self._read_length()
        if verdict is None and self._step in (_Step.CHUNK_SIZE, _Step.CHUNK_DATA, _Step.TRAILERS):
            verdict = self._read_chunks()
        if verdict is not None:
            self._step = _Step.DONE
            self.expects_continue = False
        return verdict

    # -- head ----------------------------------------------------------------------------

    def _read_head(self) -> Refusal | None:
        buf, limit = self._buf, self._limits.head_bytes
        end = buf.find(_HEAD_END, max(0, self._scanned - 3))
        searched_to = end + 4 if end >= 0 else len(buf)
        if _BARE_LF.search(buf, self._scanned, searched_to):
            return _refuse(HTTPStatus.BAD_REQUEST, "bare LF as a line end in the head")
        self._scanned = searched_to
        if end < 0 or end + 4 > limit:
            if len(buf) > limit or end >= 0:
                return _refuse(
                    HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, f"head over {limit} bytes"
                )
            return None
        return self._frame(_split_head(bytes(buf[:end])), end + 4)

    def _frame(self, head: _Head, body_start: int) -> Refusal | None:
        self._pos = self._scanned = self._head_end = body_start
        http10 = head.request_line.endswith(b" HTTP/1.0")
        if head.codings:
            refusal = _chunked_refusal(head, http10=http10)
            if refusal is not None:
                return refusal
            kept = [line for n, line in enumerate(head.fields) if n not in head.coding_fields]
            self._head = _CRLF.join([head.request_line, *kept])
            self._step = _Step.CHUNK_SIZE
            body_expected = True
        else:
            length = 0
            if head.lengths:
                value = head.lengths[0]
                if len(head.lengths) > 1 or not value.isdigit():
                    return _refuse(HTTPStatus.BAD_REQUEST, "invalid Content-Length")
                digits = value.lstrip(b"0") or b"0"
                if len(digits) > 18 or int(digits) > self._limits.body_bytes:
                    return _refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body over the limit")
                length = int(digits)
            self._body_end = body_start + length
            self._step = _Step.LENGTH
            body_expected = length > 0
        self.expects_continue = head.expects_continue and body_expected and not http10
        return None

    # -- bodies --------------------------------------------------------------------------

    def _read_length(self) -> Complete | None:
        if len(self._buf) < self._body_end:
            return None
        return Complete(bytes(self._buf[: self._body_end]), bytes(self._buf[self._body_end :]))

    def _read_chunks(self) -> Complete | Refusal | None:
        verdict = self._next_chunks()
        # Tiny chunks (or long extensions) cost framing bytes beyond the body: bound them too,
        # so that what is held stays a small multiple of the body limit.
        framing_limit = 2 * self._limits.body_bytes + _LINE_BYTES
        if verdict is None and len(self._buf) - self._head_end > framing_limit:
            return _refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "chunked body over the limit")
        return verdict

    def _next_chunks(self) -> Complete | Refusal | None:
        buf = self._buf
        while True:
            if self._step is _Step.CHUNK_SIZE:
                line_end = buf.find(_CRLF, max(self._pos, self._scanned - 1))
                if line_end < 0:
                    if buf.find(b"\n", max(self._pos, self._scanned)) >= 0:
                        return _refuse(HTTPStatus.BAD_REQUEST, "bare LF after a chunk size")
                    if len(buf) - self._pos > _LINE_BYTES:
                        return _refuse(HTTPStatus.BAD_REQUEST, "chunk size line too long")
                    self._scanned = len(buf)
                    return None
                size = _chunk_size(bytes(buf[self._pos : line_end]))
                if isinstance(size, Refusal):
                    return size
                if len(self._body) + size > self._limits.body_bytes:
                    return _refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body over the limit")
                self._pos = self._scanned = line_end + 2
                if size == 0:
                    self._step = _Step.TRAILERS
                else:
                    self._chunk_end = self._pos + size
                    self._step = _Step.CHUNK_DATA
            elif self._step is _Step.CHUNK_DATA:
                if len(buf) < self._chunk_end + 2:
                    return None
                if buf[self._chunk_end : self._chunk_end + 2] != _CRLF:
                    return _refuse(HTTPStatus.BAD_REQUEST, "chunk data not followed by CRLF")
                self._body += buf[self._pos : self._chunk_end]
                self._pos = self._scanned = self._chunk_end + 2
                self._step = _Step.CHUNK_SIZE
            else:
                return self._read_trailers()

    def _read_trailers(self) -> Complete | Refusal | None:
        # Trailer fields are read past and dropped: the request goes on with a
        # Content-Length, and nothing in the application asks for trailers.
        buf, start = self._buf, self._pos
        if len(buf) - start < 2:
            return None
        if buf[start : start + 2] == _CRLF:
            end = start + 2
        else:
            found = buf.find(_HEAD_END, max(start, self._scanned - 3))
            searched_to = found + 4 if found >= 0 else len(buf)
            if _BARE_LF.search(buf, max(start, self._scanned), searched_to):
                return _refuse(HTTPStatus.BAD_REQUEST, "bare LF as a line end in the trailers")
            self._scanned = searched_to
            if found < 0:
                if len(buf) - start > self._limits.head_bytes:
                    return _refuse(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "trailers too long")
                return None
            end = found + 4
        head = self._head + b"\r\nContent-Length: %d\r\n\r\n" % len(self._body)
        return Complete(head + self._body, bytes(buf[end:]))


def _split_head(head: bytes) -> _Head:
    lines = head.split(_CRLF)
    if len(lines) > 1 and not lines[0]:
        lines = lines[1:]  # one empty line may come before the request line (RFC 9112 2.2)
    parsed = _Head(fields=lines[1:], request_line=lines[0])
    for number, line in enumerate(parsed.fields):
        name, colon, value = line.partition(b":")
        if not colon:
            continue  # gunicorn refuses such a line; where the body ends does not matter then
        name, value = name.lower(), value.strip(b" \t")
        if name == b"content-length":
            parsed.lengths.append(value)
        elif name == b"transfer-encoding":
            parsed.coding_fields.add(number)
            parsed.codings += [coding.strip(b" \t").lower() for coding in value.split(b",")]
        elif name == b"expect":
            parsed.expects_continue = value.lower() == b"100-continue"
    return parsed


def _chunked_refusal(head: _Head, *, http10: bool) -> Refusal | None:
    if head.codings == [b"chunked"]:
        if head.lengths:
            return _refuse(HTTPStatus.BAD_REQUEST, "both Content-Length and Transfer-Encoding")
        if http10:
            return _refuse(HTTPStatus.BAD_REQUEST, "chunked body in an HTTP/1.0 request")
        return None
    if head.codings[-1] == b"chunked" and set(head.codings[:-1]) <= _KNOWN_CODINGS:
        return _refuse(HTTPStatus.NOT_IMPLEMENTED, "transfer coding other than chunked")
    return _refuse(HTTPStatus.BAD_REQUEST, "invalid Transfer-Encoding")


def _chunk_size(line: bytes) -> int | Refusal:
    size, semicolon, extensions = line.partition(b";")
    if semicolon:
        size = size.rstrip(b" \t")
        if not _CHUNK_EXTENSIONS.fullmatch(b";" + extensions):
            return _refuse(HTTPStatus.BAD_REQUEST, "invalid chunk extension")
    if not size or not _HEX.issuperset(size):
        return _refuse(HTTPStatus.BAD_REQUEST, "invalid chunk size")
    if len(size.lstrip(b"0")) > 16:
        return _refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body over the limit")
    return int(size, 16)


def _refuse(status: HTTPStatus, detail: str) -> Refusal:
    return Refusal(status=status, detail=detail)
