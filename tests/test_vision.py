"""The vision tasks: requests on the wire (raw image vs base64 JSON), parameter checks, and the
decoders against replies written from WIRE.md, every alternate shape included."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from media_samples import JPEG, png
from returns.result import Failure, Success

import hf_pure as hf
from hf_pure.tasks.vision import (
    decode_caption,
    decode_detections,
    decode_image_labels,
    decode_segments,
)

LIMITS = hf.Limits()
VIT = "google/vit-base-patch16-224"


def reply(body: bytes | str, status: int = 200) -> hf.RawReply:
    data = body.encode() if isinstance(body, str) else body
    return hf.raw_reply(status, data, {"content-type": "application/json"})


def ok(result: Any) -> Any:
    assert isinstance(result, Success), result
    return result.unwrap()


def malformed_at(result: Any, path: str) -> None:
    assert isinstance(result, Failure), result
    error = result.failure()
    assert isinstance(error, hf.MalformedResponse), error
    if path:
        assert f"{path}:" in error.reason, error.reason
    else:  # the reply as a whole has the wrong shape
        assert error.reason.startswith("expected"), error.reason


# -- requests ------------------------------------------------------------------------------


def test_an_image_without_parameters_travels_raw_with_its_sniffed_type() -> None:
    call = hf.image_classification(VIT, JPEG).to_call()
    assert call.method == "POST"
    assert call.path == f"/hf-inference/models/{VIT}"
    assert call.body == JPEG and call.content_type == "image/jpeg"


def test_with_parameters_the_image_travels_as_base64_json() -> None:
    call = hf.object_detection("facebook/detr-resnet-50", png(), threshold=0.9).to_call()
    assert call.content_type == "application/json"
    body = json.loads(call.body or b"")
    assert base64.b64decode(body["inputs"]) == png()
    assert body["parameters"] == {"threshold": 0.9}


def test_zero_shot_always_sends_json_since_its_labels_are_parameters() -> None:
    request = hf.zero_shot_image_classification(
        "openai/clip-vit-large-patch14", png(), ["cat", "dog"], hypothesis_template="a {}"
    )
    assert request.check(LIMITS) is None
    body = json.loads(request.to_call().body or b"")
    assert body["parameters"] == {"candidate_labels": ["cat", "dog"], "hypothesis_template": "a {}"}
    assert base64.b64decode(body["inputs"]) == png()


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (hf.image_classification(VIT, png(), top_k=0), "top_k"),
        (hf.image_classification(VIT, png(), top_k="3"), "top_k"),  # type: ignore[arg-type]
        (hf.image_classification(VIT, png(), function_to_apply="relu"), "function_to_apply"),
        (hf.object_detection("m/x", png(), threshold=1.5), "threshold"),
        (hf.object_detection("m/x", png(), threshold=float("nan")), "threshold"),
        (hf.image_to_text("m/x", png(), max_new_tokens=0), "max_new_tokens"),
        (hf.image_segmentation("m/x", png(), subtask="everything"), "subtask"),
        (hf.image_segmentation("m/x", png(), mask_threshold=-0.1), "mask_threshold"),
        (hf.zero_shot_image_classification("m/x", png(), []), "candidate_labels"),
        (hf.zero_shot_image_classification("m/x", png(), "cat"), "candidate_labels"),
        (hf.zero_shot_image_classification("m/x", png(), ["cat", ""]), "candidate_labels[1]"),
        (hf.zero_shot_image_classification("m/x", png(), None), "candidate_labels"),  # type: ignore[arg-type]
        (hf.image_classification("not a model", png()), "model"),
    ],
)
def test_bad_parameters_are_reported_by_check_naming_them(request_: Any, field: str) -> None:
    found = request_.check(LIMITS)
    assert isinstance(found, hf.InvalidInput) and found.field == field, found


def test_good_parameters_pass_and_any_other_parameter_goes_through_option() -> None:
    request = hf.image_segmentation(
        "m/x",
        png(),
        threshold=0.5,
        mask_threshold=0.5,
        overlap_mask_area_threshold=0.5,
        subtask="semantic",
    )
    assert request.check(LIMITS) is None
    extra = hf.option("timeout", 3)(hf.image_to_text("m/x", png(), max_new_tokens=20))
    assert extra.check(LIMITS) is None
    assert json.loads(extra.to_call().body or b"")["parameters"] == {
        "max_new_tokens": 20,
        "timeout": 3,
    }


# -- decoders ------------------------------------------------------------------------------


def test_image_labels_flat_and_nested_decode_alike() -> None:
    flat = '[{"label":"tabby, tabby cat","score":0.9},{"label":"tiger cat","score":0.05}]'
    labels = ok(decode_image_labels(reply(flat)))
    assert labels == (
        hf.ImageLabel(label="tabby, tabby cat", score=0.9),
        hf.ImageLabel(label="tiger cat", score=0.05),
    )
    assert ok(decode_image_labels(reply(f"[{flat}]"))) == labels
    assert ok(decode_image_labels(reply("[]"))) == ()


def test_image_labels_wrong_data_names_the_field() -> None:
    malformed_at(decode_image_labels(reply('[{"label":"a","score":"high"}]')), "[0].score")
    malformed_at(decode_image_labels(reply('[[{"label":7,"score":1}]]')), "[0][0].label")
    malformed_at(decode_image_labels(reply('{"label":"a"}')), "")
    malformed_at(decode_image_labels(reply('["a"]')), "[0]")
    # an integer past 2**1000 is out of range for the readers; the typed path must agree
    beyond = '[{"label":"a","score":' + str(2**1001) + "}]"
    malformed_at(decode_image_labels(reply(beyond)), "[0].score")


def test_detections_with_integer_boxes_and_with_float_boxes() -> None:
    ints = (
        '[{"score":0.998,"label":"cat","box":{"xmin":12,"ymin":54,"xmax":318,"ymax":472}},'
        '{"score":0.95,"label":"remote","box":{"xmin":40,"ymin":70,"xmax":175,"ymax":117}}]'
    )
    found = ok(decode_detections(reply(ints)))
    assert found[0] == hf.Detection(
        label="cat", score=0.998, box=hf.Box(xmin=12, ymin=54, xmax=318, ymax=472)
    )
    assert found[1].box.width == 135 and found[1].box.height == 47
    floats = '[{"score":0.5,"label":"dog","box":{"xmin":1.5,"ymin":2.25,"xmax":3.0,"ymax":4}}]'
    box = ok(decode_detections(reply(floats)))[0].box
    assert (box.xmin, box.ymin, box.xmax, box.ymax) == (1.5, 2.25, 3.0, 4.0)


def test_detection_wrong_data_names_the_field() -> None:
    bad_corner = '[{"score":0.5,"label":"dog","box":{"xmin":"1","ymin":2,"xmax":3,"ymax":4}}]'
    malformed_at(decode_detections(reply(bad_corner)), "[0].box.xmin")
    malformed_at(decode_detections(reply('[{"label":"dog","box":[1,2,3,4]}]')), "[0].box")
    huge = '[{"label":"dog","box":{"xmin":' + "9" * 400 + "}}]"
    malformed_at(decode_detections(reply(huge)), "[0].box.xmin")


def test_captions_as_a_list_or_as_an_object_decode_alike() -> None:
    listed = ok(decode_caption(reply('[{"generated_text":"a cat on a sofa"}]')))
    assert listed == hf.Caption(generated_text="a cat on a sofa")
    assert listed.text == "a cat on a sofa"
    assert ok(decode_caption(reply('{"generated_text":"a cat on a sofa"}'))) == listed


def test_caption_wrong_data_names_the_field() -> None:
    malformed_at(decode_caption(reply("[]")), "")
    malformed_at(
        decode_caption(reply('[{"generated_text":"a"},{"generated_text":5}]')), "[1].generated_text"
    )
    malformed_at(decode_caption(reply('{"generated_text":["a"]}')), "generated_text")
    malformed_at(decode_caption(reply('"a cat"')), "")


def test_segments_decode_their_base64_png_masks_and_null_scores() -> None:
    mask = png(4, 3)
    body = json.dumps(
        [
            {"score": None, "label": "wall", "mask": base64.b64encode(mask).decode()},
            {"score": 0.87, "label": "sky", "mask": base64.b64encode(png(1, 1)).decode()},
        ]
    )
    first, second = ok(decode_segments(reply(body)))
    assert first == hf.Segment(label="wall", score=None, mask=mask)
    assert first.mask_size == (4, 3)
    assert second.score == 0.87 and second.mask == png(1, 1)


def test_a_mask_that_is_not_base64_is_malformed_naming_its_path() -> None:
    good = base64.b64encode(png()).decode()
    body = json.dumps([{"label": "a", "mask": good}, {"label": "b", "mask": "not*base64"}])
    malformed_at(decode_segments(reply(body)), "[1].mask")
    malformed_at(decode_segments(reply('[{"label":"a","mask":42}]')), "[0].mask")
    unpadded = json.dumps([{"label": "a", "mask": good.rstrip("=")[:-1]}])
    malformed_at(decode_segments(reply(unpadded)), "[0].mask")


@pytest.mark.parametrize(
    "decode", [decode_image_labels, decode_detections, decode_caption, decode_segments]
)
def test_an_error_object_in_a_2xx_reply_is_the_error_and_not_json_is_malformed(
    decode: Any,
) -> None:
    error = decode(reply('{"error":"Model is overloaded","error_type":"overloaded"}')).failure()
    assert isinstance(error, hf.ErrorEvent) and "overloaded" in error.message
    assert isinstance(decode(reply(b"<html>bad gateway</html>")).failure(), hf.MalformedResponse)
    assert isinstance(decode(reply(b"")).failure(), hf.MalformedResponse)
