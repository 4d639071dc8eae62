"""Symlinks and the one safe reader (engine.files; issue 12, point 1 and the command-line policy).

- A file named on the command line (``root`` None: --review, --waivers, --profile, diff inputs, a review sheet)
  may be a symlink: it is followed, and its target must be a regular file within the size cap.
- A file inside a folder (evidence package, --template folder, --calendar folder) must resolve inside it, and the
  refusal names that folder (证据包 / 模板目录 / 共享节假日安排目录).
End-to-end cases: tests/hostile_cases.py ``cli_link_*``, ``path_*``.
"""

from __future__ import annotations

import os

import pytest

from engine.errors import InputError
from engine.files import SHARED_CALENDAR_DIR, TEMPLATE_DIR, read_bytes


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "review.yaml").write_text("verdicts: []\n", encoding="utf-8")
    (tmp_path / "in").mkdir()
    os.symlink(tmp_path / "shared" / "review.yaml", tmp_path / "in" / "review.yaml")
    return tmp_path


def test_named_file_link_is_followed(tree):
    assert read_bytes(None, tree / "in" / "review.yaml", "in/review.yaml") == b"verdicts: []\n"


@pytest.mark.parametrize("make, words", [
    (lambda p: os.mkfifo(p), "命名管道"),
    (lambda p: p.mkdir(), "目录"),
    (lambda p: None, "不存在"),
])
def test_named_file_link_target_must_be_a_regular_file(tree, make, words):
    target = tree / "shared" / "target"
    make(target)
    os.symlink(target, tree / "in" / "x.yaml")
    with pytest.raises(InputError) as exc:
        read_bytes(None, tree / "in" / "x.yaml", "in/x.yaml")
    assert "in/x.yaml" in str(exc.value) and words in str(exc.value)


def test_named_file_link_target_size_is_capped(tree, monkeypatch):
    monkeypatch.setenv("SCORECARD_MAX_FILE_MB", "1")
    (tree / "shared" / "big.yaml").write_bytes(b"x" * (2 << 20))
    os.symlink(tree / "shared" / "big.yaml", tree / "in" / "big.yaml")
    with pytest.raises(InputError) as exc:
        read_bytes(None, tree / "in" / "big.yaml", "in/big.yaml")
    assert "过大" in str(exc.value)


@pytest.mark.parametrize("scope", [None, TEMPLATE_DIR, SHARED_CALENDAR_DIR])
def test_link_out_of_a_folder_is_refused_naming_the_folder(tree, scope):
    kwargs = {} if scope is None else {"scope": scope}
    with pytest.raises(InputError) as exc:
        read_bytes(tree / "in", tree / "in" / "review.yaml", "review.yaml", **kwargs)
    assert f"指向{scope or '证据包'}之外" in str(exc.value)
