"""Evidence -> facts: one flat, typed dict per distinct ledger record, holding only what the rules read.

Dates become day ordinals and datetimes epoch seconds (durable_rules compares numbers, not dates);
empty cells are left out (a missing field satisfies no comparison, in both backends); derived
measures (elapsed hours, calendar days, working days) are computed here, once per distinct input.
Records that give the same fact share it (``LedgerFacts``); backends match distinct facts and
``LedgerFacts.records_of`` maps the matches back to every record.
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field

from engine.errors import CalendarError
from engine.evaluate.workdays import WorkCalendar
from engine.rules.compiler import CompiledRules, Derived, annual_date, blank_flag
from engine.rules.conditions import month_day_field, month_day_value, normalise_value
from evidence.columns import RowNumbers, np
from evidence.models import Ledger
from evidence.package import EvidencePackage


@dataclass
class LedgerFacts:
    """One ledger's facts, deduplicated: records that agree on every field the rules read (and every derived
    measure) share one distinct fact, so the rules run once per distinct fact, not once per record.

    A million-row enforcement ledger holds a few thousand distinct facts: the rules read its yes/no columns,
    categories and small elapsed-time measures, not its case numbers.
    """

    distinct: list[dict]  # distinct facts, in order of first appearance
    group_of: Sequence[int]  # record index -> index of its distinct fact (4 bytes a record)
    members: list[Sequence[int]]  # distinct fact -> its record indices, ascending

    def __len__(self) -> int:
        return len(self.group_of)

    def records_of(self, groups: list[int]) -> list[int]:
        """Record indices (ascending) of the given distinct facts."""
        n = len(self.group_of)
        total = sum(len(self.members[g]) for g in groups)
        if total * 8 < n:  # sparse: merge the members' ascending runs
            return sorted(itertools.chain.from_iterable(self.members[g] for g in groups))
        flags = np.zeros(len(self.distinct), dtype=bool)
        flags[np.asarray(groups, dtype=np.int64)] = True
        return np.flatnonzero(flags[np.asarray(self.group_of)]).tolist()


@dataclass
class FactSet:
    by_ledger: dict[str, LedgerFacts]
    derived_errors: dict[str, str] = field(default_factory=dict)  # derived name -> message
    calendar: WorkCalendar | None = None

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.by_ledger.values())

    def records_matching(self, ledger: str, groups: list[int]) -> list[int]:
        """Record indices (ascending) of a ledger's records whose fact is one of ``groups``."""
        facts = self.by_ledger.get(ledger)
        return facts.records_of(groups) if facts is not None else []


def build_facts(rules: CompiledRules, package: EvidencePackage, calendar: WorkCalendar) -> FactSet:
    out: dict[str, LedgerFacts] = {}
    errors: dict[str, str] = {}
    for ledger_name in sorted(set(rules.fields_by_ledger) | set(rules.derived_by_ledger)):
        ledger = package.ledgers.get(ledger_name)
        if ledger is None:
            continue
        derived = list(rules.derived_by_ledger.get(ledger_name, []))
        while True:
            try:
                out[ledger_name] = _ledger_facts(rules, ledger_name, ledger, derived, calendar)
                break
            except _DerivedFailed as failed:  # e.g. a date beyond the holiday calendar: that measure is left out
                errors[failed.derived.name] = failed.message
                derived.remove(failed.derived)
    return FactSet(out, errors, calendar)


class _DerivedFailed(Exception):
    def __init__(self, derived: Derived, message: str):
        self.derived, self.message = derived, message


def _ledger_facts(rules: CompiledRules, ledger_name: str, ledger: Ledger, derived: list[Derived],
                  calendar: WorkCalendar) -> LedgerFacts:
    """Facts from the ledger's columns: records that agree on every input share a key (a tuple of the inputs'
    column codes, computed vectorised); each distinct key's fact is built once, from one of its records."""
    fields = rules.fields_by_ledger.get(ledger_name, [])
    flags = [(name, blank_flag(name)) for name in rules.blank_flags(ledger_name)]  # blank scope cells: in scope
    month_days = [(name, month_day_field(name)) for name in rules.month_days.get(ledger_name, [])]
    code = rules.ledger_code(ledger_name)
    # Everything a fact depends on: the fields read by the rules and the inputs of each derived measure.
    inputs = list(dict.fromkeys(list(fields) + [name for name, _ in flags] + [name for name, _ in month_days]
                                + [x for d in derived for x in _derived_inputs(d)]))
    n = len(ledger)
    columns = [ledger.encoded(name) for name in inputs]
    key = np.zeros(n, dtype=np.int64)
    radix = 1
    for values, codes in columns:  # mixed radix while it fits in 63 bits, then re-numbered densely
        if radix * max(len(values), 1) >= 1 << 62:
            _, key = np.unique(key, return_inverse=True)
            radix = int(key.max()) + 1 if n else 1
        key = key * max(len(values), 1) + codes
        radix *= max(len(values), 1)
    uniq, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")  # distinct inputs in order of first appearance
    by_fact: dict[tuple, int] = {}
    distinct: list[dict] = []
    group_of_key = np.empty(len(order), dtype=np.int64)
    for k in order:
        row = int(first[k])
        record = {}
        for name, (values, codes) in zip(inputs, columns):
            value = values[codes[row]]
            if value is not None:
                record[name] = value
        fact = {"_l": code}
        for name in fields:
            value = record.get(name)
            if value is not None:
                fact[name] = normalise_value(value)
        for name, flag in flags:
            if record.get(name) is None:
                fact[flag] = True
        for name, md in month_days:
            value = month_day_value(record.get(name))
            if value is not None:
                fact[md] = value
        for d in derived:
            try:
                value = measure(d, record, calendar)
            except CalendarError as exc:
                raise _DerivedFailed(d, str(exc)) from None
            if value is not None:
                fact[d.name] = value
        identity = tuple((name, type(value), value) for name, value in fact.items())  # True is not 1
        group = by_fact.get(identity)
        if group is None:
            group = by_fact[identity] = len(distinct)
            distinct.append(fact)
        group_of_key[k] = group
    groups = group_of_key[inverse.reshape(-1)] if n else np.zeros(0, dtype=np.int64)
    by_group = np.argsort(groups, kind="stable")
    bounds = np.searchsorted(groups[by_group], np.arange(len(distinct) + 1))
    by_group = by_group.astype(np.uint32)
    members = [RowNumbers(array("I", by_group[bounds[g]:bounds[g + 1]].tobytes())) for g in range(len(distinct))]
    return LedgerFacts(distinct, array("I", groups.astype(np.uint32).tobytes()), members)


def _derived_inputs(d: Derived) -> list[str]:
    start = [d.start] if isinstance(d.start, str) else [d.start.year_field]
    return start + [d.end]


def measure(d: Derived, record: dict, calendar: WorkCalendar) -> float | int | None:
    start = annual_date(record, d.start) if not isinstance(d.start, str) else record.get(d.start)
    end = record.get(d.end)
    if start is None or end is None:
        return None
    if d.unit == "hours":
        return normalise_value(round((_as_datetime(end) - _as_datetime(start)).total_seconds() / 3600, 6))
    s, e = _as_date(start), _as_date(end)
    if d.unit == "days":
        return (e - s).days
    if d.unit == "months":
        return months_between(s, e)
    return calendar.workdays_between(s, e)


def add_months(day: dt.date, n: int) -> dt.date:
    """The same day ``n`` calendar months later, clamped to the month's last day (31 January + 1 -> 28/29 February)."""
    year, month = divmod(day.month - 1 + n, 12)
    year += day.year
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def months_between(start: dt.date, end: dt.date) -> float:
    """Elapsed calendar months: whole months m with add_months(start, m) <= end, plus 0.5 when end lies beyond that
    day, so ``<= 2`` means "on or before the same day two months later" (二个月以内). An end before its start is -1."""
    if end < start:
        return -1
    m = (end.year - start.year) * 12 + end.month - start.month
    if add_months(start, m) > end:
        m -= 1
    return m if add_months(start, m) == end else m + 0.5


def _as_datetime(value) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime(value.year, value.month, value.day)


def _as_date(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value
