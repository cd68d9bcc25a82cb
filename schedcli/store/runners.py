"""Queries on the runners (``run-due``, ``watch``, ``run`` processes) and the key-value state."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from schedcli.store.connection import Connection

if TYPE_CHECKING:
    from schedcli.model import RunnerRecord


class RunnerQueries(Connection):
    """Runner bookkeeping (start, heartbeat, stop) and small named values (``last_tick``, retention)."""

    def register_runner(self, kind: str, pid: int, identity: str | None, now: float) -> int:
        cur = self._q(
            "INSERT INTO runners (kind, pid, identity, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?)",
            (kind, pid, identity, now, now),
        )
        return int(cur.lastrowid)

    def runner_heartbeat(self, runner_id: int, now: float) -> None:
        self._q("UPDATE runners SET heartbeat_at = ? WHERE id = ?", (now, runner_id))

    def runner_stopped(self, runner_id: int, now: float) -> None:
        self._q("UPDATE runners SET stopped_at = ? WHERE id = ?", (now, runner_id))

    def open_runners(self, kind: str | None = None, limit: int = 100) -> list["RunnerRecord"]:
        """Runners that never recorded a stop (alive, or crashed), newest first."""
        from schedcli.model import RunnerRecord

        sql = (
            "SELECT id, kind, pid, identity, started_at, heartbeat_at FROM runners "
            "WHERE stopped_at IS NULL"
        )
        params: list[Any] = []
        if kind is not None:
            sql += " AND kind = ?"
            params.append(kind)
        return [RunnerRecord(**fields) for fields in self._named(sql + " ORDER BY id DESC LIMIT ?", [*params, limit])]

    def set_state(self, key: str, value: str) -> None:
        self._q("INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)", (key, value))

    def clock_went_back(self, now: int, slack: int = 60, previous: int | None = None) -> bool:
        """Is ``now`` more than ``slack`` seconds before the previous claim's ``now``
        (state ``previous_claim_at``, or ``previous``)?  Then a claim must run, to
        recompute next runs."""
        if previous is None:
            value = self.get_state("previous_claim_at")
            if not value or not value.lstrip("-").isdigit():
                return False
            previous = int(value)
        return now < previous - slack

    def get_state(self, key: str) -> str | None:
        row = self._q("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None
