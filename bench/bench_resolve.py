"""Benchmark: resolving 10,000 mixed inputs offline, against a naive regex extractor.

Prints a markdown section (progress on stderr). Run:
``.venv/bin/python bench/bench_resolve.py [--quick] [--count N] [--no-cli]``; ``--quick`` is a
smoke run (1,000 inputs, 3 timing runs).

The inputs cover every offline form (url-forms.md section 1) and the refusal classes, each with
the id a correct resolver must return (or none). The naive baseline is the extractor of a popular
Python AliExpress wrapper: ``^[0-9]*$`` for ids, else the first ``(\\/)([0-9]*)(\\.)``.
"""

from __future__ import annotations

import argparse
import platform
import random
import re
import subprocess
import sys
import time
import timeit
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from affsite.product_ids import REGIONAL_OFFSET, resolve

LOCALES = ("www", "es", "fr", "pt", "de", "it", "nl", "pl", "tr", "he", "ar", "ja", "ko", "th")
NOISE = (
    "",
    "?spm=a2g0o.productlist.main.1.5f2a3d1cXyZ&algo_pvid=0a1b2c3d-4e5f&algo_exp_id=0a1b2c3d-4e5f",
    "?sku_id=12000016012345678&pdp_npi=4%40dis%21USD%2110.99%21%21%21%21%21%40210123%2112000016012345678",
    "?aff_fcid=abc&tt=CPS_NORMAL&aff_trace_key=0123456789abcdef0123456789abcdef-1700000000000-01234-_DdGYnJf",
    "?gatewayAdapt=glo2usa4itemAdapt&_randl_shipto=US",
    "#nav-specification",
)


@dataclass(frozen=True)
class Sample:
    category: str
    text: str
    expected: str | None  # the global id a correct resolver returns, or None


def _random_id(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.6:
        return str(1005000000000000 + rng.randrange(10**13))
    if kind < 0.8:
        return str(rng.randrange(32000000000, 33999999999))
    return str(rng.randrange(4000000000000, 4001999999999))


def generate(count: int, seed: int = 20240601) -> list[Sample]:
    rng = random.Random(seed)
    makers: list[tuple[float, Callable[[str], Sample]]] = [
        (
            18,
            lambda i: Sample(
                "item",
                f"https://{rng.choice(LOCALES)}.aliexpress.com/item/{i}.html{rng.choice(NOISE)}",
                i,
            ),
        ),
        (6, lambda i: Sample("bare id", i, i)),
        (
            5,
            lambda i: Sample(
                "slug /item/SLUG/ID.html",
                f"https://www.aliexpress.com/item/{rng.randint(2, 40)}-PCS-Cable/{i}.html",
                i,
            ),
        ),
        (4, lambda i: Sample("/i/ID.html", f"https://www.aliexpress.com/i/{i}.html", i)),
        (
            4,
            lambda i: Sample(
                "aliexpress.ru /item/0_ID", f"https://aliexpress.ru/item/0_{i}.html", i
            ),
        ),
        (
            6,
            lambda i: Sample(
                "aliexpress.us regional id",
                f"https://www.aliexpress.us/item/{int(i) + REGIONAL_OFFSET}.html"
                "?gatewayAdapt=glo2usa4itemAdapt",
                i,
            ),
        ),
        (
            4,
            lambda i: Sample(
                "old store product",
                "https://www.aliexpress.com/store/product/Cable/"
                f"{rng.randint(100000, 9999999)}_{i}.html",
                i,
            ),
        ),
        (
            4,
            lambda i: Sample(
                "mobile /s/item", f"https://m.aliexpress.com/s/item/{i}.html#autostay", i
            ),
        ),
        (5, lambda i: Sample("scheme-less", f"www.aliexpress.com/item/{i}.html", i)),
        (2, lambda i: Sample("protocol-relative", f"//m.aliexpress.com/item/{i}.html", i)),
        (
            2,
            lambda i: Sample(
                "percent-encoded",
                quote(f"https://www.aliexpress.com/item/{i}.html", safe=""),
                i,
            ),
        ),
        (
            4,
            lambda i: Sample(
                "query-id page",
                f"https://www.aliexpress.com/ssr/300000512/BundleDeals2?productIds={i}:12000016",
                i,
            ),
        ),
        (
            4,
            lambda i: Sample(
                "share wrapper",
                "https://star.aliexpress.com/share/share.htm?platform=AE&businessType=ProductDetail"
                "&redirectUrl="
                + quote(f"https://www.aliexpress.com/item/{i}.html?srcSns=sns_Copy", safe=""),
                i,
            ),
        ),
        (
            2,
            lambda i: Sample(
                "affiliate wrapper",
                "https://s.click.aliexpress.com/deep_link.htm?aff_short_key=UneMJZVf"
                f"&dl_target_url={quote(f'https://www.aliexpress.com/item/{i}.html', safe='')}",
                i,
            ),
        ),
        (2, lambda i: Sample("app deep link", f"aliexpress://product/detail?productId={i}", i)),
        (
            1,
            lambda i: Sample(
                "intent",
                f"intent://www.aliexpress.com/item/{i}.html#Intent;package=com.alibaba.aliexpresshd;"
                "scheme=https;end",
                i,
            ),
        ),
        (
            4,
            lambda i: Sample(
                "refuse: look-alike host",
                f"https://aliexpress.com.{rng.choice(['evil', 'deals'])}.example/item/{i}.html",
                None,
            ),
        ),
        (
            2,
            lambda i: Sample(
                "refuse: country TLD",
                f"https://aliexpress.{rng.choice(['es', 'fr'])}/item/{i}.html",
                None,
            ),
        ),
        (
            2,
            lambda i: Sample(
                "refuse: search page", f"https://www.aliexpress.com/w/wholesale-{i}.html", None
            ),
        ),
        (
            2,
            lambda i: Sample(
                "refuse: store page", f"https://www.aliexpress.com/store/{i[:10]}", None
            ),
        ),
        (
            2,
            lambda i: Sample(
                "refuse: category page",
                f"https://www.aliexpress.com/category/200000344/{i[:4]}.html",
                None,
            ),
        ),
        (
            2,
            lambda i: Sample(
                "refuse: userinfo / parser trick",
                rng.choice(
                    [
                        f"https://www.aliexpress.com@evil.example/item/{i}.html",
                        f"https://evil.example\\@www.aliexpress.com/item/{i}.html",
                    ]
                ),
                None,
            ),
        ),
        (
            2,
            lambda i: Sample("refuse: non-http scheme", f"javascript:alert(1)//{i}.html", None),
        ),
        (
            2,
            lambda i: Sample(
                "refuse: short link offline",
                f"https://s.click.aliexpress.com/e/_{rng.randrange(10**8):08d}",
                None,
            ),
        ),
    ]
    weights = [weight for weight, _ in makers]
    chosen = rng.choices([maker for _, maker in makers], weights=weights, k=count)
    return [maker(_random_id(rng)) for maker in chosen]


_NAIVE_ID = re.compile(r"^[0-9]*$")
_NAIVE_PATH = re.compile(r"(\/)([0-9]*)(\.)")


def naive_product_id(text: str) -> str | None:
    """The peer extractor: an all-digits input, else the first ``/digits.`` anywhere."""
    if _NAIVE_ID.search(text):
        return text
    match = _NAIVE_PATH.search(text)
    return match.group(2) if match else None


TARGET_SECONDS = 0.5  # "well under a second" for 10,000 inputs


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _best_of(function: Callable[[], object], repeat: int) -> float:
    return min(timeit.repeat(function, number=1, repeat=repeat))


def _cli_seconds(lines: list[str], repeat: int) -> tuple[float, float]:
    command = [sys.executable, "-c", "from affsite.cli import main; main()", "resolve", "--offline"]
    payload = "\n".join(lines) + "\n"

    def run(data: str) -> float:
        started = time.perf_counter()
        subprocess.run(
            command, input=data, capture_output=True, text=True, timeout=120, check=False
        )
        return time.perf_counter() - started

    full = min(run(payload) for _ in range(repeat))
    startup = min(run(lines[0] + "\n") for _ in range(repeat))
    return full, startup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smoke run: 1,000 inputs")
    parser.add_argument("--count", type=int, default=None, help="inputs (default 10,000)")
    parser.add_argument("--repeat", type=int, default=None, help="timing runs (default 7)")
    parser.add_argument("--no-cli", action="store_true", help="skip the end-to-end CLI timing")
    options = parser.parse_args()
    count = options.count or (1_000 if options.quick else 10_000)
    repeat = options.repeat or (3 if options.quick else 7)
    if not 1 <= count <= 1_000_000 or not 1 <= repeat <= 50:
        parser.error("--count must be 1 to 1,000,000 and --repeat 1 to 50")
    options.repeat = repeat

    samples = generate(count)
    texts = [sample.text for sample in samples]

    progress(f"resolving {count:,} inputs, best of {repeat} runs")
    cold_started = time.perf_counter()
    ours = [resolve(text, offline=True) for text in texts]
    cold = time.perf_counter() - cold_started
    resolver = _best_of(lambda: [resolve(text, offline=True) for text in texts], options.repeat)
    progress(f"resolver: {resolver * 1e3:,.1f} ms; now the naive regex")
    naive_answers = [naive_product_id(text) for text in texts]
    naive = _best_of(lambda: [naive_product_id(text) for text in texts], options.repeat)

    ours_right = sum(r.id == s.expected for r, s in zip(ours, samples, strict=True))
    by_category: dict[str, Counter[str]] = {}
    naive_outcomes: Counter[str] = Counter()
    for sample, answer in zip(samples, naive_answers, strict=True):
        tally = by_category.setdefault(sample.category, Counter())
        tally["n"] += 1
        if answer == sample.expected:
            tally["right"] += 1
        elif sample.expected is None:
            naive_outcomes["accepted an input it must refuse"] += 1
        elif answer is None:
            naive_outcomes["found no id in a product input"] += 1
        else:
            naive_outcomes["returned the wrong id"] += 1
    naive_right = sum(tally["right"] for tally in by_category.values())
    refusals = sum(sample.expected is None for sample in samples)

    def ns(seconds: float) -> str:
        return f"{seconds / count * 1e9:,.0f} ns"

    print("## Resolver: product ids from pasted input (`bench/bench_resolve.py`)")
    print()
    print(
        f"{count:,} generated inputs covering every offline form, {refusals:,} of which must be "
        f"refused; offline; Python {platform.python_version()} on {platform.machine()}; "
        f"best of {options.repeat} runs (`timeit`)."
    )
    print()
    cli = None
    if not options.no_cli:
        progress(f"`affsite resolve --offline` on {count:,} lines, best of 3")
        cli = _cli_seconds(texts, repeat=3)
    print("| target | result |")
    print("|---|---|")
    per_10k = resolver / count * 10_000
    verdict = "met" if per_10k <= TARGET_SECONDS else "**not met**"
    print(
        f"| 10,000 pasted inputs resolved offline in well under a second (at most "
        f"{TARGET_SECONDS:g} s) | {per_10k * 1e3:,.0f} ms per 10,000 ({ns(resolver)} per input, "
        f"measured on {count:,}): {verdict} |"
    )
    print(
        f"| every input resolved right, refusals included | {ours_right:,} / {count:,} "
        f"({ours_right / count:.1%}; the naive regex {naive_right / count:.1%}) |"
    )
    if cli is not None:
        print(
            f"| `affsite resolve --offline` on {count:,} lines, end to end | {cli[0]:,.2f} s wall "
            f"({cli[1]:,.2f} s of it process start-up) |"
        )
    print()
    print("| extractor | total | per input | correct |")
    print("|---|---:|---:|---:|")
    print(
        f"| affsite `resolve(text, offline=True)` | {resolver * 1e3:,.1f} ms | {ns(resolver)} "
        f"| {ours_right:,} / {count:,} |"
    )
    print(
        f"| naive regex `(\\/)([0-9]*)(\\.)` | {naive * 1e3:,.1f} ms | {ns(naive)} "
        f"| {naive_right:,} / {count:,} |"
    )
    print()
    print(
        f"- The resolver takes {resolver / naive:,.1f}x the naive regex's time and is right on "
        f"{ours_right / count:.1%} of inputs against {naive_right / count:.1%}."
    )
    print(f"- First run, before the host-parse cache is warm: {cold * 1e3:,.1f} ms.")
    for outcome, n in naive_outcomes.most_common():
        print(f"- Naive regex {outcome}: {n:,} inputs.")
    if cli is not None:
        full, startup = cli
        print(
            f"- `affsite resolve --offline < {count:,} lines`, end to end: {full:,.2f} s wall, of "
            f"which {startup:,.2f} s is process start-up (one input)."
        )
    print()
    print("| input form | inputs | naive regex correct |")
    print("|---|---:|---:|")
    for category, tally in sorted(by_category.items(), key=lambda item: -item[1]["n"]):
        print(f"| {category} | {tally['n']:,} | {tally['right']:,} |")


if __name__ == "__main__":
    main()
