"""Fidelity and privacy metrics that are not domain-specific, the gate, and reports."""
