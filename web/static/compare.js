// yitaotu compare: the changes of a sheet drawn over its new revision in the viewer, the list
// beside it filtered by kind and layer, n/p (or the buttons) zoom to the next/previous cluster.
"use strict";
(function () {
  const list = document.getElementById("compare-list");
  if (!list) return;
  const items = [...list.querySelectorAll("li[data-change]")];
  const changes = items.map((li) => ({
    li, id: li.dataset.change, kind: li.dataset.kind, layer: li.dataset.layer,
    cluster: li.dataset.clusterId, bbox: li.dataset.bbox.split(",").map(Number),
  }));
  const kinds = () => new Set([...list.querySelectorAll("input[name=kind]:checked")].map((i) => i.value));
  const layerSel = list.querySelector("select[name=layer]");
  const pos = list.querySelector("[data-cluster-pos]");
  let visible = changes;
  let clusters = [];
  let current = -1;

  function bboxOf(cs) {
    return cs.reduce((b, c) => [Math.min(b[0], c.bbox[0]), Math.min(b[1], c.bbox[1]),
      Math.max(b[2], c.bbox[2]), Math.max(b[3], c.bbox[3])], [Infinity, Infinity, -Infinity, -Infinity]);
  }

  function apply() {
    const ks = kinds(), layer = layerSel.value;
    visible = changes.filter((c) => ks.has(c.kind) && (!layer || c.layer === layer));
    changes.forEach((c) => { c.li.hidden = !visible.includes(c); });
    const byCluster = new Map();
    visible.forEach((c) => {
      const key = c.cluster || `c-${c.id}`;
      if (!byCluster.has(key)) byCluster.set(key, []);
      byCluster.get(key).push(c);
    });
    clusters = [...byCluster.entries()].map(([key, cs]) => ({ key, changes: cs, bbox: bboxOf(cs) }));
    current = Math.min(current, clusters.length - 1);
    draw();
  }

  function draw() {
    const v = window.yitaotuViewer;
    if (!v) return;
    v.marks.extra = visible.map((c) => ({
      kind: "rect", pts: [[c.bbox[0], c.bbox[1]], [c.bbox[2], c.bbox[3]]],
      cls: `mark change change-${c.kind}`, title: `${c.id} ${c.kind} ${c.layer}`,
    }));
    const cl = clusters[current];
    if (cl) {
      v.marks.extra.push({ kind: "rect", pts: [[cl.bbox[0], cl.bbox[1]], [cl.bbox[2], cl.bbox[3]]],
        cls: "mark cluster" });
    }
    v.redraw();
  }

  function go(step) {
    if (!clusters.length) return;
    current = (current + step + clusters.length) % clusters.length;
    const cl = clusters[current];
    items.forEach((li) => li.classList.remove("current"));
    cl.changes.forEach((c) => c.li.classList.add("current"));
    cl.changes[0].li.scrollIntoView({ block: "nearest" });
    pos.textContent = `${list.dataset.labelCluster} ${current + 1} ${list.dataset.labelOf} ${clusters.length}`;
    list.dataset.current = String(current);
    if (window.yitaotuViewer) window.yitaotuViewer.zoomTo(cl.bbox, 0.6);
    draw();
  }

  list.querySelectorAll("input[name=kind]").forEach((i) => i.addEventListener("change", apply));
  layerSel.addEventListener("change", apply);
  list.querySelector("[data-cluster=next]").addEventListener("click", () => go(1));
  list.querySelector("[data-cluster=prev]").addEventListener("click", () => go(-1));
  document.addEventListener("keydown", (e) => {
    if (e.target.closest("input, textarea, select") || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "n") go(1);
    else if (e.key === "p") go(-1);
  });
  changes.forEach((c) => c.li.addEventListener("click", (e) => {
    if (e.target.closest("form")) return;
    if (window.yitaotuViewer) window.yitaotuViewer.zoomTo(c.bbox, 1.5);
  }));
  apply();
  if (window.yitaotuViewer) window.yitaotuViewer.ready.then(() => { list.dataset.ready = "1"; draw(); });
})();
