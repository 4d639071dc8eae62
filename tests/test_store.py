"""The store's database: schema from Alembic only (models equal to the migrated schema), a data-keeping
migration from the first revision to head, and bad input (unreachable URL, older schema, unknown unit,
duplicate round, invalid verdicts) refused with a Chinese message, exit 2 and nothing half-written.
Every test runs on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from conftest import EXAMPLES

from engine.cli import main
from engine.store.db import head_revision, make_engine, resolve_url, upgrade
from engine.store.models import Base


def run(*args, code: int = 0):
    out = CliRunner().invoke(main, [str(a) for a in args])
    assert out.exit_code == code, out.output
    return out


def counts(url: str) -> dict[str, int]:
    engine = make_engine(resolve_url(url))
    try:
        with engine.connect() as conn:
            return {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
                    for t in ("units", "assessments", "indicator_results", "check_results", "verdicts",
                              "assessment_files", "rectification_items", "rectification_notes")}
    finally:
        engine.dispose()


def test_db_init_creates_the_schema_the_models_describe(db_url):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    out = run("db", "init", "--db", db_url)
    assert "结果库已就绪" in out.output and head_revision() in out.output
    engine = make_engine(resolve_url(db_url))
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            assert ctx.get_current_revision() == head_revision()
            diff = compare_metadata(ctx, Base.metadata)
    finally:
        engine.dispose()
    assert diff == []
    run("db", "init", "--db", db_url)  # idempotent


def test_migration_from_the_first_revision_keeps_data(db_url):
    engine = make_engine(resolve_url(db_url))
    try:
        upgrade(engine, "0001")
        meta = sa.MetaData()
        meta.reflect(engine)
        units, assessments = meta.tables["units"], meta.tables["assessments"]
        now = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
        with engine.begin() as conn:
            conn.execute(units.insert(), [{"id": 1, "uid": "某省/甲县", "name": "甲县人民政府", "type": "县", "region": "某省",
                                           "parent_id": None, "created_at": now}])
            conn.execute(assessments.insert(), [{
                "id": 7, "unit_id": 1, "kind": "评估", "period_start": dt.date(2021, 1, 1), "period_end": dt.date(2022, 12, 31),
                "rules_edition": "e", "rules_digest": "a" * 64, "profile": "base", "profile_digest": None,
                "evidence_digest": "b" * 64, "assessor": "评估组", "scored_at": now, "as_of": None, "score": 88.5,
                "earned": 88.5, "applicable_points": 100.0, "pending_review_points": 0.0, "verdict": "达标", "vetoed": False,
                "summary_json": {"score": 88.5}, "categories_json": {}, "scored_json": '{"x": 1}', "result_json": None}])
        # the code refuses a database at the first revision
        out = run("history", "甲县人民政府", "--db", db_url, code=2)
        assert "比程序" in out.output and "scorecard db upgrade" in out.output
        run("db", "upgrade", "--db", db_url)
        with engine.connect() as conn:
            row = conn.execute(sa.text("SELECT id, unit_id, kind, score, verdict, scored_json, version, estimate_score, "
                                       "range_high, complete FROM assessments")).one()
            unit = conn.execute(sa.text("SELECT uid, name FROM units")).one()
            assert conn.execute(sa.text("SELECT count(*) FROM rectification_items")).scalar_one() == 0
        assert tuple(row) == (7, 1, "评估", 88.5, "达标", '{"x": 1}', 1, 88.5, 88.5, True)
        assert tuple(unit) == ("某省/甲县", "甲县人民政府")
    finally:
        engine.dispose()


def test_unreachable_database_is_a_clear_message():
    out = run("history", "甲县", "--db", "postgresql+psycopg://scorecard@127.0.0.1:1/none", code=2)
    assert "无法连接数据库" in out.output and "Traceback" not in out.output
    out = run("db", "init", "--db", "/no/such/dir/scorecard.db", code=2)
    assert "不存在" in out.output
    out = run("history", "甲县", "--db", "mysql://x@y/z", code=2)
    assert "不支持的数据库类型" in out.output


def test_missing_sqlite_file_is_not_created_by_a_query(tmp_path):
    db = tmp_path / "nothing.db"
    out = run("ranking", "--db", db, code=2)
    assert "结果库文件不存在" in out.output and not db.exists()


def test_round_for_unknown_unit_and_duplicate_round_write_nothing(store_env, tmp_path):
    db, _ = store_env
    pkg = EXAMPLES / "weak-town"
    out = run("score", pkg, "--store", "--round", "评估", "-o", tmp_path / "a.json", code=2)
    assert "结果库中没有单位「示例省示例市青山县/柳溪镇人民政府」" in out.output and "--register" in out.output
    assert counts(db)["units"] == 0 and counts(db)["assessments"] == 0
    assert not (tmp_path / "a.json").exists()
    run("score", pkg, "--store", "-o", tmp_path / "b.json")
    before = counts(db)
    out = run("score", pkg, "--store", "--round", "自评", "-o", tmp_path / "c.json", code=2)
    assert "「自评」轮次已在结果库中(编号 1)" in out.output
    assert counts(db) == before
    out = run("history", "没有这个单位", code=2)
    assert "结果库中没有单位「没有这个单位」" in out.output
    # a unit id that names another unit
    out = run("score", EXAMPLES / "good-county", "--store", "--unit", "示例省示例市青山县/柳溪镇人民政府",
              "-o", tmp_path / "d.json", code=2)
    assert "不一致" in out.output and counts(db) == before
    # an invalid verdict (overrides an automated result without a reason): nothing recorded
    bad = tmp_path / "bad.yaml"
    bad.write_text("- {indicator: 48, verdict: 通过, reviewer: 李四, date: 2026-11-20}\n", encoding="utf-8")
    out = run("review", "import", "1", bad, code=2)
    assert "Traceback" not in out.output
    assert counts(db) == before
    out = run("review", "import", "99", bad, code=2)
    assert "没有编号为 99 的评估" in out.output


def test_verdicts_are_an_append_only_log_where_the_latest_wins(store_env, tmp_path):
    db, _ = store_env
    run("score", EXAMPLES / "weak-town", "--store", "-o", tmp_path / "r.json")
    result = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    no = next(i["no"] for i in result["indicators"] if i["status"] == "needs_review")
    first, second = tmp_path / "v1.yaml", tmp_path / "v2.yaml"
    first.write_text(f"- {{indicator: {no}, verdict: 未通过, reason: 未见材料, reviewer: 甲, date: 2026-11-20}}\n", encoding="utf-8")
    second.write_text(f"- {{indicator: {no}, verdict: 通过, reviewer: 乙, date: 2026-11-21}}\n", encoding="utf-8")
    run("review", "import", "1", first)
    run("review", "import", "1", second)
    assert counts(db)["verdicts"] == 2
    run("review", "export", "1", "-o", tmp_path / "now.yaml")
    sheet = run("review", "export", "1", "-o", tmp_path / "核查表.xlsx")
    assert "待人工核查" in sheet.output and (tmp_path / "核查表.xlsx").stat().st_size > 0
    text = (tmp_path / "now.yaml").read_text(encoding="utf-8")
    assert "reviewer: 乙" in text and "reviewer: 甲" not in text
    run("export", "1", "-o", tmp_path / "e.zip")
    import zipfile

    with zipfile.ZipFile(tmp_path / "e.zip") as zf:
        current = json.loads(zf.read("result.json"))
        log = json.loads(zf.read("verdicts.json"))
    assert [v["reviewer"] for v in log] == ["甲", "乙"]
    ind = next(i for i in current["indicators"] if i["no"] == no)
    assert ind["status"] == "pass" and ind["override"]["by"] == "乙"
    assert "逐字节一致" in run("reproduce", "1").output


def test_backup_is_a_working_copy(tmp_path):
    db = tmp_path / "scorecard.db"
    run("score", EXAMPLES / "good-county", "--store", "--db", db, "-o", tmp_path / "r.json")
    run("db", "backup", tmp_path / "bak" / "copy.db", "--db", db)
    assert (tmp_path / "bak" / "copy.archive").is_dir()
    out = run("history", "示例省示例市/青山县人民政府", "--db", tmp_path / "bak" / "copy.db", "--format", "json")
    assert len(json.loads(out.stdout)["rounds"]) == 1
    run("db", "backup", tmp_path / "bak" / "copy.db", "--db", db, code=2)


@pytest.mark.parametrize("missing", ["archive"])
def test_postgresql_needs_an_archive_directory(pg_server, tmp_path, monkeypatch, missing):
    url = pg_server.create_database()
    try:
        monkeypatch.delenv("SCORECARD_ARCHIVE", raising=False)
        out = run("score", EXAMPLES / "good-county", "--store", "--db", url, "-o", tmp_path / "r.json", code=2)
        assert "佐证归档目录" in out.output
    finally:
        pg_server.drop_database(url)


def test_postgresql_backup_is_a_restorable_dump(pg_server, tmp_path):
    import subprocess

    from engine.store.db import _pg_tool

    url = pg_server.create_database()
    try:
        run("score", EXAMPLES / "good-county", "--store", "--db", url, "--archive", tmp_path / "arch", "-o", tmp_path / "r.json")
        run("db", "backup", tmp_path / "pg.dump", "--db", url, "--archive", tmp_path / "arch")
        assert (tmp_path / "pg.archive").is_dir()
        restore = _pg_tool("pg_restore")
        assert restore is not None
        listing = subprocess.run([restore, "--list", str(tmp_path / "pg.dump")], capture_output=True, text=True, timeout=60)
        assert listing.returncode == 0 and "TABLE DATA public assessments" in listing.stdout
    finally:
        pg_server.drop_database(url)


def test_archived_rules_are_compiled_once_per_digest_of_their_files(tmp_path):
    """Recording a verdict reuses the rules compiled for the same archived rules and profile files (content-
    addressed); a round whose profile file differs gets its own rules."""
    from engine.rules.catalog import DEFAULT_RULES
    from engine.rules.profiles import resolve_profile
    from engine.store.archive import Archive, Stored
    from engine.store.record import archived_rules, rules_files_digest

    archive = Archive(tmp_path / "archive")
    rules = [Stored("rules", p.name, *archive.put_file(p)) for p in sorted(DEFAULT_RULES.glob("*.yaml"))]
    base = resolve_profile("base")
    other = tmp_path / "other.yaml"
    other.write_text(base.read_text(encoding="utf-8") + "\n# 另一个剪裁方案文件\n", encoding="utf-8")
    files_a = rules + [Stored("profile", base.name, *archive.put_file(base))]
    files_b = rules + [Stored("profile", other.name, *archive.put_file(other))]
    assert rules_files_digest(files_a) != rules_files_digest(files_b)
    first = archived_rules(archive, files_a, tmp_path / "r1")
    assert archived_rules(archive, list(reversed(files_a)), tmp_path / "r2") is first
    assert not (tmp_path / "r2" / "rules").exists()  # nothing restored or reloaded the second time
    assert archived_rules(archive, files_b, tmp_path / "r3") is not first
    assert len(first.catalog.indicators) == 87
