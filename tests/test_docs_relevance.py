"""%%ygpt --docs over a folder that does not answer the question: the closest sources are said to
score no better than the folder's unrelated chunks (sources.md S05), through a real shell and the
local server's vectors (unrelated text scores 0.1–0.26 there, never ≤ 0 in a real folder)."""

from __future__ import annotations

import random

import pytest
from cellrun import LOST_EXCEPTIONS
from conftest import cell

pytestmark = [*LOST_EXCEPTIONS, pytest.mark.usefixtures("fresh_names")]

TOPICS = ["churn model", "quarterly revenue", "feature store", "A/B test", "data pipeline",
          "dashboard", "customer segments", "forecasting", "anomaly detection", "label noise"]
WEAK = "about what any of the"


@pytest.fixture
def project(tmp_path, monkeypatch):
    """Thirty notes of a data team, on ten topics, and the budget."""
    rnd = random.Random(7)
    (tmp_path / "project").mkdir()
    for number in range(30):
        topic = TOPICS[number % len(TOPICS)]
        body = "\n\n".join(f"Paragraph {j} of note {number} about the {topic}: we measured "
                           f"{rnd.randint(1, 999)} units and decided to revisit the {topic} next sprint."
                           for j in range(rnd.randint(2, 6)))
        (tmp_path / "project" / f"note_{number:02d}.md").write_text(f"# Note {number}: {topic}\n\n{body}\n")
    (tmp_path / "project" / "budget.md").write_text(
        "# Budget\n\nThe Q3 budget for the churn model is 42 thousand roubles.\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "project"


@pytest.mark.parametrize("question", ["What is the capital of Peru?", "Who won the 1998 football world cup?"])
def test_a_question_the_folder_does_not_answer_is_said_so(shell, ygpt_server, project, question):
    run = cell(shell, f"%%ygpt --docs project --once\n{question}")
    assert run.ok, run.message
    sources = shell.user_ns["_ygpt"].sources
    best = max(source["score"] for source in sources)
    said = f"The closest sources score {best:.2f}, {WEAK} "
    assert said in run.page and "the files may hold nothing related to the question" in run.page, run.page[:500]
    assert run.page.index(said) < run.page.index("Sources:"), "above the reply"


def test_a_question_the_folder_answers_gets_no_such_line(shell, ygpt_server, project):
    run = cell(shell, "%%ygpt --docs project --once\nWhat is the Q3 budget for the churn model?")
    assert run.ok, run.message
    assert shell.user_ns["_ygpt"].sources[0]["path"] == "project/budget.md"
    assert WEAK not in run.page


def test_a_few_files_are_too_few_to_tell(shell, ygpt_server, project):
    for note in sorted(project.glob("note_*.md"))[3:]:
        note.unlink()
    run = cell(shell, "%%ygpt --docs project --once\nWhat is the capital of Peru?")
    assert run.ok and WEAK not in run.page
