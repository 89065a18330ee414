"""deepdream.web.live: the /live page's routes, its sessions and turns, and the page in a real browser."""

import base64
import io
import os
import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

import deepdream_utils as dd
from deepdream import flow, live, web
from deepdream.web import live as web_live
from deepdream.web.settings import Refusal
from tests.helpers import Server, chromium, duration_and_frames


@pytest.fixture(scope="module")
def app():
    app = web.create_app(web.Settings(live_sessions=2))
    yield app
    app.extensions["deepdream"].close()


@pytest.fixture(scope="module")
def frames() -> list[np.ndarray]:
    mountain = dd.load_image(dd.IMAGES_DIR / "mountain.jpg", max_side=1024)
    return flow.panning_clip(mountain, frames=4, size=(320, 180), speed=(3.0, 0.5))


def jpeg(frame: np.ndarray) -> io.BytesIO:
    return io.BytesIO(live.encode_jpeg(frame))


def browser(app):
    """A test client that has loaded the page, so it has its id cookie, as a browser would."""
    client = app.test_client()
    client.get("/live")
    return client


def send(client, frame: np.ndarray, **fields):
    return client.post("/api/live/frame", data={"frame": (jpeg(frame), "frame.jpg"), **fields})


def test_the_live_page_is_served_with_its_script(app):
    client = app.test_client()
    page = client.get("/live")
    assert page.status_code == 200 and b"getUserMedia" not in page.data and b"/static/live.js" in page.data
    assert b"getUserMedia" in client.get("/static/live.js").data


def test_a_frame_comes_back_dreamed_at_the_width_asked(app, frames):
    client = browser(app)
    response = send(client, frames[0], width="256", steps="1", layer="mixed3")
    assert response.status_code == 200 and response.mimetype == "image/jpeg", response.data[:300]
    dreamed = np.asarray(Image.open(io.BytesIO(response.data)))
    assert dreamed.shape == (144, 256, 3)
    assert response.headers["X-Live-Frame"] == "1" and float(response.headers["X-Live-Dream-Seconds"]) > 0
    assert send(client, frames[1], width="256").headers["X-Live-Frame"] == "2"  # the same session goes on
    assert client.delete("/api/live").json == {"state": "ended"}


@pytest.mark.parametrize("fields, message", [
    ({"steps": "9"}, "steps must be a whole number from 1 to 4"),
    ({"width": "4000"}, "width must be a whole number from 96 to 640"),
    ({"strength": "lots"}, "strength must be a number, got 'lots'"),
    ({"layer": "mixed99"}, "No layer 'mixed99' to dream live"),
    ({"folds": "40"}, "folds"),
])
def test_bad_settings_get_a_400_that_says_what_to_do(app, frames, fields, message):
    response = send(app.test_client(), frames[0], **fields)
    assert response.status_code == 400 and message in response.json["error"]


def test_a_frame_that_is_not_a_picture_or_is_missing_gets_a_400(app):
    client = app.test_client()
    response = client.post("/api/live/frame", data={"frame": (io.BytesIO(b"not a jpeg"), "frame.jpg")})
    assert response.status_code == 400 and "not a JPEG or PNG" in response.json["error"]
    response = client.post("/api/live/frame", data={"width": "256"})
    assert response.status_code == 400 and "multipart file 'frame'" in response.json["error"]


def test_a_second_frame_while_the_first_is_dreamed_is_refused_the_newest_wins(app, frames):
    client = browser(app)
    browser_id = app.extensions["deepdream_clients"].identify(client.get_cookie(web.clients.CLIENT_COOKIE).value)
    sessions = app.extensions["deepdream_live"]
    session = sessions.take(browser_id)  # as if its first frame were being dreamed
    try:
        response = send(client, frames[0])
        assert response.status_code == 409 and "One frame at a time" in response.json["error"]
    finally:
        sessions.release(session)
    assert send(client, frames[0]).status_code == 200
    client.delete("/api/live")


def test_one_browser_more_than_the_live_sessions_gets_a_503_with_retry_after(frames):
    app = web.create_app(web.Settings(live_sessions=1))
    try:
        first, second = browser(app), browser(app)
        assert send(first, frames[0], width="128").status_code == 200
        response = send(second, frames[0], width="128")
        assert response.status_code == 503 and "full" in response.json["error"]
        assert response.headers["Retry-After"] == "30"
        first.delete("/api/live")  # its camera stopped: the next browser may start
        assert send(second, frames[0], width="128").status_code == 200
    finally:
        app.extensions["deepdream"].close()


def test_an_idle_session_is_dropped_with_its_state():
    sessions = web_live.LiveSessions(limit=1, idle_seconds=0.2)
    sessions.release(sessions.take("a"))
    time.sleep(0.3)
    sessions.release(sessions.take("b"))  # a's place is free again: a was dropped
    assert list(sessions.sessions) == ["b"]
    deadline = time.monotonic() + 10
    while sessions.sessions and time.monotonic() < deadline:  # the sweeper drops b without any request
        time.sleep(0.05)
    assert not sessions.sessions


def test_sessions_take_turns_first_come_first_served():
    sessions, order = web_live.LiveSessions(limit=3), []

    def dream(name: str) -> None:
        with sessions.turn():
            order.append(name)

    with sessions.turn():  # a frame is being dreamed
        threads = [threading.Thread(target=dream, args=(name,)) for name in "abc"]
        for thread in threads:
            thread.start()
            time.sleep(0.1)  # each waits in line before the next comes
        assert order == []
    for thread in threads:
        thread.join(timeout=10)
    assert order == ["a", "b", "c"]


def test_record_gives_back_an_mp4_of_the_dreamed_frames(app, frames, tmp_path):
    client = browser(app)
    assert client.post("/api/live/record", data={"action": "start"}).status_code == 409  # no session yet
    send(client, frames[0], width="128")
    assert client.post("/api/live/record", data={"action": "start"}).json == {"state": "recording"}
    for frame in frames:
        response = send(client, frame, width="128")
    assert response.headers["X-Live-Recorded"] == "4"
    response = client.post("/api/live/record", data={"action": "stop"})
    assert response.status_code == 200 and response.mimetype == "video/mp4", response.data[:300]
    assert "attachment" in response.headers["Content-Disposition"]
    movie = tmp_path / "recorded.mp4"
    movie.write_bytes(response.data)
    assert duration_and_frames(movie)[1] == 4 + 1  # the last once more, at the stop
    again = client.post("/api/live/record", data={"action": "stop"})
    assert again.status_code == 409 and "Nothing was recorded" in again.json["error"]
    assert client.post("/api/live/record", data={"action": "pause"}).status_code == 400
    client.delete("/api/live")


def _frame_with_a_stop_at(client, stopper, frame: np.ndarray, moment: int) -> tuple[object, list]:
    """Sends a frame; just before the ``moment``-th line its answer runs once encoded (0: the first), the same
    browser's stop of the recording runs in another thread. Returns the frame's answer and the stop's (if any)."""
    stops, lines = [], []

    def stop() -> None:
        stops.append(stopper.post("/api/live/record", data={"action": "stop"}))

    def trace(code_frame, event, arg):
        if code_frame.f_code is not web_live.frame.__code__:
            return None
        if event == "line" and "jpeg" in code_frame.f_locals:
            lines.append(code_frame.f_lineno)
            if len(lines) == moment + 1:
                thread = threading.Thread(target=stop)
                thread.start()
                thread.join(timeout=10)
        return trace

    sys.settrace(trace)
    try:
        response = send(client, frame, width="128")
    finally:
        sys.settrace(None)
    return response, stops


def test_stopping_the_recording_at_any_moment_of_a_frames_answer_never_gives_a_500(app, frames):
    client = browser(app)
    stopper = app.test_client()  # the same browser's other request, in another server thread
    stopper.set_cookie(web.clients.CLIENT_COOKIE, client.get_cookie(web.clients.CLIENT_COOKIE).value)
    send(client, frames[0], width="128")
    for moment in range(12):  # before each line of the frame's answer in turn, and after the last
        assert client.post("/api/live/record", data={"action": "start"}).status_code == 200
        send(client, frames[1], width="128")  # one frame recorded
        response, stops = _frame_with_a_stop_at(client, stopper, frames[2], moment)
        assert response.status_code == 200, (moment, response.data[:300])
        if not stops:  # the answer has fewer lines than that: the stop comes after it
            stops.append(stopper.post("/api/live/record", data={"action": "stop"}))
        assert stops[0].status_code == 200 and stops[0].mimetype == "video/mp4", stops[0].data[:300]
    client.delete("/api/live")


def test_the_mjpeg_stream_without_a_source_is_a_404_that_says_how_to_start_one(app):
    response = app.test_client().get("/live.mjpg")
    assert response.status_code == 404 and "deepdream live SOURCE --serve" in response.json["error"]


def test_the_mjpeg_stream_sends_each_new_picture_as_a_part():
    app = web.create_app(web.Settings())
    try:
        broadcast = app.extensions[web_live.BROADCAST] = live.Broadcast()
        broadcast.publish(b"\xff\xd8first\xff\xd9")
        response = app.test_client().get("/live.mjpg", buffered=False)
        assert response.mimetype == "multipart/x-mixed-replace"
        parts = iter(response.response)
        assert next(parts).endswith(b"\r\n\r\n\xff\xd8first\xff\xd9\r\n")
        broadcast.publish(b"\xff\xd8second\xff\xd9")
        assert b"second" in next(parts)
        broadcast.end()
        assert list(parts) == []
    finally:
        app.extensions["deepdream"].close()


def test_the_mjpeg_stream_has_a_bounded_number_of_viewers_and_a_closed_one_frees_its_place():
    app = web.create_app(web.Settings(stream_viewers=2))
    try:
        broadcast = app.extensions[web_live.BROADCAST] = live.Broadcast()
        broadcast.publish(b"\xff\xd8first\xff\xd9")
        viewers = [app.test_client().get("/live.mjpg", buffered=False) for _ in range(2)]
        third = app.test_client().get("/live.mjpg", buffered=False)
        assert third.status_code == 503 and "2 viewers" in third.json["error"]
        viewers[0].close()  # a viewer closes its tab
        fourth = app.test_client().get("/live.mjpg", buffered=False)
        assert fourth.status_code == 200
        broadcast.end()
        for response in (viewers[1], fourth):
            response.close()
    finally:
        app.extensions["deepdream"].close()


def test_a_frame_is_dreamed_in_the_live_dreamer_thread_not_the_requests(app, frames, monkeypatch):
    threads = []
    dream = live.LiveDreamer.dream

    def noted(self, *args, **kwargs):
        threads.append(threading.current_thread().name)
        return dream(self, *args, **kwargs)

    monkeypatch.setattr(live.LiveDreamer, "dream", noted)
    client = app.test_client()
    assert send(client, frames[0], width="128").status_code == 200
    client.delete("/api/live")
    assert len(threads) == 1 and threads[0].startswith("live-dreamer")
    assert threads[0] != threading.current_thread().name


def test_refusal_is_what_the_sessions_raise():
    sessions = web_live.LiveSessions(limit=0)
    with pytest.raises(Refusal, match="full"):
        sessions.take("anyone")


# --------------------------------------------------------------------------- a real browser, a fake camera


def write_y4m(path: Path, clip: list[np.ndarray], fps: int = 30) -> Path:
    """A clip as Y4M (4:2:0), the format Chromium's fake camera plays."""
    height, width = clip[0].shape[:2]
    with open(path, "wb") as file:
        file.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in clip:
            file.write(b"FRAME\n" + cv2.cvtColor(frame, cv2.COLOR_RGB2YUV_I420).tobytes())
    return path


def decode(data_url: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1]))).convert("RGB"))


@pytest.mark.slow
def test_a_real_browser_dreams_its_fake_camera_live_coherent_along_the_flow(tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    mountain = dd.load_image(dd.IMAGES_DIR / "mountain.jpg", max_side=1024)
    camera = write_y4m(tmp_path / "camera.y4m", flow.panning_clip(mountain, frames=150, size=(480, 270),
                                                                 speed=(2.0, 0.5)))
    server = Server()
    browser = chromium(fake_camera=camera)
    try:
        browser.get(server.url + "/live")
        wait = WebDriverWait(browser, 60)
        wait.until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#layer option")) > 3)
        Select(browser.find_element(By.ID, "width")).select_by_value("256")
        browser.find_element(By.ID, "start").click()
        WebDriverWait(browser, 240).until(lambda b: b.execute_script("return window.liveFrames.length") >= 16)
        fps = float(browser.find_element(By.ID, "fps").text)
        latency = float(browser.find_element(By.ID, "latency").text)
        assert fps > 0 and latency > 0
        browser.save_screenshot(str(tmp_path / "live.png"))
        if os.environ.get("DEEPDREAM_LIVE_SCREENSHOT"):  # `make screenshot`: outputs/live.jpg for the README
            with Image.open(tmp_path / "live.png") as screenshot:
                screenshot.convert("RGB").save(os.environ["DEEPDREAM_LIVE_SCREENSHOT"], quality=85, optimize=True)
        pairs = browser.execute_async_script("""
            const done = arguments[arguments.length - 1];
            const read = (blob) => new Promise((resolve) => {
              const reader = new FileReader(); reader.onload = () => resolve(reader.result); reader.readAsDataURL(blob);
            });
            Promise.all(window.liveFrames.map(async (f) => [await read(f.input), await read(f.output)]))
              .then(done);""")
        browser.find_element(By.ID, "stop").click()
        wait.until(lambda b: b.find_element(By.ID, "state").text == "camera off")
    finally:
        browser.quit()
        server.stop()
    inputs, outputs = [decode(a) for a, _ in pairs], [decode(b) for _, b in pairs]
    assert outputs[0].shape == inputs[0].shape == (144, 256, 3)
    change = float(np.mean([np.abs(o.astype(float) - i).mean() for o, i in zip(outputs, inputs)]))
    assert change > 2.0, "the dreamed frames should differ from the camera's"
    # The same frames dreamed each alone, with as many steps as it takes to change them as much.
    dm, alone = dd.dream_model({"mixed3": 1.0}), []
    for number, frame in enumerate(inputs):
        image = frame.astype(np.float32) / 255.0
        for _ in range(20):
            image, _ = dd.dream(dm, image, steps=1, step_size=0.03, seed=number, progress=False, transforms=None)
            if np.abs(image * 255.0 - frame).mean() >= change:
                break
        alone.append(np.round(np.clip(image, 0, 1) * 255).astype(np.uint8))
    live_flicker, alone_flicker = flow.flicker(outputs, inputs), flow.flicker(alone, inputs)
    print(f"fps {fps}, latency {latency} ms, change {change:.2f}, flicker live {live_flicker:.2f}, alone "
          f"{alone_flicker:.2f}")
    assert live_flicker < 0.8 * alone_flicker, (live_flicker, alone_flicker)
