"""The studio's history: each finished dream kept in a data folder, indexed in SQLite, per browser.

The data folder (``deepdream serve --data-dir``; by default the user's data directory) holds::

    history.sqlite3          the index: one row per dream (its client, time, bytes on disk, parameters)
    dreams/<id>.jpg          the picture
    dreams/<id>.jpg.json     its sidecar (the chain of steps that made it)
    dreams/<id>.thumb.jpg    a thumbnail for the page's strip
    dreams/<id>.mask.png     the mask it was dreamed with, if any
    dreams/<id>.webp|.mp4    a zoom's or a clip's file (its picture is then the last frame)

Each file is written atomically before its row is added, so a row has its files unless something
outside removed them: such a row, or a corrupt file, is skipped with a log line, never an error for the
client. Each dream belongs to one client (the anonymous id in the browser's cookie) and only that client
lists, opens or deletes it. When the folder is over ``keep_mb``, the oldest dreams go first.

Routes (the ``history`` blueprint; without a data folder each is a 404 that says so):
    GET    /api/history             this browser's kept dreams, newest first
    GET    /api/history/<id>/<file> picture, sidecar, thumbnail, mask, or the zoom's or clip's file
    DELETE /api/history/<id>        forget one
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from flask import Blueprint, Response, current_app, g, jsonify
from PIL import Image

from deepdream.files import jpeg_bytes, write_atomically
from deepdream.i18n import gettext as _
from deepdream.web.settings import Refusal

THUMBNAIL_SIDE = 160  # the strip's thumbnails, longest side in pixels
MOVIES = {"webp": "image/webp", "mp4": "video/mp4"}  # the kinds of a moving picture's file: a zoom's, a clip's
KINDS = {"picture": ".jpg", "sidecar": ".jpg.json", "thumbnail": ".thumb.jpg", "mask": ".mask.png", "webp": ".webp",
         "mp4": ".mp4"}
SCHEMA = """CREATE TABLE IF NOT EXISTS dreams (
    id TEXT PRIMARY KEY, client TEXT NOT NULL, created REAL NOT NULL, bytes INTEGER NOT NULL,
    parameters TEXT NOT NULL, has_mask INTEGER NOT NULL DEFAULT 0)"""
MIMETYPES = {"picture": "image/jpeg", "sidecar": "application/json", "thumbnail": "image/jpeg",
             "mask": "application/octet-stream", **MOVIES}

blueprint = Blueprint("history", __name__)


def default_data_dir() -> Path:
    """The user's data directory for the studio: XDG on Linux, Application Support on macOS, LOCALAPPDATA on Windows."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "deepdream"


def _log(message: str) -> None:
    print(f"deepdream history: {message}", file=sys.stderr, flush=True)


class History:
    """The dreams kept in ``folder``, indexed in ``folder/history.sqlite3``.

    Args:
        folder: the data folder (created if missing).
        keep_mb: the most megabytes of dreams kept; the oldest go first.
    """

    def __init__(self, folder: Path, keep_mb: float = 500.0):
        self.folder = Path(folder)
        self.dreams = self.folder / "dreams"
        self.keep_bytes = int(keep_mb * 1024 * 1024)
        try:
            self.dreams.mkdir(parents=True, exist_ok=True)
            with self._database() as db:
                db.execute(SCHEMA)
        except (OSError, sqlite3.Error) as error:
            raise ValueError(_("Cannot keep the history in '{folder}' ({error}): choose another --data-dir that you "
                               "can write to.").format(folder=self.folder, error=error)) from None

    @contextlib.contextmanager
    def _database(self):
        db = sqlite3.connect(self.folder / "history.sqlite3", timeout=30)
        try:
            with db:  # one transaction, committed on success
                yield db
        finally:
            db.close()

    def path(self, dream_id: str, kind: str) -> Path:
        """The file of one dream: kind is ``picture``, ``sidecar``, ``thumbnail``, ``mask``, ``webp`` or ``mp4``."""
        return self.dreams / f"{dream_id}{KINDS[kind]}"

    def add(self, client: str, dream_id: str, jpeg: bytes, sidecar: dict[str, Any], mask_png: bytes | None = None,
            movie: tuple[str, bytes] | None = None) -> None:
        """Keeps one finished dream (files first, then its row), then trims the oldest to ``keep_mb``.

        Args:
            client: whose dream it is.
            dream_id: its id (the job's).
            jpeg: the picture (a zoom's or a clip's last frame).
            sidecar: its record.
            mask_png: the mask it was dreamed with.
            movie: a zoom's or a clip's file, (``"webp"`` or ``"mp4"``, bytes).
        """
        with Image.open(io.BytesIO(jpeg)) as img:
            thumbnail = jpeg_bytes(np.asarray(img.convert("RGB")), 80, max_side=THUMBNAIL_SIDE)
        blobs = {"picture": jpeg, "sidecar": json.dumps(sidecar, indent=2).encode(), "thumbnail": thumbnail}
        if mask_png is not None:
            blobs["mask"] = mask_png
        if movie is not None:
            blobs[movie[0]] = movie[1]
        for kind, data in blobs.items():  # each whole or not at all, even if the server is stopped
            write_atomically(self.path(dream_id, kind), lambda file, data=data: file.write(data), overwrite=True,
                             suffixes=(".jpg", ".json", ".png", ".webp", ".mp4"))
        with self._database() as db:
            db.execute("INSERT OR REPLACE INTO dreams VALUES (?, ?, ?, ?, ?, ?)",
                       (dream_id, client, time.time(), sum(map(len, blobs.values())),
                        json.dumps(sidecar["parameters"]), int(mask_png is not None)))
        self.trim()

    def list(self, client: str) -> list[dict[str, Any]]:
        """This client's dreams, newest first: id, time, parameters; a row whose files are gone is skipped."""
        with self._database() as db:
            rows = db.execute("SELECT id, created, parameters, has_mask FROM dreams WHERE client = ? "
                              "ORDER BY created DESC, rowid DESC", (client,)).fetchall()
        found = []
        for dream_id, created, parameters, has_mask in rows:
            if not all(self.path(dream_id, kind).is_file() for kind in ("picture", "sidecar", "thumbnail")):
                _log(f"skipped dream {dream_id}: a file of it is missing from {self.dreams}")
                continue
            try:
                parameters = json.loads(parameters)
            except json.JSONDecodeError:
                _log(f"skipped dream {dream_id}: its parameters in the index are not JSON")
                continue
            movie = next((kind for kind in MOVIES if self.path(dream_id, kind).is_file()), None)
            found.append({"id": dream_id, "created": created, "parameters": parameters, "has_mask": bool(has_mask),
                          "movie": movie})
        return found

    def owns(self, client: str, dream_id: str) -> bool:
        """Whether ``dream_id`` is one of this client's dreams."""
        with self._database() as db:
            return db.execute("SELECT 1 FROM dreams WHERE id = ? AND client = ?", (dream_id, client)).fetchone() \
                is not None

    def read(self, client: str, dream_id: str, kind: str) -> bytes | None:
        """One file of one of this client's dreams; None if it is not theirs, or the file is gone."""
        if not self.owns(client, dream_id):
            return None
        try:
            data = self.path(dream_id, kind).read_bytes()
        except OSError as error:
            _log(f"cannot read the {kind} of dream {dream_id}: {error}")
            return None
        if kind == "sidecar":
            try:
                json.loads(data)
            except (UnicodeDecodeError, json.JSONDecodeError):
                _log(f"the sidecar of dream {dream_id} is corrupt: skipped")
                return None
        return data

    def delete(self, client: str, dream_id: str) -> bool:
        """Deletes one of this client's dreams (row and files); False if it is not theirs."""
        with self._database() as db:
            deleted = db.execute("DELETE FROM dreams WHERE id = ? AND client = ?", (dream_id, client)).rowcount
        if deleted:
            self._remove_files(dream_id)
        return bool(deleted)

    def trim(self) -> None:
        """Deletes the oldest dreams (of any client) until the kept ones fit in ``keep_mb``."""
        with self._database() as db:
            rows = db.execute("SELECT id, bytes FROM dreams ORDER BY created DESC, rowid DESC").fetchall()
            total, dropped = 0, []
            for dream_id, size in rows:
                total += size
                if total > self.keep_bytes:
                    dropped.append(dream_id)
            db.executemany("DELETE FROM dreams WHERE id = ?", [(dream_id,) for dream_id in dropped])
        for dream_id in dropped:
            self._remove_files(dream_id)

    def _remove_files(self, dream_id: str) -> None:
        for kind in KINDS:
            with contextlib.suppress(FileNotFoundError):
                self.path(dream_id, kind).unlink()


def _kept() -> History:
    history = current_app.extensions["deepdream"].history
    if history is None:
        raise Refusal(_("This server keeps no history: start it with --data-dir."), 404)
    return history


@blueprint.get("/api/history")
def listing() -> Response:  # this client's dreams, newest first
    dreams = []
    for entry in _kept().list(g.client):
        base = f"/api/history/{entry['id']}"
        urls = {f"{kind}_url": f"{base}/{kind}" for kind in ("picture", "sidecar", "thumbnail")}
        if entry["has_mask"]:
            urls["mask_url"] = f"{base}/mask"
        if entry["movie"]:
            urls["movie_url"] = f"{base}/{entry['movie']}"
        dreams.append(entry | urls)
    return jsonify(dreams=dreams)


@blueprint.get("/api/history/<dream_id>/<kind>")
def kept_file(dream_id: str, kind: str) -> Response:
    if kind not in MIMETYPES:
        raise Refusal(_("No such file of a dream: {kind!r}; they are {kinds}.").format(
            kind=kind, kinds=", ".join(MIMETYPES)), 404)
    data = _kept().read(g.client, dream_id, kind)
    if data is None:
        raise Refusal(_("No dream {dream_id!r} in your history (or its {kind} is gone).").format(
            dream_id=dream_id, kind=kind), 404)
    response = Response(data, mimetype=MIMETYPES[kind])
    if kind != "thumbnail":
        response.headers["Content-Disposition"] = f'inline; filename="{_kept().path(dream_id, kind).name}"'
    return response


@blueprint.delete("/api/history/<dream_id>")
def forget(dream_id: str) -> Response:
    if not _kept().delete(g.client, dream_id):
        raise Refusal(_("No dream {dream_id!r} in your history.").format(dream_id=dream_id), 404)
    return jsonify(id=dream_id, state="deleted")
