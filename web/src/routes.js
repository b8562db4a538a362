// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Routes live in the URL's hash (#/, #/study/NAME/VIEW, #/study/NAME/trial/N), so the server
// only ever serves index.html and any view can be bookmarked or reloaded.

export function parseRoute(hash) {
  // Study names are percent-encoded in the hash, so splitting on '/' is safe.
  const parts = hash.replace(/^#\/?/, '').split('/').filter((part) => part !== '');
  if (parts[0] === 'study' && parts.length >= 2) {
    let name;
    try {
      name = decodeURIComponent(parts[1]);
    } catch {
      return { page: 'list' };
    }
    if (parts[2] === 'trial' && /^\d+$/.test(parts[3] || '')) return { page: 'study', name, view: 'trial', trial: Number(parts[3]) };
    return { page: 'study', name, view: parts[2] || 'history' };
  }
  return { page: 'list' };
}

export function studyHref(name, view = 'history') {
  return `#/study/${encodeURIComponent(name)}/${view}`;
}

export function trialHref(name, number) {
  return `#/study/${encodeURIComponent(name)}/trial/${number}`;
}
