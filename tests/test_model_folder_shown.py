"""A model given as the Yandex docs write it, ``gpt://<folder>/yandexgpt/latest``, is named without
its folder in what a cell prints, as the footer, the ``--map`` summary, ``%ygpt usage`` and the
provenance name it (modelname.py ``short``): the folder id is noise there, and each of these
lines is saved in the notebook. The ``--dry-run`` heads (a cell's and a ``--map``'s) and the
``--batch`` started line printed it in full. Through the real shell and the local server."""

from __future__ import annotations

import pytest
from cellrun import LOST_EXCEPTIONS
from conftest import cell

pytestmark = [*LOST_EXCEPTIONS, pytest.mark.usefixtures("fresh_names")]

FOLDER = "b1gshownfolder"


@pytest.mark.parametrize(("flags", "model", "head"), [
    ("--once --dry-run", "yandexgpt/latest", "Dry run (prompt mode, no history, model yandexgpt/latest): 1 message"),
    ("--map reviews --dry-run", "yandexgpt/latest", "Dry run (--map, prompt mode, model yandexgpt/latest): 2 rows"),
    ("--map reviews --batch --out answers", "qwen2.5-32b-instruct/latest",
     "started for 2 rows of reviews on qwen2.5-32b-instruct/latest. Estimated cost"),
])
def test_a_model_uri_is_named_without_its_folder(shell, ygpt_server, flags, model, head):
    shell.run_line_magic("config", "YGptMagics.batch_poll_interval = 0.02")
    shell.user_ns["reviews"], shell.user_ns["item"] = ["Great phone", "Broke in a week"], "Fine"
    run = cell(shell, f"%%ygpt {flags} --model gpt://{FOLDER}/{model}\nSentiment of: {{item}}")
    assert run.ok, run.message
    assert head in run.stdout + run.plain_page, run.stdout + run.plain_page
    assert FOLDER not in run.shown
