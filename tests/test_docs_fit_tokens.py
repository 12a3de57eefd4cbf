"""`--docs` fits sources in tokens, by the planner's rule (findings/cyrillic.md F4, combos C4): an
upper bound (UTF-8 bytes) when everything fits by it, else the tokenizer's counts. Russian text
takes 2 bytes a letter and 5 to 10 bytes a token, so sizing it in bytes left out most sources that
fit, and the "✂ k of n sources fit" line said they did not."""

from __future__ import annotations

import re

import pytest
from conftest import cell

pytestmark = pytest.mark.usefixtures("fresh_names")

PARA = ("Отчёт отдела продаж за квартал {n}: выручка выросла на {n} процентов, расходы на логистику "
        "снизились, а новые клиенты из регионов принесли почти треть оборота. Руководство рекомендует "
        "расширить склад в Новосибирске и нанять ещё двух менеджеров по работе с ключевыми клиентами. ") * 3
ASK = "%%ygpt --docs отчёты/ --once --model llama --top-k 12\nЧто рекомендует руководство по складу?"


@pytest.fixture
def reports(shell, tmp_path, monkeypatch):
    folder = tmp_path / "отчёты"
    folder.mkdir()
    for n in range(12):
        (folder / f"квартал{n}.md").write_text(PARA.format(n=n) + "\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)


def sent(shell) -> tuple[int, int]:
    """(sources the last reply was given, input tokens of its request)."""
    reply = shell.user_ns["_ygpt"]
    return len(reply.sources), reply.usage.input_tokens


def test_russian_sources_that_fit_the_model_are_all_sent(shell, ygpt_server, reports):
    run = cell(shell, ASK)   # the folder is about 2,100 tokens; llama holds 8,192
    assert run.ok, run.message
    assert "✂" not in run.page and sent(shell)[0] == 12
    assert len(re.findall(r"^\[\d+\] отчёты/", run.page, re.M)) == 12


def test_under_a_budget_as_many_russian_sources_go_as_fit_and_the_line_says_so(shell, ygpt_server, reports):
    assert cell(shell, ASK).ok
    _, all_twelve = sent(shell)
    budget = all_twelve * 2 // 3
    shell.run_line_magic("config", f"YGptMagics.context_budget = {budget}")
    run = cell(shell, ASK)
    assert run.ok, run.message
    kept, used = sent(shell)
    left = re.search(r"✂ (\d+) of the 12 sources found fit the ([\d,]+) tokens left for sources", run.page)
    assert left and int(left.group(1)) == kept < 12, run.page
    one_source = (all_twelve - used) / (12 - kept)
    assert used <= budget and budget - used < one_source   # no room was left for one more
    assert 0 < int(left.group(2).replace(",", "")) < budget
