"""Stripe's metadata semantics, shared by every object that carries metadata."""

from __future__ import annotations


def merge_metadata(current: dict[str, str], update: dict[str, str] | None) -> dict[str, str]:
    """Stripe's update semantics: keys are merged, an empty value deletes a key, `metadata=` clears all."""
    if update is None:
        return current
    if update == {}:
        return {}
    merged = dict(current)
    for k, v in update.items():
        if v == "":
            merged.pop(k, None)
        else:
            merged[k] = v
    return merged
