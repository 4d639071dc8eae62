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
from evidence.columns import RowNumbers, arrow, from_numpy, np
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
    group_of: Sequence[int]  # record index -> index of its distinct fact (numpy: 2 bytes a record up to 65,536 facts)
    members: list[Sequence[int]] | None = None  # distinct fact -> its record indices, ascending (``member_lists``)

    def __len__(self) -> int:
        return len(self.group_of)

    def member_lists(self) -> list[Sequence[int]]:
        """Each distinct fact's record indices (ascending), listed on first use (a stable radix sort of group_of)."""
        if self.members is None:
            groups = np.asarray(self.group_of)
            by_group = np.argsort(groups, kind="stable")
            bounds = np.searchsorted(groups[by_group], np.arange(len(self.distinct) + 1))
            self.members = [RowNumbers(array("I", by_group[bounds[g]:bounds[g + 1]].astype(np.uint32).tobytes()))
                            for g in range(len(self.distinct))]
        return self.members

    def records_of(self, groups: list[int]) -> list[int]:
        """Record indices (ascending) of the given distinct facts."""
        n = len(self.group_of)
        if self.members is not None and sum(len(self.members[g]) for g in groups) * 8 < n:
            return sorted(itertools.chain.from_iterable(self.members[g] for g in groups))  # merge ascending runs
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
        out[ledger_name] = _ledger_facts(rules, ledger_name, ledger, rules.derived_by_ledger.get(ledger_name, []),
                                         calendar, errors)
    return FactSet(out, errors, calendar)


class _DerivedFailed(Exception):
    def __init__(self, derived: Derived, message: str):
        self.derived, self.message = derived, message


@dataclass
class _Feature:
    """One fact field of every record: its distinct values (None: left out of the fact) and a code per record,
    ``values[mapping[codes[i]]]`` being record i's value."""

    name: str
    values: list
    mapping: np.ndarray  # input code -> value index
    codes: np.ndarray  # input code per record

    def at(self, rows: np.ndarray) -> list:
        return [self.values[k] for k in self.mapping[self.codes[rows]].tolist()]


_CHUNK = 1 << 20


def count_codes(codes: np.ndarray, size: int, weights_of=None) -> np.ndarray:
    """``np.bincount(codes, minlength=size)`` a million codes at a time (bincount copies its input as 8-byte
    integers: 80 MB for a 10M-row ledger at once). ``weights_of(start, stop)``: the codes of a slice, computed per
    slice (e.g. a pair of columns) instead of ``codes``."""
    counts = np.zeros(size, dtype=np.int64)
    n = len(codes)
    for start in range(0, n, _CHUNK):
        part = codes[start:start + _CHUNK] if weights_of is None else weights_of(start, min(start + _CHUNK, n))
        counts += np.bincount(part, minlength=size)
    return counts


def _feature(name: str, values: list, codes: np.ndarray, fn) -> _Feature:
    """``fn`` of each distinct input value some record holds, values that are the same fact value (same type and
    value: True is not 1) sharing one index."""
    held = count_codes(codes, len(values))
    index: dict = {}
    out: list = []
    mapping = np.zeros(max(len(values), 1), dtype=np.int64)  # narrowed below
    for k in np.flatnonzero(held).tolist():
        value = fn(values[k])
        key = (type(value), value)
        try:
            found = index.get(key)
        except TypeError:  # unhashable: its own index
            found, key = None, None
        if found is None:
            found = len(out)
            out.append(value)
            if key is not None:
                index[key] = found
        mapping[k] = found
    return _Feature(name, out, mapping.astype(np.uint8 if len(out) <= 0xFF else np.uint16 if len(out) <= 0xFFFF
                                              else np.int64), codes)


def _first_seen(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index of each record's key among the distinct keys, numbered in order of first appearance; the record where
    each distinct key first appears). Arrow's hash-based dictionary encoding: no sort of the whole column."""
    _, pc = arrow()
    if not len(key):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    inverse = pc.dictionary_encode(from_numpy(key)).indices.to_numpy()  # numbered in order of first appearance
    seen = np.maximum.accumulate(inverse)
    first = np.flatnonzero(np.concatenate(([True], seen[1:] > seen[:-1])))
    return inverse, first


def _measure_feature(d: Derived, encoded, calendar: WorkCalendar) -> _Feature:
    """A derived measure per record, computed once per distinct pair of inputs (start, end)."""
    start_name, end_name = _derived_inputs(d)
    start_values, start_codes = encoded(start_name)
    end_values, end_codes = encoded(end_name)
    width = max(len(end_values), 1)
    pair = start_codes.astype(np.int32 if len(start_values) * width < 1 << 31 else np.int64)
    pair *= width
    pair += end_codes
    inverse, first = _first_seen(pair)
    del pair
    measures = []
    for s, e in zip(start_codes[first].tolist(), end_codes[first].tolist()):  # in order of first appearance
        record = {}
        for name, value in ((start_name, start_values[s]), (end_name, end_values[e])):
            if value is not None:
                record[name] = value
        try:
            measures.append(measure(d, record, calendar))
        except CalendarError as exc:
            raise _DerivedFailed(d, str(exc)) from None
    return _feature(d.name, measures, inverse, lambda v: v)


def _ledger_facts(rules: CompiledRules, ledger_name: str, ledger: Ledger, derived: list[Derived],
                  calendar: WorkCalendar, errors: dict[str, str]) -> LedgerFacts:
    """Facts from the ledger's columns. Each fact field is computed once per distinct input value (a derived measure
    once per distinct pair of inputs) and coded per record; records that agree on every fact field share a key (the
    fields' codes, combined vectorised); each distinct key's fact is built once. A derived measure that cannot be
    computed (e.g. a date beyond the holiday calendar) is left out, its message kept in ``errors``."""
    fields = rules.fields_by_ledger.get(ledger_name, [])
    code = rules.ledger_code(ledger_name)
    cache: dict[str, tuple[list, np.ndarray]] = {}

    def encoded(name: str) -> tuple[list, np.ndarray]:
        if name not in cache:
            cache[name] = ledger.encoded(name)
        return cache[name]

    features = [_feature(name, *encoded(name), lambda v: None if v is None else normalise_value(v)) for name in fields]
    features += [_feature(blank_flag(name), *encoded(name), lambda v: True if v is None else None)
                 for name in rules.blank_flags(ledger_name)]  # blank scope cells: in scope
    features += [_feature(month_day_field(name), *encoded(name), month_day_value)
                 for name in rules.month_days.get(ledger_name, [])]
    for d in derived:
        try:
            features.append(_measure_feature(d, encoded, calendar))
        except _DerivedFailed as failed:  # that measure is left out; the other facts stand
            errors[failed.derived.name] = failed.message
    n = len(ledger)
    key = np.zeros(n, dtype=np.int32)  # 4 bytes a record while the combined codes stay below 2**31
    radix = 1
    for f in features:  # mixed radix while it fits, then re-numbered densely
        width = len(f.values)
        if width <= 1:
            continue
        if radix * width >= 1 << 62:
            key, _ = _first_seen(key)
            radix = int(key.max()) + 1 if n else 1
        if radix * width >= 1 << 31 and key.dtype != np.int64:
            key = key.astype(np.int64)
        key *= width
        key += f.mapping[f.codes]
        radix *= width
    inverse, first = _first_seen(key)
    del key
    columns = [(f.name, f.at(first)) for f in features]
    del features
    by_fact: dict[tuple, int] = {}
    distinct: list[dict] = []
    group_of_key: list[int] = []
    for k in range(len(first)):  # distinct keys in order of first appearance
        fact = {"_l": code}
        for name, values in columns:
            value = values[k]
            if value is not None:
                fact[name] = value
        identity = tuple((name, type(value), value) for name, value in fact.items())  # True is not 1
        group = by_fact.get(identity)
        if group is None:
            group = by_fact[identity] = len(distinct)
            distinct.append(fact)
        group_of_key.append(group)
    narrow = np.uint16 if len(distinct) <= 0xFFFF else np.uint32
    groups = np.asarray(group_of_key, dtype=narrow)[inverse] if n else np.zeros(0, dtype=narrow)
    return LedgerFacts(distinct, groups)


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
