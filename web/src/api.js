// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The dashboard's JSON API (docs/dashboard.md) and the one error banner every failure goes to.
import { useEffect, useRef, useState } from 'preact/hooks';

export function studyPath(name, rest = '') {
  // A study name is one path segment: a name holding '/' or '?' must not split the URL.
  return `/api/studies/${encodeURIComponent(name)}${rest}`;
}

export async function getJSON(path, { signal } = {}) {
  let response;
  try {
    response = await fetch(path, { signal, headers: { Accept: 'application/json' }, cache: 'no-store' });
  } catch (error) {
    if (signal && signal.aborted) throw error;
    throw new Error(`cannot reach the dashboard server (${error.message})`);
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    // Leaves body null: a proxy's HTML error page is reported by its status below.
  }
  if (!response.ok || body === null) {
    const reason = body && body.error ? body.error : `${response.status} ${response.statusText}`;
    throw new Error(`${reason} (GET ${path})`);
  }
  return body;
}

// The banner shows the latest failure. Each failure carries the key of what failed, so the next
// success of that same thing (a poll that gets through again) clears it, and an unrelated success
// does not hide an error the user has not seen yet.
let banner = null;
const listeners = new Set();

export function showError(message, key = 'other') {
  banner = { message, key };
  listeners.forEach((listener) => listener(banner));
}

export function clearError(key) {
  if (banner && (key === undefined || banner.key === key)) {
    banner = null;
    listeners.forEach((listener) => listener(banner));
  }
}

export function useBanner() {
  const [current, setCurrent] = useState(banner);
  useEffect(() => {
    listeners.add(setCurrent);
    return () => listeners.delete(setCurrent);
  }, []);
  return current;
}

// Fetches `path`, and again whenever `tick` changes (the study page bumps it when trials changed).
// The previous answer stays on screen until the new one arrives, so a live refresh or a new page
// of the table never blanks the view; `stale` says the data is for another path.
// A new path cancels the request in flight. A refresh of the same path does not: it waits for
// that request to finish and then fetches once, however many ticks came meanwhile, so an answer
// that takes longer than the polling interval (history of 100,000 trials on a slow link) still
// arrives. `minIntervalMs` spaces refreshes of answers that are costly to compute (importance).
export function useApi(path, tick = 0, { minIntervalMs = 0 } = {}) {
  const [state, setState] = useState({ data: null, error: null, path: null });
  const request = useRef({ path: null, controller: null, pending: false, finishedAt: 0, timer: null });

  const start = (target) => {
    const current = request.current;
    clearTimeout(current.timer);
    const wait = current.path === target ? current.finishedAt + minIntervalMs - Date.now() : 0;
    if (wait > 0) {
      current.timer = setTimeout(() => start(target), wait);
      return;
    }
    const controller = new AbortController();
    Object.assign(current, { path: target, controller, pending: false });
    getJSON(target, { signal: controller.signal }).then(
      (data) => {
        clearError(`view:${target}`);
        setState({ data, error: null, path: target });
      },
      (error) => {
        if (controller.signal.aborted) return;
        showError(error.message, `view:${target}`);
        setState((old) => ({ data: old.path === target ? old.data : null, error: error.message, path: target }));
      },
    ).finally(() => {
      if (current.controller !== controller) return;
      current.controller = null;
      current.finishedAt = Date.now();
      if (current.pending && !controller.signal.aborted) start(target);
    });
  };

  useEffect(() => {
    if (!path) return;
    const current = request.current;
    if (current.controller && current.path === path) {
      current.pending = true;
      return;
    }
    if (current.controller) current.controller.abort();
    current.controller = null;
    start(path);
  }, [path, tick]);

  useEffect(() => () => {
    clearTimeout(request.current.timer);
    if (request.current.controller) request.current.controller.abort();
  }, []);

  return { ...state, stale: state.path !== path };
}
