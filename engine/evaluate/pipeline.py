"""Orchestration: package + rules (+ profile) -> ScoreResult.

evidence intake -> facts -> rules backend (durable_rules or Python) -> check kinds -> scoring.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from engine import __version__
from engine.errors import cap_repeats
from engine.evaluate.backends import Backend, get_backend
from engine.evaluate.checks import Context, attach_prechecks, evaluate_check
from engine.evaluate.facts import build_facts
from engine.evaluate.scoring import score_indicator, summarise
from engine.evaluate.validate import code_problems, scope_blank_warnings
from engine.evaluate.workdays import package_calendar
from engine.results import (
    AttachmentFile,
    CalendarOverrideInfo,
    EvidenceManifest,
    LedgerFile,
    PartialYearRule,
    RunInfo,
    ScoreResult,
    UnitSummary,
    YearShare,
)
from engine.rules.catalog import DEFAULT_RULES, Catalog, load_catalog
from engine.rules.compiler import CompiledRules, compile_rules
from engine.rules.model import PARTIAL_YEARS_TEXT, PARTIAL_YEARS_ZH
from engine.rules.profiles import TailoredCatalog, calendar_overrides, tailor
from evidence.package import EvidencePackage, load_package
from evidence.schema import LEDGERS_FILE, LedgerCatalog, load_ledger_catalog


def load_rules(rules_dir: Path | str = DEFAULT_RULES, ledgers: LedgerCatalog | None = None,
               profile: str | Path | None = "base") -> CompiledRules:
    """Load and compile the rules, tailored by ``profile`` (name under profiles/ or a path; None = untailored).

    Kept by the digest of the files' bytes (rules, profile, ledger definitions; engine/rules/cache.py): in this
    process and in the per-user cache directory, so a run does not re-read and recompile the 87 indicators and a
    store command re-loading a round's archived rules (restored to a fresh directory) gets them from the cache.
    """
    from engine.rules import cache

    def build() -> CompiledRules:
        catalog = load_catalog(rules_dir)
        if profile is not None:
            catalog = tailor(catalog, profile)
        return compile_rules(catalog, ledgers or load_ledger_catalog())

    found = cache.rules_key(Path(rules_dir), profile, LEDGERS_FILE)
    if found is None:
        return build()  # an unreadable file: reported by the uncached load
    key, rules_digest, profile_digest = found
    if ledgers is not None:  # a caller's own ledger definitions: kept in this process only
        key += f";ledgers-object={id(ledgers)}"

    def same(rules: CompiledRules) -> bool:
        if not isinstance(rules, CompiledRules):
            return False
        cat = rules.catalog
        if isinstance(cat, TailoredCatalog):
            return cat.base_digest == rules_digest and cat.profile_digest == profile_digest
        return profile_digest is None and cat.digest == rules_digest

    return cache.compiled_rules_for(key, build, same, disk=ledgers is None)


def near_miss_warnings(package: EvidencePackage, rules: CompiledRules) -> list[str]:
    """Rows whose code is a near miss of one the rules use (材料类型 one character short …): they count for nothing,
    so an item may end as 缺少证据; the report's warnings name the row and the closest code."""
    return [p.format() for p in cap_repeats([dataclasses.replace(p, severity="warning")
                                             for p in code_problems(package, rules) if p.severity == "error"])]


def score(package: EvidencePackage, rules: CompiledRules, backend: Backend | None = None, profile: str = "base") -> ScoreResult:
    backend = backend or get_backend()
    catalog: Catalog = rules.catalog
    calendar = package_calendar(package.root, overrides=calendar_overrides(catalog))
    facts = build_facts(rules, package, calendar)
    matches = backend.match(rules, facts)
    references, origins = reference_tables(catalog, package)
    ctx = Context(package=package, rules=rules, matches=matches, facts=facts, references=references,
                  reference_origins=origins)
    items = []
    for ind in catalog.indicators:
        checks = [evaluate_check(rules.checks[(ind.no, c.id)], ctx) for c in ind.checks]
        attach_prechecks(ind.checks, checks)
        applicable, reason = True, None
        if package.unit.type not in ind.applicability.unit_types:
            applicable, reason = False, f"本指标不适用于{package.unit.type}级单位"
            if isinstance(catalog, TailoredCatalog) and (ind.no, package.unit.type) in catalog.na_reasons:
                reason += f"(剪裁方案:{catalog.na_reasons[(ind.no, package.unit.type)]})"
        subject = ind.applicability.not_applicable_if_attested
        if applicable and subject and ctx.attested(rules.item_attest.get(ind.no)):
            applicable, reason = False, f"已出具情况说明({subject}),本指标不适用"
        items.append(score_indicator(ind, checks, applicable=applicable, na_reason=reason))
    summary, categories = summarise(catalog, items)
    unverified = sorted(k for k in ctx.used_references if "未核实" in origins.get(k, ""))
    sources = catalog.edition.reference_sources
    reference_warnings = [f"[警告] 参考值 {key} 的 {year} 年数值取自{origins[(key, year)]}"
                          + (f":{sources[key].source}" if key in sources else "")
                          + ";请在评估方案(profile 的 references)中提供已核实的数值" for key, year in unverified]
    unit = package.unit
    return ScoreResult(
        run=RunInfo(tool="scorecard", version=__version__, rules_edition=catalog.edition.id, rules_name=catalog.edition.name,
                    rules_digest=catalog.base_digest if isinstance(catalog, TailoredCatalog) else catalog.digest,
                    profile=catalog.profile.id if isinstance(catalog, TailoredCatalog) else profile,
                    profile_digest=catalog.profile_digest if isinstance(catalog, TailoredCatalog) else None,
                    evidence_digest=package.digest,
                    calendar_overrides=[CalendarOverrideInfo(year=y, file=f, source=src) for y, f, src in calendar.overridden]),
        unit=UnitSummary(name=unit.name, type=unit.type, region=unit.region, period_start=unit.period.start.isoformat(),
                         period_end=unit.period.end.isoformat(),
                         inspection_date=unit.inspection_date.isoformat() if unit.inspection_date else None),
        summary=summary,
        categories=categories,
        indicators=items,
        warnings=[p.format() for p in package.warnings] + near_miss_warnings(package, rules)
        + [p.format() for p in cap_repeats(scope_blank_warnings(package, rules))] + reference_warnings,
        evidence=manifest(package),
        partial_years=partial_year_rule(catalog, package),
    )


def partial_year_rule(catalog: Catalog, package: EvidencePackage) -> PartialYearRule:
    """The partial-year rule the checks applied (audit D16), with the days of each period year inside the period."""
    rule, period = catalog.edition.partial_years, package.unit.period
    years = []
    for year in period.years:
        days, of = period.days_in(year)
        years.append(YearShare(year=year, days=days, of=of, partial=days < of))
    return PartialYearRule(rule=rule, name=PARTIAL_YEARS_ZH[rule], explanation=PARTIAL_YEARS_TEXT[rule], years=years)


def reference_tables(catalog: Catalog, package: EvidencePackage) -> tuple[dict, dict]:
    """Reference values by key and year, and where each came from: the edition (verified or not), the profile, or
    the unit's own unit.yaml (later sources override earlier ones)."""
    edition = catalog.edition
    references: dict[str, dict[int, float]] = {}
    origins: dict[tuple[str, int], str] = {}

    def put(key: str, table: dict, origin: str) -> None:
        for year, value in table.items():
            references.setdefault(key, {})[year] = value
            origins[(key, year)] = origin

    for key, table in edition.references.items():
        src = edition.reference_sources.get(key)
        origin = f"规则版本 {edition.id}" + ("" if src and src.verified else ",未核实")
        put(key, table, origin)
    if isinstance(catalog, TailoredCatalog):
        prof = catalog.profile
        for key, table in prof.references.items():
            put(key, table, f"评估方案「{prof.title}」" + (f":{prof.reference_source}" if prof.reference_source else ""))
    for key, table in package.unit.references.items():
        put(key, table, "单位自报(unit.yaml 的 references)")
    return references, origins


def manifest(package: EvidencePackage) -> EvidenceManifest:
    """Every ledger file and attachment behind the result, in a fixed order (ledger name; attachment path)."""
    ledgers = [LedgerFile(ledger=name, title=lg.title, file=lg.file, sheet=lg.sheet, sha256=lg.sha256, records=len(lg.records))
               for name, lg in sorted(package.ledgers.items())]
    attachments = [AttachmentFile(doc_id=a.doc_id, path=a.path, sha256=a.sha256, size=a.size)
                   for a in sorted(package.attachments, key=lambda a: (a.path, a.doc_id))]
    return EvidenceManifest(ledgers=ledgers, attachments=attachments)


def score_path(path: Path | str, rules_dir: Path | str = DEFAULT_RULES, backend: str = "auto") -> ScoreResult:
    rules = load_rules(rules_dir)
    package = load_package(Path(path), rules.ledgers)
    return score(package, rules, get_backend(backend))
