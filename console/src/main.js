// The vouch console: the shell (project switcher, access token, page
// navigation) and a hash router: "#/PAGE?project=P&…". Every page reads
// the REST API that vouchd serves to every client.
import './app.css';
import 'uplot/dist/uPlot.min.css';
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { getToken, listProjects, setToken } from './api.js';
import { ErrorBox, html, markNavigated, pageHref } from './components.js';
import { Attestations } from './pages/attestations.js';
import { Attestors } from './pages/attestors.js';
import { Audit } from './pages/audit.js';
import { Overview } from './pages/overview.js';
import { Policy } from './pages/policy.js';
import { Services } from './pages/services.js';

const PAGES = [
  ['overview', 'Overview', Overview],
  ['policy', 'Policy', Policy],
  ['attestors', 'Attestors', Attestors],
  ['attestations', 'Attestations', Attestations],
  ['services', 'Services and jobs', Services],
  ['audit', 'Audit log', Audit],
];

function parseHash() {
  const m = /^#\/([a-z]+)(?:\?(.*))?$/.exec(window.location.hash);
  const page = m && PAGES.some(([id]) => id === m[1]) ? m[1] : 'overview';
  return { page, params: new URLSearchParams(m ? m[2] || '' : '') };
}

function useRoute() {
  const [route, setRoute] = useState(parseHash);
  useEffect(() => {
    const on = () => {
      markNavigated();
      setRoute(parseHash());
    };
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

function ProjectSwitcher({ project, projects, onSwitch }) {
  const [other, setOther] = useState('');
  const list = projects.includes(project) || !project ? projects : [project, ...projects];
  return html`<div class="project-switcher">
    <label for="project-select">Project</label>
    <select id="project-select" value=${project} onChange=${(e) => onSwitch(e.currentTarget.value)}>
      ${project ? null : html`<option value="">(choose)</option>`}
      ${list.map((p) => html`<option value=${p}>${p}</option>`)}
    </select>
    <form class="other-project" onSubmit=${(e) => { e.preventDefault(); if (other.trim()) onSwitch(other.trim()); setOther(''); }}>
      <label for="project-other" class="sr-only">Another project id</label>
      <input id="project-other" type="text" placeholder="another project id" value=${other}
        onInput=${(e) => setOther(e.currentTarget.value)} />
      <button type="submit">Open</button>
    </form>
  </div>`;
}

// onChange: the token was set or forgotten (pages read again with it).
function TokenField({ onChange }) {
  const [value, setValue] = useState('');
  const [has, setHas] = useState(Boolean(getToken()));
  function save(e) {
    e.preventDefault();
    setToken(value.trim());
    setHas(Boolean(value.trim()));
    setValue('');
    onChange();
  }
  function clear() {
    setToken('');
    setHas(false);
    onChange();
  }
  return html`<details class="token">
    <summary>Access token: ${has ? 'set for this tab' : 'none'}</summary>
    <form onSubmit=${save}>
      <label for="token-input">Bearer token (kept until this tab closes)</label>
      <input id="token-input" type="password" autocomplete="off" value=${value}
        onInput=${(e) => setValue(e.currentTarget.value)} />
      <button type="submit">Use token</button>
      ${has ? html`<button type="button" onClick=${clear}>Forget token</button>` : null}
      <p class="note">Without a token the console works against vouchd's loopback default.</p>
    </form>
  </details>`;
}

function App() {
  const { page, params } = useRoute();
  const [projects, setProjects] = useState(null);
  const [projectsError, setProjectsError] = useState(null);
  const [tokenVersion, setTokenVersion] = useState(0);
  const main = useRef(null);
  const project = params.get('project') || '';

  function go(to, extra = {}, proj = project) {
    window.location.hash = pageHref(to, { project: proj, ...extra });
  }

  useEffect(() => {
    setProjectsError(null);
    listProjects().then((ps) => {
      setProjects(ps);
      if (!project && ps.length) window.location.replace(pageHref(page, { project: ps[0] }));
    }, (e) => { setProjects([]); setProjectsError(e); });
  }, [tokenVersion]);

  useEffect(() => {
    const title = PAGES.find(([id]) => id === page)[1];
    document.title = `${title}${project ? ` · ${project}` : ''} · vouch`;
  }, [page, project]);

  const Page = PAGES.find(([id]) => id === page)[2];
  return html`
    <button type="button" class="skip" onClick=${() => main.current && main.current.focus()}>Skip to content</button>
    <header class="top">
      <a class="brand" href=${pageHref('overview', { project })}>vouch <span>console</span></a>
      <${ProjectSwitcher} project=${project} projects=${projects || []} onSwitch=${(p) => go(page, {}, p)} />
      <${TokenField} onChange=${() => setTokenVersion((v) => v + 1)} />
    </header>
    <nav class="pages" aria-label="Pages">
      <ul>${PAGES.map(([id, label]) => html`<li>
        <a href=${pageHref(id, { project })} aria-current=${id === page ? 'page' : undefined}>${label}</a></li>`)}</ul>
    </nav>
    <main id="main" tabindex="-1" ref=${main}>
      <${ErrorBox} error=${projectsError} title="Cannot list the projects." />
      ${project ? html`<${Page} key=${`${page}/${project}/${tokenVersion}`} project=${project} params=${params}
          navigate=${(to, extra) => go(to, extra)} />`
        : projects === null ? html`<p role="status">Loading the projects…</p>`
          : html`<h1>No project yet</h1><p>No project holds a policy, an attestor, a note, a service or a
            job yet. Type a project id above to open one.</p>`}
    </main>`;
}

render(html`<${App} />`, document.getElementById('app'));
