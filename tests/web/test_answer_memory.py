"""Complete public answers kept per process: handed over again only while the settings and
every product answer are the very objects they were drawn from."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.wrappers import Response

from affsite.catalog import ProductAnswer, Reason, Status
from affsite.settings import Settings
from affsite.web import answer_memory as answer_memory_module
from affsite.web.answer_memory import AnswerMemory, remembered
from affsite.web.public_cache import public_answer


@dataclass
class Site:
    """A one-route app whose view draws through the memory, counting its drawings."""

    settings: Settings = field(default_factory=Settings)
    answers: list[ProductAnswer] = field(
        default_factory=lambda: [ProductAnswer(id="1", status=Status.HIT, fetched_at=1e9)]
    )
    status: int = 200
    body: str | None = None  # None: the name and the number of this drawing
    drawn: int = 0


@pytest.fixture
def site() -> Site:
    return Site()


@pytest.fixture
def client(site: Site) -> Iterator[FlaskClient]:
    app = Flask(__name__)

    @app.get("/boxes/<name>")
    def boxes(name: str) -> Response:
        def draw() -> Response:
            site.drawn += 1
            body = site.body or f"<p>{name} {site.drawn}</p>"
            response = Response(body, site.status, mimetype="text/html")
            response.headers["Access-Control-Allow-Origin"] = "*"
            response.set_cookie("tracker", "1")  # public_answer drops it; never kept either
            return public_answer(response, site.answers)

        return remembered(("boxes", name), site.settings, site.answers, draw)

    yield app.test_client()


def test_a_warm_answer_is_handed_over_as_drawn(client: FlaskClient, site: Site) -> None:
    first = client.get("/boxes/a")
    second = client.get("/boxes/a")
    assert site.drawn == 1
    assert second.data == first.data == b"<p>a 1</p>"
    assert sorted(second.headers.items()) == sorted(first.headers.items())
    assert "Set-Cookie" not in second.headers
    assert second.headers["ETag"] and second.headers["X-Cache"] == "HIT"


def test_each_key_is_drawn_on_its_own(client: FlaskClient, site: Site) -> None:
    assert client.get("/boxes/a").data == b"<p>a 1</p>"
    assert client.get("/boxes/b").data == b"<p>b 2</p>"
    assert client.get("/boxes/a").data == b"<p>a 1</p>"


def test_new_settings_or_a_new_answer_draw_again(client: FlaskClient, site: Site) -> None:
    client.get("/boxes/a")
    site.settings = Settings(disclosure="Saved just now.")  # a save: a new object
    assert client.get("/boxes/a").data == b"<p>a 2</p>"
    site.answers = [ProductAnswer(id="1", status=Status.HIT, fetched_at=1e9)]  # equal, not same
    assert client.get("/boxes/a").data == b"<p>a 3</p>"
    site.answers = [ProductAnswer(id="1", status=Status.STALE, fetched_at=1e9)]
    assert client.get("/boxes/a").headers["X-Cache"] == "STALE"
    assert site.drawn == 4


def test_a_matching_if_none_match_gets_a_304_from_memory(client: FlaskClient, site: Site) -> None:
    tag = client.get("/boxes/a").headers["ETag"]
    for sent in (tag, f"W/{tag}", '"other", ' + tag, "*"):
        answer = client.get("/boxes/a", headers={"If-None-Match": sent})
        assert answer.status_code == 304 and answer.data == b""
        assert answer.headers["ETag"] == tag
        assert answer.headers["Access-Control-Allow-Origin"] == "*"
        assert "Content-Type" not in answer.headers
    assert client.get("/boxes/a", headers={"If-None-Match": '"other"'}).status_code == 200
    assert site.drawn == 1


def test_a_304_drawn_for_a_conditional_request_is_not_kept(client: FlaskClient, site: Site) -> None:
    site.body = "<p>the same bytes</p>"
    tag = client.get("/boxes/a").headers["ETag"]
    site.settings = Settings(disclosure="Saved just now.")  # drawn again, to the same bytes
    assert client.get("/boxes/a", headers={"If-None-Match": tag}).status_code == 304
    answer = client.get("/boxes/a")  # drawn again: no 304 was kept as the answer
    assert (answer.status_code, answer.data) == (200, b"<p>the same bytes</p>")
    assert site.drawn == 3
    assert client.get("/boxes/a").status_code == 200 and site.drawn == 3


def test_answers_other_than_200_are_drawn_every_time(client: FlaskClient, site: Site) -> None:
    site.status = 404
    site.answers = [ProductAnswer(id="x", status=Status.FALLBACK, reason=Reason.INVALID_ID)]
    client.get("/boxes/a")
    client.get("/boxes/a")
    assert site.drawn == 2


def test_the_memory_is_bounded() -> None:
    memory = AnswerMemory(max_entries=2)
    app = Flask(__name__)
    settings = Settings()
    with app.test_request_context("/"):
        for key in range(5):
            memory.respond(key, settings, (), lambda: Response(b"x"))
    assert len(memory) == 2


def test_the_memory_is_bounded_by_bytes_too(monkeypatch: pytest.MonkeyPatch) -> None:
    # Long answers must not make a worker grow with the site's catalog: the bytes kept stay
    # within the budget (read when the memory is made) however many fit by count.
    budget = 16 << 10
    monkeypatch.setattr(answer_memory_module, "MAX_ANSWER_BYTES", budget)
    memory = AnswerMemory()
    settings, answers = Settings(), (ProductAnswer(id="1", status=Status.HIT, fetched_at=1e9),)
    drawn: list[int] = []

    def draw(key: int) -> Response:
        drawn.append(key)
        return Response(f"<p>{key}</p>".ljust(4000), mimetype="text/html")

    with Flask(__name__).test_request_context("/"):
        for key in range(20):  # 80 kB of bodies
            memory.respond(key, settings, answers, functools.partial(draw, key))
        assert memory._kept.bytes <= budget
        assert 0 < len(memory) < 20
        latest = memory.respond(19, settings, answers, lambda: draw(19))  # still kept ...
        assert latest.get_data(as_text=True).startswith("<p>19</p>") and drawn.count(19) == 1
        memory.respond(0, settings, answers, lambda: draw(0))  # ... the oldest was let go
        assert drawn.count(0) == 2
