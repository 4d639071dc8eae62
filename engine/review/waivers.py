"""Waivers / exceptions (豁免): an approved, time-limited exception for one indicator.

File (YAML)::

    waivers:
      - indicator: 42
        justification: 综合执法体制改革由市级统一部署,本县尚未启动
        approver: 市法治政府建设示范创建办公室
        approved: 2026-03-01      # optional: not active before this day
        expires: 2026-12-31       # required: active up to and including this day

On the ``as_of`` date (``--as-of``; default the unit's inspection_date, else today) an active waiver
keeps the item's status (the status enum is unchanged) and sets ``waived`` and ``waiver`` on it; it is
scored as the profile's ``waiver_scoring`` says: ``excluded`` (default: out of numerator and
denominator), ``full`` (full points) or ``zero``. An expired (or not yet active) waiver has no effect
and is reported in ``warnings``. A waiver for an indicator not in the scored set is an error.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

from pydantic import Field, ValidationError

from engine.errors import InputError, Problem
from engine.results import ScoreResult, Waiver
from engine.review.verdicts import resummarise
from engine.rules.model import Strict
from engine.yamlio import line_of, parse_yaml_bytes, read_file_bytes, validation_problems


class WaiverEntry(Strict):
    indicator: int
    justification: str = Field(min_length=1)
    approver: str = Field(min_length=1)
    approved: dt.date | None = None
    expires: dt.date


def load_waivers(paths: list[Path]) -> tuple[list[tuple[WaiverEntry, str, int | None]], str | None]:
    entries: list[tuple[WaiverEntry, str, int | None]] = []
    problems: list[Problem] = []
    digest = hashlib.sha256()
    for path in map(Path, paths):
        shown = str(path)
        if not os.path.lexists(path):
            problems.append(Problem(shown, "找不到豁免文件", code="waiver"))
            continue
        try:
            raw = read_file_bytes(path, shown)
            digest.update(path.name.encode() + b"\0" + raw)
            data, node = parse_yaml_bytes(raw, shown)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        prefix: tuple = ()
        if isinstance(data, dict) and "waivers" in data:
            data, prefix = data["waivers"], ("waivers",)
        if data is None:
            continue
        if not isinstance(data, list):
            problems.append(Problem(shown, "豁免文件应为列表,或含 waivers 列表的映射", row=1, code="waiver"))
            continue
        for k, item in enumerate(data):
            loc = prefix + (k,)
            try:
                entries.append((WaiverEntry.model_validate(item), shown, line_of(node, loc)))
            except ValidationError as exc:
                problems.extend(validation_problems(exc, shown, node, prefix=loc))
    if problems:
        raise InputError(problems)
    return entries, (digest.hexdigest() if paths else None)


def apply_waivers(result: ScoreResult, entries: list[tuple[WaiverEntry, str, int | None]], catalog, as_of: dt.date,
                  scoring: str = "excluded") -> ScoreResult:
    result = result.model_copy(deep=True)
    by_no = {r.no: r for r in result.indicators}
    problems, warnings = [], []
    for w, file, row in entries:
        source = file + (f" 第{row}行" if row else "")
        item = by_no.get(w.indicator)
        if item is None:
            problems.append(Problem(file, f"豁免针对的指标 {w.indicator} 不在本次评估的指标中", row=row,
                                    column="indicator", value=str(w.indicator), code="waiver"))
            continue
        if w.expires < as_of:
            warnings.append(f"[警告] {source}: 指标 {w.indicator} 的豁免已于 {w.expires.isoformat()} 过期"
                            f"(评估基准日 {as_of.isoformat()}),不予适用")
            continue
        if w.approved is not None and w.approved > as_of:
            warnings.append(f"[警告] {source}: 指标 {w.indicator} 的豁免自 {w.approved.isoformat()} 起生效"
                            f"(评估基准日 {as_of.isoformat()}),尚未生效,不予适用")
            continue
        if item.waiver is not None:
            problems.append(Problem(file, f"指标 {w.indicator} 有多条有效豁免", row=row, column="indicator",
                                    code="waiver"))
            continue
        item.waived = True
        item.waiver = Waiver(justification=w.justification, approver=w.approver, expires=w.expires.isoformat(),
                             scoring=scoring, source=source)
        if scoring == "full":
            item.earned = item.estimated = item.earned_high = item.points
        elif scoring == "zero":
            item.earned = item.estimated = item.earned_high = 0.0
        item.pending_review, item.pending_review_points = False, 0.0
    if problems:
        raise InputError(problems)
    result.warnings = list(result.warnings) + warnings
    return resummarise(result, catalog)
