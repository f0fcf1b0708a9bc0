"""Simulated shoppers driving the hosted checkout in a real browser (Playwright)."""

from .runner import JourneyRun, start_journeys

__all__ = ["JourneyRun", "start_journeys"]
