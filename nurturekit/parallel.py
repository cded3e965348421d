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


class Other:
    """The other half of a job that ends in writing files: `there()` renders in a forked
    child, which sends `report(value)` (small: diagnostics) and waits; `go(True)` lets it run
    `finish(value)` (write its files) while this process writes its own, and `result()` is
    what finish returned (small: file names). `go(False)` discards its work. Without a child
    (not worth it, no fork, or a child that failed) every step runs here, in the same order.
    """

    def __init__(self, there, report, finish, n_items: int):
        self._there, self._report, self._finish = there, report, finish
        self._value = self._done = None
        self._proceed = False
        self.pid = None
        if not worth_it(n_items):
            return
        try:
            up_r, up_w = os.pipe()       # child -> parent: the report, then the result
            down_r, down_w = os.pipe()   # parent -> child: go or stop
            pid = os.fork()
        except OSError:
            return
        if pid == 0:
            status = 1
            try:
                os.close(up_r)
                os.close(down_w)
                with os.fdopen(up_w, "wb") as up, os.fdopen(down_r, "rb") as down:
                    value = there()
                    _send(up, report(value))
                    if down.read(1) == b"1":
                        _send(up, finish(value))
                status = 0
            finally:
                os._exit(status)
        os.close(up_w)
        os.close(down_r)
        self.pid, self._up, self._down = pid, os.fdopen(up_r, "rb"), os.fdopen(down_w, "wb")

    def _local(self):
        if self._value is None:
            self._value = self._there()
        return self._value

    def _abandon(self):
        """The child failed: forget it; the work is done here instead."""
        for f in (self._up, self._down):
            try:
                f.close()
            except OSError:
                pass
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        self.pid = None

    def summary(self):
        if self.pid is not None:
            found = _receive(self._up)
            if found is not _FAILED:
                return found
            self._abandon()
        return self._report(self._local())

    def go(self, proceed: bool) -> None:
        self._proceed = proceed
        if self.pid is not None:
            try:
                self._down.write(b"1" if proceed else b"0")
                self._down.close()
            except OSError:
                self._abandon()
                return
            if not proceed:
                self._abandon()

    def result(self):
        if not self._proceed:
            return None
        if self.pid is not None:
            done = _receive(self._up)
            _, status = os.waitpid(self.pid, 0)
            self._up.close()
            self.pid = None
            if done is not _FAILED and status == 0:
                return done
        return self._finish(self._local())   # writing is idempotent: redo whatever the child left


_FAILED = object()


def _send(stream, value) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(len(data).to_bytes(8, "little") + data)
    stream.flush()


def _receive(stream):
    try:
        head = stream.read(8)
        if len(head) != 8:
            return _FAILED
        size = int.from_bytes(head, "little")
        data = stream.read(size)
        return pickle.loads(data) if len(data) == size else _FAILED
    except Exception:  # noqa: BLE001 - a garbled answer counts as a failed child
        return _FAILED
