// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// One small scatter per parameter: the objective against that parameter alone, coloured by trial
// number so the region the sampler converged to stands out from early exploration.
import { useMemo } from 'preact/hooks';
import { objectiveName } from '../format.js';
import { trialHref } from '../routes.js';
import { Plot, clickedTrial, scatterType } from '../plot.jsx';
import { isChoice, paramDefinitions } from '../params.js';
import { ColumnsLimit, columnsScope, useColumns } from './columns.jsx';

function figures(columns, study, objective) {
  const values = columns.values[objective];
  const yName = objectiveName(study, objective);
  return paramDefinitions(study, columns).filter((p) => columns.params[p.name]).map((param) => {
    const x = [];
    const y = [];
    const numbers = [];
    columns.params[param.name].forEach((v, i) => {
      if (v === null || v === undefined) return; // inactive in this trial
      x.push(isChoice(param) ? String(v) : v);
      y.push(values[i]);
      numbers.push(columns.number[i]);
    });
    const data = [{
      type: scatterType(x.length), mode: 'markers', x, y, customdata: numbers,
      marker: { size: 6, color: numbers, colorscale: 'Blues', opacity: 0.8, line: { width: 0.5, color: '#335' } },
      hovertemplate: `trial #%{customdata}<br>${param.name} %{x}<br>${yName} %{y}<extra></extra>`,
    }];
    const xaxis = { title: { text: param.name } };
    if (isChoice(param)) Object.assign(xaxis, { type: 'category', categoryorder: 'array', categoryarray: param.choices });
    else if (param.log) xaxis.type = 'log';
    const layout = {
      uirevision: `${objective}`, showlegend: false, margin: { l: 55, r: 10, t: 10, b: 45 },
      xaxis, yaxis: { title: { text: yName } },
    };
    return { param, data, layout, count: x.length };
  });
}

export function SliceView({ name, study, tick, objective }) {
  const { columns, limit, setLimit } = useColumns(name, tick);
  const plots = useMemo(() => (columns ? figures(columns, study, objective) : null), [columns, study, objective]);
  if (!columns) return <p class="muted">Loading trials…</p>;
  if (columns.number.length === 0) return <p class="muted" data-testid="empty">No complete trial yet.</p>;
  return (
    <div data-testid="slice">
      <div class="controls">
        <ColumnsLimit columns={columns} limit={limit} setLimit={setLimit} />
        <span class="muted">{columnsScope(columns)}</span>
      </div>
      <div class="small-multiples">
      {plots.map(({ param, data, layout, count }) => (
        <div key={param.name} class="small-plot">
          <Plot name={`slice:${param.name}`} data={data} layout={layout} height={300} onClick={(event) => {
            const number = clickedTrial(event);
            if (number !== null) location.hash = trialHref(name, number);
          }} />
          <p class="caption">{param.name}: {count} trials where active</p>
        </div>
      ))}
      </div>
    </div>
  );
}
