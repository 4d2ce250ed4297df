// The decisions chart: stacked bars per hour or per day, drawn by uPlot.
// uPlot draws bars from zero, so each series holds the running total of
// the outcomes up to it and the series are drawn from the tallest down.
import uPlot from 'uplot';
import { useEffect, useRef } from 'preact/hooks';
import { html } from './components.js';
import { OUTCOMES, OUTCOME_LABELS } from './decisions.js';

export const OUTCOME_COLORS = {
  ALLOW: '#2e7d32',
  DENY: '#c62828',
  ALLOW_DRYRUN: '#b26a00',
  ALLOW_BREAKGLASS: '#6a1b9a',
};

function stacked(buckets) {
  const n = buckets.starts.length;
  let acc = new Array(n).fill(0);
  const cum = {};
  for (const o of OUTCOMES) {
    acc = acc.map((v, i) => v + buckets.counts[o][i]);
    cum[o] = acc;
  }
  return cum;
}

const two = (n) => String(n).padStart(2, '0');

// Axis labels in UTC: "06:00" (and the date at midnight) per hour,
// "12-07" per day.
function timeLabels(unit) {
  return (u, splits) => splits.map((ts) => {
    const d = new Date(ts * 1000);
    const date = `${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}`;
    if (unit === 'day') return date;
    const hour = `${two(d.getUTCHours())}:00`;
    return d.getUTCHours() === 0 ? `${hour}\n${date}` : hour;
  });
}

function options(width, max, unit, starts) {
  const half = (unit === 'day' ? 86400 : 3600) / 2;
  const series = [{}];
  for (const o of [...OUTCOMES].reverse()) {
    series.push({
      label: OUTCOME_LABELS[o],
      stroke: OUTCOME_COLORS[o],
      fill: OUTCOME_COLORS[o],
      width: 0,
      points: { show: false },
      paths: uPlot.paths.bars({ size: [0.8, 48], align: 0 }),
    });
  }
  return {
    width,
    height: 220,
    series,
    legend: { show: false },
    cursor: { show: false },
    // Times are UTC, as in every audit entry.
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'),
    scales: {
      x: { time: true, range: [starts[0] - half, starts[starts.length - 1] + half] },
      y: { range: [0, Math.max(1, Math.ceil(max * 1.15))] },
    },
    axes: [
      {
        stroke: '#333', grid: { stroke: '#e5e5e5' }, space: unit === 'day' ? 50 : 60, values: timeLabels(unit),
      },
      { stroke: '#333', grid: { stroke: '#e5e5e5' }, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] },
    ],
  };
}

export function DecisionChart({ buckets, unit, label }) {
  const ref = useRef(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return undefined;
    const cum = stacked(buckets);
    const top = cum[OUTCOMES[OUTCOMES.length - 1]];
    const data = [buckets.starts, ...[...OUTCOMES].reverse().map((o) => cum[o])];
    const plot = new uPlot(options(el.clientWidth || 600, Math.max(0, ...top), unit, buckets.starts), data, el);
    const resize = new ResizeObserver(() => {
      plot.setSize({ width: el.clientWidth || 600, height: 220 });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [buckets, unit]);
  return html`<div class="chart" role="img" aria-label=${label} ref=${ref}></div>`;
}
