// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// One trial in full: what it was given, what it returned, what it reported on the way and, when it
// failed, why (with the tail of its log).
import { useMemo } from 'preact/hooks';
import { useApi, studyPath } from '../api.js';
import { formatDuration, formatNumber, formatTime, formatValue, objectiveName } from '../format.js';
import { studyHref, trialHref } from '../routes.js';
import { COLORS, Plot } from '../plot.jsx';

function KeyValues({ testid, entries, empty }) {
  if (entries.length === 0) return <p class="muted">{empty}</p>;
  return (
    <table class="kv" data-testid={testid}>
      <tbody>
        {entries.map(([key, value]) => (
          <tr key={key} data-key={key}>
            <th>{key}</th>
            <td>{value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function TrialLink({ name, number }) {
  if (number === null || number === undefined) return '—';
  return <a href={trialHref(name, number)}>#{number}</a>;
}

function attributeText(value) {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function TrialView({ name, study, tick, number }) {
  const { data: trial, stale } = useApi(studyPath(name, `/trials/${number}`), tick);
  const curve = useMemo(() => {
    if (!trial || !trial.intermediate || trial.intermediate.length === 0) return null;
    const color = trial.state === 'pruned' ? COLORS.pruned : COLORS.complete;
    return {
      data: [{
        type: 'scatter', mode: 'lines+markers', x: trial.intermediate.map((s) => s[0]), y: trial.intermediate.map((s) => s[1]),
        line: { color, dash: trial.state === 'pruned' ? 'dash' : 'solid' }, marker: { size: 5, color },
        hovertemplate: 'step %{x}<br>value %{y}<extra></extra>',
      }],
      layout: { xaxis: { title: { text: study.budget ? `step (${study.budget.name || 'budget'})` : 'step' } }, yaxis: { title: { text: 'intermediate value' } } },
    };
  }, [trial, study]);

  if (!trial) return <p class="muted">Loading trial #{number}…</p>;
  if (stale) return <p class="muted">Loading trial #{number}…</p>;

  const params = study.params && study.params.length ? study.params.map((p) => p.name).filter((n) => n in trial.params) : [];
  for (const key of Object.keys(trial.params)) if (!params.includes(key)) params.push(key);
  const values = (trial.values || []).map((v, i) => [`${objectiveName(study, i)} (${study.directions[i]})`, formatNumber(v)]);
  const facts = [
    ['state', <span class={`state state-${trial.state}`}>{trial.state}</span>],
    ['started', formatTime(trial.start_ms)],
    ['ended', formatTime(trial.end_ms)],
    ['duration', formatDuration(trial.duration_s)],
  ];
  // Feasibility is judged on a complete trial's constraint values; other states have none.
  if (trial.state === 'complete' && trial.feasible !== null && trial.feasible !== undefined) facts.push(['feasible', trial.feasible ? 'yes' : 'no']);
  if (trial.budget !== null && trial.budget !== undefined) facts.push([study.budget ? study.budget.name || 'budget' : 'budget', formatNumber(trial.budget)]);
  if (trial.rung !== null && trial.rung !== undefined) facts.push(['rung', String(trial.rung)]);
  if (trial.continues !== null && trial.continues !== undefined) facts.push(['continues', <TrialLink name={name} number={trial.continues} />]);
  if (trial.retry_of !== null && trial.retry_of !== undefined) facts.push(['retry of', <TrialLink name={name} number={trial.retry_of} />]);
  if (trial.interrupted) facts.push(['interrupted', 'yes (does not count towards the study\'s trials)']);
  if (trial.owner) facts.push(['owner', trial.owner]);
  facts.push(['sampler', trial.sampler || '—']);
  if (trial.sampler_reason) facts.push(['sampler reason', trial.sampler_reason]);

  const constraints = (trial.constraints || []).map((c, i) => [
    `constraint ${i}`,
    <span class={c <= 0 ? '' : 'violated'}>{formatNumber(c)} {c <= 0 ? '(satisfied)' : '(violated)'}</span>,
  ]);

  return (
    <div data-testid="trial-detail" data-number={trial.number}>
      <div class="trial-nav">
        <a href={studyHref(name, 'trials')}>← all trials</a>
        {trial.number > 0 && <a href={trialHref(name, trial.number - 1)} data-testid="trial-prev">‹ #{trial.number - 1}</a>}
        <a href={trialHref(name, trial.number + 1)} data-testid="trial-next">#{trial.number + 1} ›</a>
      </div>
      <h2>Trial #{trial.number}</h2>
      <div class="detail-grid">
        <section>
          <h3>Trial</h3>
          <KeyValues testid="trial-facts" entries={facts} empty="" />
          <h3>Values</h3>
          <KeyValues testid="trial-values" entries={values} empty="No value: the trial is not complete." />
        </section>
        <section>
          <h3>Parameters</h3>
          <KeyValues testid="trial-params" entries={params.map((p) => [p, formatValue(trial.params[p])])} empty="No parameter." />
          <h3>Metrics</h3>
          <KeyValues testid="trial-metrics" entries={Object.entries(trial.metrics || {}).map(([k, v]) => [k, formatValue(v)])} empty="No metric." />
          {constraints.length > 0 && (
            <>
              <h3>Constraints</h3>
              <KeyValues testid="trial-constraints" entries={constraints} empty="" />
            </>
          )}
        </section>
      </div>
      {trial.failure_reason && (
        <>
          <h3>Failure</h3>
          <pre class="log" data-testid="failure-reason">{trial.failure_reason}</pre>
        </>
      )}
      <h3>Intermediate values</h3>
      {curve
        ? <Plot name="trial-intermediate" data={curve.data} layout={curve.layout} height={320} />
        : <p class="muted">The trial reported no intermediate value.</p>}
      <h3>Attributes</h3>
      <KeyValues testid="trial-attrs" entries={Object.entries(trial.user_attrs || {}).map(([k, v]) => [k, attributeText(v)])} empty="No attribute." />
    </div>
  );
}
