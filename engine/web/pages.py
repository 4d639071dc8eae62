"""The pages of the web workspace and who may reach them.

=================================  ==============================  =============================================
route                              roles                           scope
=================================  ==============================  =============================================
/login, /logout                    anyone / signed in
/                                  signed in                       sends each role to its start page
/dashboard                         admin, evaluator                units in scope
/units/{id}                        all                             404 outside scope
/assessments/{id}[/files/{sha}]    all                             404 outside scope
/review, /review/{id} (GET, POST)  admin, evaluator                404 outside scope
/rectify (GET), /rectify/{item}    all                             unit users: own unit, 整改中/已整改 only
/rectify/export                    all                             items in scope
/ranking[.csv|.xlsx]               admin, evaluator                units in scope
/ranking (unit users)              unit, if the round allows it    own rank, number of units, own figures only
/ranking/settings (POST)           admin, evaluator                per round kind: unit users see their rank
/upload, /upload/jobs/{id}         unit                            own unit, own jobs
/admin/users                       admin
=================================  ==============================  =============================================
"""

from __future__ import annotations

import datetime as dt
import tempfile
import urllib.parse
from pathlib import Path

from markupsafe import Markup
from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from engine.errors import InputError, Problem
from engine.results import ScoreResult
from engine.store import accounts, workspace
from engine.store.models import ROUND_KINDS
from engine.web.app import Ctx, Web, page, read_form, render
from engine.web.security import CSRF_FIELD, check_csrf
from engine.web.upload import MAX_UPLOAD, STAGES

FAILING = ("fail", "partial", "error")
ITEM_STATUSES = ("待整改", "整改中", "已整改", "已销号", "逾期")
UNIT_SETTABLE = ("整改中", "已整改")


def today(web: Web) -> dt.date:
    fixed = web.settings.get("today")
    return fixed if fixed is not None else dt.date.today()


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, 303)


def flash(ctx: Ctx, text: str, kind: str = "ok") -> None:
    ctx.request.session["flash"] = [kind, text]


def take_flash(ctx: Ctx):
    return ctx.request.session.pop("flash", None)


def int_or_none(text: str) -> int | None:
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


# ------------------------------------------------------------------ sign in / out


async def login(request: Request) -> Response:
    web: Web = request.app.state.web
    nxt = request.query_params.get("next", "/")
    if request.method == "GET":
        return render(web, request, "login.html.j2", None, next=_safe_next(nxt), error="")
    form = await read_form(request)
    check_csrf(request.session, form.get(CSRF_FIELD))
    username = str(form.get("username") or "").strip()[:100]
    password = str(form.get("password") or "")[:1000]
    nxt = _safe_next(str(form.get("next") or "/"))
    client = request.client.host if request.client else "?"
    keys = (f"ip:{client}", f"user:{username}")
    wait = web.limiter.retry_after(*keys)
    if wait:
        response = render(web, request, "login.html.j2", None, 429, next=nxt,
                          error=f"登录失败次数过多,请 {wait} 秒后再试。")
        response.headers["retry-after"] = str(wait)
        return response

    def check():
        with web.store.transaction() as session:
            user = accounts.authenticate(session, username, password)
            return (user.id, user.session_version) if user else None

    from starlette.concurrency import run_in_threadpool

    found = await run_in_threadpool(check)
    if found is None:
        web.limiter.failed(*keys)
        return render(web, request, "login.html.j2", None, 401, next=nxt, error="账号或密码不正确,或账号已停用。")
    web.limiter.succeeded(keys[1])
    request.session.clear()  # a new session (and CSRF token) after signing in
    request.session.update({"user": found[0], "ver": found[1]})
    return redirect(nxt)


def _safe_next(nxt: str) -> str:
    return nxt if nxt.startswith("/") and not nxt.startswith("//") and "\\" not in nxt else "/"


@page()
def logout(ctx: Ctx) -> Response:
    ctx.request.session.clear()
    return redirect("/login")


@page()
def home(ctx: Ctx) -> Response:
    if ctx.viewer.role != "unit":
        return redirect("/dashboard")
    with ctx.store.session() as session:
        unit = workspace.unit_by_uid(session, ctx.viewer.unit_uid or "")
    return redirect(f"/units/{unit.id}" if unit else "/upload")


# ------------------------------------------------------------------ dashboard, unit, assessment


def _units_in_scope(ctx: Ctx, session) -> list:
    return [u for u in workspace.units(session) if ctx.in_scope(u)]


@page("admin", "evaluator")
def dashboard(ctx: Ctx) -> Response:
    q = ctx.request.query_params
    f_type, f_region, f_kind = q.get("type", ""), q.get("region", "").strip(), q.get("round", "")
    with ctx.store.session() as session:
        units = _units_in_scope(ctx, session)
        all_types = sorted({u.type for u in units})
        all_regions = sorted({u.region for u in units if u.region})
        units = [u for u in units if (not f_type or u.type == f_type) and (not f_region or (u.region or "").startswith(f_region))]
        rounds = workspace.rounds(session, [u.id for u in units])
    columns = sorted({(r["year"], r["kind"]) for rs in rounds.values() for r in rs if not f_kind or r["kind"] == f_kind},
                     key=lambda c: (c[0], ROUND_KINDS.index(c[1])))
    rows = []
    for u in units:
        cells = {}
        for r in rounds.get(u.id, []):
            cells[(r["year"], r["kind"])] = r  # the latest of a kind in a year wins
        rows.append({"unit": u, "cells": [cells.get(c) for c in columns]})
    chart = _category_chart([cells for row in rows for cells in row["cells"][-1:] if cells])
    return ctx.render("dashboard.html.j2", rows=rows, columns=columns, types=all_types, regions=all_regions,
                      kinds=ROUND_KINDS, f_type=f_type, f_region=f_region, f_kind=f_kind, chart=chart,
                      flash=take_flash(ctx))


def _category_chart(rounds: list[dict]) -> list[dict]:
    """Average share of applicable points earned per category over the given rounds."""
    sums: dict[str, list] = {}
    for r in rounds:
        for no, c in (r.get("categories") or {}).items():
            s = sums.setdefault(no, [c["name"], 0.0, 0.0])
            s[1] += c["earned"]
            s[2] += c["applicable_points"]
    out = []
    for no in sorted(sums, key=int):
        name, earned, applicable = sums[no]
        ratio = earned / applicable if applicable else 0.0
        out.append({"no": no, "name": name, "ratio": ratio, "width": round(ratio * 100, 1),
                    "level": "good" if ratio >= 0.9 else ("mid" if ratio >= 0.6 else "low")})
    return out


@page()
def unit_page(ctx: Ctx) -> Response:
    with ctx.store.session() as session:
        unit = ctx.unit_or_404(workspace.unit(session, ctx.request.path_params["unit_id"]))
        rounds = workspace.rounds(session, [unit.id]).get(unit.id, [])
        rank_open = ctx.viewer.role == "unit" and any(workspace.unit_rank_rounds(session).values())
    trend = _trend(rounds)
    return ctx.render("unit.html.j2", unit=unit, rounds=rounds, trend=trend, rank_open=rank_open, flash=take_flash(ctx))


def _trend(rounds: list[dict]) -> dict:
    """Points of an SVG polyline of the confirmed score over the rounds (0..100 scaled to the chart)."""
    if not rounds:
        return {"points": "", "marks": []}
    width, height, pad = 600, 160, 24
    step = (width - 2 * pad) / max(len(rounds) - 1, 1)
    marks = []
    for k, r in enumerate(rounds):
        total = r["figures"]["total"] or 100
        x = pad + k * step
        y = height - pad - (r["figures"]["confirmed"] / total) * (height - 2 * pad)
        marks.append({"x": round(x, 1), "y": round(y, 1), "label": f"{r['year']}{r['kind']}",
                      "value": r["figures"]["confirmed"]})
    return {"points": " ".join(f"{m['x']},{m['y']}" for m in marks), "marks": marks, "width": width, "height": height}


def _assessment(ctx: Ctx, session, aid: int):
    a = workspace.assessment(session, aid)
    if a is None:
        raise HTTPException(404, "没有找到该单位或评估(或您无权查看)。")
    ctx.unit_or_404(a.unit)
    return a


def _result(ctx: Ctx, session, a) -> ScoreResult:
    """The round's current result, parsed once per (round, version) and shared read-only by the pages."""
    key = (a.id, a.version)
    return ctx.web.results.get(key) or ctx.web.results.put(
        key, ScoreResult.model_validate_json(workspace.current_json(session, a.id)))


@page()
def assessment_page(ctx: Ctx) -> Response:
    """The report of one round. Its body depends only on the round's version, the filters and whether the viewer
    is a unit user, so it is rendered once per such key (the page is large: 87 indicators with their cited rows)."""
    aid = ctx.request.path_params["aid"]
    q = ctx.request.query_params
    f_status, f_cat, f_q = q.get("status", ""), q.get("category", ""), q.get("q", "").strip()
    with ctx.store.session() as session:
        a = _assessment(ctx, session, aid)
        unit = a.unit
        key = ("assessment", a.id, a.version, ctx.viewer.role == "unit", f_status, f_cat, f_q)
        body = ctx.web.fragments.get(key)
        if body is None:
            result = _result(ctx, session, a)
            log = workspace.verdict_log(session, aid)
            files = {f.path: f.sha256 for f in workspace.package_files(session, aid)}
            meta = {"id": a.id, "kind": a.kind, "scored_at": a.scored_at, "assessor": a.assessor}
            body = ctx.web.fragments.put(key, _assessment_body(ctx, meta, unit, result, log, files, f_status, f_cat, f_q))
    return ctx.render("assessment.html.j2", unit=unit, a={"kind": a.kind}, body=Markup(body))


def _assessment_body(ctx: Ctx, meta: dict, unit, result: ScoreResult, log, files: dict, f_status: str, f_cat: str,
                     f_q: str) -> str:
    shown = [i for i in result.indicators
             if (not f_status or i.status == f_status) and (not f_cat or str(i.category) == f_cat)
             and (not f_q or f_q in _search_text(i))]
    attachments = [{"doc_id": x.doc_id, "path": x.path, "size": x.size, "sha256": x.sha256}
                   for x in result.evidence.attachments]
    ledgers = [{"title": x.title, "file": x.file, "sheet": x.sheet, "records": x.records, "sha256": x.sha256,
                "stored": files.get(x.file) == x.sha256} for x in result.evidence.ledgers]
    chart = _category_chart([{"categories": {str(c.no): {"name": c.name, "earned": c.earned,
                                                         "applicable_points": c.applicable_points}
                                             for c in result.categories}}])
    figures = workspace.figures(result.summary.model_dump(mode="json"))
    return ctx.web.env.get_template("_assessment_body.html.j2").render(
        viewer=ctx.viewer, a=meta, unit=unit, r=result, indicators=shown, log=log, attachments=attachments,
        ledgers=ledgers, chart=chart, figures=figures, f_status=f_status, f_cat=f_cat, f_q=f_q,
        statuses=sorted({i.status for i in result.indicators}), stored_files=set(files.values()))


def _search_text(i) -> str:
    parts = [str(i.no), i.title, " ".join(i.lead_units), i.message or "", i.remediation]
    for c in i.checks:
        parts += [c.title, c.actual, c.required, c.message or ""]
        parts += [f"{e.file} {e.id} {e.note or ''}" for e in c.evidence]
    return " ".join(parts)


@page()
def download(ctx: Ctx) -> Response:
    aid, sha = ctx.request.path_params["aid"], ctx.request.path_params["sha"]
    if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        raise HTTPException(404, "没有找到该文件。")
    with ctx.store.session() as session:
        _assessment(ctx, session, aid)
        f = workspace.archived_file(session, aid, sha)
        if f is None:
            raise HTTPException(404, "没有找到该文件。")
        name = Path(f.path).name
    from engine.store.archive import Archive

    if ctx.store.archive_dir is None:
        raise HTTPException(404, "没有找到该文件。")
    data = Archive(ctx.store.archive_dir).get(sha)
    quoted = urllib.parse.quote(name)
    return Response(data, media_type="application/octet-stream",
                    headers={"content-disposition": f"attachment; filename*=UTF-8''{quoted}",
                             "x-content-type-options": "nosniff"})


# ------------------------------------------------------------------ review queue


def _verdict_choices() -> list[tuple[str, str]]:
    from engine.review.verdicts import VERDICT_WORDS

    choices = [("pass", "通过"), ("fail", "未通过"), ("partial", "部分通过")]
    if "不适用" in VERDICT_WORDS:
        choices.append((VERDICT_WORDS["不适用"], "不适用"))
    return choices


@page("admin", "evaluator")
def review_queue(ctx: Ctx) -> Response:
    with ctx.store.session() as session:
        rows = [(r, u) for r, u in workspace.awaiting_review(session) if ctx.in_scope(u)]
    return ctx.render("review_queue.html.j2", rows=rows)


@page("admin", "evaluator")
def review_page(ctx: Ctx) -> Response:
    aid = ctx.request.path_params["aid"]
    if ctx.request.method == "POST":
        return _record_verdict(ctx, aid)
    with ctx.store.session() as session:
        a = _assessment(ctx, session, aid)
        unit = a.unit
        result = _result(ctx, session, a)
        log = workspace.verdict_log(session, aid)
        files = {f.sha256 for f in workspace.package_files(session, aid)}
        meta = {"id": a.id, "kind": a.kind}
    docs = {x.doc_id: x for x in result.evidence.attachments}
    pending = [i for i in result.indicators if i.pending_review or i.status == "needs_review"]
    reviewed = [i for i in result.indicators if i.override is not None or any(c.override for c in i.checks)]
    return ctx.render("review.html.j2", a=meta, unit=unit, r=result, pending=pending, reviewed=reviewed, log=log,
                      docs=docs, stored_files=files, figures=workspace.figures(result.summary.model_dump(mode="json")),
                      choices=_verdict_choices(), flash=take_flash(ctx), today=today(ctx.web))


def _record_verdict(ctx: Ctx, aid: int) -> Response:
    from engine.review.verdicts import LocatedVerdict, Verdict
    from engine.store.record import record_verdicts

    with ctx.store.session() as session:
        _assessment(ctx, session, aid)
    indicator = int_or_none(ctx.field("indicator"))
    reason = ctx.field("reason")
    problems = []
    if indicator is None:
        problems.append(Problem("核查结论", "缺少指标序号", column="指标", code="review"))
    if not reason:
        problems.append(Problem("核查结论", "请填写核查理由(必填)", column="理由", code="review"))
    points = ctx.field("points")
    if problems:
        raise InputError(problems)
    try:
        verdict = Verdict(indicator=indicator, check=ctx.field("check") or None, verdict=ctx.field("verdict"),
                          points=points or None, reason=reason, reviewer=ctx.viewer.display_name or ctx.viewer.username,
                          date=today(ctx.web), evidence=ctx.field("evidence"))
    except ValidationError as exc:
        fields = {"verdict": "结论", "points": "得分", "indicator": "指标", "reason": "理由", "evidence": "佐证"}
        problems = []
        for e in exc.errors():
            if e["loc"]:
                problems.append(Problem("核查结论", "取值不正确", column=fields.get(str(e["loc"][0]), str(e["loc"][0])),
                                        value=str(e.get("input", ""))[:100], code="review"))
            else:  # a rule over several fields (不适用: a reason, no points)
                problems.append(Problem("核查结论", str(e["msg"]).removeprefix("Value error, "), column="结论",
                                        code="review"))
        raise InputError(problems) from None
    result = record_verdicts(ctx.store, aid, [LocatedVerdict(verdict, f"网页({ctx.viewer.username})", None)])
    figures = workspace.figures(result.summary.model_dump(mode="json"))
    flash(ctx, f"已记录指标 {indicator} 的核查结论;已确认得分 {figures['confirmed']:g}")
    return redirect(f"/review/{aid}#ind-{indicator}")


# ------------------------------------------------------------------ rectification board


def _items_in_scope(ctx: Ctx, session, lead: str | None = None) -> list[dict]:
    from engine.store.tracking import list_items

    units = {u.uid: u for u in workspace.units(session)}
    return [r for r in list_items(session, None, lead or None, today=today(ctx.web))
            if r["uid"] in units and ctx.in_scope(units[r["uid"]])]


@page()
def rectify_board(ctx: Ctx) -> Response:
    q = ctx.request.query_params
    f_lead, f_status = q.get("lead", ""), q.get("status", "")
    with ctx.store.session() as session:
        items = _items_in_scope(ctx, session)
    leads = sorted({r["lead_unit"] for r in items})
    shown = [r for r in items if (not f_lead or r["lead_unit"] == f_lead) and (not f_status or r["status"] == f_status)]
    groups: dict[str, list[dict]] = {}
    for r in shown:
        groups.setdefault(r["lead_unit"], []).append(r)
    settable = UNIT_SETTABLE if ctx.viewer.role == "unit" else ("待整改", "整改中", "已整改", "已销号")
    return ctx.render("rectify.html.j2", groups=groups, leads=leads, statuses=ITEM_STATUSES, f_lead=f_lead,
                      f_status=f_status, settable=settable, flash=take_flash(ctx), today=today(ctx.web))


@page()
def rectify_update(ctx: Ctx) -> Response:
    from engine.store.tracking import update_item

    item_id = ctx.request.path_params["item_id"]
    status = ctx.field("status") or None
    with ctx.store.transaction() as session:
        found = workspace.rectification_item(session, item_id)
        if found is None:
            raise HTTPException(404, "没有找到该整改事项。")
        item, unit = found
        ctx.unit_or_404(unit)
        if status == item.status:
            status = None
        if ctx.viewer.role == "unit" and status not in (None, *UNIT_SETTABLE):
            raise HTTPException(403, "单位用户只能把整改事项标为「整改中」或「已整改」;销号由评估人员确认。")
        deadline = None
        if ctx.field("deadline"):
            try:
                deadline = dt.date.fromisoformat(ctx.field("deadline"))
            except ValueError:
                raise InputError(Problem("整改事项", "整改时限不是有效日期", column="整改时限", value=ctx.field("deadline"),
                                         expected="YYYY-MM-DD", code="bad_date")) from None
            if deadline == item.deadline:
                deadline = None
        responsible = ctx.field("responsible") if ctx.form and "responsible" in ctx.form else None
        if responsible is not None and responsible == item.responsible:
            responsible = None
        update_item(session, item_id, author=ctx.viewer.display_name or ctx.viewer.username, status=status,
                    responsible=responsible, deadline=deadline, note=ctx.field("note") or None,
                    evidence=ctx.field("evidence") or None)
    flash(ctx, f"整改事项 {item_id} 已更新")
    back = ctx.field("back")
    return redirect(back if back.startswith("/rectify") else "/rectify")


@page()
def rectify_export(ctx: Ctx) -> Response:
    from engine.output.rectify import Group, RectifyList, Row
    from engine.output.writers import write

    q = ctx.request.query_params
    fmt, lead = q.get("format", "xlsx"), q.get("lead", "")
    if fmt not in ("xlsx", "docx"):
        raise HTTPException(404, "不支持的格式。")
    with ctx.store.session() as session:
        items = _items_in_scope(ctx, session, lead)
    if not items:
        raise HTTPException(404, "没有符合条件的整改事项。")
    rows = [Row(no=k, indicator_no=r["indicator_no"], indicator=f"{r['indicator_no']}. {r['indicator']}",
                indicator_status=r["status"], kind=r["kind"],
                problem=f"{r['unit']}:{r['problem']}" + (f"(责任人:{r['responsible']})" if r["responsible"] else ""),
                measures=r["measures"], lead_units=(r["lead_unit"],), deadline=r["deadline"], state=r["status"])
            for k, r in enumerate(items, 1)]
    units = sorted({r["unit"] for r in items})
    rlist = RectifyList(title=f"整改事项:{lead or '全部牵头单位'}", unit_name="、".join(units), unit_type="",
                        period="", issued=today(ctx.web), deadline_rule="按结果库中的整改时限", rows=rows,
                        groups=[Group(lead or "全部", tuple(rows))], grouped=False)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"rectify.{fmt}"
        write(rlist, fmt, out)
        data = out.read_bytes()
    name = urllib.parse.quote(f"整改事项-{lead or '全部'}.{fmt}")
    media = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}[fmt]
    return Response(data, media_type=media, headers={"content-disposition": f"attachment; filename*=UTF-8''{name}"})


# ------------------------------------------------------------------ ranking

RANK_SORTS = {"score": lambda r: (-r["score"], r["unit"]), "unit": lambda r: (r["unit"], r["uid"]),
              "region": lambda r: (r["region"], -r["score"]), "failing": lambda r: (-r["failing"], r["unit"]),
              "missing": lambda r: (-r["missing_evidence"], r["unit"])}
RANK_HEADER = ["名次", "单位", "类型", "地区", "轮次", "评估编号", "得分", "结论", "未达标指标", "缺少证据指标"]


def _ranking(ctx: Ctx) -> tuple[list[dict], dict]:
    from engine.store.queries import ranking

    q = ctx.request.query_params
    f = {"round": q.get("round", ""), "type": q.get("type", ""), "region": q.get("region", "").strip(),
         "sort": q.get("sort", "score") if q.get("sort") in RANK_SORTS else "score"}
    with ctx.store.session() as session:
        units = {u.uid: u for u in workspace.units(session)}
        rows = ranking(session, f["round"] or None, f["type"] or None, f["region"] or None)
    rows = [r for r in rows if r["uid"] in units and ctx.in_scope(units[r["uid"]])]
    rows.sort(key=RANK_SORTS[f["sort"]])
    return rows, f


@page()
def ranking_page(ctx: Ctx) -> Response:
    if ctx.viewer.role == "unit":
        return _unit_ranking(ctx)
    rows, f = _ranking(ctx)
    with ctx.store.session() as session:
        access = workspace.unit_rank_rounds(session)
    return ctx.render("ranking.html.j2", rows=rows, f=f, kinds=ROUND_KINDS, access=access, flash=take_flash(ctx),
                      query=urllib.parse.urlencode({k: v for k, v in f.items() if v and k != "sort"}))


def _unit_ranking(ctx: Ctx) -> Response:
    """A unit user's own position, only in the rounds whose setting allows it (403 when none does): rank, number
    of units of its type, its own figures. No other unit's name or score reaches the page."""
    with ctx.store.session() as session:
        access = workspace.unit_rank_rounds(session)
        if not any(access.values()):
            raise HTTPException(403, "本轮排名未向单位用户开放。")
        unit = workspace.unit_by_uid(session, ctx.viewer.unit_uid or "")
        positions = [(kind, workspace.unit_position(session, unit, kind) if unit else None)
                     for kind in ROUND_KINDS if access[kind]]
    return ctx.render("ranking_unit.html.j2", unit=unit, positions=positions)


@page("admin", "evaluator")
def ranking_settings(ctx: Ctx) -> Response:
    """Which rounds' rankings show unit users their own position (a checkbox per round kind)."""
    chosen = set(ctx.form.getlist("unit_rank")) if ctx.form is not None else set()
    with ctx.store.transaction() as session:
        for kind in ROUND_KINDS:
            workspace.set_unit_rank(session, kind, kind in chosen)
    shown = "、".join(k for k in ROUND_KINDS if k in chosen) or "无"
    flash(ctx, f"已保存:单位用户可查看本单位名次的轮次 — {shown}")
    return redirect("/ranking")


def _rank_cells(r: dict) -> list:
    return [r["rank"], r["unit"], r["type"], r["region"], r["kind"], r["assessment"], r["score"], r["verdict"],
            r["failing"], r["missing_evidence"]]


@page("admin", "evaluator")
def ranking_csv(ctx: Ctx) -> Response:
    from engine.batch import write_csv

    rows, _ = _ranking(ctx)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ranking.csv"
        write_csv(out, RANK_HEADER, [_rank_cells(r) for r in rows])
        data = out.read_bytes()
    return Response(data, media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": "attachment; filename*=UTF-8''" + urllib.parse.quote("排名.csv")})


@page("admin", "evaluator")
def ranking_xlsx(ctx: Ctx) -> Response:
    from engine.batch import write_xlsx

    rows, _ = _ranking(ctx)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ranking.xlsx"
        write_xlsx(out, [("排名", RANK_HEADER, [_rank_cells(r) for r in rows])])
        data = out.read_bytes()
    return Response(data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"content-disposition": "attachment; filename*=UTF-8''" + urllib.parse.quote("排名.xlsx")})


# ------------------------------------------------------------------ upload (填报)


@page("unit")
def upload_page(ctx: Ctx) -> Response:
    if ctx.request.method == "GET":
        return ctx.render("upload.html.j2", max_mb=MAX_UPLOAD // (1024 * 1024), error="")
    upload = ctx.form.get("package") if ctx.form else None
    if upload is None or isinstance(upload, str) or not upload.filename:
        return ctx.render("upload.html.j2", 400, max_mb=MAX_UPLOAD // (1024 * 1024), error="请选择要上传的 .zip 证据包。")
    tmp = tempfile.NamedTemporaryFile(prefix="scorecard-upload-", suffix=".zip", delete=False)
    size = 0
    with tmp:
        upload.file.seek(0)
        while chunk := upload.file.read(1 << 20):
            size += len(chunk)
            if size > MAX_UPLOAD:
                tmp.close()
                Path(tmp.name).unlink(missing_ok=True)
                raise HTTPException(413, f"上传的文件超过 {MAX_UPLOAD // (1024 * 1024)} MB。")
            tmp.write(chunk)
    viewer, web = ctx.viewer, ctx.web
    job = web.jobs.submit(viewer.id, viewer.unit_uid or "", upload.filename, Path(tmp.name),
                          lambda job, root: score_upload(web, viewer, job, root))
    return redirect(f"/upload/jobs/{job.id}")


def rules_for(web: Web):
    rules = web.settings.get("rules")
    if rules is None:
        from engine.evaluate.pipeline import load_rules

        rules = web.settings["rules"] = load_rules(profile=web.settings.get("profile", "base"))
    return rules


def score_upload(web: Web, viewer, job, root: Path) -> int:
    """Validate, score and store an unpacked package as the unit's 自评 round (runs in the worker)."""
    from engine.evaluate.backends import get_backend
    from engine.evaluate.pipeline import score
    from engine.evaluate.validate import validate_package
    from engine.rules.catalog import DEFAULT_RULES
    from engine.rules.profiles import resolve_profile
    from engine.store.record import RoundInput, default_uid, record_round

    rules = rules_for(web)
    job.advance(2)
    pkg, problems = validate_package(root, rules)
    errors = [p for p in problems if p.severity == "error"]
    if errors or pkg is None:
        raise InputError(errors or problems)
    job.advance(3)
    scored = score(pkg, rules, get_backend("auto"))
    uid = default_uid(scored)
    if uid != viewer.unit_uid:
        raise InputError(Problem("unit.yaml", f"证据包的单位「{uid}」不是您账号所属的单位「{viewer.unit_uid}」", column="name",
                                 value=uid, expected=viewer.unit_uid, code="wrong_unit"))
    job.advance(4)
    aid, _ = record_round(web.store, RoundInput(package=root, scored=scored, rules_dir=DEFAULT_RULES,
                                                profile_file=resolve_profile(web.settings.get("profile", "base")),
                                                kind="自评", assessor=viewer.display_name or viewer.username,
                                                uid=viewer.unit_uid), rules.catalog)
    return aid


def _job(ctx: Ctx):
    job = ctx.web.jobs.get(ctx.request.path_params["job_id"])
    if job is None or job.owner != ctx.viewer.id:
        raise HTTPException(404, "没有找到该上传任务。")
    return job


@page("unit")
def job_page(ctx: Ctx) -> Response:
    job = _job(ctx)
    return ctx.render("job.html.j2", job=job, stages=STAGES)


@page("unit")
def job_status(ctx: Ctx) -> Response:
    return JSONResponse(_job(ctx).to_dict())


# ------------------------------------------------------------------ admin


@page("admin")
def users_page(ctx: Ctx) -> Response:
    error = ""
    if ctx.request.method == "POST":
        try:
            with ctx.store.transaction() as session:
                if ctx.field("action") == "add":
                    accounts.add_user(session, ctx.field("username"), ctx.field("password"), ctx.field("role"),
                                      unit_uid=ctx.field("unit") or None,
                                      scopes=[s for s in ctx.field("scopes").replace(",", ",").split(",")],
                                      display_name=ctx.field("display_name"))
                    flash(ctx, f"已建立账号「{ctx.field('username')}」")
                elif ctx.field("action") in ("disable", "enable"):
                    if ctx.field("username") == ctx.viewer.username:
                        raise InputError(Problem("账号", "不能停用自己的账号", code="self"))
                    accounts.set_active(session, ctx.field("username"), ctx.field("action") == "enable")
                    flash(ctx, f"账号「{ctx.field('username')}」已{'启用' if ctx.field('action') == 'enable' else '停用'}")
                else:
                    raise HTTPException(400, "未知的操作。")
            return redirect("/admin/users")
        except InputError as exc:
            error = ";".join(p.message for p in exc.problems)
    with ctx.store.session() as session:
        users = [{"username": u.username, "display_name": u.display_name, "role": accounts.ROLE_ZH[u.role],
                  "unit": u.unit_uid or "", "scopes": "、".join(u.scopes or []), "active": u.active,
                  "last_login": u.last_login_at} for u in accounts.list_users(session)]
    return ctx.render("users.html.j2", users=users, roles=accounts.ROLE_ZH, error=error, flash=take_flash(ctx),
                      status_code=400 if error else 200)


ROUTES = [
    Route("/login", login, methods=["GET", "POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/", home),
    Route("/dashboard", dashboard),
    Route("/units/{unit_id:int}", unit_page),
    Route("/assessments/{aid:int}", assessment_page),
    Route("/assessments/{aid:int}/files/{sha}", download),
    Route("/review", review_queue),
    Route("/review/{aid:int}", review_page, methods=["GET", "POST"]),
    Route("/rectify", rectify_board),
    Route("/rectify/export", rectify_export),
    Route("/rectify/{item_id:int}", rectify_update, methods=["POST"]),
    Route("/ranking", ranking_page),
    Route("/ranking/settings", ranking_settings, methods=["POST"]),
    Route("/ranking.csv", ranking_csv),
    Route("/ranking.xlsx", ranking_xlsx),
    Route("/upload", upload_page, methods=["GET", "POST"]),
    Route("/upload/jobs/{job_id}.json", job_status),
    Route("/upload/jobs/{job_id}", job_page),
    Route("/admin/users", users_page, methods=["GET", "POST"]),
]
