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
  const select = $("style");
  for (const s of styles) {
    const option = document.createElement("option");
    option.value = s.name;
    option.textContent = (document.documentElement.lang === "ko" ? s.title_ko : s.title_en) || s.name;
    select.appendChild(option);
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
    await watch(made.id);
    if (!$("token-row").hidden && token) $("token-row").hidden = true;
    loadStylesOnce();
  } catch (e) {
    showError(String(e));
  } finally {
    $("make").disabled = false;
  }
});

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
  if (file.size > T["max-bytes"]) {
    $("batch").hidden = false;
    $("batch-error").textContent = T["too-large"];
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
    await watchBatch(made.id);
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
