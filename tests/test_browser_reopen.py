"""A notebook saved and reopened later, in a real browser: JupyterLab, headless Chromium.

The user runs a ``--map`` cell and opens the panel, saves, and comes back another day: the page
is loaded again with a new kernel and nothing run. Widgets died with the old kernel; the notebook
must show what they showed (the bar's summary, the chat's transcript with how to reopen the
panel), never "Error displaying widget: model not found".
"""

from __future__ import annotations

import json

import pytest
from browser.session import opened
from test_browser import FIRST

pytestmark = pytest.mark.slow

CELLS = ["%load_ext ygpt_magic",
         "fruits = ['apple', 'pear', 'plum']",
         "%%ygpt --map fruits --out answers\nTranslate to French: {item}",
         f"%%ygpt\n{FIRST}",
         "%ygpt panel"]
REPLY = "Albert Einstein was a theoretical physicist"
REOPEN = "Run %ygpt panel to open it again"


def test_a_reopened_notebook_shows_the_bar_summary_and_the_transcript_not_a_widget_error(lab):
    server, _ = lab
    with opened(*lab, "reopen.ipynb", CELLS) as page:
        cells = page.locator(".jp-Notebook .jp-Cell")
        cells.nth(2).locator(".jp-OutputArea", has_text="✓ 3 answered").wait_for()
        panel = page.locator(".ygpt-panel")
        panel.locator(".ygpt-assistant .ygpt-bubble", has_text=REPLY).wait_for()
        page.wait_for_timeout(500)  # the saved view's last update
        parts = page.locator(".ygpt-saved")   # the saved view is several outputs (panel/saved.py)
        assert parts.count() > 1 and not any(part.is_visible() for part in parts.all())

        page.keyboard.press("Control+s")
        saved = server.folder / "reopen.ipynb"
        page.wait_for_function("() => !document.querySelector('.jp-mod-dirty')")
        stored = json.loads(saved.read_text())["cells"][4]["outputs"]
        assert all("".join(output["data"]["text/plain"]) for output in stored), "an empty output was saved"
        assert REOPEN in "".join("".join(output["data"]["text/plain"]) for output in stored), stored

        server.stop_kernels()
        page.reload()
        page.get_by_text("Python 3 (ipykernel) | Idle").wait_for()  # a new kernel, nothing run
        page.wait_for_timeout(2000)  # the widget manager has restored what it could by now
        text = page.locator(".jp-Notebook").inner_text()
        assert "Error displaying widget" not in text, text
        assert "✓ 3 answered" in cells.nth(2).inner_text() and "0%|" not in text
        outputs = cells.nth(4).locator(".jp-Cell-outputArea > .jp-OutputArea-child").all()
        assert all(output.is_visible() and output.inner_text().strip() for output in outputs), "a blank output"
        view = cells.nth(4).locator(".jp-Cell-outputArea").inner_text()
        assert view.index(REOPEN) < view.index(FIRST) < view.index(REPLY) and view.count(FIRST) == 1, view
