"""Reading where an HTML landing page redirects to, in time linear in the (capped) body."""

from __future__ import annotations

import pytest

from affsite.product_ids.html_redirects import redirect_in_html

TARGET = "https://www.aliexpress.com/item/1005001513148147.html"
BODY_LIMIT = 64 * 1024  # the follower's default cap on a body it reads


@pytest.mark.parametrize(
    ("body", "found"),
    [
        (f'<meta http-equiv="refresh" content="0; url={TARGET}">', TARGET),
        (f"<META HTTP-EQUIV=Refresh CONTENT='5;URL={TARGET}'>", TARGET),
        (f'<meta http-equiv="refresh" content="0;url=\'{TARGET}\'">', TARGET),
        (f'<meta content="0; url={TARGET}" http-equiv="refresh">', TARGET),
        (f"<script>window.location.href='{TARGET}'</script>", TARGET),
        (f'<script>location = "{TARGET}";</script>', TARGET),
        (f'<script>location.assign("{TARGET}")</script>', TARGET),
        (
            '<script>location.replace("https:\\/\\/a.aliexpress.com\\/_x?a=1\\u0026b=2")</script>',
            "https://a.aliexpress.com/_x?a=1&b=2",
        ),
        (f'<link rel="canonical" href="{TARGET}">', TARGET),
        (f'<meta property="og:url" content="{TARGET}?a=1&amp;b=2">', f"{TARGET}?a=1&b=2"),
        ("<p>nothing here</p>", None),
        ("", None),
    ],
)
def test_each_kind_of_html_redirect_is_found(body: str, found: str | None) -> None:
    assert redirect_in_html(body) == found


def test_a_meta_refresh_wins_over_a_script_and_a_canonical_link() -> None:
    body = (
        '<link rel="canonical" href="/canonical"><script>location="/script"</script>'
        '<meta http-equiv="refresh" content="0; url=/refresh">'
    )

    assert redirect_in_html(body) == "/refresh"


def test_a_tag_cut_off_by_the_body_cap_is_ignored() -> None:
    assert redirect_in_html(f'<meta http-equiv="refresh" content="0; url={TARGET}"') is None


def test_an_unterminated_script_string_is_no_redirect() -> None:
    assert redirect_in_html(f"<script>location = '{TARGET}\n'</script>") is None
    assert redirect_in_html('<script>location = "";</script>') is None


# --- Linear time ------------------------------------------------------------------------------
# A landing page is read up to the body cap; the old patterns needed cubic time for a refresh
# whose content is a run of spaces (13 s for 2 KB) and quadratic time for a long attribute name
# (about two minutes for 64 KB). Each body below fills the whole cap.

_ADVERSARIAL = {
    "a refresh content of spaces": ('<meta http-equiv="refresh" content="', " ", 'x">'),
    "an attribute name that never ends": ("<meta ", "a", ">"),
    "attribute values that never close": ("<meta ", 'a="', ">"),
    "meta tags that never close": ("", "<meta ", ""),
    "link tags that never close": ("", "<link rel=canonical ", ""),
    "script strings that never close": ("<script>", "location='x", ""),
    "script redirects without a string": ("<script>", "location        ", ""),
    "refresh prefixes": ('<meta http-equiv="refresh" content="', "0;", '">'),
}


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    ("start", "piece", "end"), list(_ADVERSARIAL.values()), ids=list(_ADVERSARIAL)
)
def test_a_full_body_of_adversarial_html_is_read_in_linear_time(
    start: str, piece: str, end: str
) -> None:
    room = BODY_LIMIT - len(start) - len(end)
    body = start + (piece * (room // len(piece) + 1))[:room] + end
    assert len(body) == BODY_LIMIT

    found = redirect_in_html(body)

    assert found is None or len(found) < BODY_LIMIT
