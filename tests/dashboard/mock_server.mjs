// A stand-in for `winnow dashboard` that serves fixture studies following docs/dashboard.md and
// the built front end, so the front end can be developed without the C++ server.
//   node tests/dashboard/mock_server.mjs DASHBOARD_DIR [PORT]
// POST /mock/add?study=NAME adds a complete trial (to watch live updates).
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

const [staticDir, portArg] = process.argv.slice(2);
const port = Number(portArg || 8080);

function rng(seed) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 4294967296);
}

let version = 0;
const studies = new Map();

function addStudy(def) {
  studies.set(def.name, { ...def, trials: [], user_attrs: def.user_attrs || {} });
}

const now = Date.now();

addStudy({
  name: 'asha mlp', directions: ['minimize'], objective_names: [], sampler: 'random',
  scheduler: 'asha',
  params: [
    { name: 'lr', kind: 'float', low: 1e-4, high: 1, log: true, step: null, choices: null, condition: null },
    { name: 'layers', kind: 'int', low: 1, high: 6, log: false, step: null, choices: null, condition: null },
    { name: 'act', kind: 'categorical', low: null, high: null, log: false, step: null, choices: ['relu', 'tanh', 'gelu'], condition: null },
    { name: 'dropout', kind: 'float', low: 0, high: 0.5, log: false, step: null, choices: null, condition: "act == 'relu'" },
  ],
  budget: { name: 'epochs', min: 1, max: 9, eta: 3, rungs: [1, 3, 9] },
  user_attrs: { owner: 'ml-team' },
});
addStudy({
  name: 'tradeoff', directions: ['minimize', 'minimize'], objective_names: ['rmse', 'coefficients'],
  sampler: 'nsga2', scheduler: 'none',
  params: [
    { name: 'degree', kind: 'int', low: 1, high: 6, log: false, step: null, choices: null, condition: null },
    { name: 'l2', kind: 'float', low: 1e-6, high: 10, log: true, step: null, choices: null, condition: null },
    { name: 'size', kind: 'ordinal', low: null, high: null, log: false, step: null, choices: ['small', 'medium', 'large'], condition: null },
  ],
  budget: null,
});
addStudy({
  name: 'three', directions: ['minimize', 'maximize', 'minimize'], objective_names: [],
  sampler: 'nsga2', scheduler: 'none',
  params: [
    { name: 'x', kind: 'float', low: 0, high: 1, log: false, step: null, choices: null, condition: null },
    { name: 'y', kind: 'float', low: 0, high: 1, log: false, step: null, choices: null, condition: null },
  ],
  budget: null,
});
addStudy({
  name: 'big', directions: ['maximize'], objective_names: ['accuracy'], sampler: 'tpe', scheduler: 'none',
  params: [
    { name: 'a', kind: 'float', low: -5, high: 5, log: false, step: null, choices: null, condition: null },
    { name: 'b', kind: 'int', low: 0, high: 100, log: false, step: 5, choices: null, condition: null },
    { name: 'flag', kind: 'categorical', low: null, high: null, log: false, step: null, choices: ['true', 'false'], condition: null },
  ],
  budget: null,
});

function makeTrial(study, number, r, t0, forceState) {
  const params = {};
  for (const p of study.params) {
    if (p.condition && params.act !== 'relu') continue;
    if (p.kind === 'float') params[p.name] = p.log ? Math.exp(Math.log(p.low) + r() * (Math.log(p.high) - Math.log(p.low))) : p.low + r() * (p.high - p.low);
    else if (p.kind === 'int') params[p.name] = Math.round(p.low + r() * (p.high - p.low));
    else params[p.name] = p.name === 'flag' ? r() < 0.5 : p.choices[Math.floor(r() * p.choices.length)];
  }
  let state = forceState || 'complete';
  const u = r();
  if (!forceState) {
    if (u < 0.08) state = 'failed';
    else if (u < 0.2 && study.budget) state = 'pruned';
  }
  const n = study.directions.length;
  let values = null, intermediate = [], budget = null, rung = null, continues = null, feasible = true, constraints = [];
  if (study.name === 'asha mlp') {
    rung = Math.min(2, Math.floor(r() * r() * 3));
    budget = study.budget.rungs[rung];
    const base = Math.abs(Math.log10(params.lr) + 2) * 0.3 + params.layers * 0.05 + (params.act === 'tanh' ? 0.2 : 0);
    let v = 2.5;
    const steps = state === 'pruned' ? Math.max(1, budget - 1) : budget;
    for (let s = 1; s <= steps; s++) { v = base + 2 / (s + 1) + r() * 0.05; intermediate.push([s, v]); }
    if (state === 'complete') values = [v];
    if (rung > 0) continues = Math.max(0, number - 5);
  } else if (study.name === 'tradeoff') {
    const coef = [4, 10, 20, 35, 56, 84][params.degree - 1];
    values = state === 'complete' ? [0.5 / params.degree + Math.log10(params.l2 + 1) * 0.1 + r() * 0.05, coef] : null;
    constraints = [coef * 8 / 1024 - 0.3];
    feasible = constraints[0] <= 0;
  } else if (study.name === 'three') {
    values = state === 'complete' ? [params.x, 1 - params.y * params.x + r() * 0.1, params.y + r() * 0.2] : null;
  } else {
    values = state === 'complete' ? [Math.exp(-((params.a - 1) ** 2)) * (params.flag ? 1 : 0.8) + params.b / 1000 + r() * 0.05] : null;
  }
  const duration = 0.5 + r() * 20;
  const start = t0;
  const end = state === 'running' ? null : start + duration * 1000;
  return {
    number, state, values, params, start_ms: start, end_ms: end,
    duration_s: end === null ? null : duration, feasible: state === 'complete' ? feasible : null, budget,
    intermediate, metrics: values ? { seconds: duration, model_kb: 0.1 * number } : {},
    constraints, user_attrs: { 'winnow.budget': budget, note: 'fixture' },
    sampler: number < 5 ? 'random' : study.sampler, sampler_reason: number < 5 ? 'startup trials' : null,
    failure_reason: state === 'failed' ? 'exit status 1\n--- last lines of output.log ---\nTraceback (most recent call last):\n  File "train.py", line 3\nValueError: lr too large' : null,
    owner: 'host-1:4242', retry_of: null, interrupted: false, rung, continues,
    version: ++version,
  };
}

function fill(name, count, seed) {
  const study = studies.get(name);
  const r = rng(seed);
  const t0 = now - count * 1000 - 3600_000;
  for (let i = 0; i < count; i++) study.trials.push(makeTrial(study, i, r, t0 + i * 1000));
  if (name === 'asha mlp') study.trials[count - 1] = { ...makeTrial(study, count - 1, r, now - 5000, 'running') };
}
fill('asha mlp', 60, 1);
fill('tradeoff', 40, 2);
fill('three', 30, 3);
fill('big', 100000, 4);

function better(study, a, b) { return study.directions[0] === 'minimize' ? a < b : a > b; }

function dominates(dirs, a, b) {
  let strictly = false;
  for (let i = 0; i < dirs.length; i++) {
    const x = dirs[i] === 'minimize' ? a[i] : -a[i], y = dirs[i] === 'minimize' ? b[i] : -b[i];
    if (x > y) return false;
    if (x < y) strictly = true;
  }
  return strictly;
}

function summary(study) {
  const counts = { waiting: 0, running: 0, complete: 0, pruned: 0, failed: 0 };
  let best = null, lastActivity = 0, maxVersion = 0;
  for (const t of study.trials) {
    counts[t.state]++;
    lastActivity = Math.max(lastActivity, t.start_ms || 0, t.end_ms || 0);
    maxVersion = Math.max(maxVersion, t.version);
    if (t.state === 'complete' && t.feasible && study.directions.length === 1 && (!best || better(study, t.values[0], best.values[0]))) best = t;
  }
  return {
    name: study.name, directions: study.directions, objective_names: study.objective_names,
    sampler: study.sampler, counts, n_trials: study.trials.length,
    best_values: best ? best.values : null, best_number: best ? best.number : null,
    last_activity_ms: lastActivity, version: maxVersion,
  };
}

function front(study) {
  const pts = study.trials.filter((t) => t.state === 'complete' && t.feasible);
  return pts.filter((t) => !pts.some((o) => dominates(study.directions, o.values, t.values)));
}

function row(t) {
  const { number, state, values, params, start_ms, end_ms, duration_s, feasible, budget } = t;
  return { number, state, values, params, start_ms, end_ms, duration_s, feasible, budget };
}

function fail(res, status, message) { send(res, status, { error: message }); }
function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(text);
}

function num(q, key, res) {
  const v = q.get(key);
  if (v === null || v === '') return undefined;
  const x = Number(v);
  if (!Number.isFinite(x)) { fail(res, 400, `${key}: not a number: '${v}'`); return null; }
  return x;
}

function trialsPage(study, q, res) {
  const offset = num(q, 'offset', res) ?? 0; if (offset === null) return;
  const limit = num(q, 'limit', res) ?? 100; if (limit === null) return;
  if (limit > 1000 || limit < 0) return fail(res, 400, 'limit: at most 1000');
  const sort = q.get('sort') || 'number';
  const order = q.get('order') || 'asc';
  if (!['asc', 'desc'].includes(order)) return fail(res, 400, `order: expected asc or desc, got '${order}'`);
  let rows = study.trials;
  if (q.get('state')) { const keep = new Set(q.get('state').split(',')); rows = rows.filter((t) => keep.has(t.state)); }
  const vmin = num(q, 'value_min', res); if (vmin === null) return;
  const vmax = num(q, 'value_max', res); if (vmax === null) return;
  if (vmin !== undefined) rows = rows.filter((t) => t.values && t.values[0] >= vmin);
  if (vmax !== undefined) rows = rows.filter((t) => t.values && t.values[0] <= vmax);
  const pname = q.get('param');
  if (pname) {
    if (!study.params.some((p) => p.name === pname)) return fail(res, 400, `param: unknown parameter '${pname}'`);
    const pmin = num(q, 'param_min', res); if (pmin === null) return;
    const pmax = num(q, 'param_max', res); if (pmax === null) return;
    const eq = q.get('param_equals');
    rows = rows.filter((t) => pname in t.params);
    if (pmin !== undefined) rows = rows.filter((t) => t.params[pname] >= pmin);
    if (pmax !== undefined) rows = rows.filter((t) => t.params[pname] <= pmax);
    if (eq !== null) rows = rows.filter((t) => String(t.params[pname]) === eq);
  }
  let key;
  const stateOrder = { waiting: 0, running: 1, complete: 2, pruned: 3, failed: 4 };
  if (sort === 'number') key = (t) => t.number;
  else if (/^value\d*$/.test(sort)) { const i = Number(sort.slice(5) || 0); key = (t) => (t.values ? t.values[i] : undefined); }
  else if (sort === 'duration') key = (t) => t.duration_s ?? undefined;
  else if (sort === 'state') key = (t) => stateOrder[t.state];
  else if (sort.startsWith('param:')) { const n = sort.slice(6); key = (t) => t.params[n]; }
  else return fail(res, 400, `sort: unknown key '${sort}'`);
  const sign = order === 'asc' ? 1 : -1;
  rows = [...rows].sort((a, b) => {
    const x = key(a), y = key(b);
    if (x === undefined || x === null) return (y === undefined || y === null) ? a.number - b.number : 1;
    if (y === undefined || y === null) return -1;
    if (x < y) return -sign; if (x > y) return sign; return a.number - b.number;
  });
  send(res, 200, { total: rows.length, offset, limit, trials: rows.slice(offset, offset + limit).map(row) });
}

function importance(study, q, res) {
  const method = q.get('method') || 'fanova';
  if (!['fanova', 'ped-anova'].includes(method)) return fail(res, 400, `method: expected fanova or ped-anova, got '${method}'`);
  const objective = Number(q.get('objective') || 0);
  const done = study.trials.filter((t) => t.state === 'complete');
  if (done.length < 2) return fail(res, 400, 'importance needs at least 2 complete trials');
  const raw = study.params.map((p, i) => ({ param: p.name, w: (i + 1) * (method === 'fanova' ? 1 : 1.5) + objective }));
  const total = raw.reduce((s, x) => s + x.w, 0);
  const importances = raw.map((x) => ({ param: x.param, importance: x.w / total, std: method === 'fanova' ? 0.03 : 0, n_trials: done.length }))
    .sort((a, b) => b.importance - a.importance);
  send(res, 200, { method, objective, n_trials: done.length, importances });
}

const api = (study, rest, q, req, res) => {
  if (rest === '') return send(res, 200, { ...summary(study), params: study.params, budget: study.budget, scheduler: study.scheduler,
    best_trials: study.directions.length > 1 ? front(study).map((t) => t.number) : (summary(study).best_number === null ? [] : [summary(study).best_number]),
    user_attrs: study.user_attrs });
  if (rest === '/trials') return trialsPage(study, q, res);
  let m = rest.match(/^\/trials\/(\d+)$/);
  if (m) {
    const t = study.trials[Number(m[1])];
    if (!t) return fail(res, 404, `study '${study.name}' has no trial ${m[1]}`);
    const { version: _v, ...full } = t;
    return send(res, 200, full);
  }
  if (rest === '/history') return send(res, 200, {
    directions: study.directions, number: study.trials.map((t) => t.number), state: study.trials.map((t) => t.state),
    values: study.directions.map((_, i) => study.trials.map((t) => (t.values ? t.values[i] : null))),
  });
  if (rest === '/columns') {
    const done = study.trials.filter((t) => t.state === 'complete');
    const params = {}, kinds = {};
    for (const p of study.params) { params[p.name] = done.map((t) => (p.name in t.params ? t.params[p.name] : null)); kinds[p.name] = p.kind; }
    return send(res, 200, { number: done.map((t) => t.number), values: study.directions.map((_, i) => done.map((t) => t.values[i])), params, kinds });
  }
  if (rest === '/importance') return importance(study, q, res);
  if (rest === '/intermediate') {
    const limit = Number(q.get('limit') || 300);
    const withSteps = study.trials.filter((t) => t.intermediate.length > 0);
    return send(res, 200, {
      total: withSteps.length, rungs: study.budget ? study.budget.rungs : null,
      trials: withSteps.slice(-limit).map((t) => ({ number: t.number, state: t.state, steps: t.intermediate.map((s) => s[0]), values: t.intermediate.map((s) => s[1]) })),
    });
  }
  if (rest === '/pareto') {
    if (study.directions.length < 2) return fail(res, 400, 'pareto: the study has one objective');
    const f = new Set(front(study).map((t) => t.number));
    const done = study.trials.filter((t) => t.state === 'complete');
    const reference = study.directions.map((d, i) => {
      const vals = done.map((t) => t.values[i]);
      return d === 'minimize' ? Math.max(...vals) * 1.1 : Math.min(...vals) * 0.9;
    });
    return send(res, 200, {
      directions: study.directions, reference, hypervolume: 0.42,
      hypervolume_history: done.map((t, i) => [t.number + 1, 0.42 * (1 - Math.exp(-i / 8))]),
      points: done.map((t) => ({ number: t.number, values: t.values, feasible: t.feasible, on_front: f.has(t.number) })),
    });
  }
  if (rest === '/updates') {
    const since = num(q, 'since', res); if (since === null) return;
    if (since === undefined) return fail(res, 400, 'since: required');
    const changed = study.trials.filter((t) => t.version > since);
    return send(res, 200, { version: summary(study).version, trials: changed.map(row) });
  }
  return fail(res, 404, `no such endpoint: ${req.url}`);
};

const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json' };

http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  const q = url.searchParams;
  if (req.method === 'POST' && url.pathname === '/mock/add') {
    const study = studies.get(q.get('study'));
    if (!study) return fail(res, 404, 'unknown study');
    const t = makeTrial(study, study.trials.length, rng(study.trials.length), Date.now(), 'complete');
    study.trials.push(t);
    return send(res, 200, { number: t.number });
  }
  if (url.pathname === '/api/studies') return send(res, 200, { studies: [...studies.values()].map(summary) });
  const m = url.pathname.match(/^\/api\/studies\/([^/]+)(.*)$/);
  if (m) {
    const study = studies.get(decodeURIComponent(m[1]));
    if (!study) return fail(res, 404, `no study named '${decodeURIComponent(m[1])}'`);
    return api(study, m[2], q, req, res);
  }
  if (url.pathname.startsWith('/api/')) return fail(res, 404, 'no such endpoint');
  const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname).replace(/^\/+/, '');
  const file = path.resolve(staticDir, rel);
  if (!file.startsWith(path.resolve(staticDir) + path.sep) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
    res.writeHead(404); return res.end('not found');
  }
  res.writeHead(200, { 'Content-Type': types[path.extname(file)] || 'application/octet-stream' });
  fs.createReadStream(file).pipe(res);
}).listen(port, '127.0.0.1', () => console.log(`mock dashboard on http://127.0.0.1:${port}/`));
