#!/usr/bin/env python3
"""Generate schedcli's shell completions, man page and command reference from the live CLI.

    python scripts/gen_docs.py            # rewrite every generated file
    python scripts/gen_docs.py --check    # exit 1 and list the files that are stale
    python scripts/gen_docs.py --out DIR  # write (or --check) under DIR instead of the project root

Everything is derived from the command objects that ``typer.main.get_command(app)``
returns (commands, their help, arguments and options, choices), so commands added
later -- in any command module joined in schedcli/cli/app.py -- are picked up on the
next run. No ``--help`` output is captured: the text is built from the objects
directly, so the result does not depend on the terminal width, colours or the environment.

The few things the command objects cannot say are in the tables just below
(how to complete a value: job names, zones...; ENVIRONMENT, FILES, EXIT STATUS).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any, Callable, Optional

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

import typer.main  # noqa: E402

from schedcli import __version__  # noqa: E402
from schedcli.cli.app import app  # noqa: E402
from schedcli.cli.helptext import PROG, Cmd, build, first_paragraph, help_text, paragraphs  # noqa: E402

WIDTH = 80  # docs/cli.md wraps here, whatever the terminal

# ---------------------------------------------------------------------------------
# What the command objects cannot tell
# ---------------------------------------------------------------------------------

# Values completed at completion time by asking schedcli itself: kind -> (the
# subcommand and its arguments printing a JSON list, the key to print from each item).
# Root options with a value given on the command line (--db) are passed along.
DYNAMIC: dict[str, tuple[tuple[str, ...], str]] = {
    "job": (("list", "--json"), "name"),
    "collector": (("collectors", "--json"), "name"),
    "run": (("history", "--json"), "id"),
}
# Python one-liners for the dynamic kinds that do not need schedcli.
ZONES_PY = "import zoneinfo;[print(z) for z in sorted(zoneinfo.available_timezones())]"
# Commands whose NAME argument names a *new* job, so existing names are no help.
NEW_NAME_COMMANDS = {("add",)}


def value_kind(path: tuple[str, ...], param: Any) -> Optional[str]:
    """How to complete a parameter's value when it has no fixed choices."""
    name = (param.name or "").lower()
    metavar = (param.metavar or "").strip("[]<>.").upper()
    if name in ("name", "job", "target") or metavar in ("NAME", "JOB", "JOB|RUN_ID"):
        if param.param_type_name == "argument" and path in NEW_NAME_COMMANDS:
            return None
        return "job"
    if name == "collector":
        return "collector"
    if name in ("run_id", "run") or metavar in ("RUN_ID", "RUN"):
        return "run"
    if name in ("tz", "zone", "timezone") or metavar == "ZONE":
        return "zone"
    kind = _path_kind(param)
    if kind:
        return kind
    if metavar in ("FILE", "PATH"):
        return "file"
    if metavar in ("DIR", "DIRECTORY"):
        return "dir"
    if param.param_type_name == "argument" and param.nargs == -1 and "COMMAND" in metavar:
        return "command"
    return None


def _path_kind(param: Any) -> Optional[str]:
    """'file' or 'dir' for parameters declared as paths or files (Typer or click style)."""
    desc = getattr(param, "type_descriptor", None)  # Typer >= 0.2x
    if desc is not None:
        info = getattr(desc, "parameter_info", None)
        if getattr(desc, "is_file", False):
            return "file"
        if getattr(desc, "is_path", False):
            if info is not None and getattr(info, "dir_okay", True) and not getattr(info, "file_okay", True):
                return "dir"
            return "file"
    ptype = getattr(param, "type", None)  # click-style parameter types
    if ptype is not None:
        kind = type(ptype).__name__
        if kind == "Path":
            return "dir" if not getattr(ptype, "file_okay", True) else "file"
        if kind == "File":
            return "file"
    return None


ENVIRONMENT_VARIABLES: tuple[tuple[str, str], ...] = (
    ("XDG_DATA_HOME", "Where the default database lives: $XDG_DATA_HOME/schedcli/schedcli.db "
     "(when unset or not absolute, ~/.local/share/schedcli/schedcli.db)."),
    ("SCHEDCLI_CONFIG", "The configuration file [default: $XDG_CONFIG_HOME/schedcli/config.toml]."),
    ("XDG_CONFIG_HOME", "Where the configuration file and the systemd user unit live [default: ~/.config]."),
    ("XDG_STATE_HOME", "Where the crontab entry's log goes by default [default: ~/.local/state]."),
    ("NO_COLOR", "When set to a non-empty value, output has no colour (as when stdout is not a terminal)."),
    ("SCHEDCLI_BUSY_TIMEOUT", "Seconds to wait for a database locked by another schedcli process "
     "before failing with exit status 1 [default: 10]."),
    ("TZ", "The machine's time zone, used for --now, --after and jobs added without --tz "
     "(else /etc/localtime)."),
)
JOB_ENVIRONMENT = ("SCHEDCLI_JOB", "SCHEDCLI_RUN_ID", "SCHEDCLI_SCHEDULED_FOR", "SCHEDCLI_TRIGGER",
                   "SCHEDCLI_ATTEMPT", "SCHEDCLI_DB")
FILES: tuple[tuple[str, str], ...] = (
    ("$XDG_DATA_HOME/schedcli/schedcli.db", "The default database, created mode 0600 in a 0700 directory "
     "(~/.local/share/schedcli/schedcli.db when XDG_DATA_HOME is unset)."),
    ("$XDG_CONFIG_HOME/schedcli/config.toml", "Optional configuration: defaults for new jobs and runners, "
     "retention and hooks (see schedcli config)."),
    ("$XDG_STATE_HOME/schedcli/cron.log", "Default log of the crontab entry written by schedcli cron install."),
    ("$XDG_CONFIG_HOME/systemd/user/schedcli.service", "The unit written by schedcli systemd unit --install for the default "
     "database (another database gets schedcli-NAME-HASH.service, so that each has its own)."),
)
EXIT_STATUS: tuple[tuple[str, str], ...] = (
    ("0", "Success (for run: the run ended success or warning; for run-due: nothing that ran failed)."),
    ("1", "A run failed (error, timeout, interrupted), or a failure at run time: database busy, corrupt, "
     "read-only or unsafe, job already running."),
    ("2", "Invalid input: bad cron expression, zone, duration, time, job name, KEY=VALUE, unknown job "
     "or run, missing option. One Error: line is printed on stderr and nothing was changed."),
    ("130", "Stopped by SIGINT (running jobs were terminated and recorded interrupted)."),
    ("143", "Stopped by SIGTERM (running jobs were terminated and recorded interrupted)."),
)
SEE_ALSO = (("crontab", "5"), ("cron", "8"))

# ---------------------------------------------------------------------------------
# The model: schedcli.cli.helptext describes the command tree (the same model --help uses)
# ---------------------------------------------------------------------------------


def load_tree() -> Cmd:
    command = typer.main.get_command(app)
    ctx = command.make_context(PROG, [], resilient_parsing=True)
    tree = build(command, ctx, (), value_kind)
    _check_dynamic_sources(tree)
    return tree


def _check_dynamic_sources(tree: Cmd) -> None:
    """The commands the completions call must exist, with the options they are given."""
    by_path = {c.path: c for c in tree.walk()}
    for kind, (argv, _key) in DYNAMIC.items():
        words = [w for w in argv if not w.startswith("-")]
        flags = [w for w in argv if w.startswith("-")]
        cmd = by_path.get(tuple(words))
        known = {n for o in cmd.options for n in o.names} if cmd else set()
        if cmd is None or not set(flags) <= known:
            raise SystemExit(f"gen_docs: completing {kind} values calls `{PROG} {' '.join(argv)}`, "
                             "which the CLI no longer has; update DYNAMIC in scripts/gen_docs.py")


def root_value_options(tree: Cmd) -> list[str]:
    """Root options that take a value, passed on to the schedcli calls made while completing."""
    return [n for o in tree.options if not o.flag for n in o.names]


def dynamic_python(kind: str) -> str:
    if kind == "zone":
        return ZONES_PY
    key = DYNAMIC[kind][1]
    return f"import json,sys;[print(o[{json.dumps(key)}]) for o in json.load(sys.stdin)]"


def header(comment: str) -> str:
    return (f"{comment} Generated by scripts/gen_docs.py from the live schedcli command line; do not edit.\n"
            f"{comment} Regenerate with: python scripts/gen_docs.py\n")


# ---------------------------------------------------------------------------------
# bash
# ---------------------------------------------------------------------------------


def sq(text: str) -> str:
    """Single-quote for POSIX shells (bash, zsh)."""
    return "'" + text.replace("'", "'\\''") + "'"


def render_bash(tree: Cmd) -> str:
    cmds = list(tree.walk())
    node_lines, optval_lines, arg_lines = [], [], []
    for c in cmds:
        subs = " ".join(s.path[-1] for s in c.subcommands)
        opts = " ".join(n for o in c.options for n in o.names)
        vopts = " ".join(n for o in c.options if not o.flag for n in o.names)
        node_lines.append(f"        {sq(c.name)}) subs={sq(subs)}; opts={sq(opts)}; vopts={sq(vopts)} ;;")
        for o in c.options:
            if o.flag or not (o.choices or o.kind):
                continue
            action = ("choice " + " ".join(o.choices)) if o.choices else o.kind
            pattern = "|".join(sq(f"{c.name} {n}") for n in o.names)
            optval_lines.append(f"        {pattern}) echo {sq(action)} ;;")
        for i, a in enumerate(c.arguments):
            action = sq("choice " + " ".join(a.choices)) if a.choices else (a.kind or "none")
            if a.variadic:
                if a.kind == "command":
                    arg_lines.append(f"        {sq(f'{c.name} {i}')}) echo command ;;")
                    arg_lines.append(f"        {sq(f'{c.name} ')}*) echo file ;;")
                else:
                    arg_lines.append(f"        {sq(f'{c.name} ')}*) echo {action} ;;")
                break
            arg_lines.append(f"        {sq(f'{c.name} {i}')}) echo {action} ;;")
    dyn_lines = []
    for kind, (argv, _key) in DYNAMIC.items():
        dyn_lines.append(f"        {kind}) out=$(\"$prog\" \"${{fwd[@]}}\" {' '.join(argv)} 2>/dev/null "
                         f"| python3 -c {sq(dynamic_python(kind))} 2>/dev/null) ;;")
    dyn_lines.append(f"        zone) out=$(python3 -c {sq(dynamic_python('zone'))} 2>/dev/null) ;;")
    root_vopts = " ".join(root_value_options(tree))

    return f"""# bash completion for {PROG}                                    -*- shell-script -*-
{header('#')}#
# Use: source this file from ~/.bashrc, or install it as
#   ${{XDG_DATA_HOME:-$HOME/.local/share}}/bash-completion/completions/{PROG}
# Job names (and collectors, run ids) are asked from `{PROG} ... --json` while completing;
# that needs python3 on PATH and fails quietly.

# _{PROG}_node PATH: the subcommands, options and value-taking options of PATH.
_{PROG}_node() {{
    subs='' opts='' vopts=''
    case $1 in
{chr(10).join(node_lines)}
    esac
}}

# _{PROG}_optval "PATH OPTION": how to complete the option's value.
_{PROG}_optval() {{
    case $1 in
{chr(10).join(optval_lines)}
        *) echo none ;;
    esac
}}

# _{PROG}_arg "PATH INDEX": how to complete the INDEX-th positional argument (0-based);
# "end" when the command takes no more arguments.
_{PROG}_arg() {{
    case $1 in
{chr(10).join(arg_lines)}
        *) echo end ;;
    esac
}}

_{PROG}_add_lines() {{
    local line
    while IFS= read -r line; do
        [[ -n $line ]] && COMPREPLY+=("$line")
    done
}}

# _{PROG}_values KIND: complete $cur with values of KIND (uses prog, fwd and cur).
_{PROG}_values() {{
    local out=''
    case $1 in
        choice\\ *)
            _{PROG}_add_lines < <(compgen -W "${{1#choice }}" -- "$cur") ;;
        file)
            compopt -o filenames 2>/dev/null
            _{PROG}_add_lines < <(compgen -f -- "$cur") ;;
        dir)
            compopt -o filenames 2>/dev/null
            _{PROG}_add_lines < <(compgen -d -- "$cur") ;;
        command)
            _{PROG}_add_lines < <(compgen -c -- "$cur") ;;
        job|collector|run|zone)
            case $1 in
{chr(10).join('    ' + line for line in dyn_lines)}
            esac
            _{PROG}_add_lines < <(compgen -W "$out" -- "$cur") ;;
    esac
}}

_{PROG}() {{
    local cur=${{COMP_WORDS[COMP_CWORD]}} prev='' path={PROG} subs opts vopts
    local i=1 w npos=0 dashdash='' opt='' prefix='' kind
    local prog=${{COMP_WORDS[0]}}
    local -a fwd=()
    local root_vopts={sq(root_vopts)}
    command -v "$prog" >/dev/null 2>&1 || prog={PROG}
    COMPREPLY=()
    _{PROG}_node "$path"

    # Walk the words before the cursor: find the (sub)command, count its arguments.
    while (( i < COMP_CWORD )); do
        w=${{COMP_WORDS[i]}}
        if [[ -n $dashdash ]]; then
            (( npos++ ))
        elif [[ $w == -- ]]; then
            dashdash=1
        elif [[ $w == -* ]]; then
            if [[ $w == *=* ]]; then
                [[ $path == {PROG} && " $root_vopts " == *" ${{w%%=*}} "* ]] && fwd+=("$w")
            elif [[ " $vopts " == *" $w "* ]]; then
                (( i++ ))
                [[ ${{COMP_WORDS[i]}} == = ]] && (( i++ ))
                if [[ $path == {PROG} && " $root_vopts " == *" $w "* ]] && (( i < COMP_CWORD )); then
                    fwd+=("$w" "${{COMP_WORDS[i]}}")
                fi
            fi
        elif [[ $w == = ]]; then
            :
        elif (( npos == 0 )) && [[ -n $subs && " $subs " == *" $w "* ]]; then
            path+=" $w"
            _{PROG}_node "$path"
        else
            (( npos++ ))
        fi
        (( i++ ))
    done

    # The value of an option: "--opt VALUE", "--opt=VALUE" (one word or split at '=').
    if [[ -z $dashdash ]]; then
        (( COMP_CWORD > 0 )) && prev=${{COMP_WORDS[COMP_CWORD-1]}}
        if [[ $cur == -*=* ]]; then
            opt=${{cur%%=*}} prefix="$opt=" cur=${{cur#*=}}
        elif [[ $cur == = && $prev == -* ]]; then
            opt=$prev cur=''
        elif [[ $prev == = ]] && (( COMP_CWORD > 1 )); then
            opt=${{COMP_WORDS[COMP_CWORD-2]}}
        elif [[ $prev == -* && $prev != *=* ]]; then
            opt=$prev
        fi
        if [[ -n $opt && " $vopts " == *" $opt "* ]]; then
            _{PROG}_values "$(_{PROG}_optval "$path $opt")"
            if [[ -n $prefix ]]; then
                COMPREPLY=("${{COMPREPLY[@]/#/$prefix}}")
            fi
            return 0
        fi
    fi

    if [[ -z $dashdash && $cur == -* ]]; then
        _{PROG}_add_lines < <(compgen -W "$opts" -- "$cur")
    elif (( npos == 0 )) && [[ -n $subs ]]; then
        _{PROG}_add_lines < <(compgen -W "$subs" -- "$cur")
    else
        kind=$(_{PROG}_arg "$path $npos")
        if [[ $kind == end ]]; then
            [[ -z $dashdash ]] && _{PROG}_add_lines < <(compgen -W "$opts" -- "$cur")
        else
            _{PROG}_values "$kind"
        fi
    fi
    return 0
}}

complete -F _{PROG} {PROG}
"""


# ---------------------------------------------------------------------------------
# zsh
# ---------------------------------------------------------------------------------


def zsh_func(c: Cmd) -> str:
    return "_" + PROG + "".join("__" + re.sub(r"[^A-Za-z0-9]", "_", p) for p in c.path)


def zsh_desc(text: str) -> str:
    """Text for inside _arguments' [...]."""
    return re.sub(r"([\\\[\]])", r"\\\1", " ".join(first_paragraph(text).split()))


def zsh_msg(text: str) -> str:
    """Text for an _arguments message (between colons)."""
    return re.sub(r"([\\:])", r"\\\1", " ".join(text.split())) or " "


def zsh_action(kind: Optional[str], choices: tuple[str, ...]) -> str:
    if choices:
        return "(" + " ".join(re.sub(r"([\\\s():'\"])", r"\\\1", c) for c in choices) + ")"
    return {
        "file": "_files",
        "dir": "_files -/",
        "job": f"_{PROG}_dynamic job",
        "collector": f"_{PROG}_dynamic collector",
        "run": f"_{PROG}_dynamic run",
        "zone": f"_{PROG}_dynamic zone",
        "command": "_command_names -e",
    }.get(kind or "", " ")


def zsh_option_specs(c: Cmd) -> list[str]:
    specs = []
    for o in c.options:
        exclusive = "" if o.multiple or len(o.names) < 2 else "(" + " ".join(o.names) + ")"
        star = "*" if o.multiple else ""
        for n in o.names:
            if o.flag:
                form = n
            elif n.startswith("--"):
                form = n + "="
            else:
                form = n + "+"
            spec = f"{exclusive}{star}{form}[{zsh_desc(o.help)}]"
            if not o.flag:
                spec += f":{zsh_msg(o.metavar)}:{zsh_action(o.kind, o.choices)}"
            specs.append(sq(spec))
    return specs


def render_zsh_leaf(c: Cmd) -> str:
    specs = zsh_option_specs(c)
    command_at = 0  # 1-based position of a variadic COMMAND [ARG...] argument
    for i, a in enumerate(c.arguments, start=1):
        msg = zsh_msg(first_paragraph(a.help) or a.metavar)
        if a.variadic:
            if a.kind == "command":
                command_at = i
                specs.append(sq(f"*:{msg}:->command"))
            else:
                specs.append(sq(f"*:{msg}:{zsh_action(a.kind, a.choices)}"))
            break
        colon = ":" if a.required else "::"
        specs.append(sq(f"{i}{colon}{msg}:{zsh_action(a.kind, a.choices)}"))
    if not command_at:
        body = " \\\n    ".join(["_arguments -S -s :"] + specs)
        return f"""{zsh_func(c)}() {{
  {body}
}}
"""
    body = " \\\n    ".join(["_arguments -C -S -s :"] + specs)
    return f"""{zsh_func(c)}() {{
  local curcontext=$curcontext state state_descr line ret=1
  local -A opt_args
  {body} && ret=0
  if [[ $state == command ]]; then
    # the first word is a command, the others its arguments
    if (( ${{#line}} <= {command_at} )); then
      _command_names -e && ret=0
    else
      _files && ret=0
    fi
  fi
  return ret
}}
"""


def render_zsh_group(c: Cmd, root: bool) -> str:
    specs = zsh_option_specs(c)
    specs += [sq("1: :->command"), sq("*:: :->args")]
    body = " \\\n    ".join(["_arguments -C -S -s :"] + specs)
    cmds = "\n".join("        " + sq(s.path[-1].replace(":", "\\:") + ":" + " ".join(s.summary.split()))
                     for s in c.subcommands)
    cases = "\n".join(f"        {sq(s.path[-1])}) {zsh_func(s)} && ret=0 ;;" for s in c.subcommands)
    fwd = ""
    if root:
        lines = ["  local prog=$words[1]", "  local -a fwd=()",
                 f"  [[ -x $prog ]] || (( $+commands[$prog] )) || prog={PROG}"]
        fwd = "\n".join(lines) + "\n"
    collect = ""
    if root:
        collect = "".join(
            f"      (( $+opt_args[{n}] )) && fwd+=({n} \"${{opt_args[{n}]}}\")\n"
            for n in root_value_options(c)
        )
    return f"""{zsh_func(c)}() {{
  local curcontext=$curcontext state state_descr line ret=1
  local -A opt_args
{fwd}  {body} && ret=0
  case $state in
    command)
      local -a subcommands=(
{cmds}
      )
      _describe -t commands {sq(c.name + ' command')} subcommands && ret=0
      ;;
    args)
{collect}      curcontext=${{curcontext%:*:*}}:{c.name.replace(' ', '-')}-$words[1]:
      case $words[1] in
{cases}
      esac
      ;;
  esac
  return ret
}}
"""


def render_zsh(tree: Cmd) -> str:
    funcs = []
    for c in tree.walk():
        funcs.append(render_zsh_group(c, c is tree) if c.is_group else render_zsh_leaf(c))
    dyn = "\n".join(
        f"    {kind}) items=(${{(f)\"$(\"$prog\" \"${{fwd[@]}}\" {' '.join(argv)} 2>/dev/null "
        f"| python3 -c {sq(dynamic_python(kind))} 2>/dev/null)\"}}) ;;"
        for kind, (argv, _key) in DYNAMIC.items()
    )
    return f"""#compdef {PROG}
{header('#')}#
# Use: put this file, named _{PROG}, in a directory of your $fpath before compinit runs
# (or source it after compinit). Job names (and collectors, run ids) are asked from
# `{PROG} ... --json` while completing; that needs python3 on PATH and fails quietly.

# _{PROG}_dynamic [COMPADD-OPTIONS...] KIND: values asked from {PROG} (uses prog and fwd
# from _{PROG}); _arguments puts its compadd options before KIND.
_{PROG}_dynamic() {{
  local -a items
  [[ -n $prog ]] || local prog={PROG}
  case ${{@[-1]}} in
{dyn}
    zone) items=(${{(f)"$(python3 -c {sq(dynamic_python('zone'))} 2>/dev/null)"}}) ;;
  esac
  compadd "${{@[1,-2]}}" -a items
}}

{chr(10).join(funcs)}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  _{PROG} "$@"
else
  compdef _{PROG} {PROG}
fi
"""


# ---------------------------------------------------------------------------------
# fish
# ---------------------------------------------------------------------------------


def fq(text: str) -> str:
    """Single-quote for fish."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def fdq(text: str) -> str:
    """Double-quote for fish (for conditions that hold single-quoted words)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$") + '"'


def fish_value_args(kind: Optional[str], choices: tuple[str, ...]) -> str:
    if choices:
        return "-x -a " + fq(" ".join(choices))
    return {
        "file": "-r -F",
        "dir": "-x -a '(__fish_complete_directories (commandline -ct))'",
        "job": f"-x -a '(__{PROG}_dynamic job)'",
        "collector": f"-x -a '(__{PROG}_dynamic collector)'",
        "run": f"-x -a '(__{PROG}_dynamic run)'",
        "zone": f"-x -a '(__{PROG}_dynamic zone)'",
        "command": "-x -a '(__fish_complete_command)'",
    }.get(kind or "", "-x")


def render_fish(tree: Cmd) -> str:
    cmds = list(tree.walk())
    sub_cases, vopt_cases, lines = [], [], []
    for c in cmds:
        if c.subcommands:
            sub_cases.append(f"        case {fq(c.name)}\n"
                             f"            printf '%s\\n' {' '.join(fq(s.path[-1]) for s in c.subcommands)}")
        vopts = [n for o in c.options if not o.flag for n in o.names]
        if vopts:
            vopt_cases.append(f"        case {fq(c.name)}\n            printf '%s\\n' {' '.join(fq(n) for n in vopts)}")
    for c in cmds:
        lines.append(f"\n# {c.name}")
        for s in c.subcommands:
            lines.append(f"complete -c {PROG} -n {fdq(f'__{PROG}_needs_command {fq(c.name)}')} "
                         f"-a {fq(s.path[-1])} -d {fq(s.summary)}")
        for o in c.options:
            flags = []
            for n in o.names:
                if n.startswith("--"):
                    flags.append(f"-l {fq(n[2:])}")
                elif len(n) == 2:
                    flags.append(f"-s {fq(n[1:])}")
                else:
                    flags.append(f"-o {fq(n[1:])}")
            value = "" if o.flag else " " + fish_value_args(o.kind, o.choices)
            lines.append(f"complete -c {PROG} -n {fdq(f'__{PROG}_using {fq(c.name)}')} {' '.join(flags)}"
                         f"{value} -d {fq(first_paragraph(o.help))}")
        for i, a in enumerate(c.arguments):
            index = f"{i}+" if a.variadic else str(i)
            if a.variadic and a.kind == "command":
                lines.append(f"complete -c {PROG} -n {fdq(f'__{PROG}_argument {fq(c.name)} {i}')} "
                             f"-a '(__fish_complete_command)'")
                lines.append(f"complete -c {PROG} -n {fdq(f'__{PROG}_argument {fq(c.name)} {i + 1}+')} -F")
                break
            if a.kind is None and not a.choices:
                continue
            args = fish_value_args(a.kind, a.choices).replace("-x ", "").replace("-r ", "")
            lines.append(f"complete -c {PROG} -n {fdq(f'__{PROG}_argument {fq(c.name)} {index}')} {args}")
            if a.variadic:
                break
    dyn = "\n".join(
        f"        case {kind}\n            command $prog $__{PROG}_fwd {' '.join(argv)} 2>/dev/null "
        f"| python3 -c {fq(dynamic_python(kind))} 2>/dev/null"
        for kind, (argv, _key) in DYNAMIC.items()
    )
    root_vopts = " ".join(fq(n) for n in root_value_options(tree))
    return f"""# fish completion for {PROG}
{header('#')}#
# Use: copy this file to ~/.config/fish/completions/{PROG}.fish
# Job names (and collectors, run ids) are asked from `{PROG} ... --json` while
# completing; that needs python3 on PATH and fails quietly.

function __{PROG}_subcommands --argument-names path
    switch $path
{chr(10).join(sub_cases)}
    end
end

function __{PROG}_value_options --argument-names path
    switch $path
{chr(10).join(vopt_cases)}
    end
end

# Sets __{PROG}_path (e.g. "{PROG} add"), __{PROG}_npos (arguments given so far),
# __{PROG}_dashdash (1 after --) and __{PROG}_fwd (root options passed on to {PROG}).
function __{PROG}_state
    set -l words (commandline -opc)
    # every completion entry asks: work it out once per command line
    set -l key "$words"
    if set -q __{PROG}_key; and test "$__{PROG}_key" = "$key"
        return 0
    end
    set -g __{PROG}_key $key
    set -e words[1]
    set -g __{PROG}_path {PROG}
    set -g __{PROG}_npos 0
    set -g __{PROG}_dashdash 0
    set -g __{PROG}_fwd
    set -l root_vopts {root_vopts}
    set -l skip 0
    set -l pass 0
    for w in $words
        if test $skip -eq 1
            set skip 0
            if test $pass -eq 1
                set pass 0
                set -a __{PROG}_fwd $w
            end
            continue
        end
        if test $__{PROG}_dashdash -eq 1
            set __{PROG}_npos (math $__{PROG}_npos + 1)
            continue
        end
        switch $w
            case --
                set __{PROG}_dashdash 1
            case '-*=*'
                set -l name (string split -m 1 = -- $w)[1]
                if test "$__{PROG}_path" = {PROG}; and contains -- $name $root_vopts
                    set -a __{PROG}_fwd $w
                end
            case '-*'
                if contains -- $w (__{PROG}_value_options "$__{PROG}_path")
                    set skip 1
                    if test "$__{PROG}_path" = {PROG}; and contains -- $w $root_vopts
                        set -a __{PROG}_fwd $w
                        set pass 1
                    end
                end
            case '*'
                if test $__{PROG}_npos -eq 0; and contains -- $w (__{PROG}_subcommands "$__{PROG}_path")
                    set __{PROG}_path "$__{PROG}_path $w"
                else
                    set __{PROG}_npos (math $__{PROG}_npos + 1)
                end
        end
    end
    # an option still waiting for its value is not passed on
    if test $pass -eq 1
        set -e __{PROG}_fwd[-1]
    end
end

# At PATH, where a subcommand is expected.
function __{PROG}_needs_command --argument-names path
    __{PROG}_state
    test "$__{PROG}_path" = "$path"; and test $__{PROG}_npos -eq 0; and test $__{PROG}_dashdash -eq 0
end

# At PATH, where options are accepted.
function __{PROG}_using --argument-names path
    __{PROG}_state
    test "$__{PROG}_path" = "$path"; and test $__{PROG}_dashdash -eq 0
end

# At PATH, completing positional argument INDEX (0-based; "N+" for N or later).
function __{PROG}_argument --argument-names path index
    __{PROG}_state
    test "$__{PROG}_path" = "$path"; or return 1
    if string match -q -- '*+' $index
        test $__{PROG}_npos -ge (string trim -r -c + -- $index)
    else
        test $__{PROG}_npos -eq $index
    end
end

# Values asked from {PROG} (or python3) while completing; quiet on any error.
function __{PROG}_dynamic --argument-names kind
    __{PROG}_state
    set -l prog (commandline -opc)[1]
    command -q $prog; or set prog {PROG}
    switch $kind
{dyn}
        case zone
            python3 -c {fq(dynamic_python('zone'))} 2>/dev/null
    end
end

complete -c {PROG} -f
{chr(10).join(lines)}
"""


# ---------------------------------------------------------------------------------
# man page
# ---------------------------------------------------------------------------------


def roff(text: str) -> str:
    """Escape text for roff: backslashes, '-', and '.' or "'" at the start of a line."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    text = "".join(ch if ch.isascii() else f"\\[u{ord(ch):04X}]" for ch in text)  # troff reads ASCII
    return "\n".join("\\&" + line if line[:1] in (".", "'") else line for line in text.split("\n"))


def roff_arg(text: str) -> str:
    """A macro argument in double quotes."""
    return '"' + roff(text).replace('"', "\\(dq") + '"'


def roff_paragraphs(text: str) -> list[str]:
    out = []
    for verbatim, para in paragraphs(text):
        out.append(".PP")
        if verbatim:
            out += [".nf", roff(para), ".fi"]
        else:
            out.append(roff(para))
    return out


def roff_option(o: Opt) -> list[str]:
    names = ", ".join(f"\\fB{roff(n)}\\fR" for n in o.names)
    if not o.flag:
        names += f" \\fI{roff(o.metavar)}\\fR"
    body = " ".join(x for x in [" ".join(first_paragraph(o.help).split())] + o.extra if x)
    lines = [".TP", names, roff(body)]
    for _verbatim, para in paragraphs(o.help)[1:]:
        lines += [".IP", roff(para)]
    return lines


def render_man(tree: Cmd) -> str:
    out = [
        ".\\\" Generated by scripts/gen_docs.py from the live schedcli command line; do not edit.",
        ".\\\" Regenerate with: python scripts/gen_docs.py",
        f".TH {PROG.upper()} 1 {roff_arg('version ' + __version__)} {roff_arg(PROG + ' ' + __version__)} "
        f"{roff_arg('User Commands')}",
        ".nh",  # no hyphenation: option names and paths must stay whole
        ".ad l",
        ".SH NAME",
        f"{PROG} \\- {roff(first_paragraph(tree.help).rstrip('.'))}",
        ".SH SYNOPSIS",
        f".B {PROG}",
        "[\\fIOPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]...",
    ]
    for c in tree.walk():
        if c is tree:
            continue
        out += [".br", f".B {roff(c.name)}"]
        rest = c.usage()[len(c.name):].strip()
        if rest:
            out.append(roff(rest))
    out.append(".SH DESCRIPTION")
    out += roff_paragraphs(tree.help)
    out.append(".SH OPTIONS")
    out.append("These options go before the command.")
    for o in tree.options:
        out += roff_option(o)
    out.append(".SH COMMANDS")
    for c in tree.walk():
        if c is tree:
            continue
        out.append(f".SS {roff_arg(c.usage())}")
        out += roff_paragraphs(c.help)
        if c.arguments:
            out.append(".PP\nArguments:")
            for a in c.arguments:
                out += [".TP", f"\\fI{roff(a.metavar)}\\fR",
                        roff(" ".join(x for x in [first_paragraph(a.help), "[required]" if a.required else ""] if x))]
        if c.options:
            out.append(".PP\nOptions:")
            for o in c.options:
                out += roff_option(o)
        if c.examples:
            out += [".PP", "Examples:", ".RS", ".nf"] + [roff(line) for line in c.examples] + [".fi", ".RE"]
        if c.epilog:
            out += roff_paragraphs(c.epilog)
    out.append(".SH ENVIRONMENT")
    envvars = []
    for c in tree.walk():
        for o in c.options:
            for extra in o.extra:
                if extra.startswith("[env var: "):
                    envvars.append((extra[len("[env var: "):-1], f"Used when {' or '.join(o.long_names)} "
                                    f"is not given ({c.name}): {first_paragraph(o.help)}"))
    for name, text in envvars + list(ENVIRONMENT_VARIABLES):
        out += [".TP", f"\\fB{roff(name)}\\fR", roff(text)]
    out += [".PP", roff("Jobs run with schedcli's environment plus " + ", ".join(JOB_ENVIRONMENT)
                        + ", then the job's own --env values.")]
    out.append(".SH FILES")
    for name, text in FILES:
        out += [".TP", f"\\fI{roff(name)}\\fR", roff(text)]
    out.append(".SH EXIT STATUS")
    for code, text in EXIT_STATUS:
        out += [".TP", f"\\fB{code}\\fR", roff(text)]
    out.append(".SH SEE ALSO")
    out.append(",\n".join(f".BR {name} ({section})" for name, section in SEE_ALSO))
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------
# docs/cli.md
# ---------------------------------------------------------------------------------


def render_markdown(tree: Cmd) -> str:
    out = [
        "# Command reference",
        "",
        "<!-- Generated by scripts/gen_docs.py from the live schedcli command line; do not edit.",
        "     Regenerate with: python scripts/gen_docs.py -->",
        "",
        f"Every `{PROG}` command with its usage, arguments and options, as its `--help` shows them",
        f"(version {__version__}). The README has a tour, the formats and how runs behave; `man {PROG}`",
        "has the same reference plus environment, files and exit status.",
        "",
    ]
    for c in tree.walk():
        if c is not tree:
            out.append(f"- [`{c.name}`](#{re.sub(r'[^a-z0-9 -]', '', c.name.lower()).replace(' ', '-')}): "
                       f"{c.summary}")
    out.append("")
    for c in tree.walk():
        level = "#" * min(2 + len(c.path), 6) if c.path else "##"
        out += [f"{level} {c.name}", "", "```", help_text(c, WIDTH).rstrip("\n"), "```", ""]
    return "\n".join(out).rstrip("\n") + "\n"


# ---------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------

# The completions and the man page are package data (schedcli completion SHELL prints them).
OUTPUTS: dict[str, Callable[[Cmd], str]] = {
    "schedcli/share/completions/schedcli.bash": render_bash,
    "schedcli/share/completions/_schedcli": render_zsh,
    "schedcli/share/completions/schedcli.fish": render_fish,
    "schedcli/share/man/schedcli.1": render_man,
    "docs/cli.md": render_markdown,
}


def generate() -> dict[str, str]:
    tree = load_tree()
    return {rel: render(tree) for rel, render in OUTPUTS.items()}


def stale_files(root: Path, generated: dict[str, str]) -> list[str]:
    stale = []
    for rel, text in generated.items():
        path = root / rel
        if not path.is_file() or path.read_bytes() != text.encode("utf-8"):
            stale.append(rel)
    return stale


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 listing stale files")
    parser.add_argument("--out", type=Path, default=ROOT, help="root to write or check [default: the project]")
    args = parser.parse_args(argv)
    generated = generate()
    if args.check:
        stale = stale_files(args.out, generated)
        if stale:
            print("stale generated files (run `python scripts/gen_docs.py`):", file=sys.stderr)
            for rel in stale:
                print(f"  {rel}", file=sys.stderr)
            return 1
        return 0
    for rel, text in generated.items():
        path = args.out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_bytes() != text.encode("utf-8"):
            path.write_bytes(text.encode("utf-8"))
            print(f"wrote {rel}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
