// Module worker of the calculator pages: runs the `calculators` Python package in Pyodide, off the main thread.
// Messages in:  {type: "start", pyodideUrl, wheelUrl}
//               {type: "run", id, argv, lang, config}   (config: pasted config.json text, or null)
// Messages out: {type: "ready"} | {type: "failed", message} | {type: "result", id, payload, ms}
// payload is calculators.web.page_result(...): {ok, result, html, markdown, svg} or {ok: false, field, message}.

let pageResultJson = null;

async function start(pyodideUrl, wheelUrl) {
  const { loadPyodide } = await import(new URL("pyodide.mjs", pyodideUrl).href);
  const pyodide = await loadPyodide({ indexURL: pyodideUrl });
  const response = await fetch(wheelUrl);
  if (!response.ok) throw new Error(`${wheelUrl}: HTTP ${response.status}`);
  pyodide.unpackArchive(new Uint8Array(await response.arrayBuffer()), "wheel");
  pageResultJson = pyodide.pyimport("calculators.web").page_result_json;
}

self.onmessage = async (event) => {
  const message = event.data;
  if (message.type === "start") {
    try {
      await start(message.pyodideUrl, message.wheelUrl);
      self.postMessage({ type: "ready" });
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
