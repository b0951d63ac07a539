// Module worker of the calculator pages: runs the `calculators` Python package in Pyodide, off the main thread.
// Messages in:  {type: "start", pyodideUrl, wheelUrl, snapshotUrl}   (snapshotUrl: "" = none)
//               {type: "run", id, argv, lang, config}   (config: pasted config.json text, or null)
// Messages out: {type: "ready", runtime: "snapshot" | "fresh"} | {type: "failed", message}
//               | {type: "result", id, payload, ms}
// payload is calculators.web.page_result(...): {ok, result, html, markdown, svg, command_line} or
// {ok: false, field, message}.

let pageResultJson = null;

// Pyodide restored from the site's build-time memory snapshot (Python started, the package imported and warmed
// up: hooks/pyodide_snapshot.mjs), or, when there is none or it fails, started the ordinary way.
async function start(pyodideUrl, wheelUrl, snapshotUrl) {
  const { loadPyodide } = await import(new URL("pyodide.mjs", pyodideUrl).href);
  const wheel = fetchBytes(wheelUrl);
  wheel.catch(() => {});  // awaited below; a failure (offline) is reported there, not as an unhandled rejection
  let pyodide = null;
  if (snapshotUrl) {
    try {
      const snapshot = fetchSnapshot(snapshotUrl);
      snapshot.catch(() => {});  // loadPyodide awaits it later; its failure is handled there, not left unhandled
      pyodide = await loadPyodide({ indexURL: pyodideUrl, _loadSnapshot: snapshot });
    } catch (error) {
      console.warn("calculator: starting Python without the snapshot:", String(error));
    }
  }
  const runtime = pyodide ? "snapshot" : "fresh";
  pyodide ??= await loadPyodide({ indexURL: pyodideUrl });
  pyodide.unpackArchive(await wheel, "wheel");
  pageResultJson = pyodide.pyimport("calculators.web").page_result_json;
  return runtime;
}

// The snapshot is stored gzip-compressed; a host that sends it with Content-Encoding: gzip has already unpacked it.
async function fetchSnapshot(url) {
  const bytes = await fetchBytes(url);
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

self.onmessage = async (event) => {
  const message = event.data;
  if (message.type === "start") {
    try {
      const runtime = await start(message.pyodideUrl, message.wheelUrl, message.snapshotUrl);
      self.postMessage({ type: "ready", runtime });
    } catch (error) {
      self.postMessage({ type: "failed", message: String(error) });
    }
  } else if (message.type === "run") {
    const started = performance.now();
    let payload;
    try {
      const argvJson = JSON.stringify(message.argv);
      // JS null would reach Python as JsNull; an omitted argument is None.
      const text = message.config === null
        ? pageResultJson(argvJson, message.lang)
        : pageResultJson(argvJson, message.lang, message.config);
      payload = JSON.parse(text);
    } catch (error) {
      payload = { ok: false, field: "", message: String(error) };
    }
    self.postMessage({ type: "result", id: message.id, payload, ms: performance.now() - started });
  }
};
