// Errors of the entries:list filter language come as
// "filter:LINE:COLUMN: message", columns counted in bytes from 1
// (docs/audit.md). The audit page shows the message at that place in the
// search box.

// {line, col, message} or null when the message has no position.
export function parseFilterError(message) {
  const m = /^filter:(\d+):(\d+): ([\s\S]*)$/.exec(message);
  if (!m) return null;
  return { line: Number(m[1]), col: Number(m[2]), message: m[3] };
}

function utf8Length(ch) {
  const c = ch.codePointAt(0);
  if (c < 0x80) return 1;
  if (c < 0x800) return 2;
  if (c < 0x10000) return 3;
  return 4;
}

// The string index in `text` of byte column `col` (1-based) of line
// `line` (1-based); clamped to the end of that line.
export function indexOfPosition(text, line, col) {
  let start = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) return text.length;
    start = nl + 1;
  }
  let end = text.indexOf('\n', start);
  if (end < 0) end = text.length;
  let bytes = 1;
  let i = start;
  while (i < end && bytes < col) {
    const ch = String.fromCodePoint(text.codePointAt(i));
    bytes += utf8Length(ch);
    i += ch.length;
  }
  return i;
}

// The line of `text` that holds the error, and the number of characters
// before the error in it: enough to draw a caret under the place.
export function errorLine(text, line, col) {
  const lines = text.split('\n');
  const lineText = lines[Math.min(line, lines.length) - 1] || '';
  const index = indexOfPosition(text, line, col);
  const lineStart = indexOfPosition(text, line, 1);
  return { lineText, offset: Math.max(0, Math.min(index - lineStart, lineText.length)) };
}
