"""Billing: products, prices, subscriptions, invoices, renewals on the clock, and dunning.

The scheduled tasks (renewal, retry, notices) are each module's TASKS, joined in core/tasks.py.
"""
