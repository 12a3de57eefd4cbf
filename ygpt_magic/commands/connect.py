"""`%ygpt connect local | cloud | HOST:PORT [--insecure] [--http URL]`: choose the server."""

from __future__ import annotations

from IPython.core.magic_arguments import argument

from ..client.connection import Connection
from ..errors import OptionError, ServerUnavailable, TlsFailed
from ..kernel import Kernel
from ._common import show
from .args import parse, subcommand


@subcommand
@argument("target", nargs="?", default=None, metavar="local|cloud|HOST:PORT",
          help="`local` (the bundled server, started in this kernel), `cloud` (Yandex Cloud, the "
               "default) or HOST:PORT of another server. Without it: show the current one.")
@argument("--insecure", action="store_true",
          help="Talk to HOST:PORT without TLS (servers started with `ygpt-magic serve`); refused "
               "for Yandex Cloud, which would get your credential in the clear.")
@argument("--http", metavar="URL",
          help="The HTTP address of HOST:PORT's chat API, which pictures (%%ygpt --image) go "
               "through: http://HOST:HTTP_PORT, as `ygpt-magic serve` prints it after READY.")
def run(kernel: Kernel, line: str) -> None:
    """Choose the server the next requests go to, or show the current one.

    YGPT_ENDPOINT / YGPT_INSECURE=1 / YGPT_HTTP_ENDPOINT set the same from the environment
    (YGPT_INSECURE for a HOST:PORT endpoint only). The chats are kept."""
    args = parse(run, line)
    connection = kernel.connection
    if args.target is not None:
        connection.connect(args.target, insecure=args.insecure, http=args.http)
    elif args.http is not None:
        raise OptionError("--http goes with the server it belongs to: %ygpt connect HOST:PORT "
                          "--http http://HOST:HTTP_PORT.")
    info = connection.describe()
    what = {"local": "the local server", "cloud": "Yandex Cloud"}.get(info["endpoint"] or "",
                                                                      "the server")
    where = f" at {info['address']}" if info["address"] else ""
    text = f"Connected to {what}{where} (TLS {info['tls']})."
    if not info["address"]:
        text += " It starts with the first request."
    elif info["endpoint"] not in ("local", "cloud"):
        failed = _unanswered(connection)
        if isinstance(failed, TlsFailed):
            text = f"Using {what}{where} (TLS {info['tls']}), but cells will fail there. {failed}"
        elif failed is not None:
            text = (f"Using {what}{where} (TLS {info['tls']}), but nothing answers there now: start "
                    f"it (e.g. ygpt-magic serve --port N) or check the address. Cells will fail "
                    f"until it answers.")
    if info["clear"]:
        text += f" {info['clear']}"
    show(text.replace(what, f"**{what}**", 1), text)


def _unanswered(connection: Connection) -> ServerUnavailable | None:
    """A HOST:PORT the user typed is probed once (≤ connect_timeout): why it does not answer,
    or None. The cloud and the local server are not: one is reached through discovery, the
    other starts on demand."""
    try:
        connection.client().check_reachable()
    except ServerUnavailable as error:
        return error
    return None
