"""What the model announces, and how observers subscribe to it.

The model applies a rule, then announces what happened as a small frozen event holding plain
values (ids, cells, counts). Observers (validation instruments, the app, a user's notebook)
subscribe to the event types they need; they may read the model's state while handling an event but
never write it and never draw from its random streams, so a run with observers is identical to one
without (tests/test_hooks.py). An event type nobody subscribed to costs the model one dictionary
look-up: it builds no event.

Usage::

    model = ScamModel(params)
    raids = []
    model.hooks.subscribe(RaidResolved, raids.append)
    model.run()

Observers subscribe after the model is built, so they see the recorded weeks only, never the
burn-in; a model made by ``ScamModel.branch`` starts with no subscriber.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class RaidResolved:
    """A raid was made and its outcome applied (freed people, seizure, arrest, the forced move)."""

    week: int
    compound: int  # the compound's unique id
    operator: int  # its operator's unique id
    cell: int  # flat cell of the raided site
    jurisdiction: int
    workers: int  # people held when the raid began
    tipped_off: bool
    succeeded: bool
    boss_arrested: bool
    closed: bool  # the compound no longer exists after the raid


@dataclass(frozen=True, slots=True)
class CompoundOpened:
    """An operator opened a new compound (expansion or entry)."""

    week: int
    compound: int
    operator: int
    cell: int


@dataclass(frozen=True, slots=True)
class CompoundMoved:
    """A compound moved (forced by a raid or chosen for lower risk): to another cell, or overseas (``destination`` -1)."""

    week: int
    compound: int
    operator: int
    origin: int
    destination: int
    km: float
    cross_border: bool
    forced: bool


@dataclass(frozen=True, slots=True)
class CompoundClosed:
    """A compound closed for good; its workers were released."""

    week: int
    compound: int
    operator: int
    cell: int
    released: int


@dataclass(frozen=True, slots=True)
class OperatorEntered:
    """A new operator entered the market and opened its first compound."""

    week: int
    operator: int


@dataclass(frozen=True, slots=True)
class OperatorLeft:
    """An operator left: ``reason`` is ``arrest``, ``bankruptcy``, ``idle``, ``no_site``, ``overseas`` (its last compound
    went overseas), ``extradition`` (the boss of a syndicate, extradited) or ``network`` (a member that left when its
    syndicate's boss fell)."""

    week: int
    operator: int
    reason: str
    compounds: int  # compounds it still ran when it left (closed with it)


@dataclass(frozen=True, slots=True)
class WeekEnded:
    """A week is over and recorded; observers may read the model's state as it stands."""

    week: int


EVENT_TYPES = (RaidResolved, CompoundOpened, CompoundMoved, CompoundClosed, OperatorEntered, OperatorLeft, WeekEnded)


class Hooks:
    """Subscribers by event type, called in the order they subscribed."""

    def __init__(self) -> None:
        self._subscribers: dict[type, list[Callable[[Any], None]]] = {}

    def subscribe(self, kind: type, handler: Callable[[Any], None]) -> Callable[[], None]:
        """Call ``handler(event)`` for every event of ``kind``; returns a function that unsubscribes."""
        if kind not in EVENT_TYPES:
            raise TypeError(f"{kind!r} is not an event the model announces; events are {[k.__name__ for k in EVENT_TYPES]}")
        handlers = self._subscribers.setdefault(kind, [])
        handlers.append(handler)
        return lambda: handlers.remove(handler)

    def wants(self, kind: type) -> bool:
        """Whether anyone listens for ``kind`` (the model builds an event only then)."""
        return bool(self._subscribers.get(kind))

    def announce(self, event: Any) -> None:
        for handler in tuple(self._subscribers.get(type(event), ())):
            handler(event)
