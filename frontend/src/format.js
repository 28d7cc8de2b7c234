// "Format JSON": two-space indentation, one value a line, keys in the schema's order (the order of
// the prompt's sections), exactly as the server lays a spec out for the editor.
//
// It re-lays the text the user wrote instead of `JSON.stringify(JSON.parse(text))`: every string,
// number and key is copied as written, so nothing changes but whitespace and key order. (Through
// JavaScript numbers, 1.0 would come back as 1 — an integer to the server — and large integers
// would lose digits.)

import { fullTree, propertiesOf, propertyKey, propertyValue, topValue, valueChildren } from "./json-tree.js";
import { branch, childSchema } from "./schema-nav.js";

function ordered(doc, root, schema, properties) {
  const resolved = branch(root, schema, "object");
  const named = resolved && resolved.properties ? Object.keys(resolved.properties) : [];
  const keyed = properties.map((property) => ({ property, key: propertyKey(doc, property) }));
  const rank = (key) => {
    const position = named.indexOf(key);
    return position === -1 ? named.length : position;
  };
  // A stable sort: keys the schema does not name (free-form values) keep their own order, after the named ones.
  return keyed.map((entry, position) => ({ ...entry, position }))
    .sort((a, b) => rank(a.key) - rank(b.key) || a.position - b.position);
}

function layout(doc, root, schema, node, indent) {
  const inner = indent + "  ";
  if (node.name === "Object") {
    const properties = propertiesOf(node);
    if (!properties.length) return "{}";
    const members = ordered(doc, root, schema, properties).map(({ property, key }) => {
      const name = property.getChild("PropertyName");
      const value = propertyValue(property);
      const valueSchema = childSchema(root, branch(root, schema, "object"), key);
      return `${inner}${doc.sliceString(name.from, name.to)}: ${layout(doc, root, valueSchema, value, inner)}`;
    });
    return `{\n${members.join(",\n")}\n${indent}}`;
  }
  if (node.name === "Array") {
    const items = valueChildren(node);
    if (!items.length) return "[]";
    const itemSchema = childSchema(root, branch(root, schema, "array"), 0);
    return `[\n${items.map((item) => inner + layout(doc, root, itemSchema, item, inner)).join(",\n")}\n${indent}]`;
  }
  return doc.sliceString(node.from, node.to);
}

/**
 * The document laid out in schema order, or `{error}` when it is not valid JSON (nothing is changed
 * then). JSON.parse is the judge of validity; the syntax tree only supplies positions.
 */
export function formatSpec(state, schema) {
  const text = state.doc.toString();
  try {
    JSON.parse(text);
  } catch (error) {
    return { error: error.message };
  }
  const tree = fullTree(state);
  const top = tree && topValue(tree);
  if (!top) return { error: "the document is empty" };
  return { text: layout(state.doc, schema, schema, top, "") };
}
