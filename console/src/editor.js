// The YAML editor of the Policy page: CodeMirror 6 with its YAML mode.
// CodeMirror injects <style> elements; they carry the nonce that vouchd
// put into index.html, so the page's Content-Security-Policy needs no
// 'unsafe-inline' (EditorView.cspNonce).
import { Annotation, EditorState } from '@codemirror/state';
import { EditorView, drawSelection, highlightActiveLine, keymap, lineNumbers } from '@codemirror/view';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { defaultHighlightStyle, indentUnit, syntaxHighlighting } from '@codemirror/language';
import { yaml } from '@codemirror/lang-yaml';
import { setDiagnostics } from '@codemirror/lint';
import { useEffect, useRef } from 'preact/hooks';
import { html } from './components.js';

// Marks the text the page loads into the editor, which is not an edit.
const loaded = Annotation.define();

export function cspNonce() {
  const meta = document.querySelector('meta[name="vouch-csp-nonce"]');
  const value = meta ? meta.getAttribute('content') : '';
  return value && !value.startsWith('__') ? value : '';
}

// Colours with enough contrast, and error underlines drawn with text
// decoration: the lint package's default draws them with data: images,
// which the page's img-src 'self' refuses.
const theme = EditorView.theme({
  '&': { border: '1px solid #767676', borderRadius: '4px', fontSize: '14px' },
  '&.cm-focused': { outline: '3px solid #1d4ed8', outlineOffset: '1px' },
  '.cm-scroller': { fontFamily: 'ui-monospace, "DejaVu Sans Mono", monospace', minHeight: '16em', maxHeight: '36em' },
  '.cm-gutters': { backgroundColor: '#f3f4f6', color: '#4b5563', borderRight: '1px solid #d1d5db' },
  '.cm-activeLine': { backgroundColor: '#f5f8ff' },
  '.cm-lintRange-error': {
    backgroundImage: 'none', textDecoration: 'underline wavy #b91c1c', textDecorationSkipInk: 'none',
  },
  '.cm-lintRange-warning': { backgroundImage: 'none', textDecoration: 'underline wavy #92400e' },
  '.cm-diagnostic-error': { borderLeft: '5px solid #b91c1c' },
});

// Typing over a selection is done here, not left to the browser: Chromium's
// own replacement of selected text in an editable element writes a style
// attribute, which the Content-Security-Policy refuses and reports as a
// violation (no inline styles are allowed).
const replaceSelectionInPage = EditorView.domEventHandlers({
  beforeinput(event, view) {
    const typed = event.inputType === 'insertText' || event.inputType === 'insertReplacementText';
    if (!typed || typeof event.data !== 'string' || view.state.selection.ranges.every((r) => r.empty)) {
      return false;
    }
    event.preventDefault();
    view.dispatch(view.state.replaceSelection(event.data), { scrollIntoView: true, userEvent: 'input.type' });
    return true;
  },
});

// props: value (text loaded into the editor; a new value or version
// replaces the text), version, onChange(text), diagnostics [{from, to, message}], label,
// viewRef (receives the EditorView, to move the cursor to an error).
export function YamlEditor({ value, version, onChange, diagnostics, label, viewRef }) {
  const host = useRef(null);
  const view = useRef(null);
  const changed = useRef(onChange);
  changed.current = onChange;

  useEffect(() => {
    const v = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: value,
        extensions: [
          EditorView.cspNonce.of(cspNonce()),
          lineNumbers(),
          history(),
          drawSelection(),
          highlightActiveLine(),
          indentUnit.of('  '),
          yaml(),
          syntaxHighlighting(defaultHighlightStyle),
          keymap.of([...defaultKeymap, ...historyKeymap]),
          EditorView.lineWrapping,
          replaceSelectionInPage,
          EditorView.contentAttributes.of({ 'aria-label': label, 'aria-multiline': 'true' }),
          EditorView.updateListener.of((u) => {
            if (u.docChanged && !u.transactions.some((t) => t.annotation(loaded))) {
              changed.current(u.state.doc.toString());
            }
          }),
          theme,
        ],
      }),
    });
    view.current = v;
    if (viewRef) viewRef.current = v;
    return () => v.destroy();
  }, []);

  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== value) {
      v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value }, annotations: loaded.of(true) });
    }
  }, [value, version]);

  useEffect(() => {
    const v = view.current;
    if (!v) return;
    const len = v.state.doc.length;
    const ds = (diagnostics || []).map((d) => ({
      from: Math.min(d.from, len),
      to: Math.min(Math.max(d.to, d.from), len),
      severity: 'error',
      message: d.message,
    }));
    v.dispatch(setDiagnostics(v.state, ds));
  }, [diagnostics]);

  return html`<div class="editor" ref=${host}></div>`;
}

// Put the cursor at `pos` and give the editor the focus.
export function focusAt(view, pos) {
  if (!view) return;
  const at = Math.min(pos, view.state.doc.length);
  view.dispatch({ selection: { anchor: at }, scrollIntoView: true });
  view.focus();
}
