"""The end of a streamed reply and of a ``--map`` bar, as JupyterLab draws it, frame by frame.

Frontends that ignore display updates (jupyter console) get a lasting output's plain text sent
again as a display of its own, under an empty HTML form (render/forms.py echo). In JupyterLab that copy
must show nothing: this story checks, on every animation frame Chromium draws while the cells
run, that a user sees no flash (the text never shrinks or vanishes once shown), no duplicate
(never two outputs with text) and no jump (a streamed cell's output area never gets shorter), that
the copy takes no room, and that the notebook JupyterLab saves keeps one output per cell (the
copy is live-only: saving.py). Ending the live display with an empty update and sending the final
form as a new display failed here: a frame with the reply gone, on every run.
"""

from __future__ import annotations

import json

import pytest
from browser.session import opened

pytestmark = pytest.mark.slow

QUESTION = "Hi! What fields of science did Albert Einstein study?"
STREAMED = 5  # cells, so a switch landing between two frames would have five chances to show
FIRST = 2     # index of the first streamed cell (after %load_ext and a pause to start recording)

#: On each animation frame: per cell, its output area's text length, the outputs with text,
#: the heights of those without, and the area's height.
RECORD = """() => {
  const frames = window.__frames = [];
  const sample = () => {
    frames.push(Array.from(document.querySelectorAll('.jp-Notebook .jp-Cell')).map(cell => {
      const area = cell.querySelector('.jp-OutputArea');
      if (!area) return null;
      const outputs = Array.from(area.querySelectorAll(':scope > .jp-OutputArea-child'));
      const texted = outputs.filter(o => o.innerText.trim());
      return {text: area.innerText.trim().length, shown: texted.length,
              blank: outputs.filter(o => !o.innerText.trim()).map(o => o.getBoundingClientRect().height),
              height: area.getBoundingClientRect().height};
    }));
    if (!window.__stop) requestAnimationFrame(sample);
  };
  requestAnimationFrame(sample);
}"""


def _story(frames: list[list[dict | None]], index: int) -> list[dict]:
    """One cell's frames from the first that shows text on."""
    states = [frame[index] for frame in frames if frame[index] is not None]
    started = next(n for n, state in enumerate(states) if state["shown"])
    return states[started:]


def test_the_final_form_replaces_the_live_display_with_no_flash_jump_or_duplicate(lab, tmp_path):
    cells = ["%load_ext ygpt_magic", "import time; time.sleep(3)",
             *[f"%%ygpt --once\n{QUESTION} ({n})" for n in range(STREAMED)],  # none replayed
             "items = ['Great phone', 'Broke after a week']",
             "%%ygpt --map items --once\nSentiment of: {item}"]
    jupyter, _ = lab
    with opened(*lab, "switch.ipynb", cells) as page:
        page.evaluate(RECORD)
        notebook_cells = page.locator(".jp-Notebook .jp-Cell")
        notebook_cells.last.locator(".jp-OutputArea", has_text="answered").wait_for()
        page.wait_for_timeout(500)
        frames = page.evaluate("() => { window.__stop = true; return window.__frames; }")
        page.keyboard.press("Control+s")
        page.get_by_text("Saving completed").or_(page.locator(".jp-Notebook")).first.wait_for()
        page.wait_for_timeout(1500)
    for index in range(FIRST, FIRST + STREAMED):
        story = _story(frames, index)
        assert len(story) >= 5, f"cell {index}: too few frames drawn while it streamed to judge ({len(story)})"
        assert all(state["shown"] == 1 for state in story), f"cell {index}: a flash or a duplicate: {story}"
        texts = [state["text"] for state in story]
        assert texts == sorted(texts), f"cell {index}: the text shrank on a frame (a flash): {texts}"
        heights = [state["height"] for state in story]
        assert all(b >= a - 0.5 for a, b in zip(heights, heights[1:])), f"cell {index}: a jump: {heights}"
        assert story[-1]["blank"] == [0], f"cell {index}: the copy sent again takes room: {story[-1]}"
    rows = _story(frames, len(cells) - 1)
    assert all(state["shown"] == 1 for state in rows), f"the --map bar and its summary: {rows}"

    saved = json.loads((jupyter.folder / "switch.ipynb").read_text())["cells"]
    for index in range(FIRST, FIRST + STREAMED):
        outputs = saved[index]["outputs"]
        assert len(outputs) == 1 and "What fields of science" in "".join(outputs[0]["data"]["text/plain"]), outputs
    summary = saved[-1]["outputs"]
    assert len(summary) == 1 and "✓ 2 answered" in "".join(summary[0]["data"]["text/plain"]), summary
