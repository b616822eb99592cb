// Render the math that pymdownx.arithmatex (generic mode) leaves in the page as \( ... \) (inline)
// and \[ ... \] (display), with the KaTeX files vendored in docs/vendor/katex.
// Material for MkDocs emits document$ for the first page load and for every instant navigation.
//
// A formula KaTeX cannot parse is not thrown away silently: it is shown in red as a
// <span class="katex-error"> with the parse error in its title, which tests/test_docs_site.py detects.
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
