"""``%ygpt embed NAME --dry-run``: how many texts and tokens the run would send, with nothing
embedded.

The count comes from the tokenizer API, asked for a bounded sample of texts (every text when
there are few) and extrapolated, as ``--map --dry-run`` does (dryrun.py); the output says which.
Every text is counted, also those a re-run would take from the memo or the reply cache.
"""

from __future__ import annotations

from typing import Any

from ..chat import RequestOptions
from ..render import inert
from ..words import counted
from .dryrun import sample_positions


def dry_run(texts: list[str], model: str, client: Any) -> dict[str, str]:
    """The bundle ``--dry-run`` shows for ``%ygpt embed``."""
    count = len(texts)
    positions = sample_positions(count)
    counts = [client.count_tokens([{"role": "user", "text": texts[p]}], RequestOptions())
              for p in positions]
    if len(positions) == count:
        tokens = f"{counted(sum(counts), 'token')} in all by the tokenizer API"
    else:
        average = sum(counts) / len(counts)
        tokens = (f"about {round(average * count):,} tokens in all: estimated from {len(counts)} "
                  f"texts spread over the {count:,}, counted by the tokenizer API "
                  f"({average:.1f} a text on average)")
    head = (f"Dry run (embed, model {model}): {counted(count, 'text')} to embed, {tokens}. "
            f"Nothing was sent.")
    return inert.bundle(inert.bold(head), plain=head)
