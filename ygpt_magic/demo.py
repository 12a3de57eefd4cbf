"""`ygpt-magic demo`: run the tutorial notebooks headless and print every exchange.

A newcomer types `make demo` and sees the product work: each notebook is executed top to bottom
in a fresh kernel (nbclient), written to ``build/notebooks/``, and each cell that asks the model
(`%%ygpt`, `%ygpt fix`) is printed as prompt → reply, the prompt as it was sent (``{variables}``
filled in), read from ``_ygpt`` in the kernel right after the cell. Unless told otherwise, it runs
against the project's local server with a dummy key, so it needs no account and no network.
``--update`` writes the executed notebooks back over the stored ones instead: that is how their
outputs are refreshed after a scripted reply changes.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import importlib.util
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO, TYPE_CHECKING, Any

from .client.credentials import LOCAL_DUMMY_KEY
from .render.controls import visible
from .saving import drop_live_outputs
from .words import counted

if TYPE_CHECKING:
    from nbformat import NotebookNode

_REPO_NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
#: the exit code after Ctrl-C, as shells give a command killed by SIGINT (128 + 2)
INTERRUPTED_EXIT = 130
_CREDENTIAL_VARS = ("YC_API_KEY", "YC_IAM_TOKEN", "YC_OAUTH_TOKEN")
#: how the cells that ask the model begin (a `%%ygpt` cell; a `%ygpt fix` line)
_ASKING = ("%%ygpt", "%ygpt fix")
# Evaluated in the kernel after each asking cell: the reply's identity (a cell that sent nothing,
# like --dry-run or a refused one, leaves the previous reply there) and the prompt it sent.
_SENT = ("(id(_ygpt), _ygpt.messages[-1]['text'] if _ygpt.messages else None) "
         "if '_ygpt' in globals() else None")


@dataclass(frozen=True)
class Exchange:
    """One cell of an executed notebook that asked the model, as the terminal shows it."""

    command: str    # its magic line: ``%%ygpt --once``, ``%ygpt fix 3``
    prompt: str     # the text sent, else (nothing was sent) the cell body
    reply: str      # the final reply as a terminal shows it (plain text), or the error shown


def _is_ygpt(cell: NotebookNode) -> bool:
    asking: bool = cell.cell_type == "code" and cell.source.startswith(_ASKING)
    return asking


def exchanges(notebook: NotebookNode, sent: dict[int, str] | None = None) -> list[Exchange]:
    """The cells of an executed notebook that asked the model, with their final outputs;
    ``sent`` holds the prompt each cell sent, by cell index (see :func:`execute`)."""
    found = []
    for index, cell in enumerate(notebook.cells):
        if not _is_ygpt(cell):
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


def local_environment(environ: MutableMapping[str, str]) -> None:
    """The tutorials' environment: the bundled local server, its placeholder key and folder.

    Whatever the shell had (a Yandex Cloud user has their own YC_* variables set): the stored
    outputs show the placeholders, so a kernel run with the user's folder or key would neither
    match them nor belong in them. nbval's kernels (notebooks/conftest.py) and the demo use it.
    """
    for var in (*_CREDENTIAL_VARS, "YC_TOKEN", "YC_PROFILE", "YGPT_INSECURE", "YGPT_CACHE",
                "YGPT_CACHE_MODE"):  # stored outputs are sent replies, not replayed ones
        environ.pop(var, None)
    environ.update(YGPT_ENDPOINT="local", YC_API_KEY=LOCAL_DUMMY_KEY, YC_FOLDER_ID="local-folder")


def prepare_environment(environ: MutableMapping[str, str]) -> str:
    """Default to the local server (:func:`local_environment`); return where the demo runs.

    A user who exported real credentials and ``YGPT_ENDPOINT=cloud`` gets the real service.
    """
    endpoint = environ.get("YGPT_ENDPOINT", "local")
    if endpoint == "local":
        local_environment(environ)
        return "against the project's local server (YGPT_ENDPOINT=local): no account, no network"
    return f"against YGPT_ENDPOINT={endpoint} with your credentials"


def execute(path: Path, *, timeout: int = 180,
            log: IO[str] | None = None) -> tuple[NotebookNode, dict[int, str]]:
    """Execute one notebook in a fresh kernel from this environment, in the notebook's folder;
    the kernel process's own output (not its cells') goes to ``log``, else to this terminal.

    Returns the executed notebook and, by cell index, the prompt each asking cell sent: a cell
    like ``{review}`` sends the review's text, and that is what the reader should see."""
    import nbclient
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    sent: dict[int, str] = {}
    last = [0]  # id of the reply last seen: a cell that sent nothing leaves it in _ygpt

    async def read_sent(cell: NotebookNode, cell_index: int, execute_reply: dict[str, Any]) -> None:
        if not _is_ygpt(cell):
            return
        # silent: no execution count, no output; the expression's repr comes back in the reply
        kernel = client.kc
        assert kernel is not None, "a kernel client exists while cells run"
        msg_id = kernel.execute("", silent=True, store_history=False,
                              user_expressions={"sent": _SENT})
        reply = await client.async_wait_for_reply(msg_id)
        value = (reply or {}).get("content", {}).get("user_expressions", {}).get("sent", {})
        if value.get("status") != "ok":
            return
        found = ast.literal_eval(value["data"]["text/plain"])
        if found is not None and found[0] != last[0]:  # a new reply exists while the old one does
            last[0] = found[0]
            if found[1] is not None:
                sent[cell_index] = found[1]

    client = nbclient.NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",            # ipykernel's native kernel: this interpreter
        record_timing=False,               # no timestamps in stored notebooks
        store_widget_state=False,          # the panel's text/plain line is stored, not 100 kB of state
        extra_arguments=["--IPKernelApp.log_level=ERROR"],   # no "TCP without encryption" on loopback
        resources={"metadata": {"path": str(path.parent)}},
        on_cell_executed=read_sent,
    )
    client.execute(stdout=log, stderr=log)
    # as Jupyter saves it (saving.py): the panel's widget needs a running kernel, its saved view stays
    drop_live_outputs({"type": "notebook", "content": notebook})
    return notebook, sent


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
    """Execute every notebook in ``notebooks_dir`` (None: ``_default_notebooks``); print the
    exchanges; return an exit code."""
    notebooks_dir = notebooks_dir or _default_notebooks()

    if problem := missing_extra():
        print(problem, file=sys.stderr)
        return 2
    paths = sorted(notebooks_dir.glob("*.ipynb"))
    if not paths:
        print(_none_found(notebooks_dir), file=sys.stderr)
        return 2
    print(f"Running {counted(len(paths), 'notebook')} {prepare_environment(os.environ)}.")
    target_dir = notebooks_dir if update else out_dir
    done: list[Path] = []
    pressed: list[int] = []
    previous = signal.signal(signal.SIGINT, _noting(pressed))
    try:
        return _run_all(paths, done, target_dir, update=update)
    except BaseException as error:
        if not (pressed or _from_ctrl_c(error)):
            raise
    finally:
        signal.signal(signal.SIGINT, previous)
    print(f"\nDemo stopped (Ctrl-C) after {len(done)} of {counted(len(paths), 'notebook')}; "
          f"the executed ones are in {target_dir}.", file=sys.stderr)
    return INTERRUPTED_EXIT


def _run_all(paths: list[Path], done: list[Path], target_dir: Path, *, update: bool) -> int:
    """Execute and print each notebook, appending to ``done`` the ones written."""
    failed = [path.name for path in paths if not _run_one(path, done, target_dir)]
    where = "back into " + str(target_dir) if update else "to " + str(target_dir)
    print(f"\nExecuted notebooks written {where}.")
    if failed:
        print(f"These notebooks failed: {', '.join(failed)}. The messages above say why.", file=sys.stderr)
        return 1
    return 0


def _run_one(path: Path, done: list[Path], target_dir: Path) -> bool:
    """Execute and print one notebook, then what its kernel printed; whether it ran through.

    The kernel's own output is held until then: on Ctrl-C it is dropped with the exception, as
    it is only the kernel's dying (jupyter_client interrupts a kernel before it shuts it down: a
    KeyboardInterrupt traceback when that lands in its start, importing zmq; ipykernel's "Exception
    in message handler" when its sockets close under a cell it stopped)."""
    import nbformat
    from nbclient.exceptions import CellExecutionError

    started = time.monotonic()
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as log:
        try:
            notebook, sent = execute(path, log=log)
        except CellExecutionError as error:
            print(f"\n━━ {path.stem} ━━ FAILED\n{_first_lines(str(error))}", file=sys.stderr)
            _print_log(log)
            return False
        except RuntimeError as error:  # "Kernel died before replying to kernel_info"
            if _died_of_ctrl_c(log):
                raise KeyboardInterrupt from error
            raise
        target = target_dir / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
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


def _died_of_ctrl_c(log: IO[str]) -> bool:
    """Whether the kernel's own output ends in a KeyboardInterrupt: a Ctrl-C while nbclient has
    the SIGINT handler (so ``pressed`` never hears of it) kills a kernel still starting, and
    nbclient says only that it died before replying to kernel_info."""
    log.seek(0)
    return "KeyboardInterrupt" in log.read()


def _noting(pressed: list[int]) -> Callable[[int, FrameType | None], None]:
    """Python's Ctrl-C handler, noting in ``pressed`` that it came: the demo's cleanup interrupts
    the kernels too (jupyter_client interrupts a kernel before it shuts it down), and one that dies
    while it starts raises nbclient's RuntimeError ("Kernel died before replying to kernel_info"),
    which carries no trace of the KeyboardInterrupt."""
    def handler(signum: int, frame: FrameType | None) -> None:
        pressed.append(signum)
        signal.default_int_handler(signum, frame)
    return handler


def _from_ctrl_c(error: BaseException | None) -> bool:
    """Whether ``error`` is Ctrl-C or came while handling it. The cleanup interrupts the kernels
    too, so what reaches the demo may be their death or nbclient's failing cleanup of
    them (an AssertionError) raised over the KeyboardInterrupt; and a KeyboardInterrupt that
    lands in nbclient's event loop cancels the task it runs, so it reaches the demo as that
    task's CancelledError (the demo cancels nothing itself)."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, (KeyboardInterrupt, asyncio.CancelledError)):
            return True
        seen.add(id(error))
        error = error.__context__
    return False


def _first_lines(text: str, limit: int = 25) -> str:
    lines = text.strip().splitlines()
    return "\n".join(lines[:limit] + (["…"] if len(lines) > limit else []))


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """The demo's options; ``cli.py`` passes its ``demo`` sub-parser here."""
    parser = parser or argparse.ArgumentParser(prog="ygpt-magic demo", description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", type=Path, default=None,   # found when run: it depends on where
                        help="folder with the notebooks to run (default: ./notebooks when there is "
                             "one, else the project's notebooks/)")
    parser.add_argument("--out", type=Path, default=Path("build") / "notebooks",
                        help="where to write the executed notebooks (default: build/notebooks)")
    parser.add_argument("--update", action="store_true",
                        help="write the executed notebooks back over the stored ones (refresh their outputs)")
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
    if notebooks_dir == _REPO_NOTEBOOKS and not notebooks_dir.is_dir():
        return ("No notebooks to run: there is no notebooks/ folder here, and the installed package does "
                "not include the tutorials (they are in the project's repository, in notebooks/). Run the "
                "demo in a checkout of it, or pass --notebooks DIR with a folder of notebooks; ygpt-magic "
                "demo \"Hello\" streams one reply from the local server without any.")
    return (f"No notebooks found in {notebooks_dir}. Run the demo from the project's checkout "
            "(where notebooks/ is), or pass --notebooks DIR.")


def _default_notebooks() -> Path:
    """./notebooks when the demo runs where there is one (a checkout), else the project's."""
    here = Path.cwd() / "notebooks"
    return here if here.is_dir() else _REPO_NOTEBOOKS


def main(argv: list[str] | None = None) -> int:
    """Entry point for ``python -m ygpt_magic.demo`` and ``ygpt-magic demo``."""
    args = build_parser().parse_args(argv)
    return run(args.notebooks, args.out, update=args.update)


if __name__ == "__main__":
    sys.exit(main())
