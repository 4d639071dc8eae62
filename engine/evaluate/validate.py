"""Checks on an evidence package before scoring (``scorecard validate``): every problem at once.

Errors come from reading the package (``evidence.package.load_package``); then what only the compiled rules
know: values of code-list columns no rule uses (``evidence.codes``: an error with the closest codes when it
is a near miss or the list is closed, otherwise a warning that the record counts for nothing), records
that every rule reading them leaves out because of their date (the rule's own year field and
``before_period`` respected, so a standing 制度 issued before the period or a report for the last year
published the next January is not flagged), a ledger that no indicator reads, and calendar files that
cannot be used.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from engine.errors import InputError, Problem, cap_repeats
from engine.evaluate.workdays import package_calendar
from engine.rules.compiler import CompiledRules
from engine.rules.conditions import normalise_value
from engine.rules.profiles import calendar_overrides
from evidence.codes import CLOSED, code_lists, did_you_mean, shown, suggest_code
from evidence.package import EvidencePackage, load_package
from evidence.values import WrittenPercent


def ledgers_read(rules: CompiledRules) -> set[str]:
    """Ledgers some indicator reads: predicates, field lists and derived measures of the compiled rules."""
    names = {p.ledger for p in rules.predicates}
    names |= set(rules.fields_by_ledger)
    names |= set(rules.derived_by_ledger)
    for cc in rules.checks.values():
        if cc.ledger:
            names.add(cc.ledger)
    return names


def percent_warnings(pkg: EvidencePackage, rules: CompiledRules) -> list[Problem]:
    """Values read as shares (value checks with ``percent``) written as a plain 1: 100% or 1%? Flag them."""
    out: list[Problem] = []
    seen: set[tuple[str, int]] = set()
    for cc in rules.checks.values():
        check = cc.check
        if check.kind != "value" or not check.percent or cc.population is None:
            continue
        ledger = pkg.ledgers.get(check.ledger)
        if ledger is None:
            continue
        test = rules.predicates[cc.population].test
        title = rules.ledgers.ledgers[ledger.name].fields[check.field].title
        for i, value in enumerate(ledger.column(check.field)):  # the record is built only for a cell reading 1
            if value is None or type(value) is WrittenPercent or float(value) != 1 or (ledger.name, i) in seen:
                continue
            if test({k: normalise_value(v) for k, v in ledger.records[i].items()}):
                seen.add((ledger.name, i))
                out.append(Problem(ledger.file, f"「{title}」填的是 1:按百分比规则读作 100%(指标 {cc.indicator});"
                                   "若指 1%,请填写 1%;若指 100%,建议写成 100%", row=ledger.rows[i], column=title,
                                   value="1", sheet=ledger.sheet, severity="warning", code="ambiguous_percent"))
    return out


def validate_package(path: Path, rules: CompiledRules) -> tuple[EvidencePackage | None, list[Problem]]:
    """All problems (errors and warnings) found in the package, sorted by severity and location."""
    try:
        pkg = load_package(path, rules.ledgers, strict=False)
    except InputError as exc:
        return None, list(exc.problems)
    problems = list(pkg.problems)
    problems.extend(code_problems(pkg, rules))
    problems.extend(period_warnings(pkg, rules))
    read = ledgers_read(rules)
    for name, ledger in sorted(pkg.ledgers.items()):
        if name not in read:
            problems.append(Problem(ledger.file, f"没有指标读取台账「{ledger.title}」({name}),其内容不影响评分", sheet=ledger.sheet,
                                    severity="warning", code="unused_ledger"))
    problems.extend(percent_warnings(pkg, rules))
    problems.extend(scope_blank_warnings(pkg, rules))
    try:
        package_calendar(Path(path), overrides=calendar_overrides(rules.catalog))
    except InputError as exc:
        problems.extend(exc.problems)
    problems.sort(key=lambda p: (p.severity != "error", p.file, p.sheet or "", p.row or 0, p.column or ""))
    return pkg, cap_repeats(problems)


def code_problems(pkg: EvidencePackage, rules: CompiledRules) -> list[Problem]:
    """Values of code-list columns that no rule uses, with the closest codes."""
    out: list[Problem] = []
    for (name, field), codes in code_lists(rules).items():
        ledger = pkg.ledgers.get(name)
        if ledger is None:
            continue
        known = set(codes)
        fd = rules.ledgers.ledgers[name].fields[field]
        memo: dict[str, list[str]] = {}
        values, at = ledger.encoded(field)  # each distinct value tested once; rows listed only for unknown ones
        unknown = [k for k, v in enumerate(values) if v is not None and str(v) not in known]
        for i in _records_with(at, unknown):
            value, row = str(values[at[i]]), ledger.rows[i]
            if value not in memo:
                memo[value] = suggest_code(name, field, value, codes)
            near = memo[value]
            closed = (name, field) in CLOSED
            if near or closed:
                msg = ("不是规则使用的代码" if closed else "与规则使用的取值不完全一致,该记录不会计入任何指标")
                out.append(Problem(ledger.file, msg + (";" + did_you_mean(near) if near else ""), row=row,
                                   column=fd.title, value=value, sheet=ledger.sheet, code="unknown_code",
                                   expected="从模板下拉列表选择;全部取值见 FORMAT.md「规则使用的代码」"
                                   if not closed or len(codes) > 8 else "、".join(shown(name, field, c) for c in codes)))
            else:
                out.append(Problem(ledger.file, "不是规则使用的取值,该记录不计入任何指标", row=row, column=fd.title,
                                   value=value, sheet=ledger.sheet, severity="warning", code="unused_code",
                                   expected="需要计分的材料从模板下拉列表选择"))
    return out


def _scopes(rules: CompiledRules) -> dict[str, list[tuple[str | None, int, bool, bool]]]:
    """ledger -> how each rule reading it places records in the period: (year field, offset, within, before)."""
    out: dict[str, list[tuple[str | None, int, bool, bool]]] = {}
    for cc in rules.checks.values():
        c = cc.check
        names = {cc.ledger} if cc.ledger else set()
        for p in (cc.population, cc.match, cc.numerator, cc.denominator, *cc.gather):
            if p is not None:
                names.add(rules.predicates[p].ledger)
        spec = getattr(c, "year", None)
        scope = (getattr(spec, "field", None), getattr(spec, "offset", 0) or 0,
                 bool(getattr(c, "within_period", True)), bool(getattr(c, "before_period", False)))
        for name in names:
            if name and name != "attestations":
                out.setdefault(name, []).append(scope)
    return out


def _counted(value, scope, period, date_field: str | None) -> bool:
    field, offset, within, before = scope
    if not within or value is None:
        return True
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date) and not offset:
        return period.contains(value) or (before and value < period.start)
    year = (value.year if isinstance(value, dt.date) else int(value)) + offset
    return period.start.year <= year <= period.end.year or (before and year < period.start.year)


def period_warnings(pkg: EvidencePackage, rules: CompiledRules) -> list[Problem]:
    """A record that no rule reading its ledger counts, because of its date: shown as a warning."""
    out: list[Problem] = []
    period = pkg.unit.period
    scopes = _scopes(rules)
    for name, ledger in sorted(pkg.ledgers.items()):
        ld = rules.ledgers.ledgers[name]
        mine = scopes.get(name)
        if not mine:
            continue
        fields = {s[0] or ld.date_field for s in mine} - {None}
        columns = {f: ledger.column(f) for f in fields}  # the date fields, read as columns (no record built)
        for i, row in enumerate(ledger.rows):
            record = {f: col[i] for f, col in columns.items()}
            if any(_counted(record.get(s[0] or ld.date_field) if (s[0] or ld.date_field) else None, s, period,
                            ld.date_field) for s in mine):
                continue
            field, offset = mine[0][0] or ld.date_field, mine[0][1]
            value = record.get(field)
            why = f"日期不在创建周期({period.start}至{period.end})内,评分规则不计入该记录"
            if offset and value is not None:
                year = (value.year if isinstance(value, dt.date) else int(value)) + offset
                why = f"按评分规则该记录计入 {year} 年({ld.fields[field].title}{offset:+d} 年),不在创建周期" \
                      f"({period.start}至{period.end})内,不计入评分"
            out.append(Problem(ledger.file, why,
                               row=row, column=ld.fields[field].title, value=str(record.get(field)), sheet=ledger.sheet,
                               severity="warning", code="outside_period"))
    return out


def scope_blank_warnings(pkg: EvidencePackage, rules: CompiledRules) -> list[Problem]:
    """Blank cells of scope columns (ledger definition ``blank_means``) that a rule's population reads: incomplete
    records, each named with file, row and column, and how the blank was read (audit D9). Callers cap repeats."""
    out: list[Problem] = []
    for name, fields in sorted(rules.scope_blanks.items()):
        ledger = pkg.ledgers.get(name)
        if ledger is None:
            continue
        for field, nos in sorted(fields.items()):
            fd = rules.ledgers.ledgers[name].fields[field]
            items = "、".join(map(str, nos))
            if fd.blank_means == "in_scope":
                why = (f"「{fd.title}」未填写:空白按“适用”计入指标 {items} 的检查(不缩小分母),"
                       "属不完整记录,请补填")
            else:
                why = f"「{fd.title}」未填写:空白的记录不计入指标 {items} 的检查,属不完整记录,请补填"
            expected = "是 / 否" if fd.type == "bool" else "、".join(fd.values or []) or None
            values, codes = ledger.encoded(field)  # one column as codes, no record built
            for i in _records_with(codes, [k for k, v in enumerate(values) if v is None]):
                out.append(Problem(ledger.file, why, row=ledger.rows[i], column=fd.title, sheet=ledger.sheet,
                                   severity="warning", expected=expected, code="blank_scope"))
    return out


def _records_with(codes, wanted: list[int]) -> list[int]:
    """Indices (ascending) of the records whose value code is one of ``wanted``."""
    import numpy as np

    if not wanted:
        return []
    flags = np.zeros(int(codes.max()) + 1 if len(codes) else 1, dtype=bool)
    flags[[k for k in wanted if k < len(flags)]] = True
    return np.flatnonzero(flags[codes]).tolist()
