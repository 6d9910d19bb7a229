"""Vision tasks of hf-inference, emulated from WIRE.md: labels, scores, boxes, captions and
masks derived from the image bytes.

Shapes by model, so that every shape a client must read is served:

- object detection answers integer boxes (as hf-inference does); ``hustvl/yolos-tiny`` answers
  float boxes (the other shape a client must read);
- image-to-text answers ``[{"generated_text"}]``; ``nlpconnect/vit-gpt2-image-captioning``
  answers the bare object ``{"generated_text"}``;
- segmentation masks are base64 PNGs of the image's size (read from its header; 32x32 when it
  can't be read; at most 256x256), scores null for semantic segmentation.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from types import MappingProxyType

from ._answers import Answer, Invalid, JsonAnswer, error, opt_number
from ._media_bytes import image_dimensions, png
from ._media_input import (
    digest,
    function_to_apply,
    json_reply,
    read_input,
    scored,
    top_k,
    unit,
)
from ._text import VOCAB

__all__ = ["FLOAT_BOXES", "OBJECT_CAPTIONS", "VISION_TASKS"]

IMAGENET = (
    "tabby, tabby cat",
    "tiger cat",
    "Egyptian cat",
    "golden retriever",
    "beacon, lighthouse, beacon light, pharos",
    "sports car, sport car",
    "daisy",
    "volcano",
    "coffee mug",
    "teddy, teddy bear",
)
COCO = ("cat", "dog", "person", "car", "bicycle", "bird", "couch", "remote")
ADE20K = ("wall", "sky", "floor", "tree", "ceiling", "road", "grass", "building")
_COLOURS = ("red", "blue", "green", "white", "black", "golden", "striped", "small")
_PLACES = ("on a table", "by the sea", "in a field", "on a street", "in a room", "at night")

#: Models answering object detection with float boxes.
FLOAT_BOXES = frozenset({"hustvl/yolos-tiny"})
#: Models answering image-to-text with the bare object rather than a one-item list.
OBJECT_CAPTIONS = frozenset({"nlpconnect/vit-gpt2-image-captioning"})

_FRAME = (640, 480)  # the size assumed when the header doesn't say
_MAX_MASK = 256


def classify(repo: str, body: bytes) -> Answer:
    got = read_input(body, "image")
    if isinstance(got, JsonAnswer):
        return got
    count = top_k(got.parameters, 5)
    function_to_apply(got.parameters)
    return json_reply(scored(got.data, IMAGENET)[:count])


def detect(repo: str, body: bytes) -> Answer:
    got = read_input(body, "image")
    if isinstance(got, JsonAnswer):
        return got
    threshold = opt_number(got.parameters, "threshold", 0.0, 1.0)
    threshold = 0.5 if threshold is None else threshold
    width, height = image_dimensions(got.data) or _FRAME
    floats = repo in FLOAT_BOXES
    out = []
    for i in range(4):  # four candidates; the threshold keeps those scoring enough
        score = round(0.3 + 0.7 * unit(got.data, "score", str(i)), 4)
        if score < threshold:
            continue
        xs = sorted((unit(got.data, "x", str(i)), unit(got.data, "X", str(i))))
        ys = sorted((unit(got.data, "y", str(i)), unit(got.data, "Y", str(i))))
        box: dict[str, object]
        if floats:
            box = {
                "xmin": round(xs[0] * width, 2),
                "ymin": round(ys[0] * height, 2),
                "xmax": round(xs[1] * width, 2),
                "ymax": round(ys[1] * height, 2),
            }
        else:
            box = {
                "xmin": int(xs[0] * (width - 1)),
                "ymin": int(ys[0] * (height - 1)),
                "xmax": int(xs[1] * (width - 1)),
                "ymax": int(ys[1] * (height - 1)),
            }
        label = COCO[digest(got.data, "label", str(i))[0] % len(COCO)]
        out.append({"score": score, "label": label, "box": box})
    out.sort(key=lambda d: -float(d["score"]))  # type: ignore[arg-type]
    return json_reply(out)


def caption_text(data: bytes) -> str:
    """The caption the emulator gives an image (from its bytes, and its size when known)."""
    h = digest(data, "caption")
    size = image_dimensions(data)
    thing = VOCAB[h[0]]
    colour = _COLOURS[h[1] % len(_COLOURS)]
    place = _PLACES[h[2] % len(_PLACES)]
    frame = f"a {size[0]}x{size[1]} picture of " if size else "a picture of "
    return f"{frame}a {colour} {thing} {place}"


def caption(repo: str, body: bytes) -> Answer:
    got = read_input(body, "image")
    if isinstance(got, JsonAnswer):
        return got
    limit = got.parameters.get("max_new_tokens")
    text = caption_text(got.data)
    if limit is not None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise Invalid("`max_new_tokens` must be a positive integer")
        text = " ".join(text.split()[:limit])
    item = {"generated_text": text}
    return json_reply(item if repo in OBJECT_CAPTIONS else [item])


def zero_shot(repo: str, body: bytes) -> Answer:
    got = read_input(body, "image")
    if isinstance(got, JsonAnswer):
        return got
    labels = got.parameters.get("candidate_labels")
    if (
        not isinstance(labels, list)
        or not labels
        or not all(isinstance(x, str) and x for x in labels)
    ):
        return error(400, "`candidate_labels` must be a non-empty list of labels")
    template = got.parameters.get("hypothesis_template")
    if template is not None and not isinstance(template, str):
        raise Invalid("`hypothesis_template` must be a string")
    return json_reply(scored(got.data, labels))


def segment(repo: str, body: bytes) -> Answer:
    got = read_input(body, "image")
    if isinstance(got, JsonAnswer):
        return got
    for name in ("threshold", "mask_threshold", "overlap_mask_area_threshold"):
        opt_number(got.parameters, name, 0.0, 1.0)
    subtask = got.parameters.get("subtask")
    if subtask is not None and subtask not in ("instance", "panoptic", "semantic"):
        raise Invalid("`subtask` must be one of instance, panoptic, semantic")
    width, height = image_dimensions(got.data) or (32, 32)
    width, height = max(1, min(width, _MAX_MASK)), max(1, min(height, _MAX_MASK))
    h = digest(got.data, "segments")
    count = 2 + h[0] % 3
    labels = [ADE20K[(h[1] + 3 * i) % len(ADE20K)] for i in range(count)]
    owner = [(x + y + h[2]) % count for y in range(height) for x in range(width)]
    out = []
    for i, label in enumerate(labels):
        pixels = [255 if o == i else 0 for o in owner]
        if not any(pixels):
            continue
        score = None if subtask in (None, "semantic") else round(unit(got.data, label), 4)
        mask = base64.b64encode(png(width, height, pixels)).decode("ascii")
        out.append({"score": score, "label": label, "mask": mask})
    return json_reply(out)


VISION_TASKS: Mapping[str, Callable[[str, bytes], Answer]] = MappingProxyType(
    {
        "image-classification": classify,
        "object-detection": detect,
        "image-to-text": caption,
        "zero-shot-image-classification": zero_shot,
        "image-segmentation": segment,
    }
)
