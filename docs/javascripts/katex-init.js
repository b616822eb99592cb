// Render the math that pymdownx.arithmatex (generic mode) leaves in the page as \( ... \) (inline)
// and \[ ... \] (display), with the KaTeX files vendored in docs/vendor/katex.
// Material for MkDocs emits document$ for the first page load and for every instant navigation.
//
// Errors stay visible instead of being thrown: a formula KaTeX cannot parse is shown in red as a
// <span class="katex-error"> with the parse error in its title, and an unsupported command inside a
// formula is drawn in errorColor. tests/test_docs_site.py fails on either (it looks for this
// exact colour, so formulas should not use \color{#cc0000} themselves).
document$.subscribe(({ body }) => {
  renderMathInElement(body, {
    delimiters: [
      { left: "\\(", right: "\\)", display: false },
      { left: "\\[", right: "\\]", display: true },
    ],
    throwOnError: false,
    errorColor: "#cc0000",
  });
});
