"""Bring a scored result to its final form: reviewers' verdicts (YAML or the review workbook), then waivers."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

from engine.errors import InputError, Problem
from engine.results import ScoreResult
from engine.review.verdicts import LocatedVerdict, apply_verdicts, read_verdicts_yaml
from engine.review.waivers import apply_waivers, load_waivers
from engine.yamlio import read_file_bytes


def load_verdicts(paths: list[Path]) -> tuple[list[LocatedVerdict], str | None]:
    """Read verdict files (.yaml/.yml or .xlsx). Returns the verdicts and a digest of all files."""
    out: list[LocatedVerdict] = []
    problems: list[Problem] = []
    digest = hashlib.sha256()
    for path in paths:
        path = Path(path)
        if not os.path.lexists(path):
            problems.append(Problem(str(path), "找不到核查结论文件", code="review"))
            continue
        try:
            raw = read_file_bytes(path)
            digest.update(path.name.encode() + b"\0" + raw)
            if path.suffix.lower() == ".xlsx":
                from engine.review.sheet import read_sheet  # openpyxl only when a workbook is read
                out.extend(read_sheet(path, raw))
            else:
                out.extend(read_verdicts_yaml(path, raw))
        except InputError as exc:
            problems.extend(exc.problems)
    seen: dict[tuple[int, str | None], LocatedVerdict] = {}
    for lv in out:
        key = (lv.verdict.indicator, lv.verdict.check)
        if key in seen:
            problems.append(lv.problem(f"指标 {key[0]}{' 检查项 ' + key[1] if key[1] else ''} 的核查结论重复"
                                       f"(另见 {seen[key].source})", "indicator"))
        seen[key] = lv
    if problems:
        raise InputError(problems)
    return out, (digest.hexdigest() if paths else None)



def finalize(result: ScoreResult, catalog, package=None, review: list[Path] | tuple = (), waivers: list[Path] | tuple = (),
             as_of: dt.date | None = None) -> ScoreResult:
    """Merge review verdicts, then waivers (at ``as_of``: default the unit's inspection_date, else today)."""
    explicit = as_of is not None
    if as_of is None:
        unit = getattr(package, "unit", None)
        as_of = getattr(unit, "inspection_date", None) or dt.date.today()
    # apply_verdicts / apply_waivers copy the result deeply; only the run block is changed here (a deep copy of
    # the whole result cost a tenth of a one-unit run)
    result = result.model_copy(update={"run": result.run.model_copy()})
    if explicit or waivers or getattr(getattr(package, "unit", None), "inspection_date", None):
        result.run.as_of = as_of.isoformat()  # "today" is recorded only when it mattered (waivers)
    if review:
        verdicts, digest = load_verdicts(list(review))
        result = apply_verdicts(result, verdicts, catalog)
        result.run.review_digest = digest
    if waivers:
        entries, digest = load_waivers(list(waivers))
        profile = getattr(catalog, "profile", None)
        result = apply_waivers(result, entries, catalog, as_of, profile.waiver_scoring if profile else "excluded")
        result.run.waivers_digest = digest
    return result
