"""``State``: the base of the values built on every request (machine states, decisions).

Configurations are frozen attrs classes with validators: built rarely, checked thoroughly.
The values the reliability transitions build on *every* request (the cache, bucket, breaker,
failover and metrics states, the combined ``ReliabilityState``, the ``admit`` decision) are
frozen ``msgspec.Struct`` classes instead: immutable, hashable and compared field by field
just the same, but constructed in C. Building a ten-field frozen attrs value costs about
0.8 µs here and the same Struct about 0.08 µs; one ``admit`` + ``record`` builds half a dozen
of them, which as attrs values were a third of the policy's cost.

``gc=False``: these values are never tracked by the cyclic garbage collector, which then has
fewer objects to walk. That is safe because a state only holds immutable values (maps, tuples,
numbers, strings, other states) built before it, so it can't be part of a reference cycle
(a cached *value* is the caller's; only a value that is later mutated to point back at a
state could make one, and such a cycle would be kept, not corrupted).

Every subclass is built by keyword only: declare it ``class X(State, frozen=True,
kw_only=True)`` (msgspec does not inherit ``kw_only``; ``tests/test_state_keywords.py`` checks
each one), so a field added or reordered can't silently take another field's value.

Change one with ``msgspec.structs.replace(state, field=value)``; ``to_plain``/``from_plain``
convert them like the attrs values.
"""

from __future__ import annotations

import msgspec


class State(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    """A frozen, hashable value built in C (see the module docstring)."""


__all__ = ["State"]
