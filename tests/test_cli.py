"""The command-line dreamer, driven as a user would.

Most tests call ``cli.main`` in this process (``run_main``): what they test is the dream, the files and the
messages. Those whose subject is the process itself run ``deepdream`` in a fresh one: the installed script,
what it imports before TensorFlow, the same picture in three processes, and signals.
"""

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import TEST_TENSORFLOW
from deepdream import cli, files, recipe
from tests.helpers import grey_ramp_16_bit, leftovers, run_cli, run_main, with_ctrl_c

ROOT = Path(__file__).resolve().parents[1]


def test_help_explains_every_option_with_its_default():
    result = run_main("--help")
    assert result.returncode == 0
    for option in ("--layers", "--steps", "--step-size", "--octaves", "--octave-scale", "--tile-size", "--seed",
                   "--max-side", "--noise", "--weights", "--from-sidecar", "--output", "--transforms", "--normalize",
                   "--symmetry", "--mask"):
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


def test_python_m_deepdream_utils_is_the_command_line_and_imports_the_module_once(tmp_path):
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "deepdream_utils", "--noise", "60x60",
                             "--layers", "mixed33", "-o", str(tmp_path / "x.jpg")], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert "Unknown layer 'mixed33'" in result.stderr  # the command line did use the module...
    assert not re.search(r"\| +deepdream_utils$", result.stderr, re.M)  # ...without importing it a second time


@pytest.mark.parametrize("args, message", [
    (["images/no_such_file.jpg"], "No image at 'images/no_such_file.jpg'"),
    (["--noise", "60x60", "-o", "x.gif"], "use one of the suffixes"),
    (["images/mountain.jpg", "-o", "images/mountain.jpg"], "Refusing to overwrite"),
])
def test_a_wrong_path_is_said_at_once_before_tensorflow_loads(args, message):
    result = subprocess.run([sys.executable, "-c", "import sys; from deepdream import cli; status = cli.main("
                             f"{args!r}); print(status, 'tensorflow' in sys.modules)"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.stdout.split() == ["1", "False"] and message in result.stderr, result.stderr


def test_noise_dream_writes_picture_and_sidecar_and_reruns_identically(tmp_path):
    first = tmp_path / "noise.png"
    result = run_main("--noise", "120x100", "--layers", "mixed3,conv2d_15=0.5", "--steps", "3", "--octaves", "2",
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
    result = run_main("--from-sidecar", tmp_path / "noise.png.json", "-q", "-o", again)
    assert result.returncode == 0, result.stderr
    assert again.read_bytes() == first.read_bytes()


@pytest.mark.slow
def test_the_same_command_in_three_processes_side_by_side_gives_byte_identical_pictures_and_sidecars(tmp_path):
    # Each a fresh process (new thread pools, memory layout and hash seed), all three at once so that their
    # threads compete for the cores, with TensorFlow as a user has it (threads and kernels: conftest.py).
    environment = {key: value for key, value in os.environ.items() if key not in TEST_TENSORFLOW}
    outputs = [tmp_path / f"run{run}" / "dream.png" for run in range(3)]
    children = []
    for output in outputs:
        output.parent.mkdir()
        children.append(subprocess.Popen(
            [sys.executable, "-m", "deepdream.cli", "--noise", "200x200", "--layers", "mixed3", "--octaves", "2",
             "--steps", "10", "-q", "-o", output.name], cwd=output.parent, env=environment,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    for child in children:
        _, err = child.communicate(timeout=300)
        assert child.returncode == 0, err
    pictures = [output.read_bytes() for output in outputs]
    sidecars = [json.loads(output.with_name("dream.png.json").read_text()) for output in outputs]
    assert all(sidecar.pop("seconds") > 0 for sidecar in sidecars)
    assert pictures[0] == pictures[1] == pictures[2]
    assert sidecars[0] == sidecars[1] == sidecars[2]


def test_image_dream_records_the_input_and_leaves_it_unchanged(tmp_path):
    source = ROOT / "images" / "mountain.jpg"
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    output = tmp_path / "mountain_small.jpg"
    result = run_main(source, "--max-side", "160", "--octaves", "1", "--steps", "2", "-q", "-o", output)
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
    result = run_main(*args, "-q")
    assert result.returncode == status
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("deepdream: error:") and message in lines[0], result.stderr


def test_an_error_after_tensorflow_loads_is_still_one_line_in_a_fresh_process():
    result = run_cli("images/mountain.jpg", "--layers", "mixed33", "-q")  # TensorFlow's own start-up logs stay quiet
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 1 and len(lines) == 1, result.stderr
    assert lines[0].startswith("deepdream: error:") and "Unknown layer 'mixed33'" in lines[0]


def test_a_chinese_locale_gets_the_error_in_chinese_still_in_one_line():
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("DEEPDREAM_LANG", "LC_ALL", "LC_MESSAGES")} | {"LANGUAGE": "zh_CN:en"}
    result = run_cli("images/no_such_file.jpg", "-q", env=environment)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 1 and len(lines) == 1, result.stderr
    assert lines[0].startswith("deepdream: error: 'images/no_such_file.jpg' 处没有图像。请检查路径")


ENGLISH_PROSE = re.compile(r"[a-z]+( [a-z]+){3,}")  # four English words in a row: a sentence left untranslated


@pytest.mark.parametrize("argv", [["--help"], ["--video", "--help"], ["live", "--help"], ["serve", "--help"],
                                  ["worker", "--help"]])
def test_every_commands_help_is_chinese_with_argparses_own_words(argv, capsys):
    from deepdream import i18n

    with i18n.speaking("zh_CN"), pytest.raises(SystemExit) as done:
        cli.main(argv)
    shown = capsys.readouterr().out
    assert done.value.code == 0 and shown.startswith("用法：deepdream") and "选项:" in shown
    assert ENGLISH_PROSE.search(shown) is None, ENGLISH_PROSE.search(shown)


def test_a_usage_mistake_follows_lang_in_a_fresh_process():
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("DEEPDREAM_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES")} | {"LANG": "zh_CN.UTF-8"}
    result = run_cli("--noise", "64x64", "--steps", "x", env=environment)
    assert result.returncode == 2
    assert result.stderr.strip() == "deepdream: error: 参数 --steps：无效的 int 值：'x'（见 --help）"


def test_a_kaleidoscope_from_the_command_line_is_mirror_symmetric_and_recorded(tmp_path):
    from PIL import Image

    output = tmp_path / "kaleidoscope.png"
    result = run_main("--noise", "96x96", "--layers", "mixed2", "--octaves", "1", "--steps", "3", "--symmetry", "4m",
                      "--normalize", "laplacian", "-q", "-o", output)
    assert result.returncode == 0, result.stderr
    picture = np.asarray(Image.open(output), dtype=np.int16)
    assert np.abs(picture - picture[:, ::-1]).max() <= 1 and np.abs(picture - np.rot90(picture)).max() <= 1
    recorded = json.loads((tmp_path / "kaleidoscope.png.json").read_text())["parameters"]
    assert (recorded["symmetry"], recorded["normalize"], recorded["transforms"]) == ("4m", "laplacian", "robust")


def test_a_mask_dreams_only_where_it_is_white_and_the_sidecar_reruns_it(tmp_path):
    source = ROOT / "images" / "mountain.jpg"
    mask = np.zeros((576, 1024), np.uint8)
    mask[:, :512] = 255  # the left half dreams, the right half keeps the picture
    Image.fromarray(mask).save(tmp_path / "left.png")
    output = tmp_path / "left_dream.png"
    result = run_main(source, "--max-side", "128", "--octaves", "2", "--steps", "3", "--step-size", "0.05",
                      "--mask", tmp_path / "left.png", "-q", "-o", output)
    assert result.returncode == 0, result.stderr
    with Image.open(source) as img:
        start = np.asarray(img.convert("RGB").resize((128, 72), Image.LANCZOS), dtype=np.float64)
    change = np.abs(np.asarray(Image.open(output), dtype=np.float64) - start).mean(axis=(0, 2))
    assert change[:56].mean() > 5 and change[72:].max() <= 1.0, change  # beyond the soft edge: unchanged
    sidecar = json.loads((tmp_path / "left_dream.png.json").read_text())
    assert sidecar["parameters"]["mask"] == str(tmp_path / "left.png")
    again = run_main("--from-sidecar", tmp_path / "left_dream.png.json", "-q", "-o", tmp_path / "again.png")
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "again.png").read_bytes() == output.read_bytes()


def test_a_mask_of_another_size_gets_one_clear_line(tmp_path):
    Image.fromarray(np.full((50, 50), 255, np.uint8)).save(tmp_path / "small.png")
    result = run_main("images/mountain.jpg", "--max-side", "128", "--mask", tmp_path / "small.png", "-q",
                      "-o", tmp_path / "x.jpg")
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 1 and len(lines) == 1, result.stderr
    assert "The mask is 50x50 pixels, the image 1024x576" in lines[0] and "the image's size" in lines[0]


def test_a_sidecar_from_before_the_robust_step_reruns_with_the_plain_step(tmp_path):

    output = tmp_path / "old.png"
    assert run_main("--noise", "80x80", "--layers", "mixed1", "--octaves", "1", "--steps", "2", "--transforms",
                    "none", "-q", "-o", output).returncode == 0
    sidecar = tmp_path / "old.png.json"
    record = json.loads(sidecar.read_text())
    for key in recipe.BEFORE_OPTIONS:
        del record["parameters"][key]  # as written before these options existed
    sidecar.write_text(json.dumps(record))
    assert recipe.read_sidecar(sidecar)["transforms"] == "none"
    again = tmp_path / "again.png"
    assert run_main("--from-sidecar", sidecar, "-q", "-o", again).returncode == 0
    assert again.read_bytes() == output.read_bytes()


# ----------------------------------------------------------------------------- options anywhere


@pytest.mark.parametrize("argv", [
    ["clip.mp4", "-o", "d.mp4"],
    ["--layers", "mixed4", "clip.mp4", "-o", "d.mp4"],
    ["-q", "clip.mp4", "-o", "d.mp4"],
    ["-o", "d.mp4", "--steps", "2", "clip.mp4"],
    ["--mode", "blend", "--carry=0.5", "clip.MOV"],
    ["--video", "-q", "clip.bin"],
])
def test_a_video_input_dreams_the_video_wherever_the_options_stand(argv):
    assert cli.is_video(argv)


@pytest.mark.parametrize("argv", [["images/mountain.jpg", "-o", "d.jpg"], ["-o", "d.mp4.jpg", "images/x.png"],
                                  ["--noise", "64x64", "-o", "clip.mp4"], ["-q"]])
def test_a_picture_or_noise_is_not_taken_for_a_video(argv):
    assert not cli.is_video(argv)


def _error_line(capsys) -> str:
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("deepdream: error:"), lines
    return lines[0]


def test_command_line_max_side_dreams_a_sixteen_bit_image_without_clipping_it(tmp_path):
    source = grey_ramp_16_bit(tmp_path / "g16.png")
    result = run_main(source, "--max-side", "256", "--steps", "1", "--octaves", "1", "-q", "-o", tmp_path / "d.png")
    assert result.returncode == 0, result.stderr
    mean = np.asarray(Image.open(tmp_path / "d.png"), dtype=np.float32).mean()
    assert 110 < mean < 145  # a grey ramp stays mid-grey (clipped to 8 bits first, it was 254)


def test_command_line_refuses_to_replace_a_foreign_file_unless_told(tmp_path):
    photo = tmp_path / "mine.jpg"
    photo.write_bytes((ROOT / "images" / "mountain.jpg").read_bytes())
    result = run_main("--noise", "60x60", "--layers", "conv2d_15", "--steps", "1", "--octaves", "1", "-q", "-o", photo)
    assert result.returncode == 1 and "--overwrite" in result.stderr and "dreaming" not in result.stdout
    assert photo.read_bytes() == (ROOT / "images" / "mountain.jpg").read_bytes()
    result = run_main("--noise", "60x60", "--layers", "conv2d_15", "--steps", "1", "--octaves", "1", "-q", "-o", photo,
                  "--overwrite")
    assert result.returncode == 0, result.stderr
    assert Image.open(photo).size == (60, 60)


def _sidecar(tmp_path: Path, **changes) -> Path:
    parameters = {"image": None, "noise": [60, 60]} | recipe.DEFAULTS | {"layers": {"conv2d_15": 1.0}}
    record = {"written_by": files.SUITE_MARK, "parameters": parameters | changes, "input_sha256": None}
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
    status = cli.main(["--from-sidecar", str(_sidecar(tmp_path, **changes)), "-q",
                                 "-o", str(tmp_path / "r.jpg")])
    assert status == 1
    line = _error_line(capsys)
    assert "edited.jpg.json" in line and re.search(message, line), line


def test_a_sidecar_missing_a_key_names_it(tmp_path, capsys):
    path = _sidecar(tmp_path)
    record = json.loads(path.read_text())
    del record["parameters"]["steps"]
    path.write_text(json.dumps(record))
    assert cli.main(["--from-sidecar", str(path), "-q"]) == 1
    assert "missing steps" in _error_line(capsys)


@pytest.mark.parametrize("content", ['{"parameters": []}', "[1, 2]", "{}"])
def test_a_sidecar_without_parameters_is_named_as_such(tmp_path, capsys, content):
    (tmp_path / "s.json").write_text(content)
    assert cli.main(["--from-sidecar", str(tmp_path / "s.json"), "-q"]) == 1
    assert "has no \"parameters\" object" in _error_line(capsys)


def test_a_picture_passed_as_the_sidecar_is_named_as_such(capsys):
    assert cli.main(["--from-sidecar", str(ROOT / "images" / "mountain.jpg"), "-q"]) == 1
    assert "is not a JSON sidecar" in _error_line(capsys)


def test_a_changed_start_image_is_refused_unless_allowed(tmp_path):
    source = tmp_path / "start.png"
    Image.fromarray(np.full((70, 70, 3), 120, np.uint8)).save(source)
    args = ("--layers", "conv2d_15", "--steps", "1", "--octaves", "1", "-q")
    assert run_main(source, *args, "-o", tmp_path / "a.jpg").returncode == 0
    Image.fromarray(np.full((70, 70, 3), 60, np.uint8)).save(source)
    result = run_main("--from-sidecar", tmp_path / "a.jpg.json", "-q", "-o", tmp_path / "b.jpg")
    assert result.returncode == 1 and "has changed" in result.stderr and "--allow-changed-input" in result.stderr
    result = run_main("--from-sidecar", tmp_path / "a.jpg.json", "-q", "-o", tmp_path / "b.jpg",
                      "--allow-changed-input")
    assert result.returncode == 0, result.stderr


def test_command_line_warns_about_a_huge_step_size_in_one_line(tmp_path):
    result = run_main("--noise", "60x60", "--layers", "conv2d_15", "--steps", "1", "--octaves", "1", "-q",
                      "--step-size", "1e9", "-o", tmp_path / "r.jpg")
    assert result.returncode == 0
    assert [line for line in result.stderr.splitlines() if line.strip()][0].startswith("deepdream: warning: step_size")


def test_each_result_has_its_own_sidecar(tmp_path):
    args = ("--noise", "60x60", "--layers", "conv2d_15", "--steps", "1", "--octaves", "1", "-q")
    assert run_main(*args, "-o", tmp_path / "x.jpg").returncode == 0
    assert run_main(*args, "--seed", "3", "-o", tmp_path / "x.png").returncode == 0
    assert json.loads((tmp_path / "x.jpg.json").read_text())["parameters"]["seed"] == 0
    assert json.loads((tmp_path / "x.png.json").read_text())["parameters"]["seed"] == 3


@pytest.mark.parametrize("signum,status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
@pytest.mark.slow
def test_stopping_mid_dream_saves_the_partial_dream_and_exits_like_a_shell_expects(tmp_path, signum, status):
    child = subprocess.Popen(
        [sys.executable, "-m", "deepdream", "--noise", "200x200", "--layers", "mixed3", "--octaves", "1",
         "--steps", "2000", "-o", str(tmp_path / "r.jpg")], cwd=ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, preexec_fn=with_ctrl_c)
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
    assert b"Traceback" not in err and leftovers(tmp_path) == []
