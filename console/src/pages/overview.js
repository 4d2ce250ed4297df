// Overview: decisions over time, the latest denials, and (when vouchd has
// continuous validation) what does not conform to the current policy.
import { useMemo, useState } from 'preact/hooks';
import { firstEntries, listEntries, nonConformanceCounts } from '../api.js';
import {
  Badge, ErrorBox, Loading, PageTitle, TableWrap, fmtTime, html, pageHref, shortName, useAsync,
} from '../components.js';
import { DecisionChart } from '../chart.js';
import { OUTCOMES, OUTCOME_LABELS, bucketize, denialOf, entryOutcome } from '../decisions.js';
import { admissionOf, loadRuns } from '../runs.js';

const DAY = 24 * 3600 * 1000;
const MAX_PAGES = 10;

export const systemEventLog = (project) =>
  `projects/${project}/logs/cloudaudit.googleapis.com%2Fsystem_event`;

// Every enforcement entry of the last 30 days (at most MAX_PAGES pages).
async function auditEvents(project, now) {
  const since = new Date(now - 30 * DAY).toISOString();
  const filter = `logName="${systemEventLog(project)}" AND timestamp>="${since}"`;
  const events = [];
  let pageToken;
  let pages = 0;
  do {
    const r = await listEntries({ resourceNames: [`projects/${project}`], filter, pageSize: 1000, pageToken });
    for (const e of r.entries || []) {
      const outcome = entryOutcome(e);
      if (outcome) events.push({ time: Date.parse(e.timestamp), outcome });
    }
    pageToken = r.nextPageToken;
    pages++;
  } while (pageToken && pages < MAX_PAGES);
  return { events, truncated: Boolean(pageToken) };
}

// The 10 latest denials.
const latestDenials = (project) => firstEntries(listEntries, {
  resourceNames: [`projects/${project}`],
  filter: 'labels."binaryauthorization.googleapis.com/decision"="DENY"',
  orderBy: 'timestamp desc',
  pageSize: 10,
}, 10, MAX_PAGES);

async function loadOverview(project) {
  const now = Date.now();
  const [audit, runs, denials, nonConformance] = await Promise.all([
    auditEvents(project, now),
    loadRuns(project),
    latestDenials(project),
    nonConformanceCounts(project),
  ]);
  // Allowed deploys and executions are not audit events (only denials,
  // dry runs and breakglass are); they are counted from the revisions
  // and executions, which record their decision.
  const events = audit.events.filter((e) => e.outcome !== 'ALLOW');
  const records = [...runs.services.flatMap((s) => s.revisions), ...runs.jobs.flatMap((j) => j.executions)];
  for (const r of records) {
    if (admissionOf(r).outcome === 'ALLOW') events.push({ time: Date.parse(r.createTime), outcome: 'ALLOW' });
  }
  return {
    now,
    events,
    truncated: audit.truncated,
    runs,
    revisions: runs.services.reduce((n, s) => n + s.revisions.length, 0),
    executions: runs.jobs.reduce((n, j) => n + j.executions.length, 0),
    denials,
    nonConformance,
  };
}

function Legend({ buckets }) {
  return html`<ul class="legend">
    ${OUTCOMES.map((o) => {
      const total = buckets.counts[o].reduce((a, b) => a + b, 0);
      return html`<li><span class=${`swatch swatch-${o.toLowerCase()}`} aria-hidden="true"></span>
        ${OUTCOME_LABELS[o]}: <strong>${total}</strong></li>`;
    })}
  </ul>`;
}

function CountsTable({ buckets, unit }) {
  const rows = buckets.starts
    .map((s, i) => ({ s, counts: OUTCOMES.map((o) => buckets.counts[o][i]) }))
    .filter((r) => r.counts.some((c) => c > 0));
  return html`<details class="counts">
    <summary>Counts as a table</summary>
    ${rows.length === 0 ? html`<p>No decisions in this period.</p>` : html`
    <${TableWrap} label="Decisions per ${unit}">
      <table>
        <thead><tr><th scope="col">${unit === 'day' ? 'Day' : 'Hour'} (UTC)</th>
          ${OUTCOMES.map((o) => html`<th scope="col">${OUTCOME_LABELS[o]}</th>`)}</tr></thead>
        <tbody>${rows.map((r) => html`<tr>
          <td>${fmtTime(new Date(r.s * 1000).toISOString())}</td>
          ${r.counts.map((c) => html`<td>${c}</td>`)}</tr>`)}</tbody>
      </table>
    <//>`}
  </details>`;
}

function Decisions({ data }) {
  const [unit, setUnit] = useState('hour');
  const buckets = useMemo(
    () => bucketize(data.events, unit, unit === 'day' ? 30 : 48, data.now), [data, unit]);
  const span = unit === 'day' ? 'per day, last 30 days' : 'per hour, last 48 hours';
  const totals = OUTCOMES.map((o) => `${buckets.counts[o].reduce((a, b) => a + b, 0)} ${OUTCOME_LABELS[o]}`).join(', ');
  return html`<section aria-labelledby="decisions-h">
    <h2 id="decisions-h">Decisions ${span}</h2>
    <div class="toolbar" role="group" aria-label="Period">
      <button type="button" aria-pressed=${unit === 'hour'} onClick=${() => setUnit('hour')}>Per hour</button>
      <button type="button" aria-pressed=${unit === 'day'} onClick=${() => setUnit('day')}>Per day</button>
    </div>
    <${Legend} buckets=${buckets} />
    <${DecisionChart} buckets=${buckets} unit=${unit} label=${`Decisions ${span}: ${totals}`} />
    <p class="note">Denials, dry-run passes and breakglass come from the audit log; allowed
      deploys and executions are not audited, and are counted from the revisions and executions
      that record them.${data.truncated ? ' Only the first 10,000 audit entries are counted.' : ''}</p>
    <${CountsTable} buckets=${buckets} unit=${unit} />
  </section>`;
}

function LatestDenials({ project, entries }) {
  return html`<section aria-labelledby="denials-h">
    <h2 id="denials-h">Latest denials</h2>
    ${entries.length === 0 ? html`<p class="empty">No denials in the audit log.</p>` : html`
    <${TableWrap} label="Latest denials">
      <table class="denials stack">
        <thead><tr><th scope="col">Time</th><th scope="col">Resource</th><th scope="col">Decision</th><th scope="col">Reason</th></tr></thead>
        <tbody>${entries.map((e) => {
          const d = denialOf(e.protoPayload && e.protoPayload.metadata && e.protoPayload.metadata.decision);
          const reason = (d && d.reason) || (e.protoPayload && e.protoPayload.status && e.protoPayload.status.message) || '';
          return html`<tr>
            <td class="nowrap" data-label="Time">${fmtTime(e.timestamp)}</td>
            <td data-label="Resource"><a href=${pageHref('audit', { project, filter: `insertId="${e.insertId}"` })}>${shortName(e.protoPayload && e.protoPayload.resourceName)}</a></td>
            <td data-label="Decision"><${Badge} outcome=${entryOutcome(e)} /></td>
            <td class="reason" data-label="Reason">${reason}</td>
          </tr>`;
        })}</tbody>
      </table>
    <//>`}
  </section>`;
}

const count = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

function Conformance({ data }) {
  const nc = data.nonConformance;
  return html`<section aria-labelledby="conf-h">
    <h2 id="conf-h">Resources</h2>
    <dl class="stats">
      <div><dt>Services</dt><dd>${data.runs.services.length}</dd></div>
      <div><dt>Revisions</dt><dd>${data.revisions}</dd></div>
      <div><dt>Jobs</dt><dd>${data.runs.jobs.length}</dd></div>
      <div><dt>Executions</dt><dd>${data.executions}</dd></div>
      <div><dt>Not conforming to the current policy</dt>
        <dd>${nc ? [count(nc.services, 'service'), count(nc.jobs, 'job'),
          count(nc.revisions, 'serving revision')].join(', ')
          : html`<span class="muted">not available</span>`}</dd></div>
    </dl>
    <p class="note">Continuous validation checks every serving revision and job
      template against the current policy; what does not conform keeps running.</p>
  </section>`;
}

export function Overview({ project }) {
  const state = useAsync(() => loadOverview(project), [project]);
  return html`<${PageTitle}>Overview<//>
    <p class="lead">Project <strong>${project}</strong></p>
    ${state.loading ? html`<${Loading} what="the audit log" />` : null}
    <${ErrorBox} error=${state.error} />
    ${state.data ? html`
      <${Decisions} data=${state.data} />
      <${LatestDenials} project=${project} entries=${state.data.denials} />
      <${Conformance} data=${state.data} />` : null}`;
}

