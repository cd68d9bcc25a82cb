"""Notifications after (and at the start of) a run: hook commands, webhooks (json, Slack,
ntfy), healthchecks-style pings and mail.

- :mod:`~schedcli.services.notify.events`: the events, ``--notify-on``, ``--mail-on``,
  and the checks of what a user types for them;
- :mod:`~schedcli.services.notify.notifier`: :class:`Notifier`, which delivers every
  channel off the run's thread and records each result;
- one module per channel: :mod:`~.hooks`, :mod:`~.webhook`, :mod:`~.ping`, :mod:`~.mail`.
"""

from __future__ import annotations

from schedcli.services.notify.events import EVENTS, FAILING, events_for
from schedcli.services.notify.notifier import OUTPUT_TAIL, HookResult, Notifier

__all__ = ["EVENTS", "FAILING", "OUTPUT_TAIL", "HookResult", "Notifier", "events_for"]
