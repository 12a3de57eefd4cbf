"""A comma-separated list written with a space after each comma (``--docs a.md, b.md, c.md``,
``--labels positive, negative, neutral``) is read as the list the user meant, by every flag that
takes one: the shell-like split of the line leaves the rest of the list as stray words, and the
parse puts them back. Before, the advice joined only the first stray word (``--docs a.md,b.md,``),
so pasting it searched two files of three without a word about the third, and ``--labels
positive,negative,`` was refused as an empty label. Through the real shell and the local server.
"""

from __future__ import annotations

import pytest
from conftest import cell
from pictures import MODEL, chart, pics, png_bytes  # noqa: F401 (pics: a fixture)
from test_embed import embedded

pytestmark = pytest.mark.usefixtures("fresh_names")


def test_docs_reads_every_file_of_a_spaced_list_the_last_one_too(shell, ygpt_server, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name, text in (("a.md", "The office is in Kazan."), ("b.md", "The budget is 4 million."),
                       ("c.md", "The release is on 14 March.")):
        (tmp_path / name).write_text(f"# {name}\n\n{text}\n")
    ygpt_server.reset()
    run = cell(shell, "%%ygpt --docs a.md, b.md, c.md --once\nWhen is the release?")
    assert run.ok, run.message
    assert "Indexed 3 new chunks of 3 files" in run.shown
    assert any("14 March" in text for text in embedded(ygpt_server))


def test_labels_classify_among_every_label_of_a_spaced_list(shell, ygpt_server):
    run = cell(shell, "%%ygpt --labels positive, negative, neutral\nThe screen cracked on day one")
    assert run.ok, run.message
    assert sorted(shell.user_ns["_ygpt"].parsed) == ["negative", "neutral", "positive"]


def test_config_tools_takes_a_spaced_list_of_functions(shell):
    assert cell(shell, "def get_sales(): return 1\ndef get_weather(): return 2").ok
    run = cell(shell, "%ygpt config --tools get_sales, get_weather")
    assert run.ok, run.message
    assert "get_sales, get_weather" in run.plain, run.plain


def test_image_sends_every_picture_of_a_spaced_list(pics, ygpt_server):
    pics.user_ns["fig"], _ = chart()
    pics.user_ns["png"] = png_bytes()
    run = cell(pics, f"%%ygpt --image fig, png --model {MODEL} --once\nCompare them.")
    assert run.ok, run.message
    assert [image["format"] for image in ygpt_server.requests[-1].images] == ["png", "png"]
