"""The part of the HfError family that ``import hf_pure`` loads: :class:`HfErrorBase` and
:class:`InvalidInput`, the error of a request's own checks (made before anything is sent).

Every other error value (:mod:`hf_pure.core.errors`, where the whole family is, these two
included) loads with the first error: the runner, the stream and the decoders import it on
their failure paths, so a program whose calls succeed never builds those classes.
"""

from __future__ import annotations

import attrs

from hf_pure.core.value import ValueEq


@attrs.frozen(repr=False, eq=False, slots=False)
class HfErrorBase(ValueEq):
    """Common base of every hf_pure error value (use ``HfError`` for exhaustive matching)."""

    @property
    def message(self) -> str:
        raise NotImplementedError  # pragma: no cover - every subclass overrides it

    def __str__(self) -> str:
        rid = getattr(self, "request_id", None)
        return f"{self.message} (request id {rid})" if rid else self.message


@attrs.frozen(repr=False, eq=False, slots=False)
class InvalidInput(HfErrorBase):
    """The caller's input was refused before anything was sent."""

    field: str
    reason: str
    request_id: str | None = None

    @property
    def message(self) -> str:
        return f"invalid {self.field}: {self.reason}"
