// explorer.js - the 3D embedding explorer: a scatter of points drawn on a
// 2D canvas with a small perspective camera (drag to rotate, wheel to zoom,
// hover for the nearest point). No library: rotation, projection and
// painter's-order drawing are a few lines each.
"use strict";

// A colour per name, the same on every page: a hue from a string hash.
function colorForName(name) {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return `hsl(${(h >>> 0) % 360}, 75%, 60%)`;
}

class Explorer {
  // canvas: the <canvas>; tip: a positioned element with an <img> and a <span>.
  constructor(canvas, tip) {
    this.canvas = canvas;
    this.tip = tip;
    this.ctx = canvas.getContext("2d");
    this.points = [];      // {x, y, z, name, color, thumbnail, highlight}
    this.yaw = 0.6;
    this.pitch = -0.35;
    this.zoom = 1;
    this.scale = 1;        // data units -> unit cube
    this.projected = [];
    this.bindEvents();
  }

  // gallery: [{xyz, name, thumbnail}], highlights: [{xyz, name, color}]
  setData(gallery, highlights) {
    const all = gallery.concat(highlights);
    let extent = 0;
    for (const p of all) for (const v of p.xyz) extent = Math.max(extent, Math.abs(v));
    this.scale = extent > 0 ? 1 / extent : 1;
    this.points = gallery.map((p) => ({ x: p.xyz[0], y: p.xyz[1], z: p.xyz[2], name: p.name,
      color: colorForName(p.name), thumbnail: p.thumbnail, highlight: false }))
      .concat(highlights.map((p) => ({ x: p.xyz[0], y: p.xyz[1], z: p.xyz[2], name: p.name,
        color: p.color, thumbnail: p.thumbnail || null, highlight: true })));
    this.draw();
  }

  // World point -> screen (x, y, depth), the camera rotated by yaw then pitch.
  project(p) {
    const s = this.scale;
    let x = p.x * s, y = p.y * s, z = p.z * s;
    const cy = Math.cos(this.yaw), sy = Math.sin(this.yaw);
    [x, z] = [x * cy + z * sy, -x * sy + z * cy];
    const cp = Math.cos(this.pitch), sp = Math.sin(this.pitch);
    [y, z] = [y * cp - z * sp, y * sp + z * cp];
    const d = 3.2;                                  // camera distance in cube units
    const f = (Math.min(this.canvas.width, this.canvas.height) * 0.42 * this.zoom * d) / (d + z);
    return { sx: this.canvas.width / 2 + x * f, sy: this.canvas.height / 2 - y * f, depth: z };
  }

  draw() {
    const { ctx, canvas } = this;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    this.drawAxes();
    this.projected = this.points.map((p) => ({ p, ...this.project(p) }));
    const order = this.projected.slice().sort((a, b) => b.depth - a.depth);   // far first
    let gallery = 0, highlighted = 0;
    for (const q of order) {
      const r = q.p.highlight ? 7 : 4.5;
      ctx.beginPath();
      ctx.arc(q.sx, q.sy, r, 0, 2 * Math.PI);
      ctx.fillStyle = q.p.color;
      ctx.globalAlpha = q.p.highlight ? 1 : 0.85;
      ctx.fill();
      ctx.globalAlpha = 1;
      if (q.p.highlight) {
        ctx.lineWidth = 2.5;
        ctx.strokeStyle = "#fff";
        ctx.stroke();
        highlighted++;
      } else {
        gallery++;
      }
    }
    // One label per person of the last detection, at the middle of their faces.
    const groups = new Map();
    for (const q of this.projected) {
      if (!q.p.highlight) continue;
      const g = groups.get(q.p.name) || { x: 0, y: 0, n: 0 };
      g.x += q.sx; g.y += q.sy; g.n++;
      groups.set(q.p.name, g);
    }
    ctx.font = "bold 12px system-ui, sans-serif";
    for (const [name, g] of groups) {
      const x = g.x / g.n + 12, y = g.y / g.n - 12;
      ctx.lineWidth = 3;
      ctx.strokeStyle = "#07090c";
      ctx.strokeText(name, x, y);
      ctx.fillStyle = "#fff";
      ctx.fillText(name, x, y);
    }
    // What is on the canvas, for tests and screen readers.
    canvas.dataset.points = String(gallery);
    canvas.dataset.highlighted = String(highlighted);
    canvas.setAttribute("aria-label", `${gallery} gallery faces, ${highlighted} faces of the last detection`);
  }

  drawAxes() {
    const { ctx } = this;
    const o = this.project({ x: 0, y: 0, z: 0 });
    const axes = [[1, 0, 0, "PC1"], [0, 1, 0, "PC2"], [0, 0, 1, "PC3"]];
    ctx.lineWidth = 1;
    ctx.font = "11px system-ui, sans-serif";
    for (const [x, y, z, label] of axes) {
      const e = this.project({ x: x / this.scale, y: y / this.scale, z: z / this.scale });
      ctx.strokeStyle = "#3a4452";
      ctx.beginPath();
      ctx.moveTo(o.sx, o.sy);
      ctx.lineTo(e.sx, e.sy);
      ctx.stroke();
      ctx.fillStyle = "#66717f";
      ctx.fillText(label, e.sx + 3, e.sy - 3);
    }
  }

  // The nearest drawn point within 10 px of (x, y) in canvas pixels.
  pick(x, y) {
    let best = null, bestD = 100;
    for (const q of this.projected) {
      const d = (q.sx - x) ** 2 + (q.sy - y) ** 2;
      if (d < bestD) { bestD = d; best = q; }
    }
    return best;
  }

  bindEvents() {
    const c = this.canvas;
    let drag = null;
    const toCanvas = (e) => {
      const r = c.getBoundingClientRect();
      return [(e.clientX - r.left) * (c.width / r.width), (e.clientY - r.top) * (c.height / r.height)];
    };
    c.addEventListener("pointerdown", (e) => {
      drag = { x: e.clientX, y: e.clientY };
      c.setPointerCapture(e.pointerId);
      c.classList.add("dragging");
    });
    c.addEventListener("pointerup", (e) => {
      drag = null;
      c.releasePointerCapture(e.pointerId);
      c.classList.remove("dragging");
    });
    c.addEventListener("pointermove", (e) => {
      if (drag) {
        this.yaw += (e.clientX - drag.x) * 0.01;
        this.pitch = Math.max(-1.5, Math.min(1.5, this.pitch + (e.clientY - drag.y) * 0.01));
        drag = { x: e.clientX, y: e.clientY };
        this.draw();
        this.tip.hidden = true;
        return;
      }
      const [x, y] = toCanvas(e);
      const q = this.pick(x, y);
      if (!q) { this.tip.hidden = true; return; }
      const img = this.tip.querySelector("img");
      if (q.p.thumbnail) { img.src = q.p.thumbnail; img.hidden = false; } else { img.hidden = true; }
      this.tip.querySelector("span").textContent = q.p.highlight ? `${q.p.name} (last detection)` : q.p.name;
      this.tip.style.left = `${c.offsetLeft + q.sx / (c.width / c.clientWidth) + 12}px`;
      this.tip.style.top = `${c.offsetTop + q.sy / (c.height / c.clientHeight) + 12}px`;
      this.tip.hidden = false;
    });
    c.addEventListener("pointerleave", () => { this.tip.hidden = true; });
    c.addEventListener("wheel", (e) => {
      e.preventDefault();
      this.zoom = Math.max(0.2, Math.min(8, this.zoom * Math.exp(-e.deltaY * 0.0015)));
      this.draw();
    }, { passive: false });
  }
}

window.CelebExplorer = Explorer;
window.colorForName = colorForName;
