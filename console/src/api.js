// The REST API of vouchd, as every other client calls it (docs/api.md,
// docs/run.md, docs/audit.md). The console adds no data routes of its own.

const TOKEN_KEY = 'vouch.console.token';

// The token lives in sessionStorage: it is kept until the tab closes and
// is never written anywhere else.
export function getToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || '';
  } catch {
    return '';
  }
}

export function setToken(token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

// An error answer in Google's shape: {"error": {code, message, status}}.
export class ApiError extends Error {
  constructor(http, status, message) {
    super(message);
    this.http = http;
    this.status = status;
  }
}

const seg = encodeURIComponent;

export async function call(method, path, body) {
  const headers = { Accept: 'application/json' };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let resp;
  try {
    resp = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch (e) {
    throw new ApiError(0, 'UNAVAILABLE', `vouchd did not answer: ${e.message}`);
  }
  const text = await resp.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = null;
  }
  if (!resp.ok) {
    const e = json && json.error;
    throw new ApiError(resp.status, (e && e.status) || `HTTP ${resp.status}`,
      (e && e.message) || text.slice(0, 500));
  }
  if (json === null) throw new ApiError(resp.status, 'INTERNAL', 'the answer is not JSON');
  return json;
}

// Every item of a paged list (pageSize/pageToken), at most `cap` of them.
export async function listAll(path, key, cap = 10000) {
  const items = [];
  let token = '';
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page = await call('GET', `${path}${sep}pageSize=1000${token ? `&pageToken=${seg(token)}` : ''}`);
    items.push(...(page[key] || []));
    token = page.nextPageToken || '';
  } while (token && items.length < cap);
  return { items, truncated: Boolean(token) };
}

// Up to `count` entries of an entries:list request, in its order. vouchd
// bounds the work of one request, so a page may come back short (even
// empty) with a token to go on: follow it, at most `maxPages` requests.
// `list` is listEntries (a parameter, so that tests can give their own).
export async function firstEntries(list, body, count, maxPages = 10) {
  const entries = [];
  let pageToken;
  let pages = 0;
  do {
    const r = await list(pageToken ? { ...body, pageToken } : body);
    entries.push(...(r.entries || []).slice(0, count - entries.length));
    pageToken = r.nextPageToken;
    pages++;
  } while (pageToken && entries.length < count && pages < maxPages);
  return entries;
}

/* ---- Resource Manager v1, Cloud Run v1 locations ---- */

export async function listProjects() {
  const r = await call('GET', '/v1/projects');
  return (r.projects || []).map((p) => p.projectId);
}

export async function listLocations(project) {
  const r = await call('GET', `/v1/projects/${seg(project)}/locations`);
  return (r.locations || []).map((l) => l.locationId);
}

/* ---- Binary Authorization v1 ---- */

export const getPolicy = (p) => call('GET', `/v1/projects/${seg(p)}/policy`);

// validateOnly is a vouch extension: validate, store nothing, answer the
// policy as it would be stored (or the error).
export const putPolicy = (p, policy, validateOnly = false) =>
  call('PUT', `/v1/projects/${seg(p)}/policy${validateOnly ? '?validateOnly=true' : ''}`, policy);

export const listAttestors = (p) => listAll(`/v1/projects/${seg(p)}/attestors`, 'attestors');
export const getAttestor = (p, a) => call('GET', `/v1/projects/${seg(p)}/attestors/${seg(a)}`);
export const putAttestor = (p, a, body) => call('PUT', `/v1/projects/${seg(p)}/attestors/${seg(a)}`, body);
export const validateOccurrence = (p, a, body) =>
  call('POST', `/v1/projects/${seg(p)}/attestors/${seg(a)}:validateAttestationOccurrence`, body);

/* ---- Container Analysis v1 ---- */

// Filter terms quote their value with \" and \\ escaped (docs/api.md).
export const quoteFilter = (v) => `"${String(v).replace(/[\\"]/g, (c) => `\\${c}`)}"`;

export const listOccurrences = (p, filter) =>
  listAll(`/v1/projects/${seg(p)}/occurrences${filter ? `?filter=${seg(filter)}` : ''}`, 'occurrences');

/* ---- Cloud Run Admin v2 ---- */

const loc = (p, l) => `/v2/projects/${seg(p)}/locations/${seg(l)}`;
export const listServices = (p, l) => listAll(`${loc(p, l)}/services`, 'services');
export const listRevisions = (p, l, s) => listAll(`${loc(p, l)}/services/${seg(s)}/revisions`, 'revisions');
export const listJobs = (p, l) => listAll(`${loc(p, l)}/jobs`, 'jobs');
export const listExecutions = (p, l, j) => listAll(`${loc(p, l)}/jobs/${seg(j)}/executions`, 'executions');

/* ---- Cloud Logging v2 ---- */

export const listEntries = (body) => call('POST', '/v2/entries:list', body);

/* ---- Continuous validation (docs/run.md) ---- */

// The lists of services and jobs with ?showConformance=true (a vouch
// extension) check every serving revision and job template against the
// current policy, as a deploy would, and say on each item which do not
// conform. Counted here for the project's every location:
// {services, jobs, revisions}.
export async function nonConformanceCounts(project) {
  const counts = { services: 0, jobs: 0, revisions: 0 };
  for (const l of await listLocations(project)) {
    const [services, jobs] = await Promise.all([
      listAll(`${loc(project, l)}/services?showConformance=true`, 'services'),
      listAll(`${loc(project, l)}/jobs?showConformance=true`, 'jobs'),
    ]);
    for (const s of services.items) {
      const c = s.conformance;
      if (c && !c.conforming) {
        counts.services += 1;
        counts.revisions += (c.nonConformingRevisions || []).length;
      }
    }
    for (const j of jobs.items) {
      if (j.conformance && !j.conformance.conforming) counts.jobs += 1;
    }
  }
  return counts;
}
