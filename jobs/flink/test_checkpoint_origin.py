import json
import struct
from pathlib import Path

import pytest
from checkpoint_origin import (
    BOTH_MODES,
    METADATA_MAGIC,
    PROCESS_MODE_RECORD,
    THREAD_MODE_RECORD,
    Origin,
    Runtime,
    execution_mode,
    local_folder,
    metadata_header,
    origin_of,
    origin_short,
    origin_text,
    parse_formats,
    restore_problem,
)

REPO = Path(__file__).resolve().parents[2]
TESTDATA = Path(__file__).parent / "testdata"
# Real checkpoints of the job, one per Flink line: _metadata as Flink wrote it, all state inline.
# Flink 1.20, process mode: chk-5 of a ci stack's e2e run (see test_checkpoints.py).
CHECKPOINT_1_20 = TESTDATA / "real-checkpoints" / "8148a985ff323876439d2774e50e39d6" / "chk-5"
# Flink 2.2, thread mode: chk-12 of a docker stack upgraded from 1.20 through a savepoint (docs/upgrade.md).
CHECKPOINT_2_2 = TESTDATA / "real-checkpoints-2.2" / "eec559a4370dd895515687e4dbd21efb" / "chk-12"
REAL = {"1.20": CHECKPOINT_1_20, "2.2": CHECKPOINT_2_2}
VERSIONS = json.loads((REPO / "versions.json").read_text())
FORMATS = {line: pinned["checkpointFormat"] for line, pinned in VERSIONS["flinkLines"].items()}


def checkpoint(folder: Path, version: int = 4, checkpoint_id: int = 7, state: dict[str, bytes] | None = None) -> Path:
    """A chk-N folder: _metadata with the header Flink writes, then `state` as files beside it."""
    folder.mkdir(parents=True)
    header = METADATA_MAGIC + struct.pack(">iq", version, checkpoint_id)
    (folder / "_metadata").write_bytes(header + (state or {}).pop("_metadata", b""))
    for name, content in (state or {}).items():
        (folder / name).write_bytes(content)
    return folder


def test_versions_json_names_the_format_each_line_writes_as_read_from_a_real_checkpoint_of_that_line():
    assert set(REAL) == set(FORMATS), "every Flink line of versions.json needs a real checkpoint here"
    for line, folder in REAL.items():
        assert metadata_header(str(folder))[0] == FORMATS[line], line


def test_the_real_checkpoints_say_which_line_and_which_mode_wrote_them():
    assert origin_of(str(CHECKPOINT_1_20), FORMATS) == Origin(format=4, lines=("1.20",), mode="process")
    assert origin_of(str(CHECKPOINT_2_2), FORMATS) == Origin(format=6, lines=("2.2",), mode="thread")
    assert metadata_header(str(CHECKPOINT_1_20)) == (4, 5)
    assert metadata_header(str(CHECKPOINT_2_2)) == (6, 12)


def test_the_mode_is_read_from_state_files_beside_metadata_too(tmp_path):
    # Above the inline threshold the keyed state (and its state names) is a file of the chk-N folder.
    folder = checkpoint(tmp_path / "chk-3", state={"f3a1": b"\x00" * 100 + THREAD_MODE_RECORD + b"\x01" * 100})
    assert execution_mode(str(folder)) == "thread"
    # A name split across the reading chunks' border is found all the same.
    big = tmp_path / "chk-4"
    checkpoint(big, state={"f4": b"\x00" * ((1 << 20) - 10) + PROCESS_MODE_RECORD})
    assert execution_mode(str(big)) == "process"


def test_thread_mode_s_name_inside_process_mode_s_is_not_taken_for_thread_mode(tmp_path):
    # `window-contents` is the end of `python-state-window-contents`, but not with its own length before it.
    folder = checkpoint(tmp_path / "chk-1", state={"_metadata": PROCESS_MODE_RECORD})
    assert execution_mode(str(folder)) == "process"


def test_a_checkpoint_without_window_state_or_written_in_both_modes_has_no_single_mode(tmp_path):
    assert execution_mode(str(checkpoint(tmp_path / "chk-1"))) is None
    both = checkpoint(tmp_path / "chk-2", state={"_metadata": THREAD_MODE_RECORD + PROCESS_MODE_RECORD})
    assert execution_mode(str(both)) == BOTH_MODES
    assert execution_mode(str(tmp_path / "gone")) is None


def test_metadata_that_is_not_flink_s_has_no_header(tmp_path):
    folder = tmp_path / "chk-1"
    folder.mkdir()
    (folder / "_metadata").write_bytes(b"not Flink's metadata")
    assert metadata_header(str(folder)) is None
    assert origin_of(str(folder), FORMATS) == Origin(format=None, lines=(), mode=None)


def test_formats_are_parsed_from_the_stack_s_option_and_bad_ones_named():
    assert parse_formats("1.20=4,2.2=6") == {"1.20": 4, "2.2": 6}
    with pytest.raises(ValueError, match=r"'2\.2' is not <line>=<format>"):
        parse_formats("1.20=4,2.2")


def test_local_folder_takes_the_names_flink_and_users_give():
    for reference in ("file:/c/j/chk-3", "file:///c/j/chk-3", "/c/j/chk-3/", "file:///c/j/chk-3/_metadata"):
        assert local_folder(reference) == "/c/j/chk-3"


RUNTIME_1_20 = Runtime(line="1.20", formats=FORMATS, mode="thread")


def test_a_newer_line_s_checkpoint_is_refused_naming_both_lines_and_what_to_do():
    problem = restore_problem(Origin(6, ("2.2",), "thread"), RUNTIME_1_20)
    assert problem is not None
    assert problem.reason == "written by Flink 2.2, newer than 1.20"
    assert "written by Flink 2.2, and this stack runs Flink 1.20" in problem.message
    assert 'Unrecognized checkpoint version number: 6"' in problem.message
    assert "run Flink 2.2 again (flinkVersion)" in problem.message and "without restoreFrom" in problem.message
    # A format no line of the stack writes is newer all the same.
    assert "of a newer line (metadata format 9)" in restore_problem(Origin(9, (), "thread"), RUNTIME_1_20).message


def test_an_older_line_s_checkpoint_and_the_same_line_s_are_restorable():
    runtime = Runtime(line="2.2", formats=FORMATS, mode="thread")
    assert restore_problem(Origin(4, ("1.20",), "thread"), runtime) is None
    assert restore_problem(Origin(6, ("2.2",), "thread"), runtime) is None
    assert restore_problem(Origin(4, ("1.20",), "thread"), RUNTIME_1_20) is None


def test_the_other_execution_mode_is_refused_naming_both_state_names():
    problem = restore_problem(Origin(4, ("1.20",), "process"), RUNTIME_1_20)
    assert problem.reason == "written in process mode, this stack runs thread"
    assert "'python-state-window-contents'" in problem.message and "looks for 'window-contents'" in problem.message
    assert "restore it with pythonExecutionMode process" in problem.message


def test_what_cannot_be_told_stands_in_no_restore_s_way():
    # No window state yet, both modes (switched earlier), or a runtime whose mode is not known.
    for mode in (None, BOTH_MODES):
        assert restore_problem(Origin(4, ("1.20",), mode), RUNTIME_1_20) is None
    assert restore_problem(Origin(4, ("1.20",), "process"), Runtime("1.20", FORMATS, None)) is None


def test_origins_in_words():
    assert origin_short(Origin(4, ("1.20",), "thread")) == "1.20 thread"
    assert origin_short(Origin(9, (), None)) == "format 9 no window state"
    assert origin_text(Origin(6, ("2.2",), BOTH_MODES)) == (
        "Flink 2.2 (metadata format 6), thread and process mode (switched at an earlier restore)"
    )
