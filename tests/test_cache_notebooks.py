"""The docs' recipe for a user's own notebooks in CI (docs/guide/reproducible.md), run as written
on a tutorial notebook.

1. record: `YGPT_CACHE=replies.sqlite jupyter nbconvert --execute --inplace *.ipynb` against the
   local server (`YGPT_ENDPOINT=local`, the in-kernel one);
2. store what CI will see: the same with `YGPT_CACHE_MODE=replay` (every reply now replayed);
3. CI: `YGPT_CACHE_MODE=replay pytest --nbval`, with no credentials in the environment, and no
   server: the in-kernel local server is never started when every cell is replayed (a
   `%ygpt whoami` cell appended to the notebook says so, and nbval checks it too);
4. change one prompt without recording it again: nbval fails, naming that cell as the one without
   a recording, and every other cell passes.

nbval is used with the docs' three-line conftest.py only (cells numbered as Jupyter numbers
them, which `{In[N]}` / `{Out[N]}` need), not this project's notebooks/conftest.py: a replayed
reply is one display message, so nbval sees it whole.

Which tutorial: each one costs three kernels here (record, store, CI), so the recipe runs the one
whose door to the cache only a real kernel under nbval shows. 05 replays `{In[N]}` and `{Out[N]}`
references and `%ygpt fix` (which sends `{In[N]}` and `{Err[N]}` of the failed cell): they hit
only when nbval numbers the cells as Jupyter did, which is what the docs' conftest.py is for. The
other tutorials' doors replay in-process, in a real shell with the cache file and the server
stopped or left unasked: 00's and 01's prompt mode in test_cache.py (a recorded reply replayed at
once, nothing sent; a replay-mode miss naming its cell); 02's chat turns in test_cache.py (a chat
re-run from the top after a restart, turn by turn); 03's deferred, unstreamed and cut-short
replies in test_cache_ci.py; 04's panel Send and 06's tool exchanges (their functions run again)
and --schema answers in test_cache_exchanges.py; 08's pictures in test_cache_exchanges.py, and a
matplotlib chart replayed in a new kernel in test_images_plots.py; 09's --docs in
test_docs_indexing.py and test_cache_usage_agree.py, its `%ygpt embed` and `%ygpt similar` in
test_embed.py; 10's --labels in test_labels.py, its --map runs in test_cache_exchanges.py and
test_cache.py. 07 runs a Batch Processing job and lists the cloud's jobs: those are not replies,
and the cache does not stand in for them.

A team's shared cache (findings ci2): the notebook's setup cell sets the cache itself
(`%ygpt cache replies.sqlite`), and after it was stored a colleague records into the same file
(a kernel of theirs: the test's shell). The stored setup cell must still match in CI: it said
`contents  0 entries, …` before, CI's run said another count, and a colleague's recording failed
every other notebook.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import cell

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "notebooks" / "05_notebook_context.ipynb"
BIN = Path(sys.executable).parent
#: the setup line of a notebook that sets its (shared) cache itself
SETS_ITS_CACHE = "%ygpt cache replies.sqlite"
#: step 4: a prompt's first line as recorded, and as changed after the notebook was stored
CHANGED = ("In one sentence: how far ahead is the leading city?",
           "In one sentence: how far ahead is the leading city now?")
#: the docs' conftest.py for a user's notebooks (nbval runs cells unnumbered otherwise)
NUMBERED = """\
from nbval.kernel import RunningKernel

def numbered(self, source, allow_stdin=None):  # cells numbered as Jupyter numbers them
    return self.kc.execute(source, store_history=True, allow_stdin=allow_stdin, stop_on_error=False)

RunningKernel.execute_cell_input = numbered
"""

pytestmark = pytest.mark.slow


def _env(folder: Path, **more: str) -> dict[str, str]:
    """No credential, no folder id, no endpoint from the machine; the cache and local target."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YC_", "YGPT_"))}
    env.update(YGPT_ENDPOINT="local", YGPT_CACHE=str(folder / "replies.sqlite"),
               GRPC_VERBOSITY="NONE", **more)
    return env


def _execute(folder: Path, **env: str) -> None:
    """`jupyter nbconvert --to notebook --execute --inplace *.ipynb` (step 1 and 2)."""
    names = sorted(path.name for path in folder.glob("*.ipynb"))
    done = subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "notebook", "--execute",
                           "--inplace", *names], cwd=folder, env=_env(folder, **env),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]


def _nbval(folder: Path) -> subprocess.CompletedProcess:
    """Step 3: `pytest --nbval` in replay mode, as a CI job runs it."""
    return subprocess.run([sys.executable, "-m", "pytest", "--nbval", "--nbval-current-env",
                           "--nbval-sanitize-with", "sanitize.cfg", "-p", "no:cacheprovider",
                           "-q"], cwd=folder, env=_env(folder, YGPT_CACHE_MODE="replay"),
                          capture_output=True, text=True, timeout=600)


#: a reply's footer, its last paragraph: `yandexgpt · … · 12 → 34 tokens · 0.5 s` (or `· cached · …`)
FOOTER = re.compile(r"(^|\n\n)[^\n]* · [^\n]* → [^\n]*$")


def _replies(path: Path) -> list[str]:
    """The plain text of every %%ygpt reply in a notebook without its footer (which says
    `cached` when replayed); dry runs left out (a replayed one says its count is recorded)."""
    texts = []
    for code in _code(path):
        source = "".join(code["source"])
        if source.startswith("%%ygpt") and "--dry-run" not in source.split():
            texts += [FOOTER.sub("", "".join(o["data"]["text/plain"]))
                      for o in code.get("outputs", []) if o.get("output_type") == "display_data"]
    return texts


def _copied(folder: Path) -> Path:
    """The tutorial as a team keeps it: its setup cell sets the cache, a `%ygpt whoami` cell ends it."""
    notebook = json.loads(TUTORIAL.read_text(encoding="utf-8"))
    setup = next(c for c in notebook["cells"] if c["cell_type"] == "code")
    setup["source"] = "".join(setup["source"]) + "\n" + SETS_ITS_CACHE
    notebook["cells"].append({"cell_type": "code", "execution_count": None, "metadata": {},
                              "outputs": [], "source": "%ygpt whoami"})
    path = folder / TUTORIAL.name
    path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    return path


def _outputs(path: Path, index: int) -> str:
    """The text a stored notebook shows under its code cell number ``index``."""
    outputs = _code(path)[index]["outputs"]
    return "".join("".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", "")) for o in outputs)


def test_recorded_notebooks_pass_nbval_with_no_server_and_no_credentials(tmp_path, request):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    notebook = _copied(folder)
    shutil.copy(ROOT / "notebooks" / "sanitize.cfg", folder)
    (folder / "conftest.py").write_text(NUMBERED, encoding="utf-8")
    assert NUMBERED in (ROOT / "docs/guide/reproducible.md").read_text(encoding="utf-8")  # as written

    _execute(folder)  # 1. record, against the in-kernel local server
    _execute(folder, YGPT_CACHE_MODE="replay")  # 2. the outputs CI will compare with
    assert _replies(notebook) == _replies(TUTORIAL), "replayed other replies"
    whoami = _outputs(notebook, -1)
    assert "not YandexGPT), starts with the first request" in whoami, whoami  # never started
    assert re.fullmatch(r"cache +replies.sqlite\nmode +replay\ncontents +entries, size and hits: "
                        r"%ygpt cache\s*", _outputs(notebook, 0)), _outputs(notebook, 0)  # nothing that changes

    colleague = request.getfixturevalue("shell")  # a teammate records into the shared file
    colleague.run_line_magic("ygpt", f"cache {folder / 'replies.sqlite'}")
    assert cell(colleague, "%%ygpt --once\nSay hello to Boris").ok

    source = notebook.read_text(encoding="utf-8")  # 4. a prompt changed, the notebook not run again
    assert source.count(CHANGED[0]) == 1
    notebook.write_text(source.replace(*CHANGED), encoding="utf-8")
    ran = _nbval(folder)  # 3. CI
    changed = next(i for i, c in enumerate(_code(notebook)) if CHANGED[1] in "".join(c["source"]))
    cells = len(_code(notebook))
    assert ran.returncode == 1 and f"1 failed, {cells - 1} passed" in ran.stdout, ran.stdout[-4000:]
    assert re.search(rf"FAILED {re.escape(notebook.name)}::Cell {changed}\b", ran.stdout), ran.stdout[-4000:]
    report = " ".join(ran.stdout.split())  # the cell as Jupyter numbers it, the first line of its prompt
    assert f"No recorded reply for cell In [{changed + 1}] (“{CHANGED[1]}”)" in report, report[-4000:]


def _code(path: Path) -> list[dict]:
    return [c for c in json.loads(path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
