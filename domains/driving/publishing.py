"""Published files of a driving dataset: Parquet tables, a CommonRoad scenario per scene,
bird's-eye-view previews and animations, and the data card."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from catalog.card import render_card
from domains.base import Split, require
from domains.driving.commonroad_export import scenario_name, write_scenario
from domains.driving.measures import REALISM_FEATURES, agent_step_features
from domains.driving.profiles import DrivingProfile
from generators.scenes import AREA_COLUMNS, SceneSet
from validation.report import Report

TRACKS, LANES, SCENES = "tracks.parquet", "lanes.parquet", "scenes.parquet"


def write(published: SceneSet, split: Split, report: Report, folder: Path, context: dict,
          profile: DrivingProfile) -> None:
    published.tracks.to_parquet(folder / TRACKS, index=False)
    published.lanes.to_parquet(folder / LANES, index=False)
    table = scene_table(published)
    table.to_parquet(folder / SCENES, index=False)
    info = table.set_index("scene")
    (folder / "commonroad").mkdir()
    for scene in published.scene_ids:
        events = [e for e in str(info.loc[scene, "detected_events"] or "").split(",") if e]
        write_scenario(published, scene, folder / "commonroad" / scenario_name(scene), events, context["dataset"])
    figures = _pictures(published, split, folder, profile, info)
    steps, n = published.steps, len(published)
    data_section = (
        f"- `{TRACKS}`: {len(published.tracks)} rows, {n} scenes of {steps * published.dt:.1f} s at "
        f"{1 / published.dt:.0f} Hz. Columns: `scene`, `agent` (ids within a scene), `step` (0-based), `x`, `y` "
        "(m, road-aligned scene frame: +x along the road in the direction of travel from its upstream end, "
        "y = 0 on the centre of the right-most lane, +y to the left), `heading` (rad, relative to the road), "
        "`speed` (m/s), `length`, `width` (m), `lane` (0 = right-most).\n"
        f"- `{LANES}`: per scene and lane: `center_y`, `width`, observed `x_min`..`x_max`.\n"
        f"- `{SCENES}`: per scene: agents, requested and detected events, traffic density (vehicles/km/lane) "
        "and mean speed at the first step.\n"
        "- `commonroad/scene_NNNNN.xml`: every scene as a CommonRoad 2020a scenario (straight lanelets, "
        "vehicles as dynamic obstacles; tags name the detected events).\n"
        "- `previews/`, `animations/`: bird's-eye views of the first scenes, GIFs of a few (event scenes first).\n"
        "- `manifest.json`: sha256 and size of every file, schema, metrics, provenance.\n\n"
        f"Load with `synthpipe.load(\"{context['dataset']}\")` (scenes), `as_=\"tracks\"` (one DataFrame) or "
        "`as_=\"commonroad\"` (CommonRoad `Scenario` objects)."
    )
    card = render_card(
        title=f"{context['dataset']} — synthetic multi-agent traffic scenes",
        summary=("Synthetic traffic scenes: every vehicle around a stretch of road, step by step, generated from "
                 "real recordings and published only because it passed the realism, validity, utility and "
                 "privacy gate below. Scenes carry no source ids, no absolute time and no geo-position."),
        context=context, report=report, data_section=data_section, figures=figures,
        limitations=[
            "Not a record of real traffic: no scene happened; do not use it as evidence about a real place or driver.",
            "One direction of travel on straight (straightened) multi-lane roads; no intersections, pedestrians "
            "or oncoming traffic.",
            "Safety-critical events are as frequent as requested, not as frequent as on real roads: reweight "
            "before estimating real-world rates.",
            "Kinematics follow a unicycle model with bounded controls; vehicle dynamics at the limit of grip "
            "are out of scope.",
        ],
    )
    (folder / "README.md").write_text(card)


def scene_table(scenes: SceneSet) -> pd.DataFrame:
    """Per scene: its time step, agents, and the generator's scene info (events, regime)."""
    agents = scenes.tracks.groupby("scene")["agent"].nunique().rename("agents").reset_index().assign(dt=scenes.dt)
    if not len(scenes.scene_info):
        return agents.assign(requested_events="", detected_events="")
    table = agents.merge(scenes.scene_info, on="scene", how="left")
    for column in ("requested_events", "detected_events"):
        table[column] = table[column].fillna("") if column in table else ""
    return table


def schema(published: SceneSet) -> dict:
    return {f"{name}:{column}": str(dtype) for name, frame in (("tracks", published.tracks), ("lanes", published.lanes))
            for column, dtype in frame.dtypes.items()}


def read(folder: Path) -> SceneSet:
    require((folder / TRACKS).is_file(), f"{folder} holds no {TRACKS}; is it a driving dataset?")
    info = pd.read_parquet(folder / SCENES)
    return SceneSet(pd.read_parquet(folder / TRACKS), pd.read_parquet(folder / LANES), float(info["dt"].iloc[0]), {},
                    pd.DataFrame(columns=AREA_COLUMNS), info.drop(columns=["agents", "dt"]))


# --- pictures --------------------------------------------------------------------------------

def draw_scene(ax, scenes: SceneSet, scene: int, step: int, trails: bool = True) -> None:
    """Bird's-eye view: lanes, every vehicle's box at `step`, and (optionally) its whole track."""
    from matplotlib.patches import Rectangle

    lanes = scenes.lane_table(scene)
    low, high = (lanes["center_y"] - lanes["width"] / 2).min(), (lanes["center_y"] + lanes["width"] / 2).max()
    x_max = float(lanes["x_max"].max())
    ax.add_patch(Rectangle((0, low), x_max, high - low, color="#e6e6e6", zorder=0))
    for _, lane in lanes.iloc[1:].iterrows():
        ax.axhline(lane["center_y"] - lane["width"] / 2, color="white", lw=0.8, ls=(0, (6, 6)), zorder=1)
    tracks = scenes.tracks[scenes.tracks["scene"] == scene]
    if trails:
        for _, rows in tracks.groupby("agent"):
            ax.plot(rows["x"], rows["y"], color="#7a9cc6", lw=0.6, zorder=2)
    now = tracks[tracks["step"] == step]
    for row in now.itertuples():
        c, s = np.cos(row.heading), np.sin(row.heading)
        corner = (row.x - c * row.length / 2 + s * row.width / 2, row.y - s * row.length / 2 - c * row.width / 2)
        ax.add_patch(Rectangle(corner, row.length, row.width, angle=np.degrees(row.heading),
                               color="#d1495b" if row.length > 7 else "#2e4057", zorder=3))
    ax.set_xlim(-5, x_max + 5)
    ax.set_ylim(low - 2, high + 2)
    ax.set_aspect("equal")
    ax.set_yticks([])


def _pictures(published: SceneSet, split: Split, folder: Path, profile: DrivingProfile,
              info: pd.DataFrame) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figures = []
    (folder / "previews").mkdir()
    (folder / "animations").mkdir()
    (folder / "plots").mkdir()
    for scene in published.scene_ids[: profile.previews]:
        fig, ax = plt.subplots(figsize=(10, 2.2))
        draw_scene(ax, published, scene, step=0)
        ax.set_title(f"scene {scene}: vehicles at the first step, tracks over {published.steps * published.dt:.0f} s "
                     f"{_events_label(info, scene)}", fontsize=8)
        _save(fig, folder / "previews" / f"scene_{scene:05d}.png")
    shown = published.scene_ids[: min(4, len(published))]
    fig, axes = plt.subplots(len(shown), 1, figsize=(10, 1.9 * len(shown)), squeeze=False)
    for ax, scene in zip(axes[:, 0], shown):
        draw_scene(ax, published, scene, step=0)
        ax.set_title(f"scene {scene} {_events_label(info, scene)}", fontsize=8)
    figures.append((_save(fig, folder / "plots" / "scenes.png"), "Bird's-eye view of the first scenes"))

    with_events = [s for s in published.scene_ids if str(info.loc[s, "detected_events"] or "")]
    others = [s for s in published.scene_ids if s not in with_events]
    for scene in (with_events + others)[: profile.animations]:
        _animate(published, scene, folder / "animations" / f"scene_{scene:05d}.gif", _events_label(info, scene))

    figures.append((_distribution_plot(published, split, folder / "plots" / "realism.png"),
                    "Realism features: synthetic scenes against real held-out scenes"))
    return figures


def _events_label(info: pd.DataFrame, scene: int) -> str:
    events = str(info.loc[scene, "detected_events"] or "") if scene in info.index else ""
    return f"(events: {events.replace(',', ', ')})" if events else ""


def _animate(scenes: SceneSet, scene: int, path: Path, label: str, every: int = 2) -> None:
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation, PillowWriter

    fig, ax = plt.subplots(figsize=(8, 1.8))

    def frame(step: int) -> None:
        ax.clear()
        draw_scene(ax, scenes, scene, step, trails=False)
        ax.set_title(f"scene {scene}, t = {step * scenes.dt:.1f} s {label}", fontsize=8)

    animation = FuncAnimation(fig, frame, frames=range(0, scenes.steps, every))
    animation.save(path, writer=PillowWriter(fps=round(1 / (scenes.dt * every))), dpi=70)
    plt.close(fig)


def _distribution_plot(published: SceneSet, split: Split, path: Path) -> str:
    import matplotlib.pyplot as plt

    synthetic, real = agent_step_features(published), agent_step_features(split.holdout)
    fig, axes = plt.subplots(2, 4, figsize=(12, 5))
    for ax, name in zip(axes.ravel(), REALISM_FEATURES):
        r, s = real[name].dropna().to_numpy(), synthetic[name].dropna().to_numpy()
        if not len(r) or not len(s):
            ax.set_title(f"{name} (no data)", fontsize=9)
            continue
        bins = np.linspace(*np.quantile(r, [0.005, 0.995]), 50)
        ax.hist(r, bins=bins, density=True, alpha=0.5, label="real holdout")
        ax.hist(s, bins=bins, density=True, alpha=0.5, label="synthetic")
        ax.set_title(name.replace("_", " "), fontsize=9)
    axes[0, 0].legend(fontsize=7)
    return _save(fig, path)


def _save(fig, path: Path) -> str:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return f"{path.parent.name}/{path.name}"
