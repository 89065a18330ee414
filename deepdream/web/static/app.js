// The DeepDream page: send the form to POST /api/jobs, poll the job, show the result. No libraries.
"use strict";

const $ = (id) => document.getElementById(id);
let file = null;
let jobUrl = null;
let numberFields = []; // the recipe's fields the page shows as numbers (GET /api/recipe)

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = !message;
}

function setBusy(busy) {
  $("dream").disabled = busy || !file;
  $("cancel").hidden = !busy;
  $("progress-box").hidden = !busy && !$("progress-text").textContent;
}

function choose(chosen) {
  if (!chosen) return;
  if (!chosen.type.startsWith("image/")) {
    showError(`"${chosen.name}" is not a picture: choose a JPEG, PNG or WebP file.`);
    return;
  }
  file = chosen;
  showError("");
  $("drop-text").textContent = `${chosen.name} (${(chosen.size / 1e6).toFixed(1)} MB)`;
  $("start").src = URL.createObjectURL(chosen);
  $("result").removeAttribute("src");
  $("downloads").hidden = true;
  setBusy(false);
}

async function answer(response) {
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error || `The server answered ${response.status}.`);
  return body;
}

function seconds(value) {
  if (value === null || value === undefined) return "";
  return value < 60 ? `, about ${Math.ceil(value)} s left` : `, about ${Math.ceil(value / 60)} min left`;
}

async function poll() {
  while (jobUrl) {
    let job;
    try {
      job = await answer(await fetch(jobUrl));
    } catch (error) {
      showError(error.message);
      break;
    }
    $("progress").value = job.steps_total ? job.steps_done / job.steps_total : 0;
    if (job.state === "queued") {
      $("progress-text").textContent = `Waiting in the queue: place ${job.queue_position}${seconds(job.seconds_left)}`;
    } else if (job.state === "running") {
      $("progress-text").textContent = `Dreaming: step ${job.steps_done} of ${job.steps_total}${seconds(job.seconds_left)}`;
    } else {
      finish(job);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 700));
  }
  jobUrl = null;
  setBusy(false);
}

function finish(job) {
  jobUrl = null;
  if (job.state === "done") {
    $("progress-text").textContent = `Done: ${job.steps_total} steps in ${job.run_seconds.toFixed(0)} s.`;
    $("result").src = job.result_url;
    $("result-caption").textContent = `Dream: ${describe()}`;
    $("download-image").href = job.result_url;
    $("download-sidecar").href = job.sidecar_url;
    $("downloads").hidden = false;
  } else if (job.state === "cancelled") {
    $("progress-text").textContent = "Cancelled.";
  } else {
    $("progress-text").textContent = "";
    showError(job.error || "The dream failed.");
  }
  setBusy(false);
}

function chosenLayers() {
  return [...document.querySelectorAll("#layers input:checked")].map((box) => box.value).join(",");
}

function describe() {
  return `${chosenLayers()}, ${$("steps").value} steps x ${$("octaves").value} octaves, step ${$("step_size").value}`;
}

async function dream(event) {
  event.preventDefault();
  if (!file) return;
  const layers = chosenLayers();
  if (!layers) {
    showError("Choose at least one layer.");
    return;
  }
  showError("");
  $("note").hidden = true;
  $("result").removeAttribute("src");
  $("downloads").hidden = true;
  const form = new FormData();
  form.append("image", file);
  form.append("layers", layers);
  for (const field of numberFields) form.append(field.name, $(field.name).value);
  $("progress").value = 0;
  $("progress-text").textContent = "Sending the picture...";
  setBusy(true);
  try {
    const job = await answer(await fetch("/api/jobs", { method: "POST", body: form }));
    if (job.note) {
      $("note").textContent = job.note;
      $("note").hidden = false;
    }
    jobUrl = job.status_url;
    await poll();
  } catch (error) {
    $("progress-text").textContent = "";
    showError(error.message);
    setBusy(false);
  }
}

async function cancel() {
  if (!jobUrl) return;
  try {
    await answer(await fetch(jobUrl, { method: "DELETE" }));
  } catch (error) {
    showError(error.message);
  }
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
  $("dream-form").addEventListener("submit", dream);
  $("cancel").addEventListener("click", cancel);
  try {
    buildForm(await answer(await fetch("/api/recipe")));
  } catch (error) {
    showError(`Could not read the form from the server: ${error.message}`);
  }
}

// The form comes from the recipe: a layer box per suggested layer, a number input per field the page shows.
function buildForm(recipe) {
  const backbone = recipe.backbones.inceptionv3;
  const fields = Object.fromEntries(recipe.fields.map((field) => [field.name, field]));
  const chosen = fields.layers.page.split(",");
  for (const name of backbone.suggested_layers) {
    const label = document.createElement("label");
    const box = document.createElement("input");
    Object.assign(box, { type: "checkbox", value: name, checked: chosen.includes(name) });
    label.append(box, ` ${name}`);
    $("layers").append(label);
  }
  numberFields = recipe.page_fields.filter((name) => name !== "layers").map((name) => fields[name]);
  for (const field of numberFields) {
    const label = document.createElement("label");
    const input = document.createElement("input");
    Object.assign(input, { id: field.name, name: field.name, type: "number", min: field.low, max: field.high,
      step: field.kind === "int" ? 1 : field.low, value: field.page, title: field.help });
    label.append(`${field.label} `, input);
    $("numbers").append(label);
  }
}

setUp();
