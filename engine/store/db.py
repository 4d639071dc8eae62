"""Where the store lives and how it is opened.

``--db`` / ``SCORECARD_DB``: a path (an SQLite file, default ``./scorecard.db``) or a URL
(``postgresql+psycopg://user:pass@host/db``, ``sqlite:///path``). The evidence archive sits next to an SQLite
file (``scorecard.archive/`` beside ``scorecard.db``); for PostgreSQL it is ``--archive`` /
``SCORECARD_ARCHIVE``. Every command works in transactions: a failed command leaves nothing half-written.
The schema is made and changed only by Alembic; a database older than the code is refused with a message.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from engine.errors import InputError, Problem

DEFAULT_DB = "scorecard.db"
DB_ENV = "SCORECARD_DB"
ARCHIVE_ENV = "SCORECARD_ARCHIVE"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def resolve_url(db: str | None) -> str:
    """A path becomes an SQLite URL; a URL is kept. None -> $SCORECARD_DB -> ./scorecard.db."""
    db = db or os.environ.get(DB_ENV) or DEFAULT_DB
    if "://" in db:
        return db
    return f"sqlite:///{Path(db).expanduser().resolve()}"


def shown(url: str) -> str:
    """The URL as shown to users (password hidden)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def sqlite_path(url: str) -> Path | None:
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


def _problem(url: str, message: str, expected: str | None = None, code: str = "db") -> InputError:
    return InputError(Problem(f"结果库 {shown(url)}", message, expected=expected, code=code))


def make_engine(url: str) -> Engine:
    try:
        u = make_url(url)
    except ArgumentError:
        raise _problem(url, "数据库地址格式不正确",
                       "SQLite 文件路径,或 postgresql+psycopg://用户:密码@主机:端口/库名") from None
    backend = u.get_backend_name()
    if backend == "sqlite":
        engine = create_engine(u, connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _connect(dbapi_conn, record):  # pragma: no cover - exercised by every SQLite test
            dbapi_conn.isolation_level = None  # let SQLAlchemy's begin event decide (BEGIN IMMEDIATE)
            dbapi_conn.execute("PRAGMA foreign_keys = ON")

        @event.listens_for(engine, "begin")
        def _begin(conn):  # writers queue on the database lock instead of failing half-way
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    if backend == "postgresql":
        try:
            return create_engine(u, connect_args={"connect_timeout": 5}, pool_pre_ping=True)
        except (ImportError, ModuleNotFoundError):
            raise _problem(url, "未安装 PostgreSQL 驱动", "pip install 'psycopg[binary]'") from None
    raise _problem(url, f"不支持的数据库类型「{backend}」", "SQLite 文件或 postgresql+psycopg:// 地址")


def alembic_config(connection=None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def known_revisions() -> list[str]:
    from alembic.script import ScriptDirectory

    return [s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()]


@dataclass
class Store:
    url: str
    engine: Engine
    archive_dir: Path | None
    sessions: sessionmaker

    @property
    def shown(self) -> str:
        return shown(self.url)

    @contextmanager
    def transaction(self):
        """One transaction: committed when the block ends, rolled back (nothing written) when it raises."""
        with self.sessions() as session, session.begin():
            yield session

    def session(self) -> Session:
        return self.sessions()

    def dispose(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.dispose()


def current_revision(engine: Engine) -> tuple[str | None, bool]:
    """(alembic revision, whether the database has any tables)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        rev = MigrationContext.configure(conn).get_current_revision()
        tables = bool(inspect(conn).get_table_names())
    return rev, tables


def _connect_check(url: str, engine: Engine) -> tuple[str | None, bool]:
    try:
        return current_revision(engine)
    except OperationalError as exc:
        detail = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise _problem(url, f"无法连接数据库:{detail[:200]}",
                       "数据库服务已启动、地址、端口、用户名和密码正确;SQLite 文件所在目录存在且可写", "db_connect") from None
    except DBAPIError as exc:
        raise _problem(url, f"无法读取数据库:{str(exc.orig)[:200]}", code="db_connect") from None


def archive_for(url: str, archive: str | Path | None) -> Path | None:
    archive = archive or os.environ.get(ARCHIVE_ENV)
    if archive:
        return Path(archive).expanduser().resolve()
    path = sqlite_path(url)
    return path.with_name(path.stem + ".archive") if path is not None else None


def open_store(db: str | None = None, archive: str | Path | None = None, *, create: bool = False) -> Store:
    """Open the store and check its schema is the code's. ``create``: initialise an empty database first."""
    url = resolve_url(db)
    engine = make_engine(url)
    path = sqlite_path(url)
    if path is not None and not path.exists() and not create:
        raise _problem(url, "结果库文件不存在", "先运行 scorecard db init,或用 --db 指定已有的结果库", "db_missing")
    if path is not None and not path.parent.is_dir():
        raise _problem(url, f"无法连接数据库:目录 {path.parent} 不存在", "已存在且可写的目录", "db_connect")
    rev, has_tables = _connect_check(url, engine)
    head = head_revision()
    if rev is None:
        if has_tables:
            raise _problem(url, "该数据库不是 scorecard 结果库(有其他表,但没有结构版本记录)", "空数据库或 scorecard 结果库",
                           "db_foreign")
        if not create:
            raise _problem(url, "结果库尚未初始化", "先运行 scorecard db init", "db_uninitialised")
        upgrade(engine)
    elif rev != head:
        if rev in known_revisions():
            raise _problem(url, f"结果库的结构版本({rev})比程序({head})旧", "先备份(scorecard db backup),再运行 scorecard db upgrade",
                           "db_old")
        raise _problem(url, f"结果库的结构版本({rev})是本程序不认识的较新版本", f"升级 scorecard 到支持该版本的版本(本程序为 {head})",
                       "db_new")
    return Store(url=url, engine=engine, archive_dir=archive_for(url, archive),
                 sessions=sessionmaker(engine, expire_on_commit=False))


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)


def init_db(db: str | None = None) -> tuple[str, str]:
    """Create the schema in an empty database (or upgrade one made by an older version). Returns (url, head)."""
    url = resolve_url(db)
    engine = make_engine(url)
    path = sqlite_path(url)
    if path is not None and not path.parent.is_dir():
        raise _problem(url, f"目录 {path.parent} 不存在", "已存在且可写的目录", "db_connect")
    try:
        rev, has_tables = _connect_check(url, engine)
        if rev is None and has_tables:
            raise _problem(url, "该数据库不是 scorecard 结果库(有其他表,但没有结构版本记录)", "空数据库", "db_foreign")
        if rev is not None and rev not in known_revisions():
            raise _problem(url, f"结果库的结构版本({rev})是本程序不认识的较新版本", code="db_new")
        upgrade(engine)
        return url, head_revision()
    finally:
        engine.dispose()


def _pg_tool(name: str) -> str | None:
    """A PostgreSQL client program: on PATH, else the newest under /usr/lib/postgresql/*/bin (Debian)."""
    return shutil.which(name) or next(
        (str(p) for p in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)), None)


def backup(db: str | None, output: Path, archive: str | Path | None = None) -> list[Path]:
    """SQLite: a consistent copy (the online backup API) plus the archive; PostgreSQL: pg_dump (custom format)."""
    store = open_store(db, archive)
    written: list[Path] = []
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        path = sqlite_path(store.url)
        if path is not None:
            import sqlite3

            if output.exists():
                raise _problem(store.url, f"备份文件 {output} 已存在", "新的文件名", "exists")
            src = sqlite3.connect(str(path))
            dst = sqlite3.connect(str(output))
            try:
                src.backup(dst)
            finally:
                dst.close()
                src.close()
            written.append(output)
        else:
            pg_dump = _pg_tool("pg_dump")
            if pg_dump is None:
                raise _problem(store.url, "找不到 pg_dump,无法备份 PostgreSQL 结果库", "安装 postgresql-client", "backup")
            u = make_url(store.url).set(drivername="postgresql")
            proc = subprocess.run([pg_dump, "--format=custom", "--file", str(output),
                                   u.render_as_string(hide_password=False)], capture_output=True, text=True, timeout=3600)
            if proc.returncode != 0:
                raise _problem(store.url, f"pg_dump 失败:{proc.stderr.strip()[:300]}", code="backup")
            written.append(output)
        if store.archive_dir is not None and store.archive_dir.is_dir():
            target = output.with_name(output.stem + ".archive")
            shutil.copytree(store.archive_dir, target, dirs_exist_ok=True)
            written.append(target)
        return written
    finally:
        store.dispose()
