"""JSON for the emulator (msgspec, as the client uses; no client code is imported)."""

from __future__ import annotations

import msgspec

dumps = msgspec.json.encode
loads = msgspec.json.decode
JSONDecodeError = msgspec.DecodeError
