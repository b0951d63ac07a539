// Material for MkDocs downloads the search index of the whole site (both languages, well over a megabyte) and
// builds the search engine from it as soon as any page loads. This script, which runs before Material's bundle,
// holds that one request back until the reader reaches for search: the pointer over the search box, focus in it
// (a click, a tap, or the "/", "s" and "f" shortcuts), or a page address that asks for search (?q=, ?h=).
// The first search then waits for the download, which Material shows as "Initializing search".
(() => {
  const INDEX = "search/search_index.json";
  let release;
  const wanted = new Promise((resolve) => { release = resolve; });

  const params = new URLSearchParams(location.search);
  if (params.has("q") || params.has("h")) release();
  document.addEventListener("focusin", (event) => {
    if (event.target.closest?.(".md-search")) release();
  });
  document.addEventListener("pointerover", (event) => {
    if (event.target.closest?.(".md-search, label[for='__search']")) release();
  }, { passive: true });
  document.addEventListener("change", (event) => {
    if (event.target.id === "__search") release();
  });

  // Material requests the index with XMLHttpRequest (bundle.js, `request`): its send() waits for the release.
  const open = XMLHttpRequest.prototype.open;
  const send = XMLHttpRequest.prototype.send;
  const held = new WeakSet();
  XMLHttpRequest.prototype.open = function (method, url, ...rest) {
    if (new URL(String(url), location.href).pathname.endsWith(INDEX)) held.add(this);
    return open.call(this, method, url, ...rest);
  };
  XMLHttpRequest.prototype.send = function (...body) {
    if (!held.has(this)) return send.apply(this, body);
    wanted.then(() => send.apply(this, body));
  };
})();
