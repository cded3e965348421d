"""The files `nurturekit init` writes (pure: returns {relative path: text})."""
from __future__ import annotations

from datetime import date, timedelta
from importlib import resources


def _read(name: str) -> str:
    return resources.files("nurturekit").joinpath(f"scaffold/{name}").read_text("utf-8")


def init_files(today: date) -> dict:
    met = (today - timedelta(days=3)).isoformat()
    fill = {"{today}": today.isoformat(), "{met}": met, "{owner}": "me"}

    def sub(text):
        for k, v in fill.items():
            text = text.replace(k, v)
        return text

    return {
        "playbook.yaml": sub(_read("playbook.yaml")),
        "partners/dr-example.md": sub(_read("dr-example.md")),
        "partners/school-example.md": sub(_read("school-example.md")),
        "README.md": _read("README.md"),
        ".github/workflows/nurturekit.yml": _read("workflow.yml"),
        ".gitignore": _read("gitignore"),
    }
