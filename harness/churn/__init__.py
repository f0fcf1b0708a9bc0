"""Involuntary churn: a cohort of subscribers billed by the gateway under several dunning policies."""

from .part import ChurnRun, start_churn

__all__ = ["ChurnRun", "start_churn"]
