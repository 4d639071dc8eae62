"""Checks on an evidence package before scoring (``scorecard validate``): every problem at once.

Errors come from reading the package (``evidence.package.load_package``); warnings add what only the
compiled rules know (a ledger that no indicator reads) and calendar files that cannot be used.
"""

from __future__ import annotations

from pathlib import Path

from engine.errors import InputError, Problem
from engine.evaluate.workdays import package_calendar
from engine.rules.compiler import CompiledRules
from evidence.package import EvidencePackage, load_package, period_warnings


def ledgers_read(rules: CompiledRules) -> set[str]:
    """Ledgers some indicator reads: predicates, field lists and derived measures of the compiled rules."""
    names = {p.ledger for p in rules.predicates}
    names |= set(rules.fields_by_ledger)
    names |= set(rules.derived_by_ledger)
    for cc in rules.checks.values():
        if cc.ledger:
            names.add(cc.ledger)
    return names


def validate_package(path: Path, rules: CompiledRules) -> tuple[EvidencePackage | None, list[Problem]]:
    """All problems (errors and warnings) found in the package, sorted by severity and location."""
    try:
        pkg = load_package(path, rules.ledgers, strict=False)
    except InputError as exc:
        return None, list(exc.problems)
    problems = list(pkg.problems)
    problems.extend(period_warnings(pkg.unit, pkg.ledgers, rules.ledgers))
    read = ledgers_read(rules)
    for name, ledger in sorted(pkg.ledgers.items()):
        if name not in read:
            problems.append(Problem(ledger.file, f"没有指标读取台账「{ledger.title}」({name}),其内容不影响评分", sheet=ledger.sheet,
                                    severity="warning", code="unused_ledger"))
    try:
        package_calendar(Path(path))
    except InputError as exc:
        problems.extend(exc.problems)
    problems.sort(key=lambda p: (p.severity != "error", p.file, p.sheet or "", p.row or 0, p.column or ""))
    return pkg, problems
