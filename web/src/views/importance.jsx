// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Parameter importance from the server (fANOVA or PED-ANOVA), as horizontal bars with the most
// important parameter on top; fANOVA's error bars are the spread over its trees.
import { useMemo, useState } from 'preact/hooks';
import { useApi, studyPath } from '../api.js';
import { objectiveName } from '../format.js';
import { Plot } from '../plot.jsx';

function figure(result) {
  // Plotly draws the first bar at the bottom: reverse so the largest comes first when reading.
  const rows = [...result.importances].reverse();
  const data = [{
    type: 'bar', orientation: 'h',
    y: rows.map((r) => r.param), x: rows.map((r) => r.importance),
    error_x: { type: 'data', array: rows.map((r) => r.std || 0), visible: rows.some((r) => r.std > 0), color: '#555' },
    text: rows.map((r) => `${(r.importance * 100).toFixed(1)}%`), textposition: 'outside', cliponaxis: false,
    marker: { color: '#1f77b4' },
    hovertemplate: '%{y}: %{x:.3f}<extra></extra>',
  }];
  const layout = {
    margin: { l: 120, r: 60, t: 20, b: 50 },
    xaxis: { title: { text: 'importance' }, rangemode: 'tozero' },
    yaxis: { automargin: true },
  };
  return { data, layout, height: Math.max(240, 60 + rows.length * 36) };
}

export function ImportanceView({ name, study, tick, objective }) {
  const [method, setMethod] = useState('fanova');
  const path = studyPath(name, `/importance?method=${method}&objective=${objective}`);
  // fANOVA fits a forest on every refresh: while a study runs, once every few seconds is plenty.
  const { data: result, error, stale } = useApi(path, tick, { minIntervalMs: 10000 });
  const plot = useMemo(() => (result ? figure(result) : null), [result]);
  return (
    <div data-testid="importance">
      <div class="controls">
        <label>
          method{' '}
          <select data-testid="importance-method" value={method} onChange={(e) => setMethod(e.currentTarget.value)}>
            <option value="fanova">fANOVA</option>
            <option value="ped-anova">PED-ANOVA</option>
          </select>
        </label>
        <span class="muted">for {objectiveName(study, objective)}</span>
      </div>
      {!result && !error && <p class="muted">Computing importance…</p>}
      {error && !stale && <p class="muted">{error}</p>}
      {plot && (
        <>
          <Plot name="importance" data={plot.data} layout={plot.layout} height={plot.height} />
          <p class="caption" data-testid="importance-caption">
            {result.method} over {result.n_trials} complete trials{stale ? ' (updating…)' : ''}.
          </p>
        </>
      )}
    </div>
  );
}
