"""The vision and audio tasks of hf-inference, emulated: which answer each task gets
(:func:`media_answer`, called by the routes for ``kind == "task"``). The answers are in
:mod:`._vision` and :mod:`._audio`; how requests arrive is :mod:`._media_input`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from ._answers import Answer, Invalid, validation_error
from ._audio import AUDIO_TASKS
from ._vision import VISION_TASKS

__all__ = ["MEDIA_TASKS", "media_answer"]

#: Task name -> its answer, a function of the model id and the request body.
MEDIA_TASKS: Mapping[str, Callable[[str, bytes], Answer]] = MappingProxyType(
    {**VISION_TASKS, **AUDIO_TASKS}
)


def media_answer(task: str | None, repo: str, body: bytes) -> Answer | None:
    """The answer for a vision or audio ``task`` on model ``repo``; None for other tasks."""
    answer = MEDIA_TASKS.get(task or "")
    if answer is None:
        return None
    try:
        return answer(repo, body)
    except Invalid as exc:
        return validation_error(exc.message)
