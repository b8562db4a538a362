// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// How numbers, durations and times read on screen.

export function formatNumber(value) {
  if (value === null || value === undefined) return '—';
  if (typeof value !== 'number') return String(value);
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e6)) return value.toExponential(3);
  return String(Number(value.toPrecision(5)));
}

export function formatValue(value) {
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return formatNumber(value);
}

export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

export function formatAgo(ms, now = Date.now()) {
  if (!ms) return '—';
  const seconds = Math.max(0, (now - ms) / 1000);
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${Math.round(seconds)} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  const days = Math.round(seconds / 86400);
  return `${days} day${days === 1 ? '' : 's'} ago`;
}

export function formatTime(ms) {
  if (!ms) return '—';
  return new Date(ms).toLocaleString();
}

export function objectiveName(study, index) {
  const names = study.objective_names || [];
  if (names[index]) return names[index];
  return study.directions.length === 1 ? 'value' : `value ${index}`;
}

export const STATES = ['complete', 'pruned', 'failed', 'running', 'waiting'];
