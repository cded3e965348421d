"""The only Jinja user: an environment whose templates come from the workspace's
templates/ folder first, then from the package. Template errors become diagnostics."""
from __future__ import annotations

import traceback
from functools import lru_cache
from pathlib import Path

from .diagnostics import Diagnostic

BUILTIN = Path(__file__).resolve().parent / "templates"


def lower_first(text):
    text = str(text or "")
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def day(text):
    """'2026-11-28 16:30' -> 'November 28'; anything else unchanged."""
    from datetime import date
    try:
        d = date.fromisoformat(str(text)[:10])
    except ValueError:
        return text
    return f"{d.strftime('%B')} {d.day}"


@lru_cache(maxsize=1)
def _environment_class():
    """Jinja is imported on the first render only: check, due and metrics read the email
    templates' text (for salesy asks) but never render, and start faster without it."""
    import jinja2

    class _Environment(jinja2.Environment):
        """Page contexts are plain dicts, and `row.name` in a template costs Jinja a failed
        attribute lookup (an exception) before it tries the key. Look the key up first for a
        plain dict: the pages render about a third faster. A key never shadows a dict method
        here, since no context has a key named like one (items, get, ...)."""

        def getattr(self, obj, attribute):
            if type(obj) is dict:
                try:
                    return obj[attribute]
                except KeyError:
                    pass
            return super().getattr(obj, attribute)

    return _Environment


class Templates:
    def __init__(self, root: Path | None):
        self.user = Path(root) / "templates" if root is not None else None
        self._env = None
        self._cache: dict = {}

    @property
    def env(self):
        if self._env is None:
            import jinja2
            paths = [str(p) for p in (self.user, BUILTIN) if p is not None and p.is_dir()]
            self._env = _environment_class()(
                loader=jinja2.FileSystemLoader(paths),
                undefined=jinja2.StrictUndefined,
                autoescape=lambda name: bool(name) and name.endswith((".html", ".html.j2", ".xml")),
                trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
            self._env.filters["lower_first"] = lower_first
            self._env.filters["day"] = day
        return self._env

    def where(self, name: str) -> str:
        """The path of the template file as the user should see it."""
        if self.user is not None and (self.user / name).is_file():
            return f"templates/{name}"
        return f"(built-in) templates/{name}"

    def source(self, name: str) -> str:
        if self.user is not None and (self.user / name).is_file():
            return (self.user / name).read_text("utf-8")
        return (BUILTIN / name).read_text("utf-8")

    def render(self, name: str, context: dict, diags: list) -> str | None:
        """Render one template; on failure append one diagnostic and return None."""
        import jinja2
        try:
            template = self._cache.get(name)
            if template is None:
                template = self._cache[name] = self.env.get_template(name)
            return template.render(context)
        except jinja2.TemplateSyntaxError as exc:
            rel = self.where(exc.name or name)
            self._add(diags, Diagnostic(rel, exc.lineno or 1, 1, "NK401", f"template syntax error: {exc.message}"))
        except jinja2.TemplateNotFound as exc:
            self._add(diags, Diagnostic(self.where(name), 1, 1, "NK401", f"template not found: {exc.name}"))
        except Exception as exc:  # noqa: BLE001 - any runtime error in a user's template is reported, not raised
            line, tname = 1, name
            for frame in reversed(traceback.extract_tb(exc.__traceback__)):
                fname = frame.filename.replace("\\", "/")
                if "/templates/" in fname and not fname.endswith(".py"):
                    line, tname = frame.lineno or 1, fname.split("/templates/", 1)[1]
                    break
            message = getattr(exc, "message", None) or str(exc)
            self._add(diags, Diagnostic(self.where(tname), line, 1, "NK402", f"template failed: {message}"))
        return None

    @staticmethod
    def _add(diags, d):
        if d not in diags:
            diags.append(d)


def salesy_templates(root, playbook):
    """(play name, path, line) for personal plays whose draft template asks for referrals."""
    from .loops import is_salesy
    t = Templates(root)
    out = []
    for pid, play in sorted(playbook.plays.items()):
        if play.kind != "personal":
            continue
        name = f"emails/{pid}.txt"
        try:
            text = t.source(name)
        except OSError:
            continue
        for i, line in enumerate(text.splitlines(), 1):
            if is_salesy(line):
                out.append((pid, t.where(name).replace("(built-in) ", ""), i))
                break
    return out
