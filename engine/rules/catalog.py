"""Load a rules edition: ``indicators/edition.yaml`` plus the indicator files, validated as a whole."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from engine.errors import InputError, Problem
from engine.rules.model import Edition, Indicator
from engine.yamlio import parse_yaml_bytes, read_file_bytes, validation_problems


def data_root() -> Path:
    """Where indicators/, templates/ and profiles/ are: ``engine/_data`` in an installed wheel (setup.py copies
    them there), else the source tree (a checkout or an editable install)."""
    from importlib.resources import files

    packaged = files("engine") / "_data"
    if packaged.is_dir() and (packaged / "indicators").is_dir():
        return Path(str(packaged)).resolve()
    return Path(__file__).resolve().parents[2]


ROOT = data_root()
DEFAULT_RULES = ROOT / "indicators"


@dataclass
class Catalog:
    edition: Edition
    indicators: list[Indicator]
    digest: str
    files: dict[int, str] = field(default_factory=dict)  # indicator no -> file it was read from

    def get(self, no: int) -> Indicator | None:
        return next((i for i in self.indicators if i.no == no), None)

    def category_name(self, no: int) -> str:
        return next((c.name for c in self.edition.categories if c.no == no), str(no))

    @property
    def max_points(self) -> float:
        return round(sum(i.points for i in self.indicators), 4)


def load_catalog(directory: Path | str = DEFAULT_RULES) -> Catalog:
    """Read every ``*.yaml`` under ``directory``: ``edition.yaml`` and lists of indicators."""
    directory = Path(directory)
    edition_path = directory / "edition.yaml"
    if not edition_path.is_file():
        raise InputError(Problem(str(edition_path), "缺少规则版本文件 edition.yaml", code="no_edition"))
    digest = hashlib.sha256()
    problems: list[Problem] = []
    raw = read_file_bytes(edition_path, _display(edition_path))
    data, node = parse_yaml_bytes(raw, _display(edition_path), aliases=True)
    digest.update(raw)
    try:
        edition = Edition.model_validate(data)
    except ValidationError as exc:
        raise InputError(validation_problems(exc, _display(edition_path), node)) from None
    indicators: list[Indicator] = []
    files: dict[int, str] = {}
    for path in sorted(directory.glob("*.yaml")):
        if path.name == "edition.yaml":
            continue
        shown = _display(path)
        try:
            raw = read_file_bytes(path, shown)
            digest.update(path.name.encode() + b"\0" + raw)
            data, node = parse_yaml_bytes(raw, shown, aliases=True)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        if isinstance(data, dict) and "indicators" in data:
            data, node = data["indicators"], _child(node, "indicators")
        try:
            items = _indicator_list().validate_python(data)
        except ValidationError as exc:
            problems.extend(validation_problems(exc, shown, node))
            continue
        for item in items:
            if item.no in files:
                problems.append(Problem(shown, f"指标序号 {item.no} 重复(另见 {files[item.no]})", code="duplicate_no"))
            files[item.no] = shown
            indicators.append(item)
    problems.extend(_check_categories(edition, indicators, _display(edition_path)))
    if problems:
        raise InputError(problems)
    indicators.sort(key=lambda i: i.no)
    return Catalog(edition=edition, indicators=indicators, digest=digest.hexdigest(), files=files)


@lru_cache(maxsize=1)
def _indicator_list() -> TypeAdapter:
    """Built on first use: a run whose rules come from the cache (engine/rules/cache.py) never validates."""
    return TypeAdapter(list[Indicator])


def catalog_digest(directory: Path | str = DEFAULT_RULES) -> str:
    """The digest :func:`load_catalog` gives the rules under ``directory`` (the result's ``rules_digest``), from the
    files' bytes alone: nothing parsed (the key of the compiled-rules cache, engine/rules/cache.py)."""
    directory = Path(directory)
    edition_path = directory / "edition.yaml"
    digest = hashlib.sha256(read_file_bytes(edition_path, _display(edition_path)))
    for path in sorted(directory.glob("*.yaml")):
        if path.name != "edition.yaml":
            digest.update(path.name.encode() + b"\0" + read_file_bytes(path, _display(path)))
    return digest.hexdigest()


def _check_categories(edition: Edition, indicators: list[Indicator], shown: str) -> list[Problem]:
    problems = []
    known = {c.no: c for c in edition.categories}
    for item in indicators:
        if item.category not in known:
            problems.append(Problem(shown, f"指标 {item.no} 的类别 {item.category} 未在 edition.yaml 中定义", code="category"))
    for cat in edition.categories:
        n = sum(1 for i in indicators if i.category == cat.no)
        if n != cat.count:
            problems.append(Problem(shown, f"类别 {cat.no}「{cat.name}」应有 {cat.count} 个指标,实际 {n} 个", code="category_count"))
    total = round(sum(i.points for i in indicators), 4)
    if abs(total - edition.total_points) > 1e-6:
        problems.append(Problem(shown, f"各指标分值合计 {total},与 total_points {edition.total_points} 不一致", code="total"))
    return problems


def _child(node, key):
    if node is None or not hasattr(node, "value"):
        return None
    for k, v in node.value:
        if k.value == key:
            return v
    return None


def _display(path: Path) -> str:
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)
