"""A seeded random source as a value: ``draw, rng = rng.next()``.

Reliability decisions that involve chance (retry jitter, random and weighted failover) take
their randomness from an ``Rng`` carried in state, never from the ``random`` module, so a run
replays exactly from its seed. SplitMix64: small, fast, and good enough for jitter and load
spreading (not for anything secret).
"""

from __future__ import annotations

import attrs

from hf_pure.core.value import Value

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


def _wrap(seed: int) -> int:
    return int(seed) & _MASK


@attrs.frozen(repr=False)
class Rng(Value):
    """The state of a SplitMix64 generator. ``Rng(seed)`` for any integer seed."""

    state: int = attrs.field(default=0, converter=_wrap)

    def next(self) -> tuple[float, Rng]:
        """A float in [0, 1) and the generator's next state."""
        state = (self.state + _GOLDEN) & _MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        z ^= z >> 31
        return (z >> 11) / float(1 << 53), _fresh(state)

    def below(self, n: int) -> tuple[int, Rng]:
        """An int in [0, n) (n >= 1) and the next state."""
        if n < 1:
            raise ValueError(f"below() needs n >= 1, got {n}")
        draw, rng = self.next()
        return min(int(draw * n), n - 1), rng


_setattr = object.__setattr__


def _fresh(state: int) -> Rng:
    """An Rng for a state already in range, skipping the converter (this runs per draw)."""
    rng = object.__new__(Rng)
    _setattr(rng, "state", state)
    return rng
