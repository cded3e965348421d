"""I/O: write the site atomically, only files whose bytes changed, and remove the files a
previous build wrote that no longer belong. Files nurturekit did not write are never touched."""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

MANIFEST = ".nurturekit-site"


@dataclass(frozen=True)
class WriteResult:
    written: tuple
    removed: tuple
    unchanged: int


class UnsafeOutput(Exception):
    """The output folder holds files nurturekit did not write: refuse to manage it."""


def atomic_write(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, keep the mode, then rename over."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        try:
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        except FileNotFoundError:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _write_new(path: Path, data: bytes) -> None:
    try:
        with open(path, "xb") as fh:
            fh.write(data)
    except FileExistsError:   # appeared meanwhile: fall back to the safe path
        atomic_write(path, data)


def _write_all_new(items) -> None:
    """Create many new files. The time goes to the disk, not to Python, so a few threads
    that each wait on their own file make a clean build of thousands of pages much faster."""
    if len(items) < 64:
        for path, data in items:
            _write_new(path, data)
        return
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in pool.map(lambda item: _write_new(*item), items, chunksize=32):
            pass   # re-raises the first error


def previous_files(out: Path) -> set | None:
    manifest = out / MANIFEST
    if not out.exists():
        return set()
    if not manifest.is_file():
        if any(out.iterdir()):
            return None
        return set()
    return {line for line in manifest.read_text("utf-8").splitlines() if line and not line.startswith("#")}


def check_output(out: Path) -> set:
    """The files the last build wrote into `out`; UnsafeOutput when nurturekit did not make it."""
    before = previous_files(Path(out))
    if before is None:
        raise UnsafeOutput(f"{out} is not empty and was not made by nurturekit (no {MANIFEST} file); "
                           f"choose an empty folder with --out, or remove it first")
    return before


def write_files(pages: dict, out: Path) -> tuple:
    """Write pages whose bytes differ from what is on disk; (written paths, unchanged count).
    A page that exists is replaced atomically; new pages are created directly (several at a
    time: on a slow disk creating thousands of files is the build's longest step)."""
    out = Path(out)
    written, unchanged = [], 0
    made, fresh = set(), []
    for rel in sorted(pages):
        data = pages[rel]
        path = out / rel
        try:
            if path.stat().st_size == len(data) and path.read_bytes() == data:
                unchanged += 1
                continue
            exists = True
        except FileNotFoundError:
            exists = False
        except OSError:
            exists = True
        if exists:
            atomic_write(path, data)        # never leave a half-written version of a page
        else:
            if path.parent not in made:
                path.parent.mkdir(parents=True, exist_ok=True)
                made.add(path.parent)
            fresh.append((path, data))      # nothing to protect; a crash leaves a file the next build redoes
        written.append(rel)
    _write_all_new(fresh)
    return tuple(written), unchanged


def write_site(pages: dict, out: Path, more=None, before=None) -> WriteResult:
    """Write the site: `pages`, plus, when `more` is given, the pages another process wrote
    (more() -> (names, written, unchanged)); then remove what the last build wrote that no
    longer belongs, and record the new list of files. `before`: check_output(out), read
    before another process could start writing into `out` (else its new files would look
    like someone else's)."""
    out = Path(out)
    if before is None:
        before = check_output(out)
    mine, unchanged = write_files(pages, out)
    written, names = list(mine), set(pages)
    if more is not None:
        theirs, theirs_written, theirs_unchanged = more()
        names |= set(theirs)
        written += theirs_written
        unchanged += theirs_unchanged
    written.sort()
    removed = []
    for rel in sorted(before - names):
        path = out / rel
        if path.is_file() and out.resolve() in path.resolve().parents:
            path.unlink()
            removed.append(rel)
            _prune(path.parent, out)
    manifest = "# files written by nurturekit build; the rest of this folder is left alone\n" + \
        "".join(f"{rel}\n" for rel in sorted(names))
    mpath = out / MANIFEST
    if not mpath.is_file() or mpath.read_text("utf-8") != manifest:
        atomic_write(mpath, manifest.encode("utf-8"))
    return WriteResult(tuple(written), tuple(removed), unchanged)


def _prune(folder: Path, out: Path):
    while folder != out and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
