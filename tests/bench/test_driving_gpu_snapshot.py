"""The scene snapshot that carries recordings to a GPU machine reads back exactly, or not at all."""
import sys
from pathlib import Path

import pytest

from tests.generators.scene_fixtures import idm_scenes

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from driving_gpu import read_scenes, write_snapshot  # noqa: E402


def test_snapshot_reads_back_as_the_same_recordings(tmp_path):
    scenes = idm_scenes(n_scenes=3, steps=20)
    scenes.recordings = {int(s): f"rec-{s % 2}" for s in scenes.scene_ids}
    fingerprint = write_snapshot(scenes, tmp_path / "snap")
    back = read_scenes(tmp_path / "snap")
    assert back.fingerprint() == fingerprint == scenes.fingerprint()
    assert back.recordings == scenes.recordings and back.dt == scenes.dt


def test_a_changed_snapshot_is_refused(tmp_path):
    scenes = idm_scenes(n_scenes=2, steps=20)
    write_snapshot(scenes, tmp_path / "snap")
    tracks = scenes.tracks.copy()
    tracks.loc[0, "x"] += 1.0
    tracks.to_parquet(tmp_path / "snap" / "tracks.parquet", index=False)
    with pytest.raises(SystemExit, match="fingerprint differs"):
        read_scenes(tmp_path / "snap")
