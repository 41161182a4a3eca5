"""Product images are served by the sandbox itself, as safe SVG documents."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET

import httpx

from affsite.aliexpress.sandbox import Sandbox

SVG = "{http://www.w3.org/2000/svg}"


def test_every_image_named_in_answers_is_served_as_svg() -> None:
    sandbox = Sandbox()
    for product in sandbox.catalog.products[:40]:
        for name in product.image_names():
            found = sandbox.media(name)
            assert found is not None
            body, content_type = found
            assert content_type == "image/svg+xml"
            assert ET.fromstring(body).tag == f"{SVG}svg"  # noqa: S314 - our own output


def test_every_product_image_parses_and_shows_its_name_as_text() -> None:
    sandbox = Sandbox()
    for product in sandbox.catalog.products:
        if product.image_count == 0:
            continue
        found = sandbox.media(product.image_names()[0])
        assert found is not None
        root = ET.fromstring(found[0])  # noqa: S314 - parses: nothing broke out of the markup
        assert not any(el.tag in (f"{SVG}script", f"{SVG}image") for el in root.iter())
        assert all(not attr.startswith("on") for el in root.iter() for attr in el.attrib)
        label = "".join(root.find(f"{SVG}text").itertext())  # type: ignore[union-attr]
        assert label == product.short_name or (
            label.endswith("…") and product.short_name.startswith(label[:-1])
        )


def test_svg_of_a_markup_name_contains_it_only_escaped() -> None:
    sandbox = Sandbox()
    from affsite.aliexpress.sandbox.media import product_svg

    product = sandbox.catalog.get("1005006188820412")
    assert product is not None
    evil = dataclasses.replace(product, short_name="<script>\"x\"&'y'</script>")
    svg = product_svg(evil, 0)
    assert "<script>" not in svg
    assert "&lt;script&gt;&quot;x&quot;&amp;&#39;y&#39;&lt;/script&gt;" in svg


def test_unknown_or_malformed_names_are_not_found() -> None:
    sandbox = Sandbox()
    for name in ["../etc/passwd", "33006951782-9.svg", "999999999-0.svg", "33006951782-0.png",
                 "33006951782-0.svg/../x", ""]:  # fmt: skip
        assert sandbox.media(name) is None


def test_media_route_sets_content_type_and_safety_headers() -> None:
    sandbox = Sandbox()
    with httpx.Client(transport=sandbox.transport(), base_url="http://sandbox") as http:
        ok = http.get("/media/33006951782-0.svg")
        missing = http.get("/media/33006951782-99.svg")
    assert ok.status_code == 200
    assert ok.headers["content-type"] == "image/svg+xml"
    assert ok.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in ok.headers["content-security-policy"]
    assert missing.status_code == 404
    assert sandbox.call_count() == 0  # images are not API calls
