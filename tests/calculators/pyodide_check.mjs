// Run the calculators package inside Pyodide (Python 3.14, WebAssembly) under node, offline.
//
// Usage: node tests/calculators/pyodide_check.mjs WHEEL [cases.json]
//
// Loads Pyodide from node_modules/pyodide only (indexURL points there; no CDN), installs the calculators wheel
// (the one the site serves, unpacked as the browser's worker does it: modules and data/*.json, which the
// package reads with importlib.resources), calls calculators.cli.run_json for every case (the same function the
// CLI and the browser call) and prints one JSON object: {"python": ..., "cases": [...], "results": [...]}.
// A result is {"ok": <run_json dict>} or {"error": <message>, "field": <CalculatorError.field>}.
// tests/calculators/test_pyodide.py compares the results with CPython's.

import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..", "..");
const pyodideDir = join(root, "node_modules", "pyodide");

const DEFAULT_CASES = [
  ["params", "meta-llama/Llama-3.1-8B"],
  ["params", "deepseek-ai/DeepSeek-V3"],
  ["params", "Qwen/Qwen3-Next-80B-A3B-Instruct"],
  ["params", "openai/gpt-oss-120b"],
  ["kv", "meta-llama/Llama-3.1-8B", "--seq-len", "8192", "--batch", "4", "--kv-dtype", "fp8"],
  ["kv", "deepseek-ai/DeepSeek-V3", "--seq-len", "32768", "--tp", "8"],
  ["kv", "google/gemma-3-27b-pt", "--seq-len", "131072", "--block-size", "16"],
  ["weights", "mistralai/Mixtral-8x7B-v0.1", "--weights", "nf4-dq"],
  ["weights", "meta-llama/Llama-3.1-70B", "--weights", "gptq-int4"],
  ["plan", "meta-llama/Llama-3.1-8B", "--weights", "fp8", "--seq-len", "8192", "--batch", "8",
   "--kv-dtype", "bf16", "--gpu", "H100", "--count", "1"],
  ["plan", "meta-llama/Llama-3.1-70B", "--weights", "bf16", "--seq-len", "32768", "--batch", "4",
   "--gpu", "A100-80GB", "--count", "4"],
  ["plan", "Qwen/Qwen3-30B-A3B", "--weights", "gptq-int4", "--seq-len", "16384", "--gpu", "RTX 4090",
   "--engine", "transformers"],
  ["recommend", "meta-llama/Llama-3.1-8B", "--weights", "bf16", "--seq-len", "32768", "--batch", "4"],
  ["train", "meta-llama/Llama-3.1-8B", "--method", "qlora", "--gradient-checkpointing", "--gpu", "RTX 4090"],
  ["train", "meta-llama/Llama-3.1-8B", "--method", "full"],
  ["gpus"],
  ["presets"],
  // the error path
  ["plan", "meta-llama/Llama-3.1-8B", "--seq-len", "1024", "--gpu", "H900"],
  ["kv", "meta-llama/Llama-3.1-8B", "--seq-len", "-3"],
  ["kv", "meta-llama/Llama-3.1-8B", "--seq-len", "1024", "--kv-dtype", "fp7"],
  ["params", "{\"model_type\": \"llama\", \"hidden_size\": 64}"],
  ["params", "[1, 2]"],
  ["plan", "meta-llama/Llama-3.1-8B"],
];

const [wheelPath, casesPath] = process.argv.slice(2);
if (!wheelPath) {
  console.error("usage: node tests/calculators/pyodide_check.mjs WHEEL [cases.json]");
  process.exit(2);
}
const cases = casesPath ? JSON.parse(readFileSync(casesPath, "utf8")) : DEFAULT_CASES;

const { loadPyodide } = await import(join(pyodideDir, "pyodide.mjs"));
const pyodide = await loadPyodide({ indexURL: pyodideDir + "/", stdout: () => {}, stderr: () => {} });

pyodide.unpackArchive(new Uint8Array(readFileSync(wheelPath)), "wheel");

pyodide.globals.set("CASES_JSON", JSON.stringify(cases));
const output = pyodide.runPython(`
import json, sys
import calculators
from calculators.cli import run_json
from calculators.errors import CalculatorError

results = []
for argv in json.loads(CASES_JSON):
    try:
        results.append({"ok": run_json(argv)})
    except CalculatorError as error:
        results.append({"error": str(error), "field": error.field})
json.dumps({"python": sys.version, "platform": sys.platform, "package": calculators.__file__,
            "cases": json.loads(CASES_JSON), "results": results}, allow_nan=False)
`);
process.stdout.write(output + "\n");
