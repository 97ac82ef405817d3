"""``[[timeline]]`` entries of a scenario file: policy events checked one by one, dates turned into weeks.

Each entry is a table with the keys of ``[policy]`` (``sim.params.declarations.PolicyParams``) and a
required, unique ``name`` (a letter, then letters, digits, ``_`` or ``-``; at most 64 characters): the
name keys the event's random stream, so it must not change when other events are added or removed.
With ``run.start_date`` set, an entry may give ``start = "2022-09-15"`` and ``end = "..."`` (ISO dates)
instead of ``start_week`` and ``end_week``: a date falls in week ``(date - start_date) // 7 + 1``.

Every problem names the file, the entry (``[[timeline]] #3 (name)``, counted from 1) and the key.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from typing import Any

from sim.params.declarations import PolicyParams
from sim.scenario.checks import _show, check_keys

__all__ = ["EVENT_KEYS", "NAME_PATTERN", "RawEvent", "check_entries", "resolve_events", "week_of"]

NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
_FIELDS = {f.name: f for f in dataclasses.fields(PolicyParams)}
DATE_KEYS = {"start": "start_week", "end": "end_week"}
EVENT_KEYS = (*_FIELDS, *DATE_KEYS)


@dataclasses.dataclass
class RawEvent:
    """One checked entry before its dates are turned into weeks: its file, label and valid keys."""

    where: str
    label: str
    values: dict[str, Any]
    dates: dict[str, str]


def check_entries(where: str, table: str, entries: Any, problems: list[str]) -> list[RawEvent]:
    """The entries of one file's ``[[timeline]]`` (or ``[[timeline_append]]``), each key checked."""
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        problems.append(f"{where}: {table} must be a list of tables, written [[{table}]], got {_show(entries)}")
        return []
    out = []
    for i, entry in enumerate(entries, start=1):
        name = entry.get("name")
        label = f"[[{table}]] #{i}" + (f" ({name})" if isinstance(name, str) and NAME_PATTERN.fullmatch(name) else "")
        if name is None:
            problems.append(f"{where}: {label}: name is missing; every event needs a unique name (a letter, then letters, "
                            f"digits, '_' or '-'), e.g. name = \"sihanoukville_raids\"")
        elif not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
            problems.append(f"{where}: {label}: name = {_show(name)} is not allowed; allowed: a letter, then letters, digits, "
                            f"'_' or '-', at most 64 characters")
        dates: dict[str, str] = {}
        for key, value in entry.items():
            if key not in DATE_KEYS:
                continue
            if DATE_KEYS[key] in entry:
                problems.append(f"{where}: {label}: give either {key} or {DATE_KEYS[key]}, not both")
            elif not isinstance(value, (str, datetime.date)) or isinstance(value, datetime.datetime) or _date(value) is None:
                problems.append(f"{where}: {label}.{key} = {_show(value)} is not a date; allowed: an ISO date such as "
                                f"\"2022-09-15\"")
            else:
                dates[key] = str(value)
        keys = {k: v for k, v in entry.items() if k not in DATE_KEYS}
        values = check_keys(where, label, "a timeline event", keys, _FIELDS, EVENT_KEYS, problems)
        out.append(RawEvent(where, label, values, dates))
    return out


def _date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        return None


def week_of(date: datetime.date, start: datetime.date) -> int:
    """The week a date falls in when week 1 starts on ``start`` (week 0 and below: before the run)."""
    return (date - start).days // 7 + 1


def resolve_events(raw: list[RawEvent], start_date: str, where_start: str, problems: list[str]) -> tuple[PolicyParams, ...]:
    """The timeline's events as ``PolicyParams``: dates turned into weeks, names unique, every window in order."""
    start = _date(start_date) if start_date else None
    if start_date and start is None:
        problems.append(f"{where_start}: run.start_date = {start_date!r} is not a date; allowed: an ISO date such as "
                        f"\"2019-01-07\", or \"\" for none")
    seen: dict[str, str] = {}
    events = []
    for ev in raw:
        values = dict(ev.values)
        name = values.get("name")
        if isinstance(name, str) and name in seen:
            problems.append(f"{ev.where}: {ev.label}: name '{name}' is used twice (also {seen[name]}); every event needs its own name")
        elif isinstance(name, str):
            seen[name] = f"{ev.where}: {ev.label}"
        for key, text in ev.dates.items():
            if not start_date:
                problems.append(f"{ev.where}: {ev.label}.{key} = \"{text}\" is a date, but run.start_date is not set; allowed: "
                                f"{DATE_KEYS[key]} (a week), or set run.start_date to the date week 1 starts")
                continue
            if start is None:
                continue
            week = week_of(_date(text), start)
            if week < 1:
                problems.append(f"{ev.where}: {ev.label}.{key} = \"{text}\" is before week 1 (run.start_date = {start_date}); "
                                f"allowed: a date from {start_date} on")
                continue
            values[DATE_KEYS[key]] = week
        try:
            event = PolicyParams(**values)
        except TypeError:  # a value already reported above
            continue
        if event.end_week >= 0 and event.end_week < event.start_week:
            problems.append(f"{ev.where}: {ev.label}: end_week = {event.end_week} is before start_week = {event.start_week}"
                            f"{' (from its dates)' if ev.dates else ''}; allowed: -1 (no end) or a week from start_week on")
        events.append(event)
    return tuple(events)
