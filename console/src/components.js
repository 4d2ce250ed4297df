// Shared pieces of every page. Everything that comes from the server is
// passed to Preact as text children or attribute values, which Preact
// writes with textContent and setAttribute: a value is never parsed as
// HTML. (No dangerouslySetInnerHTML anywhere in the console.)
import { h } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import htm from 'htm';
import { OUTCOME_LABELS } from './decisions.js';

export const html = htm.bind(h);

// The path segment after the last '/': "projects/p/attestors/a" -> "a".
export const shortName = (name) => String(name || '').split('/').pop();

// "2026-12-07T01:38:46.566368Z" -> "2026-12-07 01:38:46 UTC".
export function fmtTime(iso) {
  if (!iso) return '';
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : String(iso);
}

// A link inside the console: "#/page?project=…&…".
export function pageHref(page, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, v);
  }
  const s = q.toString();
  return `#/${page}${s ? `?${s}` : ''}`;
}

// Run `fn` (async) whenever `deps` change: {loading, error, data, reload}.
export function useAsync(fn, deps) {
  const [state, setState] = useState({ loading: true, error: null, data: null });
  const [tick, setTick] = useState(0);
  const run = useRef(0);
  useEffect(() => {
    const id = ++run.current;
    setState((s) => ({ ...s, loading: true, error: null }));
    fn().then(
      (data) => { if (run.current === id) setState({ loading: false, error: null, data }); },
      (error) => { if (run.current === id) setState({ loading: false, error, data: null }); },
    );
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

export function Badge({ outcome }) {
  if (!outcome) return html`<span class="badge">—</span>`;
  const label = OUTCOME_LABELS[outcome] || outcome;
  return html`<span class=${`badge badge-${outcome.toLowerCase()}`}>${label}</span>`;
}

export function ErrorBox({ error, title }) {
  if (!error) return null;
  const status = error.status ? `${error.status}: ` : '';
  return html`<div class="error" role="alert">
    ${title ? html`<strong>${title} </strong>` : null}${status}${error.message || String(error)}
  </div>`;
}

export function Loading({ what }) {
  return html`<p class="muted" role="status">Loading ${what || ''}…</p>`;
}

// A table that scrolls sideways on a narrow screen; the wrapper is
// focusable so the keyboard can scroll it too.
export function TableWrap({ label, children }) {
  return html`<div class="table-wrap" role="region" aria-label=${label} tabindex="0">${children}</div>`;
}

// Set once the person has moved from one page to another (main.js).
let navigated = false;
export function markNavigated() {
  navigated = true;
}

// A page's title. After a move to another page it takes the focus, so
// that screen readers and the keyboard start there; on the first load the
// focus stays at the top of the document (the skip link comes first).
export function PageTitle({ children }) {
  const ref = useRef(null);
  useEffect(() => {
    if (navigated && ref.current) ref.current.focus();
  }, []);
  return html`<h1 tabindex="-1" ref=${ref}>${children}</h1>`;
}

// Breakglass justification, highlighted wherever it appears.
export function Breakglass({ text }) {
  if (!text) return null;
  return html`<span class="breakglass"><span class="breakglass-label">Breakglass:</span> ${text}</span>`;
}

export function Empty({ children }) {
  return html`<p class="empty">${children}</p>`;
}
