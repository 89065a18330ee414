"""The studio's history on its own: kept per client in SQLite and files, bounded, and forgiving of damage."""

import io
import json
import sqlite3

import numpy as np
import pytest
from PIL import Image

from deepdream.web import history
from deepdream.web.history import History


def _jpeg(width=200, height=100, seed=0) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def _sidecar(seed=0) -> dict:
    return {"parameters": {"image": "photo.png", "seed": seed, "layers": {"mixed3": 1.0}}, "steps_done": 2}


def test_dreams_are_listed_newest_first_for_their_own_client_only(tmp_path):
    kept = History(tmp_path)
    kept.add("ada", "one", _jpeg(seed=1), _sidecar(1))
    kept.add("ada", "two", _jpeg(seed=2), _sidecar(2), mask_png=b"\x89PNG mask")
    kept.add("bob", "three", _jpeg(seed=3), _sidecar(3))
    listed = kept.list("ada")
    assert [entry["id"] for entry in listed] == ["two", "one"]
    assert listed[0]["parameters"]["seed"] == 2 and listed[0]["has_mask"] and not listed[1]["has_mask"]
    assert [entry["id"] for entry in kept.list("bob")] == ["three"] and kept.list("cy") == []
    assert kept.read("bob", "one", "picture") is None and not kept.delete("bob", "one")
    assert kept.read("ada", "one", "picture") == _jpeg(seed=1)
    assert json.loads(kept.read("ada", "two", "sidecar"))["parameters"]["seed"] == 2


def test_a_thumbnail_is_small_and_the_history_survives_a_new_instance(tmp_path):
    History(tmp_path).add("ada", "one", _jpeg(800, 400), _sidecar())
    again = History(tmp_path)  # as after a server restart
    thumbnail = Image.open(io.BytesIO(again.read("ada", "one", "thumbnail")))
    assert thumbnail.size == (history.THUMBNAIL_SIDE, history.THUMBNAIL_SIDE // 2)
    assert [entry["id"] for entry in again.list("ada")] == ["one"]


def test_deleting_removes_the_row_and_every_file(tmp_path):
    kept = History(tmp_path)
    kept.add("ada", "one", _jpeg(), _sidecar(), mask_png=b"mask")
    assert kept.delete("ada", "one")
    assert kept.list("ada") == [] and list((tmp_path / "dreams").iterdir()) == []


def test_the_oldest_dreams_go_first_beyond_keep_mb(tmp_path):
    one = len(_jpeg(seed=0)) / 1024 / 1024  # megabytes of one picture (its thumbnail and sidecar add a little)
    kept = History(tmp_path, keep_mb=3.5 * one)
    for index in range(8):
        kept.add("ada", f"d{index}", _jpeg(seed=index), _sidecar(index))
    names = [entry["id"] for entry in kept.list("ada")]
    assert 2 <= len(names) <= 3 and names == ["d7", "d6", "d5"][:len(names)]  # the newest
    on_disk = sum(path.stat().st_size for path in (tmp_path / "dreams").iterdir())
    assert on_disk <= 3.5 * one * 1024 * 1024
    assert not kept.path("d0", "picture").exists()


def test_a_missing_or_corrupt_file_is_skipped_with_a_log_line(tmp_path, capsys):
    kept = History(tmp_path)
    kept.add("ada", "gone", _jpeg(seed=1), _sidecar(1))
    kept.add("ada", "broken", _jpeg(seed=2), _sidecar(2))
    kept.add("ada", "fine", _jpeg(seed=3), _sidecar(3))
    kept.path("gone", "picture").unlink()
    kept.path("broken", "sidecar").write_text("{not json")
    assert [entry["id"] for entry in kept.list("ada")] == ["fine", "broken"]
    assert kept.read("ada", "broken", "sidecar") is None and kept.read("ada", "gone", "picture") is None
    log = capsys.readouterr().err
    assert "skipped dream gone: a file of it is missing" in log and "sidecar of dream broken is corrupt" in log


def test_writes_leave_no_temporary_files(tmp_path):
    kept = History(tmp_path)
    kept.add("ada", "one", _jpeg(), _sidecar(), mask_png=b"mask")
    assert sorted(path.name for path in (tmp_path / "dreams").iterdir()) == [
        "one.jpg", "one.jpg.json", "one.mask.png", "one.thumb.jpg"]


def test_a_folder_that_cannot_be_written_gets_a_clear_error(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(ValueError, match="Cannot keep the history in .*choose another --data-dir"):
        History(tmp_path / "file" / "data")


def test_the_index_is_plain_sqlite(tmp_path):
    History(tmp_path).add("ada", "one", _jpeg(), _sidecar())
    with sqlite3.connect(tmp_path / "history.sqlite3") as db:
        assert db.execute("SELECT id, client FROM dreams").fetchall() == [("one", "ada")]


def test_the_default_data_folder_is_the_users_data_directory(monkeypatch, tmp_path):
    monkeypatch.setattr(history.sys, "platform", "linux")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert history.default_data_dir() == tmp_path / "deepdream"
