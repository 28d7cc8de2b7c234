// The admin's persona spec editor: CodeMirror 6 over the form's own <textarea data-spec-editor>.
//
// Progressive enhancement: the textarea stays the form field. The editor mirrors every change into it,
// so the form posts exactly the text in the editor; without JavaScript the textarea works as before.
// The page passes the JSON Schema (`data-schema`) and the problems the server found on the last save
// (`data-server-problems`, `[{path, message}]` with JSON Pointer paths); nothing is fetched.
//
// The editor lives in a shadow root. CodeMirror writes its own CSS at run time; into a document it
// adds a <style> element, which a Content-Security-Policy without 'unsafe-inline' styles blocks, while
// into a shadow root it adopts a constructed stylesheet, which CSP allows. The shadow root also keeps
// the admin's list and form styles out of the editor's completion list and panels. Our stylesheet
// (`data-stylesheet`) is linked inside it; colours come in through CSS variables, which inherit.
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { json } from "@codemirror/lang-json";
import { bracketMatching, foldGutter, foldKeymap, indentOnInput, syntaxHighlighting } from "@codemirror/language";
import { diagnosticCount, forceLinting, lintGutter, lintKeymap, nextDiagnostic, openLintPanel } from "@codemirror/lint";
import { highlightSelectionMatches, searchKeymap } from "@codemirror/search";
import { EditorState } from "@codemirror/state";
import {
  EditorView, drawSelection, highlightActiveLine, highlightActiveLineGutter, keymap, lineNumbers,
} from "@codemirror/view";
import { classHighlighter } from "@lezer/highlight";

import { formatSpec } from "./format.js";
import { indexValues, locate } from "./json-tree.js";
import { specCompletion } from "./spec-complete.js";
import { anchorServerProblems, specLinter } from "./spec-lint.js";

function button(text, title) {
  const element = document.createElement("button");
  element.type = "button";
  element.className = "button";
  element.textContent = text;
  element.title = title;
  return element;
}

function problemsText(count) {
  if (count === 0) return "No problems found.";
  return count === 1 ? "1 problem, marked in the editor (F8 goes to it)."
    : `${count} problems, marked in the editor (F8 goes to the next).`;
}

function enhance(textarea) {
  const schema = JSON.parse(textarea.dataset.schema);
  const reported = JSON.parse(textarea.dataset.serverProblems || "[]");
  const label = document.querySelector(`label[for="${textarea.id}"]`);

  const field = document.createElement("div");
  field.className = "spec-editor-field";
  const host = document.createElement("div");
  host.className = "spec-editor";
  const shadow = host.attachShadow({ mode: "open" });
  const stylesheet = document.createElement("link");
  stylesheet.rel = "stylesheet";
  stylesheet.href = textarea.dataset.stylesheet;
  const shown = () => { host.dataset.ready = "true"; };
  stylesheet.addEventListener("load", shown);
  stylesheet.addEventListener("error", shown);  // unstyled beats invisible
  shadow.append(stylesheet);
  const tools = document.createElement("div");
  tools.className = "spec-editor-tools";
  const format = button("Format JSON", "Indent two spaces, keys in the schema's order; values stay as written");
  const list = button("List problems", "Every marker in a list (Ctrl-Shift-M); F8 goes to the next one");
  const status = document.createElement("span");
  status.className = "spec-editor-status";
  status.setAttribute("role", "status");
  tools.append(format, list, status);

  const initial = EditorState.create({ doc: textarea.value, extensions: [json()] });
  const serverProblems = anchorServerProblems(initial, reported);
  let shownCount = null;
  const view = new EditorView({
    parent: shadow,
    root: shadow,
    state: EditorState.create({
      doc: textarea.value,
      extensions: [
        lineNumbers(), highlightActiveLineGutter(), foldGutter(), lintGutter(),
        history(), drawSelection(), indentOnInput(), bracketMatching(), closeBrackets(),
        highlightActiveLine(), highlightSelectionMatches(),
        json(), syntaxHighlighting(classHighlighter), EditorView.lineWrapping,
        EditorState.tabSize.of(2),
        autocompletion({ override: [specCompletion(schema)], icons: false }),
        specLinter({ schema, serverProblems }),
        keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...searchKeymap, ...historyKeymap, ...foldKeymap,
          ...completionKeymap, ...lintKeymap, indentWithTab]),
        EditorView.contentAttributes.of({ "aria-label": label ? label.textContent.replace(/:$/, "") : "Spec (JSON)" }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) textarea.value = update.state.doc.toString();
          const count = diagnosticCount(update.state);
          if (count !== shownCount) {
            shownCount = count;
            status.textContent = problemsText(count);
            status.className = "spec-editor-status " + (count ? "bad" : "good");
          }
        }),
      ],
    }),
  });

  if (serverProblems.length) {
    // The page is back from a refused save: show the first problem the server found, not line 1.
    const index = indexValues(view.state);
    const found = locate(index, serverProblems[0].path || "");
    if (found) {
      view.dispatch({ selection: { anchor: found.node.from },
        effects: EditorView.scrollIntoView(found.node.from, { y: "center" }) });
    }
  }

  format.addEventListener("click", () => {
    const result = formatSpec(view.state, schema);
    if (result.error) {
      status.textContent = `Not formatted, fix the JSON first: ${result.error}`;
      status.className = "spec-editor-status bad";
      forceLinting(view);
      return;
    }
    if (result.text !== view.state.doc.toString()) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: result.text }, userEvent: "format" });
    }
    status.textContent = "Formatted: keys in the schema's order.";
    status.className = "spec-editor-status good";
  });
  list.addEventListener("click", () => {
    openLintPanel(view);
    nextDiagnostic(view);
  });
  if (label) label.addEventListener("click", () => view.focus());
  if (textarea.form) {
    textarea.form.addEventListener("submit", () => { textarea.value = view.state.doc.toString(); });
  }

  textarea.required = false;  // hidden now: a browser cannot point at it; the server checks emptiness
  textarea.classList.add("spec-editor-source");
  field.append(host, tools);
  textarea.after(field);
  return view;
}

function start() {
  for (const textarea of document.querySelectorAll("textarea[data-spec-editor]")) {
    if (!textarea.dataset.editorAttached) {
      textarea.dataset.editorAttached = "true";
      enhance(textarea);
    }
  }
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
