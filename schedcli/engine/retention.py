"""History retention: how many runs to keep, and for how long."""

from __future__ import annotations

import json
from dataclasses import dataclass

from schedcli.store import Store

STATE_KEY = "retention"


@dataclass(frozen=True)
class Retention:
    older_than: int | None = None  # seconds
    keep: int | None = None  # newest runs per job

    @property
    def empty(self) -> bool:
        return self.older_than is None and self.keep is None

    def apply(self, store: Store, now: float, *, job_id: int | None = None, dry_run: bool = False) -> int:
        """Delete what this policy allows (call inside a write transaction)."""
        if self.empty:
            return 0
        cutoff = now - self.older_than if self.older_than is not None else None
        return store.prune(older_than=cutoff, keep=self.keep, job_id=job_id, dry_run=dry_run)

    def to_dict(self) -> dict | None:
        if self.empty:
            return None
        return {"older_than_s": self.older_than, "keep": self.keep}

    def describe(self) -> str:
        from schedcli.schedule import format_duration

        parts = []
        if self.older_than is not None:
            parts.append(f"runs older than {format_duration(self.older_than)}")
        if self.keep is not None:
            parts.append(f"runs beyond the newest {self.keep} per job")
        return "delete " + " and ".join(parts) if parts else "off"

    @classmethod
    def load(cls, store: Store) -> "Retention":
        raw = store.get_state(STATE_KEY)
        if not raw:
            return cls()
        data = json.loads(raw)
        return cls(older_than=data.get("older_than_s"), keep=data.get("keep"))

    @classmethod
    def save(cls, store: Store, policy: "Retention | None") -> None:
        store.set_state(STATE_KEY, json.dumps(policy.to_dict()) if policy and not policy.empty else "")


class PolicyInForce:
    """The retention policy a runner applies after each run: the one ``prune --auto``
    stored in the database, else the configured default.  Read again by every claim
    (inside its transaction) and kept for the runs of that claim."""

    def __init__(self, default: Retention | None = None) -> None:
        self.default = default or Retention()
        self._current: Retention | None = None

    def load(self, store: Store) -> Retention:
        """Read the policy (call inside a transaction); it is kept until the next load."""
        stored = Retention.load(store)
        self._current = self.default if stored.empty else stored
        return self._current

    def current(self, store: Store) -> Retention:
        """The policy last loaded, or (never loaded yet) the one in force now."""
        return self._current if self._current is not None else self.load(store)
