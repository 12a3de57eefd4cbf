"""What the browser stories share: a JupyterLab per test process, a Chromium per module, and a
story's notebook opened in a page of its own.

A JupyterLab takes seconds to start and stop, so every story one test process (one xdist worker)
runs goes to the same server (the session fixture ``jupyterlab`` in tests/conftest.py); each
story writes a notebook of its own there and stops its kernel when it ends. Chromium cannot live
as long: between two calls, Playwright's sync API leaves its event loop marked as running in the
test thread, so a later test's ``asyncio.run()`` in the same process would fail ("cannot be
called from a running event loop"). It runs for one module's stories (the module fixture ``lab``)
and is closed when they end.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from browser.lab import CHROMIUM, CHROMIUM_ARGS, Lab, notebook

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ENV = {"YGPT_ENDPOINT": "local", "YC_API_KEY": "dummy-key-for-the-local-server",
       "YC_FOLDER_ID": "local-folder"}
VIEWPORT = {"width": 1280, "height": 1000}


@contextmanager
def chromium() -> Iterator[object]:
    """A headless Chromium's browser context (Playwright's), closed with the browser afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser.new_context(viewport=VIEWPORT)
        finally:
            browser.close()


@contextmanager
def opened(lab: Lab, context, name: str, cells: list[str]) -> Iterator[object]:
    """A new page of `context` showing the notebook `name` of `cells` in `lab`, its kernel
    ready and its cells all run; the page closed and the kernel stopped afterwards."""
    (lab.folder / name).write_text(json.dumps(notebook(cells)))
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto(lab.url(name))
        page.locator(".jp-Notebook .jp-Cell").first.wait_for()
        page.get_by_text("Python 3 (ipykernel) | Idle").wait_for()  # the kernel is ready
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        yield page
    except BaseException:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "browser-failure.png"))
        print(f"\nJupyterLab log (end):\n{lab.log()}\nscreenshot: {ARTIFACTS / 'browser-failure.png'}")
        raise
    finally:
        page.close()
        lab.stop_kernels()
