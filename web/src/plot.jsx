// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// One Plotly figure. Plotly is loaded on first use, so the study list opens without its weight.
// Plotly.react updates a figure in place, so a live refresh keeps the user's zoom when the
// layout's uirevision stays the same.
import { useEffect, useRef } from 'preact/hooks';

let plotlyPromise = null;
export function loadPlotly() {
  if (!plotlyPromise) plotlyPromise = import('plotly.js-dist-min').then((module) => module.default || module);
  return plotlyPromise;
}

// Beyond this many points, SVG scatter becomes slow to draw and to hover: use WebGL.
export const WEBGL_THRESHOLD = 5000;
export function scatterType(points) {
  return points > WEBGL_THRESHOLD ? 'scattergl' : 'scatter';
}

export const COLORS = {
  complete: '#1f77b4',
  best: '#ff7f0e',
  pruned: '#d62728',
  failed: '#7f7f7f',
  running: '#2ca02c',
  waiting: '#9467bd',
  front: '#d62728',
  infeasible: '#bbbbbb',
};

const BASE_LAYOUT = {
  margin: { l: 60, r: 20, t: 30, b: 50 },
  font: { family: 'system-ui, sans-serif', size: 12 },
  paper_bgcolor: '#ffffff',
  plot_bgcolor: '#ffffff',
  hovermode: 'closest',
};

export function Plot({ name, data, layout, onClick, height = 420 }) {
  const element = useRef(null);
  const clickHandler = useRef(onClick);
  clickHandler.current = onClick;
  const bound = useRef(false);
  const renders = useRef(0);

  useEffect(() => {
    let cancelled = false;
    loadPlotly().then((Plotly) => {
      const node = element.current;
      if (cancelled || !node) return;
      const fullLayout = { ...BASE_LAYOUT, height, ...layout };
      Plotly.react(node, data, fullLayout, { displaylogo: false, responsive: true }).then(() => {
        if (cancelled) return;
        // A counter rather than a flag: a test can tell a refreshed figure from the first one.
        renders.current += 1;
        node.setAttribute('data-rendered', String(renders.current));
      });
      if (!bound.current) {
        bound.current = true;
        node.on('plotly_click', (event) => clickHandler.current && clickHandler.current(event));
      }
    });
    return () => {
      cancelled = true;
    };
  }, [data, layout, height]);

  useEffect(() => {
    // Taken now: by the time an unmounting component's cleanup runs, the ref may be cleared.
    const node = element.current;
    return () => loadPlotly().then((Plotly) => Plotly.purge(node));
  }, []);

  return <div ref={element} class="plot" data-plot={name} style={{ minHeight: `${height}px` }} />;
}

// Plotly's click event to the trial the point stands for: traces put the trial number in
// customdata.
export function clickedTrial(event) {
  const point = event && event.points && event.points[0];
  if (!point) return null;
  const number = Array.isArray(point.customdata) ? point.customdata[0] : point.customdata;
  return Number.isInteger(number) ? number : null;
}
