// The editor's markers: JSON syntax, keys given twice, the spec's JSON Schema, and the problems the
// server reported on the last save, each at the place its JSON Pointer names.
//
// The schema check is a convenience while typing; the server's validator (pydantic, plus the rules a
// JSON Schema cannot say: unique ids, few_shot_ids that resolve) has the last word on save.

import { Validator } from "@cfworker/json-schema";
import { linter } from "@codemirror/lint";

import { indexValues, locate, markerRange, pointerFrom, pointerFromFragment, pointerTokens } from "./json-tree.js";
import { jsonType, keywordParent, propertyNames, schemaAt } from "./schema-nav.js";

const TYPE_WORDS = {
  string: "a string", integer: "an integer", number: "a number", boolean: "true or false",
  array: "an array", object: "an object", null: "null",
};
// Validator errors that only summarise errors reported deeper down (or the branches of an anyOf).
const SUMMARY_KEYWORDS = new Set(["properties", "items", "$ref", "additionalProperties", "anyOf", "allOf",
  "oneOf", "prefixItems", "patternProperties", "dependentSchemas", "unevaluatedProperties", "unevaluatedItems"]);
const ID_PATTERN = "^[A-Za-z0-9._:-]{1,120}$";
const ID_RULE = "1-120 characters of A-Z, a-z, 0-9, '.', '_', ':' or '-'";
const SEMVER_PATTERN = "^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)$";

function valueAt(data, tokens) {
  let current = data;
  for (const token of tokens) {
    if (current === null || typeof current !== "object") return undefined;
    current = current[token];
  }
  return current;
}

function codePoints(text) {
  return [...text].length;
}

function closest(word, candidates) {
  // Levenshtein distance, for "did you mean": specs have a dozen field names at most per object.
  let best = null;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const rows = Array.from({ length: word.length + 1 }, (_, i) => [i]);
    for (let j = 1; j <= candidate.length; j++) rows[0][j] = j;
    for (let i = 1; i <= word.length; i++) {
      for (let j = 1; j <= candidate.length; j++) {
        rows[i][j] = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1,
          rows[i - 1][j - 1] + (word[i - 1] === candidate[j - 1] ? 0 : 1));
      }
    }
    const distance = rows[word.length][candidate.length];
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best !== null && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : null;
}

/** One validator error as `{pointer, message}` in the server's words, or null for a summary error. */
export function schemaProblem(root, data, error) {
  if (SUMMARY_KEYWORDS.has(error.keyword)) return null;
  const pointer = pointerFromFragment(error.instanceLocation);
  const tokens = pointerTokens(pointer);
  const value = valueAt(data, tokens);
  const rule = keywordParent(root, error.keywordLocation) || {};
  const inAnyOf = /\/anyOf\/\d+\//.test(error.keywordLocation);
  const limit = rule[error.keyword];
  switch (error.keyword) {
    case "type": {
      if (inAnyOf && limit === "null") return null;  // the optional field's "or null" branch
      const expected = (Array.isArray(limit) ? limit : [limit]).map((type) => TYPE_WORDS[type] || type);
      return { pointer, message: `must be ${expected.join(" or ")} (got ${jsonType(value)})` };
    }
    case "const":
      return { pointer, message: `must be ${JSON.stringify(limit)} (got ${JSON.stringify(value)})` };
    case "enum":
      return { pointer, message: `must be one of ${limit.map((v) => JSON.stringify(v)).join(", ")}` };
    case "required": {
      const missing = (limit || []).filter((name) => !value || !Object.prototype.hasOwnProperty.call(value, name));
      const name = (error.error.match(/property "(.*)"\.?$/) || [])[1] || missing[0];
      return { pointer: pointerFrom([...tokens, name]), message: `required field '${name}' is missing` };
    }
    case "minLength":
      return { pointer, message: limit === 1 ? "must not be empty" : `must be at least ${limit} characters` };
    case "maxLength":
      return { pointer, message: `must be at most ${limit} characters (got ${codePoints(value)})` };
    case "pattern":
      if (limit === ID_PATTERN) return { pointer, message: `must be ${ID_RULE}` };
      if (limit === SEMVER_PATTERN) {
        return { pointer, message: "must be a semantic version MAJOR.MINOR.PATCH such as 1.0.0" };
      }
      return { pointer, message: `must match the pattern ${limit}` };
    case "minimum":
      return { pointer, message: `must be at least ${limit} (got ${value})` };
    case "maximum":
      return { pointer, message: `must be at most ${limit} (got ${value})` };
    case "maxItems":
      return { pointer, message: `must have at most ${limit} items (got ${value.length})` };
    case "maxProperties":
      return { pointer, message: `must have at most ${limit} keys (got ${Object.keys(value).length})` };
    case "false": {  // a key the schema does not allow (additionalProperties: false)
      const key = tokens[tokens.length - 1];
      const known = propertyNames(root, schemaAt(root, tokens.slice(0, -1), "object"));
      const guess = closest(key, known);
      return { pointer, message: `unknown field '${key}'` + (guess ? ` (did you mean '${guess}'?)` : "") };
    }
    default:
      return { pointer, message: error.error };
  }
}

export function schemaProblems(root, validator, data) {
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    return [{ pointer: "", message: `spec must be a JSON object (got ${jsonType(data)})` }];
  }
  const seen = new Set();
  const problems = [];
  for (const error of validator.validate(data).errors) {
    const problem = schemaProblem(root, data, error);
    const key = problem && problem.pointer + "\n" + problem.message;
    if (problem && !seen.has(key)) {
      seen.add(key);
      problems.push(problem);
    }
  }
  return problems;
}

function syntaxDiagnostic(error, doc) {
  // V8 says "... in JSON at position 12 (line 2 column 3)"; older engines say less.
  let position = 0;
  let match;
  if ((match = error.message.match(/at position (\d+)/))) position = +match[1];
  else if ((match = error.message.match(/at line (\d+) column (\d+)/))) position = doc.line(+match[1]).from + +match[2] - 1;
  else if (/end of JSON input/.test(error.message)) position = doc.length;
  position = Math.min(position, doc.length);
  const line = doc.lineAt(position);
  const message = error.message.replace(/\s*\(line \d+ column \d+\)$/, "").replace(/ in JSON at position \d+$/, "");
  return {
    from: position, to: Math.min(position + 1, line.to), severity: "error", source: "JSON",
    message: `Not valid JSON: ${message} (line ${line.number}, column ${position - line.from + 1}).`,
  };
}

function diagnosticAt(index, pointer, message, source) {
  const found = locate(index, pointer);
  if (!found) return null;
  const { from, to } = markerRange(found, message.startsWith("unknown field"));
  const where = pointer || "/";
  return { from, to, severity: "error", source, message: `${where}: ${message}` };
}

/**
 * The server's problems, each remembered with the text it was about when the page was rendered: a
 * marker stays while that text is unchanged and goes once the user edits it (the next save says
 * whether the fix worked).
 */
export function anchorServerProblems(state, problems) {
  const index = indexValues(state);
  return problems.map((problem) => {
    const found = locate(index, problem.path || "");
    return { ...problem, anchor: found ? state.doc.sliceString(found.node.from, found.node.to) : null };
  }).filter((problem) => problem.anchor !== null);
}

export function specLinter({ schema, serverProblems }) {
  const validator = new Validator(schema, "2020-12", false);
  return linter((view) => {
    const { doc } = view.state;
    let data;
    try {
      data = JSON.parse(doc.toString());
    } catch (error) {
      return [syntaxDiagnostic(error, doc)];
    }
    const index = indexValues(view.state);
    const diagnostics = index.duplicates.map(({ key, property }) => {
      const name = property.getChild("PropertyName");
      return { from: name.from, to: name.to, severity: "error", source: "JSON",
        message: `the key '${key}' appears twice in one object: keep one` };
    });
    for (const { pointer, message } of schemaProblems(schema, validator, data)) {
      const diagnostic = diagnosticAt(index, pointer, message, "schema");
      if (diagnostic) diagnostics.push(diagnostic);
    }
    for (const problem of serverProblems) {
      const found = locate(index, problem.path || "");
      if (!found || doc.sliceString(found.node.from, found.node.to) !== problem.anchor) continue;
      const diagnostic = diagnosticAt(index, problem.path || "", `${problem.message}`, "server, last save");
      if (diagnostic) diagnostics.push(diagnostic);
    }
    return diagnostics;
  }, { delay: 250 });
}
