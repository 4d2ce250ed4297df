// Audit log: Cloud Logging's filter language in a search box (errors shown
// at the position the server names), the entries as a table whose rows
// expand to the full entry, and links to the service, job, policy,
// attestor or image an entry is about.
import { useEffect, useRef, useState } from 'preact/hooks';
import { listEntries } from '../api.js';
import {
  Badge, Empty, ErrorBox, Loading, PageTitle, TableWrap, fmtTime, html, pageHref, shortName,
} from '../components.js';
import { entryOutcome } from '../decisions.js';
import { errorLine, indexOfPosition, parseFilterError } from '../filter_error.js';

const PAGE = 50;

const EXAMPLES = [
  ['Denials', 'protoPayload.response.status.conditions.reason="ContainerImageUnauthorized"'],
  ['Breakglass', 'labels."binaryauthorization.googleapis.com/break-glass"="true"'],
  ['Dry run', 'labels."binaryauthorization.googleapis.com/dry-run"="true"'],
  ['Admin activity', 'severity=NOTICE'],
];

// "registry/team/app@sha256:b368…" -> "app@sha256:b368fda83f62…"; the
// whole reference stays in the link's title and in the expanded entry.
export function shortImage(ref) {
  const at = ref.lastIndexOf('@');
  const path = at < 0 ? ref : ref.slice(0, at);
  const digest = at < 0 ? '' : ref.slice(at + 1);
  const name = path.split('/').pop();
  return digest ? `${name}@${digest.slice(0, 19)}…` : name;
}

// Where an entry points in the console: [{label, href}].
export function entryLinks(project, e) {
  const links = [];
  const res = e.resource || {};
  const labels = res.labels || {};
  if (res.type === 'cloud_run_revision' && labels.service_name) {
    links.push({ label: `service ${labels.service_name}`, href: pageHref('services', { project, location: labels.location, service: labels.service_name }) });
  } else if (res.type === 'cloud_run_job' && labels.job_name) {
    links.push({ label: `job ${labels.job_name}`, href: pageHref('services', { project, location: labels.location, job: labels.job_name }) });
  }
  const name = (e.protoPayload && e.protoPayload.resourceName) || '';
  if (/^projects\/[^/]+\/policy$/.test(name)) links.push({ label: 'policy', href: pageHref('policy', { project }) });
  const att = /^projects\/[^/]+\/attestors\/([^/]+)$/.exec(name);
  if (att) links.push({ label: `attestor ${att[1]}`, href: pageHref('attestors', { project, attestor: att[1] }) });
  const d = e.protoPayload && e.protoPayload.metadata && e.protoPayload.metadata.decision;
  for (const img of (d && d.images) || []) {
    if (img.image) {
      links.push({
        label: shortImage(img.image), title: img.image, href: pageHref('attestations', { project, image: img.image }), mono: true,
      });
    }
  }
  return links;
}

function summary(e) {
  const p = e.protoPayload || {};
  const msg = p.status && p.status.message;
  if (msg) return msg;
  return `${shortName(String(p.methodName || '').replace(/\./g, '/'))} ${p.resourceName || ''}`.trim();
}

function Entry({ project, e, index }) {
  const [open, setOpen] = useState(false);
  const id = `entry-${index}`;
  const outcome = entryOutcome(e);
  return html`
    <tr class=${open ? 'open' : ''}>
      <td><button type="button" class="expand" aria-expanded=${open} aria-controls=${id}
        onClick=${() => setOpen(!open)}><span aria-hidden="true">${open ? '▾' : '▸'}</span>
        <span class="sr-only">${open ? 'Hide' : 'Show'} the entry of </span>${fmtTime(e.timestamp)}</button></td>
      <td data-label="Severity">${e.severity || ''}</td>
      <td data-label="Decision">${outcome ? html`<${Badge} outcome=${outcome} />` : 'admin activity'}</td>
      <td class="about" data-label="About"><ul class="links">${entryLinks(project, e).map((l) => html`<li>
        <a class=${l.mono ? 'mono' : ''} href=${l.href} title=${l.title}>${l.label}</a></li>`)}</ul></td>
      <td class="summary" data-label="Summary">${summary(e)}</td>
    </tr>
    ${open ? html`<tr id=${id} class="entry-json"><td colspan="5">
      <pre tabindex="0" aria-label="The full entry">${JSON.stringify(e, null, 2)}</pre></td></tr>` : null}`;
}

function FilterProblem({ text, problem }) {
  const { lineText, offset } = errorLine(text, problem.line, problem.col);
  return html`<div class="filter-error" id="filter-error" role="alert">
    <p>Line ${problem.line}, column ${problem.col}: <span class="problem-text">${problem.message}</span></p>
    <pre aria-hidden="true">${`${lineText}\n${' '.repeat(offset)}^`}</pre>
  </div>`;
}

export function Audit({ project, params, navigate }) {
  const filter = params.get('filter') || '';
  const order = params.get('order') === 'asc' ? 'asc' : 'desc';
  const [text, setText] = useState(filter);
  const [entries, setEntries] = useState(null);
  const [next, setNext] = useState('');
  const [error, setError] = useState(null);
  const [problem, setProblem] = useState(null);
  const [busy, setBusy] = useState(false);
  const box = useRef(null);
  const latest = useRef(0);

  // One page of entries; an answer to a request that a newer one replaced
  // is dropped.
  async function fetchPage(token) {
    const id = ++latest.current;
    setBusy(true);
    setError(null);
    setProblem(null);
    try {
      const r = await listEntries({
        resourceNames: [`projects/${project}`], filter, orderBy: `timestamp ${order}`, pageSize: PAGE, pageToken: token || undefined,
      });
      if (id !== latest.current) return;
      setEntries((old) => [...(token && old ? old : []), ...(r.entries || [])]);
      setNext(r.nextPageToken || '');
    } catch (e) {
      if (id !== latest.current) return;
      const p = e.status === 'INVALID_ARGUMENT' ? parseFilterError(e.message) : null;
      if (p) setProblem(p);
      else setError(e);
      if (!token) setEntries(null);
    } finally {
      if (id === latest.current) setBusy(false);
    }
  }

  useEffect(() => { setText(filter); fetchPage(''); }, [project, filter, order]);

  useEffect(() => {
    // Put the cursor where the server says the filter is wrong.
    if (problem && box.current) {
      const i = indexOfPosition(filter, problem.line, problem.col);
      box.current.focus();
      box.current.setSelectionRange(i, i);
    }
  }, [problem]);

  function submit(ev) {
    ev.preventDefault();
    if (text === filter) fetchPage('');
    else navigate('audit', { filter: text, order: order === 'asc' ? 'asc' : undefined });
  }

  return html`<${PageTitle}>Audit log<//>
    <form class="search" role="search" onSubmit=${submit}>
      <label for="filter-q">Filter (Cloud Logging query language)</label>
      <textarea id="filter-q" class="mono" rows="2" spellcheck="false" ref=${box} value=${text}
        aria-invalid=${problem ? 'true' : undefined} aria-describedby=${problem ? 'filter-error' : 'filter-help'}
        onInput=${(e) => setText(e.currentTarget.value)}
        onKeyDown=${(e) => { if (e.key === 'Enter' && !e.shiftKey) submit(e); }}></textarea>
      <p id="filter-help" class="note">Enter searches; Shift+Enter starts a new line. For example${' '}
        <code>severity>=WARNING</code>, <code>resource.type="cloud_run_revision"</code>, <code>breakglass</code>.</p>
      <div class="toolbar">
        <button type="submit" class="primary" disabled=${busy}>Search</button>
        <label class="inline-label" for="order-q">Order</label>
        <select id="order-q" value=${order} onChange=${(e) => navigate('audit', { filter, order: e.currentTarget.value === 'asc' ? 'asc' : undefined })}>
          <option value="desc">newest first</option>
          <option value="asc">oldest first</option>
        </select>
        <span class="examples">${EXAMPLES.map(([label, f]) => html`
          <a class="chip" href=${pageHref('audit', { project, filter: f })}>${label}</a>`)}</span>
      </div>
    </form>
    ${problem ? html`<${FilterProblem} text=${filter} problem=${problem} />` : null}
    <${ErrorBox} error=${error} />
    ${busy && !entries ? html`<${Loading} what="audit entries" />` : null}
    ${entries && entries.length === 0 ? html`<${Empty}>No entries match.<//>` : null}
    ${entries && entries.length ? html`
      <p class="muted" role="status">${entries.length}${next ? '+' : ''} ${entries.length === 1 && !next ? 'entry' : 'entries'}</p>
      <${TableWrap} label="Audit entries">
        <table class="entries stack">
          <thead><tr><th scope="col">Time</th><th scope="col">Severity</th><th scope="col">Decision</th>
            <th scope="col">About</th><th scope="col">Summary</th></tr></thead>
          <tbody>${entries.map((e, i) => html`<${Entry} key=${e.insertId + e.timestamp} project=${project} e=${e} index=${i} />`)}</tbody>
        </table>
      <//>
      ${next ? html`<button type="button" disabled=${busy} onClick=${() => fetchPage(next)}>Load more</button>` : null}` : null}`;
}

