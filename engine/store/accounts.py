"""Accounts of the web workspace (账号): who may sign in, with which role, over which units.

Roles: ``admin`` (管理员: units and users), ``evaluator`` (评估人员: every unit inside the scopes given to them),
``unit`` (单位用户: only their own unit, by its stable id). Passwords are kept as argon2id hashes (argon2-cffi);
changing a password or disabling an account bumps ``session_version`` so signed-in sessions end at once.
The CLI (``scorecard user``) and the web admin page both go through these functions.
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.errors import InputError, Problem
from engine.store.models import Setting, Unit, User, utcnow

ROLES = ("admin", "evaluator", "unit")
ROLE_ZH = {"admin": "管理员", "evaluator": "评估人员", "unit": "单位用户"}
ROLE_WORDS = {**{r: r for r in ROLES}, **{zh: r for r, zh in ROLE_ZH.items()}}
MIN_PASSWORD = 8

_hasher = PasswordHasher()
_DUMMY = _hasher.hash("scorecard-dummy-password")


def _problem(message: str, expected: str | None = None, value: str | None = None, code: str = "account") -> InputError:
    return InputError(Problem("账号", message, value=value, expected=expected, code=code))


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise _problem(f"密码太短(至少 {MIN_PASSWORD} 个字符)", f"至少 {MIN_PASSWORD} 个字符的密码", code="weak_password")
    return _hasher.hash(password)


def role_of(word: str) -> str:
    role = ROLE_WORDS.get(str(word).strip())
    if role is None:
        raise _problem(f"未知的角色「{word}」", "管理员(admin)、评估人员(evaluator)或单位用户(unit)", word, "bad_role")
    return role


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def get_user(session: Session, username: str) -> User:
    user = find_user(session, username)
    if user is None:
        raise _problem(f"没有账号「{username}」", "已建立的账号名(scorecard user list 列出全部账号)", username, "unknown_user")
    return user


def add_user(session: Session, username: str, password: str, role: str, *, unit_uid: str | None = None,
             scopes: list[str] | None = None, display_name: str = "") -> User:
    username = username.strip()
    if not username or len(username) > 100 or any(c.isspace() for c in username):
        raise _problem("账号名不能为空、不能含空格,且不超过 100 个字符", value=username, code="bad_username")
    role = role_of(role)
    scopes = [s.strip() for s in scopes or [] if s.strip()]
    if role == "unit" and not unit_uid:
        raise _problem("单位用户必须指定所属单位", "--unit 单位编号(地区/名称)", code="no_unit")
    if role != "unit" and unit_uid:
        raise _problem("只有单位用户才有所属单位", value=unit_uid, code="bad_unit")
    if role == "evaluator" and not scopes:
        raise _problem("评估人员必须指定评估范围", "--scope 地区前缀或单位编号(可多次);* 表示全部单位", code="no_scope")
    if role != "evaluator" and scopes:
        raise _problem("只有评估人员才有评估范围", value="、".join(scopes), code="bad_scope")
    if find_user(session, username) is not None:
        raise _problem(f"账号「{username}」已存在", "新的账号名;修改密码用 scorecard user passwd", username, "duplicate_user")
    user = User(username=username, display_name=display_name.strip() or username, role=role,
                unit_uid=unit_uid.strip() if unit_uid else None, scopes=scopes,
                password_hash=hash_password(password), active=True, session_version=1)
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        raise _problem(f"账号「{username}」已存在", value=username, code="duplicate_user") from None
    return user


def set_password(session: Session, username: str, password: str) -> User:
    user = get_user(session, username)
    user.password_hash = hash_password(password)
    user.session_version += 1
    return user


def set_active(session: Session, username: str, active: bool) -> User:
    user = get_user(session, username)
    if user.active != active:
        user.active = active
        user.session_version += 1
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this password, else None (a missing account costs the same hashing time)."""
    user = find_user(session, username.strip())
    if user is None or not user.active:
        try:
            _hasher.verify(_DUMMY, password + "x")
        except VerificationError:
            pass
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = utcnow()
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.role, User.username)).all())


def unit_in_scope(user: User, unit: Unit) -> bool:
    """Whether ``user`` may see ``unit``: admin all; evaluator by scope (地区前缀 or 单位编号); unit user its own."""
    if not user.active:
        return False
    if user.role == "admin":
        return True
    if user.role == "unit":
        return unit.uid == user.unit_uid
    for scope in user.scopes or []:
        if scope == "*" or unit.uid == scope or (unit.region or "").startswith(scope) or unit.uid.startswith(scope + "/"):
            return True
    return False


def secret(session: Session, key: str = "session_secret") -> str:
    """A random secret kept in the database (made on first use): every server process signs with the same key."""
    row = session.get(Setting, key)
    if row is None:
        row = Setting(key=key, value=secrets.token_urlsafe(48))
        session.add(row)
        session.flush()
    return row.value
