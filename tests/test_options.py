"""A chat's options against the notebook's settings: what is set, what is inherited, and what is
sent. The rule (planning.resolve): a cell's flag, else the chat's option if the user set it (the
panel, `%ygpt config --model ...`, a loaded file), else the `YGptMagics` setting, else the
built-in default. Every view shows the values a request will use, and where each comes from.
"""

from __future__ import annotations

import json
import re

from conftest import cell, completions

from ygpt_magic.panel import ChatPanel


def sent_model(server) -> str:
    """The model of the last completion, as the server saw it: `yandexgpt-lite/latest`."""
    return completions(server)[-1].model_uri.removeprefix("gpt://").partition("/")[2]


def config_rows(shell, chat: str | None = None) -> dict[str, list[str]]:
    """`%ygpt config` as the user reads it: setting → [value, from]."""
    line = "%ygpt config" + (f" --chat {chat}" if chat else "")
    rows = [re.split(r"\s{2,}", row) for row in cell(shell, line).plain.splitlines()[1:]]
    return {name: rest for name, *rest in rows}


def test_a_chat_that_chose_yandexgpt_keeps_it_when_the_notebook_default_changes(shell, ygpt_server):
    cell(shell, "%ygpt config --model yandexgpt")
    shell.run_line_magic("config", 'YGptMagics.model = "yandexgpt-lite"')
    cell(shell, "%%ygpt\nHello")
    assert sent_model(ygpt_server) == "yandexgpt/latest"
    cell(shell, "%%ygpt --chat other\nHello")
    assert sent_model(ygpt_server) == "yandexgpt-lite/latest", "an unset chat follows the setting"
    cell(shell, "%%ygpt --model yandexgpt-lite/rc\nOnce more")
    assert sent_model(ygpt_server) == "yandexgpt-lite/rc", "a flag applies to its cell"
    cell(shell, "%%ygpt\nAnd again")
    assert sent_model(ygpt_server) == "yandexgpt/latest", "...and to that cell only"


def test_an_unset_chat_follows_the_setting_and_default_unsets_a_choice(shell, ygpt_server):
    shell.run_line_magic("config", 'YGptMagics.model = "yandexgpt-lite"')
    shell.run_line_magic("config", 'YGptMagics.default_format = "text"')
    cell(shell, "%%ygpt\nHello")
    assert sent_model(ygpt_server) == "yandexgpt-lite/latest"
    cell(shell, "%ygpt config --model yandexgpt --format markdown")
    cell(shell, "%ygpt config --model default")
    cell(shell, "%%ygpt\nHello")
    assert sent_model(ygpt_server) == "yandexgpt-lite/latest"
    rows = config_rows(shell)
    assert rows["chat 'default' model"] == ["yandexgpt-lite", "YGptMagics.model"]
    assert rows["chat 'default' format"] == ["markdown", "chat"], "markdown chosen over text"


def test_config_says_where_each_value_comes_from(shell):
    shell.run_line_magic("config", 'YGptMagics.model = "yandexgpt-lite"')
    cell(shell, "%ygpt config --temperature 0.4")
    rows = config_rows(shell)
    assert rows["chat 'default' model"] == ["yandexgpt-lite", "YGptMagics.model"]
    assert rows["chat 'default' temperature"] == ["0.4", "chat"]
    assert rows["chat 'default' max_tokens"] == ["model's default", "built-in"]
    assert rows["chat 'default' format"] == ["markdown", "built-in"]
    bad = cell(shell, "%ygpt config --temperature 3")
    assert "temperature must be from 0 to 1" in bad.message
    assert config_rows(shell)["chat 'default' temperature"] == ["0.4", "chat"]


def test_the_panel_shows_the_effective_model_and_choosing_one_sets_it(shell, magics, ygpt_server):
    shell.run_line_magic("config", 'YGptMagics.model = "yandexgpt-lite"')
    panel: ChatPanel = shell.run_line_magic("ygpt", "panel")
    try:
        model = panel.controls.model
        assert model.label == "yandexgpt-lite (default)", "the panel shows what will be sent"
        assert "ygpt-unset" in model._dom_classes and "YGptMagics.model" in model.tooltip
        model.value = "yandexgpt"
        assert magics.kernel.session.chat().options.model == "yandexgpt"
        assert "ygpt-unset" not in model._dom_classes
        cell(shell, "%%ygpt\nHello")
        assert sent_model(ygpt_server) == "yandexgpt/latest"
        shell.run_line_magic("config", 'YGptMagics.model = "llama-lite"')
        assert model.options[0] == ("llama-lite (default)", ""), "a new setting shows at once"
        assert model.label == "yandexgpt"
        model.index = 0  # back to the default
        assert magics.kernel.session.chat().options.model is None
        cell(shell, "%%ygpt\nHello")
        assert sent_model(ygpt_server) == "llama-lite/latest"
        assert panel.controls.format.label == "markdown (default)"
        panel.controls.format.value = "text"
        assert config_rows(shell)["chat 'default' format"] == ["text", "chat"]
    finally:
        panel.close()


def test_old_chat_files_load_with_their_values_set(shell, ygpt_server, tmp_path):
    """Files from before "not set" existed list every option; a value in a file is a set value."""
    path = tmp_path / "old.json"
    path.write_text(json.dumps({"version": 1, "current": "default", "chats": [{
        "name": "default", "system": None, "turns": [],
        "options": {"model": "yandexgpt", "temperature": None, "max_tokens": None,
                    "reasoning": False, "json": False, "format": "markdown"}}]}))
    shell.run_line_magic("config", 'YGptMagics.model = "yandexgpt-lite"')
    cell(shell, f"%ygpt load {path}")
    cell(shell, "%%ygpt\nHello")
    assert sent_model(ygpt_server) == "yandexgpt/latest"
    assert config_rows(shell)["chat 'default' model"] == ["yandexgpt", "chat"]
    cell(shell, "%ygpt config --model default --format default")
    saved = tmp_path / "new.json"
    cell(shell, f"%ygpt save {saved}")
    assert json.loads(saved.read_text())["chats"][0]["options"] == {}, "unset options are left out"
