"""Driving scenes: CommonRoad, track-table and simulated sources, a learned multi-agent scene
generator with event requests, and CommonRoad publishing."""
from domains.driving.domain import DrivingDomain

__all__ = ["DrivingDomain"]
