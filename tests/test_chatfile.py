"""Chat files and transcripts: save/load round trips, refusal of malformed or hostile files
(the current chats are kept), the Markdown export, and what a stored turn keeps."""

from __future__ import annotations

import json

import pytest
from test_session import ask, texts

from ygpt_magic.chat import ChatSession, Reply, Usage, planning
from ygpt_magic.errors import ChatFileError, OptionError

# -- save, load, export ------------------------------------------------------------------------

def filled_session() -> ChatSession:
    session = ChatSession()
    session.configure(system="Переводи на французский", temperature=0.3)
    ask(session, "To be, or not to be", "Être ou ne pas être", cell_id="c1")
    ask(session, "hi", "bonjour", chat="second")
    session.current = "second"
    return session


def test_save_and_load_round_trip(tmp_path):
    original = filled_session()
    path = tmp_path / "chats.json"
    original.save(path)
    assert json.loads(path.read_text(encoding="utf-8"))["version"] == 1
    restored = ChatSession()
    restored.load(path)
    assert restored.current == "second"
    for name in ("default", "second"):
        a, b = original.chat(name), restored.chat(name)
        assert (a.system, a.options) == (b.system, b.options)
        assert [(t.prompt, t.cell_id, t.reply.text, t.reply.usage) for t in a.turns] == \
               [(t.prompt, t.cell_id, t.reply.text, t.reply.usage) for t in b.turns]
    # the loaded chat still rewinds by cell id
    assert planning.plan(restored, "again", chat="default", cell_id="c1").replaces


def good_data() -> dict:
    return filled_session().to_dict()


def mutate(path: str, value):
    def change(data):
        target = data
        keys = path.split("/")
        for key in keys[:-1]:
            target = target[int(key) if key.isdigit() else key]
        last = keys[-1]
        target[int(last) if last.isdigit() else last] = value
        return data
    return change


@pytest.mark.parametrize("change, words", [
    (mutate("version", 5), r"written by a newer ygpt_magic \(its version is 5"),
    (mutate("version", "1"), "version is '1'"),
    (lambda d: d.pop("version") and d, "version is None"),
    (mutate("chats", {}), "chats should be a list"),
    (mutate("chats", []), "1 to 1000 chats"),
    (mutate("current", "ghost"), "current chat 'ghost'"),
    (mutate("chats/0/turns/0/prompt", 42), r"chats\[0\].turns\[0\].prompt should be text"),
    (mutate("chats/0/turns/0/prompt", " \n"), r"chats\[0\].turns\[0\].prompt is empty"),
    (mutate("chats/0/turns/0/reply/usage/input_tokens", -1), "is negative"),
    (mutate("chats/0/turns/0/reply/usage/input_tokens", True), "whole number, not true/false"),
    (mutate("chats/0/turns/0/reply/elapsed", "soon"), "elapsed should be"),
    (mutate("chats/0/options/temperature", 7), "temperature must be from 0 to 1"),
    (mutate("chats/0/options/secret", "x"), "unknown field"),
    (mutate("chats/0/system", ["nested"]), "system should be text or null"),
    (mutate("chats/0/turns/0/system_set", {"before": None}), r"turns\[0\].system_set has no 'to'"),
    (mutate("chats/0/turns/0/system_set", {"before": 1, "to": None}), r"system_set.before should be text or null"),
    (mutate("chats/1/name", "default"), "repeats the name"),
    (mutate("chats/1/name", "week\n1"), r"chats\[1\].name should be one line of text .*, not 'week\\n1'"),
    (mutate("chats/1/name", "tab\there"), r"chats\[1\].name should be one line"),
    (mutate("chats/0/turns", [[[[[]]]]]), r"turns\[0\] should be an object"),
    (lambda d: [d], "the file should be an object"),
])
def test_malformed_data_is_refused_and_the_chat_kept(change, words):
    session = ChatSession()
    ask(session, "precious")
    with pytest.raises(ChatFileError, match=words) as caught:
        session.load_dict(change(good_data()))
    assert "current chats are unchanged" in str(caught.value)
    assert texts(session) == ["precious"] and list(session.chats) == ["default"]


def test_a_turn_with_an_empty_reply_is_left_out_with_its_prompt_and_said():
    """Files saved before empty replies stopped being recorded hold them: the file was refused
    as a whole; now that turn alone is left out, so the turns left stay question-and-answer pairs."""
    data = good_data()
    turns = data["chats"][0]["turns"]
    turns[:] = [dict(turns[0], prompt=f"q{n}", cell_id=f"c{n}",
                     reply=dict(turns[0]["reply"], text=f"a{n}")) for n in range(1, 6)]
    turns[2]["reply"]["text"] = ""
    turns[4]["reply"]["text"] = " \n"
    data["chats"][1]["turns"][0]["reply"]["text"] = ""
    session = ChatSession()
    notes = session.load_dict(data)
    assert notes == ("Turns 3 and 5 of chat 'default' had empty replies and were left out, with their prompts.",
                     "Turn 1 of chat 'second' had an empty reply and was left out, with its prompt.")
    assert [(t.prompt, t.reply.text) for t in session.chat("default").turns] == [("q1", "a1"), ("q2", "a2"),
                                                                                ("q4", "a4")]
    assert session.chat("second").turns == []
    assert session.load_dict(good_data()) == ()   # a good file: nothing to say


@pytest.mark.parametrize("content, words", [
    (b"{not json", "not valid JSON"),
    (b"\xff\xfe\x00", "not UTF-8"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    (b" " * (20 * 1024 * 1024 + 1), "larger than the 20 MB limit"),
])
def test_hostile_files_are_refused(tmp_path, content, words):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    session = ChatSession()
    ask(session, "precious")
    with pytest.raises(ChatFileError, match=words):
        session.load(path)
    with pytest.raises(ChatFileError, match="No such file"):
        session.load(tmp_path / "missing.json")
    assert texts(session) == ["precious"]


def test_export_markdown_reads_as_a_transcript():
    text = filled_session().export_markdown("default")
    assert text.startswith("# Chat: default\n\n<sub>temperature 0.3</sub>")
    assert "**System**\n\n> Переводи на французский" in text
    assert "## 1. User\n\nTo be, or not to be\n\n## 1. yandexgpt\n\nÊtre ou ne pas être" in text
    assert "<sub>yandexgpt · 23.10.2024 · 3 → 5 tokens · 1.2 s</sub>" in text
    assert "**Usage:** 1 turn · 3 input → 5 completion tokens (0 reasoning) · 8 total" in text


def test_turns_do_not_keep_the_history_sent_with_them():
    session = ChatSession()
    for n in range(3):
        plan = planning.plan(session, f"q{n}")
        full = Reply("a", "FINAL", Usage(), "yandexgpt", "", 0.1, messages=tuple(plan.messages))
        turn = session.record(plan, full)
    assert len(full.messages) == 5 and turn.reply.messages == ()
    assert turn.reply.text == "a"


def test_error_messages_never_carry_a_credential():
    from ygpt_magic.errors import PermissionDenied, RequestRejected

    for error in (PermissionDenied("b1gfolder", "Api-Key AQVNabcdefghijklmnop is not allowed"),
                  RequestRejected("bad header Bearer t1.9euelZqAbCdEfGhIjKlMnOpQr")):
        assert "AQVNabc" not in str(error) and "t1.9eu" not in str(error)
        assert "***" in str(error)


def test_hostile_values_in_memory_are_refused_with_short_messages():
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    session = ChatSession()
    for change in (mutate("chats/0/options/model", deep), mutate("chats/0/options/model", "x" * 10**7),
                   mutate("current", deep)):
        with pytest.raises(ChatFileError) as caught:
            session.load_dict(change(good_data()))
        assert len(str(caught.value)) < 500


def test_text_that_cannot_be_sent_is_refused_before_sending():
    session = ChatSession()
    with pytest.raises(OptionError, match=r"cannot be sent .*'\\ud800' at position 7.*remove it"):
        planning.plan(session, "broken \ud800 paste")
    with pytest.raises(OptionError, match="system message contains"):
        planning.plan(session, "fine", system="bad \udfff")
