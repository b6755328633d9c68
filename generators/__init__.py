"""Generative models behind one interface, looked up by name."""
from generators.base import Generator, check_sequences
from generators.registry import create, get_generator_class, load, names, register

__all__ = ["Generator", "check_sequences", "create", "get_generator_class", "load", "names", "register"]
