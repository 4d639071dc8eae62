"""Profiles (tailoring, XCCDF-style): select and tailor the indicators of an edition without copying them.

A profile is YAML under ``profiles/`` (schema: :class:`Profile`). Applying it to a :class:`Catalog`
gives a :class:`TailoredCatalog`: deep copies of the indicators, re-validated, with

- ``disable``: indicators removed from the tailored set (with a reason);
- ``overrides``: per indicator, replaced points / applicability / scoring / texts and check parameters
  (``checks: {check_id: {value: 60}}``), added or removed checks (with a reason);
- ``unit_types``: per unit type (县/区/镇/街道/部门; a 镇 rule also covers 街道), indicators not applicable to that type (with a reason);
- ``add``: full indicator definitions (same schema as ``indicators/*.yaml``), optionally in new categories;
- the ``waiver_scoring`` policy, the ``partial_years`` rule (years partly inside the period), and the scale
  ``total_points``;
- ``calendar_overrides``: years the official holiday calendar (chinese-calendar) covers whose schedule may
  nevertheless be replaced by a calendar file, each with a cited source (the 国务院办公厅 notice: title, number,
  date). Without it a calendar file for a covered year is an error; with it the report states the override.

Totals of the tailored set: ``max_points`` = sum of the tailored indicators' points; the score is
``适用指标得分之和 ÷ 适用指标满分之和 × total_points`` (the scale; the edition's unless the profile sets it).
The formula stated in the tailored edition says so, with the counts of disabled/added/changed items.
The profile's digest is the SHA-256 of its file; the tailored catalog's digest combines the rules'
digest and the profile's, so compiled rules of different profiles never mix.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator

from engine.errors import InputError, Problem
from engine.rules.catalog import ROOT, Catalog
from engine.rules.model import (
    PARTIAL_YEARS_ZH,
    Applicability,
    Category,
    Check,
    Indicator,
    PartialYears,
    Scoring,
    Strict,
    UnitType,
)
from engine.yamlio import _translate, line_of, parse_yaml_bytes, read_file_bytes, validation_problems

PROFILES_DIR = ROOT / "profiles"
DEFAULT_PROFILE = "base"
WaiverScoring = Literal["excluded", "full", "zero"]
WAIVER_SCORING_ZH = {
    "excluded": "豁免指标不计入分子和分母",
    "full": "豁免指标按满分计",
    "zero": "豁免指标按 0 分计",
}


class Disabled(Strict):
    no: int
    reason: str


class IndicatorOverride(Strict):
    no: int
    reason: str
    title: str | None = None
    text: str | None = None
    lead_units: list[str] | None = None
    points: float | None = Field(default=None, gt=0)
    scoring: Scoring | None = None
    applicability: Applicability | None = None
    remediation: str | None = None
    checks: dict[str, dict[str, Any]] = Field(default_factory=dict)
    add_checks: list[Check] = Field(default_factory=list)
    remove_checks: list[str] = Field(default_factory=list)

    @field_validator("checks")
    @classmethod
    def _no_identity(cls, value: dict[str, dict[str, Any]]):
        for cid, params in value.items():
            bad = sorted(set(params) & {"id", "kind"})
            if bad:
                raise ValueError(f"检查项 {cid} 的 {'、'.join(bad)} 不能修改(请用 remove_checks + add_checks)")
        return value


class UnitTypeRule(Strict):
    unit_type: UnitType
    not_applicable: list[int] = Field(min_length=1)
    reason: str


class CalendarOverride(Strict):
    """Permission to replace the official schedule of one covered year by a calendar file, with its source."""

    year: int = Field(ge=1900, le=2200)
    source: str  # the notice that fixes the schedule: title and number, e.g. 国务院办公厅关于2021年部分节假日安排的通知(国办发明电〔2020〕27号)
    issued: dt.date  # the notice's date
    reason: str | None = None  # why the official calendar is not used (e.g. a later correction)

    @field_validator("source")
    @classmethod
    def _cited(cls, value: str) -> str:
        value = value.strip()
        if len(value) < 6:
            raise ValueError("须写明依据:国务院办公厅通知的标题和文号(如「国务院办公厅关于2021年部分节假日安排的通知"
                             "(国办发明电〔2020〕27号)」)")
        return value


class Profile(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    title: str
    description: str | None = None
    base: str | None = None  # edition id this profile tailors; None = any edition, unchanged unless said below
    total_points: float | None = Field(default=None, gt=0)
    waiver_scoring: WaiverScoring = "excluded"
    partial_years: PartialYears | None = None  # the edition's rule for years partly inside the period, if changed
    references: dict[str, dict[int, float]] = Field(default_factory=dict)  # e.g. verified national loss rates
    reference_source: str | None = None  # where the profile's reference values come from (publication, document)
    categories: list[Category] = Field(default_factory=list)  # new categories for added indicators (count ignored)
    disable: list[Disabled] = Field(default_factory=list)
    overrides: list[IndicatorOverride] = Field(default_factory=list)
    unit_types: list[UnitTypeRule] = Field(default_factory=list)
    add: list[Indicator] = Field(default_factory=list)
    calendar_overrides: list[CalendarOverride] = Field(default_factory=list)

    @field_validator("calendar_overrides")
    @classmethod
    def _one_per_year(cls, value: list[CalendarOverride]):
        years = [o.year for o in value]
        dup = sorted({y for y in years if years.count(y) > 1})
        if dup:
            raise ValueError(f"{'、'.join(map(str, dup))} 年重复出现")
        return value


def calendar_overrides(catalog: Catalog) -> dict[int, str]:
    """Years whose official schedule the catalog's profile allows a calendar file to replace -> the cited source."""
    prof = getattr(catalog, "profile", None)
    if prof is None:
        return {}
    return {o.year: f"{o.source},{o.issued.isoformat()}" + (f";{o.reason}" if o.reason else "")
            for o in prof.calendar_overrides}


@dataclass
class LoadedProfile:
    profile: Profile
    digest: str
    file: str
    node: Any = None


@dataclass
class TailoredCatalog(Catalog):
    """A catalog after a profile: what is scored. ``base_digest`` is the rules' own digest."""

    profile: Profile | None = None
    profile_digest: str = ""
    profile_file: str = ""
    base_digest: str = ""
    changes: list[str] = field(default_factory=list)
    na_reasons: dict[tuple[int, str], str] = field(default_factory=dict)  # (no, unit type) -> reason


def resolve_profile(name_or_path: str | Path) -> Path:
    """A profile name (``profiles/<name>.yaml``) or a path to a YAML file."""
    text = str(name_or_path)
    path = Path(text)
    if path.suffix in (".yaml", ".yml") or path.is_file():
        if not os.path.lexists(path):
            raise InputError(Problem(text, "找不到剪裁方案(profile)文件", code="no_profile"))
        return path
    candidate = PROFILES_DIR / f"{text}.yaml"
    if not candidate.is_file():
        known = sorted(p.stem for p in PROFILES_DIR.glob("*.yaml"))
        raise InputError(Problem("profiles", f"没有名为「{text}」的剪裁方案(profile)", value=text,
                                 expected="、".join(known) or "profiles/ 下的 YAML 文件", code="no_profile"))
    return candidate


def load_profile(name_or_path: str | Path) -> LoadedProfile:
    path = resolve_profile(name_or_path)
    shown = _display(path)
    raw = read_file_bytes(path, shown)
    data, node = parse_yaml_bytes(raw, shown)
    try:
        profile = Profile.model_validate(data)
    except ValidationError as exc:
        raise InputError(validation_problems(exc, shown, node)) from None
    return LoadedProfile(profile=profile, digest=hashlib.sha256(raw).hexdigest(), file=shown, node=node)


def apply_profile(catalog: Catalog, loaded: LoadedProfile) -> TailoredCatalog:
    """Tailor ``catalog`` by ``loaded``; every problem is located in the profile file."""
    prof, shown, node = loaded.profile, loaded.file, loaded.node
    problems: list[Problem] = []

    def problem(loc: tuple, message: str, value: str | None = None):
        problems.append(Problem(shown, message, row=line_of(node, loc), column=".".join(map(str, loc)) or None,
                                value=value, code="profile"))

    if prof.base is not None and prof.base != catalog.edition.id:
        problem(("base",), f"剪裁方案基于规则版本「{prof.base}」,但载入的规则版本是「{catalog.edition.id}」", prof.base)
        raise InputError(problems)
    items: dict[int, Indicator] = {i.no: i.model_copy(deep=True) for i in catalog.indicators}
    files = dict(catalog.files)
    changes: list[str] = []
    na_reasons: dict[tuple[int, str], str] = {}

    for k, d in enumerate(prof.disable):
        if d.no not in items:
            problem(("disable", k, "no"), f"停用的指标 {d.no} 不存在", str(d.no))
            continue
        del items[d.no]
        changes.append(f"停用指标 {d.no}:{d.reason}")

    for k, ov in enumerate(prof.overrides):
        ind = items.get(ov.no)
        if ind is None:
            problem(("overrides", k, "no"), f"调整的指标 {ov.no} 不存在或已停用", str(ov.no))
            continue
        data = ind.model_dump(mode="python")
        touched = []
        for name in ("title", "text", "lead_units", "points", "remediation"):
            value = getattr(ov, name)
            if value is not None:
                data[name] = value
                touched.append(name)
        for name in ("scoring", "applicability"):
            value = getattr(ov, name)
            if value is not None:
                data[name] = value.model_dump(mode="python")
                touched.append(name)
        by_id = {c["id"]: c for c in data["checks"]}
        for cid, params in ov.checks.items():
            if cid not in by_id:
                problem(("overrides", k, "checks", cid), f"指标 {ov.no} 没有检查项 {cid}", cid,)
                continue
            by_id[cid].update(params)
            touched.append(f"{cid}." + "/".join(sorted(params)))
        for cid in ov.remove_checks:
            if cid not in by_id:
                problem(("overrides", k, "remove_checks"), f"指标 {ov.no} 没有检查项 {cid}", cid)
                continue
            data["checks"] = [c for c in data["checks"] if c["id"] != cid]
            touched.append(f"删除检查项 {cid}")
        for check in ov.add_checks:
            data["checks"].append(check.model_dump(mode="python"))
            touched.append(f"新增检查项 {check.id}")
        try:
            items[ov.no] = Indicator.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors():
                loc = tuple(err.get("loc", ()))
                if len(loc) >= 2 and loc[0] == "checks" and isinstance(loc[1], int) and loc[1] < len(data["checks"]):
                    cid = data["checks"][loc[1]].get("id")
                    loc = ("checks", cid) + loc[3:] if cid in ov.checks else ("add_checks",) + loc[2:]
                loc = ("overrides", k) + loc
                value = err.get("input")
                problem(loc, f"指标 {ov.no} 调整后不合法:{_translate(err)}",
                        None if isinstance(value, (dict, list)) or value is None else str(value))
            continue
        files[ov.no] = shown
        changes.append(f"调整指标 {ov.no}({'、'.join(touched) or '无改动'}):{ov.reason}")

    for k, rule in enumerate(prof.unit_types):
        for j, no in enumerate(rule.not_applicable):
            ind = items.get(no)
            if ind is None:
                problem(("unit_types", k, "not_applicable", j), f"指标 {no} 不存在或已停用", str(no))
                continue
            types = (rule.unit_type, "街道") if rule.unit_type == "镇" else (rule.unit_type,)  # 街道 follows 镇
            ind.applicability.unit_types = [t for t in ind.applicability.unit_types if t not in types]
            for t in types:
                na_reasons[(no, t)] = rule.reason
        changes.append(f"{rule.unit_type}级单位不适用指标 {'、'.join(map(str, rule.not_applicable))}:{rule.reason}")

    categories = [c.model_copy() for c in catalog.edition.categories]
    known_cats = {c.no for c in categories}
    for k, cat in enumerate(prof.categories):
        if cat.no in known_cats:
            problem(("categories", k, "no"), f"类别 {cat.no} 已存在", str(cat.no))
            continue
        categories.append(cat.model_copy())
        known_cats.add(cat.no)
    for k, ind in enumerate(prof.add):
        if ind.no in items or catalog.get(ind.no) is not None:
            problem(("add", k, "no"), f"新增指标序号 {ind.no} 与已有指标重复", str(ind.no))
            continue
        if ind.category not in known_cats:
            problem(("add", k, "category"), f"新增指标 {ind.no} 的类别 {ind.category} 不存在(可在 categories 中新增)",
                    str(ind.category))
            continue
        items[ind.no] = ind.model_copy(deep=True)
        files[ind.no] = shown
        changes.append(f"新增指标 {ind.no}「{ind.title}」({ind.points:g} 分)")
    for o in prof.calendar_overrides:
        changes.append(f"允许用节假日安排文件替换官方日历的 {o.year} 年安排:依据{o.source}({o.issued.isoformat()})")
    if problems:
        raise InputError(problems)

    indicators = sorted(items.values(), key=lambda i: i.no)
    for cat in categories:
        cat.count = sum(1 for i in indicators if i.category == cat.no)
    categories = [c for c in categories if c.count or c.no in {x.no for x in catalog.edition.categories}]
    max_points = round(sum(i.points for i in indicators), 4)
    scale = prof.total_points or catalog.edition.total_points
    edition = catalog.edition.model_copy(deep=True)
    edition.categories = categories
    edition.total_points = scale
    if prof.partial_years is not None and prof.partial_years != edition.partial_years:
        changes.append(f"不完整年度:{PARTIAL_YEARS_ZH[edition.partial_years]} 改为 {PARTIAL_YEARS_ZH[prof.partial_years]}")
        edition.partial_years = prof.partial_years
    n_dis, n_add, n_ov = len(prof.disable), len(prof.add), len(prof.overrides)
    statement = (f"剪裁方案「{prof.title}」({prof.id}):在规则版本 {catalog.edition.id} 基础上停用 {n_dis} 项、"
                 f"新增 {n_add} 项、调整 {n_ov} 项,单位类型适用性规则 {len(prof.unit_types)} 条;"
                 f"剪裁后共 {len(indicators)} 项,各项分值合计 {max_points:g} 分。"
                 f"总分 = 适用指标得分之和 ÷ 适用指标满分之和 × {scale:g};{WAIVER_SCORING_ZH[prof.waiver_scoring]}。")
    edition.formula = f"{catalog.edition.formula} {statement}" if (n_dis or n_add or n_ov or prof.unit_types
                                                                     or prof.total_points) else catalog.edition.formula
    digest = hashlib.sha256(f"{catalog.digest}:{loaded.digest}".encode()).hexdigest()
    return TailoredCatalog(edition=edition, indicators=indicators, digest=digest, files=files, profile=prof,
                           profile_digest=loaded.digest, profile_file=shown, base_digest=catalog.digest,
                           changes=changes, na_reasons=na_reasons)


def tailor(catalog: Catalog, profile: str | Path | None) -> TailoredCatalog:
    return apply_profile(catalog, load_profile(profile or DEFAULT_PROFILE))


def _display(path: Path) -> str:
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except (ValueError, OSError, RuntimeError):
        return str(path)
