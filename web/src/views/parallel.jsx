// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Parallel coordinates over complete trials: the objective first, then one axis per parameter.
// Choices are ordinal axes labelled with their names; log parameters are drawn in log10 with
// ticks at powers of ten. A trial where a parameter is inactive crosses that axis at an extra
// "inactive" tick below the range instead of vanishing from the plot.
import { useMemo } from 'preact/hooks';
import { ColumnsLimit, columnsScope, useColumns } from './columns.jsx';
import { objectiveName } from '../format.js';
import { Plot } from '../plot.jsx';
import { axisRange, axisTicks, isChoice, paramDefinitions, toAxis } from '../params.js';

function niceTicks(low, high, count = 5) {
  if (!(high > low)) return [low];
  const raw = (high - low) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw);
  const ticks = [];
  for (let t = Math.ceil(low / step) * step; t <= high + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

function dimension(param, values) {
  const positions = values.map((v) => toAxis(param, v));
  let [low, high] = axisRange(param, positions);
  for (const p of positions) {
    if (p !== null) {
      low = Math.min(low, p);
      high = Math.max(high, p);
    }
  }
  let ticks = axisTicks(param, low, high);
  if (!ticks.tickvals) {
    const tickvals = niceTicks(low, high);
    ticks = { tickvals, ticktext: tickvals.map((t) => (param.log ? `${Number((10 ** t).toPrecision(3))}` : String(t))) };
  }
  const missing = positions.some((p) => p === null);
  let range = [low, high];
  if (missing) {
    const span = high > low ? high - low : 1;
    const inactive = low - (isChoice(param) ? 1 : span * 0.15);
    for (let i = 0; i < positions.length; i += 1) if (positions[i] === null) positions[i] = inactive;
    ticks = { tickvals: [inactive, ...ticks.tickvals], ticktext: ['inactive', ...ticks.ticktext] };
    range = [inactive, high];
  }
  if (range[0] === range[1]) range = [range[0] - 0.5, range[1] + 0.5];
  return { label: param.name, values: positions, range, ...ticks };
}

function figure(columns, study, objective) {
  const minimize = study.directions[objective] === 'minimize';
  const values = columns.values[objective];
  const params = paramDefinitions(study, columns).filter((p) => columns.params[p.name]);
  const dimensions = [
    { label: objectiveName(study, objective), values },
    ...params.map((p) => dimension(p, columns.params[p.name])),
  ];
  const data = [{
    type: 'parcoords',
    dimensions,
    line: {
      color: values,
      // The better end of the scale is the dark one, whichever the direction.
      colorscale: 'Viridis',
      reversescale: !minimize,
      showscale: true,
      colorbar: { title: { text: objectiveName(study, objective) } },
    },
    labelangle: -20,
  }];
  return { data, layout: { margin: { l: 70, r: 70, t: 70, b: 30 } } };
}

export function ParallelView({ name, study, tick, objective }) {
  const { columns, limit, setLimit } = useColumns(name, tick);
  const plot = useMemo(
    () => (columns && columns.number.length > 0 ? figure(columns, study, objective) : null),
    [columns, study, objective],
  );
  if (!columns) return <p class="muted">Loading trials…</p>;
  if (!plot) return <p class="muted" data-testid="empty">No complete trial yet.</p>;
  return (
    <div data-testid="parallel">
      <div class="controls"><ColumnsLimit columns={columns} limit={limit} setLimit={setLimit} /></div>
      <Plot name="parallel" data={plot.data} layout={plot.layout} height={480} />
      <p class="caption">{columnsScope(columns)}. Drag along an axis to keep a range.</p>
    </div>
  );
}
