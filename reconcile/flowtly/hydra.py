"""Reading JSON-LD Hydra collections in both styles: `hydra:member` (API Platform 2/3) and `member` (4).

Pagination is followed through `view.next` as an opaque IRI; `totalItems` and `last` may be absent
(partial pagination), and the page size is whatever the server granted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _get(doc: Mapping[str, Any], key: str) -> Any:
    if key in doc:
        return doc[key]
    return doc.get(f"hydra:{key}")


def members(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    items = _get(doc, "member")
    if items is None:
        raise ValueError("not a Hydra collection: no 'member' or 'hydra:member'")
    if not isinstance(items, list):
        raise ValueError("'member' is not a list")
    return [item for item in items if isinstance(item, dict)]


def next_page(doc: Mapping[str, Any]) -> str | None:
    view = _get(doc, "view")
    if not isinstance(view, Mapping):
        return None
    nxt = _get(view, "next")
    return nxt if isinstance(nxt, str) and nxt else None


def total_items(doc: Mapping[str, Any]) -> int | None:
    total = _get(doc, "totalItems")
    return total if isinstance(total, int) else None


def error_text(doc: Mapping[str, Any]) -> str | None:
    """The human part of a problem+json or Hydra error document."""
    for key in ("detail", "hydra:description", "description", "title", "hydra:title"):
        value = doc.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None
