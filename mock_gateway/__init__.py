"""A stateful, Stripe-compatible mock payment gateway: the system under test.

It knows nothing of the harness; the harness talks to it over HTTP like any merchant would.
"""

__version__ = "0.1.0"
