"""User-facing errors: every problem names where it is (file, sheet, row, column/field)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# C0/C1 control characters (ESC starts terminal sequences; a newline would forge another message line) and the
# bidirectional overrides: shown as visible escapes, never passed to a terminal.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def visible(text: object) -> str:
    """Text safe to print on a terminal: control characters become ``\\xNN`` / ``\\uNNNN``; rich markup is not
    interpreted here (printing goes through click, or rich with markup off)."""
    s = str(text)
    if not _UNSAFE.search(s):
        return s
    return _UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", s)


@dataclass(frozen=True, order=True)
class Problem:
    """One problem found in user input (evidence package, rule file, profile, review file)."""

    file: str
    message: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    expected: str | None = None
    sheet: str | None = None
    severity: str = "error"  # "error" | "warning"
    code: str = field(default="", compare=False)
    omitted: int = field(default=0, compare=False)  # a summary line: this many problems of one kind not listed

    @property
    def count(self) -> int:
        """Problems this entry stands for: 1, or for a summary line the omitted ones."""
        return self.omitted or 1

    def location(self) -> str:
        parts = [visible(self.file)]
        if self.sheet:
            parts.append(f"工作表「{visible(self.sheet)}」")
        if self.row is not None:
            parts.append(f"第{self.row}行")
        if self.column:
            parts.append(f"字段「{visible(self.column)}」")
        return " ".join(parts)

    def format(self) -> str:
        """One line for a terminal or a text file: every part escaped (see ``visible``)."""
        label = "错误" if self.severity == "error" else "警告"
        text = f"[{label}] {self.location()}: {visible(self.message)}"
        if self.value is not None:
            value = self.value if len(self.value) <= 200 else self.value[:200] + "……"
            text += f";实际值「{visible(value)}」"
        if self.expected:
            text += f";应为:{visible(self.expected)}"
        return text

    def to_dict(self) -> dict:
        return {
            "severity": self.severity,
            "code": self.code,
            "file": self.file,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "expected": self.expected,
            "message": self.message,
            **({"omitted": self.omitted} if self.omitted else {}),
        }


class InputError(Exception):
    """Invalid user input. Carries one or more located problems; the CLI exits with code 2."""

    def __init__(self, problems: list[Problem] | Problem):
        if isinstance(problems, Problem):
            problems = [problems]
        self.problems = cap_repeats(sorted(problems, key=_problem_key))
        super().__init__("\n".join(p.format() for p in self.problems))


def _problem_key(p: Problem):
    return (p.file, p.sheet or "", p.row if p.row is not None else -1, p.column or "", p.message)


REPEAT_LIMIT = 20  # located messages of one kind per file; the rest become one summary line


def cap_repeats(problems: list[Problem], limit: int = REPEAT_LIMIT) -> list[Problem]:
    """At most ``limit`` located problems of one kind (same file, sheet, severity and code — or message when there
    is no code) in the given order, then one summary line "另有 K 条同类问题"; deterministic for a deterministic
    input order. Summary lines already made are kept as they are (capping twice changes nothing)."""
    def key(p: Problem):
        return (p.file, p.sheet or "", p.severity, p.code or p.message)

    totals: dict[tuple, int] = {}
    for p in problems:
        if not p.omitted:
            totals[key(p)] = totals.get(key(p), 0) + 1
    if all(n <= limit for n in totals.values()):
        return list(problems)
    seen: dict[tuple, int] = {}
    out: list[Problem] = []
    for p in problems:
        if p.omitted:
            out.append(p)
            continue
        k = key(p)
        seen[k] = seen.get(k, 0) + 1
        if seen[k] <= limit:
            out.append(p)
        if seen[k] == limit and totals[k] > limit:
            kind = p.message if len(p.message) <= 60 else p.message[:60] + "……"
            out.append(Problem(p.file, f"另有 {totals[k] - limit} 条同类问题未逐条列出(同类:{kind})", sheet=p.sheet,
                               severity=p.severity, code=p.code, omitted=totals[k] - limit))
    return out


class CalendarError(Exception):
    """A date falls outside the official holiday calendar that is available."""
