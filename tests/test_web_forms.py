"""Reading a dream request on its own (no dream runs): one start, the studio's fields, the mask, clear refusals."""

import io

import numpy as np
import pytest
from flask import Flask
from PIL import Image

from deepdream.web.forms import read_dream_request
from deepdream.web.history import History
from deepdream.web.settings import Refusal, Settings

SETTINGS = Settings(max_side=512)


def _png(width=128, height=96, mode="RGB", value=120) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (width, height), value).save(buffer, format="PNG")
    return buffer.getvalue()


def _read(fields=None, files=None, history=None, client="a" * 24):
    data = dict(fields or {}) | {name: (io.BytesIO(content), f"{name}.png") for name, content in (files or {}).items()}
    with Flask(__name__).test_request_context("/api/jobs", method="POST", data=data,
                                              content_type="multipart/form-data") as context:
        return read_dream_request(context.request, SETTINGS, history, client)


def test_a_photo_is_read_with_the_pages_defaults_and_its_hash():
    request = _read(files={"image": _png()})
    assert request.start.shape == (96, 128, 3) and request.parameters["image"] == "image.png"
    assert request.parameters["steps"] == 12 and request.parameters["max_side"] == 512
    assert request.mask is None and request.chain == [] and len(request.input_sha256) == 64


def test_noise_is_a_start_of_its_own_size_with_no_hash():
    request = _read({"noise": "200x100", "seed": "4"})
    assert request.start.shape == (100, 200, 3) and request.parameters["noise"] == [200, 100]
    assert request.input_sha256 is None and request.parameters["image"] is None


def test_the_studios_fields_are_read_and_checked():
    request = _read({"noise": "96x96", "channel": "7", "symmetry": "6m", "normalize": "laplacian"})
    assert (request.parameters["channel"], request.parameters["symmetry"]) == (7, "6m")
    assert request.parameters["normalize"] == "laplacian"


def test_a_mask_is_read_at_the_size_of_the_shrunk_start_and_kept_as_sent():
    mask = np.zeros((600, 800), np.uint8)
    mask[:, :400] = 255
    buffer = io.BytesIO()
    Image.fromarray(mask).save(buffer, format="PNG")
    request = _read({"max_side": "400"}, {"image": _png(800, 600), "mask": buffer.getvalue()})
    assert request.start.shape == (300, 400, 3) and request.mask.shape == (300, 400, 1)
    assert request.mask[:, :190].min() == 1 and request.mask[:, 210:].max() == 0
    assert request.mask_png == buffer.getvalue() and request.parameters["mask"] == "mask.png"


@pytest.mark.parametrize("fields, files, status, pattern", [
    ({}, {}, 400, r"No image: send the picture as the multipart field 'image'.*or start from noise"),
    ({"noise": "96x96"}, {"image": _png()}, 400, r"Give one start, not image and noise"),
    ({"noise": "12x12"}, {}, 400, r"noise: each side must be from 32 to 512 pixels, got 12x12"),
    ({"noise": "9000x96"}, {}, 400, r"noise: each side must be from 32 to 512 pixels"),
    ({"noise": "big"}, {}, 400, r"noise: size 'big' is not WIDTHxHEIGHT"),
    ({"from_dream": "nothing-of-mine"}, {}, 404, r"No dream 'nothing-of-mine' in your history"),
    ({"noise": "96x96", "symmetry": "hex"}, {}, 400, r"symmetry: symmetry 'hex' is not mirror, N or Nm"),
    ({"noise": "96x96", "channel": "99999"}, {}, 400, r"channel must be a whole number from 0 to 4095, got '99999'"),
    ({"noise": "96x96", "channel": "two"}, {}, 400, r"channel must be a whole number from 0 to 4095, got 'two'"),
    ({"noise": "96x96", "normalize": "max"}, {}, 400, r"normalize: normalize must be 'std' or 'laplacian'"),
    ({"noise": "96x96"}, {"mask": b"not a picture"}, 400, r"The mask 'mask.png' is not an image"),
    ({}, {"image": _png(), "mask": _png(10, 10, "L")}, 400,
     r"The mask is 10x10 pixels, the image 128x96: paint the mask on the image itself"),
    ({"noise": "96x96"}, {"photo": _png()}, 400, r"Unknown field\(s\) photo"),
])
def test_every_mistake_gets_a_clear_refusal(fields, files, status, pattern):
    with pytest.raises(Refusal, match=pattern) as refused:
        _read(fields, files)
    assert refused.value.status == status


def test_dreaming_more_starts_from_the_kept_picture_and_carries_the_chain(tmp_path):
    history = History(tmp_path)
    buffer = io.BytesIO()
    Image.new("RGB", (120, 80), (10, 200, 30)).save(buffer, "JPEG")
    link = {"parameters": {"image": "photo.png", "seed": 0}, "input_sha256": "f" * 64}
    history.add("a" * 24, "one", buffer.getvalue(), {"parameters": link["parameters"], "chain": [link]})
    request = _read({"from_dream": "one"}, history=history)
    assert request.start.shape == (80, 120, 3) and request.chain == [link]
    assert request.parameters["image"] == "one.jpg"
    with pytest.raises(Refusal, match="No dream 'one' in your history") as refused:
        _read({"from_dream": "one"}, history=history, client="b" * 24)  # another browser
    assert refused.value.status == 404
