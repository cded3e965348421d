"""Both cores for the two big pure steps of a cold run: parsing partner files and rendering pages.

`both(here, there)` runs `there()` in a forked child while this process runs `here()`, and
returns both results. The child inherits everything already computed (the workspace, the
analysis) for free and sends back only its result, pickled over a pipe. Whenever that cannot
work (no fork on this platform, too little work to pay for a process, a child that fails for
any reason) `there()` simply runs here after `here()`: the answer is the same either way, so
parallelism can only change how long a run takes, never what it says.

Only the command line uses it, never `serve`: forking a process that runs threads (the file
watcher, the web server) is unsafe.
"""
from __future__ import annotations

import os
import pickle

MIN_ITEMS = 200   # below this many partners a second process costs more than it saves
_enabled = True


def disable() -> None:
    """Run everything in this process from now on (serve calls it; tests use it to compare)."""
    global _enabled
    _enabled = False


def worth_it(n_items: int) -> bool:
    return _enabled and n_items >= MIN_ITEMS and hasattr(os, "fork") and (os.cpu_count() or 1) > 1


def both(here, there, n_items: int):
    """(here(), there()), with there() in a forked child when that pays."""
    if not worth_it(n_items):
        return here(), there()
    try:
        read_end, write_end = os.pipe()
        pid = os.fork()
    except OSError:
        return here(), there()
    if pid == 0:   # the child: compute, send, and leave without running any cleanup of the parent's
        status = 1
        try:
            os.close(read_end)
            data = pickle.dumps(there(), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_end, "wb") as out:
                out.write(data)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    mine = here()
    with os.fdopen(read_end, "rb") as src:
        data = src.read()
    _, status = os.waitpid(pid, 0)
    if status == 0:
        try:
            return mine, pickle.loads(data)
        except Exception:  # noqa: BLE001 - a garbled answer: do the work here instead
            pass
    return mine, there()
