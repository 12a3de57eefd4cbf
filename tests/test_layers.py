"""The layers' arrows point one way (DESIGN.md, README "How the code is laid out").

magics/commands → exchange → chat, client, render; commands → context (the notebook as prompt
text) → chat values, render; panel → exchange, chat; client → chat values;
chat imports neither IPython nor the SDK; the emulator imports nothing from the magic side.
Two checks: the imports written in the source (every module's top-level imports, relative ones
resolved), which name the offending line; and a fresh process importing each layer, which
proves what is really loaded (one interpreter, forked once for each layer).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "ygpt_magic"
HEAVY = ("IPython", "ipywidgets", "grpc", "yandex_cloud_ml_sdk", "yandex_ai_studio_sdk")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, top_level_only: bool = False) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in ``path``; with ``top_level_only``, only
    those that run when the module is imported (not inside functions, nor under TYPE_CHECKING)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found = []
    nodes = _import_time_nodes(tree) if top_level_only else ast.walk(tree)
    for node in nodes:
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            # `from . import x` imports the submodule x when there is one
            found += [(node.lineno, f"{base}.{alias.name}" if _is_module(f"{base}.{alias.name}") else base)
                      for alias in node.names]
    return found


def _import_time_nodes(tree: ast.Module):
    """Every node that runs at import: not function bodies, not ``if TYPE_CHECKING:``."""
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _is_module(name: str) -> bool:
    relative = Path(*name.split(".")[1:])
    return (PACKAGE / relative).with_suffix(".py").exists() or (PACKAGE / relative / "__init__.py").exists()


def sources(*packages: str) -> list[Path]:
    return sorted(p for package in packages for p in (PACKAGE / package).rglob("*.py"))


def offenders(paths: list[Path], forbidden) -> list[str]:
    return [f"{path.relative_to(PACKAGE.parent)}:{line} imports {name}"
            for path in paths for line, name in imports(path) if forbidden(name)]


def test_the_lower_layers_import_no_view():
    views = ("ygpt_magic.commands", "ygpt_magic.magics", "ygpt_magic.panel")
    found = offenders(sources("chat", "client", "render"),
                      lambda name: name.startswith(views))
    assert not found, "a lower layer imports a view:\n" + "\n".join(found)


def test_the_client_reads_chat_values_only():
    found = offenders(sources("client"), lambda name: name.startswith("ygpt_magic.chat")
                      and name not in ("ygpt_magic.chat.values", "ygpt_magic.chat.options", "ygpt_magic.chat"))
    assert not found, "the client imports more of the chat layer than its values:\n" + "\n".join(found)


def test_the_tools_sit_beside_the_exchange():
    """tools/ (the loop, declarations, schemas) may use chat, client, render; nothing below it
    uses tools, and tools uses no view (the panel reaches the loop through its settings)."""
    below = offenders(sources("chat", "client", "render"), lambda name: name.startswith("ygpt_magic.tools"))
    assert not below, "a lower layer imports the tools:\n" + "\n".join(below)
    views = ("ygpt_magic.commands", "ygpt_magic.magics", "ygpt_magic.panel", "IPython")
    up = offenders(sources("tools"), lambda name: name.startswith(views))
    assert not up, "the tools import a view:\n" + "\n".join(up)


def test_the_notebook_context_sits_below_the_commands():
    """context/ turns the notebook into prompt text: it may use chat values, render's Markdown
    helpers and errors, but no view, exchange, tool loop or SDK client; chat, client and render
    do not use it."""
    above = ("ygpt_magic.commands", "ygpt_magic.magics", "ygpt_magic.panel", "ygpt_magic.exchange",
             "ygpt_magic.tools", "ygpt_magic.client.sdk", "IPython.core.magic")
    up = offenders(sources("context"), lambda name: name.startswith(above))
    assert not up, "the notebook context imports a layer above it:\n" + "\n".join(up)
    below = offenders(sources("chat", "client", "render"), lambda name: name.startswith("ygpt_magic.context"))
    assert not below, "a lower layer imports the notebook context:\n" + "\n".join(below)


def test_the_sources_sit_on_errors_alone():
    """sources/ (--docs: files, chunks, index, search) uses errors, words, the key shapes, the
    standard library and numpy: no view, no SDK, no request path; the caller passes the embed
    function."""
    found = offenders(sources("sources"), lambda name: name.startswith(("ygpt_magic", *HEAVY))
                      and not name.startswith(("ygpt_magic.sources", "ygpt_magic.errors", "ygpt_magic.words",
                                                 "ygpt_magic.keyshapes", "ygpt_magic.sqlite_writes")))
    assert not found, "the sources import more than errors and words:\n" + "\n".join(found)


def test_the_key_shapes_sit_below_every_layer():
    """keyshapes.py is the one list of credential shapes that errors/ (masking), sources/ and
    client/ (finding) all read, so it imports nothing of the package, as words.py does, and as
    modelname.py, the rule for model names that chat/, cache/ and client/ read, does."""
    shapes = [PACKAGE / "keyshapes.py", PACKAGE / "words.py", PACKAGE / "modelname.py"]
    found = offenders(shapes, lambda name: name.startswith("ygpt_magic"))
    assert not found, "a module below every layer imports the package:\n" + "\n".join(found)


def test_the_emulator_imports_nothing_from_the_magic_side():
    found = offenders(sources("emulator"), lambda name: name.startswith("ygpt_magic")
                      and not name.startswith("ygpt_magic.emulator"))
    assert not found, "the emulator imports the magic side:\n" + "\n".join(found)


def import_chain(start: str, heavy: tuple[str, ...]) -> list[str]:
    """The first path of import-time imports from ``start`` to a heavy package, as lines."""
    seen, queue = {start: []}, [start]
    while queue:
        name = queue.pop(0)
        path = _path(name)
        if path is None:
            continue
        for line, imported in imports(path, top_level_only=True):
            step = seen[name] + [f"{path.relative_to(PACKAGE.parent)}:{line} imports {imported}"]
            if imported.split(".")[0] in heavy:
                return step
            for candidate in _with_parents(imported):
                if candidate.startswith("ygpt_magic") and candidate not in seen:
                    seen[candidate] = step
                    queue.append(candidate)
    return []


def _path(name: str) -> Path | None:
    relative = Path(*name.split(".")[1:])
    for path in ((PACKAGE / relative).with_suffix(".py"), PACKAGE / relative / "__init__.py"):
        if path.exists():
            return path
    return None


def _with_parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(2, len(parts) + 1)]


#: one probe interpreter: for each layer, a child forked from it (a fresh interpreter's modules:
#: it has imported only json, os and sys) imports the layer and writes which heavy packages loaded
LOADED = """
import json, os, sys
found = {}
for layer, heavy in json.loads(sys.argv[1]):
    read, write = os.pipe()
    if os.fork() == 0:
        __import__(layer)
        os.write(write, json.dumps(sorted({m.split('.')[0] for m in sys.modules} & set(heavy))).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        found[layer] = json.loads(pipe.read())
    os.wait()
print(json.dumps(found))
"""

LAYERS = [
    ("ygpt_magic.chat", HEAVY),
    ("ygpt_magic.client", ("IPython", "ipywidgets")),
    ("ygpt_magic.client.sdk", ("IPython", "ipywidgets")),
    ("ygpt_magic.client.connection", ("IPython", "ipywidgets")),
    ("ygpt_magic.errors", HEAVY),
    ("ygpt_magic.tools.loop", ("IPython", "ipywidgets", "grpc", "yandex_cloud_ml_sdk")),
    ("ygpt_magic.rows", (*HEAVY, "pandas", "tqdm", "asyncio")),   # --map: its heavy parts load when used
    ("ygpt_magic.cache", HEAVY),
    ("ygpt_magic.sources", HEAVY),
    ("ygpt_magic.keyshapes", HEAVY),
]


@pytest.fixture(scope="module")
def loaded() -> dict[str, list[str]]:
    """For each layer, the heavy packages importing it loads into a fresh interpreter: one
    interpreter, a child forked for each layer (an import is a fact of the process, so each layer
    has its own, and none pays for an interpreter's start)."""
    done = subprocess.run([sys.executable, "-c", LOADED, json.dumps(LAYERS)],
                          capture_output=True, text=True, timeout=60, check=True)
    return dict(json.loads(done.stdout))


@pytest.mark.parametrize("layer, heavy", LAYERS)
@pytest.mark.slow
def test_a_layer_loads_only_what_it_may(layer, heavy, loaded):
    chain = import_chain(layer, heavy)
    assert not chain, f"importing {layer} loads {chain[-1].rpartition(' ')[2]}:\n" + "\n".join(chain)
    assert loaded[layer] == [], f"importing {layer} loads {loaded[layer]}"


def test_the_check_names_a_reversed_arrow(tmp_path, monkeypatch):
    """The checks above can fail: a chat module importing the commands is caught and named."""
    tree = tmp_path / "ygpt_magic"
    (tree / "chat").mkdir(parents=True)
    (tree / "commands").mkdir()
    (tree / "__init__.py").write_text("")
    (tree / "chat" / "__init__.py").write_text("from . import planning\n")
    (tree / "chat" / "planning.py").write_text("from ..commands import models\n")
    (tree / "commands" / "__init__.py").write_text("")
    (tree / "commands" / "models.py").write_text("from IPython.core.magic_arguments import argument\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", tree)
    assert offenders(sources("chat"), lambda name: name.startswith("ygpt_magic.commands")) == [
        "ygpt_magic/chat/planning.py:1 imports ygpt_magic.commands.models"]
    assert import_chain("ygpt_magic.chat", HEAVY) == [
        "ygpt_magic/chat/__init__.py:1 imports ygpt_magic.chat.planning",
        "ygpt_magic/chat/planning.py:1 imports ygpt_magic.commands.models",
        "ygpt_magic/commands/models.py:1 imports IPython.core.magic_arguments",
    ]
