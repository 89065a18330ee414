"""Nothing lost, ever: odd inputs, edited sidecars, signals during a save, files that must survive."""

import io
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import deepdream_utils as dd
from deepdream import files, images
from tests.helpers import digest, gradient_rgb, leftovers, run_cli, with_ctrl_c

ROOT = Path(__file__).resolve().parents[1]








# ----------------------------------------------------------------------------- 1. deep images and max_side










# ----------------------------------------------------------------------------- 2. no temporary file, ever


def test_a_bad_quality_leaves_no_temporary_file(tmp_path):
    with pytest.raises(ValueError, match="quality must be a whole number from 1 to 100"):
        dd.save_image(np.zeros((50, 50, 3)), tmp_path / "q.jpg", quality="x")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("failure", [TypeError("boom"), KeyboardInterrupt(), SystemExit(143)])
def test_any_failure_during_a_save_leaves_no_temporary_and_no_partial_file(tmp_path, monkeypatch, failure):
    real_save = Image.Image.save

    def half_written(self, file, *args, **kwargs):
        file.write(b"\x89PNG half a picture")
        raise failure

    monkeypatch.setattr(Image.Image, "save", half_written)
    with pytest.raises(type(failure)):
        dd.save_image(dd.noise_image(40, 40), tmp_path / "r.png")
    monkeypatch.setattr(Image.Image, "save", real_save)
    assert list(tmp_path.iterdir()) == []


SLOW_SAVE = textwrap.dedent("""
    import io, sys, time
    sys.path.insert(0, {root!r})
    from PIL import Image
    import deepdream_utils as dd

    real_save = Image.Image.save
    def slow_save(self, file, *args, **kwargs):  # writes half the picture, waits, writes the rest
        encoded = io.BytesIO()
        real_save(self, encoded, *args, **kwargs)
        data = encoded.getvalue()
        file.write(data[:len(data) // 2])
        print("writing", flush=True)
        time.sleep(1.5)
        file.write(data[len(data) // 2:])
    Image.Image.save = slow_save
    image = dd.noise_image(300, 200, seed=1)
    dd.save_image(image, {target!r})
    print("saved", flush=True)
    time.sleep(30)
""")


@pytest.mark.parametrize("signals", [[signal.SIGINT], [signal.SIGTERM], [signal.SIGINT, signal.SIGINT],
                                     [signal.SIGTERM, signal.SIGTERM]])
def test_signals_during_a_save_leave_a_complete_file_or_none_and_no_temporary_file(tmp_path, signals):
    target = tmp_path / "r.png"
    child = subprocess.Popen([sys.executable, "-c", SLOW_SAVE.format(root=str(ROOT), target=str(target))],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=with_ctrl_c)
    assert child.stdout.readline().strip() == "writing"
    for signum in signals:
        child.send_signal(signum)
        time.sleep(0.2)
    out, err = child.communicate(timeout=60)
    assert child.returncode != 0 and "saved" not in out  # the signal still stops the program
    assert leftovers(tmp_path) == []
    if len(signals) == 1:  # held until the file was complete
        assert np.abs(dd.load_image(target) - dd.noise_image(300, 200, seed=1)).max() <= 0.5 / 255 + 1e-6
    else:  # a second signal aborts the write at once
        assert not target.exists()


def test_gitignore_matches_the_temporary_file_names():
    assert ".*.tmp" in (ROOT / ".gitignore").read_text().splitlines()


# ----------------------------------------------------------------------------- 3. never replace another's file


def test_the_course_images_are_never_overwritten_even_in_a_fresh_session(monkeypatch):
    monkeypatch.setattr(images, "INPUT_PATHS", set())
    monkeypatch.setattr(files, "INPUT_PATHS", images.INPUT_PATHS)  # as in a fresh kernel: nothing loaded yet
    before = (dd.IMAGES_DIR / "mountain.jpg").read_bytes()
    for overwrite in (False, True):
        with pytest.raises(ValueError, match="one of the course's images"):
            dd.save_image(np.zeros((50, 50, 3)), dd.IMAGES_DIR / "mountain.jpg", overwrite=overwrite)
    assert (dd.IMAGES_DIR / "mountain.jpg").read_bytes() == before


def test_an_existing_file_not_made_by_the_suite_needs_overwrite(tmp_path):
    photo = tmp_path / "holiday.jpg"
    Image.fromarray(np.full((20, 20, 3), 90, np.uint8)).save(photo)
    before = photo.read_bytes()
    with pytest.raises(FileExistsError, match="not written by this suite.*overwrite=True"):
        dd.save_image(dd.noise_image(20, 20), photo)
    assert photo.read_bytes() == before
    dd.save_image(dd.noise_image(20, 20), photo, overwrite=True)
    assert photo.read_bytes() != before


@pytest.mark.parametrize("name", ["again.jpg", "again.png"])
def test_a_result_of_the_suite_may_be_replaced_by_the_next_run(tmp_path, name):
    dd.save_image(np.zeros((20, 20, 3)), tmp_path / name)
    dd.save_image(np.ones((20, 20, 3)), tmp_path / name)
    assert dd.load_image(tmp_path / name).mean() > 0.95


def test_figures_and_animations_are_marked_as_results_too(tmp_path):
    dd.save_figure(dd.plot_loss([1.0, 2.0]), tmp_path / "loss.jpg")
    dd.save_figure(dd.plot_loss([1.0, 2.0]), tmp_path / "loss.jpg")
    dd.save_animation([dd.noise_image(20, 20)] * 2, tmp_path / "a.gif")
    dd.save_animation([dd.noise_image(20, 20)] * 2, tmp_path / "a.gif")




# ----------------------------------------------------------------------------- 4. an unwritable output is found first


def test_an_output_under_a_file_is_refused_before_the_dream(tmp_path):
    (tmp_path / "notes.txt").write_text("not a folder")
    result = run_cli("--noise", "60x60", "--layers", "conv2d_15", "--steps", "1", "--octaves", "1",
                  "-o", tmp_path / "notes.txt" / "sub" / "r.jpg")
    assert result.returncode == 1
    assert "notes.txt' is a file, not a folder" in result.stderr and "dreaming" not in result.stdout


def test_a_read_only_folder_is_named_in_words(tmp_path, monkeypatch):
    monkeypatch.setattr(files.os, "access", lambda path, mode: False)  # as a read-only folder answers
    with pytest.raises(PermissionError, match="folder .* cannot be written .*Choose another folder"):
        dd.check_output_path(tmp_path / "r.jpg")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into read-only folders")
def test_a_real_read_only_folder_is_refused(tmp_path):
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(PermissionError, match="cannot be written"):
            dd.check_output_path(tmp_path / "r.jpg")
    finally:
        tmp_path.chmod(0o755)


def test_a_folder_as_output_is_refused(tmp_path):
    (tmp_path / "dir.jpg").mkdir()
    with pytest.raises(ValueError, match="it is a folder"):
        dd.check_output_path(tmp_path / "dir.jpg")


# ----------------------------------------------------------------------------- 5. sidecars are checked like arguments














# ----------------------------------------------------------------------------- 6. the smaller cases
























def test_animation_is_a_looping_gif_with_every_frame(tmp_path):
    from PIL import Image

    frames = [dd.noise_image(40, 30, seed=i) for i in range(5)]
    path = dd.save_animation(frames, tmp_path / "zoom.gif", fps=10)
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.n_frames == 5 and gif.size == (40, 30)
        assert gif.info["duration"] == 100 and gif.info["loop"] == 0
    with pytest.raises(ValueError, match=r"\.gif"):
        dd.save_animation(frames, tmp_path / "zoom.mp4")


def test_figure_saves_as_jpeg(tmp_path):
    from PIL import Image

    path = dd.save_figure(dd.plot_loss([1.0, 2.0]), tmp_path / "loss.jpg")
    with Image.open(path) as saved:
        assert saved.format == "JPEG"


@pytest.mark.parametrize("name", ["out.jpg", "out.jpeg", "out.png", "OUT.PNG"])
def test_save_writes_format_by_suffix_and_creates_folders(tmp_path, name):
    target = tmp_path / "new" / "folder" / name
    image = dd.noise_image(32, 24, seed=3)
    assert dd.save_image(image, target) == target
    with Image.open(target) as saved:
        assert saved.format == ("PNG" if name.lower().endswith("png") else "JPEG")
        assert saved.size == (32, 24)
    if name.endswith("png"):
        assert np.abs(dd.load_image(target) - image).max() <= 0.5 / 255 + 1e-6
    assert [p.name for p in target.parent.iterdir()] == [name]  # no temporary file left behind


def test_save_refuses_unknown_suffix(tmp_path):
    with pytest.raises(ValueError, match=r"\.jpg"):
        dd.save_image(dd.noise_image(8, 8), tmp_path / "out.gif")


def test_save_refuses_to_overwrite_the_input_image(tmp_path):
    source = tmp_path / "input.jpg"
    Image.fromarray(gradient_rgb()).save(source)
    before = digest(source)
    image = dd.load_image(source)
    with pytest.raises(ValueError, match="Refusing to overwrite"):
        dd.save_image(image, source)
    with pytest.raises(ValueError, match="Refusing to overwrite"):
        dd.save_image(image, tmp_path / "." / "input.jpg")
    assert digest(source) == before


def test_failed_save_leaves_the_old_file_and_no_partial_one(tmp_path, monkeypatch):
    target = tmp_path / "result.png"
    dd.save_image(dd.noise_image(16, 16, seed=1), target)
    before = digest(target)

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", disk_full)
    with pytest.raises(OSError, match="Could not save .*No space left on device"):
        dd.save_image(dd.noise_image(16, 16, seed=2), target)
    assert digest(target) == before
    assert [p.name for p in tmp_path.iterdir()] == ["result.png"]


def test_save_rejects_non_finite_values(tmp_path):
    image = dd.noise_image(8, 8)
    image[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        dd.save_image(image, tmp_path / "nan.png")
    assert not (tmp_path / "nan.png").exists()


def test_jpeg_bytes_takes_a_float_image_or_uint8_pixels_and_can_shrink_them():
    pixels = np.zeros((60, 100, 3), np.uint8)
    pixels[:, 50:] = 255
    for picture in (pixels, pixels.astype(np.float32) / 255.0):
        with Image.open(io.BytesIO(files.jpeg_bytes(picture, max_side=50))) as decoded:
            assert decoded.size == (50, 30) and decoded.info["comment"] == files.SUITE_MARK.encode()
            assert np.asarray(decoded)[:, :20].max() < 20 and np.asarray(decoded)[:, 30:].min() > 235
