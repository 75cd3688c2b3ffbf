"""Utilities: discovery of skreg's public estimators."""

from ._discovery import all_estimators

__all__ = ["all_estimators"]
