"""The process around a dream: TensorFlow's quiet import, SIGTERM as Ctrl-C, one-line messages."""

import os
import signal
import warnings

import pytest

from deepdream import runtime
from tests.helpers import run_python


def test_importing_tensorflow_prints_nothing_on_stderr_and_leaves_onednn_off():
    code = "import os; from deepdream import runtime; runtime.tensorflow(); print(os.environ['TF_ENABLE_ONEDNN_OPTS'])"
    unset = ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS")
    environment = {key: value for key, value in os.environ.items() if key not in unset}
    result = run_python(code, timeout=120, env=environment)
    assert result.stdout.strip() == "0" and result.stderr == ""  # oneDNN's sums change with the load


def test_sigterm_stops_a_block_as_ctrl_c_does_and_says_which_signal_it_was():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt), runtime.sigterm_as_interrupt() as stop:
        signal.raise_signal(signal.SIGTERM)
    assert stop.signum == signal.SIGTERM and stop.exit_status == 143
    assert signal.getsignal(signal.SIGTERM) == before


def test_a_usage_mistake_is_one_line_and_status_2(capsys):
    parser = runtime.OneLineParser(prog="deepdream serve")
    parser.add_argument("--port", type=int)
    with pytest.raises(SystemExit) as stopped:
        parser.parse_args(["--port", "x"])
    assert stopped.value.code == 2
    assert capsys.readouterr().err.startswith("deepdream: error: argument --port: invalid int value")


def test_a_warning_prints_as_one_line(capsys):
    with runtime.one_line_warnings("deepdream"):
        warnings.warn("step_size=1e9 is very large", UserWarning, stacklevel=1)
    assert capsys.readouterr().err == "deepdream: warning: step_size=1e9 is very large\n"


@pytest.mark.parametrize("value,grading", [(None, False), ("", False), ("0", False), ("no", False), ("1", True),
                                           ("true", True), ("yes", True)])
def test_grading_mode_follows_its_environment_variable(monkeypatch, value, grading):
    if value is None:
        monkeypatch.delenv(runtime.GRADING_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(runtime.GRADING_VARIABLE, value)
    assert runtime.grading_mode() is grading


@pytest.fixture
def chinese():
    """The package in Chinese for one test, English again after it."""
    from deepdream import i18n

    with i18n.speaking("zh_CN"):
        yield


def test_argparses_own_words_are_said_in_chinese_and_left_as_they_are_in_english(chinese, capsys):
    parser = runtime.OneLineParser(prog="deepdream")
    parser.add_argument("image")
    parser.add_argument("--steps", type=int, choices=[1, 2])
    help_text = parser.format_help()
    assert help_text.startswith("用法：deepdream [-h]") and "位置参数:" in help_text and "选项:" in help_text
    assert "显示本帮助信息并退出" in help_text and "show this help" not in help_text and "usage:" not in help_text
    with pytest.raises(SystemExit):
        parser.parse_args(["a.jpg", "--steps", "x"])
    assert capsys.readouterr().err == "deepdream: error: 参数 --steps：无效的 int 值：'x'（见 --help）\n"
    assert runtime.argparse_error_in_words("the following arguments are required: image") == "缺少必需的参数：image"
    assert runtime.argparse_error_in_words("a message of our own") == "a message of our own"


def test_an_unknown_argparse_message_is_kept_and_english_is_argparses_own():
    assert runtime.argparse_error_in_words("argument --steps: invalid choice: 3 (choose from 1, 2)") == (
        "argument --steps: invalid choice: 3 (choose from 1, 2)")
    assert runtime.argparse_error_in_words("something argparse may say one day") == "something argparse may say one day"
