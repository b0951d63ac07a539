// Build-time memory snapshot of Pyodide with the calculators package imported and warmed up (run by
// hooks/calculator_widget.py under Node.js). Restoring it in the browser skips Python's start-up and the package
// import, the slow part of a calculator page's first live result; the worker falls back to a normal start when
// the snapshot is missing or fails to load.
//
//   node hooks/pyodide_snapshot.mjs PYODIDE_DIR WHEEL WARMUP_JSON OUT
//
// WARMUP_JSON: [[argv, lang], ...], the calls each page makes first (parsers, presets and code paths get built
// once here instead of in every reader's browser). Uses Pyodide's `_makeSnapshot` / `makeMemorySnapshot`, which
// its docs mark private: the version is pinned in package-lock.json and the browser tests load the result.

import { readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [pyodideDir, wheelPath, warmupPath, outPath] = process.argv.slice(2);
if (!outPath) {
  console.error("usage: node hooks/pyodide_snapshot.mjs PYODIDE_DIR WHEEL WARMUP_JSON OUT");
  process.exit(2);
}
const { loadPyodide } = await import(pathToFileURL(`${pyodideDir}/pyodide.mjs`).href);
const pyodide = await loadPyodide({ indexURL: `${pyodideDir}/`, _makeSnapshot: true });
pyodide.unpackArchive(new Uint8Array(readFileSync(wheelPath)), "wheel");
const web = pyodide.pyimport("calculators.web");
for (const [argv, lang] of JSON.parse(readFileSync(warmupPath, "utf8"))) {
  const page = JSON.parse(web.page_result_json(JSON.stringify(argv), lang));
  if (!page.ok) throw new Error(`warm-up call ${JSON.stringify(argv)} failed: ${page.message}`);
}
web.destroy(); // no JavaScript reference to a Python object may outlive the snapshot
writeFileSync(outPath, pyodide.makeMemorySnapshot());
