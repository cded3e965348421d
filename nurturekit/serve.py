"""`nurturekit serve`: build, serve on 127.0.0.1, rebuild on every save, reload the open page.

The site is built into a temporary folder outside the workspace (so writing it never
triggers the watcher). Bursts of file events are debounced; editor swap and backup files
are ignored. An invalid edit keeps the last good site and shows the error in the page."""
from __future__ import annotations

import functools
import json
import os
import re
import shutil
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from .diagnostics import has_errors

DEBOUNCE = 0.05   # seconds of quiet before a rebuild
SEPARATE_PROCESS = os.name == "posix"   # the full build's own process needs pass_fds and process groups
IGNORED = re.compile(r"(^\.|^#.*#$|~$|\.sw[a-p]$|\.tmp$|^4913$|\.bak$|\.orig$)")
LIVE_JS = b"""(function () {
  var version = null, box = null;
  function show(errors) {
    if (!box) { box = document.createElement("div"); box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;left:0;right:0;bottom:0;z-index:99;background:#fde8e8;color:#7a0f12;" +
        "border-top:3px solid #a4161a;padding:.8rem 1rem;font:14px/1.4 ui-monospace,monospace;white-space:pre-wrap;max-height:40vh;overflow:auto";
      document.body.appendChild(box); }
    box.textContent = "nurturekit: your last save has a problem, so this page shows the last good build.\\n\\n" + errors.join("\\n");
  }
  function poll() {
    fetch("/__nurturekit/status?page=" + encodeURIComponent(location.pathname), {cache: "no-store"}).then(function (r) { return r.json(); }).then(function (s) {
      if (version !== null && s.version !== version) { location.reload(); return; }
      version = s.version;
      if (s.errors.length) { show(s.errors); } else if (box) { box.remove(); box = null; }
    }).catch(function () {}).then(function () { setTimeout(poll, 700); });
  }
  poll();
})();
"""


def watched(root: Path, path: str) -> bool:
    try:
        rel = Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return False
    name = rel.rsplit("/", 1)[-1]
    if IGNORED.search(name):
        return False
    return rel == "playbook.yaml" or (rel.startswith("partners/") and rel.endswith(".md")) or rel.startswith("templates/")


class Builder:
    """Keeps the site in `out` up to date with the workspace, one save at a time.

    A save is handled in two stages:

    1. Here, at once. When only existing partner files changed, just those files are read and
       checked again against the last good workspace, and their partners' own pages (partner
       page and drafts, byte for byte what the full build makes) are written: the page being
       edited is on disk within milliseconds, whatever the size of the practice. Any other
       change (playbook, templates, a file added or removed) loads the workspace whole. Either
       way an invalid save is reported straight away and the last good site stays.
    2. The full build, in a process of its own (FullBuild): it brings the dashboard, calendar,
       metrics and reviews up to date and writes only what changed. A newer save ends it at
       once unless it is already writing, so a long build never holds up the next page and
       never overwrites a newer one.

    Each page keeps the version of its last change, so an open page reloads once, when its own
    file has changed."""

    def __init__(self, root: Path, out: Path, now_fn, log=print, cache: bool = True):
        from . import parallel
        parallel.disable()   # never fork a process that runs the watcher's and the server's threads
        self.root, self.out, self.now_fn, self.log = Path(root), Path(out), now_fn, log
        self.cache = cache             # the full build may use the workspace's .nurturekit-cache/
        self.parse_cache: dict = {}
        self.ws = self.templates = None  # the last good workspace and the templates it was built with
        self.ws_day = None
        self.good = False              # the last full build succeeded: a save may take the quick path
        self.version = 0
        self.page_versions: dict = {}  # site path -> version that last wrote it
        self.errors: list = []
        self.lock = threading.Lock()   # one save handled at a time
        self.state = threading.Lock()  # versions, errors, and the running full build
        self.full = None               # the FullBuild of the last save, running or finished

    def page_version(self, rel: str) -> int:
        return self.page_versions.get(rel, 0)

    def _wrote(self, paths):
        with self.state:
            self.version += 1
            for rel in paths:
                self.page_versions[rel] = self.version
            self.errors = []

    def _fail(self, errors, advice):
        with self.state:
            self.errors = errors
            self.good = False
            self.version += 1
        for e in errors:
            self.log(e)
        self.log(advice)

    def _finished(self, kind, value, started):
        """A full build's outcome (see _outcome), wherever it ran."""
        if kind == "done":
            written, removed = value
            self._wrote(written + removed)
            with self.state:
                self.good = True
            ms = (time.perf_counter() - started) * 1000
            self.log(f"rebuilt in {ms:.0f} ms: {len(written)} written, {len(removed)} removed")
        else:   # "errors": a template error (the workspace was checked before), or a bug
            self._fail(value, "kept the last good site; fix the template and save again")

    def rebuild(self, changed=None):
        """Bring the site up to date after `changed` (workspace-relative paths; None or empty:
        anything may have changed). Returns once this save's own pages are on disk; the full
        build goes on in the background (wait() waits for it)."""
        with self.lock:
            started = time.perf_counter()
            if self.full is not None:
                self.full.stop()
            now = self.now_fn()
            try:
                ok = self._here(changed, now, started)
            except Exception as exc:  # noqa: BLE001 - serve must never die on an edit
                self._fail([f"internal error: {type(exc).__name__}: {exc}"], "kept the last good site")
                return
            if ok:
                self.full = (FullBuild if SEPARATE_PROCESS else InlineBuild)(self, now, started)

    def wait(self, timeout=None):
        """Wait for the full build of the last save to finish."""
        full = self.full
        if full is not None:
            full.thread.join(timeout)

    def _here(self, changed, now, started) -> bool:
        """Stage 1. False when the workspace is invalid (nothing to build)."""
        from .analysis import analyze
        from .loader import load_workspace, reload_partners
        from .site import Site
        from .templates import Templates
        from .writer import write_files
        quick = self._partners_only(changed, now)
        if quick:
            ws, diags = reload_partners(self.ws, sorted(f"partners/{pid}.md" for pid in quick), now.date())
        else:
            ws, diags = load_workspace(self.root, now.date(), cache=self.parse_cache)
            self.templates = Templates(self.root)
        if ws is None:
            self.ws = None
            self._fail([str(d) for d in diags if d.severity == "error"],
                       "kept the last good site; fix the lines above and save again")
            return False
        self.ws, self.ws_day = ws, now.date()
        if quick:
            found = []
            pages = Site(analyze(ws, now, None, only=quick), self.templates, found).partner_bundle(quick)
            if not has_errors(found):   # else the full build reports the template error
                written, _ = write_files(pages, self.out)
                self._wrote(written)
                ms = (time.perf_counter() - started) * 1000
                self.log(f"{', '.join(sorted(quick))}: {len(written)} page(s) updated in {ms:.0f} ms")
        return True

    def _partners_only(self, changed, now):
        """The ids of the changed partner files, when nothing else changed, they all existed at
        the last good build, and the day is the same (validation depends on it)."""
        if not self.good or self.ws is None or not changed or now.date() != self.ws_day:
            return None
        ids = set()
        for rel in changed:
            if not (rel.startswith("partners/") and rel.endswith(".md") and rel.count("/") == 1):
                return None
            ids.add(rel[len("partners/"):-3])
        if not ids <= set(self.ws.by_id) or not all((self.root / "partners" / f"{pid}.md").is_file() for pid in ids):
            return None
        return ids


class FullBuild:
    """Stage 2 of a save: `nurturekit build` into the served folder, in a process of its own
    (a new interpreter, not a fork: this process runs threads), so it takes no time from this
    one and can be ended at any moment before it writes. It asks before writing its first
    file; once told to go it is left to finish, so the site on disk is never half old, half new.
    """

    def __init__(self, builder: Builder, now, started):
        import subprocess
        import sys
        self.b, self.started = builder, started
        self.cancelled, self.writing = False, False
        down_r, down_w = os.pipe()   # to the build: its job, then go or stop
        up_r, up_w = os.pipe()       # from the build: ready, then done or errors
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        self.stderr = tempfile.TemporaryFile()   # kept to explain a build that dies
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", "import sys; from nurturekit.serve import _full_build; "
                 "_full_build(int(sys.argv[1]), int(sys.argv[2]))", str(down_r), str(up_w)],
                pass_fds=(down_r, up_w), start_new_session=True, env=env,
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.stderr)
        finally:
            os.close(down_r)
            os.close(up_w)
        self.up, self.down = os.fdopen(up_r, "rb"), os.fdopen(down_w, "wb")
        self.thread = threading.Thread(target=self._watch, args=(now,), daemon=True)
        self.thread.start()

    def stop(self):
        """End the build unless it is writing; then wait until it is over either way."""
        with self.b.state:
            self.cancelled = True
            writing = self.writing
        if not writing:
            _end(self.proc)
        self.thread.join()

    def _watch(self, now):
        from .parallel import _FAILED, _receive, _send
        b = self.b

        def answer():
            found = _receive(self.up)
            return ("lost", None) if found is _FAILED else found
        try:
            _send(self.down, (str(b.root), str(b.out), now, b.cache))
            kind, value = answer()
            if kind == "ready":
                with b.state:
                    go = self.writing = not self.cancelled
                _send(self.down, go)
                if not go:
                    return
                kind, value = answer()
            if kind in ("done", "errors"):
                b._finished(kind, value, self.started)
            elif not self.cancelled:
                self._lost()
        except (OSError, ValueError, TypeError):   # ended by a newer save, or a garbled answer
            if not self.cancelled:
                self._lost()
        finally:
            for f in (self.up, self.down, self.stderr):
                try:
                    f.close()
                except OSError:
                    pass
            self.proc.wait()

    def _lost(self):
        """The build's process died without an answer: say so, with the last thing it printed."""
        self.proc.wait()
        try:
            self.stderr.seek(0)
            said = self.stderr.read().decode("utf-8", "replace").strip().splitlines()
        except OSError:
            said = []
        why = f": {said[-1]}" if said else f" (exit status {self.proc.returncode})"
        self.b._fail([f"internal error: the full build stopped unexpectedly{why}"], "kept the last good site")


class InlineBuild:
    """The full build in a thread of this process, where a process of its own is not to be
    had (Windows). A newer save cannot end it early; it waits for it, and the build writes
    nothing once it knows it is stale."""

    def __init__(self, builder: Builder, now, started):
        self.b, self.started, self.now = builder, started, now
        self.cancelled = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def stop(self):
        self.cancelled = True
        self.thread.join()

    def _run(self):
        from .build import build
        b = self.b
        try:
            outcome = _outcome(build(b.root, b.out, self.now, cache=b.parse_cache,
                                     confirm=lambda: not self.cancelled))
        except Exception as exc:  # noqa: BLE001 - serve must never die on an edit
            outcome = ("errors", [f"internal error: {type(exc).__name__}: {exc}"])
        if outcome is not None:
            b._finished(*outcome, self.started)


def _outcome(result):
    """What a full build came to, as Builder._finished takes it: ("errors", [message, ...]),
    ("done", (written, removed)), or None when it was told not to write."""
    errors = [str(d) for d in result.diagnostics if d.severity == "error"]
    if errors:
        return "errors", errors
    if result.written is None:
        return None
    return "done", (list(result.written.written), list(result.written.removed))


def _end(proc):
    """End a full build and the helper process it may have forked (its own session)."""
    import signal
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        proc.kill()
    proc.wait()


def _full_build(down_fd: int, up_fd: int):
    """The full build's process: read the job, build, ask before writing, report."""
    import gc
    gc.disable()   # a short-lived process, as the command line's own runs
    from .build import build
    from .cache import Store
    from .parallel import _receive, _send
    with os.fdopen(down_fd, "rb") as down, os.fdopen(up_fd, "wb") as up:
        root, out, now, cache = _receive(down)

        def confirm():
            _send(up, ("ready", None))
            return _receive(down) is True
        try:
            store = Store(Path(root), enabled=cache)
            outcome = _outcome(build(Path(root), Path(out), now, cache=store.parse_cache(), confirm=confirm))
            if outcome is not None:
                if outcome[0] == "done":
                    store.save_parse()
                _send(up, outcome)
        except Exception as exc:  # noqa: BLE001 - reported in the page and the terminal
            _send(up, ("errors", [f"internal error: {type(exc).__name__}: {exc}"]))


class Debouncer:
    """Calls action(paths) once events have been quiet for `delay` seconds, with every path
    seen since the last call. Editors save in bursts (vim renames the file away, writes a new
    one and deletes the backup, all within a few milliseconds), so a short quiet period is
    enough to see the burst whole."""

    def __init__(self, action, delay=DEBOUNCE):
        self.action, self.delay = action, delay
        self.timer = None
        self.paths: set = set()
        self.lock = threading.Lock()

    def poke(self, paths=()):
        with self.lock:
            self.paths.update(paths)
            if self.timer is not None:
                self.timer.cancel()
            self.timer = threading.Timer(self.delay, self._fire)
            self.timer.daemon = True
            self.timer.start()

    def _fire(self):
        with self.lock:
            paths, self.paths = self.paths, set()
        self.action(paths)


def make_handler(builder: Builder):
    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, fmt, *args):  # quiet: the terminal shows rebuilds, not every request
            pass

        def do_GET(self):
            if self.path.startswith("/__nurturekit/status"):
                page = parse_qs(urlsplit(self.path).query).get("page", ["index.html"])[0].lstrip("/")
                if not page or page.endswith("/"):
                    page += "index.html"
                state = {"version": builder.page_version(page), "errors": builder.errors}
                return self._send(json.dumps(state).encode(), "application/json")
            if self.path.startswith("/__nurturekit/live.js"):
                return self._send(LIVE_JS, "text/javascript")
            path = self.translate_path(self.path)
            if os.path.isdir(path):
                path = os.path.join(path, "index.html")
            if path.endswith(".html") and os.path.isfile(path):
                with open(path, "rb") as fh:
                    body = fh.read()
                body = body.replace(b"</body>", b'<script src="/__nurturekit/live.js"></script>\n</body>', 1)
                return self._send(body, "text/html; charset=utf-8")
            return super().do_GET()

        def _send(self, body, ctype):
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

    return functools.partial(Handler, directory=str(builder.out))


def serve(root: Path, port: int, now_fn, log=print, ready=None, stop=None, cache=True):
    from watchdog.events import FileSystemEventHandler
    from watchdog.observers import Observer

    root = Path(root).resolve()
    out = Path(tempfile.mkdtemp(prefix="nurturekit-serve-"))
    builder = Builder(root, out, now_fn, log, cache=cache)
    builder.rebuild()
    builder.wait()
    debounce = Debouncer(builder.rebuild)

    def rel(path):
        try:
            return Path(path).resolve().relative_to(root).as_posix()
        except ValueError:
            return path

    class Events(FileSystemEventHandler):
        def on_any_event(self, event):
            # reading files (our own rebuild does) raises opened/closed_no_write events: ignore them
            if event.event_type not in ("created", "modified", "deleted", "moved", "closed"):
                return
            paths = [p for p in (getattr(event, "src_path", ""), getattr(event, "dest_path", "") or "")
                     if p and watched(root, p)]
            if paths:
                debounce.poke(rel(p) for p in paths)

    observer = Observer()
    observer.schedule(Events(), str(root), recursive=True)
    observer.start()
    if threading.current_thread() is threading.main_thread():
        import signal

        def terminate(signum, frame):   # `kill`, a service manager: stop as cleanly as Ctrl-C
            raise KeyboardInterrupt
        signal.signal(signal.SIGTERM, terminate)
    httpd = ThreadingHTTPServer(("127.0.0.1", port), make_handler(builder))
    log(f"serving {root} at http://127.0.0.1:{httpd.server_address[1]}/ (Ctrl-C to stop)")
    if ready is not None:
        ready(httpd.server_address[1], builder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        while stop is None or not stop.is_set():
            time.sleep(0.1)
    except KeyboardInterrupt:
        log("stopped")
    finally:
        httpd.shutdown()
        observer.stop()
        if builder.full is not None:
            builder.full.stop()
        observer.join(timeout=2)
        shutil.rmtree(out, ignore_errors=True)
