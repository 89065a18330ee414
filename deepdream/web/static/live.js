// The live page: the newest camera frame is sent, dreamed, shown; then the next newest (never a queue).
"use strict";
// _(): texts.js, loaded before this script.
const $ = (id) => document.getElementById(id);
const camera = $("camera"), dream = $("dream"), canvas = document.createElement("canvas");
let running = false, looping = null, recording = false, shownTimes = [], latencies = [];
// The last frames sent and dreamed, for whoever wants to compare them (the page's test measures flicker).
window.liveFrames = [];

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = !message;
}

async function loadLayers() {
  const response = await fetch("/api/layers");
  if (!response.ok) return;
  const info = await response.json();
  const select = $("layer");
  select.innerHTML = "";
  for (const layer of info.suggested) {  // mixed0 … mixed7: from edges and textures to eyes and animal parts
    const option = new Option(layer, layer, layer === "mixed3", layer === "mixed3");
    select.add(option);
  }
}

function grab(width) {  // the camera's newest frame, downscaled, as a JPEG blob
  const height = Math.round(width * camera.videoHeight / camera.videoWidth / 2) * 2;
  canvas.width = width;
  canvas.height = height;
  canvas.getContext("2d").drawImage(camera, 0, 0, width, height);
  return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : NaN;
}

async function loop() {
  while (running) {
    if (!camera.videoWidth) { await new Promise((r) => setTimeout(r, 50)); continue; }
    const sent = performance.now();
    const blob = await grab(Number($("width").value));
    const form = new FormData($("live-form"));
    if (!$("mirror").checked) form.set("mirror", "0");
    form.set("frame", blob, "frame.jpg");
    let response;
    try {
      response = await fetch("/api/live/frame", { method: "POST", body: form });
    } catch (error) {
      showError(_("The server does not answer: is deepdream serve still running?"));
      await new Promise((r) => setTimeout(r, 1000));
      continue;
    }
    if (!running) break;  // stopped while this frame was out: its dream is not shown
    if (!response.ok) {
      const body = await response.json().catch(() => ({ error: response.statusText }));
      showError(response.status === 401 ? _("This studio is shared with a token: type it once on the studio's "
        + "page (the link above), then come back.") : body.error);
      const wait = Number(response.headers.get("Retry-After") || 1);
      await new Promise((r) => setTimeout(r, Math.min(wait, 30) * 1000));
      continue;
    }
    showError("");
    const dreamed = await response.blob();
    if (!running) break;
    if (dream.src) URL.revokeObjectURL(dream.src);
    dream.src = URL.createObjectURL(dreamed);
    const now = performance.now();
    window.liveFrames.push({ input: blob, output: dreamed });
    if (window.liveFrames.length > 16) window.liveFrames.shift();
    shownTimes.push(now);
    latencies.push(now - sent);
    shownTimes = shownTimes.filter((t) => now - t <= 2000);
    latencies = latencies.slice(-20);
    $("fps").textContent = (shownTimes.length > 1
      ? (shownTimes.length - 1) * 1000 / (now - shownTimes[0]) : 0).toFixed(1);
    $("latency").textContent = median(latencies).toFixed(0);
    $("dream-ms").textContent = (1000 * Number(response.headers.get("X-Live-Dream-Seconds"))).toFixed(0);
    const recorded = response.headers.get("X-Live-Recorded");
    const frames = parseInt(recorded, 10), full = recorded && recorded.endsWith("(full)"); // "12" or "12 (full)"
    $("state").textContent = !recorded ? _("dreaming") : full ? _("recording: {frames} frames (full)", { frames })
      : _("recording: {frames} frames", { frames });
  }
}

async function start() {
  showError("");
  try {
    camera.srcObject = await navigator.mediaDevices.getUserMedia({ video: { width: 640 }, audio: false });
  } catch (error) {
    showError(_("No camera: {error}. Allow the camera for this page (on http://localhost or https).",
      { error: error.message }));
    return;
  }
  running = true;
  $("start").disabled = true;
  $("stop").disabled = $("record").disabled = false;
  $("state").textContent = _("loading the network (a few seconds)…");
  looping = loop();
}

async function stop() {
  running = false;
  await looping;  // the frame out comes back first, so the session ends after its last frame
  if (recording) await toggleRecording();
  for (const track of camera.srcObject ? camera.srcObject.getTracks() : []) track.stop();
  camera.srcObject = null;
  await fetch("/api/live", { method: "DELETE" });
  $("start").disabled = false;
  $("stop").disabled = $("record").disabled = true;
  $("state").textContent = _("camera off");
}

async function toggleRecording() {
  const form = new FormData();
  form.set("action", recording ? "stop" : "start");
  const response = await fetch("/api/live/record", { method: "POST", body: form });
  if (!response.ok) {
    showError((await response.json().catch(() => ({ error: response.statusText }))).error);
    recording = false;
    $("record").textContent = _("Record");
    return;
  }
  recording = !recording;
  $("record").textContent = recording ? _("Stop recording") : _("Record");
  if (!recording) {
    const link = $("recording");
    if (link.href) URL.revokeObjectURL(link.href);
    link.href = URL.createObjectURL(await response.blob());
    const [frames, seconds] = (response.headers.get("X-Live-Recorded") || "").match(/[\d.]+/g) || []; // "12 frames, 0.48 s"
    link.textContent = _("Download the recording ({frames} frames, {seconds} s)", { frames, seconds });
    $("download").hidden = false;
  }
}

$("start").addEventListener("click", start);
$("stop").addEventListener("click", stop);
$("record").addEventListener("click", toggleRecording);
loadLayers();
