// Charts with Chart.js (pinned in www/package.json, bundled to www/vendor/chart.js), for the
// dashboard and the portal. Each chart sits in a labelled box with the same numbers in a table
// next to it, so nothing is only visual.

import { Chart } from '../vendor/chart.js';
import { h } from '../shared/ui.js';

const PALETTE = ['#2f5bd3', '#e4572e', '#17bebb', '#ffc914', '#76b041', '#5b5f97', '#b3261e', '#8d6a9f', '#3a7d44', '#c17c74'];
const live = new Set();

/** Destroys the charts of the previous view. */
export function clearCharts() {
  for (const c of live) c.destroy();
  live.clear();
}

/** A chart in a box; `config` is a Chart.js configuration. */
export function chart(label, config) {
  const canvas = h('canvas', { role: 'img', 'aria-label': label });
  const box = h('div', { class: 'chart-box' }, canvas);
  // Drawn once the box is in the document (Chart.js measures it).
  requestAnimationFrame(() => {
    if (!canvas.isConnected) return;
    const c = new Chart(canvas, {
      ...config,
      options: { responsive: true, maintainAspectRatio: false, animation: false, ...config.options },
    });
    live.add(c);
  });
  return box;
}

export const colour = (i) => PALETTE[i % PALETTE.length];
