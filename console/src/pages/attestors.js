// Attestors: the list, one attestor's details and keys (algorithm, key
// id, fingerprint), and adding or removing a key (PUT with the etag of
// the version shown, so a concurrent change is refused, not overwritten).
import { useEffect, useState } from 'preact/hooks';
import { getAttestor, listAttestors, putAttestor } from '../api.js';
import {
  Empty, ErrorBox, Loading, PageTitle, TableWrap, fmtTime, html, pageHref, shortName, useAsync,
} from '../components.js';

export const ALGORITHMS = [
  'ECDSA_P256_SHA256', 'ECDSA_P384_SHA384', 'ECDSA_P521_SHA512',
  'RSA_PSS_2048_SHA256', 'RSA_PSS_3072_SHA256', 'RSA_PSS_4096_SHA256', 'RSA_PSS_4096_SHA512',
  'RSA_SIGN_PKCS1_2048_SHA256', 'RSA_SIGN_PKCS1_3072_SHA256', 'RSA_SIGN_PKCS1_4096_SHA256',
  'RSA_SIGN_PKCS1_4096_SHA512',
];

const keysOf = (a) => (a.userOwnedGrafeasNote && a.userOwnedGrafeasNote.publicKeys) || [];
const noteOf = (a) => (a.userOwnedGrafeasNote && a.userOwnedGrafeasNote.noteReference) || '';

function algorithmOf(key) {
  if (key.pkixPublicKey) return key.pkixPublicKey.signatureAlgorithm || '(unspecified)';
  if (key.asciiArmoredPgpPublicKey) return 'OpenPGP';
  return '(unknown)';
}

const hexPairs = (bytes) => [...bytes].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');

function pemBytes(pem) {
  const body = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  const bin = atob(body);
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

// SHA-256 of the key (PKIX: of its DER SubjectPublicKeyInfo); OpenPGP
// keys are known by their fingerprint, which is their id.
async function fingerprintOf(key) {
  if (key.asciiArmoredPgpPublicKey) {
    return key.id ? `OpenPGP ${key.id.replace(/(.{4})/g, '$1 ').trim()}` : '';
  }
  const pem = key.pkixPublicKey && key.pkixPublicKey.publicKeyPem;
  if (!pem) return '';
  try {
    if (globalThis.crypto && crypto.subtle) {
      const digest = await crypto.subtle.digest('SHA-256', pemBytes(pem));
      return `SHA-256 ${hexPairs(new Uint8Array(digest))}`;
    }
  } catch {
    /* not a PEM the browser can read: fall through */
  }
  const m = /^ni:\/\/\/sha-256;([A-Za-z0-9_-]+)$/.exec(key.id || '');
  if (!m) return '';
  const b64 = m[1].replace(/-/g, '+').replace(/_/g, '/');
  return `SHA-256 ${hexPairs(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)))}`;
}

function KeyRow({ k, onRemove, busy }) {
  const [fp, setFp] = useState('');
  const [confirming, setConfirming] = useState(false);
  useEffect(() => { fingerprintOf(k).then(setFp); }, [k]);
  return html`<tr>
    <td data-label="Algorithm">${algorithmOf(k)}</td>
    <td class="mono wrap" data-label="Key id">${k.id || ''}</td>
    <td class="mono wrap" data-label="Fingerprint">${fp}</td>
    <td data-label="Comment">${k.comment || ''}</td>
    <td>${confirming ? html`
      <span>Remove this key? </span>
      <button type="button" class="danger" disabled=${busy} onClick=${() => onRemove(k)}>Confirm removal</button>
      <button type="button" onClick=${() => setConfirming(false)}>Cancel</button>`
    : html`<button type="button" disabled=${busy} aria-label=${`Remove key ${k.id || ''}`}
        onClick=${() => setConfirming(true)}>Remove</button>`}</td>
  </tr>`;
}

function AddKey({ onAdd, busy }) {
  const [pem, setPem] = useState('');
  const [alg, setAlg] = useState(ALGORITHMS[0]);
  const [id, setId] = useState('');
  const [comment, setComment] = useState('');
  const pgp = /BEGIN PGP PUBLIC KEY BLOCK/.test(pem);
  async function submit(ev) {
    ev.preventDefault();
    const key = pgp ? { asciiArmoredPgpPublicKey: pem }
      : { pkixPublicKey: { publicKeyPem: pem, signatureAlgorithm: alg } };
    if (id.trim()) key.id = id.trim();
    if (comment.trim()) key.comment = comment.trim();
    if (await onAdd(key)) {
      setPem('');
      setId('');
      setComment('');
    }
  }
  return html`<form class="add-key" onSubmit=${submit}>
    <h3>Add a key</h3>
    <div class="field"><label for="key-pem">Public key (PEM, or an armored OpenPGP key)</label>
      <textarea id="key-pem" rows="6" required value=${pem} onInput=${(e) => setPem(e.currentTarget.value)}></textarea></div>
    <div class="field-row">
      <div class="field"><label for="key-alg">Signature algorithm</label>
        <select id="key-alg" value=${alg} disabled=${pgp} onChange=${(e) => setAlg(e.currentTarget.value)}>
          ${ALGORITHMS.map((a) => html`<option value=${a}>${a}</option>`)}
        </select></div>
      <div class="field"><label for="key-id">Key id (optional)</label>
        <input id="key-id" type="text" value=${id} onInput=${(e) => setId(e.currentTarget.value)} /></div>
      <div class="field"><label for="key-comment">Comment (optional)</label>
        <input id="key-comment" type="text" value=${comment} onInput=${(e) => setComment(e.currentTarget.value)} /></div>
    </div>
    <button type="submit" class="primary" disabled=${busy}>Add key</button>
  </form>`;
}

function AttestorDetail({ project, id, onChanged }) {
  const state = useAsync(() => getAttestor(project, id), [project, id]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState('');
  const [conflict, setConflict] = useState('');
  useEffect(() => { setError(null); setNotice(''); setConflict(''); }, [project, id]);

  // PUT the attestor with `keys`, against the etag of the version shown.
  async function save(keys, done) {
    setBusy(true);
    setError(null);
    setNotice('');
    setConflict('');
    const a = state.data;
    const body = { ...a, userOwnedGrafeasNote: { ...a.userOwnedGrafeasNote, publicKeys: keys } };
    try {
      await putAttestor(project, id, body);
      setNotice(done);
      state.reload();
      onChanged();
      return true;
    } catch (e) {
      if (e.status === 'ABORTED') setConflict(e.message);
      else setError(e);
      return false;
    } finally {
      setBusy(false);
    }
  }

  if (state.loading && !state.data) return html`<${Loading} what="the attestor" />`;
  if (state.error) return html`<${ErrorBox} error=${state.error} />`;
  const a = state.data;
  const keys = keysOf(a);
  return html`<section class="detail" aria-labelledby="attestor-h">
    <h2 id="attestor-h">Attestor ${shortName(a.name)}</h2>
    <dl class="props">
      <div><dt>Name</dt><dd class="mono wrap">${a.name}</dd></div>
      <div><dt>Description</dt><dd class="attestor-description">${a.description || ''}</dd></div>
      <div><dt>Note</dt><dd class="mono wrap">${noteOf(a)}</dd></div>
      <div><dt>Updated</dt><dd>${fmtTime(a.updateTime)} (etag <code>${a.etag || ''}</code>)</dd></div>
    </dl>
    <h3>Keys</h3>
    ${keys.length === 0 ? html`<${Empty}>This attestor has no keys: nothing it signs can verify.<//>` : html`
    <${TableWrap} label="Keys of the attestor">
      <table class="keys stack">
        <thead><tr><th scope="col">Algorithm</th><th scope="col">Key id</th><th scope="col">Fingerprint</th>
          <th scope="col">Comment</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
        <tbody>${keys.map((k, i) => html`<${KeyRow} key=${k.id || i} k=${k} busy=${busy}
          onRemove=${(gone) => save(keys.filter((x) => x !== gone), `Key ${gone.id || ''} removed.`)} />`)}</tbody>
      </table>
    <//>`}
    <div aria-live="polite" class="status-line">${notice ? html`<p class="ok">${notice}</p>` : null}</div>
    <${ErrorBox} error=${error} />
    ${conflict ? html`<div class="conflict" role="alert">
      <p><strong>Not saved: the attestor was changed since it was loaded.</strong> Nothing was
        overwritten. The server said: ${conflict}</p>
      <button type="button" onClick=${() => { setConflict(''); state.reload(); }}>Reload the attestor</button>
    </div>` : null}
    <${AddKey} busy=${busy} onAdd=${(k) => save([...keys, k], 'Key added.')} />
  </section>`;
}

export function Attestors({ project, params }) {
  const list = useAsync(() => listAttestors(project), [project]);
  const selected = params.get('attestor') || '';
  const items = list.data ? list.data.items : [];
  return html`<${PageTitle}>Attestors<//>
    ${list.loading && !list.data ? html`<${Loading} what="the attestors" />` : null}
    <${ErrorBox} error=${list.error} />
    ${list.data && items.length === 0 ? html`<${Empty}>No attestors in project ${project}.<//>` : null}
    ${items.length ? html`<${TableWrap} label="Attestors">
      <table class="attestors stack">
        <thead><tr><th scope="col">Attestor</th><th scope="col">Description</th><th scope="col">Note</th>
          <th scope="col">Keys</th><th scope="col">Updated</th></tr></thead>
        <tbody>${items.map((a) => {
          const id = shortName(a.name);
          return html`<tr class=${id === selected ? 'selected' : ''}>
            <td data-label="Attestor"><a href=${pageHref('attestors', { project, attestor: id })}
              aria-current=${id === selected ? 'true' : undefined}>${id}</a></td>
            <td class="attestor-description" data-label="Description">${a.description || ''}</td>
            <td class="mono wrap" data-label="Note">${noteOf(a)}</td>
            <td data-label="Keys">${keysOf(a).length}</td>
            <td class="nowrap" data-label="Updated">${fmtTime(a.updateTime)}</td>
          </tr>`;
        })}</tbody>
      </table>
    <//>` : null}
    ${selected ? html`<${AttestorDetail} project=${project} id=${selected} onChanged=${list.reload} />`
      : items.length ? html`<p class="note">Choose an attestor to see its keys.</p>` : null}`;
}
