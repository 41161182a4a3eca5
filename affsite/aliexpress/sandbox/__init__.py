"""An offline, faithful stand-in for the AliExpress affiliate API gateway.

Use it in-process (``Sandbox().transport()`` for an httpx client; demo mode and fast tests) or
as a real server (``serve(Sandbox(), port=8765)``, or ``affsite sandbox --port 8765``), with the
documented demo credentials ``DEMO_APP_KEY`` / ``DEMO_APP_SECRET`` and ``DEMO_TRACKING_ID``.

``endpoint`` is the WSGI app (``/sync``, ``/media/``, ``/_sandbox/*``) that checks each call as
the gateway does; ``params`` reads a call's parameters and ``answers`` writes each method's
answer from the deterministic ``catalog`` (built from ``catalog_data`` and the hand-written
``special_cases``), priced by ``money``. ``media`` draws the product images, ``faults`` stages
misbehaviour, ``server`` runs it all on a local port.
"""

from __future__ import annotations

from affsite.aliexpress.sandbox.catalog import (
    DEMO_PRODUCT_IDS,
    Category,
    SandboxCatalog,
    SandboxProduct,
)
from affsite.aliexpress.sandbox.endpoint import (
    DEMO_APP_KEY,
    DEMO_APP_SECRET,
    DEMO_TRACKING_ID,
    Sandbox,
    SandboxCall,
)
from affsite.aliexpress.sandbox.faults import FAULT_KINDS
from affsite.aliexpress.sandbox.money import CURRENCIES, LANGUAGES
from affsite.aliexpress.sandbox.server import ServerHandle, serve

__all__ = [
    "CURRENCIES",
    "DEMO_APP_KEY",
    "DEMO_APP_SECRET",
    "DEMO_PRODUCT_IDS",
    "DEMO_TRACKING_ID",
    "FAULT_KINDS",
    "LANGUAGES",
    "Category",
    "Sandbox",
    "SandboxCall",
    "SandboxCatalog",
    "SandboxProduct",
    "ServerHandle",
    "serve",
]
