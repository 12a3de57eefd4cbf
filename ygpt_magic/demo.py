"""`ygpt-magic demo`: run the tutorial notebooks headless and print every exchange.

A newcomer types `make demo` and sees the product work: each notebook is executed top to bottom
in a fresh kernel (nbclient), written to ``build/notebooks/``, and each `%%ygpt` cell is printed
as prompt → reply. Unless told otherwise, it runs against the project's local server with a dummy
key, so it needs no account and no network. ``--update`` writes the executed notebooks back over
the stored ones instead: that is how their outputs are refreshed after a scripted reply changes.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .chat import counted

_REPO_NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
_CREDENTIAL_VARS = ("YC_API_KEY", "YC_IAM_TOKEN", "YC_OAUTH_TOKEN")
_MAGIC = "%%ygpt"
_SMALL_PRINT = re.compile(r"</?sub>")   # the footer's HTML, for the terminal


@dataclass(frozen=True)
class Exchange:
    """One `%%ygpt` cell of an executed notebook, as the terminal shows it."""

    flags: str      # the magic line after %%ygpt
    prompt: str     # the cell body (before {variable} expansion)
    reply: str      # the final rendered reply (Markdown with its footer), or the error shown


def exchanges(notebook) -> list[Exchange]:
    """The `%%ygpt` cells of an executed notebook with their final outputs."""
    found = []
    for cell in notebook.cells:
        if cell.cell_type != "code" or not cell.source.startswith(_MAGIC):
            continue
        first, _, body = cell.source.partition("\n")
        found.append(Exchange(first[len(_MAGIC):].strip(), body.strip(), _output_text(cell.outputs)))
    return found


def _output_text(outputs) -> str:
    texts = []
    for output in outputs:
        if output.output_type == "stream":
            texts.append(output.text)
        elif output.output_type == "error":
            texts.append(f"{output.ename}: {output.evalue}")
        elif "data" in output:
            data = output.data
            texts.append(data.get("text/markdown") or data.get("text/plain", ""))
    return _SMALL_PRINT.sub("", "\n".join(text.strip() for text in texts if text.strip()))


def prepare_environment(environ: dict[str, str]) -> str:
    """Default to the local server with a dummy key; return a line saying where the demo runs.

    A user who exported real credentials and ``YGPT_ENDPOINT=cloud`` gets the real service.
    """
    endpoint = environ.setdefault("YGPT_ENDPOINT", "local")
    if endpoint == "local":
        if not any(environ.get(var) for var in _CREDENTIAL_VARS):
            environ["YC_API_KEY"] = "local-dummy-key"
        environ.setdefault("YC_FOLDER_ID", "local-folder")
        return "against the project's local server (YGPT_ENDPOINT=local): no account, no network"
    return f"against YGPT_ENDPOINT={endpoint} with your credentials"


def execute(path: Path, *, timeout: int = 180):
    """Execute one notebook in a fresh kernel from this environment, in the notebook's folder."""
    import nbclient
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",            # ipykernel's native kernel: this interpreter
        record_timing=False,               # no timestamps in stored notebooks
        store_widget_state=False,          # the panel's text/plain line is stored, not 100 kB of state
        extra_arguments=["--IPKernelApp.log_level=ERROR"],   # no "TCP without encryption" on loopback
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    return notebook


def _print_exchanges(name: str, found: list[Exchange], seconds: float) -> None:
    count = len(found)
    print(f"\n━━ {name} ━━ {count} exchange{'s' * (count != 1)}, {seconds:.1f} s")
    for exchange in found:
        print(f"\n  %%ygpt {exchange.flags}".rstrip())
        print(_indent(exchange.prompt, "  you  ▸ "))
        print(_indent(exchange.reply, "  ygpt ▸ "))


def _indent(text: str, label: str) -> str:
    pad = " " * len(label)
    lines = text.splitlines() or [""]
    return "\n".join([label + lines[0]] + [pad + line for line in lines[1:]])


def run(notebooks_dir: Path, out_dir: Path | None, *, update: bool = False) -> int:
    """Execute every notebook in ``notebooks_dir``; print the exchanges; return an exit code."""
    import nbformat
    from nbclient.exceptions import CellExecutionError

    paths = sorted(notebooks_dir.glob("*.ipynb"))
    if not paths:
        print(f"No notebooks found in {notebooks_dir}. Run the demo from the project's checkout "
              "(where notebooks/ is), or pass --notebooks DIR.", file=sys.stderr)
        return 2
    print(f"Running {counted(len(paths), 'notebook')} {prepare_environment(os.environ)}.")
    failed = []
    for path in paths:
        started = time.monotonic()
        try:
            notebook = execute(path)
        except CellExecutionError as error:
            failed.append(path.name)
            print(f"\n━━ {path.stem} ━━ FAILED\n{_first_lines(str(error))}", file=sys.stderr)
            continue
        _print_exchanges(path.stem, exchanges(notebook), time.monotonic() - started)
        target = path if update else out_dir / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, target)
    where = "back into " + str(notebooks_dir) if update else "to " + str(out_dir)
    print(f"\nExecuted notebooks written {where}.")
    if failed:
        print(f"These notebooks failed: {', '.join(failed)}. The messages above say why.", file=sys.stderr)
        return 1
    return 0


def _first_lines(text: str, limit: int = 25) -> str:
    lines = text.strip().splitlines()
    return "\n".join(lines[:limit] + (["…"] if len(lines) > limit else []))


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """The demo's options; ``cli.py`` passes its ``demo`` sub-parser here."""
    parser = parser or argparse.ArgumentParser(prog="ygpt-magic demo", description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", type=Path, default=_default_notebooks(),
                        help="folder with the notebooks to run (default: the project's notebooks/)")
    parser.add_argument("--out", type=Path, default=Path("build") / "notebooks",
                        help="where to write the executed notebooks (default: build/notebooks)")
    parser.add_argument("--update", action="store_true",
                        help="write the executed notebooks back over the stored ones (refresh their outputs)")
    return parser


def _default_notebooks() -> Path:
    here = Path.cwd() / "notebooks"
    return here if here.is_dir() else _REPO_NOTEBOOKS


def main(argv: list[str] | None = None) -> int:
    """Entry point for ``python -m ygpt_magic.demo`` and ``ygpt-magic demo``."""
    args = build_parser().parse_args(argv)
    return run(args.notebooks, args.out, update=args.update)


if __name__ == "__main__":
    sys.exit(main())
