"""The docs' recipe for a user's own notebooks in CI (docs/guide/reproducible.md), run as written
on the tutorial notebooks.

1. record: `YGPT_CACHE=replies.sqlite jupyter nbconvert --execute --inplace *.ipynb` against the
   local server (`YGPT_ENDPOINT=local`, the in-kernel one);
2. store what CI will see: the same with `YGPT_CACHE_MODE=replay` (every reply now replayed);
3. CI: `YGPT_CACHE_MODE=replay pytest --nbval`, with no credentials in the environment, and no
   server: the in-kernel local server is never started when every cell is replayed (a
   `%ygpt whoami` cell appended to each notebook says so, and nbval checks it too);
4. change one prompt: nbval fails, naming that cell as the one without a recording. The changed
   notebook is a copy of 01 beside the recorded ones, so one nbval run (a pytest start, about three
   seconds, fewer) shows both: every recorded cell passes, and exactly the changed one fails.

nbval is used with the docs' three-line conftest.py only (cells numbered as Jupyter numbers
them, which `{In[N]}` / `{Out[N]}` need), not this project's notebooks/conftest.py: a replayed
reply is one display message, so nbval sees it whole.
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

ROOT = Path(__file__).resolve().parent.parent
#: every tutorial with a door of its own to the cache: prompt mode (01), chat turns (02), deferred
#: and unstreamed replies (03), `{In[N]}` references (05), tool exchanges (06: their functions run
#: again on replay), pictures (08), `--docs` (09), `--map` and `--labels` (10); not those whose
#: cells another one here already covers (00's and 04's are 01's and 02's: three kernels apiece),
#: nor those that run a Batch Processing job (07: `--batch`, `%ygpt batch list`): a job and the
#: cloud's list of jobs are not replies, and the cache does not stand in for them
COVERED_ELSEWHERE = ("00_setup.ipynb", "04_panel.ipynb")
NOTEBOOKS = sorted(path for path in (ROOT / "notebooks").glob("*.ipynb")
                   if "%ygpt batch" not in path.read_text(encoding="utf-8") and path.name not in COVERED_ELSEWHERE)
BIN = Path(sys.executable).parent
CHANGED = ("Erors wont corrct themselfs", "Erors wont corrct themselfs, do they?")
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
    names = [p.name for p in NOTEBOOKS]
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
#: the --docs note on what indexing the files cost: a first run against a server says it, a
#: replay says nothing (docs_indexing.replaying), and it is no reply
INDEXED = re.compile(r"^Indexed [^\n]*\n\n")


def _replies(path: Path) -> list[str]:
    """The plain text of every %%ygpt reply in a notebook without its footer (which says
    `cached` when replayed) or a note on indexing; dry runs and --map runs left out (a run's own output is its bar's
    summary line, which says `reused` when replayed; its replies are the results later cells show)."""
    texts = []
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        source = "".join(cell.get("source", ""))
        if cell["cell_type"] == "code" and source.startswith("%%ygpt") and \
                not {"--dry-run", "--map"} & set(source.split()):
            texts += [INDEXED.sub("", FOOTER.sub("", "".join(o["data"]["text/plain"])))
                      for o in cell.get("outputs", [])
                      if o.get("output_type") == "display_data"]
    return texts


def _with_whoami(path: Path) -> None:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    notebook["cells"].append({"cell_type": "code", "execution_count": None, "metadata": {},
                              "outputs": [], "source": "%ygpt whoami"})
    path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")


def test_recorded_notebooks_pass_nbval_with_no_server_and_no_credentials(tmp_path):
    assert len(NOTEBOOKS) >= 7  # 01-03, 05, 06, 08-10
    folder = tmp_path / "notebooks"
    folder.mkdir()
    for path in NOTEBOOKS:
        shutil.copy(path, folder / path.name)
        _with_whoami(folder / path.name)
    shutil.copy(ROOT / "notebooks" / "sanitize.cfg", folder)
    (folder / "conftest.py").write_text(NUMBERED, encoding="utf-8")
    assert NUMBERED in (ROOT / "docs/guide/reproducible.md").read_text(encoding="utf-8")  # as written

    _execute(folder)  # 1. record, against the in-kernel local server
    _execute(folder, YGPT_CACHE_MODE="replay")  # 2. the outputs CI will compare with
    for path in NOTEBOOKS:
        assert _replies(folder / path.name) == _replies(path), f"{path.name} replayed other replies"
        last = json.loads((folder / path.name).read_text(encoding="utf-8"))["cells"][-1]
        whoami = "".join(last["outputs"][0]["data"]["text/plain"])
        assert "not YandexGPT), starts with the first request" in whoami, f"{path.name}: {whoami}"  # never started

    changed = folder / "01_prompt_mode_changed.ipynb"  # 4. a copy with one prompt changed, not recorded
    changed.write_text((folder / "01_prompt_mode.ipynb").read_text(encoding="utf-8").replace(*CHANGED),
                       encoding="utf-8")
    assert CHANGED[1] in changed.read_text(encoding="utf-8")
    ran = _nbval(folder)  # 3. CI, over the recorded notebooks and the changed copy
    cells = sum(len(_code(folder / p.name)) for p in NOTEBOOKS) + len(_code(changed))
    assert ran.returncode == 1 and f"1 failed, {cells - 1} passed" in ran.stdout, ran.stdout[-4000:]
    assert f"FAILED {changed.name}::Cell " in ran.stdout, ran.stdout[-4000:]  # in the copy only
    report = " ".join(ran.stdout.split())
    assert "No recorded reply for cell In [" in report and f"(“{CHANGED[1]}”)" in report, report[-4000:]


def _code(path: Path) -> list[dict]:
    return [c for c in json.loads(path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
