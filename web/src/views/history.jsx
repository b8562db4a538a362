// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Every trial's value against its number, with the best value so far. Trials without a value
// (pruned, failed, running) sit on a strip under the plot: their number and state matter, and
// placing them at a made-up height would read as a value.
import { useMemo, useState } from 'preact/hooks';
import { useApi, studyPath } from '../api.js';
import { formatNumber, objectiveName } from '../format.js';
import { trialHref } from '../routes.js';
import { COLORS, Plot, clickedTrial, scatterType } from '../plot.jsx';

const STRIP_STATES = ['pruned', 'failed', 'running', 'waiting'];

function figure(history, study, objective, logScale) {
  const minimize = history.directions[objective] === 'minimize';
  const values = history.values[objective];
  const complete = { x: [], y: [] };
  const best = { x: [], y: [] };
  const strip = Object.fromEntries(STRIP_STATES.map((s) => [s, []]));
  let bestSoFar = null;
  for (let i = 0; i < history.number.length; i += 1) {
    const number = history.number[i];
    const value = values[i];
    const state = history.state[i];
    if (state === 'complete' && value !== null && value !== undefined) {
      complete.x.push(number);
      complete.y.push(value);
      // Only the improvements: a staircase through them is the same line, and stays a few dozen
      // points at 100,000 trials.
      if (bestSoFar === null || (minimize ? value < bestSoFar : value > bestSoFar)) {
        bestSoFar = value;
        best.x.push(number);
        best.y.push(bestSoFar);
      }
    } else if (strip[state]) {
      strip[state].push(number);
    }
  }
  if (best.x.length > 0 && complete.x[complete.x.length - 1] !== best.x[best.x.length - 1]) {
    best.x.push(complete.x[complete.x.length - 1]);
    best.y.push(bestSoFar);
  }
  const type = scatterType(complete.x.length);
  const name = objectiveName(study, objective);
  const data = [
    {
      type, mode: 'markers', name: `${name} (complete)`, x: complete.x, y: complete.y, customdata: complete.x,
      marker: { color: COLORS.complete, size: 6, opacity: 0.75 },
      hovertemplate: `trial #%{x}<br>${name} %{y}<extra></extra>`,
    },
    {
      type: 'scatter', mode: 'lines', name: 'best so far', x: best.x, y: best.y, line: { color: COLORS.best, width: 2, shape: 'hv' },
      hoverinfo: 'skip',
    },
  ];
  for (const state of STRIP_STATES) {
    const numbers = strip[state];
    if (numbers.length === 0) continue;
    data.push({
      type: scatterType(numbers.length), mode: 'markers', name: state, x: numbers, y: numbers.map(() => state),
      customdata: numbers, yaxis: 'y2',
      marker: { color: COLORS[state], symbol: state === 'failed' ? 'x' : 'line-ns-open', size: 9, line: { width: 2, color: COLORS[state] } },
      hovertemplate: `trial #%{x}: ${state}<extra></extra>`,
    });
  }
  // One row of the strip per state that occurs, each tall enough for its label.
  const stripStates = STRIP_STATES.filter((s) => strip[s].length > 0);
  const stripTop = stripStates.length * 0.06;
  const layout = {
    uirevision: `${objective}-${logScale}`,
    // Under the strip, so the trial numbers are read once for both.
    xaxis: { title: { text: 'trial' }, zeroline: false, anchor: stripStates.length ? 'y2' : 'y' },
    yaxis: { title: { text: name }, type: logScale ? 'log' : 'linear', domain: stripStates.length ? [stripTop + 0.06, 1] : [0, 1] },
    yaxis2: {
      domain: [0, stripTop], type: 'category', categoryorder: 'array', categoryarray: [...stripStates].reverse(),
      tickmode: 'array', tickvals: stripStates, ticktext: stripStates,
      range: [-0.5, stripStates.length - 0.5], showgrid: true, fixedrange: true, visible: stripStates.length > 0,
    },
    legend: { orientation: 'h', y: 1.1 },
  };
  return { data, layout, complete: complete.x.length, bestSoFar };
}

export function HistoryView({ name, study, tick, objective }) {
  const [logScale, setLogScale] = useState(false);
  const { data: history } = useApi(studyPath(name, '/history'), tick);
  const plot = useMemo(() => (history ? figure(history, study, objective, logScale) : null), [history, study, objective, logScale]);
  if (!history) return <p class="muted">Loading history…</p>;
  const latest = history.number.length ? history.number[history.number.length - 1] : null;
  const nonPositive = logScale && history.values[objective].some((v) => v !== null && v <= 0);
  return (
    <div data-testid="history">
      <div class="controls">
        <label>
          <input type="checkbox" data-testid="history-log" checked={logScale} onChange={(e) => setLogScale(e.currentTarget.checked)} /> log scale
        </label>
        {nonPositive && <span class="warn">values ≤ 0 cannot be shown on a log scale</span>}
      </div>
      <Plot name="history" height={460} data={plot.data} layout={plot.layout} onClick={(event) => {
        const number = clickedTrial(event);
        if (number !== null) location.hash = trialHref(name, number);
      }} />
      <p class="caption" data-testid="history-caption">
        {history.number.length} trials, {plot.complete} with a value
        {plot.bestSoFar !== null && <>; best {formatNumber(plot.bestSoFar)}</>}
        {latest !== null && <>; latest trial #{latest}</>}. Click a point to open its trial.
      </p>
    </div>
  );
}
