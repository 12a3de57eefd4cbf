"""`%ygpt batch list | status ID | attach ID --out VAR | cancel ID`: Batch Processing jobs.

A `%%ygpt --map NAME --batch` cell starts a job and prints its id; these find it again: the
folder's jobs, one job's state, its answers collected into a variable (in the rows' shape when
the job was started in this kernel, else as a list in the order of its rows: after a kernel
restart), or the job cancelled. Each sub-action is one small function in ACTIONS.
"""

from __future__ import annotations

import argparse

from IPython.core.magic_arguments import argument

from ..errors import Interrupted, OptionError
from ..kernel import Kernel
from ..modelname import model_name
from ..request import front
from ._common import show, show_fields, show_table
from .args import parse, subcommand
from .out_names import out_name


def _list(kernel: Kernel, args: argparse.Namespace) -> None:
    jobs = kernel.connection.client().batch.jobs()
    if not jobs:
        return show("No batch jobs in this folder. A %%ygpt --map NAME --batch cell starts one.")
    kept = kernel.batch_jobs
    rows = [[job.task_id, job.status, model_name(job.model).short, job.created,
             f"--map {kept[job.task_id].name}" if job.task_id in kept else ""] for job in jobs]
    return show_table(["job", "status", "model", "created", "in this kernel"], rows)


def _status(kernel: Kernel, args: argparse.Namespace) -> None:
    job = kernel.connection.client().batch.info(_task_id(args))
    fields = [["job", job.task_id], ["status", job.status], ["model", model_name(job.model).short],
              ["created", job.created]]
    record = kernel.batch_jobs.get(job.task_id)
    if record is not None:
        fields.append(["rows", f"{len(record.requests or ()):,} of {record.name}"])
    if job.reason:
        fields.append(["reason", job.reason])
    if job.running:
        fields.append(["next", f"%ygpt batch attach {job.task_id} --out VAR waits and collects it"])
    return show_fields(fields)


def _attach(kernel: Kernel, args: argparse.Namespace) -> None:
    from ..rows.batch import attach  # asyncio and the SDK's batch side: only when used

    task_id = _task_id(args)
    run = attach(task_id, jobs=kernel.batch_jobs, client=kernel.connection.client(),
                 memo=kernel.row_memo, poll_interval=kernel.settings.batch_poll_interval, out=args.out,
                 session=kernel.session, settings=kernel.settings, secrets=kernel.connection.known_secrets(),
                 cache=front(kernel, f"%ygpt batch attach {task_id}"))
    kernel.namespace["_ygpt"] = run
    if args.out:
        kernel.namespace[args.out] = run.results
    if run.stopped:   # the waiting stopped; the job goes on, as the output said
        raise Interrupted()


def _cancel(kernel: Kernel, args: argparse.Namespace) -> None:
    batch = kernel.connection.client().batch
    job = batch.info(_task_id(args))
    if not job.running:
        return show(f"Batch job {job.task_id} is already {job.status}; there is nothing to cancel.")
    job = batch.cancel(job.task_id)
    return show(f"Batch job {job.task_id} is {job.status}: it sends no more rows. Answers it had "
                f"finished are not kept by a cancelled job.")


ACTIONS = {"list": _list, "status": _status, "attach": _attach, "cancel": _cancel}


def _task_id(args: argparse.Namespace) -> str:
    task_id: str | None = args.task_id
    if not task_id:
        raise OptionError(f"%ygpt batch {args.action} needs a job id: %ygpt batch list shows them.")
    return task_id


@subcommand
@argument("action", choices=tuple(ACTIONS), help="list, status ID, attach ID --out VAR, cancel ID")
@argument("task_id", nargs="?", metavar="ID", help="The job's id, as printed when it started.")
@argument("--out", metavar="VAR", type=out_name,
          help="attach: store the results in variable VAR (also in _ygpt).")
def run(kernel: Kernel, line: str) -> None:
    """Batch Processing jobs: list, status ID, attach ID --out VAR, cancel ID.

    A %%ygpt --map NAME --batch cell starts a job in the cloud and prints its id. `list` shows
    the folder's jobs, `status ID` one job, `attach ID --out VAR` waits for it and puts its
    answers in VAR (in the rows' shape if it started in this kernel, else a list in row order),
    `cancel ID` stops it."""
    args = parse(run, line)
    return ACTIONS[args.action](kernel, args)
