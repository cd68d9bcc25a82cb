"""``--help`` as a man page: plain text, wrapped (never cut) at the terminal's width up to 80
columns, no type tags, one metavar per value, and an Examples section at the end.

The same model and renderer make docs/cli.md and the man page (scripts/gen_docs.py), so
``schedcli add --help`` at 80 columns is exactly the ``schedcli add`` section of docs/cli.md.

A command's docstring holds its description; a paragraph ``Examples:`` followed by one or
more ``\\b`` (verbatim) blocks holds its examples, which are shown after the options.

Every command and group of schedcli uses :class:`Command` and :class:`Group` (``cls=``);
:class:`Group` also answers an unknown command with "did you mean".

Cheap to import (no rich): every schedcli start loads it.
"""

from __future__ import annotations

import difflib
import inspect
import re
import shutil
import textwrap
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from typer.core import TyperCommand, TyperGroup

PROG = "schedcli"
MAX_WIDTH = 80  # --help wraps at the terminal's width, at most this
EXAMPLES = "Examples:"

# ---------------------------------------------------------------------------------
# The model: a plain description of a command and its subcommands
# ---------------------------------------------------------------------------------


@dataclass
class Opt:
    names: list[str]
    flag: bool
    metavar: str
    help: str
    choices: tuple[str, ...] = ()
    kind: Optional[str] = None  # how to complete the value (scripts/gen_docs.py): file, job, zone...
    multiple: bool = False
    extra: list[str] = field(default_factory=list)  # [default: x], [required], [env var: X]

    @property
    def long_names(self) -> list[str]:
        return [n for n in self.names if n.startswith("--")]


@dataclass
class Arg:
    name: str
    metavar: str
    help: str
    required: bool
    variadic: bool
    kind: Optional[str] = None
    choices: tuple[str, ...] = ()


@dataclass
class Cmd:
    path: tuple[str, ...]  # () for schedcli itself
    help: str  # the description, without the examples
    summary: str
    epilog: str
    options: list[Opt]
    arguments: list[Arg]
    subcommands: list["Cmd"]
    examples: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return " ".join((PROG,) + self.path)

    @property
    def is_group(self) -> bool:
        return bool(self.subcommands)

    def usage(self) -> str:
        parts = [self.name]
        if self.options:
            parts.append("[OPTIONS]")
        for arg in self.arguments:
            parts.append(arg.metavar)
        if self.is_group:
            parts.append("COMMAND [ARGS]...")
        return " ".join(parts)

    def walk(self):
        yield self
        for sub in self.subcommands:
            yield from sub.walk()


def clean_help(text: Optional[str]) -> str:
    """A help string as written, without click's ``\\f`` tail and common indentation."""
    if not text:
        return ""
    text = inspect.cleandoc(text).split("\f")[0]
    return text.strip()


def paragraphs(text: str) -> list[tuple[bool, str]]:
    """(verbatim, text) paragraphs; click's ``\\b`` marks a paragraph not to rewrap."""
    out: list[tuple[bool, str]] = []
    for block in re.split(r"\n\s*\n", text):
        block = block.strip("\n")
        if not block.strip():
            continue
        if block.lstrip().startswith("\b"):
            out.append((True, block.lstrip()[1:].strip("\n")))
        else:
            out.append((False, " ".join(block.split())))
    return out


def first_paragraph(text: str) -> str:
    paras = paragraphs(text)
    return " ".join(paras[0][1].split()) if paras else ""


def split_examples(text: str) -> tuple[str, list[str]]:
    """(description, example lines): what follows an ``Examples:`` paragraph is examples."""
    match = re.search(r"^Examples:[ \t]*$", text, re.M)
    if match is None:
        return text, []
    lines = []
    for _verbatim, para in paragraphs(text[match.end():]):
        lines += [line.strip() for line in para.split("\n") if line.strip()]
    return text[: match.start()].rstrip(), lines


def _static_choices(param: Any, ctx: Any) -> tuple[str, ...]:
    """The values the CLI itself offers for completion, when they are a fixed set."""
    try:
        items = param.shell_complete(ctx, "")
    except Exception:
        return ()
    values = [str(i.value) for i in items if getattr(i, "type", "plain") == "plain" and str(i.value)]
    return tuple(dict.fromkeys(values))


def _default_text(param: Any) -> Optional[str]:
    show = getattr(param, "show_default", None)
    if show is False:
        return None
    if isinstance(show, str):
        return show
    default = param.default
    if default is None or callable(default) or default is False or default == () or default == []:
        return None
    if getattr(param, "is_flag", False) and not getattr(param, "secondary_opts", None):
        return None
    value = getattr(default, "value", default)  # enums show their value
    if isinstance(value, (list, tuple)):
        return ", ".join(str(getattr(v, "value", v)) for v in value)
    return str(value)


KindOf = Callable[[tuple[str, ...], Any], Optional[str]]


def _no_kind(path: tuple[str, ...], param: Any) -> Optional[str]:
    return None


def _option(path: tuple[str, ...], param: Any, ctx: Any, kind_of: KindOf) -> Opt:
    names = list(param.opts) + list(param.secondary_opts)
    names.sort(key=lambda n: (n.startswith("--"), n))  # -n before --count
    flag = bool(getattr(param, "is_flag", False) or getattr(param, "count", False))
    choices: tuple[str, ...] = ()
    kind = None
    metavar = ""
    if not flag:
        choices = _static_choices(param, ctx)
        kind = None if choices else kind_of(path, param)
        if param.metavar:
            metavar = param.metavar
        elif choices:
            metavar = "[" + "|".join(choices) + "]"
        else:
            metavar = (param.name or "value").upper()
    extra = []
    default = _default_text(param)
    if default is not None:
        extra.append(f"[default: {default}]")
    if getattr(param, "envvar", None) and getattr(param, "show_envvar", False):
        env = param.envvar if isinstance(param.envvar, str) else ", ".join(param.envvar)
        extra.append(f"[env var: {env}]")
    if param.required:
        extra.append("[required]")
    return Opt(names=names, flag=flag, metavar=metavar, help=clean_help(getattr(param, "help", None)),
               choices=choices, kind=kind, multiple=bool(param.multiple), extra=extra)


def _argument(path: tuple[str, ...], param: Any, ctx: Any, kind_of: KindOf) -> Arg:
    variadic = param.nargs == -1
    metavar = param.metavar or (param.name or "arg").upper()
    if not metavar.startswith("["):
        if variadic and "..." not in metavar:
            metavar += "..."
        if not param.required:
            metavar = f"[{metavar}]"
    choices = _static_choices(param, ctx)
    kind = None if choices else kind_of(path, param)
    return Arg(name=param.name or "", metavar=metavar, help=clean_help(getattr(param, "help", None)),
               required=bool(param.required), variadic=variadic, kind=kind, choices=choices)


def build(command: Any, ctx: Any, path: tuple[str, ...], kind_of: KindOf = _no_kind) -> Cmd:
    """The model of ``command`` (and of its subcommands) as ``ctx`` sees it."""
    options: list[Opt] = []
    arguments: list[Arg] = []
    for param in command.get_params(ctx):
        if getattr(param, "hidden", False):
            continue
        if param.param_type_name == "argument":
            arguments.append(_argument(path, param, ctx, kind_of))
        else:
            options.append(_option(path, param, ctx, kind_of))
    subs: list[Cmd] = []
    if hasattr(command, "list_commands"):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is None or getattr(sub, "hidden", False):
                continue
            sub_ctx = sub.make_context(name, [], parent=ctx, resilient_parsing=True)
            subs.append(build(sub, sub_ctx, path + (name,), kind_of))
    description, examples = split_examples(clean_help(command.help))
    summary = " ".join((command.short_help or "").split()) or first_paragraph(description)
    return Cmd(path=path, help=description, summary=summary, epilog=clean_help(command.epilog),
               options=options, arguments=arguments, subcommands=subs, examples=examples)


# ---------------------------------------------------------------------------------
# The text
# ---------------------------------------------------------------------------------


def wrap(text: str, width: int, **kwargs: Any) -> list[str]:
    """textwrap.wrap that never splits option names, paths or words at hyphens."""
    return textwrap.wrap(text, width, break_on_hyphens=False, break_long_words=False, **kwargs)


NBSP = "\u00a0"  # keeps "[env var: X]" on one line (textwrap does not break there)


def definition_list(rows: list[tuple[str, str]], width: int, indent: int = 2) -> list[str]:
    if not rows:
        return []
    col = min(max(len(term) for term, _ in rows), min(28, width // 3 + 2)) + 2
    lines = []
    for term, text in rows:
        wrapped = [w.replace(NBSP, " ") for w in wrap(text, max(width - indent - col, 20))] or [""]
        if len(term) + 2 > col:
            lines.append(" " * indent + term)
            lines += [" " * (indent + col) + w for w in wrapped]
        else:
            lines.append(" " * indent + term.ljust(col) + wrapped[0])
            lines += [" " * (indent + col) + w for w in wrapped[1:]]
    return [line.rstrip() for line in lines]


def help_text(c: Cmd, width: int = MAX_WIDTH) -> str:
    """The --help screen of ``c``, plain, wrapped at ``width``."""
    lines = wrap(f"Usage: {c.usage()}", width, subsequent_indent="         ") + [""]
    for verbatim, para in paragraphs(c.help):
        if verbatim:
            lines += ["  " + ln for ln in para.split("\n")]
        else:
            lines += wrap(para, width, initial_indent="  ", subsequent_indent="  ")
        lines.append("")
    if c.arguments:
        lines.append("Arguments:")
        lines += definition_list([(a.metavar, " ".join(
            x for x in [" ".join(first_paragraph(a.help).split()), "[required]" if a.required else ""] if x))
            for a in c.arguments], width)
        lines.append("")
    if c.options:
        lines.append("Options:")
        rows = []
        for o in c.options:
            term = ", ".join(o.names) + ("" if o.flag else " " + o.metavar)
            extra = [x.replace(" ", NBSP) for x in o.extra]
            rows.append((term, " ".join(x for x in [" ".join(clean_help(o.help).split())] + extra if x)))
        lines += definition_list(rows, width)
        lines.append("")
    if c.subcommands:
        lines.append("Commands:")
        lines += definition_list([(s.path[-1], s.summary) for s in c.subcommands], width)
        lines.append("")
    if c.examples:
        lines.append(EXAMPLES)
        lines += ["  " + example for example in c.examples]
        lines.append("")
    if c.epilog:
        for _verbatim, para in paragraphs(c.epilog):
            lines += wrap(para, width, initial_indent="  ", subsequent_indent="  ")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _width() -> int:
    columns = shutil.get_terminal_size((MAX_WIDTH, 24)).columns
    return max(40, min(columns, MAX_WIDTH))


def _path_of(ctx: Any) -> tuple[str, ...]:
    names = []
    while ctx is not None and ctx.parent is not None:
        names.append(ctx.info_name)
        ctx = ctx.parent
    return tuple(reversed(names))


class Command(TyperCommand):
    """A schedcli command: its --help is :func:`help_text`; its code runs with the garbage
    collector on (:mod:`schedcli.cli.gc_pause`)."""

    def invoke(self, ctx: Any) -> Any:
        from schedcli.cli import gc_pause

        gc_pause.resume()
        return super().invoke(ctx)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        formatter.write(help_text(build(self, ctx, _path_of(ctx)), _width()))


class Group(TyperGroup):
    """A schedcli command group: --help as :func:`help_text`; an unknown command gets
    "did you mean"."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        formatter.write(help_text(build(self, ctx, _path_of(ctx)), _width()))

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        from schedcli.errors import UsageError

        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None and not ctx.resilient_parsing:
            names = [n for n in self.list_commands(ctx) if not getattr(self.get_command(ctx, n), "hidden", False)]
            hint = did_you_mean(name, names)
            raise UsageError(f"unknown command {name!r}{hint} (see: {ctx.command_path} --help)")
        return super().resolve_command(ctx, args)


def did_you_mean(word: str, choices: list[str], quote: bool = True) -> str:
    """``"; did you mean 'x'?"`` (or ``'x' or 'y'``), or "" when nothing is close."""
    lower = word.lower()
    found = [c for c in choices if c.lower() == lower]
    found += [c for c in choices if c.lower().startswith(lower) and c not in found and len(lower) >= 2]
    lowered = {c.lower(): c for c in choices}
    for match in difflib.get_close_matches(lower, list(lowered), n=3, cutoff=0.6):
        if lowered[match] not in found:
            found.append(lowered[match])
    found = found[:3]
    if not found:
        return ""
    shown = [repr(f) if quote else f for f in found]
    return "; did you mean " + (shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]) + "?"
