"""Safe YAML reading with line numbers for error messages.

Only ``yaml.SafeLoader`` is used (no arbitrary objects). One change from YAML 1.1: booleans are
only ``true``/``false`` — the 1.1 words ``yes/no/on/off/y/n`` stay strings, so ``no: 22`` in an
indicator file is the key "no", and 否/no in a ledger is parsed by the ledger's own bool parser.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml


class SafeLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` with YAML 1.2 booleans (true/false only)."""


SafeLoader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
SafeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


FastLoader = None
if getattr(yaml, "CSafeLoader", None) is not None:  # libyaml: same resolvers, parsed in C (~5x faster)

    class FastLoader(yaml.CSafeLoader):  # type: ignore[no-redef]
        pass

    FastLoader.yaml_implicit_resolvers = SafeLoader.yaml_implicit_resolvers


def safe_load(text: str) -> Any:
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - SafeLoader subclass, no object construction
from pydantic import ValidationError

from engine.errors import InputError, Problem
from engine.files import decode_text, read_bytes


def read_yaml(path: Path, display: str | None = None) -> tuple[Any, yaml.Node | None]:
    """Return (data, node tree). Syntax errors become an InputError naming file and line."""
    return parse_yaml_bytes(read_file_bytes(path, display), display or str(path))


def read_file_bytes(path: Path, display: str | None = None, root: Path | None = None) -> bytes:
    """A file's bytes, read once (callers that digest a file and parse it use these for both), through the one
    safe reader (``engine.files``: regular files only, inside ``root`` if given, size-capped)."""
    return read_bytes(root, Path(path), display or str(path))


MAX_DEPTH = 100  # nesting of user YAML (a ledger record is 3 deep)
MAX_EXPANDED = 1_000_000  # nodes after alias expansion, where aliases are allowed (rule files)
_NON_FINITE = re.compile(r"^[-+]?\.(?:inf|Inf|INF|nan|NaN|NAN)$")
_ANCHOR_HINT = re.compile(r"(?:^|[\s\[{,:-])[&*][^\s,\]}]", re.MULTILINE)


def parse_yaml_bytes(data: bytes, name: str, *, aliases: bool = False) -> tuple[Any, yaml.Node | None]:
    """Like ``read_yaml`` for content already read (so a file is read from disk once).

    Bounded: nesting deeper than ``MAX_DEPTH`` is an error; anchors/aliases (``&a`` / ``*a``, the "billion laughs")
    are refused unless ``aliases`` (rule files), where their expansion is capped; a duplicate key and a non-finite
    number (``.inf``, ``.nan``) are located errors. The text goes through the one decode path (engine.files).
    """
    text = decode_text(data, name)
    node = None
    if FastLoader is not None:
        try:
            node = _compose(text, FastLoader)
        except yaml.YAMLError:
            node = None  # re-read with the pure-Python loader below for its (reference) error message
    if node is None:
        try:
            node = _compose(text, SafeLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            row = mark.line + 1 if mark is not None else None
            problem = getattr(exc, "problem", None) or str(exc)
            if "nesting depth" in str(problem):
                problem = f"嵌套层数过深(超过 {MAX_DEPTH} 层)"
            raise InputError(Problem(name, f"YAML 语法错误:{problem}", row=row, code="yaml")) from None
        except RecursionError:
            raise InputError(Problem(name, f"YAML 嵌套层数过深(超过 {MAX_DEPTH} 层)", code="yaml")) from None
    if node is None:
        return None, None
    hint = _ANCHOR_HINT.search(text) is not None  # without one, no node can be shared: no alias bookkeeping
    check_tree(node, name, aliases=aliases or not hint, cap=aliases and hint)
    try:
        loader = SafeLoader("")
        data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(Problem(name, f"YAML 内容错误:{getattr(exc, 'problem', None) or exc}",
                                 row=mark.line + 1 if mark is not None else None, code="yaml")) from None
    except (ValueError, TypeError, OverflowError) as exc:  # a value that matches a YAML type but cannot exist
        bad = _bad_scalar(node)
        raise InputError(Problem(name, f"无法解析的值:{exc}", row=bad[0] if bad else None, value=bad[1] if bad else None,
                                 expected="存在的日期(YYYY-MM-DD)", code="yaml")) from None
    return data, node


def _compose(text: str, loader_cls) -> yaml.Node | None:
    loader = loader_cls(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def check_tree(node: yaml.Node, name: str, *, aliases: bool, cap: bool = True) -> None:
    """One iterative walk: depth, aliases (a node met twice), expansion size, duplicate keys, non-finite numbers."""
    seen: set[int] = set()
    count = 0
    stack: list[tuple[yaml.Node, int]] = [(node, 1)]
    while stack:
        current, depth = stack.pop()
        count += 1
        line = current.start_mark.line + 1
        if depth > MAX_DEPTH:
            raise InputError(Problem(name, f"YAML 嵌套层数过深(超过 {MAX_DEPTH} 层)", row=line, code="yaml"))
        if cap and count > MAX_EXPANDED:
            raise InputError(Problem(name, "YAML 别名展开后过大(可能是“十亿笑声”攻击)", row=line, code="yaml"))
        if isinstance(current, yaml.ScalarNode):
            if current.tag == "tag:yaml.org,2002:float" and _NON_FINITE.match(current.value):
                raise InputError(Problem(name, "不允许无穷大或非数字(.inf/.nan)", row=line, value=current.value,
                                         expected="有限的数字", code="yaml"))
            continue
        if not aliases:
            if id(current) in seen:
                raise InputError(Problem(name, "不允许使用 YAML 锚点和别名(& 与 *)", row=line,
                                         expected="把内容直接写出", code="yaml"))
            seen.add(id(current))
        if isinstance(current, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in current.value)
        elif isinstance(current, yaml.MappingNode):
            keys: dict[str, int] = {}
            for k, v in current.value:
                if isinstance(k, yaml.ScalarNode):
                    if k.value == "<<" and not aliases:
                        raise InputError(Problem(name, "不允许使用 YAML 合并键(<<)", row=k.start_mark.line + 1,
                                                 code="yaml"))
                    if k.value in keys:
                        raise InputError(Problem(name, f"键「{k.value[:50]}」重复(第 {keys[k.value]} 行已出现)",
                                                 row=k.start_mark.line + 1, value=k.value[:200], expected="每个键只写一次",
                                                 code="duplicate_key"))
                    keys[k.value] = k.start_mark.line + 1
                stack.append((k, depth + 1))
                stack.append((v, depth + 1))


def _bad_scalar(root: yaml.Node) -> tuple[int, str] | None:
    """The first scalar (line, text) that the safe constructor cannot build, e.g. ``2023-02-30``."""
    stack = [root]
    ctor = SafeLoader("")
    while stack:
        node = stack.pop()
        if node is None:
            continue
        if isinstance(node, yaml.ScalarNode):
            try:
                ctor.construct_object(node)
            except (ValueError, TypeError, OverflowError, yaml.YAMLError):
                return node.start_mark.line + 1, node.value[:200]
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))
        elif isinstance(node, yaml.MappingNode):
            for k, v in reversed(node.value):
                stack.extend([v, k])
    return None


def line_of(node: yaml.Node | None, loc: tuple) -> int | None:
    """Follow a pydantic ``loc`` path through the YAML node tree; return the 1-based line."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if node is None:
            break
        nxt = None
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if str(k.value) == str(key):
                    nxt = v
                    line = k.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            nxt = node.value[key]
            line = nxt.start_mark.line + 1
        node = nxt
    return line


def validation_problems(exc: ValidationError, file: str, node: yaml.Node | None, prefix: tuple = ()) -> list[Problem]:
    """Turn pydantic errors into located problems (file, line, field path)."""
    problems = []
    for err in exc.errors():
        loc = prefix + tuple(err.get("loc", ()))
        field = ".".join(str(x) for x in loc if not str(x).startswith("function-")) or None
        value = err.get("input")
        shown = None if isinstance(value, (dict, list)) else (None if value is None else str(value))
        problems.append(
            Problem(
                file,
                _translate(err),
                row=line_of(node, loc),
                column=field,
                value=shown,
                code="schema",
            )
        )
    return problems


_MESSAGES = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不认识的字段(可能拼写错误)",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "bool_parsing": "应为 true/false",
    "date_from_datetime_parsing": "应为日期(YYYY-MM-DD)",
    "date_parsing": "应为日期(YYYY-MM-DD)",
    "date_type": "应为日期(YYYY-MM-DD)",
    "literal_error": "取值不在允许范围内",
    "string_type": "应为文本",
    "list_type": "应为列表",
    "dict_type": "应为映射(键: 值)",
    "model_type": "应为映射(键: 值)",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
}


def _translate(err: dict) -> str:
    base = _MESSAGES.get(err.get("type", ""))
    msg = err.get("msg", "")
    if err.get("type") == "value_error":
        return msg.removeprefix("Value error, ")
    if base:
        return f"{base}({msg})" if err.get("type") in ("literal_error", "greater_than_equal", "less_than_equal") else base
    return msg
