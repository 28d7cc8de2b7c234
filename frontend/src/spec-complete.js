// Completion from the spec's JSON Schema: the keys an object may still take (in the schema's order,
// with their description), and the values a field allows (its constant, enum, true/false, null).

import { syntaxTree } from "@codemirror/language";

import { propertiesOf, propertyKey, tokensOf } from "./json-tree.js";
import { branch, deref, schemaAt } from "./schema-nav.js";

function typesOf(root, schema) {
  const resolved = deref(root, schema);
  if (!resolved) return [];
  if (Array.isArray(resolved.anyOf)) return resolved.anyOf.flatMap((option) => typesOf(root, option));
  if (resolved.type === undefined) return [];
  return Array.isArray(resolved.type) ? resolved.type : [resolved.type];
}

/** What a new key starts with: its constant or default when it has one, else an empty value. */
function emptyValue(root, schema) {
  const resolved = branch(root, schema, undefined) || {};
  if (resolved.const !== undefined) return JSON.stringify(resolved.const);
  const type = typesOf(root, schema).find((t) => t !== "null");
  if (type === "object") return "{}";
  if (type === "array") return "[]";
  if (type === "string") return '""';
  if (resolved.default !== undefined && resolved.default !== null) return JSON.stringify(resolved.default);
  if (type === "boolean") return "true";
  if (type === "integer" || type === "number") return "0";
  return "null";
}

function describe(root, schema) {
  const resolved = deref(root, schema) || {};
  const types = typesOf(root, schema);
  return { detail: types.join(" | "), info: resolved.description || resolved.title || undefined };
}

function container(node) {
  for (let current = node; current; current = current.parent) {
    if (current.name === "Object" || current.name === "Array") return current;
  }
  return null;
}

function keyCompletions(context, root, word, objectNode) {
  const { state } = context;
  const tokens = tokensOf(state.doc, objectNode);
  const schema = schemaAt(root, tokens, "object");
  if (!schema || !schema.properties) return null;
  const present = new Set(propertiesOf(objectNode)
    .filter((property) => !(property.from <= word.from && word.from <= property.to))
    .map((property) => propertyKey(state.doc, property)));
  const closesQuote = state.doc.sliceString(context.pos, context.pos + 1) === '"' && word.text.startsWith('"');
  const names = Object.keys(schema.properties).filter((name) => !present.has(name));
  return {
    from: word.from,
    to: closesQuote ? context.pos + 1 : context.pos,
    filter: true,
    options: names.map((name, order) => {
      const value = emptyValue(root, schema.properties[name]);
      return {
        label: JSON.stringify(name), type: "property", boost: -order / 100,
        ...describe(root, schema.properties[name]),
        apply(view, completion, from, to) {
          // Another member follows: the new one needs its comma.
          const following = /^\s*"/.test(view.state.doc.sliceString(to, to + 200));
          const text = `${JSON.stringify(name)}: ${value}${following ? "," : ""}`;
          // The cursor lands inside an empty container or string, ready to fill it.
          const end = text.length - (following ? 1 : 0);
          const inside = /^(\{\}|\[\]|"")$/.test(value) ? end - 1 : end;
          view.dispatch({ changes: { from, to, insert: text }, selection: { anchor: from + inside },
            userEvent: "input.complete" });
        },
      };
    }),
  };
}

function valueCompletions(context, root, word, objectNode, key) {
  const tokens = [...tokensOf(context.state.doc, objectNode), key];
  const schema = schemaAt(root, tokens, undefined);
  const resolved = deref(root, schema);
  if (!resolved) return null;
  const values = [];
  const branches = Array.isArray(resolved.anyOf) ? resolved.anyOf.map((o) => deref(root, o)) : [resolved];
  for (const option of branches) {
    if (option.const !== undefined) values.push(option.const);
    if (Array.isArray(option.enum)) values.push(...option.enum);
  }
  const types = typesOf(root, schema);
  if (types.includes("boolean")) values.push(true, false);
  if (types.includes("null")) values.push(null);
  if (!values.length) return null;
  return {
    from: word.from, filter: true,
    options: [...new Set(values.map((v) => JSON.stringify(v)))].map((label) => ({ label, type: "constant" })),
  };
}

export function specCompletion(schema) {
  return (context) => {
    const word = context.matchBefore(/"?[^\s"{}[\],:]*/);
    if (!word || (word.from === word.to && !context.explicit)) return null;
    const before = context.state.doc.sliceString(Math.max(0, word.from - 200), word.from).trimEnd();
    const lastChar = before[before.length - 1];
    const tree = syntaxTree(context.state);
    const here = container(tree.resolveInner(word.from, -1));
    if (!here) return null;
    if (here.name === "Object" && (lastChar === "{" || lastChar === ",")) {
      return keyCompletions(context, schema, word, here);
    }
    if (here.name === "Object" && lastChar === ":") {
      const key = before.slice(0, -1).trimEnd().match(/"((?:[^"\\]|\\.)*)"$/);
      if (!key) return null;
      let name;
      try {
        name = JSON.parse(`"${key[1]}"`);
      } catch {
        return null;
      }
      return valueCompletions(context, schema, word, here, name);
    }
    return null;
  };
}
