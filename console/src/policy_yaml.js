// The policy as gcloud YAML, and the way back from the server's field
// paths to positions in that YAML.
//
// The policy API takes JSON. The page parses the editor's YAML with the
// `yaml` package and its LineCounter, so a syntax error is shown at its
// line and column before anything is sent; the server's validation errors
// name field paths (defaultAdmissionRule.evaluationMode,
// admissionWhitelistPatterns[2].namePattern,
// clusterAdmissionRules["us-east1-a.prod"].requireAttestationsBy[0]),
// which are looked up in the parsed document to find their position.
import { LineCounter, isMap, isScalar, isSeq, parseDocument, stringify } from 'yaml';

// The policy's top-level fields: a path in an error message starts with
// one of them.
const TOP_FIELDS = [
  'admissionWhitelistPatterns', 'defaultAdmissionRule', 'clusterAdmissionRules',
  'kubernetesNamespaceAdmissionRules', 'kubernetesServiceAccountAdmissionRules',
  'istioServiceIdentityAdmissionRules', 'globalPolicyEvaluationMode',
];
const SEGMENTS = String.raw`(?:\.[A-Za-z_][\w]*|\[\d+\]|\["[^"]*"\])*`;
const TOP_PATH = new RegExp(String.raw`\b(?:${TOP_FIELDS.join('|')})${SEGMENTS}`, 'g');
const LEADING_PATH = new RegExp(String.raw`^([A-Za-z_][\w]*${SEGMENTS}): `);
// "request body:3:23: " — a position in the JSON the page sent, which
// means nothing to the person editing YAML.
const JSON_POSITION = /^[^:\n]*:\d+:\d+: /;

// gcloud's export format: keys sorted, sequences not indented, no folding.
export function policyToYaml(policy) {
  return stringify(policy, { sortMapEntries: true, indentSeq: false, lineWidth: 0 });
}

function position(lineCounter, offset) {
  const { line, col } = lineCounter.linePos(offset);
  return { line, col };
}

// Parse the editor's text. Returns {value, doc, lineCounter, errors}:
// errors are [{from, to, line, col, message}], value is set only when
// there are none.
export function parsePolicyYaml(text) {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const errors = doc.errors.map((e) => ({
    from: e.pos[0],
    to: Math.max(e.pos[1], e.pos[0]),
    ...position(lineCounter, e.pos[0]),
    message: e.message,
  }));
  let value;
  if (errors.length === 0) {
    value = doc.toJS({ maxAliasCount: 100 });
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      errors.push({ from: 0, to: 0, line: 1, col: 1, message: 'the policy must be a mapping of fields (defaultAdmissionRule: …)' });
      value = undefined;
    }
  }
  return { value, doc, lineCounter, errors };
}

// "a.b[2]["k.x"]" -> ['a', 'b', 2, 'k.x']; null when it is not a path.
export function parseFieldPath(path) {
  const out = [];
  const re = /(^|\.)([A-Za-z_][\w]*)|\[(\d+)\]|\["([^"]*)"\]/y;
  let i = 0;
  while (i < path.length) {
    re.lastIndex = i;
    const m = re.exec(path);
    if (!m || (m[2] !== undefined && m[1] === '' && i !== 0)) return null;
    if (m[2] !== undefined) out.push(m[2]);
    else if (m[3] !== undefined) out.push(Number(m[3]));
    else out.push(m[4]);
    i = re.lastIndex;
  }
  return out.length ? out : null;
}

// The field paths a server error names, and the message to show without
// the JSON position. A message may name several paths (every attestor
// that does not exist).
export function pathsInMessage(message) {
  const text = message.replace(JSON_POSITION, '');
  const paths = [...new Set(text.match(TOP_PATH) || [])];
  if (paths.length === 0) {
    const m = LEADING_PATH.exec(text);
    if (m) paths.push(m[1]);
  }
  return { text, paths };
}

function keyOf(pair) {
  return isScalar(pair.key) ? pair.key.value : pair.key;
}

// Where `segments` point in the document: the value's range, or the key's
// when `atKey` is set (an unknown field) or when there is no value. When
// the path goes further than the document, the deepest part found;
// `exact` tells which.
export function locatePath(doc, lineCounter, segments, atKey = false) {
  let node = doc.contents;
  let found = null;
  let depth = 0;
  for (const seg of segments) {
    if (isMap(node) && typeof seg === 'string') {
      const pair = node.items.find((p) => keyOf(p) === seg);
      if (!pair) break;
      found = { key: pair.key && pair.key.range, value: pair.value && pair.value.range };
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
      const item = node.items[seg];
      found = { key: null, value: item && item.range };
      node = item;
    } else {
      break;
    }
    depth++;
  }
  const exact = depth === segments.length;
  let range;
  if (!found) range = doc.contents && doc.contents.range ? doc.contents.range : [0, 0];
  else if ((atKey || !found.value || !exact) && found.key) range = found.key;
  else range = found.value || found.key;
  return { from: range[0], to: Math.max(range[1], range[0]), ...position(lineCounter, range[0]), exact };
}

// Server error -> [{from, to, line, col, message, path}] in the YAML the
// page sent. An error without a path is put at the start of the document.
export function locateServerError(parsed, message) {
  const { text, paths } = pathsInMessage(message);
  const atKey = /unknown field/.test(text);
  const found = [];
  for (const p of paths) {
    const segments = parseFieldPath(p);
    if (!segments) continue;
    found.push({ ...locatePath(parsed.doc, parsed.lineCounter, segments, atKey), message: text, path: p });
  }
  if (found.length === 0) found.push({ from: 0, to: 0, line: 1, col: 1, message: text, path: '' });
  return found;
}

// The policy JSON to send: the editor's fields, and the etag of the
// version the page loaded unless the text carries its own (as
// `gcloud container binauthz policy import` does with an exported file).
export function policyToSend(value, loadedEtag) {
  const body = { ...value };
  if (!body.etag && loadedEtag) body.etag = loadedEtag;
  return body;
}
