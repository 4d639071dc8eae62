"""``scorecard serve`` (the web workspace), ``scorecard user add|passwd|disable|enable|list`` (accounts) and
``scorecard ranking-access`` (which rounds show unit users their own rank)."""

from __future__ import annotations

import sys

import click

from engine.store.vocabulary import ROUND_KINDS

db_option = click.option("--db", "db", envvar="SCORECARD_DB", default=None, metavar="路径或URL",
                         help="结果库:SQLite 文件路径(默认 ./scorecard.db)或 postgresql+psycopg://… 地址;也可用环境变量 SCORECARD_DB")
archive_option = click.option("--archive", "archive", envvar="SCORECARD_ARCHIVE", default=None,
                              type=click.Path(file_okay=False), metavar="目录",
                              help="佐证归档目录(默认:SQLite 结果库旁的 <库名>.archive/;PostgreSQL 必须指定)")


@click.command("serve")
@db_option
@archive_option
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址(默认只允许本机访问)")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="端口")
@click.option("--demo", is_flag=True, help="载入内置示例(good-county、weak-town 的自评与评估)并建立演示账号(密码显示在终端)")
@click.option("--secure-cookie", is_flag=True, help="会话 Cookie 只经 HTTPS 发送(部署在 HTTPS 反向代理之后时使用)")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 8), help="后台评分线程数")
def serve_cmd(db, archive, host: str, port: int, demo: bool, secure_cookie: bool, workers: int) -> None:
    """启动评估工作台网页(总览、核查队列、整改看板、排名、填报)。

    支持的部署是一个 serve 进程(--workers 是该进程内的后台评分线程数)。填报任务的进度与结果存入结果库,
    重启服务或由另一进程应答时仍可查看(重启时正在处理的任务显示为「处理中断」,需重新上传);登录限速的计数
    只在本进程内存中,重启即清零,多个进程各自计数——若要多进程部署,请在反向代理上另设登录限速。"""
    import uvicorn

    from engine.store.db import open_store
    from engine.web.server import create_app

    store = open_store(db, archive, create=demo)
    if demo:
        from engine.web.demo import load_demo

        for line in load_demo(store):
            click.echo(line, err=True)
    app = create_app(store, https_only=secure_cookie, workers=workers)
    if host not in ("127.0.0.1", "localhost", "::1") and not secure_cookie:
        click.echo("提示:监听非本机地址时,请放在 HTTPS 反向代理之后并加 --secure-cookie。", err=True)
    click.echo(f"评估工作台:http://{host}:{port}/(结果库 {store.shown});按 Ctrl+C 停止", err=True)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)
    finally:
        app.state.web.jobs.shutdown()
        store.dispose()


@click.group("user")
def user_group() -> None:
    """评估工作台账号:新建、改密码、停用、启用、列出。"""


def _password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码")


@user_group.command("add")
@click.argument("username")
@click.option("--role", required=True, help="角色:管理员(admin)、评估人员(evaluator)、单位用户(unit)")
@click.option("--unit", "unit_uid", default=None, metavar="单位编号", help="单位用户所属单位的编号(地区/名称)")
@click.option("--scope", "scopes", multiple=True, metavar="范围", help="评估人员的评估范围:地区前缀或单位编号,可多次;* 表示全部单位")
@click.option("--name", "display_name", default="", help="姓名(显示在页面和核查记录中)")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取密码(一行),不提示")
@db_option
def user_add(username, role, unit_uid, scopes, display_name, password_stdin, db) -> None:
    """新建账号 USERNAME。"""
    from engine.store import accounts
    from engine.store.db import open_store

    password = _password(password_stdin)
    with open_store(db) as store:
        with store.transaction() as session:
            user = accounts.add_user(session, username, password, role, unit_uid=unit_uid, scopes=list(scopes),
                                     display_name=display_name)
            label = accounts.ROLE_ZH[user.role]
    click.echo(f"已建立账号「{username}」({label})", err=True)


@user_group.command("passwd")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取新密码(一行),不提示")
@db_option
def user_passwd(username, password_stdin, db) -> None:
    """修改账号 USERNAME 的密码(已登录的会话随即失效)。"""
    from engine.store import accounts
    from engine.store.db import open_store

    password = _password(password_stdin)
    with open_store(db) as store:
        with store.transaction() as session:
            accounts.set_password(session, username, password)
    click.echo(f"已修改账号「{username}」的密码", err=True)


def _set_active(username: str, db, active: bool) -> None:
    from engine.store import accounts
    from engine.store.db import open_store

    with open_store(db) as store:
        with store.transaction() as session:
            accounts.set_active(session, username, active)
    click.echo(f"账号「{username}」已{'启用' if active else '停用'}", err=True)


@user_group.command("disable")
@click.argument("username")
@db_option
def user_disable(username, db) -> None:
    """停用账号 USERNAME(不能再登录,已登录的会话随即失效)。"""
    _set_active(username, db, False)


@user_group.command("enable")
@click.argument("username")
@db_option
def user_enable(username, db) -> None:
    """重新启用账号 USERNAME。"""
    _set_active(username, db, True)


@user_group.command("list")
@db_option
def user_list(db) -> None:
    """列出全部账号。"""
    from engine.store import accounts
    from engine.store.db import open_store

    with open_store(db) as store:
        with store.session() as session:
            for u in accounts.list_users(session):
                where = u.unit_uid or "、".join(u.scopes or []) or "全部"
                state = "正常" if u.active else "已停用"
                click.echo(f"{u.username}\t{u.display_name}\t{accounts.ROLE_ZH[u.role]}\t{where}\t{state}")


@click.command("ranking-access")
@click.argument("round_kind", required=False, metavar="轮次", type=click.Choice(ROUND_KINDS))
@click.argument("state", required=False, metavar="开|关", type=click.Choice(["开", "关", "on", "off"]))
@db_option
def ranking_access_cmd(round_kind, state, db) -> None:
    """设置单位用户能否在评估工作台查看本单位在某轮次排名中的名次(默认关);不给参数时列出各轮次的设置。

    开放后单位用户只看到本单位的名次、同类单位数和本单位得分,看不到其他单位的名称与得分。"""
    from engine.store import workspace
    from engine.store.db import open_store

    if round_kind is not None and state is None:
        raise click.UsageError("请同时给出轮次和 开 或 关,例如:scorecard ranking-access 评估 开")
    with open_store(db) as store:
        with store.transaction() as session:
            if round_kind is not None:
                workspace.set_unit_rank(session, round_kind, state in ("开", "on"))
            access = workspace.unit_rank_rounds(session)
    for kind, on in access.items():
        click.echo(f"{kind}:单位用户{'可以' if on else '不能'}查看本单位名次")


COMMANDS = (serve_cmd, user_group, ranking_access_cmd)
