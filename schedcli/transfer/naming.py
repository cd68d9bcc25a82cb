"""Job names for imported crontab lines: the file's name and the program a command runs.

A crontab command is shell text.  :func:`simple_commands` cuts it into simple commands
(quotes removed, command substitutions kept whole, redirections and shell keywords
dropped) and :func:`derive_name` picks the program that does the work: guards such as
``test``, ``[`` or ``command -v`` and plumbing such as ``cd`` are passed over, wrappers
(``nice``, ``sudo -u www``, ``flock LOCK``) are looked through, an interpreter names its
script, and ``run-parts DIR`` its directory.
"""

from __future__ import annotations

import re
from typing import Optional

_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_WRAPPERS = {"exec", "nice", "ionice", "nohup", "env", "time", "chronic", "sudo", "flock", "timeout", "command"}
_WRAPPER_ARGS = {"flock": 1, "timeout": 1}
_SCRIPT_EXT = (".sh", ".bash", ".py", ".pl", ".rb", ".php")
#: Programs that only test something: never a job's name.
_TESTS = {"test", "[", "[[", "which", "type", ":", "true", "false"}
#: Shell plumbing: a name only when the command runs nothing else.
_PLUMBING = {
    "cd", "sleep", "echo", "printf", "exit", "export", "set", "unset", "eval", "trap", "wait",
    "read", "umask", "shift", "return", "local", "ulimit", "source", ".", "renice",
}  # fmt: skip
_SHELLS = {"sh", "bash", "dash", "zsh", "ksh", "mksh", "busybox"}
_INTERPRETERS = _SHELLS | {"php", "python", "python2", "python3", "perl", "ruby", "node", "Rscript", "lua", "tclsh"}
#: Tools whose first argument names what they run.
_BY_ARGUMENT = {"run-parts", "invoke-rc.d", "service"}
_OPENERS = {"if", "then", "else", "elif", "do", "while", "until", "!", "{", "time"}
_CLOSERS = {"fi", "done", "}", "esac"}
_HEADERS = {"for", "case", "select", "function"}
_OPERATORS = ("&&", "||", ";;", ";", "&", "|", "(", ")", "\n")


def _balanced(text: str, i: int, open_: str, close: str) -> int:
    """Index just past the ``close`` matching the ``open_`` at ``text[i]`` (quotes respected)."""
    depth, j, n = 0, i, len(text)
    while j < n:
        c = text[j]
        if c == "\\":
            j += 2
            continue
        if c == "'":
            end = text.find("'", j + 1)
            j = n if end < 0 else end + 1
            continue
        if c == open_:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    return n


def simple_commands(text: str) -> list[list[str]]:
    """The simple commands of shell ``text``, each a list of words (a best effort, never an error)."""
    commands: list[list[str]] = [[]]
    word: Optional[str] = None
    skip_target = False  # the next word is a redirection's target
    i, n = 0, len(text)

    def end_word() -> None:
        nonlocal word, skip_target
        if word is None:
            return
        current = commands[-1]
        if skip_target:
            skip_target = False
        elif not current and word in _OPENERS | _CLOSERS:
            pass  # 'if', 'then', '{' ... start a command, they are not one
        else:
            current.append(word)
        word = None

    while i < n:
        c = text[i]
        if c in " \t":
            end_word()
            i += 1
        elif c == "#" and word is None:
            break
        elif c == "\\":
            word = (word or "") + text[i + 1 : i + 2]
            i += 2
        elif c == "'":
            end = text.find("'", i + 1)
            end = n if end < 0 else end
            word = (word or "") + text[i + 1 : end]
            i = end + 1
        elif c == '"':
            j, buf = i + 1, []
            while j < n and text[j] != '"':
                if text[j] == "\\" and j + 1 < n:
                    buf.append(text[j + 1])
                    j += 2
                    continue
                if text.startswith("$(", j):
                    end = _balanced(text, j + 1, "(", ")")
                    buf.append(text[j:end])
                    j = end
                    continue
                buf.append(text[j])
                j += 1
            word = (word or "") + "".join(buf)
            i = j + 1
        elif text.startswith("$(", i) or text.startswith("${", i):
            open_, close = ("(", ")") if text[i + 1] == "(" else ("{", "}")
            end = _balanced(text, i + 1, open_, close)
            word = (word or "") + text[i:end]
            i = end
        elif c == "`":
            end = text.find("`", i + 1)
            end = n if end < 0 else end
            word = (word or "") + text[i : end + 1]
            i = end + 1
        elif c in "<>":
            if word is not None and word.isdigit():
                word = None  # '2>': the descriptor number is part of the redirection
            end_word()
            j = i + 1
            while j < n and text[j] in "<>&|":
                j += 1
            skip_target = True
            i = j
        else:
            op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
            if op is None:
                word = (word or "") + c
                i += 1
                continue
            if op == "&" and text.startswith("&>", i):
                end_word()
                skip_target = True
                i += 2
                continue
            end_word()
            skip_target = False
            if commands[-1]:
                commands.append([])
            i += len(op)
    end_word()
    return [c for c in commands if c and c[0] not in _HEADERS]


def _program(words: list[str]) -> Optional[tuple[str, list[str]]]:
    """(program basename, its arguments) of one simple command, through assignments and wrappers."""
    i = 0
    while i < len(words) and _ASSIGNMENT.match(words[i]):
        i += 1
    while i < len(words):
        base = words[i].rsplit("/", 1)[-1]
        if base not in _WRAPPERS:
            break
        if base == "command" and i + 1 < len(words) and words[i + 1] in ("-v", "-V"):
            return "test", []  # 'command -v X' asks whether X exists
        i += 1
        while i < len(words) and (words[i].startswith("-") or (base == "env" and _ASSIGNMENT.match(words[i]))):
            short = len(words[i]) == 2 and words[i].startswith("-")
            i += 1
            if short and i < len(words) and "/" not in words[i] and not words[i].startswith("-"):
                i += 1  # the option's argument: nice -n 10, sudo -u www
        i += _WRAPPER_ARGS.get(base, 0)  # flock LOCKFILE, timeout DURATION
    if i >= len(words):
        return None
    return words[i].rsplit("/", 1)[-1], words[i + 1 :]


def _strip_ext(base: str) -> str:
    for ext in _SCRIPT_EXT:
        if base.endswith(ext) and len(base) > len(ext):
            return base[: -len(ext)]
    return base


def _worker(text: str, depth: int = 0) -> Optional[str]:
    """The name of the program doing the work in shell ``text``."""
    fallback: Optional[str] = None
    for words in simple_commands(text):
        found = _program(words)
        if found is None:
            continue
        base, args = found
        operands = [a for a in args if not a.startswith("-")]
        if base in _INTERPRETERS:
            if args[:1] in (["-c"], ["-e"]):
                inner = _worker(args[1], depth + 1) if base in _SHELLS and len(args) > 1 and depth < 3 else None
                if inner:
                    return inner
                continue  # inline code: look further
            if operands:
                return _strip_ext(operands[0].rstrip("/").rsplit("/", 1)[-1])
        if base in _BY_ARGUMENT and operands:
            name = operands[0].rstrip("/").rsplit("/", 1)[-1]
            return name if base == "run-parts" else _strip_ext(name)
        if base in _TESTS or "$" in base or "`" in base:
            continue
        if base in _PLUMBING:
            fallback = fallback or base
            continue
        return _strip_ext(base)
    return fallback


def _clean(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).lstrip("._-")


def derive_name(command: str, prefix: Optional[str] = None) -> str:
    """A job name from a command line: ``PREFIX-PROGRAM`` (just the program without a prefix,
    or when the program's name already starts with the prefix), ``job`` when nothing fits."""
    program = _clean(_worker(command) or "")[:56].rstrip("-")
    stem = _clean(prefix or "")[:40].rstrip("-")
    if stem and program and not program.startswith(stem):
        name = f"{stem}-{program}"
    else:
        name = program or stem
    return name[:56].rstrip("-.") or "job"
