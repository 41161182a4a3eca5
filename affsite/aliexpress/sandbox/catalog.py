"""The sandbox's product catalog: deterministic, built in memory from a fixed seed.

Two catalogs built in any process are identical. Besides ordinary listings it holds the cases a
client and its pages must survive: products that are not promotable (the gateway omits them),
products with fields missing or ``""``, titles that are hostile HTML, non-Latin and right-to-left
text, and ids of every real length (9 to 16 digits).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType

from affsite.aliexpress.sandbox.catalog_data import CATEGORY_SPECS, CategorySpec, Kind
from affsite.aliexpress.sandbox.special_cases import SPECIAL_CASES, SpecialCase

SEED = 20_240_601
GENERATED_PER_CATEGORY = 16

# The two product ids used in the API documentation samples; always promotable.
DEMO_PRODUCT_IDS: tuple[str, ...] = ("1005004757833857", "33006951782")

CENT = Decimal("0.01")

# Wire field groups a product can lack ("absent") or carry as an empty string ("blank").
NO_ORIGINAL_PRICE = frozenset(
    {
        "original_price",
        "original_price_currency",
        "target_original_price",
        "target_original_price_currency",
        "discount",
    }
)


@dataclass(frozen=True)
class Category:
    id: int
    name: str
    parent_id: int | None = None


@dataclass(frozen=True)
class SandboxProduct:
    """One listing as the sandbox knows it; prices in USD, converted when answering."""

    id: int
    title: str
    short_name: str
    category: Category
    subcategory: Category
    price_usd: Decimal
    original_usd: Decimal | None
    app_price_usd: Decimal
    commission_rate: Decimal  # percent
    hot_commission_rate: Decimal | None  # percent; None unless ``hot``
    evaluate_rate: Decimal | None  # percent of positive feedback
    volume: int
    shop_id: int
    shop_name: str
    platform: str  # "PLAZA" or "TMALL"
    ship_days: int
    image_count: int  # images the sandbox serves for it (main image first)
    sku_id: int
    promotable: bool = True
    hot: bool = False
    excluded_countries: frozenset[str] = frozenset()
    absent_fields: frozenset[str] = frozenset()  # wire fields left out of answers
    blank_fields: frozenset[str] = frozenset()  # wire fields answered as ""
    translations: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    tags: frozenset[str] = frozenset()  # "hostile", "non_latin", "rtl", "missing_fields", ...

    @property
    def global_id(self) -> str:
        return str(self.id)

    @property
    def discount_percent(self) -> int | None:
        if self.original_usd is None or self.original_usd <= 0:
            return None
        ratio = (self.original_usd - self.price_usd) / self.original_usd * 100
        return int(ratio.quantize(Decimal(1), rounding=ROUND_HALF_UP))

    def title_in(self, language: str | None) -> str:
        if language and language in self.translations:
            return self.translations[language]
        return self.title

    def ships_to(self, country: str | None) -> bool:
        return country is None or country not in self.excluded_countries

    def image_names(self) -> list[str]:
        return [f"{self.id}-{n}.svg" for n in range(self.image_count)]


class SandboxCatalog:
    """Read-only product lookup plus the id lists tests pick examples from."""

    def __init__(self, products: Iterable[SandboxProduct], categories: Iterable[Category]):
        self.products: tuple[SandboxProduct, ...] = tuple(products)
        self.categories: tuple[Category, ...] = tuple(categories)
        self._by_id = {p.id: p for p in self.products}
        if len(self._by_id) != len(self.products):
            raise ValueError("duplicate product ids in the sandbox catalog")

    def get(self, product_id: int | str) -> SandboxProduct | None:
        try:
            return self._by_id.get(int(product_id))
        except (TypeError, ValueError):
            return None

    def _ids(self, keep: Iterable[SandboxProduct]) -> list[str]:
        return [p.global_id for p in keep]

    def ids(self) -> list[str]:
        """Every product id, as strings, in catalog order."""
        return self._ids(self.products)

    def promotable_ids(self) -> list[str]:
        return self._ids(p for p in self.products if p.promotable)

    def not_promotable_ids(self) -> list[str]:
        """Ids the gateway knows but never returns (no affiliate commission)."""
        return self._ids(p for p in self.products if not p.promotable)

    def hot_ids(self) -> list[str]:
        return self._ids(p for p in self.products if p.hot and p.promotable)

    def tagged_ids(self, tag: str) -> list[str]:
        return self._ids(p for p in self.products if tag in p.tags)

    def hostile_ids(self) -> list[str]:
        """Promotable products whose title (or shop name) is hostile HTML."""
        return self.tagged_ids("hostile")

    def non_latin_ids(self) -> list[str]:
        return self.tagged_ids("non_latin")

    def rtl_ids(self) -> list[str]:
        return self.tagged_ids("rtl")

    def missing_field_ids(self) -> list[str]:
        """Promotable products answered with some fields absent or ``""``."""
        return self.tagged_ids("missing_fields")

    def ids_by_length(self) -> dict[int, list[str]]:
        by_length: dict[int, list[str]] = {}
        for pid in self.ids():
            by_length.setdefault(len(pid), []).append(pid)
        return dict(sorted(by_length.items()))

    def category(self, category_id: int) -> Category | None:
        return next((c for c in self.categories if c.id == category_id), None)


# --- generation -------------------------------------------------------------------------------

_PREFIXES = ("", "", "2024 New ", "2025 ", "Original ", "Hot Sale ", "Upgraded ", "Mini ")
_SUFFIXES = ("", "", "", " Gift", " For Men Women", " Free Shipping")
_SHOP_WORDS = (
    "Sunshine", "Global", "Digital", "Lucky", "Dragon", "Ocean", "Smart", "Happy",
    "Orient", "Maple", "Star", "Jade", "Panda", "Golden", "Blue", "Eagle",
)  # fmt: skip
_SHOP_TRADES = ("Electronics", "Home", "Fashion", "Outdoor", "Tech", "Life", "Trade", "Official")
_EXCLUDABLE_COUNTRIES = ("RU", "UA", "IL", "BR", "IN", "CL")


def _money(rng: random.Random, low: str, high: str) -> Decimal:
    cents = rng.randint(int(Decimal(low) * 100), int(Decimal(high) * 100))
    return (Decimal(cents) / 100).quantize(CENT)


def _id_of_length(rng: random.Random, length: int) -> int:
    if length == 16:
        # Current listings: 1005xxxxxxxxxxxx (kept below 2**53 like the real ones).
        return 1_005_000_000_000_000 + rng.randrange(10**9, 9 * 10**9)
    if length == 11:
        return rng.choice((32, 33, 40)) * 10**9 + rng.randrange(10**9)
    return rng.randrange(10 ** (length - 1), 10**length)


_OTHER_LENGTHS = (9, 10, 12, 13, 14, 15)


def _length_for(index: int) -> int:
    if index % 10 == 0:
        return _OTHER_LENGTHS[(index // 10) % len(_OTHER_LENGTHS)]
    return 11 if index % 10 in (3, 7) else 16


def _title(rng: random.Random, kind: Kind) -> str:
    features = rng.sample(kind.features, k=min(len(kind.features), rng.randint(2, 4)))
    return f"{rng.choice(_PREFIXES)}{kind.core} {' '.join(features)}{rng.choice(_SUFFIXES)}"


def _generated(
    rng: random.Random, index: int, spec: CategorySpec, taken: set[int]
) -> SandboxProduct:
    top = Category(spec.id, spec.name)
    sub_spec = rng.choice(spec.subcategories)
    kind = rng.choice(sub_spec.kinds)
    product_id = _id_of_length(rng, _length_for(index))
    while product_id in taken:
        product_id = _id_of_length(rng, _length_for(index))
    taken.add(product_id)

    price = _money(rng, kind.min_usd, kind.max_usd)
    discount = rng.choice((0, 10, 15, 20, 25, 30, 35, 40, 45, 50, 60, 70))
    original = (price * 100 / (100 - discount)).quantize(CENT) if discount else price
    app_price = (price * Decimal("0.97")).quantize(CENT) if rng.random() < 0.4 else price
    hot = rng.random() < 0.25
    absent: set[str] = set()
    blank: set[str] = set()
    tags: set[str] = set()
    image_count = rng.randint(2, 6)
    roll = rng.random()
    if roll < 0.07:
        absent |= NO_ORIGINAL_PRICE
    elif roll < 0.12:
        blank.add("evaluate_rate")
    elif roll < 0.17:
        absent.add("product_small_image_urls")
    elif roll < 0.20:
        absent |= {"lastest_volume", "shop_name"}
    if absent or blank:
        tags.add("missing_fields")
    return SandboxProduct(
        id=product_id,
        title=_title(rng, kind),
        short_name=kind.short,
        category=top,
        subcategory=Category(sub_spec.id, sub_spec.name, spec.id),
        price_usd=price,
        original_usd=None if "original_price" in absent else original,
        app_price_usd=app_price,
        commission_rate=Decimal(rng.choice(("3.0", "5.0", "6.0", "7.0", "8.0", "9.0"))),
        hot_commission_rate=Decimal(rng.choice(("10.0", "12.0", "15.0", "20.0"))) if hot else None,
        evaluate_rate=None if "evaluate_rate" in blank else Decimal(rng.randint(880, 1000)) / 10,
        volume=rng.choice((0, rng.randint(1, 99), rng.randint(100, 999), rng.randint(1000, 25000))),
        shop_id=rng.randrange(100_000, 1_200_000_000),
        shop_name=f"{rng.choice(_SHOP_WORDS)} {rng.choice(_SHOP_TRADES)} Store",
        platform="TMALL" if rng.random() < 0.1 else "PLAZA",
        ship_days=rng.choice((3, 5, 7, 7, 10, 12, 15, 20)),
        image_count=image_count,
        sku_id=12_000_000_000_000_000 + rng.randrange(10**13),
        promotable=rng.random() >= 0.08,
        hot=hot,
        excluded_countries=frozenset(rng.sample(_EXCLUDABLE_COUNTRIES, k=2))
        if rng.random() < 0.05
        else frozenset(),
        absent_fields=frozenset(absent),
        blank_fields=frozenset(blank),
        tags=frozenset(tags),
    )


def _special_product(
    special: SpecialCase, categories: Mapping[int, CategorySpec]
) -> SandboxProduct:
    spec = categories[special.category_id]
    sub = next(
        (s for s in spec.subcategories if any(k.short == special.short_name for k in s.kinds)),
        spec.subcategories[0],
    )
    # The documented demo products keep the sample's figures; the others vary by id.
    demo = "demo" in special.tags
    rating = Decimal("94.6") if demo else Decimal(900 + special.id % 100) / 10
    price = Decimal(special.price_usd)
    absent = set(special.absent)
    if special.original_usd is None:
        absent |= NO_ORIGINAL_PRICE
    tags = set(special.tags)
    if absent or special.blank:
        tags.add("missing_fields")
    return SandboxProduct(
        id=special.id,
        title=special.title,
        short_name=special.short_name,
        category=Category(spec.id, spec.name),
        subcategory=Category(sub.id, sub.name, spec.id),
        price_usd=price,
        original_usd=Decimal(special.original_usd) if special.original_usd else None,
        app_price_usd=price,
        commission_rate=Decimal("7.0"),
        hot_commission_rate=Decimal("9.0") if special.hot else None,
        evaluate_rate=None if "evaluate_rate" in special.blank else rating,
        volume=1289 if demo else (special.id // 7) % 20_000,
        shop_id=912_345_678 if demo else 100_000 + special.id % 1_100_000_000,
        shop_name=special.shop_name,
        platform="PLAZA",
        ship_days=7,
        image_count=special.image_count,
        sku_id=12_000_030_000_000_000 + special.id % 10**9,
        promotable=special.promotable,
        hot=special.hot,
        absent_fields=frozenset(absent),
        blank_fields=special.blank,
        translations=MappingProxyType(dict(special.translations)),
        tags=frozenset(tags),
    )


def build_catalog(seed: int = SEED) -> SandboxCatalog:
    """The sandbox catalog: hand-written special cases first, then seeded listings per category."""
    rng = random.Random(seed)
    specs = {spec.id: spec for spec in CATEGORY_SPECS}
    products = [_special_product(s, specs) for s in SPECIAL_CASES]
    taken = {p.id for p in products}
    index = 0
    for spec in CATEGORY_SPECS:
        for _ in range(GENERATED_PER_CATEGORY):
            products.append(_generated(rng, index, spec, taken))
            index += 1
    categories: list[Category] = []
    for spec in CATEGORY_SPECS:
        categories.append(Category(spec.id, spec.name))
        categories.extend(Category(sub.id, sub.name, spec.id) for sub in spec.subcategories)
    return SandboxCatalog(products, categories)
