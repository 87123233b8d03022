"""Fixtures of the tests of the job's tools: a checkpoint directory, the JobManager's REST API as checkpoints.py
asks it, and the checkpoint inspector as prune calls it."""

import checkpoints
import pytest
from rest_stand_in import running_stand_in


@pytest.fixture
def root(tmp_path):
    """An empty checkpoint directory, as the volume is mounted at /checkpoints_flink."""
    directory = tmp_path / "checkpoints_flink"
    directory.mkdir()
    return directory


@pytest.fixture
def flink(monkeypatch):
    """The JobManager's REST API as prune asks it, with no job running unless the test adds one."""
    with running_stand_in() as stand_in:
        stand_in.answers["GET /jobs/overview"] = (200, {"jobs": []})
        # raising=False: the prune tests must fail on a checkpoints.py that asks nothing, not error on a missing name.
        monkeypatch.setattr(checkpoints, "DEFAULT_REST_URL", stand_in.url, raising=False)
        yield stand_in


@pytest.fixture
def no_inspector(monkeypatch):
    """The inspector as prune calls it for the kept checkpoints: none references a file besides its _metadata."""
    monkeypatch.setattr(
        "checkpoints.run_inspector",
        lambda jar, classpath, paths, source_uid=None: [{"referencedFiles": []} for _ in paths],
    )
