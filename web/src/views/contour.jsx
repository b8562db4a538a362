// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The objective over any two parameters: complete trials are averaged into a grid of at most
// GRID x GRID cells and Plotly interpolates the empty cells (connectgaps), so the cost stays the
// same at 100,000 trials; the trials themselves are drawn on top. Choices sit at their indices
// and log parameters are binned in log space.
import { useMemo, useState } from 'preact/hooks';
import { objectiveName } from '../format.js';
import { trialHref } from '../routes.js';
import { Plot, clickedTrial, scatterType } from '../plot.jsx';
import { axisRange, axisTicks, fromAxis, isChoice, paramDefinitions, toAxis } from '../params.js';
import { ColumnsLimit, columnsScope, useColumns } from './columns.jsx';

const GRID = 40;

// Positions of the grid cells along one parameter, in toAxis space. A choice no trial took gets no
// cell: interpolating into it would draw values for a category never tried (or one where the
// other parameter is inactive).
function gridFor(param, positions) {
  const distinct = [...new Set(positions.filter((p) => p !== null))].sort((a, b) => a - b);
  if (isChoice(param)) return distinct;
  if (distinct.length <= GRID) return distinct;
  const [low, high] = axisRange(param, positions);
  return Array.from({ length: GRID }, (_, i) => low + ((high - low) * i) / (GRID - 1));
}

function nearest(grid, position) {
  // Grids are sorted; a binary search keeps 100,000 trials cheap.
  let lo = 0;
  let hi = grid.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (grid[mid] <= position) lo = mid;
    else hi = mid;
  }
  return Math.abs(grid[hi] - position) < Math.abs(grid[lo] - position) ? hi : lo;
}

function axisLayout(param, grid) {
  const axis = { title: { text: param.name } };
  if (isChoice(param)) return { ...axis, ...axisTicks(param), range: [-0.5, param.choices.length - 0.5] };
  if (param.log) return { ...axis, type: 'log' };
  return axis;
}

function figure(columns, study, objective, xParam, yParam) {
  const values = columns.values[objective];
  const xs = columns.params[xParam.name].map((v) => toAxis(xParam, v));
  const ys = columns.params[yParam.name].map((v) => toAxis(yParam, v));
  // Only trials where both parameters are active place the grid.
  const both = values.map((v, i) => xs[i] !== null && ys[i] !== null && v !== null);
  const xGrid = gridFor(xParam, xs.filter((_, i) => both[i]));
  const yGrid = gridFor(yParam, ys.filter((_, i) => both[i]));
  const sums = yGrid.map(() => xGrid.map(() => 0));
  const counts = yGrid.map(() => xGrid.map(() => 0));
  const points = { x: [], y: [], number: [], value: [] };
  for (let i = 0; i < values.length; i += 1) {
    if (!both[i]) continue;
    const col = nearest(xGrid, xs[i]);
    const row = nearest(yGrid, ys[i]);
    sums[row][col] += values[i];
    counts[row][col] += 1;
    // A choice is drawn at its index; a number at its own value (the axis may be log).
    points.x.push(isChoice(xParam) ? xs[i] : fromAxis(xParam, xs[i]));
    points.y.push(isChoice(yParam) ? ys[i] : fromAxis(yParam, ys[i]));
    points.number.push(columns.number[i]);
    points.value.push(values[i]);
  }
  const z = sums.map((row, r) => row.map((sum, c) => (counts[r][c] ? sum / counts[r][c] : null)));
  const name = objectiveName(study, objective);
  const data = [];
  if (xGrid.length >= 2 && yGrid.length >= 2 && points.x.length >= 3) {
    data.push({
      type: 'contour',
      x: xGrid.map((p) => (isChoice(xParam) ? p : fromAxis(xParam, p))),
      y: yGrid.map((p) => (isChoice(yParam) ? p : fromAxis(yParam, p))),
      z, connectgaps: true, colorscale: 'Viridis', reversescale: study.directions[objective] !== 'minimize',
      contours: { coloring: 'heatmap' }, line: { width: 0.5 },
      colorbar: { title: { text: name } }, hoverinfo: 'skip',
    });
  }
  data.push({
    type: scatterType(points.x.length), mode: 'markers', x: points.x, y: points.y, customdata: points.number,
    text: points.value.map(String),
    marker: { color: '#ffffff', size: 6, line: { color: '#000000', width: 1 } }, showlegend: false,
    hovertemplate: `trial #%{customdata}<br>${name} %{text}<extra></extra>`,
  });
  const layout = {
    uirevision: `${xParam.name}/${yParam.name}/${objective}`,
    xaxis: axisLayout(xParam, xGrid), yaxis: axisLayout(yParam, yGrid),
  };
  return { data, layout, count: points.x.length };
}

export function ContourView({ name, study, tick, objective }) {
  const { columns, limit, setLimit } = useColumns(name, tick);
  const params = useMemo(() => (columns ? paramDefinitions(study, columns).filter((p) => columns.params[p.name]) : []), [columns, study]);
  const [xName, setXName] = useState(null);
  const [yName, setYName] = useState(null);
  const xParam = params.find((p) => p.name === xName) || params[0];
  const yParam = params.find((p) => p.name === yName) || params.find((p) => p !== xParam);
  const plot = useMemo(
    () => (columns && xParam && yParam && columns.number.length > 0 ? figure(columns, study, objective, xParam, yParam) : null),
    [columns, study, objective, xParam, yParam],
  );
  if (!columns) return <p class="muted">Loading trials…</p>;
  if (params.length < 2) return <p class="muted" data-testid="empty">A contour needs two parameters; this study has {params.length}.</p>;
  if (columns.number.length === 0) return <p class="muted" data-testid="empty">No complete trial yet.</p>;
  const select = (testid, value, onChange) => (
    <select data-testid={testid} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
      {params.map((p) => <option key={p.name} value={p.name}>{p.name}</option>)}
    </select>
  );
  return (
    <div data-testid="contour">
      <div class="controls">
        <label>x {select('contour-x', xParam.name, setXName)}</label>
        <label>y {select('contour-y', yParam.name, setYName)}</label>
        {xParam === yParam && <span class="warn">pick two different parameters</span>}
        <ColumnsLimit columns={columns} limit={limit} setLimit={setLimit} />
      </div>
      <Plot name="contour" data={plot.data} layout={plot.layout} height={520} onClick={(event) => {
        const number = clickedTrial(event);
        if (number !== null) location.hash = trialHref(name, number);
      }} />
      <p class="caption">Of {columnsScope(columns)}, {plot.count} where both parameters are active.</p>
    </div>
  );
}
