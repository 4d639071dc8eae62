"""Ledger definitions (台账定义) loaded from ``evidence/ledgers.yaml`` and validated with pydantic."""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from engine.errors import InputError
from engine.yamlio import read_yaml, validation_problems

FieldType = Literal["str", "enum", "int", "float", "percent", "bool", "date", "datetime"]
LEDGERS_FILE = Path(__file__).with_name("ledgers.yaml")


class FieldDef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str
    type: FieldType
    required: bool = False
    unit: str | None = None
    values: list[str] | None = None
    aliases: list[str] = Field(default_factory=list)
    note: str | None = None
    signed: bool = False  # numbers may be negative (otherwise a negative count/hours/amount is an error)
    # A scope column: the unit's own answer to "does this record fall under the requirement?". Where a rule's
    # population (``where``) reads it, a blank cell is an incomplete record, reported with file, row and column, and
    # read as ``in_scope`` (the record stays in the population: a blank never shrinks a denominator) or
    # ``out_of_scope`` (the record is left out, and the report says so). Conditions read the cell as it is.
    blank_means: Literal["in_scope", "out_of_scope"] | None = None

    @model_validator(mode="after")
    def _enum_has_values(self):
        if self.type == "enum" and not self.values:
            raise ValueError("enum 类型必须列出 values")
        return self


class Tenure(BaseModel):
    """The two date columns that bound a person's time in post: blank start = in post since before the records
    begin; blank end = still in post. A rule's ``in_post`` scope counts only people in post on its reference day."""

    model_config = ConfigDict(extra="forbid")
    start: str
    end: str


class LedgerDef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = ""
    title: str
    aliases: list[str] = Field(default_factory=list)
    id_field: str
    date_field: str | None = None  # the date (or year) that places a record in a period year
    tenure: Tenure | None = None
    note: str | None = None
    fields: dict[str, FieldDef]

    @model_validator(mode="after")
    def _id_field_exists(self):
        if self.id_field not in self.fields:
            raise ValueError(f"id_field {self.id_field} 不在 fields 中")
        if self.date_field and self.fields.get(self.date_field, FieldDef(title="", type="str")).type not in ("date", "datetime", "int"):
            raise ValueError(f"date_field {self.date_field} 应为 date、datetime 或 int 字段")
        if self.tenure is not None:
            for name in (self.tenure.start, self.tenure.end):
                if name not in self.fields or self.fields[name].type != "date":
                    raise ValueError(f"tenure 字段 {name} 应为本台账的 date 字段")
        return self

    def tenure_span(self, record: dict) -> tuple:
        """(start, end) of the person's time in post, as the record holds them; None on an open (blank) side or when
        the ledger declares no tenure."""
        if self.tenure is None:
            return None, None
        return record.get(self.tenure.start), record.get(self.tenure.end)

    def in_post(self, record: dict, day) -> bool:
        """Was the person of ``record`` in post on ``day``? (Blank start or end: open on that side.)"""
        start, end = self.tenure_span(record)
        return (start is None or start <= day) and (end is None or end >= day)

    @cached_property
    def header_map(self) -> dict[str, str]:
        """Normalised header text -> field name (English name, Chinese title and aliases)."""
        mapping: dict[str, str] = {}
        for name, fd in self.fields.items():
            for label in (name, fd.title, *fd.aliases):
                mapping.setdefault(normalise_label(label), name)
        return mapping

    def field_for_header(self, header: str) -> str | None:
        return self.header_map.get(normalise_label(header))


class LedgerCatalog(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int
    ledgers: dict[str, LedgerDef]

    @model_validator(mode="after")
    def _names(self):
        for name, ledger in self.ledgers.items():
            ledger.name = name
        return self

    @cached_property
    def name_map(self) -> dict[str, str]:
        mapping: dict[str, str] = {}
        for name, ledger in self.ledgers.items():
            for label in (name, ledger.title, *ledger.aliases):
                mapping.setdefault(normalise_label(label), name)
        return mapping

    def ledger_for_name(self, label: str) -> str | None:
        return self.name_map.get(normalise_label(label))


_VARIANTS = str.maketrans({"帐": "账"})  # 台帐 and 台账 are both in use; compare as one
_LABEL_NOISE = re.compile(r"[\s\u3000*※]+|[((][^()()]*[))]$")


def normalise_label(label: str) -> str:
    """'是否经合法性审核 (是/否)' and '是否经合法性审核' compare equal; case-insensitive."""
    text = str(label).strip()
    text = _LABEL_NOISE.sub("", text)
    return text.translate(_VARIANTS).lower()


_CACHE: dict[Path, LedgerCatalog] = {}


def load_ledger_catalog(path: Path = LEDGERS_FILE) -> LedgerCatalog:
    if path not in _CACHE:
        data, node = read_yaml(path)
        try:
            _CACHE[path] = LedgerCatalog.model_validate(data)
        except ValidationError as exc:
            raise InputError(validation_problems(exc, str(path), node)) from None
    return _CACHE[path]
