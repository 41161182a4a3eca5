"""The sandbox catalog's hand-written listings: the two documented demo products and the
cases a client and its pages must survive (hostile HTML titles, non-Latin and right-to-left
text, missing or blank fields, listings that are not promotable, ids of unusual lengths).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SpecialCase:
    """A hand-written listing; positional fields keep the table below readable."""

    id: int
    title: str
    short_name: str
    category_id: int
    price_usd: str
    original_usd: str | None
    tags: frozenset[str] = frozenset()
    promotable: bool = True
    hot: bool = False
    shop_name: str = "Official Flagship Store"
    absent: frozenset[str] = frozenset()
    blank: frozenset[str] = frozenset()
    image_count: int = 4
    translations: Mapping[str, str] = field(default_factory=dict)


def _tags(*names: str) -> frozenset[str]:
    return frozenset(names)


SPECIAL_CASES: tuple[SpecialCase, ...] = (
    SpecialCase(
        1005004757833857,
        "Wireless Earbuds Bluetooth 5.3 Headphones TWS Noise Cancelling HiFi Stereo Sports "
        "Earphones With Mic",
        "Wireless Earbuds", 44, "12.34", "24.68", _tags("demo"), hot=True,
        shop_name="Example Audio Store",
        translations={
            "RU": "Беспроводные наушники Bluetooth 5.3 TWS с шумоподавлением и микрофоном",
            "ES": "Auriculares inalámbricos Bluetooth 5.3 TWS con cancelación de ruido y micrófono",
            "DE": "Kabellose Ohrhörer Bluetooth 5.3 TWS mit Geräuschunterdrückung und Mikrofon",
            "FR": "Écouteurs sans fil Bluetooth 5.3 TWS à réduction de bruit avec micro",
            "PT": "Fones de ouvido sem fio Bluetooth 5.3 TWS com cancelamento de ruído e microfone",
        },
    ),
    SpecialCase(
        33006951782,
        "Stainless Steel Insulated Coffee Mug 500ml Double Wall Vacuum Travel Tumbler "
        "Leakproof Lid",
        "Coffee Mug", 15, "8.99", "14.99", _tags("demo"),
    ),
    SpecialCase(
        1005006188820412,
        "<script>alert(1)</script> Smart Watch Men Bluetooth Call Fitness Tracker IP68",
        "Smart Watch", 44, "19.90", "45.00", _tags("hostile"), hot=True,
    ),
    SpecialCase(
        1005005734219905,
        '"><img src=x onerror=alert(1)> LED Strip Lights RGB 5050 Bluetooth Music Sync',
        "LED Strip", 39, "6.49", "12.98", _tags("hostile"),
    ),
    SpecialCase(
        1005006021187733,
        "Magnetic Car Phone Holder' onmouseover='alert(1)' {{ 7*7 }} ${7*7} "
        "</title></textarea><svg onload=alert(1)>",
        "Phone Holder", 34, "3.20", None, _tags("hostile"),
        shop_name='<b>Best</b> Deals & "Quotes" Store',
    ),
    SpecialCase(
        1005005502466208,
        "javascript:alert(document.cookie) &amp; &lt;b&gt;Mini Projector&lt;/b&gt; 4K WiFi "
        "Portable Home Cinema",
        "Mini Projector", 44, "49.90", "99.00", _tags("hostile"),
    ),
    SpecialCase(
        1005006402215570,
        "2024新款无线蓝牙耳机 主动降噪 入耳式运动耳机 超长续航 适用于苹果华为小米",
        "蓝牙耳机", 44, "15.60", "31.20", _tags("non_latin"), hot=True,
    ),
    SpecialCase(
        1005005983310442,
        "Беспроводные наушники TWS Bluetooth 5.3 с шумоподавлением и микрофоном, водонепроницаемые",
        "Наушники", 44, "11.20", "22.40", _tags("non_latin"),
    ),
    SpecialCase(
        1005006640051179,
        "ワイヤレスイヤホン Bluetooth 5.3 ノイズキャンセリング 防水 マイク付き 長時間再生",
        "イヤホン", 44, "13.80", "27.60", _tags("non_latin"),
    ),
    SpecialCase(
        1005005311847620,
        "ساعة ذكية للرجال والنساء بلوتوث مقاومة للماء مع مراقبة معدل ضربات القلب",
        "ساعة ذكية", 1511, "17.50", "35.00", _tags("non_latin", "rtl"),
    ),
    SpecialCase(
        1005006577392014,
        "מנורת שולחן LED מתקפלת עם טעינה אלחוטית והגנה על העיניים",
        "מנורת שולחן", 39, "14.90", "24.90", _tags("non_latin", "rtl"),
    ),
    SpecialCase(
        1005005870022391,
        "Magnetic Car Phone Holder حامل هاتف للسيارة مغناطيسي 360° Air Vent Mount",
        "حامل هاتف", 34, "2.99", "5.98", _tags("non_latin", "rtl"),
    ),
    SpecialCase(
        1005006894410037,
        "🔥Hot Sale🔥 Mini RC Drone 4K Camera ✈️ Foldable Quadcopter — Gift for Kids & Adults",
        "RC Drone", 26, "24.90", "59.90", _tags("emoji"), hot=True,
    ),
    SpecialCase(
        1005005122876543,
        "Men Laptop Backpack 15.6 Inch Waterproof Anti Theft USB Charging Port Large Capacity "
        "Business Travel School Bag Multifunction Casual Daypack Rucksack For Teenagers College "
        "Students Office Commuter Weekend Hiking Camping Outdoor Sports Gym Unisex Black Grey Blue",
        "Laptop Backpack", 1524, "21.90", "43.80", _tags("long_title"),
    ),
    SpecialCase(
        1005004410975516,
        "Minimal Listing Portable Bluetooth Speaker",
        "Speaker", 44, "9.90", None, _tags("missing_fields"),
        absent=frozenset({"product_small_image_urls", "lastest_volume", "shop_name"}),
        blank=frozenset({"evaluate_rate", "product_main_image_url", "product_video_url"}),
        image_count=0,
    ),
    SpecialCase(
        4000123456789,
        "Stainless Steel Garlic Press Crusher Kitchen Gadget",
        "Garlic Press", 15, "3.49", "6.98", promotable=False,
    ),
    SpecialCase(
        1005001000000001,
        "Retired Listing USB Desk Fan Quiet 3 Speeds",
        "Desk Fan", 7, "7.99", "9.99", promotable=False,
    ),
)  # fmt: skip
