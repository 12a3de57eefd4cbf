"""`ygpt-magic demo`: run the tutorial notebooks headless and print every exchange.

A newcomer types `make demo` and sees the product work: each notebook is executed top to bottom
in a fresh kernel (nbclient), written to ``build/notebooks/``, and each cell that asks the model
(`%%ygpt`, `%ygpt fix`) is printed as prompt → reply, the prompt as it was sent (``{variables}``
filled in), read from ``_ygpt`` in the kernel right after the cell. Unless told otherwise, it runs
against the project's local server with a dummy key, so it needs no account and no network.
``--update`` writes the executed tutorials back over the stored ones instead: that is how their
outputs are refreshed after a scripted reply changes.

It runs the project's tutorials (``notebooks/`` beside the package, in a clone) wherever it is
started: a folder of the user's runs only when ``--notebooks`` names it, and what its notebooks
write stays out of it (``--update`` refuses it, and so does an ``--out`` naming it; the kernels
work in a scratch copy of it, scratch_copy.py, whose big files and links are the user's own). A
project's own ``notebooks/`` is arbitrary code with side effects, and
its saved outputs may be hours of work.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import sys
import tempfile
import time
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from .client.credentials import LOCAL_DUMMY_KEY
from .client.proxies import exempt_loopback
from .ctrl_c import INTERRUPTED_EXIT, Stopped, exit_at_ctrl_c, run_until_ctrl_c
from .errors import FolderNotCopied
from .notebook_run import execute, is_asking
from .render.controls import visible
from .saving import drop_live_outputs
from .scratch_copy import COPIED_UP_TO, scratch_copy
from .words import counted

if TYPE_CHECKING:
    from nbformat import NotebookNode

#: the project's tutorials: notebooks/ of the clone the package runs from (absent from a wheel)
TUTORIALS = Path(__file__).resolve().parent.parent / "notebooks"
#: what Ctrl-C prints when no notebook's count is known (before and after the run)
STOPPED = "Demo stopped (Ctrl-C)."
_CREDENTIAL_VARS = ("YC_API_KEY", "YC_IAM_TOKEN", "YC_OAUTH_TOKEN")


@dataclass(frozen=True)
class Exchange:
    """One cell of an executed notebook that asked the model, as the terminal shows it."""

    command: str    # its magic line: ``%%ygpt --once``, ``%ygpt fix 3``
    prompt: str     # the text sent, else (nothing was sent) the cell body
    reply: str      # the final reply as a terminal shows it (plain text), or the error shown


def exchanges(notebook: NotebookNode, sent: dict[int, str] | None = None) -> list[Exchange]:
    """The cells of an executed notebook that asked the model, with their final outputs;
    ``sent`` holds the prompt each cell sent, by cell index (see notebook_run.execute)."""
    found = []
    for index, cell in enumerate(notebook.cells):
        if not is_asking(cell):
            continue
        first, _, body = cell.source.partition("\n")
        prompt = (sent or {}).get(index, body.strip())
        found.append(Exchange(first.strip(), prompt, _output_text(cell.outputs)))
    return found


def _output_text(outputs: Iterable[NotebookNode]) -> str:
    texts = []
    for output in outputs:
        if output.output_type == "stream":
            texts.append(output.text)
        elif output.output_type == "error":
            texts.append(f"{output.ename}: {output.evalue}")
        elif "data" in output:
            data = output.data
            texts.append(data.get("text/plain", ""))  # never the HTML: a terminal shows text
    return "\n".join(text.strip() for text in texts if text.strip())


_CACHE_VARS = ("YGPT_CACHE", "YGPT_CACHE_MODE")


def local_environment(environ: MutableMapping[str, str]) -> None:
    """The tutorials' environment: the bundled local server, its placeholder key and folder,
    and no reply cache (their stored outputs are sent replies, not replayed ones).

    Whatever the shell had (a Yandex Cloud user has their own YC_* variables set): the stored
    outputs show the placeholders, so a kernel run with the user's folder or key would neither
    match them nor belong in them. nbval's kernels (notebooks/conftest.py) use it.
    """
    for var in _CACHE_VARS:
        environ.pop(var, None)
    _local_server(environ)


def _local_server(environ: MutableMapping[str, str]) -> None:
    """The bundled local server with its placeholder key and folder, whatever the shell had, and
    loopback exempt from any proxy the shell names (``https_proxy`` on a corporate machine): the
    server runs in each kernel, and a proxy cannot reach it."""
    for var in (*_CREDENTIAL_VARS, "YC_TOKEN", "YC_PROFILE", "YGPT_INSECURE"):
        environ.pop(var, None)
    environ.update(YGPT_ENDPOINT="local", YC_API_KEY=LOCAL_DUMMY_KEY, YC_FOLDER_ID="local-folder")
    exempt_loopback(environ)


def prepare_environment(environ: MutableMapping[str, str]) -> str:
    """Default to the local server (:func:`_local_server`); return where the demo runs.

    A user who exported real credentials and ``YGPT_ENDPOINT=cloud`` gets the real service.
    A reply cache the shell names (``YGPT_CACHE``, ``YGPT_CACHE_MODE``) is honoured, as nbval
    and ``jupyter nbconvert --execute`` honour it, and the first line says so: a team's
    notebooks run with ``replay`` show their recorded replies and send nothing, rather than
    being answered again by the local server without a word.
    """
    endpoint = environ.get("YGPT_ENDPOINT", "local")
    if endpoint == "local":
        _local_server(environ)
        where = "against the project's local server (YGPT_ENDPOINT=local): no account, no network"
    else:
        where = f"against YGPT_ENDPOINT={endpoint} with your credentials"
    return where + _cache_words(environ)


def _cache_files(environ: MutableMapping[str, str], folder: Path) -> list[str]:
    """A relative ``YGPT_CACHE`` in ``folder`` and its sources index (sources/index.py), which the
    scratch copy links to the notebooks' folder (scratch_copy.py ``linked``), as the first line
    says: recorded in the copy, they would go with it. The path stays as named, so the executed
    notebooks show it as the user wrote it, never where their folder is. One that leads out of
    ``folder`` (``../replies.sqlite``, a project's root) is made absolute instead: no link in the
    copy could stand for it, and a recording must land in the user's file."""
    from .sources.index import index_path

    path = environ.get("YGPT_CACHE")
    if not path or Path(path).expanduser().is_absolute():
        return []
    if not (folder / path).resolve().is_relative_to(folder.resolve()):
        environ["YGPT_CACHE"] = str((folder / path).resolve())
        return []
    return [path, str(index_path(path))]


def _cache_words(environ: MutableMapping[str, str]) -> str:
    """What the first line adds about the reply cache the kernels will use, if any."""
    path = environ.get("YGPT_CACHE")
    if not path:
        return ""
    mode = environ.get("YGPT_CACHE_MODE", "auto")
    what = _CACHE_MODE_WORDS.get(mode, "as the kernels read YGPT_CACHE_MODE")
    return (f"; the reply cache is used: {what} (YGPT_CACHE={path}, YGPT_CACHE_MODE={mode}; a "
            f"relative path is each notebook's folder's)")


#: what each cache mode (cache/replies.py MODES) does to the demo's replies, for its first line
_CACHE_MODE_WORDS = {"replay": "replies replayed from it, nothing sent (a cell it does not hold fails)",
                     "auto": "replies replayed from it, what it lacks sent and recorded",
                     "record": "every reply sent and recorded into it",
                     "off": "off, every reply sent"}


def _print_exchanges(name: str, found: list[Exchange], seconds: float) -> None:
    print(f"\n━━ {name} ━━ {counted(len(found), 'exchange')}, {seconds:.1f} s")
    for exchange in found:
        print(f"\n  {exchange.command}")
        print(_indent(visible(exchange.prompt), "  you  ▸ "))
        print(_indent(visible(exchange.reply), "  ygpt ▸ "))


def _indent(text: str, label: str) -> str:
    pad = " " * len(label)
    lines = text.splitlines() or [""]
    return "\n".join([label + lines[0]] + [pad + line for line in lines[1:]])


def run(notebooks_dir: Path | None, out_dir: Path, *, update: bool = False) -> int:
    """Execute every notebook in ``notebooks_dir`` (None: the project's tutorials); print the
    exchanges; return an exit code. Ctrl-C at any moment ends the kernel of the notebook it
    stops (ctrl_c.py says how): the notebooks executed before it are written, that one is not."""
    notebooks_dir = notebooks_dir or TUTORIALS
    target_dir = notebooks_dir if update else out_dir
    if problem := missing_extra() or _refused(notebooks_dir, target_dir, update=update):
        print(problem, file=sys.stderr)
        return 2
    paths = sorted(notebooks_dir.glob("*.ipynb"))
    if not paths:
        print(_none_found(notebooks_dir), file=sys.stderr)
        return 2
    existed = target_dir.is_dir()
    if problem := _made(target_dir):
        print(problem, file=sys.stderr)
        return 2
    print(f"Running {_what_runs(notebooks_dir, len(paths))} {prepare_environment(os.environ)}.")
    done: list[Path] = []
    try:
        return asyncio.run(run_until_ctrl_c(_run_all(notebooks_dir, paths, done, target_dir, update=update,
                                                     linked=_cache_files(os.environ, notebooks_dir)), STOPPED))
    except FolderNotCopied as problem:
        if not existed:   # made for a run that ran nothing
            target_dir.rmdir()
        print(problem, file=sys.stderr)
        return 2
    except Stopped:
        print(f"\nDemo stopped (Ctrl-C) after {len(done)} of {counted(len(paths), 'notebook')}; "
              f"the executed ones are in {target_dir}.", file=sys.stderr)
        return INTERRUPTED_EXIT


async def _run_all(notebooks_dir: Path, paths: list[Path], done: list[Path], target_dir: Path, *,
                   update: bool, linked: list[str]) -> int:
    """Execute and print each notebook of ``notebooks_dir`` in a scratch copy of it, appending to
    ``done`` the ones written. The copy is made here, in the run Ctrl-C cancels, so a press
    leaves none behind."""
    with scratch_copy(notebooks_dir, linked=linked) as working:
        failed = [path.name for path in paths if not await _run_one(working / path.name, done, target_dir)]
    where = "back into " + str(target_dir) if update else "to " + str(target_dir)
    print(f"\n{counted(len(done), 'executed notebook')} written {where}." if done else "\nNo notebook was written.")
    if failed:
        print(f"These notebooks failed: {', '.join(failed)}. The messages above say why.", file=sys.stderr)
        return 1
    return 0


async def _run_one(path: Path, done: list[Path], target_dir: Path) -> bool:
    """Execute and print one notebook, then what its kernel printed; whether it ran through.

    The kernel's own output is held until then, and dropped with a notebook Ctrl-C stopped (its
    kernel's end is all it could say)."""
    import nbformat
    from nbclient.exceptions import CellExecutionError

    started = time.monotonic()
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as log:
        try:
            notebook, sent = await execute(path, log=log)
        except CellExecutionError as error:
            print(f"\n━━ {path.stem} ━━ FAILED\n{_first_lines(str(error))}", file=sys.stderr)
            _print_log(log)
            return False
        # as Jupyter saves it (saving.py): the panel's widget needs a running kernel, its saved view stays
        drop_live_outputs({"type": "notebook", "content": notebook})
        target = target_dir / path.name
        nbformat.write(notebook, target)
        done.append(target)
        _print_exchanges(path.stem, exchanges(notebook, sent), time.monotonic() - started)
        _print_log(log)
    return True


def _print_log(log: IO[str]) -> None:
    """What a notebook's kernel printed itself (its logged errors), if anything, on stderr."""
    log.seek(0)
    if text := log.read().strip():
        print(_indent(_first_lines(text), "  kernel ▸ "), file=sys.stderr)


def _first_lines(text: str, limit: int = 25) -> str:
    lines = text.strip().splitlines()
    return "\n".join(lines[:limit] + (["…"] if len(lines) > limit else []))


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """The demo's options; ``cli.py`` passes its ``demo`` sub-parser here."""
    parser = parser or argparse.ArgumentParser(prog="ygpt-magic demo", description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", type=Path, default=None,
                        help="folder with the notebooks to run (default: the project's tutorials, notebooks/ "
                             "of the clone the package is installed from, wherever you start it); the kernels "
                             "work in a scratch copy of a folder of yours, dropped after the run, so what its "
                             f"notebooks write stays out of it, but for files over {COPIED_UP_TO // 2**20} MB "
                             "and your own links, which are links there (a write over one writes yours), "
                             "and the reply cache a relative YGPT_CACHE names; hidden folders are left out")
    parser.add_argument("--out", type=Path, default=Path("build") / "notebooks",
                        help="folder to write the executed notebooks to, made when missing (default: "
                             "build/notebooks); never the folder they are read from")
    parser.add_argument("--update", action="store_true",
                        help="write the executed tutorials back over the project's stored ones (refresh "
                             "their outputs); refused for any other folder")
    return parser


#: what the notebooks run with (the ``demo`` extra): nbclient runs each in an ipykernel
_DEMO_PACKAGES = ("nbclient", "nbformat", "ipykernel")


def missing_extra() -> str:
    """One sentence naming the ``demo`` extra when a package of it is missing, else ''. Said
    before anything starts: a wheel installed without it went as far as the first notebook and
    ended there in an import traceback."""
    missing = [name for name in _DEMO_PACKAGES if importlib.util.find_spec(name) is None]
    if not missing:
        return ""
    return (f"ygpt-magic demo runs the notebooks with {', '.join(_DEMO_PACKAGES)} (the demo extra), and "
            f"this environment lacks {', '.join(missing)}: pip install 'ygpt-magic[demo]' (or pip install "
            f"{' '.join(missing)}), then run it again. ygpt-magic demo \"Hello\" streams one reply from the "
            f"local server without them.")


def _none_found(notebooks_dir: Path) -> str:
    """Why there is nothing to run, and what to do. The tutorials are in the project's
    repository, not in the installed package: outside a checkout the default folder beside the
    package does not exist, and naming it (in site-packages) would send the user looking there."""
    if notebooks_dir == TUTORIALS and not notebooks_dir.is_dir():
        return ("No notebooks to run: the installed package does not include the tutorials (they are in "
                "the project's repository, in notebooks/). Run make demo in a clone of it, or pass "
                "--notebooks DIR with its notebooks/ folder; ygpt-magic demo \"Hello\" streams one reply "
                "from the local server without any.")
    return f"No notebooks found in {notebooks_dir}. Pass --notebooks DIR with a folder of notebooks."


def _is_tutorials(folder: Path) -> bool:
    return folder.resolve() == TUTORIALS.resolve()


def _what_runs(notebooks_dir: Path, count: int) -> str:
    """The first line's words for what runs: the folder is named, so a user sees at once
    whether these are the tutorials or the folder they gave."""
    if _is_tutorials(notebooks_dir):
        return f"the {counted(count, 'tutorial notebook')} in {notebooks_dir}"
    return f"{counted(count, 'notebook')} in {notebooks_dir}"


def _refused(notebooks_dir: Path, target_dir: Path, *, update: bool) -> str:
    """One line saying why nothing runs, else '': a user's notebooks would be written over.
    Only a check: a refused run leaves no folder behind (:func:`_made` makes --out, last)."""
    if update and not _is_tutorials(notebooks_dir):
        return (f"--update writes back over the project's tutorials only ({TUTORIALS}), and {notebooks_dir} "
                "is not their folder: its notebooks are left as they are. To run them, leave out --update; "
                "the executed copies go to --out (default build/notebooks).")
    if not update and target_dir.resolve() == notebooks_dir.resolve():
        return (f"--out is the folder the notebooks are read from ({notebooks_dir}): the executed copies "
                "would replace them. Name another folder, e.g. --out build/notebooks.")
    return ""


def _made(target_dir: Path) -> str:
    """Make ``target_dir`` (and the folders above it), or say in one line why it cannot be
    one, else ''. The last step before the run: said up front, as found after the run it lost
    the run in a traceback."""
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        return (f"--out must name a folder (made when missing), and {target_dir} is not one "
                f"({error.strerror}): name another, e.g. --out build/notebooks.")
    return ""


def main(argv: list[str] | None = None) -> int:
    """Entry point for ``python -m ygpt_magic.demo`` (``ygpt-magic demo`` is cli.py's)."""
    exit_at_ctrl_c(STOPPED)
    args = build_parser().parse_args(argv)
    return run(args.notebooks, args.out, update=args.update)


if __name__ == "__main__":
    sys.exit(main())
