// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The Pareto front of two or three objectives over complete trials: front points stand out,
// dominated ones recede, infeasible ones (violating a constraint) are crosses. Below, how the
// front's hypervolume grew with the number of trials.
import { useMemo } from 'preact/hooks';
import { useApi, studyPath } from '../api.js';
import { formatNumber, objectiveName } from '../format.js';
import { trialHref } from '../routes.js';
import { COLORS, Plot, clickedTrial, scatterType } from '../plot.jsx';

function groups(points) {
  const front = [];
  const dominated = [];
  const infeasible = [];
  for (const p of points) {
    if (p.feasible === false) infeasible.push(p);
    else if (p.on_front) front.push(p);
    else dominated.push(p);
  }
  return { front, dominated, infeasible };
}

function axisTitle(study, i) {
  return `${objectiveName(study, i)} (${study.directions[i] === 'minimize' ? 'min' : 'max'})`;
}

function trace(type, points, name, marker, dims) {
  const t = {
    type, mode: 'markers', name, customdata: points.map((p) => p.number), marker,
    x: points.map((p) => p.values[0]), y: points.map((p) => p.values[1]),
    hovertemplate: `trial #%{customdata}<br>%{x}, %{y}${dims === 3 ? ', %{z}' : ''}<extra>${name}</extra>`,
  };
  if (dims === 3) t.z = points.map((p) => p.values[2]);
  return t;
}

function figure(result, study) {
  const dims = result.directions.length;
  const { front, dominated, infeasible } = groups(result.points);
  const type = dims === 3 ? 'scatter3d' : scatterType(result.points.length);
  const small = dims === 3 ? 3 : 6;
  const data = [
    trace(type, dominated, 'dominated', { color: COLORS.complete, size: small, opacity: 0.5 }, dims),
    trace(type, infeasible, 'infeasible', { color: COLORS.infeasible, size: small + 1, symbol: dims === 3 ? 'x' : 'x-thin-open', line: { width: 1.5, color: '#888' } }, dims),
    trace(type, front, 'Pareto front', { color: COLORS.front, size: small + 3, line: { width: 1, color: '#600' } }, dims),
  ];
  if (dims === 2 && front.length > 1) {
    // The front as a staircase, in the order of the first objective.
    const sorted = [...front].sort((a, b) => a.values[0] - b.values[0]);
    // Between two front points, the region the front dominates keeps the first point's second
    // value up to the next point when the first objective is minimised, and drops to the next
    // point's value at once when it is maximised.
    const shape = result.directions[0] === 'minimize' ? 'hv' : 'vh';
    data.push({
      type: 'scatter', mode: 'lines', name: 'front', x: sorted.map((p) => p.values[0]), y: sorted.map((p) => p.values[1]),
      line: { color: COLORS.front, width: 1, shape }, hoverinfo: 'skip', showlegend: false,
    });
  }
  const layout = dims === 3
    ? {
      uirevision: 'pareto3',
      scene: { xaxis: { title: { text: axisTitle(study, 0) } }, yaxis: { title: { text: axisTitle(study, 1) } }, zaxis: { title: { text: axisTitle(study, 2) } } },
      margin: { l: 0, r: 0, t: 20, b: 0 },
    }
    : { uirevision: 'pareto2', xaxis: { title: { text: axisTitle(study, 0) } }, yaxis: { title: { text: axisTitle(study, 1) } } };
  return { data, layout, counts: { front: front.length, dominated: dominated.length, infeasible: infeasible.length } };
}

function hypervolumeFigure(result) {
  const history = result.hypervolume_history || [];
  return {
    data: [{
      type: 'scatter', mode: 'lines', x: history.map((h) => h[0]), y: history.map((h) => h[1]),
      line: { color: COLORS.front, shape: 'hv', width: 2 }, name: 'hypervolume',
      hovertemplate: 'after %{x} trials<br>hypervolume %{y}<extra></extra>',
    }],
    layout: { xaxis: { title: { text: 'trials' } }, yaxis: { title: { text: 'hypervolume' }, rangemode: 'tozero' }, uirevision: 'hv' },
  };
}

export function ParetoView({ name, study, tick }) {
  const { data: result } = useApi(studyPath(name, '/pareto'), tick);
  const plot = useMemo(() => (result ? figure(result, study) : null), [result, study]);
  const hv = useMemo(() => (result ? hypervolumeFigure(result) : null), [result]);
  if (!result) return <p class="muted">Loading the Pareto front…</p>;
  if (result.points.length === 0) return <p class="muted" data-testid="empty">No complete trial yet.</p>;
  const open = (event) => {
    const number = clickedTrial(event);
    if (number !== null) location.hash = trialHref(name, number);
  };
  return (
    <div data-testid="pareto">
      <Plot name="pareto" data={plot.data} layout={plot.layout} height={520} onClick={open} />
      <p class="caption" data-testid="pareto-caption">
        {plot.counts.front} trials on the front, {plot.counts.dominated} dominated, {plot.counts.infeasible} infeasible.
        {result.reference && <> Hypervolume {formatNumber(result.hypervolume)} against the reference point ({result.reference.map(formatNumber).join(', ')}).</>}
      </p>
      <h3>Hypervolume history</h3>
      <Plot name="hypervolume" data={hv.data} layout={hv.layout} height={300} />
    </div>
  );
}
