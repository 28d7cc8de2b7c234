// The editor's JSON text seen through its syntax tree (@lezer/json): where each JSON Pointer lives in
// the text, and which object or array a cursor position is in. Markers, completion and formatting all
// work from these positions, so they point at the text the user wrote, whatever its layout.

import { ensureSyntaxTree } from "@codemirror/language";

const VALUE_NODES = new Set(["Object", "Array", "String", "Number", "True", "False", "Null"]);

export function isValueNode(node) {
  return VALUE_NODES.has(node.name);
}

export function valueChildren(node) {
  const values = [];
  for (let child = node.firstChild; child; child = child.nextSibling) {
    if (isValueNode(child)) values.push(child);
  }
  return values;
}

export function propertiesOf(objectNode) {
  const properties = [];
  for (let child = objectNode.firstChild; child; child = child.nextSibling) {
    if (child.name === "Property") properties.push(child);
  }
  return properties;
}

/** The key of a Property node as a string (its PropertyName is a JSON string literal). */
export function propertyKey(doc, propertyNode) {
  const name = propertyNode.getChild("PropertyName");
  if (!name) return null;
  try {
    return JSON.parse(doc.sliceString(name.from, name.to));
  } catch {
    return null;  // an unfinished key while typing
  }
}

export function propertyValue(propertyNode) {
  return valueChildren(propertyNode)[0] || null;
}

/** RFC 6901: "/" separates tokens; "~1" is "/" and "~0" is "~" inside one. */
export function pointerTokens(pointer) {
  if (pointer === "") return [];
  return pointer.split("/").slice(1).map((token) => token.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** A pointer in URI fragment form ("#/a%20b", as the schema validator reports them) as a plain one. */
export function pointerFromFragment(fragment) {
  return fragment.replace(/^#/, "").split("/").map((token) => decodeURIComponent(token)).join("/");
}

export function pointerFrom(tokens) {
  return tokens.map((token) => "/" + String(token).replace(/~/g, "~0").replace(/\//g, "~1")).join("");
}

/** The whole document's tree, parsed to the end (the editor parses lazily, around the viewport). */
export function fullTree(state) {
  return ensureSyntaxTree(state, state.doc.length, 5000);
}

export function topValue(tree) {
  return valueChildren(tree.topNode)[0] || null;
}

/**
 * Every value of the document by its JSON Pointer: `{node, property}` where `property` is the
 * Property node when the value is an object member. Also the keys given twice in one object (JSON
 * allows them; the server refuses them).
 */
export function indexValues(state) {
  const doc = state.doc;
  const byPointer = new Map();
  const duplicates = [];
  const tree = fullTree(state);
  const root = tree && topValue(tree);
  if (!root) return { byPointer, duplicates };
  const visit = (node, tokens, property) => {
    byPointer.set(pointerFrom(tokens), { node, property });
    if (node.name === "Object") {
      const seen = new Set();
      for (const member of propertiesOf(node)) {
        const key = propertyKey(doc, member);
        const value = propertyValue(member);
        if (key === null || !value) continue;
        if (seen.has(key)) {
          duplicates.push({ key, property: member });
          continue;  // JSON.parse keeps the last one; the server refuses both
        }
        seen.add(key);
        visit(value, [...tokens, key], member);
      }
    } else if (node.name === "Array") {
      valueChildren(node).forEach((item, index) => visit(item, [...tokens, index], null));
    }
  };
  visit(root, [], null);
  return { byPointer, duplicates };
}

/**
 * Where a problem at `pointer` is shown: the value itself, or (for a field that is missing) the
 * nearest enclosing value that exists. `exact` says which.
 */
export function locate(index, pointer) {
  const tokens = pointerTokens(pointer);
  for (let length = tokens.length; length >= 0; length--) {
    const found = index.byPointer.get(pointerFrom(tokens.slice(0, length)));
    if (found) return { ...found, exact: length === tokens.length };
  }
  return null;
}

/**
 * The range a marker covers: a scalar itself; an object or array by its key, or by its opening
 * bracket. `onKey`: the key itself (a problem with the key, such as an unknown field).
 */
export function markerRange(found, onKey = false) {
  const { node, property } = found;
  const isContainer = node.name === "Object" || node.name === "Array";
  if (!isContainer && !(onKey && found.exact)) return { from: node.from, to: node.to };
  const name = property && property.getChild("PropertyName");
  if (name) return { from: name.from, to: name.to };
  return { from: node.from, to: node.from + 1 };
}

/** The pointer tokens of the object or array that directly contains `node`, and `node`'s own tokens. */
export function tokensOf(doc, node) {
  const tokens = [];
  let current = node;
  while (current && current.parent) {
    const parent = current.parent;
    if (parent.name === "Property" && isValueNode(current)) {
      tokens.unshift(propertyKey(doc, parent));
    } else if (parent.name === "Array" && isValueNode(current)) {
      tokens.unshift(valueChildren(parent).findIndex((item) => item.from === current.from));
    }
    current = parent;
  }
  return tokens;
}
