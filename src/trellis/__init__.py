"""Trellis: from rough requirements to verified work by people and AI coding agents."""

__version__ = "0.1.0"
