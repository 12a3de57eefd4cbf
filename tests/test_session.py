"""ChatSession as the magics and the panel use it: what a request sends, what the chat keeps."""

from __future__ import annotations

import threading

import pytest

from ygpt_magic.chat import BUILTIN, UNSET, ChatEvent, ChatSession, Options, Reply, Usage, planning
from ygpt_magic.errors import ChatBusy, ContextTooLong, OptionError, UnknownChat


def reply(text: str, status: str = "FINAL", usage: Usage = Usage(3, 5, 0, 8)) -> Reply:
    return Reply(text, status, usage, "yandexgpt", "23.10.2024", 1.25)


def ask(session: ChatSession, prompt: str, answer: str | None = None, **plan_args):
    """One cell: plan, then record the server's answer (as run_exchange does on success)."""
    plan = planning.plan(session, prompt, **plan_args)
    session.record(plan, reply(answer or f"re: {prompt}"))
    return plan


def texts(session: ChatSession, name: str = "default") -> list[str]:
    return [t.prompt for t in session.chat(name).turns]


# -- options -----------------------------------------------------------------------------------

@pytest.mark.parametrize("changes, words", [
    ({"temperature": 1.5}, "from 0 to 1"),
    ({"temperature": "hot"}, "must be a number"),
    ({"temperature": True}, "must be a number"),
    ({"max_tokens": 0}, "positive whole number"),
    ({"max_tokens": 2.5}, "positive whole number"),
    ({"max_tokens": "many"}, "must be a number"),
    ({"format": "html"}, "markdown, text, code, json"),
    ({"model": "  "}, "non-empty"),
    ({"colour": "red"}, "Unknown option colour"),
])
def test_bad_options_are_refused_with_the_allowed_values(changes, words):
    with pytest.raises(OptionError, match=words):
        Options().with_changes(**changes)


def test_flag_text_is_accepted_as_numbers():
    options = Options(temperature="0.3", max_tokens="200")
    assert (options.temperature, options.max_tokens) == (0.3, 200)


def test_configure_is_all_or_nothing():
    session = ChatSession()
    session.configure(temperature=0.2, system="Be brief")
    with pytest.raises(OptionError):
        session.configure(temperature=0.9, max_tokens=-1)
    chat = session.chat()
    assert (chat.options.temperature, chat.system) == (0.2, "Be brief")


# -- history: append, rewind, system, once ------------------------------------------------------

def test_chat_mode_sends_the_whole_history():
    session = ChatSession()
    ask(session, "Who was Einstein?", system="You are a physicist")
    plan = ask(session, "When was he born?")
    assert plan.messages == [
        {"role": "system", "text": "You are a physicist"},
        {"role": "user", "text": "Who was Einstein?"},
        {"role": "assistant", "text": "re: Who was Einstein?"},
        {"role": "user", "text": "When was he born?"},
    ]
    assert session.chat().system == "You are a physicist"
    assert session.chat().usage == Usage(6, 10, 0, 16)


def test_rerunning_a_cell_rewinds_to_before_its_turn():
    session = ChatSession()
    for cell in ("c1", "c2", "c3"):
        ask(session, cell, cell_id=cell)
    plan = planning.plan(session, "c2 again", cell_id="c2")
    assert [m["text"] for m in plan.messages] == ["c1", "re: c1", "c2 again"]
    assert plan.notes() == [
        "↺ Re-ran this cell: its previous turn and 1 later turn were dropped from chat 'default'."
    ]
    assert texts(session) == ["c1", "c2", "c3"], "planning changes nothing"
    session.record(plan, reply("new"))
    assert texts(session) == ["c1", "c2 again"]


def test_rerunning_the_last_cell_replaces_its_turn():
    session = ChatSession()
    ask(session, "one", cell_id="c1")
    plan = ask(session, "one, better", cell_id="c1")
    assert plan.notes() == ["↺ Re-ran this cell: its previous turn was dropped from chat 'default'."]
    assert texts(session) == ["one, better"]


def test_append_and_missing_cell_ids_append():
    session = ChatSession()
    ask(session, "a", cell_id="c1")
    plan = ask(session, "b", cell_id="c1", append=True)
    ask(session, "c")
    ask(session, "d")
    assert plan.notes() == []
    assert texts(session) == ["a", "b", "c", "d"]


def test_rewind_finds_the_latest_turn_of_a_cell_after_appends_rewinds_resets_and_loads():
    session = ChatSession()
    ask(session, "a", cell_id="c1")
    ask(session, "b", cell_id="c1", append=True)
    ask(session, "c", cell_id="c2")
    ask(session, "c again", cell_id="c2")  # replaces c: the index forgets the dropped turn
    assert texts(session) == ["a", "b", "c again"]
    ask(session, "b again", cell_id="c1")  # the latest c1 turn is b
    assert texts(session) == ["a", "b again"]
    ask(session, "a again", cell_id="c1")  # and then the one before it
    assert texts(session) == ["a", "a again"]
    session.load_dict(session.to_dict())  # a loaded chat is indexed from its file
    ask(session, "a for good", cell_id="c1")
    assert texts(session) == ["a", "a for good"]
    session.reset()
    plan = ask(session, "fresh", cell_id="c1")
    assert plan.notes() == [] and texts(session) == ["fresh"]


def test_options_can_go_back_to_the_model_default():
    session = ChatSession()
    session.configure(temperature=0.7, max_tokens=300, format="code")
    session.configure(temperature=None, max_tokens=None)  # None keeps
    assert (session.chat().options.temperature, session.chat().options.max_tokens) == (0.7, 300)
    session.configure(temperature=UNSET, max_tokens=UNSET, format=UNSET)
    assert session.chat().options == Options()
    assert planning.plan(session, "hi").options == BUILTIN  # a plan's options are always complete


def test_once_reads_and_writes_no_history_but_borrows_options():
    session = ChatSession()
    session.configure(model="yandexgpt-lite", system="Chat system")
    ask(session, "remember me")
    plan = ask(session, "Fix: I has a cat", once=True, system="Correct the grammar")
    assert plan.messages == [
        {"role": "system", "text": "Correct the grammar"},
        {"role": "user", "text": "Fix: I has a cat"},
    ]
    assert (plan.options.model, plan.options.format) == ("yandexgpt-lite", "markdown")
    assert texts(session) == ["remember me"]
    assert session.chat().system == "Chat system"
    assert ask(session, "no system", once=True).messages == [{"role": "user", "text": "no system"}]


def test_once_with_an_unknown_chat_is_refused_and_creates_nothing():
    session = ChatSession()
    with pytest.raises(UnknownChat, match="no chat named 'nope'"):
        planning.plan(session, "x", chat="nope", once=True)
    assert list(session.chats) == ["default"]


def test_check_name_refuses_a_name_no_chat_may_have_and_creates_nothing():
    refused = []
    session = ChatSession(refuse_name=refused.append)
    session.check_name(None)
    session.check_name("default")
    session.check_name("notes")
    with pytest.raises(OptionError, match="one line of text"):
        session.check_name("two\nlines")
    assert refused == ["notes", "two\nlines"] and list(session.chats) == ["default"]


def test_a_new_named_chat_appears_only_when_its_first_reply_is_recorded():
    session = ChatSession()
    plan = planning.plan(session, "hello", chat="fr", options=Options(model="yandexgpt/rc", format="text"))
    assert list(session.chats) == ["default"]
    session.record(plan, reply("bonjour"))
    assert texts(session, "fr") == ["hello"] and texts(session) == []
    assert session.chat("fr").options == Options(), "a request's options do not stick"


# -- trimming ----------------------------------------------------------------------------------

class Counter:
    """count_tokens stand-in: one token per word, recording how often it is asked."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, messages):
        self.calls += 1
        return sum(len(m["text"].split()) for m in messages)


def test_trimming_leaves_out_oldest_turns_and_keeps_the_system_message():
    session = ChatSession()
    session.configure(system="sys tem")  # 2 tokens
    for n in range(5):
        ask(session, f"q{n} q", f"a{n} a")  # 4 tokens per turn
    plan = planning.plan(session, "now what", budget=2 + 2 + 8 + 1, count_tokens=Counter())
    assert plan.trimmed == 3
    assert [m["text"] for m in plan.messages] == ["sys tem", "q3 q", "a3 a", "q4 q", "a4 a", "now what"]
    assert plan.tokens == 12
    assert plan.notes() == [
        "✂ Turns 1–3 were left out to fit the context budget of 13 tokens; they stay in the chat "
        "(%ygpt export shows every turn)."
    ]
    session.record(plan, reply("ok"))
    assert len(session.chat().turns) == 6


def test_a_request_whose_utf8_size_fits_is_never_counted():
    session = ChatSession()
    session.configure(system="sys tem")
    for n in range(1000):
        ask(session, f"q{n}", f"a{n}")
    counter = Counter()
    plan = planning.plan(session, "first", budget=10**6, count_tokens=counter)
    assert counter.calls == 0 and plan.trimmed == 0 and plan.tokens is None
    assert len(plan.messages) == 1 + 2000 + 1


def test_each_turn_is_counted_once_ever():
    session = ChatSession()
    counter = Counter()
    for n in range(1000):
        ask(session, f"q{n}", f"a{n}")
    # ~24 bytes per turn: over the budget by size, well inside it by the tokenizer (2 per turn)
    planning.plan(session, "first", budget=5000, count_tokens=counter)
    assert counter.calls == 1000 + 1  # every turn once, plus the prompt
    for n in range(3):
        ask(session, f"more {n}", budget=5000, count_tokens=counter)
    # each later cell counts only its prompt and the one turn added since the last cell
    assert counter.calls == 1001 + 1 + 2 + 2


def test_turns_beyond_the_budget_are_never_counted():
    session = ChatSession()
    for n in range(100):
        ask(session, f"q{n}", f"a{n}")  # 2 tokens each
    counter = Counter()
    plan = planning.plan(session, "p", budget=1 + 2 * 5, count_tokens=counter)
    assert plan.trimmed == 95 and counter.calls == 1 + 6


def test_a_prompt_that_cannot_fit_is_refused_with_both_numbers():
    session = ChatSession()
    session.configure(system="one two")
    ask(session, "x")
    with pytest.raises(ContextTooLong, match="needs 5 tokens but the context budget is 4"):
        planning.plan(session, "three four five", budget=4, count_tokens=Counter())
    assert texts(session) == ["x"]


# -- observers, busy, reset --------------------------------------------------------------------

def test_observers_hear_every_change_and_a_failing_one_breaks_nothing(caplog):
    session = ChatSession()
    events: list[ChatEvent] = []

    def broken(event):
        raise RuntimeError("panel bug")

    session.subscribe(broken)
    unsubscribe = session.subscribe(events.append)
    ask(session, "hi", chat="c")
    session.configure("c", temperature=0.5)
    session.current = "c"
    with session.busy("c"):
        pass
    session.reset("c")
    unsubscribe()
    ask(session, "unheard")
    assert [(e.kind, e.chat) for e in events] == [
        ("created", "c"), ("turn", "c"), ("options", "c"), ("current", "c"),
        ("busy", "c"), ("idle", "c"), ("reset", "c"),
    ]
    assert "observer failed" in caplog.text


def test_one_request_in_flight_per_chat():
    session = ChatSession()
    entered, release = threading.Event(), threading.Event()

    def panel_request():
        with session.busy("default"):
            entered.set()
            release.wait(5)

    worker = threading.Thread(target=panel_request)
    worker.start()
    entered.wait(5)
    with pytest.raises(ChatBusy, match="still streaming into chat 'default'"):
        with session.busy("default"):
            pass
    with pytest.raises(ChatBusy):
        session.reset()
    with session.busy("other"):
        assert session.is_busy("default") and session.is_busy("other")
    release.set()
    worker.join()
    with session.busy("default"):
        pass
    assert not session.is_busy()


def test_reset_one_chat_or_all():
    session = ChatSession()
    session.configure(system="keep me")
    ask(session, "a")
    ask(session, "b", chat="other")
    session.reset()
    assert texts(session) == [] and session.chat().system == "keep me"
    with pytest.raises(UnknownChat, match="Existing chats: 'default', 'other'"):
        session.reset("typo")
    session.current = "other"
    session.reset(all=True)
    assert list(session.chats) == ["default"] and session.current == "default"
