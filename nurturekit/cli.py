"""The command line. The only module that reads the clock, prints, or picks an exit code."""
from __future__ import annotations

import gc
import json
import os
import sys
from datetime import datetime
from pathlib import Path

import click

from . import __version__
from .diagnostics import Diagnostic, has_errors
from .timeutil import parse_now

EXIT_OK, EXIT_FOUND, EXIT_INVALID = 0, 1, 2


class Env:
    def __init__(self, root: Path, now: datetime, cache: bool = True):
        self.root = root
        self.now = now
        self.cache = cache
        self._store = None

    @property
    def store(self):
        """The workspace's .nurturekit-cache/ (a no-op store with --no-cache)."""
        if self._store is None:
            from .cache import Store
            self._store = Store(self.root, enabled=self.cache)
        return self._store

    def load_workspace(self):
        """Load and validate with the parse cache; the cache is saved only after a valid load."""
        from .loader import load_workspace
        ws, diags = load_workspace(self.root, self.now.date(), cache=self.store.parse_cache())
        if ws is not None:
            self.store.save_parse()
        return ws, diags


def _now(value: str | None) -> datetime:
    raw = value or os.environ.get("NURTUREKIT_NOW")
    if not raw:
        return datetime.now().replace(second=0, microsecond=0)
    parsed = parse_now(raw)
    if parsed is None:
        source = "--now" if value else "NURTUREKIT_NOW"
        raise click.UsageError(f"{source}: expected a date like 2026-06-01 or a moment like 2026-06-01 09:00, got '{raw}'")
    return parsed


class _Group(click.Group):
    """The daily-work commands (new, log, refer, draft, import, audit, serve) live in
    commands.py and are imported only when one of them, or the list of all, is asked for:
    check, due and metrics start faster without them."""

    @staticmethod
    def _daily():
        from . import commands  # noqa: F401 - registers the daily-work commands on `main`

    def get_command(self, ctx, name):
        found = super().get_command(ctx, name)
        if found is None:
            self._daily()
            found = super().get_command(ctx, name)
        return found

    def list_commands(self, ctx):
        self._daily()
        return super().list_commands(ctx)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="nurturekit")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=".",
              help="The workspace folder (holds playbook.yaml and partners/). Default: the current folder.")
@click.option("--now", "now", metavar="DATE[ HH:MM]",
              help="Pretend it is this date or moment (also NURTUREKIT_NOW). Default: the clock.")
@click.option("--no-cache", is_flag=True,
              help="Neither read nor write the workspace's .nurturekit-cache/ folder (it only makes runs faster).")
@click.pass_context
def main(ctx, root, now, no_cache):
    """nurturekit: keep referral relationships warm from plain files in git.

    Partners live in partners/<id>.md, the practice and its plays in playbook.yaml.
    Exit codes: 0 fine, 1 check found overdue loops, 2 invalid workspace or usage.
    """
    ctx.obj = Env(root, _now(now), cache=not no_cache)


def load(env: Env, *, quiet=False):
    """Load and validate; print diagnostics to stderr. Returns (workspace | None, diags)."""
    ws, diags = env.load_workspace()
    if not quiet:
        print_diags(diags)
    return ws, diags


def print_diags(diags, after="Fix the lines above and run again."):
    for d in diags:
        click.echo(str(d), err=True)
    errors = sum(1 for d in diags if d.severity == "error")
    if errors:
        click.echo(f"{errors} error{'s' if errors != 1 else ''}. {after}", err=True)


def analysis_or_exit(env: Env, fmt="text", pages=True):
    from .analysis import analyze
    from .templates import salesy_templates
    ws, diags = load(env, quiet=fmt == "json")
    if ws is None:
        if fmt == "json":
            click.echo(json.dumps({"now": env.now.strftime("%Y-%m-%dT%H:%M"),
                                   "errors": [d.as_json() for d in diags if d.severity == "error"]}, indent=1))
        sys.exit(EXIT_INVALID)
    return analyze(ws, env.now, salesy_templates(env.root, ws.playbook), pages=pages), diags


FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
                      help="text for people, json for scripts.")


@main.command()
@click.option("--strict", is_flag=True, help="Also fail (exit 1) on overdue tasks and on warnings.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text", show_default=True,
              help="text for people, json for scripts, github for workflow annotations.")
@click.pass_obj
def check(env, strict, fmt):
    """Validate every record and report overdue referral loops, tasks and warnings.

    Exits 1 when a referral loop is overdue (with --strict: also an overdue task or a
    warning), 2 when a file is invalid. Run it in CI.
    """
    from .analysis import analyze, check_json
    from .loops import Warning
    from .templates import salesy_templates
    ws, diags = env.load_workspace()
    errors = [d for d in diags if d.severity == "error"]
    a = None
    if ws is not None:
        a = analyze(ws, env.now, salesy_templates(env.root, ws.playbook), pages=False)
        extra = [Warning(_pid(d.path), "patient-data", f"{d.code} {d.message}", d.path, d.line)
                 for d in diags if d.severity == "warning"]
        a = _with_warnings(a, extra)
    if fmt == "json":
        click.echo(json.dumps(check_json(a, env.now, errors), indent=1, ensure_ascii=False))
    elif fmt == "github":
        for line in _github(a, errors, strict):
            click.echo(line)
    else:
        print_diags(diags if a is None else [])
        if a is not None:
            color = sys.stdout.isatty()
            from .textout import check_lines
            for line in check_lines(a, style=(click.style if color else (lambda s, **k: s))):
                click.echo(line)
    if a is None:
        sys.exit(EXIT_INVALID)
    failing = bool(a.overdue_loops) or (strict and (a.overdue_tasks or a.warnings))
    sys.exit(EXIT_FOUND if failing else EXIT_OK)


def _pid(path):
    return Path(path).stem if path.startswith("partners/") else None


def _with_warnings(a, extra):
    from dataclasses import replace
    ws = sorted(a.warnings + extra, key=lambda x: (x.partner or "", x.warning, x.path, x.line))
    return replace(a, warnings=ws)


def _esc(text):
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _github(a, errors, strict):
    from .textout import LOOP_TODO, TASK_TODO
    for d in errors:
        yield f"::error file={d.path},line={d.line},col={d.col},title={d.code}::{_esc(d.message)}"
    if a is None:
        return
    for x in a.overdue_loops:
        yield (f"::error file={x.path},line={x.line},title=Overdue {x.loop} loop::{_esc(x.partner)}: client {x.client}, "
               f"received {x.received.iso()}, due {x.deadline.iso()}: {LOOP_TODO[x.loop]}")
    level = "error" if strict else "warning"
    for t in a.overdue_tasks:
        what = f'"{t.what}"' if t.what else f"client {t.client}"
        yield (f"::{level} file={t.path},line={t.line},title=Overdue {t.task}::{t.partner}: {TASK_TODO[t.task]} "
               f"({what}), due {t.deadline}")
    for w in a.warnings:
        yield f"::{level} file={w.path},line={w.line},title={w.warning}::{_esc(w.message)}"


@main.command()
@click.pass_obj
def validate(env):
    """Only validate the files (no deadlines): for a pre-commit hook. Exits 2 on an error."""
    ws, diags = load(env)
    if ws is None:
        sys.exit(EXIT_INVALID)
    click.echo(f"{len(ws.partners)} partner files and the playbook are valid.")


@main.command()
@FORMAT
@click.pass_obj
def due(env, fmt):
    """This week's step for every partner on the rotation, and the prospects."""
    from .analysis import due_json
    from .textout import due_lines
    a, _ = analysis_or_exit(env, fmt, pages=False)
    if fmt == "json":
        click.echo(json.dumps(due_json(a), indent=1))
    else:
        for line in due_lines(a):
            click.echo(line)


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True,
              help="text for people, json for scripts, csv for a spreadsheet.")
@click.option("--month", metavar="YYYY-MM", help="Print the monthly review of this month.")
@click.option("--quarter", metavar="YYYYQn", help="Print the quarterly review of this quarter.")
@click.pass_obj
def metrics(env, fmt, month, quarter):
    """The success metrics against the playbook's targets (and the reviews)."""
    from .analysis import metrics_json
    from .textout import metrics_lines
    if month and quarter:
        raise click.UsageError("give either --month or --quarter, not both")
    a, _ = analysis_or_exit(env, "json" if fmt == "json" else "text")
    if month or quarter:
        from .reviews import review_cli
        problem = review_cli(a, month, quarter, fmt, echo=lambda text, end="\n": click.echo(text, nl=end == "\n"))
        if problem:
            raise click.UsageError(problem)
        return
    if fmt == "json":
        click.echo(json.dumps(metrics_json(a), indent=1))
    elif fmt == "csv":
        from .textout import fmt_target
        click.echo("metric,value,target_low,target_high,status")
        for name, m in a.metrics.items():
            lo, hi = m["target"] or (None, None)
            click.echo(",".join("" if v is None else str(v) for v in (name, m["value"], lo, hi, m["status"])))
    else:
        for line in metrics_lines(a):
            click.echo(line)


@main.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to write the site. Default: site/ in the workspace.")
@click.option("--redact", is_flag=True, help="Replace client initials with numbers, for sharing beyond the clinical team.")
@click.pass_obj
def build(env, out, redact):
    """Validate, compute and render the static site (default: site/).

    Only files whose content changed are rewritten, and files a previous build wrote that
    no longer belong are removed. An invalid workspace writes nothing and exits 2.
    """
    import time
    from .build import build as do_build
    from .writer import UnsafeOutput, check_output
    out = out if out is not None else env.root / "site"
    started = time.perf_counter()
    store = env.store
    key = store.build_key(env.root, out, env.now, ("redact", redact))
    same = store.last_build(key, out)
    if same is not None:   # every input and every output as the last build left them
        count, diags = same
        print_diags(diags)
        secs = time.perf_counter() - started
        click.echo(f"Built {count} files into {out} in {secs:.2f} s: 0 written, {count} unchanged, 0 removed "
                   f"(nothing changed since the last build).")
        click.echo(f"Open {out / 'index.html'}")
        return
    try:
        check_output(out)
        result = do_build(env.root, out, env.now, redact=redact, cache=store.parse_cache())
    except UnsafeOutput as exc:
        click.echo(f"{out}: {exc}", err=True)
        sys.exit(EXIT_INVALID)
    print_diags(result.diagnostics, after="Nothing was written; fix the lines above and build again.")
    if result.written is None:
        sys.exit(EXIT_INVALID)
    store.save_parse()
    store.record_build(key, out, result.files, result.diagnostics)
    w = result.written
    secs = time.perf_counter() - started
    click.echo(f"Built {len(result.files)} files into {out} in {secs:.2f} s: {len(w.written)} written, "
               f"{w.unchanged} unchanged, {len(w.removed)} removed.")
    click.echo(f"Open {out / 'index.html'}")


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.pass_obj
def init(env, directory):
    """Create a new workspace in DIRECTORY: playbook, two example partners, a README, a CI workflow.

    Refuses to overwrite any existing file.
    """
    from .scaffold import init_files
    files = init_files(env.now.date())
    clashes = [rel for rel in files if (directory / rel).exists()]
    if clashes:
        for rel in clashes:
            click.echo(f"{directory / rel}: already exists", err=True)
        click.echo("init writes nothing when a file is already there; use an empty folder.", err=True)
        sys.exit(EXIT_INVALID)
    for rel, text in files.items():
        path = directory / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        click.echo(f"created {path}")
    click.echo(f"Next: cd {directory} && nurturekit check && nurturekit build")


@main.command()
@click.option("--defaults", is_flag=True, help="Print the built-in defaults instead of the merged playbook.")
@click.pass_obj
def playbook(env, defaults):
    """Show the playbook in force: the defaults with playbook.yaml merged over them."""
    from .playbook import default_text
    if defaults:
        click.echo(default_text(), nl=False)
        return
    from .loader import load_playbook
    pb, diags = load_playbook(env.root)
    print_diags(diags)
    if pb is None:
        sys.exit(EXIT_INVALID)
    click.echo(f"Practice: {pb.practice.get('name')} ({pb.practice.get('specialty')})")
    click.echo("Plays:")
    for play in pb.plays.values():
        num = f"{play.number:>2}." if play.number else "   "
        click.echo(f"  {num} {play.id:<22} {play.kind:<9} {play.purpose or ''}")
    click.echo("Calendar:")
    for i, pid in enumerate(pb.calendar, 1):
        click.echo(f"  week {i:>2}: {pb.plays[pid].name}")


def run(argv=None):
    """Entry point: maps click's exits to the contract's codes and never shows a traceback."""
    args = sys.argv[1:] if argv is None else list(argv)
    if "serve" not in args:
        # A one-shot run builds a large graph of records that holds no reference cycles, and
        # nothing it renders leaves cyclic garbage worth collecting (peak memory is the same
        # either way), so the cyclic collector only re-walks live objects: at 10,000 partners,
        # 24 full passes that free nothing, a third of the run. Reference counting still frees
        # everything. serve runs for hours and keeps the collector.
        gc.disable()
    try:
        rv = main.main(args=argv, prog_name="nurturekit", standalone_mode=False)
        code = rv if isinstance(rv, int) else 0
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.UsageError as exc:
        exc.show()
        code = EXIT_INVALID
    except click.ClickException as exc:
        exc.show()
        code = EXIT_INVALID
    except click.Abort:
        click.echo("aborted", err=True)
        code = EXIT_INVALID
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else EXIT_INVALID)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        code = 130
    except BrokenPipeError:
        code = 0
    except Exception as exc:  # a bug: say so plainly, without a traceback
        click.echo(f"nurturekit: internal error: {type(exc).__name__}: {exc}", err=True)
        click.echo("This is a bug in nurturekit, not in your files. Set NURTUREKIT_DEBUG=1 for details.", err=True)
        if os.environ.get("NURTUREKIT_DEBUG"):
            raise
        code = EXIT_INVALID
    sys.exit(code)
