"""Compile a rules edition into predicates: the unit of work of both rule backends.

Every check is reduced to single-fact predicates over one ledger (a population ``where`` and, for
rate-like kinds, ``where`` AND ``condition``). Identical predicates are shared. Elapsed-time
measures are declared as derived fact fields, computed before facts are posted (no joins, no
arithmetic in the engine). The same predicates compile to durable_rules JSON and to Python.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine.errors import InputError, Problem
from engine.rules import conditions
from engine.rules.catalog import Catalog
from engine.rules.model import AnnualDate, Check
from evidence.schema import LedgerCatalog

_OP_WORD = {">=": "gte", ">": "gt", "<=": "lte", "<": "lt", "==": "eq"}


def blank_flag(name: str) -> str:
    """The fact field that marks a blank scope cell (``blank_means: in_scope``): a population term on the column is
    compiled as ``column satisfies the term OR blank_flag(column) is true`` (same in both backends, no negation)."""
    return f"_blank_{name}"


def _scope_terms(terms: list[tuple], fields: dict, seen: dict[str, str]) -> list[tuple]:
    """A population's terms with every comparison on an ``in_scope`` scope column also satisfied by a blank cell."""
    out = []
    for term in terms:
        if term[0] == "any":
            out.append(("any", [_scope_terms(sub, fields, seen) for sub in term[1]]))
            continue
        fd = fields.get(term[1])
        if fd is not None and fd.blank_means:
            seen[term[1]] = fd.blank_means
        if fd is not None and fd.blank_means == "in_scope":
            out.append(("any", [[term], [("cmp", blank_flag(term[1]), "eq", True)]]))
        else:
            out.append(term)
    return out


@dataclass
class Predicate:
    index: int
    ledger: str
    terms: list[tuple]
    key: str
    test: Callable[[dict], bool]

    def __getstate__(self) -> dict:  # pickled without its closure (engine/rules/cache.py); rebuilt from the terms
        return {k: v for k, v in self.__dict__.items() if k != "test"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.test = conditions.to_python(self.terms)


@dataclass(frozen=True)
class Derived:
    """A measure added to each fact of a ledger: elapsed time from ``start`` to ``end`` in ``unit``."""

    name: str
    ledger: str
    start: str | AnnualDate
    end: str
    unit: str


@dataclass
class CompiledCheck:
    indicator: int
    check: Check
    ledger: str | None = None
    population: int | None = None
    match: int | None = None
    numerator: int | None = None
    denominator: int | None = None
    attest: int | None = None
    gather: list[int] = field(default_factory=list)
    derived: Derived | None = None
    scope_blanks: dict[str, str] = field(default_factory=dict)  # scope column read by ``where`` -> its blank_means


@dataclass
class CompiledRules:
    catalog: Catalog
    ledgers: LedgerCatalog
    predicates: list[Predicate]
    checks: dict[tuple[int, str], CompiledCheck]
    fields_by_ledger: dict[str, list[str]]
    derived_by_ledger: dict[str, list[Derived]]
    digest: str
    item_attest: dict[int, int | None] = field(default_factory=dict)  # indicator no -> its not-applicable attestation
    # scope columns (ledger definition ``blank_means``) a population reads: ledger -> field -> indicators reading it
    scope_blanks: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    # date fields a condition compares by month and day (``month_day``): ledger -> fields; facts carry their month-day
    month_days: dict[str, list[str]] = field(default_factory=dict)

    def blank_flags(self, ledger: str) -> list[str]:
        """Scope columns of ``ledger`` whose blank cells are read as in scope: facts carry ``blank_flag(field)``."""
        ld = self.ledgers.ledgers.get(ledger)
        return [f for f in self.scope_blanks.get(ledger, {}) if ld is not None and ld.fields[f].blank_means == "in_scope"]

    def ledger_code(self, ledger: str) -> str:
        return ledger

    def durable_ruleset(self) -> dict:
        """durable_rules declarative ruleset: one rule per predicate, named ``p<index>``."""
        return {
            f"p{p.index}": {"all": [{"m": conditions.to_durable(p.terms, self.ledger_code(p.ledger))}]}
            for p in self.predicates
        }


class _Builder:
    def __init__(self, catalog: Catalog, ledgers: LedgerCatalog):
        self.catalog = catalog
        self.ledgers = ledgers
        self.predicates: list[Predicate] = []
        self.by_key: dict[tuple[str, str], int] = {}
        self.fields: dict[str, set[str]] = {}
        self.derived: dict[tuple, Derived] = {}
        self.problems: list[Problem] = []
        self.scope_blanks: dict[str, dict[str, set[int]]] = {}
        self.seen_blanks: dict[str, str] = {}  # scope columns met by the last predicate built
        self.month_days: dict[str, set[str]] = {}  # ledger -> date fields compared by month and day

    def problem(self, ind, check, message: str, field_name: str | None = None):
        file = self.catalog.files.get(ind.no, "indicators")
        where = f"指标 {ind.no}" + (f" 检查项 {check.id}" if check is not None else "")
        self.problems.append(Problem(file, f"{where}:{message}", column=field_name, code="rule"))

    def ledger(self, ind, check, name: str):
        if name not in self.ledgers.ledgers:
            self.problem(ind, check, f"引用了不存在的台账 {name}", "ledger")
            return None
        return self.ledgers.ledgers[name]

    def field_ok(self, ind, check, ledger_name: str, name: str, extra: set[str] = frozenset()) -> bool:
        ld = self.ledgers.ledgers.get(ledger_name)
        if ld is None:
            return False
        if name not in ld.fields and name not in extra:
            self.problem(ind, check, f"台账 {ledger_name} 没有字段 {name}", name)
            return False
        return True

    def predicate(self, ind, check, ledger_name: str, *conds: dict | None, extra_fields: dict[str, str] | None = None) -> int | None:
        """One predicate: ``conds[0]`` is the population (``where``), the rest what a record must satisfy."""
        self.seen_blanks = {}
        ld = self.ledger(ind, check, ledger_name)
        if ld is None:
            return None
        extra_fields = dict(extra_fields or {})
        try:
            scope = conditions.parse(conds[0]) if conds else []
            seen: dict[str, str] = {}
            rewritten = _scope_terms(scope, ld.fields, seen)
            if seen:  # the population reads a scope column: its terms kept apart from the condition's
                terms = rewritten + conditions.parse(_merge(conds[1:]))
                for name, meaning in seen.items():
                    self.scope_blanks.setdefault(ledger_name, {}).setdefault(name, set()).add(ind.no)
                    if meaning == "in_scope":
                        extra_fields[blank_flag(name)] = "bool"
                self.seen_blanks = seen
            else:
                terms = conditions.parse(_merge(conds))
        except conditions.ConditionError as exc:
            self.problem(ind, check, str(exc))
            return None
        for name in sorted(conditions.fields_of(terms)):
            base = conditions.month_day_base(name)
            if base is None:
                continue
            if base not in ld.fields or ld.fields[base].type not in ("date", "datetime"):
                self.problem(ind, check, f"台账 {ledger_name} 的字段 {base} 不是日期字段,不能按月日(month_day)比较", base)
                return None
            extra_fields[name] = "int"  # month x 100 + day, computed with the facts (conditions.month_day_value)
            self.month_days.setdefault(ledger_name, set()).add(base)
            self.fields.setdefault(ledger_name, set()).add(base)
        if not self._types_ok(ind, check, ld, terms, extra_fields):
            return None
        key = conditions.key(terms)
        self.fields.setdefault(ledger_name, set()).update(
            f for f in conditions.fields_of(terms) if f not in extra_fields
        )
        found = self.by_key.get((ledger_name, key))
        if found is not None:
            return found
        index = len(self.predicates)
        self.predicates.append(Predicate(index, ledger_name, terms, key, conditions.to_python(terms)))
        self.by_key[(ledger_name, key)] = index
        return index

    def _types_ok(self, ind, check, ld, terms, extra_fields) -> bool:
        ok = True
        for term in terms:
            if term[0] == "any":
                ok &= all(self._types_ok(ind, check, ld, sub, extra_fields) for sub in term[1])
                continue
            _, name, _op, value = term
            if name in extra_fields:
                ftype = extra_fields[name]
            elif name in ld.fields:
                ftype = ld.fields[name].type
            else:
                self.problem(ind, check, f"台账 {ld.name} 没有字段 {name}", name)
                ok = False
                continue
            values = value if isinstance(value, tuple) else (value,)
            for v in values:
                if not _type_matches(ftype, v, ld.fields[name].values if name in ld.fields else None):
                    self.problem(ind, check, f"字段 {name}({ftype})不能与取值 {v!r} 比较", name)
                    ok = False
        return ok

    def derive(self, ledger_name: str, start, end: str, unit: str) -> Derived:
        spec = (ledger_name, start.model_dump_json() if isinstance(start, AnnualDate) else start, end, unit)
        if spec not in self.derived:
            self.derived[spec] = Derived(f"_m{len(self.derived)}", ledger_name, start, end, unit)
        return self.derived[spec]


def _as_ops(value):
    return value if isinstance(value, dict) else {"eq": value}


def _merge(conds) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for cond in conds:
        for k, v in (cond or {}).items():
            if k in merged:
                merged[k] = {**_as_ops(merged[k]), **_as_ops(v)}
            else:
                merged[k] = v
    return merged


def _type_matches(ftype: str, value, allowed) -> bool:
    if ftype == "bool":
        return isinstance(value, bool)
    if ftype in ("str", "enum"):
        return isinstance(value, str) and (allowed is None or value in allowed)
    if ftype in ("int", "float", "percent", "date", "datetime", "measure"):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return False


def compile_rules(catalog: Catalog, ledgers: LedgerCatalog) -> CompiledRules:
    b = _Builder(catalog, ledgers)
    compiled: dict[tuple[int, str], CompiledCheck] = {}
    item_attest: dict[int, int | None] = {}
    for ind in catalog.indicators:
        for check in ind.checks:
            cc = CompiledCheck(indicator=ind.no, check=check)
            compiled[(ind.no, check.id)] = cc
            if check.na_if_attested:
                cc.attest = b.predicate(ind, check, "attestations", {"subject": check.na_if_attested})
            kind = check.kind
            if kind in ("rate", "count", "value", "group_sum", "no_incident", "deadline"):
                cc.ledger = check.ledger
                if b.ledger(ind, check, check.ledger) is None:
                    continue
                year = getattr(check, "year", None)
                if year is not None:
                    b.field_ok(ind, check, check.ledger, year.field)
                    b.fields.setdefault(check.ledger, set())
                cc.population = b.predicate(ind, check, check.ledger, check.where)
                cc.scope_blanks = dict(b.seen_blanks)
            if kind == "rate":
                cc.match = b.predicate(ind, check, check.ledger, check.where, check.condition)
            elif kind == "deadline":
                ok = b.field_ok(ind, check, check.ledger, check.end)
                if isinstance(check.start, str):
                    ok &= b.field_ok(ind, check, check.ledger, check.start)
                else:
                    ok &= b.field_ok(ind, check, check.ledger, check.start.year_field)
                if ok:
                    cc.derived = b.derive(check.ledger, check.start, check.end, check.unit)
                    bound = {_OP_WORD[check.op]: check.limit}
                    if isinstance(check.start, str):
                        # an end before its start is a recording error, never "on time"
                        bound = {**bound, "gte": max(0, check.limit) if check.op in (">=", ">") else 0}
                    cc.match = b.predicate(ind, check, check.ledger, check.where, {cc.derived.name: bound},
                                           extra_fields={cc.derived.name: "measure"})
            elif kind == "value":
                # a reference-valued threshold depends on the record's year: compared in engine/evaluate/checks.py
                if b.field_ok(ind, check, check.ledger, check.field) and isinstance(check.value, (int, float)):
                    bound = {check.field: {_OP_WORD[check.op]: check.value}}
                    if check.percent:  # a share (<= 1) compared as is; a percentage (> 1) compared x100
                        bound = {"any": [{check.field: {"lte": 1, _OP_WORD[check.op]: check.value}},
                                         {check.field: {"gt": 1, _OP_WORD[check.op]: check.value * 100}}]}
                    cc.match = b.predicate(ind, check, check.ledger, check.where, bound)
            elif kind == "group_sum":
                b.field_ok(ind, check, check.ledger, check.group_by)
                b.field_ok(ind, check, check.ledger, check.sum)
                if check.population is not None:
                    cc.numerator = b.predicate(ind, check, check.population.ledger, check.population.where)
                    key = check.population_key or check.group_by
                    b.field_ok(ind, check, check.population.ledger, key)
                    ld = b.ledgers.ledgers.get(check.population.ledger)
                    if check.population.in_post and ld is not None and ld.tenure is None:
                        b.problem(ind, check, f"台账 {check.population.ledger} 没有登记在岗起止字段(tenure),不能按在岗统计",
                                  "in_post")
            elif kind == "ratio":
                cc.numerator = b.predicate(ind, check, check.numerator.ledger, check.numerator.where)
                cc.denominator = b.predicate(ind, check, check.denominator.ledger, check.denominator.where)
                for scope in (check.numerator, check.denominator):
                    if check.group_by:
                        b.field_ok(ind, check, scope.ledger, check.group_by)
                    ld = b.ledgers.ledgers.get(scope.ledger)
                    if scope.in_post and ld is not None and ld.tenure is None:
                        b.problem(ind, check, f"台账 {scope.ledger} 没有登记在岗起止字段(tenure),不能按在岗统计", "in_post")
            elif kind == "document":
                cond: dict[str, Any] = {"type": {"in": list(check.types)}}
                if check.published:
                    cond["published"] = True
                cc.ledger = "documents"
                cc.population = b.predicate(ind, check, "documents", cond)
            elif kind == "no_incident":
                cc.attest = b.predicate(ind, check, "attestations", {"subject": check.attestation})
            elif kind == "review":
                cc.gather = [g for g in (b.predicate(ind, check, s.ledger, s.where) for s in check.gather) if g is not None]
                if check.document_types:
                    doc = b.predicate(ind, check, "documents", {"type": {"in": list(check.document_types)}})
                    if doc is not None:
                        cc.gather.append(doc)
        if ind.applicability.not_applicable_if_attested:
            item_attest[ind.no] = b.predicate(ind, None, "attestations", {"subject": ind.applicability.not_applicable_if_attested})
    if b.problems:
        raise InputError(b.problems)
    derived_by_ledger: dict[str, list[Derived]] = {}
    for d in b.derived.values():
        derived_by_ledger.setdefault(d.ledger, []).append(d)
    digest = hashlib.sha256(
        json.dumps([(p.ledger, p.key) for p in b.predicates], ensure_ascii=False).encode()
        + catalog.digest.encode()
    ).hexdigest()
    return CompiledRules(
        catalog=catalog,
        ledgers=ledgers,
        predicates=b.predicates,
        checks=compiled,
        fields_by_ledger={k: sorted(v) for k, v in b.fields.items()},
        derived_by_ledger=derived_by_ledger,
        digest=digest,
        item_attest=item_attest,
        scope_blanks={lg: {f: sorted(nos) for f, nos in sorted(fs.items())} for lg, fs in sorted(b.scope_blanks.items())},
        month_days={lg: sorted(fs) for lg, fs in sorted(b.month_days.items())},
    )


def annual_date(record: dict, spec: AnnualDate) -> dt.date | None:
    year = record.get(spec.year_field)
    if year is None:
        return None
    if isinstance(year, dt.date):
        year = year.year
    try:
        return dt.date(int(year) + spec.year_offset, spec.month, spec.day)
    except ValueError:
        return None
