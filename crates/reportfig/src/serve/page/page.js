// The page of `reportfig serve`: one caption in, one picture out, or an outline in and a ZIP
// of its figures out, through the JSON API.
// Texts come from the server's message catalogue (the #texts block), in the browser's language.
"use strict";
const T = JSON.parse(document.getElementById("texts").textContent);
const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem("reportfig-token") || "";
let imageUrl = null;

function format(text, values) {
  return text.replace(/\{(\w+)\}/g, (_, k) => (k in values ? String(values[k]) : ""));
}

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (token) headers["Authorization"] = "Bearer " + token;
  const response = await fetch(path, Object.assign({}, options, { headers }));
  if (response.status === 401) {
    $("token-row").hidden = false;
    $("token").focus();
  }
  return response;
}

async function errorOf(response) {
  try {
    return (await response.json()).error || response.statusText;
  } catch (_) {
    return response.statusText;
  }
}

function showError(text) {
  $("error").textContent = text;
  $("error").hidden = !text;
}

async function loadStyles() {
  const response = await api("/api/styles");
  if (!response.ok) {
    stylesLoaded = false;
    return;
  }
  const styles = await response.json();
  for (const select of [$("style"), $("compare-styles")]) {
    for (const s of styles) {
      const option = document.createElement("option");
      option.value = s.name;
      option.textContent = (document.documentElement.lang === "ko" ? s.title_ko : s.title_en) || s.name;
      select.appendChild(option);
    }
  }
}

function showStatus(s) {
  $("bar").value = s.progress || 0;
  let text = T["state-" + s.state] || s.state;
  if (s.state === "queued") text = format(T["state-queued"], { position: s.position });
  if (s.state === "running" && s.steps) text = format(T["state-running"], { step: s.step, steps: s.steps });
  $("state").textContent = text;
}

async function watch(id) {
  for (;;) {
    const response = await api("/api/images/" + id);
    if (!response.ok) {
      showError(await errorOf(response));
      return;
    }
    const s = await response.json();
    showStatus(s);
    if (s.state === "failed") {
      showError(s.error || "");
      return;
    }
    if (s.state === "done") {
      const png = await api(s.image);
      if (!png.ok) {
        showError(await errorOf(png));
        return;
      }
      if (imageUrl) URL.revokeObjectURL(imageUrl);
      imageUrl = URL.createObjectURL(await png.blob());
      $("image").src = imageUrl;
      $("image").alt = s.caption;
      $("download").href = imageUrl;
      $("download").download = "reportfig-" + s.seed + ".png";
      $("made-seed").textContent = format(T["seed"], { seed: s.seed });
      $("result").hidden = false;
      return;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

// A starting picture (and mask): read as data URLs, which the API takes in place of base64.
let previewUrl = null;
function readAsDataUrl(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

// The server's own refusal for a file over its limit, said before sending it.
function pictureTooLarge(file) {
  return file && file.size > T["picture-max-bytes"] ? format(T["picture-too-large"], { file: file.name }) : "";
}

$("picture").addEventListener("change", () => {
  const file = $("picture").files[0];
  $("picture-options").hidden = !file;
  if (previewUrl) URL.revokeObjectURL(previewUrl);
  previewUrl = file ? URL.createObjectURL(file) : null;
  $("picture-preview").src = previewUrl || "";
});
$("strength").addEventListener("input", () => {
  $("strength-value").textContent = $("strength").value;
});
$("picture-clear").addEventListener("click", () => {
  $("picture").value = "";
  $("mask").value = "";
  $("picture").dispatchEvent(new Event("change"));
});

async function addPictures(body) {
  const picture = $("picture").files[0];
  if (!picture) return "";
  const mask = $("mask").files[0];
  const refused = pictureTooLarge(picture) || pictureTooLarge(mask);
  if (refused) return refused;
  body.init_image = { name: picture.name, data: await readAsDataUrl(picture) };
  body.strength = Number($("strength").value);
  if (mask) body.mask = { name: mask.name, data: await readAsDataUrl(mask) };
  return "";
}

$("form").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!$("token-row").hidden && $("token").value) {
    token = $("token").value.trim();
    sessionStorage.setItem("reportfig-token", token);
  }
  const body = { caption: $("caption").value };
  if ($("style").value) body.style = $("style").value;
  if ($("size").value) body.size = $("size").value;
  if ($("seed").value !== "") body.seed = Number($("seed").value);
  $("make").disabled = true;
  $("job").hidden = false;
  $("result").hidden = true;
  showError("");
  $("bar").value = 0;
  $("state").textContent = "";
  try {
    const refused = await addPictures(body);
    if (refused) {
      showError(refused);
      return;
    }
    const response = await api("/api/images", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    if (response.status !== 202) {
      showError(await errorOf(response));
      return;
    }
    const made = await response.json();
    loadHistory();
    await watch(made.id);
    if (!$("token-row").hidden && token) $("token-row").hidden = true;
    loadStylesOnce();
    loadHistory();
  } catch (e) {
    showError(String(e));
  } finally {
    $("make").disabled = false;
  }
});

// A comparison: the caption, size and picture above, in the styles, seeds and settings
// chosen here, on one labelled sheet.
function compareError(text) {
  $("compare-error").textContent = text;
  $("compare-error").hidden = !text;
}

async function watchCompare(id) {
  for (;;) {
    const response = await api("/api/compares/" + id);
    if (!response.ok) {
      compareError(await errorOf(response));
      return;
    }
    const s = await response.json();
    $("compare-bar").value = s.progress || 0;
    let text = T["state-" + s.state] || s.state;
    if (s.state === "queued") text = format(T["state-queued"], { position: s.position });
    if (s.state === "running" && s.cells) text = format(T["cell"], { cell: s.cell, cells: s.cells });
    $("compare-state").textContent = text;
    if (s.state === "failed") {
      compareError(s.error || "");
      return;
    }
    if (s.state === "done") {
      const png = await api(s.image);
      if (!png.ok) {
        compareError(await errorOf(png));
        return;
      }
      const link = $("compare-download");
      if (link.href) URL.revokeObjectURL(link.href);
      const url = URL.createObjectURL(await png.blob());
      $("compare-image").src = url;
      $("compare-image").alt = s.caption;
      link.href = url;
      link.download = "reportfig-compare-" + s.seed + ".png";
      $("compare-result").hidden = false;
      return;
    }
    await new Promise((r) => setTimeout(r, 700));
  }
}

$("compare-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!$("token-row").hidden && $("token").value) {
    token = $("token").value.trim();
    sessionStorage.setItem("reportfig-token", token);
  }
  const body = { caption: $("caption").value };
  const styles = Array.from($("compare-styles").selectedOptions).map((o) => o.value);
  if (styles.length) body.styles = styles;
  else if ($("style").value) body.style = $("style").value;
  if ($("size").value) body.size = $("size").value;
  const seeds = $("compare-seeds").value.split(/[\s,]+/).filter((v) => v !== "");
  if (seeds.length) body.seeds = seeds.map(Number);
  else if ($("seed").value !== "") body.seeds = [Number($("seed").value)];
  const vary = $("compare-vary").value.trim();
  if (vary) body.vary = vary.split(/\s+/);
  $("compare-make").disabled = true;
  $("compare").hidden = false;
  $("compare-result").hidden = true;
  compareError("");
  $("compare-bar").value = 0;
  $("compare-state").textContent = "";
  try {
    const refused = await addPictures(body);
    if (refused) {
      compareError(refused);
      return;
    }
    const response = await api("/api/compares", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    if (response.status !== 202) {
      compareError(await errorOf(response));
      return;
    }
    const made = await response.json();
    loadHistory();
    await watchCompare(made.id);
    loadHistory();
  } catch (e) {
    compareError(String(e));
  } finally {
    $("compare-make").disabled = false;
  }
});

// This browser's pictures, sheets and outlines, as the server keeps them under its cookie.
const thumbnails = new Map();

// A batch's ZIP, fetched with the token when its entry is clicked (it is made on request,
// so not for every entry shown).
async function downloadZip(job, link) {
  const zip = await api(job.zip);
  if (!zip.ok) return;
  const url = URL.createObjectURL(await zip.blob());
  const save = document.createElement("a");
  save.href = url;
  save.download = "figures-" + job.id.slice(0, 8) + ".zip";
  document.body.appendChild(save);
  save.click();
  save.remove();
  link.dataset.downloaded = "true";
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

function historyWords(job) {
  const state = T["state-" + job.state] || job.state;
  if (job.kind === "batch") {
    return T["batch-label"] + " · " + job.caption + " · " + format(T["batch"], { done: job.done, total: job.total });
  }
  const kind = job.kind === "compare" ? T["compare-label"] + " · " : "";
  return kind + job.caption + " · " + format(T["seed-short"], { seed: job.seed }) + " · " + state;
}
async function loadHistory() {
  const response = await api("/api/images?mine");
  if (!response.ok) return;
  const { images } = await response.json();
  $("history-section").hidden = images.length === 0;
  const list = $("history");
  list.replaceChildren();
  for (const job of images) {
    const item = document.createElement("li");
    item.className = job.state;
    const words = document.createElement("span");
    words.textContent = historyWords(job);
    if (job.image) {
      const link = document.createElement("a");
      const img = document.createElement("img");
      img.alt = job.caption;
      link.appendChild(img);
      item.appendChild(link);
      if (job.kind === "batch") {
        // The picture is the batch's first figure; the entry gives the whole ZIP.
        link.href = "#";
        link.className = "zip";
        if (job.zip) {
          link.addEventListener("click", (e) => {
            e.preventDefault();
            downloadZip(job, link);
          });
        }
      } else {
        link.download = "reportfig-" + job.seed + ".png";
      }
      // Fetched with the token, then shown from memory; each picture is fetched once.
      let url = thumbnails.get(job.id);
      if (!url) {
        const png = await api(job.image);
        if (png.ok) {
          url = URL.createObjectURL(await png.blob());
          thumbnails.set(job.id, url);
        }
      }
      if (url) {
        img.src = url;
        if (job.kind !== "batch") link.href = url;
      }
    }
    item.appendChild(words);
    list.appendChild(item);
  }
}

// An outline: every figure with the style and size chosen above, then one ZIP.
function showBatch(b) {
  const total = b.total || 0;
  const sum = (b.figures || []).reduce((acc, f) => acc + (f.progress || 0), 0);
  $("batch-bar").value = total ? sum / total : 0;
  $("batch-state").textContent = format(T["batch"], { done: b.done, total });
  const list = $("figures");
  list.replaceChildren();
  for (const f of b.figures || []) {
    const item = document.createElement("li");
    item.className = f.state;
    item.textContent = f.file + " — " + f.caption + " · " + (T["state-" + f.state] || f.state);
    if (f.error) item.title = f.error;
    list.appendChild(item);
  }
}

async function watchBatch(id) {
  for (;;) {
    const response = await api("/api/batches/" + id);
    if (!response.ok) {
      $("batch-error").textContent = await errorOf(response);
      $("batch-error").hidden = false;
      return;
    }
    const b = await response.json();
    showBatch(b);
    if (b.zip) {
      // Fetched with the token, then offered from memory (a plain link carries no header).
      const zip = await api(b.zip);
      if (!zip.ok) {
        $("batch-error").textContent = await errorOf(zip);
        $("batch-error").hidden = false;
        return;
      }
      const link = $("zip");
      if (link.href) URL.revokeObjectURL(link.href);
      link.href = URL.createObjectURL(await zip.blob());
      link.download = "figures-" + id.slice(0, 8) + ".zip";
      link.hidden = false;
      return;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

$("outline-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = $("outline").files[0];
  if (!file) return;
  // A ZIP carries the outline with its starting pictures, so it may be larger.
  const zipped = /\.zip$/i.test(file.name);
  if (file.size > T[zipped ? "zip-max-bytes" : "max-bytes"]) {
    $("batch").hidden = false;
    $("batch-error").textContent = T[zipped ? "zip-too-large" : "too-large"];
    $("batch-error").hidden = false;
    return;
  }
  if (!$("token-row").hidden && $("token").value) {
    token = $("token").value.trim();
    sessionStorage.setItem("reportfig-token", token);
  }
  const query = new URLSearchParams({ name: file.name });
  if ($("style").value) query.set("style", $("style").value);
  if ($("size").value) query.set("size", $("size").value);
  if ($("seed").value !== "") query.set("seed", $("seed").value);
  $("upload").disabled = true;
  $("batch").hidden = false;
  $("batch-error").hidden = true;
  $("zip").hidden = true;
  $("figures").replaceChildren();
  $("batch-state").textContent = "";
  $("batch-bar").value = 0;
  try {
    const response = await api("/api/batches?" + query, {
      method: "POST",
      headers: { "Content-Type": file.type || "application/octet-stream" },
      body: file,
    });
    if (response.status !== 202) {
      $("batch-error").textContent = await errorOf(response);
      $("batch-error").hidden = false;
      return;
    }
    const made = await response.json();
    loadHistory();
    await watchBatch(made.id);
    loadHistory();
  } catch (e) {
    $("batch-error").textContent = String(e);
    $("batch-error").hidden = false;
  } finally {
    $("upload").disabled = false;
  }
});

let stylesLoaded = false;
function loadStylesOnce() {
  if (stylesLoaded) return;
  stylesLoaded = true;
  loadStyles().catch(() => { stylesLoaded = false; });
}
loadStylesOnce();
loadHistory().catch(() => {});
