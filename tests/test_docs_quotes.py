"""Pages that quote what the product says or counts, held to what it says and counts today.

A doc quote of an output drifts silently when the code changes (findings/docstruth3.md found six:
a fault's message, a threshold, a file version, a footer, a count). Each test reads the quote from
the page and makes the product say it: through the shell and the local server where a cell says
it, from the value the code holds where the page quotes a number.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from conftest import cell

from ygpt_magic.chat import fileversions
from ygpt_magic.chat.prices import builtin
from ygpt_magic.chat.values import Reply, Usage
from ygpt_magic.client.batch import ASK_GRACE
from ygpt_magic.client.loop import SLOW_AFTER
from ygpt_magic.client.outage import window
from ygpt_magic.errors import HttpNotGrpc, ServerUnavailable
from ygpt_magic.kernel import DEFAULT

DOCS = Path(__file__).resolve().parents[1] / "docs"
NBSP = "\u00a0"


def _page(name: str) -> str:
    return " ".join((DOCS / name).read_text(encoding="utf-8").split())   # a quote may wrap


def _row(page: str, fault: str) -> str:
    """The first quote of reliability.md's fault-table row for ``fault``."""
    line = next(line for line in (DOCS / page).read_text(encoding="utf-8").splitlines()
                if line.startswith(f"| {fault} |"))
    return re.search(r"`([^`]*)`", line).group(1)


def test_reliability_md_quotes_what_a_server_answering_unavailable_gets(shell, ygpt_server):
    quoted = _row("reliability.md", "UNAVAILABLE (retries used up)")
    said, _, detail = quoted.partition(" The server said: ")
    ygpt_server.faults.fail_next(10, "UNAVAILABLE")
    try:
        run = cell(shell, "%%ygpt --once\nHello")
    finally:
        ygpt_server.faults.clear()
    assert detail and run.message.startswith(said.replace("HOST:PORT", ygpt_server.address) + " The server said: “")


def test_reliability_md_keeps_could_not_reach_for_a_server_never_reached():
    fault = "UNAVAILABLE from gRPC's own transport (the connection failed, the server never answered; retries used up)"
    assert _row("reliability.md", fault) == str(ServerUnavailable("HOST:PORT"))


def test_reliability_md_quotes_what_the_http_address_of_serve_gets():
    fault = ("the HTTP address of ygpt-magic serve (the second after READY) given where the gRPC one goes, "
             "with --insecure")
    said = str(HttpNotGrpc("HOST:HTTP_PORT", "HOST:PORT"))
    pieces = _row("reliability.md", fault).split("…")
    start = 0
    for piece in pieces:
        start = said.index(piece, start) + len(piece)
    assert said.startswith(pieces[0]) and start == len(said), said


def test_prompts_md_waiting_line_threshold_is_the_codes():
    said = re.search(r"has not answered for ([\d.]+) s, a quiet `⏳ waiting", _page("guide/prompts.md"))
    assert said and float(said.group(1)) == SLOW_AFTER, said


def test_prompts_md_footer_is_a_replys_footer():
    """The page's footer is what a reply of those numbers shows, priced by the built-in table."""
    quoted = re.search(r"a quiet footer: `([^`]*)`", _page("guide/prompts.md")).group(1)
    usage = Usage(36, 12, 0, 48)
    reply = Reply(text="", status="FINAL", usage=usage, model="yandexgpt", model_version="23.10.2024",
                  elapsed=0.4, cost=builtin().cost(usage, "yandexgpt"))
    assert reply.summary().replace(NBSP, " ") == quoted


def test_prompts_md_lists_every_chat_file_version():
    page = _page("guide/prompts.md")
    listed = page[page.index("A chat file says its version"):page.index("An older ygpt_magic")]
    assert [int(number) for number in re.findall(r"\b(\d) (?:for|once)\b", listed)] == list(fileversions.VERSIONS)
    older = ", ".join(map(str, fileversions.VERSIONS[:-2])) + f" and {fileversions.VERSIONS[-2]}"
    assert f"its version is {fileversions.VERSION}, and this ygpt_magic reads versions {older}" in page


def test_internals_md_demo_count_is_the_notebooks_the_demo_runs():
    said = re.search(r"after 2 of (\d+) notebooks", _page("internals.md"))
    assert said and int(said.group(1)) == len(list((DOCS.parent / "notebooks").glob("*.ipynb")))


def test_data_md_outage_counts_add_up_to_the_default_window():
    page = _page("guide/data.md")
    failed, stayed, busy = map(int, re.search(
        r"✗ (\d+) failed \((\d+) server stayed busy, (\d+) server busy\)", page).groups())
    rows = int(re.search(r"to (\d+) rows in a row", page).group(1))
    assert stayed + busy == failed and busy == rows == window(DEFAULT.map_concurrency)


def test_cost_md_footer_rows_price_as_the_prompts_md_footer():
    """cost.md's footer table and prompts.md quote one reply: the same roubles for 36 → 12."""
    cost = builtin().cost(Usage(36, 12, 0, 48), "yandexgpt")
    assert cost is not None and round(cost, 2) == Decimal("0.06")
    assert "`36 → 12 tokens · ≈0.06 ₽`" in _page("guide/cost.md")


def test_data_md_says_how_long_a_ctrl_c_waits_for_a_batch_jobs_answer():
    said = re.search(r"a press while the job is asked for waits up to (\S+) s for the service's answer",
                     _page("guide/data.md"))
    assert said and float(said.group(1)) == ASK_GRACE
    assert f"within those {said.group(1)} s" in _page("guide/data.md")
