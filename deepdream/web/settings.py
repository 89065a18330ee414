"""The service's settings (the ``deepdream serve`` options) and its refusals (a 4xx or 5xx with a message)."""

from __future__ import annotations

import dataclasses
from pathlib import Path


@dataclasses.dataclass(frozen=True)
class Settings:
    """How the service is run (the ``deepdream serve`` options)."""

    workers: int = 1  # dreams run at once
    queue: int = 8  # dreams that may wait; one more is answered 503
    per_client: int = 3  # dreams one browser or API client may have waiting; one more is answered 429
    max_upload_mb: float = 20.0  # a larger body is answered 413
    max_side: int = 1024  # uploads are shrunk to this longest side (and a form may ask for less)
    max_video_frames: int = 240  # a longer clip is answered 413
    max_video_side: int = 480  # a clip's frames are shrunk to this longest side
    preview_side: int = 384  # the live preview's longest side, pixels
    data_dir: Path | None = None  # the history and the queue's SQLite store (None: in memory, as in the tests)
    broker: str | None = None  # a Redis URL: the queue is shared with `deepdream worker` on other machines
    keep_mb: float = 500.0  # the history's size; the oldest dreams go first
    channel_steps: int = 16  # steps of each thumbnail of the channel strip (deepdream.channels)
    token: str | None = None  # with a token, every API request needs it (deepdream.web.guard)
    keep_jobs: int = 32  # finished jobs kept (the oldest go first)
    keep_seconds: float = 3600.0  # finished jobs are forgotten after this
    live_sessions: int = 2  # browsers dreaming their camera at once (the /live page); one more is answered 503
    wait_seconds: float = 600.0  # POST /deepdream gives up (and cancels its dream) after this
    network: bool = False  # served beyond loopback: each machine's dreams take one turn (deepdream.web.clients)
    proxies: int = 0  # proxies in front whose X-Forwarded-For is trusted (0: none, the client's own address)


class Refusal(Exception):
    """A request the service refuses: answered with ``status`` and ``{"error": message}``."""

    def __init__(self, message: str, status: int = 400, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.headers = status, headers or {}
