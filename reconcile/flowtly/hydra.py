"""Reading JSON-LD Hydra documents in both dialects: `hydra:member` (API Platform 2/3) and `member` (4).

Pagination is followed through `view.next` as an opaque IRI; `totalItems` and `last` may be absent
(partial pagination), and the page size is whatever the server granted. Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _get(doc: Mapping[str, Any], key: str) -> Any:
    """A Hydra term in either dialect; the unprefixed one wins if a server sends both."""
    if key in doc:
        return doc[key]
    return doc.get(f"hydra:{key}")


def members(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The items of one collection page; ValueError when the document is not a collection of objects."""
    items = _get(doc, "member")
    if items is None:
        raise ValueError("no 'member' or 'hydra:member'")
    if not isinstance(items, list):
        raise ValueError("'member' is not a list")
    if not all(isinstance(item, dict) for item in items):
        # Members as bare IRIs would need one GET each; a server configured so is not one we read.
        raise ValueError("'member' holds something other than objects")
    return items


def next_page(doc: Mapping[str, Any]) -> str | None:
    """The IRI of the next page, used as given (never built from a page number), or None on the last."""
    view = _get(doc, "view")
    if not isinstance(view, Mapping):
        return None
    nxt = _get(view, "next")
    return nxt if isinstance(nxt, str) and nxt else None


def total_items(doc: Mapping[str, Any]) -> int | None:
    """`totalItems`, or None under partial pagination."""
    total = _get(doc, "totalItems")
    return total if isinstance(total, int) and not isinstance(total, bool) else None


def error_text(doc: Mapping[str, Any]) -> str | None:
    """The human part of an RFC 7807 problem or a Hydra error: detail first, then description, then title."""
    for key in ("detail", "hydra:description", "description", "title", "hydra:title"):
        value = doc.get(key)
        if isinstance(value, str) and value.strip() and value.strip() != GENERIC_TITLE:
            return value.strip()
    return None


# API Platform 3 titles every error "An error occurred": it tells the user nothing, so it is never shown.
GENERIC_TITLE = "An error occurred"
