// Policy: the project's policy as gcloud YAML, an editor that validates on
// the server before saving (PUT …/policy?validateOnly=true) and shows each
// error at its line and column, a diff against the stored policy before
// the save, and an etag check that shows a conflict instead of
// overwriting someone else's change.
import { useEffect, useRef, useState } from 'preact/hooks';
import { getPolicy, listEntries, putPolicy } from '../api.js';
import { ErrorBox, Loading, PageTitle, fmtTime, html } from '../components.js';
import { DiffView } from '../diffview.js';
import { YamlEditor, focusAt } from '../editor.js';
import { policyChange } from '../policy_author.js';
import {
  locateServerError, parsePolicyYaml, policyToSend, policyToYaml,
} from '../policy_yaml.js';

function storedOf(json) {
  return { json, yaml: policyToYaml(json), etag: json.etag || '' };
}

function Problems({ problems, view }) {
  if (problems.length === 0) return null;
  return html`<div class="problems" role="alert">
    <h2>${problems.length === 1 ? 'The policy has an error' : `The policy has ${problems.length} errors`}</h2>
    <ul>${problems.map((p) => html`<li>
      <button type="button" class="link" onClick=${() => focusAt(view.current, p.from)}>
        Line ${p.line}, column ${p.col}</button>: <span class="problem-text">${p.message}</span>
    </li>`)}</ul>
  </div>`;
}

function Conflict({ conflict, mine, onReload }) {
  const cur = conflict.current;
  return html`<div class="conflict" role="alert">
    <h2>Not saved: the policy was changed since you loaded it</h2>
    <p>You loaded the version with etag <code>${conflict.loadedEtag || '(none: never written)'}</code>.
      The stored policy now has etag <code>${cur.etag || '(none)'}</code>${cur.json.updateTime
        ? `, updated ${fmtTime(cur.json.updateTime)}` : ''}.
      Nothing was overwritten. The server said: <span class="problem-text">${conflict.message}</span></p>
    <p>What the stored policy has, against your edit (lines with "-" are only in the stored
      policy, lines with "+" only in yours):</p>
    <${DiffView} before=${cur.yaml} after=${mine} label="The stored policy against your edit" />
    <p class="changed-by">${conflict.author}</p>
    <p><button type="button" onClick=${onReload}>Reload the stored policy</button>
      <span class="muted"> (discards your edit; copy it first if you want to keep it)</span></p>
  </div>`;
}

export function Policy({ project }) {
  const [stored, setStored] = useState(null);
  const [loadError, setLoadError] = useState(null);
  const [editorValue, setEditorValue] = useState('');
  const [version, setVersion] = useState(0);
  const [text, setText] = useState('');
  const [problems, setProblems] = useState([]);
  const [review, setReview] = useState(null);
  const [conflict, setConflict] = useState(null);
  const [notice, setNotice] = useState('');
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  const view = useRef(null);

  async function load() {
    setLoadError(null);
    try {
      const s = storedOf(await getPolicy(project));
      setStored(s);
      setEditorValue(s.yaml);
      setVersion((n) => n + 1);
      setText(s.yaml);
      setProblems([]);
      setReview(null);
      setConflict(null);
      setFailure(null);
    } catch (e) {
      setLoadError(e);
    }
  }
  useEffect(() => { setStored(null); setNotice(''); load(); }, [project]);

  function onChange(t) {
    setText(t);
    setReview(null);
    setNotice('');
  }

  async function showConflict(message) {
    const current = storedOf(await getPolicy(project));
    // Who wrote the stored version, from the admin-activity log (never
    // throws: an unreadable log leaves the author unknown).
    const author = await policyChange(listEntries, project, current.etag);
    setConflict({ message, loadedEtag: stored.etag, current, author });
    setReview(null);
  }

  // Parse, then validate on the server; returns the body to save, or null.
  async function check() {
    setProblems([]);
    setFailure(null);
    setConflict(null);
    setNotice('');
    const parsed = parsePolicyYaml(text);
    if (parsed.errors.length) {
      setProblems(parsed.errors);
      return null;
    }
    const body = policyToSend(parsed.value, stored.etag);
    try {
      const validated = await putPolicy(project, body, true);
      const after = policyToYaml(validated);
      setReview({ forText: text, body, after });
      return body;
    } catch (e) {
      if (e.status === 'ABORTED') await showConflict(e.message);
      else if (e.status === 'INVALID_ARGUMENT') setProblems(locateServerError(parsed, e.message));
      else setFailure(e);
      return null;
    }
  }

  async function run(fn) {
    setBusy(true);
    try {
      await fn();
    } catch (e) {
      setFailure(e);
    } finally {
      setBusy(false);
    }
  }

  const onCheck = () => run(check);

  const onSave = () => run(async () => {
    const body = review && review.forText === text ? review.body : await check();
    if (!body) return;
    if (!stored.etag) {
      // A policy never written has no etag to check against: make sure
      // nobody wrote one meanwhile.
      const now = await getPolicy(project);
      if (now.etag) {
        await showConflict('the policy was written by someone else while you edited it');
        return;
      }
    }
    try {
      const saved = storedOf(await putPolicy(project, body));
      setStored(saved);
      setEditorValue(saved.yaml);
      setVersion((n) => n + 1);
      setText(saved.yaml);
      setReview(null);
      setNotice(`Saved. The stored policy now has etag ${saved.etag}.`);
    } catch (e) {
      if (e.status === 'ABORTED') await showConflict(e.message);
      else if (e.status === 'INVALID_ARGUMENT') setProblems(locateServerError(parsePolicyYaml(text), e.message));
      else setFailure(e);
    }
  });

  const onRevert = () => run(load);

  if (loadError) return html`<${PageTitle}>Policy<//><${ErrorBox} error=${loadError} title="Cannot read the policy." />`;
  if (!stored) return html`<${PageTitle}>Policy<//><${Loading} what="the policy" />`;
  return html`<${PageTitle}>Policy<//>
    <p class="lead">${stored.json.name || `projects/${project}/policy`}: ${stored.etag
      ? html`etag <code>${stored.etag}</code>, updated ${fmtTime(stored.json.updateTime)}`
      : 'never written; this is the default policy'}.</p>
    <p class="note">The policy in the format of <code>gcloud container binauthz policy export</code>.
      Edit it, check it (the server validates it and stores nothing), review the changes, then save.</p>
    <p class="editor-label">Policy (YAML)</p>
    <${YamlEditor} value=${editorValue} version=${version} onChange=${onChange} diagnostics=${problems}
      label="Policy (YAML)" viewRef=${view} />
    <div class="toolbar">
      <button type="button" onClick=${onCheck} disabled=${busy}>Check and review changes</button>
      <button type="button" class="primary" onClick=${onSave} disabled=${busy || !review || review.forText !== text}>Save</button>
      <button type="button" onClick=${onRevert} disabled=${busy}>Revert to the stored policy</button>
    </div>
    <div aria-live="polite" class="status-line">${notice ? html`<p class="ok">${notice}</p>` : null}</div>
    <${Problems} problems=${problems} view=${view} />
    <${ErrorBox} error=${failure} />
    ${conflict ? html`<${Conflict} conflict=${conflict} mine=${text} onReload=${load} />` : null}
    ${review && review.forText === text ? html`<section class="review" aria-labelledby="review-h">
      <h2 id="review-h">Changes to save</h2>
      <p>The server accepted the policy. Against the stored policy ("-" stored, "+" yours):</p>
      <${DiffView} before=${stored.yaml} after=${review.after} label="Changes against the stored policy" />
    </section>` : null}`;
}
