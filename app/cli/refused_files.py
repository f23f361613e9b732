"""What a server refused because of a file's own bytes, remembered on this machine by content
hash, so that importing a folder again sends none of its bytes: an unreadable file will be
refused again. One JSON file per server URL and account, in the user's cache directory."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import msgspec

# Item errors that the bytes alone decide; a timeout or an internal error may go another way.
REFUSING_CODES = frozenset({"unsupported_format", "decode_failed", "image_too_large", "payload_too_large"})


class Refusal(msgspec.Struct):
    code: str
    message: str


_decoder = msgspec.json.Decoder(dict[str, Refusal])


class RefusedFiles:
    """`get`/`note`/`forget` by SHA-256 while importing; `save` at the end."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._known = _read(path)
        self._noted: dict[str, Refusal] = {}
        self._forgotten: set[str] = set()

    @classmethod
    def of(cls, url: str, account_uuid: str) -> RefusedFiles:
        cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        key = hashlib.sha256(f"{url.rstrip('/')} {account_uuid}".encode()).hexdigest()[:16]
        return cls(cache / "darkroom" / f"refused-{key}.json")

    def get(self, sha256: str) -> Refusal | None:
        return self._known.get(sha256)

    def note(self, sha256: str, code: str, message: str) -> None:
        if code in REFUSING_CODES:
            self._noted[sha256] = self._known[sha256] = Refusal(code, message)

    def forget(self, sha256: str) -> None:
        """The server took these bytes this time (its limits or codecs changed)."""
        if self._known.pop(sha256, None) is not None:
            self._forgotten.add(sha256)

    def save(self) -> None:
        """Merged with the file as it is now (another import may have written it meanwhile),
        and replaced in one rename. A cache that cannot be written only costs a resend."""
        if not self._noted and not self._forgotten:
            return
        current = _read(self.path)
        current.update(self._noted)
        for sha256 in self._forgotten:
            current.pop(sha256, None)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("wb", dir=self.path.parent, delete=False) as file:
                file.write(msgspec.json.encode(current))
            os.replace(file.name, self.path)
        except OSError:
            return


def _read(path: Path) -> dict[str, Refusal]:
    try:
        return _decoder.decode(path.read_bytes())
    except (OSError, msgspec.DecodeError):
        return {}
