"""The settings a site owner edits on /admin/settings, read per request.

``Settings`` is the contract every layer reads (field names and types are stable).
``schema`` describes each setting once (type, label, help, bounds or choices, environment
variable): that drives validation (``values``), the admin form and the defaults. ``store``
keeps them in ``<instance>/settings.json`` with ``AFFSITE_*`` environment overrides;
``countries`` is the ISO list of ship-to countries. Not ``app.config``: a save reaches every
worker without a restart. Facts the gateway fixes come from ``affsite.aliexpress``.
"""

from __future__ import annotations

from affsite.settings.schema import (
    CREDENTIAL_FIELDS,
    CURRENCIES,
    DEFAULT_API_URL,
    DEFAULTS,
    ENV_VARS,
    FIELDS,
    GROUPS,
    LANGUAGES,
    MAX_FEATURED_PRODUCTS,
    SCHEMA,
    SIGN_METHODS,
    Field,
    Group,
    Settings,
)
from affsite.settings.store import (
    EXTENSION_KEY,
    SETTINGS_FILE,
    Problem,
    ProblemSource,
    SettingsProvider,
    SettingsState,
    SettingsStorageError,
    SettingsStore,
    get_settings,
    init_app,
    settings_store,
)
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
    "CREDENTIAL_FIELDS",
    "CURRENCIES",
    "DEFAULTS",
    "DEFAULT_API_URL",
    "ENV_VARS",
    "EXTENSION_KEY",
    "FIELDS",
    "GROUPS",
    "LANGUAGES",
    "MAX_FEATURED_PRODUCTS",
    "SCHEMA",
    "SETTINGS_FILE",
    "SIGN_METHODS",
    "Field",
    "Group",
    "Problem",
    "ProblemSource",
    "Settings",
    "SettingsProvider",
    "SettingsState",
    "SettingsStorageError",
    "SettingsStore",
    "cross_check",
    "form_text",
    "get_settings",
    "init_app",
    "mask_secret",
    "number_text",
    "parse_value",
    "settings_store",
    "to_json",
    "validate",
]
