"""How a command starts: only the command that runs is built, and the garbage collector is
paused while the command line starts and on again when the command's code runs."""

from __future__ import annotations

import gc
import subprocess
import sys

import pytest
import typer.main

from schedcli.cli import app as app_module
from schedcli.cli import gc_pause
from schedcli.cli.app import COMMAND_MODULES, app, app_for, command_name


def _tree_words() -> dict[str, str]:
    """Every top-level word of the whole tree -> the module of schedcli.cli that registers it."""
    words: dict[str, str] = {}
    for group in app.registered_groups:
        sub = group.typer_instance
        module = sub.registered_commands[0].callback.__module__ if sub.registered_commands else None
        for info in sub.registered_commands:
            words[command_name(info)] = info.callback.__module__
        for named in sub.registered_groups:
            words[named.name] = module or named.typer_instance.registered_commands[0].callback.__module__
    return {word: module.rsplit(".", 1)[1] for word, module in words.items()}


def test_the_table_of_command_modules_is_the_tree():
    assert _tree_words() == COMMAND_MODULES
    assert set(typer.main.get_command(app).commands) == set(COMMAND_MODULES)


@pytest.mark.parametrize("word", sorted(COMMAND_MODULES))
def test_a_start_builds_only_its_command_and_it_is_the_same_command(word):
    lean = typer.main.get_command(app_for(["--db", "x.db", word, "--json"]))
    full = typer.main.get_command(app)
    assert list(lean.commands) == [word]
    ctx = typer.Context(full)
    got, want = lean.commands[word], full.commands[word]
    assert [p.opts for p in got.params] == [p.opts for p in want.params]
    assert got.get_help(typer.Context(got, parent=ctx, info_name=word)) == \
        want.get_help(typer.Context(want, parent=ctx, info_name=word))


@pytest.mark.parametrize("args", [[], ["--help"], ["--version"], ["--db", "x.db"], ["shwo"], ["--bogus", "list"]])
def test_no_known_command_word_builds_the_whole_tree(args):
    assert set(typer.main.get_command(app_for(args)).commands) == set(COMMAND_MODULES)


def test_db_given_as_one_word_still_finds_the_command():
    assert list(typer.main.get_command(app_for(["--db=x.db", "show", "a"])).commands) == ["show"]


def test_the_whole_tree_is_built_once_when_asked_for():
    assert app_module.app is app_module.app


def test_resume_without_pause_changes_nothing():
    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    gc_pause.resume()
    assert gc.isenabled() and gc.get_freeze_count() == frozen


GC_PROBE = r"""
import gc, sys
seen = []

def watch_calls(frame, event, arg):  # notes the collector's state as list's code starts
    if event == "call" and frame.f_code.co_name == "list_jobs":
        seen.append((gc.isenabled(), gc.get_freeze_count() > 0))

sys.setprofile(watch_calls)
sys.argv = ["schedcli", "--db", sys.argv[1], "list", "--json"]
from schedcli.__main__ import main
try:
    main()
finally:
    sys.setprofile(None)
    sys.stderr.write(f"in the command: {seen}\n")
"""


def test_the_console_script_runs_the_command_with_the_collector_on(tmp_path):
    db = tmp_path / "s.db"
    p = subprocess.run([sys.executable, "-c", GC_PROBE, str(db)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "[]"
    # on (and the start-up's objects frozen out of its sight) once list's own code runs
    assert "in the command: [(True, True)]" in p.stderr, p.stderr


def test_the_console_script_pauses_the_collector_while_it_starts():
    code = ("import gc, sys; sys.argv = ['schedcli', '--help']; seen = []\n"
            "def watch_calls(frame, event, arg):\n"
            "    if event == 'call' and frame.f_code.co_name == 'build_app':\n"
            "        seen.append(gc.isenabled())\n"
            "sys.setprofile(watch_calls)\n"
            "from schedcli.__main__ import main\n"
            "try:\n"
            "    main()\n"
            "finally:\n"
            "    sys.setprofile(None)\n"
            "    sys.stderr.write(f'collecting while the tree is built: {seen}\\n')\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "collecting while the tree is built: [False]" in p.stderr, p.stderr
    assert "Usage: schedcli" in p.stdout
