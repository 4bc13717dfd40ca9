/* Lagebild map helpers (Leaflet 1.9, no other dependencies; markercluster optional).
 *
 * Everything that comes from data is put into the page with textContent, never innerHTML,
 * so no record text can run as HTML or script. Served offline by the app and inlined into
 * exported maps.
 */
(function () {
  "use strict";
  var LB = (window.LB = window.LB || {});
  LB.hidden = LB.hidden || {}; // overlay key -> true when the user switched it off
  LB.stack = LB.stack || []; // [{order, layer}] to keep grid < places < measures < points
  LB.pending = LB.pending || 0; // point layers still being built (marker clusters load in chunks)
  /** True when every point layer on the map is completely drawn (used by tests and benchmarks). */
  LB.ready = function () { return LB.pending === 0; };
  /** Shapes per canvas path: a software canvas fills and strokes one path of thousands of shapes far slower than
   *  many small ones (hot-spot cells, base-map buildings). */
  var PATH_CHUNK = 200;

  // ------------------------------------------------------------------ DOM helpers
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  LB.el = el;

  /** Popup content: a title and a two-column table of [label, value] rows (all as text). */
  LB.popup = function (title, rows) {
    var box = el("div", "lb-popup");
    if (title) box.appendChild(el("div", "lb-popup-title", title));
    var table = el("table", "lb-popup-table");
    (rows || []).forEach(function (r) {
      if (r[1] === null || r[1] === undefined || r[1] === "") return;
      var tr = el("tr");
      tr.appendChild(el("th", null, r[0]));
      tr.appendChild(el("td", null, r[1]));
      table.appendChild(tr);
    });
    box.appendChild(table);
    return box;
  };

  /** Overlay key: the layer name without a trailing count such as " (612)". */
  LB.key = function (name) {
    // names are escaped HTML; decode the entities in an inert document (nothing loads or runs)
    var text = new DOMParser().parseFromString(String(name || ""), "text/html").body.textContent || "";
    return text.replace(/\s*\([\d.\s]+\)\s*$/, "").trim();
  };

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }
  /** Minutes since 1970 (wall clock, stored as UTC) -> "dd.mm.yyyy hh:mm" (time left out at 00:00). */
  LB.formatMinutes = function (m) {
    var d = new Date(m * 60000);
    var s = pad(d.getUTCDate()) + "." + pad(d.getUTCMonth() + 1) + "." + d.getUTCFullYear();
    if (d.getUTCHours() || d.getUTCMinutes()) s += " " + pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
    return s;
  };

  function numberDe(v, digits) {
    return typeof v === "number" ? v.toLocaleString("de-DE", { maximumFractionDigits: digits || 2 }) : v;
  }

  // ------------------------------------------------------------------ compact point sets
  /* data = {key, title, colour, n, lat0, lon0, s, y:[int], x:[int], r:[int]|null,
   *         cols:[{l: label, t: "time"|"num"|"cat", v:[...], d:[dict], f: decimals, t0: minutes}], mode}
   * lat = lat0 + y[i] / s, lon = lon0 + x[i] / s. */
  function decode(data) {
    var n = data.n, lat = new Float64Array(n), lon = new Float64Array(n), i;
    for (i = 0; i < n; i++) {
      lat[i] = data.lat0 + data.y[i] / data.s;
      lon[i] = data.lon0 + data.x[i] / data.s;
    }
    return { lat: lat, lon: lon };
  }

  function rowsOf(data, i) {
    return data.cols.map(function (c) {
      var v = c.v[i];
      if (v === null || v === undefined) return [c.l, ""];
      if (c.t === "time") v = LB.formatMinutes((c.t0 || 0) + v);
      else if (c.t === "cat") v = c.d[v];
      else if (c.t === "num") v = numberDe(v, c.f);
      return [c.l, v];
    });
  }
  LB.pointRows = rowsOf;

  function radius(data, i) {
    return data.r ? data.r[i] : 5;
  }

  function clusterIcon(colour) {
    return function (cluster) {
      var n = cluster.getChildCount();
      var size = n < 10 ? 28 : n < 100 ? 34 : n < 1000 ? 40 : 46;
      var div = el("div", "lb-cluster");
      div.style.background = colour;
      div.style.width = div.style.height = size + "px";
      div.style.lineHeight = size + "px";
      div.textContent = n.toLocaleString("de-DE");
      return L.divIcon({ html: div, className: "lb-cluster-icon", iconSize: L.point(size, size) });
    };
  }

  /** A layer for many points: plain circle markers, a marker cluster, or one canvas of dots. */
  LB.points = function (data, opts) {
    opts = opts || {};
    var pos = decode(data), n = data.n, i, layer;
    var style = { color: "#ffffff", weight: 1, fillColor: data.colour, fillOpacity: 0.85, opacity: 0.9 };
    if (data.mode === "dots") {
      layer = new LB.DotLayer(data, pos, style);
    } else {
      var markers = new Array(n);
      for (i = 0; i < n; i++) {
        var m = L.circleMarker([pos.lat[i], pos.lon[i]], L.extend({ radius: radius(data, i) }, style));
        m._lbIndex = i;
        markers[i] = m;
      }
      var bind = function (m) {
        return LB.popup(data.title, rowsOf(data, m._lbIndex));
      };
      if (data.mode === "cluster" && L.markerClusterGroup) {
        var finished = false;
        LB.pending++;
        layer = L.markerClusterGroup({
          chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 45,
          chunkProgress: function (done, total) {
            if (done >= total && !finished) { finished = true; LB.pending--; }
          },
          disableClusteringAtZoom: 18, spiderfyOnMaxZoom: false, iconCreateFunction: clusterIcon(data.colour),
        });
        layer.addLayers(markers);
      } else {
        layer = L.featureGroup(markers);
      }
      layer.bindPopup(function (target) {
        return target && target._lbIndex !== undefined ? bind(target) : "";
      });
      // smaller circles at overview zooms, so hot-spot cells and places stay visible
      var rescale = function () {
        var z = layer._map ? layer._map.getZoom() : 16, f = z >= 16 ? 1 : z >= 15 ? 0.8 : 0.6;
        for (var k = 0; k < n; k++) markers[k].setRadius(Math.max(2.5, radius(data, k) * f));
      };
      if (data.mode !== "cluster") {
        var zoomMap = null;
        layer.on("add", function () { zoomMap = layer._map; rescale(); zoomMap.on("zoomend", rescale); });
        layer.on("remove", function () { if (zoomMap) zoomMap.off("zoomend", rescale); });
      }
    }
    LB.register(layer, opts.order === undefined ? 40 : opts.order);
    return layer;
  };

  /* The dots as pixels: every dot is a disc of radius r (CSS px) in the fill colour at 80 %
   * opacity with a white 0.6 px outline – as if all discs were one path, filled once and then
   * stroked (overlapping dots do not get darker). Rasterised here into coverage masks from
   * one pre-drawn dot: a canvas path of 100,000 arcs takes Chromium's software rasteriser
   * ~0.7 s, this ~50 ms. */
  function dotSprite(R, ratio) {
    var d = Math.ceil(2 * R + 0.6 * ratio + 2), c = document.createElement("canvas");
    c.width = c.height = d;
    var ctx = c.getContext("2d", { willReadFrequently: true }), mid = d / 2;
    ctx.beginPath();
    ctx.arc(mid, mid, R, 0, 6.283185307179586);
    ctx.fillStyle = "#000";
    ctx.fill();
    var fill = ctx.getImageData(0, 0, d, d).data;
    ctx.clearRect(0, 0, d, d);
    ctx.lineWidth = 0.6 * ratio;
    ctx.strokeStyle = "#000";
    ctx.stroke();
    var ring = ctx.getImageData(0, 0, d, d).data, f = new Uint8Array(d * d), s = new Uint8Array(d * d);
    for (var k = 0; k < d * d; k++) { f[k] = fill[4 * k + 3]; s[k] = ring[4 * k + 3]; }
    return { d: d, mid: mid, f: f, s: s };
  }

  function parseColour(hex) {
    var m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(hex || "") ? hex.slice(1) : "777777";
    if (m.length === 3) m = m[0] + m[0] + m[1] + m[1] + m[2] + m[2];
    return [parseInt(m.slice(0, 2), 16), parseInt(m.slice(2, 4), 16), parseInt(m.slice(4, 6), 16)];
  }

  function dotImage(u, v, view, ratio, w, h, r, colour) {
    var sp = dotSprite(r * ratio, ratio), d = sp.d, sf = sp.f, ss = sp.s;
    var F = new Uint8Array(w * h), S = new Uint8Array(w * h), n = u.length, i, x0, y0, a, b, xa, xb, ya, yb, row, k, q;
    var scale = view.scale * ratio, ox = view.origin.x * ratio + sp.mid, oy = view.origin.y * ratio + sp.mid;
    for (i = 0; i < n; i++) {
      x0 = Math.round(u[i] * scale - ox);
      y0 = Math.round(v[i] * scale - oy);
      if (x0 >= w || y0 >= h || x0 + d <= 0 || y0 + d <= 0) continue;
      xa = x0 < 0 ? -x0 : 0; xb = x0 + d > w ? w - x0 : d;
      ya = y0 < 0 ? -y0 : 0; yb = y0 + d > h ? h - y0 : d;
      for (b = ya; b < yb; b++) {
        row = (y0 + b) * w + x0;
        q = b * d;
        for (a = xa; a < xb; a++) {
          k = row + a;
          // union of the coverages (as a path rasterises overlapping outlines)
          if (sf[q + a]) F[k] += sf[q + a] - ((F[k] * sf[q + a] + 254) / 255 | 0);
          if (ss[q + a]) S[k] += ss[q + a] - ((S[k] * ss[q + a] + 254) / 255 | 0);
        }
      }
    }
    var img = new ImageData(w, h), px = img.data, rgb = parseColour(colour), af, as, ao;
    for (k = 0; k < w * h; k++) {
      if (!F[k] && !S[k]) continue;
      af = 0.8 * F[k] / 255;
      as = S[k] / 255;
      ao = as + af * (1 - as);
      q = 4 * k;
      px[q] = (255 * as + rgb[0] * af * (1 - as)) / ao;
      px[q + 1] = (255 * as + rgb[1] * af * (1 - as)) / ao;
      px[q + 2] = (255 * as + rgb[2] * af * (1 - as)) / ao;
      px[q + 3] = 255 * ao;
    }
    return img;
  }

  /** All points drawn into one canvas (fast for 100,000+); click opens the nearest point's popup. */
  LB.DotLayer = L.Layer.extend({
    initialize: function (data, pos, style) {
      this._data = data;
      this._style = style;
      var n = data.n, u = new Float64Array(n), v = new Float64Array(n), i;
      for (i = 0; i < n; i++) {
        // Web Mercator, normalised to [0, 1] (Leaflet pixel coords = u * 256 * 2^zoom)
        var lat = Math.max(Math.min(pos.lat[i], 85.0511287798), -85.0511287798) * Math.PI / 180;
        u[i] = (pos.lon[i] + 180) / 360;
        v[i] = 0.5 - Math.log(Math.tan(Math.PI / 4 + lat / 2)) / (2 * Math.PI);
      }
      this._u = u;
      this._v = v;
      this._pos = pos;
      this._drawn = false;
      LB.pending++;
    },
    onAdd: function (map) {
      this._map = map;
      this._canvas = el("canvas", "lb-dots");
      this._canvas.style.pointerEvents = "none";
      this._canvas.style.position = "absolute";
      map.getPanes().overlayPane.appendChild(this._canvas);
      map.on("moveend resize", this._redraw, this);
      map.on("zoomstart", this._hide, this);
      map.on("click", this._onClick, this);
      this._redraw();
    },
    onRemove: function (map) {
      map.off("moveend resize", this._redraw, this);
      map.off("zoomstart", this._hide, this);
      map.off("click", this._onClick, this);
      L.DomUtil.remove(this._canvas);
    },
    bringToFront: function () {
      if (this._canvas && this._canvas.parentNode) this._canvas.parentNode.appendChild(this._canvas);
      return this;
    },
    _hide: function () {
      this._canvas.style.visibility = "hidden";
    },
    _view: function () {
      var map = this._map, size = map.getSize(), origin = map.getPixelBounds().min;
      return { size: size, origin: origin, scale: 256 * Math.pow(2, map.getZoom()) };
    },
    _redraw: function () {
      var map = this._map, view = this._view(), c = this._canvas, ratio = window.devicePixelRatio || 1;
      L.DomUtil.setPosition(c, map.containerPointToLayerPoint([0, 0]));
      var w = Math.max(1, Math.round(view.size.x * ratio)), h = Math.max(1, Math.round(view.size.y * ratio));
      c.width = w;
      c.height = h;
      c.style.width = view.size.x + "px";
      c.style.height = view.size.y + "px";
      var r = map.getZoom() >= 16 ? 4 : 3;
      c.getContext("2d").putImageData(dotImage(this._u, this._v, view, ratio, w, h, r, this._style.fillColor), 0, 0);
      c.style.visibility = "visible";
      if (!this._drawn) { this._drawn = true; LB.pending--; }
    },
    _onClick: function (e) {
      if (LB.drawing) return;
      var view = this._view(), p = e.containerPoint, best = -1, bestD = 49, u = this._u, v = this._v, i, dx, dy, d;
      for (i = 0; i < u.length; i++) {
        dx = u[i] * view.scale - view.origin.x - p.x;
        if (dx > 7 || dx < -7) continue;
        dy = v[i] * view.scale - view.origin.y - p.y;
        d = dx * dx + dy * dy;
        if (d < bestD) { bestD = d; best = i; }
      }
      if (best >= 0) {
        L.popup()
          .setLatLng([this._pos.lat[best], this._pos.lon[best]])
          .setContent(LB.popup(this._data.title, rowsOf(this._data, best)))
          .openOn(this._map);
      }
    },
  });

  // ------------------------------------------------------------------ grid cells
  function mercator(lat, lon) {
    var phi = Math.max(Math.min(lat, 85.0511287798), -85.0511287798) * Math.PI / 180;
    return [(lon + 180) / 360, 0.5 - Math.log(Math.tan(Math.PI / 4 + phi / 2)) / (2 * Math.PI)];
  }

  /* data = {title, lat0, lon0, s, y:[int], x:[int], shape:[[dlat, dlon], ...] (degrees, one cell's
   *         corners relative to its centre), cls:[int], styles:{cls: style}, labels:{cls: text},
   *         cols:[...] as in LB.points}. All cells share the shape (a regular grid). */
  LB.cells = function (data) {
    return new LB.CellLayer(data);
  };

  /** Grid cells drawn into one canvas below all other vector layers (thousands of cells stay
   *  fast); a click opens the cell's popup, hovering shows its class. */
  LB.CellLayer = L.Layer.extend({
    initialize: function (data) {
      this._data = data;
      var n = data.cls.length, u = new Float64Array(n), v = new Float64Array(n), i, lat = 0;
      for (i = 0; i < n; i++) {
        var m = mercator(data.lat0 + data.y[i] / data.s, data.lon0 + data.x[i] / data.s);
        u[i] = m[0];
        v[i] = m[1];
        lat += data.lat0 + data.y[i] / data.s;
      }
      lat = n ? lat / n : 0;
      // corner offsets in normalised Web Mercator (constant over a city-sized area)
      var k = 1 / (2 * Math.PI * Math.cos(lat * Math.PI / 180));
      this._shape = data.shape.map(function (o) { return [o[1] / 360, -o[0] * Math.PI / 180 * k]; });
      this._reach = Math.max.apply(null, this._shape.map(function (o) { return Math.sqrt(o[0] * o[0] + o[1] * o[1]); }));
      this._u = u;
      this._v = v;
      this._byClass = {};
      for (i = 0; i < n; i++) (this._byClass[data.cls[i]] = this._byClass[data.cls[i]] || []).push(i);
      this._drawn = false;
      LB.pending++;
    },
    onAdd: function (map) {
      this._map = map;
      if (!map.getPane("lbGrid")) {
        map.createPane("lbGrid").style.zIndex = 380;
      }
      this._canvas = el("canvas", "lb-cells");
      this._canvas.style.pointerEvents = "none";
      this._canvas.style.position = "absolute";
      map.getPane("lbGrid").appendChild(this._canvas);
      map.on("moveend resize", this._redraw, this);
      map.on("zoomstart", this._hide, this);
      map.on("click", this._onClick, this);
      map.on("mousemove", this._onMove, this);
      map.on("mouseout", this._hideTip, this);
      map.on("popupopen", this._popupOpened, this);
      this._redraw();
    },
    onRemove: function (map) {
      map.off("moveend resize", this._redraw, this);
      map.off("zoomstart", this._hide, this);
      map.off("click", this._onClick, this);
      map.off("mousemove", this._onMove, this);
      map.off("mouseout", this._hideTip, this);
      map.off("popupopen", this._popupOpened, this);
      this._hideTip();
      L.DomUtil.remove(this._canvas);
    },
    _hide: function () {
      this._canvas.style.visibility = "hidden";
    },
    _view: function () {
      var map = this._map;
      return { size: map.getSize(), origin: map.getPixelBounds().min, scale: 256 * Math.pow(2, map.getZoom()) };
    },
    _redraw: function () {
      var map = this._map, view = this._view(), c = this._canvas, ratio = window.devicePixelRatio || 1;
      L.DomUtil.setPosition(c, map.containerPointToLayerPoint([0, 0]));
      c.width = view.size.x * ratio;
      c.height = view.size.y * ratio;
      c.style.width = view.size.x + "px";
      c.style.height = view.size.y + "px";
      var ctx = c.getContext("2d"), shape = this._shape, u = this._u, v = this._v, self = this;
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      var pad = this._reach * view.scale;
      var outline = pad >= 5; // cell outlines only when cells are more than a few pixels wide
      Object.keys(this._byClass).forEach(function (cls) {
        var style = self._data.styles[cls] || {}, idx = self._byClass[cls], j, q, inPath = 0;
        var paint = function () { // small paths: one path with thousands of cells is very slow to fill
          ctx.globalAlpha = style.fillOpacity === undefined ? 0.5 : style.fillOpacity;
          ctx.fillStyle = style.fillColor || "#888";
          ctx.fill();
          if (outline && style.weight) {
            ctx.globalAlpha = style.opacity === undefined ? 1 : style.opacity;
            ctx.lineWidth = style.weight;
            ctx.strokeStyle = style.color || "#888";
            ctx.stroke();
          }
          ctx.beginPath();
          inPath = 0;
        };
        ctx.beginPath();
        for (j = 0; j < idx.length; j++) {
          var x = u[idx[j]] * view.scale - view.origin.x, y = v[idx[j]] * view.scale - view.origin.y;
          if (x < -pad || y < -pad || x > view.size.x + pad || y > view.size.y + pad) continue;
          ctx.moveTo(x + shape[0][0] * view.scale, y + shape[0][1] * view.scale);
          for (q = 1; q < shape.length; q++) ctx.lineTo(x + shape[q][0] * view.scale, y + shape[q][1] * view.scale);
          ctx.closePath();
          if (++inPath === PATH_CHUNK) paint();
        }
        if (inPath) paint();
      });
      ctx.globalAlpha = 1;
      c.style.visibility = "visible";
      if (!this._drawn) { this._drawn = true; LB.pending--; }
    },
    /** Index of the cell under a container point (nearest centre within reach), or -1. */
    _cellAt: function (p) {
      var view = this._view(), u = this._u, v = this._v, best = -1, i, dx, dy, d;
      var reach = this._reach * view.scale, bestD = reach * reach;
      for (i = 0; i < u.length; i++) {
        dx = u[i] * view.scale - view.origin.x - p.x;
        if (dx > reach || dx < -reach) continue;
        dy = v[i] * view.scale - view.origin.y - p.y;
        d = dx * dx + dy * dy;
        if (d < bestD) { bestD = d; best = i; }
      }
      return best;
    },
    _popupOpened: function () {
      this._lastPopup = Date.now();
    },
    _onClick: function (e) {
      if (LB.drawing || Date.now() - (this._lastPopup || 0) < 80) return; // a point or place took the click
      var i = this._cellAt(e.containerPoint);
      if (i < 0) return;
      var self = this;
      setTimeout(function () { // after other click handlers: points and places win
        if (Date.now() - (self._lastPopup || 0) < 80) return;
        L.popup().setLatLng(e.latlng).setContent(LB.popup(self._data.title, rowsOf(self._data, i))).openOn(self._map);
      }, 0);
    },
    _onMove: function (e) {
      var target = e.originalEvent && e.originalEvent.target;
      // hovering a place, measure or point (Leaflet marks its canvas interactive): no cell tooltip
      if (LB.drawing || (target && target.classList && target.classList.contains("leaflet-interactive"))) {
        return this._hideTip();
      }
      var i = this._cellAt(e.containerPoint);
      if (i < 0) return this._hideTip();
      if (!this._tip) this._tip = L.tooltip({ direction: "top", offset: [0, -8], className: "lb-cell-tip" });
      if (this._tipIndex !== i) {
        this._tip.setContent(el("span", null, this._data.labels[this._data.cls[i]]));
        this._tipIndex = i;
      }
      this._tip.setLatLng(e.latlng);
      if (!this._map.hasLayer(this._tip)) this._tip.addTo(this._map);
    },
    _hideTip: function () {
      if (this._tip && this._map && this._map.hasLayer(this._tip)) this._map.removeLayer(this._tip);
      this._tipIndex = -1;
    },
  });

  // ------------------------------------------------------------------ GeoJSON with text popups
  /* fc: FeatureCollection; each feature's properties: {_title, _rows: [[label, value]], _tip,
   * _style: {color, fillColor, ...}, _radius}. */
  LB.geojson = function (fc, opts) {
    opts = opts || {};
    var layer = L.geoJSON(fc, {
      style: function (f) {
        return (f.properties && f.properties._style) || {};
      },
      pointToLayer: function (f, latlng) {
        var s = L.extend({ radius: f.properties._radius || 6 }, f.properties._style || {});
        return L.circleMarker(latlng, s);
      },
      interactive: opts.interactive !== false,
      onEachFeature: function (f, l) {
        var p = f.properties || {};
        if (p._rows) l.bindPopup(function () { return LB.popup(p._title, p._rows); });
        if (p._tip) l.bindTooltip(function () { return el("span", null, p._tip); }, { sticky: true });
      },
    });
    LB.register(layer, opts.order === undefined ? 20 : opts.order);
    return layer;
  };

  // ------------------------------------------------------------------ stacking and overlays
  LB.register = function (layer, order) {
    LB.stack.push({ order: order, layer: layer });
    layer.on("add", function () { setTimeout(LB.restack, 0); });
  };
  LB.restack = function () {
    LB.stack = LB.stack.filter(function (s) { return s.layer._map; });
    LB.stack.slice().sort(function (a, b) { return a.order - b.order; }).forEach(function (s) {
      if (s.layer.bringToFront) s.layer.bringToFront();
    });
  };

  function showLegendFor(map, key, visible) {
    var nodes = map.getContainer().querySelectorAll(".lb-legend [data-key]");
    Array.prototype.forEach.call(nodes, function (n) {
      if (n.getAttribute("data-key") === key) n.style.display = visible ? "" : "none";
    });
  }

  /** Track switched-off overlays (survive rebuilt layer controls) and sync the legend. */
  LB.init = function (map) {
    if (map._lbInit) return;
    map._lbInit = true;
    // Only a click in the layer control changes what the user wants hidden: when streamlit-folium
    // swaps the data layers on a rerun, Leaflet fires overlayremove for every old layer too.
    map.on("overlayadd", function (e) {
      var k = LB.key(e.name);
      if (LB.userToggling) delete LB.hidden[k];
      showLegendFor(map, k, true);
    });
    map.on("overlayremove", function (e) {
      var k = LB.key(e.name);
      if (LB.userToggling) LB.hidden[k] = true;
      showLegendFor(map, k, false);
    });
    map.on("popupopen", function () {
      if (LB.drawing) map.closePopup();
    });
  };

  /** Overlays that start switched off (keys, see LB.key): hidden the first time they appear in
   *  this map; after that only the user's clicks count (a switched-on overlay stays on). */
  LB.seen = LB.seen || {};
  LB.hideByDefault = function (keys) {
    (keys || []).forEach(function (name) {
      var k = LB.key(name);
      if (LB.seen[k]) return;
      LB.seen[k] = true;
      LB.hidden[k] = true;
    });
  };

  /** After a (re)built layer control: switch off what the user had switched off; legend sync. */
  LB.applyHidden = function (map, control) {
    var box = control.getContainer && control.getContainer();
    if (box && !box._lbWatched) {  // capture phase: runs before the control's own click handler
      box._lbWatched = true;
      box.addEventListener("click", function () {
        LB.userToggling = true;
        setTimeout(function () { LB.userToggling = false; }, 0);
      }, true);
    }
    var present = {};
    control._layers.forEach(function (o) {
      if (!o.overlay) return;
      var k = LB.key(o.name);
      present[k] = true;
      if (LB.hidden[k] && map.hasLayer(o.layer)) map.removeLayer(o.layer);
      showLegendFor(map, k, !LB.hidden[k]);
    });
    var nodes = map.getContainer().querySelectorAll(".lb-legend [data-key]");
    Array.prototype.forEach.call(nodes, function (n) {
      if (!present[n.getAttribute("data-key")] && n.hasAttribute("data-optional")) n.style.display = "none";
    });
    LB.restack();
  };

  /** Text labels at points: [[lat, lon, text], ...] (text set as plain text). */
  LB.labels = function (items) {
    return L.layerGroup(items.map(function (it) {
      var icon = L.divIcon({ html: el("span", null, it[2]), className: "lb-label", iconSize: null });
      return L.marker([it[0], it[1]], { icon: icon, interactive: false, keyboard: false });
    }));
  };

  // ------------------------------------------------------------------ offline base map
  /* LB.baseData[version] = {s: scale, labels: [[lat, lon, text, angle]], <theme>: {k: "area"|"line",
   * g: [...]}} (layers/baselayers.py): rings are flat delta-encoded integer [lon, lat] pairs (÷ s = degrees). */
  LB.baseData = LB.baseData || {};

  /** One theme of the base map: every feature drawn in one pass into one canvas in the pane beneath
   *  the data (thousands of buildings cost one path per redraw, not one Leaflet layer each). */
  LB.BaseLayer = L.Layer.extend({
    initialize: function (t, s, style) {
      // rings in Web Mercator normalised to [0, 1]; per feature: first ring index and bounding box
      var rings = [], starts = [], boxes = [];
      var feats = t.k === "area" ? t.g : t.g.map(function (r) { return [r]; });
      feats.forEach(function (f) {
        starts.push(rings.length);
        var b = [Infinity, Infinity, -Infinity, -Infinity];
        f.forEach(function (r) {
          var n = r.length / 2, xy = new Float64Array(r.length), x = 0, y = 0, i;
          for (i = 0; i < n; i++) {
            x += r[2 * i];
            y += r[2 * i + 1];
            var m = mercator(y / s, x / s);
            xy[2 * i] = m[0];
            xy[2 * i + 1] = m[1];
            if (m[0] < b[0]) b[0] = m[0];
            if (m[1] < b[1]) b[1] = m[1];
            if (m[0] > b[2]) b[2] = m[0];
            if (m[1] > b[3]) b[3] = m[1];
          }
          rings.push(xy);
        });
        boxes.push(b);
      });
      starts.push(rings.length);
      this._rings = rings;
      this._starts = starts;
      this._boxes = boxes;
      this._area = t.k === "area";
      this._style = style;
    },
    onAdd: function (map) {
      this._map = map;
      this._canvas = el("canvas", "lb-base");
      this._canvas.style.pointerEvents = "none";
      this._canvas.style.position = "absolute";
      map.getPane("lbBase").appendChild(this._canvas);
      map.on("moveend resize", this._schedule, this);
      map.on("zoomstart", this._hide, this);
      this._redraw();
    },
    onRemove: function (map) {
      map.off("moveend resize", this._schedule, this);
      map.off("zoomstart", this._hide, this);
      if (this._frame) L.Util.cancelAnimFrame(this._frame);
      this._frame = null;
      L.DomUtil.remove(this._canvas);
    },
    /** One redraw per animation frame, however many moves and resizes came before it (a map that refits
     *  to its frame while the page lays out fires several). */
    _schedule: function () {
      if (this._frame) return;
      var self = this;
      this._frame = L.Util.requestAnimFrame(function () { self._frame = null; if (self._map) self._redraw(); });
    },
    _hide: function () {
      this._canvas.style.visibility = "hidden";
    },
    /** Trace the features in ``view`` ([origin x, y, scale, then the view's box in [0, 1]]) into ``ctx`` and
     *  ``paint()`` them every PATH_CHUNK features: a software canvas fills and strokes one path of thousands of
     *  rings far slower than many small ones (7,643 buildings: 0.7 s as one path). */
    _trace: function (ctx, view, paint) {
      var ox = view[0], oy = view[1], scale = view[2], inPath = 0;
      ctx.beginPath();
      for (var f = 0; f < this._boxes.length; f++) {
        var b = this._boxes[f];
        if (b[2] < view[3] || b[0] > view[5] || b[3] < view[4] || b[1] > view[6]) continue;  // outside the view
        for (var k = this._starts[f]; k < this._starts[f + 1]; k++) {
          var xy = this._rings[k];
          ctx.moveTo(xy[0] * scale - ox, xy[1] * scale - oy);
          for (var i = 2; i < xy.length; i += 2) ctx.lineTo(xy[i] * scale - ox, xy[i + 1] * scale - oy);
          if (this._area) ctx.closePath();
        }
        if (++inPath === PATH_CHUNK) { paint(); ctx.beginPath(); inPath = 0; }
      }
      if (inPath) paint();
    },
    _redraw: function () {
      var map = this._map, size = map.getSize(), origin = map.getPixelBounds().min, c = this._canvas;
      var scale = 256 * Math.pow(2, map.getZoom()), ratio = window.devicePixelRatio || 1;
      L.DomUtil.setPosition(c, map.containerPointToLayerPoint([0, 0]));
      c.width = Math.max(1, Math.round(size.x * ratio));
      c.height = Math.max(1, Math.round(size.y * ratio));
      c.style.width = size.x + "px";
      c.style.height = size.y + "px";
      var ctx = c.getContext("2d"), st = this._style, ox = origin.x, oy = origin.y;
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      var view = [ox, oy, scale, ox / scale, oy / scale, (ox + size.x) / scale, (oy + size.y) / scale];
      var trace = this._trace.bind(this, ctx, view);
      if (this._area) {
        ctx.fillStyle = st.fill;
        ctx.lineWidth = st.width;
        ctx.strokeStyle = st.line;
        trace(function () { ctx.fill("evenodd"); ctx.stroke(); });
      } else {
        ctx.lineJoin = ctx.lineCap = "round";
        if (st.casing) {
          ctx.lineWidth = st.width + 1.5;
          ctx.strokeStyle = st.casing;
          trace(function () { ctx.stroke(); });
        }
        ctx.lineWidth = st.width;
        ctx.strokeStyle = st.line;
        trace(function () { ctx.stroke(); });
      }
      c.style.visibility = "visible";
    },
  });

  LB.base = function (version, theme, style) {
    var data = LB.baseData[version];
    if (!data || !data[theme]) return L.layerGroup();
    return new LB.BaseLayer(data[theme], data.s, style);
  };

  /** Street names of the base map, shown from zoom ``minZoom`` on (plain text, rotated along the street). */
  LB.baseLabels = function (version, minZoom) {
    var data = LB.baseData[version] || {};
    var items = data.labels || [];
    var Labels = L.Layer.extend({
      onAdd: function (map) {
        this._group = this._group || L.layerGroup(items.map(function (it) {
          var span = el("span", null, it[2]);
          span.style.transform = "translate(-50%, -50%) rotate(" + it[3] + "deg)";
          var icon = L.divIcon({ html: span, className: "lb-street", iconSize: null });
          return L.marker([it[0], it[1]], { icon: icon, interactive: false, keyboard: false, pane: "lbBaseLabels" });
        }));
        map.on("zoomend", this._update, this);
        this._update();
      },
      onRemove: function (map) {
        map.off("zoomend", this._update, this);
        if (map.hasLayer(this._group)) map.removeLayer(this._group);
      },
      _update: function () {
        var map = this._map;
        if (!map) return;
        if (map.getZoom() >= minZoom) { if (!map.hasLayer(this._group)) this._group.addTo(map); }
        else if (map.hasLayer(this._group)) map.removeLayer(this._group);
      },
    });
    return new Labels();
  };

  /** The online background: when its tiles cannot load (no internet) it is removed and one quiet
   *  line says so, once; a map whose tiles load keeps them. */
  LB.tiles = function (map, layer, notice) {
    var loaded = false, failed = false;
    layer.on("tileload", function () { loaded = true; });
    layer.on("tileerror", function () {
      if (loaded || failed) return;
      failed = true;
      if (map.hasLayer(layer)) map.removeLayer(layer);
      if (map._lbOfflineNote) return;
      var Note = L.Control.extend({
        onAdd: function () { return el("div", "lb-offline-note", notice); },
      });
      map._lbOfflineNote = new Note({ position: "bottomright" }).addTo(map);
    });
  };

  /** Fit the map to the data's bounds [[s, w], [n, e]] once (not again when Streamlit reruns). */
  LB.fitOnce = function (map, bounds) {
    if (map._lbFitted) return;
    map._lbFitted = true;
    map.fitBounds(bounds, { padding: [12, 12], maxZoom: 17 });
  };

  /** True once the user has pressed, wheeled or touched the map (zoom buttons included). */
  function watchUser(map) {
    if (map._lbWatch) return;
    map._lbWatch = true;
    ["mousedown", "touchstart", "wheel", "keydown", "dblclick"].forEach(function (type) {
      map.getContainer().addEventListener(type, function () { map._lbUser = true; }, true);
    });
  }

  /** Keep the map fitted to [[s, w], [n, e]] while its frame is still being laid out: Streamlit
   *  sizes a map's frame after the map script ran, so a fit made then is taken at the wrong size
   *  (a map far zoomed out, or one side-by-side map a zoom level off the other). The map refits
   *  whenever its container changes size, until the user moves it or another view is set. */
  LB.keepFit = function (map, bounds) {
    watchUser(map);
    var fitting = false;
    map._lbKeepFit = true;
    function fit() {
      if (!map._lbKeepFit || map._lbUser) return;
      var size = map.getSize();
      if (!size.x || !size.y) return;
      fitting = true;
      map.fitBounds(bounds, { animate: false, maxZoom: 17 });
      fitting = false;
    }
    map.on("movestart", function () { if (!fitting) map._lbKeepFit = false; });
    map.on("resize", fit);
    if (window.ResizeObserver) {
      new ResizeObserver(function () { map.invalidateSize({ pan: false }); fit(); }).observe(map.getContainer());
    }
    fit();
  };

  /** Maps side by side that move together: a pan or zoom by the user in one map is sent to the
   *  others on the same ``channel`` (a BroadcastChannel, so nothing goes back to the server and the
   *  page does not rerun). */
  /** An id of this browser tab: the same in all its frames of the app (sessionStorage is per tab and origin;
   *  the frames' scripts run one after the other), different in other tabs. */
  function tabId() {
    try {
      var store = window.sessionStorage, id = store.getItem("lagebild-tab");
      if (!id) {
        id = Math.random().toString(36).slice(2);
        store.setItem("lagebild-tab", id);
      }
      return id;
    } catch (e) {
      return "";
    }
  }

  /** Maps given the same ``channel`` in one browser tab pan and zoom together (maps of other tabs, e.g. another
   *  person's comparison opened on the same computer, do not follow). */
  LB.syncView = function (map, channel) {
    if (!window.BroadcastChannel) return;
    watchUser(map);
    var bc = new BroadcastChannel("lagebild-sync-" + tabId() + "-" + channel), quiet = false;
    map.on("moveend", function () {
      if (quiet || !map._lbUser) return;
      var c = map.getCenter();
      bc.postMessage({ lat: c.lat, lng: c.lng, zoom: map.getZoom() });
    });
    bc.onmessage = function (ev) {
      var v = ev.data || {};
      if (typeof v.lat !== "number" || typeof v.lng !== "number" || typeof v.zoom !== "number") return;
      map._lbKeepFit = false;
      quiet = true;
      map.setView([v.lat, v.lng], v.zoom, { animate: false });
      quiet = false;
    };
  };

  /** Symbols centred on points: [[lat, lon, glyph], ...] (glyph set as plain text; not clickable). */
  LB.glyphs = function (items, minZoom) {
    var markers = items.map(function (it) {
      var icon = L.divIcon({ html: el("span", null, it[2]), className: "lb-glyph", iconSize: [14, 14],
        iconAnchor: [7, 7] });
      return L.marker([it[0], it[1]], { icon: icon, interactive: false, keyboard: false });
    });
    if (!minZoom) return L.layerGroup(markers);
    // only from ``minZoom`` on: below it the symbols are larger than their cells and cover the colours
    var group = L.layerGroup(), map = null;
    function update() {
      var show = map.getZoom() >= minZoom;
      if (show && !group.getLayers().length) markers.forEach(function (m) { group.addLayer(m); });
      if (!show && group.getLayers().length) group.clearLayers();
    }
    group.on("add", function () { map = group._map; update(); map.on("zoomend", update); });
    group.on("remove", function () { if (map) map.off("zoomend", update); group.clearLayers(); });
    return group;
  };

  // ------------------------------------------------------------------ legend
  LB.legend = function (map, html, position) {
    var Legend = L.Control.extend({
      onAdd: function () {
        var div = el("div", "lb-legend leaflet-bar");
        div.innerHTML = html; // built from the schema on the server, escaped there
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        return div;
      },
    });
    return new Legend({ position: position || "bottomright" }).addTo(map);
  };

  // ------------------------------------------------------------------ polygon and line drawing
  /** A small drawing tool: "Fläche zeichnen" – click corners, finish on the first corner, by
   *  double click or "Fertig"; with ``opts.lines`` also "Linie zeichnen" – click points, finish on
   *  the last point, by double click or "Fertig"; "löschen" removes the drawing. Fires
   *  Leaflet.draw-compatible events (draw:created / draw:deleted) so streamlit-folium reports it. */
  LB.drawTool = function (map, opts) {
    opts = opts || {};
    var items = L.featureGroup().addTo(map);
    var style = opts.style || { color: "#111111", weight: 2, dashArray: "6 4", fillOpacity: 0.05 };
    var lines = !!opts.lines;
    var TEXT = { polygon: "✎ Fläche zeichnen", line: "╱ Linie zeichnen" };
    var pts = [], line = null, marks = L.layerGroup().addTo(map), mode = null, buttons = {}, btnClear;

    function reset() {
      pts = [];
      marks.clearLayers();
      if (line) { map.removeLayer(line); line = null; }
      LB.drawing = false;
      mode = null;
      map.getContainer().classList.remove("lb-drawing");
      // after the double click that finished a drawing has passed (it would zoom in)
      setTimeout(function () { if (!LB.drawing) map.doubleClickZoom.enable(); }, 400);
      Object.keys(buttons).forEach(function (m) { buttons[m].textContent = TEXT[m]; });
    }
    function finish() {
      var drawn = mode === "line" ? (pts.length >= 2 ? L.polyline(pts.slice(), style) : null)
                                  : (pts.length >= 3 ? L.polygon(pts.slice(), style) : null);
      var type = mode === "line" ? "polyline" : "polygon";
      reset();
      if (!drawn) return;
      items.clearLayers();
      items.addLayer(drawn);
      map.fire("draw:created", { layer: drawn, layerType: type });
    }
    function near(latlng, point) {
      return map.latLngToContainerPoint(latlng).distanceTo(point) < 10;
    }
    function onClick(e) {
      if (!LB.drawing) return;
      if (mode === "polygon" && pts.length >= 3 && near(pts[0], e.containerPoint)) { finish(); return; }
      if (mode === "line" && pts.length >= 2 && near(pts[pts.length - 1], e.containerPoint)) { finish(); return; }
      if (mode === "line" && pts.length === 1 && near(pts[0], e.containerPoint)) return; // no zero-length line
      pts.push(e.latlng);
      marks.addLayer(L.circleMarker(e.latlng, { radius: 4, color: "#111", weight: 1, fillOpacity: 1,
                                                 fillColor: pts.length === 1 ? "#ffeb3b" : "#fff" }));
      if (!line) line = L.polyline(pts, { color: "#111", weight: 2, dashArray: "4 4" }).addTo(map);
      else line.setLatLngs(pts);
    }
    // Corners come from the DOM's capture phase: a click on a place, a measure or a point would
    // otherwise open its popup and never reach the map (Leaflet stops it), losing the corner.
    map.getContainer().addEventListener("click", function (ev) {
      if (!LB.drawing || (ev.target.closest && ev.target.closest(".leaflet-control"))) return;
      ev.stopPropagation();
      onClick({ latlng: map.mouseEventToLatLng(ev), containerPoint: map.mouseEventToContainerPoint(ev) });
    }, true);
    map.on("dblclick", function () { if (LB.drawing) finish(); });
    document.addEventListener("keydown", function (e) { if (e.key === "Escape" && LB.drawing) reset(); });

    function start(m) {
      if (LB.drawing && mode === m) { finish(); return; }
      reset();
      LB.drawing = true;
      mode = m;
      map.closePopup();
      map.doubleClickZoom.disable();
      map.getContainer().classList.add("lb-drawing");
      buttons[m].textContent = "✓ Fertig";
    }
    var Control = L.Control.extend({
      onAdd: function () {
        var box = el("div", "leaflet-bar lb-draw");
        var what = lines ? "Zeichnung" : "Fläche";
        buttons.polygon = el("a", "lb-draw-start", TEXT.polygon);
        buttons.polygon.title = "Fläche zeichnen: Ecken anklicken, zum Abschließen die erste Ecke oder doppelt klicken";
        if (lines) {
          buttons.line = el("a", "lb-draw-line", TEXT.line);
          buttons.line.title = "Linie zeichnen: Punkte anklicken, zum Abschließen den letzten Punkt noch einmal " +
                               "oder doppelt klicken";
        }
        btnClear = el("a", "lb-draw-clear", "✕ " + what + " löschen");
        btnClear.title = "gezeichnete " + (lines ? "Linie oder Fläche" : "Fläche") + " entfernen";
        Object.keys(buttons).forEach(function (m) {
          var b = buttons[m];
          b.href = "#";
          box.appendChild(b);
          L.DomEvent.on(b, "click", function (e) { L.DomEvent.preventDefault(e); start(m); });
        });
        btnClear.href = "#";
        box.appendChild(btnClear);
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.on(btnClear, "click", function (e) {
          L.DomEvent.preventDefault(e);
          reset();
          var had = items.getLayers().length;
          items.clearLayers();
          if (had) map.fire("draw:deleted", { layers: L.layerGroup() });
        });
        return box;
      },
    });
    new Control({ position: "topleft" }).addTo(map);
    return items;
  };

  /** Put a polygon (GeoJSON geometry) into the drawing layer if it is empty (restored view). */
  LB.restoreDrawing = function (items, geometry, style) {
    if (!items || !items.getLayers || items.getLayers().length || !geometry) return;
    L.geoJSON(geometry).eachLayer(function (l) {
      if (l.setStyle) l.setStyle(style || { color: "#111111", weight: 2, dashArray: "6 4", fillOpacity: 0.05 });
      items.addLayer(l);
    });
  };
})();
