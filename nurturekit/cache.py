"""I/O: the workspace's cache folder, `.nurturekit-cache/`, which makes repeat runs fast.

Two things are kept there, both keyed by content, never by modification times alone:

- the parse cache: each partner file's validated record and diagnostics, found by a hash of
  the file's path and text, under a context every entry depends on (today's date, the
  partner ids, the play ids, and nurturekit's own code);
- the last build's stamp: a hash of every input (playbook, partner files, templates, `--now`,
  options, nurturekit's code) and the size and modification time of every file that build
  wrote. When both still match, nothing can have changed and `build` has nothing to do.

Each file is written to a temporary name and renamed into place, and starts with a magic
line, the format version and a SHA-256 of what follows. A truncated, corrupt or
other-version file is ignored and rebuilt, never trusted. Reading or writing the cache never
fails a run: a read-only workspace simply runs without it. The folder holds a `.gitignore`
of its own, so it stays out of git without touching the user's files.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from functools import lru_cache
from pathlib import Path

FOLDER = ".nurturekit-cache"
FORMAT = 1
MAGIC = b"nurturekit-cache\n"


@lru_cache(maxsize=1)
def code_stamp() -> str:
    """Changes whenever nurturekit's code does (a new version or an edited install)."""
    from . import __version__
    here = Path(__file__).parent
    h = hashlib.sha256(f"{__version__}:{FORMAT}".encode())
    for path in sorted(here.rglob("*")):
        if path.suffix in (".py", ".yaml", ".j2", ".css", ".js", ".txt", ".md") and "__pycache__" not in path.parts:
            st = path.stat()
            h.update(f"{path.relative_to(here)}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def _read(path: Path):
    try:
        data = path.read_bytes()
    except OSError:
        return None
    head = MAGIC + f"{FORMAT}\n".encode()
    if not data.startswith(head) or len(data) < len(head) + 32:
        return None
    digest, payload = data[len(head):len(head) + 32], data[len(head) + 32:]
    if hashlib.sha256(payload).digest() != digest:
        return None
    try:
        value = pickle.loads(payload)
    except Exception:  # noqa: BLE001 - a cache that does not load is simply not used
        return None
    if not isinstance(value, dict) or value.get("code") != code_stamp():
        return None
    return value


def _write(path: Path, value: dict) -> None:
    payload = pickle.dumps(value | {"code": code_stamp()}, protocol=pickle.HIGHEST_PROTOCOL)
    data = MAGIC + f"{FORMAT}\n".encode() + hashlib.sha256(payload).digest() + payload
    try:
        path.parent.mkdir(exist_ok=True)
        ignore = path.parent / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# nurturekit's cache: safe to delete, never commit it\n*\n", "utf-8")
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    except OSError:
        pass  # a read-only or full disk: run without the cache


class Store:
    """The cache folder of one workspace. `enabled=False` gives a store that never reads or writes."""

    def __init__(self, root: Path, enabled: bool = True):
        self.folder = Path(root) / FOLDER
        self.enabled = enabled
        self._parse = None

    # -- the parse cache --------------------------------------------------------------------------
    def parse_cache(self) -> dict | None:
        """A dict for `load_workspace(cache=...)`, filled from disk."""
        if not self.enabled:
            return None
        if self._parse is None:
            found = _read(self.folder / "parse.pickle")
            self._parse = found["parse"] if found else {}
        return self._parse

    def save_parse(self) -> None:
        if self.enabled and self._parse is not None and self._parse.pop("changed", False):
            _write(self.folder / "parse.pickle", {"parse": self._parse})

    # -- the last build ---------------------------------------------------------------------------
    def build_key(self, root: Path, out: Path, now, options: tuple) -> str | None:
        """A hash of everything a build reads; None when an input cannot be read."""
        if not self.enabled:
            return None
        root = Path(root)
        h = hashlib.sha256(f"{code_stamp()}\n{now.isoformat()}\n{options!r}\n{Path(out).resolve()}\n".encode())
        try:
            inputs = [root / "playbook.yaml"]
            folder = root / "partners"
            if folder.is_dir():
                inputs += [folder / n for n in sorted(os.listdir(folder))]
            templates = root / "templates"
            if templates.is_dir():
                inputs += sorted(p for p in templates.rglob("*"))
            for path in inputs:
                if path.is_file():
                    data = path.read_bytes()
                    h.update(f"{path.relative_to(root).as_posix()}\0{len(data)}\0".encode())
                    h.update(data)
        except OSError:
            return None
        return h.hexdigest()

    def last_build(self, key: str | None, out: Path):
        """The previous build's (pages count, diagnostics) when `key` matches it and every file
        it wrote is still there untouched; otherwise None."""
        if key is None:
            return None
        found = _read(self.folder / "build.pickle")
        if not found or found.get("key") != key:
            return None
        out = Path(out)
        try:
            for rel, (size, mtime) in found["files"].items():
                st = os.stat(out / rel)
                if st.st_size != size or st.st_mtime_ns != mtime:
                    return None
        except OSError:
            return None
        return found["count"], found["diagnostics"]

    def record_build(self, key: str | None, out: Path, pages, diagnostics: list) -> None:
        if key is None:
            return
        out = Path(out)
        files = {}
        try:
            for rel in list(pages) + [".nurturekit-site"]:
                st = os.stat(out / rel)
                files[rel] = (st.st_size, st.st_mtime_ns)
        except OSError:
            return
        _write(self.folder / "build.pickle", {"key": key, "files": files, "count": len(pages),
                                               "diagnostics": list(diagnostics)})
