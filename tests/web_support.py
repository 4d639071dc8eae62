"""Shared pieces of the web tests: a store loaded with the bundled examples and accounts, signed-in clients,
and zipped packages (a good one and one with a located error)."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

PASSWORDS = {"demo-admin": "admin-pass-1", "demo-evaluator": "evaluator-pass-1", "demo-unit1": "unit1-pass-1",
             "demo-unit2": "unit2-pass-1", "eva-other": "other-pass-1", "unit-new": "unitnew-pass-1"}
NEW_UNIT_NAME = "上传测试镇人民政府"
NEW_UNIT_REGION = "示例省示例市青山县"
NEW_UNIT_UID = f"{NEW_UNIT_REGION}/{NEW_UNIT_NAME}"


def make_store(url: str, archive: Path | None = None):
    """A store at ``url`` with both examples (自评 + 评估) and the demo accounts, plus an evaluator whose scope
    holds no unit and a unit user whose unit is not stored yet."""
    from engine.store import accounts
    from engine.store.db import init_db, open_store
    from engine.web.demo import load_demo

    init_db(url)
    store = open_store(url, archive)
    load_demo(store, EXAMPLES, passwords=PASSWORDS)
    with store.transaction() as session:
        accounts.add_user(session, "eva-other", PASSWORDS["eva-other"], "evaluator", scopes=["别的省"])
        accounts.add_user(session, "unit-new", PASSWORDS["unit-new"], "unit", unit_uid=NEW_UNIT_UID)
    return store


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def login(client, username: str, password: str | None = None):
    page = client.get("/login")
    r = client.post("/login", data={"csrf": csrf_of(page.text), "username": username,
                                    "password": password or PASSWORDS[username], "next": "/"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    return client


def package_zip(tmp: Path, name: str, broken: bool = False, top_folder: bool = True) -> Path:
    """weak-town's package as a new unit (NEW_UNIT_NAME); ``broken``: an impossible date in activities.csv row 3."""
    pkg = tmp / f"{name}-pkg" / "证据包"
    shutil.copytree(EXAMPLES / "weak-town", pkg)
    unit = (pkg / "unit.yaml").read_text(encoding="utf-8")
    unit = re.sub(r"(?m)^name: .*$", f"name: {NEW_UNIT_NAME}", unit)
    unit = re.sub(r"(?m)^region: .*$", f"region: {NEW_UNIT_REGION}", unit)
    (pkg / "unit.yaml").write_text(unit, encoding="utf-8")
    if broken:
        csv = pkg / "ledgers" / "activities.csv"
        lines = csv.read_text(encoding="utf-8").splitlines()
        cells = lines[2].split(",")
        cells[2] = "2021-13-45"
        lines[2] = ",".join(cells)
        csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp / f"{name}.zip"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(pkg.rglob("*")):
            if path.is_file():
                rel = path.relative_to(pkg.parent if top_folder else pkg).as_posix()
                zf.write(path, rel)
    return out
