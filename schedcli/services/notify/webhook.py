"""Webhooks: the run POSTed in the format the receiving service reads.

* ``json`` (the default): ``{"event", "events", "run", "output_tail"}``, the run as
  ``schedcli history --json`` shows it;
* ``slack``: ``{"text": ...}`` for a Slack (or Mattermost, Rocket.Chat) incoming
  webhook: the job in bold, what happened, and the output tail in a code block;
* ``ntfy``: a plain-text body (the output tail) with ``Title``, ``Priority`` (``high``
  on failure) and ``Tags`` headers, as ntfy.sh publishes it.
"""

from __future__ import annotations

import json

from schedcli.model import Run
from schedcli.services.notify.messages import summary, text_tail

OUTPUT_TAIL = 4096  # bytes of output in a json webhook
SLACK_TAIL = 2000  # a message stays readable in a channel
NTFY_TAIL = 3000  # ntfy turns a longer body into an attachment


def payload(fmt: str, job: str, run: Run, events: list[str], output: bytes) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one webhook POST."""
    started = events == ["start"]
    if fmt == "slack":
        return _slack(job, run, events, output, started)
    if fmt == "ntfy":
        return _ntfy(job, run, events, output, started)
    from schedcli.serialize import run_dict

    doc = {"event": events[-1], "events": events, "run": run_dict(run),
           "output_tail": text_tail(output, OUTPUT_TAIL)}
    return json.dumps(doc).encode(), {"Content-Type": "application/json"}


def _slack_escape(text: str) -> str:
    """Slack reads ``&``, ``<`` and ``>`` as markup: they are written as entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack(job: str, run: Run, events: list[str], output: bytes, started: bool) -> tuple[bytes, dict[str, str]]:
    head = summary(job, run, started=started)
    mark = ":arrow_forward:" if started else (":x:" if "failure" in events else ":white_check_mark:")
    if "recovery" in events:
        head += ", recovered"
    text = f"{mark} *{_slack_escape(job)}* {_slack_escape(head[len(job) + 1:])}"
    tail = text_tail(output, SLACK_TAIL).strip("\n")
    if tail:
        # a ``` in the output would end the block early: a zero-width space breaks it up
        text += "\n```\n" + _slack_escape(tail).replace("```", "`\u200b``") + "\n```"
    return json.dumps({"text": text}).encode(), {"Content-Type": "application/json"}


def _ntfy(job: str, run: Run, events: list[str], output: bytes, started: bool) -> tuple[bytes, dict[str, str]]:
    failed = "failure" in events
    headers = {
        "Content-Type": "text/plain; charset=utf-8",
        # HTTP headers are Latin-1: anything else is replaced
        "Title": summary(job, run, started=started).encode("latin-1", "replace").decode("latin-1"),
        "Priority": "high" if failed else "default",
        "Tags": ",".join(["schedcli", "arrow_forward" if started else ("x" if failed else "white_check_mark")]
                         + (["recovery"] if "recovery" in events else [])),
    }
    body = text_tail(output, NTFY_TAIL).strip("\n") or headers["Title"]
    return body.encode(), headers
