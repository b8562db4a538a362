// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Every trial's value against its number, with the best value so far. Trials without a value
// (pruned, failed, running) sit on a strip under the plot: their number and state matter, and
// placing them at a made-up height would read as a value.
//
// Drawn with uPlot on a 2D canvas rather than with Plotly: this is the view a study opens on,
// and at 100,000 trials Plotly's script and its WebGL scatter (rasterised in software where
// there is no GPU) took seconds, where uPlot draws the same points in tens of milliseconds.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useApi, studyPath } from '../api.js';
import { formatNumber, objectiveName } from '../format.js';
import { trialHref } from '../routes.js';
import { COLORS } from '../plot.jsx';

const STRIP_STATES = ['pruned', 'failed', 'running', 'waiting'];
const HEIGHT = 460;
const STRIP_ROW = 22;
// Both charts reserve the same width left of the plot area, so their x axes line up.
const Y_AXIS = 62;
const Y_LABEL = 22;
const PAD_RIGHT = 20;
// How near, in CSS pixels, the pointer must be to a point to hover or click it.
const PICK_RADIUS = 8;

function series(history, objective, logScale) {
  const minimize = history.directions[objective] === 'minimize';
  const values = history.values[objective];
  const numbers = history.number;
  const complete = { x: [], y: [], best: [] };
  const strip = { x: [], state: [] };
  const counts = Object.fromEntries(STRIP_STATES.map((s) => [s, 0]));
  let bestSoFar = null;
  for (let i = 0; i < numbers.length; i += 1) {
    const value = values[i];
    const state = history.state[i];
    if (state === 'complete' && value !== null && value !== undefined) {
      // Only the improvements (the line spans the gaps as a staircase): a few dozen points to
      // stroke at 100,000 trials instead of one per trial.
      const improved = bestSoFar === null || (minimize ? value < bestSoFar : value > bestSoFar);
      if (improved) bestSoFar = value;
      complete.x.push(numbers[i]);
      // A log axis cannot place values <= 0: they are left out (the view says so).
      complete.y.push(logScale && value <= 0 ? null : value);
      complete.best.push(improved && !(logScale && value <= 0) ? value : null);
    } else if (counts[state] !== undefined) {
      counts[state] += 1;
      strip.x.push(numbers[i]);
      strip.state.push(state);
    }
  }
  // The staircase runs on to the last complete trial.
  const lastBest = complete.best.length - 1;
  if (lastBest >= 0 && complete.best[lastBest] === null && !(logScale && bestSoFar <= 0)) complete.best[lastBest] = bestSoFar;
  const stripStates = STRIP_STATES.filter((s) => counts[s] > 0);
  // Both charts get the first and the last trial number as x values (with no point there), so
  // each one's own full range, and so a double click's reset, is the whole study.
  const first = numbers.length ? Math.min(numbers[0], numbers[numbers.length - 1]) : null;
  const last = numbers.length ? Math.max(numbers[0], numbers[numbers.length - 1]) : null;
  const framed = (xs, columns) => {
    const head = first !== null && (xs.length === 0 || xs[0] > first);
    const tail = last !== null && (xs.length === 0 || xs[xs.length - 1] < last) && last !== first;
    if (!head && !tail) return [xs, ...columns];
    const wrap = (column, a, b) => (head ? [a] : []).concat(column, tail ? [b] : []);
    return [wrap(xs, first, last), ...columns.map((c) => wrap(c, null, null))];
  };
  const main = framed(complete.x, [complete.y, complete.best]);
  // One column per strip state: its row (top row first) where a trial is in that state.
  const rows = stripStates.map((s, row) => strip.state.map((state) => (state === s ? stripStates.length - 1 - row : null)));
  const stripData = stripStates.length ? framed(strip.x, rows) : null;
  const drawn = (column) => column.reduce((n, v) => (v === null ? n : n + 1), 0);
  return {
    main,
    strip: stripData,
    stripStates,
    counts,
    complete: complete.x.length,
    bestSoFar,
    drawn: { complete: drawn(main[1]), best: drawn(main[2]) },
  };
}

// The point of `seriesIndex` nearest the pointer, within PICK_RADIUS, as a data index.
function nearest(u, seriesIndex, left, top) {
  if (left == null || left < 0) return null;
  const xs = u.data[0];
  const ys = u.data[seriesIndex];
  const lo = u.posToVal(left - PICK_RADIUS, 'x');
  const hi = u.posToVal(left + PICK_RADIUS, 'x');
  let i = lowerBound(xs, lo);
  let best = null;
  // Strictly nearer replaces: of points drawn on top of each other, the earliest trial wins.
  let bestDistance = PICK_RADIUS * PICK_RADIUS + 1;
  const scale = u.series[seriesIndex].scale;
  for (; i < xs.length && xs[i] <= hi; i += 1) {
    if (ys[i] === null || ys[i] === undefined) continue;
    const dx = u.valToPos(xs[i], 'x') - left;
    const dy = u.valToPos(ys[i], scale) - top;
    const distance = dx * dx + dy * dy;
    if (distance < bestDistance) {
      bestDistance = distance;
      best = i;
    }
  }
  return best;
}

function lowerBound(xs, value) {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// The strip's marks: a short vertical tick per trial, a cross for a failed one (as in the legend).
function drawStrip(u, stripStates) {
  const { ctx } = u;
  const xs = u.data[0];
  const lo = lowerBound(xs, u.scales.x.min);
  const half = Math.round(STRIP_ROW * 0.3 * uPlot.pxRatio);
  const { left, top, width, height } = u.bbox;
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, width, height);
  ctx.clip();
  ctx.lineWidth = 2 * uPlot.pxRatio;
  stripStates.forEach((state, s) => {
    const ys = u.data[s + 1];
    ctx.strokeStyle = COLORS[state];
    ctx.beginPath();
    for (let i = lo; i < xs.length && xs[i] <= u.scales.x.max; i += 1) {
      if (ys[i] === null) continue;
      const x = Math.round(u.valToPos(xs[i], 'x', true));
      const y = Math.round(u.valToPos(ys[i], 'y', true));
      if (state === 'failed') {
        ctx.moveTo(x - half * 0.7, y - half * 0.7);
        ctx.lineTo(x + half * 0.7, y + half * 0.7);
        ctx.moveTo(x - half * 0.7, y + half * 0.7);
        ctx.lineTo(x + half * 0.7, y - half * 0.7);
      } else {
        ctx.moveTo(x, y - half);
        ctx.lineTo(x, y + half);
      }
    }
    ctx.stroke();
  });
  ctx.restore();
}

// The complete trials' points, drawn into a pixel buffer of the plot area and put on the canvas
// as one image. As 100,000 canvas arcs, the same points took half a second to rasterise without a
// GPU; this takes a few tens of milliseconds. Points that land on a pixel already drawn are
// skipped, so a dense study costs little more than its plot's area.
const POINT_RADIUS = 2.6;
const POINT_ALPHA = 0.8;
let pointCanvas = null;

function pointMask(radius) {
  const reach = Math.ceil(radius);
  const cells = [];
  for (let dy = -reach; dy <= reach; dy += 1) {
    for (let dx = -reach; dx <= reach; dx += 1) {
      // Coverage of an anti-aliased disc: full inside, fading over the pixel at its edge.
      const cover = Math.min(1, Math.max(0, radius + 0.5 - Math.hypot(dx, dy)));
      if (cover > 0) cells.push(dx, dy, cover * POINT_ALPHA);
    }
  }
  return { reach, cells };
}

function drawPoints(u, seriesIndex, color) {
  const left = Math.round(u.bbox.left);
  const top = Math.round(u.bbox.top);
  const width = Math.round(u.bbox.width);
  const height = Math.round(u.bbox.height);
  if (width <= 0 || height <= 0) return;
  const xs = u.data[0];
  const ys = u.data[seriesIndex];
  const { reach, cells } = pointMask(POINT_RADIUS * uPlot.pxRatio);
  const alpha = new Float32Array(width * height);
  const seen = new Uint8Array(width * height);
  const scale = u.series[seriesIndex].scale;
  const end = Math.min(xs.length, lowerBound(xs, u.scales.x.max) + 1);
  for (let i = lowerBound(xs, u.scales.x.min); i < end; i += 1) {
    const y = ys[i];
    if (y === null || y === undefined) continue;
    const cx = Math.round(u.valToPos(xs[i], 'x', true)) - left;
    const cy = Math.round(u.valToPos(y, scale, true)) - top;
    if (cx < -reach || cy < -reach || cx >= width + reach || cy >= height + reach) continue;
    if (cx >= 0 && cy >= 0 && cx < width && cy < height) {
      if (seen[cy * width + cx]) continue;
      seen[cy * width + cx] = 1;
    }
    for (let k = 0; k < cells.length; k += 3) {
      const px = cx + cells[k];
      const py = cy + cells[k + 1];
      if (px < 0 || py < 0 || px >= width || py >= height) continue;
      const at = py * width + px;
      alpha[at] += cells[k + 2] * (1 - alpha[at]);
    }
  }
  const image = new ImageData(width, height);
  const pixels = image.data;
  const r = parseInt(color.slice(1, 3), 16);
  const g = parseInt(color.slice(3, 5), 16);
  const b = parseInt(color.slice(5, 7), 16);
  for (let at = 0; at < alpha.length; at += 1) {
    if (alpha[at] === 0) continue;
    pixels[at * 4] = r;
    pixels[at * 4 + 1] = g;
    pixels[at * 4 + 2] = b;
    pixels[at * 4 + 3] = Math.round(alpha[at] * 255);
  }
  if (!pointCanvas) pointCanvas = document.createElement('canvas');
  pointCanvas.width = width;
  pointCanvas.height = height;
  pointCanvas.getContext('2d').putImageData(image, 0, 0);
  u.ctx.drawImage(pointCanvas, left, top);
}

const AXIS_FONT = '12px system-ui, sans-serif';
const AXIS_STROKE = '#444';
const GRID = { stroke: '#e5e5e5', width: 1 };

function mainOptions({ width, height, name, logScale, hasStrip, hooks }) {
  return {
    width,
    height,
    padding: [10, PAD_RIGHT, hasStrip ? 0 : null, 0],
    legend: { show: false },
    cursor: { points: { show: false }, drag: { x: true, y: false } },
    scales: { x: { time: false }, y: logScale ? { distr: 3, log: 10 } : {} },
    axes: [
      // With a strip below, the trial numbers are read once, under it.
      hasStrip
        ? { stroke: AXIS_STROKE, grid: GRID, size: 6, values: (u, splits) => splits.map(() => '') }
        : { stroke: AXIS_STROKE, grid: GRID, font: AXIS_FONT, label: 'trial', labelFont: AXIS_FONT },
      { stroke: AXIS_STROKE, grid: GRID, font: AXIS_FONT, size: Y_AXIS, label: name, labelSize: Y_LABEL, labelFont: AXIS_FONT },
    ],
    series: [
      {},
      {
        label: `${name} (complete)`,
        stroke: COLORS.complete,
        // Drawn by drawPoints, under the best-so-far line.
        paths: () => null,
        points: { show: false },
      },
      {
        label: 'best so far',
        stroke: COLORS.best,
        width: 2,
        spanGaps: true,
        paths: uPlot.paths.stepped({ align: 1 }),
        points: { show: false },
      },
    ],
    hooks: { ...hooks, drawAxes: [(u) => drawPoints(u, 1, COLORS.complete)] },
  };
}

function stripOptions({ width, stripStates, hooks }) {
  const rows = stripStates.length;
  return {
    width,
    height: rows * STRIP_ROW + 84,
    padding: [4, PAD_RIGHT, null, 0],
    legend: { show: false },
    cursor: { points: { show: false }, y: false, drag: { x: true, y: false } },
    scales: { x: { time: false }, y: { auto: false, range: [-0.5, rows - 0.5] } },
    axes: [
      { stroke: AXIS_STROKE, grid: GRID, font: AXIS_FONT, label: 'trial', labelFont: AXIS_FONT },
      {
        stroke: AXIS_STROKE, grid: GRID, font: AXIS_FONT, size: Y_AXIS + Y_LABEL,
        splits: () => stripStates.map((_, row) => row),
        values: (u, splits) => splits.map((row) => stripStates[rows - 1 - row] || ''),
      },
    ],
    series: [{}, ...stripStates.map((state) => ({ label: state, stroke: COLORS[state], paths: () => null, points: { show: false } }))],
    hooks: { ...hooks, draw: [(u) => drawStrip(u, stripStates)] },
  };
}

// Whether the user has narrowed the x range (by dragging), which a refresh should keep.
function zoomed(u) {
  const xs = u.data[0];
  if (!xs.length || u.scales.x.min == null) return false;
  return u.scales.x.min > xs[0] || u.scales.x.max < xs[xs.length - 1];
}

function HistoryPlot({ plot, name, label, logScale, onOpen, hover }) {
  const container = useRef(null);
  const mainHost = useRef(null);
  const stripHost = useRef(null);
  const charts = useRef({ main: null, strip: null, key: null });
  const renders = useRef(0);
  const latest = useRef(plot);
  latest.current = plot;
  const openRef = useRef(onOpen);
  openRef.current = onOpen;

  const stripRows = plot.stripStates.join(',');
  const stripHeight = plot.strip ? plot.stripStates.length * STRIP_ROW + 84 : 0;

  useEffect(() => {
    const node = container.current;
    const c = charts.current;
    const key = `${label}|${logScale}|${stripRows}`;
    const width = Math.max(node.clientWidth, 300);

    if (c.key !== key) {
      // The scale type or the strip's rows changed: new charts, at full range.
      if (c.main) c.main.destroy();
      if (c.strip) c.strip.destroy();
      c.main = null;
      c.strip = null;
      c.key = key;
      // Dragging over either chart zooms both to the same trials.
      const syncX = (u) => {
        const other = u === c.main ? c.strip : c.main;
        if (!other) return;
        const { min, max } = u.scales.x;
        if (other.scales.x.min !== min || other.scales.x.max !== max) other.setScale('x', { min, max });
      };
      const pointer = (u, seriesIndex) => (event) => {
        const rect = u.over.getBoundingClientRect();
        const left = event.clientX - rect.left;
        const top = event.clientY - rect.top;
        const index = seriesIndex === null ? nearestStrip(u, left, top) : nearest(u, seriesIndex, left, top);
        return index === null ? null : { index, number: u.data[0][index], u, seriesIndex };
      };
      const bind = (u, seriesIndex) => {
        const at = pointer(u, seriesIndex);
        let downX = null;
        u.over.addEventListener('mousedown', (event) => {
          downX = event.clientX;
        });
        u.over.addEventListener('click', (event) => {
          // The end of a drag (a zoom) also arrives as a click.
          if (downX !== null && Math.abs(event.clientX - downX) > 3) return;
          const hit = at(event);
          if (hit) openRef.current(hit.number);
        });
        u.over.addEventListener('mousemove', (event) => {
          const hit = at(event);
          u.over.style.cursor = hit ? 'pointer' : '';
          hover(hit && describe(hit));
        });
        u.over.addEventListener('mouseleave', () => hover(null));
      };
      const hooks = { setScale: [(u, scaleKey) => scaleKey === 'x' && syncX(u)] };
      const hasStrip = plot.strip !== null;
      c.main = new uPlot(mainOptions({ width, height: HEIGHT - stripHeight, name: label, logScale, hasStrip, hooks }), plot.main, mainHost.current);
      bind(c.main, 1);
      if (hasStrip) {
        c.strip = new uPlot(stripOptions({ width, stripStates: plot.stripStates, hooks }), plot.strip, stripHost.current);
        bind(c.strip, null);
      }
    } else {
      // A refresh: new points, and the same trials in view if the user zoomed in.
      const keep = zoomed(c.main);
      const { min, max } = c.main.scales.x;
      c.main.setData(plot.main, !keep);
      if (c.strip) c.strip.setData(plot.strip, !keep);
      if (keep) {
        c.main.setScale('x', { min, max });
        c.main.redraw();
        if (c.strip) c.strip.redraw();
      }
    }
    node.uplot = c.main;
    node.setAttribute('data-y-label', label);
    node.setAttribute('data-points-complete', String(plot.drawn.complete));
    node.setAttribute('data-points-best', String(plot.drawn.best));
    for (const state of STRIP_STATES) node.setAttribute(`data-points-${state}`, String(plot.counts[state]));
    // uPlot draws in a microtask queued by the calls above; this one runs after it. A counter
    // rather than a flag: a test can tell a refreshed figure from the first one.
    queueMicrotask(() => {
      renders.current += 1;
      node.setAttribute('data-rendered', String(renders.current));
    });
  }, [plot, label, logScale, stripRows]);

  useEffect(() => {
    const node = container.current;
    const observer = new ResizeObserver(() => {
      const c = charts.current;
      const width = Math.max(node.clientWidth, 300);
      if (c.main && c.main.width !== width) c.main.setSize({ width, height: c.main.height });
      if (c.strip && c.strip.width !== width) c.strip.setSize({ width, height: c.strip.height });
    });
    observer.observe(node);
    return () => {
      observer.disconnect();
      const c = charts.current;
      if (c.main) c.main.destroy();
      if (c.strip) c.strip.destroy();
    };
  }, []);

  function describe({ index, number, u, seriesIndex }) {
    if (seriesIndex === null) {
      const state = u.series.findIndex((s, i) => i > 0 && u.data[i][index] !== null);
      return `trial #${number}: ${u.series[state].label}`;
    }
    return `trial #${number}: ${name} ${formatNumber(u.data[seriesIndex][index])}`;
  }

  return (
    <div ref={container} class="plot history-plot" data-plot="history" style={{ minHeight: `${HEIGHT}px` }}>
      <div ref={mainHost} />
      <div ref={stripHost} />
    </div>
  );
}

// The strip trial nearest the pointer in its row: rows are far apart, so only x distance counts.
function nearestStrip(u, left, top) {
  if (left == null || left < 0) return null;
  const row = Math.round(u.posToVal(top, 'y'));
  const xs = u.data[0];
  const lo = u.posToVal(left - PICK_RADIUS, 'x');
  const hi = u.posToVal(left + PICK_RADIUS, 'x');
  let best = null;
  let bestDistance = PICK_RADIUS;
  for (let i = lowerBound(xs, lo); i < xs.length && xs[i] <= hi; i += 1) {
    const onRow = u.series.some((s, k) => k > 0 && u.data[k][i] === row);
    if (!onRow) continue;
    const distance = Math.abs(u.valToPos(xs[i], 'x') - left);
    if (distance <= bestDistance) {
      bestDistance = distance;
      best = i;
    }
  }
  return best;
}

function Legend({ label, stripStates, counts }) {
  return (
    <div class="plot-legend" data-testid="history-legend">
      <span><i class="swatch dot" style={{ background: COLORS.complete }} /> {label} (complete)</span>
      <span><i class="swatch line" style={{ background: COLORS.best }} /> best so far</span>
      {stripStates.map((state) => (
        <span key={state}>
          <i class={state === 'failed' ? 'swatch cross' : 'swatch tick'} style={{ color: COLORS[state] }} /> {state} ({counts[state]})
        </span>
      ))}
      <span class="muted">drag to zoom, double-click to reset</span>
    </div>
  );
}

export function HistoryView({ name, study, tick, objective }) {
  const [logScale, setLogScale] = useState(false);
  const hoverText = useRef(null);
  const { data: history } = useApi(studyPath(name, '/history'), tick);
  const plot = useMemo(() => (history ? series(history, objective, logScale) : null), [history, objective, logScale]);
  if (!history) return <p class="muted">Loading history…</p>;
  const label = objectiveName(study, objective);
  const latest = history.number.length ? history.number[history.number.length - 1] : null;
  const nonPositive = logScale && history.values[objective].some((v) => v !== null && v <= 0);
  // Straight to the DOM: a pointer move should not re-render the view.
  const hover = (text) => {
    if (hoverText.current) hoverText.current.textContent = text || '';
  };
  return (
    <div data-testid="history">
      <div class="controls">
        <label>
          <input type="checkbox" data-testid="history-log" checked={logScale} onChange={(e) => setLogScale(e.currentTarget.checked)} /> log scale
        </label>
        {nonPositive && <span class="warn">values ≤ 0 cannot be shown on a log scale</span>}
        <span class="hover-readout" data-testid="history-hover" ref={hoverText} />
      </div>
      <Legend label={label} stripStates={plot.stripStates} counts={plot.counts} />
      <HistoryPlot plot={plot} name={label} label={label} logScale={logScale} hover={hover}
        onOpen={(number) => { location.hash = trialHref(name, number); }} />
      <p class="caption" data-testid="history-caption">
        {history.number.length} trials, {plot.complete} with a value
        {plot.bestSoFar !== null && <>; best {formatNumber(plot.bestSoFar)}</>}
        {latest !== null && <>; latest trial #{latest}</>}. Click a point to open its trial.
      </p>
    </div>
  );
}
