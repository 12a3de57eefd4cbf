"""The failed rows' reasons of a run over rows in a notebook run headless (nbclient: `jupyter
execute`, papermill), through a real kernel and the local server.

Their summary lists the rows one reason failed on one line, by the reason each failure carries
apart from its row (it cut `Row 'c': ` off each message, so a reason worded otherwise, as a
reply that did not fit --schema is, got a line per row). And a row's own advice fits the run: it
said "run the cell again", which nobody can do once the run has ended, and pointed at `_ygpt.raw`
in a kernel that is gone; in a page it is as it was."""

from __future__ import annotations

import pytest
from conftest import cell
from test_rows_headless import _kept, _run

REVIEWS = ("import pandas as pd\nreviews = pd.DataFrame({'text': ['Great laptop, love it', "
           "'Broke after a week, refund', 'Okay for the price', None]}, index=['r1', 'r2', 'r3', 'r4'])")
#: a validator that takes only the positive verdict the local server gives r1, with one message
#: for every other (pydantic says it as "Value error, …")
POSITIVE = ("from pydantic import BaseModel, field_validator\n"
            "class Verdict(BaseModel):\n    sentiment: str\n"
            "    @field_validator('sentiment')\n    @classmethod\n    def known(cls, v):\n"
            "        if v != 'positive':\n            raise ValueError('only positive verdicts are known')\n"
            "        return v\n")


@pytest.mark.slow   # a fresh kernel
def test_rows_that_failed_alike_share_a_line_and_their_advice_fits_a_headless_run(tmp_path, ygpt_server):
    cells = ["%load_ext ygpt_magic", f"%ygpt connect {ygpt_server.address} --insecure", REVIEWS, POSITIVE,
             "%%ygpt --map reviews --schema Verdict --out verdicts\nClassify the review: {text}",
             "print(*_ygpt.errors.values(), sep='\\n')",
             "%%ygpt --map words --concurrency 1 --out said\nSay {item}"]
    cells[2] += "\nwords = ['one', 'two']"
    ygpt_server.faults.fail_next(1, "OUT_OF_RANGE", "temperature out of range", after=4)   # the second word
    notebook = _run(tmp_path, cells)

    (said,) = _kept(notebook["cells"][4]["outputs"])
    summary, advice, *notes = said.split("\n")
    why = [line for line in notes if line.startswith("✗")]
    assert summary.startswith("✓ 1 answered · ✗ 3 failed (2 reply not valid, 1 missing value)"), said
    assert why[0].startswith("✗ 2 rows ('r2', 'r3'): The answer does not fit the schema Verdict: "), said
    assert "only positive verdicts are known" in why[0], said
    assert why[1].startswith("✗ 1 row ('r4'): {text} holds no value (NaN)"), said
    assert len(why) == 2, said
    for reason in why:   # no cell to run again, no kernel holding _ygpt.raw
        assert "run the cell again" not in reason and "_ygpt" not in reason, reason
        assert reason.endswith(("run the notebook again.", "(Optional fields, plainer types).")), reason
    assert "The row has no result; run the notebook again to ask for it again" in why[0], said
    errors = notebook["cells"][5]["outputs"][0]["text"]   # what a later cell reads, worded alike
    assert errors.count("Row 'r4': {text} holds no value") == 1 and "run the cell again" not in errors, errors
    (server,) = [line for line in _kept(notebook["cells"][6]["outputs"])[0].split("\n") if line.startswith("✗ 1 row")]
    assert server.startswith("✗ 1 row (1): The server refused a value in the request as out of range"), server
    assert "with %ygpt config, then run the notebook again." in server, server   # the server's reasons too


def test_in_a_page_a_rows_reasons_say_to_run_the_cell_again(shell, ygpt_server):
    assert cell(shell, REVIEWS + "\n" + POSITIVE).ok
    run = cell(shell, "%%ygpt --map reviews --schema Verdict --out verdicts\nClassify the review: {text}")
    assert run.ok, run.message
    errors = shell.user_ns["_ygpt"].errors
    assert errors["r4"].startswith("Row 'r4': {text} holds no value (NaN)"), errors
    assert errors["r4"].endswith(", then run the cell again."), errors
    assert "Its raw text is in _ygpt.raw['r2'] and the row has no result; run the cell again to ask for " \
           "this row again (rows with a result are reused)" in errors["r2"], errors
    assert "_ygpt.errors has each one's reason. Run the cell again" in run.stdout, run.stdout
