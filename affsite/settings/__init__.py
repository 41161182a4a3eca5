"""The settings a site owner edits on /admin/settings, read per request.

``Settings`` is the contract every layer reads (field names and types are stable).
``schema`` describes each setting once (type, label, help, bounds or choices, environment
variable): that drives validation (``values``), the admin form and the defaults. ``store``
keeps them in ``<instance>/settings.json`` with ``AFFSITE_*`` environment overrides;
``countries`` is the ISO list of ship-to countries. Not ``app.config``: a save reaches every
worker without a restart. Facts the gateway fixes come from ``affsite.aliexpress``.
"""

from __future__ import annotations

# The package's public face: the schema's and the store's whole (their ``__all__``, so a name
# they add is here too), and the value functions callers use.
from affsite.settings import schema, store
from affsite.settings.schema import *  # noqa: F403
from affsite.settings.store import *  # noqa: F403
from affsite.settings.values import (
    cross_check,
    form_text,
    mask_secret,
    number_text,
    parse_value,
    to_json,
    validate,
)

__all__ = [
    "cross_check",
    "form_text",
    "mask_secret",
    "number_text",
    "parse_value",
    "to_json",
    "validate",
]
__all__ += schema.__all__
__all__ += store.__all__
