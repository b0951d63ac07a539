// Calculator pages: reads the form, runs calculators.web.page_result in a Pyodide worker, shows the result.
// The first result on the page was rendered at build time by the same Python function, so the page is correct
// before (and without) Python starting here. Nothing the user pastes or fetches is ever inserted as HTML: the
// result HTML comes from the Python package, which escapes every value, and messages are set as text.

const root = document.querySelector(".calc");
if (root) setUp(root);

function setUp(root) {
  const ui = JSON.parse(root.querySelector(".calc-ui").textContent);
  const command = root.dataset.calc;
  const lang = root.dataset.lang;
  const form = root.querySelector(".calc-form");
  const pasted = form.querySelector("#config-json");
  const status = root.querySelector(".calc-status");
  const errorBox = root.querySelector(".calc-error");
  const result = root.querySelector("#calc-result");
  const recommend = root.querySelector("#calc-recommend");
  const chart = root.querySelector(".calc-chart");
  const commandLine = root.querySelector(".calc-command code");
  const copied = root.querySelector(".calc-copied");
  let markdown = JSON.parse(root.querySelector(".calc-markdown").textContent);
  // The data of the argv rule, from the options' declaration (calculators/options.py): each command's flags in
  // order, [flag, isSwitch], for the page's command and the one it also runs (the planner's `recommend`), and
  // CONFIG while a config.json is pasted.
  const RULE = JSON.parse(root.dataset.argvRule);

  restoreFromUrl();

  // --- calculators.options.page_argv's rule: the argv `name` runs for the form ----------------------------
  function argv(name) {
    const model = pasted.value.trim() ? RULE.pasted : form.elements.model.value.trim();
    const words = given(name).flatMap(([flag, value]) => (value === true ? ["--" + flag] : ["--" + flag, value]));
    return [name, model, ...words];
  }

  // [flag, value] of each option of `name` the form gives, in order: true for a switch that is on; a switch that
  // is off and an empty field are left out
  function given(name) {
    const values = [];
    for (const [flag, isSwitch] of RULE.flags[name]) {
      const element = form.elements.namedItem(flag);
      const value = isSwitch ? element.checked : element.value.trim();
      if (value !== false && value !== "") values.push([flag, value]);
    }
    return values;
  }

  function restoreFromUrl() {
    for (const [name, value] of new URLSearchParams(location.search)) {
      if (name === "config") {
        pasted.value = value;  // a pasted config.json travels in the link (see saveToUrl)
        continue;
      }
      const element = form.elements.namedItem(name);
      if (!element || name === "config-json" || name === "config-file") continue;
      if (element.type === "checkbox") {
        element.checked = value === "" || value === "1" || value === "true";
      } else if (element.tagName === "SELECT" && ![...element.options].some((o) => o.value === value)) {
        // a value the CLI may accept though the list lacks it (an alias, another dtype): kept, never replaced;
        // the engine accepts it or says what is wrong with it
        element.add(new Option(value, value, true, true));
      } else {
        element.value = value;
      }
    }
  }

  const MAX_CONFIG_IN_URL = 8000;  // characters of a pasted config.json the shareable link carries

  function saveToUrl() {
    const params = new URLSearchParams();
    params.set("model", form.elements.model.value.trim());
    for (const [flag, value] of given(command)) params.set(flag, value === true ? "1" : value);
    const config = pasted.value.trim();
    if (config && config.length <= MAX_CONFIG_IN_URL) params.set("config", config);
    root.dataset.linkHoldsConfig = String(!config || config.length <= MAX_CONFIG_IN_URL);
    history.replaceState(null, "", "?" + params.toString() + location.hash);
  }

  // --- the worker ---------------------------------------------------------------------------------------
  let worker = null;
  let ready = false;
  let latest = 0;
  let pendingStarted = 0;
  let recommendTimer = 0;
  const RECOMMEND_DELAY_MS = 250;
  const sent = new Map();  // request id -> the argv it ran with, so a result is labelled with its own inputs
  let notice = "";  // a failed Hub fetch: shown until the model or the pasted config changes

  function fail(message) {
    status.textContent = ui.failed;
    status.classList.add("calc-failed");
    if (message) console.warn("calculator:", message);
  }

  if (!("Worker" in window) || typeof WebAssembly !== "object") {
    fail("no Web Worker or WebAssembly support");
  } else {
    try {
      worker = new Worker(new URL(root.dataset.worker, location.href), { type: "module" });
      worker.onerror = (event) => fail(event.message || "worker error");
      worker.onmessage = onMessage;
      worker.postMessage({
        type: "start",
        pyodideUrl: new URL(root.dataset.pyodide, location.href).href,
        wheelUrl: new URL(root.dataset.wheel, location.href).href,
        snapshotUrl: root.dataset.snapshot ? new URL(root.dataset.snapshot, location.href).href : "",
      });
    } catch (error) {
      fail(String(error));
    }
  }

  function onMessage(event) {
    const message = event.data;
    if (message.type === "ready") {
      ready = true;
      status.textContent = ui.ready;
      root.dataset.state = "ready";
      root.dataset.runtime = message.runtime;
      calculate();
    } else if (message.type === "failed") {
      fail(message.message);
    } else if (message.type === "result" && message.id === latest) {
      show(message.payload, sent.get(message.id));
      sent.clear();
    } else if (message.type === "result" && message.id === -latest) {
      if (recommend && message.payload.ok) {
        recommend.dataset.resultJson = JSON.stringify(message.payload.result);
        recommend.innerHTML = message.payload.html;
      }
    }
  }

  function calculate() {
    saveToUrl();
    if (!ready) return;
    const args = argv(command);
    const config = pasted.value.trim() ? pasted.value : null;
    latest += 1;
    pendingStarted = performance.now();
    sent.set(latest, args);
    worker.postMessage({ type: "run", id: latest, argv: args, lang, config });
    // The GPU options (a plan per GPU model) follow once the input rests, so they never delay the next result.
    clearTimeout(recommendTimer);
    if (recommend) {
      const id = latest;
      const options = argv("recommend");  // the same form, read now
      recommendTimer = setTimeout(() => {
        if (id === latest) worker.postMessage({ type: "run", id: -id, argv: options, lang, config });
      }, RECOMMEND_DELAY_MS);
    }
  }

  // --- showing results and errors ----------------------------------------------------------------------
  function clearErrors() {
    errorBox.hidden = !notice;
    errorBox.textContent = notice;
    for (const element of root.querySelectorAll(".calc-field-error")) element.textContent = "";
  }

  function fieldFor(engineField) {
    if (!engineField) return null;
    if (engineField === "config-json" || engineField.startsWith("config")) {
      return pasted.value.trim() ? "config-json" : "model";
    }
    return engineField.replace(/_/g, "-");
  }

  function show(payload, args) {
    clearErrors();
    if (payload.ok) {
      result.dataset.resultJson = JSON.stringify(payload.result);
      result.dataset.argv = JSON.stringify(args);
      result.innerHTML = payload.html;
      chart.innerHTML = payload.svg;
      markdown = payload.markdown;
      result.classList.remove("calc-stale");
      status.textContent = ui.ready;
      commandLine.textContent = payload.command_line;  // quoted by Python (shlex.join)
    } else {
      const target = fieldFor(payload.field);
      const slot = target && root.querySelector(`.calc-field-error[data-for="${CSS.escape(target)}"]`);
      if (slot) slot.textContent = payload.message;
      errorBox.textContent = notice ? `${notice}\n${payload.message}` : payload.message;
      errorBox.hidden = false;
      result.classList.add("calc-stale");
      status.textContent = ui.stale;
    }
    root.dataset.lastRecalcMs = (performance.now() - pendingStarted).toFixed(1);
    // performance.now() counts from the start of the navigation: the reader's wait for the first live result.
    if (!root.dataset.firstResultMs) root.dataset.firstResultMs = performance.now().toFixed(1);
    root.dataset.updates = String(Number(root.dataset.updates || 0) + 1);
  }

  // --- inputs ------------------------------------------------------------------------------------------
  let timer = 0;
  form.addEventListener("input", (event) => {
    if (event.target.type === "file") return;
    if (event.target === form.elements.model || event.target === pasted) notice = "";
    clearTimeout(timer);
    timer = setTimeout(calculate, 80);
  });
  form.addEventListener("submit", (event) => event.preventDefault());

  form.elements["config-file"].addEventListener("change", async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    pasted.value = await file.text();
    calculate();
  });

  root.querySelector(".calc-fetch").addEventListener("click", async () => {
    const id = form.elements.model.value.trim();
    notice = "";
    clearErrors();
    if (!/^[\w.\-]+(\/[\w.\-]+)?$/.test(id)) {
      notice = ui.fetch_failed;
      clearErrors();
      return;
    }
    status.textContent = ui.fetching;
    try {
      const path = id.split("/").map(encodeURIComponent).join("/");
      const response = await fetch(`${root.dataset.hub}/${path}/resolve/main/config.json`);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      pasted.value = await response.text();
      status.textContent = `${ui.fetched} ${id}`;
      calculate();
    } catch (error) {
      console.warn("calculator: fetching config.json failed:", String(error));
      status.textContent = ready ? ui.ready : status.textContent;
      notice = ui.fetch_failed;  // kept across recalculations until the reader changes the model
      clearErrors();
    }
  });

  async function copy(text) {
    try {
      await navigator.clipboard.writeText(text);
      copied.textContent = ui.copied;
    } catch (error) {
      copied.textContent = String(error);
    }
  }
  root.querySelector(".calc-copy-md").addEventListener("click", () => copy(markdown));
  root.querySelector(".calc-copy-json").addEventListener("click", () =>
    copy(JSON.stringify(JSON.parse(result.dataset.resultJson), null, 2)));
}
