import io
import shutil
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
GOLDEN = Path(__file__).resolve().parent / "golden"
DEMO_NOW = "2026-12-03 09:00"


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", help="rewrite the golden files from the current output")


@pytest.fixture
def update_golden(request):
    return request.config.getoption("--update-golden")


def golden(name, text, update):
    """Compare text with tests/golden/<name>; rewrite it only with --update-golden."""
    path = GOLDEN / name
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run pytest --update-golden"
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"output differs from {path} (run pytest --update-golden if the change is intended)"


class Result:
    def __init__(self, code, out, err):
        self.code, self.out, self.err = code, out, err


def nk(*args, cwd=None):
    """Run the nurturekit CLI in-process like a user would; returns Result(code, stdout, stderr)."""
    from nurturekit.cli import run
    out, err = io.StringIO(), io.StringIO()
    argv = [str(a) for a in args]
    if cwd is not None:
        argv = ["--root", str(cwd)] + argv
    with redirect_stdout(out), redirect_stderr(err):
        try:
            run(argv)
            code = 0
        except SystemExit as exc:
            code = exc.code
    return Result(code, out.getvalue(), err.getvalue())


PLAYBOOK = """practice:
  name: Test Practice
  specialty: ABA
  sender: Pat Tester
"""


def make_workspace(root: Path, partners: dict, playbook: str | None = PLAYBOOK) -> Path:
    """partners: {id: front matter text (without ---) or full file text if it starts with ---}"""
    root.mkdir(parents=True, exist_ok=True)
    if playbook is not None:
        (root / "playbook.yaml").write_text(playbook, encoding="utf-8")
    (root / "partners").mkdir(exist_ok=True)
    for pid, text in partners.items():
        body = text if text.startswith("---") else f"---\n{text}---\nNotes.\n"
        (root / "partners" / f"{pid}.md").write_text(body, encoding="utf-8")
    return root


@pytest.fixture
def demo(tmp_path):
    """A copy of the shipped demo workspace."""
    dst = tmp_path / "demo"
    dst.mkdir()
    shutil.copy(REPO / "playbook.yaml", dst / "playbook.yaml")
    shutil.copytree(REPO / "partners", dst / "partners")
    shutil.copytree(REPO / "templates", dst / "templates")
    return dst
