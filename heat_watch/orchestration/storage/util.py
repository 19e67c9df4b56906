"""Small helpers shared by the orchestration stores."""

import json
import time
from typing import Any


def now_ms() -> int:
    """Wall-clock time in epoch milliseconds."""
    return time.time_ns() // 1_000_000


def dumps(value: Any) -> str:
    """Compact JSON of a stored document."""
    return json.dumps(value, separators=(',', ':'), sort_keys=True)


def loads(text: str | None, default: Any = None) -> Any:
    """A stored JSON document (``default`` when the column is NULL)."""
    return default if text is None else json.loads(text)
