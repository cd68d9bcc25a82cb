"""Collectors found where their job runs: the README's recipe, word for word, through the
installed ``schedcli`` program; ``--cwd`` and ``--env PYTHONPATH``; ``import`` into a
fresh database; a module that cannot be loaded at run time.

The shell's PYTHONPATH is never set here: cron and ``watch`` do not have it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROGRAM = Path(sys.executable).parent / "schedcli"  # the console script a user types


def _readme_recipe() -> str:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Collectors\n"):]
    section = section[: section.index("\n## ", 3)]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    recipe = [b for b in blocks if "mycoll.py" in b]
    assert len(recipe) == 1, "README.md's Collectors section has no sh block that writes mycoll.py"
    return recipe[0]


@pytest.fixture
def env(tmp_path: Path, db_path: Path) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out.update(SCHEDCLI_DB=str(db_path), SCHEDCLI_CRONTAB=str(tmp_path / "no-crontab-here"),
               PATH=f"{PROGRAM.parent}:/usr/bin:/bin")
    return out


def _sh(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["/bin/sh", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def _schedcli(env: dict[str, str], *args: str, cwd: Path | str = "/") -> subprocess.CompletedProcess:
    return subprocess.run([str(PROGRAM), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_the_readme_recipe_works_word_for_word(tmp_path, env):
    assert PROGRAM.exists()
    work = tmp_path / "work"
    work.mkdir()
    r = _sh(_readme_recipe(), work, env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout.splitlines()[-1]) == {"job": "coll", "attempt": 1}
    assert f"It runs in {work}" in r.stdout
    # under cron: run-due from elsewhere, with cron's PATH and no PYTHONPATH
    cron_env = {"HOME": env["HOME"], "PATH": "/usr/bin:/bin", "SCHEDCLI_DB": env["SCHEDCLI_DB"],
                "SCHEDCLI_CRONTAB": env["SCHEDCLI_CRONTAB"]}
    tick = _schedcli(cron_env, "run-due", "--now", "+15m", "--json")
    assert tick.returncode == 0, tick.stdout + tick.stderr
    assert [r["status"] for r in json.loads(tick.stdout)] == ["success"]
    logs = _schedcli(env, "logs", "coll")
    assert json.loads(logs.stdout) == {"job": "coll", "attempt": 1}


@pytest.mark.parametrize("how", ["--cwd", "--env"])
def test_cwd_or_pythonpath_finds_the_module_at_add_and_at_run_time(tmp_path, env, how):
    mods = tmp_path / "mods"
    mods.mkdir()
    (mods / "mycoll.py").write_text("def collect(ctx):\n    return 'collected ' + ctx.job\n")
    where = ["--cwd", str(mods)] if how == "--cwd" else ["--env", f"PYTHONPATH={mods}"]
    # from a directory that does not hold the module
    r = _schedcli(env, "add", "coll", "--every", "15m", *where, "--collector", "mycoll:collect")
    assert r.returncode == 0, r.stderr
    assert "It runs in" not in r.stdout
    run = _schedcli(env, "run", "coll")
    assert run.returncode == 0 and run.stdout == "collected coll\n"
    # and into a fresh database, from elsewhere, without the shell's PYTHONPATH
    exported = tmp_path / "jobs.toml"
    assert _schedcli(env, "export", "--output", str(exported)).returncode == 0
    fresh = dict(env, SCHEDCLI_DB=str(tmp_path / "fresh" / "schedcli.db"))
    imported = _schedcli(fresh, "import", str(exported))
    assert imported.returncode == 0, imported.stderr
    assert _schedcli(fresh, "run", "coll").stdout == "collected coll\n"


def test_a_module_that_is_nowhere_is_refused_in_our_words(tmp_path, env):
    r = _schedcli(env, "add", "coll", "--every", "15m", "--collector", "mycoll:collect", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr == (f"Error: invalid collector 'mycoll:collect': no module named 'mycoll' in {tmp_path} or "
                        "the installed packages; give the job the directory that holds it: --cwd DIR or "
                        "--env PYTHONPATH=DIR\n")
    assert json.loads(_schedcli(env, "list", "--json").stdout) == []


def test_the_shells_pythonpath_is_not_where_the_job_looks(tmp_path, env):
    mods = tmp_path / "mods"
    mods.mkdir()
    (mods / "mycoll.py").write_text("def collect(ctx):\n    return 1\n")
    r = _schedcli(dict(env, PYTHONPATH=str(mods)), "add", "coll", "--every", "15m", "--collector", "mycoll:collect")
    assert r.returncode == 2 and "no module named 'mycoll'" in r.stderr


def test_a_collector_that_cannot_be_loaded_at_run_time_is_one_line(tmp_path, env):
    mods = tmp_path / "mods"
    mods.mkdir()
    module = mods / "mycoll.py"
    module.write_text("def collect(ctx):\n    return 1\n")
    assert _schedcli(env, "add", "coll", "--every", "15m", "--cwd", str(mods), "--collector",
                     "mycoll:collect").returncode == 0
    module.unlink()
    run = _schedcli(env, "run", "coll")
    assert run.returncode == 1
    assert run.stdout == (f"schedcli: cannot load collector 'mycoll:collect': no module named 'mycoll' in {mods} "
                          "or the installed packages (give the job the directory that holds it: --cwd DIR or "
                          "--env PYTHONPATH=DIR)\n")
    module.write_text("def collect(ctx):\n    return (\n")
    assert _schedcli(env, "run", "coll").stdout.startswith(
        "schedcli: cannot load collector 'mycoll:collect': SyntaxError in ")
    module.write_text("def other(ctx):\n    return 1\n")
    assert _schedcli(env, "run", "coll").stdout == (
        "schedcli: cannot load collector 'mycoll:collect': module 'mycoll' has no 'collect'\n")


def test_editing_a_collector_jobs_directory_checks_its_module_is_still_found(tmp_path, env):
    mods, elsewhere = tmp_path / "mods", tmp_path / "elsewhere"
    mods.mkdir()
    elsewhere.mkdir()
    (mods / "mycoll.py").write_text("def collect(ctx):\n    return 1\n")
    assert _schedcli(env, "add", "coll", "--every", "15m", "--cwd", str(mods), "--collector",
                     "mycoll:collect").returncode == 0
    r = _schedcli(env, "edit", "coll", "--cwd", str(elsewhere))
    assert r.returncode == 2 and f"no module named 'mycoll' in {elsewhere}" in r.stderr
    assert json.loads(_schedcli(env, "show", "coll", "--json").stdout)["cwd"] == str(mods)
    assert _schedcli(env, "edit", "coll", "--env", f"PYTHONPATH={mods}", "--cwd", str(elsewhere)).returncode == 0
    assert _schedcli(env, "run", "coll").stdout == "1\n"
