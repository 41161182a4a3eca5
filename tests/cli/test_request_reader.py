"""Whole requests out of bytes fed in any pieces: where each request ends, what is refused."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from gunicorn.config import Config
from gunicorn.http.parser import RequestParser
from hypothesis import given
from hypothesis import strategies as st

from affsite.cli.request_reader import Complete, Refusal, RequestLimits, RequestReader

LIMITS = RequestLimits(head_bytes=1024, body_bytes=100)
GET = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
POST = b"POST /f HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\na=1&b=2"
CHUNKED_HEAD = b"POST /f HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nX-After: y\r\n\r\n"
CHUNKED = CHUNKED_HEAD + b"3\r\na=1\r\n4;name=value\r\n&b=2\r\n0\r\nX-Trailer: z\r\n\r\n"


def feed_all(data: bytes, pieces: list[int] | None = None) -> Complete | Refusal | None:
    """Feed ``data`` in pieces of the given sizes (the rest in one), stopping at a verdict."""
    reader = RequestReader(LIMITS)
    start = 0
    for size in [*(pieces or []), len(data)]:
        verdict = reader.feed(data[start : start + size])
        start += size
        if isinstance(verdict, Complete):  # what was not fed yet follows what was left over
            return Complete(verdict.data, verdict.rest + data[start:])
        if verdict is not None or start >= len(data):
            return verdict
    return None


def refusal(data: bytes) -> HTTPStatus:
    verdict = feed_all(data)
    assert isinstance(verdict, Refusal), verdict
    return verdict.status


def parsed_by_gunicorn(data: bytes) -> tuple[dict[str, str], bytes]:
    """Headers and body as gunicorn's own parser reads the request handed to it."""
    request = next(RequestParser(Config(), [data], ("127.0.0.1", 1)))
    return dict(request.headers), request.body.read()


def test_a_request_without_a_body_ends_at_the_empty_line() -> None:
    assert feed_all(GET + b"GET /next") == Complete(GET, b"GET /next")


def test_a_body_is_read_to_its_content_length() -> None:
    assert feed_all(POST[:-1]) is None
    assert feed_all(POST + GET) == Complete(POST, GET)


@given(st.lists(st.integers(min_value=1, max_value=12), max_size=40))
def test_the_pieces_the_bytes_come_in_change_nothing(pieces: list[int]) -> None:
    for data in (GET, POST, CHUNKED):
        assert feed_all(data + GET, pieces) == feed_all(data + GET)


def test_a_chunked_body_is_handed_on_decoded_with_a_content_length() -> None:
    verdict = feed_all(CHUNKED + GET)
    assert isinstance(verdict, Complete)
    assert verdict.rest == GET
    headers, body = parsed_by_gunicorn(verdict.data)
    assert body == b"a=1&b=2"
    assert headers["CONTENT-LENGTH"] == "7"
    assert "TRANSFER-ENCODING" not in headers
    assert headers["X-AFTER"] == "y"
    assert "X-TRAILER" not in headers


@pytest.mark.parametrize(
    "body",
    [
        b"zz\r\na=1\r\n0\r\n\r\n",  # not hexadecimal
        b"\r\na=1\r\n0\r\n\r\n",  # no size at all
        b"3\r\na=1XX0\r\n\r\n",  # chunk data not followed by CRLF
        b"3;=bad\r\na=1\r\n0\r\n\r\n",  # malformed extension
        b"3\na=1\r\n0\r\n\r\n",  # bare LF after the size
        b"3\r\na=1\r\n0\r\nX-T: 1\n\r\n",  # bare LF in the trailers
        b"3" * 9000,  # a size line that never ends
    ],
    ids=["hex", "empty", "terminator", "extension", "bare LF", "trailer LF", "long line"],
)
def test_a_malformed_chunked_body_is_refused_with_400(body: bytes) -> None:
    assert refusal(CHUNKED_HEAD + body) == HTTPStatus.BAD_REQUEST


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"POST / HTTP/1.1\r\nContent-Length: 101\r\n\r\n", HTTPStatus.REQUEST_ENTITY_TOO_LARGE),
        (b"POST / HTTP/1.1\r\nContent-Length: " + b"9" * 30 + b"\r\n\r\n", 413),
        (CHUNKED_HEAD + b"40\r\n" + b"x" * 64 + b"\r\n40\r\n", 413),
        (CHUNKED_HEAD + b"1" + b"0" * 20 + b"\r\n", 413),
        (b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nContent-Length: +1\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nContent-Length: \xb2\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400),
        (b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
        (b"GET / HTTP/1.1\nHost: x\n\n", 400),
        (b"GET / HTTP/1.1\r\nX: " + b"a" * 1100, 431),
        (b"GET / HTTP/1.1\r\nX: " + b"a" * 1100 + b"\r\n\r\n", 431),
    ],
)
def test_requests_that_cannot_be_served_are_refused(data: bytes, status: int) -> None:
    assert refusal(data) == status


def test_chunk_framing_cannot_take_much_more_memory_than_the_body_limit() -> None:
    bloated = b"1;x=" + b"y" * 5000 + b"\r\nz\r\n"  # one byte of body, 5 KB of framing
    assert refusal(CHUNKED_HEAD + bloated * 3) == HTTPStatus.REQUEST_ENTITY_TOO_LARGE


def test_a_refusal_is_a_whole_response_that_closes_the_connection() -> None:
    response = Refusal(status=HTTPStatus.BAD_REQUEST, detail="x").response()
    head, body = response.split(b"\r\n\r\n")
    assert head.split(b"\r\n")[0] == b"HTTP/1.1 400 Bad Request"
    assert b"Connection: close" in head
    assert f"Content-Length: {len(body)}".encode() in head


def test_100_continue_is_expected_only_while_an_announced_body_is_missing() -> None:
    reader = RequestReader(LIMITS)
    assert reader.feed(b"POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n") is None
    assert not reader.expects_continue  # the head is not whole yet
    assert reader.feed(b"\r\n") is None
    assert reader.expects_continue
    assert isinstance(reader.feed(b"ok"), Complete)
    assert not reader.expects_continue
    empty = RequestReader(LIMITS)
    assert isinstance(empty.feed(b"GET / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n"), Complete)
    assert not empty.expects_continue


def test_a_complete_reader_takes_no_more_bytes() -> None:
    reader = RequestReader(LIMITS)
    assert isinstance(reader.feed(GET), Complete)
    with pytest.raises(RuntimeError):
        reader.feed(GET)


def test_one_empty_line_before_the_request_line_is_allowed() -> None:
    verdict = feed_all(b"\r\n" + POST)
    assert isinstance(verdict, Complete)
    assert parsed_by_gunicorn(verdict.data)[1] == b"a=1&b=2"
