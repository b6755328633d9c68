"""Privacy controls: a random share of the training recordings' vehicles that no generator learns,
the non-members of the membership attack."""
import numpy as np
import pytest

from domains import get_domain
from domains.driving.evaluation import _privacy
from domains.driving.privacy import mark_control_vehicles, track_records
from generators.scenes import CONTEXT_ONLY, SceneSet, learned
from generators.sdv_idm import SDVIDMGenerator
from synthpipe.errors import InputDataError
from tests.generators.scene_fixtures import idm_scenes
from validation.report import Report


def recordings(n: int = 4, steps: int = 200, seed: int = 0) -> SceneSet:
    """`n` long IDM recordings, one per scene id."""
    scenes = idm_scenes(n, steps=steps, seed=seed, length=300.0)
    return SceneSet(scenes.tracks, scenes.lanes, scenes.dt, {s: f"recording-{s}" for s in scenes.scene_ids})


def test_a_share_of_every_recordings_vehicles_are_controls():
    data = recordings()
    marked = mark_control_vehicles(data, 0.25, seed=0)
    per_vehicle = marked.tracks.groupby(["scene", "agent"])[CONTEXT_ONLY]
    assert (per_vehicle.nunique() == 1).all()  # whole vehicles, every row alike
    share = per_vehicle.first().groupby("scene").mean()
    vehicles = data.tracks.groupby("scene")["agent"].nunique()
    assert np.allclose(share, (0.25 * vehicles).round() / vehicles)
    again = mark_control_vehicles(marked, 0.25, seed=0)  # re-marking replaces, not adds
    assert again.tracks[CONTEXT_ONLY].equals(marked.tracks[CONTEXT_ONLY])
    assert not mark_control_vehicles(data, 0.25, seed=1).tracks[CONTEXT_ONLY].equals(marked.tracks[CONTEXT_ONLY])
    assert not mark_control_vehicles(data, 0.0, seed=0).tracks[CONTEXT_ONLY].any()
    with pytest.raises(InputDataError, match="control vehicle fraction"):
        mark_control_vehicles(data, 0.8, seed=0)


def test_controls_are_marked_in_training_scenes_only():
    driving = get_domain("driving")
    profile = driving.profile("quick").with_overrides(steps=40, stride=20)
    split = driving.split(recordings(), profile)
    assert CONTEXT_ONLY not in split.holdout.tracks
    assert 0.1 < split.train.tracks[CONTEXT_ONLY].mean() < 0.4
    assert "privacy controls" in split.description


def test_generators_that_cannot_keep_controls_out_get_scenes_without_them(monkeypatch):
    driving = get_domain("driving")
    profile = driving.profile("quick").with_overrides(steps=40, stride=20)
    train = driving.split(recordings(), profile).train
    assert driving.training_data(train, profile, "sdv-idm") is train  # it honours context_only itself
    monkeypatch.setattr(SDVIDMGenerator, "honours_context_only", False)
    stripped = driving.training_data(train, profile, "sdv-idm")
    assert CONTEXT_ONLY not in stripped.tracks and len(stripped.tracks) == learned(train.tracks).sum()


def _membership(published: SceneSet, split, profile) -> dict:
    report = Report()
    _privacy(report, published, split.train, split.holdout, profile, np.random.default_rng(0), 0)
    return {m.name: m for m in report.metrics}


def test_membership_attack_tells_copied_vehicles_from_controls_and_not_fresh_ones():
    driving = get_domain("driving")
    profile = driving.profile("quick").with_overrides(steps=40, stride=20, holdout_fraction=0.25)
    split = driving.split(recordings(8, steps=300), profile)
    _, _, control = track_records(split.train)
    assert control.sum() >= 20
    # a "generator" that publishes the vehicles it learned, as they were
    copy = SceneSet(split.train.tracks[learned(split.train.tracks)].drop(columns=CONTEXT_ONLY), split.train.lanes,
                    split.train.dt)
    copied = _membership(copy, split, profile)
    assert copied["membership_inference_auc"].value > 0.9 and not copied["membership_inference_auc"].passed
    assert 0 <= copied["membership_inference_auc[standard_error]"].value < 0.05
    assert copied["membership_inference_auc[recordings]"].threshold is None  # informational
    fresh = _membership(idm_scenes(30, steps=40, seed=7, length=300.0), split, profile)
    assert abs(fresh["membership_inference_auc"].value - 0.5) < 0.1
    assert 0.01 < fresh["membership_inference_auc[standard_error]"].value < 0.2


def test_too_few_controls_fail_the_gate_with_a_reason():
    driving = get_domain("driving")
    profile = driving.profile("quick").with_overrides(steps=40, stride=20, control_fraction=0.0)
    split = driving.split(recordings(), profile)
    metric = _membership(idm_scenes(6, steps=40, seed=7), split, profile)["membership_inference_auc"]
    assert metric.passed is False and "not measured" in metric.description
