"""``ygpt-magic``: the command line (``serve`` runs the local server, ``demo`` shows it working,
``cache merge`` merges two reply caches, as git's merge driver for the committed one).

Ctrl-C at any moment ends it with one line and exit code 130 (ctrl_c.py): the handler is the
first thing :func:`main` installs, so this module imports nothing heavy at its top; the commands
import what they need when they run.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .ctrl_c import INTERRUPTED_EXIT, exit_at_ctrl_c

if TYPE_CHECKING:
    import argparse

    from .client.chunks import SdkAnswer
    from .client.stream import Stream

#: what Ctrl-C prints, by command, until the command says more itself
_STOPPED = {"demo": "Demo stopped (Ctrl-C).", "serve": "Local server stopped (Ctrl-C)."}


def _demo(args: argparse.Namespace) -> int:
    """Start the local server in-process and stream one reply through the unmodified SDK, at
    the cloud's pace (a first chunk after 0.1 s, then one every 20 ms), so it is seen streaming.

    It goes through the client a cell uses, so a failure is the paragraph a cell shows (a proxy
    in the way of 127.0.0.1, a prompt longer than the context), worded for a shell, on stderr,
    never a traceback. Exit code 2 when the prompt as typed is refused (it holds a credential, or
    is longer than the model's context), as argparse refuses an empty one; 1 for any other failure."""
    from .chat.options import RequestOptions
    from .client.sdk import Client
    from .emulator import start_local_server
    from .errors import DEMO, ContextTooLong, CredentialInPrompt, YGptError
    from .render.controls import visible

    with start_local_server() as server:
        server.faults.first_chunk_latency(0.1)
        server.faults.latency(0.02)
        client = Client(endpoint=server.address, local=True)
        try:
            # the credential guard reads the prompt as the stream is made: a key typed into it is
            # refused before the prompt is echoed
            stream = client.stream([{"role": "user", "text": args.prompt}], RequestOptions())
            print(f"Local server at {server.address}. Prompt: {args.prompt}\n", flush=True)
            _stream_reply(stream)
        except YGptError as error:
            print(f"\n{visible(error.words(DEMO))}", file=sys.stderr)
            return 2 if isinstance(error, (CredentialInPrompt, ContextTooLong)) else 1
        finally:
            client.close()
    return 0


def _stream_reply(stream: Stream) -> None:
    """Print each answer's new text as it comes, then what the reply was: its chunks, status,
    tokens and model version."""
    from .render.controls import visible

    last: SdkAnswer | None = None
    for answer in stream:
        if answer is not None:
            sys.stdout.write(visible(answer.text[len(last.text) if last else 0:]))
            sys.stdout.flush()
            last = answer
    assert last is not None, "a stream that ends without an error has answered"
    print(f"\n\n[{stream.received} chunks, {last.status}, {last.usage.input_tokens:,} → "
          f"{last.usage.completion_tokens:,} tokens, model version {last.model_version}]")


def _cache_merge(args: argparse.Namespace) -> int:
    """Add THEIRS' entries to OURS (cache/merge.py); as a git merge driver (``%A %B``), exit 0
    tells git the file is merged. A refusal is one paragraph on stderr and exit code 1: git then
    reports the conflict, and OURS is as it was."""
    from .cache.merge import merge_files
    from .errors import CacheNotMerged

    who = "ygpt-magic cache merge"
    try:
        done = merge_files(args.ours, args.theirs, who)
    except CacheNotMerged as error:
        print(error, file=sys.stderr)
        return 1
    print(f"{who}: {done.added} {'entry' if done.added == 1 else 'entries'} added from {args.theirs}, "
          f"{done.already} already in {args.ours}.")
    return 0


def _prompt(text: str) -> str:
    """A demo prompt with some text (the server refuses an empty message)."""
    import argparse

    if not text.strip():
        raise argparse.ArgumentTypeError("the prompt is empty; give some text, or no prompt to run the notebooks")
    return text


def build_parser() -> argparse.ArgumentParser:
    import argparse

    from . import __version__
    from . import demo as notebook_demo
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
    cache = commands.add_parser(
        "cache", help="merge two reply cache files: 'cache merge OURS THEIRS' adds the entries of THEIRS "
                      "that OURS lacks (entries are content-addressed, so both sides' recordings are "
                      "kept); also git's merge driver for the committed cache (see the guide: "
                      "Reproducible notebooks, merging)")
    cache.add_argument("action", choices=["merge"], metavar="merge", help="what to do (merge only)")
    cache.add_argument("ours", metavar="OURS", help="the cache file merged into (written)")
    cache.add_argument("theirs", metavar="THEIRS", help="the other cache file (only read)")
    return parser


def _stopped(argv: Sequence[str]) -> str:
    """The line Ctrl-C prints for the command ``argv`` names (read before it is parsed)."""
    command = next((arg for arg in argv if not arg.startswith("-")), "")
    return _STOPPED.get(command, "ygpt-magic stopped (Ctrl-C).")


def main(argv: Sequence[str] | None = None) -> int:
    """The console script. Its first step makes Ctrl-C one line and exit code 130."""
    line = _stopped(sys.argv[1:] if argv is None else argv)
    exit_at_ctrl_c(line)
    try:
        return _run(build_parser().parse_args(argv))
    except KeyboardInterrupt:   # the moment serve's event loop gives SIGINT back to Python
        print(f"\n{line}", file=sys.stderr)
        return INTERRUPTED_EXIT


def _run(args: argparse.Namespace) -> int:
    """Run the command ``args`` name."""
    if args.command == "cache":
        return _cache_merge(args)
    if args.command == "serve":
        from .emulator.main import run_serve, unmet_needs

        if problem := unmet_needs(args):
            args.parser.error(problem)
        code = run_serve(args)
        exit_at_ctrl_c(_STOPPED["serve"])   # its event loop, closing, gave SIGINT back to Python
        return code
    if args.prompt is None:
        from . import demo as notebook_demo

        return notebook_demo.run(args.notebooks, args.out, update=args.update)
    return _demo(args)


if __name__ == "__main__":
    sys.exit(main())
