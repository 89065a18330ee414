"""Dreaming live in the browser: the ``/live`` page's camera, and the ``/live.mjpg`` stream.

Routes (a blueprint, ``create_app`` registers it):
    GET    /live                the page (static/live.html, live.js): the camera beside its dream
    POST   /api/live/frame      a multipart ``frame`` (a JPEG) and the settings; answers the dreamed JPEG
    POST   /api/live/record     ``action=start`` keeps the dreamed frames; ``action=stop`` answers the MP4
    DELETE /api/live            ends this browser's live session
    GET    /live.mjpg           the dream of ``deepdream live SOURCE --serve``, as an MJPEG stream

**The newest frame wins.** The page sends a frame only when the last one came back, and it sends the
camera's newest; the server refuses a second frame from a browser while one is dreamed (409). Each browser
has one live session (its cookie's id; a client without cookies, its machine's address): the flow-coherent
``deepdream.live.LiveDreamer``, and a recording if one is on. Frames are dreamed in one live dreamer thread,
not in the request's (which waits for its frame), one frame each in turn, first come first served, so two
browsers share the CPU evenly, and before the queue's jobs (``deepdream.web.scheduler``);
``--live-sessions`` bounds how many there are (one more is a 503), and a session idle for ``IDLE_SECONDS``
is dropped with its state.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import math
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from flask import Blueprint, Response, current_app, g, jsonify, request

from deepdream import backbones
from deepdream import live as core
from deepdream.i18n import gettext as _
from deepdream.web import locales
from deepdream.web.forms import read_number
from deepdream.web.scheduler import CpuTurns
from deepdream.web.settings import Refusal

IDLE_SECONDS = 30.0  # a live session without a frame for this long is dropped
MAX_RECORD_FRAMES = 3000  # a recording keeps at most this many frames (10 minutes at 5 a second)
BROADCAST = "deepdream_live_broadcast"  # app.extensions key of the stream `deepdream live --serve` feeds
FIELDS = {"layer": str, "strength": float, "steps": int, "width": int, "folds": int, "mirror": bool}

blueprint = Blueprint("live", __name__)


class LiveSession:
    """One browser's live dream: its dreamer, its recording, and when it last sent a frame.

    The recording is started, stopped and added to only under the session's lock: a frame's request
    and ``/api/live/record`` run in different server threads.
    """

    def __init__(self) -> None:
        self.dreamer = core.LiveDreamer()
        self._recorder: core.Recorder | None = None
        self._recording = threading.Lock()
        self.busy = False
        self.seen = time.monotonic()

    def start_recording(self) -> None:
        with self._recording:
            self._recorder = core.Recorder(MAX_RECORD_FRAMES)

    def stop_recording(self) -> core.Recorder | None:
        """The recording as it stands (None if there was none); the session records no more."""
        with self._recording:
            recorder, self._recorder = self._recorder, None
        return recorder

    def record(self, jpeg: bytes) -> str | None:
        """Adds a frame shown to the recording, if one runs: the ``X-Live-Recorded`` count, else None."""
        with self._recording:
            if self._recorder is None:
                return None
            self._recorder.add(jpeg)
            return str(len(self._recorder.frames)) + (" (full)" if self._recorder.full else "")


class LiveSessions:
    """The live sessions of one app, their turns at the CPU, and the idle ones' dropping.

    Args:
        limit: sessions at once (``--live-sessions``); one more browser is refused with a 503.
        idle_seconds: a session without a frame for this long is dropped.
        turns: the process's CPU turns, shared with the queue's workers and the strips (a new one if None).
        stream_viewers: viewers of ``/live.mjpg`` at once; one more is refused with a 503.
    """

    def __init__(self, limit: int, idle_seconds: float = IDLE_SECONDS, turns: CpuTurns | None = None,
                 stream_viewers: int = 4):
        self.limit, self.idle_seconds = limit, idle_seconds
        self.stream_viewers = stream_viewers
        self.viewers = threading.BoundedSemaphore(stream_viewers)  # /live.mjpg's, each holding a server thread
        self._dreamer = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="live-dreamer")
        self.turns = turns or CpuTurns()  # the process's CPU turns: live frames first (deepdream.web.scheduler)
        self.sessions: dict[str, LiveSession] = {}
        self._lock = threading.Condition()
        self._sweeper: threading.Thread | None = None

    def take(self, client: str) -> LiveSession:
        """This client's session, made if new, marked busy: ``release`` it after its frame."""
        with self._lock:
            self._sweep()
            session = self.sessions.get(client)
            if session is None:
                if len(self.sessions) >= self.limit:
                    raise Refusal(_("The live studio is full ({limit} cameras are dreaming): try again in a "
                                    "minute, when one has stopped.").format(limit=self.limit), 503,
                                  {"Retry-After": "30"})
                session = self.sessions[client] = LiveSession()
                if self._sweeper is None:  # it ends itself once no session is left
                    self._sweeper = threading.Thread(target=self._sweep_while_any, name="live-sweeper", daemon=True)
                    self._sweeper.start()
            if session.busy:
                raise Refusal(_("One frame at a time: this browser's last frame is still being dreamed (the newest "
                                "frame wins: send the next when this one has come back)."), 409)
            session.busy, session.seen = True, time.monotonic()
            return session

    def release(self, session: LiveSession) -> None:
        with self._lock:
            session.busy, session.seen = False, time.monotonic()

    def dream(self, session: LiveSession, picture: np.ndarray, settings: core.LiveSettings) -> tuple[np.ndarray, float]:
        """One frame dreamed in the live dreamer thread, in its turn; the request thread only waits for it.
        Returns the dreamed frame and the seconds it took."""
        def run() -> tuple[np.ndarray, float]:
            with self.turn():
                started = time.perf_counter()
                dreamed = session.dreamer.dream(picture, settings)
                return dreamed, time.perf_counter() - started

        return self._dreamer.submit(run).result()

    def turn(self) -> contextlib.AbstractContextManager[None]:
        """``with sessions.turn():`` waits for this frame's turn at the CPU (first come, first served; the
        queue's jobs and the strips wait between their steps meanwhile)."""
        return self.turns.live()

    def end(self, client: str) -> LiveSession | None:
        with self._lock:
            return self.sessions.pop(client, None)

    def _sweep(self) -> None:
        now = time.monotonic()
        for client, session in list(self.sessions.items()):
            if not session.busy and now - session.seen > self.idle_seconds:
                del self.sessions[client]  # its dreamer, carried detail and recording go with it

    def _sweep_while_any(self) -> None:
        while True:
            time.sleep(min(5.0, self.idle_seconds / 4))
            with self._lock:
                self._sweep()
                if not self.sessions:
                    self._sweeper = None
                    return


def _sessions() -> LiveSessions:
    return current_app.extensions["deepdream_live"]


def read_settings(form: Any, current: core.LiveSettings) -> core.LiveSettings:
    """The live settings a form asks for (fields left out keep ``current``); a bad one is a 400."""
    given: dict[str, Any] = {}
    for name, kind in FIELDS.items():
        text = (form.get(name) or "").strip()
        if not text:
            continue
        if kind is bool:
            given[name] = text.lower() in ("1", "true", "on", "yes")
        elif kind is str:
            given[name] = text
        else:  # the type here, the limits in core.LiveSettings (the live table, shared with `deepdream live`)
            given[name] = read_number(name, text, kind, -math.inf, math.inf)
    if "layer" in given:
        record = backbones.get(backbones.DEFAULT)
        known = record.layers_for(backbones.default_weights(record.name))
        if given["layer"] not in known:
            raise Refusal(_("No layer {layer!r} to dream live: try one of {layers}.").format(
                layer=given["layer"], layers=", ".join(record.suggested_layers)), 400)
    try:
        return core.LiveSettings(**{**current.__dict__, **given})
    except ValueError as error:
        raise Refusal(str(error), 400) from None


def _decode(upload: Any) -> np.ndarray:
    if upload is None:
        raise Refusal(_("Send the camera's frame as the multipart file 'frame' (a JPEG)."), 400)
    frame = cv2.imdecode(np.frombuffer(upload.read(), np.uint8), cv2.IMREAD_COLOR)
    if frame is None or frame.ndim != 3 or min(frame.shape[:2]) < 16:
        raise Refusal(_("The 'frame' is not a JPEG or PNG picture of at least 16x16 pixels."), 400)
    return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)


@blueprint.get("/live")
def page() -> Response:
    return locales.render_page("live.html", "live.js")


@blueprint.post("/api/live/frame")
def frame() -> Response:
    picture = _decode(request.files.get("frame"))
    sessions = _sessions()
    session = sessions.take(g.turn)
    try:
        settings = read_settings(request.form, session.dreamer.settings)
        dreamed, seconds = sessions.dream(session, picture, settings)  # in the live dreamer's thread
        jpeg = core.encode_jpeg(dreamed)
        recorded = session.record(jpeg)
    finally:
        sessions.release(session)
    response = Response(jpeg, mimetype="image/jpeg")
    response.headers.update({"Cache-Control": "no-store", "X-Live-Frame": str(session.dreamer.index),
                             "X-Live-Dream-Seconds": f"{seconds:.3f}"})
    if recorded is not None:
        response.headers["X-Live-Recorded"] = recorded
    return response


@blueprint.post("/api/live/record")
def record() -> Response:
    action = (request.form.get("action") or "").strip()
    session = _sessions().sessions.get(g.turn)
    if action not in ("start", "stop"):
        raise Refusal(_("action must be start or stop."), 400)
    if session is None:
        raise Refusal(_("No live session in this browser: start the camera first."), 409)
    if action == "start":
        session.start_recording()
        return jsonify(state="recording")
    recorder = session.stop_recording()
    if recorder is None or not recorder.frames:
        raise Refusal(_("Nothing was recorded: press record, let a few frames come back, then stop."), 409)
    recorder.stop()
    with tempfile.TemporaryDirectory(prefix="deepdream-live-") as folder:
        data = recorder.write(Path(folder) / "live.mp4").read_bytes()
    response = Response(data, mimetype="video/mp4")
    response.headers["Content-Disposition"] = 'attachment; filename="deepdream_live.mp4"'
    response.headers["X-Live-Recorded"] = f"{len(recorder.frames)} frames, {recorder.seconds:.2f} s"
    return response


@blueprint.delete("/api/live")
def end() -> Response:
    ended = _sessions().end(g.turn)
    return jsonify(state="ended" if ended is not None else "none")


@blueprint.get("/live.mjpg")
def stream() -> Response:
    broadcast: core.Broadcast | None = current_app.extensions.get(BROADCAST)
    if broadcast is None:
        raise Refusal(_("No live stream on this server: start one with deepdream live SOURCE --serve."), 404)

    sessions = _sessions()
    if not sessions.viewers.acquire(blocking=False):
        raise Refusal(_("The stream has {viewers} viewers, the most this server shows it to at once: try again "
                        "when one has closed it.").format(viewers=sessions.stream_viewers), 503,
                      {"Retry-After": "30"})

    def parts() -> Any:
        number = 0
        while not broadcast.ended:
            number, jpeg = broadcast.next(number)
            if jpeg is not None:
                yield (b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: " + str(len(jpeg)).encode()
                       + b"\r\n\r\n" + jpeg + b"\r\n")

    try:
        response = Response(parts(), mimetype="multipart/x-mixed-replace; boundary=frame")
        response.headers["Cache-Control"] = "no-store"
        response.call_on_close(sessions.viewers.release)  # the viewer closed it, or the stream ended
    except BaseException:
        sessions.viewers.release()
        raise
    return response
