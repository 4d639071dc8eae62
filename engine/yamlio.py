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


def _load_with_node(text: str, loader_cls) -> tuple[Any, yaml.Node | None]:
    """Parse once: compose the node tree (for line numbers) and construct the data from it."""
    loader = loader_cls(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return data, node


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


def parse_yaml_bytes(data: bytes, name: str) -> tuple[Any, yaml.Node | None]:
    """Like ``read_yaml`` for content already read (so a file is read from disk once)."""
    text = decode_text(data, name)
    if FastLoader is not None:
        try:
            return _load_with_node(text, FastLoader)
        except (ValueError, TypeError, OverflowError):
            pass  # an impossible date such as 2023-02-30: located below
        except yaml.YAMLError:
            pass  # re-read with the pure-Python loader below for its (reference) error message
    try:
        data, node = _load_with_node(text, SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(Problem(name, f"YAML 语法错误:{problem}", row=row, code="yaml")) from None
    except (ValueError, TypeError, OverflowError) as exc:  # a value that matches a YAML type but cannot exist
        bad = _bad_scalar(text)
        raise InputError(Problem(name, f"无法解析的值:{exc}", row=bad[0] if bad else None, value=bad[1] if bad else None,
                                 expected="存在的日期(YYYY-MM-DD)", code="yaml")) from None
    return data, node


def _bad_scalar(text: str) -> tuple[int, str] | None:
    """The first scalar (line, text) that the safe constructor cannot build, e.g. ``2023-02-30``."""
    stack = [yaml.compose(text, Loader=SafeLoader)]
    ctor = SafeLoader("")
    while stack:
        node = stack.pop()
        if node is None:
            continue
        if isinstance(node, yaml.ScalarNode):
            try:
                ctor.construct_object(node)
            except (ValueError, TypeError, OverflowError):
                return node.start_mark.line + 1, node.value
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
