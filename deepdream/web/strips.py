"""The studio's channel strip: what each channel of a layer dreams, made once per layer and kept on disk.

The first time the page asks for a layer's strip (``GET /api/channels/<layer>``), a thread dreams
every channel of it from noise (``deepdream.channels``: about 2 minutes for mixed3's 768 on 2 cores),
one layer at a time. After each batch the sprite sheet so far is written, so the page shows the
thumbnails as they come, with the count done. The finished sheet and its record are kept in the data
folder (``channels/``), so a layer is dreamed once, not once per browser or per restart.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import threading
import traceback
from pathlib import Path
from typing import Any

from deepdream import backbones, channels
from deepdream.files import jpeg_bytes, write_atomically
from deepdream.i18n import gettext as _
from deepdream.web.scheduler import CpuTurns
from deepdream.web.settings import STRIP_FAILED


class _Closed(Exception):
    """Raised inside a strip's batch callback when the server stops."""


class ChannelStrips:
    """Each layer's channel strip: made on first request in a thread, kept in ``folder``.

    Args:
        folder: where the sheets are kept (None: a temporary folder, removed by ``close``).
        steps: gradient steps per thumbnail.
        turns: the web process's CPU turns (``deepdream.web.scheduler``): a strip yields to live frames.
    """

    def __init__(self, folder: Path | None, steps: int = channels.STEPS, turns: CpuTurns | None = None):
        self._temporary = folder is None
        self.folder = Path(tempfile.mkdtemp(prefix="deepdream-channels-")) if folder is None else Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.steps = steps
        self.turns = turns  # the web process's CPU turns: a strip waits between batches while live frames come
        self.backbone = backbones.DEFAULT
        self.weights = backbones.default_weights(self.backbone)
        self.layers = backbones.get(self.backbone).layers_for(self.weights)
        self._lock = threading.Lock()  # guards _states
        self._one_at_a_time = threading.Lock()  # one layer is dreamed at a time
        self._states: dict[str, dict[str, Any]] = {}
        self._closed = False
        self._closing = threading.Event()  # set with _closed: a strip waiting for its turn stops waiting

    def _path(self, layer: str, suffix: str) -> Path:
        return self.folder / f"{self.backbone}-{self.weights}-{layer}-{channels.SIDE}px-{self.steps}steps{suffix}"

    def status(self, layer: str) -> dict[str, Any]:
        """The strip of ``layer``: done (with its sheet's layout), or queued or running (started here if new).

        Raises:
            ValueError: a layer the network does not have.
        """
        if layer not in self.layers:
            named = ", ".join(backbones.get(self.backbone).suggested_layers)
            raise ValueError(_("No layer {layer!r} to show channels of: choose one of {layers} (or another layer "
                               "dd.layer_names() lists).").format(layer=layer, layers=named))
        kept = self._kept(layer)
        if kept is not None:
            return kept
        with self._lock:
            state = self._states.get(layer)
            if state is None or state["state"] == "failed":
                state = self._states[layer] = {"layer": layer, "state": "queued", "done": 0, "total": None,
                                               "columns": channels.COLUMNS, "side": channels.SIDE, "steps": self.steps,
                                               "error": None}
                threading.Thread(target=self._make, args=(layer,), name=f"channels-{layer}", daemon=True).start()
            return dict(state)

    def sprite(self, layer: str) -> bytes | None:
        """The sheet of ``layer`` as it is now (partial while it is dreamed), or None before its first batch."""
        path = self._path(layer, ".jpg")
        return path.read_bytes() if layer in self.layers and path.is_file() else None

    def close(self) -> None:
        """Stops a strip being dreamed at its next batch and waits for it; removes a temporary folder."""
        self._closed = True
        self._closing.set()
        if self._one_at_a_time.acquire(timeout=120):  # the batch under way ends (a few seconds at most)
            self._one_at_a_time.release()
        if self._temporary:
            shutil.rmtree(self.folder, ignore_errors=True)

    def _kept(self, layer: str) -> dict[str, Any] | None:
        try:
            record = json.loads(self._path(layer, ".json").read_text())
            if self._path(layer, ".jpg").is_file():
                return record | {"state": "done", "done": record["total"], "error": None}
        except (OSError, ValueError, KeyError):
            pass
        return None

    def _update(self, layer: str, **changes: Any) -> None:
        with self._lock:
            self._states[layer].update(changes)

    def _make(self, layer: str) -> None:
        def on_batch(done: int, total: int, so_far: Any) -> None:
            sheet = jpeg_bytes(channels.sprite_sheet(so_far) / 255.0, quality=85)
            write_atomically(self._path(layer, ".jpg"), lambda file: file.write(sheet), overwrite=True)
            self._update(layer, done=done, total=total)
            if self.turns is not None and not self._closed:
                self.turns.between_steps(self._closing)  # live frames first
            if self._closed:
                raise _Closed

        with self._one_at_a_time:
            if self._closed:
                return
            try:
                total = channels.channel_count(layer, self.backbone, self.weights)
                self._update(layer, state="running", total=total)
                channels.dream_channels(layer, steps=self.steps, backbone=self.backbone, weights=self.weights,
                                        on_batch=on_batch)
                record = {"layer": layer, "total": total, "columns": min(channels.COLUMNS, total),
                          "side": channels.SIDE, "steps": self.steps}
                write_atomically(self._path(layer, ".json"), lambda file: file.write(json.dumps(record).encode()),
                                 overwrite=True, suffixes=(".json",))
                self._update(layer, state="done", columns=record["columns"])
            except _Closed:
                pass
            except Exception as error:  # logged in full; the page gets one line
                traceback.print_exc(file=sys.stderr)
                self._update(layer, state="failed", error=STRIP_FAILED.format(  # said later (settings.said)
                    layer=layer, error_type=type(error).__name__))
