// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The trials table. Sorting, filtering and paging all happen on the server (/trials), so the page
// holds one page of rows whatever the size of the study.
import { useEffect, useRef, useState } from 'preact/hooks';
import { useApi, studyPath } from '../api.js';
import { STATES, formatDuration, formatNumber, formatTime, formatValue, objectiveName } from '../format.js';
import { trialHref } from '../routes.js';
import { isChoice } from '../params.js';

const PAGE_SIZE = 100;

function valueSortKey(i) {
  return i === 0 ? 'value' : `value${i}`;
}

function query({ sort, order, states, valueMin, valueMax, param, paramMin, paramMax, paramEquals, offset }) {
  const q = new URLSearchParams({ offset: String(offset), limit: String(PAGE_SIZE), sort, order });
  if (states.length > 0) q.set('state', states.join(','));
  if (valueMin !== '') q.set('value_min', valueMin);
  if (valueMax !== '') q.set('value_max', valueMax);
  if (param) {
    q.set('param', param);
    if (paramEquals !== '') q.set('param_equals', paramEquals);
    if (paramMin !== '') q.set('param_min', paramMin);
    if (paramMax !== '') q.set('param_max', paramMax);
  }
  return q.toString();
}

// A number box that applies its value when the user commits it (Enter or leaving the box). What is
// typed lives in the box's own state: the table re-renders on every live refresh, and an input
// bound straight to the applied filter would lose a half-typed number each time.
function NumberBox({ testid, placeholder, value, onCommit }) {
  const [draft, setDraft] = useState(value);
  // Follows the committed value when it changes (Clear filters), but not on mount: the effect
  // runs after the first paint, and would wipe what a quick user (or a test) typed meanwhile.
  const committed = useRef(value);
  useEffect(() => {
    if (committed.current === value) return;
    committed.current = value;
    setDraft(value);
  }, [value]);
  return (
    <input type="number" step="any" placeholder={placeholder} data-testid={testid} value={draft}
      onInput={(e) => setDraft(e.currentTarget.value)}
      onChange={(e) => onCommit(e.currentTarget.value)}
      // Enter applies the bound at once: a number field does not always fire `change` on Enter.
      onKeyDown={(e) => { if (e.key === 'Enter') onCommit(e.currentTarget.value); }} />
  );
}

const INITIAL = {
  sort: 'number', order: 'asc', states: [], valueMin: '', valueMax: '',
  param: '', paramMin: '', paramMax: '', paramEquals: '', offset: 0,
};

export function TrialsView({ name, study, tick }) {
  const [filters, setFilters] = useState(INITIAL);
  // Any change but paging itself sends the user back to the first page.
  const update = (change) => setFilters((old) => ({ ...old, offset: 0, ...change }));
  const { data: page, stale } = useApi(studyPath(name, `/trials?${query(filters)}`), tick);

  const params = study.params || [];
  const objectives = study.directions.length;
  const best = new Set(study.best_trials || []);
  const paramDef = params.find((p) => p.name === filters.param);

  const sortBy = (key) => {
    if (filters.sort === key) update({ order: filters.order === 'asc' ? 'desc' : 'asc' });
    else update({ sort: key, order: 'asc' });
  };
  const header = (key, label, numeric = true) => (
    <th key={key} class={`${numeric ? 'num ' : ''}sortable`} data-sort={key} onClick={() => sortBy(key)} title="Sort by this column">
      {label}
      {filters.sort === key ? (filters.order === 'asc' ? ' ▲' : ' ▼') : ''}
    </th>
  );
  const toggleState = (state, on) => {
    const states = on ? [...filters.states, state] : filters.states.filter((s) => s !== state);
    update({ states: STATES.filter((s) => states.includes(s)) });
  };

  const total = page ? page.total : 0;
  const offset = page ? page.offset : 0;
  const lastOffset = Math.max(0, Math.floor((total - 1) / PAGE_SIZE) * PAGE_SIZE);

  return (
    <div data-testid="trials">
      <div class="filters">
        <fieldset>
          <legend>state</legend>
          {STATES.map((state) => (
            <label key={state}>
              <input type="checkbox" data-filter-state={state} checked={filters.states.includes(state)}
                onChange={(e) => toggleState(state, e.currentTarget.checked)} /> {state}
            </label>
          ))}
        </fieldset>
        <fieldset>
          <legend>{objectiveName(study, 0)}</legend>
          <NumberBox testid="filter-value-min" placeholder="min" value={filters.valueMin} onCommit={(v) => update({ valueMin: v })} />
          {' – '}
          <NumberBox testid="filter-value-max" placeholder="max" value={filters.valueMax} onCommit={(v) => update({ valueMax: v })} />
        </fieldset>
        <fieldset>
          <legend>parameter</legend>
          <select data-testid="filter-param" value={filters.param}
            onChange={(e) => update({ param: e.currentTarget.value, paramMin: '', paramMax: '', paramEquals: '' })}>
            <option value="">(any)</option>
            {params.map((p) => <option key={p.name} value={p.name}>{p.name}</option>)}
          </select>
          {paramDef && isChoice(paramDef) && (
            <select data-testid="filter-param-equals" value={filters.paramEquals} onChange={(e) => update({ paramEquals: e.currentTarget.value })}>
              <option value="">(any, where active)</option>
              {paramDef.choices.map((c) => <option key={c} value={c}>{c}</option>)}
            </select>
          )}
          {paramDef && !isChoice(paramDef) && (
            <>
              <NumberBox testid="filter-param-min" placeholder="min" value={filters.paramMin} onCommit={(v) => update({ paramMin: v })} />
              {' – '}
              <NumberBox testid="filter-param-max" placeholder="max" value={filters.paramMax} onCommit={(v) => update({ paramMax: v })} />
            </>
          )}
        </fieldset>
        <button type="button" data-testid="filter-clear" onClick={() => setFilters({ ...INITIAL, sort: filters.sort, order: filters.order })}>
          Clear filters
        </button>
      </div>

      <div class="pager">
        <button type="button" data-testid="page-first" disabled={offset === 0} onClick={() => setFilters({ ...filters, offset: 0 })}>«</button>
        <button type="button" data-testid="page-prev" disabled={offset === 0} onClick={() => setFilters({ ...filters, offset: Math.max(0, offset - PAGE_SIZE) })}>‹</button>
        <span>
          {total === 0 ? 'no trials' : `${offset + 1}–${Math.min(offset + PAGE_SIZE, total)}`} of{' '}
          <b data-testid="trials-total">{total}</b> matching trials{stale ? ' (loading…)' : ''}
        </span>
        <button type="button" data-testid="page-next" disabled={offset + PAGE_SIZE >= total} onClick={() => setFilters({ ...filters, offset: offset + PAGE_SIZE })}>›</button>
        <button type="button" data-testid="page-last" disabled={offset >= lastOffset} onClick={() => setFilters({ ...filters, offset: lastOffset })}>»</button>
      </div>

      <div class="table-scroll">
        <table class="grid" data-testid="trials-table">
          <thead>
            <tr>
              {header('number', '#')}
              {header('state', 'state', false)}
              {study.directions.map((_, i) => header(valueSortKey(i), objectiveName(study, i)))}
              {header('duration', 'duration')}
              {study.budget && <th class="num">{study.budget.name || 'budget'}</th>}
              {params.map((p) => header(`param:${p.name}`, p.name, !isChoice(p)))}
              <th>started</th>
            </tr>
          </thead>
          <tbody>
            {page && page.trials.map((trial) => (
              <tr key={trial.number} data-testid="trial-row" data-number={trial.number} data-state={trial.state}
                class={trial.feasible === false ? 'infeasible' : ''}>
                <td class="num">
                  <a href={trialHref(name, trial.number)}>{trial.number}</a>
                  {best.has(trial.number) && <span class="star" title={objectives > 1 ? 'on the Pareto front' : 'best trial'}> ★</span>}
                </td>
                <td><span class={`state state-${trial.state}`}>{trial.state}</span>{trial.feasible === false && <span class="muted"> infeasible</span>}</td>
                {study.directions.map((_, i) => (
                  <td key={i} class="num">{trial.values ? formatNumber(trial.values[i]) : '—'}</td>
                ))}
                <td class="num">{formatDuration(trial.duration_s)}</td>
                {study.budget && <td class="num">{formatNumber(trial.budget)}</td>}
                {params.map((p) => (
                  <td key={p.name} class={isChoice(p) ? '' : 'num'}>
                    {p.name in trial.params ? formatValue(trial.params[p.name]) : <span class="muted" title="inactive">·</span>}
                  </td>
                ))}
                <td class="muted">{formatTime(trial.start_ms)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {page && page.trials.length === 0 && <p class="muted" data-testid="empty">No trial matches these filters.</p>}
    </div>
  );
}
