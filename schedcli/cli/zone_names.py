"""What to suggest for a time zone name that is not one: ``europe/paris`` is Europe/Paris,
``paris`` is Europe/Paris, and ``PST`` is an abbreviation, not a zone.

Only read when a zone was refused: listing the zones reads the zone database.
"""

from __future__ import annotations

import difflib

#: Common abbreviations (which name an offset, not a place with its rules), and a zone
#: that uses them.
ABBREVIATIONS = {
    "PST": "America/Los_Angeles", "PDT": "America/Los_Angeles", "PT": "America/Los_Angeles",
    "MST": "America/Denver", "MDT": "America/Denver", "MT": "America/Denver",
    "CST": "America/Chicago", "CDT": "America/Chicago", "CT": "America/Chicago",
    "EST": "America/New_York", "EDT": "America/New_York", "ET": "America/New_York",
    "AKST": "America/Anchorage", "HST": "Pacific/Honolulu",
    "BST": "Europe/London", "IST": "Asia/Kolkata", "CET": "Europe/Paris", "CEST": "Europe/Paris",
    "MEZ": "Europe/Berlin", "MESZ": "Europe/Berlin", "EET": "Europe/Athens", "EEST": "Europe/Athens",
    "WET": "Europe/Lisbon", "WEST": "Europe/Lisbon", "MSK": "Europe/Moscow",
    "JST": "Asia/Tokyo", "KST": "Asia/Seoul", "HKT": "Asia/Hong_Kong", "SGT": "Asia/Singapore",
    "AEST": "Australia/Sydney", "AEDT": "Australia/Sydney", "ACST": "Australia/Adelaide",
    "AWST": "Australia/Perth", "NZST": "Pacific/Auckland", "NZDT": "Pacific/Auckland",
}


def _available() -> list[str]:
    import zoneinfo

    try:
        return sorted(zoneinfo.available_timezones())
    except Exception:  # no zone database to list
        return []


def zone_hint(name: str) -> str:
    """Text to add to 'unknown time zone NAME': a close zone, or why it is not one."""
    text = (name or "").strip()
    upper = text.upper()
    if upper in ABBREVIATIONS:
        return f"{text} is an abbreviation, not a zone; use an IANA name such as {ABBREVIATIONS[upper]}"
    zones = _available()
    by_lower = {z.lower(): z for z in zones}
    key = text.lower().replace(" ", "_")
    if key in by_lower:
        return f"did you mean {by_lower[key]}?"
    cities = {z.rsplit("/", 1)[-1].lower(): z for z in zones if "/" in z}
    if key in cities:
        return f"did you mean {cities[key]}?"
    close = difflib.get_close_matches(key, list(by_lower), n=1, cutoff=0.75)
    if close:
        return f"did you mean {by_lower[close[0]]}?"
    close = difflib.get_close_matches(key, list(cities), n=1, cutoff=0.8)
    if close:
        return f"did you mean {cities[close[0]]}?"
    return "use an IANA name such as Europe/Paris, America/New_York or UTC"
