// A line diff of two texts (the `diff` package), shown as text with
// "+ " and "- " marks, so it reads the same without colours.
import { diffLines } from 'diff';
import { html } from './components.js';

export function DiffView({ before, after, label }) {
  const parts = diffLines(before, after);
  if (!parts.some((p) => p.added || p.removed)) {
    return html`<p class="empty">No changes: the policy would be stored as it is.</p>`;
  }
  const rows = [];
  for (const p of parts) {
    const lines = p.value.replace(/\n$/, '').split('\n');
    const kind = p.added ? 'add' : p.removed ? 'del' : 'same';
    const mark = p.added ? '+ ' : p.removed ? '- ' : '  ';
    for (const line of lines) rows.push({ kind, text: mark + line });
  }
  return html`<pre class="diff" tabindex="0" aria-label=${label}><code>${rows.map(
    (r) => html`<span class=${`diff-${r.kind}`}>${`${r.text}\n`}</span>`,
  )}</code></pre>`;
}
