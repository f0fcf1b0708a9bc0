"""The driver: CLI, servers, load, journeys, reconciliation and gates."""

__version__ = "0.1.0"
