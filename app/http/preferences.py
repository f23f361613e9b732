"""The `Prefer` request header (RFC 7240): only `wait=N` means something here."""

from __future__ import annotations

MAX_WAIT = 60.0


def preferred_wait(header: str | None) -> float | None:
    """Seconds asked for by `Prefer: wait=N` (capped at 60), or None."""
    if not header:
        return None
    for preference in header.replace(";", ",").split(","):
        name, _, value = preference.strip().partition("=")
        if name.strip().lower() != "wait":
            continue
        try:
            seconds = float(value.strip().strip('"'))
        except ValueError:
            return None
        if seconds != seconds or seconds < 0:  # NaN or negative: ignore the preference
            return None
        return min(seconds, MAX_WAIT)
    return None
