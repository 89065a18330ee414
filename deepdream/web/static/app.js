// The DeepDream studio: a form built from GET /api/recipe, POST /api/jobs, a live preview while the job runs,
// a mask painted on the start picture, a before/after slider, zoom and video jobs, and this browser's history.
// No libraries.
"use strict";

const $ = (id) => document.getElementById(id);
// _(): texts.js, loaded before this script.
const UNITS = { step: _("step"), frame: _("frame") }; // a job's unit of progress
const state = {
  file: null, // the chosen photo
  clip: null, // the chosen clip (make: video)
  movieFields: {}, // the zoom's and the clip's fields (GET /api/recipe's movies), by kind
  stripLayer: null, // the layer whose channel strip is shown
  jobUrl: null, // the job being dreamed
  current: null, // the dream shown: {id, picture_url, sidecar_url, parameters}
  numberFields: [], // the recipe's number fields the page shows
  painted: false, // whether the mask has paint on it
};

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = !message;
}

function startKind() {
  return document.querySelector("input[name=start]:checked").value;
}

function makeKind() {
  return document.querySelector("input[name=make]:checked").value;
}

// A picture, a zoom (its frames, zoom and speed; no mask, no kaleidoscope) or a clip (its file instead of a start).
function chooseMake() {
  const make = makeKind();
  $("start-kind").hidden = make === "video";
  $("clip-box").hidden = make !== "video";
  $("movie-box").hidden = make === "picture";
  $("movie-legend").textContent = make === "zoom" ? _("The zoom animation") : _("The clip");
  for (const [kind, names] of Object.entries(state.movieFields)) {
    for (const name of names) $(name).closest("label").hidden = kind !== make;
  }
  for (const id of ["folds", "mirror"]) $(id).disabled = make !== "picture";
  if (make === "video") {
    $("drop").hidden = $("noise-box").hidden = true;
    showStart(null, 1, 1);
  } else chooseStart();
}

function setBusy(busy) {
  $("dream").disabled = busy;
  $("cancel").hidden = !busy;
  $("progress-box").hidden = !busy && !$("progress-text").textContent;
}

async function answer(response) {
  const body = await response.json().catch(() => ({}));
  if (response.status === 401) $("token-form").hidden = false; // a shared server: ask for its token once
  if (!response.ok) throw new Error(body.error || _("The server answered {status}.", { status: response.status }));
  return body;
}

async function enterToken(event) {
  event.preventDefault();
  const form = new FormData();
  form.append("token", $("token").value);
  try {
    await answer(await fetch("/api/token", { method: "POST", body: form }));
    location.reload(); // the cookie now carries it
  } catch (error) {
    showError(error.message);
  }
}

// ---- the start picture and the mask painted on it ------------------------------------------------
function showStart(src, width, height) {
  const start = $("start");
  if (src) start.src = src; else start.removeAttribute("src");
  const size = () => resetMask(width || start.naturalWidth, height || start.naturalHeight);
  if (src && !width) start.onload = size; else size();
  $("before").src = src || "";
}

function noiseStart() {
  const width = Number($("noise-width").value) || 512, height = Number($("noise-height").value) || 512;
  const canvas = document.createElement("canvas"); // what it looks like; the server makes the seeded noise
  Object.assign(canvas, { width: Math.min(width, 256), height: Math.min(height, 256) });
  const context = canvas.getContext("2d");
  const pixels = context.createImageData(canvas.width, canvas.height);
  for (let i = 0; i < pixels.data.length; i += 4) {
    const grey = 102 + Math.random() * 51;
    pixels.data.set([grey, grey, grey, 255], i);
  }
  context.putImageData(pixels, 0, 0);
  showStart(canvas.toDataURL(), width, height);
}

function chooseStart() {
  const kind = startKind();
  $("drop").hidden = kind !== "image";
  $("noise-box").hidden = kind !== "noise";
  if (kind === "noise") noiseStart();
  else if (kind === "more" && state.current) showStart(state.current.picture_url);
  else if (kind === "image" && state.file) showStart(URL.createObjectURL(state.file));
  else showStart(null, 1, 1);
}

function choose(chosen) {
  if (!chosen) return;
  if (!chosen.type.startsWith("image/")) {
    showError(_("\"{name}\" is not a picture: choose a JPEG, PNG or WebP file.", { name: chosen.name }));
    return;
  }
  state.file = chosen;
  showError("");
  $("drop-text").textContent = `${chosen.name} (${(chosen.size / 1e6).toFixed(1)} MB)`;
  document.querySelector("input[name=start][value=image]").checked = true;
  chooseStart();
}

function resetMask(width, height) {
  const mask = $("mask");
  Object.assign(mask, { width: Math.max(1, width), height: Math.max(1, height) });
  state.painted = false;
}

function setUpPainting() {
  const mask = $("mask"), context = mask.getContext("2d");
  let last = null;
  const point = (event) => {
    const box = mask.getBoundingClientRect();
    return [(event.clientX - box.left) * mask.width / box.width, (event.clientY - box.top) * mask.height / box.height];
  };
  const paint = (event) => {
    if (!last) return;
    const [x, y] = point(event);
    const eraser = document.querySelector("input[name=tool]:checked").value === "eraser";
    context.globalCompositeOperation = eraser ? "destination-out" : "source-over";
    context.strokeStyle = "#ff4fa0";
    context.lineCap = context.lineJoin = "round";
    context.lineWidth = Number($("brush-size").value) * mask.width / mask.getBoundingClientRect().width;
    context.beginPath();
    context.moveTo(...last);
    context.lineTo(x, y);
    context.stroke();
    last = [x, y];
    state.painted ||= !eraser;
  };
  mask.addEventListener("pointerdown", (event) => {
    mask.setPointerCapture(event.pointerId);
    last = point(event);
    paint(event);
  });
  mask.addEventListener("pointermove", paint);
  for (const name of ["pointerup", "pointercancel"]) mask.addEventListener(name, () => { last = null; });
  $("clear-mask").addEventListener("click", () => resetMask(mask.width, mask.height));
}

// The mask as the server takes it: a greyscale PNG the start's size, white where painted, with a soft edge.
function maskBlob() {
  const mask = $("mask");
  const white = document.createElement("canvas");
  Object.assign(white, { width: mask.width, height: mask.height });
  const paint = white.getContext("2d");
  paint.drawImage(mask, 0, 0);
  paint.globalCompositeOperation = "source-in";
  paint.fillStyle = "#fff";
  paint.fillRect(0, 0, white.width, white.height);
  const out = document.createElement("canvas");
  Object.assign(out, { width: mask.width, height: mask.height });
  const context = out.getContext("2d");
  context.fillStyle = "#000";
  context.fillRect(0, 0, out.width, out.height);
  context.filter = `blur(${Math.max(2, Math.round(Math.max(out.width, out.height) / 100))}px)`; // the soft edge
  context.drawImage(white, 0, 0);
  return new Promise((resolve) => out.toBlob(resolve, "image/png"));
}

// ---- dreaming: send, follow the job with its live preview, show the result ------------------------
function seconds(value) {
  if (value === null || value === undefined) return "";
  return value < 60 ? _(", about {seconds} s left", { seconds: Math.ceil(value) })
    : _(", about {minutes} min left", { minutes: Math.ceil(value / 60) });
}

async function poll(job) {
  let shown = -1;
  while (state.jobUrl) {
    try {
      job = await answer(await fetch(state.jobUrl));
    } catch (error) {
      showError(error.message);
      break;
    }
    $("progress").value = job.steps_total ? job.steps_done / job.steps_total : 0;
    const unit = UNITS[job.unit] || job.unit || UNITS.step;
    if (job.state === "queued") {
      $("progress-text").textContent = _("Waiting in the queue: place {place}{left}",
        { place: job.queue_position, left: seconds(job.seconds_left) });
    } else if (job.state === "running") {
      $("progress-text").textContent = _("Dreaming: {unit} {done} of {total}{left}",
        { unit, done: job.steps_done, total: job.steps_total, left: seconds(job.seconds_left) });
      if (job.steps_done !== shown) { // the picture as it is now
        shown = job.steps_done;
        $("result").src = `${job.preview_url}?step=${shown}`;
        $("result").hidden = false;
        $("movie").hidden = true;
        $("result-caption").textContent = _("Live preview: {unit} {done} of {total}",
          { unit, done: shown, total: job.steps_total });
      }
    } else {
      finish(job);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  state.jobUrl = null;
  setBusy(false);
}

function showDream(dream, caption) {
  state.current = dream;
  const movie = dream.movie_url || "";
  $("movie").hidden = dream.movie !== "mp4";
  if ($("movie").hidden) $("movie").removeAttribute("src"); else $("movie").src = movie;
  $("result").hidden = !$("movie").hidden;
  $("result").src = movie && $("movie").hidden ? movie : dream.picture_url; // an animated WebP plays in <img>
  $("result-caption").textContent = caption;
  $("download-image").href = movie || dream.picture_url;
  $("download-image").textContent = { mp4: _("Download the video"), webp: _("Download the animation") }[dream.movie]
    || _("Download the picture");
  $("download-sidecar").href = dream.sidecar_url;
  $("downloads").hidden = false;
  $("start-more").disabled = false;
  $("compare-box").hidden = !$("before").getAttribute("src");
}

function finish(job) {
  state.jobUrl = null;
  if (job.state === "done") {
    const done = { total: job.steps_total, seconds: job.run_seconds.toFixed(0) };
    $("progress-text").textContent = job.unit === "frame" ? _("Done: {total} frames in {seconds} s.", done)
      : _("Done: {total} steps in {seconds} s.", done);
    $("warm-up").hidden = true; // the network is loaded now
    const picture = job.make === "picture", made = { picture: _("The dream"), zoom: _("Zoom"), video: _("Clip") };
    const movie = picture ? {} : { movie_url: job.result_url, movie: job.result_type.split("/")[1] };
    showDream({ id: job.id, picture_url: picture ? job.result_url : job.picture_url, sidecar_url: job.sidecar_url,
      ...movie },
      _("{kind}: {description}", { kind: made[job.make], description: describe() }));
    loadHistory();
  } else if (job.state === "cancelled") {
    $("progress-text").textContent = _("Cancelled.");
  } else {
    $("progress-text").textContent = "";
    showError(job.error || _("The dream failed."));
  }
  setBusy(false);
}

function chosenLayers() {
  return [...document.querySelectorAll("#layers input[type=checkbox]:checked")]
    .map((box) => { const weight = $(`weight-${box.value}`).value; return weight === "1" ? box.value : `${box.value}=${weight}`; })
    .join(",");
}

function describe() {
  return _("{layers}, {steps} steps x {octaves} octaves, step {step}", { layers: chosenLayers(),
    steps: $("steps").value, octaves: $("octaves").value, step: $("step_size").value });
}

async function dream(event) {
  event.preventDefault();
  const make = makeKind(), kind = make === "video" ? "video" : startKind(), form = new FormData();
  if (kind === "video" && !state.clip) return showError(_("Choose a clip first."));
  if (kind === "image" && !state.file) return showError(_("Choose a photo first, or start from noise."));
  if (kind === "more" && !state.current) return showError(_("Dream once first: then you can dream more from it."));
  const layers = chosenLayers();
  if (!layers) return showError(_("Choose at least one layer."));
  showError("");
  $("note").hidden = true;
  if (kind === "image") form.append("image", state.file);
  if (kind === "noise") form.append("noise", `${$("noise-width").value}x${$("noise-height").value}`);
  if (kind === "more") form.append("from_dream", state.current.id);
  if (kind === "video") form.append("video", state.clip);
  form.append("make", make);
  for (const name of state.movieFields[make] || []) form.append(name, $(name).value);
  form.append("layers", layers);
  for (const field of state.numberFields) form.append(field.name, $(field.name).value);
  if ($("channel").value !== "") form.append("channel", $("channel").value);
  if (make === "picture" && ($("folds").value !== "1" || $("mirror").checked)) {
    form.append("symmetry", $("folds").value === "1" ? "mirror" : `${$("folds").value}${$("mirror").checked ? "m" : ""}`);
  }
  form.append("normalize", $("normalize").value);
  if (state.painted && make === "picture") form.append("mask", await maskBlob(), "mask.png");
  $("progress").value = 0;
  $("progress-text").textContent = $("warm-up").hidden ? _("Sending...")
    : _("Sending, and loading the network (the first dream only)...");
  setBusy(true);
  try {
    const job = await answer(await fetch("/api/jobs", { method: "POST", body: form }));
    $("warm-up").hidden = true; // the request loaded it: the dream's own steps come next
    if (job.note) {
      $("note").textContent = job.note;
      $("note").hidden = false;
    }
    state.jobUrl = job.status_url;
    await poll(job);
  } catch (error) {
    $("progress-text").textContent = "";
    showError(error.message);
    setBusy(false);
  }
}

async function cancel() {
  if (!state.jobUrl) return;
  try {
    await answer(await fetch(state.jobUrl, { method: "DELETE" }));
  } catch (error) {
    showError(error.message);
  }
}

// ---- history: this browser's dreams, kept by the server -------------------------------------------
async function loadHistory() {
  let dreams;
  try {
    ({ dreams } = await answer(await fetch("/api/history")));
  } catch {
    return; // a server without --data-dir keeps none
  }
  $("history-box").hidden = dreams.length === 0;
  $("history").replaceChildren(...dreams.map((entry) => {
    const item = document.createElement("li");
    const when = new Date(entry.created * 1000).toLocaleString();
    const open = document.createElement("button");
    open.type = "button";
    open.className = "open";
    open.setAttribute("aria-label", _("Open the dream of {when}", { when }));
    const thumbnail = document.createElement("img");
    Object.assign(thumbnail, { src: entry.thumbnail_url, alt: _("Dream of {when}", { when }) });
    open.append(thumbnail);
    open.addEventListener("click", () => reopen(entry));
    const download = document.createElement("a");
    Object.assign(download, { href: entry.movie_url || entry.picture_url, textContent: _("download"),
      download: `${entry.id}.${entry.movie || "jpg"}` });
    const remove = document.createElement("button");
    Object.assign(remove, { type: "button", textContent: _("delete"), className: "delete" });
    remove.setAttribute("aria-label", _("Delete the dream of {when}", { when }));
    remove.addEventListener("click", async () => {
      await fetch(`/api/history/${entry.id}`, { method: "DELETE" });
      if (state.current && state.current.id === entry.id) state.current = null;
      loadHistory();
    });
    item.append(open, download, remove);
    return item;
  }));
}

function reopen(entry) {
  const p = entry.parameters;
  for (const box of document.querySelectorAll("#layers input[type=checkbox]")) {
    box.checked = box.value in p.layers;
    if (box.checked) $(`weight-${box.value}`).value = p.layers[box.value];
  }
  for (const field of state.numberFields) if (p[field.name] !== null) $(field.name).value = p[field.name];
  $("channel").value = p.channel ?? "";
  const symmetry = p.symmetry || "";
  $("folds").value = symmetry === "mirror" ? "1" : (symmetry.replace("m", "") || "1");
  $("mirror").checked = symmetry.endsWith("m") || symmetry === "mirror";
  $("normalize").value = p.normalize;
  for (const name of Object.values(state.movieFields).flat()) if (p[name] !== undefined) $(name).value = p[name];
  showDream(entry, _("Reopened: {layers}, seed {seed}", { layers: chosenLayers(), seed: p.seed }));
}

// ---- the channel strip: what each channel of the chosen layer dreams (the server dreams a layer once) ----
const THUMBNAIL = 48; // each channel's button, pixels

function renderStrip(strip) {
  const buttons = [];
  for (let c = 0; c < strip.done; c++) {
    const button = document.createElement("button");
    Object.assign(button, { type: "button", className: "channel", title: _("channel {channel}", { channel: c }) });
    button.setAttribute("aria-label", _("channel {channel} of {layer}", { channel: c, layer: strip.layer }));
    button.setAttribute("aria-pressed", String($("channel").value === String(c)));
    Object.assign(button.style, { backgroundImage: `url("${strip.sprite_url}")`,
      backgroundSize: `${strip.columns * THUMBNAIL}px auto`,
      backgroundPosition: `-${(c % strip.columns) * THUMBNAIL}px -${Math.floor(c / strip.columns) * THUMBNAIL}px` });
    button.addEventListener("click", () => {
      $("channel").value = c;
      for (const other of $("channel-strip").children) other.setAttribute("aria-pressed", String(other === button));
    });
    buttons.push(button);
  }
  $("channel-strip").replaceChildren(...buttons);
}

async function showChannels() {
  if (!$("channel-details").open) return;
  const layers = chosenLayers().split(",").filter(Boolean).map((layer) => layer.split("=")[0]);
  if (layers.length !== 1) {
    $("channel-progress").textContent = _("Choose exactly one layer: a channel belongs to one layer.");
    $("channel-strip").replaceChildren();
    return;
  }
  const layer = layers[0];
  state.stripLayer = layer;
  let shown = -1;
  while ($("channel-details").open && state.stripLayer === layer) {
    let strip;
    try {
      strip = await answer(await fetch(`/api/channels/${layer}`));
    } catch (error) {
      $("channel-progress").textContent = error.message;
      return;
    }
    if (strip.done !== shown && strip.done > 0) renderStrip(strip);
    shown = strip.done;
    if (strip.state === "done") {
      $("channel-progress").textContent = _("The {total} channels of {layer}, each dreamed from noise: pick one.",
        { total: strip.total, layer });
      return;
    }
    if (strip.state === "failed") {
      $("channel-progress").textContent = strip.error;
      return;
    }
    $("channel-progress").textContent = _("Dreaming each channel of {layer} (once; the server keeps them): "
      + "{done} of {total}", { layer, done: strip.done, total: strip.total ?? "..." });
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

// ---- the form, from the recipe ----------------------------------------------------------------------
function labelled(text, input, help) {
  const label = document.createElement("label");
  label.append(`${text} `, input);
  if (help) input.title = help;
  return label;
}

// A labelled number input for a field of GET /api/recipe; `step` for a float (a whole number steps by 1).
function numberInput(field, step) {
  const input = document.createElement("input");
  Object.assign(input, { id: field.name, name: field.name, type: "number", min: field.low, max: field.high,
    step: field.kind === "int" ? 1 : step, value: field.page });
  return labelled(field.label, input, field.help);
}

function buildForm(recipe) {
  const backbone = recipe.backbones.inceptionv3;
  const fields = Object.fromEntries(recipe.fields.map((field) => [field.name, field]));
  const chosen = fields.layers.page.split(",");
  for (const name of backbone.suggested_layers) {
    const box = document.createElement("input");
    Object.assign(box, { type: "checkbox", value: name, checked: chosen.includes(name), id: `layer-${name}` });
    const weight = document.createElement("input");
    Object.assign(weight, { type: "range", min: 0.1, max: 2, step: 0.1, value: 1, id: `weight-${name}` });
    weight.setAttribute("aria-label", _("weight of {layer}", { layer: name }));
    const named = document.createElement("label");
    named.append(box, ` ${name}`);
    const row = document.createElement("div");
    row.className = "layer";
    row.append(named, labelled(_("weight"), weight));
    $("layers").append(row);
  }
  state.numberFields = recipe.page_fields.filter((name) => name !== "layers").map((name) => fields[name]);
  for (const field of state.numberFields) $("numbers").append(numberInput(field, field.low));
  const channel = document.createElement("input");
  Object.assign(channel, { id: "channel", type: "number", min: 0, max: fields.channel.high, placeholder: _("all") });
  const folds = document.createElement("select");
  folds.id = "folds";
  for (const n of [1, 2, 3, 4, 5, 6, 8, 10, 12]) folds.append(new Option(n === 1 ? _("none") : _("{n}-fold", { n }), n));
  const mirror = document.createElement("input");
  Object.assign(mirror, { id: "mirror", type: "checkbox" });
  const normalize = document.createElement("select");
  normalize.id = "normalize";
  for (const choice of fields.normalize.choices) normalize.append(new Option(choice, choice));
  for (const [kind, movieFields] of Object.entries(recipe.movies)) {
    if (kind === "formats") continue;
    state.movieFields[kind] = movieFields.map((field) => field.name);
    for (const field of movieFields) $("movie-fields").append(numberInput(field, 0.01));
  }
  const format = document.createElement("select");
  format.id = "format";
  for (const choice of recipe.movies.formats) format.append(new Option(choice.toUpperCase(), choice));
  $("movie-fields").append(labelled(_("File"), format, _("WebP plays in any page; MP4 in any video player")));
  state.movieFields.zoom.push("format");
  $("extras").append(labelled(_("Channel (one layer)"), channel, fields.channel.help),
    labelled(_("Kaleidoscope"), folds, fields.symmetry.help), labelled(_("mirrored"), mirror),
    labelled(_("Normalisation"), normalize, fields.normalize.help));
}

async function setUp() {
  const drop = $("drop");
  $("image").addEventListener("change", () => choose($("image").files[0]));
  drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    choose(event.dataTransfer.files[0]);
  });
  for (const radio of document.querySelectorAll("input[name=start]")) radio.addEventListener("change", chooseStart);
  for (const radio of document.querySelectorAll("input[name=make]")) radio.addEventListener("change", chooseMake);
  $("clip").addEventListener("change", () => {
    state.clip = $("clip").files[0] || null;
    if (state.clip) $("clip-text").textContent = `${state.clip.name} (${(state.clip.size / 1e6).toFixed(1)} MB)`;
  });
  for (const id of ["noise-width", "noise-height"]) $(id).addEventListener("change", noiseStart);
  $("compare").addEventListener("input", () => { $("before").style.clipPath = `inset(0 ${100 - $("compare").value}% 0 0)`; });
  $("dream-form").addEventListener("submit", dream);
  $("token-form").addEventListener("submit", enterToken);
  $("cancel").addEventListener("click", cancel);
  $("channel-details").addEventListener("toggle", showChannels);
  $("layers").addEventListener("change", (event) => { if (event.target.type === "checkbox") showChannels(); });
  setUpPainting();
  try {
    const recipe = await answer(await fetch("/api/recipe"));
    buildForm(recipe);
    $("warm-up").hidden = recipe.first_dream_ready;
    chooseMake();
  } catch (error) {
    showError(_("Could not read the form from the server: {error}", { error: error.message }));
  }
  loadHistory();
}

setUp();
