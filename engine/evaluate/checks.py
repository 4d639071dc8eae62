"""Check kinds: turn predicate matches into check results (status, actual vs required, evidence).

One function per kind; none knows any indicator. Inputs are the record indices each compiled
predicate matched (from either backend), the typed records for dates and values, and the unit's
creation period.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import operator
from array import array
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from engine.evaluate.facts import FactSet, count_codes, measure
from engine.results import STATUS_ZH, CheckResult, Citation, YearResult
from engine.rules import conditions
from engine.rules.compiler import CompiledCheck, CompiledRules
from engine.rules.model import RefValue, YearSpec
from evidence.columns import TextColumn, arrow, np
from evidence.models import Ledger
from evidence.package import EvidencePackage

_KEEP_MATCHED = 50_000  # matched-record lists up to this length are kept for the run
OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq,
}
OP_ZH = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "="}
UNIT_ZH = {"hours": "小时", "days": "日", "working_days": "个工作日", "months": "个月"}


@dataclass
class Context:
    package: EvidencePackage
    rules: CompiledRules
    matches: dict[int, list[int]]  # predicate -> distinct facts it matched (from a backend)
    facts: FactSet
    references: dict[str, dict[int, float]]
    reference_origins: dict[tuple[str, int], str] = field(default_factory=dict)
    used_references: set[tuple[str, int]] = field(default_factory=set)
    max_citations: int = 50
    _record_cache: dict[tuple, list] = field(default_factory=dict, repr=False)
    _matched: dict[int, list[int]] = field(default_factory=dict, repr=False)

    @property
    def period(self):
        return self.package.unit.period

    @property
    def partial_rule(self) -> str:
        return self.rules.catalog.edition.partial_years

    def quota(self, value: float, op: str, first: int, last: int | None = None, start: dt.date | None = None,
              end: dt.date | None = None) -> tuple[float, str | None]:
        """A per-year minimum for the years ``first``..``last`` under the edition's partial-year rule (audit D16):
        (required, note). Only inside the period (and [start, end], e.g. an officer's time in post) counts;
        required 0 means not required that year. Maxima and full years are never scaled."""
        inside, total = self.period.days_in(first, last, start, end)
        if inside == 0:
            return 0.0, "不在期间内"
        if op != ">=" or value <= 0 or inside >= total:
            return value, None
        days = f"{inside}/{total} 天"
        rule = self.partial_rule
        if rule == "full":
            return value, f"{days},按全年要求"
        if rule == "exempt" and (start is not None or end is not None or self._has_full_year()):
            return 0.0, f"{days},不足整年不作要求"
        required = float(math.floor(value * inside / total + 0.5))
        return required, f"全年 {num(value)},按 {days}折算"

    def _has_full_year(self) -> bool:
        return any(self.period.days_in(y)[0] == self.period.days_in(y)[1] for y in self.period.years)

    def ledger(self, name: str | None) -> Ledger | None:
        return self.package.ledgers.get(name) if name else None

    def matched(self, pred: int | None) -> list[int]:
        """Record indices (ascending) matched by predicate ``pred``.

        Backends report distinct facts; the records are listed here on demand. Small lists are kept; a
        list over a large ledger is rebuilt per use (~30 ms per million records) rather than kept for the run:
        kept, a million-row ledger's lists held ~150 MB until the end.
        """
        if pred is None:
            return []
        out = self._matched.get(pred)
        if out is None:
            out = self.facts.records_matching(self.rules.predicates[pred].ledger, self.matches.get(pred, []))
            if len(out) <= _KEEP_MATCHED:
                self._matched[pred] = out
        return out

    def attested(self, pred: int | None) -> list[int]:
        """Attestations that count: dated on or after the end of the creation period they certify (audit D17);
        one signed before the period ended cannot speak for the rest of it."""
        ledger = self.ledger("attestations")
        if ledger is None:
            return []
        end = self.period.end
        return [i for i in self.matched(pred) if (d := ledger.records[i].get("date")) is not None and _day(d) >= end]

    def attested_too_early(self, pred: int | None) -> list[int]:
        ledger = self.ledger("attestations")
        if ledger is None:
            return []
        valid = set(self.attested(pred))
        return [i for i in self.matched(pred) if i not in valid]

    def _date_field(self, ledger: Ledger, spec: YearSpec | None) -> str | None:
        return spec.field if spec else self.rules.ledgers.ledgers[ledger.name].date_field

    def _per_record(self, kind: str, ledger: Ledger, spec: YearSpec | None, of_value: Callable) -> list:
        """``of_value`` applied to each record's date field, once per distinct value and cached per ledger and rule
        (a million-row ledger holds a few hundred distinct dates)."""
        name = self._date_field(ledger, spec)
        key = (kind, ledger.name, name, spec.offset if spec else 0)
        out = self._record_cache.get(key)
        if out is None:
            values, codes = ledger.encoded(name)
            per_value = np.empty(len(values), dtype=object)
            per_value[:] = _per_value(values, codes, of_value, None)
            out = self._record_cache[key] = per_value[codes].tolist()
        return out

    def years_of(self, ledger: Ledger, spec: YearSpec | None) -> list[int | None]:
        """Each record's year under ``spec`` (its date field's year, plus the offset); None when undated."""
        return self._per_record("year", ledger, spec, self._year_fn(spec))

    @staticmethod
    def _year_fn(spec: YearSpec | None) -> Callable:
        offset = spec.offset if spec else 0

        def year(value) -> int | None:
            if value is None:
                return None
            return (value.year if isinstance(value, (dt.date, dt.datetime)) else int(value)) + offset

        return year

    def year_of(self, ledger: Ledger, index: int, spec: YearSpec | None) -> int | None:
        if self._date_field(ledger, spec) is None:
            return None
        return self.years_of(ledger, spec)[index]

    def _inside_fn(self, spec: YearSpec | None) -> Callable:
        period, offset = self.period, spec.offset if spec else 0

        def inside(value) -> bool:
            if value is None:
                return False
            if isinstance(value, (dt.date, dt.datetime)) and not offset:
                return period.contains(value.date() if isinstance(value, dt.datetime) else value)
            year = (value.year if isinstance(value, (dt.date, dt.datetime)) else int(value)) + offset
            return period.start.year <= year <= period.end.year

        return inside

    def _date_flags(self, ledger: Ledger, spec: YearSpec | None, within: bool,
                    years: set[int | None] | None) -> tuple[np.ndarray, np.ndarray] | None:
        """(a flag per distinct value of the date field under ``spec``, the value's code per record): is a record inside
        the period (if ``within``) and in ``years`` (unless None)? None when every record qualifies that way."""
        name = self._date_field(ledger, spec)
        if name is None or (not within and years is None):
            return None
        key = ("flags", ledger.name, name, spec.offset if spec else 0, within, None if years is None else frozenset(years))
        out = self._record_cache.get(key)
        if out is None:
            year, inside = self._year_fn(spec), self._inside_fn(spec)
            values, codes = ledger.encoded(name)
            flags = _per_value(values, codes, lambda v: (not within or inside(v)) and (years is None or year(v) in years),
                               False)
            out = self._record_cache[key] = (np.asarray(flags, dtype=bool), codes)
        return out

    def cells(self, ledger: Ledger, spec: YearSpec | None) -> dict[int, list[tuple[int | None, bool, int]]]:
        """Each distinct fact of ``ledger`` split by the records' year under ``spec`` and whether they fall inside
        the creation period: fact -> [(year, inside, record count)]. One vectorised counting pass over the ledger per
        date field (distinct fact x date value), then years and period membership per distinct date; shared by every
        check that reads the ledger (checks then weigh groups, not records)."""
        name = self._date_field(ledger, spec)
        key = ("cells", ledger.name, name, spec.offset if spec else 0)
        out = self._record_cache.get(key)
        if out is None:
            facts = self.facts.by_ledger.get(ledger.name)
            out = {}
            if facts is not None and name is None:  # undated ledger: every record inside, no year
                counts = count_codes(numbers(facts.group_of), len(facts.distinct))
                out = {g: [(None, True, int(counts[g]))] for g in np.flatnonzero(counts).tolist()}
            elif facts is not None:
                values, codes = ledger.encoded(name)  # the date field as codes of its distinct values
                width = max(len(values), 1)
                group_of = numbers(facts.group_of)

                def pair(start: int, stop: int) -> np.ndarray:  # (fact, date value) of a slice of records
                    out = group_of[start:stop].astype(np.int64)
                    out *= width
                    out += codes[start:stop]
                    return out

                size = len(facts.distinct) * width
                if size <= max(4 * len(group_of), 1 << 16):
                    counts = count_codes(group_of, size, pair)
                    found = np.flatnonzero(counts)
                    counts = counts[found]
                else:
                    found, counts = np.unique(pair(0, len(group_of)), return_counts=True)
                year = functools.lru_cache(maxsize=None)(self._year_fn(spec))
                inside = functools.lru_cache(maxsize=None)(self._inside_fn(spec))
                weights: dict[tuple, int] = defaultdict(int)
                for k, n in zip(found.tolist(), counts.tolist()):
                    g, code = divmod(k, width)
                    value = values[code]
                    weights[(g, year(value), inside(value))] += n
                for (g, y, flag), n in weights.items():  # ascending fact (the pairs were counted in that order)
                    out.setdefault(g, []).append((y, flag, n))
            self._record_cache[key] = out
        return out

    def select(self, ledger: Ledger, spec: YearSpec | None, groups, within: bool,
               years: set[int | None] | None) -> Selection:
        """The records of the distinct facts ``groups``, inside the period if ``within``, and in ``years`` (under
        ``spec``) unless None: counted from ``cells``, listed only as far as citations need (``cite``)."""
        facts = self.facts.by_ledger.get(ledger.name) if self.facts is not None else None
        groups = sorted(set(groups))
        if facts is None or not groups:
            return Selection.none()
        cells = self.cells(ledger, spec)
        total = sum(n for g in groups for y, inside, n in cells.get(g, ())
                    if (inside or not within) and (years is None or y in years))
        chosen = np.zeros(len(facts.distinct), dtype=bool)
        chosen[groups] = True
        per_year: dict[int, int] = defaultdict(int)  # the chosen records with a year, per year
        for g in groups:
            for y, inside, n in cells.get(g, ()):
                if (inside or not within) and (years is None or y in years) and y is not None:
                    per_year[y] += n

        def narrow(only: set[int | None]) -> Selection:
            return self.select(ledger, spec, groups, within, only if years is None else set(only) & set(years))

        return Selection(numbers(facts.group_of), chosen, self._date_flags(ledger, spec, within, years), total,
                         dict(per_year), narrow)

    def in_cells(self, ledger: Ledger, spec: YearSpec | None, groups: list[int], within: bool,
                 years: set[int | None] | None) -> list[int]:
        """Record indices (ascending) of the distinct facts ``groups``, inside the period if ``within``, and in
        ``years`` (under ``spec``) unless None."""
        return self.select(ledger, spec, groups, within, years).indices()

    def scoped(self, ledger: Ledger, indices: list[int], spec: YearSpec | None, within: bool = True) -> list[int]:
        flags = self._date_flags(ledger, spec, within, None)
        if flags is None:
            return list(indices)
        per_value, codes = flags
        indices = np.asarray(indices, dtype=np.int64)
        return indices[per_value[codes[indices]]].tolist()

    def threshold(self, value: float | RefValue, year: int | None) -> tuple[float | None, str]:
        if not isinstance(value, RefValue):
            return float(value), ""
        if year is None:
            year = self.period.end.year
        target = year + value.year_offset
        table = {**self.references.get(value.reference, {})}
        number = table.get(target)
        label = f"{target}年参考值 {value.reference}"
        if number is not None:
            self.used_references.add((value.reference, target))
            origin = self.reference_origins.get((value.reference, target))
            if origin:
                label += f",来源:{origin}"
        return number, label

    def scope_note(self, cc: CompiledCheck, ledger: Ledger, population: list[int], spec: YearSpec | None = None,
                   within: bool = True, counts: dict[str, int] | None = None) -> str | None:
        """Incomplete records behind a population (audit D9): blank scope cells read as in scope, or left out.
        ``counts``: the blank cells per column, when the caller counted them (per group of facts, check_rate)."""
        parts = []
        defs = self.rules.ledgers.ledgers[ledger.name].fields
        for name, meaning in sorted(cc.scope_blanks.items()):
            if counts is not None and name in counts:
                n, how = counts[name], "按适用计入" if meaning == "in_scope" else "未计入"
            elif meaning == "in_scope":
                column = ledger.column(name)  # one field of every record (a columnar ledger builds no record)
                n = sum(1 for i in population if column[i] is None)
                how = "按适用计入"
            else:
                column = ledger.column(name)
                every = self.scoped(ledger, range(len(ledger)), spec, within)
                n = sum(1 for i in every if column[i] is None)
                how = "未计入"
            if n:
                parts.append(f"{n} 条记录的「{defs[name].title}」未填写,{how}(不完整记录,见警告)")
        return ";".join(parts) or None

    def order(self, ledger: Ledger) -> np.ndarray:
        """Record indices sorted by (record id, row), kept per ledger: citations are taken in this order, whatever
        the file order. A text id column is sorted by Arrow (stable, by UTF-8 bytes: the order of Python strings),
        its rows ascending in the file; otherwise the ids are sorted here."""
        key = ("order", ledger.name)
        out = self._record_cache.get(key)
        if out is None:
            n = len(ledger)
            rows = numbers(ledger.rows)
            col = ledger.columns.get(ledger.id_field) if ledger.columns is not None else None
            if isinstance(col, TextColumn) and n and bool(np.all(rows[1:] > rows[:-1])):
                pa, pc = arrow()
                ids = pc.fill_null(col.array, "") if col.array.null_count else col.array
                out = pc.sort_indices(ids).to_numpy()  # stable: equal ids stay in row order
            else:
                ids = ledger.ids()
                out = np.asarray(sorted(range(n), key=lambda i: (ids[i], rows[i])), dtype=np.int64)
            out = self._record_cache[key] = out.astype(np.uint32 if n < 1 << 32 else np.int64)
        return out

    def _position(self, ledger: Ledger) -> np.ndarray:
        """Each record's place in ``order``."""
        key = ("position", ledger.name)
        out = self._record_cache.get(key)
        if out is None:
            order = self.order(ledger)
            out = np.empty(len(order), dtype=order.dtype)
            for start in range(0, len(order), 1 << 20):  # a million at a time: no second full-length array
                out[order[start:start + (1 << 20)]] = np.arange(start, min(start + (1 << 20), len(order)), dtype=order.dtype)
            self._record_cache[key] = out
        return out

    def cite(self, ledger: Ledger, indices, note: Callable[[int], str | None] | None = None) -> tuple[list[Citation], int]:
        """The first ``max_citations`` records by (record id, row) — an order that does not depend on file order.
        ``indices``: record indices, or a ``Selection`` (counted, listed only up to the cut)."""
        n = self.max_citations
        first: list[int] = []
        if isinstance(indices, Selection):
            total = indices.total
            if total >= 8 * n:  # many: the first ones usually come early in (id, row) order
                first = indices.first(self.order(ledger), n)
            if total and not first:  # few, or late in that order: listed in record order, then placed
                indices = indices.array()
        else:
            indices = np.asarray(indices if isinstance(indices, (list, np.ndarray)) else list(indices), dtype=np.int64)
            total = len(indices)
        if total and not first:
            place = self._position(ledger)[indices]
            if len(place) > n:
                place = np.partition(place, n - 1)[:n]
            place.sort()
            first = self.order(ledger)[place].tolist()
        out = [
            Citation(ledger=ledger.name, file=ledger.file, row=ledger.rows[i], id=ledger.record_id(i), sheet=ledger.sheet,
                     note=note(i) if note else None)
            for i in first
        ]
        return out, total


@dataclass
class Selection:
    """Records of one ledger chosen by their distinct fact (``chosen``: a flag per fact) and, optionally, by their
    date value (``dates``: a flag per distinct value, and the value's code per record), with their number
    (``total``, counted per group of facts): a citation lists only the first few in (id, row) order."""

    group_of: np.ndarray
    chosen: np.ndarray
    dates: tuple[np.ndarray, np.ndarray] | None
    total: int
    per_year: dict[int, int] = field(default_factory=dict)  # the chosen records that have a year, per year
    narrow: Callable[[set], Selection] | None = None  # the chosen records of some years only

    @staticmethod
    def none() -> Selection:
        out = Selection(np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=bool), None, 0)
        out.narrow = lambda _years: out
        return out

    def mask(self, indices: np.ndarray) -> np.ndarray:
        out = self.chosen[self.group_of[indices]]
        if self.dates is not None:
            flags, codes = self.dates
            out &= flags[codes[indices]]
        return out

    def first(self, order: np.ndarray, n: int) -> list[int]:
        """The first ``n`` chosen records of ``order`` when they lie in its first part (a 32nd, at least 64 x n), else
        [] (the caller then lists the selection in record order, sequential reads rather than a long random scan)."""
        part = order[:max(64 * n, len(order) // 32)]
        hit = part[self.mask(part)]
        return hit[:n].tolist() if len(hit) >= n or len(part) == len(order) else []

    def array(self) -> np.ndarray:
        """Every chosen record index, ascending (read in record order: no random access)."""
        if not self.total:
            return np.zeros(0, dtype=np.int64)
        keep = self.chosen[self.group_of]
        if self.dates is not None:
            flags, codes = self.dates
            keep &= flags[codes]
        return np.flatnonzero(keep)

    def indices(self) -> list[int]:
        return self.array().tolist()


def numbers(seq) -> np.ndarray:
    """Integers as a numpy array: a view of an ``array`` (record rows, facts' group_of), else a copy."""
    raw = getattr(seq, "_a", seq)  # evidence.columns.RowNumbers keeps an array('I')
    if isinstance(raw, np.ndarray):
        return raw
    if isinstance(raw, array):
        return np.frombuffer(raw, dtype=np.dtype(raw.typecode)) if len(raw) else np.zeros(0, dtype=np.int64)
    return np.asarray(list(seq), dtype=np.int64)


def _per_value(values: list, codes: np.ndarray, fn: Callable, default) -> list:
    """``fn`` of each distinct value some record holds (``default`` for values no record holds)."""
    held = count_codes(codes, len(values))
    return [fn(v) if held[k] else default for k, v in enumerate(values)]


def _day(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def pct(x: float) -> str:
    text = f"{x * 100:.2f}".rstrip("0").rstrip(".")
    return f"{text}%"


def num(x: float) -> str:
    if float(x).is_integer():
        return str(int(x))
    return f"{x:.2f}".rstrip("0").rstrip(".")


def _result(cc: CompiledCheck, status: str, **kw) -> CheckResult:
    c = cc.check
    return CheckResult(id=c.id, kind=c.kind, title=c.title, status=status, veto=c.veto, **kw)


def _missing(cc: CompiledCheck, ctx: Context, message: str) -> CheckResult:
    """No evidence: not applicable only when the unit attested it, otherwise missing evidence."""
    if cc.check.na_if_attested and ctx.attested(cc.attest):
        att = ctx.ledger("attestations")
        ev, total = ctx.cite(att, ctx.attested(cc.attest), lambda i: att.records[i].get("statement"))
        return _result(cc, "not_applicable", message=f"已出具情况说明({cc.check.na_if_attested}),本项不适用", evidence=ev,
                       evidence_total=total, score=0)
    hint = f";如确无此类事项,请出具情况说明(事项代码 {cc.check.na_if_attested})" if cc.check.na_if_attested else ""
    return _result(cc, "missing_evidence", message=message + hint)


def _ledger_missing(cc, ctx, name) -> CheckResult:
    title = ctx.rules.ledgers.ledgers[name].title if name in ctx.rules.ledgers.ledgers else name
    return _missing(cc, ctx, f"证据包中没有台账「{title}」({name})")


def _fold_years(cc: CompiledCheck, years: list[YearResult], violations: int, evidence, total, actual, required,
                message=None) -> CheckResult:
    passed = sum(1 for y in years if y.status == "pass")
    scored = [y for y in years if y.status in ("pass", "fail")]
    if not scored and years and all(y.status == "not_applicable" for y in years):
        # every year exempted by the partial-year rule (e.g. only part-year officers under ``exempt``): nothing required
        return _result(cc, "not_applicable", actual=actual, required=required, score=0, years=years, evidence=evidence,
                       evidence_total=total, message=message or "各年度按不完整年度规则均不作要求")
    if not scored:
        status, score = "missing_evidence", 0.0
    elif passed == len(scored):
        status, score = "pass", 1.0
    elif passed == 0:
        status, score = "fail", 0.0
    else:
        status, score = "partial", passed / len(scored)
    return _result(cc, status, actual=actual, required=required, score=round(score, 6), violations=violations, years=years,
                   evidence=evidence, evidence_total=total, message=message)


# ---------------------------------------------------------------- rate and deadline


def check_rate(cc: CompiledCheck, ctx: Context) -> CheckResult:
    """Rates and deadlines, evaluated per group of identical records: a distinct fact (facts.py) split by the
    record's year and whether it falls inside the creation period. Each group is weighed once by its record count;
    records are listed only for the groups that fail, to be cited. Same results as evaluating each record
    (tests/test_check_groups.py keeps a per-record oracle)."""
    c = cc.check
    ledger = ctx.ledger(c.ledger)
    if ledger is None:
        return _ledger_missing(cc, ctx, c.ledger)
    if cc.derived is not None and cc.derived.name in ctx.facts.derived_errors:
        return _result(cc, "error", message=ctx.facts.derived_errors[cc.derived.name])
    cells = ctx.cells(ledger, c.year)
    good = set(ctx.matches.get(cc.match, ())) if cc.match is not None else set()
    deadline = c.kind == "deadline"
    bad_state = getattr(c, "condition_is_violation", False)  # matches are the violations (e.g. 败诉 in a loss rate)
    # (fact, year, record count) of the population's records in scope
    population = [(g, year, n) for g in ctx.matches.get(cc.population, ()) for year, inside, n in cells.get(g, ())
                  if inside or not c.within_period]
    if not population:
        return _missing(cc, ctx, f"台账「{ledger.title}」中没有本项适用的记录")
    n_population = sum(n for _, _, n in population)

    def scope_note() -> str | None:  # blank scope cells (audit D9), counted per group of facts
        if not cc.scope_blanks:
            return None
        distinct, read = ctx.facts.by_ledger[ledger.name].distinct, ctx.rules.fields_by_ledger.get(ledger.name, ())
        counts = {}
        for name, meaning in cc.scope_blanks.items():
            if name not in read:  # not in the facts: counted on the records by scope_note
                continue
            if meaning == "in_scope":  # blank cells of the population
                counts[name] = sum(n for g, _, n in population if name not in distinct[g])
            else:  # blank cells of every record in scope, left out of the population
                counts[name] = sum(n for g, cs in cells.items() if name not in distinct[g]
                                   for _, inside, n in cs if inside or not c.within_period)
        if len(counts) == len(cc.scope_blanks):
            return ctx.scope_note(cc, ledger, [], c.year, c.within_period, counts=counts)
        records = ctx.in_cells(ledger, c.year, sorted({g for g, _, _ in population}), c.within_period, None)
        return ctx.scope_note(cc, ledger, records, c.year, c.within_period, counts=counts)

    target_op, target = (">=", c.required_rate) if deadline else (c.op, c.value)
    tally: dict[int | None, list[int]] = defaultdict(lambda: [0, 0])  # year -> [records, records matching]
    for g, year, n in population:
        if c.per_year and year is None:
            continue  # an undated record has no year to count in
        counts = tally[year if c.per_year else None]
        counts[0] += n
        if g in good:
            counts[1] += n
    years: list[YearResult] = []
    n_bad_all = n_bad_failing = 0
    failing_years: set[int | None] = set()
    overall = None
    for year in sorted(tally, key=lambda y: (y is None, y)):
        size, ok = tally[year]
        rate = ok / size  # with bad_state, the share of violations
        limit, ref_label = ctx.threshold(target, year)
        required = f"{OP_ZH[target_op]} {pct(limit)}" if limit is not None else f"缺少{ref_label}"
        if limit is None:
            status = "missing_evidence"
        else:
            status = "pass" if OPS[target_op](round(rate, 12), limit) else "fail"
        actual = f"{pct(rate)}({ok}/{size})"
        if ref_label and limit is not None:
            required += f"({ref_label})"
        bad = ok if bad_state else size - ok
        n_bad_all += bad
        if status == "fail":
            n_bad_failing += bad
            failing_years.add(year)
        if year is None:
            overall = (status, actual, required)
        else:
            years.append(YearResult(year=year, status=status, actual=actual, required=required))
    # cited: the bad records of the failing years, else every bad record counted above
    cited_years = failing_years if n_bad_failing else set(tally)
    cited_groups = sorted({g for g, year, _ in population if (g in good) == bad_state
                           and (year if c.per_year else None) in cited_years})
    note = _deadline_note(cc, ctx, ledger) if deadline else _field_note(ctx, ledger, c)
    evidence, total = ctx.cite(ledger, ctx.select(ledger, c.year, cited_groups, c.within_period,
                                                  cited_years if c.per_year else None), note)
    if deadline:
        limit_text = f"{OP_ZH[c.op]} {num(c.limit)} {UNIT_ZH[c.unit]}"
        suffix = f",按时率 {OP_ZH[target_op]} {pct(c.required_rate)}" if c.required_rate < 1 else ""
        required_text = f"每条记录 {limit_text}{suffix}"
        worst = _worst(cc, ctx, ledger, {g for g, _, _ in population})
        n_ok = n_population - n_bad_all
        actual_text = f"符合 {n_ok}/{n_population} 条({pct(n_ok / n_population)})" + (f",{worst}" if worst else "")
    else:
        required_text = ""
        actual_text = ""
    if overall is not None:
        status, actual, required = overall
        score = 1.0 if status == "pass" else 0.0
        return _result(cc, status, actual=actual_text or actual, required=required_text or required, score=score,
                       violations=n_bad_failing, evidence=evidence, evidence_total=total, message=scope_note())
    n_ok = n_bad_all if bad_state else n_population - n_bad_all
    summary = actual_text or f"合计 {pct(n_ok / n_population)}({n_ok}/{n_population})"
    req = required_text or (years[0].required.split("(")[0] + ",逐年计算" if years else "")
    return _fold_years(cc, years, n_bad_failing, evidence, total, summary, req, message=scope_note())


def _field_note(ctx: Context, ledger: Ledger, c) -> Callable[[int], str]:
    fields = sorted({conditions.month_day_base(f) or f for f in conditions.fields_of(conditions.parse(c.condition))})
    defs = ctx.rules.ledgers.ledgers[ledger.name].fields

    def note(i: int) -> str:
        parts = []
        for f in fields:
            value = ledger.records[i].get(f)
            shown = "未填写" if value is None else ("是" if value is True else "否" if value is False else str(value))
            parts.append(f"{defs[f].title}:{shown}")
        return ";".join(parts)

    return note


def _deadline_note(cc: CompiledCheck, ctx: Context, ledger: Ledger) -> Callable[[int], str]:
    c = cc.check
    defs = ctx.rules.ledgers.ledgers[ledger.name].fields

    def note(i: int) -> str:
        record = ledger.records[i]
        if record.get(c.end) is None:
            return f"未填写{defs[c.end].title}"
        value = measure(cc.derived, record, ctx.facts.calendar)  # calendar errors returned earlier as the check's error
        if value is None:
            return "起算日期未填写"
        if value < 0 and isinstance(c.start, str):
            return f"{defs[c.end].title}早于{defs[c.start].title},时间记录有误"
        return deadline_words(value, c.op, c.limit, UNIT_ZH[c.unit])

    return note


def deadline_words(value: float, op: str, limit: float, unit: str) -> str:
    """A deadline finding as a clerk says it: 超期 15 日, 超出时限 2 小时(实际 7 小时,时限 5 小时)."""
    if unit == "个月" and not float(value).is_integer():  # months_between: m + 0.5 = more than m months
        return f"用时超过 {num(value - 0.5)} 个月(要求 {OP_ZH[op]} {num(limit)} 个月)"
    if op in ("<=", "<") and value > limit:
        over = value - limit
        if limit == 0:
            return f"超期 {num(over)} {unit}"
        return f"超出时限 {num(over)} {unit}(实际用时 {num(value)} {unit},时限 {num(limit)} {unit})"
    if op in (">=", ">") and value < limit:
        return f"不足 {num(limit - value)} {unit}(实际 {num(value)} {unit},应不少于 {num(limit)} {unit})"
    return f"实际 {num(value)} {unit}(要求 {OP_ZH[op]} {num(limit)} {unit})"


def _worst(cc: CompiledCheck, ctx: Context, ledger: Ledger, groups: set[int]) -> str:
    """The longest (or shortest) measure among the distinct facts ``groups`` of the population."""
    c = cc.check
    facts = ctx.facts.by_ledger.get(ledger.name)
    name = cc.derived.name
    if facts is None:
        return ""
    values = [facts.distinct[g][name] for g in groups if name in facts.distinct[g]]
    if not values:
        return ""
    worst = max(values) if c.op in ("<=", "<") else min(values)
    label = "最长" if c.op in ("<=", "<") else "最短"
    return f"{label} {num(worst)} {UNIT_ZH[c.unit]}"


def _group_by_year(ctx: Context, ledger: Ledger, indices: list[int], spec: YearSpec | None) -> dict[int, list[int]]:
    groups: dict[int, list[int]] = defaultdict(list)
    if ctx._date_field(ledger, spec) is None:
        return {}
    years = ctx.years_of(ledger, spec)
    for i in indices:
        year = years[i]
        if year is not None:
            groups[year].append(i)
    return dict(groups)


# ---------------------------------------------------------------- counts and documents


def _windows(years: list[int], every: int | None, per_year: bool) -> list[tuple[int, int]]:
    if every:
        if len(years) <= every:
            return [(years[0], years[-1])]
        return [(y, y + every - 1) for y in years[: len(years) - every + 1]]
    if per_year:
        return [(y, y) for y in years]
    return [(years[0], years[-1])]


def _count_windows(cc, ctx, ledger, indices, spec, op, value, per_year, every, unit="条") -> CheckResult:
    """Counts per year window. ``indices``: the records counted, or a ``Selection`` (counted per group of facts from
    ``ctx.cells``, its records listed only as far as the citations need)."""
    years = ctx.period.years
    if isinstance(indices, Selection):
        chosen = indices
        year_counts = indices.per_year

        def records(failing_years):
            return chosen if failing_years is None else chosen.narrow(failing_years)
    else:
        by_year = _group_by_year(ctx, ledger, indices, spec)
        year_counts = {y: len(v) for y, v in by_year.items()}

        def records(failing_years):
            if failing_years is None:
                return indices
            return sorted({i for y in failing_years for i in by_year.get(y, [])})
    windows = _windows(years, every, per_year)
    if per_year or every:  # per-year (per-N-years) quotas under the edition's partial-year rule
        quotas = [ctx.quota(value, op, lo, hi) for lo, hi in windows]
        if value > 0 and not any(q for q, _ in quotas):  # a period too short to require anything: round up instead
            quotas = [(float(math.ceil(value * ctx.period.days_in(lo, hi)[0] / ctx.period.days_in(lo, hi)[1])),
                       f"创建周期不足以折算,{ctx.period.days_in(lo, hi)[0]}/{ctx.period.days_in(lo, hi)[1]} 天向上取整")
                      for lo, hi in windows]
    else:
        quotas = [(value, None) for _ in windows]
    results: list[YearResult] = []
    for (lo, hi), (q, note) in zip(windows, quotas):
        n = sum(year_counts.get(y, 0) for y in range(lo, hi + 1))
        span = f"{lo}年" if lo == hi else f"{lo}–{hi}年"
        if value > 0 and q == 0:
            results.append(YearResult(year=lo, status="not_applicable", actual=f"{span} {n} {unit}", required=f"不作要求({note})"))
            continue
        status = "pass" if OPS[op](n, q) else "fail"
        results.append(YearResult(year=lo, status=status, actual=f"{span} {n} {unit}",
                                  required=f"{OP_ZH[op]} {num(q)} {unit}" + (f"({note})" if note else "")))
    failing = [(lo, hi) for (lo, hi), r in zip(windows, results) if r.status == "fail"]
    cited = None
    if failing and (per_year or every):  # cite the records of the failing years only, not the compliant ones
        cited = {y for lo, hi in failing for y in range(lo, hi + 1)}
    evidence, total = ctx.cite(ledger, records(cited), lambda i: _describe(ledger, i))
    per = f"每{every}年" if every else ("每年" if per_year else "创建周期内")
    required = f"{per} {OP_ZH[op]} {num(value)} {unit}" + (partial_suffix(ctx) if any(n for _, n in quotas) else "")
    actual = ";".join(r.actual for r in results)
    violations = sum(1 for r in results if r.status == "fail")
    out = _fold_years(cc, results, violations, evidence, total, actual, required)
    if not per_year and not every:
        out.years = []
    return out


def partial_suffix(ctx: Context) -> str:
    """What the required text adds when a partial year was met: the rule's name (the report states the rule)."""
    return {"pro_rata": ",不足整年的年度按比例折算", "exempt": ",不足整年的年度不作要求",
            "full": ",不足整年的年度按全年要求"}[ctx.partial_rule]


def _describe(ledger: Ledger, i: int) -> str:
    record = ledger.records[i]
    parts = [str(record[k]) for k in ("type", "title", "date", "published_date") if record.get(k) is not None]
    return " ".join(parts)[:80] or None


def check_count(cc: CompiledCheck, ctx: Context) -> CheckResult:
    c = cc.check
    ledger = ctx.ledger(c.ledger)
    if ledger is None:
        return _ledger_missing(cc, ctx, c.ledger)
    chosen = ctx.select(ledger, c.year, ctx.matches.get(cc.population, ()), c.within_period, None)  # per group
    if not chosen.total and c.na_if_attested and ctx.attested(cc.attest):
        return _missing(cc, ctx, "")
    return _count_windows(cc, ctx, ledger, chosen, c.year, c.op, c.value, c.per_year, c.every_years, "次")


def check_document(cc: CompiledCheck, ctx: Context) -> CheckResult:
    c = cc.check
    ledger = ctx.ledger("documents")
    if ledger is None:
        return _ledger_missing(cc, ctx, "documents")
    matched = ctx.matched(cc.population)
    if c.before_period:
        indices = [i for i in matched if (d := ledger.records[i].get("date")) is not None and d <= ctx.period.end]
    else:
        indices = ctx.scoped(ledger, matched, None, c.within_period)
    kinds = "、".join(c.types)
    if not indices:
        # anything of the right type at all (e.g. unpublished, or dated outside the period)?
        return _missing(cc, ctx, f"文件资料目录中没有符合要求的「{kinds}」" + (",且须已向社会公开" if c.published else ""))
    if c.per_year:
        return _count_windows(cc, ctx, ledger, indices, None, ">=", c.min_count, True, None, "份")
    if c.each_type:  # every listed type, min_count of each
        per_type = {t: [i for i in indices if ledger.records[i].get("type") == t] for t in c.types}
        short = [t for t, found in per_type.items() if len(found) < c.min_count]
        evidence, total = ctx.cite(ledger, indices, lambda i: _describe(ledger, i))
        actual = ";".join(f"「{t}」{len(found)} 份" for t, found in per_type.items())
        return _result(cc, "fail" if short else "pass", actual=actual,
                       required=f"{kinds} 各 ≥ {c.min_count} 份" + (",已公开" if c.published else ""),
                       score=0.0 if short else 1.0, violations=len(short), evidence=evidence, evidence_total=total,
                       message=("缺少:" + "、".join(f"「{t}」" for t in short)) if short else None)
    n = len(indices)
    status = "pass" if n >= c.min_count else "fail"
    evidence, total = ctx.cite(ledger, indices, lambda i: _describe(ledger, i))
    req = f"「{kinds}」≥ {c.min_count} 份" + (",已公开" if c.published else "")
    return _result(cc, status, actual=f"{n} 份", required=req, score=1.0 if status == "pass" else 0.0,
                   violations=0 if status == "pass" else 1, evidence=evidence, evidence_total=total)


# ---------------------------------------------------------------- values, ratios, sums


def check_value(cc: CompiledCheck, ctx: Context) -> CheckResult:
    c = cc.check
    ledger = ctx.ledger(c.ledger)
    if ledger is None:
        return _ledger_missing(cc, ctx, c.ledger)
    population = ctx.scoped(ledger, ctx.matched(cc.population), c.year, c.within_period)
    if not population:
        return _missing(cc, ctx, f"台账「{ledger.title}」中没有本项适用的记录")
    title = ctx.rules.ledgers.ledgers[ledger.name].fields[c.field].title
    is_pct = ctx.rules.ledgers.ledgers[ledger.name].fields[c.field].type == "percent"
    show = pct if is_pct else num
    if c.percent:  # one rule for 95 / 95% / 0.95 (see ValueCheck)
        def show(v):
            return pct(share(v))
    good_static = set(ctx.matched(cc.match)) if cc.match is not None else None
    bad: list[int] = []
    by_year = _group_by_year(ctx, ledger, population, c.year)
    years_out: list[YearResult] = []
    for i in population:
        value = ledger.records[i].get(c.field)
        if good_static is not None:
            ok = i in good_static
        else:
            limit, _ = ctx.threshold(c.value, ctx.year_of(ledger, i, c.year))
            ok = value is not None and limit is not None and OPS[c.op](share(value) if c.percent else float(value), limit)
        if not ok:
            bad.append(i)
    bad_set = set(bad)
    limit0, ref_label = ctx.threshold(c.value, None)
    required = f"{title} {OP_ZH[c.op]} {show(limit0) if limit0 is not None else ref_label}"
    if c.per_year:
        for year in ctx.period.years:
            members = by_year.get(year, [])
            if not members:
                q, note = ctx.quota(1, ">=", year)  # one yearly value, under the partial-year rule (D16)
                if q == 0:
                    years_out.append(YearResult(year=year, status="not_applicable", actual="未填报", required=f"不作要求({note})"))
                else:
                    years_out.append(YearResult(year=year, status="fail", actual="未填报", required=required))
                continue
            values = "、".join(show(ledger.records[i][c.field]) if ledger.records[i].get(c.field) is not None else "空" for i in members)
            status = "fail" if any(i in bad_set for i in members) else "pass"
            years_out.append(YearResult(year=year, status=status, actual=values, required=required))
        missing_years = [y.year for y in years_out if y.actual == "未填报" and y.status == "fail"]
        evidence, total = ctx.cite(ledger, bad or population, lambda i: f"{title}:{_show_value(ledger.records[i].get(c.field), show)}")
        actual = ";".join(f"{y.year}年 {y.actual}" for y in years_out)
        out = _fold_years(cc, years_out, len(bad) + len(missing_years), evidence, total, actual, required + ",每年")
        return out
    evidence, total = ctx.cite(ledger, bad or population, lambda i: f"{title}:{_show_value(ledger.records[i].get(c.field), show)}")
    status = "fail" if bad else "pass"
    actual = f"{len(population) - len(bad)}/{len(population)} 条达标"
    return _result(cc, status, actual=actual, required=required, score=0.0 if bad else 1.0, violations=len(bad),
                   evidence=evidence, evidence_total=total)


def share(value) -> float:
    """A share read by the percent rule: a plain number above 1 is a percentage (95 -> 0.95)."""
    value = float(value)
    return value / 100 if value > 1 else value


def _show_value(value, show) -> str:
    return "未填写" if value is None else show(value)


def check_ratio(cc: CompiledCheck, ctx: Context) -> CheckResult:
    """Numerator count / denominator count, per group (``group_by``) and per year if asked; every group of the
    denominator must reach the threshold. ``in_post`` scopes count the people in post on the reference day."""
    c = cc.check
    for scope in (c.numerator, c.denominator):
        if ctx.ledger(scope.ledger) is None:
            return _ledger_missing(cc, ctx, scope.ledger)
    num_ledger, den_ledger = ctx.ledger(c.numerator.ledger), ctx.ledger(c.denominator.ledger)
    n_all = ctx.scoped(num_ledger, ctx.matched(cc.numerator), None)
    d_all = ctx.scoped(den_ledger, ctx.matched(cc.denominator), None)
    if not d_all:
        return _missing(cc, ctx, f"台账「{den_ledger.title}」中没有作为分母的记录")
    period = ctx.period
    slots = [(y, min(dt.date(y, 12, 31), period.end)) for y in period.years] if c.per_year else [(None, period.end)]
    den_def = ctx.rules.ledgers.ledgers[den_ledger.name]
    group_title = den_def.fields[c.group_by].title if c.group_by else ""
    blank_label = f"未填写{group_title}"
    in_post = c.numerator.in_post or c.denominator.in_post

    def group_of(ledger: Ledger, i: int) -> str | None:
        value = ledger.records[i].get(c.group_by) if c.group_by else ""
        return None if value is None else str(value)

    years: list[YearResult] = []
    failing: list[tuple[int | None, str | None, int, int, float, int]] = []  # year, group, n, d, limit, first row index
    overall = None
    for year, day in slots:
        limit, ref_label = ctx.threshold(c.value, year)
        n_idx = _ratio_members(ctx, num_ledger, c.numerator, n_all, year, day)
        d_idx = _ratio_members(ctx, den_ledger, c.denominator, d_all, year, day)
        when = ""
        if in_post:
            when = f"{year}年末在岗 " if year is not None and day == dt.date(year, 12, 31) else f"{day.isoformat()}在岗 "
        required = (f"每个{group_title} " if c.group_by else "") + (f"{OP_ZH[c.op]} {pct(limit)}" if limit is not None
                                                                     else f"缺少{ref_label}")
        if limit is None or not d_idx:
            status, actual = ("missing_evidence", "") if limit is None else ("fail", f"{when}无作为分母的记录")
        else:
            groups: dict[str | None, list[int]] = defaultdict(list)
            for i in d_idx:
                groups[group_of(den_ledger, i)].append(i)
            counts: dict[str | None, int] = defaultdict(int)
            for i in n_idx:
                counts[group_of(num_ledger, i)] += 1
            short = []
            for g in sorted(groups, key=lambda g: (g is None, g or "")):
                n, d = counts.get(g, 0), len(groups[g])
                if not OPS[c.op](round(n / d, 12), limit):
                    short.append((g, n, d))
                    failing.append((year, g, n, d, limit, groups[g][0]))
            status = "fail" if short else "pass"
            if c.group_by:
                actual = f"{when}{len(groups) - len(short)}/{len(groups)} 个{group_title}达标"
                if short:
                    named = "、".join(f"{g if g is not None else blank_label} {pct(n / d)}({n}/{d})" for g, n, d in short[:5])
                    actual += f";未达标:{named}" + ("等" if len(short) > 5 else "")
            else:
                actual = f"{when}{pct(len(n_idx) / len(d_idx))}({len(n_idx)}/{len(d_idx)})"
        if year is None:
            overall = (status, actual, required)
        else:
            years.append(YearResult(year=year, status=status, actual=actual, required=required))
    if failing and c.group_by:
        evidence = []
        for year, g, n, d, limit, first in sorted(failing, key=lambda t: (t[1] is None, t[1] or "", t[0] or 0))[: ctx.max_citations]:
            where = f"{year}年" if year is not None else "创建周期"
            evidence.append(Citation(ledger=den_ledger.name, file=den_ledger.file, row=den_ledger.rows[first],
                                     id=g if g is not None else blank_label, sheet=den_ledger.sheet,
                                     note=f"{where}:实际 {pct(n / d)}({n}/{d}),要求 {OP_ZH[c.op]} {pct(limit)}"))
        total = len(failing)
    else:
        evidence, total = ctx.cite(num_ledger, n_all, lambda i: _describe(num_ledger, i))
    if overall is not None:
        status, actual, required = overall
        if status == "missing_evidence":
            return _result(cc, "missing_evidence", message=actual or f"缺少{ctx.threshold(c.value, None)[1]}")
        return _result(cc, status, actual=actual, required=required, score=1.0 if status == "pass" else 0.0,
                       violations=len(failing) if c.group_by else (0 if status == "pass" else 1),
                       evidence=evidence, evidence_total=total)
    summary = ";".join(y.actual if in_post else f"{y.year}年 {y.actual}" for y in years)
    violations = len(failing) if c.group_by else sum(1 for y in years if y.status == "fail")
    return _fold_years(cc, years, violations, evidence, total, summary, (years[0].required if years else "") + ",逐年计算")


def _ratio_members(ctx: Context, ledger: Ledger, scope, indices: list[int], year: int | None, day: dt.date) -> list[int]:
    """The records of a ratio's side that count on ``day`` (in_post) or in ``year`` (dated ledgers)."""
    if scope.in_post:
        ld = ctx.rules.ledgers.ledgers[ledger.name]
        return [i for i in indices if ld.in_post(ledger.records[i], day)]
    if year is None or ctx._date_field(ledger, None) is None:
        return indices
    years = ctx.years_of(ledger, None)
    return [i for i in indices if years[i] == year]


def _active_spans(ctx: Context, c, members) -> tuple[list[tuple[dt.date | None, dt.date | None]], int]:
    """Each member's time in post (a population scope with ``in_post``: the ledger's ``tenure`` columns); a span that
    ends before it starts cannot be used: the member then counts as present all year (and is counted in the message)."""
    ld = ctx.rules.ledgers.ledgers[c.population.ledger] if c.population and c.population.in_post else None
    out: list[tuple[dt.date | None, dt.date | None]] = []
    inverted = 0
    for _member, pl, pi in members:
        if ld is None or pl is None:
            out.append((None, None))
            continue
        start, end = ld.tenure_span(pl.records[pi])
        start, end = (_day(start) if start else None), (_day(end) if end else None)
        if start and end and end < start:
            inverted += 1
            start = end = None
        out.append((start, end))
    return out, inverted


def check_group_sum(cc: CompiledCheck, ctx: Context) -> CheckResult:
    c = cc.check
    ledger = ctx.ledger(c.ledger)
    if ledger is None:
        return _ledger_missing(cc, ctx, c.ledger)
    rows = ctx.scoped(ledger, ctx.matched(cc.population), c.year, True)
    sums: dict[tuple, float] = defaultdict(float)
    for i in rows:
        record = ledger.records[i]
        year = ctx.year_of(ledger, i, c.year) if c.per_year else None
        sums[(str(record.get(c.group_by)), year)] += float(record.get(c.sum) or 0)
    members: list[tuple[str, Ledger | None, int | None]] = []
    if c.population is not None:
        pop_ledger = ctx.ledger(c.population.ledger)
        if pop_ledger is None:
            return _ledger_missing(cc, ctx, c.population.ledger)
        key = c.population_key or c.group_by
        for i in ctx.matched(cc.numerator):
            members.append((str(pop_ledger.records[i].get(key)), pop_ledger, i))
    else:
        members = [(g, None, None) for g in sorted({g for g, _ in sums})]
    if not members:
        return _missing(cc, ctx, "没有需要统计的对象")
    years = ctx.period.years if c.per_year else [None]
    spans, inverted = _active_spans(ctx, c, members)
    results: list[YearResult] = []
    failing: list[tuple[str, Ledger | None, int | None, int | None, float, float | None]] = []
    scaled = False
    for year in years:
        limit, ref_label = ctx.threshold(c.value, year)
        short = counted = part = absent = 0
        for k, (member, pl, pi) in enumerate(members):
            required = limit
            if year is not None and limit is not None:  # the partial-year rule (D16), in post only part of a year (D5)
                start, end = spans[k]
                required, note = ctx.quota(limit, c.op, year, start=start, end=end)
                scaled |= note is not None
                if (start or end) and ctx.period.days_in(year, start=start, end=end)[0] == 0:
                    absent += 1
                    continue
                if (start or end) and note is not None and ctx.period.days_in(year)[0] > ctx.period.days_in(
                        year, start=start, end=end)[0]:
                    part += 1
                if required == 0 and limit > 0:
                    continue
            counted += 1
            total = sums.get((member, year), 0.0)
            if required is None or not OPS[c.op](round(total, 9), required):
                short += 1
                failing.append((member, pl, pi, year, total, required))
        if year is not None:
            req_text = f"每人 {OP_ZH[c.op]} {num(limit) if limit is not None else ref_label}"
            who = "".join([f",{part} 人在岗不足整年" if part else "", f",{absent} 人当年不在岗不作要求" if absent else ""])
            if not counted:
                results.append(YearResult(year=year, status="not_applicable", actual=f"0 人{who}",
                                          required=f"{req_text}(本年不作要求)"))
                continue
            status = "pass" if short == 0 else "fail"
            results.append(YearResult(year=year, status=status, actual=f"{counted - short}/{counted} 人达标{who}",
                                      required=req_text + (partial_suffix(ctx) if scaled else "")))
    sum_title = ctx.rules.ledgers.ledgers[ledger.name].fields[c.sum].title
    evidence = []
    for member, pl, pi, year, total, need in sorted(failing, key=lambda t: (t[0], t[3] or 0))[: ctx.max_citations]:
        where = f"{year}年" if year else "创建周期内"
        text = f"{where}{sum_title}合计 {num(total)}" + (f",应 {OP_ZH[c.op]} {num(need)}" if need is not None else "")
        if pl is not None:
            evidence.append(Citation(ledger=pl.name, file=pl.file, row=pl.rows[pi], id=member, sheet=pl.sheet, note=text))
        else:
            evidence.append(Citation(ledger=ledger.name, file=ledger.file, id=member, note=text))
    required = f"每人每年{sum_title} {OP_ZH[c.op]} {num(ctx.threshold(c.value, None)[0] or 0)}" + (partial_suffix(ctx) if scaled else "")
    notes = [ctx.scope_note(cc, ledger, rows, c.year, True)]
    if inverted:
        notes.append(f"{inverted} 名人员的在岗截止日期早于起始日期,无法使用,按全年在岗计")
    message = ";".join(n for n in notes if n) or None
    if c.per_year:
        actual = ";".join(f"{r.year}年 {r.actual}" for r in results)
        return _fold_years(cc, results, len(failing), evidence, len(failing), actual, required, message=message)
    status = "pass" if not failing else "fail"
    return _result(cc, status, actual=f"{len(members) - len(failing)}/{len(members)} 达标", required=required,
                   score=1.0 if status == "pass" else 0.0, violations=len(failing), evidence=evidence, evidence_total=len(failing),
                   message=message)


# ---------------------------------------------------------------- incidents and review


def check_no_incident(cc: CompiledCheck, ctx: Context) -> CheckResult:
    c = cc.check
    ledger = ctx.ledger(c.ledger)
    incidents = ctx.scoped(ledger, ctx.matched(cc.population), None) if ledger is not None else []
    if incidents:
        evidence, total = ctx.cite(ledger, incidents, lambda i: (ledger.records[i].get("description") or "")[:80])
        return _result(cc, "fail", actual=f"发生 {len(incidents)} 起", required="创建周期内未发生", violations=len(incidents),
                       evidence=evidence, evidence_total=total)
    attest = ctx.attested(cc.attest)
    if not attest:
        early = ctx.attested_too_early(cc.attest)
        if early:
            att = ctx.ledger("attestations")
            evidence, total = ctx.cite(att, early, lambda i: f"说明日期 {att.records[i].get('date')}")
            return _result(cc, "missing_evidence", actual="情况说明日期早于创建周期截止日", required="创建周期内未发生,并出具"
                           f"创建周期截止日({ctx.period.end.isoformat()})以后的情况说明", evidence=evidence, evidence_total=total,
                           message=f"事项代码 {c.attestation} 的情况说明早于创建周期截止日,不能证明整个创建周期;请重新出具")
        return _result(cc, "missing_evidence", actual="台账无记录,但未出具情况说明", required="创建周期内未发生,并出具情况说明",
                       message=f"请在情况说明中出具事项代码为 {c.attestation} 的书面说明")
    att = ctx.ledger("attestations")
    evidence, total = ctx.cite(att, attest, lambda i: (att.records[i].get("statement") or "")[:80])
    return _result(cc, "pass", actual="未发生(已出具情况说明)", required="创建周期内未发生,并出具情况说明", score=1.0,
                   evidence=evidence, evidence_total=total)


def check_review(cc: CompiledCheck, ctx: Context) -> CheckResult:
    evidence: list[Citation] = []
    total = 0
    for pred in cc.gather:
        ledger = ctx.ledger(ctx.rules.predicates[pred].ledger)
        if ledger is None:
            continue
        chosen = ctx.select(ledger, None, ctx.matches.get(pred, ()), True, None)  # matched and inside the period
        found, n = ctx.cite(ledger, chosen, lambda i, lg=ledger: _describe(lg, i))
        evidence.extend(found)
        total += n
    return _result(cc, "needs_review", actual=f"已收集 {total} 条相关材料", required="评估人员核查判定", message=cc.check.prompt,
                   evidence=evidence, evidence_total=total)


KINDS: dict[str, Callable[[CompiledCheck, Context], CheckResult]] = {
    "rate": check_rate,
    "deadline": check_rate,
    "count": check_count,
    "document": check_document,
    "value": check_value,
    "ratio": check_ratio,
    "group_sum": check_group_sum,
    "no_incident": check_no_incident,
    "review": check_review,
}


def attach_prechecks(checks: list, results: list[CheckResult]) -> None:
    """A review check's automatic pre-checks (``prechecks``): their outcomes are added to its message, which the
    report's review item and the review sheet's 核查要点 show, so the reviewer sees what is already decided."""
    by_id = {r.id: r for r in results}
    for rule, result in zip(checks, results):
        pre = getattr(rule, "prechecks", None)
        if not pre or result.status != "needs_review":
            continue
        lines = []
        for cid in pre:
            r = by_id[cid]
            shown = ",".join(x for x in (r.actual, f"要求 {r.required}" if r.required else "") if x)
            lines.append(f"{r.title}:{STATUS_ZH.get(r.status, r.status)}" + (f"({shown})" if shown else ""))
        result.message = (result.message or "").rstrip() + "\n自动预检结果(已计入自动检查得分):" + ";".join(lines)


def evaluate_check(cc: CompiledCheck, ctx: Context) -> CheckResult:
    try:
        return KINDS[cc.check.kind](cc, ctx)
    except Exception as exc:  # noqa: BLE001 - a defect in one check must not sink the whole report
        return _result(cc, "error", message=f"检查执行出错:{type(exc).__name__}: {exc}")
