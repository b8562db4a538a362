// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Every study of the storage, refreshed every few seconds so runs in progress are seen moving.
import { useEffect, useState } from 'preact/hooks';
import { useApi } from './api.js';
import { formatAgo, formatNumber, formatTime } from './format.js';
import { studyHref } from './routes.js';

const REFRESH_MS = 5000;

export function useTicker(intervalMs) {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => {
      // A hidden tab need not keep the server busy; it catches up when shown again.
      if (!document.hidden) setTick((t) => t + 1);
    }, intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return tick;
}

function bestText(study) {
  if (!study.best_values) return '—';
  return study.best_values.map(formatNumber).join(', ');
}

export function StudyList() {
  const tick = useTicker(REFRESH_MS);
  const { data, error } = useApi('/api/studies', tick);
  if (!data) return <p class="muted">{error ? 'The study list could not be loaded.' : 'Loading studies…'}</p>;
  const studies = [...data.studies].sort((a, b) => (b.last_activity_ms || 0) - (a.last_activity_ms || 0));
  if (studies.length === 0) return <p class="muted" data-testid="no-studies">This storage holds no study yet.</p>;
  return (
    <section>
      <h1>Studies <span class="muted small">({studies.length})</span></h1>
      <table class="grid" data-testid="study-list">
        <thead>
          <tr>
            <th>Name</th>
            <th>Directions</th>
            <th class="num">Trials</th>
            <th class="num">Complete</th>
            <th class="num">Pruned</th>
            <th class="num">Failed</th>
            <th class="num">Running</th>
            <th class="num">Waiting</th>
            <th>Best</th>
            <th>Sampler</th>
            <th>Last activity</th>
          </tr>
        </thead>
        <tbody>
          {studies.map((study) => (
            <tr key={study.name} data-testid="study-row" data-study={study.name}>
              <td><a href={studyHref(study.name)} data-testid="study-link">{study.name}</a></td>
              <td>{study.directions.map((d, i) => (study.objective_names && study.objective_names[i] ? `${study.objective_names[i]} (${d})` : d)).join(', ')}</td>
              <td class="num" data-col="n_trials">{study.n_trials}</td>
              <td class="num" data-col="complete">{study.counts.complete}</td>
              <td class="num" data-col="pruned">{study.counts.pruned}</td>
              <td class="num" data-col="failed">{study.counts.failed}</td>
              <td class="num" data-col="running">{study.counts.running}</td>
              <td class="num" data-col="waiting">{study.counts.waiting}</td>
              <td data-col="best">{bestText(study)}{study.best_number !== null && study.best_number !== undefined ? <span class="muted"> (#{study.best_number})</span> : null}</td>
              <td>{study.sampler}</td>
              <td title={formatTime(study.last_activity_ms)}>{formatAgo(study.last_activity_ms)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
