// The copy button of an interactive example (">>> " lines, as in the API reference's
// docstrings) copies the code alone, ready to paste into a file or an interpreter: the ">>> "
// and "... " prompts are removed and the printed output lines are left out. Material for MkDocs
// copies a code block's closest `data-copy` attribute instead of its text when there is one;
// this sets it. tests/test_docs_site.py runs every such copy in a fresh interpreter.
function copyWithoutPrompts(text) {
  const code = [];
  for (const line of text.replace(/\n$/, "").split("\n")) {
    const prompt = /^(>>>|\.\.\.)( |$)/.exec(line);
    if (prompt) code.push(line.slice(prompt[0].length));
  }
  return code.join("\n") + "\n";
}

document$.subscribe(({ body }) => {
  for (const code of body.querySelectorAll(".highlight pre > code")) {
    if (/^>>>( |$)/.test(code.textContent.trimStart())) {
      code.setAttribute("data-copy", copyWithoutPrompts(code.textContent));
    }
  }
});
