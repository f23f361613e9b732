"""Times as the API shows them: RFC 3339 UTC with milliseconds, which also sort as text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def now() -> datetime:
    return datetime.now(UTC)


def format_time(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def now_text() -> str:
    return format_time(now())


def text_ago(seconds: float) -> str:
    return format_time(now() - timedelta(seconds=seconds))


def parse_time(text: str) -> datetime:
    """Parse a stored time (or any ISO 8601 timestamp; naive ones are taken as UTC)."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
