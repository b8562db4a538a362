// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The dashboard in a real browser: real studies made by the real `winnow` binary, served by
// `winnow dashboard`, opened in Chromium through playwright-core.
//
//   node tests/dashboard/browser_test.mjs WINNOW_BINARY DASHBOARD_DIR SCRATCH_DIR
//
// DASHBOARD_DIR is the built front end (scripts/build-dashboard.sh DIR); SCRATCH_DIR is emptied
// and receives the studies, the server's log and a screenshot of every view (screenshots/).
// The expected figures come from `winnow export`, not from the API under test. Every view of
// both studies must render plots that hold the study's trials and are visibly drawn (their
// screenshot has coloured pixels: axes and text alone are grey), and a trial added from outside
// with `winnow ask` / `winnow tell` must appear in the open page without a reload.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const webDir = path.resolve(here, '../../web');

class TestFailure extends Error {}

function check(condition, message) {
  if (!condition) throw new TestFailure(message);
}

function passed(message) {
  console.log(`ok   ${message}`);
}

// ---------------------------------------------------------------------------------------------
// PNG decoding, enough for Chromium's screenshots (8-bit RGB or RGBA, not interlaced).

function decodePng(buffer) {
  check(buffer.subarray(1, 4).toString('latin1') === 'PNG', 'a screenshot is not a PNG');
  let offset = 8;
  let header = null;
  const chunks = [];
  while (offset < buffer.length) {
    const length = buffer.readUInt32BE(offset);
    const type = buffer.toString('latin1', offset + 4, offset + 8);
    const data = buffer.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      header = { width: data.readUInt32BE(0), height: data.readUInt32BE(4), depth: data[8], colour: data[9], interlace: data[12] };
    } else if (type === 'IDAT') {
      chunks.push(data);
    } else if (type === 'IEND') {
      break;
    }
    offset += 12 + length;
  }
  check(header && header.depth === 8 && header.interlace === 0 && (header.colour === 2 || header.colour === 6),
    `unexpected PNG format ${JSON.stringify(header)}`);
  const channels = header.colour === 6 ? 4 : 3;
  const stride = header.width * channels;
  const raw = zlib.inflateSync(Buffer.concat(chunks));
  const pixels = Buffer.alloc(header.height * stride);
  for (let y = 0; y < header.height; y += 1) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = pixels.subarray(y * stride, (y + 1) * stride);
    const above = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : null;
    for (let x = 0; x < stride; x += 1) {
      const a = x >= channels ? row[x - channels] : 0;
      const b = above ? above[x] : 0;
      const c = above && x >= channels ? above[x - channels] : 0;
      let predictor = 0;
      if (filter === 1) predictor = a;
      else if (filter === 2) predictor = b;
      else if (filter === 3) predictor = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else check(filter === 0, `PNG filter ${filter}`);
      row[x] = (line[x] + predictor) & 255;
    }
  }
  return { width: header.width, height: header.height, channels, pixels };
}

// Distinct colours, the share of the commonest one, and how many pixels are saturated: plot
// frames, grid lines and labels are grey, so saturated pixels are drawn data.
function pixelStats(image) {
  const counts = new Map();
  let coloured = 0;
  const total = image.width * image.height;
  for (let i = 0; i < total; i += 1) {
    const r = image.pixels[i * image.channels];
    const g = image.pixels[i * image.channels + 1];
    const b = image.pixels[i * image.channels + 2];
    const key = (r << 16) | (g << 8) | b;
    counts.set(key, (counts.get(key) || 0) + 1);
    if (Math.max(r, g, b) - Math.min(r, g, b) > 48) coloured += 1;
  }
  const commonest = Math.max(...counts.values());
  return { total, distinct: counts.size, dominantShare: commonest / total, coloured };
}

// ---------------------------------------------------------------------------------------------
// The studies.

const MLP_OBJECTIVE = `import math, sys
lr, layers, act, budget = float(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
dropout = float(sys.argv[5].split('=')[1]) if len(sys.argv) > 5 else 0.0
base = 0.2 + 0.15 * abs(math.log10(lr) + 2.5) + 0.04 * abs(layers - 3) + (0.1 if act == 'gelu' else 0) + 0.3 * abs(dropout - 0.2)
for step in range(1, budget + 1):
    value = base + 1.5 / (step + 1)
    print(f'winnow: step={step} value={value:.6f}', flush=True)
    if act == 'tanh' and lr > 0.02 and step == 1:
        print('loss went to nan: learning rate too large for tanh', file=sys.stderr, flush=True)
        sys.exit(3)
print(value)
`;

// The parameter names are also the columns the checks read from `winnow export`.
const MLP_STUDY = `[study]
name = "tune mlp"
scheduler = "asha"
sampler = "random"
seed = 11
trials = 40
jobs = 2
fail_fast = 0
storage = "studies.db"

[budget]
name = "epochs"
min = 1
max = 9
eta = 3

[objective]
command = ["/usr/bin/python3", "mlp.py", "{lr}", "{layers}", "{act}", "{budget}", "--dropout={dropout}"]
timeout = "30s"

[space]
lr      = { type = "float", low = 1e-4, high = 1.0, log = true }
layers  = { type = "int", low = 1, high = 6 }
act     = { type = "categorical", choices = ["relu", "tanh", "gelu"] }
dropout = { type = "float", low = 0.0, high = 0.5, when = "act == 'relu'" }
`;

const TRADEOFF_OBJECTIVE = `import json, math, sys
x, degree, kernel = float(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
error = (x - 0.3) ** 2 + 1.0 / degree + (0.05 if kernel == 'poly' else 0.0)
size = degree * (2 if kernel == 'poly' else 3) + 10 * x
print(json.dumps({"error": error, "size": size, "seconds": 0.1 * degree}))
`;

const TRADEOFF_STUDY = `[study]
name = "tradeoff"
directions = ["minimize", "minimize"]
objectives = ["error", "size"]
constraints = ["size <= 20"]
sampler = "random"
seed = 5
trials = 30
jobs = 2
storage = "studies.db"

[objective]
command = ["/usr/bin/python3", "tradeoff.py", "{x}", "{degree}", "{kernel}"]
timeout = "30s"

[space]
x      = { type = "float", low = 0.0, high = 1.0 }
degree = { type = "int", low = 1, high = 8 }
kernel = { type = "categorical", choices = ["rbf", "poly"] }
`;

function runWinnow(winnow, args, cwd, { allowFailure = false } = {}) {
  const result = spawnSync(winnow, args, { cwd, encoding: 'utf8', timeout: 120000 });
  if (!allowFailure) {
    check(result.status === 0,
      `winnow ${args.join(' ')} exited with ${result.status ?? result.signal}:\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}

function exportTrials(winnow, database, study) {
  const out = runWinnow(winnow, ['export', database, '--study', study, '--format', 'jsonl'], path.dirname(database)).stdout;
  return out.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line));
}

function countStates(trials) {
  const counts = { complete: 0, pruned: 0, failed: 0, running: 0, waiting: 0 };
  for (const t of trials) counts[t.state] += 1;
  return counts;
}

function dominates(a, b) {
  // Both objectives of the trade-off study are minimised.
  return a.every((v, i) => v <= b[i]) && a.some((v, i) => v < b[i]);
}

// ---------------------------------------------------------------------------------------------
// The server.

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startDashboard(winnow, database, dashboardDir, scratch) {
  const port = await freePort();
  dashboardLog = path.join(scratch, 'dashboard.log');
  const log = fs.openSync(dashboardLog, 'w');
  const child = spawn(winnow, ['dashboard', database, '--port', String(port), '--static', dashboardDir],
    { stdio: ['ignore', log, log] });
  let exited = null;
  child.on('exit', (code, signal) => { exited = code ?? signal; });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30000;
  for (;;) {
    check(exited === null, `winnow dashboard exited with ${exited}:\n${fs.readFileSync(path.join(scratch, 'dashboard.log'), 'utf8')}`);
    try {
      const response = await fetch(`${base}/api/studies`);
      if (response.ok) break;
    } catch {
      // Not listening yet.
    }
    check(Date.now() < deadline, `winnow dashboard did not answer GET /api/studies on port ${port} within 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { child, base, port };
}

async function stopDashboard(server) {
  if (!server || server.child.exitCode !== null || server.child.signalCode !== null) return;
  const gone = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 3000);
  await gone;
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------------
// The page.

let screenshots = '';
const pageErrors = [];
let dashboardLog = null; // set once this run started the server, for the failure report

async function waitUntil(what, probe, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await probe();
    if (last.ok) return last;
    if (Date.now() > deadline) throw new TestFailure(`${what}: still not true after ${timeoutMs / 1000} s (${last.detail})`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function noBanner(page, where) {
  const banner = page.locator('[data-testid=error-banner]');
  if (await banner.count()) throw new TestFailure(`${where}: the page shows an error: ${await banner.innerText()}`);
}

// The figure inside [data-plot=NAME] once it was drawn at least `after` + 1 times: its traces
// and how its screenshot looks. Plotly keeps the traces on its graph div; the history plot
// (uPlot) states the points it drew per series as data-points-* attributes, and its chart's
// columns are on the element as `uplot`.
async function plot(page, name, { after = 0, minColoured = 200 } = {}) {
  const locator = page.locator(`[data-plot="${name}"]`).first();
  await waitUntil(`plot ${name} drawn`, async () => {
    const rendered = Number((await locator.getAttribute('data-rendered', { timeout: 15000 })) || 0);
    return { ok: rendered > after, detail: `drawn ${rendered} times` };
  });
  const figure = await locator.evaluate((element) => {
    const length = (v) => (v && typeof v.length === 'number' ? v.length : 0);
    if (element.hasAttribute('data-points-complete')) {
      const columns = element.uplot ? element.uplot.data : [[], []];
      const completeX = Array.from(columns[0]).filter((_, i) => columns[1][i] !== null && columns[1][i] !== undefined);
      return {
        rendered: Number(element.getAttribute('data-rendered')),
        traces: ['complete', 'best', 'pruned', 'failed', 'running', 'waiting'].map((name) => ({
          name,
          points: Number(element.getAttribute(`data-points-${name}`)),
          x: name === 'complete' && completeX.length < 2000 ? completeX : null,
        })),
        yLabel: element.getAttribute('data-y-label'),
        shapes: [],
        drawn: element.querySelectorAll('canvas').length,
      };
    }
    return {
      rendered: Number(element.getAttribute('data-rendered')),
      traces: (element.data || []).map((t) => ({
        type: t.type,
        name: t.name,
        points: length(t.x) || length(t.y) || (t.dimensions && t.dimensions.length ? length(t.dimensions[0].values) : 0),
        dimensions: t.dimensions ? t.dimensions.map((d) => d.label) : null,
        x: t.x && length(t.x) < 2000 ? Array.from(t.x) : null,
        customdata: t.customdata && length(t.customdata) < 2000 ? Array.from(t.customdata) : null,
      })),
      shapes: ((element.layout && element.layout.shapes) || []).map((s) => s.x0),
      drawn: element.querySelectorAll('.trace, canvas').length,
    };
  });
  check(figure.drawn > 0, `plot ${name}: no trace element or canvas drawn`);
  const image = decodePng(await locator.screenshot());
  const stats = pixelStats(image);
  check(stats.dominantShare < 0.995 && stats.coloured >= minColoured,
    `plot ${name} looks blank: ${stats.coloured} coloured pixels of ${stats.total}, ${stats.distinct} colours, ` +
    `${(stats.dominantShare * 100).toFixed(1)}% one colour`);
  return figure;
}

function pointsOf(figure, traceName) {
  const trace = figure.traces.find((t) => t.name === traceName);
  return trace ? trace.points : 0;
}

async function openView(page, view) {
  await page.locator(`a[data-view="${view}"]`).click();
  await page.locator(`[data-testid=view][data-current-view="${view}"]`).waitFor();
}

async function shoot(page, name) {
  const file = path.join(screenshots, `${name.replace(/[^a-z0-9-]+/gi, '_')}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

async function text(page, selector) {
  return (await page.locator(selector).first().innerText()).trim();
}

async function waitForText(page, selector, expected, what) {
  await waitUntil(what, async () => {
    const shown = (await page.locator(selector).count()) ? await text(page, selector) : '(absent)';
    return { ok: shown === String(expected), detail: `shows '${shown}', expected '${expected}'` };
  });
}

function near(shown, expected) {
  const value = Number(shown);
  return Number.isFinite(value) && Math.abs(value - expected) <= 1e-4 * Math.max(1, Math.abs(expected));
}

// ---------------------------------------------------------------------------------------------
// The checks.

async function checkStudyList(page, base, truth) {
  await page.goto(`${base}/#/`);
  await page.locator('[data-testid=study-row]').first().waitFor();
  const names = await page.locator('[data-testid=study-row]').evaluateAll((rows) => rows.map((r) => r.dataset.study));
  check(names.length === 2 && names.includes('tune mlp') && names.includes('tradeoff'),
    `the study list shows ${JSON.stringify(names)}, expected 'tune mlp' and 'tradeoff'`);
  for (const [name, trials] of Object.entries(truth)) {
    const row = `[data-testid=study-row][data-study="${name}"]`;
    const counts = countStates(trials);
    await waitForText(page, `${row} [data-col=n_trials]`, trials.length, `study list: ${name}'s trial count`);
    for (const state of ['complete', 'pruned', 'failed', 'running']) {
      await waitForText(page, `${row} [data-col=${state}]`, counts[state], `study list: ${name}'s ${state} count`);
    }
  }
  const mlpBest = await text(page, '[data-testid=study-row][data-study="tune mlp"] [data-col=best]');
  check(mlpBest !== '—', "the study list shows no best value for 'tune mlp'");
  await noBanner(page, 'study list');
  passed(`study list: both studies with their trial counts by state (${await shoot(page, 'list')})`);
}

async function checkMlpViews(page, base, trials) {
  const name = 'tune mlp';
  const counts = countStates(trials);
  const complete = trials.filter((t) => t.state === 'complete');
  await page.goto(`${base}/#/study/${encodeURIComponent(name)}/history`);
  await page.locator('[data-testid=study-header]').waitFor();
  await waitForText(page, '[data-testid=count-complete]', `${counts.complete} complete`, 'study header complete count');

  // History: every complete trial, failed and pruned ones on their strip.
  let figure = await plot(page, 'history');
  check(pointsOf(figure, 'complete') === counts.complete,
    `history: ${pointsOf(figure, 'complete')} complete points, expected ${counts.complete}`);
  check(figure.traces.find((t) => t.name === 'complete').x.length === counts.complete,
    `history: the chart holds ${figure.traces.find((t) => t.name === 'complete').x.length} complete values, expected ${counts.complete}`);
  // The staircase's corners: the improvements, and the last complete trial.
  check(pointsOf(figure, 'best') >= 1 && pointsOf(figure, 'best') <= counts.complete,
    `history: ${pointsOf(figure, 'best')} best-so-far points, expected 1 to ${counts.complete}`);
  check(pointsOf(figure, 'failed') === counts.failed && pointsOf(figure, 'pruned') === counts.pruned,
    `history: failed/pruned marks ${pointsOf(figure, 'failed')}/${pointsOf(figure, 'pruned')}, expected ${counts.failed}/${counts.pruned}`);
  check(figure.drawn >= (counts.failed + counts.pruned > 0 ? 2 : 1),
    `history: ${figure.drawn} canvases, expected the plot and the strip`);
  const shown = figure.rendered;
  await page.locator('[data-testid=history-log]').check();
  figure = await plot(page, 'history', { after: shown });
  await noBanner(page, 'history');
  passed(`${name} history: ${counts.complete} values, ${counts.failed} failed, ${counts.pruned} pruned, log scale redraws (${await shoot(page, 'mlp-history')})`);

  // Clicking a point opens its trial.
  const target = await page.locator('[data-plot=history]').evaluate((e) => {
    const u = e.uplot;
    const i = u.data[1].findIndex((v) => v !== null);
    const box = u.over.getBoundingClientRect();
    return { number: u.data[0][i], x: box.left + u.valToPos(u.data[0][i], 'x'), y: box.top + u.valToPos(u.data[1][i], 'y') };
  });
  await page.mouse.click(target.x, target.y);
  await waitUntil(`clicking history point #${target.number} opens its trial`, async () => {
    const hash = await page.evaluate(() => location.hash);
    return { ok: hash.endsWith(`/trial/${target.number}`), detail: `at ${hash}` };
  }, 5000);
  await page.goBack();
  await page.locator('[data-testid=view][data-current-view="history"]').waitFor();
  passed(`${name} history: clicking trial #${target.number}'s point opens it`);

  await openView(page, 'parallel');
  figure = await plot(page, 'parallel');
  const parcoords = figure.traces[0];
  check(parcoords.type === 'parcoords' && parcoords.points === counts.complete,
    `parallel coordinates: ${parcoords.type} with ${parcoords.points} lines, expected ${counts.complete}`);
  check(['lr', 'layers', 'act', 'dropout'].every((p) => parcoords.dimensions.includes(p)),
    `parallel coordinates: axes ${JSON.stringify(parcoords.dimensions)}`);
  await noBanner(page, 'parallel');
  passed(`${name} parallel coordinates: ${parcoords.dimensions.length} axes, ${parcoords.points} lines (${await shoot(page, 'mlp-parallel')})`);

  await openView(page, 'slice');
  for (const param of ['lr', 'layers', 'act', 'dropout']) {
    figure = await plot(page, `slice:${param}`, { minColoured: 50 });
    const active = complete.filter((t) => param in t.params).length;
    check(figure.traces[0].points === active, `slice ${param}: ${figure.traces[0].points} points, expected ${active}`);
  }
  await noBanner(page, 'slice');
  passed(`${name} slice: one plot per parameter, inactive dropout left out (${await shoot(page, 'mlp-slice')})`);

  await openView(page, 'contour');
  figure = await plot(page, 'contour');
  check(figure.traces.some((t) => t.type === 'contour'), 'contour: no contour trace');
  check(figure.traces[figure.traces.length - 1].points === counts.complete,
    `contour lr/layers: ${figure.traces[figure.traces.length - 1].points} trial points, expected ${counts.complete}`);
  await shoot(page, 'mlp-contour');
  // A categorical axis, then a conditional parameter (active only with relu).
  const pairs = [['act', 'lr', counts.complete], ['lr', 'dropout', complete.filter((t) => 'dropout' in t.params).length]];
  for (const [x, y, expected] of pairs) {
    const before = figure.rendered;
    await page.locator('[data-testid=contour-x]').selectOption(x);
    await page.locator('[data-testid=contour-y]').selectOption(y);
    figure = await plot(page, 'contour', { after: before });
    await waitUntil(`contour ${x} × ${y} drawn`, async () => {
      const traces = await page.locator('[data-plot=contour]').evaluate((e) => e.data.map((t) => [t.type, t.x.length]));
      const points = traces[traces.length - 1][1];
      return { ok: traces.some((t) => t[0] === 'contour') && points === expected, detail: `traces ${JSON.stringify(traces)}, expected ${expected} points` };
    });
    figure = await plot(page, 'contour', { after: before });
    await shoot(page, `mlp-contour-${x}-${y}`);
  }
  await noBanner(page, 'contour');
  passed(`${name} contour: lr × layers, act × lr (categorical axis), lr × dropout (conditional parameter) (${await shoot(page, 'mlp-contour-lr-dropout')})`);

  await openView(page, 'importance');
  figure = await plot(page, 'importance');
  const bars = figure.traces[0].points;
  check(bars >= 2 && bars <= 4, `importance: ${bars} bars for 4 parameters`);
  await shoot(page, 'mlp-importance-fanova');
  const before = figure.rendered;
  await page.locator('[data-testid=importance-method]').selectOption('ped-anova');
  await waitUntil('importance caption names ped-anova', async () => {
    const caption = await text(page, '[data-testid=importance-caption]');
    return { ok: caption.startsWith('ped-anova'), detail: caption };
  });
  await plot(page, 'importance', { after: before });
  await noBanner(page, 'importance');
  passed(`${name} importance: fANOVA (${bars} parameters) and PED-ANOVA (${await shoot(page, 'mlp-importance-ped-anova')})`);

  await openView(page, 'intermediate');
  figure = await plot(page, 'intermediate');
  const reporting = trials.filter((t) => t.intermediate && Object.keys(t.intermediate).length > 0);
  check(figure.traces.length === reporting.length,
    `intermediate values: ${figure.traces.length} curves, expected ${reporting.length}`);
  check(JSON.stringify(figure.shapes.map(Number)) === JSON.stringify([1, 3, 9]),
    `intermediate values: rung lines at ${JSON.stringify(figure.shapes)}, expected [1,3,9]`);
  const failedCurves = figure.traces.filter((t) => t.name === 'failed').length;
  check(failedCurves > 0, 'intermediate values: no failed trial curve');
  await noBanner(page, 'intermediate');
  passed(`${name} intermediate values: ${figure.traces.length} curves (${failedCurves} failed), rungs 1, 3, 9 (${await shoot(page, 'mlp-intermediate')})`);

  check(await page.locator('a[data-view="pareto"]').count() === 0, 'a single-objective study shows a Pareto tab');
}

async function checkTable(page, name, trials) {
  const counts = countStates(trials);
  const complete = trials.filter((t) => t.state === 'complete');
  await openView(page, 'trials');
  await waitForText(page, '[data-testid=trials-total]', trials.length, `${name} table total`);
  const rows = await page.locator('[data-testid=trial-row]').count();
  check(rows === Math.min(100, trials.length), `${name} table: ${rows} rows for ${trials.length} trials`);
  await shoot(page, `${name}-trials`);

  // Sorting by the first objective, both ways (trials without a value come last either way).
  const byValue = [...complete].sort((a, b) => a.values[0] - b.values[0]);
  const firstRow = '[data-testid=trial-row]:first-child';
  const firstNumberIs = (numbers, what) => waitUntil(what, async () => {
    const shown = Number(await page.locator(firstRow).getAttribute('data-number'));
    return { ok: numbers.includes(shown), detail: `first row is #${shown}, expected one of ${numbers.join(', ')}` };
  });
  const valueHeader = page.locator('th[data-sort=value]');
  await valueHeader.click();
  const lowest = byValue.filter((t) => t.values[0] === byValue[0].values[0]).map((t) => t.number);
  await firstNumberIs(lowest, `${name} table sorted by value, ascending`);
  await valueHeader.click();
  const top = byValue[byValue.length - 1].values[0];
  await firstNumberIs(byValue.filter((t) => t.values[0] === top).map((t) => t.number), `${name} table sorted by value, descending`);
  await page.locator('th[data-sort=number]').click();
  await firstNumberIs([0], `${name} table sorted by number`);

  // Filters: by state, by value range, by a choice, by a numeric range.
  await page.locator('[data-filter-state=complete]').check();
  await waitForText(page, '[data-testid=trials-total]', counts.complete, `${name} table filtered to complete trials`);
  const median = byValue[Math.floor(byValue.length / 2)].values[0];
  await page.locator('[data-testid=filter-value-max]').fill(String(median));
  await page.locator('[data-testid=filter-value-max]').press('Enter');
  const atMost = complete.filter((t) => t.values[0] <= median).length;
  await waitForText(page, '[data-testid=trials-total]', atMost, `${name} table filtered to values <= ${median}`);
  await page.locator('[data-testid=filter-clear]').click();
  await waitForText(page, '[data-testid=trials-total]', trials.length, `${name} table with filters cleared`);
  const choiceParam = name === 'tune mlp' ? ['act', 'tanh'] : ['kernel', 'poly'];
  await page.locator('[data-testid=filter-param]').selectOption(choiceParam[0]);
  await page.locator('[data-testid=filter-param-equals]').selectOption(choiceParam[1]);
  const withChoice = trials.filter((t) => t.params[choiceParam[0]] === choiceParam[1]).length;
  await waitForText(page, '[data-testid=trials-total]', withChoice, `${name} table filtered to ${choiceParam[0]} = ${choiceParam[1]}`);
  const rangeParam = name === 'tune mlp' ? 'layers' : 'degree';
  await page.locator('[data-testid=filter-param]').selectOption(rangeParam);
  await page.locator('[data-testid=filter-param-min]').fill('2');
  await page.locator('[data-testid=filter-param-min]').press('Enter');
  // One bound at a time, as a user sets them: the table follows the first before the second.
  const atLeast = trials.filter((t) => t.params[rangeParam] >= 2).length;
  await waitForText(page, '[data-testid=trials-total]', atLeast, `${name} table filtered to ${rangeParam} >= 2`);
  await page.locator('[data-testid=filter-param-max]').fill('4');
  await page.locator('[data-testid=filter-param-max]').press('Enter');
  const inRange = trials.filter((t) => t.params[rangeParam] >= 2 && t.params[rangeParam] <= 4).length;
  await waitForText(page, '[data-testid=trials-total]', inRange, `${name} table filtered to 2 <= ${rangeParam} <= 4`);
  await shoot(page, `${name}-trials-filtered`);
  await page.locator('[data-testid=filter-clear]').click();
  await waitForText(page, '[data-testid=trials-total]', trials.length, `${name} table with filters cleared`);
  await noBanner(page, `${name} table`);
  passed(`${name} table: ${trials.length} trials, sorted by value both ways, filtered by state (${counts.complete}), ` +
    `value (${atMost}), ${choiceParam[0]} (${withChoice}) and ${rangeParam} range (${inRange})`);
}

async function checkTrialDetail(page, name, trial, { failure = null } = {}) {
  const link = page.locator(`[data-testid=trial-row][data-number="${trial.number}"] a`).first();
  await link.click();
  const detail = page.locator(`[data-testid=trial-detail][data-number="${trial.number}"]`);
  await detail.waitFor();
  const shownParams = await page.locator('[data-testid=trial-params] tr').evaluateAll((rows) =>
    Object.fromEntries(rows.map((r) => [r.dataset.key, r.querySelector('td').innerText.trim()])));
  check(JSON.stringify(Object.keys(shownParams).sort()) === JSON.stringify(Object.keys(trial.params).sort()),
    `trial #${trial.number}: parameters ${JSON.stringify(Object.keys(shownParams))}, expected ${JSON.stringify(Object.keys(trial.params))}`);
  for (const [param, value] of Object.entries(trial.params)) {
    const ok = typeof value === 'number' ? near(shownParams[param], value) : shownParams[param] === String(value);
    check(ok, `trial #${trial.number}: ${param} shows '${shownParams[param]}', expected ${value}`);
  }
  if (trial.values) {
    const values = await page.locator('[data-testid=trial-values] td').allInnerTexts();
    check(values.length === trial.values.length && values.every((v, i) => near(v, trial.values[i])),
      `trial #${trial.number}: values ${JSON.stringify(values)}, expected ${JSON.stringify(trial.values)}`);
  }
  const steps = trial.intermediate ? Object.keys(trial.intermediate).length : 0;
  if (steps > 0) {
    const figure = await plot(page, 'trial-intermediate', { minColoured: 20 });
    check(figure.traces[0].points === steps, `trial #${trial.number}: ${figure.traces[0].points} intermediate points, expected ${steps}`);
  }
  if (failure) {
    const reason = await text(page, '[data-testid=failure-reason]');
    check(reason.includes(failure), `trial #${trial.number}: the failure reason does not quote the log ('${failure}'):\n${reason}`);
  }
  await noBanner(page, `trial #${trial.number}`);
  const file = await shoot(page, `${name}-trial-${trial.number}`);
  passed(`${name} trial #${trial.number} (${trial.state}): parameters ${Object.keys(trial.params).join(', ')}` +
    `${steps ? `, ${steps} intermediate values` : ''}${failure ? ', failure reason with the log tail' : ''} (${file})`);
  await page.locator('a[data-view="trials"]').click();
  await page.locator('[data-testid=trial-row]').first().waitFor();
}

async function checkTradeoffViews(page, base, trials) {
  const name = 'tradeoff';
  const counts = countStates(trials);
  const complete = trials.filter((t) => t.state === 'complete');
  await page.goto(`${base}/#/study/${name}/history`);
  let figure = await plot(page, 'history');
  check(pointsOf(figure, 'complete') === counts.complete && figure.yLabel === 'error',
    `tradeoff history: ${pointsOf(figure, 'complete')} points of '${figure.yLabel}', expected ${counts.complete} of 'error'`);
  await page.locator('[data-testid=objective-select]').selectOption('1');
  await waitUntil('tradeoff history shows the second objective', async () => {
    const f = await page.locator('[data-plot=history]').getAttribute('data-y-label');
    return { ok: f === 'size', detail: `y axis '${f}'` };
  });
  figure = await plot(page, 'history', { after: figure.rendered });
  check(pointsOf(figure, 'complete') === counts.complete,
    `tradeoff history of size: ${pointsOf(figure, 'complete')} points, expected ${counts.complete}`);
  await noBanner(page, 'tradeoff history');
  passed(`${name} history: ${counts.complete} values of each objective (${await shoot(page, 'tradeoff-history-size')})`);
  await page.locator('[data-testid=objective-select]').selectOption('0');

  for (const view of ['parallel', 'contour', 'importance']) {
    await openView(page, view);
    figure = await plot(page, view);
    check(figure.traces.some((t) => t.points > 0), `${name} ${view}: no data drawn`);
    await noBanner(page, `${name} ${view}`);
    passed(`${name} ${view} (${await shoot(page, `tradeoff-${view}`)})`);
  }
  await openView(page, 'slice');
  for (const param of ['x', 'degree', 'kernel']) {
    figure = await plot(page, `slice:${param}`, { minColoured: 50 });
    check(figure.traces[0].points === counts.complete, `${name} slice ${param}: ${figure.traces[0].points} points`);
  }
  passed(`${name} slice (${await shoot(page, 'tradeoff-slice')})`);

  // The Pareto front, recomputed here from the exported trials.
  const feasible = complete.filter((t) => t.feasible !== false);
  const front = feasible.filter((t) => !feasible.some((o) => dominates(o.values, t.values)));
  const infeasible = complete.length - feasible.length;
  await openView(page, 'pareto');
  figure = await plot(page, 'pareto');
  check(pointsOf(figure, 'Pareto front') === front.length,
    `pareto: ${pointsOf(figure, 'Pareto front')} front points, expected ${front.length} (#${front.map((t) => t.number).join(', #')})`);
  check(pointsOf(figure, 'infeasible') === infeasible, `pareto: ${pointsOf(figure, 'infeasible')} infeasible points, expected ${infeasible}`);
  check(pointsOf(figure, 'Pareto front') + pointsOf(figure, 'dominated') + pointsOf(figure, 'infeasible') === complete.length,
    'pareto: the points are not every complete trial');
  const frontNumbers = figure.traces.find((t) => t.name === 'Pareto front').customdata.slice().sort((a, b) => a - b);
  check(JSON.stringify(frontNumbers) === JSON.stringify(front.map((t) => t.number).sort((a, b) => a - b)),
    `pareto: front trials ${JSON.stringify(frontNumbers)}, expected ${JSON.stringify(front.map((t) => t.number))}`);
  const hypervolume = await plot(page, 'hypervolume', { minColoured: 50 });
  check(hypervolume.traces[0].points > 0, 'pareto: empty hypervolume history');
  await noBanner(page, 'pareto');
  passed(`${name} Pareto front: ${front.length} on the front, ${infeasible} infeasible, hypervolume history of ` +
    `${hypervolume.traces[0].points} points (${await shoot(page, 'tradeoff-pareto')})`);

  await checkTable(page, name, trials);
  await checkTrialDetail(page, name, front[0]);
}

// A trial started and finished from outside must show up in the open page, which must not reload.
async function checkLive(page, base, winnow, scratch) {
  const name = 'tune mlp';
  const studyFile = path.join(scratch, 'mlp.toml');
  await page.goto(`${base}/#/study/${encodeURIComponent(name)}/trials`);
  await page.locator('[data-testid=trial-row]').first().waitFor();
  await page.evaluate(() => { window.__sameDocument = true; });
  const total = Number(await text(page, '[data-testid=trials-total]'));

  const asked = runWinnow(winnow, ['ask', studyFile, '--json', '--trials', '0'], scratch).stdout;
  const number = JSON.parse(asked.trim().split('\n').pop()).number;
  const started = Date.now();
  await waitUntil(`trial #${number} (running) in the open table`, async () => {
    const state = await page.locator(`[data-testid=trial-row][data-number="${number}"]`).getAttribute('data-state', { timeout: 200 }).catch(() => null);
    return { ok: state === 'running', detail: `row state ${state}` };
  }, 10000);
  await waitForText(page, '[data-testid=trials-total]', total + 1, 'table total after ask');
  passed(`live: trial #${number} started by 'winnow ask' appeared in the open table after ${((Date.now() - started) / 1000).toFixed(1)} s`);

  // Now the history view is open while the trial finishes.
  await openView(page, 'history');
  const before = await plot(page, 'history');
  check(!before.traces.find((t) => t.name === 'complete').x.includes(number), `history shows #${number} as complete before 'winnow tell'`);
  runWinnow(winnow, ['tell', studyFile, '--trial', String(number), '--value', '0.125'], scratch);
  const told = Date.now();
  await waitUntil(`trial #${number} (complete) in the open history plot`, async () => {
    const xs = await page.locator('[data-plot=history]').evaluate((e) =>
      Array.from(e.uplot.data[0]).filter((_, i) => e.uplot.data[1][i] !== null));
    return { ok: xs.includes(number), detail: `${xs.length} complete points` };
  }, 10000);
  await waitUntil(`history caption names trial #${number}`, async () => {
    const caption = await text(page, '[data-testid=history-caption]');
    return { ok: caption.includes(`#${number}`), detail: caption };
  }, 10000);
  check(await page.evaluate(() => window.__sameDocument === true), 'the page reloaded during the live update');
  await shoot(page, 'mlp-live-history');
  passed(`live: 'winnow tell' of #${number} reached the open history plot after ${((Date.now() - told) / 1000).toFixed(1)} s, without a reload`);

  // The study list refreshes itself too.
  await page.goto(`${base}/#/`);
  const row = `[data-testid=study-row][data-study="${name}"]`;
  await page.locator(row).waitFor();
  const running = Number(await text(page, `${row} [data-col=running]`));
  const second = JSON.parse(runWinnow(winnow, ['ask', studyFile, '--json', '--trials', '0'], scratch).stdout.trim().split('\n').pop()).number;
  await waitForText(page, `${row} [data-col=running]`, running + 1, `study list running count after asking #${second}`);
  runWinnow(winnow, ['tell', studyFile, '--trial', String(second), '--state', 'failed', '--reason', 'stopped by the test'], scratch);
  await waitForText(page, `${row} [data-col=running]`, running, `study list running count after telling #${second}`);
  passed(`live: the study list counted trial #${second} running, then failed`);
}

async function checkErrorBanner(page, base) {
  await page.goto(`${base}/#/study/${encodeURIComponent('no such study')}/history`);
  await page.locator('[data-testid=error-banner]').waitFor({ timeout: 10000 });
  const message = await text(page, '[data-testid=error-banner]');
  check(message.length > 0, 'the error banner is empty');
  passed(`an unknown study shows the server's error in the banner: '${message.split('\n')[0]}'`);
  await shoot(page, 'error-banner');
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const [winnowArg, dashboardArg, scratchArg] = process.argv.slice(2);
  if (!scratchArg) {
    console.error('usage: node tests/dashboard/browser_test.mjs WINNOW_BINARY DASHBOARD_DIR SCRATCH_DIR');
    process.exit(2);
  }
  const winnow = path.resolve(winnowArg);
  const dashboardDir = path.resolve(dashboardArg);
  const scratch = path.resolve(scratchArg);
  check(fs.existsSync(path.join(dashboardDir, 'index.html')),
    `${dashboardDir} holds no built front end (index.html); build it with scripts/build-dashboard.sh ${dashboardDir}`);
  let chromium;
  try {
    ({ chromium } = createRequire(path.join(webDir, 'package.json'))('playwright-core'));
  } catch (error) {
    throw new TestFailure(`playwright-core is not installed in ${webDir}/node_modules (scripts/build-dashboard.sh installs it): ${error.message}`);
  }
  check(fs.existsSync('/usr/bin/chromium'), '/usr/bin/chromium is missing (Debian package chromium)');

  fs.rmSync(scratch, { recursive: true, force: true });
  screenshots = path.join(scratch, 'screenshots');
  fs.mkdirSync(screenshots, { recursive: true });
  fs.writeFileSync(path.join(scratch, 'mlp.py'), MLP_OBJECTIVE);
  fs.writeFileSync(path.join(scratch, 'mlp.toml'), MLP_STUDY);
  fs.writeFileSync(path.join(scratch, 'tradeoff.py'), TRADEOFF_OBJECTIVE);
  fs.writeFileSync(path.join(scratch, 'tradeoff.toml'), TRADEOFF_STUDY);
  const database = path.join(scratch, 'studies.db');

  let started = Date.now();
  runWinnow(winnow, ['run', path.join(scratch, 'mlp.toml')], scratch);
  runWinnow(winnow, ['run', path.join(scratch, 'tradeoff.toml')], scratch);
  // A budget scheduler never prunes; a pruned trial comes from ask and tell, as a script would.
  const pruned = JSON.parse(runWinnow(winnow, ['ask', path.join(scratch, 'mlp.toml'), '--json', '--trials', '0'], scratch).stdout.trim().split('\n').pop()).number;
  runWinnow(winnow, ['tell', path.join(scratch, 'mlp.toml'), '--trial', String(pruned), '--state', 'pruned'], scratch);
  const truth = { 'tune mlp': exportTrials(winnow, database, 'tune mlp'), tradeoff: exportTrials(winnow, database, 'tradeoff') };
  const mlpCounts = countStates(truth['tune mlp']);
  check(mlpCounts.failed > 0 && mlpCounts.pruned > 0 && mlpCounts.complete >= 20,
    `the study 'tune mlp' should hold complete, failed and pruned trials: ${JSON.stringify(mlpCounts)}`);
  check(truth['tune mlp'].some((t) => t.params.act === 'relu') && truth['tune mlp'].some((t) => !('dropout' in t.params)),
    "the study 'tune mlp' should have trials with and without dropout");
  check(truth.tradeoff.some((t) => t.feasible === false), "the study 'tradeoff' should have infeasible trials");
  passed(`studies made with ${path.basename(winnow)} run in ${((Date.now() - started) / 1000).toFixed(1)} s: ` +
    `'tune mlp' ${JSON.stringify(mlpCounts)}, 'tradeoff' ${JSON.stringify(countStates(truth.tradeoff))}`);

  let server = null;
  let browser = null;
  let page = null;
  try {
    server = await startDashboard(winnow, database, dashboardDir, scratch);
    passed(`winnow dashboard answers on ${server.base}`);
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    page = await context.newPage();
    page.setDefaultTimeout(20000);
    page.on('pageerror', (error) => pageErrors.push(error.message));

    started = Date.now();
    await checkStudyList(page, server.base, truth);
    await checkMlpViews(page, server.base, truth['tune mlp']);
    await checkTable(page, 'tune mlp', truth['tune mlp']);
    const mlp = truth['tune mlp'];
    const withDropout = mlp.find((t) => t.state === 'complete' && 'dropout' in t.params && Object.keys(t.intermediate || {}).length > 1)
      || mlp.find((t) => t.state === 'complete' && 'dropout' in t.params);
    await checkTrialDetail(page, 'tune mlp', withDropout);
    await checkTrialDetail(page, 'tune mlp', mlp.find((t) => t.state === 'failed'), { failure: 'loss went to nan' });
    await checkTradeoffViews(page, server.base, truth.tradeoff);
    await checkLive(page, server.base, winnow, scratch);
    await checkErrorBanner(page, server.base);
    check(pageErrors.length === 0, `the page threw: ${pageErrors.join('; ')}`);
    passed(`no script error in the page; browser checks took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (error) {
    if (page) {
      const file = path.join(screenshots, 'failure.png');
      if (await page.screenshot({ path: file, fullPage: true }).then(() => true, () => false)) {
        console.error(`the page at the failure: ${file}`);
      }
    }
    throw error;
  } finally {
    if (browser) await browser.close().catch(() => {});
    await stopDashboard(server);
  }
  console.log(`PASS: screenshots in ${screenshots}`);
}

main().catch((error) => {
  console.error(`FAIL: ${error instanceof TestFailure ? error.message : error.stack}`);
  if (pageErrors.length) console.error(`script errors in the page: ${pageErrors.join('; ')}`);
  if (dashboardLog && fs.existsSync(dashboardLog)) {
    console.error(`--- ${dashboardLog} (last lines) ---\n${fs.readFileSync(dashboardLog, 'utf8').split('\n').slice(-20).join('\n')}`);
  }
  process.exit(1);
});
