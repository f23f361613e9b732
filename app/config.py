"""Settings read once from the environment (or `serve` flags); a bad value stops start-up."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from app.processor.addresses import AddressPolicy, parse_allow_private
from app.processor.profiles import DEFAULT_VERSIONS, Profile, parse_profiles


class ConfigError(Exception):
    """A setting has a value we cannot use; the message names the variable."""


def _positive_int(name: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if value < 1:
        raise ConfigError(f"{name} must be at least 1, got {value}")
    return value


def _non_negative_int(name: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if value < 0:
        raise ConfigError(f"{name} must not be negative, got {value}")
    return value


def _duration_seconds(name: str, raw: str) -> float:
    """Seconds as a number, or with a unit: `30s`, `15m`, `24h`, `7d`."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    text = raw.strip().lower()
    factor = 1
    if text and text[-1] in units:
        factor = units[text[-1]]
        text = text[:-1]
    try:
        value = float(text) * factor
    except ValueError:
        raise ConfigError(f"{name} must be a duration like 30s, 15m, 24h or 7d, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive, got {raw!r}")
    return value


def _string(name: str, raw: str) -> str:
    return raw


def _checked(parse: Callable[[str], object]) -> Callable[[str, str], str]:
    """Keep the text, but only once `parse` accepts it (its ValueError names the variable)."""

    def check(name: str, raw: str) -> str:
        try:
            parse(raw)
        except ValueError as error:
            raise ConfigError(str(error)) from None
        return raw

    return check


def _path(name: str, raw: str) -> Path:
    if not raw:
        raise ConfigError(f"{name} must not be empty")
    return Path(raw)


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path = Path("data")
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = os.cpu_count() or 1
    secret: str = ""
    bootstrap_token: str = ""
    public_url: str = ""
    max_body_bytes: int = 32 * 1024 * 1024
    max_source_bytes: int = 50 * 1024 * 1024
    max_queued: int = 10_000
    accept_grace_ms: int = 150
    operation_ttl: float = 7 * 86400
    idempotency_ttl: float = 24 * 3600
    archive_ttl: float = 7 * 86400
    operation_timeout: float = 600.0
    shutdown_grace: float = 10.0
    max_pixels: int = 100_000_000
    process_timeout: float = 60.0
    fetch_timeout: float = 30.0
    versions: str = DEFAULT_VERSIONS
    sync_timeout: float = 60.0
    max_batch_items: int = 10_000
    allow_private_sources: str = ""

    @property
    def database_path(self) -> Path:
        return self.data_dir / "darkroom.sqlite3"

    @property
    def media_root(self) -> Path:
        return self.data_dir / "media"

    @property
    def incoming_dir(self) -> Path:
        """Uploaded files waiting for their operation (kept until it finishes)."""
        return self.data_dir / "incoming"

    @property
    def archives_dir(self) -> Path:
        """Finished archives, `<uuid>.zip`, and those being written (under `.tmp/`)."""
        return self.data_dir / "archives"

    @property
    def profiles(self) -> tuple[Profile, ...]:
        return parse_profiles(self.versions)

    @property
    def address_policy(self) -> AddressPolicy:
        return parse_allow_private(self.allow_private_sources)


# Environment variable → (field, parser). Each is also a `serve` flag where it makes sense.
_ENVIRONMENT: dict[str, tuple[str, Callable[[str, str], Any]]] = {
    "DARKROOM_DATA_DIR": ("data_dir", _path),
    "DARKROOM_HOST": ("host", _string),
    "DARKROOM_PORT": ("port", _positive_int),
    "DARKROOM_WORKERS": ("workers", _positive_int),
    "DARKROOM_SECRET": ("secret", _string),
    "DARKROOM_BOOTSTRAP_TOKEN": ("bootstrap_token", _string),
    "DARKROOM_PUBLIC_URL": ("public_url", _string),
    "DARKROOM_MAX_BODY_BYTES": ("max_body_bytes", _positive_int),
    "DARKROOM_MAX_SOURCE_BYTES": ("max_source_bytes", _positive_int),
    "DARKROOM_MAX_QUEUED": ("max_queued", _positive_int),
    "DARKROOM_ACCEPT_GRACE_MS": ("accept_grace_ms", _non_negative_int),
    "DARKROOM_OPERATION_TTL": ("operation_ttl", _duration_seconds),
    "DARKROOM_IDEMPOTENCY_TTL": ("idempotency_ttl", _duration_seconds),
    "DARKROOM_ARCHIVE_TTL": ("archive_ttl", _duration_seconds),
    "DARKROOM_OPERATION_TIMEOUT": ("operation_timeout", _duration_seconds),
    "DARKROOM_SHUTDOWN_GRACE": ("shutdown_grace", _duration_seconds),
    "DARKROOM_MAX_PIXELS": ("max_pixels", _positive_int),
    "DARKROOM_PROCESS_TIMEOUT": ("process_timeout", _duration_seconds),
    "DARKROOM_FETCH_TIMEOUT": ("fetch_timeout", _duration_seconds),
    "DARKROOM_VERSIONS": ("versions", _checked(parse_profiles)),
    "DARKROOM_SYNC_TIMEOUT": ("sync_timeout", _duration_seconds),
    "DARKROOM_MAX_BATCH_ITEMS": ("max_batch_items", _positive_int),
    "DARKROOM_ALLOW_PRIVATE_SOURCES": ("allow_private_sources", _checked(parse_allow_private)),
}


def load_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Settings from `environ` (default: the process environment), then explicit overrides."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for variable, (field, parse) in _ENVIRONMENT.items():
        raw = environ.get(variable)
        if raw is not None:
            values[field] = parse(variable, raw)
    settings = Settings(**values)
    known = {f.name for f in fields(Settings)}
    unknown = set(overrides) - known
    if unknown:
        raise ConfigError(f"unknown settings: {', '.join(sorted(unknown))}")
    given = {name: value for name, value in overrides.items() if value is not None}
    return replace(settings, **given)


def parse_duration(name: str, raw: str) -> float:
    """Parse a `Ns`/`Nm`/`Nh`/`Nd` duration, raising ConfigError naming `name`."""
    return _duration_seconds(name, raw)
