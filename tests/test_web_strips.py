"""The studio's channel strip (deepdream.web.strips): dreamed once per layer in a thread, kept on disk, and
its routes' answers, bad layers included."""

import io
import time

import pytest
from PIL import Image

from deepdream import web
from deepdream.web.scheduler import CpuTurns
from deepdream.web.strips import ChannelStrips


def _until_done(strips, layer, timeout=180):
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        status = strips.status(layer)
        seen.append(status["done"])
        if status["state"] in ("done", "failed"):
            return status, seen
        time.sleep(0.05)
    raise AssertionError(f"the strip of {layer} is still {status['state']} after {timeout} s")


class _CountingTurns(CpuTurns):
    """The CPU's turns, counting how often a strip asked for one."""

    asked = 0

    def between_steps(self, *stops) -> float:
        self.asked += 1
        return super().between_steps(*stops)


def test_a_layers_strip_is_dreamed_once_shown_as_it_grows_and_kept_for_a_restart(tmp_path):
    turns = _CountingTurns()
    strips = ChannelStrips(tmp_path, steps=1, turns=turns)
    status, seen = _until_done(strips, "mixed0")
    strips.close()
    assert turns.asked >= 2, "the strip yields to live frames between its batches"
    assert status == {"layer": "mixed0", "state": "done", "done": 256, "total": 256, "columns": 32, "side": 80,
                      "steps": 1, "error": None}
    assert len({done for done in seen if 0 < done < 256}) >= 2, "the count grew batch by batch"
    with Image.open(io.BytesIO(strips.sprite("mixed0"))) as sheet:
        assert sheet.size == (32 * 80, 8 * 80)
    again = ChannelStrips(tmp_path, steps=1)  # a restart: the sheet is read, not dreamed again
    assert again.status("mixed0")["state"] == "done" and not again._states
    assert ChannelStrips(tmp_path, steps=2).status("mixed0")["state"] in ("queued", "running"), \
        "other settings are another sheet"


def test_closing_stops_a_strip_at_its_next_batch_and_removes_a_temporary_folder():
    strips = ChannelStrips(None, steps=1)
    strips.status("mixed3")
    while strips.status("mixed3")["done"] == 0:
        time.sleep(0.05)
    strips.close()
    assert not strips.folder.exists()


def test_the_routes_answer_a_layer_it_lacks_and_a_sheet_not_yet_made_with_a_clear_404(tmp_path):
    app = web.create_app(web.Settings(data_dir=tmp_path, channel_steps=1))
    client = app.test_client()
    try:
        missing = client.get("/api/channels/mixed99")
        assert missing.status_code == 404 and "No layer 'mixed99' to show channels of" in missing.get_json()["error"]
        early = client.get("/api/channels/mixed1/sprite.jpg")
        assert early.status_code == 404 and "GET /api/channels/mixed1 starts them" in early.get_json()["error"]
        status = client.get("/api/channels/mixed1").get_json()
        assert status["state"] in ("queued", "running") and status["sprite_url"].startswith("/api/channels/mixed1/")
    finally:
        app.extensions["deepdream"].close()


@pytest.mark.parametrize("layer", ["mixed99", "../etc", "input_1"])
def test_only_the_networks_layers_are_dreamed(tmp_path, layer):
    with pytest.raises(ValueError, match=r"No layer .* to show channels of: choose one of mixed0"):
        ChannelStrips(tmp_path).status(layer)
