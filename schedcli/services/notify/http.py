"""One HTTP POST with a timeout: ``(ok, detail)``, never an exception."""

from __future__ import annotations


def post(url: str, body: bytes, headers: dict[str, str], timeout: float, what: str = "webhook") -> tuple[bool, str]:
    """POST ``body`` to ``url``; ok for a 2xx or 3xx answer. A refused connection, a
    timeout or an HTTP error status is ``(False, why)``."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, data=body, method="POST", headers={"User-Agent": "schedcli", **headers})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return True, f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return False, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            reason = f"no answer within {timeout:g}s"
        return False, f"{what} failed: {reason}"
