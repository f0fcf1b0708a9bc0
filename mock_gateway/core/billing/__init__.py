"""Billing: products, prices, subscriptions, invoices, renewals on the clock, and dunning.

Importing the package registers the scheduled tasks (renewal, retry, notices) with the clock.
"""

from . import invoices, notices, subscriptions  # noqa: F401  (register scheduled tasks)
