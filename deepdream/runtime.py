"""The process around a dream: TensorFlow's log, SIGTERM as Ctrl-C, and one-line messages.

One helper each, used by every part of the suite:

* ``tensorflow()``: imports TensorFlow with its C++ start-up lines kept out of notebooks and terminals,
  and with its own kernels rather than oneDNN's, whose sums change with the load (same seed, same picture);
* ``quiet_tensorflow_logs()``: the log setting alone, for processes that load TensorFlow later;
* ``sigterm_as_interrupt()``: SIGTERM stops a run as Ctrl-C does, and says which signal it was;
* ``OneLineParser``: a usage mistake reported in one line (exit status 2), not the usage block;
* ``one_line_warnings()``: Python warnings printed as ``prog: warning: ...``;
* ``grading_mode()``: whether nbgrader is grading the notebook (``DEEPDREAM_GRADING=1``).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import re
import signal
import sys
import threading
import warnings
from collections.abc import Iterator

from deepdream.i18n import N_
from deepdream.i18n import gettext as _

GRADING_VARIABLE = "DEEPDREAM_GRADING"  # set to 1 by `make grade` for the notebooks it runs


def grading_mode() -> bool:
    """Whether the notebook runs to be graded (``DEEPDREAM_GRADING=1``, set by ``make grade``).

    The graded notebooks' parameters cells read it and then dream small and quick: the checks are
    about correctness, and the pictures graders look at are the ones the student saved.
    """
    value = os.environ.get(GRADING_VARIABLE, "").strip().lower()
    return value not in ("", "0", "false", "no")


def quiet_tensorflow_logs() -> None:
    """Keeps TensorFlow's C++ log lines (INFO, WARNING, ERROR) off stderr, unless the user chose otherwise."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # read once, when TensorFlow loads


@functools.cache
def tensorflow():
    """TensorFlow, imported once with its native start-up lines (printed before its log level
    applies, with timestamps) kept off stderr, where notebooks would save them."""
    quiet_tensorflow_logs()
    # Same seed, same picture: oneDNN's kernels (TensorFlow's default on CPUs with AVX-512 VNNI, BF16 or
    # AMX) add in an order that changes with the load on the cores, so the same dream in two processes
    # could differ; its own kernels add in one order. TF_ENABLE_ONEDNN_OPTS=1 brings oneDNN back.
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import tensorflow
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    return tensorflow


class Stop:
    """Which signal stopped a run: ``signum`` is SIGINT (Ctrl-C) unless SIGTERM came."""

    signum: int = signal.SIGINT

    @property
    def exit_status(self) -> int:
        """What a shell expects of a process stopped by this signal: 128 + its number."""
        return 128 + self.signum


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[Stop]:
    """Within the block, SIGTERM raises KeyboardInterrupt, as Ctrl-C does; the handler before is restored.

    Only the main thread can handle signals: elsewhere (a test calling ``main()`` in a thread) this does nothing.
    """
    stop = Stop()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def interrupt(signum, frame) -> None:
        stop.signum = signal.SIGTERM
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


@contextlib.contextmanager
def one_line_warnings(prog: str) -> Iterator[None]:
    """Within the block, a Python warning prints as one line, ``prog: warning: message``."""

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        print(f"{prog}: warning: {message}", file=sys.stderr)

    previous, warnings.showwarning = warnings.showwarning, show
    try:
        yield
    finally:
        warnings.showwarning = previous


ARGPARSE_ERRORS = [  # argparse's own words for a usage mistake (Python 3.10-3.12), and the catalog's for them
    (r"the following arguments are required: (?P<arguments>.+)", N_("the following arguments are required: "
                                                                    "{arguments}")),
    (r"unrecognized arguments: (?P<arguments>.+)", N_("unrecognized arguments: {arguments}")),
    (r"argument (?P<argument>\S+): (?P<message>.+)", N_("argument {argument}: {message}")),
    (r"expected one argument", N_("expected one argument")),
    (r"invalid choice: (?P<value>.+?) \(choose from (?P<choices>.+)\)", N_("invalid choice: {value} (choose "
                                                                           "from {choices})")),
    (r"invalid (?P<type>\w+) value: (?P<value>.+)", N_("invalid {type} value: {value}")),
    (r"not allowed with argument (?P<argument>.+)", N_("not allowed with argument {argument}")),
    (r"ignored explicit argument (?P<value>.+)", N_("ignored explicit argument {value}")),
]


def argparse_error_in_words(message: str) -> str:
    """One of argparse's own error messages in the language in use (itself when it is not one of them)."""
    for pattern, said in ARGPARSE_ERRORS:
        found = re.fullmatch(pattern, message)
        if found:
            parts = {key: argparse_error_in_words(value) if key == "message" else value
                     for key, value in found.groupdict().items()}
            return _(said).format(**parts)
    return message


class OneLineParser(argparse.ArgumentParser):
    """Reports a usage mistake as one line (and exit status 2) instead of the usage block, and speaks the
    language in use (``deepdream.i18n``): argparse's own words too (usage, options, its error messages)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._positionals.title = _("positional arguments")
        self._optionals.title = _("options")
        for action in self._actions:
            if isinstance(action, argparse._HelpAction):
                action.help = _("show this help message and exit")

    def format_usage(self) -> str:
        return self._translated_usage(super().format_usage())

    def format_help(self) -> str:
        return self._translated_usage(super().format_help())

    @staticmethod
    def _translated_usage(text: str) -> str:
        return _("usage: ") + text.removeprefix("usage: ") if text.startswith("usage: ") else text

    def error(self, message: str) -> None:
        said = _("{message} (see --help)").format(message=argparse_error_in_words(message))
        self.exit(2, f"{self.prog.split()[0]}: error: {said}\n")


def progress_bar(total: int | None, desc: str, enabled: bool):
    """A plain-text progress bar (it shows in terminals and notebooks, and is saved with them).

    While running it shows the time spent and left; its last state leaves the times out, so a
    notebook saved after a run has the same text on every run.
    """
    from tqdm.std import tqdm

    class Bar(tqdm):
        def close(self) -> None:
            self.bar_format = "{l_bar}{bar}| {n_fmt}/{total_fmt}{postfix}"
            super().close()

    return Bar(total=total, desc=desc, disable=not enabled, file=sys.stdout, mininterval=1.0,
               ascii=False, dynamic_ncols=False, ncols=90)
