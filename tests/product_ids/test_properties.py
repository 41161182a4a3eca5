"""Properties over generated input: never raises, never an id from a host that is not AliExpress."""

from __future__ import annotations

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from affsite.product_ids import (
    REGIONAL_OFFSET,
    Resolution,
    extract_all,
    is_aliexpress_host,
    resolve,
)

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

labels = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
product_ids = st.integers(min_value=100_000, max_value=2**52).map(str)

aliexpress_hosts = st.one_of(
    st.sampled_from(
        [
            "aliexpress.com",
            "www.aliexpress.com",
            "aliexpress.us",
            "aliexpress.ru",
            "m.aliexpress.ru",
        ]
    ),
    st.builds("{}.aliexpress.{}".format, labels, st.sampled_from(["com", "us", "ru"])),
    st.builds("{}.aliexpress.com.".format, labels),
)
foreign_hosts = st.one_of(
    st.builds("{}.{}".format, labels, st.sampled_from(["com", "net", "org", "io", "example"])),
    st.builds("aliexpress.com.{}.{}".format, labels, st.sampled_from(["net", "example"])),
    st.builds("www.aliexpress.{}.{}".format, st.sampled_from(["com", "us", "ru"]), labels),
    st.builds("{}aliexpress.com".format, labels),
    st.builds("aliexpress.{}".format, st.sampled_from(["es", "fr", "com.br", "co.kr", "co.jp"])),
    st.sampled_from(
        [
            "koaliexpress.co.kr",
            "127.0.0.1",
            "0x7f.1",
            "2130706433",
            "[::1]",
            "[::ffff:127.0.0.1]",
            "169.254.169.254",
            "ali.pub",
            "bit.ly",
            "www.xn--liexpress-zyh.com",
            "www.\u0430liexpress.com",
            "aliexpress.com%2eevil.example",
        ]
    ),
)
prefixes = st.sampled_from(["https://", "http://", "//", "", "HTTPS://", "Http://"])
userinfos = st.sampled_from(
    ["", "", "", "user@", "user:pw@", "www.aliexpress.com@", "evil.com\\@", "a.aliexpress.com:443@"]
)
ports = st.sampled_from(["", "", ":443", ":8080"])


@st.composite
def product_paths(draw: st.DrawFn) -> str:
    product_id = draw(product_ids)
    shape = draw(
        st.sampled_from(
            [
                "/item/{id}.html",
                "/item/slug-{id}/{id}.html",
                "/i/{id}.html",
                "/item/0_{id}.html",
                "/store/product/x/123_{id}.html",
                "/p/coin-index/index.html?productIds={id}",
                "/item/{id}",
            ]
        )
    )
    tail = draw(st.sampled_from(["", "?spm=a2g0o", "#nav-review", f"?sku_id=1200{product_id}"]))
    return shape.format(id=product_id) + ("" if "?" in shape and tail.startswith("?") else tail)


@st.composite
def urls(draw: st.DrawFn) -> tuple[str, bool]:
    """A URL and whether it truly points at an AliExpress product host."""
    trusted = draw(st.booleans())
    host = draw(aliexpress_hosts if trusted else foreign_hosts)
    userinfo = draw(userinfos)
    url = draw(prefixes) + userinfo + host + draw(ports) + draw(product_paths())
    return url, trusted and not userinfo


def _check_invariants(result: Resolution, text: str) -> None:
    assert result.input == text
    assert (result.id is None) != (result.error is None)
    if result.id is not None:
        assert result.raw_id is not None
        assert result.id.isascii() and result.id.isdigit() and result.id[0] != "0"
        assert 6 <= len(result.id) <= 19
        assert int(result.raw_id) - int(result.id) in (0, REGIONAL_OFFSET)
    else:
        assert result.raw_id is None


@SETTINGS
@given(st.text())
def test_any_text_resolves_without_raising(text: str) -> None:
    _check_invariants(resolve(text, offline=True), text)


@SETTINGS
@given(st.text(alphabet=st.sampled_from("htps:/%.@\\?#&=_-0123456789aliexpr.comusAZ \t\n\u00a0")))
def test_url_shaped_noise_resolves_without_raising(text: str) -> None:
    _check_invariants(resolve(text, offline=True), text)


@SETTINGS
@given(urls())
def test_ids_come_only_from_aliexpress_hosts(url_and_trust: tuple[str, bool]) -> None:
    url, trusted = url_and_trust

    result = resolve(url, offline=True)

    _check_invariants(result, url)
    if not trusted:
        assert result.id is None, f"{url!r} gave an id"


@SETTINGS
@given(urls(), st.integers(min_value=0, max_value=200), st.characters())
def test_a_mutated_url_never_disagrees_with_httpx_about_the_host(
    url_and_trust: tuple[str, bool], position: int, inserted: str
) -> None:
    url, _trusted = url_and_trust
    position = min(position, len(url))
    mutated = url[:position] + inserted + url[position:]

    result = resolve(mutated, offline=True)

    _check_invariants(result, mutated)
    if result.id is not None:
        absolute = mutated.strip()
        if absolute.startswith("//"):
            absolute = "https:" + absolute
        elif "://" not in absolute:
            absolute = "https://" + absolute
        parsed = httpx.URL(absolute)
        assert not parsed.userinfo
        assert is_aliexpress_host(parsed.host.removesuffix("."))


@SETTINGS
@given(urls())
def test_wrappers_never_launder_a_foreign_host(url_and_trust: tuple[str, bool]) -> None:
    url, trusted = url_and_trust
    encoded = httpx.QueryParams({"redirectUrl": url})
    wrapper = f"https://star.aliexpress.com/share/share.htm?platform=AE&{encoded}"

    result = resolve(wrapper, offline=True)

    _check_invariants(result, wrapper)
    if not trusted:
        assert result.id is None


separators = st.sampled_from([" ", "\n", " and ", ", ", "\n- ", "\t", " (", ") "])


@SETTINGS
@given(st.lists(st.tuples(urls(), separators), max_size=6), st.text(max_size=40))
def test_articles_yield_only_ids_from_aliexpress_urls(
    parts: list[tuple[tuple[str, bool], str]], prose: str
) -> None:
    foreign_only = [(url, sep) for (url, trusted), sep in parts if not trusted]
    article = prose + "".join(
        f'{sep}<a href="{url}">x</a>{sep}[link]({url}){sep}{url}' for url, sep in foreign_only
    )

    result = extract_all(article, offline=True)

    for product in result.products:
        # Only a standalone number in the generated prose may produce an id here.
        assert product.form == "bare_id" and product.raw_id is not None
        assert product.raw_id in prose


@SETTINGS
@given(st.text(max_size=500))
def test_extract_all_never_raises_and_never_repeats(text: str) -> None:
    result = extract_all(text, offline=True)

    ids = [product.id for product in result.products]
    assert len(ids) == len(set(ids))
    for product in result.products:
        _check_invariants(product, product.input)
    for failure in result.failures:
        assert failure.id is None and failure.error
