"""Mail, as cron sends it: a message piped to ``sendmail -oi -t``.

``sendmail`` is the configured one (``sendmail = PATH``), else the first found on the
job's ``PATH`` (its ``--env PATH=...``, else the runner's), else ``/usr/sbin/sendmail``.
The message is built by :class:`email.message.EmailMessage`, which refuses a line break
in any header; the addresses were checked when they were saved.
"""

from __future__ import annotations

import os
import shutil

from schedcli.model import Job, Run
from schedcli.schedule import iso
from schedcli.services.notify.messages import summary, text_tail

MAIL_TAIL = 64 * 1024  # bytes of output in a mail's body
FALLBACK_SENDMAIL = "/usr/sbin/sendmail"


def find_sendmail(configured: str | None, job: Job, runner_env: dict[str, str]) -> str | None:
    if configured:
        return configured
    path = job.env.get("PATH") or runner_env.get("PATH") or os.defpath
    found = shutil.which("sendmail", path=path)
    if found:
        return found
    return FALLBACK_SENDMAIL if os.access(FALLBACK_SENDMAIL, os.X_OK) else None


def build_message(job: Job, run: Run, to: str, output: bytes, host: str) -> bytes:
    """The message, as bytes for sendmail's standard input."""
    from email.message import EmailMessage
    from email.policy import SMTP

    msg = EmailMessage()
    msg["To"] = to
    msg["Subject"] = f"schedcli: {summary(job.name, run)} on {host}"
    msg["X-Schedcli-Job"] = job.name
    msg["X-Schedcli-Run"] = str(run.id)
    msg["X-Schedcli-Status"] = run.status
    lines = [
        f"Job:       {job.name}",
        f"Status:    {run.status}" + (f" (exit code {run.exit_code})" if run.exit_code is not None else ""),
        f"Run:       #{run.id} ({run.trigger}, attempt {run.attempt})",
        f"Started:   {iso(run.started_at) or '-'}",
        f"Finished:  {iso(run.finished_at) or '-'}",
        f"Host:      {host}",
    ]
    if run.reason and run.status != "success" and run.reason != f"exit code {run.exit_code}":
        lines.append(f"Reason:    {run.reason}")
    tail = text_tail(output, MAIL_TAIL)
    if tail:
        cut = len(output) > MAIL_TAIL
        lines += ["", f"Output{' (its last ' + str(MAIL_TAIL // 1024) + ' KiB)' if cut else ''}:", "", tail.rstrip("\n")]
    else:
        lines += ["", "(no output)"]
    lines += ["", f"-- schedcli logs {run.id}", ""]
    msg.set_content("\n".join(lines))
    return msg.as_bytes(policy=SMTP.clone(linesep="\n"))


def send(sendmail: str, message: bytes, timeout: float) -> tuple[bool, str]:
    """Pipe ``message`` to ``sendmail -oi -t``: ``(ok, detail)``, never an exception."""
    import subprocess

    try:
        done = subprocess.run(
            [sendmail, "-oi", "-t"], input=message, capture_output=True, timeout=timeout,
            stdin=None, close_fds=True, start_new_session=True,
        )
    except subprocess.TimeoutExpired:
        return False, f"{sendmail} did not finish within {timeout:g}s"
    except OSError as exc:
        return False, f"cannot run {sendmail}: {exc.strerror or exc}"
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip()[-300:]
        return False, f"{sendmail} exit code {done.returncode}" + (f": {said}" if said else "")
    return True, f"sent by {sendmail}"
