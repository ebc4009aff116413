"""Atomic output folders and COG writing (gepkit.io.outputs)."""

from __future__ import annotations

import pytest

from gepkit.errors import OutputError
from gepkit.io.outputs import atomic_folder


def _entries(folder):
    return sorted(p.name for p in folder.iterdir())


def _fail_inside(target, error: BaseException, *, overwrite: bool) -> None:
    """Write a file into the temporary folder, then fail."""
    with atomic_folder(target, overwrite=overwrite) as work:
        (work / "half_written.csv").write_text("x", encoding="utf-8")
        raise error


# -- atomic_folder ------------------------------------------------------------------------------


def test_atomic_folder_moves_the_temporary_folder_into_place(tmp_path):
    """The block writes into a hidden sibling folder; on success it becomes the target."""
    target = tmp_path / "results" / "run1"
    with atomic_folder(target, overwrite=False) as work:
        assert work != target
        assert work.parent == target.parent
        assert work.name.startswith(".run1.tmp-")
        assert work.is_dir()
        assert not target.exists()  # nothing visible until the block succeeds
        (work / "accounts.csv").write_text("code,value\n", encoding="utf-8")
        (work / "maps").mkdir()
        (work / "maps" / "a.tif").write_bytes(b"x")
    assert (target / "accounts.csv").read_text(encoding="utf-8") == "code,value\n"
    assert (target / "maps" / "a.tif").read_bytes() == b"x"
    assert not work.exists()
    assert _entries(target.parent) == ["run1"]


@pytest.mark.parametrize("error", [ValueError("boom"), KeyboardInterrupt()])
def test_atomic_folder_leaves_no_trace_when_the_block_raises(tmp_path, error):
    """An exception (even KeyboardInterrupt) removes the temporary folder; no target appears."""
    target = tmp_path / "run1"
    with pytest.raises(type(error)):
        _fail_inside(target, error, overwrite=False)
    assert not target.exists()
    assert _entries(tmp_path) == []


def test_atomic_folder_failure_keeps_the_previous_results(tmp_path):
    """With overwrite=True, a failing block leaves the old folder exactly as it was."""
    target = tmp_path / "run1"
    target.mkdir()
    (target / "old.csv").write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError):
        _fail_inside(target, RuntimeError("model failed"), overwrite=True)
    assert _entries(target) == ["old.csv"]
    assert (target / "old.csv").read_text(encoding="utf-8") == "old"
    assert _entries(tmp_path) == ["run1"]


def test_atomic_folder_refuses_a_non_empty_folder_without_overwrite(tmp_path):
    """OutputError before the block runs; the existing folder is untouched."""
    target = tmp_path / "run1"
    target.mkdir()
    (target / "old.csv").write_text("old", encoding="utf-8")
    ran = False
    with pytest.raises(OutputError) as err, atomic_folder(target, overwrite=False):
        ran = True
    assert not ran
    assert str(target) in str(err.value)
    assert "--overwrite" in str(err.value)
    assert _entries(target) == ["old.csv"]
    assert _entries(tmp_path) == ["run1"]


def test_atomic_folder_refuses_an_existing_file_without_overwrite(tmp_path):
    """A file where the folder should go is refused too."""
    target = tmp_path / "run1"
    target.write_text("a file", encoding="utf-8")
    with pytest.raises(OutputError), atomic_folder(target, overwrite=False):
        pass
    assert target.read_text(encoding="utf-8") == "a file"


def test_atomic_folder_accepts_an_existing_empty_folder(tmp_path):
    """An empty folder may be written into without --overwrite."""
    target = tmp_path / "run1"
    target.mkdir()
    with atomic_folder(target, overwrite=False) as work:
        (work / "a.csv").write_text("a", encoding="utf-8")
    assert _entries(target) == ["a.csv"]
    assert _entries(tmp_path) == ["run1"]


def test_atomic_folder_overwrite_replaces_the_folder(tmp_path):
    """overwrite=True: the old contents are gone, only the new ones remain, no leftovers."""
    target = tmp_path / "run1"
    target.mkdir()
    (target / "old.csv").write_text("old", encoding="utf-8")
    (target / "sub").mkdir()
    (target / "sub" / "old.tif").write_bytes(b"old")
    with atomic_folder(target, overwrite=True) as work:
        assert _entries(target) == ["old.csv", "sub"]  # still there during the run
        (work / "new.csv").write_text("new", encoding="utf-8")
    assert _entries(target) == ["new.csv"]
    assert _entries(tmp_path) == ["run1"]
