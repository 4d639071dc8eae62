"""Driver for the hostile corpus (tests/test_hostile_corpus.py): runs ``scorecard`` commands, one forked child per
case, each under an absolute memory limit of 1 GB and a 10 s wall-clock limit, with an audit hook recording every
``open``/``os.listdir``/``os.scandir`` of the child.

Memory: the child sets RLIMIT_AS to 1 GB (the whole address space of the process, interpreter included) before it
runs the command — the command modules (pydantic models, calamine, Jinja2, durable_rules ...) are imported lazily by
``scorecard`` itself, so they load under the limit; the driver imports only the command group and compiles the
rules (its VmSize, printed in the results, is a few tens of MB). The parent also reads each child's peak resident
size from ``os.wait4`` (``ru_maxrss``) and reports it, so the test asserts a measured figure, not only a limit.

Usage: python tests/hostile_run.py CASES.json RESULTS.json
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
import time
import traceback

MEMORY_LIMIT = 1 << 30  # 1 GB of address space per case, absolute
TIME_LIMIT = 10.0


def _vm_size() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _child(case: dict, main) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    for fd, name in ((1, case["stdout"]), (2, case["stderr"])):
        target = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(target, fd)
        os.close(target)
    opened: list[str] = []

    def hook(event, args):
        if event == "open" and args:
            path = args[0]
            if isinstance(path, (str, bytes)):
                opened.append(os.fsdecode(path))
        elif event in ("os.listdir", "os.scandir") and args:
            path = args[0]
            if isinstance(path, (str, bytes)):
                opened.append(os.fsdecode(path))

    os.chdir(case["cwd"])
    os.environ.update(case.get("env", {}))
    sys.addaudithook(hook)
    code = 0
    try:
        main.main(args=case["argv"], prog_name="scorecard", standalone_mode=True)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - reported as a traceback, as the real command would
        traceback.print_exc()
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # noqa: BLE001
        pass
    data = "\0".join(p for p in opened if p != case["opens"]).encode("utf-8", "surrogateescape")
    fd = os.open(case["opens"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.write(fd, data)
    os.close(fd)
    os._exit(code)


def main() -> None:
    cases = json.load(open(sys.argv[1], encoding="utf-8"))
    from engine.cli import main as cli  # noqa: F401 - imported once, before forking
    from engine.cli.main import main as group
    from engine.evaluate.pipeline import load_rules

    load_rules()
    base_vm = _vm_size()
    if base_vm > MEMORY_LIMIT // 4:
        raise SystemExit(f"the driver itself uses {base_vm >> 20} MB of address space before forking")
    results = []
    for case in cases:
        sys.stdout.flush()
        sys.stderr.flush()
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:
            try:
                _child(case, group)
            finally:
                os._exit(98)
        timed_out = False
        while True:
            done, status, usage = os.wait4(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() - started > TIME_LIMIT:
                os.kill(pid, signal.SIGKILL)
                _, status, usage = os.wait4(pid, 0)
                timed_out = True
                break
            time.sleep(0.005)
        results.append({
            "name": case["name"],
            "exit": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
            "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
            "timed_out": timed_out,
            "seconds": round(time.monotonic() - started, 3),
            "max_rss": usage.ru_maxrss * 1024,  # bytes (Linux reports KiB): the child's peak resident size
            "driver_vm": base_vm,
        })
    json.dump(results, open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False)


if __name__ == "__main__":
    main()
