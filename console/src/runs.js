// The run platform of one project, read through Cloud Run Admin v2:
// services with their revisions and jobs with their executions, in every
// location that holds any (Cloud Run v1 locations list).
import { listExecutions, listJobs, listLocations, listRevisions, listServices } from './api.js';
import { BREAKGLASS_ANNOTATION, denialOf, recordedDecision } from './decisions.js';
import { shortName } from './components.js';

// The images a revision or an execution was admitted with (digests).
export function imagesOf(resource) {
  const containers = resource.containers || (resource.template && resource.template.containers) || [];
  return containers.map((c) => c.image).filter(Boolean);
}

// What a revision or execution says about its admission.
export function admissionOf(resource) {
  const decision = recordedDecision(resource);
  const annotations = resource.annotations || {};
  const failed = (resource.conditions || []).find((c) => c.state === 'CONDITION_FAILED');
  let outcome = decision ? decision.decision : null;
  if (!outcome && failed && /UNAUTHORIZED|AUTHORIZATION/.test(failed.reason || '')) outcome = 'DENY';
  const denial = outcome === 'DENY' ? denialOf(decision) : null;
  return {
    outcome,
    decision,
    reason: (denial && denial.reason) || (failed && outcome === 'DENY' ? failed.message : ''),
    failure: failed ? failed.message || failed.reason || '' : '',
    breakglass: annotations[BREAKGLASS_ANNOTATION] || '',
  };
}

const byCreateTimeDesc = (a, b) => String(b.createTime).localeCompare(String(a.createTime));

export async function loadLocation(project, location) {
  const [services, jobs] = await Promise.all([
    listServices(project, location), listJobs(project, location)]);
  const svc = await Promise.all(services.items.map(async (s) => {
    const revs = await listRevisions(project, location, shortName(s.name));
    return { ...s, location, revisions: revs.items.sort(byCreateTimeDesc) };
  }));
  const jb = await Promise.all(jobs.items.map(async (j) => {
    const execs = await listExecutions(project, location, shortName(j.name));
    return { ...j, location, executions: execs.items.sort(byCreateTimeDesc) };
  }));
  return { services: svc, jobs: jb };
}

// The services and jobs of location `only`, or of every location that
// holds any.
export async function loadRuns(project, only) {
  const locations = only ? [only] : await listLocations(project);
  const parts = await Promise.all(locations.map((l) => loadLocation(project, l)));
  return {
    locations,
    services: parts.flatMap((p) => p.services),
    jobs: parts.flatMap((p) => p.jobs),
  };
}
