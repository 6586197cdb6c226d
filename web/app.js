// app.js - the celeb web page: detection (upload, drag and drop, URL) drawn
// over the playing media with a frame strip and a card per person; the
// gallery (list, add, rename, remove); the embedding explorer. Talks only to
// the JSON API of the server that serves it.
"use strict";

const $ = (sel) => document.querySelector(sel);
const el = (tag, props = {}, ...children) => {
  const e = Object.assign(document.createElement(tag), props);
  for (const c of children) e.append(c);
  return e;
};
// Distinct colours for the persons of one media, in order.
const PALETTE = ["#ff5a5f", "#4da3ff", "#ffd23f", "#3ddc97", "#c77dff", "#ff9f1c", "#2ec4b6", "#f15bb5",
  "#9ef01a", "#a0c4ff"];
const personColor = (i) => PALETTE[i % PALETTE.length];

// ---------------------------------------------------------------------------
// API

const KEY_ITEM = "celeb.apiKey";

// Asks for the API key with the page's dialog; resolves to the key or null.
function askKey() {
  const dialog = $("#key-dialog");
  const input = $("#key-input");
  input.value = "";
  return new Promise((resolve) => {
    const done = (value) => {
      $("#key-form").onsubmit = null;
      $("#key-cancel").onclick = null;
      dialog.close();
      resolve(value);
    };
    $("#key-form").onsubmit = (e) => { e.preventDefault(); done(input.value.trim() || null); };
    $("#key-cancel").onclick = () => done(null);
    dialog.showModal();
    input.focus();
  });
}

// fetch for the routes that change the gallery: the key from this tab's
// session, asked once (and again if the server refuses it).
async function withKey(path, init) {
  for (let attempt = 0; attempt < 2; attempt++) {
    let key = sessionStorage.getItem(KEY_ITEM);
    if (!key) {
      key = await askKey();
      if (!key) throw new Error("no API key given");
      sessionStorage.setItem(KEY_ITEM, key);
    }
    const headers = Object.assign({}, init.headers, { Authorization: `Bearer ${key}` });
    const r = await fetch(path, Object.assign({}, init, { headers }));
    if (r.status !== 401) return r;
    sessionStorage.removeItem(KEY_ITEM);
  }
  throw new Error("the server refused the API key");
}

async function errorText(r) {
  try {
    const d = await r.json();
    return d.error ? `${d.error.message} (HTTP ${r.status})` : `HTTP ${r.status}`;
  } catch (e) {
    return `HTTP ${r.status}`;
  }
}

// ---------------------------------------------------------------------------
// Detect

const state = {
  doc: null,          // the last detection document
  frames: new Map(),  // sampled frame index -> {img, t, w, h}
  boxes: new Map(),   // sampled frame index -> [{box, person, label, color}]
  sampled: [],
  source: null,       // {kind: "file"|"url", url, type, file}
  player: null,       // the running playback, stopped on a new result or when a frame is chosen
  current: 0,         // the sampled frame shown when paused
};

function setStatus(text, error = false) {
  const s = $("#status");
  s.textContent = text;
  s.classList.toggle("error", error);
}

async function detect(body, headers, source) {
  stopPlayer();
  state.source = source;
  setStatus("Detecting…");
  $("#result").hidden = true;
  const t0 = performance.now();
  let r;
  try {
    r = await fetch("/v1/detect?include=frames,embedding", { method: "POST", body, headers });
  } catch (e) {
    setStatus(`The server cannot be reached: ${e.message}`, true);
    return;
  }
  if (!r.ok) {
    setStatus(await errorText(r), true);
    return;
  }
  const doc = await r.json();
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  const n = doc.persons.length;
  setStatus(`${n} ${n === 1 ? "person" : "people"} in ${doc.media.sampled.length} sampled frame(s) of ` +
    `${doc.media.frames} (${doc.media.format}, ${doc.media.width}x${doc.media.height}) in ${secs} s`);
  await showResult(doc);
  explorer.lastDoc = doc;
  if ($("#explorer").classList.contains("active")) explorer.load();
}

function detectFile(file) {
  const fd = new FormData();
  fd.append("file", file, file.name || "upload");
  detect(fd, {}, { kind: "file", file, url: URL.createObjectURL(file), type: file.type });
}

function detectUrl(url) {
  detect(JSON.stringify({ url }), { "Content-Type": "application/json" }, { kind: "url", url, type: "" });
}

const loadImage = (src) => new Promise((resolve, reject) => {
  const img = new Image();
  img.onload = () => resolve(img);
  img.onerror = () => reject(new Error("cannot load an image"));
  img.src = src;
});

async function showResult(doc) {
  state.doc = doc;
  state.sampled = doc.media.sampled.slice();
  state.frames = new Map();
  state.boxes = new Map();
  for (const f of doc.frame_images || []) {
    state.frames.set(f.frame, { img: await loadImage(f.src), t: f.t_ms, w: f.width, h: f.height });
  }
  doc.persons.forEach((p, i) => {
    const label = p.known ? p.name : "unknown";
    for (const a of p.appearances) {
      if (!state.boxes.has(a.frame)) state.boxes.set(a.frame, []);
      state.boxes.get(a.frame).push({ box: a.box, person: i, label, color: personColor(i) });
    }
  });
  const stage = $("#stage");
  const fit = Math.min(2, 720 / doc.media.width, 480 / doc.media.height);
  stage.width = Math.max(1, Math.round(doc.media.width * fit));
  stage.height = Math.max(1, Math.round(doc.media.height * fit));
  buildStrip();
  buildCards(doc);
  $("#result").hidden = false;
  state.current = state.sampled[0] ?? 0;
  startPlayer();
}

// The boxes of a frame on the stage: those of the nearest sampled frame
// (detection ran on the sampled frames only).
function drawBoxes(frameIndex) {
  let shown = null;
  for (const s of state.sampled) if (shown === null || Math.abs(s - frameIndex) < Math.abs(shown - frameIndex)) shown = s;
  const list = state.boxes.get(shown) || [];
  const ctx = $("#stage").getContext("2d");
  const k = $("#stage").width / state.doc.media.width;
  ctx.font = "bold 14px system-ui, sans-serif";
  for (const b of list) {
    const [x, y, w, h] = b.box.map((v) => v * k);
    ctx.lineWidth = 3;
    ctx.strokeStyle = b.color;
    ctx.strokeRect(x, y, w, h);
    const tw = ctx.measureText(b.label).width + 8;
    ctx.fillStyle = b.color;
    ctx.fillRect(x - 1.5, Math.max(0, y - 20), tw, 20);
    ctx.fillStyle = "#000";
    ctx.fillText(b.label, x + 3, Math.max(15, y - 5));
  }
  $("#frame-label").textContent = `frame ${frameIndex}` + (shown !== null && shown !== frameIndex ? ` (boxes of ${shown})` : "");
}

function drawPicture(source) {
  const stage = $("#stage");
  const ctx = stage.getContext("2d");
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, stage.width, stage.height);
  ctx.drawImage(source, 0, 0, stage.width, stage.height);
}

// A paused stage: one sampled frame and its boxes.
function showFrame(index) {
  stopPlayer();
  state.current = index;
  const f = state.frames.get(index);
  if (f) drawPicture(f.img);
  drawBoxes(index);
  for (const img of document.querySelectorAll("#strip img")) {
    img.classList.toggle("current", Number(img.dataset.frame) === index);
  }
  $("#play").textContent = "▶ Play";
}

function buildStrip() {
  const strip = $("#strip");
  strip.replaceChildren();
  for (const index of state.sampled) {
    const f = state.frames.get(index);
    if (!f) continue;
    const img = el("img", { src: f.img.src, title: `frame ${index}, ${(f.t / 1000).toFixed(2)} s`,
      alt: `frame ${index}` });
    img.dataset.frame = index;
    img.onclick = () => showFrame(index);
    strip.append(img);
  }
}

// Playback: the real media where the browser can step through it with the
// boxes in step (a video, or a GIF/WebP through ImageDecoder), else the
// sampled frames at their own times.
function stopPlayer() {
  if (state.player) state.player.stop();
  state.player = null;
}

function startPlayer() {
  stopPlayer();
  const doc = state.doc;
  const src = state.source;
  const animated = doc.media.frames > 1;
  $("#play").textContent = "❚❚ Pause";
  $("#play").hidden = !animated;
  if (!animated) {
    const still = src && src.kind === "file" ? loadImage(src.url) : Promise.reject(new Error("no file"));
    still.then((img) => { drawPicture(img); drawBoxes(0); })
      .catch(() => showFrame(state.sampled[0] ?? 0));
    state.player = { stop() {} };
    return;
  }
  const isVideo = ["mp4", "webm", "mov"].includes(doc.media.format) || (src && src.type.startsWith("video/"));
  if (isVideo && src) state.player = playVideo(src.url);
  else if (src && src.kind === "file" && "ImageDecoder" in window) state.player = playDecoded(src.file);
  else state.player = playSampled();
}

function playVideo(url) {
  const video = el("video", { src: url, muted: true, loop: true, playsInline: true });
  let running = true;
  const frameOf = (t) => {   // the sampled frame nearest in time
    let best = state.sampled[0];
    const dt = (s) => Math.abs((state.frames.get(s)?.t ?? 0) - t);
    for (const s of state.sampled) if (dt(s) < dt(best)) best = s;
    return best;
  };
  const tick = () => {
    if (!running) return;
    if (video.readyState >= 2) {
      drawPicture(video);
      drawBoxes(frameOf(video.currentTime * 1000));
    }
    requestAnimationFrame(tick);
  };
  video.play().catch(() => {});
  tick();
  return { stop() { running = false; video.pause(); video.removeAttribute("src"); } };
}

function playDecoded(file) {
  let running = true;
  let decoder = null;
  (async () => {
    try {
      decoder = new ImageDecoder({ data: await file.arrayBuffer(), type: file.type || "image/gif" });
      await decoder.tracks.ready;
      const count = decoder.tracks.selectedTrack.frameCount;
      for (let i = 0; running; i = (i + 1) % count) {
        const { image } = await decoder.decode({ frameIndex: i });
        if (!running) { image.close(); break; }
        drawPicture(image);
        drawBoxes(i);
        const ms = Math.max(20, (image.duration || 100000) / 1000);
        image.close();
        await new Promise((r) => setTimeout(r, ms));
      }
    } catch (e) {
      if (running) state.player = playSampled();
    }
  })();
  return { stop() { running = false; if (decoder) decoder.close(); } };
}

function playSampled() {
  let running = true;
  let k = 0;
  const step = () => {
    if (!running || !state.sampled.length) return;
    const index = state.sampled[k];
    const f = state.frames.get(index);
    if (f) drawPicture(f.img);
    drawBoxes(index);
    const next = state.sampled[(k + 1) % state.sampled.length];
    const gap = k + 1 < state.sampled.length ? (state.frames.get(next)?.t ?? 0) - (f?.t ?? 0) : 400;
    k = (k + 1) % state.sampled.length;
    setTimeout(step, Math.max(80, Math.min(1000, gap || 200)));
  };
  step();
  return { stop() { running = false; } };
}

$("#play").onclick = () => {
  if (state.player) showFrame(state.current);
  else startPlayer();
};

// "0.0-1.5 s, 3.2 s": the times a person is seen, near frames merged.
function whenSeen(apps, doc) {
  if (doc.media.frames <= 1) return "in the photo";
  const ts = [...new Set(apps.map((a) => a.t_ms))].sort((a, b) => a - b);
  const times = state.sampled.map((s) => state.frames.get(s)?.t).filter((t) => t !== undefined);
  let gap = 0;
  for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i] - times[i - 1]);
  const ranges = [];
  for (const t of ts) {
    const last = ranges[ranges.length - 1];
    if (last && t - last[1] <= gap * 1.01 + 1) last[1] = t;
    else ranges.push([t, t]);
  }
  return ranges.map(([a, b]) => (a === b ? `${(a / 1000).toFixed(1)} s` :
    `${(a / 1000).toFixed(1)}–${(b / 1000).toFixed(1)} s`)).join(", ");
}

// The best face of a person, cut from its sampled frame.
function faceCrop(p) {
  const c = el("canvas", { width: 96, height: 96, className: "crop" });
  const best = p.appearances.reduce((a, b) => (b.score > a.score ? b : a), p.appearances[0]);
  const f = best && state.frames.get(best.frame);
  if (!f) return c;
  const k = f.w / state.doc.media.width;
  const [x, y, w, h] = best.box;
  const side = Math.max(w, h) * 1.3;
  const cx = x + w / 2, cy = y + h / 2;
  c.getContext("2d").drawImage(f.img, (cx - side / 2) * k, (cy - side / 2) * k, side * k, side * k, 0, 0, 96, 96);
  return c;
}

function buildCards(doc) {
  const cards = $("#cards");
  cards.replaceChildren();
  doc.persons.forEach((p, i) => {
    const name = p.known ? p.name : "unknown";
    const conf = p.known ? `${Math.round(p.confidence * 100)}% sure, distance ${p.distance.toFixed(2)}`
      : p.candidates.length ? `closest: ${p.candidates[0].name} at ${p.candidates[0].distance.toFixed(2)}` : "empty gallery";
    const top5 = el("ol", {}, ...p.candidates.map((c) =>
      el("li", { textContent: `${c.name} — p ${c.p.toFixed(2)}, d ${c.distance.toFixed(2)}` })));
    const card = el("div", { className: `person-card${p.known ? "" : " unknown"}` },
      el("div", { className: "top" }, faceCrop(p),
        el("div", {}, el("div", { className: "name", textContent: name }),
          el("div", { className: "conf", textContent: conf }))),
      el("div", { className: "when", textContent: `seen ${whenSeen(p.appearances, doc)} (${p.appearances.length} face${p.appearances.length === 1 ? "" : "s"})` }),
      top5);
    card.style.setProperty("--c", personColor(i));
    card.dataset.name = name;
    card.dataset.person = i;
    card.onclick = () => showFrame(p.appearances[0].frame);
    cards.append(card);
  });
}

// Inputs: file button, drag and drop, URL.
$("#file").onchange = (e) => { if (e.target.files[0]) detectFile(e.target.files[0]); };
$("#url-form").onsubmit = (e) => {
  e.preventDefault();
  const url = $("#url").value.trim();
  if (url) detectUrl(url);
};
const drop = $("#drop");
for (const type of ["dragenter", "dragover"]) {
  drop.addEventListener(type, (e) => { e.preventDefault(); drop.classList.add("over"); });
}
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  const file = e.dataTransfer.files[0];
  const url = e.dataTransfer.getData("text/uri-list") || e.dataTransfer.getData("text/plain");
  if (file) detectFile(file);
  else if (url) detectUrl(url.split("\n")[0].trim());
});

// ---------------------------------------------------------------------------
// Gallery

function setGalleryStatus(text, error = false) {
  const s = $("#add-status");
  s.textContent = text;
  s.classList.toggle("error", error);
}

async function loadGallery() {
  const r = await fetch("/v1/gallery");
  if (!r.ok) { setGalleryStatus(await errorText(r), true); return; }
  const d = await r.json();
  $("#people-title").textContent = `People (${d.identities.length}, ${d.faces} faces)`;
  const list = $("#people");
  list.replaceChildren(...d.identities.map(personTile));
}

function personTile(p) {
  const pic = p.thumbnail ? el("img", { src: p.thumbnail, alt: p.name, loading: "lazy" })
    : el("div", { className: "placeholder", textContent: p.name.slice(0, 2) });
  // A thumbnail not made yet is made by a worker; when they are all busy (503)
  // try again a little later, then show the initials.
  let tries = 0;
  if (p.thumbnail) pic.onerror = () => {
    if (++tries <= 3) setTimeout(() => { pic.src = `${p.thumbnail}?try=${tries}`; }, 1500 * tries);
    else pic.replaceWith(el("div", { className: "placeholder", textContent: p.name.slice(0, 2) }));
  };
  const rename = el("button", { textContent: "Rename", type: "button" });
  const remove = el("button", { textContent: "Remove", type: "button" });
  const info = el("div", { className: "info" }, el("div", { className: "name", textContent: p.name }),
    el("div", { className: "count", textContent: `${p.faces} photo${p.faces === 1 ? "" : "s"}` }),
    el("div", { className: "actions" }, rename, remove));
  const tile = el("div", { className: "gallery-person" }, pic, info);
  tile.dataset.name = p.name;
  rename.onclick = () => {
    const input = el("input", { value: p.name, maxLength: 127, className: "rename-input" });
    const save = el("button", { textContent: "Save", type: "button", className: "rename-save" });
    info.querySelector(".name").replaceWith(input);
    rename.replaceWith(save);
    input.focus();
    const commit = async () => {
      const to = input.value.trim();
      if (!to || to === p.name) { loadGallery(); return; }
      try {
        const r = await withKey(`/v1/gallery/${encodeURIComponent(p.name)}`,
          { method: "PATCH", body: JSON.stringify({ name: to }), headers: { "Content-Type": "application/json" } });
        if (!r.ok) setGalleryStatus(await errorText(r), true);
        else setGalleryStatus(`Renamed ${p.name} to ${to}.`);
      } catch (e) { setGalleryStatus(e.message, true); }
      loadGallery();
    };
    save.onclick = commit;
    input.onkeydown = (e) => { if (e.key === "Enter") commit(); if (e.key === "Escape") loadGallery(); };
  };
  remove.onclick = async () => {
    if (!confirm(`Remove ${p.name} and their ${p.faces} photo(s) from the gallery?`)) return;
    try {
      const r = await withKey(`/v1/gallery/${encodeURIComponent(p.name)}`, { method: "DELETE" });
      if (!r.ok) setGalleryStatus(await errorText(r), true);
      else setGalleryStatus(`Removed ${p.name}.`);
    } catch (e) { setGalleryStatus(e.message, true); }
    loadGallery();
  };
  return tile;
}

$("#add-files").onchange = (e) => {
  const n = e.target.files.length;
  $("#add-count").textContent = n ? `${n} photo${n === 1 ? "" : "s"}` : "no photo chosen";
};
$("#add-form").onsubmit = async (e) => {
  e.preventDefault();
  const name = $("#add-name").value.trim();
  const files = $("#add-files").files;
  if (!name || !files.length) { setGalleryStatus("Give a name and at least one photo.", true); return; }
  const fd = new FormData();
  for (const f of files) fd.append("file", f, f.name);
  setGalleryStatus(`Enrolling ${files.length} photo(s) of ${name}…`);
  try {
    const r = await withKey(`/v1/gallery/${encodeURIComponent(name)}/faces`, { method: "POST", body: fd });
    const d = await r.json().catch(() => ({}));
    if (!d.photos) { setGalleryStatus(d.error ? d.error.message : `HTTP ${r.status}`, true); }
    else {
      const skipped = d.photos.filter((p) => p.status !== "enrolled").map((p) => `${p.source}: ${p.error.message}`);
      setGalleryStatus(`${name}: ${d.enrolled} photo(s) enrolled, ${d.faces} in all` +
        (skipped.length ? `; skipped ${skipped.join("; ")}` : "."), d.enrolled === 0);
      if (d.enrolled) { $("#add-form").reset(); $("#add-count").textContent = "no photo chosen"; }
    }
  } catch (err) { setGalleryStatus(err.message, true); }
  loadGallery();
};

// ---------------------------------------------------------------------------
// Explorer

const explorer = {
  view: new window.CelebExplorer($("#space"), $("#tip")),
  lastDoc: null,
  async load() {
    const r = await fetch("/v1/embeddings");
    if (!r.ok) { $("#space-status").textContent = await errorText(r); return; }
    const d = await r.json();
    const highlights = [];
    if (this.lastDoc) {
      this.lastDoc.persons.forEach((p, i) => {
        for (const a of p.appearances) {
          if (a.xyz) highlights.push({ xyz: a.xyz, name: p.known ? p.name : `unknown #${i + 1}`, color: personColor(i) });
        }
      });
    }
    this.view.setData(d.points, highlights);
    const names = [...new Set(d.points.map((p) => p.name))];
    $("#legend").replaceChildren(...names.map((n) => {
      const li = el("li", { textContent: n });
      li.style.setProperty("--c", window.colorForName(n));
      return li;
    }));
    const ev = d.explained_variance.map((v) => `${(v * 100).toFixed(0)}%`).join(" / ");
    $("#space-status").textContent = `${d.faces} faces of ${d.identities} people; variance explained by the 3 axes: ${ev}` +
      (highlights.length ? `; ${highlights.length} faces of the last detection ringed` : "");
  },
};

// ---------------------------------------------------------------------------
// Tabs

function showTab(name) {
  for (const t of document.querySelectorAll(".tab")) t.classList.toggle("active", t.dataset.tab === name);
  for (const p of document.querySelectorAll(".panel")) p.classList.toggle("active", p.id === name);
  if (name === "gallery") loadGallery();
  if (name === "explorer") explorer.load();
  if (location.hash !== `#${name}`) history.replaceState(null, "", `#${name}`);
}
for (const t of document.querySelectorAll(".tab")) t.onclick = () => showTab(t.dataset.tab);
showTab(["detect", "gallery", "explorer"].includes(location.hash.slice(1)) ? location.hash.slice(1) : "detect");
