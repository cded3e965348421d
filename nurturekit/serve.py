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


class Stale(Exception):
    """A newer save came in while building: this build's pages would be out of date."""


class Builder:
    """Keeps the last good site in `out`; rebuilds with a parse cache.

    A save that touches only partner files is built in two stages: first the pages of those
    partners (their partner pages and drafts, from an analysis of just them, byte for byte
    what the full build makes), so the page being edited is on disk within milliseconds;
    then the full build, which brings the dashboard, calendar, metrics and reviews up to date
    and writes only what changed. Each page keeps the version of its last change, so an open
    page reloads once, when its own file has changed."""

    def __init__(self, root: Path, out: Path, now_fn, log=print):
        from . import parallel
        parallel.disable()   # never fork a process that runs the watcher's and the server's threads
        self.root, self.out, self.now_fn, self.log = Path(root), Path(out), now_fn, log
        self.cache: dict = {}
        self.version = 0
        self.page_versions: dict = {}   # site path -> version that last wrote it
        self.errors: list = []
        self.good = False               # the last build succeeded (a first stage may build on it)
        self.lock = threading.Lock()    # one build at a time
        self.requests = threading.Lock()
        self.ticket = 0                 # the newest rebuild asked for
        self.pending: set | None = set()  # paths changed since the last build began (None: anything)

    def page_version(self, rel: str) -> int:
        return self.page_versions.get(rel, 0)

    def _wrote(self, paths):
        self.version += 1
        for rel in paths:
            self.page_versions[rel] = self.version

    def _fail(self, errors):
        self.errors = errors
        for e in errors:
            self.log(e)
        self.good = False
        self.version += 1

    def rebuild(self, changed=None):
        """Build after `changed` (workspace-relative paths; None: anything may have changed).

        A save made while a full build is running makes that build stale: it stops before
        writing anything (Site checks between pages), and this one starts at once, with the
        paths of both, so the newly saved page is on disk without waiting."""
        with self.requests:
            self.ticket += 1
            mine = self.ticket
            self.pending = None if changed is None or self.pending is None else self.pending | set(changed)
        with self.lock:
            with self.requests:
                if mine != self.ticket:
                    return            # a newer request is waiting and will build all of it
                changed, self.pending = self.pending, set()
            try:
                self._rebuild(changed, stale=lambda: self.ticket != mine)
            except Stale:
                with self.requests:   # hand what this build was for on to the next one
                    self.pending = None if changed is None or self.pending is None else self.pending | changed
                self.log("a newer save came in: building that instead")
            except Exception as exc:  # noqa: BLE001 - serve must never die on an edit
                self._fail([f"internal error: {type(exc).__name__}: {exc}"])

    def _rebuild(self, changed, stale=lambda: False):
        from .analysis import analyze
        from .loader import load_workspace
        from .site import Site
        from .templates import Templates, salesy_templates
        from .writer import write_files, write_site
        started, now = time.perf_counter(), self.now_fn()
        ws, diags = load_workspace(self.root, now.date(), cache=self.cache)
        if ws is None:
            self._fail([str(d) for d in diags if d.severity == "error"])
            self.log("kept the last good site; fix the lines above and save again")
            return
        templates = Templates(self.root)
        quick = self._partners_only(changed, ws)
        if quick:
            found = list(diags)
            pages = Site(analyze(ws, now, None, only=quick), templates, found).partner_bundle(quick)
            if not has_errors(found):   # else the full build below reports the template error
                written, _ = write_files(pages, self.out)
                self._wrote(written)
                self.errors = []
                ms = (time.perf_counter() - started) * 1000
                self.log(f"{', '.join(sorted(quick))}: {len(written)} page(s) updated in {ms:.0f} ms")
        analysis = analyze(ws, now, salesy_templates(self.root, ws.playbook))
        if stale():
            raise Stale
        pages = Site(analysis, templates, diags, stale=stale).build()
        if stale():
            raise Stale
        if has_errors(diags):   # a template error: keep the last good site
            self._fail([str(d) for d in diags if d.severity == "error"])
            self.log("kept the last good site; fix the template and save again")
            return
        result = write_site(pages, self.out)
        self._wrote(result.written + result.removed)
        self.errors, self.good = [], True
        ms = (time.perf_counter() - started) * 1000
        self.log(f"rebuilt in {ms:.0f} ms: {len(result.written)} written, {len(result.removed)} removed")

    def _partners_only(self, changed, ws):
        """The ids of the changed partner files, when nothing else changed and they still exist."""
        if not self.good or not changed:
            return None
        ids = set()
        for rel in changed:
            if not (rel.startswith("partners/") and rel.endswith(".md") and rel.count("/") == 1):
                return None
            ids.add(rel[len("partners/"):-3])
        return ids if ids <= set(ws.by_id) else None


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


def serve(root: Path, port: int, now_fn, log=print, ready=None, stop=None):
    from watchdog.events import FileSystemEventHandler
    from watchdog.observers import Observer

    root = Path(root).resolve()
    out = Path(tempfile.mkdtemp(prefix="nurturekit-serve-"))
    builder = Builder(root, out, now_fn, log)
    builder.rebuild()
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
        observer.join(timeout=2)
        shutil.rmtree(out, ignore_errors=True)
