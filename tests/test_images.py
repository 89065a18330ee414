"""Image I/O: loading every kind of file, noise, conversions, saving, and bad input."""


import numpy as np
import pytest
from PIL import Image

import deepdream_utils as dd
from deepdream import images
from tests.helpers import digest, gradient_rgb, grey_ramp_16_bit


@pytest.mark.parametrize("suffix,fmt", [(".jpg", "JPEG"), (".png", "PNG"), (".webp", "WEBP"),
                                        (".bmp", "BMP"), (".tiff", "TIFF")])
def test_common_formats_load_as_rgb_float_in_unit_range(tmp_path, suffix, fmt):
    path = tmp_path / f"picture{suffix}"
    Image.fromarray(gradient_rgb()).save(path, format=fmt)
    image = dd.load_image(path)
    assert image.shape == (30, 40, 3) and image.dtype == np.float32
    assert 0.0 <= image.min() and image.max() <= 1.0
    assert image[0, -1, 0] > 0.9 and image[0, 0, 0] < 0.1  # red grows to the right


@pytest.mark.parametrize("mode", ["L", "RGBA", "P", "CMYK", "LA"])
def test_other_modes_load_as_rgb(tmp_path, mode):
    path = tmp_path / ("picture.jpg" if mode == "CMYK" else "picture.png")
    Image.fromarray(gradient_rgb()).convert(mode).save(path)
    image = dd.load_image(path)
    assert image.shape == (30, 40, 3)
    assert image.std() > 0.05


def test_transparent_pixels_become_white(tmp_path):
    rgba = np.zeros((10, 10, 4), np.uint8)  # fully transparent black
    Image.fromarray(rgba, "RGBA").save(tmp_path / "clear.png")
    assert np.allclose(dd.load_image(tmp_path / "clear.png"), 1.0)


def test_sixteen_bit_grayscale_keeps_its_range(tmp_path):
    values = np.linspace(0, 65535, 20 * 20).reshape(20, 20).astype(np.uint16)
    Image.fromarray(values).save(tmp_path / "deep.png")
    image = dd.load_image(tmp_path / "deep.png")
    assert image.shape == (20, 20, 3)
    assert image.min() == pytest.approx(0.0, abs=1e-3) and image.max() == pytest.approx(1.0, abs=1e-3)
    assert 0.4 < image.mean() < 0.6  # not saturated to white by an 8-bit conversion


def test_exif_rotation_is_applied(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to display
    Image.fromarray(gradient_rgb(40, 30)).save(tmp_path / "rotated.jpg", exif=exif)
    assert dd.load_image(tmp_path / "rotated.jpg").shape == (40, 30, 3)


def test_max_side_shrinks_keeping_aspect(tmp_path):
    Image.fromarray(gradient_rgb(400, 200)).save(tmp_path / "wide.png")
    assert dd.load_image(tmp_path / "wide.png", max_side=100).shape == (50, 100, 3)
    assert dd.load_image(tmp_path / "wide.png", max_side=1000).shape == (200, 400, 3)


def test_the_bundled_mountain_loads_at_full_size():
    assert dd.load_image(dd.IMAGES_DIR / "mountain.jpg").shape == (576, 1024, 3)


def test_same_seed_gives_same_noise_and_another_seed_differs():
    a, b, c = dd.noise_image(64, 32, seed=1), dd.noise_image(64, 32, seed=1), dd.noise_image(64, 32, seed=2)
    assert a.shape == (32, 64, 3) and a.dtype == np.float32
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert 0.39 <= a.min() and a.max() <= 0.61


def test_model_range_round_trip():
    image = dd.noise_image(8, 8)
    x = dd.to_model(image)
    assert x.min() >= -1 and x.max() <= 1
    assert np.allclose(dd.from_model(x), image, atol=1e-6)
    assert dd.to_model(np.zeros((1, 1, 3)))[0, 0, 0] == -1 and dd.to_model(np.ones((1, 1, 3)))[0, 0, 0] == 1












def test_missing_image_gives_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="No image at .*missing.jpg.*Check the path"):
        dd.load_image(tmp_path / "missing.jpg")


def test_folder_instead_of_image_gives_clear_error(tmp_path):
    with pytest.raises(ValueError, match="is a folder"):
        dd.load_image(tmp_path)


@pytest.mark.parametrize("content,message", [
    (b"", "is empty"),
    (b"this is a text file, not a picture\n", "is not an image"),
])
def test_non_images_give_clear_errors_and_stay_unchanged(tmp_path, content, message):
    path = tmp_path / "photo.jpg"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message):
        dd.load_image(path)
    assert path.read_bytes() == content


def test_truncated_jpeg_gives_clear_error_and_stays_unchanged(tmp_path):
    path = tmp_path / "cut.jpg"
    Image.fromarray(gradient_rgb(200, 200)).save(path, quality=95)
    path.write_bytes(path.read_bytes()[:600])
    before = digest(path)
    with pytest.raises(ValueError, match="truncated or corrupt"):
        dd.load_image(path)
    assert digest(path) == before


@pytest.mark.parametrize("max_side", [0, -5, 2.5, True])
def test_bad_max_side_gives_clear_error(max_side):
    with pytest.raises(ValueError, match="max_side must be a positive whole number"):
        dd.load_image(dd.IMAGES_DIR / "mountain.jpg", max_side=max_side)


@pytest.mark.parametrize("bad", [np.zeros((4, 4)), np.zeros((4, 4, 4)), np.full((4, 4, 3), 2.0)])
def test_malformed_image_arrays_give_clear_errors(bad, tmp_path):
    with pytest.raises(ValueError, match="Expected an RGB image|must lie in"):
        dd.save_image(bad, tmp_path / "bad.png")


def test_image_too_large_for_memory_asks_for_a_longest_side(tmp_path, monkeypatch):
    Image.fromarray(gradient_rgb(400, 300)).save(tmp_path / "big.jpg")
    monkeypatch.setattr(images, "LARGEST_UNSCALED_PIXELS", 100_000)
    with pytest.raises(MemoryError, match=r"400x300 pixels.*max_side="):
        dd.load_image(tmp_path / "big.jpg")
    assert dd.load_image(tmp_path / "big.jpg", max_side=200).shape == (150, 200, 3)


def test_decompression_bomb_limit_stays_on_with_a_clear_error(tmp_path, monkeypatch):
    Image.fromarray(gradient_rgb(400, 300)).save(tmp_path / "bomb.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10_000)  # the file is now 12x over the limit
    with pytest.raises(ValueError, match="decompression-bomb limit"):
        dd.load_image(tmp_path / "bomb.png", max_side=100)


def test_dark_sixteen_bit_grayscale_is_not_mistaken_for_eight_bit(tmp_path):
    values = np.full((8, 8), 200, dtype=np.uint16)  # 200 / 65535: almost black
    Image.fromarray(values).save(tmp_path / "dark.tiff")  # mode I;16
    assert dd.load_image(tmp_path / "dark.tiff").max() < 0.01




def test_max_side_keeps_the_range_of_a_sixteen_bit_image(tmp_path):
    image = dd.load_image(grey_ramp_16_bit(tmp_path / "g16.png"), max_side=150)
    assert image.shape == (100, 150, 3)
    assert image.mean() == pytest.approx(0.5, abs=0.01)
    assert image.min() < 0.01 and image.max() > 0.99


def test_max_side_keeps_a_float_tiff_visible(tmp_path):
    Image.fromarray(np.linspace(0, 1, 60000, dtype=np.float32).reshape(200, 300)).save(tmp_path / "f.tiff")
    image = dd.load_image(tmp_path / "f.tiff", max_side=150)
    assert image.shape == (100, 150, 3) and image.mean() == pytest.approx(0.5, abs=0.01)


def test_a_zero_to_255_image_gets_the_right_hint():
    with pytest.raises(ValueError, match="0-255 pixel values: divide it by 255"):
        dd.save_image(np.full((8, 8, 3), 200.0), "unused.png")
    with pytest.raises(ValueError, match=r"\[-1, 1\]: use from_model\(\)"):
        dd.save_image(np.full((8, 8, 3), -0.5), "unused.png")


def test_a_png_with_a_bad_checksum_is_called_corrupt(tmp_path):
    path = tmp_path / "bad.png"
    Image.fromarray(np.full((20, 20, 3), 50, np.uint8)).save(path)
    data = bytearray(path.read_bytes())
    data[29] ^= 0xFF  # inside the IHDR chunk's CRC
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="starts like a PNG file but is corrupt"):
        dd.load_image(path)


def test_a_negative_seed_gives_a_clear_error():
    with pytest.raises(ValueError, match="seed must be a whole number of at least 0"):
        dd.noise_image(10, 10, seed=-1)
