"""Text that grows as a stream is folded, kept as an immutable rope: shared by the stream folds.

A :data:`Rope` is a tuple of strings whose join is the text. Growing one copies no more than
a balanced rope would: every part is kept at least twice as long as the part after it (the
tail is merged when it is not), so a text of n characters is O(log n) parts and each character
is copied O(log n) times however many pieces it arrived in. Adding a piece to a whole tuple or
to a whole string instead copies the text so far on every read: quadratic in the length of a
long stream.
"""

from __future__ import annotations

from typing import TypeAlias

Rope: TypeAlias = tuple[str, ...]


def grow(rope: Rope, piece: str) -> Rope:
    """``rope`` with ``piece`` added at its end (``rope`` itself when ``piece`` is empty)."""
    if not piece:
        return rope
    size = 2 * len(piece)
    while rope and len(rope[-1]) < size:
        piece = rope[-1] + piece
        rope = rope[:-1]
        size = 2 * len(piece)
    return (*rope, piece)


def joined(rope: Rope) -> str:
    """The text of ``rope``."""
    return rope[0] if len(rope) == 1 else "".join(rope)
