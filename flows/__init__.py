"""Prefect flows: the only place Prefect is imported."""
