"""Everything the commands and the site need, computed once from (workspace, now). Pure."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from . import loops as L
from . import metrics as M
from .rotation import collect_touches, current_step, on_rotation, steps


PROJECTION_DAYS = 63   # the calendar's next 8 weeks from Monday, and the partner timelines


@dataclass(frozen=True)
class Analysis:
    workspace: object
    now: datetime
    touches: dict          # partner id -> PartnerTouches
    steps: dict            # partner id -> [Step] through today
    projected: dict        # partner id -> [Step] through today + PROJECTION_DAYS
    loops: list            # every loop with its state
    tasks: list            # every task with its state
    warnings: list
    metrics: dict
    partners: tuple = None  # the partners analysed: all of the workspace's, or those asked for

    def __post_init__(self):
        if self.partners is None:
            object.__setattr__(self, "partners", tuple(self.workspace.partners))

    @property
    def today(self):
        return self.now.date()

    @property
    def overdue_loops(self):
        return [x for x in self.loops if x.state == "overdue"]

    @property
    def overdue_tasks(self):
        return [t for t in self.tasks if t.state == "overdue"]

    def current_steps(self):
        out = []
        for p in self.partners:
            if on_rotation(p, self.today):
                cur = current_step(self.steps[p.id], self.today)
                if cur is not None:
                    out.append((p, cur))
        return out

    def prospects(self):
        out = []
        for p in self.partners:
            if p.met is None and p.status == "active":
                last = self.touches[p.id].last
                stage = "contacted" if last else "new"
                follow = bool(last) and (self.today - last).days > self.workspace.playbook.rotation["standard_days"]
                out.append((p, stage, last, follow))
        return out


def analyze(workspace, now: datetime, template_warnings=None, only=None, pages=True) -> Analysis:
    """Everything about the workspace as of `now`. With `only` (a set of partner ids), just
    what those partners' own pages need: their touches, steps, loops, tasks and warnings, each
    exactly as the whole analysis has them, and no metrics (`serve` uses it to put the page
    you just edited on disk first). With pages=False, what `check` and `due` need: no
    projection into the future (`projected` stops at today, like `steps`) and no metrics."""
    today = now.date()
    pb = workspace.playbook
    partners = tuple(workspace.partners) if only is None else tuple(p for p in workspace.partners if p.id in only)
    subset = None if only is None else partners
    touches = collect_touches(workspace.partners, pb.plays, today, only=only)
    horizon = today + timedelta(days=PROJECTION_DAYS) if pages else today
    projected = {p.id: steps(p, touches[p.id], pb, today, until=horizon) for p in partners if p.met is not None}
    # steps through today are a prefix of the projection: later steps never change earlier ones
    stp = {pid: [s for s in ss if s.start <= today] for pid, ss in projected.items()}
    return Analysis(
        workspace=workspace, now=now, touches=touches, steps=stp, projected=projected,
        loops=L.all_loops(workspace, now, subset), tasks=L.all_tasks(workspace, now, subset),
        warnings=L.warnings_for(workspace, now, touches, stp, template_warnings if only is None else None, subset),
        metrics=M.compute(workspace, now, touches, stp) if only is None and pages else {}, partners=partners)


def due_json(a: Analysis) -> dict:
    steps_out = [{"partner": p.id, "step": s.n, "week": s.week, "play": s.play, "planned": s.planned,
                  "start": s.start.isoformat(), "end": s.end.isoformat(), "status": s.status, "engaged": s.engaged}
                 for p, s in a.current_steps()]
    prospects = [{"partner": p.id, "stage": stage, "last_touch": last.isoformat() if last else None,
                  "follow_up": follow} for p, stage, last, follow in a.prospects()]
    return {"now": a.today.isoformat(), "steps": steps_out, "prospects": prospects}


def metrics_json(a: Analysis) -> dict:
    return {"now": a.today.isoformat(), "metrics": a.metrics}


def check_json(a: Analysis | None, now: datetime, errors, strict=False) -> dict:
    stamp = now.strftime("%Y-%m-%dT%H:%M")
    if a is None:
        return {"now": stamp, "errors": [d.as_json() for d in errors], "loops": [], "tasks": [], "warnings": []}
    return {"now": stamp, "errors": [],
            "loops": [x.as_json() for x in a.overdue_loops],
            "tasks": [t.as_json() for t in a.overdue_tasks],
            "warnings": [w.as_json() for w in a.warnings]}
