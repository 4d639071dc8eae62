"""The hostile corpus: every case is built by code here (no checked-in binaries) from a copy of a bundled example.

Each case directory holds ``pkg/`` (the evidence package), ``inputs/`` (review, waiver, profile, calendar, template
and result files named on the command line), ``outside/`` (files that must never be read: ``secret.txt`` holds a
canary) and ``out/`` (where outputs may go). Cases are tagged with the audit's case ids
(../shared/audits/adversarial-2026-12-01.md) and the root cause (1-10) they exercise.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CANARY = "CANARY-7f3a9c-outside-secret"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


@dataclass
class Case:
    name: str
    causes: tuple[int, ...]  # root causes (audit sections 1-10)
    ids: tuple[str, ...]  # audit case ids
    setup: Callable[[Path], None]
    argv: list[str]
    example: str = "good-county"
    exit: tuple[int, ...] = (2,)
    stderr: tuple[str, ...] = ()  # substrings the messages must contain (file, row, column, value ...)
    check: Callable[[Path, str, str], None] | None = None  # extra assertion on (case dir, stdout, stderr)
    env: dict = field(default_factory=dict)


CASES: list[Case] = []


def case(name, causes, ids, setup, argv, **kw) -> None:
    CASES.append(Case(name, tuple(causes), tuple(ids), setup, list(argv), **kw))


# ------------------------------------------------------------------------------------------------ helpers

def write(rel: str, content: bytes | str) -> Callable[[Path], None]:
    def go(d: Path) -> None:
        path = d / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink() or path.is_file():
            path.unlink()
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return go


def symlink(rel: str, target: str) -> Callable[[Path], None]:
    """``target`` relative to the case directory (or absolute)."""
    def go(d: Path) -> None:
        path = d / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink() or path.is_file():
            path.unlink()
        elif path.is_dir():
            shutil.rmtree(path)
        os.symlink(target if target.startswith("/") else str(d / target), path)
    return go


def fifo(rel: str) -> Callable[[Path], None]:
    def go(d: Path) -> None:
        path = d / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() or path.is_symlink():
            path.unlink()
        os.mkfifo(path)
    return go


def device(rel: str) -> Callable[[Path], None]:
    """A character device node (/dev/zero: 1,5), as `tar -x` run by root creates."""
    def go(d: Path) -> None:
        path = d / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() or path.is_symlink():
            path.unlink()
        os.mknod(path, 0o644 | stat.S_IFCHR, os.makedev(1, 5))
    return go


def directory(rel: str) -> Callable[[Path], None]:
    def go(d: Path) -> None:
        path = d / rel
        if path.exists() or path.is_symlink():
            path.unlink()
        path.mkdir(parents=True)
    return go


def loop(rel: str) -> Callable[[Path], None]:
    def go(d: Path) -> None:
        path = d / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() or path.is_symlink():
            path.unlink()
        os.symlink(path.name + ".b", path)
        os.symlink(path.name, path.with_name(path.name + ".b"))
    return go


def remove(rel: str) -> Callable[[Path], None]:
    def go(d: Path) -> None:
        (d / rel).unlink()
    return go


def chain(*steps: Callable[[Path], None]) -> Callable[[Path], None]:
    def go(d: Path) -> None:
        for s in steps:
            s(d)
    return go


def edit_csv(rel: str, fn: Callable[[list[str]], list[str]]) -> Callable[[Path], None]:
    """Edit a CSV ledger as lines of text (header first)."""
    def go(d: Path) -> None:
        path = d / rel
        lines = path.read_text(encoding="utf-8-sig").splitlines()
        path.write_text("\n".join(fn(lines)) + "\n", encoding="utf-8")
    return go


def set_cell(rel: str, row: int, col: int, value: str, quote: bool = True) -> Callable[[Path], None]:
    """Row 1 = first data row (file line 2). The value is written as a quoted CSV cell unless ``quote`` is False."""
    def fn(lines: list[str]) -> list[str]:
        import csv
        import io

        cells = next(csv.reader([lines[row]]))
        cells[col] = value
        if quote:
            buf = io.StringIO()
            csv.writer(buf, lineterminator="").writerow(cells)
            lines[row] = buf.getvalue()
        else:
            lines[row] = ",".join(cells)
        return lines
    return edit_csv(rel, fn)


def xlsx_from_csv(rel_csv: str, extra: dict | None = None, hidden_first: bool = False, formula: str | None = None,
                  error: str | None = None) -> Callable[[Path], None]:
    """Turn a CSV ledger into an .xlsx (openpyxl), optionally with a far cell, a hidden stale first sheet, a
    formula cell without cached value or an error cell."""
    def go(d: Path) -> None:
        import csv

        import openpyxl

        src = d / rel_csv
        rows = list(csv.reader(src.read_text(encoding="utf-8-sig").splitlines()))
        src.unlink()
        wb = openpyxl.Workbook()
        ws = wb.active
        if hidden_first:
            ws.title = "旧版"
            ws.append(rows[0])
            ws.append(rows[1])
            ws.sheet_state = "hidden"
            ws = wb.create_sheet("Sheet1")
        for r in rows:
            ws.append(r)
        for ref, value in (extra or {}).items():
            ws[ref] = value
        if formula:
            ws[formula] = "=1+1"  # openpyxl stores no cached value
        out = src.with_suffix(".xlsx")
        wb.save(out)
        if error:
            _patch_error(out, error)
    return go


def _patch_error(path: Path, ref: str) -> None:
    """Make cell ``ref`` an error cell (t="e", #DIV/0!) in the first worksheet."""
    src = zipfile.ZipFile(path)
    items = [(i, src.read(i)) for i in src.infolist()]
    src.close()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in items:
            if info.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                start = text.index(f'<c r="{ref}"')
                end = text.index("</c>", start) + 4
                text = text[:start] + f'<c r="{ref}" t="e"><v>#DIV/0!</v></c>' + text[end:]
                data = text.encode()
            out.writestr(info, data)


def zip_bomb(rel: str, megabytes: int = 400) -> Callable[[Path], None]:
    """An .xlsx whose extra member inflates to ``megabytes`` MB (a few hundred kB on disk)."""
    def go(d: Path) -> None:
        path = d / rel
        with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
            with zf.open("xl/pad.xml", "w", force_zip64=True) as fh:
                block = b"A" * (1 << 20)
                for _ in range(megabytes):
                    fh.write(block)
    return go


def lying_zip(rel: str) -> Callable[[Path], None]:
    """Declared sizes rewritten to 1 byte: the check must count real inflated bytes, not trust headers."""
    def go(d: Path) -> None:
        path = d / rel
        zip_bomb(rel, 400)(d)
        data = bytearray(path.read_bytes())
        # central directory entries: uncompressed size at offset 24 of each "PK\x01\x02" header
        i = data.find(b"PK\x01\x02")
        while i != -1:
            if data[i + 24:i + 28] != b"\xff\xff\xff\xff":
                data[i + 24:i + 28] = (1).to_bytes(4, "little")
            i = data.find(b"PK\x01\x02", i + 4)
        path.write_bytes(bytes(data))
    return go


def yaml_bomb(levels: int = 9, width: int = 9) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for n in range(1, levels):
        lines.append(f"a{n}: &a{n} [" + ",".join([f"*a{n - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def deep_yaml(depth: int = 20000) -> str:
    return "x: " + "[" * depth + "]" * depth + "\n"


def deep_json(depth: int = 100000) -> str:
    return "[" * depth + "]" * depth


def unit_yaml(**over) -> str:
    base = {"name": "青山县人民政府", "type": "县", "region": "示例省示例市",
            "period": {"start": "2021-01-01", "end": "2022-12-31"}, "inspection_date": "2023-03-15"}
    base.update(over)
    import yaml

    return yaml.safe_dump(base, allow_unicode=True, sort_keys=False)


def no_canary(d: Path, stdout: str, stderr: str) -> None:
    assert CANARY not in stdout and CANARY not in stderr
    for path in (d / "out").rglob("*"):
        if path.is_file():
            assert CANARY.encode() not in path.read_bytes(), path


def out_absent(*rels: str) -> Callable[[Path, str, str], None]:
    def go(d: Path, stdout: str, stderr: str) -> None:
        no_canary(d, stdout, stderr)
        for rel in rels:
            assert not (d / rel).exists() or (d / rel).is_dir(), rel
    return go


V = ["validate", "pkg"]
S = ["score", "pkg", "--format", "json", "-o", "out/r.json"]

# ------------------------------------------------------------------ 3 / 6: symlinks and special files (every reader)

FILE_TARGETS = {  # reader -> (path in the case dir, command)
    "unit": ("pkg/unit.yaml", V),
    "csv_ledger": ("pkg/ledgers/villages.csv", V),
    "yaml_ledger": ("pkg/ledgers/attestations.yaml", V),
    "calendar_file": ("pkg/calendar/2027.yaml", V),
    "review": ("inputs/review.yaml", S + ["--review", "inputs/review.yaml"]),
    "waivers": ("inputs/waivers.yaml", S + ["--waivers", "inputs/waivers.yaml"]),
    "profile": ("inputs/profile.yaml", S + ["--profile", "inputs/profile.yaml"]),
    "template": ("inputs/t/report.md.j2", ["score", "pkg", "--format", "md", "--template", "inputs/t", "-o", "out/r.md"]),
    "diff_old": ("inputs/old.json", ["diff", "inputs/old.json", "inputs/old.json"]),
}


def _prepare(kind: str) -> Callable[[Path], None]:
    def go(d: Path) -> None:
        if kind == "yaml_ledger":
            (d / "pkg/ledgers/attestations.csv").unlink()
        (d / "inputs/t").mkdir(parents=True, exist_ok=True)
    return go


for kind, (rel, argv) in FILE_TARGETS.items():
    shown = rel.split("/", 1)[1] if rel.startswith("pkg/") else rel
    for variant, make, words in (
        ("symlink_out", lambda r: symlink(r, "outside/secret.txt"), "证据包之外"),
        ("symlink_etc", lambda r: symlink(r, "/etc/passwd"), "证据包之外"),
        ("fifo", fifo, "命名管道"),
        ("directory", directory, "目录"),
        ("loop", loop, "循环"),
        ("device", device, "设备"),
    ):
        if kind in ("review", "waivers", "profile", "diff_old", "template") and variant.startswith("symlink"):
            # a file named on the command line may be a link (users link shared files): see CLI_LINKS below; the
            # package rule is that nothing *inside a package* leads out of it
            continue
        if variant == "device" and not IS_ROOT:
            continue
        if kind == "template" and variant in ("fifo", "device", "directory", "loop"):
            words = "report.md.j2"
        if kind in ("review", "waivers", "diff_old") and variant == "directory":
            words = "目录"  # refused by the command-line parser
        case(f"path_{kind}_{variant}", (3, 6), ("Y37", "P17", "P18", "P19", "P20"), chain(_prepare(kind), make(rel)),
             argv, stderr=(shown, words), check=no_canary)

# Files named on the command line (--review, --waivers, --profile, diff inputs, --template's folder, --calendar's
# folder) may be symlinks: the link is followed and its target must be a regular file within the size cap (policy in
# engine.files.resolve_named: naming a link gives no access that naming its target would not). Files inside a
# template or shared calendar folder never lead out of it, and the message names that folder, not 证据包.
def _result_json() -> str:
    from report_cases import handmade

    return handmade().to_json()


CLI_LINKS = {  # kind -> (file content, command with the link as inputs/<name>)
    "review": ("verdicts: []\n", S + ["--review", "inputs/review.yaml"]),
    "waivers": ("waivers: []\n", S + ["--waivers", "inputs/waivers.yaml"]),
    "profile": ("id: linked\ntitle: 链接的剪裁方案\n", S + ["--profile", "inputs/profile.yaml"]),
    "diff_old": (None, ["diff", "inputs/old.json", "inputs/old.json"]),
}
for kind, (content, argv) in CLI_LINKS.items():
    name = Path(FILE_TARGETS[kind][0]).name

    def _linked(d: Path, name=name, content=content) -> None:
        (d / "inputs/shared").mkdir(parents=True, exist_ok=True)
        (d / "inputs/shared" / name).write_text(content if content is not None else _result_json(), encoding="utf-8")
        os.symlink(d / "inputs/shared" / name, d / "inputs" / name)

    case(f"cli_link_{kind}_followed", (3,), (), _linked, argv, exit=(0, 3))
    case(f"cli_link_{kind}_to_fifo", (3, 6), ("P17",),
         chain(fifo(f"inputs/shared/{name}"), symlink(f"inputs/{name}", f"inputs/shared/{name}")), argv,
         stderr=(f"inputs/{name}", "命名管道"))
    case(f"cli_link_{kind}_to_directory", (3,), (),
         chain(directory(f"inputs/shared/{name}"), symlink(f"inputs/{name}", f"inputs/shared/{name}")), argv,
         stderr=(f"inputs/{name}", "目录"))
    case(f"cli_link_{kind}_dangling", (3, 8), (), symlink(f"inputs/{name}", "inputs/shared/nothing.yaml"), argv,
         stderr=(f"inputs/{name}",))


def _template_dir_link(d: Path) -> None:
    (d / "inputs/shared_t").mkdir(parents=True)
    (d / "inputs/shared_t/report.md.j2").write_text("{{ r.unit.name }}", encoding="utf-8")
    os.symlink(d / "inputs/shared_t", d / "inputs/t")


case("cli_link_template_dir_followed", (1, 3), (), _template_dir_link,
     ["score", "pkg", "--format", "md", "--template", "inputs/t", "-o", "out/r.md"], exit=(0, 3),
     check=lambda d, o, e: (d / "out/r.md").read_text(encoding="utf-8") == "青山县人民政府")
case("path_shared_calendar_file_symlink_out", (3,), ("P20",), symlink("inputs/cal/2027.yaml", "outside/2027.yaml"),
     V + ["--calendar", "inputs/cal"], stderr=("2027.yaml", "共享节假日安排目录之外"), check=no_canary)
case("path_calendar_dir_symlink_out", (3,), ("P21",), symlink("pkg/calendar", "outside"), V,
     stderr=("calendar/", "证据包之外"), check=no_canary)
case("path_ledgers_dir_symlink_out", (3,), ("P13",), chain(lambda d: shutil.rmtree(d / "pkg/ledgers"),
                                                           symlink("pkg/ledgers", "outside")), V,
     stderr=("ledgers/", "证据包之外"), check=no_canary)
case("path_template_symlink_out", (1, 3), ("T05", "T06"), symlink("inputs/t/report.md.j2", "outside/secret.txt"),
     ["score", "pkg", "--format", "md", "--template", "inputs/t", "-o", "out/r.md"], stderr=("report.md.j2", "模板目录之外"),
     check=no_canary)
case("path_template_include_symlink", (1, 3), ("T19",),
     chain(symlink("inputs/t/x.j2", "outside/secret.txt"), write("inputs/t/report.md.j2", "{% include 'x.j2' %}")),
     ["score", "pkg", "--format", "md", "--template", "inputs/t", "-o", "out/r.md"], stderr=("x.j2", "模板目录之外"),
     check=no_canary)
case("path_template_include_parent", (1, 3), ("T06",), write("inputs/t/report.md.j2", "{% include '../../outside/secret.txt' %}"),
     ["score", "pkg", "--format", "md", "--template", "inputs/t", "-o", "out/r.md"], stderr=("模板",), check=no_canary)

# attachments (documents.附件路径)
for n, (target, words) in enumerate((("../outside/secret.txt", "之外"), ("/etc/passwd", "之外"), ("files/link", "之外"),
                                     ("files/fifo", "命名管道"), ("files/dir", "目录"), ("files/loop", "循环"),
                                     ("files/missing.pdf", "不存在"), ("files/a\u202eb.pdf", "不存在"),
                                     ("files/" + "x" * 5000, "附件"), ("http://evil/x", "网址"))):
    def setup(d: Path, target=target) -> None:
        (d / "pkg/files").mkdir(exist_ok=True)
        symlink("pkg/files/link", "outside/secret.txt")(d)
        fifo("pkg/files/fifo")(d)
        directory("pkg/files/dir")(d)
        loop("pkg/files/loop")(d)
        set_cell("pkg/ledgers/documents.csv", 1, 6, target)(d)
    case(f"path_attachment_{n}", (3, 6, 8), ("P01", "P08", "P09", "P17"), setup, V,
         stderr=("ledgers/documents.csv", "第2行", "附件路径", words), check=no_canary)

# ------------------------------------------------------------------------------ 2 / 8: outputs

OUT_COMMANDS = {
    "score_json": ["score", "pkg", "--format", "json", "-o"],
    "score_md": ["score", "pkg", "--format", "md", "-o"],
    "rectify_xlsx": ["rectify", "pkg", "--format", "xlsx", "-o"],
    "rectify_docx": ["rectify", "pkg", "--format", "docx", "-o"],
    "rectify_md": ["rectify", "pkg", "--format", "md", "-o"],
    "review_sheet": ["review-sheet", "pkg", "-o"],
}
OUT_TARGETS = {
    "unit_yaml": ("pkg/unit.yaml", "证据包只读"),
    "ledger": ("pkg/ledgers/documents.csv", "证据包只读"),
    "new_in_ledgers": ("pkg/ledgers/整改清单.xlsx", "证据包只读"),
    "dev_full": ("/dev/full", "不是普通文件"),
    "parent_is_file": ("out/file/x.out", "无法写入"),
    "proc": ("/proc/nonexistent-dir/x.out", "无法写入"),
    "over_review": ("inputs/review.yaml", "覆盖"),
}
for cname, argv in OUT_COMMANDS.items():
    for tname, (target, words) in OUT_TARGETS.items():
        extra = ["--review", "inputs/review.yaml"] if tname == "over_review" and cname != "rectify_xlsx" else []
        if tname == "over_review" and cname.startswith("rectify"):
            continue  # rectify takes no review file

        def setup(d: Path) -> None:
            write("out/file", "a file, not a folder")(d)
            write("inputs/review.yaml", "verdicts: []\n")(d)
        case(f"out_{cname}_{tname}", (2, 8), ("O01", "O02", "O03", "O07", "O20"), setup, argv + [target] + extra,
             stderr=(target, words), check=out_absent("pkg/ledgers/整改清单.xlsx"))
case("out_batch_into_package", (2,), ("B06",), lambda d: None, ["batch", "pkg", "-o", "pkg/ledgers", "-j", "1"],
     stderr=("pkg/ledgers", "证据包只读"), check=out_absent("pkg/ledgers/units"))
case("out_batch_dev_full", (8,), ("B07",), lambda d: None, ["batch", "pkg", "-o", "/dev/full/x", "-j", "1"],
     stderr=("/dev/full",))

# ------------------------------------------------------------------------- 7: XLSX bombs and 4: hidden sheets

XL = "pkg/ledgers/villages.csv"
case("xlsx_zip_bomb", (7,), ("X02",), chain(xlsx_from_csv(XL), zip_bomb("pkg/ledgers/villages.xlsx")), V,
     stderr=("ledgers/villages.xlsx", "压缩炸弹"))
case("xlsx_zip_bomb_lying_sizes", (7,), ("X02",), chain(xlsx_from_csv(XL), lying_zip("pkg/ledgers/villages.xlsx")), V,
     stderr=("ledgers/villages.xlsx",))
for ref in ("XFD1048576", "CV1048576", "AZ1048576", "ZZ100000"):
    case(f"xlsx_far_cell_{ref}", (7,), ("X03", "X04"), xlsx_from_csv(XL, extra={ref: "x"}), V,
         stderr=("ledgers/villages.xlsx", "使用区域过大"))
case("xlsx_hidden_first_sheet", (4,), ("X07",), xlsx_from_csv("pkg/ledgers/training_records.csv", hidden_first=True),
     V, exit=(0,), stderr=("training_records.xlsx", "隐藏"))
case("xlsx_formula_without_value", (4,), ("X09",), xlsx_from_csv("pkg/ledgers/training_records.csv", formula="D3"), V,
     stderr=("training_records.xlsx", "第3行", "学时", "公式"))
case("xlsx_error_cell", (4,), ("X19",), xlsx_from_csv("pkg/ledgers/training_records.csv", error="D4"), V,
     stderr=("training_records.xlsx", "第4行", "学时", "#DIV/0!"))
case("xlsx_not_a_zip", (8,), ("X01",), write("pkg/ledgers/villages.xlsx", b"PK\x03\x04garbage" * 10), V,
     stderr=("ledgers/villages.xlsx", "无法读取 Excel"))
case("xlsx_empty", (8,), (), write("pkg/ledgers/villages.xlsx", b""), V, stderr=("ledgers/villages.xlsx", "为空"))
case("xlsx_review_bomb", (7,), ("R15",),
     lambda d: (shutil.copy(d / "pkg/ledgers/villages.csv", d / "inputs/r.csv"), xlsx_from_csv("inputs/r.csv")(d),
                zip_bomb("inputs/r.xlsx")(d)),
     S + ["--review", "inputs/r.xlsx"], stderr=("inputs/r.xlsx", "压缩炸弹"))

# ------------------------------------------------------------------------------------------- 1: template sandbox

TEMPLATE_ARGV = ["score", "pkg", "--format", "md", "--template", "inputs/t", "-o", "out/r.md"]
for n, (source, words) in enumerate((
    ("{{ r.parse_raw('cos\\nsystem\\n(S\"touch out/pwned\"\\ntR.', content_type='application/pickle', "
     "allow_pickle=True) }}", "parse_raw"),
    ("{{ r.parse_file('outside/secret.txt') }}", "parse_file"),
    ("{{ r.__class__.__mro__ }}", "unsafe"),
    ("{{ r.model_dump_json() }}", "model_dump_json"),
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "unsafe"),
    ("{{ cycler.__init__.__globals__ }}", "模板"),
    ("{{ lipsum.__globals__ }}", "模板"),
    ("{{ r|attr('__dict__') }}", "模板"),
    ("{% for i in range(10**10) %}x{% endfor %}", "Range"),
    ("{{ 'x' * 1000000000 }}", "重复"),
    ("{{ 'x'|center(1000000000) }}", "沙箱限制"),
    ("{{ 2 ** 100000000 }}", "沙箱限制"),
    ("{% include 'report.md.j2' %}", "递归"),
    ("{% extends 'report.md.j2' %}", "递归"),
    ("line 1\n{% for a in range(99999) %}{% for b in range(99999) %}{% endfor %}{% endfor %}", "时限"),
    ("{% for a in range(99999) %}{% for b in range(99999) %}{{ a }}{% endfor %}{% endfor %}", "模板"),
    ("line 1\nline 2\n{{ nope.missing }}", "第3行"),
    ("{% if %}", "语法错误"),
    ("{{ r.items.append(1) }}", "模板"),
    ("{{ '%s' % r }}", None),
)):
    expected = ("report.md.j2", words) if words else ()
    case(f"template_{n}", (1, 8), ("T01", "T07", "T08", "T09", "T10", "T11", "T12", "T13", "T20"),
         write("inputs/t/report.md.j2", source), TEMPLATE_ARGV, exit=(2,) if words else (0, 2, 3), stderr=expected,
         check=out_absent("out/pwned"))
case("template_huge_file", (1, 7), ("T11",), write("inputs/t/report.md.j2", "x" * (2 << 20)), TEMPLATE_ARGV,
     stderr=("report.md.j2", "过大"))
case("template_not_utf8", (1, 8), (), write("inputs/t/report.md.j2", b"\xff\xfe\x00bad"), TEMPLATE_ARGV,
     stderr=("report.md.j2",))
case("template_plain_data_ok", (1,), (), write("inputs/t/report.md.j2", "{{ r.unit.name }}|{{ r.indicators|length }}"),
     TEMPLATE_ARGV, exit=(0, 3),
     check=lambda d, o, e: (d / "out/r.md").read_text(encoding="utf-8").startswith("青山县人民政府|87"))

# ---------------------------------------------------------------------------------------------- 4 / 8: calendar

for n, (content, words) in enumerate((
    ("year: 2021\nholidays: [2021-08-23]\n", "已由官方"),
    ("year: 0\nholidays: []\n", "年份"),
    ("year: 10000\nholidays: []\n", "年份"),
    ("year: 2028\nholidays: [2028-01-01]\n", "不一致"),
    ("year: 2027\nholidays: [2027-01-01]\nworkdays: [2027-01-01]\n", "同时"),
    ("year: 2027\nholidays: {a: 1}\n", "列表"),
    ("year: 2027\nholidays: [2026-01-01]\n", "不属于"),
    ("year: 2027\nholidays: [notadate]\n", "格式错误"),
    (yaml_bomb(), "calendar/2027.yaml"),
    (deep_yaml(), "calendar/2027.yaml"),
    ("- 1\n- 2\n", "映射"),
    ("year: [2027]\n", "格式错误"),
    ("year: 2027\nyear: 2027\n", "重复"),
)):
    case(f"calendar_{n}", (4, 7, 8), ("K02", "K05", "K06", "K09", "K10", "K15", "K17", "K18"),
         write("pkg/calendar/2021.yaml" if n == 0 else "pkg/calendar/2027.yaml", content), V,
         stderr=("calendar/", words))
case("calendar_two_files_one_year", (4,), ("K11",),
     chain(write("pkg/calendar/2027.yaml", "year: 2027\n"), write("pkg/calendar/2027.yml", "year: 2027\n")), V,
     stderr=("calendar/2027", "重复"))
case("calendar_shared_covered_year", (4,), ("K17",), write("inputs/cal/2022.yaml", "year: 2022\nholidays: []\n"),
     V + ["--calendar", "inputs/cal"], stderr=("2022.yaml", "已由官方"))

# a covered year may be replaced only with the profile's calendar_overrides (year, cited source, date); the report says so
_NOTICE = "国务院办公厅关于2021年部分节假日安排的通知(国办发明电〔2020〕27号)"
_OVERRIDE = f"id: cal-override\ntitle: 替换日历\ncalendar_overrides:\n  - {{year: 2021, source: {_NOTICE}, issued: 2020-11-25}}\n"
_K17 = write("pkg/calendar/2021.yaml", "year: 2021\nholidays: [2021-08-23, 2021-08-24]\n")


def _override_reported(d: Path, stdout: str, stderr: str) -> None:
    data = json.loads((d / "out/r.json").read_text(encoding="utf-8"))
    assert data["run"]["calendar_overrides"] == [{"year": 2021, "file": "calendar/2021.yaml",
                                                  "source": f"{_NOTICE},2020-11-25"}]
    for name in ("r.md", "r.html"):
        text = (d / "out" / name).read_text(encoding="utf-8").replace("\\", "")  # Markdown escapes: calendar/2021\.yaml
        assert "2021 年未采用官方法定节假日日历" in text and "calendar/2021.yaml" in text and "国办发明电" in text


case("calendar_override_with_source", (4,), ("K17",), chain(_K17, write("inputs/profile.yaml", _OVERRIDE)),
     ["score", "pkg", "--profile", "inputs/profile.yaml", "-o", "out/r.json", "-o", "out/r.md", "-o", "out/r.html"],
     exit=(0, 3), check=_override_reported)
case("calendar_override_validate_ok", (4,), ("K17",), chain(_K17, write("inputs/profile.yaml", _OVERRIDE)),
     V + ["--profile", "inputs/profile.yaml"], exit=(0,))
case("calendar_override_without_source", (4,), ("K17",),
     chain(_K17, write("inputs/profile.yaml", _OVERRIDE.replace(f"source: {_NOTICE}, ", ""))),
     S + ["--profile", "inputs/profile.yaml"], stderr=("inputs/profile.yaml", "source"))
case("calendar_override_other_year", (4,), ("K17",),
     chain(_K17, write("inputs/profile.yaml", _OVERRIDE.replace("year: 2021", "year: 2020"))),
     S + ["--profile", "inputs/profile.yaml"], stderr=("calendar/2021.yaml", "已由官方", "calendar_overrides"))
case("calendar_override_shared_dir", (4,), ("K17",),
     chain(write("inputs/cal/2021.yaml", "year: 2021\nholidays: [2021-08-23]\n"), write("inputs/profile.yaml", _OVERRIDE)),
     ["score", "pkg", "--calendar", "inputs/cal", "--profile", "inputs/profile.yaml", "-o", "out/r.json"], exit=(0, 3),
     check=lambda d, o, e: json.loads((d / "out/r.json").read_text(encoding="utf-8"))["run"]["calendar_overrides"][0]["file"]
     .endswith("inputs/cal/2021.yaml"))

# --------------------------------------------------------------------------------------------------- 8: diff

DIFF = ["diff", "inputs/a.json", "inputs/b.json"]


def _results(d: Path) -> None:
    (d / "inputs").mkdir(exist_ok=True)


for n, (content, words) in enumerate((
    (b"\x00\x01\x02binary", "二进制"),
    ("{}".encode("utf-16"), "评估结果"),
    ("{\"unit\": \"县\"}".encode("gb18030"), "评估结果"),
    (deep_json().encode(), "JSON"),
    (b'{"score": NaN}', "非有限数字"),
    (b"not json", "JSON"),
    (b"", "JSON"),
    (b"[]", "评估结果"),
)):
    case(f"diff_{n}", (8, 10), ("D01", "D02", "D05", "D12", "D13"),
         chain(_results, write("inputs/a.json", content), write("inputs/b.json", content)), DIFF,
         stderr=("inputs/a.json", words))

# --------------------------------------------------- 4 / 6 / 7 / 8: CSV ledgers, typed cells, adversarial strings

TYPED = {  # type -> (ledger file, data row, column index, column title)
    "date": ("pkg/ledgers/training_records.csv", 1, 2, "培训日期"),
    "datetime": ("pkg/ledgers/emergencies.csv", 1, 4, "首次发布权威信息时间"),
    "int": ("pkg/ledgers/enforcement_cases.csv", 1, 5, "执法人员人数"),
    "float": ("pkg/ledgers/training_records.csv", 2, 3, "学时"),
    "percent": ("pkg/ledgers/satisfaction_surveys.csv", 1, 4, "满意度"),
    "bool": ("pkg/ledgers/staff.csv", 1, 4, "是否持证上岗"),
}
ADVERSARIAL = {  # name -> (cell text, what the message shows as the value, or None when only the location is checked)
    "spaces_5k": ("2021-12-10 9:" + " " * 5000 + "x", None),
    "spaces_50k": ("2021-12-10 9:" + " " * 50000 + "x", None),
    "digits_400": ("9" * 400, None),
    "inf": ("inf", "inf"),
    "nan": ("nan", "nan"),
    "underscore": ("1_0", "1_0"),
    "arabic_indic": ("٣٤", "٣٤"),
    "markup": ("[/red]x[bold]", "[/red]x[bold]"),
    "nested_time": ("2021年" * 30, None),
}
for tname, (rel, row, col, title) in TYPED.items():
    for aname, (text, shown) in ADVERSARIAL.items():
        case(f"cell_{tname}_{aname}", (6, 7, 8, 9), ("C29", "C30", "C35", "C36", "Y15", "B01"),
             set_cell(rel, row, col, text), V,
             stderr=(rel.split("/", 1)[1], f"第{row + 1}行", title) + ((shown,) if shown else ()))
for tname, text in (("int", "-3"), ("float", "-8"), ("percent", "150%"), ("percent", "-5%"), ("percent", "101")):
    rel, row, col, title = TYPED[tname]
    case(f"implausible_{tname}_{text}", (9,), ("C24", "C25", "C26", "C27"), set_cell(rel, row, col, text), V,
         stderr=(rel.split("/", 1)[1], f"第{row + 1}行", title, text))
case("implausible_metric_year", (9,), (), set_cell("pkg/ledgers/metrics.csv", 1, 2, "1899"), V,
     stderr=("metrics.csv", "第2行", "年度", "1899"))
case("excel_serial_text", (4,), ("C20",), set_cell("pkg/ledgers/training_records.csv", 1, 2, "20218"), V,
     stderr=("training_records.csv", "第2行", "培训日期", "20218"))

DOCS = "pkg/ledgers/documents.csv"
case("csv_unbalanced_quote", (4,), ("C09",),
     chain(set_cell(DOCS, 60, 2, "关于印发《规定》的通知,附件"), set_cell(DOCS, 1, 7, '"见附件', quote=False)), V,
     stderr=("documents.csv", "第2行", "引号未闭合"))
case("csv_quote_in_quoted_cell", (4,), ("C10",), set_cell(DOCS, 3, 2, '"标题"后缀', quote=False), V,
     stderr=("documents.csv", "CSV 格式错误"))
case("csv_eof_in_quote", (4,), ("C09",), edit_csv(DOCS, lambda lines: lines + ['D-99999,"未闭合']), V,
     stderr=("documents.csv", "CSV 格式错误"))
case("csv_cell_40k", (7,), ("C07",), set_cell(DOCS, 1, 2, "长" * 40000), V,
     stderr=("documents.csv", "第2行", "材料名称", "过长"))
case("csv_cell_200k", (7,), ("C07",), set_cell(DOCS, 1, 2, "x" * 200000), V, stderr=("documents.csv", "CSV 格式错误"))
case("csv_header_100k_columns", (7,), ("C07",),
     edit_csv("pkg/ledgers/villages.csv", lambda lines: [lines[0] + ",".join(f"c{i}" for i in range(100000))] + lines[1:]),
     V, stderr=("villages.csv", "列数过多"))
case("csv_nul_utf16", (8,), ("C01",), write("pkg/ledgers/villages.csv", "村居编号,村居名称\nV1,a\x00b\n".encode("utf-16")),
     V, stderr=("villages.csv", "控制字符"))
case("csv_escape_sequence", (9,), ("C33",), set_cell("pkg/ledgers/villages.csv", 1, 1, "\x1b]0;PWNED\x07\x1b[2J"), V,
     stderr=("villages.csv", "控制字符"))
case("csv_binary", (8,), ("C02",), write("pkg/ledgers/villages.csv", bytes(range(256)) * 4), V,
     stderr=("villages.csv",))
case("csv_zip_named_csv", (8,), ("C03",), write("pkg/ledgers/villages.csv", b"PK\x03\x04" + b"\x00" * 100), V,
     stderr=("villages.csv", "Excel"))
case("csv_gbk_ok", (4,), ("C04",),
     lambda d: (d / "pkg/ledgers/villages.csv").write_bytes(
         (d / "pkg/ledgers/villages.csv").read_text(encoding="utf-8-sig").encode("gb18030")), V, exit=(0,))
case("csv_header_only", (4,), ("C11",), edit_csv("pkg/ledgers/villages.csv", lambda lines: lines[:1]), V, exit=(0,))
case("ledger_name_escape", (9,), ("P14", "P15"),
     lambda d: shutil.copy(d / "pkg/ledgers/villages.csv", d / "pkg/ledgers/x\x1b[2J\n[错误] 伪造.csv"), V,
     stderr=("\\x1b", "\\x0a"))

# times: an offset or Z converted to China Standard Time, never dropped (C21, Y42)
TIMES = "pkg/ledgers/emergencies.csv"


def _status(no: int, check: str | None = None) -> Callable[[Path], str]:
    def get(d: Path) -> str:
        data = json.loads((d / "out/r.json").read_text(encoding="utf-8"))
        item = next(i for i in data["indicators"] if i["no"] == no)
        if check is None:
            return item["status"]
        return next(c["status"] for c in item["checks"] if c["id"] == check)
    return get


def _release_at(hours_after: float, offset_hours: int, suffix: str) -> Callable[[Path], None]:
    """First release ``hours_after`` the event of row 1 (its time read as Beijing time), written in another zone."""
    def go(d: Path) -> None:
        import csv
        import datetime as dt

        lines = (d / TIMES).read_text(encoding="utf-8-sig").splitlines()
        event = dt.datetime.strptime(next(csv.reader([lines[1]]))[3], "%Y-%m-%d %H:%M")
        shown = event + dt.timedelta(hours=hours_after) - dt.timedelta(hours=8) + dt.timedelta(hours=offset_hours)
        set_cell(TIMES, 1, 4, shown.strftime("%Y-%m-%dT%H:%M:%S") + suffix)(d)
    return go


for n, (hours, offset, suffix) in enumerate(((8.75, 0, "Z"), (8.75, 0, "+00:00"), (4, 0, "Z"), (4, 8, "+08:00"),
                                              (6.5, -5, "-05:00"), (3, -5, "-05:00"), (4.5, 8, " UTC+8"))):
    def check(d: Path, o: str, e: str, passes=hours <= 5) -> None:
        assert _status(73, "first_release_5h")(d) == ("pass" if passes else "fail")
    case(f"time_zone_{n}", (4,), ("C21", "Y42"), _release_at(hours, offset, suffix), S, exit=(0, 1, 3), check=check)

# ------------------------------------------------------------------ 5 / 7 / 8 / 9: unit.yaml and YAML/JSON ledgers

for n, (content, words) in enumerate((
    (yaml_bomb(), "别名"),
    (yaml_bomb(12), "别名"),
    (deep_yaml(), "嵌套"),
    ("name: 甲\nname: 乙\ntype: 县\n", "重复"),
    (unit_yaml(period={"start": "0001-01-01", "end": "9999-12-31"}), "不合理"),
    (unit_yaml(period={"start": "2010-01-01", "end": "2025-12-31"}), "过长"),
    (unit_yaml(name="   "), "空白"),
    (unit_yaml(name="\x1b]0;PWNED\x07\x1b[2J县"), "控制字符"),
    (unit_yaml(name="县\u202e府政"), "控制字符"),
    (unit_yaml(inspection_date="1900-01-01"), "不合理"),
    (unit_yaml(type="省"), "type"),
    ("!!python/object/apply:os.system ['touch out/pwned']\n", "unit.yaml"),
    ("- a\n- b\n", "unit.yaml"),
    ("name: [unclosed\n", "YAML"),
    ("name: \x00\n", "unit.yaml"),
    ("", "unit.yaml"),
    (unit_yaml(references={"x": {2021: float("inf")}}), "unit.yaml"),
    (unit_yaml(name="县" * 500), "过长"),
)):
    case(f"unit_yaml_{n}", (5, 7, 8, 9), ("Y02", "Y08", "Y11", "Y27", "Y31", "Y33", "Y37", "Y44"),
         write("pkg/unit.yaml", content), V, stderr=("unit.yaml", words), check=out_absent("out/pwned"))
case("unit_yaml_gbk_ok", (8,), (), write("pkg/unit.yaml", unit_yaml().encode("gb18030")), V, exit=(0,))


def yaml_ledger(rel_csv: str, mutate: Callable[[list[dict]], str] | None = None, fmt: str = "yaml"
                ) -> Callable[[Path], None]:
    """Turn a CSV ledger into ``records:`` YAML (the documented form) or a JSON list; ``mutate`` returns the text."""
    def go(d: Path) -> None:
        import csv

        import yaml

        src = d / rel_csv
        rows = list(csv.DictReader(src.read_text(encoding="utf-8-sig").splitlines()))
        src.unlink()
        if mutate is not None:
            text = mutate(rows)
        elif fmt == "json":
            text = json.dumps(rows, ensure_ascii=False)
        else:
            text = yaml.safe_dump({"records": rows}, allow_unicode=True)
        src.with_suffix("." + fmt).write_text(text, encoding="utf-8")
    return go


def _records_with(field_name: str, raw: str, index: int = 1):
    def mutate(rows: list[dict]) -> str:
        import yaml

        text = yaml.safe_dump({"records": rows}, allow_unicode=True, sort_keys=False)
        lines = text.splitlines()
        count = -1
        for i, line in enumerate(lines):
            if line.startswith("- "):
                count += 1
            if count == index and line.strip().lstrip("- ").startswith(f"{field_name}:"):
                prefix = line[: line.index(field_name)]
                lines[i] = f"{prefix}{field_name}: {raw}"
                break
        return "\n".join(lines) + "\n"
    return mutate


TR = "pkg/ledgers/training_records.csv"
case("yaml_ledger_records_form", (5,), ("Y23",), yaml_ledger(TR), V, exit=(0,))
case("json_ledger_list_form", (5,), ("Y23",), yaml_ledger(TR, fmt="json"), V, exit=(0,))
case("json_ledger_records_form", (5,), ("Y23",),
     yaml_ledger(TR, lambda rows: json.dumps({"records": rows}, ensure_ascii=False), fmt="json"), V, exit=(0,))
for n, (raw, words) in enumerate((
    (".inf", ".inf"), (".nan", ".nan"), ("-.inf", "-.inf"), ("9" * 400, "学时"), ("-8", "负数"),
    ("!!binary aGVsbG8=", "学时"), ("[1, 2]", "学时"), ("{a: 1}", "学时"), ("!!set {a, b}", "学时"),
    ("!!python/name:os.system", "training_records.yaml"),
)):
    case(f"yaml_ledger_value_{n}", (4, 5, 8, 9), ("Y06", "Y13", "Y15", "Y16", "Y25"),
         yaml_ledger(TR, _records_with("学时", raw)), V, stderr=("training_records.yaml", words))
case("yaml_ledger_text_list", (7,), ("Y25",), yaml_ledger(TR, _records_with("培训内容", "[a, b]")), V,
     stderr=("training_records.yaml", "培训内容", "列表"))
case("yaml_ledger_dup_key", (5,), ("Y11",),
     yaml_ledger(TR, lambda rows: "records:\n- {记录编号: T1, 记录编号: T2, 人员编号: S-00001, 培训日期: 2021-03-01, 学时: 8}\n"),
     V, stderr=("training_records.yaml", "第2行", "重复"))
case("yaml_ledger_alias_bomb", (7,), ("Y02", "Y03"),
     yaml_ledger(TR, lambda rows: yaml_bomb() + "records:\n- {记录编号: T1, 人员编号: S-00001, 培训日期: 2021-03-01, "
                                                "学时: 8, 培训内容: *a8}\n"), V, stderr=("training_records.yaml", "别名"))
case("yaml_ledger_deep", (8,), ("Y09",), yaml_ledger(TR, lambda rows: "records: " + "[" * 5000 + "]" * 5000 + "\n"), V,
     stderr=("training_records.yaml", "嵌套"))
case("json_ledger_infinity", (4,), ("Y17",),
     yaml_ledger(TR, lambda rows: json.dumps(rows, ensure_ascii=False).replace('"学时": "8"', '"学时": Infinity', 1),
                 fmt="json"), V, stderr=("training_records.json",))
case("json_ledger_deep", (8,), ("Y10",), yaml_ledger(TR, lambda rows: deep_json(), fmt="json"), V,
     stderr=("training_records.json",))
case("json_ledger_nan", (4,), ("Y15",),
     yaml_ledger(TR, lambda rows: json.dumps(rows, ensure_ascii=False).replace('"学时": "8"', '"学时": NaN', 1),
                 fmt="json"), V, stderr=("training_records.json",))

# ----------------------------------------------------------------- review / waivers / profile files (5 / 7 / 8)

for kind, option in (("review", "--review"), ("waivers", "--waivers"), ("profile", "--profile")):
    for n, (content, words) in enumerate(((yaml_bomb(), "别名"), (deep_yaml(), "嵌套"),
                                          ("a: 1\na: 2\n", "重复"), ("x: .nan\n", ".nan"), (b"\xff\xfe\x00\x00", kind))):
        case(f"{kind}_yaml_{n}", (5, 7, 8), ("R07", "R10", "Y46", "Y48"), write(f"inputs/{kind}.yaml", content),
             S + [option, f"inputs/{kind}.yaml"], stderr=(f"{kind}.yaml", words))

# ------------------------------------------------------------------------------------------------ 6 / 8: batch

B = ["batch", "pkg", "pkg2", "-o", "out/b", "-j", "1", "--no-progress"]


def _second(d: Path) -> None:
    shutil.copytree(ROOT / "examples" / "weak-town", d / "pkg2")


case("batch_fifo_unit", (6,), ("B17",), chain(_second, fifo("pkg/ledgers/villages.csv")), B, exit=(2,),
     stderr=("命名管道",), check=lambda d, o, e: (d / "out/b/ranking.csv").is_file())
case("batch_markup_in_error", (8,), ("B01",),
     chain(_second, set_cell("pkg/ledgers/training_records.csv", 1, 3, "[/red]x[bold]")), B, exit=(2,),
     stderr=("[/red]x[bold]",), check=lambda d, o, e: (d / "out/b/ranking.csv").is_file())
case("batch_escape_in_error", (9,), ("B16",),
     chain(_second, write("pkg/ledgers/villages.csv", "村居编号,村居名称\nV1,a\x1bb\n")), B, exit=(2,),
     stderr=("控制字符",), check=lambda d, o, e: (d / "out/b/ranking.csv").is_file())

# ------------------------------------------------------------------------ 7: repeated messages are capped (C39)

def _dup_rows(n: int) -> Callable[[Path], None]:
    return edit_csv("pkg/ledgers/villages.csv", lambda lines: lines + [lines[1]] * n)


def _capped(total: int, listed: int = 20) -> Callable[[Path, str, str], None]:
    def go(d: Path, stdout: str, stderr: str) -> None:
        text = stdout + stderr
        assert text.count("编号重复") == listed + 1, text.count("编号重复")  # 20 located lines + the summary's kind
        assert f"另有 {total - listed} 条同类问题" in text
        assert len(text.splitlines()) < 60
        # the total counts the omitted ones: the duplicates plus the example's own warnings, each listed once
        others = sum(1 for line in text.splitlines() if line.startswith("[警告]") and "编号重复" not in line)
        assert f"共 0 个错误,{total + others} 个警告" in text, text[-300:]
    return go


case("repeated_duplicate_ids_validate", (7,), ("C39",), _dup_rows(3000), V, exit=(0,),
     stderr=("ledgers/villages.csv", "另有 2980 条同类问题"), check=_capped(3000))


def _json_capped(d: Path, stdout: str, stderr: str) -> None:
    data = json.loads(stdout)
    dup = [p for p in data["problems"] if "编号重复" in p["message"]]
    assert len(dup) == 21 and dup[-1]["omitted"] == 2480 and data["warnings"] >= 2500


case("repeated_duplicate_ids_validate_json", (7,), ("C39",), _dup_rows(2500), V + ["--format", "json"], exit=(0,),
     check=_json_capped)


def _report_capped(d: Path, stdout: str, stderr: str) -> None:
    warnings = json.loads((d / "out/r.json").read_text(encoding="utf-8"))["warnings"]
    dup = [w for w in warnings if "编号重复" in w]
    assert len(dup) == 21 and "另有 1980 条同类问题" in dup[-1], dup[-2:]
    assert stderr.count("编号重复") == 21


case("repeated_duplicate_ids_score", (7,), ("C39",), _dup_rows(2000), S, exit=(0, 1, 3), check=_report_capped)
case("repeated_bad_values_error", (7, 8), ("C39",),
     edit_csv("pkg/ledgers/villages.csv", lambda lines: lines + [f"V-9{i:04d},x,也许,是,是,是" for i in range(500)]), V,
     stderr=("ledgers/villages.csv", "另有 480 条同类问题", "500 个错误"),
     check=lambda d, o, e: len((o + e).splitlines()) < 60)

# ------------------------------------------------------- 10: Markdown outputs never turn evidence into markup (H02-H12)

MD_PAYLOAD = ("县[点我](javascript:alert(1))![跟踪](http://evil.example/p.png)<img src=x onerror=1><script>s</script>"
              " http://evil.example www.evil.example a@evil.example `c` **b** ~~s~~ &#60;i&#62;\n\n# 伪造标题\n"
              "伪 | 造 | 行\n---|---\n- 列表\n> 引用\n")


def md_inert(rel: str, must_contain: str = "伪造标题") -> Callable[[Path, str, str], None]:
    """Parse the Markdown output (markdown-it-py, GFM-like: tables, linkify, raw HTML on): no link, image or HTML
    node anywhere (the templates write none but ``<br>``), no heading/table cell made of evidence text, and the
    hostile text still there as text."""
    def go(d: Path, stdout: str, stderr: str) -> None:
        from markdown_it import MarkdownIt

        text = (d / rel).read_text(encoding="utf-8")
        assert must_contain in text
        out = []

        def walk(ts):
            for t in ts:
                out.append(t)
                walk(t.children or [])

        toks = MarkdownIt("gfm-like").parse(text)
        walk(toks)
        live = [(t.type, t.content[:60]) for t in out if t.type in ("link_open", "image", "html_block")
                or (t.type == "html_inline" and t.content != "<br>")]
        assert not live, live
        for i, t in enumerate(toks):
            if t.type == "heading_open":
                assert "伪造标题" not in toks[i + 1].content or toks[i + 1].content.index("伪造标题") > 0
                assert not toks[i + 1].content.startswith("伪造")
            if t.type in ("td_open", "th_open"):
                assert toks[i + 1].content.strip() not in ("伪", "造"), "evidence text made a table row"
            assert t.type not in ("blockquote_open", "code_block", "fence"), t.type
    return go


_MD_A = "县[点我](javascript:alert(1))![跟踪](http://evil.example/p.png)<img src=x onerror=1><script>s</script>`c` **b**"
_MD_B = "区 http://evil.example www.evil.example a@evil.example ~~s~~ &#60;i&#62; # 伪造标题 伪 | 造 | 行 ---|--- - 列表 > 引用"
_MD_UNIT = write("pkg/unit.yaml", unit_yaml(name=_MD_A, region=_MD_B))  # unit.yaml refuses line breaks and > 200 characters
case("md_report_unit_text", (10,), ("H02", "H04", "H11"), _MD_UNIT, ["score", "pkg", "--format", "md", "-o", "out/r.md"],
     exit=(0, 1, 3), check=md_inert("out/r.md"))
case("md_rectify_unit_text", (10,), ("H02", "H04", "H11"), _MD_UNIT, ["rectify", "pkg", "--format", "md", "-o", "out/z.md"],
     exit=(0, 1, 3), check=md_inert("out/z.md", must_contain="点我"))
case("md_rectify_grouped_unit_text", (10,), ("H02", "H04", "H11"), _MD_UNIT,
     ["rectify", "pkg", "--format", "md", "--group-by", "lead-unit", "-o", "out/z.md"], exit=(0, 1, 3),
     check=md_inert("out/z.md", must_contain="点我"))
case("md_report_ledger_id", (10,), ("H02", "H04"),  # a cited record's ID reaches the evidence table of the report
     set_cell("pkg/ledgers/normative_documents.csv", 2, 0, "ND[x](javascript:a)![i](http://e.example/p)<b>b</b>#伪造标题|x"),
     ["score", "pkg", "--format", "md", "-o", "out/r.md"], example="weak-town", exit=(0, 1, 3),
     check=md_inert("out/r.md", must_contain="javascript"))


def _diff_inputs(d: Path) -> None:
    """Audit H12: result JSON whose unit name and indicator titles carry HTML, headings, table rows and links."""
    from report_cases import handmade

    old = handmade(unit_name=MD_PAYLOAD, title=MD_PAYLOAD, note=MD_PAYLOAD)
    new = old.model_copy(deep=True)
    for ind in new.indicators:
        ind.earned = (ind.earned or 0) + 1
        ind.status = "pass"
    (d / "inputs/old.json").write_text(old.to_json(), encoding="utf-8")
    (d / "inputs/new.json").write_text(new.to_json(), encoding="utf-8")


case("md_diff_hostile_titles", (10,), ("H12",), _diff_inputs,
     ["diff", "inputs/old.json", "inputs/new.json", "--format", "md", "-o", "out/d.md"], exit=(0,), check=md_inert("out/d.md"))
case("md_diff_rectification_hostile_titles", (10,), ("H12",), _diff_inputs,
     ["diff", "inputs/old.json", "inputs/new.json", "--rectification", "--format", "md", "-o", "out/d.md"], exit=(0,),
     check=md_inert("out/d.md"))

# ------------------------------------------------ 7: .ods / .xls / .xlsb are checked (or refused) before parsing too

def ods_from_csv(rel_csv: str, rows_repeated: int = 1, cols_repeated: int = 1, empty_tail: int = 0,
                 doctype: str = "") -> Callable[[Path], None]:
    """Turn a CSV ledger into an OpenDocument spreadsheet written here (zip + content.xml), optionally with the last
    data row repeated ``rows_repeated`` times, its last cell repeated ``cols_repeated`` times, LibreOffice's
    trailing block of repeated empty rows, or a document type declaration."""
    def go(d: Path) -> None:
        import csv
        from xml.sax.saxutils import escape

        src = d / rel_csv
        rows = list(csv.reader(src.read_text(encoding="utf-8-sig").splitlines()))
        src.unlink()
        body = []
        for i, r in enumerate(rows):
            last = i == len(rows) - 1
            cells = []
            for j, v in enumerate(r):
                rep = f' table:number-columns-repeated="{cols_repeated}"' if last and j == len(r) - 1 and cols_repeated > 1 else ""
                cells.append(f'<table:table-cell office:value-type="string"{rep}><text:p>{escape(v)}</text:p></table:table-cell>')
            rep = f' table:number-rows-repeated="{rows_repeated}"' if last and rows_repeated > 1 else ""
            body.append(f"<table:table-row{rep}>{''.join(cells)}</table:table-row>")
        if empty_tail:
            body.append(f'<table:table-row table:number-rows-repeated="{empty_tail}">'
                        '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>')
        ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
              'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
              'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')
        content = (f'<?xml version="1.0" encoding="UTF-8"?>{doctype}<office:document-content {ns} office:version="1.2">'
                   f'<office:body><office:spreadsheet><table:table table:name="Sheet1">{"".join(body)}'
                   '</table:table></office:spreadsheet></office:body></office:document-content>')
        manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                    'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                    '<manifest:file-entry manifest:full-path="/" '
                    'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                    '</manifest:manifest>')
        with zipfile.ZipFile(src.with_suffix(".ods"), "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
            z.writestr("content.xml", content)
            z.writestr("META-INF/manifest.xml", manifest)
    return go


ODS = "pkg/ledgers/villages.csv"
case("ods_ok", (7,), (), ods_from_csv(ODS), V, exit=(0,))
case("ods_libreoffice_empty_tail_ok", (7,), (), ods_from_csv(ODS, empty_tail=1_048_000), V, exit=(0,))
case("ods_rows_repeated_bomb", (7,), ("X04",), ods_from_csv(ODS, rows_repeated=5_000_000), V,
     stderr=("ledgers/villages.ods", "Sheet1", "使用区域过大"))
case("ods_columns_repeated_bomb", (7,), ("X03",), ods_from_csv(ODS, cols_repeated=1_000_000), V,
     stderr=("ledgers/villages.ods", "使用区域过大"))
case("ods_area_bomb", (7,), ("X04",), ods_from_csv(ODS, rows_repeated=100_000, cols_repeated=10_000), V,
     stderr=("ledgers/villages.ods", "使用区域过大"))
case("ods_entity_bomb", (7,), ("Y02",),
     ods_from_csv(ODS, doctype='<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'), V,
     stderr=("ledgers/villages.ods", "文档类型声明"))


def xlsb_like(rel: str) -> Callable[[Path], None]:
    """A zip with the members of an Excel binary workbook (xl/workbook.bin ...): refused by content, whatever its name."""
    def go(d: Path) -> None:
        path = d / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("[Content_Types].xml", "<Types/>")
            z.writestr("xl/workbook.bin", b"\x83\x01\x00")
            z.writestr("xl/worksheets/sheet1.bin", b"\x81\x01\x00\x94\x01\x10" + b"\xff" * 16)
    return go


case("xlsb_refused", (7,), (), chain(lambda d: (d / ODS).unlink(), xlsb_like("pkg/ledgers/villages.xlsb")), V,
     stderr=("ledgers/villages.xlsb", ".xlsb", "另存为"))
case("xlsb_named_xlsx_refused", (7,), (), chain(lambda d: (d / ODS).unlink(), xlsb_like("pkg/ledgers/villages.xlsx")), V,
     stderr=("ledgers/villages.xlsx", ".xlsb"))


def xls_from_csv(rel_csv: str) -> Callable[[Path], None]:
    """An .xls (BIFF8) converted from the CSV ledger's .xlsx by LibreOffice (headless), built here."""
    def go(d: Path) -> None:
        import subprocess

        xlsx_from_csv(rel_csv)(d)
        src = (d / rel_csv).with_suffix(".xlsx")
        profile = d / "out" / "lo-profile"
        subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "xls",
                        "--outdir", str(src.parent), str(src)], check=True, capture_output=True, timeout=180)
        src.unlink()
        shutil.rmtree(profile, ignore_errors=True)
    return go


if shutil.which("soffice"):
    case("xls_ok", (7,), (), xls_from_csv(ODS), V, exit=(0,))
    case("xls_over_cell_cap", (7,), (), xls_from_csv(ODS), V, env={"SCORECARD_MAX_CELLS": "20"},
         stderr=("ledgers/villages.xls", "使用区域过大", "SCORECARD_MAX_CELLS"))
