// MathJax 3 configuration; loaded before the self-hosted tex-mml-chtml.js (see hooks/vendor_assets.py).
// Pages: pymdownx.arithmatex (generic mode) wraps math in .arithmatex with \( \) and \[ \] delimiters.
// Notebooks: mkdocs-jupyter keeps $...$ and $$...$$ inside .jp-MarkdownOutput cells.
// Only those two classes are typeset, so a dollar sign in ordinary prose or code is left alone.
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
