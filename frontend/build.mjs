// Bundles the editor into ../static/editor/ (committed, so `make run` and the tests need no npm),
// with the licences of every package inside the bundle beside it.
import { build } from "esbuild";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

// EDITOR_OUT: somewhere else (the test that checks the committed bundle is built from these sources).
const OUT = process.env.EDITOR_OUT || "../static/editor";
const result = await build({
  entryPoints: ["src/spec-editor.js", "src/spec-editor.css"],
  entryNames: "persona-[name]",
  outdir: OUT,
  bundle: true,
  minify: true,
  target: "es2020",
  legalComments: "none",
  metafile: true,
  logLevel: process.env.EDITOR_OUT ? "warning" : "info",
});

// node_modules/<scope>/<name>/... of every bundled input: the packages whose licences must travel with it.
const packages = new Set();
for (const input of Object.keys(result.metafile.inputs)) {
  const match = input.match(/^node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  if (match) packages.add(match[1]);
}
const notices = [...packages].sort().map((name) => {
  const dir = join("node_modules", name);
  const meta = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const licenceFile = readdirSync(dir).find((file) => /^(licen[cs]e|copying)/i.test(file));
  const text = licenceFile ? readFileSync(join(dir, licenceFile), "utf8").trim() : `License: ${meta.license}`;
  return `${name} ${meta.version} (${meta.license})\n\n${text}\n`;
});
writeFileSync(join(OUT, "persona-spec-editor.LICENSES.txt"),
  "Packages bundled into persona-spec-editor.js (built from frontend/ by `make editor`):\n\n"
  + notices.join("\n" + "-".repeat(72) + "\n\n"));
