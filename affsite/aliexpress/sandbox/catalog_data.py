"""Static material the sandbox catalog is generated from: categories and listing templates.

Top-level category ids and names are AliExpress's own affiliate categories; second-level ids are
plausible stand-ins. Titles are assembled the way real listings read: a core name stuffed with
feature keywords.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    """One kind of product a category sells: how its listings are titled and priced."""

    short: str  # what a shopper would call it; also drawn on its image
    core: str  # the head of the listing title
    features: tuple[str, ...]
    min_usd: str
    max_usd: str


@dataclass(frozen=True)
class SubcategorySpec:
    id: int
    name: str
    kinds: tuple[Kind, ...]


@dataclass(frozen=True)
class CategorySpec:
    id: int
    name: str
    subcategories: tuple[SubcategorySpec, ...]


def _k(short: str, core: str, features: str, min_usd: str, max_usd: str) -> Kind:
    return Kind(short, core, tuple(f.strip() for f in features.split("|")), min_usd, max_usd)


CATEGORY_SPECS: tuple[CategorySpec, ...] = (
    CategorySpec(44, "Consumer Electronics", (
        SubcategorySpec(200003803, "Earphones & Headphones", (
            _k("Wireless Earbuds", "TWS Wireless Bluetooth 5.3 Earphones",
               "Noise Cancelling|HiFi Stereo|Waterproof Sports Headset|With Mic|Touch Control|"
               "Long Battery Life|Low Latency Gaming", "6.50", "39.90"),
            _k("Over-Ear Headphones", "Over-Ear Bluetooth Headphones",
               "Active Noise Cancelling|Foldable|Deep Bass|40H Playtime|Wired And Wireless",
               "14.90", "79.00"),
        )),
        SubcategorySpec(200010196, "Smart Electronics", (
            _k("Smart Watch", "Smart Watch Men Women",
               "1.96 Inch AMOLED|Heart Rate Monitor|Bluetooth Call|IP68 Waterproof|"
               "100+ Sport Modes|Sleep Tracking", "12.90", "69.00"),
            _k("Fitness Band", "Smart Band Fitness Tracker",
               "Blood Oxygen|Step Counter|Color Screen|Message Reminder", "7.90", "29.90"),
        )),
        SubcategorySpec(200084017, "Portable Audio & Video", (
            _k("Bluetooth Speaker", "Portable Bluetooth Speaker",
               "Outdoor Waterproof|Subwoofer|RGB Light|TF Card|FM Radio|360 Stereo Sound",
               "9.90", "59.00"),
        )),
    )),
    CategorySpec(509, "Cellphones & Telecommunications", (
        SubcategorySpec(380230, "Phone Bags & Cases", (
            _k("Phone Case", "Shockproof Silicone Phone Case",
               "For iPhone 15 14 13 Pro Max|Matte Transparent|Camera Protection|MagSafe Magnetic|"
               "Soft TPU Cover", "1.20", "8.90"),
        )),
        SubcategorySpec(200084019, "Mobile Phone Accessories", (
            _k("Fast Charger", "65W GaN USB C Fast Charger",
               "PD 3.0|QC 4.0|Foldable Plug|3 Ports|For Laptop Phone Tablet", "5.90", "29.90"),
            _k("Charging Cable", "USB Type C Cable 6A Fast Charging",
               "Braided Nylon|Data Sync|1M 2M 3M|100W|For Samsung Xiaomi Huawei", "0.99", "6.90"),
            _k("Power Bank", "20000mAh Power Bank",
               "Portable External Battery|22.5W Fast Charging|LED Display|Built In Cables",
               "11.90", "45.00"),
        )),
    )),
    CategorySpec(7, "Computer & Office", (
        SubcategorySpec(200002320, "Computer Peripherals", (
            _k("Mechanical Keyboard", "Mechanical Gaming Keyboard",
               "Hot Swappable|RGB Backlit|75% Layout|Wireless 2.4G Bluetooth|Gasket Mount|"
               "PBT Keycaps", "24.90", "99.00"),
            _k("Wireless Mouse", "Wireless Mouse Rechargeable",
               "Silent Click|2.4G Bluetooth Dual Mode|Ergonomic|1600 DPI|For Laptop PC",
               "3.50", "19.90"),
        )),
        SubcategorySpec(200004720, "Computer Components & Storage", (
            _k("USB Hub", "USB C Hub Docking Station",
               "4K HDMI|100W PD|Gigabit Ethernet|SD TF Card Reader|For MacBook", "9.90", "49.00"),
            _k("Portable SSD", "Portable External SSD",
               "1TB 2TB|USB 3.2 Type C|1050MB/s|Shockproof", "29.00", "139.00"),
        )),
    )),
    CategorySpec(15, "Home & Garden", (
        SubcategorySpec(200003862, "Kitchen, Dining & Bar", (
            _k("Coffee Mug", "Stainless Steel Insulated Coffee Mug",
               "500ml|Leakproof Lid|Double Wall Vacuum|Travel Tumbler|Keeps Hot 12H",
               "4.90", "19.90"),
            _k("Knife Set", "Japanese Kitchen Knife Set",
               "Damascus Pattern|Chef Knife|Ultra Sharp|Ergonomic Handle|Gift Box",
               "15.90", "89.00"),
        )),
        SubcategorySpec(200003845, "Home Storage & Organization", (
            _k("Storage Box", "Foldable Storage Box Organizer",
               "Large Capacity|Clothes Closet|Dustproof Lid|Stackable", "3.90", "22.00"),
        )),
        SubcategorySpec(200003826, "Home Textile", (
            _k("Cushion Cover", "Nordic Cushion Cover 45x45cm",
               "Velvet|Decorative Throw Pillow Case|Sofa Living Room|Boho", "1.90", "9.90"),
        )),
    )),
    CategorySpec(200000345, "Women's Clothing", (
        SubcategorySpec(200003482, "Dresses", (
            _k("Summer Dress", "Women Summer Floral Dress",
               "Casual V Neck|Short Sleeve|Boho Beach|Midi A-Line|Elegant Party", "8.90", "34.90"),
        )),
        SubcategorySpec(200000783, "Sweaters", (
            _k("Knit Cardigan", "Women Knitted Cardigan Sweater",
               "Oversized|Long Sleeve|Autumn Winter|Korean Fashion|Button Up", "11.90", "39.00"),
        )),
    )),
    CategorySpec(200000343, "Men's Clothing", (
        SubcategorySpec(200000707, "Tops & Tees", (
            _k("Cotton T-Shirt", "Men 100% Cotton T-Shirt",
               "Oversized|Short Sleeve|Summer Casual|Streetwear|Solid Color", "4.90", "18.90"),
        )),
        SubcategorySpec(200000662, "Jackets & Coats", (
            _k("Windbreaker Jacket", "Men Waterproof Windbreaker Jacket",
               "Hooded|Outdoor Hiking|Lightweight|Spring Autumn|Plus Size", "16.90", "59.00"),
        )),
    )),
    CategorySpec(66, "Beauty & Health", (
        SubcategorySpec(660103, "Makeup", (
            _k("Lipstick Set", "Matte Velvet Lipstick Set",
               "Long Lasting|Waterproof|Non-stick Cup|12 Colors", "2.90", "14.90"),
        )),
        SubcategorySpec(200074001, "Skin Care", (
            _k("Face Serum", "Hyaluronic Acid Face Serum",
               "Moisturizing|Anti Aging|Shrink Pores|Brightening|30ml", "2.50", "12.90"),
        )),
        SubcategorySpec(200001168, "Hair Care & Styling", (
            _k("Hair Dryer", "High Speed Hair Dryer",
               "110000 RPM|Negative Ion|Low Noise|Brushless Motor|Travel Size", "19.90", "69.00"),
        )),
    )),
    CategorySpec(18, "Sports & Entertainment", (
        SubcategorySpec(200005059, "Fitness & Body Building", (
            _k("Resistance Bands", "Resistance Bands Set",
               "Latex Loop|5 Levels|Home Gym|Yoga Pilates|With Carry Bag", "2.90", "15.90"),
            _k("Yoga Mat", "Non-slip TPE Yoga Mat",
               "6mm Thick|Body Line|Fitness Exercise|Eco Friendly", "9.90", "29.90"),
        )),
        SubcategorySpec(100005433, "Cycling", (
            _k("Bike Light", "Bicycle Front Light USB Rechargeable",
               "Waterproof|1000 Lumen|MTB Road Bike|Headlight Taillight Set", "4.90", "24.90"),
        )),
    )),
    CategorySpec(26, "Toys & Hobbies", (
        SubcategorySpec(200001383, "Building & Construction Toys", (
            _k("Building Blocks", "Creative Building Blocks Set",
               "City Street View|Compatible Bricks|DIY Model|Kids Gift|1000+ PCS", "7.90", "49.00"),
        )),
        SubcategorySpec(200386143, "Remote Control Toys", (
            _k("RC Drone", "Mini RC Drone With 4K Camera",
               "WiFi FPV|Foldable Quadcopter|Altitude Hold|Obstacle Avoidance", "19.90", "79.00"),
            _k("RC Car", "RC Car 1:16 High Speed",
               "4WD Off Road|2.4G Remote Control|Drift Truck|LED Lights", "15.90", "59.00"),
        )),
    )),
    CategorySpec(34, "Automobiles, Parts & Accessories", (
        SubcategorySpec(200004620, "Car Electronics", (
            _k("Dash Cam", "Dash Cam Front And Rear",
               "1080P Full HD|Night Vision|WiFi App|24H Parking Monitor|G-Sensor",
               "17.90", "69.00"),
            _k("Car Phone Holder", "Magnetic Car Phone Holder",
               "Air Vent Mount|360 Rotation|Strong Magnet|For All Phones", "1.90", "11.90"),
        )),
    )),
    CategorySpec(1420, "Tools", (
        SubcategorySpec(142003, "Power Tools", (
            _k("Cordless Drill", "21V Cordless Electric Drill",
               "Brushless|2 Batteries|Impact Screwdriver|25+1 Torque", "24.90", "89.00"),
        )),
        SubcategorySpec(100006471, "Hand Tools", (
            _k("Screwdriver Set", "Precision Screwdriver Set 115 In 1",
               "Magnetic Bits|Phone Repair|Laptop PC|Aluminum Handle", "5.90", "24.90"),
        )),
    )),
    CategorySpec(39, "Lights & Lighting", (
        SubcategorySpec(390501, "LED Lighting", (
            _k("LED Strip", "LED Strip Lights RGB 5050",
               "Bluetooth App Control|Music Sync|5M 10M 20M|For Room Decoration", "3.90", "19.90"),
            _k("Night Light", "LED Night Light Motion Sensor",
               "Wireless|USB Rechargeable|Wardrobe Cabinet|Stairs", "2.50", "12.90"),
        )),
        SubcategorySpec(530, "Indoor Lighting", (
            _k("Desk Lamp", "LED Desk Lamp Eye Protection",
               "Dimmable|Touch Control|Foldable|Wireless Charger", "9.90", "34.90"),
        )),
    )),
    CategorySpec(1511, "Watches", (
        SubcategorySpec(200214006, "Men's Watches", (
            _k("Quartz Watch", "Men Quartz Wrist Watch",
               "Luxury Brand|Stainless Steel|Waterproof|Luminous|Chronograph", "7.90", "45.00"),
            _k("Automatic Watch", "Automatic Mechanical Watch",
               "Sapphire Glass|NH35 Movement|100M Diver|Ceramic Bezel", "59.00", "189.00"),
        )),
    )),
    CategorySpec(1524, "Luggage & Bags", (
        SubcategorySpec(152405, "Backpacks", (
            _k("Laptop Backpack", "Men Laptop Backpack 15.6 Inch",
               "Waterproof|USB Charging Port|Anti Theft|Business Travel|Large Capacity",
               "12.90", "49.00"),
        )),
        SubcategorySpec(152409, "Travel Bags", (
            _k("Packing Cubes", "Travel Packing Cubes Set",
               "7 Pieces|Luggage Organizer|Compression|Lightweight", "6.90", "24.90"),
        )),
    )),
)  # fmt: skip
