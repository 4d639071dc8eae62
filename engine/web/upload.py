"""填报: a unit's package uploaded as a zip, unpacked safely, validated, scored in a background worker, stored
as a 自评 round.

The zip is refused with a Chinese message when an entry would land outside the folder (zip-slip: absolute
paths, ``..``, drive letters), is a symlink or a special file, or when the archive exceeds the caps on entries,
unpacked size or compression ratio. The work runs in a thread pool; the page polls the job's progress.
"""

from __future__ import annotations

import datetime as dt
import shutil
import stat
import tempfile
import threading
import uuid
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from engine.errors import InputError, Problem

MAX_UPLOAD = 50 * 1024 * 1024  # bytes of the zip itself
MAX_UNPACKED = 300 * 1024 * 1024
MAX_FILES = 2000
MAX_RATIO = 200  # unpacked / compressed, per entry (zip bombs)


def _refuse(message: str, value: str | None = None, expected: str | None = None) -> InputError:
    return InputError(Problem("上传的压缩包", message, value=value, expected=expected, code="upload"))


def _entry_name(info: zipfile.ZipInfo) -> str:
    name = info.filename
    if not info.flag_bits & 0x800:  # not flagged UTF-8: Windows zips of Chinese names are usually GBK
        try:
            name = info.filename.encode("cp437").decode("gbk")
        except (UnicodeEncodeError, UnicodeDecodeError):
            name = info.filename
    return name.replace("\\", "/")


def safe_extract(zip_path: Path, dest: Path, *, max_files: int = MAX_FILES, max_unpacked: int = MAX_UNPACKED) -> Path:
    """Unpack ``zip_path`` into ``dest`` after checking every entry; returns the package root inside ``dest``."""
    try:
        zf = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError):
        raise _refuse("不是有效的 zip 压缩包", expected="把证据包文件夹压缩成 .zip 后上传") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > max_files:
            raise _refuse(f"压缩包内文件过多({len(infos)} 个)", expected=f"不超过 {max_files} 个文件")
        total = 0
        plan: list[tuple[zipfile.ZipInfo, PurePosixPath]] = []
        for info in infos:
            name = _entry_name(info)
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise _refuse("压缩包内含符号链接,已拒绝", name, "只包含普通文件和文件夹")
            if stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):  # 0: no type recorded
                raise _refuse("压缩包内含特殊文件,已拒绝", name, "只包含普通文件和文件夹")
            path = PurePosixPath(name)
            if (name.startswith("/") or ".." in path.parts or (path.parts and ":" in path.parts[0])
                    or "\x00" in name):
                raise _refuse("压缩包内的路径指向证据包之外,已拒绝", name, "证据包文件夹内的相对路径")
            if info.is_dir():
                continue
            total += info.file_size
            if total > max_unpacked:
                raise _refuse(f"解压后超过 {max_unpacked // (1024 * 1024)} MB", expected="更小的证据包(大附件可分批提交)")
            if info.compress_size and info.file_size / info.compress_size > MAX_RATIO and info.file_size > 1024 * 1024:
                raise _refuse("压缩比异常(疑似压缩炸弹),已拒绝", name)
            if path.parts and not path.parts[0].startswith("__MACOSX"):
                plan.append((info, path))
        if not plan:
            raise _refuse("压缩包是空的", expected="包含 unit.yaml 和 ledgers/ 的证据包")
        dest.mkdir(parents=True, exist_ok=True)
        root = dest.resolve()
        written = 0
        for info, path in plan:
            target = (root / Path(*path.parts)).resolve()
            if root not in target.parents:
                raise _refuse("压缩包内的路径指向证据包之外,已拒绝", str(path))
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(target, "wb") as out:
                while chunk := src.read(1 << 20):
                    written += len(chunk)
                    if written > max_unpacked:  # sizes in the directory can lie
                        raise _refuse(f"解压后超过 {max_unpacked // (1024 * 1024)} MB")
                    out.write(chunk)
    return package_root(root)


def package_root(root: Path) -> Path:
    """The folder holding unit.yaml: the zip's root, or its single top-level folder."""
    if (root / "unit.yaml").is_file():
        return root
    entries = [p for p in root.iterdir() if not p.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_dir() and (entries[0] / "unit.yaml").is_file():
        return entries[0]
    raise _refuse("压缩包中找不到 unit.yaml", expected="压缩包根目录(或唯一的顶层文件夹)中有 unit.yaml 和 ledgers/")


# ------------------------------------------------------------------ background jobs

STAGES = ["已接收", "解压并检查", "校验证据包", "评分", "存入结果库", "完成"]


STALE_AFTER = dt.timedelta(minutes=15)  # a job still "running" this long after its last step was interrupted


@dataclass
class Job:
    id: str
    owner: int  # user id
    unit_uid: str
    filename: str
    stage: int = 0
    state: str = "running"  # running | failed | done
    problems: list[dict] = field(default_factory=list)
    assessment: int | None = None
    message: str = ""
    save: Callable[[Job], None] | None = field(default=None, repr=False, compare=False)

    @property
    def percent(self) -> int:
        return 100 if self.state != "running" else int(self.stage * 100 / (len(STAGES) - 1))

    def advance(self, stage: int) -> None:
        """Move to ``stage`` (kept in the store, so any server process shows the progress)."""
        self.stage = stage
        if self.save is not None:
            self.save(self)

    def to_dict(self) -> dict:
        return {"id": self.id, "state": self.state, "stage": STAGES[self.stage], "percent": self.percent,
                "assessment": self.assessment, "message": self.message, "problems": self.problems}


class Jobs:
    """Upload jobs run one or two at a time in worker threads of the process that received the upload; their
    stage and outcome are kept in the store (``upload_jobs``), so a restart or another server process still shows
    them. A job a stopped process left "running" shows as interrupted once it has not moved for ``STALE_AFTER``."""

    def __init__(self, workers: int = 1, store=None):
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="scorecard-upload")
        self.store = store
        self.jobs: dict[str, Job] = {}  # without a store (tests of the worker alone): kept here
        self.lock = threading.Lock()

    def submit(self, owner: int, unit_uid: str, filename: str, zip_path: Path, work) -> Job:
        job = Job(id=uuid.uuid4().hex, owner=owner, unit_uid=unit_uid, filename=filename[:300], save=self._save)
        self._save(job, new=True)
        self.pool.submit(self._run, job, zip_path, work)
        return job

    def _save(self, job: Job, new: bool = False) -> None:
        if self.store is None:
            with self.lock:
                self.jobs[job.id] = job
            return
        from engine.store import workspace

        with self.store.transaction() as session:
            workspace.save_job(session, job.id, owner=job.owner, unit_uid=job.unit_uid, filename=job.filename,
                               stage=job.stage, state=job.state, problems=job.problems, assessment=job.assessment,
                               message=job.message, new=new)

    def get(self, job_id: str) -> Job | None:
        if self.store is None:
            with self.lock:
                return self.jobs.get(job_id)
        from engine.store import workspace

        if len(job_id) != 32 or any(c not in "0123456789abcdef" for c in job_id):
            return None
        with self.store.session() as session:
            row = workspace.upload_job(session, job_id)
            if row is None:
                return None
            job = Job(id=row.id, owner=row.owner_id, unit_uid=row.unit_uid, filename=row.filename, stage=row.stage,
                      state=row.state, problems=list(row.problems or []), assessment=row.assessment_id,
                      message=row.message)
            updated = row.updated_at if row.updated_at.tzinfo else row.updated_at.replace(tzinfo=dt.timezone.utc)
        if job.state == "running" and dt.datetime.now(dt.timezone.utc) - updated > STALE_AFTER:
            job.state = "failed"
            job.message = "处理中断(服务器在处理期间重启或停止),请重新上传。"
        return job

    def _run(self, job: Job, zip_path: Path, work) -> None:
        tmp = Path(tempfile.mkdtemp(prefix="scorecard-upload-"))
        try:
            job.advance(1)
            root = safe_extract(zip_path, tmp / "package")
            job.assessment = work(job, root)
            job.stage = len(STAGES) - 1
            job.state = "done"
        except InputError as exc:
            job.problems = [p.to_dict() | {"location": p.location()} for p in exc.problems]
            job.state = "failed"
            job.message = "证据包有问题,请按下列提示修改后重新上传。"
        except Exception as exc:  # pragma: no cover - shown to the user instead of a silent failure
            job.state = "failed"
            job.message = f"处理失败:{type(exc).__name__}"
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
            zip_path.unlink(missing_ok=True)
        try:
            self._save(job)
        except Exception:  # pragma: no cover - the store went away: the job shows as interrupted later
            pass

    def shutdown(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
