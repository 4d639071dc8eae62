"""Two (and more) evaluators recording verdicts on the same round at the same moment lose nothing.

Writers run in separate processes, each with its own connection, released together by a barrier; on PostgreSQL
the round's row is locked (SELECT … FOR UPDATE) and versioned, on SQLite writers queue on BEGIN IMMEDIATE.
Afterwards the verdict log holds every verdict and the round's current result reflects every one of them.
(Checked: with neither the row lock nor the version column, three of four verdicts vanish from the current
result and this test fails; with the version column alone, the retries keep them all.)"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing as mp

import sqlalchemy as sa
from click.testing import CliRunner
from conftest import EXAMPLES

from engine.cli import main

WRITERS = 4


def _writer(db: str, archive: str, indicator: int, reviewer: str, barrier, queue) -> None:
    try:
        from engine.review.verdicts import LocatedVerdict, Verdict
        from engine.store.db import open_store
        from engine.store.record import record_verdicts

        store = open_store(db, archive)
        v = Verdict(indicator=indicator, verdict="pass", reviewer=reviewer, date=dt.date(2026, 11, 20))
        barrier.wait(timeout=60)
        record_verdicts(store, 1, [LocatedVerdict(v, f"{reviewer}.yaml", None)])
        store.dispose()
        queue.put((reviewer, "ok"))
    except Exception as exc:  # reported to the test, which fails
        queue.put((reviewer, f"{type(exc).__name__}: {exc}"))


def test_concurrent_evaluators_lose_no_verdict(store_env, tmp_path):
    db, archive = store_env
    out = CliRunner().invoke(main, ["score", str(EXAMPLES / "weak-town"), "--store", "--round", "自评", "-o",
                                    str(tmp_path / "r.json")])
    assert out.exit_code == 0, out.output
    result = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    pending = [i["no"] for i in result["indicators"] if i["status"] == "needs_review"][:WRITERS]
    assert len(pending) == WRITERS
    ctx = mp.get_context("spawn")
    barrier, queue = ctx.Barrier(WRITERS), ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(db, str(archive), no, f"评估员{k}", barrier, queue))
             for k, no in enumerate(pending)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
    outcomes = dict(queue.get(timeout=10) for _ in procs)
    assert all(v == "ok" for v in outcomes.values()), outcomes

    from engine.store.db import make_engine, resolve_url

    engine = make_engine(resolve_url(db))
    with engine.connect() as conn:
        log = conn.execute(sa.text("SELECT indicator, reviewer FROM verdicts ORDER BY indicator")).all()
        version = conn.execute(sa.text("SELECT version FROM assessments WHERE id = 1")).scalar_one()
        statuses = dict(conn.execute(sa.text("SELECT no, status FROM indicator_results WHERE assessment_id = 1")).all())
    engine.dispose()
    assert sorted(no for no, _ in log) == sorted(pending)
    assert all(statuses[no] == "pass" for no in pending), {no: statuses[no] for no in pending}
    exported = CliRunner().invoke(main, ["export", "1", "-o", str(tmp_path / "e.zip")])
    assert exported.exit_code == 0, exported.output
    import zipfile

    with zipfile.ZipFile(tmp_path / "e.zip") as zf:
        current = json.loads(zf.read("result.json"))
    overridden = {i["no"]: i["override"]["by"] for i in current["indicators"] if i.get("override")}
    assert overridden == {no: f"评估员{k}" for k, no in enumerate(pending)}
    assert version == 1 + WRITERS  # each writer saw the previous one's commit
