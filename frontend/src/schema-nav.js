// Finding one's way in the spec's JSON Schema (as pydantic writes it: `$ref` into `$defs`, `anyOf`
// with a null branch for optional fields). Completion, messages and key order all ask it the same
// question: which subschema describes the value at this path?

export function jsonType(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (Number.isInteger(value)) return "integer";
  return typeof value === "object" ? "object" : typeof value;  // string, number, boolean
}

function typesOf(schema) {
  if (!schema || schema.type === undefined) return [];
  return Array.isArray(schema.type) ? schema.type : [schema.type];
}

/** `schema` with its `$ref` followed (local references only, which is all pydantic writes). */
export function deref(root, schema) {
  let current = schema;
  for (let hops = 0; current && typeof current.$ref === "string" && hops < 32; hops++) {
    current = walk(root, current.$ref.replace(/^#/, "").split("/").slice(1));
  }
  return current;
}

function walk(node, segments) {
  let current = node;
  for (const segment of segments) {
    if (current === undefined || current === null) return undefined;
    current = current[segment.replace(/~1/g, "/").replace(/~0/g, "~")];
  }
  return current;
}

/**
 * The branch of an `anyOf` that fits a value of `type` ("object", "array"...), or the first branch
 * that is not just `null` when the type is unknown; the schema itself when it has no `anyOf`.
 */
export function branch(root, schema, type) {
  const resolved = deref(root, schema);
  if (!resolved || !Array.isArray(resolved.anyOf)) return resolved;
  const branches = resolved.anyOf.map((option) => deref(root, option));
  const fits = (option) => {
    const types = typesOf(option);
    return types.includes(type) || (type === "integer" && types.includes("number"));
  };
  return branches.find((option) => type && fits(option))
    || branches.find((option) => !(typesOf(option).length === 1 && typesOf(option)[0] === "null"))
    || resolved;
}

/** The schema of the member `token` of a value described by `schema` (an object key or an array index). */
export function childSchema(root, schema, token) {
  const parent = deref(root, schema);
  if (!parent) return undefined;
  if (typeof token === "number") {
    return typeof parent.items === "object" ? parent.items : undefined;
  }
  if (parent.properties && Object.prototype.hasOwnProperty.call(parent.properties, token)) {
    return parent.properties[token];
  }
  return typeof parent.additionalProperties === "object" ? parent.additionalProperties : undefined;
}

/** The schema describing the value at `tokens`, resolved; undefined inside free-form values. */
export function schemaAt(root, tokens, typeAtEnd) {
  let schema = root;
  tokens.forEach((token, position) => {
    const container = branch(root, schema, typeof token === "number" ? "array" : "object");
    schema = childSchema(root, container, token);
    if (position === tokens.length - 1) schema = branch(root, schema, typeAtEnd);
  });
  return tokens.length ? schema : branch(root, root, "object");
}

/** The schema node a validator's `keywordLocation` ("#/properties/x/items/$ref/minLength") sits in. */
export function keywordParent(root, keywordLocation) {
  const segments = keywordLocation.replace(/^#/, "").split("/").slice(1).map(decodeURIComponent);
  let current = root;
  for (const segment of segments.slice(0, -1)) {
    current = segment === "$ref" ? deref(root, current) : walk(current, [segment]);
    if (current === undefined) return undefined;
  }
  return current;
}

/** The properties a schema names, in its order (the order of the prompt's sections). */
export function propertyNames(root, schema) {
  const resolved = branch(root, schema, "object");
  return resolved && resolved.properties ? Object.keys(resolved.properties) : [];
}
