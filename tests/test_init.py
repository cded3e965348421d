"""`init` from a real (non-editable) install, then `check` and `validate` in the new workspace."""
import json
import os
import subprocess
import sys

import pytest

from conftest import REPO, nk


@pytest.fixture(scope="session")
def installed(tmp_path_factory):
    """The project built and installed into its own folder, like `pip install .` does."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--target", str(target), str(REPO)], check=True, capture_output=True)
    return target


def run_installed(installed, *args, cwd):
    env = dict(os.environ, PYTHONPATH=str(installed))
    return subprocess.run([sys.executable, "-m", "nurturekit", *args], cwd=cwd, env=env, capture_output=True, text=True)


def test_init_then_check_from_installed_package(installed, tmp_path):
    r = run_installed(installed, "--now", "2026-06-01", "init", "practice", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    ws = tmp_path / "practice"
    assert sorted(p.relative_to(ws).as_posix() for p in ws.rglob("*") if p.is_file()) == [
        ".github/workflows/nurturekit.yml", ".gitignore", "README.md", "partners/dr-example.md",
        "partners/school-example.md", "playbook.yaml"]
    r = run_installed(installed, "--now", "2026-06-01", "check", "--format", "json", cwd=ws)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["errors"] == [] and out["loops"] == []
    # the package imported is the installed one, not the source tree
    r = run_installed(installed, "-c" if False else "--version", cwd=ws)
    assert r.returncode == 0 and "nurturekit" in r.stdout


def test_init_refuses_to_overwrite(tmp_path):
    (tmp_path / "playbook.yaml").write_text("# mine\n")
    r = nk("init", str(tmp_path))
    assert r.code == 2 and "already exists" in r.err
    assert (tmp_path / "playbook.yaml").read_text() == "# mine\n"
    assert not (tmp_path / "partners").exists()


def test_init_workflow_runs_check_in_github_format(tmp_path):
    nk("init", str(tmp_path / "w"))
    wf = (tmp_path / "w" / ".github" / "workflows" / "nurturekit.yml").read_text()
    assert "nurturekit check --format github" in wf and "schedule:" in wf


def test_readme_lists_every_error_code():
    from nurturekit.diagnostics import CODES
    text = (REPO / "README.md").read_text()
    table = text.split("<!-- codes:start -->")[1].split("<!-- codes:end -->")[0]
    rows = [line.split("|")[1:3] for line in table.splitlines() if line.startswith("| NK")]
    assert {code.strip(): meaning.strip() for code, meaning in rows} == CODES
