"""Generate ``evidence/FORMAT.md`` from the ledger definitions and the codes the rules use."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from engine.rules.compiler import CompiledRules
from evidence.codes import code_lists, label_of

INTRO_FILE = Path(__file__).resolve().parents[2] / "evidence" / "FORMAT.intro.md"
NOTE = "> 本文件由 `scorecard format-doc > evidence/FORMAT.md` 生成:说明部分取自 `evidence/FORMAT.intro.md`,台账与代码表取自 `evidence/ledgers.yaml` 与 `indicators/*.yaml`。\n\n"


def render_format_doc(rules: CompiledRules) -> str:
    intro = INTRO_FILE.read_text(encoding="utf-8").rstrip("\n")
    head, _, rest = intro.partition("\n")
    out = [head + "\n\n" + NOTE + rest.lstrip("\n") + "\n", "## 台账、列名与别名\n"]
    readers: dict[str, set[int]] = defaultdict(set)
    for (no, _), cc in rules.checks.items():
        for p in [cc.population, cc.match, cc.numerator, cc.denominator, cc.attest, *cc.gather]:
            if p is not None:
                readers[rules.predicates[p].ledger].add(no)
    for name, ld in rules.ledgers.ledgers.items():
        used = "、".join(str(n) for n in sorted(readers.get(name, ()))) or "无"
        out.append(f"### {ld.title}(`{name}`)\n")
        if ld.aliases:
            out.append(f"文件名别名:{'、'.join(ld.aliases)}。")
        out.append(f"记录编号列:{ld.fields[ld.id_field].title}。使用该台账的指标:{used}。\n")
        if ld.note:
            out.append(f"{ld.note}\n")
        out.append("| 列名 | 字段 | 类型 | 必填 | 单位/取值 | 别名 | 说明 |\n|---|---|---|---|---|---|---|")
        for fname, fd in ld.fields.items():
            allowed = "、".join(fd.values) if fd.values else (fd.unit or "")
            note = fd.note or ""
            if fd.blank_means:
                scope = "适用范围列,空白按适用" if fd.blank_means == "in_scope" else "适用范围列,空白不计入"
                note = f"{scope}(不完整记录,给出警告)" + (f";{note}" if note else "")
            out.append(f"| {fd.title} | `{fname}` | {fd.type} | {'是' if fd.required else ''} | {allowed} | "
                       f"{'、'.join(fd.aliases)} | {note} |")
        out.append("")
    out.append(codes_section(rules))
    return "\n".join(out) + "\n"


def collect_codes(rules: CompiledRules) -> dict[tuple[str, str], dict[str, set[int]]]:
    """Codes the rules match exactly in text columns (``evidence.codes.code_lists``), with the indicators using each."""
    lists = code_lists(rules)
    codes: dict[tuple[str, str], dict[str, set[int]]] = {key: defaultdict(set) for key in lists}
    for (no, _), cc in rules.checks.items():
        for p in [cc.population, cc.match, cc.numerator, cc.denominator, cc.attest, *cc.gather]:
            if p is None:
                continue
            pred = rules.predicates[p]
            for (ledger, field), table in codes.items():
                if ledger == pred.ledger:
                    for value in _values(pred.terms, field):
                        table[str(value)].add(no)
    for ind in rules.catalog.indicators:
        code = ind.applicability.not_applicable_if_attested
        if code and ("attestations", "subject") in codes:
            codes[("attestations", "subject")][code].add(ind.no)
    return codes


def _values(terms, field):
    for t in terms:
        if t[0] == "any":
            for sub in t[1]:
                yield from _values(sub, field)
        elif t[1] == field and t[2] in ("eq", "in"):
            yield from (t[3] if isinstance(t[3], tuple) else (t[3],))


def codes_section(rules: CompiledRules) -> str:
    out = ["## 规则使用的代码\n", "以下取值须与台账中填写的内容完全一致(`scorecard init` 生成的模板中为下拉列表;"
           "情况说明事项代码可填代码、中文名称或「中文名称(代码)」)。\n"]
    for (ledger, field), table in collect_codes(rules).items():
        ld = rules.ledgers.ledgers[ledger]
        out.append(f"### {ld.fields[field].title}({ld.title} · {ld.fields[field].title})\n")
        out.append("| 代码 | 中文名称 | 相关指标 |\n|---|---|---|")
        for code in sorted(table):
            label = label_of(ledger, field, code) or ""
            out.append(f"| {code} | {label} | {'、'.join(str(n) for n in sorted(table[code]))} |")
        out.append("")
    return "\n".join(out)
