// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The complete trials' values and parameters that the parallel-coordinate, slice and contour views
// draw. The server sends the latest DEFAULT_LIMIT by default: tens of thousands of lines or points
// take long to draw and mostly hide each other. The user may ask for all of them.
import { useState } from 'preact/hooks';
import { studyPath, useApi } from '../api.js';

const DEFAULT_LIMIT = 10000;
const SERVER_MAX = 1000000;

export function useColumns(name, tick) {
  const [limit, setLimit] = useState(DEFAULT_LIMIT);
  const { data: columns } = useApi(studyPath(name, `/columns?limit=${limit}`), tick);
  return { columns, limit, setLimit };
}

// The choice of how many trials, shown only when the study has more than the default.
export function ColumnsLimit({ columns, limit, setLimit }) {
  if (!columns || (columns.total <= DEFAULT_LIMIT && limit === DEFAULT_LIMIT)) return null;
  return (
    <label>
      trials{' '}
      <select data-testid="columns-limit" value={limit} onChange={(e) => setLimit(Number(e.currentTarget.value))}>
        <option value={DEFAULT_LIMIT}>the latest {DEFAULT_LIMIT}</option>
        <option value={SERVER_MAX}>{columns.total <= SERVER_MAX ? `all ${columns.total}` : `the latest ${SERVER_MAX}`} (slow to draw)</option>
      </select>
    </label>
  );
}

export function columnsScope(columns) {
  const shown = columns.number.length;
  const total = columns.total === undefined ? shown : columns.total;
  return shown === total ? `${total} complete trials` : `the latest ${shown} of ${total} complete trials`;
}
