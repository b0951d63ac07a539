// MathJax 3, self-hosted (hooks/vendor_assets.py copies it from node_modules), loaded only on pages with math.
// Pages: pymdownx.arithmatex (generic mode) wraps math in .arithmatex with \( \) and \[ \] delimiters.
// Notebooks: mkdocs-jupyter keeps $...$ and $$...$$ inside .jp-MarkdownOutput cells.
// Only those two classes are typeset, so a dollar sign in ordinary prose or code is left alone.
(function () {
  if (!document.querySelector(".arithmatex, .jp-MarkdownOutput")) return;
  window.MathJax = {
    tex: {
      inlineMath: [["\\(", "\\)"], ["$", "$"]],
      displayMath: [["\\[", "\\]"], ["$$", "$$"]],
      processEscapes: true,
      processEnvironments: true,
    },
    options: {
      ignoreHtmlClass: "md-typeset",
      processHtmlClass: "arithmatex|jp-MarkdownOutput",
    },
  };
  var script = document.createElement("script");
  script.src = new URL("../vendor/mathjax/tex-mml-chtml.js", document.currentScript.src).href;
  script.async = true;
  document.head.appendChild(script);
})();
