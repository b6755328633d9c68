"""The driving domain: multi-agent traffic scenes from CommonRoad files, track tables or a
traffic simulator, and a learned scene generator conditioned on safety-critical events."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from domains.base import Domain, SourceSpec, Split, require
from domains.driving import publishing
from domains.driving.evaluation import evaluate
from domains.driving.expectations import input_suite
from domains.driving.privacy import mark_control_vehicles
from domains.driving.profiles import PROFILES, DrivingProfile
from domains.driving.sources import load_source
from domains.driving.windows import cut_scenes, split_by_recording
from generators.events import detect
from generators.road import ROLES
from generators.scenes import CONTEXT_ONLY, SceneSet, learned
from synthpipe.errors import InputDataError
from validation.expectations import describe_failures, run_suite
from validation.report import Report

log = logging.getLogger(__name__)
MIN_EVENT_EXAMPLES = 5  # an event the training scenes show fewer times is not requested by default


class DrivingDomain(Domain):
    name = "driving"
    source_kinds = ("highway-env", "commonroad", "tracks")
    default_source = "highway-env"
    default_generator = "traffic-mdn"
    profiles = PROFILES
    default_schedule = "0 3 * * *"  # nightly, after the day's drives are uploaded

    def default_dataset_name(self, source: SourceSpec) -> str:
        if source.kind == "highway-env":
            return "driving/highway-env"
        return super().default_dataset_name(source)

    def load(self, source: SourceSpec, home: Path | None = None) -> SceneSet:
        """Whole recordings; scenes are cut from them by the profile in `split`."""
        return load_source(source, home)

    def describe(self, data: SceneSet) -> str:
        return data.describe()

    def fingerprint(self, data: SceneSet) -> str:
        return data.fingerprint()

    def check_input(self, data: SceneSet) -> dict:
        summary = run_suite("driving.input", data.tracks, input_suite())
        if not summary["success"]:
            raise InputDataError(f"real tracks failed their expectation suite: {describe_failures(summary)}")
        return summary

    def split(self, data: SceneSet, profile: DrivingProfile) -> Split:
        """Scenes split by recording; in the training recordings a share of the vehicles are
        marked as privacy controls (`context_only`)."""
        marked = mark_control_vehicles(data, profile.control_fraction, seed=0)
        scenes = cut_scenes(marked, profile.steps, profile.stride, profile.min_agent_steps)
        train, holdout = split_by_recording(scenes, profile.holdout_fraction, seed=0)
        require(len(train) >= 2 and len(holdout) >= 1,
                f"{len(scenes)} scene(s) cannot be split into train and holdout; give more or longer recordings")
        held = sorted(set(scenes.recordings[s] for s in holdout))
        train_set, holdout_set = scenes.subset(train), scenes.subset(holdout)
        holdout_set.tracks = holdout_set.tracks.drop(columns=CONTEXT_ONLY)  # nothing there is learned anyway
        return Split(train_set, holdout_set,
                     f"{len(train)} train / {len(holdout)} holdout scenes of {profile.steps * scenes.dt:.1f} s, "
                     f"split by recording ({len(held)} held out); {profile.control_fraction:.0%} of the training "
                     "recordings' vehicles are privacy controls, seen as traffic but not learned")

    def training_data(self, train: SceneSet, profile: DrivingProfile, generator: str) -> SceneSet:
        """The training scenes; a generator that cannot keep control vehicles out of what it
        learns gets the scenes without them."""
        import generators

        if CONTEXT_ONLY not in train.tracks or getattr(generators.get_generator_class(generator),
                                                       "honours_context_only", False):
            return train
        tracks = train.tracks[learned(train.tracks)].drop(columns=CONTEXT_ONLY).reset_index(drop=True)
        return SceneSet(tracks, train.lanes, train.dt, train.recordings, train.areas, train.scene_info)

    def sample_request(self, profile: DrivingProfile, train: SceneSet, n: int | None,
                       generator: str | None = None) -> dict:
        """`n` scenes of the profile's length; generators that take event requests are asked for
        each event in its share of the scenes, if the training scenes show the event often enough
        to learn it. The requests are spread evenly over the scenes, so that any run of scenes asks
        for each event in its share too (the realism check reads the set round by round)."""
        import generators

        count = profile.n_scenes if n is None else n
        require(count >= 1, f"number of scenes must be at least 1, got {count}")
        conditions: list[dict] = [{} for _ in range(count)]
        if generator is None or getattr(generators.get_generator_class(generator), "takes_event_requests", False):
            seen = detect(train.tracks, train.dt)["event"].value_counts()
            requests = []  # (where in its own event's run of requests, event)
            for event, share in profile.event_shares.items():
                if seen.get(event, 0) < MIN_EVENT_EXAMPLES:
                    log.warning("not requesting %s: the training scenes show it %d time(s), fewer than %d",
                                event, seen.get(event, 0), MIN_EVENT_EXAMPLES)
                    continue
                asking = int(round(share * count))
                requests += [((j + 0.5) / asking, event) for j in range(asking)]
            requests = sorted(requests)[:count]
            for k, (_, event) in enumerate(requests):
                conditions[k * count // len(requests)] = {"events": [event]}
        return {"n": count, "steps": profile.steps, "conditions": conditions}

    def parse_regime(self, text: str) -> list[str]:
        """`--regime` for driving: scenes that each ask for an event — `cut-in`, `hard-braking`,
        or both as `cut-in+hard-braking`; returns the events' names."""
        names = [part.strip().lower().replace("_", "-") for part in text.split("+")]
        known = {event.replace("_", "-"): event for event in ROLES}
        unknown = [name for name in names if name not in known]
        if unknown or not names:
            raise InputDataError(f"unknown driving regime {text!r}: ask for scenes with an event, "
                                 f"{' or '.join(known)}, or both as {'+'.join(known)}")
        return list(dict.fromkeys(known[name] for name in names))

    def check_regime(self, text: str, generator: str) -> None:
        import generators

        self.parse_regime(text)
        _require_event_requests(generators.get_generator_class(generator), text)

    def sample(self, model: Any, split: Split, request: dict, seed: int, regime: str | None = None,
               progress=None) -> tuple[SceneSet, SceneSet]:
        """With a `regime`, every scene asks for its events (each found by the event detector, or
        the scene redrawn)."""
        if regime:
            events = self.parse_regime(regime)
            _require_event_requests(model, regime)
            request = {**request, "conditions": [{"events": events} for _ in range(request["n"])]}
            if progress:  # a scene may take many draws: say how far it is, about ten times in all
                every = max(1, request["n"] // 10)

                def now_and_then(done: int, n: int, draws: int) -> None:
                    if done % every == 0 or done == n:
                        progress(done, n, draws)
                request["progress"] = now_and_then
        synthetic = model.sample(seed=seed, **request)
        return synthetic, self.decode(synthetic, split.train, seed)

    def decode(self, synthetic: SceneSet, train: SceneSet, seed: int) -> SceneSet:
        # Generated scenes are already in the published form: a fresh road frame per scene, ids
        # numbered from 0, no recording names.
        return SceneSet(synthetic.tracks, synthetic.lanes, synthetic.dt, {}, scene_info=synthetic.scene_info)

    def evaluate(self, split: Split, synthetic: SceneSet, published: SceneSet, profile: DrivingProfile,
                 seed: int, regime: str | None = None) -> Report:
        return evaluate(split, synthetic, published, profile, seed, event_regime=regime is not None)

    def write_published(self, published: SceneSet, synthetic: Any, split: Split, report: Report, folder: Path,
                        context: dict, profile: DrivingProfile) -> None:
        publishing.write(published, split, report, folder, context, profile)

    def schema(self, published: SceneSet) -> dict:
        return publishing.schema(published)

    def counts(self, published: SceneSet, synthetic: Any) -> dict:
        tracks = published.tracks
        return {"scenes": len(published), "agent_tracks": int(tracks.groupby("scene")["agent"].nunique().sum()),
                "rows": len(tracks)}

    def read_published(self, folder: Path, as_: str | None = None) -> Any:
        """`as_=None`/"scenes": a SceneSet; "tracks": the track table; "commonroad": a list of
        CommonRoad `Scenario` objects, one per scene."""
        if as_ in (None, "scenes"):
            return publishing.read(folder)
        if as_ == "tracks":
            return publishing.read(folder).tracks
        if as_ == "commonroad":
            from domains.driving.commonroad_export import read_scenarios

            return read_scenarios(folder / "commonroad")
        raise InputDataError(f"driving datasets load as 'scenes', 'tracks' or 'commonroad', not {as_!r}")


def _require_event_requests(generator: Any, regime: str) -> None:
    """Refuse a generator (class or fitted model) that takes no event requests."""
    if not getattr(generator, "takes_event_requests", False):
        raise InputDataError(f"{generator.name} takes no event requests, so it cannot make {regime} scenes; "
                             "use --generator traffic-mdn")
