"""The world outside the map: the overseas option in site choice and the ledger of operations gone overseas.

A compound that moves (forced by a raid, or leaving for lower risk) may go overseas (Africa, the
Pacific, the Middle East) instead of to another cell: ``outside_option`` prices that destination for
``sim.rules.sitechoice.choose_site``. An operation that went overseas leaves the map and the regional
market's tables but not the world: the ``Ledger`` keeps it, with the people it holds, what it steals
and the chance it is closed. ``ledger_week`` is one week of the ledger's rules, on its arrays:

- closure first: each operation is closed (enforcement abroad, failure) with the week's closure hazard,
  ``closure_hazard``, raised by hosts' response to the operations they perceive (``host_attention``,
  ``host_closure_hazard``); its people are freed (the caller splits them into repatriated and
  re-trafficked as on the map);
- attrition among the rest at the map's rate;
- hiring from the regional pool (what the map's compounds left of it this week), at
  ``hiring_share`` of the map's hiring rate (recruiters supply both), labour access 1;
- gross proceeds (= victims' losses) of the operations past their set-up weeks.

Every random draw is made from the ledger's own stream, and none at all while the ledger is empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.params.declarations import OverseasParams
from sim.rules import labour
from sim.rules.market import Prices
from sim.rules.sitechoice import OutsideOption

#: The fields of a weekly row of ``Ledger.rows`` (flows of the week, stocks at the end of the week).
ROW_FIELDS = ("week", "operations", "workers_held", "proceeds", "departures", "workers_departed", "hired", "attrition",
              "closed", "freed", "repatriated", "retrafficked", "operators_left", "host_attention", "closure_hazard")


def net_per_worker(o: OverseasParams, p: Prices) -> float:
    """US$/week a worker nets an operation overseas: the map's prices at ``revenue_factor`` x infrastructure 1, no rent.

    Protection abroad is bought as part of ``running_cost_week``, so no share of revenue goes to protectors.
    """
    return p.revenue_per_worker_week * o.revenue_factor * p.keep_share - p.worker_cost_week


def outside_option(o: OverseasParams, p: Prices, rng: np.random.Generator, hazard: float | None = None) -> OutsideOption:
    """The overseas destination as site choice scores it this week, at the raid ``hazard`` operators believe there
    (None: ``raid_hazard``, the fixed belief)."""
    return OutsideOption(net_per_worker(o, p), o.running_cost_week, o.raid_hazard if hazard is None else hazard, o.move_cost, rng)


def host_attention(attention: float, operations: int, o: OverseasParams) -> float:
    """Operations abroad as hosts perceive them this week: their count, smoothed with half-life ``host_half_life``.

    Hosts notice a growing industry late and forget a shrinking one slowly, as the region's agencies and
    operators remember raids (heat, beliefs); the weight of this week's count is ``1 - 0.5 ** (1 / half_life)``.
    """
    keep = 0.5 ** (1.0 / o.host_half_life)
    return keep * attention + (1.0 - keep) * operations


def host_closure_hazard(attention: float, o: OverseasParams) -> float:
    """The weekly chance an operation abroad is closed, when hosts perceive ``attention`` operations.

    ``closure_hazard * (1 + attention / host_saturation)``, at most 1: hosts' enforcement turns to scam centres as
    more of them arrive, so the hazard per operation rises with their number (crowding abroad, as a cell's heat
    does on the map). ``host_saturation`` = 0 is no response: ``closure_hazard`` itself.
    """
    if o.host_saturation <= 0:
        return o.closure_hazard
    return min(1.0, o.closure_hazard * (1.0 + attention / o.host_saturation))


def gross_proceeds(workers: np.ndarray, producing: np.ndarray, o: OverseasParams, p: Prices) -> np.ndarray:
    """US$ each operation overseas takes from victims this week (nothing during its set-up weeks)."""
    return np.where(producing, workers * p.revenue_per_worker_week * o.revenue_factor, 0.0)


@dataclass
class Ledger:
    """Operations overseas, one entry per operation in order of arrival, and their weekly record.

    Attributes:
        compound, operator: unique ids the operation had on the map (its operator may have left since).
        workers, capacity: people held, and the most it holds (the capacity it had on the map).
        setup: weeks it still produces nothing after the move.
        arrived: week it left the map.
        attention: operations abroad as hosts perceive them (``host_attention``), the state of hosts' response.
        rows: one dict per week (fields ``ROW_FIELDS``), the record the lead wires into outputs.
    """

    compound: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    operator: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    workers: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    capacity: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    setup: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    arrived: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    attention: float = 0.0
    rows: list[dict] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.workers)

    def held(self) -> int:
        """People held overseas now."""
        return int(self.workers.sum())

    def add(self, week: int, compound: int, operator: int, workers: int, capacity: int, setup: int) -> None:
        """An operation arrives from the map with its people."""
        for name, value in (("compound", compound), ("operator", operator), ("workers", workers), ("capacity", capacity),
                            ("setup", setup), ("arrived", week)):
            setattr(self, name, np.append(getattr(self, name), np.int64(value)))

    def keep(self, mask: np.ndarray) -> None:
        """Keep only the operations in ``mask`` (the others closed)."""
        for name in ("compound", "operator", "workers", "capacity", "setup", "arrived"):
            setattr(self, name, getattr(self, name)[mask])

    def row(self, week: int) -> dict:
        """This week's row, opened if needed (flows are added to it as they happen)."""
        if not self.rows or self.rows[-1]["week"] != week:
            self.rows.append(dict.fromkeys(ROW_FIELDS, 0) | {"week": week, "proceeds": 0.0, "host_attention": 0.0,
                                                              "closure_hazard": 0.0})
        return self.rows[-1]

    def close_row(self, week: int) -> None:
        """Stocks at this point of the week (called again after every arrival, so they end as end-of-week stocks)."""
        row = self.row(week)
        row["operations"] = len(self)
        row["workers_held"] = self.held()


@dataclass(frozen=True, slots=True)
class LedgerWeek:
    """What one week did to the ledger's operations (arrays over the operations before closure)."""

    closed: np.ndarray  # bool: closed this week
    freed: int  # people of the closed operations
    attrition: np.ndarray  # people lost to attrition, per operation (0 for closed ones)
    hires: np.ndarray  # people hired from the pool, per operation (0 for closed ones)
    proceeds: np.ndarray  # gross US$ per operation (0 for closed ones)


def ledger_week(
    workers: np.ndarray,
    capacity: np.ndarray,
    setup: np.ndarray,
    pool: int,
    o: OverseasParams,
    attrition_rate: float,
    hiring_rate: float,
    p: Prices,
    rng: np.random.Generator,
    hazard: float | None = None,
) -> LedgerWeek:
    """One week of the operations overseas: closure at ``hazard`` (None: ``closure_hazard``), attrition, hiring from
    ``pool``, proceeds."""
    n = len(workers)
    if hazard is None:
        hazard = o.closure_hazard
    closed = rng.random(n) < hazard if n and hazard > 0 else np.zeros(n, dtype=bool)
    freed = int(workers[closed].sum())
    stay = np.where(closed, 0, workers)
    left = rng.binomial(stay, attrition_rate) if n and attrition_rate > 0 else np.zeros(n, dtype=np.int64)
    stay = stay - left
    demand = labour.vacancies(np.where(closed, 0, capacity), stay, np.ones(n), hiring_rate * o.hiring_share)
    demand[setup > 0] = 0.0  # still setting up: no recruitment, as a moving compound on the map
    hires = labour.allocate_hires(demand, pool)
    proceeds = gross_proceeds(stay + hires, (setup <= 0) & ~closed, o, p)
    return LedgerWeek(closed, freed, left, hires, proceeds)
