"""The result names every file behind it: each ledger file (with sheet and record count) and each attachment,
with SHA-256, in a fixed order, in JSON and in both reports."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil

from click.testing import CliRunner
from conftest import EXAMPLES

from engine.cli import main


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _package_with_attachments(tmp_path):
    pkg = tmp_path / "pkg"
    shutil.copytree(EXAMPLES / "weak-town", pkg)
    (pkg / "files").mkdir()
    (pkg / "files" / "清单.pdf").write_bytes(b"%PDF-1.4 list")
    (pkg / "files" / "方案.docx").write_bytes(b"PK docx body")
    path = pkg / "ledgers" / "documents.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    col = rows[0].index("附件路径")
    rows[1][col], rows[2][col] = "files/方案.docx", "files/清单.pdf"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return pkg, rows[1][0], rows[2][0]


def test_manifest_lists_ledgers_and_attachments_with_digests(tmp_path):
    pkg, first_doc, second_doc = _package_with_attachments(tmp_path)
    out = CliRunner().invoke(main, ["score", str(pkg), "--format", "json"])
    assert out.exit_code in (0, 1), out.output
    evidence = json.loads(out.stdout)["evidence"]
    ledgers = evidence["ledgers"]
    assert [x["ledger"] for x in ledgers] == sorted(x["ledger"] for x in ledgers)
    on_disk = sorted(p.name for p in (pkg / "ledgers").iterdir())
    assert sorted(x["file"].split("/")[-1] for x in ledgers) == on_disk
    for x in ledgers:
        path = pkg / x["file"]
        assert x["sha256"] == _sha(path)
        with open(path, encoding="utf-8", newline="") as fh:
            assert x["records"] == sum(1 for row in csv.reader(fh) if any(row)) - 1
    assert evidence["attachments"] == [
        {"doc_id": first_doc, "path": "files/方案.docx", "sha256": _sha(pkg / "files" / "方案.docx"), "size": 12},
        {"doc_id": second_doc, "path": "files/清单.pdf", "sha256": _sha(pkg / "files" / "清单.pdf"), "size": 13},
    ]


def test_reports_show_the_manifest(tmp_path):
    pkg, _, _ = _package_with_attachments(tmp_path)
    for fmt in ("md", "html"):
        out = CliRunner().invoke(main, ["score", str(pkg), "--format", fmt])
        assert "证据清单" in out.stdout
        assert _sha(pkg / "files" / "清单.pdf") in out.stdout
        assert _sha(pkg / "ledgers" / "enforcement_cases.csv") in out.stdout
        assert "files/方案.docx" in out.stdout
