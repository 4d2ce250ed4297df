// Attestations: every attestation (Container Analysis occurrence) for an
// image digest, and for each attestor of the project whether it verifies,
// with which key, or why not (validateAttestationOccurrence, asked once
// per signature so that each key gets its own answer).
import { useEffect, useState } from 'preact/hooks';
import {
  listAttestors, listOccurrences, quoteFilter, validateOccurrence,
} from '../api.js';
import {
  Empty, ErrorBox, Loading, PageTitle, TableWrap, fmtTime, html, pageHref, shortName, useAsync,
} from '../components.js';

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const REFERENCE = /^(?:https:\/\/)?[^\s@]+@sha256:[0-9a-f]{64}$/;

// "sha256:…" or "registry/path@sha256:…" -> {digest, reference}; null
// when the text is neither.
export function parseImage(text) {
  const t = text.trim();
  if (DIGEST.test(t)) return { digest: t, reference: '' };
  if (REFERENCE.test(t)) return { digest: t.slice(t.lastIndexOf('@') + 1), reference: t };
  return null;
}

const stripScheme = (u) => String(u || '').replace(/^https:\/\//, '');

async function findOccurrences(project, image) {
  if (image.reference) {
    return listOccurrences(project, `resourceUrl=${quoteFilter(stripScheme(image.reference))}`);
  }
  // The occurrence filter matches whole resource URLs only: for a bare
  // digest every attestation of the project is read and matched here.
  const all = await listOccurrences(project, 'kind="ATTESTATION"');
  return {
    items: all.items.filter((o) => stripScheme(o.resourceUri).endsWith(`@${image.digest}`)),
    truncated: all.truncated,
  };
}

function keyAlgorithm(attestor, keyId) {
  const k = ((attestor.userOwnedGrafeasNote && attestor.userOwnedGrafeasNote.publicKeys) || [])
    .find((x) => x.id === keyId);
  if (!k) return '';
  return k.pkixPublicKey ? k.pkixPublicKey.signatureAlgorithm : 'OpenPGP';
}

// One check per (attestor, signature): {attestor, keyId, result, reason}.
async function checkOccurrence(project, occ, attestors) {
  const att = occ.attestation || {};
  const mine = attestors.filter((a) => a.userOwnedGrafeasNote
    && a.userOwnedGrafeasNote.noteReference === occ.noteName);
  const sigs = att.signatures && att.signatures.length ? att.signatures.map((s) => [s]) : [undefined];
  const checks = [];
  for (const a of mine) {
    for (const sig of sigs) {
      const attestation = sig ? { serializedPayload: att.serializedPayload, signatures: sig } : att;
      const keyId = sig ? sig[0].publicKeyId || '' : '';
      try {
        const r = await validateOccurrence(project, shortName(a.name), {
          attestation, occurrenceNote: occ.noteName, occurrenceResourceUri: occ.resourceUri,
        });
        checks.push({
          attestor: a.name, keyId, algorithm: keyAlgorithm(a, keyId), result: r.result, reason: r.denialReason || '',
        });
      } catch (e) {
        checks.push({ attestor: a.name, keyId, algorithm: '', result: e.status || 'ERROR', reason: e.message });
      }
    }
  }
  return { occ, checks };
}

async function search(project, image) {
  const [occurrences, attestors] = await Promise.all([
    findOccurrences(project, image), listAttestors(project)]);
  const results = [];
  for (const occ of occurrences.items) results.push(await checkOccurrence(project, occ, attestors.items));
  // Attestors of the project with no attestation on their note for it.
  const notes = new Set(occurrences.items.map((o) => o.noteName));
  const silent = attestors.items.filter((a) => !notes.has(a.userOwnedGrafeasNote
    && a.userOwnedGrafeasNote.noteReference));
  return { results, silent, truncated: occurrences.truncated };
}

function Result({ project, r }) {
  const { occ } = r;
  return html`<article class="occurrence" aria-label=${`Attestation ${shortName(occ.name)}`}>
    <h3 class="mono wrap">${shortName(occ.name)}</h3>
    <dl class="props">
      <div><dt>Image</dt><dd class="mono wrap">${occ.resourceUri}</dd></div>
      <div><dt>Note</dt><dd class="mono wrap">${occ.noteName}</dd></div>
      <div><dt>Created</dt><dd>${fmtTime(occ.createTime)}</dd></div>
      <div><dt>Signatures</dt><dd>${((occ.attestation && occ.attestation.signatures) || []).length}</dd></div>
    </dl>
    ${r.checks.length === 0 ? html`<p class="warn">No attestor of project ${project} uses note${' '}
      ${occ.noteName}: no attestor here can verify this attestation.</p>` : html`
    <${TableWrap} label="Verification by attestor and key">
      <table class="checks stack">
        <thead><tr><th scope="col">Attestor</th><th scope="col">Key id (signature)</th>
          <th scope="col">Result</th><th scope="col">Why</th></tr></thead>
        <tbody>${r.checks.map((c) => html`<tr>
          <td data-label="Attestor"><a href=${pageHref('attestors', { project, attestor: shortName(c.attestor) })}>${shortName(c.attestor)}</a></td>
          <td class="mono wrap" data-label="Key id">${c.keyId}${c.algorithm ? html` <span class="muted">(${c.algorithm})</span>` : null}</td>
          <td data-label="Result">${c.result === 'VERIFIED' ? html`<span class="badge badge-allow">verified</span>`
            : html`<span class="badge badge-deny">${c.result === 'ATTESTATION_NOT_VERIFIABLE' ? 'not verified' : c.result}</span>`}</td>
          <td data-label="Why">${c.result === 'VERIFIED' ? `signed by key ${c.keyId || '(jwt)'} of ${shortName(c.attestor)}` : c.reason}</td>
        </tr>`)}</tbody>
      </table>
    <//>`}
  </article>`;
}

function Results({ project, image }) {
  const state = useAsync(() => search(project, image), [project, image.digest, image.reference]);
  if (state.loading) return html`<${Loading} what="attestations" />`;
  if (state.error) return html`<${ErrorBox} error=${state.error} />`;
  const found = state.data;
  const verified = new Set(found.results.flatMap((r) => r.checks.filter((c) => c.result === 'VERIFIED').map((c) => c.attestor)));
  return html`<section aria-labelledby="results-h">
    <h2 id="results-h">${found.results.length} ${found.results.length === 1 ? 'attestation' : 'attestations'} for${' '}
      <span class="mono wrap">${image.reference || image.digest}</span></h2>
    ${found.truncated ? html`<p class="warn">Only the first 10,000 occurrences were searched.</p>` : null}
    <p>Verified by: ${verified.size ? [...verified].map(shortName).join(', ') : html`<strong>no attestor</strong>`}.${' '}
      <a href=${pageHref('audit', { project, filter: quoteFilter(image.digest) })}>Audit entries for this digest</a></p>
    ${found.results.map((r) => html`<${Result} project=${project} r=${r} />`)}
    ${found.silent.length ? html`<p class="note">No attestation for this image on the note of:${' '}
      ${found.silent.map((a) => shortName(a.name)).join(', ')}.</p>` : null}
    ${found.results.length === 0 ? html`<${Empty}>No attestation in project ${project} names this digest.<//>` : null}
  </section>`;
}

export function Attestations({ project, params, navigate }) {
  const initial = params.get('image') || '';
  const [text, setText] = useState(initial);
  const [error, setError] = useState('');
  useEffect(() => setText(initial), [initial]);
  const image = initial ? parseImage(initial) : null;
  function submit(ev) {
    ev.preventDefault();
    if (!parseImage(text)) {
      setError('Enter a digest (sha256: and 64 hex digits) or a reference by digest (registry/path@sha256:…).');
      return;
    }
    setError('');
    navigate('attestations', { image: text.trim() });
  }
  return html`<${PageTitle}>Attestations<//>
    <form class="search" onSubmit=${submit} role="search">
      <label for="image-q">Image digest or reference by digest</label>
      <div class="search-row">
        <input id="image-q" type="search" class="mono" value=${text} spellcheck="false"
          aria-describedby=${error ? 'image-q-error' : undefined} aria-invalid=${error ? 'true' : undefined}
          placeholder="sha256:… or registry/path@sha256:…" onInput=${(e) => setText(e.currentTarget.value)} />
        <button type="submit" class="primary">Search</button>
      </div>
      ${error ? html`<p id="image-q-error" class="error" role="alert">${error}</p>` : null}
    </form>
    ${image ? html`<${Results} project=${project} image=${image} />`
      : initial ? html`<p class="error" role="alert">Not a digest or a reference by digest: ${initial}</p>` : null}`;
}
