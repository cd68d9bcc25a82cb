"""Healthchecks-style pings (healthchecks.io and the servers that speak its protocol).

* ``URL/start`` when an occurrence starts (its first attempt);
* ``URL`` when it succeeds, ``URL/fail`` when its last attempt fails, times out or is
  interrupted (an attempt followed by a retry pings nothing);
* every ping carries ``rid``, one UUID per occurrence, so that the server pairs the
  start and the end of runs that overlap; the body of an end is the output's tail.

``{job}`` in a URL is replaced by the job's name: one configured URL, such as
``https://hc-ping.com/PING_KEY/{job}``, gives every job its own check (by slug).
"""

from __future__ import annotations

import uuid

from schedcli.services.notify.http import post

PING_TAIL = 10_000  # bytes of output in a ping's body (the server keeps up to 100 kB)
PING_TIMEOUT = 10.0  # seconds: at most this long per ping, whatever hook_timeout says
_NAMESPACE = uuid.UUID("1f0e6c52-46a3-4c0e-9b7e-6d1f3c9a2b10")


def run_uuid(db_path: str, job_id: int, trigger: str, scheduled_for: int) -> str:
    """The ``rid`` of one occurrence: the same for each of its attempts, different for
    every other occurrence (of this job, of any job, of any database)."""
    return str(uuid.uuid5(_NAMESPACE, f"{db_path}\0{job_id}\0{trigger}\0{scheduled_for}"))


def ping_url(base: str, job: str, kind: str, rid: str) -> str:
    """``base`` (``{job}`` replaced) followed by ``/start`` or ``/fail`` (``kind``; empty:
    success), with ``rid`` added to its query."""
    from urllib.parse import urlencode, urlsplit, urlunsplit

    parts = urlsplit(base.replace("{job}", job))
    path = parts.path.rstrip("/") + (f"/{kind}" if kind else "")
    query = "&".join(q for q in (parts.query, urlencode({"rid": rid})) if q)
    return urlunsplit((parts.scheme, parts.netloc, path, query, ""))


def send_ping(url: str, body: bytes, timeout: float) -> tuple[bool, str]:
    return post(url, body, {"Content-Type": "text/plain; charset=utf-8"}, min(timeout, PING_TIMEOUT), "ping")
