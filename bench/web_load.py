"""Bounded load test of the web workspace on localhost: 20 users browsing and 5 evaluators recording verdicts,
against PostgreSQL (a throwaway cluster started here, or ``--db URL``). Stops by itself after ``--seconds``
(≤ 60). Prints p50/p95 latency per kind of request, the error count, and whether every verdict that got a
success answer is in the verdict log (none lost).

    python bench/web_load.py [--seconds 30] [--browsers 20] [--reviewers 5] [--db postgresql+psycopg://…]

The server runs in its own process (the app of ``scorecard serve``, one uvicorn worker), the load in this one
(httpx async). Each simulated user waits 0.5–1.5 s between requests, as a person reading a page does.

Besides the latency seen by the clients, the server process records for each request the time its handler took
(wall) and the CPU its thread used: on a shared machine the clients' figures follow the machine's load, the
handler's CPU time does not, so it is the figure to compare between versions.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

PASSWORD = "load-test-pass-1"
PAGE_P95_TARGET_MS = 300


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(url: str, archive: Path, browsers: int, reviewers: int) -> dict:
    from engine.store import accounts, workspace
    from engine.store.db import init_db, open_store
    from engine.web.demo import load_demo

    init_db(url)
    store = open_store(url, archive)
    try:
        load_demo(store, ROOT / "examples", passwords={})
        with store.transaction() as session:
            for k in range(browsers):
                accounts.add_user(session, f"browse{k}", PASSWORD, "evaluator", scopes=["*"])
            for k in range(reviewers):
                accounts.add_user(session, f"review{k}", PASSWORD, "evaluator", scopes=["*"], display_name=f"评估员{k}")
        with store.session() as session:
            units = workspace.units(session)
            rounds = workspace.rounds(session)
            review = [r["id"] for rs in rounds.values() for r in rs if r["kind"] == "评估" and r["pending_review_points"]]
            return {"units": [u.id for u in units], "assessments": [r["id"] for rs in rounds.values() for r in rs],
                    "review": review}
    finally:
        store.dispose()


async def sign_in(client, username: str) -> str:
    page = await client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = await client.post("/login", data={"csrf": token, "username": username, "password": PASSWORD, "next": "/"})
    assert r.status_code == 303, r.status_code
    return token


async def browse(base: str, username: str, ids: dict, stop: float, samples: dict, errors: list) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        await sign_in(client, username)
        pages = ["/dashboard", "/ranking", "/rectify", "/review"] + [f"/units/{u}" for u in ids["units"]] + \
                [f"/assessments/{a}" for a in ids["assessments"]]
        while time.monotonic() < stop:
            path = random.choice(pages)
            t = time.perf_counter()
            try:
                r = await client.get(path)
                ok = r.status_code == 200
            except Exception as exc:  # noqa: BLE001 - counted as an error
                ok, r = False, exc
            kind = "页面 " + re.sub(r"\d+", "{id}", path)
            samples.setdefault(kind, []).append((time.perf_counter() - t) * 1000)
            if not ok:
                errors.append(f"{path}: {getattr(r, 'status_code', r)}")
            await asyncio.sleep(random.uniform(0.5, 1.5))


async def review(base: str, username: str, ids: dict, stop: float, samples: dict, errors: list, recorded: list) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        await sign_in(client, username)
        n = 0
        while time.monotonic() < stop:
            aid = random.choice(ids["review"])
            t = time.perf_counter()
            page = await client.get(f"/review/{aid}")
            samples.setdefault("页面 /review/{id}", []).append((time.perf_counter() - t) * 1000)
            if page.status_code != 200:
                errors.append(f"/review/{aid}: {page.status_code}")
                continue
            token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
            pending = re.findall(r'name="indicator" value="(\d+)"', page.text)
            if not pending:
                continue
            n += 1
            reason = f"{username} 第{n}条"
            t = time.perf_counter()
            try:
                r = await client.post(f"/review/{aid}", data={"csrf": token, "indicator": random.choice(pending),
                                                               "verdict": random.choice(["pass", "fail"]), "reason": reason})
                ok = r.status_code == 303
            except Exception as exc:  # noqa: BLE001
                ok, r = False, exc
            samples.setdefault("记录核查结论 POST /review/{id}", []).append((time.perf_counter() - t) * 1000)
            if ok:
                recorded.append((aid, reason))
            else:
                errors.append(f"POST /review/{aid}: {getattr(r, 'status_code', r)}")
            await asyncio.sleep(random.uniform(0.5, 1.5))


def serve_timed(port: int, times: Path) -> None:
    """The server (as ``scorecard serve``) with each handler's wall and thread CPU time kept, written on SIGTERM."""
    import json
    import signal

    import uvicorn

    from engine.store.db import open_store
    from engine.web import app as web_app
    from engine.web.server import create_app

    samples: dict[str, list[tuple[float, float]]] = {}
    call = web_app._call

    def timed(fn, web, request, form, roles):
        t, c = time.perf_counter(), time.thread_time()
        try:
            return call(fn, web, request, form, roles)
        finally:
            kind = request.method + " " + re.sub(r"\d+", "{id}", request.url.path)
            samples.setdefault(kind, []).append(((time.perf_counter() - t) * 1000, (time.thread_time() - c) * 1000))

    web_app._call = timed

    def stop(*_):
        times.write_text(json.dumps(samples), encoding="utf-8")
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    store = open_store(None, None)
    uvicorn.run(create_app(store), host="127.0.0.1", port=port, log_level="warning", server_header=False)


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))]


def lost_verdicts(url: str, archive: Path, recorded: list) -> int:
    from sqlalchemy import select

    from engine.store.db import open_store
    from engine.store.models import VerdictLog

    store = open_store(url, archive)
    try:
        with store.session() as session:
            logged = set(session.execute(select(VerdictLog.assessment_id, VerdictLog.reason)).all())
    finally:
        store.dispose()
    return sum(1 for r in recorded if tuple(r) not in logged)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--browsers", type=int, default=20)
    ap.add_argument("--reviewers", type=int, default=5)
    ap.add_argument("--db", default=None, help="PostgreSQL URL of an empty database (default: a throwaway cluster)")
    ap.add_argument("--serve-timed", nargs=2, metavar=("PORT", "FILE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve_timed:
        serve_timed(int(args.serve_timed[0]), Path(args.serve_timed[1]))
        return 0
    args.seconds = min(args.seconds, 60)
    server_pg = None
    tmp = Path(tempfile.mkdtemp(prefix="scorecard-webload-"))
    url = args.db
    if url is None:
        from store_support import start_cluster

        server_pg = start_cluster()
        if server_pg is None:
            print("没有 PostgreSQL 服务程序(initdb/pg_ctl),无法运行;或用 --db 指定 PostgreSQL 地址", file=sys.stderr)
            return 2
        url = server_pg.create_database()
    archive = tmp / "archive"
    proc = None
    try:
        ids = prepare(url, archive, args.browsers, args.reviewers)
        port = free_port()
        env = {**os.environ, "SCORECARD_DB": url, "SCORECARD_ARCHIVE": str(archive)}
        times = tmp / "server-times.json"
        proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--serve-timed", str(port), str(times)],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp)
        base = f"http://127.0.0.1:{port}"
        import httpx

        for _ in range(200):
            try:
                httpx.get(base + "/login", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        samples: dict[str, list[float]] = {}
        errors: list[str] = []
        recorded: list = []
        stop = time.monotonic() + args.seconds

        async def run():
            await asyncio.gather(
                *[browse(base, f"browse{k}", ids, stop, samples, errors) for k in range(args.browsers)],
                *[review(base, f"review{k}", ids, stop, samples, errors, recorded) for k in range(args.reviewers)])

        t0 = time.monotonic()
        asyncio.run(run())
        took = time.monotonic() - t0
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(10)
    import json

    server = json.loads(times.read_text(encoding="utf-8")) if times.is_file() else {}
    lost = lost_verdicts(url, archive, recorded)
    if server_pg is not None:
        server_pg.stop()
    pages = [v for k, vs in samples.items() if k.startswith("页面") for v in vs]
    posts = samples.get("记录核查结论 POST /review/{id}", [])
    print(f"评估工作台负载测试:PostgreSQL,{args.browsers} 人浏览 + {args.reviewers} 人记录核查结论,{took:.0f} 秒,"
          f"每人每次请求间隔 0.5–1.5 秒")
    print(f"{'请求':<40}{'次数':>6}{'p50 ms':>10}{'p95 ms':>10}")
    for kind in sorted(samples):
        vs = samples[kind]
        print(f"{kind:<40}{len(vs):>6}{pct(vs, 0.5):>10.0f}{pct(vs, 0.95):>10.0f}")
    p95 = pct(pages, 0.95) if pages else float("nan")
    print(f"{'全部页面':<40}{len(pages):>6}{pct(pages, 0.5):>10.0f}{p95:>10.0f}")
    if posts:
        print(f"{'全部核查结论':<40}{len(posts):>6}{pct(posts, 0.5):>10.0f}{pct(posts, 0.95):>10.0f}")
    if server:
        print("服务端(每个请求的处理时间与该线程所用 CPU 时间,ms;CPU 时间不随机器负载变化)")
        print(f"{'请求':<40}{'次数':>6}{'处理p50':>9}{'处理p95':>9}{'CPU p50':>9}{'CPU p95':>9}")
        for kind in sorted(server):
            wall, cpu = [w for w, _ in server[kind]], [c for _, c in server[kind]]
            print(f"{kind:<40}{len(wall):>6}{pct(wall, 0.5):>9.0f}{pct(wall, 0.95):>9.0f}{pct(cpu, 0.5):>9.0f}"
                  f"{pct(cpu, 0.95):>9.0f}")
    load = os.getloadavg()
    print(f"机器负载均值(1/5/15 分钟){load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f},{os.cpu_count()} 核")
    print(f"错误 {len(errors)} 个;成功记录的核查结论 {len(recorded)} 条,丢失 {lost} 条")
    for e in errors[:10]:
        print("  ", e)
    ok = not errors and lost == 0 and p95 <= PAGE_P95_TARGET_MS
    print(f"结论:{'达标' if ok else '未达标'}(目标:页面 p95 ≤ {PAGE_P95_TARGET_MS} ms,0 错误,不丢失核查结论)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
