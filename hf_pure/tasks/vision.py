"""Vision tasks on hf-inference: image classification, object detection, image-to-text
captioning, zero-shot image classification and image segmentation.

Each builder takes a model and an image (bytes, base64 text or a ``data:`` URL; see
:func:`hf_pure.tasks.media.media_input`; a file is read by the shell's ``hf.read_media``) and
the task's parameters as keywords (None: the server's default). The image's content type is
sniffed from its bytes. Without parameters the image travels as the raw body with that type;
with parameters as JSON ``{"inputs": "<base64>", "parameters": {...}}`` (WIRE.md)::

    labels = await runner.run(hf.image_classification("google/vit-base-patch16-224", png))
    found = await runner.run(hf.object_detection("facebook/detr-resnet-50", png, threshold=0.9))

Replies are frozen msgspec Structs shaped like the wire, decoded straight from the bytes, with
the total readers as the fallback (alternate shapes: a label list nested once, a caption as an
object or a one-item list; integer or float boxes; a mask that is not base64 is
``MalformedResponse`` naming its path).
"""

from __future__ import annotations

from collections.abc import Sequence
from types import MappingProxyType
from typing import Any, Final

import msgspec
from returns.result import Result

from hf_pure.core.config import Limits
from hf_pure.core.errors import HfError, InvalidInput
from hf_pure.core.http import RawReply
from hf_pure.tasks._decode import decode_json, lazy_decoder
from hf_pure.tasks._media import (
    Number,
    blob,
    check_function,
    check_one_of,
    check_positive_int,
    check_top_k,
    check_unit,
    decode_labels,
    each_object,
    media_request,
)
from hf_pure.tasks._read import Bad, fields, kind_of, mapping, need_object, number, text
from hf_pure.tasks.inference import TaskRequest, TaskSpec
from hf_pure.tasks.media import MediaInput, image_size
from hf_pure.tasks.options import Unsendable
from hf_pure.tasks.validate import check_str

# --------------------------------------------------------------------------- reply types


class ImageLabel(msgspec.Struct, frozen=True, gc=False):
    """One class an image (or zero-shot candidate) was given, with its score."""

    label: str = ""
    score: Number = 0.0


class Box(msgspec.Struct, frozen=True, gc=False):
    """A bounding box in pixels (hf-inference sends integers; floats occur and are kept)."""

    xmin: Number = 0.0
    ymin: Number = 0.0
    xmax: Number = 0.0
    ymax: Number = 0.0

    @property
    def width(self) -> float:
        return self.xmax - self.xmin

    @property
    def height(self) -> float:
        return self.ymax - self.ymin


_NO_BOX: Final = Box()


class Detection(msgspec.Struct, frozen=True, gc=False):
    """One object found: its class, score and box."""

    label: str = ""
    score: Number = 0.0
    box: Box = _NO_BOX


class Caption(msgspec.Struct, frozen=True, gc=False):
    """What image-to-text said about the image."""

    generated_text: str = ""

    @property
    def text(self) -> str:
        return self.generated_text


class Segment(msgspec.Struct, frozen=True, gc=False):
    """One region of a segmentation: its class, its score (None for semantic segmentation,
    which gives none) and its mask, a PNG decoded from the reply's base64."""

    label: str = ""
    score: Number | None = None
    mask: bytes = b""

    @property
    def mask_size(self) -> tuple[int, int] | None:
        """``(width, height)`` of the mask image, when its header says."""
        return image_size(self.mask)


# --------------------------------------------------------------------------- decoders


_LABELS = lazy_decoder(list[ImageLabel])


def decode_image_labels(reply: RawReply) -> Result[tuple[ImageLabel, ...], HfError]:
    """``[{"label", "score"}]`` (or nested once) as labels, in the server's order."""
    return decode_labels(reply, _LABELS, ImageLabel)


_BOX_FIELDS: Final = (("xmin", number), ("ymin", number), ("xmax", number), ("ymax", number))


def _detection(item: dict[str, Any], path: str) -> Detection | Bad:
    got = fields(item, path, (("label", text), ("score", number), ("box", mapping)))
    if isinstance(got, Bad):
        return got
    label, score, raw_box = got
    box = _NO_BOX
    if raw_box is not None:
        corners = fields(raw_box, f"{path}.box", _BOX_FIELDS)
        if isinstance(corners, Bad):
            return corners
        xmin, ymin, xmax, ymax = (0.0 if c is None else c for c in corners)
        box = Box(xmin=xmin, ymin=ymin, xmax=xmax, ymax=ymax)
    return Detection(label=label or "", score=score or 0.0, box=box)


def _detections(obj: Any) -> tuple[Detection, ...] | Bad:
    return each_object(obj, "detections", _detection)


_DETECTIONS = lazy_decoder(list[Detection])


def decode_detections(reply: RawReply) -> Result[tuple[Detection, ...], HfError]:
    """``[{"label", "score", "box": {"xmin", "ymin", "xmax", "ymax"}}]``."""
    return decode_json(reply, _DETECTIONS, _detections, tuple)


def _caption_of(item: Any, path: str) -> Caption | Bad:
    found = need_object(item, path)
    if isinstance(found, Bad):
        return found
    got = fields(found, path, (("generated_text", text),))
    if isinstance(got, Bad):
        return got
    return Caption(generated_text=got[0] or "")


def _caption(obj: Any) -> Caption | Bad:
    if type(obj) is list:
        if not obj:
            return Bad("", "expected a caption, got an empty array")
        captions = [_caption_of(item, f"[{i}]") for i, item in enumerate(obj)]
        return next((c for c in captions if isinstance(c, Bad)), captions[0])
    if type(obj) is dict:
        return _caption_of(obj, "")
    return Bad("", f"expected a caption object or an array of them, got {kind_of(obj)}")


def _first_caption(got: Caption | list[Caption]) -> Caption | Bad:
    if type(got) is list:
        return got[0] if got else Bad("", "expected a caption, got an empty array")
    return got  # type: ignore[return-value]  # a Caption


_CAPTION = lazy_decoder(Caption | list[Caption])


def decode_caption(reply: RawReply) -> Result[Caption, HfError]:
    """``[{"generated_text"}]`` or ``{"generated_text"}``: the (first) caption."""
    return decode_json(reply, _CAPTION, _caption, _first_caption)


def _segment(item: dict[str, Any], path: str) -> Segment | Bad:
    got = fields(item, path, (("label", text), ("score", number), ("mask", blob)))
    if isinstance(got, Bad):
        return got
    label, score, mask = got
    return Segment(label=label or "", score=score, mask=mask or b"")


def _segments(obj: Any) -> tuple[Segment, ...] | Bad:
    return each_object(obj, "segments", _segment)


_SEGMENTS = lazy_decoder(list[Segment])


def decode_segments(reply: RawReply) -> Result[tuple[Segment, ...], HfError]:
    """``[{"score", "label", "mask": "<base64 PNG>"}]``, masks decoded to bytes."""
    return decode_json(reply, _SEGMENTS, _segments, tuple)


# --------------------------------------------------------------------------- specs


def _image_bytes(inputs: Any, limits: Limits) -> InvalidInput | None:
    if type(inputs) is not bytes:
        return InvalidInput("inputs", f"must be an image's bytes, got {type(inputs).__name__}")
    return None


def _check_labels(name: str, value: Any, limits: Limits) -> InvalidInput | None:
    if type(value) is str:
        return InvalidInput(name, "must be a list of labels (a single str is not split)")
    if type(value) is not tuple or not value:
        return InvalidInput(name, "must be a non-empty list of labels")
    for i, label in enumerate(value):
        problem = check_str(f"{name}[{i}]", label, empty=False)
        if problem is not None:
            return problem
    return None


def _check_template(name: str, value: Any, limits: Limits) -> InvalidInput | None:
    return check_str(name, value, empty=False)


_CLASSIFY_CHECKS: Final = MappingProxyType(
    {"top_k": check_top_k, "function_to_apply": check_function}
)

IMAGE_CLASSIFICATION: Final = TaskSpec(
    task="image-classification",
    decode=decode_image_labels,
    checks=_CLASSIFY_CHECKS,
    check_inputs=_image_bytes,
)
OBJECT_DETECTION: Final = TaskSpec(
    task="object-detection",
    decode=decode_detections,
    checks=MappingProxyType({"threshold": check_unit}),
    check_inputs=_image_bytes,
)
IMAGE_TO_TEXT: Final = TaskSpec(
    task="image-to-text",
    decode=decode_caption,
    checks=MappingProxyType({"max_new_tokens": check_positive_int}),
    check_inputs=_image_bytes,
)
ZERO_SHOT_IMAGE_CLASSIFICATION: Final = TaskSpec(
    task="zero-shot-image-classification",
    decode=decode_image_labels,
    checks=MappingProxyType(
        {"candidate_labels": _check_labels, "hypothesis_template": _check_template}
    ),
    check_inputs=_image_bytes,
)
IMAGE_SEGMENTATION: Final = TaskSpec(
    task="image-segmentation",
    decode=decode_segments,
    checks=MappingProxyType(
        {
            "threshold": check_unit,
            "mask_threshold": check_unit,
            "overlap_mask_area_threshold": check_unit,
            "subtask": check_one_of("instance", "panoptic", "semantic"),
        }
    ),
    check_inputs=_image_bytes,
)


# --------------------------------------------------------------------------- builders


def image_classification(
    model: str,
    image: MediaInput,
    *,
    top_k: int | None = None,
    function_to_apply: str | None = None,
    content_type: str | None = None,
) -> TaskRequest[tuple[ImageLabel, ...]]:
    """The classes of an image, best first (``top_k`` of them; ``function_to_apply``:
    ``"sigmoid"``, ``"softmax"`` or ``"none"``)."""
    options = {"top_k": top_k, "function_to_apply": function_to_apply}
    return media_request(IMAGE_CLASSIFICATION, model, image, "image", options, content_type)


def object_detection(
    model: str,
    image: MediaInput,
    *,
    threshold: float | None = None,
    content_type: str | None = None,
) -> TaskRequest[tuple[Detection, ...]]:
    """The objects in an image scoring at least ``threshold`` (in [0, 1]), with their boxes."""
    return media_request(
        OBJECT_DETECTION, model, image, "image", {"threshold": threshold}, content_type
    )


def image_to_text(
    model: str,
    image: MediaInput,
    *,
    max_new_tokens: int | None = None,
    content_type: str | None = None,
) -> TaskRequest[Caption]:
    """A caption for an image."""
    options = {"max_new_tokens": max_new_tokens}
    return media_request(IMAGE_TO_TEXT, model, image, "image", options, content_type)


def zero_shot_image_classification(
    model: str,
    image: MediaInput,
    candidate_labels: Sequence[str],
    *,
    hypothesis_template: str | None = None,
    content_type: str | None = None,
) -> TaskRequest[tuple[ImageLabel, ...]]:
    """How well each of ``candidate_labels`` describes the image, best first. Always sent as
    base64 JSON (the labels are parameters)."""
    labels: Any = candidate_labels
    if labels is None or (isinstance(labels, Sequence) and not labels):
        labels = Unsendable("must name at least one label")
    options = {"candidate_labels": labels, "hypothesis_template": hypothesis_template}
    return media_request(
        ZERO_SHOT_IMAGE_CLASSIFICATION, model, image, "image", options, content_type
    )


def image_segmentation(
    model: str,
    image: MediaInput,
    *,
    threshold: float | None = None,
    mask_threshold: float | None = None,
    overlap_mask_area_threshold: float | None = None,
    subtask: str | None = None,
    content_type: str | None = None,
) -> TaskRequest[tuple[Segment, ...]]:
    """The regions of an image, each with a PNG mask (``subtask``: ``"instance"``,
    ``"panoptic"`` or ``"semantic"``; thresholds in [0, 1])."""
    options = {
        "threshold": threshold,
        "mask_threshold": mask_threshold,
        "overlap_mask_area_threshold": overlap_mask_area_threshold,
        "subtask": subtask,
    }
    return media_request(IMAGE_SEGMENTATION, model, image, "image", options, content_type)


__all__ = [
    "IMAGE_CLASSIFICATION",
    "IMAGE_SEGMENTATION",
    "IMAGE_TO_TEXT",
    "OBJECT_DETECTION",
    "ZERO_SHOT_IMAGE_CLASSIFICATION",
    "Box",
    "Caption",
    "Detection",
    "ImageLabel",
    "Segment",
    "decode_caption",
    "decode_detections",
    "decode_image_labels",
    "decode_segments",
    "image_classification",
    "image_segmentation",
    "image_to_text",
    "object_detection",
    "zero_shot_image_classification",
]
