// The map page (#14): draws the GeoJSON embedded in the page (#map-data) with Leaflet; each
// footprint carries its project's workflow state as a CSS class (colours in app.css) and opens
// the project page on click.  Without a tile URL the footprints lie on a plain grid.
"use strict";

(function () {
  function text(tag, value, cls) {
    var el = document.createElement(tag);
    el.textContent = value == null ? "" : String(value);
    if (cls) el.className = cls;
    return el;
  }

  function escapeHtml(s) {  // Leaflet writes the attribution as HTML
    return s.replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }

  // A light grid drawn on canvas tiles: where the footprints are is readable without a base map.
  var PlainGrid = L.GridLayer.extend({
    createTile: function () {
      var size = this.getTileSize();
      var tile = document.createElement("canvas");
      tile.width = size.x;
      tile.height = size.y;
      var ctx = tile.getContext("2d");
      ctx.strokeStyle = "#d9e2ec";
      ctx.lineWidth = 1;
      ctx.beginPath();
      for (var i = 0; i < 4; i++) {
        var p = Math.round(i * size.x / 4) + 0.5;
        ctx.moveTo(p, 0); ctx.lineTo(p, size.y);
        ctx.moveTo(0, p); ctx.lineTo(size.x, p);
      }
      ctx.stroke();
      return tile;
    }
  });

  function tooltip(props, el, states) {
    var box = document.createElement("div");
    var kind = props.kind === "site" ? el.dataset.siteLabel : el.dataset.unitLabel;
    box.appendChild(text("strong", props.kind === "site" ? props.project_name
                                                          : (props.name || props.code)));
    box.appendChild(text("div", kind + (props.kind === "unit" ? " " + props.code : "")));
    box.appendChild(text("div", props.project, "mono"));
    box.appendChild(text("div", states[props.state] || props.state || ""));
    return box;
  }

  function draw() {
    var el = document.getElementById("map");
    if (!el || typeof L === "undefined") return;
    var doc = JSON.parse(document.getElementById("map-data").textContent);
    var states = JSON.parse(document.getElementById("map-states").textContent);
    var zh = document.documentElement.lang === "zh-CN";
    Object.keys(states).forEach(function (k) {  // "设计阶段 Design": the page's side
      var parts = states[k].split(" ");
      states[k] = zh ? parts[0] : parts.slice(1).join(" ");
    });
    var map = L.map(el, {zoomSnap: 0.25});
    if (el.dataset.tiles) {
      L.tileLayer(el.dataset.tiles, {maxZoom: 20,
        attribution: escapeHtml(el.dataset.attribution || "")}).addTo(map);
      map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    } else {
      new PlainGrid({maxZoom: 22}).addTo(map);
      map.attributionControl.setPrefix(false);
    }
    L.control.scale({imperial: false}).addTo(map);
    var url = el.dataset.projectUrl;
    var drawn = 0;
    // sites first, so units lie above them and take the clicks where both are
    var features = doc.features.slice().sort(function (a, b) {
      return (a.properties.kind === "site" ? 0 : 1) - (b.properties.kind === "site" ? 0 : 1);
    });
    var layer = L.geoJSON({type: "FeatureCollection", features: features}, {
      style: function (f) {
        return {className: "map-shape map-" + f.properties.kind + " map-state-" +
                           f.properties.state};
      },
      onEachFeature: function (f, shape) {
        drawn += 1;
        shape.bindTooltip(tooltip(f.properties, el, states), {sticky: true});
        shape.on("click", function () {
          window.location.href = url.replace("CODE", encodeURIComponent(f.properties.project));
        });
      }
    }).addTo(map);
    if (drawn) {
      map.fitBounds(layer.getBounds(), {padding: [24, 24], maxZoom: 19});
    } else {
      map.setView([35, 105], 4);  // China
      el.appendChild(text("div", el.dataset.empty, "map-empty"));
    }
    el.dataset.drawn = String(drawn);
  }

  document.addEventListener("DOMContentLoaded", draw);
})();
