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

from .diagnostics import has_errors

DEBOUNCE = 0.2
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
    fetch("/__nurturekit/status", {cache: "no-store"}).then(function (r) { return r.json(); }).then(function (s) {
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
    """Keeps the last good site in `out`; rebuilds with a parse cache."""

    def __init__(self, root: Path, out: Path, now_fn, log=print):
        self.root, self.out, self.now_fn, self.log = Path(root), Path(out), now_fn, log
        self.cache: dict = {}
        self.version = 0
        self.errors: list = []
        self.lock = threading.Lock()

    def rebuild(self):
        from .build import render
        from .writer import write_site
        with self.lock:
            started = time.perf_counter()
            try:
                pages, diags, _ = render(self.root, self.now_fn(), cache=self.cache)
            except Exception as exc:  # noqa: BLE001 - serve must never die on an edit
                self.errors = [f"internal error: {type(exc).__name__}: {exc}"]
                self.log(self.errors[0])
                self.version += 1
                return
            if pages is None:
                self.errors = [str(d) for d in diags if d.severity == "error"]
                for e in self.errors:
                    self.log(e)
                self.log("kept the last good site; fix the lines above and save again")
                self.version += 1
                return
            result = write_site(pages, self.out)
            self.errors = []
            self.version += 1
            ms = (time.perf_counter() - started) * 1000
            self.log(f"rebuilt in {ms:.0f} ms: {len(result.written)} written, {len(result.removed)} removed")


class Debouncer:
    def __init__(self, action, delay=DEBOUNCE):
        self.action, self.delay = action, delay
        self.timer = None
        self.lock = threading.Lock()

    def poke(self):
        with self.lock:
            if self.timer is not None:
                self.timer.cancel()
            self.timer = threading.Timer(self.delay, self.action)
            self.timer.daemon = True
            self.timer.start()


def make_handler(builder: Builder):
    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, fmt, *args):  # quiet: the terminal shows rebuilds, not every request
            pass

        def do_GET(self):
            if self.path.startswith("/__nurturekit/status"):
                return self._send(json.dumps({"version": builder.version, "errors": builder.errors}).encode(),
                                  "application/json")
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

    class Events(FileSystemEventHandler):
        def on_any_event(self, event):
            # reading files (our own rebuild does) raises opened/closed_no_write events: ignore them
            if event.event_type not in ("created", "modified", "deleted", "moved", "closed"):
                return
            paths = [getattr(event, "src_path", ""), getattr(event, "dest_path", "") or ""]
            if any(p and watched(root, p) for p in paths):
                debounce.poke()

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
