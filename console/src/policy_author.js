// Who changed the policy, and when: the admin-activity audit entry that
// wrote the stored version (docs/audit.md). vouchd logs every policy
// update with the stored policy as protoPayload.response, etag included,
// so the entry of a version is found by its etag; authenticationInfo says
// who the caller was. The conflict view shows it beside its reload offer.
// Reading the log is a separate permission (logging.logEntries.list): a
// caller without it, or any other failure, gets "unknown", never an
// error in place of the conflict.
import { firstEntries, quoteFilter as quote } from './api.js';
import { fmtTime } from './components.js';

export const UPDATE_POLICY =
  'google.cloud.binaryauthorization.v1.BinauthzManagementServiceV1.UpdatePolicy';

// The entries:list request for the entry that wrote version `etag` of the
// project's policy (the newest policy update when there is no etag).
export function policyChangeRequest(project, etag) {
  const terms = [
    `logName=${quote(`projects/${project}/logs/cloudaudit.googleapis.com%2Factivity`)}`,
    `protoPayload.methodName=${quote(UPDATE_POLICY)}`,
    `protoPayload.resourceName=${quote(`projects/${project}/policy`)}`,
  ];
  if (etag) terms.push(`protoPayload.response.etag=${quote(etag)}`);
  return {
    resourceNames: [`projects/${project}`],
    filter: terms.join(' AND '),
    orderBy: 'timestamp desc',
    pageSize: 1,
  };
}

// The principal of an entry as the log names it: the e-mail, else the
// principal:// subject, else '' (an anonymous caller, or a vouchd
// without authentication).
export function principalOf(entry) {
  const info = (entry && entry.protoPayload && entry.protoPayload.authenticationInfo) || {};
  return String(info.principalEmail || info.principalSubject || '');
}

// The answer of entries:list (or its error) as one sentence for the page.
export function describeChange(answer, error) {
  if (error) {
    if (error.http === 403) {
      return 'Who changed it is unknown: you may not read the audit log (logging.logEntries.list).';
    }
    return `Who changed it is unknown: the audit log could not be read (${error.status}: ${error.message}).`;
  }
  const entry = answer && answer.entries && answer.entries[0];
  if (!entry) return 'Who changed it is unknown: the audit log has no entry for this version.';
  const who = principalOf(entry);
  const when = fmtTime(entry.timestamp);
  return who ? `Changed by ${who} at ${when}.`
    : `Changed at ${when} by an unauthenticated caller (the audit log names no principal).`;
}

// Never throws: `list` is api.listEntries.
export async function policyChange(list, project, etag) {
  try {
    const entries = await firstEntries(list, policyChangeRequest(project, etag), 1);
    return describeChange({ entries }, null);
  } catch (e) {
    return describeChange(null, e);
  }
}
