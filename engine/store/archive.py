"""佐证归档: files kept by their SHA-256 (``ab/abcdef…``), written once, checked when read back.

The same file in a hundred rounds is stored once. Writing is atomic (temp file + rename) and happens before
the database transaction commits; a failed command can leave an unreferenced blob, never a broken reference.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from engine.errors import InputError, Problem


@dataclass(frozen=True)
class Stored:
    role: str  # package | rules | profile | waivers
    path: str  # relative path ("/" separated) inside its role
    sha256: str
    size: int


class Archive:
    def __init__(self, root: Path):
        self.root = Path(root)

    def blob(self, sha: str) -> Path:
        if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
            raise InputError(Problem("佐证归档", "不是有效的 SHA-256 摘要", value=sha, expected="64 位十六进制小写字符",
                                     code="archive"))
        return self.root / sha[:2] / sha

    def put_bytes(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        target = self.blob(sha)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{sha}.{os.getpid()}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, target)
        return sha

    def put_file(self, path: Path, root: Path | None = None, display: str | None = None) -> tuple[str, int]:
        """Archive a file read through the one safe reader (``engine.files``: regular files inside ``root``)."""
        from engine.files import read_bytes

        data = read_bytes(root, Path(path), display)
        return self.put_bytes(data), len(data)

    def get(self, sha: str) -> bytes:
        path = self.blob(sha)
        if not path.is_file():
            raise InputError(Problem(f"佐证归档 {self.root}", f"归档中缺少文件 {sha[:12]}…", value=sha,
                                     expected="完整的归档目录(备份时与数据库一同复制)", code="archive_missing"))
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != sha:
            raise InputError(Problem(f"佐证归档 {path}", "归档文件已损坏(摘要不符)", value=sha, code="archive_corrupt"))
        return data

    def restore(self, files: list[Stored], dest: Path) -> None:
        """Write files under ``dest/<role>/<path>`` (paths were checked relative when stored)."""
        for f in files:
            target = dest / f.role / f.path
            if ".." in Path(f.path).parts or Path(f.path).is_absolute():
                raise InputError(Problem("佐证归档", "归档路径不合法", value=f.path, code="archive"))
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(self.get(f.sha256))


def package_files(root: Path) -> Iterator[tuple[str, Path]]:
    """Every regular file of a package (relative path, path); links pointing outside the package are skipped."""
    root = Path(root)
    real_root = root.resolve()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith(".") or name.startswith("~$"):
                continue
            path = Path(dirpath) / name
            try:
                real = path.resolve()
            except (OSError, RuntimeError):
                continue
            if not (real_root in real.parents) or not stat.S_ISREG(os.stat(real).st_mode):
                continue  # a link out of the package, a FIFO or a device: never read
            yield path.relative_to(root).as_posix(), path
