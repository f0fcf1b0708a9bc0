"""Simulated shoppers driving the hosted checkout in a real browser (Playwright)."""

from .part import JourneyRun, start_journeys

__all__ = ["JourneyRun", "start_journeys"]
