// yitaotu sheet viewer: OpenSeadragon on the sheet's tile pyramid, sheet coordinates under the
// cursor, a distance tool; while the pyramid is being made, its job's progress.
// Other pages (compare, review) reuse window.yitaotuViewer to draw marks in sheet coordinates.
"use strict";
(function () {
  const app = document.getElementById("viewer-app");
  if (!app) return;
  const d = app.dataset;

  // a layout chooser submits itself
  document.querySelectorAll("form[data-autosubmit] select").forEach((s) =>
    s.addEventListener("change", () => s.form.submit()));

  if (d.ready !== "true") { waitForPyramid(); return; }

  const [pxW, pxH] = d.pixels.split(",").map(Number);
  const [pageW, pageH] = d.page.split(",").map(Number);
  const [a, b, c, dd, e, f] = d.matrix.split(",").map(Number);
  const maxZoom = Number(d.maxZoom);
  const offset = 8; // OpenSeadragon's level L = tile level L - 8 (256 px tiles)
  const ptPerPx = Math.max(pageW, pageH) / Math.max(pxW, pxH);
  const det = a * dd - b * c;

  // image pixels (top left, y down) <-> sheet (drawing units, y up) through the page (pt)
  function toSheet(px, py) {
    const X = px * ptPerPx - e, Y = (pageH - py * ptPerPx) - f;
    return [(dd * X - c * Y) / det, (a * Y - b * X) / det];
  }
  function toImage(x, y) {
    const X = a * x + c * y + e, Y = b * x + dd * y + f;
    return [X / ptPerPx, (pageH - Y) / ptPerPx];
  }

  const tpl = d.tileUrl;
  const viewer = OpenSeadragon({
    id: "viewer-canvas",
    prefixUrl: d.prefix,
    showNavigationControl: true,
    showNavigator: true,
    navigatorPosition: "BOTTOM_RIGHT",
    maxZoomPixelRatio: 4,
    visibilityRatio: 0.2,
    crossOriginPolicy: false,
    tileSources: {
      width: pxW, height: pxH, tileSize: 256, tileOverlap: 0,
      minLevel: offset, maxLevel: offset + maxZoom,
      getTileUrl: (level, x, y) => tpl.replace("{z}", level - offset)
        .replace("{x}", x).replace("{y}", y),
    },
  });

  const coords = app.querySelector("[data-coords]");
  const measureOut = app.querySelector("[data-measure]");
  const svg = app.querySelector("[data-marks]");
  const fmt = (v) => (Math.abs(v) >= 1000 ? v.toFixed(0) : v.toPrecision(5));

  function imageAt(pos) {
    return viewer.viewport.viewerElementToImageCoordinates(pos);
  }
  function screenOf(x, y) { // sheet -> viewer element pixels
    const [ix, iy] = toImage(x, y);
    return viewer.viewport.imageToViewerElementCoordinates(new OpenSeadragon.Point(ix, iy));
  }

  new OpenSeadragon.MouseTracker({
    element: viewer.element,
    moveHandler: (ev) => {
      const p = imageAt(ev.position);
      const [x, y] = toSheet(p.x, p.y);
      coords.textContent = `x ${fmt(x)} · y ${fmt(y)}`;
    },
  });

  // marks drawn over the viewer, in sheet coordinates: {kind: "line"|"rect"|"point", pts, cls}
  const marks = { measure: [], extra: [], opinions: [], placing: [] };
  document.querySelectorAll("[data-opinion-marks] li").forEach((li) => {
    const c = li.dataset.coords.split(",").map(Number);
    marks.opinions.push(li.dataset.kind === "rect"
      ? { kind: "rect", pts: [[c[0], c[1]], [c[2], c[3]]], cls: "mark opinion", title: li.dataset.title }
      : { kind: "point", pts: [[c[0], c[1]]], cls: "mark opinion", title: li.dataset.title });
  });
  function redraw() {
    const all = [...marks.opinions, ...marks.extra, ...marks.placing, ...marks.measure];
    const ns = "http://www.w3.org/2000/svg";
    svg.replaceChildren();
    for (const m of all) {
      const pts = m.pts.map(([x, y]) => screenOf(x, y));
      let el;
      if (m.kind === "line" && pts.length === 2) {
        el = document.createElementNS(ns, "line");
        el.setAttribute("x1", pts[0].x); el.setAttribute("y1", pts[0].y);
        el.setAttribute("x2", pts[1].x); el.setAttribute("y2", pts[1].y);
      } else if (m.kind === "rect" && pts.length === 2) {
        el = document.createElementNS(ns, "rect");
        el.setAttribute("x", Math.min(pts[0].x, pts[1].x));
        el.setAttribute("y", Math.min(pts[0].y, pts[1].y));
        el.setAttribute("width", Math.abs(pts[1].x - pts[0].x));
        el.setAttribute("height", Math.abs(pts[1].y - pts[0].y));
      } else {
        el = document.createElementNS(ns, "circle");
        el.setAttribute("cx", pts[0].x); el.setAttribute("cy", pts[0].y);
        el.setAttribute("r", 6);
      }
      el.setAttribute("class", m.cls || "mark");
      if (m.title) {
        const t = document.createElementNS(ns, "title");
        t.textContent = m.title;
        el.appendChild(t);
      }
      svg.appendChild(el);
    }
  }
  viewer.addHandler("update-viewport", redraw);
  viewer.addHandler("resize", redraw);

  // tools: one click handler, the active tool decides
  let tool = null;
  let first = null;
  const handlers = {
    measure(pt) {
      if (!first) {
        first = pt;
        marks.measure = [{ kind: "point", pts: [pt], cls: "mark measure" }];
        measureOut.textContent = d.labelPick;
      } else {
        const dist = Math.hypot(pt[0] - first[0], pt[1] - first[1]);
        marks.measure = [{ kind: "line", pts: [first, pt], cls: "mark measure" }];
        measureOut.textContent = `${d.labelDistance} ${fmt(dist)}`;
        measureOut.dataset.value = String(dist);
        first = null;
      }
      redraw();
    },
  };
  // an opinion: a click places a point, a drag draws a box; the form beside takes the rest
  const form = document.getElementById("opinion-form");
  function placed(kind, coords) {
    if (!form) return;
    form.hidden = false;
    form.querySelector("input[name=kind]").value = kind;
    form.querySelector("input[name=coords]").value = coords.map((v) => v.toFixed(3)).join(",");
    form.querySelector("[data-anchor]").textContent = kind === "point"
      ? `(${fmt(coords[0])}, ${fmt(coords[1])})`
      : `(${fmt(coords[0])}, ${fmt(coords[1])}) – (${fmt(coords[2])}, ${fmt(coords[3])})`;
    form.querySelector("textarea").focus();
  }
  handlers.point = (pt) => {
    marks.placing = [{ kind: "point", pts: [pt], cls: "mark opinion-new" }];
    redraw();
    placed("point", pt);
  };
  let dragStart = null;
  viewer.addHandler("canvas-press", (ev) => {
    if (tool !== "box") return;
    const p = imageAt(ev.position);
    dragStart = toSheet(p.x, p.y);
  });
  viewer.addHandler("canvas-drag", (ev) => {
    if (tool !== "box" || !dragStart) return;
    ev.preventDefaultAction = true; // no pan while drawing
    const p = imageAt(ev.position);
    marks.placing = [{ kind: "rect", pts: [dragStart, toSheet(p.x, p.y)], cls: "mark opinion-new" }];
    redraw();
  });
  viewer.addHandler("canvas-release", (ev) => {
    if (tool !== "box" || !dragStart) return;
    const p = imageAt(ev.position);
    const end = toSheet(p.x, p.y), start = dragStart;
    dragStart = null;
    if (start[0] === end[0] || start[1] === end[1]) return;
    marks.placing = [{ kind: "rect", pts: [start, end], cls: "mark opinion-new" }];
    redraw();
    placed("rect", [Math.min(start[0], end[0]), Math.min(start[1], end[1]),
      Math.max(start[0], end[0]), Math.max(start[1], end[1])]);
  });

  function setTool(name) {
    tool = tool === name ? null : name;
    first = null;
    app.querySelectorAll("[data-tool]").forEach((btn) =>
      btn.setAttribute("aria-pressed", btn.dataset.tool === tool ? "true" : "false"));
    viewer.gestureSettingsMouse.clickToZoom = tool === null;
    viewer.panHorizontal = viewer.panVertical = tool !== "box";
    app.classList.toggle("picking", tool !== null);
    if (tool === "measure") measureOut.textContent = d.labelPick;
  }
  app.querySelectorAll("[data-tool]").forEach((btn) => btn.addEventListener("click", () => {
    if (btn.dataset.tool === "home") { viewer.viewport.goHome(); return; }
    setTool(btn.dataset.tool);
  }));
  viewer.addHandler("canvas-click", (ev) => {
    if (!tool || !handlers[tool] || !ev.quick) return;
    ev.preventDefaultAction = true;
    const p = imageAt(ev.position);
    handlers[tool](toSheet(p.x, p.y));
  });

  // zoom the view to a box of the sheet (x0, y0, x1, y1), with a margin
  function zoomTo(box, margin) {
    const m = margin === undefined ? 0.5 : margin;
    const w = Math.max(box[2] - box[0], 1e-9), h = Math.max(box[3] - box[1], 1e-9);
    const grow = Math.max(w, h) * m;
    const [ix0, iy0] = toImage(box[0] - grow, box[3] + grow);
    const [ix1, iy1] = toImage(box[2] + grow, box[1] - grow);
    const r = viewer.viewport.imageToViewportRectangle(
      Math.min(ix0, ix1), Math.min(iy0, iy1), Math.abs(ix1 - ix0), Math.abs(iy1 - iy0));
    viewer.viewport.fitBounds(r);
  }

  window.yitaotuViewer = {
    viewer, toSheet, toImage, zoomTo, redraw, marks, handlers, setTool,
    ready: new Promise((resolve) => viewer.addOnceHandler("open", () => resolve())),
  };
})();

// while the pyramid job runs: its progress, then the viewer
function waitForPyramid() {
  const app = document.getElementById("viewer-app");
  const d = app.dataset;
  const bar = app.querySelector("[data-progress]");
  const text = app.querySelector("[data-progress-text]");
  const fail = (msg) => { text.textContent = `${d.labelFailed} ${msg}`; text.classList.add("refusal"); };
  fetch(d.pyramidUrl, { method: "POST", headers: { "X-CSRFToken": d.csrf }, credentials: "same-origin" })
    .then((r) => r.json().then((body) => ({ ok: r.ok, status: r.status, body })))
    .then(({ ok, status, body }) => {
      if (!ok) { fail(String(status)); return; }
      if (body.ready) { window.location.reload(); return; }
      const poll = () => fetch(`${d.pyramidUrl}${d.pyramidUrl.includes("?") ? "&" : "?"}job=${body.job}`,
        { credentials: "same-origin" })
        .then((r) => r.json())
        .then((st) => {
          if (st.ready) { window.location.reload(); return; }
          const job = st.job || {};
          if (job.state === "failed") { fail((job.error || {}).message || ""); return; }
          const pct = (job.progress || {}).percent || 0;
          bar.value = pct;
          text.textContent = `${d.labelPreparing} ${pct}%`;
          setTimeout(poll, 500);
        })
        .catch((err) => fail(String(err)));
      poll();
    })
    .catch((err) => fail(String(err)));
}
