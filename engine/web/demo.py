"""``scorecard serve --demo``: the bundled examples stored as 自评 and 评估 rounds, and demo accounts."""

from __future__ import annotations

import secrets

from engine.rules.catalog import ROOT
from engine.store import accounts, workspace
from engine.store.db import Store

EXAMPLES = ("good-county", "weak-town")


def load_demo(store: Store, examples_dir=None, passwords: dict[str, str] | None = None) -> list[str]:
    """Store each example (once) and create the demo accounts (once). Returns lines to show the user."""
    from engine.evaluate.backends import get_backend
    from engine.evaluate.pipeline import load_rules, score
    from engine.rules.catalog import DEFAULT_RULES
    from engine.rules.profiles import resolve_profile
    from engine.store.record import RoundInput, default_uid, record_round
    from evidence.package import load_package

    examples_dir = examples_dir or ROOT / "examples"
    lines: list[str] = []
    rules = load_rules(DEFAULT_RULES, profile="base")
    uids: list[str] = []
    for name in EXAMPLES:
        path = examples_dir / name
        if not (path / "unit.yaml").is_file():
            lines.append(f"找不到示例 {path}(示例只随源码提供),跳过")
            continue
        scored = score(load_package(path, rules.ledgers), rules, get_backend("auto"))
        uid = default_uid(scored)
        uids.append(uid)
        with store.session() as session:
            exists = workspace.unit_by_uid(session, uid) is not None
        if exists:
            continue
        for kind in ("自评", "评估"):
            aid, _ = record_round(store, RoundInput(package=path, scored=scored, rules_dir=DEFAULT_RULES,
                                                    profile_file=resolve_profile("base"), kind=kind,
                                                    assessor="示例" if kind == "自评" else "示例评估组", uid=uid),
                                  rules.catalog)
            lines.append(f"已载入示例 {name}:{kind}(评估编号 {aid})")
    wanted = [("demo-admin", "admin", None, [], "演示管理员"), ("demo-evaluator", "evaluator", None, ["*"], "演示评估员")]
    wanted += [(f"demo-unit{k}", "unit", uid, [], f"演示单位用户{k}") for k, uid in enumerate(uids, 1)]
    with store.transaction() as session:
        for username, role, unit_uid, scopes, display in wanted:
            if accounts.find_user(session, username) is not None:
                continue
            password = (passwords or {}).get(username) or secrets.token_urlsafe(9)
            accounts.add_user(session, username, password, role, unit_uid=unit_uid, scopes=scopes, display_name=display)
            where = f",单位 {unit_uid}" if unit_uid else ""
            lines.append(f"演示账号 {username}({accounts.ROLE_ZH[role]}{where}),密码 {password}")
    return lines
