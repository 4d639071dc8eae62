"""Rule-driven synthetic evidence packages (examples, tests, benchmarks).

Deterministic from a seed. Reads the compiled rules, so a package it writes exercises every check:
documents of every required type, activities per year, training hours for every officer,
attestations for incidents that did not happen, and ledger records that pass (or, with
``violation_share``, fail) each rate and deadline. Written in the real package format (CSV or XLSX).
No indicator-specific code: record values are found by testing candidates against the same compiled
predicates the engine uses.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import math
import random
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from engine.evaluate.checks import share
from engine.evaluate.facts import add_months, measure
from engine.evaluate.workdays import WorkCalendar
from engine.rules.compiler import CompiledCheck, CompiledRules, Derived, annual_date, blank_flag
from engine.rules.conditions import (
    fields_of,
    month_day_base,
    month_day_field,
    month_day_value,
    normalise_value,
)
from engine.rules.model import AnnualDate, RefValue
from evidence.schema import LedgerDef

AGENCIES = ["县市场监督管理局", "县生态环境局", "县交通运输局", "县农业农村局", "县城市管理综合执法局", "县文化市场综合执法大队"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"


class Synth:
    def __init__(self, rules: CompiledRules, period: tuple[dt.date, dt.date], seed: int = 1, violation_share: float = 0.0,
                 references: dict | None = None):
        self.rules = rules
        self.rng = random.Random(seed)
        self.start, self.end = period
        self.years = list(range(self.start.year, self.end.year + 1))
        self.violation_share = violation_share
        self.calendar = WorkCalendar()
        self.records: dict[str, list[dict]] = defaultdict(list)
        self.counters: dict[str, itertools.count] = defaultdict(lambda: itertools.count(1))
        self.references = references or {k: dict(v) for k, v in rules.catalog.edition.references.items()}
        self.checks_by_ledger: dict[str, list[CompiledCheck]] = defaultdict(list)
        for cc in rules.checks.values():
            if cc.ledger and cc.check.kind in ("rate", "deadline", "value"):
                self.checks_by_ledger[cc.ledger].append(cc)

    # ------------------------------------------------------------ helpers
    def ldef(self, ledger: str) -> LedgerDef:
        return self.rules.ledgers.ledgers[ledger]

    def next_id(self, ledger: str) -> str:
        prefix = "".join(w[0] for w in ledger.split("_")).upper()
        return f"{prefix}-{next(self.counters[ledger]):05d}"

    def day_in(self, year: int) -> dt.date:
        lo = max(self.start, dt.date(year, 1, 1))
        hi = min(self.end, dt.date(year, 12, 31))
        return lo + dt.timedelta(days=self.rng.randrange((hi - lo).days + 1))

    def base_record(self, ledger: str, year: int | None = None) -> dict:
        ld = self.ldef(ledger)
        year = year or self.rng.choice(self.years)
        rec: dict[str, Any] = {}
        for name, fd in ld.fields.items():
            if name == ld.id_field:
                rec[name] = self.next_id(ledger)
            elif fd.type == "date":
                day = self.day_in(year)  # drawn in any case: the random stream (and the examples) stay the same
                # an undated ledger's dates (staff in post from / to) are left blank: present throughout the period
                rec[name] = day if ld.date_field or fd.required else None
            elif fd.type == "datetime":
                d = self.day_in(year)
                rec[name] = dt.datetime(d.year, d.month, d.day, self.rng.randrange(8, 18), self.rng.choice([0, 15, 30, 45]))
            elif fd.type == "enum":
                rec[name] = fd.values[0]
            elif fd.type == "bool":
                rec[name] = True
            elif fd.type == "int":
                rec[name] = 2024 if name.endswith("year") else self.rng.randrange(1, 4)
            elif fd.type in ("float", "percent"):
                rec[name] = round(self.rng.uniform(0.9, 0.99), 2) if fd.type == "percent" else float(self.rng.randrange(1, 9))
            elif name in ("name",):
                rec[name] = self.rng.choice(SURNAMES) + "".join(self.rng.sample(GIVEN, 2))
            elif name == "agency":
                rec[name] = self.rng.choice(AGENCIES)
            else:
                rec[name] = f"{fd.title}{rec.get(ld.id_field, '')}"
        if ld.date_field and ld.fields[ld.date_field].type == "int":
            rec[ld.date_field] = year
        for name, fd in ld.fields.items():
            if name.endswith("year") and fd.type == "int":
                rec[name] = year
        return rec

    def fact(self, ledger: str, rec: dict) -> dict:
        f = {k: normalise_value(v) for k, v in rec.items() if v is not None}
        f.update({blank_flag(name): True for name in self.rules.blank_flags(ledger) if rec.get(name) is None})
        for name in self.rules.month_days.get(ledger, []):
            if (md := month_day_value(rec.get(name))) is not None:
                f[month_day_field(name)] = md
        for d in self.rules.derived_by_ledger.get(ledger, []):
            value = measure(d, rec, self.calendar)
            if value is not None:
                f[d.name] = value
        return f

    def candidates(self, ledger: str, field: str, rec: dict) -> list[Any]:
        fd = self.ldef(ledger).fields[field]
        consts = set()
        for p in self.rules.predicates:
            if p.ledger == ledger:
                consts |= _constants(p.terms, field)
        if fd.type == "bool":
            return [True, False]
        if fd.type == "enum":
            return list(fd.values)
        if fd.type in ("int", "float", "percent"):
            out = []
            for c in sorted(consts):
                out += [c, c + 1, c - 1] if fd.type == "int" else [c, round(c + 0.05, 4), round(c - 0.05, 4), c + 1]
            return out or [1]
        if fd.type == "str":
            if consts and _excluded_only(self.rules.predicates, ledger, field):  # e.g. "a basis other than 无"
                return [rec.get(field), *sorted(str(c) for c in consts)]
            return sorted(str(c) for c in consts) or [rec.get(field)]
        if fd.type in ("date", "datetime") and rec.get(field) is not None:  # days that a month_day window reads
            md = set()
            for p in self.rules.predicates:
                if p.ledger == ledger:
                    md |= _constants(p.terms, month_day_field(field))
            day = rec[field]
            days = [day.replace(month=v // 100, day=v % 100) for v in sorted(md) if v != 229]
            return [*days, day]
        return [rec.get(field)]

    def satisfies(self, ledger: str, rec: dict, cc: CompiledCheck) -> bool | None:
        """None: record outside the check's population; True/False: whether it complies."""
        f = self.fact(ledger, rec)
        if not self.rules.predicates[cc.population].test(f):
            return None
        c = cc.check
        if c.kind == "value" and cc.match is None:
            limit = self.ref(c.value, rec)
            v = rec.get(c.field)
            return v is not None and limit is not None and _cmp(c.op, float(v), limit)
        matched = self.rules.predicates[cc.match].test(f)
        if c.kind == "rate" and c.op in ("<=", "<"):
            return not matched
        return matched

    def ref(self, value, rec) -> float | None:
        if not isinstance(value, RefValue):
            return float(value)
        return self.references.get(value.reference, {}).get(self.years[-1] + value.year_offset)

    def solve(self, ledger: str, rec: dict, want: CompiledCheck, comply: bool = True) -> dict | None:
        """Adjust fields so ``rec`` is in ``want``'s population and complies (or violates) it."""
        fields = sorted(fields_of(self.rules.predicates[want.population].terms))
        if want.match is not None:
            fields += sorted(fields_of(self.rules.predicates[want.match].terms) - set(fields))
        fields = list(dict.fromkeys(month_day_base(f) or f for f in fields))
        fields = [f for f in fields if f in self.ldef(ledger).fields]
        if want.derived is not None:
            self.set_measure(rec, want.derived, want.check, comply)
        pools = [self.candidates(ledger, f, rec) for f in fields]
        for combo in itertools.islice(itertools.product(*pools), 4000):
            trial = dict(rec)
            trial.update(zip(fields, combo))
            if want.derived is not None:
                self.set_measure(trial, want.derived, want.check, comply)
            if self.satisfies(ledger, trial, want) is comply:
                return trial
        return None

    def set_measure(self, rec: dict, d: Derived, check, comply: bool) -> None:
        limit = check.limit
        lower = check.op in (">=", ">")
        amount = limit if comply else (limit - 1 if lower else limit + 2)
        if check.op == ">" and comply:
            amount = limit + 1
        if check.op == "<" and comply:
            amount = max(limit - 1, 0)
        if isinstance(d.start, AnnualDate):
            start = annual_date(rec, d.start)
        else:
            start = rec.get(d.start)
            if start is None:
                start = self.base_record(d.ledger)[d.start]
                rec[d.start] = start
        if start is None:
            return
        field_type = self.ldef(d.ledger).fields[d.end].type
        if d.unit == "hours":
            s = start if isinstance(start, dt.datetime) else dt.datetime(start.year, start.month, start.day)
            end = s + dt.timedelta(hours=amount)
        elif d.unit == "days":
            end = (start.date() if isinstance(start, dt.datetime) else start) + dt.timedelta(days=amount)
        elif d.unit == "months":
            end = add_months(start.date() if isinstance(start, dt.datetime) else start, int(amount))
        else:
            s = start.date() if isinstance(start, dt.datetime) else start
            end = self.calendar.add_workdays(s, int(amount)) if amount > 0 else s
        if field_type == "date" and isinstance(end, dt.datetime):
            end = end.date()
        if field_type == "datetime" and not isinstance(end, dt.datetime):
            end = dt.datetime(end.year, end.month, end.day, 10, 0)
        rec[d.end] = end

    def repair(self, ledger: str, rec: dict, keep: CompiledCheck) -> dict:
        """Make the record comply with every other check whose population it falls in (a few passes: fixing one
        elapsed time can break another that shares a date, e.g. 送审 -> 审查完成 -> 决定)."""
        wanted = self.satisfies(ledger, rec, keep)
        for _ in range(3):
            changed = False
            for cc in sorted(self.checks_by_ledger[ledger], key=lambda c: (c.indicator, c.check.id)):
                if cc is keep:
                    continue
                if self.satisfies(ledger, rec, cc) is False:
                    fixed = self.solve(ledger, rec, cc, True)
                    if fixed is not None and self.satisfies(ledger, fixed, keep) is wanted:
                        rec, changed = fixed, True
            if not changed:
                break
        return rec

    # ------------------------------------------------------------ per kind
    def add(self, ledger: str, rec: dict) -> None:
        self.records[ledger].append(rec)

    def population_records(self, cc: CompiledCheck, n: int) -> None:
        ledger = cc.ledger
        for k in range(n):
            year = self.years[k % len(self.years)]
            comply = not (self.violation_share and self.rng.random() < self.violation_share)
            rec = self.solve(ledger, self.base_record(ledger, year), cc, comply)
            if rec is None:
                rec = self.solve(ledger, self.base_record(ledger, year), cc, True)
            if rec is None:
                continue
            for _ in range(3):  # repairing the others may have moved a date this check reads: solve it again
                rec = self.repair(ledger, rec, cc)
                if self.satisfies(ledger, rec, cc) is comply:
                    break
                rec = self.solve(ledger, rec, cc, comply) or rec
            self.add(ledger, rec)

    def count_records(self, cc: CompiledCheck) -> None:
        c = cc.check
        need = math.ceil(c.value) + (1 if c.op == ">" else 0)
        years = self.years if (c.per_year or c.every_years) else [self.years[0]]
        probe = None
        by_day = any(month_day_base(f) for f in fields_of(self.rules.predicates[cc.population].terms))
        for year in years:
            for _ in range(max(need, 1)):
                rec = self.base_record(cc.ledger, year)
                if c.year is not None and c.year.offset:
                    rec[c.year.field] = year - c.year.offset
                if probe is None or by_day:  # a month_day window: the day is solved in each year
                    probe = self.solve_where(cc.ledger, rec, cc.population)
                if probe is None:
                    return
                for k, v in probe.items():
                    rec[k] = v
                for d in self.rules.derived_by_ledger.get(cc.ledger, []):
                    for other in self.checks_by_ledger[cc.ledger]:
                        if other.derived == d and self.satisfies(cc.ledger, rec, other) is False:
                            self.set_measure(rec, d, other.check, True)
                self.add(cc.ledger, rec)

    def solve_where(self, ledger: str, rec: dict, pred: int) -> dict | None:
        names = dict.fromkeys(month_day_base(f) or f for f in sorted(fields_of(self.rules.predicates[pred].terms)))
        fields = [f for f in names if f in self.ldef(ledger).fields]
        pools = [self.candidates(ledger, f, rec) for f in fields]
        for combo in itertools.islice(itertools.product(*pools), 4000):
            trial = dict(rec)
            trial.update(zip(fields, combo))
            if self.rules.predicates[pred].test(self.fact(ledger, trial)):
                return dict(zip(fields, combo))
        return None

    def document(self, types: list[str], per_year: bool, published: bool, count: int = 1, each: bool = False) -> None:
        have = {(r["type"], r["date"].year) for r in self.records["documents"]}
        for t in (types if each else types[:1]):
            for year in (self.years if per_year else [self.years[0]]):
                if (t, year) in have:
                    continue
                for _ in range(count):
                    rec = self.base_record("documents", year)
                    rec.update(type=t, title=f"关于印发《{t}》的通知", published=True, url=f"http://www.example.gov.cn/{rec['doc_id']}")
                    rec.pop("file", None)
                    self.add("documents", rec)

    def attest(self, subject: str) -> None:
        if any(r["subject"] == subject for r in self.records["attestations"]):
            return
        rec = self.base_record("attestations", self.years[-1])
        rec.update(subject=subject, statement=f"经核查,创建周期内本单位无此类情形(事项代码 {subject})。", signed_by="单位办公室",
                   date=self.end)
        self.add("attestations", rec)

    def group_sum(self, cc: CompiledCheck) -> None:
        c = cc.check
        members = []
        if c.population is not None:
            pop_ledger = c.population.ledger
            have = [r for r in self.records[pop_ledger] if self.rules.predicates[cc.numerator].test(self.fact(pop_ledger, r))]
            if not have:
                for _ in range(5):
                    rec = self.base_record(pop_ledger)
                    probe = self.solve_where(pop_ledger, rec, cc.numerator)
                    rec.update(probe or {})
                    self.add(pop_ledger, rec)
                    have.append(rec)
            members = [str(r[c.population_key or c.group_by]) for r in have]
        else:
            members = [f"P-{i:03d}" for i in range(1, 4)]
        target = self.ref(c.value, {}) or 0
        for member in members:
            for year in (self.years if c.per_year else [self.years[0]]):
                remaining = target + 4
                while remaining > 0:
                    rec = self.base_record(cc.ledger, year)
                    probe = self.solve_where(cc.ledger, rec, cc.population) or {}
                    rec.update(probe)
                    rec[c.group_by] = member
                    rec[c.sum] = float(min(8, remaining))
                    remaining -= rec[c.sum]
                    self.add(cc.ledger, rec)

    def ratio(self, cc: CompiledCheck) -> None:
        c = cc.check
        target = self.ref(c.value, {}) or 0
        den_ledger, num_ledger = c.denominator.ledger, c.numerator.ledger

        def members(ledger: str, pred: int) -> list[dict]:
            return [r for r in self.records[ledger] if self.rules.predicates[pred].test(self.fact(ledger, r))]

        den = members(den_ledger, cc.denominator)
        while len(den) < 10:
            rec = self.base_record(den_ledger)
            rec.update(self.solve_where(den_ledger, rec, cc.denominator) or {})
            self.add(den_ledger, rec)
            den.append(rec)
        for _ in range(1000):  # every group (the whole ledger without group_by) reaches the target, with a margin
            den = members(den_ledger, cc.denominator)
            num = members(num_ledger, cc.numerator)
            group = (lambda r: r.get(c.group_by)) if c.group_by else (lambda r: None)
            short = [g for g in sorted({group(r) for r in den}, key=lambda g: (g is None, str(g)))
                     if (n := sum(1 for r in num if group(r) == g)) < math.ceil((d := sum(1 for r in den if group(r) == g)) * target)
                     + (0 if c.group_by else 1) or n / d < target]
            if not short:
                break
            rec = self.base_record(num_ledger)
            rec.update(self.solve_where(num_ledger, rec, cc.numerator) or {})
            if c.group_by:
                rec[c.group_by] = short[0]
            if num_ledger == "documents":  # like document(): a titled, published record without an attachment
                rec.update(title=f"关于印发《{rec['type']}》的通知", published=True, url=f"http://www.example.gov.cn/{rec['doc_id']}")
                rec.pop("file", None)
            self.add(num_ledger, rec)


def _constants(terms, field) -> set:
    out = set()
    for t in terms:
        if t[0] == "any":
            for sub in t[1]:
                out |= _constants(sub, field)
        elif t[1] == field:
            vals = t[3] if isinstance(t[3], tuple) else (t[3],)
            out |= {v for v in vals if not isinstance(v, bool)}
    return out


def _excluded_only(predicates, ledger: str, field: str) -> bool:
    """Do the rules compare ``field`` only with ne / not_in (so any other filled value satisfies them)?"""
    def ops(terms):
        for t in terms:
            if t[0] == "any":
                for sub in t[1]:
                    yield from ops(sub)
            elif t[1] == field:
                yield t[2]
    return all(op in ("ne", "not_in") for p in predicates if p.ledger == ledger for op in ops(p.terms))


def _cmp(op, a, b) -> bool:
    return {">=": a >= b, ">": a > b, "<=": a <= b, "<": a < b, "==": a == b}[op]


def generate(rules: CompiledRules, out_dir: Path | str, *, unit: dict, sizes: dict[str, int] | None = None, seed: int = 1,
             violation_share: float = 0.0, fmt: str = "csv", per_check: int = 6) -> Path:
    """Write a package that exercises every check; ``sizes`` scales ledgers (records per ledger)."""
    out = Path(out_dir)
    period = (_date(unit["period"]["start"]), _date(unit["period"]["end"]))
    s = Synth(rules, period, seed=seed, violation_share=violation_share)
    sizes = sizes or {}
    checks = sorted(rules.checks.values(), key=lambda c: (c.indicator, c.check.id))
    by_ledger: dict[str, list[CompiledCheck]] = defaultdict(list)
    for cc in checks:
        if cc.check.kind in ("rate", "deadline", "value"):
            by_ledger[cc.ledger].append(cc)
    for cc in checks:
        c = cc.check
        if c.kind in ("rate", "deadline"):
            n = max(1, sizes.get(cc.ledger, per_check * len(by_ledger[cc.ledger])) // max(1, len(by_ledger[cc.ledger])))
            s.population_records(cc, n)
        elif c.kind == "value":
            for year in (s.years if c.per_year else [s.years[0]]):
                rec = s.solve(cc.ledger, s.base_record(cc.ledger, year), cc, True)
                if rec is not None:
                    if c.percent and rec.get(c.field) is not None:  # shares written with a percent sign, as advised
                        rec[c.field] = f"{share(rec[c.field]) * 100:g}%"
                    s.add(cc.ledger, rec)
        elif c.kind == "count":
            s.count_records(cc)
        elif c.kind == "document":
            s.document(c.types, c.per_year, c.published, c.min_count, c.each_type)
        elif c.kind == "no_incident":
            s.attest(c.attestation)
        elif c.kind == "group_sum":
            s.group_sum(cc)
        elif c.kind == "ratio":
            continue  # after every other check: their records may add to the denominator
        elif c.kind == "review":
            if c.document_types:
                s.document(c.document_types, False, False)
    for cc in checks:
        if cc.check.kind == "ratio":
            s.ratio(cc)
    write_package(out, unit, s.records, rules, fmt)
    return out


def write_package(out: Path, unit: dict, records: dict[str, list[dict]], rules: CompiledRules, fmt: str = "csv") -> None:
    (out / "ledgers").mkdir(parents=True, exist_ok=True)
    (out / "unit.yaml").write_text(yaml.safe_dump(unit, allow_unicode=True, sort_keys=False), encoding="utf-8")
    for ledger in sorted(records):
        ld = rules.ledgers.ledgers[ledger]
        names = list(ld.fields)
        header = [ld.fields[n].title for n in names]
        rows = [[_cell(r.get(n), ld.fields[n].type) for n in names] for r in records[ledger]]
        if fmt == "xlsx":
            import xlsxwriter

            wb = xlsxwriter.Workbook(str(out / "ledgers" / f"{ledger}.xlsx"),
                                     {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False})
            ws = wb.add_worksheet(ld.title[:31])
            ws.write_row(0, 0, header)
            for i, row in enumerate(rows, start=1):
                for j, value in enumerate(row):
                    ws.write_string(i, j, value) if value != "" else None
            wb.close()
        else:
            with open(out / "ledgers" / f"{ledger}.csv", "w", encoding="utf-8", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(header)
                w.writerows(rows)


def _cell(value, ftype: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if ftype == "percent":
        return f"{value * 100:g}%"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
