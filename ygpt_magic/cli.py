"""``ygpt-magic``: the command line (``serve`` runs the local server, ``demo`` shows it working)."""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from . import demo as notebook_demo
from .render.controls import visible


def _demo(args: argparse.Namespace) -> int:
    """Start the local server in-process and stream one reply through the unmodified SDK, at
    the cloud's pace (a first chunk after 0.1 s, then one every 20 ms), so it is seen streaming."""
    from .emulator import start_local_server
    from .emulator.testing import sdk_kwargs

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from yandex_cloud_ml_sdk import YCloudML

    with start_local_server() as server:
        server.faults.first_chunk_latency(0.1)
        server.faults.latency(0.02)
        model = YCloudML(**sdk_kwargs(server.address)).models.completions("yandexgpt")
        print(f"Local server at {server.address}. Prompt: {args.prompt}\n", flush=True)
        chunks: list[Any] = []
        for chunk in model.run_stream(args.prompt):
            sys.stdout.write(visible(chunk.text[len(chunks[-1].text) if chunks else 0:]))
            sys.stdout.flush()
            chunks.append(chunk)
        last = chunks[-1]
        print(f"\n\n[{len(chunks)} chunks, {last.status.name}, {last.usage.input_text_tokens:,} → "
              f"{last.usage.completion_tokens:,} tokens, model version {last.model_version}]")
    return 0


def _prompt(text: str) -> str:
    """A demo prompt with some text (the server refuses an empty message)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("the prompt is empty; give some text, or no prompt to run the notebooks")
    return text


def build_parser() -> argparse.ArgumentParser:
    from . import __version__
    from .emulator.main import add_serve_arguments

    parser = argparse.ArgumentParser(
        prog="ygpt-magic", description="The command line of ygpt_magic: 'serve' runs the local server, "
                                       "'demo' shows it working.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the local Yandex-compatible server (gRPC, HTTP and, "
                                              "with --tls, an HTTPS proxy for the SDK's chat API)")
    add_serve_arguments(serve)
    serve.set_defaults(parser=serve)   # for main's errors, said as argparse says its own
    demo = commands.add_parser(
        "demo", help="run the tutorial notebooks headless and print each exchange; "
                     "with a PROMPT, stream one reply from the local server through the SDK")
    demo.add_argument("prompt", nargs="?", default=None, metavar="PROMPT", type=_prompt,
                      help="stream the reply to PROMPT from the local server through the SDK, "
                           "instead of running the notebooks")
    notebook_demo.build_parser(demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        from .emulator.main import run_serve, unmet_needs

        if problem := unmet_needs(args):
            args.parser.error(problem)
        return run_serve(args)
    if args.prompt is None:
        return notebook_demo.run(args.notebooks, args.out, update=args.update)
    try:
        return _demo(args)
    except KeyboardInterrupt:
        print("\nDemo stopped (Ctrl-C).", file=sys.stderr)
        return notebook_demo.INTERRUPTED_EXIT


if __name__ == "__main__":
    sys.exit(main())
