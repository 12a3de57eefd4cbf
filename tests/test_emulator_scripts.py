"""Scripts are data: extra files extend the replies; matching is forgiving about whitespace."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from yandex_cloud_ml_sdk import YCloudML

from ygpt_magic.emulator import start_local_server
from ygpt_magic.emulator.responders.scripted import BUILTIN_SCRIPTS, load_script
from ygpt_magic.emulator.testing import sdk_kwargs


@pytest.fixture(scope="module")
def own_server(tmp_path_factory):
    script = tmp_path_factory.mktemp("scripts") / "mine.json"
    script.write_text(json.dumps({"replies": [
        {"user": "Which planet is largest?", "reply": "Jupiter."},
        {"user": "Which planet is largest?", "system": "Answer in Russian", "reply": "Юпитер."},
        {"user": "And the smallest?", "after": ["Which planet is largest?"], "reply": "Mercury."},
        {"user": "Start here", "turn": 1, "reply": "First turn."},
        {"user": "And the second?", "after": "Name two planets", "reply": "Saturn."},
    ]}), encoding="utf-8")
    with start_local_server(scripts=[script]) as server:
        yield server


def run(server, messages) -> str:
    return YCloudML(**sdk_kwargs(server.address)).models.completions("yandexgpt").run(messages).text


def test_extra_scripts_answer_and_the_built_in_ones_still_do(own_server):
    assert run(own_server, "  which planet   is LARGEST ") == "Jupiter."
    assert run(own_server, [{"role": "system", "text": "Answer in Russian."},
                            {"role": "user", "text": "Which planet is largest?"}]) == "Юпитер."
    assert run(own_server, "Erors wont corrct themselfs") == "Errors will not correct themselves."


def test_conditions_on_history_and_position(own_server):
    chat = [{"role": "user", "text": "Which planet is largest?"}, {"role": "assistant", "text": "Jupiter."},
            {"role": "user", "text": "And the smallest?"}]
    assert run(own_server, chat) == "Mercury."
    assert run(own_server, "And the smallest?") != "Mercury."
    assert run(own_server, "Start here") == "First turn."
    assert run(own_server, chat[:2] + [{"role": "user", "text": "Start here"}]) != "First turn."


def test_after_given_as_one_string_is_that_one_earlier_message(own_server):
    """Not its letters: ``"after": "Name two planets"`` was split into characters and never matched."""
    chat = [{"role": "user", "text": "Name two planets"}, {"role": "assistant", "text": "Jupiter,"},
            {"role": "user", "text": "And the second?"}]
    assert run(own_server, chat) == "Saturn."
    assert run(own_server, "And the second?") != "Saturn."


def test_every_built_in_script_loads():
    files = sorted(BUILTIN_SCRIPTS.glob("*.json"))
    assert any(f.name == "tutorials.json" for f in files)
    assert all(load_script(f) for f in files)


def test_a_malformed_script_is_refused_with_the_file_and_entry(tmp_path: Path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"replies": [{"user": "hi", "reply": "hello"}, {"user": "x"}]}', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.json, reply #1 needs"):
        start_local_server(scripts=[bad])


@pytest.mark.parametrize("field, value", [("system", 5), ("system", [5]), ("after", [1]), ("after", {"a": 1})])
@pytest.mark.slow
def test_a_wrongly_typed_system_or_after_is_one_line_naming_the_field(tmp_path: Path, field, value):
    script = tmp_path / "my.json"
    script.write_text(json.dumps({"replies": [{"user": "hi", "reply": "x", field: value}]}), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "ygpt_magic.cli", "serve", "--port", "0", "--script", str(script)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "READY" not in result.stdout
    assert result.stderr == (f'ygpt-magic serve: The script {script}, reply #0: "{field}" must be a string '
                             "or a list of strings.\n")


def test_the_server_stops_and_frees_its_thread():
    server = start_local_server()
    assert server.running and server.address.startswith("127.0.0.1:")
    server.stop()
    server.stop()
    assert not server.running
