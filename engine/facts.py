"""Evidence -> facts: one flat, typed dict per ledger record, holding only what the rules read.

Dates become day ordinals and datetimes epoch seconds (durable_rules compares numbers, not dates);
empty cells are left out (a missing field satisfies no comparison, in both backends); derived
measures (elapsed hours, calendar days, working days) are computed here, once per record.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from evidence.package import EvidencePackage

from .compiler import CompiledRules, Derived, annual_date
from .conditions import normalise_value
from .errors import CalendarError
from .workdays import WorkCalendar


@dataclass
class FactSet:
    by_ledger: dict[str, list[dict]]
    derived_errors: dict[str, str] = field(default_factory=dict)  # derived name -> message
    calendar: WorkCalendar | None = None

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.by_ledger.values())


def build_facts(rules: CompiledRules, package: EvidencePackage, calendar: WorkCalendar) -> FactSet:
    out: dict[str, list[dict]] = {}
    errors: dict[str, str] = {}
    for ledger_name in sorted(set(rules.fields_by_ledger) | set(rules.derived_by_ledger)):
        ledger = package.ledgers.get(ledger_name)
        if ledger is None:
            continue
        fields = rules.fields_by_ledger.get(ledger_name, [])
        derived = rules.derived_by_ledger.get(ledger_name, [])
        code = rules.ledger_code(ledger_name)
        facts = []
        for record in ledger.records:
            fact = {"_l": code}
            for name in fields:
                value = record.get(name)
                if value is not None:
                    fact[name] = normalise_value(value)
            facts.append(fact)
        for d in derived:
            try:
                for fact, record in zip(facts, ledger.records):
                    value = measure(d, record, calendar)
                    if value is not None:
                        fact[d.name] = value
            except CalendarError as exc:
                errors[d.name] = str(exc)
                for fact in facts:
                    fact.pop(d.name, None)
        out[ledger_name] = facts
    return FactSet(out, errors, calendar)


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
    return calendar.workdays_between(s, e)


def _as_datetime(value) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime(value.year, value.month, value.day)


def _as_date(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value
