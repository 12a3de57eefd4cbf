"""What a cell's output shows while a reply streams and after it ends."""

from __future__ import annotations

import dataclasses
import re

import pytest
from visible import published, tags, visible

from ygpt_magic.chat import Options, Reply, Usage
from ygpt_magic.render import StreamRenderer, extract_code
from ygpt_magic.saving import LIVE_ONLY

FOOTER = "yandexgpt · 23.10.2025 · 26 → 317 tokens · 1.4 s"


class Screen:
    """A stand-in for IPython.display.display that keeps every bundle sent to one output."""

    def __init__(self) -> None:
        self.bundles: list[dict] = []
        self.metadata: list[dict | None] = []  # each display's output metadata (provenance)
        self.handles = 0
        self.again: list[dict] = []  # what was sent again as displays of their own

    def __call__(self, bundle, *, raw, display_id=False, metadata=None):
        if metadata == LIVE_ONLY:  # sent again for frontends that ignore updates (render/forms.py echo)
            self.again.append(bundle)
            return None
        assert raw is True and display_id is True
        self.handles += 1
        self.bundles.append(bundle)
        self.metadata.append(metadata)
        return self

    def update(self, bundle, *, raw, metadata=None):
        assert raw is True
        self.bundles.append(bundle)
        self.metadata.append(metadata)

    @property
    def last(self) -> dict:
        return self.bundles[-1]

    def shown(self, mime: str = "text/html") -> str:
        """What the last bundle shows: the HTML form as a person reads it, or another form."""
        return visible(self.last[mime]) if mime == "text/html" else self.last[mime]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def reply(text: str, status: str = "FINAL", reasoning: int = 0, elapsed: float = 1.4) -> Reply:
    return Reply(text, status, Usage(26, 317, reasoning, 343 + reasoning), "yandexgpt",
                 "23.10.2025", elapsed)


def renderer(fmt: str = "markdown", **kwargs) -> tuple[StreamRenderer, Screen, Clock]:
    screen, clock = Screen(), Clock()
    return StreamRenderer(fmt=fmt, display=screen, clock=clock, **kwargs), screen, clock


def stream(r: StreamRenderer, clock: Clock, texts, step: float) -> None:
    for text in texts:
        clock.now += step
        r.update(text)


def test_the_footer_is_quiet_and_deterministic_except_seconds():
    assert reply("x", reasoning=12).summary() == \
        "yandexgpt · 23.10.2025 · 26 → 317 tokens (+12 reasoning) · 1.4 s"
    assert reply("x", status="TRUNCATED_FINAL").summary().endswith("· 1.4 s · cut at max tokens")
    assert reply("x", status="CONTENT_FILTER").summary().endswith("stopped by the content filter")
    assert re.sub(r"\d+\.\d+ s", "N s", reply("x", elapsed=12.345).summary()).endswith("tokens · N s")
    uri = Reply("x", "FINAL", Usage(), "gpt://b1gfolder/yandexgpt-lite/rc", "", 0.2)
    assert uri.summary() == "yandexgpt-lite/rc · 0 → 0 tokens · 0.2 s"
    one = Reply("x", "FINAL", Usage(1, 1, 0, 2), "yandexgpt", "", 0.2)
    assert one.summary() == "yandexgpt · 1 → 1 token · 0.2 s"


def test_one_handle_waiting_line_then_streamed_text_then_final_markdown():
    r, screen, clock = renderer()
    r.start(["↺ Re-ran this cell: its previous turn was dropped from chat 'default'."])
    assert screen.handles == 0  # drawn once the request is on its way, not before
    r.show_waiting()
    assert published(screen.last["text/html"]) == (
        "<p><sub>↺ Re-ran this cell: its previous turn was dropped from chat 'default'.</sub></p>\n"
        "<p><sub>⏳ waiting for yandexgpt…</sub></p>"
    )
    stream(r, clock, ["Être", "Être ou ne pas être"], step=0.2)
    assert screen.shown().endswith("\nÊtre ou ne pas être")
    r.finish(reply("Être ou ne pas être, *telle* est la question."))
    assert screen.handles == 1
    assert {**screen.last, "text/html": published(screen.last["text/html"])} == {
        "text/html": "<p><sub>↺ Re-ran this cell: its previous turn was dropped from chat 'default'.</sub></p>"
                     "\n<p>Être ou ne pas être, <em>telle</em> est la question.</p>&#10;\n"
                     "<p><sub>yandexgpt · 23.10.2025 · 26 → 317 tokens · 1.4 s</sub></p>",
        "text/plain": "↺ Re-ran this cell: its previous turn was dropped from chat 'default'.\n\n"
                      f"Être ou ne pas être, *telle* est la question.\n\n{FOOTER}",
    }
    assert r.updates == len(screen.bundles) == 4
    # jupyter console ignores display updates: the final form's plain text comes again, under
    # empty HTML and LaTeX forms that HTML frontends and a LaTeX/PDF export draw as nothing
    assert screen.again == [{"text/html": "", "text/latex": "", "text/plain": screen.last["text/plain"]}]


def test_updates_are_throttled_to_about_ten_a_second_and_the_final_text_is_exact():
    r, screen, clock = renderer()
    r.start()
    words = [" ".join(["word"] * n) for n in range(1, 301)]
    stream(r, clock, words, step=0.01)  # 300 chunks in 3 seconds
    r.finish(reply(words[-1]))
    assert 20 <= r.updates <= 10 * 3 + 2
    assert screen.last["text/plain"] == f"{words[-1]}\n\n{FOOTER}"


def test_a_stream_that_starts_over_shows_the_latest_text_never_both():
    r, screen, clock = renderer()
    r.start()
    stream(r, clock, ["The answer is", "The answer is forty"], step=0.5)
    stream(r, clock, ["The", "The answer is forty-two"], step=0.01)  # a retry restarted it
    assert screen.shown() == "The", "a restart is shown at once, not after the old text"
    clock.now += 1
    r.update("The answer is forty-two.")
    assert screen.shown() == "The answer is forty-two."
    r.finish(reply("The answer is forty-two."))
    assert screen.shown().count("forty") == 1


def test_a_thousand_chunk_reply_costs_bounded_updates_and_linear_bytes():
    r, screen, clock = renderer()
    r.start()
    text = ""
    for n in range(1000):  # 5,000 words, ~1,000 chunks, 10 ms apart
        text += " ".join(f"w{n}" for _ in range(5)) + " "
        clock.now += 0.01
        r.update(text)
    r.finish(reply(text))
    sent = sum(len(value) for bundle in screen.bundles for value in bundle.values())
    assert r.updates <= 10 * 10 + 2
    assert sent <= 30 * len(text)


def test_without_the_cost_limit_every_interval_renders(monkeypatch):
    r, screen, clock = renderer(interval=0, cost_ratio=None)
    r.start()
    r.show_waiting()
    stream(r, clock, ["a" * n for n in range(1, 101)], step=0.001)
    assert r.updates == 1 + 100


def test_a_waiting_line_replaced_before_it_was_shown_is_never_drawn():
    """The answer came (or a tool started) before the request's waiting line was drawn."""
    r, screen, clock = renderer()
    r.start()
    stream(r, clock, ["Être"], step=0.2)
    r.show_waiting()
    assert screen.shown() == "Être" and r.updates == 1


def test_interrupt_keeps_partial_text_marked_and_closes_an_open_code_fence():
    r, screen, clock = renderer()
    r.start(["↺ Re-ran this cell: its previous turn was dropped from chat 'default'."])
    stream(r, clock, ["Here:\n```python\nprint(1)"], step=0.2)
    r.interrupt("Here:\n```python\nprint(1)")
    assert screen.shown() == "Here:\nprint(1)\n⏹ interrupted — not added to the chat"
    assert "<pre><code>print(1)</code></pre>" in screen.last["text/html"], "the open block is closed"
    assert screen.last["text/plain"] == "Here:\n```python\nprint(1)\n\n⏹ interrupted — not added to the chat"
    r.update("more text after the stop")
    r.finish(reply("late"))
    assert "late" not in screen.shown(), "nothing replaces the final render"


BROKEN = "The reply stream broke off after 3 chunks before the answer was complete. Run it again."


def test_fail_keeps_partial_text_under_a_mark_that_does_not_repeat_the_message():
    r, screen, clock = renderer()
    r.start()
    stream(r, clock, ["Partial ans"], step=0.2)
    r.fail(BROKEN)  # IPython prints the message right below the output: not said twice
    assert screen.shown() == "Partial ans\n⚠ stopped — not added to the chat; see the message below"
    assert screen.last["text/plain"] == "Partial ans\n\n⚠ stopped — not added to the chat; see the message below"


def test_fail_before_any_text_clears_the_waiting_line():
    r, screen, clock = renderer()
    r.start()
    r.show_waiting()
    r.fail(BROKEN)
    assert screen.last == {"text/plain": ""} and "waiting" not in str(screen.last)


def test_a_failure_after_replayed_calls_shows_the_calls_that_ran():
    from ygpt_magic.chat.tooluse import ToolCall

    r, screen, clock = renderer()
    r.start()  # a replayed first round: its call's line waits for the final form
    r.tool_done(ToolCall("get_sales", {"region": "north"}, "1204", summary="1,204"))
    r.fail(BROKEN)  # the next round failed before anything was drawn
    assert screen.last["text/plain"].startswith("🔧 get_sales(region=\"north\") → 1,204")


def test_a_quick_failure_shows_nothing_and_the_renderer_is_done():
    r, screen, clock = renderer()
    r.start()
    r.fail(BROKEN)  # before the answer was slow enough for a waiting line
    r.show_waiting()
    r.update("late text")
    assert screen.bundles == []


def test_waiting_line_in_deferred_mode():
    r, screen, clock = renderer()
    r.start()
    r.waiting(3.7)
    assert published(screen.last["text/html"]) == "<p><sub>⏳ waiting for the operation… 3 s</sub></p>"


def test_text_format_is_plain():
    r, screen, clock = renderer("text")
    r.start(["✂ a note"])
    stream(r, clock, ["Plain *words*"], step=0.2)
    assert screen.last == {"text/plain": "✂ a note\n\nPlain *words*"}
    r.finish(reply("Plain *words*"))
    assert screen.last == {
        "text/plain": "✂ a note\n\nPlain *words*\n\nyandexgpt · 23.10.2025 · 26 → 317 tokens · 1.4 s"
    }


def test_code_format_shows_only_the_code_blocks():
    text = "Sure:\n\n```python\nprint('hi')\n```\n\nand\n\n```bash\necho ```\n```\nDone."
    r, screen, clock = renderer("code")
    r.start()
    r.finish(reply(text))
    assert screen.shown() == f"print('hi')\necho ```\n{FOOTER}"
    assert screen.last["text/html"].count("<pre>") == 2
    assert screen.last["text/plain"] == f"print('hi')\n\necho ```\n\n{FOOTER}"
    assert extract_code(text) == "print('hi')\n\necho ```"
    assert extract_code("x = 1\n") == "", "prose is never taken for code"


@pytest.mark.parametrize("fills_cell, note", [
    (True, "no code block in the reply; nothing was put into a new cell"),  # the magic
    (False, "no code block in the reply"),  # the panel puts nothing into cells
])
def test_code_format_without_code_shows_the_reply_and_a_note(fills_cell, note):
    r, screen, clock = renderer("code", fills_cell=fills_cell)
    r.start()
    r.finish(reply("I need more detail: *which* language?"))
    assert screen.shown() == f"I need more detail: which language?\n{note}\n{FOOTER}"
    assert screen.last["text/plain"] == f"I need more detail: *which* language?\n\n{note}\n\n{FOOTER}"


@pytest.mark.parametrize("text, block", [
    ('{"city": "Paris", "date": "2024-07-14"}', '{\n  "city": "Paris",\n  "date": "2024-07-14"\n}'),
    ('```json\n[1, 2]\n```', '[\n  1,\n  2\n]'),
    ('{"city": "Par', '{"city": "Par'),  # cut short: as sent, still one block
])
def test_a_json_reply_in_markdown_is_a_pretty_json_block(text, block):
    r, screen, clock = renderer(json_reply=True)
    r.start()
    stream(r, clock, ['{"ci'], step=0.2)
    assert published(screen.last["text/html"]).startswith("<pre><code") and screen.shown() == '{"ci', \
        "streams inside the block too"
    r.finish(reply(text))
    assert screen.shown() == f"{block}\n{FOOTER}"
    assert screen.last["text/html"].count("<pre>") == 1
    assert screen.last["text/plain"] == f"{text}\n\n{FOOTER}"


@pytest.mark.parametrize("text, expected", [
    ('{"city": "Paris", "tags": ["a"]}', {"city": "Paris", "tags": ["a"]}),
    ('```json\n[1, 2]\n```', [1, 2]),
])
def test_json_format_gives_a_tree_and_pretty_text(text, expected):
    """The tree and pretty text in one output; the notes above it and the footer under it in
    outputs of their own (JupyterLab draws only the tree of the tree's bundle)."""
    r, screen, clock = renderer("json")
    r.start(["{df}: DataFrame 200 × 5, sent as 20 rows"])
    r.finish(reply(text))
    notes, tree, footer = screen.bundles
    assert visible(notes["text/html"]) == notes["text/plain"] == "{df}: DataFrame 200 × 5, sent as 20 rows"
    assert tree["application/json"] == expected and set(tree) == {"application/json", "text/plain"}
    assert tree["text/plain"].startswith(("{\n  ", "[\n  ")) and "1.4 s" not in tree["text/plain"]
    assert visible(footer["text/html"]) == footer["text/plain"] == FOOTER
    assert screen.handles == 3 and screen.metadata[1] is not None, "provenance rides with the tree"


def test_the_panel_keeps_a_json_reply_in_one_bundle():
    r, screen, clock = renderer("json", calls_apart=False)
    r.finish(reply('{"city": "Paris"}'))
    assert screen.handles == 1 and screen.last["application/json"] == {"city": "Paris"}
    assert screen.last["text/plain"].endswith(FOOTER)


def test_json_format_falls_back_to_text_with_a_note():
    r, screen, clock = renderer("json")
    r.start()
    r.finish(reply("Sorry, no JSON today"))
    assert screen.last == {"text/plain": (
        "⚠ The reply is not valid JSON (Expecting value: line 1 column 1 (char 0)); shown as "
        "text. --format json only shows it; add --json to ask the model for JSON."
        "\n\nSorry, no JSON today\n\nyandexgpt · 23.10.2025 · 26 → 317 tokens · 1.4 s"
    )}


def test_a_reply_asked_for_json_that_is_not_json_gets_no_advice_to_ask_for_it():
    r, screen, clock = renderer("json")
    r.start()
    r.finish(dataclasses.replace(reply("Sorry, no JSON today"), options=Options(json=True)))
    assert "not valid JSON" in screen.last["text/plain"] and "--json" not in screen.last["text/plain"]


def test_final_markdown_closes_a_fence_left_open_by_max_tokens():
    r, screen, clock = renderer()
    r.start()
    r.finish(reply("```python\nwhile True:", status="TRUNCATED_FINAL"))
    assert screen.shown() == f"while True:\n{FOOTER} · cut at max tokens"
    assert "</code></pre>" in screen.last["text/html"], "the block is closed before the footer"


def test_reply_repr_for_underscore_ygpt(ipython):
    """``_ygpt`` as a cell's value: inert HTML with the footer (no text/markdown, whose HTML
    would run in JupyterLab)."""
    r = reply("Bonjour <img src=x onerror=alert(1)>")
    assert str(r) == "Bonjour <img src=x onerror=alert(1)>"
    ipython.run_line_magic("load_ext", "ygpt_magic")
    data, _ = ipython.display_formatter.format(r)
    assert "text/markdown" not in data
    assert visible(data["text/html"]) == f"Bonjour <img src=x onerror=alert(1)>\n{FOOTER}"
    assert tags(published(data["text/html"])) == {"p", "sub"}
