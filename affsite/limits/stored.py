"""Reading limiter state back from the control store, and how long it is kept there.

Values in the store may be missing, from an older version or damaged: readers take what they
can use and fall back to a default instead of failing a gateway call.
"""

from __future__ import annotations

import math
from typing import Any

# Real-time expiry (garbage collection only) of control keys that carry their own deadline.
SAFETY_MARGIN = 300.0


def json_dict(value: Any) -> dict[str, Any] | None:
    """``value`` if it is a JSON object, else None."""
    return value if isinstance(value, dict) else None


def number(value: Any, default: float = 0.0) -> float:
    """``value`` as a finite float, else ``default`` (booleans are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    return float(value) if math.isfinite(value) else default
