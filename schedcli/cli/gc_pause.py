"""Python's cyclic garbage collector, paused while the command line starts.

Starting a command imports Typer, pydantic (Typer builds each parameter's validator with
it) and schedcli's modules: some hundred thousand objects that live as long as the
process. While they are made, the collector runs again and again and finds nothing to
free: a quarter of the start of a command such as ``show`` (523 -> 397 ms on the
benchmark machine; docs/performance.md, "Commands on 10k jobs and 1M runs"). So the console script pauses it before the imports
(:func:`pause`), and the command resumes it (:func:`resume`) once its options are parsed
and just before its own code runs: the objects made so far are moved out of the
collector's sight (``gc.freeze``: they are never garbage) and collection goes on as
usual for the rest of the process, ``watch`` included.

Only the console script pauses (``schedcli.__main__``); :func:`resume` does nothing in a
process that did not, such as the tests' CliRunner.
"""

from __future__ import annotations

import gc

_paused = False  # set by pause() in this process, cleared by resume()


def pause() -> None:
    """Stop automatic collection for the start of the process (if it is on)."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume() -> None:
    """Start collecting again after :func:`pause`; the objects made until now stay out of it."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
