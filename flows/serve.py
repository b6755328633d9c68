"""Scheduled deployments of every domain pipeline, served to a Prefect server.

Schedules come from each domain's default (`Domain.default_schedule`) and can be overridden by a
TOML file with one table per domain:

    [finance]
    cron = "0 6 * * 1-5"    # weekdays 06:00
    profile = "quick"
    source = "arch"
    seed = 0
    enabled = true
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from domains import get_domain, names
from synthpipe.errors import SynthpipeError


@dataclass(frozen=True)
class Schedule:
    domain: str
    cron: str
    profile: str = "quick"
    source: str | None = None
    seed: int = 0
    enabled: bool = True

    @property
    def deployment_name(self) -> str:
        return f"{self.domain}-{self.profile}"


def load_schedules(config: str | Path | None = None) -> list[Schedule]:
    schedules = {name: Schedule(name, get_domain(name).default_schedule) for name in names()}
    if config:
        path = Path(config)
        try:
            overrides = tomllib.loads(path.read_text())
        except FileNotFoundError:
            raise SynthpipeError(f"schedule file {path} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise SynthpipeError(f"schedule file {path} is not valid TOML: {exc}") from None
        for domain, values in overrides.items():
            if domain not in schedules:
                raise SynthpipeError(f"schedule file {path}: unknown domain [{domain}]; domains: {', '.join(names())}")
            try:
                schedules[domain] = replace(schedules[domain], **values)
            except TypeError as exc:
                raise SynthpipeError(f"schedule file {path}, [{domain}]: {exc}") from None
    for schedule in schedules.values():
        get_domain(schedule.domain).profile(schedule.profile)  # unknown profiles fail now, not at 6 am
    return [s for s in schedules.values() if s.enabled]


def serve(config: str | Path | None = None) -> None:
    """Register one deployment per enabled domain and run them on schedule until interrupted."""
    from prefect import serve as prefect_serve

    from flows.pipeline import pipeline

    deployments = [
        pipeline.to_deployment(
            name=s.deployment_name, cron=s.cron,
            parameters={"domain": s.domain, "profile": s.profile, "source": s.source, "seed": s.seed},
            description=f"{s.domain} pipeline, {s.profile} profile",
        )
        for s in load_schedules(config)
    ]
    prefect_serve(*deployments)
