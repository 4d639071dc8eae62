"""Diff between two runs (two ScoreResult JSON files) and rectification status (整改完成 / 未完成).

- newly passing: status was not ``pass`` and is now ``pass``;
- newly failing: status was ``pass``/``needs_review``/``not_applicable`` (or the item was absent) and is now
  ``fail``/``partial``/``missing_evidence``/``error``;
- other status changes (e.g. fail -> partial, pass -> needs_review) are listed as changed status;
- changed points: earned points differ;
- changed evidence: the cited records (ledger/id per check) differ while status and points are unchanged;
- totals per category: earned / applicable points before and after.
Rectification: the rows of the earlier run's 整改清单 (``engine.rectify.needs_row``) are marked 整改完成
when the later run passes the indicator (or it became not applicable / waived), 待人工核查 when it now awaits
review, 未完成 otherwise.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pydantic import ValidationError

from engine.errors import InputError, Problem
from engine.files import read_text
from engine.markdown import md_text
from engine.results import STATUS_ZH, IndicatorResult, ScoreResult

FAILING = ("fail", "partial", "missing_evidence", "error")


@dataclass
class Change:
    no: int
    title: str
    category: int
    kind: str  # newly_passing | newly_failing | status_changed | points_changed | evidence_changed | added | removed
    old_status: str | None
    new_status: str | None
    old_earned: float | None
    new_earned: float | None
    evidence_added: list[str] = field(default_factory=list)
    evidence_removed: list[str] = field(default_factory=list)


@dataclass
class CategoryDelta:
    no: int
    name: str
    old_earned: float
    new_earned: float
    old_applicable: float
    new_applicable: float


@dataclass
class RunDiff:
    old: dict
    new: dict
    changes: list[Change]
    categories: list[CategoryDelta]
    old_score: float
    new_score: float
    warnings: list[str]

    def of(self, kind: str) -> list[Change]:
        return [c for c in self.changes if c.kind == kind]

    @property
    def newly_passing(self) -> list[int]:
        return [c.no for c in self.of("newly_passing")]

    @property
    def newly_failing(self) -> list[int]:
        return [c.no for c in self.of("newly_failing")]

    @property
    def status_changed(self) -> list[int]:
        return [c.no for c in self.changes if c.old_status != c.new_status]

    def to_dict(self) -> dict:
        return {"old": self.old, "new": self.new, "score": {"old": self.old_score, "new": self.new_score},
                "newly_passing": self.newly_passing, "newly_failing": self.newly_failing,
                "changes": [asdict(c) for c in self.changes], "categories": [asdict(c) for c in self.categories],
                "warnings": self.warnings}


def _no_constant(name: str):
    raise ValueError(f"不允许 {name}(非有限数字)")


def load_result(path: Path) -> ScoreResult:
    path = Path(path)
    text = read_text(None, path, str(path))
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise InputError(Problem(str(path), f"不是有效的 JSON:{exc.msg}", row=exc.lineno, code="json")) from None
    except ValueError as exc:
        raise InputError(Problem(str(path), f"不是有效的 JSON:{exc}", code="json")) from None
    except RecursionError:
        raise InputError(Problem(str(path), "JSON 嵌套层数过深", code="json")) from None
    try:
        return ScoreResult.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InputError(Problem(str(path), f"不是 scorecard 评估结果(JSON):{err.get('msg')}",
                                 column=".".join(map(str, err.get("loc", ()))), code="json")) from None


def _cites(item: IndicatorResult) -> set[str]:
    return {f"{c.id}:{e.ledger}/{e.id}" for c in item.checks for e in c.evidence}


def _final(item: IndicatorResult) -> str:
    return item.status


def diff_results(old: ScoreResult, new: ScoreResult) -> RunDiff:
    olds = {r.no: r for r in old.indicators}
    news = {r.no: r for r in new.indicators}
    changes = []
    for no in sorted(set(olds) | set(news)):
        a, b = olds.get(no), news.get(no)
        ref = b or a
        base = {"no": no, "title": ref.title, "category": ref.category, "old_status": a and a.status,
                "new_status": b and b.status, "old_earned": a and a.earned, "new_earned": b and b.earned}
        if a is None or b is None:
            changes.append(Change(kind="added" if a is None else "removed", **base))
            continue
        if a.status != b.status:
            if b.status == "pass":
                kind = "newly_passing"
            elif b.status in FAILING and a.status not in FAILING:
                kind = "newly_failing"
            else:
                kind = "status_changed"
        elif round(a.earned - b.earned, 4) != 0:
            kind = "points_changed"
        else:
            ca, cb = _cites(a), _cites(b)
            if ca == cb:
                continue
            changes.append(Change(kind="evidence_changed", evidence_added=sorted(cb - ca),
                                  evidence_removed=sorted(ca - cb), **base))
            continue
        ca, cb = _cites(a), _cites(b)
        changes.append(Change(kind=kind, evidence_added=sorted(cb - ca), evidence_removed=sorted(ca - cb), **base))
    ocat = {c.no: c for c in old.categories}
    ncat = {c.no: c for c in new.categories}
    cats = []
    for no in sorted(set(ocat) | set(ncat)):
        a, b = ocat.get(no), ncat.get(no)
        cats.append(CategoryDelta(no=no, name=(b or a).name, old_earned=a.earned if a else 0.0,
                                  new_earned=b.earned if b else 0.0, old_applicable=a.applicable_points if a else 0.0,
                                  new_applicable=b.applicable_points if b else 0.0))
    warnings = []
    if (old.run.profile, old.run.profile_digest) != (new.run.profile, new.run.profile_digest):
        warnings.append(f"两次评估使用的剪裁方案不同:{old.run.profile} -> {new.run.profile}")
    if old.run.rules_digest != new.run.rules_digest:
        warnings.append("两次评估使用的规则版本(摘要)不同")
    if old.unit.name != new.unit.name:
        warnings.append(f"两次评估的单位不同:{old.unit.name} -> {new.unit.name}")

    def head(r: ScoreResult) -> dict:
        return {"unit": r.unit.name, "profile": r.run.profile, "profile_digest": r.run.profile_digest,
                "evidence_digest": r.run.evidence_digest, "score": r.summary.score,
                "estimate": r.summary.estimate.score, "high": r.summary.range.high, "complete": r.summary.complete}

    return RunDiff(old=head(old), new=head(new), changes=changes, categories=cats, old_score=old.summary.score,
                   new_score=new.summary.score, warnings=warnings)


KIND_ZH = {"newly_passing": "新通过", "newly_failing": "新未通过", "status_changed": "结论变化",
           "points_changed": "得分变化", "evidence_changed": "证据变化", "added": "新增指标", "removed": "移除指标"}


def _st(s: str | None) -> str:
    return STATUS_ZH.get(s, "—") if s else "—"


def _pts(x: float | None) -> str:
    return "—" if x is None else f"{x:g}"


def render_diff(d: RunDiff, fmt: str = "table") -> str:
    if fmt == "json":
        return json.dumps(d.to_dict(), ensure_ascii=False, indent=2, sort_keys=False) + "\n"
    md = fmt == "md"
    lines = []
    esc = md_text if md else str
    lines.append(("# " if md else "") + f"评估结果对比:{esc(d.old['unit'])}")
    lines.append("")
    lines.append(f"总分:{d.old_score:g} -> {d.new_score:g}({d.new_score - d.old_score:+.2f})")
    lines.append(f"新通过 {len(d.newly_passing)} 项,新未通过 {len(d.newly_failing)} 项,变化合计 {len(d.changes)} 项。")
    for w in d.warnings:
        lines.append(esc(f"[警告] {w}") + ("  " if md else ""))
    lines.append("")
    heads = ["指标", "名称", "变化", "原结论", "新结论", "原得分", "新得分", "证据变化"]
    rows = [[str(c.no), c.title, KIND_ZH[c.kind], _st(c.old_status), _st(c.new_status), _pts(c.old_earned),
             _pts(c.new_earned), _evid(c)] for c in d.changes]
    lines += _table(heads, rows, md, "指标变化")
    lines.append("")
    heads = ["类别", "名称", "原得分/适用分", "新得分/适用分", "得分变化"]
    rows = [[str(c.no), c.name, f"{c.old_earned:g}/{c.old_applicable:g}", f"{c.new_earned:g}/{c.new_applicable:g}",
             f"{c.new_earned - c.old_earned:+g}"] for c in d.categories]
    lines += _table(heads, rows, md, "分类汇总")
    return "\n".join(lines) + "\n"


def _evid(c: Change) -> str:
    parts = [f"+{x}" for x in c.evidence_added[:5]] + [f"-{x}" for x in c.evidence_removed[:5]]
    more = len(c.evidence_added) + len(c.evidence_removed) - len(parts)
    return " ".join(parts) + (f" 等{more}条" if more > 0 else "")


def _table(heads: list[str], rows: list[list[str]], md: bool, title: str) -> list[str]:
    if md:
        out = [f"## {title}", "", "| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
        out += ["| " + " | ".join(md_text(x) for x in r) + " |" for r in rows]
        return out if rows else out[:2] + ["(无)"]
    out = [f"{title}:"]
    if not rows:
        return out + ["  (无)"]
    out.append("  " + "\t".join(heads))
    out += ["  " + "\t".join(r) for r in rows]
    return out


# --- rectification (整改) ---------------------------------------------------------------

@dataclass
class RectificationItem:
    no: int
    title: str
    old_status: str
    new_status: str | None
    state: str  # 整改完成 | 未完成 | 待人工核查
    new_earned: float | None
    points: float


def _needs_row(item: IndicatorResult) -> bool:
    try:
        from engine.output.rectify import needs_row
    except ImportError:  # pragma: no cover - rectify module absent
        return item.status in FAILING
    return needs_row(item)


def rectification_status(old: ScoreResult, new: ScoreResult) -> list[RectificationItem]:
    """The earlier run's rectification rows, each marked against the later run."""
    news = {r.no: r for r in new.indicators}
    out = []
    for a in old.indicators:
        if not _needs_row(a):
            continue
        b = news.get(a.no)
        if b is not None and (b.status in ("pass", "not_applicable") or b.waived):
            state = "整改完成"
        elif b is not None and b.status == "needs_review":
            state = "待人工核查"
        else:
            state = "未完成"
        out.append(RectificationItem(no=a.no, title=a.title, old_status=a.status, new_status=b and b.status,
                                     state=state, new_earned=b and b.earned, points=a.points))
    return out


def render_rectification(items: list[RectificationItem], fmt: str = "table") -> str:
    if fmt == "json":
        return json.dumps({"items": [asdict(i) for i in items],
                           "done": sum(i.state == "整改完成" for i in items),
                           "open": sum(i.state != "整改完成" for i in items)}, ensure_ascii=False, indent=2) + "\n"
    md = fmt == "md"
    heads = ["指标", "名称", "原结论", "复评结论", "复评得分", "整改状态"]
    rows = [[str(i.no), i.title, _st(i.old_status), _st(i.new_status), f"{_pts(i.new_earned)}/{i.points:g}", i.state]
            for i in items]
    lines = _table(heads, rows, md, "整改清单核销")
    done = sum(i.state == "整改完成" for i in items)
    lines.append(f"共 {len(items)} 项:整改完成 {done} 项,未完成 {len(items) - done} 项。")
    return "\n".join(lines) + "\n"
