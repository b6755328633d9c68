"""`--regime` for driving: scenes that each ask for a safety-critical event."""
import pytest

import generators
from domains import get_domain
from domains.base import Split
from synthpipe.errors import InputDataError
from tests.generators.scene_fixtures import idm_scenes

driving = get_domain("driving")


@pytest.mark.parametrize("text, events", [
    ("cut-in", ["cut_in"]), ("Hard_Braking", ["hard_braking"]), ("cut-in+hard-braking", ["cut_in", "hard_braking"]),
    ("cut-in+cut-in", ["cut_in"]),
])
def test_event_regimes_parse(text, events):
    assert driving.parse_regime(text) == events


@pytest.mark.parametrize("text", ["high-vol", "cut-in+crash", "", "cut-in+"])
def test_unknown_event_regimes_are_refused_with_what_to_write(text):
    with pytest.raises(InputDataError, match="cut-in or hard-braking"):
        driving.parse_regime(text)


def test_every_scene_of_an_event_regime_asks_for_its_events_and_holds_them():
    scenes = idm_scenes(n_scenes=6, steps=60, seed=0)
    split = Split(scenes, scenes, "the same scenes on both sides")
    model = generators.create("traffic-mdn", epochs=2, hidden=16, random_state=0).fit(scenes)
    request = {"n": 3, "steps": 60, "conditions": [{}, {}, {}]}
    said = []
    synthetic, published = driving.sample(model, split, request, seed=0, regime="cut-in",
                                          progress=lambda *args: said.append(args))
    info = published.scene_info
    assert [done for done, _, _ in said] == [1, 2, 3] and said[-1][1] == 3
    assert said[-1][2] == info["tries"].sum() >= 3  # draws so far, every try counted
    assert len(info) == 3 and (info["requested_events"] == "cut_in").all()
    assert info["detected_events"].str.contains("cut_in").all()


def test_a_generator_without_event_requests_refuses_an_event_regime():
    scenes = idm_scenes(n_scenes=4, steps=40, seed=0)
    model = generators.create("sdv-idm", random_state=0).fit(scenes)
    with pytest.raises(InputDataError, match="takes no event requests.*traffic-mdn"):
        driving.sample(model, Split(scenes, scenes, ""), {"n": 2, "steps": 40, "conditions": [{}, {}]}, seed=0,
                       regime="hard-braking")


def _event_scenes():
    """The detector test's manoeuvres on a two-lane road: a hard braking (scene 0), a cut-in (1)."""
    import numpy as np
    import pandas as pd

    from generators.road import Road
    from generators.scenes import SceneSet
    from tests.generators.scene_fixtures import event_manoeuvres

    road = Road(np.arange(2) * 3.6, 3.6, 300.0)
    return SceneSet(event_manoeuvres(), pd.concat([road.lane_table(0), road.lane_table(1)], ignore_index=True), 0.1)


def test_realism_of_an_event_regime_leaves_out_the_vehicles_doing_the_requested_events():
    """The user asked for those manoeuvres; the traffic around them is what realism judges."""
    import pandas as pd

    from domains.driving.evaluation import realism_distances, requested_event_vehicles
    from domains.driving.measures import agent_step_features

    scenes = _event_scenes()
    scenes.scene_info = pd.DataFrame({"scene": [0, 1], "requested_events": ["hard_braking", ""]})
    # scene 1's cut-in was not asked for: it stays, as in real traffic
    assert requested_event_vehicles(scenes).to_numpy().tolist() == [[0, 0]]
    steady = agent_step_features(scenes.subset([1]))  # vehicles at a constant 12 m/s
    with_brake = realism_distances(scenes, steady)
    without = realism_distances(scenes, steady, requested_event_vehicles(scenes))
    assert without["acceleration"] < with_brake["acceleration"]
    assert without["speed"] < with_brake["speed"]
