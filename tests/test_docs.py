"""Generated files (completions, man page, docs/cli.md): fresh, complete, and valid.

The generator is scripts/gen_docs.py; when a test here says a file is stale, run
``python scripts/gen_docs.py`` and commit the result.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from schedcli.cli.app import app

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "gen_docs.py"
COMPLETIONS = ROOT / "schedcli" / "share" / "completions"
BASH_SCRIPT = COMPLETIONS / "schedcli.bash"
ZSH_SCRIPT = COMPLETIONS / "_schedcli"
FISH_SCRIPT = COMPLETIONS / "schedcli.fish"
MAN_PAGE = ROOT / "schedcli" / "share" / "man" / "schedcli.1"
REGENERATE = "run `python scripts/gen_docs.py` and commit the result"


def _load_generator():
    spec = importlib.util.spec_from_file_location("gen_docs", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("gen_docs", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


gen_docs = _load_generator()


def _run_generator(*args: str, **env: str) -> subprocess.CompletedProcess:
    full_env = dict(os.environ)
    full_env.update(env)
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True,
                          env=full_env, timeout=120, stdin=subprocess.DEVNULL)


# -- the live command tree ---------------------------------------------------------------


def _commands():
    """(path, command, context) for schedcli and every visible command under it."""
    root = typer.main.get_command(app)
    root_ctx = root.make_context("schedcli", [], resilient_parsing=True)
    out = []

    def walk(command, ctx, path):
        out.append((path, command, ctx))
        if hasattr(command, "list_commands"):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                if sub is None or getattr(sub, "hidden", False):
                    continue
                walk(sub, sub.make_context(name, [], parent=ctx, resilient_parsing=True), path + (name,))

    walk(root, root_ctx, ())
    return out


COMMANDS = _commands()
SUBCOMMANDS = [(path, cmd, ctx) for path, cmd, ctx in COMMANDS if path]


def _long_options(cmd, ctx) -> list[str]:
    return [n for p in cmd.get_params(ctx) if p.param_type_name == "option" and not getattr(p, "hidden", False)
            for n in list(p.opts) + list(p.secondary_opts) if n.startswith("--")]


def _top_level_names() -> list[str]:
    return [path[0] for path, _cmd, _ctx in SUBCOMMANDS if len(path) == 1]


# -- (1) the committed files are what the generator makes --------------------------------


def test_generated_files_are_fresh(tmp_path):
    # an odd terminal and colour settings must not change anything
    r = _run_generator("--out", str(tmp_path), COLUMNS="37", LINES="10", TERM="xterm-256color",
                       FORCE_COLOR="1", NO_COLOR="")
    assert r.returncode == 0, r.stderr
    stale = []
    for rel in gen_docs.OUTPUTS:
        committed = ROOT / rel
        fresh = (tmp_path / rel).read_bytes()
        if not committed.is_file() or committed.read_bytes() != fresh:
            stale.append(rel)
    assert not stale, f"stale generated files: {', '.join(stale)}; {REGENERATE}"


def test_generation_does_not_depend_on_the_environment(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    assert _run_generator("--out", str(one), COLUMNS="200", TERM="dumb", NO_COLOR="1").returncode == 0
    assert _run_generator("--out", str(two), COLUMNS="20", TERM="xterm", TZ="Asia/Tokyo").returncode == 0
    for rel in gen_docs.OUTPUTS:
        assert (one / rel).read_bytes() == (two / rel).read_bytes(), rel


def test_check_lists_stale_and_missing_files(tmp_path):
    assert _run_generator("--out", str(tmp_path)).returncode == 0
    r = _run_generator("--check", "--out", str(tmp_path))
    assert r.returncode == 0 and r.stderr == "", r.stderr

    (tmp_path / "schedcli" / "share" / "man" / "schedcli.1").write_text("stale\n")
    (tmp_path / "schedcli" / "share" / "completions" / "schedcli.fish").unlink()
    r = _run_generator("--check", "--out", str(tmp_path))
    assert r.returncode == 1
    assert "man/schedcli.1" in r.stderr and "completions/schedcli.fish" in r.stderr
    assert "docs/cli.md" not in r.stderr
    assert "python scripts/gen_docs.py" in r.stderr
    assert (tmp_path / "schedcli" / "share" / "man" / "schedcli.1").read_text() == "stale\n"  # --check writes nothing


def test_generated_files_cover_every_command():
    bash, zsh, fish = BASH_SCRIPT.read_text(), ZSH_SCRIPT.read_text(), FISH_SCRIPT.read_text()
    man, md = MAN_PAGE.read_text(), (ROOT / "docs" / "cli.md").read_text()
    for path, cmd, ctx in SUBCOMMANDS:
        name = " ".join(("schedcli",) + path)
        assert f"'{name}')" in bash, name
        assert f"## {name}\n" in md, name
        assert f'.SS "{name.replace("-", chr(92) + "-")}' in man, name
        assert f"'{path[-1]}" in zsh and f"'{path[-1]}'" in fish, name
        for option in _long_options(cmd, ctx):
            assert f"{option}=[" in zsh or f"{option}[" in zsh, (name, option)
            assert f"-l '{option[2:]}'" in fish, (name, option)


# -- (2) every command, argument and option has help text -------------------------------


def test_every_command_argument_and_option_has_help():
    missing = []
    for path, cmd, ctx in COMMANDS:
        name = " ".join(("schedcli",) + path)
        if not (cmd.help or "").strip():
            missing.append(f"{name}: the command")
        for param in cmd.get_params(ctx):
            if getattr(param, "hidden", False):
                continue
            if not (getattr(param, "help", None) or "").strip():
                label = "/".join(param.opts) if param.param_type_name == "option" else (param.metavar or param.name)
                missing.append(f"{name}: {param.param_type_name} {label}")
    assert not missing, "no help text for:\n  " + "\n  ".join(missing)


# -- (3) README's command table names every command -------------------------------------


def _readme_command_table() -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(r"^## Commands\n(.*?)(?=^#|\Z)", text, re.M | re.S)
    assert match, "README.md has no '## Commands' section"
    rows = [line for line in match.group(1).splitlines() if line.startswith("|")]
    assert rows, "README.md's '## Commands' section has no table"
    return "\n".join(rows)


def test_readme_command_table_lists_every_command():
    table = _readme_command_table()
    missing = []
    for path, _cmd, _ctx in SUBCOMMANDS:
        words = " ".join(path)
        if not re.search(r"`" + re.escape(words) + r"(?=[\s`])", table):
            missing.append(words)
    assert not missing, ("README.md's command table (## Commands) does not mention: "
                         + ", ".join(f"`{m}`" for m in missing))


# -- (4) the shells accept the scripts, and complete -------------------------------------


def _need(program: str) -> str:
    found = shutil.which(program)
    if not found:
        pytest.skip(f"{program} is not installed")
    return found


def test_bash_script_parses():
    r = subprocess.run([_need("bash"), "-n", str(BASH_SCRIPT)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_zsh_script_parses():
    r = subprocess.run([_need("zsh"), "-n", str(ZSH_SCRIPT)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_fish_script_parses():
    r = subprocess.run([_need("fish"), "-n", str(FISH_SCRIPT)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_man_page_renders_without_warnings():
    groff = _need("groff")
    r = subprocess.run([groff, "-man", "-Tutf8", "-ww", "-z", str(MAN_PAGE)], capture_output=True, text=True)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    man = shutil.which("man")
    if man:
        r = subprocess.run([man, "--warnings", "-l", str(MAN_PAGE)], capture_output=True, text=True,
                           env={**os.environ, "MANPAGER": "cat", "PAGER": "cat", "MANWIDTH": "80"})
        assert r.returncode == 0 and r.stderr == "", r.stderr
        assert "EXIT STATUS" in r.stdout and "SCHEDCLI_BUSY_TIMEOUT" in r.stdout


def test_man_page_structure():
    text = MAN_PAGE.read_text()
    assert re.search(r'^\.TH SCHEDCLI 1 "[^"]+" ', text, re.M)
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "ENVIRONMENT", "FILES",
                    "EXIT STATUS", "SEE ALSO"):
        assert re.search(rf'^\.SH "?{section}"?$', text, re.M), section
    for var in ("SCHEDCLI_DB", "XDG_DATA_HOME", "NO_COLOR", "SCHEDCLI_BUSY_TIMEOUT"):
        assert f".TP\n\\fB{var}\\fR\n" in text, var
    for code in ("0", "1", "2", "130", "143"):
        assert f".TP\n\\fB{code}\\fR\n" in text, code
    assert ".BR crontab (5)" in text and ".BR cron (8)" in text
    for line in text.splitlines():  # no text line that roff would take for a request
        if not line.startswith((".", "'")):
            continue
        assert re.match(r"^\.(\\\"|[A-Za-z]{1,2}\b)", line), line
    assert "--" not in text.replace("\\-\\-", ""), "unescaped -- in the man page"


@pytest.fixture
def shell_env(tmp_path, db_path, cli):
    """PATH with this environment's schedcli and python3; a database with jobs, another one."""
    bindir = Path(sys.executable).parent
    if not (bindir / "schedcli").exists():
        pytest.skip("schedcli is not installed next to this python")
    for name in ("backup", "poll"):
        assert cli("add", name, "--every", "1h", "--", "true").exit_code == 0
    other = db_path.parent / "other.db"
    assert cli("add", "elsewhere", "--every", "1h", "--", "true", db=other).exit_code == 0
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "notes.txt").write_text("x")
    env = dict(os.environ)
    env.update(PATH=f"{bindir}{os.pathsep}{env.get('PATH', '')}", SCHEDCLI_DB=str(db_path),
               COLUMNS="80", NO_COLOR="1", TERM="dumb")
    return {"env": env, "other": other, "files": tmp_path / "files", "cwd": tmp_path}


def _option_choices(path, option):
    for p, cmd, ctx in COMMANDS:
        if p == path:
            for param in cmd.get_params(ctx):
                if option in param.opts:
                    return [str(i.value) for i in param.shell_complete(ctx, "")]
    raise AssertionError((path, option))


def _cases(shell_env):
    """(command line words with the one being completed last, expected, unexpected)."""
    files = shell_env["files"]
    cases = [
        (["schedcli", ""], set(_top_level_names()), set()),
        (["schedcli", "r"], {n for n in _top_level_names() if n.startswith("r")}, {"add"}),
        (["schedcli", "--d"], {"--db"}, set()),
        (["schedcli", "--db", f"{files}/no"], {f"{files}/notes.txt"}, set()),
        (["schedcli", "add", "x", "--ov"], {"--overlap"}, set()),
        (["schedcli", "add", "x", "--overlap", ""], set(_option_choices(("add",), "--overlap")), set()),
        (["schedcli", "edit", "poll", "--catch-up", ""], set(_option_choices(("edit",), "--catch-up")), set()),
        (["schedcli", "history", "--status", "e"], {"error"}, {"success"}),
        (["schedcli", "show", ""], {"backup", "poll"}, {"elsewhere"}),
        (["schedcli", "run", "b"], {"backup"}, {"poll"}),
        (["schedcli", "--db", str(shell_env["other"]), "rm", ""], {"elsewhere"}, {"backup"}),
        (["schedcli", "add", "new", "--every", "5m", "--", "ech"], {"echo"}, set()),
    ]
    # every command offers all its options
    for path, cmd, ctx in SUBCOMMANDS:
        cases.append((["schedcli", *path, "--"], set(_long_options(cmd, ctx)), set()))
    return cases


def _find(path):
    for p, cmd, ctx in COMMANDS:
        if p == path:
            return cmd, ctx
    raise AssertionError(path)


def _check(results, cases, shell):
    problems = []
    for (words, expected, unexpected), got in zip(cases, results):
        got = set(got)
        if not expected <= got or got & unexpected:
            problems.append(f"{' '.join(words)!r}: expected {sorted(expected - got)}, "
                            f"unexpected {sorted(got & unexpected)}, got {sorted(got)[:20]}")
    assert not problems, f"{shell} completion:\n  " + "\n  ".join(problems)


def test_bash_completion(shell_env):
    bash = _need("bash")
    cases = _cases(shell_env)
    script = [f"source {shlex.quote(str(BASH_SCRIPT))}",
              '_t() { COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE};'
              ' COMPREPLY=(); _schedcli; printf "%s\\n" "${COMPREPLY[@]}"; echo "<case>"; }']
    for words, _e, _u in cases:
        script.append("_t " + " ".join(shlex.quote(w) for w in words))
    r = subprocess.run([bash, "--norc", "--noprofile", "-c", "\n".join(script)], capture_output=True, text=True,
                       env=shell_env["env"], cwd=shell_env["cwd"], timeout=120)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    results = [[x for x in block.split("\n") if x] for block in r.stdout.split("<case>\n")[:-1]]
    assert len(results) == len(cases), r.stdout
    _check(results, cases, "bash")


def test_bash_completion_handles_option_equals_forms(shell_env):
    bash = _need("bash")
    script = f"""source {shlex.quote(str(BASH_SCRIPT))}
COMP_WORDS=(schedcli add x --overlap=r); COMP_CWORD=3; COMPREPLY=(); _schedcli; printf '%s\\n' "${{COMPREPLY[@]}}"; echo '<case>'
COMP_WORDS=(schedcli add x --overlap = a); COMP_CWORD=5; COMPREPLY=(); _schedcli; printf '%s\\n' "${{COMPREPLY[@]}}"; echo '<case>'
COMP_WORDS=(schedcli --db={shlex.quote(str(shell_env['other']))} show ''); COMP_CWORD=3; COMPREPLY=(); _schedcli; printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    r = subprocess.run([bash, "--norc", "--noprofile", "-c", script], capture_output=True, text=True,
                       env=shell_env["env"], timeout=60)
    assert r.stderr == "", r.stderr
    blocks = [b.split() for b in r.stdout.split("<case>\n")]
    assert blocks[0] == ["--overlap=replace"], r.stdout
    assert blocks[1] == ["allow"], r.stdout
    assert blocks[2] == ["elsewhere"], r.stdout


def test_fish_completion(shell_env, tmp_path):
    fish = _need("fish")
    cases = _cases(shell_env)
    lines = tmp_path / "lines.txt"
    lines.write_text("".join(" ".join(shlex.quote(w) if w else "" for w in words[:-1]) + " " + words[-1] + "\n"
                             for words, _e, _u in cases))
    script = (f"source {shlex.quote(str(FISH_SCRIPT))}\n"
              f"for line in (cat {shlex.quote(str(lines))})\n"
              "    complete -C \"$line\"\n    echo '<case>'\nend\n")
    r = subprocess.run([fish, "--no-config", "-c", script], capture_output=True, text=True,
                       env=shell_env["env"], cwd=shell_env["cwd"], timeout=120)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    results = [[x.split("\t")[0] for x in block.split("\n") if x] for block in r.stdout.split("<case>\n")[:-1]]
    assert len(results) == len(cases), r.stdout
    _check(results, cases, "fish")
