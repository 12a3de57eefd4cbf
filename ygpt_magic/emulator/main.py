"""``ygpt-magic serve``: run the local server as a process until SIGINT or SIGTERM.

It prints exactly one ``READY HOST:PORT http://HOST:HTTP_PORT`` line on stdout once both the gRPC
and the HTTP side accept connections (scripts and CI wait for it; the second word is the gRPC
address, the third the HTTP one, a fourth with ``--tls`` the HTTPS proxy's), logs one line per
request on stderr, and stops cleanly on a signal.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import ssl
import sys
from pathlib import Path

import grpc

from .addresses import bare, every_interface, reachable
from .faults import Faults
from .flag_types import count, port, seconds
from .http.app import IDLE_TIMEOUT
from .server import DEFAULT_BATCH_ROW_DELAY, DEFAULT_OPERATION_DELAY, build_responders, serve
from .state import EmulatorState
from .tls import CERT_NAME, server_credentials, ssl_server_context


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of ``serve``: where to listen, what to answer with, which faults to inject."""
    parser.add_argument("--host", type=bare, default="127.0.0.1",
                        help="interface to listen on (default 127.0.0.1; ::1 or [::1] for IPv6; 0.0.0.0 or :: "
                             "for every interface, printed as 127.0.0.1 or [::1], the address this machine uses)")
    parser.add_argument("--port", type=port, default=0, help="gRPC port; 0 (default) picks a free one")
    parser.add_argument("--http-port", type=port, default=0,
                        help="HTTP port (REST and OpenAI-compatible API); 0 (default) picks a free one")
    parser.add_argument("--script", action="append", default=[], metavar="FILE",
                        help="an extra JSON script of replies (repeatable); see the docs' local server "
                             "page, 'What it answers'")
    parser.add_argument("--gguf", metavar="PATH",
                        help="answer with a local GGUF model through llama.cpp (the local extra: "
                             "pip install -e '.[local]' in a clone)")
    parser.add_argument("--batch-row-delay", type=seconds, default=DEFAULT_BATCH_ROW_DELAY, metavar="SECONDS",
                        help="seconds a batch job spends per row and per status step (default %(default)s; "
                             "0.5 looks like the cloud in a demo)")
    parser.add_argument("--operation-delay", type=seconds, default=DEFAULT_OPERATION_DELAY, metavar="SECONDS",
                        help="how long deferred operations stay not-done (default %(default)s)")
    parser.add_argument("--tls", metavar="DIR",
                        help="serve TLS with a self-signed certificate kept in DIR (made on first use), for "
                             "scripts that cannot pass verify=False: trust it with "
                             "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH=DIR/cert.pem")
    parser.add_argument("--proxy-port", type=port, default=None,
                        help="with --tls: port of the HTTPS proxy that takes the SDK's chat API (its "
                             "llm.api.cloud.yandex.net calls) to this server; 0 (default) picks a free one")
    parser.add_argument("--idle-timeout", type=seconds, default=IDLE_TIMEOUT, metavar="SECONDS",
                        help="close an HTTP or proxy connection that sends nothing for this long "
                             "(default %(default)s; keep it above the 5 s clients keep a connection idle)")
    parser.add_argument("--quiet", action="store_true", help="do not log one line per request")
    faults = parser.add_argument_group("fault injection")
    faults.add_argument("--latency", type=seconds, default=0.0, metavar="SECONDS", help="delay before every chunk")
    faults.add_argument("--first-chunk-latency", type=seconds, metavar="SECONDS",
                        help="delay before the first chunk instead of --latency (the cloud's pace: "
                             "--first-chunk-latency 0.1 --latency 0.02)")
    faults.add_argument("--fail-next", type=count, metavar="N", help="fail the first N calls")
    faults.add_argument("--fail-code", metavar="STATUS", help="gRPC status for --fail-next (default UNAVAILABLE)")
    faults.add_argument("--fail-method", metavar="METHOD",
                        help="RPC that --fail-next applies to (default Completion), as the request log "
                             "names it (Completion, "
                             "AsyncCompletion, TokenizeCompletion, GetOperation, ... or '*' for all); "
                             "a name the server has no call of is refused with the list")
    faults.add_argument("--break-after", type=count, metavar="K", help="break Completion streams after K chunks")
    faults.add_argument("--break-code", metavar="STATUS", help="gRPC status for --break-after (default UNAVAILABLE)")
    faults.add_argument("--break-times", type=count, default=1, metavar="N", help="how many streams to break")
    faults.add_argument("--stall-after", type=count, metavar="K", help="pause Completion streams after K chunks")
    faults.add_argument("--stall-seconds", type=seconds, default=30.0, metavar="SECONDS", help="length of the pause")


#: a switch that does nothing alone → the switch it needs (each ``dest`` of add_serve_arguments)
NEEDS = {"fail_code": "fail_next", "fail_method": "fail_next", "break_code": "break_after", "proxy_port": "tls"}


def unmet_needs(args: argparse.Namespace) -> str | None:
    """What is wrong when a switch was given without the one it needs (a fault that would never
    be injected makes a fault test pass for the wrong reason), else None."""
    for given, needed in NEEDS.items():
        if getattr(args, given) is not None and getattr(args, needed) is None:
            return f"--{given.replace('_', '-')} needs --{needed.replace('_', '-')}" + (
                " DIR" if needed == "tls" else " N")
    return None


def apply_fault_flags(faults: Faults, args: argparse.Namespace) -> None:
    """Set the faults the command line asked for (the same calls tests make)."""
    if args.latency:
        faults.latency(args.latency)
    if args.first_chunk_latency is not None:
        faults.first_chunk_latency(args.first_chunk_latency)
    if args.fail_next:
        faults.fail_next(args.fail_next, args.fail_code or "UNAVAILABLE", method=args.fail_method or "Completion")
    if args.break_after is not None:
        faults.break_stream_after(args.break_after, args.break_code or "UNAVAILABLE", times=args.break_times)
    if args.stall_after is not None:
        faults.stall_after(args.stall_after, args.stall_seconds)


def run_serve(args: argparse.Namespace) -> int:
    """Serve until SIGINT/SIGTERM; return the process exit code."""
    if not args.quiet:
        logging.basicConfig(format="%(asctime)s %(name)s %(message)s", level=logging.WARNING)
        logging.getLogger("ygpt_magic.emulator").setLevel(logging.INFO)
    try:
        state = EmulatorState(build_responders(args.script, args.gguf), operation_delay=args.operation_delay,
                              batch_row_delay=args.batch_row_delay)
        apply_fault_flags(state.faults, args)
        credentials = server_credentials(args.tls, args.host) if args.tls else None
        proxy_tls = ssl_server_context(args.tls, args.host) if args.tls else None
    except (OSError, ValueError, ImportError) as error:
        print(f"ygpt-magic serve: {error}", file=sys.stderr)
        return 2
    return asyncio.run(_serve_until_signal(state, args, credentials, proxy_tls))


#: seconds a call still running at a stop is given to finish before it is cancelled
STOP_GRACE = 1.0


async def _serve_until_signal(state: EmulatorState, args: argparse.Namespace,
                              credentials: grpc.ServerCredentials | None, proxy_tls: ssl.SSLContext | None) -> int:
    try:
        server = await serve(state, args.host, args.port, args.http_port, credentials, proxy_tls, args.proxy_port or 0,
                             args.idle_timeout)
    except (OSError, RuntimeError) as error:
        print(f"ygpt-magic serve: {error}", file=sys.stderr)
        return 2
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    print(f"READY {state.address} {state.http_url}{' ' + state.proxy_url if state.proxy_url else ''}", flush=True)
    how = (f"endpoint={state.address!r}, verify=False (the SDK's insecure option). Unchanged SDK scripts "
           "(YC_API_ENDPOINT) use TLS, which this server does not speak: start it with --tls DIR for them"
           if credentials is None else
           f"YC_API_ENDPOINT={state.address} GRPC_DEFAULT_SSL_ROOTS_FILE_PATH={Path(args.tls) / CERT_NAME}")
    chat = ("" if not state.proxy_url else
            f" Unchanged sdk.chat scripts: HTTPS_PROXY={state.proxy_url} SSL_CERT_FILE={Path(args.tls) / CERT_NAME}"
            " (and no YC_API_ENDPOINT).")
    http = f" --http {state.http_url}" if state.http_url else ""   # pictures (--image) go through it
    notebook = (f"%ygpt connect {state.address} --insecure{http}" if credentials is None else
                f"%ygpt connect {state.address}{http} (with GRPC_DEFAULT_SSL_ROOTS_FILE_PATH in the "
                f"kernel's environment)")
    print(f"Local YandexGPT server at {state.address}; in a notebook: {notebook}; point the SDK at it "
          f"with {how}. HTTP (REST, OpenAI-compatible /v1/) at {state.http_url}.{chat} Ctrl+C stops it.",
          file=sys.stderr, flush=True)
    if every_interface(args.host):
        print(f"It listens on every interface ({args.host}): from another machine, use this machine's own "
              f"address in place of {reachable(args.host)}.", file=sys.stderr, flush=True)
    await stop.wait()
    await server.stop(grace=STOP_GRACE)
    state.responders.close()
    print("Local server stopped.", file=sys.stderr, flush=True)
    return 0
