// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Learning curves: the values trials reported while they ran, latest trials first. Pruned trials
// are red and dashed so the scheduler's decisions read at a glance; under a budget scheduler the
// rungs of its ladder are vertical lines, where promotions are decided.
import { useMemo, useState } from 'preact/hooks';
import { useApi, studyPath } from '../api.js';
import { formatNumber } from '../format.js';
import { trialHref } from '../routes.js';
import { COLORS, Plot, clickedTrial } from '../plot.jsx';

const STYLE = {
  complete: { color: COLORS.complete, dash: 'solid', width: 1.2, opacity: 0.6 },
  pruned: { color: COLORS.pruned, dash: 'dash', width: 1.2, opacity: 0.8 },
  failed: { color: COLORS.failed, dash: 'dot', width: 1.2, opacity: 0.8 },
  running: { color: COLORS.running, dash: 'solid', width: 2, opacity: 1 },
  waiting: { color: COLORS.waiting, dash: 'solid', width: 1, opacity: 1 },
};

function figure(result, logScale, budgetName) {
  const seen = new Set();
  const points = result.trials.reduce((n, t) => n + t.steps.length, 0);
  // Hundreds of SVG paths with thousands of points each slow every hover; WebGL does not.
  const type = points > 20000 ? 'scattergl' : 'scatter';
  const data = result.trials.map((trial) => {
    const style = STYLE[trial.state] || STYLE.complete;
    const first = !seen.has(trial.state);
    seen.add(trial.state);
    return {
      type, mode: 'lines+markers', x: trial.steps, y: trial.values,
      customdata: trial.steps.map(() => trial.number),
      name: trial.state, legendgroup: trial.state, showlegend: first, opacity: style.opacity,
      line: { color: style.color, dash: style.dash, width: style.width },
      // Large enough to see a trial that reported a single step (most of them under ASHA).
      marker: { color: style.color, size: 5 },
      hovertemplate: `trial #${trial.number} (${trial.state})<br>step %{x}<br>value %{y}<extra></extra>`,
    };
  });
  const shapes = (result.rungs || []).map((rung) => ({
    type: 'line', xref: 'x', yref: 'paper', x0: rung, x1: rung, y0: 0, y1: 1,
    line: { color: '#888', width: 1, dash: 'dot' },
  }));
  const annotations = (result.rungs || []).map((rung, i) => ({
    xref: 'x', yref: 'paper', x: rung, y: 1, yanchor: 'bottom', showarrow: false,
    text: `rung ${i}: ${formatNumber(rung)}`, font: { size: 10, color: '#555' },
  }));
  const layout = {
    uirevision: `${logScale}`,
    xaxis: { title: { text: budgetName ? `step (${budgetName})` : 'step' } },
    yaxis: { title: { text: 'intermediate value' }, type: logScale ? 'log' : 'linear' },
    shapes, annotations, legend: { orientation: 'h', y: -0.18 },
  };
  return { data, layout };
}

export function IntermediateView({ name, study, tick }) {
  const [logScale, setLogScale] = useState(false);
  const [limit, setLimit] = useState(300);
  const { data: result } = useApi(studyPath(name, `/intermediate?limit=${limit}`), tick);
  const budgetName = study.budget ? study.budget.name || 'budget' : null;
  const plot = useMemo(() => (result ? figure(result, logScale, budgetName) : null), [result, logScale, budgetName]);
  if (!result) return <p class="muted">Loading learning curves…</p>;
  if (result.trials.length === 0) {
    return <p class="muted" data-testid="empty">No trial has reported intermediate values (objective lines <code>winnow: step=N value=V</code>).</p>;
  }
  return (
    <div data-testid="intermediate">
      <div class="controls">
        <label>
          <input type="checkbox" checked={logScale} onChange={(e) => setLogScale(e.currentTarget.checked)} /> log scale
        </label>
        <label>
          trials{' '}
          <select data-testid="intermediate-limit" value={limit} onChange={(e) => setLimit(Number(e.currentTarget.value))}>
            {[100, 300, 1000, 5000].map((n) => <option key={n} value={n}>latest {n}</option>)}
          </select>
        </label>
      </div>
      <Plot name="intermediate" data={plot.data} layout={plot.layout} height={480} onClick={(event) => {
        const number = clickedTrial(event);
        if (number !== null) location.hash = trialHref(name, number);
      }} />
      <p class="caption" data-testid="intermediate-caption">
        {result.trials.length} of {result.total} trials that reported intermediate values
        {result.rungs ? `; dotted lines: the budget rungs ${result.rungs.map(formatNumber).join(', ')}` : ''}.
      </p>
    </div>
  );
}
