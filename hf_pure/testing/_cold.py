"""Cold starts, per emulator: a model whose card has ``cold_calls`` answers its task routes with
503 ``{"error": "Model ... is currently loading", "estimated_time": N}`` that many times, then
serves them (and the Hub then says ``"inference": "warm"`` for it).

Every task route asks :meth:`ColdStarts.loading` first (``Routes`` does it for the whole
``/hf-inference/models/...`` family, so task routes added later get it for free); a route
written elsewhere can call it the same way. The estimate shrinks as the model warms, the way
the real service's does.
"""

from __future__ import annotations

from collections.abc import Iterable

from ._answers import JsonAnswer, error
from ._catalog import ModelCard

__all__ = ["ColdStarts"]


class ColdStarts:
    """Which cold models are still loading, for one emulator (its state, not the catalog's)."""

    __slots__ = ("_cards", "_left")

    def __init__(self, cards: Iterable[ModelCard]) -> None:
        self._cards = {card.id: card for card in cards if card.cold_calls > 0}
        self._left = {repo: card.cold_calls for repo, card in self._cards.items()}

    def loading(self, repo: str) -> JsonAnswer | None:
        """The 503 for a call to ``repo`` while it is still cold (counting the call), or None
        when it is warm (or was never cold)."""
        left = self._left.get(repo, 0)
        if left <= 0:
            return None
        card = self._cards[repo]
        self._left[repo] = left - 1
        estimate = round(card.load_seconds * left / card.cold_calls, 3)
        return error(503, f"Model {repo} is currently loading", estimated_time=estimate)

    def warm(self, repo: str) -> bool:
        """False while ``repo`` is cold."""
        return self._left.get(repo, 0) <= 0

    def reset(self) -> None:
        """Every cold model cold again."""
        self._left = {repo: card.cold_calls for repo, card in self._cards.items()}
