"""Benchmark: expanding a warm 100-shortcode article, against drawing the same boxes from
answers already fetched and against one cache read, side by side in one run.

Prints a markdown section. Run::

    .venv/bin/python bench/bench_shortcodes.py [--quick] [--profile]

The article: 100 shortcodes over 60 distinct products in paragraphs of prose, the mix authors
write (single boxes, grids of three with a title, comparison tables, compact lines with their
own button text, inline links with and without their own text, and inline fields: price,
title, discount, rating, orders). It is expanded through the real path (``expand_text``: one
parse, every tag checked, one catalog request, each tag drawn by the renderer) against a real
catalog on a disk cache in a temporary folder, filled from the in-process sandbox gateway. Then,
warm (every product in the cache, every box already drawn once), three things are timed with
``timeit`` in CPU time of this process (``time.process_time``), best of N:

* the whole expansion of the article;
* drawing the same boxes from answers already fetched: ``Renderer.products`` for each tag with
  its answers, template and options worked out beforehand (what the page would pay for the
  boxes without shortcodes);
* one cache read: one product's entry read from the disk cache (``Entries.read``); and, for
  comparison, one warm catalog answer for one product (from the process's memory).

The expansion overhead per shortcode is (expansion - drawing) / 100: parsing, checking, the
catalog request, working out each tag's options, joining the text. Targets: at most 1.5 x one
cache read per shortcode, and the whole warm article under 2 ms. ``--profile`` writes the top
of a cProfile of the warm expansion to stderr.

Where the time went, by cProfile, before the per-process memories (4.9 ms of CPU time for the
warm article): parsing the text again (a fifth), reading and resolving every tag again (more
than a quarter), building each tag's options, and drawing (half), where the renderer rebuilt
the box settings from the settings and hashed every product of every call to find its kept
drawing (each about a fifth of the drawing). The same text, the same tags, equal options and
the very same answer objects now come back from memories keyed by what decides the result
(see ``affsite.shortcodes.parser``, ``.tags``, ``.drawing`` and ``affsite.render.renderer``),
which took the warm article under 1 ms; the "first time" row shows what a text costs before
they hold it.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import math
import platform
import pstats
import sys
import tempfile
import time
import timeit
from collections.abc import Callable
from pathlib import Path

from affsite.aliexpress.sandbox import Sandbox
from affsite.cache import CacheStores, open_stores
from affsite.catalog import Catalog, Purpose, client_factory
from affsite.catalog.entries import Entries, namespace
from affsite.render import Renderer
from affsite.render.environment import make_environment
from affsite.resources import template_folder
from affsite.settings import Settings
from affsite.shortcodes import ListTag, Planned, drawing_choices, parse, plan
from affsite.shortcodes import drawing as drawing_module
from affsite.shortcodes import parser as parser_module
from affsite.shortcodes import tags as tags_module
from affsite.shortcodes.site import expand_text

TAGS = 100
PRODUCTS = 60
OVERHEAD_TARGET = 1.5  # x one cache read, per shortcode
ARTICLE_TARGET = 2e-3  # seconds for the whole warm article
SETTINGS = Settings(rate_limit=1000.0)
DETAIL = "aliexpress.affiliate.productdetail.get"


def article(ids: list[str], tags: int = TAGS) -> str:
    """``tags`` shortcodes over ``ids``, one per paragraph or block, each id named at least
    once (the same mix as the proof test of ``tests/shortcodes``)."""
    count = len(ids)
    parts = ["<h1>Our picks</h1>\n<p>What we tested this month, and what we thought.</p>\n"]
    for i in range(tags):
        one, two, three = ids[i % count], ids[(i + 7) % count], ids[(i + 13) % count]
        parts.append(
            [
                f'<p>First, a look at this one.</p>\n[aliexpress id="{one}"]\n',
                f"<p>Compare [aliexpress_link {one}]these[/aliexpress_link] with others.</p>\n",
                f'[aliexpress ids="{one},{two},{three}" template=grid title="Side by side"]\n',
                f"<p>It costs [aliexpress_field id={one} field=price] right now.</p>\n",
                f"<p>Buyers rate it [aliexpress_field id={one} field=rating].</p>\n",
                f'[aliexpress {one} template=compact button="See it"]\n',
                f"<p>[aliexpress_link id={one}][/aliexpress_link] ships fast.</p>\n",
                f"<p>[aliexpress_field {one} field=orders] orders so far.</p>\n",
                f'[aliexpress ids="{one},{two}" template=table]\n',
                f"<p>Now [aliexpress_field {one} field=discount] off.</p>\n",
                f'<p>Also: [aliexpress_field id="{one}" field=title].</p>\n',
            ][i % 11]
        )
    return "".join(parts)


def best(function: Callable[[], object], *, number: int, repeat: int) -> float:
    """CPU seconds per call: the best of ``repeat`` runs of ``number`` calls. CPU time of this
    process, not wall time: the machine may be busy with other work, which would otherwise
    count as ours."""
    runs = timeit.repeat(function, number=number, repeat=repeat, timer=time.process_time)
    return min(runs) / number


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(quick: bool, profile: bool) -> str:
    repeat, scale = (5, 0.2) if quick else (15, 1.0)
    with tempfile.TemporaryDirectory(prefix="affsite-bench-") as folder:
        sandbox = Sandbox(tracking_ids=("default",))
        stores = open_stores(Path(folder) / "cache")
        catalog = Catalog(
            settings=lambda: SETTINGS,
            stores=stores,
            client_factory=client_factory(sandbox.transport()),
        )
        try:
            return _measure(catalog, stores, sandbox, repeat, scale, profile)
        finally:
            catalog.close()


def _measure(
    catalog: Catalog,
    stores: CacheStores,
    sandbox: Sandbox,
    repeat: int,
    scale: float,
    profile: bool,
) -> str:
    renderer = Renderer(make_environment(template_folder()))
    complete = set(sandbox.catalog.missing_field_ids())
    ids = [pid for pid in sandbox.catalog.promotable_ids() if pid not in complete][:PRODUCTS]
    text = article(ids)
    planned = plan(text)
    tags = [
        piece.request
        for piece in planned.pieces
        if isinstance(piece, Planned) and not isinstance(piece.request, ListTag)
    ]
    assert len(tags) == TAGS and len(planned.ids) == PRODUCTS, (len(tags), len(planned.ids))

    def expand() -> object:
        return expand_text(text, catalog, renderer, purpose=Purpose.PAGE)

    progress("cold expansion (fills the cache from the sandbox)")
    started = time.perf_counter()
    cold = expand_text(text, catalog, renderer, purpose=Purpose.PAGE)
    cold_seconds = time.perf_counter() - started
    cold_calls = sandbox.call_count(DETAIL)
    warm = expand_text(text, catalog, renderer, purpose=Purpose.PAGE)
    warm_calls = sandbox.call_count() - cold_calls
    assert warm.html == cold.html
    problems = len(warm.problems)

    settings = catalog.settings()
    answers = dict(
        zip(planned.ids, catalog.products(planned.ids, purpose=Purpose.PAGE), strict=True)
    )
    draws = []
    for tag in tags:
        template, options = drawing_choices(tag)
        draws.append(([answers[pid] for pid in tag.ids], template, options))

    def draw_only() -> None:
        for tag_answers, template, options in draws:
            renderer.products(tag_answers, settings, template, options)

    entries = Entries(stores.data, stores.ctl)
    ns = namespace(settings)
    one = ids[0]

    def cache_read() -> object:
        return entries.read(ns, one)

    def catalog_answer() -> object:
        return catalog.products([one], purpose=Purpose.PAGE, settings=settings)

    def request_all() -> object:
        return catalog.products(planned.ids, purpose=Purpose.PAGE, settings=settings)

    def parse_only() -> object:
        return parse(text)

    def plan_only() -> object:
        return plan(text)

    def options_only() -> None:
        for tag in tags:
            drawing_choices(tag)

    def expand_first_time() -> object:
        # What a text this process has not expanded yet costs (its products and boxes warm):
        # the per-process memories of parsed texts, read tags, tag options and whole drawing
        # calls are emptied first.
        parser_module._remembered.cache_clear()
        tags_module._READ.clear()
        drawing_module._choices.cache_clear()
        renderer._calls.clear()
        return expand()

    progress(f"timing, best of {repeat}")
    n = max(1, int(200 * scale))
    expansion = best(expand, number=n, repeat=repeat)
    first_time = best(expand_first_time, number=max(1, n // 4), repeat=repeat)
    drawing = best(draw_only, number=n, repeat=repeat)
    read = best(cache_read, number=max(1, int(5000 * scale)), repeat=repeat)
    answer = best(catalog_answer, number=max(1, int(5000 * scale)), repeat=repeat)
    parts = {
        "parse (`parse`; this text was parsed before, so one lookup)": best(
            parse_only, number=n, repeat=repeat
        ),
        "parse and check every tag (`plan`)": best(plan_only, number=n, repeat=repeat),
        "one catalog request for the 60 products, warm": best(request_all, number=n, repeat=repeat),
        "every tag's template and options (`drawing_choices`)": best(
            options_only, number=n, repeat=repeat
        ),
    }
    if profile:
        _profile(expand)

    overhead = (expansion - drawing) / TAGS
    return _section(
        expansion=expansion,
        first_time=first_time,
        drawing=drawing,
        read=read,
        answer=answer,
        overhead=overhead,
        parts=parts,
        cold_seconds=cold_seconds,
        cold_calls=cold_calls,
        warm_calls=warm_calls,
        problems=problems,
        size=len(text),
        repeat=repeat,
        quick=scale < 1,
    )


def _profile(expand: Callable[[], object]) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(200):
        expand()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
    progress(out.getvalue())


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:,.1f} µs"


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.2f} ms"


def _section(
    *,
    expansion: float,
    first_time: float,
    drawing: float,
    read: float,
    answer: float,
    overhead: float,
    parts: dict[str, float],
    cold_seconds: float,
    cold_calls: int,
    warm_calls: int,
    problems: int,
    size: int,
    repeat: int,
    quick: bool,
) -> str:
    ratio = overhead / read
    batch = SETTINGS.batch_size
    floor = math.ceil(PRODUCTS / batch)
    lines = [
        "## Shortcodes: a warm 100-shortcode article (`bench/bench_shortcodes.py`)",
        "",
        f"An article of {size:,} characters: {TAGS} shortcodes over {PRODUCTS} distinct "
        "products in prose (single boxes, grids of three with a title, comparison tables, "
        "compact lines, inline links, inline price, title, discount, rating and orders), expanded "
        "by `expand_text` against a real catalog on a disk cache in a temporary folder, filled "
        "from the in-process sandbox gateway. Warm: every product cached, every box drawn once "
        "before. Times are CPU time of the process (`time.process_time`, so that other work on "
        f"the machine does not count), the best of {repeat} `timeit` runs, side by side in one "
        "process." + (" *Quick run: fewer loops; not figures to quote.*" if quick else ""),
        "",
        "| target | result |",
        "|---|---|",
        f"| expansion overhead per shortcode at most {OVERHEAD_TARGET} × one cache read "
        f"| {_verdict(ratio <= OVERHEAD_TARGET)}: {_us(overhead)} = {ratio:.2f} × one cache "
        f"read ({_us(read)}) |",
        f"| a warm {TAGS}-shortcode article under {_ms(ARTICLE_TARGET)} "
        f"| {_verdict(expansion < ARTICLE_TARGET)}: {_ms(expansion)} |",
        f"| gateway calls for the article: at most ceil({PRODUCTS} / {batch}) = {floor} cold, "
        f"0 warm | {_verdict(cold_calls <= floor and warm_calls == 0)}: {cold_calls} cold, "
        f"{warm_calls} warm |",
        "",
        "| measured | time | per shortcode |",
        "|---|---:|---:|",
        f"| expanding the warm article (`expand_text`) | {_ms(expansion)} "
        f"| {_us(expansion / TAGS)} |",
        f"| the same article expanded for the first time by this process (its products and "
        f"boxes warm) | {_ms(first_time)} | {_us(first_time / TAGS)} |",
        f"| drawing the same boxes from answers already fetched | {_ms(drawing)} "
        f"| {_us(drawing / TAGS)} |",
        f"| **expansion overhead** (the difference) | {_ms(overhead * TAGS)} "
        f"| **{_us(overhead)}** |",
        f"| one cache read (one product's entry from the disk cache) | {_us(read)} | |",
        f"| one warm catalog answer for one product (process memory) | {_us(answer)} | |",
        "",
        "Where the overhead goes (each part timed on its own; they overlap: `plan` includes the "
        "parse):",
        "",
        "| part | time | per shortcode |",
        "|---|---:|---:|",
        *(
            f"| {name} | {_us(seconds)} | {_us(seconds / TAGS)} |"
            for name, seconds in parts.items()
        ),
        "",
        f"- Cold, the first expansion took {_ms(cold_seconds)} with {cold_calls} gateway calls "
        f"(batch size {batch}); the sandbox answers in process, so this is no network time.",
        f"- {problems} of the {TAGS} tags asked for a value their product does not have (no "
        "discount, no orders yet): they draw nothing for the visitor and an HTML comment for "
        "the author, as on a live site.",
        f"- Python {platform.python_version()}, {platform.machine()}.",
    ]
    return "\n".join(lines) + "\n"


def _verdict(met: bool) -> str:
    return "met" if met else "**not met**"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: fewer loops")
    parser.add_argument("--profile", action="store_true", help="cProfile to stderr")
    args = parser.parse_args(argv)
    print(run(args.quick, args.profile), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
