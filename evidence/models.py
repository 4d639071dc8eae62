"""Pydantic models of the evidence package's structured files (``unit.yaml``, ``references.yaml``)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

UNIT_TYPES = ("县", "区", "镇", "街道", "部门")
# 街道 is its own type (ranked separately); where a rule or profile names 镇 it applies to 街道 too
_UNIT_TYPE_ALIASES = {"县级": "县", "县(市)": "县", "市辖区": "区", "乡": "镇", "乡镇": "镇", "街道办事处": "街道",
                      "街道办": "街道"}
MAX_PERIOD_YEARS = 10
# control characters and bidirectional overrides: they would rewrite a terminal or disguise a name
UNSAFE_TEXT = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


class Period(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self):
        if self.end < self.start:
            raise ValueError("创建周期的截止日期早于开始日期")
        if self.start < dt.date(2000, 1, 1) or self.end > dt.date(2100, 12, 31):
            raise ValueError(f"创建周期 {self.start} 至 {self.end} 不合理:应在 2000 年至 2100 年之间")
        if self.end.year - self.start.year >= MAX_PERIOD_YEARS:
            raise ValueError(f"创建周期 {self.start} 至 {self.end} 过长:最多 {MAX_PERIOD_YEARS} 年")
        return self

    @property
    def years(self) -> list[int]:
        """Every calendar year the period touches, the partial first and last ones included (see ``days_in``)."""
        return list(range(self.start.year, self.end.year + 1))

    def days_in(self, first: int, last: int | None = None, start: dt.date | None = None,
                end: dt.date | None = None) -> tuple[int, int]:
        """(days of the years ``first``..``last`` inside the period — and inside [start, end] when given —, days of
        those years): the share of a per-year quota a partial year carries."""
        last = first if last is None else last
        lo, hi = dt.date(first, 1, 1), dt.date(last, 12, 31)
        a = max(lo, self.start, start or lo)
        b = min(hi, self.end, end or hi)
        return max(0, (b - a).days + 1), (hi - lo).days + 1

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


class UnitInfo(BaseModel):
    """``unit.yaml``: who is being assessed and over which creation period (创建周期)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    type: Literal["县", "区", "镇", "街道", "部门"]
    region: str = ""
    period: Period
    inspection_date: dt.date | None = None
    contact: str | None = None
    references: dict[str, dict[int, float]] = Field(default_factory=dict)

    @field_validator("name", "region", "contact")
    @classmethod
    def _plain_text(cls, value: str | None):
        if value is None:
            return value
        if UNSAFE_TEXT.search(value):
            raise ValueError("含控制字符或文字方向控制符")
        if len(value) > 200:
            raise ValueError("过长(最多 200 个字符)")
        return value

    @field_validator("name")
    @classmethod
    def _not_blank(cls, value: str):
        if not value.strip():
            raise ValueError("单位名称不能为空白")
        return value.strip()

    @field_validator("inspection_date")
    @classmethod
    def _plausible_date(cls, value: dt.date | None):
        if value is not None and not dt.date(2000, 1, 1) <= value <= dt.date(2100, 12, 31):
            raise ValueError(f"日期 {value} 不合理:应在 2000 年至 2100 年之间")
        return value

    @field_validator("type", mode="before")
    @classmethod
    def _type_alias(cls, value: Any):
        if isinstance(value, str):
            value = value.strip()
            return _UNIT_TYPE_ALIASES.get(value, value)
        return value


@dataclass(eq=False)
class Ledger:
    """One ledger's typed records, with where each record came from.

    Read from a file, a ledger is held as columns (``evidence.columns``): ``records`` is then a view that builds each
    record when asked for, and ``column``, ``encoded`` and ``ids`` read a whole field without building records. A
    ledger made from (or given) a list of record dicts keeps that list (tests, generated data); so does
    ``dataclasses.replace(ledger, records=[...])``.
    """

    name: str
    title: str
    file: str  # path relative to the package root
    id_field: str
    records: Any = None  # a list of dicts, or evidence.columns.Records over ``columns``
    rows: Any = None  # 1-based row in the source file, per record
    sheet: str | None = None
    sha256: str = ""
    columns: dict | None = None  # field -> EncodedColumn | TextColumn; None for a list of records

    def __post_init__(self):
        from evidence.columns import Records

        if self.rows is None:
            self.rows = []
        if self.records is None:
            self.records = Records(self.columns, len(self.rows)) if self.columns is not None else []
        elif not isinstance(self.records, Records):
            self.columns = None

    def __setattr__(self, key: str, value: Any) -> None:
        object.__setattr__(self, key, value)
        if key == "records" and isinstance(value, list):  # a list of records replaces the columns
            object.__setattr__(self, "columns", None)

    def __len__(self) -> int:
        return len(self.rows) if self.columns is not None else len(self.records)

    def __repr__(self) -> str:
        return f"Ledger({self.name!r}, {self.file!r}, {len(self)} 条)"

    def column(self, name: str) -> list:
        """The field's value in every record (None where empty), in record order."""
        if self.columns is None:
            return [r.get(name) for r in self.records]
        col = self.columns.get(name)
        return [None] * len(self) if col is None else col.to_list()

    def encoded(self, name: str):
        """(distinct values, numpy code per record): ``values[codes[i]]`` is record i's value (None where empty)."""
        import numpy as np

        if self.columns is not None and name in self.columns:
            return self.columns[name].encoded()
        index: dict = {}
        values: list = []
        codes = []
        for value in self.column(name):
            key = (type(value), value)
            try:
                code = index.get(key)
            except TypeError:
                code = None
                key = None
            if code is None:
                code = len(values)
                values.append(value)
                if key is not None:
                    index[key] = code
            codes.append(code)
        return values, np.asarray(codes, dtype=np.int64)

    def record_id(self, index: int) -> str:
        if self.columns is None:
            return str(self.records[index].get(self.id_field, ""))
        col = self.columns.get(self.id_field)
        value = None if col is None else col.get(index)
        return "" if value is None else str(value)

    def ids(self) -> list[str]:
        """``record_id`` of every record."""
        return ["" if v is None else str(v) for v in self.column(self.id_field)]
