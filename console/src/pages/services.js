// Services and jobs: every revision and execution with the image digests
// it was admitted with, the decision, the deny reason, and breakglass
// justifications highlighted.
import { useEffect, useRef, useState } from 'preact/hooks';
import {
  Badge, Breakglass, Empty, ErrorBox, Loading, PageTitle, TableWrap, fmtTime, html, pageHref, shortName, useAsync,
} from '../components.js';
import { admissionOf, imagesOf, loadRuns } from '../runs.js';

function Images({ project, images }) {
  return html`<ul class="images">${images.map((img) => html`<li>
    <a class="mono wrap" href=${pageHref('attestations', { project, image: img })}
      title="Attestations for this image">${img}</a></li>`)}</ul>`;
}

function AdmissionCells({ r }) {
  const a = admissionOf(r);
  return html`
    <td data-label="Decision"><${Badge} outcome=${a.outcome} /></td>
    <td class="reason-cell" data-label="Reason">${a.breakglass ? html`<${Breakglass} text=${a.breakglass} />` : null}
      ${a.reason ? html`<span class="deny-reason">${a.reason}</span>`
        : a.failure ? html`<span>${a.failure}</span>` : null}</td>`;
}

function ready(r) {
  const c = (r.conditions || []).find((x) => x.type === 'Ready' || x.type === 'Completed');
  if (!c) return '';
  return c.state === 'CONDITION_SUCCEEDED' ? 'yes' : c.state === 'CONDITION_FAILED' ? 'no' : c.state.replace('CONDITION_', '').toLowerCase();
}

function useFocusTarget(matches) {
  const ref = useRef(null);
  useEffect(() => {
    if (matches && ref.current) {
      ref.current.scrollIntoView({ block: 'start' });
      ref.current.focus();
    }
  }, [matches]);
  return ref;
}

// Who deployed a revision or started an execution (docs/run.md "Who
// deployed"); nobody is named when vouchd has no auth config.
function By({ who }) {
  return who ? html`<span class="muted by">by ${who}</span>` : null;
}

function Service({ project, s, focus }) {
  const id = shortName(s.name);
  const ref = useFocusTarget(focus);
  return html`<article class=${`run ${focus ? 'target' : ''}`} aria-labelledby=${`svc-${s.location}-${id}`}>
    <h3 id=${`svc-${s.location}-${id}`} tabindex="-1" ref=${ref}>Service ${id}
      <span class="muted"> · ${s.location}</span></h3>
    <p class="muted wrap">${s.uri || ''}${s.latestReadyRevision ? ` · serving ${shortName(s.latestReadyRevision)}` : ''}</p>
    ${s.revisions.length === 0 ? html`<${Empty}>No revisions.<//>` : html`
    <${TableWrap} label=${`Revisions of ${id}`}>
      <table class="runs stack">
        <thead><tr><th scope="col">Revision</th><th scope="col">Created</th><th scope="col">Ready</th>
          <th scope="col">Images</th><th scope="col">Decision</th><th scope="col">Reason</th></tr></thead>
        <tbody>${s.revisions.map((r) => html`<tr>
          <td class="mono nowrap" data-label="Revision">${shortName(r.name)}</td>
          <td class="nowrap" data-label="Created">${fmtTime(r.createTime)}<${By} who=${r.creator} /></td>
          <td data-label="Ready">${ready(r)}</td>
          <td class="images-cell" data-label="Images"><${Images} project=${project} images=${imagesOf(r)} /></td>
          <${AdmissionCells} r=${r} />
        </tr>`)}</tbody>
      </table>
    <//>`}
  </article>`;
}

function Job({ project, j, focus }) {
  const id = shortName(j.name);
  const ref = useFocusTarget(focus);
  return html`<article class=${`run ${focus ? 'target' : ''}`} aria-labelledby=${`job-${j.location}-${id}`}>
    <h3 id=${`job-${j.location}-${id}`} tabindex="-1" ref=${ref}>Job ${id}
      <span class="muted"> · ${j.location}</span></h3>
    ${j.executions.length === 0 ? html`<${Empty}>Never executed.<//>` : html`
    <${TableWrap} label=${`Executions of ${id}`}>
      <table class="runs stack">
        <thead><tr><th scope="col">Execution</th><th scope="col">Created</th><th scope="col">Completed</th>
          <th scope="col">Images</th><th scope="col">Decision</th><th scope="col">Reason</th></tr></thead>
        <tbody>${j.executions.map((e) => html`<tr>
          <td class="mono nowrap" data-label="Execution">${shortName(e.name)}</td>
          <td class="nowrap" data-label="Created">${fmtTime(e.createTime)}<${By} who=${e.creator} /></td>
          <td data-label="Completed">${ready(e)}</td>
          <td class="images-cell" data-label="Images"><${Images} project=${project} images=${imagesOf(e)} /></td>
          <${AdmissionCells} r=${e} />
        </tr>`)}</tbody>
      </table>
    <//>`}
  </article>`;
}

export function Services({ project, params, navigate }) {
  const only = params.get('location') || '';
  const focusService = params.get('service') || '';
  const focusJob = params.get('job') || '';
  const state = useAsync(() => loadRuns(project, only), [project, only]);
  const [loc, setLoc] = useState(only);
  useEffect(() => setLoc(only), [only]);
  const d = state.data;
  const matches = (x, want) => Boolean(want) && shortName(x.name) === want;
  return html`<${PageTitle}>Services and jobs<//>
    <form class="search inline" onSubmit=${(e) => { e.preventDefault(); navigate('services', { location: loc.trim() }); }}>
      <label for="loc-q">Location</label>
      <div class="search-row">
        <input id="loc-q" type="text" value=${loc} placeholder="every location"
          onInput=${(e) => setLoc(e.currentTarget.value)} />
        <button type="submit">Show</button>
      </div>
    </form>
    ${state.loading && !d ? html`<${Loading} what="services and jobs" />` : null}
    <${ErrorBox} error=${state.error} />
    ${d ? html`
      <p class="lead">${only ? `Location ${only}` : `Locations: ${d.locations.length ? d.locations.join(', ') : 'none yet'}`}.</p>
      <section aria-labelledby="svc-h">
        <h2 id="svc-h">Services (${d.services.length})</h2>
        ${d.services.length === 0 ? html`<${Empty}>No services.<//>` : d.services.map(
          (s) => html`<${Service} key=${s.name} project=${project} s=${s} focus=${matches(s, focusService)} />`)}
      </section>
      <section aria-labelledby="job-h">
        <h2 id="job-h">Jobs (${d.jobs.length})</h2>
        ${d.jobs.length === 0 ? html`<${Empty}>No jobs.<//>` : d.jobs.map(
          (j) => html`<${Job} key=${j.name} project=${project} j=${j} focus=${matches(j, focusJob)} />`)}
      </section>` : null}`;
}
