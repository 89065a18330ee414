"""The command-line dreamer, driven as a user would: through subprocesses."""

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "deepdream_utils", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_help_explains_every_option_with_its_default():
    result = _run("--help")
    assert result.returncode == 0
    for option in ("--layers", "--steps", "--step-size", "--octaves", "--octave-scale", "--tile-size", "--seed",
                   "--max-side", "--noise", "--weights", "--from-sidecar", "--output", "--transforms", "--normalize",
                   "--symmetry"):
        assert option in result.stdout
    assert "(default: 25)" in result.stdout and "(default: 512)" in result.stdout


def test_the_deepdream_command_is_installed_beside_python():
    script = Path(sys.executable).parent / "deepdream"
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.startswith("usage: deepdream ")


def test_the_command_line_knows_the_backbones_weight_sources_without_importing_tensorflow():
    result = subprocess.run([sys.executable, "-c", "import sys; from deepdream import cli; cli.build_parser(); "
                             "print('tensorflow' in sys.modules)"], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False", result.stderr


def test_running_the_module_imports_it_once(tmp_path):
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "deepdream_utils", "--noise", "60x60",
                             "-o", str(tmp_path / "x.gif")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "use one of the suffixes" in result.stderr  # the command line did use the module...
    assert not re.search(r"\| +deepdream_utils$", result.stderr, re.M)  # ...without importing it a second time


def test_noise_dream_writes_picture_and_sidecar_and_reruns_identically(tmp_path):
    first = tmp_path / "noise.png"
    result = _run("--noise", "120x100", "--layers", "mixed3,conv2d_15=0.5", "--steps", "3", "--octaves", "2",
                  "--seed", "7", "-o", first)
    assert result.returncode == 0, result.stderr
    assert "saved" in result.stdout and "dreaming" in result.stdout  # the progress bar
    sidecar = json.loads((tmp_path / "noise.png.json").read_text())
    assert sidecar["parameters"]["layers"] == {"mixed3": 1.0, "conv2d_15": 0.5}
    assert sidecar["parameters"]["noise"] == [120, 100] and sidecar["parameters"]["seed"] == 7
    assert sidecar["steps_done"] == 6 and sidecar["size"] == [120, 100]
    assert {"tensorflow", "keras", "numpy", "pillow", "python"} <= set(sidecar["versions"])
    assert "bundled" in sidecar["weights"]

    again = tmp_path / "again.png"
    result = _run("--from-sidecar", tmp_path / "noise.png.json", "-q", "-o", again)
    assert result.returncode == 0, result.stderr
    assert again.read_bytes() == first.read_bytes()


def test_the_same_command_in_three_processes_gives_byte_identical_pictures_and_sidecars(tmp_path):
    pictures, sidecars = [], []
    for run in range(3):  # each a fresh process: new thread pools, new memory layout, new hash seed
        output = tmp_path / f"run{run}" / "dream.png"
        output.parent.mkdir()
        result = _run("--noise", "200x200", "--layers", "mixed3", "--octaves", "2", "--steps", "10", "-q",
                      "-o", output.name, cwd=output.parent)
        assert result.returncode == 0, result.stderr
        pictures.append(output.read_bytes())
        sidecar = json.loads(output.with_name("dream.png.json").read_text())
        assert sidecar.pop("seconds") > 0
        sidecars.append(sidecar)
    assert pictures[0] == pictures[1] == pictures[2]
    assert sidecars[0] == sidecars[1] == sidecars[2]


def test_image_dream_records_the_input_and_leaves_it_unchanged(tmp_path):
    source = ROOT / "images" / "mountain.jpg"
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    output = tmp_path / "mountain_small.jpg"
    result = _run(source, "--max-side", "160", "--octaves", "1", "--steps", "2", "-q", "-o", output)
    assert result.returncode == 0, result.stderr
    sidecar = json.loads((tmp_path / "mountain_small.jpg.json").read_text())
    assert sidecar["input_sha256"] == before and sidecar["size"] == [160, 90]
    assert hashlib.sha256(source.read_bytes()).hexdigest() == before


@pytest.mark.parametrize("args,status,message", [
    (["images/mountain.jpg", "--layers", "mixed33"], 1, "Unknown layer 'mixed33'"),
    (["images/no_such_file.jpg"], 1, "No image at"),
    (["images/mountain.jpg", "--steps", "0"], 1, "steps_per_octave must be a positive whole number"),
    (["images/mountain.jpg", "-o", "images/mountain.jpg"], 1, "Refusing to overwrite"),
    (["--noise", "10by10"], 2, "is not WIDTHxHEIGHT"),
    (["--steps", "abc", "--noise", "50x50"], 2, "invalid int value"),
    ([], 2, "give a start IMAGE or --noise"),
    (["--from-sidecar", "missing.json"], 1, "No sidecar at"),
    (["--noise", "50x50", "--symmetry", "hex"], 2, "is not mirror, N or Nm"),
    (["--noise", "50x50", "--symmetry", "1"], 2, "changes nothing"),
    (["--noise", "50x50", "--transforms", "some"], 2, "invalid choice"),
])
def test_bad_arguments_give_one_clear_line_and_a_non_zero_status(args, status, message):
    result = _run(*args, "-q")
    assert result.returncode == status
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("deepdream: error:") and message in lines[0], result.stderr


def test_a_kaleidoscope_from_the_command_line_is_mirror_symmetric_and_recorded(tmp_path):
    from PIL import Image

    output = tmp_path / "kaleidoscope.png"
    result = _run("--noise", "96x96", "--layers", "mixed2", "--octaves", "1", "--steps", "3", "--symmetry", "4m",
                  "--normalize", "laplacian", "-q", "-o", output)
    assert result.returncode == 0, result.stderr
    picture = np.asarray(Image.open(output), dtype=np.int16)
    assert np.abs(picture - picture[:, ::-1]).max() <= 1 and np.abs(picture - np.rot90(picture)).max() <= 1
    recorded = json.loads((tmp_path / "kaleidoscope.png.json").read_text())["parameters"]
    assert (recorded["symmetry"], recorded["normalize"], recorded["transforms"]) == ("4m", "laplacian", "robust")


def test_a_sidecar_from_before_the_robust_step_reruns_with_the_plain_step(tmp_path):
    from deepdream import recipe

    output = tmp_path / "old.png"
    assert _run("--noise", "80x80", "--layers", "mixed1", "--octaves", "1", "--steps", "2", "--transforms", "none",
                "-q", "-o", output).returncode == 0
    sidecar = tmp_path / "old.png.json"
    record = json.loads(sidecar.read_text())
    for key in recipe.BEFORE_OPTIONS:
        del record["parameters"][key]  # as written before these options existed
    sidecar.write_text(json.dumps(record))
    assert recipe.read_sidecar(sidecar)["transforms"] == "none"
    again = tmp_path / "again.png"
    assert _run("--from-sidecar", sidecar, "-q", "-o", again).returncode == 0
    assert again.read_bytes() == output.read_bytes()
