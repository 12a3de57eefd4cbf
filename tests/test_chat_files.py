"""Chat files a user loads with `%ygpt load`: a file saved by an older version, with turns whose
reply is empty, loads without them and says which were left out."""

from __future__ import annotations

import json

from cellrun import assert_clean, run
from conftest import completions


def old_file(replies: list[str]) -> dict:
    """A version-1 chat file of chat 'notes', one turn per reply, as versions that recorded
    empty replies wrote it."""
    turns = [{"prompt": f"Question {n}", "cell_id": f"c{n}",
              "reply": {"text": text, "status": "FINAL", "model": "yandexgpt", "model_version": "23.10.2024",
                        "elapsed": 1.0, "usage": {"input_tokens": 3, "completion_tokens": 5, "total_tokens": 8}}}
             for n, text in enumerate(replies, 1)]
    return {"version": 1, "current": "notes",
            "chats": [{"name": "notes", "system": None, "options": {}, "turns": turns}]}


def test_an_old_chat_file_with_an_empty_reply_loads_without_that_turn(shell, ygpt_server, magics, tmp_path):
    """It was refused as a whole (``chats[0].turns[2].reply.text is empty``), and the chat lost."""
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old_file(["Answer 1", "Answer 2", "", "Answer 4"])), encoding="utf-8")
    loaded = run(shell, f"%ygpt load {path}")
    assert loaded.ok, loaded.message
    assert_clean(loaded)
    assert loaded.plain.splitlines() == [
        f"Loaded 1 chat with 3 turns from {path}; current chat: 'notes'.",
        "Turn 3 of chat 'notes' had an empty reply and was left out, with its prompt."]
    assert "Turn 3 of chat 'notes' had an empty reply" in loaded.page
    assert run(shell, "%%ygpt\nQuestion 5").ok
    sent = completions(ygpt_server)[-1].messages
    assert [(m["role"], m["text"]) for m in sent[:-1]] == [
        ("user", "Question 1"), ("assistant", "Answer 1"), ("user", "Question 2"), ("assistant", "Answer 2"),
        ("user", "Question 4"), ("assistant", "Answer 4")]
    assert [turn.prompt for turn in magics.kernel.session.chat("notes").turns][-1] == "Question 5"
