"""A reply with formulas streams in JupyterLab without keeping the browser busy (findings/stream.md F2).

Each streaming update replaces the whole output, and JupyterLab's MathJax typesets whatever math
the new output holds: when the updates carried typeset math, every formula so far was typeset
again on every update (about ten a second), so a 1.9 KB reply with 25 formulas took 4-8 s of the
browser's main thread, in pauses of up to 0.4 s, and the page fell seconds behind the kernel. The
updates show the math as its TeX; the final form typesets each formula once. Counted here on the
page: every formula MathJax draws while the cell runs, at the cloud's pace.
"""

from __future__ import annotations

import json

import pytest
from browser.session import opened

from ygpt_magic.emulator import start_local_server
from ygpt_magic.emulator.faults import CLOUD_LIKE

pytestmark = pytest.mark.slow

PROMPT = "Explain linear regression with formulas"
FORMULAS = [r"y = X\beta + \varepsilon", r"\hat\beta = (X^\top X)^{-1} X^\top y", r"e = y - X\hat\beta",
            r"\hat\sigma^2 = \frac{e^\top e}{n - p}", r"R^2 = 1 - \frac{\sum_i e_i^2}{\sum_i (y_i - \bar y)^2}",
            r"t_j = \hat\beta_j / \operatorname{se}(\hat\beta_j)", r"\hat\beta_j \pm t_{0.975}",
            r"\operatorname{Var}(\hat\beta) = \sigma^2 (X^\top X)^{-1}"]
REPLY = "\n\n".join(["## Linear regression", *(f"Step {n}: we use ${tex}$ here, then go on to the next step "
                                                "of the derivation." for n, tex in enumerate(FORMULAS * 2)),
                     "That is all."])

#: every formula MathJax puts on the page in the cell's output, and on each frame how many show
COUNT = """(index) => {
  window.__drawn = 0; window.__frames = [];
  const area = () => document.querySelectorAll('.jp-Notebook .jp-Cell')[index].querySelector('.jp-OutputArea');
  new MutationObserver(changes => changes.forEach(change => change.addedNodes.forEach(node => {
    if (node.nodeType === 1 && area() && area().contains(node))
      window.__drawn += node.matches('mjx-container') ? 1 : node.querySelectorAll('mjx-container').length;
  }))).observe(document.querySelector('.jp-Notebook'), {childList: true, subtree: true});
  const sample = () => {
    const output = area();
    if (output && output.innerText.includes('Step'))
      window.__frames.push({typeset: output.querySelectorAll('mjx-container').length,
                            ended: output.innerText.includes('tokens')});
    if (!window.__stop) requestAnimationFrame(sample);
  };
  requestAnimationFrame(sample);
}"""


def test_a_streamed_reply_typesets_each_formula_once(lab, tmp_path):
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"replies": [{"user": PROMPT, "reply": REPLY}]}), encoding="utf-8")
    with start_local_server(scripts=[script]) as server:
        server.faults.first_chunk_latency(CLOUD_LIKE[0])
        server.faults.latency(CLOUD_LIKE[1])
        cells = [f"%load_ext ygpt_magic\n%ygpt connect {server.address} --insecure",
                 "import time; time.sleep(3)", f"%%ygpt --once\n{PROMPT}"]
        with opened(*lab, "formulas.ipynb", cells) as page:
            page.evaluate(COUNT, 2)
            output = page.locator(".jp-Notebook .jp-Cell").nth(2).locator(".jp-OutputArea")
            output.filter(has_text="tokens").wait_for(timeout=60_000)
            output.locator("mjx-container").nth(len(FORMULAS) * 2 - 1).wait_for()
            page.wait_for_timeout(1000)  # MathJax done with the final form
            drawn = page.evaluate("() => { window.__stop = true; return window.__drawn; }")
            frames = page.evaluate("() => window.__frames")
    streaming = [frame for frame in frames if not frame["ended"]]
    assert len(streaming) >= 5, f"too few frames drawn while it streamed to judge: {len(streaming)}"
    assert drawn == len(FORMULAS) * 2, f"MathJax drew {drawn} formulas for the {len(FORMULAS) * 2} of the reply"
    assert not any(frame["typeset"] for frame in streaming), "the updates show the formulas' TeX"
    assert frames[-1]["typeset"] == len(FORMULAS) * 2, frames[-1]
