"""Nothing lost, ever: odd inputs, edited sidecars, signals during a save, files that must survive."""

import json
import os
import re
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
from deepdream import cli as deepdream_cli
from deepdream import files, images, recipe

ROOT = Path(__file__).resolve().parents[1]


def _cli(*args, cwd=ROOT, **kwargs):
    return subprocess.run([sys.executable, "-m", "deepdream_utils", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300, **kwargs)


def _error_line(capsys) -> str:
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("deepdream: error:"), lines
    return lines[0]


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# ----------------------------------------------------------------------------- 1. deep images and max_side


def _grey_ramp_16_bit(path: Path) -> Path:
    Image.fromarray(np.linspace(0, 65535, 60000).reshape(200, 300).astype(np.uint16)).save(path)
    return path


def test_max_side_keeps_the_range_of_a_sixteen_bit_image(tmp_path):
    image = dd.load_image(_grey_ramp_16_bit(tmp_path / "g16.png"), max_side=150)
    assert image.shape == (100, 150, 3)
    assert image.mean() == pytest.approx(0.5, abs=0.01)
    assert image.min() < 0.01 and image.max() > 0.99


def test_max_side_keeps_a_float_tiff_visible(tmp_path):
    Image.fromarray(np.linspace(0, 1, 60000, dtype=np.float32).reshape(200, 300)).save(tmp_path / "f.tiff")
    image = dd.load_image(tmp_path / "f.tiff", max_side=150)
    assert image.shape == (100, 150, 3) and image.mean() == pytest.approx(0.5, abs=0.01)


def test_command_line_max_side_dreams_a_sixteen_bit_image_without_clipping_it(tmp_path):
    source = _grey_ramp_16_bit(tmp_path / "g16.png")
    result = _cli(source, "--max-side", "256", "--steps", "1", "--octaves", "1", "-q", "-o", tmp_path / "d.png")
    assert result.returncode == 0, result.stderr
    mean = np.asarray(Image.open(tmp_path / "d.png"), dtype=np.float32).mean()
    assert 110 < mean < 145  # a grey ramp stays mid-grey (clipped to 8 bits first, it was 254)


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
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=os.environ | {"TF_CPP_MIN_LOG_LEVEL": "3"})
    assert child.stdout.readline().strip() == "writing"
    for signum in signals:
        child.send_signal(signum)
        time.sleep(0.2)
    out, err = child.communicate(timeout=60)
    assert child.returncode != 0 and "saved" not in out  # the signal still stops the program
    assert _leftovers(tmp_path) == []
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


def test_command_line_refuses_to_replace_a_foreign_file_unless_told(tmp_path):
    photo = tmp_path / "mine.jpg"
    photo.write_bytes((ROOT / "images" / "mountain.jpg").read_bytes())
    result = _cli("--noise", "60x60", "--layers", "conv2d_15", "--steps", "1", "--octaves", "1", "-q", "-o", photo)
    assert result.returncode == 1 and "--overwrite" in result.stderr and "dreaming" not in result.stdout
    assert photo.read_bytes() == (ROOT / "images" / "mountain.jpg").read_bytes()
    result = _cli("--noise", "60x60", "--layers", "conv2d_15", "--steps", "1", "--octaves", "1", "-q", "-o", photo,
                  "--overwrite")
    assert result.returncode == 0, result.stderr
    assert Image.open(photo).size == (60, 60)


# ----------------------------------------------------------------------------- 4. an unwritable output is found first


def test_an_output_under_a_file_is_refused_before_the_dream(tmp_path):
    (tmp_path / "notes.txt").write_text("not a folder")
    result = _cli("--noise", "60x60", "--layers", "conv2d_15", "--steps", "1", "--octaves", "1",
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


def _sidecar(tmp_path: Path, **changes) -> Path:
    parameters = {"image": None, "noise": [60, 60]} | recipe.DEFAULTS | {"layers": {"conv2d_15": 1.0}}
    record = {"written_by": dd.SUITE_MARK, "parameters": parameters | changes, "input_sha256": None}
    path = tmp_path / "edited.jpg.json"
    path.write_text(json.dumps(record))
    return path


@pytest.mark.parametrize("changes,message", [
    ({"seed": "x"}, "seed must be a whole number, got 'x'"),
    ({"image": 5}, "image must be a file name"),
    ({"steps": 2.5}, "steps must be a whole number, got 2.5"),
    ({"noise": "abc"}, "noise must be \\[width, height\\]"),
    ({"noise": None}, "exactly one of image and noise"),
    ({"detail": "no"}, "detail must be true or false, got 'no'"),
    ({"layers": {"mixed3": "big"}}, "layers must be a non-empty object"),
    ({"colour": "blue"}, "unknown colour"),
    ({"weights": "random"}, "weights must be 'bundled' or 'imagenet'"),
])
def test_an_edited_sidecar_gets_one_clear_error(tmp_path, capsys, changes, message):
    status = deepdream_cli.main(["--from-sidecar", str(_sidecar(tmp_path, **changes)), "-q",
                                 "-o", str(tmp_path / "r.jpg")])
    assert status == 1
    line = _error_line(capsys)
    assert "edited.jpg.json" in line and re.search(message, line), line


def test_a_sidecar_missing_a_key_names_it(tmp_path, capsys):
    path = _sidecar(tmp_path)
    record = json.loads(path.read_text())
    del record["parameters"]["steps"]
    path.write_text(json.dumps(record))
    assert deepdream_cli.main(["--from-sidecar", str(path), "-q"]) == 1
    assert "missing steps" in _error_line(capsys)


@pytest.mark.parametrize("content", ['{"parameters": []}', "[1, 2]", "{}"])
def test_a_sidecar_without_parameters_is_named_as_such(tmp_path, capsys, content):
    (tmp_path / "s.json").write_text(content)
    assert deepdream_cli.main(["--from-sidecar", str(tmp_path / "s.json"), "-q"]) == 1
    assert "has no \"parameters\" object" in _error_line(capsys)


def test_a_picture_passed_as_the_sidecar_is_named_as_such(capsys):
    assert deepdream_cli.main(["--from-sidecar", str(ROOT / "images" / "mountain.jpg"), "-q"]) == 1
    assert "is not a JSON sidecar" in _error_line(capsys)


def test_a_changed_start_image_is_refused_unless_allowed(tmp_path):
    source = tmp_path / "start.png"
    Image.fromarray(np.full((70, 70, 3), 120, np.uint8)).save(source)
    args = ("--layers", "conv2d_15", "--steps", "1", "--octaves", "1", "-q")
    assert _cli(source, *args, "-o", tmp_path / "a.jpg").returncode == 0
    Image.fromarray(np.full((70, 70, 3), 60, np.uint8)).save(source)
    result = _cli("--from-sidecar", tmp_path / "a.jpg.json", "-q", "-o", tmp_path / "b.jpg")
    assert result.returncode == 1 and "has changed" in result.stderr and "--allow-changed-input" in result.stderr
    result = _cli("--from-sidecar", tmp_path / "a.jpg.json", "-q", "-o", tmp_path / "b.jpg", "--allow-changed-input")
    assert result.returncode == 0, result.stderr


# ----------------------------------------------------------------------------- 6. the smaller cases


def test_a_zero_layer_weight_is_refused():
    with pytest.raises(ValueError, match="weight of layer 'mixed3' is 0, so it would do nothing"):
        dd.dream_model({"mixed3": 0, "mixed5": 1.0})


def test_a_negative_layer_weight_suppresses_that_layer():
    dm = dd.dream_model({"conv2d_15": -1.0})
    start = dd.noise_image(64, 64, seed=1)
    result, _ = dd.dream(dm, start, steps=5, step_size=0.02, progress=False)
    assert dd.layer_losses(dm, result)["conv2d_15"] < dd.layer_losses(dm, start)["conv2d_15"]


@pytest.mark.parametrize("layers", [None, 5, [3], {"mixed3": "big"}, {"mixed3": True}])
def test_layers_of_the_wrong_kind_give_clear_errors(layers):
    with pytest.raises(ValueError, match="(?i)layer"):
        dd.dream_model(layers)


def test_a_huge_step_size_is_warned_about():
    dm = dd.dream_model("conv2d_15")
    with pytest.warns(UserWarning, match="very large: most pixels will be clipped"):
        dd.dream(dm, dd.noise_image(64, 64), steps=1, step_size=1e9, progress=False)


def test_command_line_warns_about_a_huge_step_size_in_one_line(tmp_path):
    result = _cli("--noise", "60x60", "--layers", "conv2d_15", "--steps", "1", "--octaves", "1", "-q",
                  "--step-size", "1e9", "-o", tmp_path / "r.jpg")
    assert result.returncode == 0
    assert [line for line in result.stderr.splitlines() if line.strip()][0].startswith("deepdream: warning: step_size")


def test_each_result_has_its_own_sidecar(tmp_path):
    args = ("--noise", "60x60", "--layers", "conv2d_15", "--steps", "1", "--octaves", "1", "-q")
    assert _cli(*args, "-o", tmp_path / "x.jpg").returncode == 0
    assert _cli(*args, "--seed", "3", "-o", tmp_path / "x.png").returncode == 0
    assert json.loads((tmp_path / "x.jpg.json").read_text())["parameters"]["seed"] == 0
    assert json.loads((tmp_path / "x.png.json").read_text())["parameters"]["seed"] == 3


@pytest.mark.parametrize("signum,status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_stopping_mid_dream_saves_the_partial_dream_and_exits_like_a_shell_expects(tmp_path, signum, status):
    child = subprocess.Popen(
        [sys.executable, "-m", "deepdream_utils", "--noise", "200x200", "--layers", "mixed3", "--octaves", "1",
         "--steps", "2000", "-o", str(tmp_path / "r.jpg")], cwd=ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, env=os.environ | {"TF_CPP_MIN_LOG_LEVEL": "3"})
    seen = b""
    while not re.search(rb"\b[1-9]\d*/2000", seen):  # the progress bar shows a step done
        seen += child.stdout.read1(100) or b""
        assert child.poll() is None, child.stderr.read()
    child.send_signal(signum)
    out, err = child.communicate(timeout=120)
    assert child.returncode == status, err
    sidecar = json.loads((tmp_path / "r.jpg.json").read_text())
    assert sidecar["interrupted"] is True and 0 < sidecar["steps_done"] < 2000
    assert Image.open(tmp_path / "r.jpg").size == (200, 200)
    assert b"Traceback" not in err and _leftovers(tmp_path) == []


def test_a_zero_to_255_image_gets_the_right_hint():
    with pytest.raises(ValueError, match="0-255 pixel values: divide it by 255"):
        dd.save_image(np.full((8, 8, 3), 200.0), "unused.png")
    with pytest.raises(ValueError, match=r"\[-1, 1\]: use from_model\(\)"):
        dd.save_image(np.full((8, 8, 3), -0.5), "unused.png")


@pytest.mark.parametrize("steps", [2.5, None, "3"])
def test_fractional_steps_per_octave_give_a_clear_error(steps):
    with pytest.raises(ValueError, match="steps_per_octave must be a positive whole number"):
        dd.dream_octaves(dd.dream_model("conv2d_15"), dd.noise_image(64, 64), octaves=2, steps_per_octave=steps,
                         progress=False)


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
