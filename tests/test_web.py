"""Web workspace over a real store (SQLite file; the CSRF/scope tests also on PostgreSQL): the route x role
table, CSRF, unit scoping, sign-in (rate limit, session end on password change), security headers, escaping,
safe zip upload with background scoring, verdicts and rectification through the store, exports, user commands."""

from __future__ import annotations

import io
import stat
import time
import zipfile

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient
from web_support import EXAMPLES as EXAMPLES_DIR
from web_support import NEW_UNIT_UID, PASSWORDS, csrf_of, login, make_store, package_zip

from engine.cli import main
from engine.errors import InputError
from engine.store import workspace
from engine.web.server import create_app
from engine.web.upload import safe_extract


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    store = make_store(str(tmp_path_factory.mktemp("web") / "web.db"))
    yield store
    store.dispose()


@pytest.fixture(scope="module")
def app(store):
    app = create_app(store)
    yield app
    app.state.web.jobs.shutdown()


@pytest.fixture(scope="module")
def ids(store):
    """Unit and round ids of the two examples, a rectification item of each, an archived file of each."""
    with store.session() as session:
        units = {u.uid: u for u in workspace.units(session)}
        good = next(u for u in units.values() if u.name == "青山县人民政府")
        weak = next(u for u in units.values() if u.name == "柳溪镇人民政府")
        rounds = workspace.rounds(session)
        out = {}
        for key, unit in (("good", good), ("weak", weak)):
            rs = rounds[unit.id]
            out[key] = {"unit": unit.id, "self": next(r["id"] for r in rs if r["kind"] == "自评"),
                        "eval": next(r["id"] for r in rs if r["kind"] == "评估")}
            out[key]["file"] = workspace.package_files(session, out[key]["eval"])[0].sha256
        from engine.store.tracking import list_items

        for item in list_items(session):
            key = "good" if item["uid"] == good.uid else "weak"
            out[key].setdefault("item", item["id"])
    return out


ROLES = ("anon", "admin", "evaluator", "eva-other", "unit1", "unit2")
USERS = {"admin": "demo-admin", "evaluator": "demo-evaluator", "eva-other": "eva-other", "unit1": "demo-unit1",
         "unit2": "demo-unit2"}


@pytest.fixture(scope="module")
def clients(app):
    out = {"anon": TestClient(app)}
    for role, username in USERS.items():
        out[role] = login(TestClient(app), username)
    return out


# (method, path template, roles that reach the page, whether a unit's scope applies, form)
# unit1 is good-county's user, unit2 weak-town's; eva-other's scope holds no unit.
TABLE = [
    ("GET", "/", ("admin", "evaluator", "eva-other", "unit1", "unit2"), False, None),
    ("GET", "/dashboard", ("admin", "evaluator", "eva-other"), False, None),
    ("GET", "/units/{good[unit]}", ("admin", "evaluator", "unit1"), True, None),
    ("GET", "/assessments/{good[eval]}", ("admin", "evaluator", "unit1"), True, None),
    ("GET", "/assessments/{good[eval]}/files/{good[file]}", ("admin", "evaluator", "unit1"), True, None),
    ("GET", "/review", ("admin", "evaluator", "eva-other"), False, None),
    ("GET", "/review/{good[eval]}", ("admin", "evaluator"), True, None),
    ("POST", "/review/{good[eval]}", ("admin", "evaluator"), True, {"indicator": "", "reason": ""}),
    ("GET", "/rectify", ("admin", "evaluator", "eva-other", "unit1", "unit2"), False, None),
    ("POST", "/rectify/{weak[item]}", ("admin", "evaluator", "unit2"), True, {"note": "路由测试"}),
    ("GET", "/rectify/export?format=xlsx", ("admin", "evaluator", "unit2"), True, None),  # 404: no item in scope
    ("GET", "/ranking", ("admin", "evaluator", "eva-other"), False, None),
    ("GET", "/ranking.csv", ("admin", "evaluator", "eva-other"), False, None),
    ("GET", "/ranking.xlsx", ("admin", "evaluator", "eva-other"), False, None),
    ("POST", "/ranking/settings", ("admin", "evaluator", "eva-other"), False, {}),  # {}: every round stays closed
    ("GET", "/upload", ("unit1", "unit2"), False, None),
    ("POST", "/upload", ("unit1", "unit2"), False, {}),
    ("GET", "/admin/users", ("admin",), False, None),
    ("POST", "/admin/users", ("admin",), False, {"action": "nothing"}),
    ("POST", "/logout", ("admin", "evaluator", "eva-other", "unit1", "unit2"), False, {}),
]
ROLE_OK = {  # roles whose role the route admits, whatever the scope
    "/units": set(ROLES) - {"anon"}, "/assessments": set(ROLES) - {"anon"}, "/rectify": set(ROLES) - {"anon"},
    "/review/": {"admin", "evaluator", "eva-other"},
}


def _role_admitted(path: str, allowed) -> set[str]:
    for prefix, roles in ROLE_OK.items():
        if path.startswith(prefix):
            return roles
    return set(allowed)


def _request(client, method: str, path: str, form, csrf: bool = True):
    if method == "GET":
        return client.get(path, follow_redirects=False)
    data = dict(form or {})
    if csrf:
        data["csrf"] = _session_csrf(client)
    return client.post(path, data=data, follow_redirects=False)


def _session_csrf(client) -> str:
    # any page of the signed-in user (or the sign-in page) carries the session's token
    page = client.get("/rectify", follow_redirects=False)
    if page.status_code != 200:
        page = client.get("/login")
    return csrf_of(page.text)


@pytest.mark.parametrize("method,template,allowed,scoped,form", TABLE, ids=[f"{m} {p}" for m, p, *_ in TABLE])
def test_route_role_table(app, ids, method, template, allowed, scoped, form):
    """Every route refuses the roles that must not reach it: 303 to sign-in (anonymous GET), 401 (anonymous
    POST), 403 (wrong role), 404 (a unit outside the viewer's scope); the others get their page."""
    path = template.format(**ids)
    admitted = _role_admitted(template, allowed)
    for role in ROLES:
        client = TestClient(app) if role == "anon" else login(TestClient(app), USERS[role])
        r = _request(client, method, path, form)
        if role == "anon":
            expected = (303,) if method == "GET" else (401,)
            if method == "GET":
                assert r.headers["location"].startswith("/login?next="), (role, path)
        elif role in allowed:
            expected = ((303,) if path == "/" else (200,)) if method == "GET" else (303, 400)
        elif role not in admitted:
            expected = (403,)
        else:
            assert scoped
            expected = (404,)
        assert r.status_code in expected, (role, method, path, r.status_code, r.text[:500])


POSTS = [(p, f) for m, p, _, _, f in TABLE if m == "POST"]


@pytest.mark.parametrize("template,form", POSTS, ids=[p for p, _ in POSTS])
def test_csrf_missing_or_wrong_is_403(app, ids, template, form):
    path = template.format(**ids)
    user = {"/upload": "demo-unit1"}.get(path, "demo-admin")
    client = login(TestClient(app), user)
    assert client.post(path, data=dict(form), follow_redirects=False).status_code == 403
    assert client.post(path, data={**form, "csrf": "x" * 43}, follow_redirects=False).status_code == 403
    other = login(TestClient(app), "demo-evaluator")  # another session's token is no good either
    assert client.post(path, data={**form, "csrf": _session_csrf(other)}, follow_redirects=False).status_code == 403
    assert "CSRF" in client.post(path, data=dict(form)).text


def test_login_form_needs_csrf(app):
    client = TestClient(app)
    r = client.post("/login", data={"username": "demo-admin", "password": PASSWORDS["demo-admin"]},
                    follow_redirects=False)
    assert r.status_code == 403 and "user" not in client.cookies.get("scorecard_session", "")


def test_unit_user_gets_404_for_another_units_round_and_never_sees_its_data(clients, ids):
    unit2 = clients["unit2"]
    for path in (f"/assessments/{ids['good']['self']}", f"/assessments/{ids['good']['eval']}", f"/units/{ids['good']['unit']}",
                 f"/assessments/{ids['good']['eval']}/files/{ids['good']['file']}"):
        r = unit2.get(path)
        assert r.status_code == 404, path
        assert "青山县人民政府" not in r.text
    assert unit2.get(f"/assessments/{ids['weak']['eval']}").status_code == 200
    assert "柳溪镇人民政府" in unit2.get("/rectify").text
    assert "柳溪镇人民政府" not in clients["unit1"].get("/rectify").text
    unit1 = clients["unit1"]
    r = unit1.post(f"/rectify/{ids['weak']['item']}", data={"csrf": csrf_of(unit1.get("/rectify").text),
                                                            "status": "整改中"}, follow_redirects=False)
    assert r.status_code == 404
    assert unit2.get(f"/assessments/{ids['good']['eval']}/files/{'0' * 64}").status_code == 404
    # a file of its own round, but asked through the other unit's round number
    assert unit2.get(f"/assessments/{ids['good']['eval']}/files/{ids['weak']['file']}").status_code == 404
    assert unit2.get(f"/assessments/{ids['weak']['eval']}/files/{ids['weak']['file']}").status_code == 200


def test_unit_user_may_not_close_items(clients, ids):
    unit2 = clients["unit2"]
    token = csrf_of(unit2.get("/rectify").text)
    r = unit2.post(f"/rectify/{ids['weak']['item']}", data={"csrf": token, "status": "已销号"}, follow_redirects=False)
    assert r.status_code == 403


def test_evaluator_scope_limits_every_list(clients):
    other = clients["eva-other"]
    for path in ("/dashboard", "/ranking", "/review", "/rectify"):
        text = other.get(path).text
        assert "青山县人民政府" not in text and "柳溪镇人民政府" not in text, path
    assert "unit" not in other.get("/ranking.csv").text.splitlines()[1:]  # header only
    assert len(other.get("/ranking.csv").text.strip().splitlines()) == 1
    full = clients["evaluator"].get("/dashboard").text
    assert "青山县人民政府" in full and "柳溪镇人民政府" in full


def test_security_headers_and_cookie_flags(app):
    client = TestClient(app)
    page = client.get("/login")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff" and page.headers["x-frame-options"] == "DENY"
    assert "<script>" not in page.text and " style=" not in page.text  # nothing inline for the CSP to block
    r = client.post("/login", data={"csrf": csrf_of(page.text), "username": "demo-admin",
                                    "password": PASSWORDS["demo-admin"]}, follow_redirects=False)
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


def test_login_attempts_are_rate_limited(store):
    app = create_app(store, login_limit=3, login_window=60)
    client = TestClient(app)
    for _ in range(3):
        r = client.post("/login", data={"csrf": csrf_of(client.get("/login").text), "username": "demo-admin",
                                        "password": "wrong-password"}, follow_redirects=False)
        assert r.status_code == 401 and "账号或密码不正确" in r.text
    r = client.post("/login", data={"csrf": csrf_of(client.get("/login").text), "username": "demo-admin",
                                    "password": PASSWORDS["demo-admin"]}, follow_redirects=False)
    assert r.status_code == 429 and "登录失败次数过多" in r.text and int(r.headers["retry-after"]) > 0


def test_user_commands_and_session_end_on_password_change(store, app):
    db = store.url
    runner = CliRunner()
    out = runner.invoke(main, ["user", "add", "zhang", "--role", "评估人员", "--scope", "示例省", "--name", "张三",
                               "--password-stdin", "--db", db], input="first-pass-1\n")
    assert out.exit_code == 0 and "已建立账号「zhang」(评估人员)" in out.output
    out = runner.invoke(main, ["user", "add", "zhang", "--role", "evaluator", "--scope", "*", "--password-stdin",
                               "--db", db], input="first-pass-1\n")
    assert out.exit_code == 2 and "已存在" in out.output and "Traceback" not in out.output
    out = runner.invoke(main, ["user", "add", "li", "--role", "单位用户", "--password-stdin", "--db", db], input="xx\n")
    assert out.exit_code == 2 and ("密码太短" in out.output or "必须指定所属单位" in out.output)
    client = login(TestClient(app), "zhang", "first-pass-1")
    assert client.get("/dashboard").status_code == 200
    out = runner.invoke(main, ["user", "passwd", "zhang", "--password-stdin", "--db", db], input="second-pass-2\n")
    assert out.exit_code == 0
    assert client.get("/dashboard", follow_redirects=False).status_code == 303  # signed out
    login(TestClient(app), "zhang", "second-pass-2")
    out = runner.invoke(main, ["user", "disable", "zhang", "--db", db])
    assert out.exit_code == 0 and "已停用" in out.output
    c = TestClient(app)
    r = c.post("/login", data={"csrf": csrf_of(c.get("/login").text), "username": "zhang", "password": "second-pass-2"},
               follow_redirects=False)
    assert r.status_code == 401
    listed = runner.invoke(main, ["user", "list", "--db", db]).output
    assert "zhang" in listed and "已停用" in listed


def test_user_commands_on_a_missing_store_say_so(tmp_path):
    out = CliRunner().invoke(main, ["user", "disable", "x", "--db", str(tmp_path / "none.db")])
    assert out.exit_code == 2 and "scorecard db init" in out.output


# ------------------------------------------------------------------ upload


def _make_zip(path, entries):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name)
            if mode is not None:
                info.external_attr = mode << 16
            zf.writestr(info, data)
    return path


@pytest.mark.parametrize("entries,message", [
    ([("../evil.txt", b"x", None)], "指向证据包之外"),
    ([("pkg/../../evil.txt", b"x", None)], "指向证据包之外"),
    ([("/etc/evil.txt", b"x", None)], "指向证据包之外"),
    ([("C:/evil.txt", b"x", None)], "指向证据包之外"),
    ([("pkg/link", b"/etc/passwd", stat.S_IFLNK | 0o777)], "符号链接"),
    ([(f"pkg/f{k}.csv", b"x", None) for k in range(12)], "文件过多"),
    ([("pkg/big.csv", b"0" * 5000, None)], "解压后超过"),
    ([("pkg/readme.txt", b"x", None)], "找不到 unit.yaml"),
], ids=["dotdot", "nested-dotdot", "absolute", "drive", "symlink", "count", "size", "no-unit"])
def test_unsafe_zips_are_refused_with_a_clear_message(tmp_path, entries, message):
    z = _make_zip(tmp_path / "x.zip", entries)
    with pytest.raises(InputError) as err:
        safe_extract(z, tmp_path / "out", max_files=10, max_unpacked=4096)
    assert message in str(err.value)
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "out" / "pkg" / "link").exists()


def test_not_a_zip_is_refused(tmp_path):
    bad = tmp_path / "x.zip"
    bad.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(InputError, match="不是有效的 zip"):
        safe_extract(bad, tmp_path / "out")


def _wait(client, job_url: str) -> dict:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        state = client.get(job_url + ".json").json()
        if state["state"] != "running":
            return state
        time.sleep(0.2)
    raise AssertionError("upload job did not finish")


def test_upload_broken_then_fixed_package_becomes_a_self_assessment(app, store, tmp_path):
    client = login(TestClient(app), "unit-new")
    assert client.get("/", follow_redirects=False).headers["location"] == "/upload"  # no round yet
    token = csrf_of(client.get("/upload").text)
    broken = package_zip(tmp_path, "broken", broken=True)
    r = client.post("/upload", data={"csrf": token}, files={"package": ("证据包.zip", broken.read_bytes(), "application/zip")},
                    follow_redirects=False)
    assert r.status_code == 303
    job_url = r.headers["location"]
    state = _wait(client, job_url)
    assert state["state"] == "failed"
    located = [p for p in state["problems"] if p["file"].endswith("activities.csv")]
    assert located and located[0]["row"] == 3 and located[0]["column"] and located[0]["value"] == "2021-13-45"
    page = client.get(job_url).text
    assert "activities.csv" in page and "2021-13-45" in page and "<td class=\"num\">3</td>" in page
    with store.session() as session:
        assert workspace.unit_by_uid(session, NEW_UNIT_UID) is None  # nothing stored
    fixed = package_zip(tmp_path, "fixed", top_folder=False)
    r = client.post("/upload", data={"csrf": token}, files={"package": ("证据包.zip", fixed.read_bytes(), "application/zip")},
                    follow_redirects=False)
    state = _wait(client, r.headers["location"])
    assert state["state"] == "done", state
    aid = state["assessment"]
    page = client.get(f"/assessments/{aid}")
    assert page.status_code == 200 and "上传测试镇人民政府" in page.text and "自评" in page.text
    with store.session() as session:
        a = workspace.assessment(session, aid)
        assert a.kind == "自评" and a.unit.uid == NEW_UNIT_UID
    # the unit's home is now its unit page; another unit user cannot see the round
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/units/")
    assert login(TestClient(app), "demo-unit1").get(f"/assessments/{aid}").status_code == 404
    # the job page belongs to its owner only
    assert login(TestClient(app), "demo-unit2").get(r.headers["location"]).status_code == 404
    # the job's state is in the store: a restarted server (or a second server process) still shows both jobs
    second = create_app(store)
    try:
        again = login(TestClient(second), "unit-new")
        assert again.get(r.headers["location"] + ".json").json() == state
        assert "2021-13-45" in again.get(job_url).text
        assert login(TestClient(second), "demo-unit2").get(job_url).status_code == 404
    finally:
        second.state.web.jobs.shutdown()


def test_upload_of_another_units_package_is_refused(app, tmp_path):
    client = login(TestClient(app), "demo-unit1")  # good-county's user uploads a package of another unit
    token = csrf_of(client.get("/upload").text)
    z = package_zip(tmp_path, "other")
    r = client.post("/upload", data={"csrf": token}, files={"package": ("p.zip", z.read_bytes(), "application/zip")},
                    follow_redirects=False)
    state = _wait(client, r.headers["location"])
    assert state["state"] == "failed" and any("不是您账号所属的单位" in p["message"] for p in state["problems"])


def test_upload_zip_slip_shows_the_message(app, tmp_path):
    client = login(TestClient(app), "demo-unit2")
    token = csrf_of(client.get("/upload").text)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("../../outside.txt", "x")
    r = client.post("/upload", data={"csrf": token}, files={"package": ("p.zip", buf.getvalue(), "application/zip")},
                    follow_redirects=False)
    state = _wait(client, r.headers["location"])
    assert state["state"] == "failed" and "指向证据包之外" in state["problems"][0]["message"]
    assert "指向证据包之外" in client.get(r.headers["location"]).text


# ------------------------------------------------------------------ review, rectification, exports


def test_verdicts_change_the_confirmed_score_and_are_logged(clients, store, ids):
    ev = clients["evaluator"]
    aid = ids["weak"]["eval"]
    page = ev.get(f"/review/{aid}").text
    import re

    before = float(re.search(r'id="confirmed-score">([\d.]+)<', page).group(1))
    pending = [int(n) for n in re.findall(r'name="indicator" value="(\d+)"', page)]
    assert pending
    no = pending[0]
    r = ev.post(f"/review/{aid}", data={"csrf": csrf_of(page), "indicator": str(no), "verdict": "pass", "reason": ""},
                follow_redirects=False)
    assert r.status_code == 400 and "理由" in r.text  # the reason is required
    r = ev.post(f"/review/{aid}", data={"csrf": csrf_of(page), "indicator": str(no), "verdict": "pass",
                                        "reason": "机制健全,<b>见台账</b>"})
    assert r.status_code == 200
    after = float(re.search(r'id="confirmed-score">([\d.]+)<', r.text).group(1))
    assert after > before
    assert "机制健全,&lt;b&gt;见台账&lt;/b&gt;" in r.text and "<b>见台账</b>" not in r.text
    from engine.store.models import VerdictLog

    with store.session() as session:
        logged = [v for v in workspace.verdict_log(session, aid) if isinstance(v, VerdictLog)]
        assert logged[0].indicator == no and logged[0].reviewer == "演示评估员"


def test_rectification_status_change_and_downloads(clients, store, ids):
    ev = clients["evaluator"]
    item = ids["weak"]["item"]
    board = ev.get("/rectify").text
    r = ev.post(f"/rectify/{item}", data={"csrf": csrf_of(board), "status": "整改中", "responsible": "王五",
                                          "note": "已部署整改"})
    assert r.status_code == 200 and "整改事项" in r.text
    with store.session() as session:
        it, _ = workspace.rectification_item(session, item)
        assert it.status == "整改中" and it.responsible == "王五"
    lead = next(line for line in board.splitlines() if "/rectify/export?lead=" in line)
    href = lead.split('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    x = ev.get(href)
    assert x.status_code == 200 and x.content[:2] == b"PK"
    d = ev.get(href.replace("format=xlsx", "format=docx"))
    assert d.status_code == 200 and d.content[:2] == b"PK"
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(x.content))
    text = "\n".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None)
    assert "柳溪镇人民政府" in text


def test_ranking_sorts_and_exports(clients):
    ev = clients["evaluator"]
    by_score = ev.get("/ranking").text
    assert by_score.index("青山县人民政府") < by_score.index("柳溪镇人民政府")
    by_name = ev.get("/ranking?sort=failing").text
    assert by_name.index("柳溪镇人民政府") < by_name.index("青山县人民政府")
    csv = ev.get("/ranking.csv")
    assert csv.status_code == 200 and csv.text.splitlines()[0].lstrip("\ufeff").startswith("名次,单位")
    assert ev.get("/ranking.xlsx").content[:2] == b"PK"


def test_evidence_text_is_escaped(store, app, tmp_path):
    """Text from a package (unit name, ledger cells, attachment names) is escaped on every page."""
    import shutil

    from web_support import EXAMPLES

    from engine.evaluate.backends import get_backend
    from engine.evaluate.pipeline import load_rules, score
    from engine.rules.catalog import DEFAULT_RULES
    from engine.rules.profiles import resolve_profile
    from engine.store.record import RoundInput, record_round
    from evidence.package import load_package

    pkg = tmp_path / "evil"
    shutil.copytree(EXAMPLES / "weak-town", pkg)
    unit = (pkg / "unit.yaml").read_text(encoding="utf-8")
    unit = unit.replace("name: 柳溪镇人民政府", "name: <script>alert(1)</script>镇")
    (pkg / "unit.yaml").write_text(unit, encoding="utf-8")
    csv = pkg / "ledgers" / "activities.csv"
    csv.write_text(csv.read_text(encoding="utf-8").replace("活动名称A-00001", "<img src=x onerror=alert(2)>"),
                   encoding="utf-8")
    rules = load_rules(DEFAULT_RULES)
    scored = score(load_package(pkg, rules.ledgers), rules, get_backend("python"))
    for ind in scored.indicators:  # a cited note as a reviewer would read it
        for c in ind.checks:
            for e in c.evidence:
                e.note = "<img src=x onerror=alert(3)>"
    aid, _ = record_round(store, RoundInput(package=pkg, scored=scored, rules_dir=DEFAULT_RULES,
                                            profile_file=resolve_profile("base"), kind="自评", uid="evil/unit"), rules.catalog)
    client = login(TestClient(app), "demo-admin")
    with store.session() as session:
        unit_id = workspace.assessment(session, aid).unit_id
    for path in (f"/assessments/{aid}", f"/units/{unit_id}", "/dashboard", "/ranking", f"/review/{aid}", "/review"):
        text = client.get(path).text
        assert "<script>alert" not in text and "<img src=x" not in text, path
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get(f"/units/{unit_id}").text
    assert "&lt;img src=x onerror=alert(3)&gt;" in client.get(f"/assessments/{aid}").text


def test_static_assets_and_error_pages_are_chinese(clients):
    anon = clients["anon"]
    assert "script-src" in anon.get("/static/app.css").headers["content-security-policy"]
    assert "fetch(" in anon.get("/static/app.js").text
    r = clients["evaluator"].get("/no/such/page")
    assert r.status_code == 404 and "页面不存在" in r.text


def test_the_workspace_on_postgresql(pg_server, tmp_path):
    """The same journey on a real PostgreSQL server: sign-in, scope, verdict, rectification, upload."""
    url = pg_server.create_database()
    store = make_store(url, tmp_path / "archive")
    app = create_app(store)
    try:
        with store.session() as session:
            weak = next(u for u in workspace.units(session) if u.name == "柳溪镇人民政府")
            aid = next(r["id"] for r in workspace.rounds(session)[weak.id] if r["kind"] == "评估")
            from engine.store.tracking import list_items

            item = list_items(session)[0]["id"]
        ev = login(TestClient(app), "demo-evaluator")
        page = ev.get(f"/review/{aid}").text
        import re

        no = re.search(r'name="indicator" value="(\d+)"', page).group(1)
        r = ev.post(f"/review/{aid}", data={"csrf": csrf_of(page), "indicator": no, "verdict": "fail", "reason": "未见材料"})
        assert r.status_code == 200 and f"已记录指标 {no}" in r.text
        other = re.findall(r'name="indicator" value="(\d+)"', r.text)[-1]  # 不适用 fits the verdict log on PostgreSQL
        r = ev.post(f"/review/{aid}", data={"csrf": csrf_of(r.text), "indicator": other, "verdict": "not_applicable",
                                            "reason": "本镇无此事项"})
        assert r.status_code == 200 and f"已记录指标 {other}" in r.text
        assert ev.post(f"/review/{aid}", data={"indicator": no, "verdict": "fail", "reason": "x"}).status_code == 403
        r = ev.post(f"/rectify/{item}", data={"csrf": csrf_of(r.text), "status": "整改中"})
        assert r.status_code == 200
        unit1 = login(TestClient(app), "demo-unit1")
        assert unit1.get(f"/assessments/{aid}").status_code == 404
        client = login(TestClient(app), "unit-new")
        token = csrf_of(client.get("/upload").text)
        z = package_zip(tmp_path, "pg")
        r = client.post("/upload", data={"csrf": token}, files={"package": ("p.zip", z.read_bytes(), "application/zip")},
                        follow_redirects=False)
        assert _wait(client, r.headers["location"])["state"] == "done"
    finally:
        app.state.web.jobs.shutdown()
        store.dispose()
        pg_server.drop_database(url)


# ------------------------------------------------------------------ SQL statements per page (no N+1)


def test_board_and_assessment_pages_run_a_fixed_number_of_sql_statements(tmp_path):
    """The rectification board with many items, each with notes, and the assessment and review pages of a round
    with many verdicts run a few SQL statements, however many items, notes or verdicts there are (one query per
    item's notes — the N+1 — would fail this)."""
    import datetime as dt

    from sqlalchemy import event

    from engine.review.verdicts import LocatedVerdict, Verdict
    from engine.store.record import record_verdicts
    from engine.store.tracking import list_items, update_item

    store = make_store(str(tmp_path / "n1.db"))
    app = create_app(store)
    try:
        with store.session() as session:
            weak = next(u for u in workspace.units(session) if u.name == "柳溪镇人民政府")
            aid = next(r["id"] for r in workspace.rounds(session)[weak.id] if r["kind"] == "评估")
            result = workspace.assessment(session, aid)
            from engine.results import ScoreResult

            pending = [i.no for i in ScoreResult.model_validate_json(result.current_json).indicators if i.pending_review]
        # fail many pending indicators: each becomes a rectification item; then two notes on every item
        verdicts = [LocatedVerdict(Verdict(indicator=no, verdict="fail", reason=f"未见材料 {no}", reviewer="评估员",
                                           date=dt.date(2026, 11, 20)), "测试", None) for no in pending[:15]]
        record_verdicts(store, aid, verdicts)
        with store.transaction() as session:
            items = [r["id"] for r in list_items(session)]
            for item in items:
                update_item(session, item, author="甲", note="第一条")
                update_item(session, item, author="乙", note="第二条")
        assert len(items) >= 20
        statements: list[str] = []
        event.listen(store.engine, "before_cursor_execute", lambda conn, cur, stmt, *a: statements.append(stmt))
        ev = login(TestClient(app), "demo-evaluator")
        for path in ("/rectify", f"/assessments/{aid}", f"/review/{aid}", "/dashboard", "/ranking"):
            statements.clear()
            page = ev.get(path)
            assert page.status_code == 200
            selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
            assert len(selects) <= 6, (path, len(selects), [s[:80] for s in selects])
        board = ev.get("/rectify").text
        assert board.count("第二条") >= len(items)  # the notes are on the page
    finally:
        app.state.web.jobs.shutdown()
        store.dispose()


def test_assessment_page_shows_a_new_verdict_at_once(clients, ids):
    """The assessment page's body is kept per round version: a verdict recorded after a visit is on the next one."""
    ev = clients["evaluator"]
    aid = ids["good"]["eval"]
    before = ev.get(f"/assessments/{aid}").text
    page = ev.get(f"/review/{aid}").text
    import re

    no = re.findall(r'name="indicator" value="(\d+)"', page)[0]
    assert "复看后确认无误" not in before
    for _ in range(2):  # the second verdict is the same as the first: still a new row of the log
        r = ev.post(f"/review/{aid}", data={"csrf": csrf_of(page), "indicator": no, "verdict": "pass",
                                            "reason": "复看后确认无误"})
        assert r.status_code == 200
        after = ev.get(f"/assessments/{aid}").text
        count = after.count("复看后确认无误")
        assert count >= 1
    assert after.count("<td>复看后确认无误</td>") == 2  # both rows of the verdict log


def test_review_queue_records_not_applicable_with_its_reason(clients, store, ids):
    """不适用 in the review form: a reason is required and points are refused; recorded, the indicator leaves the
    applicable points, the verdict log and the assessment page show 不适用 with the reviewer's reason."""
    import re

    ev = clients["evaluator"]
    aid = ids["good"]["eval"]
    page = ev.get(f"/review/{aid}").text
    assert 'value="not_applicable"' in page and "不适用" in page
    no = re.findall(r'name="indicator" value="(\d+)"', page)[-1]
    r = ev.post(f"/review/{aid}", data={"csrf": csrf_of(page), "indicator": no, "verdict": "not_applicable", "reason": ""},
                follow_redirects=False)
    assert r.status_code == 400 and "理由" in r.text
    r = ev.post(f"/review/{aid}", data={"csrf": csrf_of(page), "indicator": no, "verdict": "not_applicable",
                                        "points": "0.5", "reason": "本县无此事项"}, follow_redirects=False)
    assert r.status_code == 400 and "得分" in r.text and "不适用" in r.text
    with store.session() as session:
        before = workspace.assessment(session, aid).applicable_points
        from engine.results import ScoreResult

        points = next(i.points for i in ScoreResult.model_validate_json(workspace.current_json(session, aid)).indicators
                      if i.no == int(no))
    r = ev.post(f"/review/{aid}", data={"csrf": csrf_of(page), "indicator": no, "verdict": "not_applicable",
                                        "reason": "本县未设立<该机构>,由市级承担"})
    assert r.status_code == 200 and f"已记录指标 {no}" in r.text
    with store.session() as session:
        assert workspace.assessment(session, aid).applicable_points == pytest.approx(before - points)
        assert workspace.verdict_log(session, aid)[0].verdict == "not_applicable"
    report = ev.get(f"/assessments/{aid}").text
    card = report.split(f'id="ind-{no}"', 1)[1].split("</details>", 1)[0]
    assert "不适用" in card and "本县未设立&lt;该机构&gt;,由市级承担" in card
    log = report.split('id="verdict-log"', 1)[1]
    assert "<td>不适用</td>" in log


# ------------------------------------------------------------------ ranking position for unit users


def test_unit_users_see_only_their_own_rank_when_the_round_allows_it(tmp_path):
    """Closed by default (403). Opened for 评估 by an evaluator in the web (or by the CLI), a unit user sees its rank
    among units of its type, how many there are and its own figures: never another unit's name or score, and
    the exports stay closed. Rounds not opened are not listed; closing again gives 403."""
    from engine.evaluate.backends import get_backend
    from engine.evaluate.pipeline import load_rules, score
    from engine.rules.catalog import DEFAULT_RULES
    from engine.rules.profiles import resolve_profile
    from engine.store.record import RoundInput, record_round
    from evidence.package import load_package

    db = tmp_path / "rank.db"
    store = make_store(str(db))
    rules = load_rules()
    scored = score(load_package(EXAMPLES_DIR / "weak-town", rules.ledgers), rules, get_backend("python"))
    other = scored.model_copy(update={"unit": scored.unit.model_copy(update={"name": "另一镇人民政府"}),
                                      "summary": scored.summary.model_copy(update={"score": 99.25})})
    for kind in ("自评", "评估"):
        record_round(store, RoundInput(package=EXAMPLES_DIR / "weak-town", scored=other, rules_dir=DEFAULT_RULES,
                                       profile_file=resolve_profile("base"), kind=kind, uid="示例省/另一镇人民政府",
                                       register=True), rules.catalog)
    app = create_app(store)
    try:
        with store.session() as session:
            weak = next(u for u in workspace.units(session) if u.name == "柳溪镇人民政府")
            own = next(r for r in workspace.rounds(session)[weak.id] if r["kind"] == "评估")
        unit2 = login(TestClient(app), "demo-unit2")
        assert unit2.get("/ranking").status_code == 403
        assert "unit-rank-link" not in unit2.get(f"/units/{weak.id}").text
        ev = login(TestClient(app), "demo-evaluator")
        page = ev.get("/ranking").text
        assert 'id="unit-rank-settings"' in page and "另一镇人民政府" in page
        r = ev.post("/ranking/settings", data={"csrf": csrf_of(page), "unit_rank": "评估"})
        assert r.status_code == 200 and 'value="评估" checked' in r.text and 'value="自评" checked' not in r.text
        assert "unit-rank-link" in unit2.get(f"/units/{weak.id}").text
        mine = unit2.get("/ranking")
        assert mine.status_code == 200
        row = mine.text.split('id="unit-rank"', 1)[1]
        assert 'data-kind="评估"' in row and 'data-kind="自评"' not in row
        assert "第 2 名" in row and "共 2 个" in row and f"{own['score']:g}" in row
        assert "另一镇人民政府" not in mine.text and "99.25" not in mine.text and "青山县" not in mine.text
        for path in ("/ranking.csv", "/ranking.xlsx"):
            assert unit2.get(path).status_code == 403
        unit1 = login(TestClient(app), "demo-unit1")  # good-county: the only 县 ranked
        assert "第 1 名" in unit1.get("/ranking").text and "共 1 个" in unit1.get("/ranking").text
        ev.post("/ranking/settings", data={"csrf": csrf_of(page)})  # nothing ticked: closed again
        assert unit2.get("/ranking").status_code == 403
    finally:
        app.state.web.jobs.shutdown()
        store.dispose()
    runner = CliRunner()
    out = runner.invoke(main, ["ranking-access", "复核", "开", "--db", str(db)])
    assert out.exit_code == 0 and "复核:单位用户可以查看本单位名次" in out.output and "评估:单位用户不能" in out.output
    assert runner.invoke(main, ["ranking-access", "复核", "--db", str(db)]).exit_code == 2
    assert "复核:单位用户可以" in runner.invoke(main, ["ranking-access", "--db", str(db)]).output


def test_upload_job_left_running_by_a_stopped_server_shows_as_interrupted(app, store):
    """A job whose process stopped mid-way stays 'running' in the store; once it has not moved for STALE_AFTER its
    page says it was interrupted and asks for a new upload, instead of polling for ever."""
    import datetime as dt

    from engine.store import accounts
    from engine.web.upload import STALE_AFTER

    with store.transaction() as session:
        owner = accounts.find_user(session, "demo-unit1").id
        for job_id, age in (("a" * 32, STALE_AFTER + dt.timedelta(minutes=1)), ("b" * 32, dt.timedelta(minutes=1))):
            workspace.save_job(session, job_id, owner=owner, unit_uid="x", filename="证据包.zip", stage=3,
                               state="running", problems=[], assessment=None, message="", new=True)
            workspace.upload_job(session, job_id).updated_at = dt.datetime.now(dt.timezone.utc) - age
    client = login(TestClient(app), "demo-unit1")
    old = client.get("/upload/jobs/" + "a" * 32 + ".json").json()
    assert old["state"] == "failed" and "处理中断" in old["message"]
    assert "处理中断" in client.get("/upload/jobs/" + "a" * 32).text
    assert client.get("/upload/jobs/" + "b" * 32 + ".json").json()["state"] == "running"
    assert client.get("/upload/jobs/" + "c" * 32 + ".json").status_code == 404
    assert client.get("/upload/jobs/not-a-job").status_code == 404
