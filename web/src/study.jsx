// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// One study: its summary, a tab per view, and the live loop. Every POLL_MS the page asks
// /updates for trials changed since the version it has seen; when something changed it reloads
// the summary and bumps `tick`, which every view watches to fetch its own data again. Nothing
// reloads the page, so zoom, filters and the table's page survive a refresh.
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { clearError, getJSON, showError, studyPath } from './api.js';
import { formatNumber, objectiveName } from './format.js';
import { studyHref, trialHref } from './routes.js';
import { loadPlotly } from './plot.jsx';
import { HistoryView } from './views/history.jsx';
import { ParallelView } from './views/parallel.jsx';
import { SliceView } from './views/slice.jsx';
import { ContourView } from './views/contour.jsx';
import { ImportanceView } from './views/importance.jsx';
import { IntermediateView } from './views/intermediate.jsx';
import { ParetoView } from './views/pareto.jsx';
import { TrialsView } from './views/trials.jsx';
import { TrialView } from './views/trial.jsx';

const POLL_MS = 2000;

// Views that draw without Plotly: History (uPlot) and the trials table.
const PLOTLY_FREE_VIEWS = new Set(['history', 'trials']);

// `summary`: the view shows per-trial facts of the summary (best trials) and takes the whole
// summary; the others get only the study's definition (see StudyPage).
const VIEWS = [
  { id: 'history', label: 'History', component: HistoryView, perObjective: true },
  { id: 'parallel', label: 'Parallel coordinates', component: ParallelView, perObjective: true },
  { id: 'slice', label: 'Slice', component: SliceView, perObjective: true },
  { id: 'contour', label: 'Contour', component: ContourView, perObjective: true },
  { id: 'importance', label: 'Importance', component: ImportanceView, perObjective: true },
  { id: 'intermediate', label: 'Intermediate values', component: IntermediateView },
  { id: 'pareto', label: 'Pareto front', component: ParetoView, multiObjective: true },
  { id: 'trials', label: 'Trials', component: TrialsView, summary: true },
];

function availableViews(study) {
  const objectives = study.directions.length;
  // The front is drawn in two or three dimensions; beyond that the table says more.
  return VIEWS.filter((v) => !v.multiObjective || objectives === 2 || objectives === 3);
}

function StudyHeader({ study }) {
  const { counts } = study;
  const single = study.directions.length === 1;
  return (
    <div class="study-header" data-testid="study-header" data-study={study.name}>
      <h1>{study.name}</h1>
      <div class="facts">
        <span>
          {study.directions.map((direction, i) => `${direction} ${objectiveName(study, i)}`).join(', ')}
        </span>
        <span>sampler <b>{study.sampler}</b></span>
        {study.scheduler && study.scheduler !== 'none' && <span>scheduler <b>{study.scheduler}</b></span>}
        {study.budget && (
          <span>
            {study.budget.name || 'budget'} {formatNumber(study.budget.min)}–{formatNumber(study.budget.max)}
            {study.budget.eta ? `, η = ${formatNumber(study.budget.eta)}` : ''}
          </span>
        )}
      </div>
      <div class="facts counts">
        <span data-testid="count-total"><b>{study.n_trials}</b> trials</span>
        {['complete', 'pruned', 'failed', 'running', 'waiting'].map((state) => (
          <span key={state} class={`state state-${state}`} data-testid={`count-${state}`}>
            {counts[state]} {state}
          </span>
        ))}
        {single && study.best_values && (
          <span data-testid="best">
            best <b>{formatNumber(study.best_values[0])}</b> in <a href={trialHref(study.name, study.best_number)}>#{study.best_number}</a>
          </span>
        )}
        {!single && study.best_trials && <span data-testid="best">Pareto front: {study.best_trials.length} trials</span>}
      </div>
      {study.user_attrs && Object.keys(study.user_attrs).length > 0 && (
        <details class="attrs">
          <summary>Study attributes</summary>
          <pre>{JSON.stringify(study.user_attrs, null, 2)}</pre>
        </details>
      )}
    </div>
  );
}

export function StudyPage({ name, view, trial }) {
  const [study, setStudy] = useState(null);
  const [tick, setTick] = useState(0);
  const [objective, setObjective] = useState(0);
  const version = useRef(null);
  // The digest of the trials whose change the storage has not stamped yet (PostgreSQL's
  // finishes and reports): /updates sends those trials until it matches.
  const pending = useRef('0');

  const loadStudy = useCallback(async (signal) => {
    try {
      const loaded = await getJSON(studyPath(name), { signal });
      clearError('study');
      setStudy(loaded);
      if (version.current === null) {
        version.current = loaded.version;
        pending.current = loaded.pending;
      }
      return loaded;
    } catch (error) {
      if (!(signal && signal.aborted)) showError(error.message, 'study');
      return null;
    }
  }, [name]);

  useEffect(() => {
    // Plotly is the bulk of the page's code: start fetching and parsing it while the study loads,
    // unless the view draws without it (parsing it would then only delay that view's drawing).
    if (!PLOTLY_FREE_VIEWS.has(view)) loadPlotly();
  }, [view]);

  useEffect(() => {
    const controller = new AbortController();
    loadStudy(controller.signal);
    return () => controller.abort();
  }, [loadStudy]);

  useEffect(() => {
    let stopped = false;
    let timer = null;
    const controller = new AbortController();
    async function poll() {
      if (!document.hidden) {
        try {
          if (version.current === null) {
            // The first load failed (server down, study not there yet): keep trying.
            if (await loadStudy(controller.signal)) setTick((t) => t + 1);
          } else {
            const since = version.current;
            const query = `/updates?since=${since}&pending=${pending.current}`;
            const updates = await getJSON(studyPath(name, query), { signal: controller.signal });
            clearError('updates');
            // A version that went down means the study was replaced: refresh as for a change.
            if (updates.trials.length > 0 || updates.version !== since) {
              version.current = updates.version;
              pending.current = updates.pending;
              await loadStudy(controller.signal);
              if (!stopped) setTick((t) => t + 1);
            }
          }
        } catch (error) {
          if (!stopped) showError(error.message, 'updates');
        }
      }
      if (!stopped) timer = setTimeout(poll, POLL_MS);
    }
    timer = setTimeout(poll, POLL_MS);
    return () => {
      stopped = true;
      clearTimeout(timer);
      controller.abort();
    };
  }, [name, loadStudy]);

  // The summary is a new object after every change of any trial; the plots depend only on what
  // defines the study. Handing them an object that stays the same while the definition does
  // keeps a live refresh at one redraw (when their own data arrives) instead of two.
  const definitionKey = study
    ? JSON.stringify([study.directions, study.objective_names, study.params, study.budget, study.scheduler, study.sampler])
    : '';
  const definition = useMemo(() => study, [definitionKey]);

  if (!study) return <p class="muted">Loading study {name}…</p>;

  const views = availableViews(study);
  const current = view === 'trial' ? null : views.find((v) => v.id === view) || views[0];
  const objectives = study.directions.length;
  const chosenObjective = Math.min(objective, objectives - 1);

  return (
    <section>
      <StudyHeader study={study} />
      <nav class="tabs">
        {views.map((v) => (
          <a key={v.id} href={studyHref(name, v.id)} data-view={v.id} class={current && current.id === v.id ? 'tab active' : 'tab'}>
            {v.label}
          </a>
        ))}
        {view === 'trial' && <span class="tab active" data-view="trial">Trial #{trial}</span>}
        {current && current.perObjective && objectives > 1 && (
          <label class="objective-select">
            objective{' '}
            <select data-testid="objective-select" value={chosenObjective} onChange={(e) => setObjective(Number(e.currentTarget.value))}>
              {study.directions.map((d, i) => (
                <option key={i} value={i}>{objectiveName(study, i)} ({d})</option>
              ))}
            </select>
          </label>
        )}
      </nav>
      <div class="view" data-testid="view" data-current-view={current ? current.id : 'trial'}>
        {current ? (
          <current.component key={current.id} name={name} study={current.summary ? study : definition} tick={tick} objective={chosenObjective} />
        ) : (
          <TrialView key={trial} name={name} study={definition} tick={tick} number={trial} />
        )}
      </div>
    </section>
  );
}
