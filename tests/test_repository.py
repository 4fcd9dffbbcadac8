"""The codebase itself: module sizes and rooms, the linter, the workflows and the canary, one repository URL."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from browser import ROOT

BIN = Path(sys.executable).parent
MODULES = (
    sorted((ROOT / "book").glob("*.py"))
    + sorted((ROOT / "book" / "explainer").rglob("*.py"))
    + sorted((ROOT / "tools").glob("*.py"))
)
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_modules_are_small_and_say_what_they_are_for(path):
    lines = path.read_text().splitlines()
    assert len(lines) < 400, f"{path.name} has {len(lines)} lines"
    doc = ast.get_docstring(ast.parse(path.read_text()))
    assert doc and len(doc.splitlines()[0]) > 20, f"{path.name} does not open with a line on what it is for"


def test_helpers_keeps_only_the_core():
    tree = ast.parse((ROOT / "book" / "helpers.py").read_text())
    names = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    core = {"load_model", "embed", "similarity", "nearest", "project", "plot_projection", "plot_heatmap"}
    assert core <= names
    elsewhere = {"Embeddings", "Term", "Live", "explore", "playground", "info_nce", "plot_training", "load_table"}
    assert not names & elsewhere, f"helpers.py still holds {names & elsewhere}"


def test_ruff_check_and_format_pass():
    for args in (["check", "book", "tests", "tools"], ["format", "--check", "book", "tests", "tools"]):
        proc = subprocess.run([str(BIN / "ruff"), *args], cwd=ROOT, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "extend-include" in (ROOT / "pyproject.toml").read_text()  # notebooks are linted too


def test_make_test_lints_first_and_ci_calls_make_test():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^test: lint\b", makefile, re.M)
    assert re.search(
        r"^lint:.*\n\t.*ruff check book tests tools\n\t.*ruff format --check book tests tools", makefile, re.M
    )
    assert re.search(r"^\s*make test\s*$", (ROOT / ".ci" / "run").read_text(), re.M)
    assert "make test" in (ROOT / "README.md").read_text()


def _schema_check(schema: str, files: list[Path]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", schema, *map(str, files)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def test_workflows_and_dependabot_are_valid():
    assert WORKFLOWS, "no workflows"
    proc = _schema_check("vendor.github-workflows", WORKFLOWS)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = _schema_check("vendor.dependabot", [ROOT / ".github" / "dependabot.yml"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ecosystems = {
        u["package-ecosystem"] for u in yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())["updates"]
    }
    assert ecosystems == {"pip", "npm", "github-actions"}


def test_a_broken_workflow_is_caught(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("name: broken\non: push\njobs:\n  test:\n    steps:\n      - run: make test\n")  # no runs-on
    assert _schema_check("vendor.github-workflows", [broken]).returncode != 0


def test_workflows_do_what_they_promise():
    flows = {p.stem: yaml.safe_load(p.read_text()) for p in WORKFLOWS}
    on = {name: flow.get("on", flow.get(True)) for name, flow in flows.items()}  # YAML 1.1 reads `on` as True
    assert {"push", "pull_request"} <= set(on["test"])
    assert "bash .ci/run" in yaml.safe_dump(flows["test"])
    publish = yaml.safe_dump(flows["publish"])
    assert on["publish"]["push"]["branches"] == ["main"]
    assert "actions/upload-pages-artifact" in publish and "actions/deploy-pages" in publish and "_build/html" in publish
    assert on["weekly"]["schedule"][0]["cron"]
    assert flows["weekly"]["jobs"]["rebuild"]["uses"] == "./.github/workflows/test.yml"
    test = flows["test"]["jobs"]["test"]
    assert test["strategy"]["matrix"]["python"] == ["3.11", "3.12"] and not test["strategy"]["fail-fast"]
    assert test["container"] == "python:${{ matrix.python }}-bookworm"


def test_the_canary_runs_apart_and_reports_what_moved():
    flows = {p.stem: yaml.safe_load(p.read_text()) for p in WORKFLOWS}
    canary = flows["canary"]
    assert set(canary.get("on", canary.get(True))) == {"schedule", "workflow_dispatch"}  # never on push or PR
    assert re.fullmatch(r"[\d*]+ [\d*]+ \* \* 1", canary.get("on", canary.get(True))["schedule"][0]["cron"])
    assert list(canary["jobs"]) == ["canary"]
    # test.yml neither holds nor waits for it: pushes and pull requests are judged without it
    assert "canary" not in yaml.safe_dump(flows["test"]) and "needs" not in yaml.safe_dump(canary)
    job = canary["jobs"]["canary"]
    assert job["strategy"]["matrix"]["python"] == ["3.11", "3.12"] and not job["strategy"]["fail-fast"]
    assert job["container"] == "python:${{ matrix.python }}-bookworm"
    steps = {step.get("name", step.get("uses")): step for step in job["steps"]}
    assert "make newest VENV=.venv-newest" in steps["install the newest releases"]["run"]
    assert "make book VENV=.venv-newest" in steps["build strictly"]["run"]
    assert ".venv-newest/bin/python -m pytest tests" in steps["tests"]["run"]
    assert "tools/deps.py moved" in steps["the resolved versions, and what moved from requirements.lock"]["run"]
    upload = steps["upload the logs and versions"]
    assert upload["uses"].startswith("actions/upload-artifact@") and upload["if"] == "${{ failure() }}"
    assert upload["with"]["path"] == "canary/"
    logs = "".join(step.get("run", "") for step in job["steps"])
    for name in ("install.log", "build.log", "tests.log", "lint.log", "pip-freeze.txt", "moved.txt"):
        assert f"canary/{name}" in logs, name


def test_one_repository_url():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    url = config["repository"]["url"]
    owner_repo = re.match(r"https://github\.com/([^/]+/[^/]+)$", url).group(1)
    readme = (ROOT / "README.md").read_text()
    for link in re.findall(r"https://mybinder\.org/v2/gh/([^/]+/[^/]+)/", readme):
        assert link == owner_repo, f"README's Binder link points at {link}, _config.yml at {owner_repo}"
    for link in re.findall(r"https://github\.com/([\w.-]+/[\w.-]+)", readme):
        assert link == owner_repo or link.split("/")[0] in {"astral-sh", "actions"}, link
    assert "fork" in readme.lower() and "_config.yml" in readme
