"""The service's settings, its refusals (a 4xx or 5xx with a message), and its messages said later.

``Settings`` is the one table of the service's defaults and limits: each field that is a
``deepdream serve`` option carries its flag's help and its smallest value, and the serve command builds
its parser from them (``options``). A value below its limit is a ``ValueError`` that names the option.

A job's error and note outlive the request that asked for the dream, and are often made outside any request
(by a worker, maybe on another machine, or the thread that follows the jobs): they are kept in English, their
fields filled in, and ``said`` translates them for each request that shows them.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from deepdream.i18n import N_
from deepdream.i18n import gettext as _


def _option(default: Any, kind: type, help: str, low: float | None = None, above: float | None = None,
            flag: str = "") -> Any:
    """A field that is also a serve option: ``low`` is its smallest value, ``above`` a bound it must exceed."""
    return dataclasses.field(default=default, metadata={"kind": kind, "help": help, "low": low, "above": above,
                                                        "flag": flag})


@dataclasses.dataclass(frozen=True)
class Settings:
    """How the service is run (the ``deepdream serve`` options)."""

    workers: int = _option(1, int, N_("dreams run at once in this process (0 with --broker: only `deepdream worker` "
                           "processes dream)"), low=0)
    queue: int = _option(8, int, N_("dreams that may wait; one more is answered 503"), low=1)
    per_client: int = _option(3, int, N_("dreams one browser (or one machine without cookies) may have waiting; one "
                              "more is answered 429"), low=1)
    max_upload_mb: float = _option(20.0, float, N_("upload limit in megabytes; a larger body is answered 413"), above=0)
    max_side: int = _option(1024, int, N_("longest side dreamed: uploads are shrunk to it (a form may ask for less)"),
                            low=32)
    max_video_frames: int = _option(240, int, N_("the longest clip a video job takes, in frames (one more is 413)"),
                                    low=1)
    max_video_side: int = _option(480, int, N_("a clip's frames are shrunk to this longest side"), low=32)
    preview_side: int = 384  # the live preview's longest side, pixels (`deepdream worker --preview-side`)
    data_dir: Path | None = None  # the history and the queue's SQLite store (None: in memory, as in the tests)
    broker: str | None = None  # a Redis URL: the queue is shared with `deepdream worker` on other machines
    keep_mb: float = _option(500.0, float, N_("the history's size in megabytes; the oldest dreams go first"), above=0)
    channel_steps: int = _option(16, int, N_("steps of each thumbnail in the page's channel strip"), low=1)
    token: str | None = None  # with a token, every API request needs it (deepdream.web.guard)
    keep_jobs: int = _option(32, int, N_("finished jobs kept in memory (the oldest go first)"), low=1)
    keep_seconds: float = 3600.0  # finished jobs are forgotten after this
    live_sessions: int = _option(2, int, N_("browsers that may dream their camera on /live at once; one more is "
                                 "answered 503"), low=1)
    stream_viewers: int = _option(4, int, N_("viewers of /live.mjpg (deepdream live --serve) at once, each holding "
                                  "a server thread; one more is answered 503"), low=1)
    wait_seconds: float = _option(600.0, float, N_("seconds POST /deepdream waits for its dream, then cancels it"),
                                  above=0, flag="--wait")
    network: bool = False  # served beyond loopback: each machine's dreams take one turn (deepdream.web.clients)
    proxies: int = _option(0, int, N_("behind a reverse proxy: how many proxies in front to trust for each client's "
                           "address (X-Forwarded-For; 0 trusts none)"), low=0)

    def __post_init__(self) -> None:
        for field, flag in options():
            value, low, above = getattr(self, field.name), field.metadata["low"], field.metadata["above"]
            if not math.isfinite(value):
                raise ValueError(_("{flag} must be a finite number, got {value!r}").format(flag=flag, value=value))
            if low is not None and value < low:
                raise ValueError(_("{flag} must be at least {low:g}, got {value!r}").format(flag=flag, low=low,
                                                                                          value=value))
            if above is not None and value <= above:
                raise ValueError(_("{flag} must be above {above:g}, got {value!r}").format(flag=flag, above=above,
                                                                                         value=value))


def options() -> Iterator[tuple[dataclasses.Field, str]]:
    """Each field of ``Settings`` that is a serve option, with its flag (``--per-client``)."""
    for field in dataclasses.fields(Settings):
        if "kind" in field.metadata:
            yield field, field.metadata["flag"] or "--" + field.name.replace("_", "-")


class Refusal(Exception):
    """A request the service refuses: answered with ``status`` and ``{"error": message}``."""

    def __init__(self, message: str, status: int = 400, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.headers = status, headers or {}


# The messages said later that have fields (a message without fields needs no entry: the catalog has it as it is).
FAILED_INSIDE = N_("The dream failed inside the worker ({error_type}); the worker's log has the details.")
LOST_EACH_TIME = N_("The dream was started {times} times and {why} each time (out of memory?): try a smaller "
                    "picture or fewer octaves.")
WORKER_SILENT = N_("its worker ({worker}) stopped answering")
STRIP_FAILED = N_("The channels of {layer} could not be dreamed ({error_type}); the server's log has why.")
IMAGE_SHRUNK = N_("The image was {width}x{height} pixels; it was dreamed at {dreamed_width}x{dreamed_height} "
                  "(longest side {max_side}).")
CLIP_SHRUNK = N_("The clip is {width}x{height}; it is dreamed at {dreamed_width}x{dreamed_height}.")
SAID_LATER = (FAILED_INSIDE, LOST_EACH_TIME, WORKER_SILENT, STRIP_FAILED, IMAGE_SHRUNK, CLIP_SHRUNK)
STATES = {"queued": N_("queued"), "running": N_("running"), "done": N_("done"), "failed": N_("failed"),
          "cancelled": N_("cancelled")}  # a job's state, as a sentence says it (the API's "state" stays as it is)
NOT_KEPT = N_("It could not be kept in your history (the server's disk?): download it now.")  # after a note


@functools.cache
def _filled_in(template: str) -> re.Pattern[str]:
    """What ``template`` looks like with its fields filled in: each field a group of its name."""
    parts = re.split(r"\{(\w+)\}", template)  # text, field, text, field, ..., text
    return re.compile("".join(f"(?P<{part}>.+?)" if index % 2 else re.escape(part) for index, part in enumerate(parts)),
                      re.DOTALL)


def said(text: str | None) -> str | None:
    """A message said later (a job's error or note, kept in English) in the language of the request that shows it.

    A message the catalog has, or one of ``SAID_LATER`` filled in (its ``why`` said too), is translated, and a
    note followed by ``NOT_KEPT`` is said in two; anything else (a core error in a worker's language) is said as
    it is.
    """
    if not text:
        return text
    if text.endswith(" " + NOT_KEPT):
        return f"{said(text[:-len(NOT_KEPT) - 1])} {_(NOT_KEPT)}"
    for template in SAID_LATER:
        match = _filled_in(template).fullmatch(text)
        if match:
            fields = match.groupdict()
            if "why" in fields:
                fields["why"] = said(fields["why"])
            return _(template).format(**fields)
    return _(text)


def state_said(state: str) -> str:
    """A job's state in the language in use, for a sentence (``"queued"`` -> 排队中)."""
    return _(STATES[state]) if state in STATES else state
