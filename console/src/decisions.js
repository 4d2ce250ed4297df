// Decisions: where they are found in audit entries and run resources, and
// how they are counted per hour and per day for the Overview chart.

export const OUTCOMES = ['ALLOW', 'DENY', 'ALLOW_DRYRUN', 'ALLOW_BREAKGLASS'];

export const OUTCOME_LABELS = {
  ALLOW: 'allow',
  DENY: 'deny',
  ALLOW_DRYRUN: 'dry-run pass',
  ALLOW_BREAKGLASS: 'breakglass',
};

const DECISION_LABEL = 'binaryauthorization.googleapis.com/decision';
export const BREAKGLASS_ANNOTATION = 'run.googleapis.com/binary-authorization-breakglass';
export const DECISION_ANNOTATION = 'run.googleapis.com/binary-authorization-decision';

// The outcome an audit entry records, or null (admin activity).
export function entryOutcome(entry) {
  const label = entry.labels && entry.labels[DECISION_LABEL];
  if (label) return label;
  const d = entry.protoPayload && entry.protoPayload.metadata && entry.protoPayload.metadata.decision;
  return (d && d.decision) || null;
}

// The decision JSON a revision or an execution records (an annotation
// holding compact JSON), or null.
export function recordedDecision(resource) {
  const text = resource.annotations && resource.annotations[DECISION_ANNOTATION];
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

// The first denied image and its reason, from a decision JSON: the
// one-line reason shown beside a denial.
export function denialOf(decision) {
  if (!decision || !Array.isArray(decision.images)) return null;
  const img = decision.images.find((i) => i.verdict === 'DENIED') || decision.images[0];
  return img ? { image: img.image || '', reason: img.reason || '' } : null;
}

const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;

// Count events [{time (ms), outcome}] into `count` buckets of one `unit`
// ('hour' or 'day', UTC), the last one holding `now`. Returns
// {starts: [seconds], counts: {OUTCOME: [n...]}} for every OUTCOME.
export function bucketize(events, unit, count, now) {
  const size = unit === 'day' ? DAY : HOUR;
  const last = Math.floor(now / size) * size;
  const first = last - (count - 1) * size;
  const starts = [];
  const counts = {};
  for (const o of OUTCOMES) counts[o] = new Array(count).fill(0);
  for (let i = 0; i < count; i++) starts.push((first + i * size) / 1000);
  for (const e of events) {
    if (!counts[e.outcome]) continue;
    const i = Math.floor((e.time - first) / size);
    if (i >= 0 && i < count) counts[e.outcome][i]++;
  }
  return { starts, counts };
}
