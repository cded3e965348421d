"""Commands for daily work: new, log, refer, draft, import, audit, serve."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from .cli import EXIT_INVALID, main, print_diags
from .edit import EditError
from .model import KINDS, TIERS

MOMENT = "[DATE[ HH:MM]]"


def _fail(exc: EditError):
    click.echo(str(exc.diagnostic), err=True)
    sys.exit(EXIT_INVALID)


def _show(outcome, verb="added"):
    click.echo(f"{outcome.path}: {verb} {len(outcome.added)} line{'s' if len(outcome.added) != 1 else ''}"
               + (f", changed {', '.join(outcome.replaced)}" if outcome.replaced else ""))
    for line in outcome.added:
        click.echo(f"  + {line}")
    for m in outcome.messages:
        click.echo(f"  note: {m}")


@main.command()
@click.argument("partner_id")
@click.option("--name", required=True, help="The provider's name, e.g. 'Dr. Priya Shah'.")
@click.option("--kind", required=True, type=click.Choice(KINDS), help="What kind of partner.")
@click.option("--practice", help="Practice or organisation name.")
@click.option("--email")
@click.option("--phone")
@click.option("--tier", type=click.Choice(TIERS))
@click.option("--owner", help="Teammate who owns the relationship.")
@click.option("--met", metavar="DATE", help="Date of the initial meeting (leave out for a prospect).")
@click.pass_obj
def new(env, partner_id, name, kind, practice, email, phone, tier, owner, met):
    """Create partners/PARTNER_ID.md with the four questions ready to fill in. Never overwrites."""
    from .daily import new_partner
    try:
        out = new_partner(env.root, env.now, partner_id, name, kind, practice=practice, email=email,
                          phone=phone, tier=tier, owner=owner, met=met)
    except EditError as exc:
        _fail(exc)
    click.echo(f"created {env.root / out.path}")


@main.command()
@click.argument("partner_id", required=False)
@click.argument("play", required=False)
@click.option("--date", metavar="DATE", help="When it happened (default: today).")
@click.option("--note", help="A short note (no client details).")
@click.option("--replied", is_flag=False, flag_value="true", default=None, metavar="[DATE]",
              help="They answered: on DATE, or the same day if no date is given.")
@click.option("--with", "with_", metavar="PARTNER", help="The other partner of a warm introduction.")
@click.option("--due", "due_play", metavar="PLAY",
              help="Log PLAY for every partner whose step for it is due, e.g. --due referral-filter after the batch email.")
@click.pass_obj
def log(env, partner_id, play, date, note, replied, with_, due_play):
    """Append one touch to a partner's history: nurturekit log dr-lee check-in --note "Called Tina".

    Only the new lines are added; everything else in the file stays exactly as it was.
    """
    from .daily import log_touch
    if due_play:
        from .analysis import analyze
        ws, diags = env.load_workspace()
        if ws is None:
            print_diags(diags)
            sys.exit(EXIT_INVALID)
        a = analyze(ws, env.now)
        targets = [p.id for p, s in a.current_steps() if s.status == "due" and s.play == due_play]
        if not targets:
            click.echo(f"nobody has a due {due_play} step this week; nothing logged")
            return
        for pid in targets:
            try:
                _show(log_touch(env.root, env.now, pid, due_play, date=date, note=note, replied=replied))
            except EditError as exc:
                _fail(exc)
        return
    if not (partner_id and play):
        raise click.UsageError("give PARTNER_ID and PLAY (or --due PLAY)")
    try:
        _show(log_touch(env.root, env.now, partner_id, play, date=date, note=note, replied=replied, with_=with_))
    except EditError as exc:
        _fail(exc)


def _opt_moment(name, help_text):
    return click.option(name, is_flag=False, flag_value="now", default=None, metavar=MOMENT, help=help_text)


@main.command()
@click.argument("partner_id")
@click.argument("client")
@click.option("--received", metavar="DATE[ HH:MM]", help="When the referral came in (default: now); also picks "
              "which referral to update when a client has several.")
@_opt_moment("--family-contacted", "You reached the family.")
@_opt_moment("--acknowledged", "You thanked the referrer.")
@_opt_moment("--intake", "The intake (may be booked ahead).")
@_opt_moment("--first-session", "The first session (may be booked ahead).")
@_opt_moment("--loop-closed", "You told the referrer how it went.")
@_opt_moment("--thanked", "The thank-you ladder action for this referral.")
@_opt_moment("--referrer-told", "Bounce: you told the referrer where the family went.")
@_opt_moment("--receiver-told", "Bounce: you told the receiving provider.")
@click.option("--bounce-to", metavar="PARTNER", help="Not a fit: you sent the family to this partner (needs --reason).")
@click.option("--declined", is_flag=True, help="The family or we declined (needs --reason).")
@click.option("--no-show", is_flag=True, help="The family did not come.")
@click.option("--reason", help="Why, for --bounce-to and --declined.")
@click.pass_obj
def refer(env, partner_id, client, received, bounce_to, declined, no_show, reason, **moments):
    """Record a referral (initials only), or move it along:

    \b
      nurturekit refer dr-lee J.M.                      # it came in now
      nurturekit refer dr-lee J.M. --acknowledged       # you thanked Dr. Lee just now
      nurturekit refer dr-lee J.M. --intake 2026-06-10  # booked
      nurturekit refer dr-lee J.M. --bounce-to kids-first-ot --reason "Needs feeding therapy"

    Prints what the referral's loops need next and the draft to send.
    """
    from .daily import refer as do_refer
    if (bounce_to or declined) and not reason:
        raise click.UsageError("--bounce-to and --declined need --reason (why it was not a fit)")
    if sum(map(bool, (bounce_to, declined, no_show))) > 1:
        raise click.UsageError("give only one of --bounce-to, --declined, --no-show")
    updates = {k: v for k, v in moments.items() if v is not None}
    outcome = "declined" if declined else ("no-show" if no_show else None)
    try:
        out = do_refer(env.root, env.now, partner_id, client, received=received, updates=updates,
                       outcome=outcome, reason=reason, bounce_to=bounce_to)
    except EditError as exc:
        _fail(exc)
    _show(out)
    _next_for_referral(env, partner_id, client)


def _next_for_referral(env, pid, client):
    from .analysis import analyze
    from .site import Site
    from .templates import Templates
    from .textout import LOOP_TODO
    ws, _ = env.load_workspace()
    if ws is None:
        return
    a = analyze(ws, env.now, only={pid})
    p = ws.by_id[pid]
    mine = [r for r in p.referrals if r.client == client]
    if not mine:
        return
    r = max(mine, key=lambda r: (r.received.dt, r.index))
    pending = [x for x in a.loops if x.partner == pid and x.referral_index == r.index and x.state in ("open", "overdue")]
    if not pending:
        click.echo("Nothing is waiting on this referral right now (the close-loop opens after the first session).")
        return
    click.echo("Next:")
    pages = Site(a, Templates(env.root), []).partner_bundle({pid})   # this partner's drafts only
    for x in pending:
        slug = f"{pid}-{x.loop}-"
        draft = next((k for k in sorted(pages or {}) if k.startswith(f"drafts/{slug}") and k.endswith(".eml")
                      and x.received.day.isoformat() in k), None)
        flag = "OVERDUE " if x.state == "overdue" else ""
        hint = f" (draft: nurturekit draft {pid} --loop {x.loop} --client {client})" if draft else ""
        click.echo(f"  {flag}{x.loop}: {LOOP_TODO[x.loop]}, by {x.deadline.iso().replace('T', ' ')}{hint}")


@main.command()
@click.argument("partner_id")
@click.argument("play", required=False)
@click.option("--loop", "loop_name", type=click.Choice(["acknowledge", "close-loop", "bounce-referrer", "bounce-receiver"]),
              help="The draft for a referral loop instead of a play.")
@click.option("--client", help="With --loop: which client's referral (default: the latest open one).")
@click.pass_obj
def draft(env, partner_id, play, loop_name, client):
    """Print the email draft for a partner's due step (or PLAY, or a referral --loop), ready to paste."""
    from .drafting import draft_for
    from .analysis import analyze
    ws, diags = env.load_workspace()
    if ws is None:
        print_diags(diags)
        sys.exit(EXIT_INVALID)
    a = analyze(ws, env.now)
    text, problem = draft_for(a, env.root, partner_id, play, loop_name, client)
    if problem:
        click.echo(problem, err=True)
        sys.exit(EXIT_INVALID)
    click.echo(text, nl=False)


@main.command(name="import")
@click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would be created; write nothing.")
@click.pass_obj
def import_(env, csv_file, dry_run):
    """Turn a provider list into prospect files: the NPPES download, or a simple CSV with
    name, practice, specialty, phone, fax, address, NPI. Existing NPIs are reported, never touched."""
    from .importer import plan_import
    from .writer import atomic_write
    ws, diags = env.load_workspace()
    if ws is None:
        print_diags(diags)
        sys.exit(EXIT_INVALID)
    if not csv_file.is_file():
        raise click.UsageError(f"no such file: {csv_file}")
    files, report, problems = plan_import(env.root, csv_file, ws, env.now.date())
    for d in problems:
        click.echo(str(d), err=True)
    if any(d.severity == "error" for d in problems):
        sys.exit(EXIT_INVALID)
    for line in report:
        click.echo(line)
    if dry_run:
        click.echo(f"dry run: {len(files)} new prospect file{'s' if len(files) != 1 else ''} would be written")
        return
    (env.root / "partners").mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        atomic_write(env.root / rel, text.encode("utf-8"))
    click.echo(f"{len(files)} new prospect file{'s' if len(files) != 1 else ''} written; "
               f"{len(problems)} row{'s' if len(problems) != 1 else ''} skipped")


@main.command()
@click.argument("partner_id")
@click.pass_obj
def audit(env, partner_id):
    """Who logged each touch, referral and loop moment, and when: read from git history."""
    from .audit import AuditError, audit as do_audit
    try:
        rows = do_audit(env.root, partner_id)
    except AuditError as exc:
        click.echo(f"audit: {exc}", err=True)
        sys.exit(EXIT_INVALID)
    for row in rows:
        click.echo(row)


@main.command()
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port on 127.0.0.1 (0 picks a free one).")
@click.pass_context
def serve(ctx, port):
    """Build, serve the site on 127.0.0.1 and rebuild on every save; the open page reloads.

    An invalid edit keeps the last good site and shows the error in the page and here.
    """
    from datetime import datetime
    from .serve import serve as run_serve
    env = ctx.obj
    fixed = ctx.parent.params.get("now") or os.environ.get("NURTUREKIT_NOW")
    now_fn = (lambda: env.now) if fixed else (lambda: datetime.now().replace(second=0, microsecond=0))
    try:
        run_serve(env.root, port, now_fn, log=lambda m: click.echo(m, err=True), cache=env.cache)
    except OSError as exc:
        click.echo(f"serve: cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}", err=True)
        sys.exit(EXIT_INVALID)
