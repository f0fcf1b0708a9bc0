"""Every scheduled task the gateway runs, by name: the one list, joined from the modules' own tables.

clock.install(TASKS) (done by the Gateway) makes clock.schedule accept these names and the
advance and the real-time sweep run them.
"""

from __future__ import annotations

from . import balance, clock, refunds
from .billing import invoices, notices, subscriptions
from .methods import authorizations, konbini, qr

TASKS: dict[str, clock.Handler] = {
    **authorizations.TASKS,
    **konbini.TASKS,
    **qr.TASKS,
    **invoices.TASKS,
    **notices.TASKS,
    **subscriptions.TASKS,
    **balance.TASKS,  # payouts
    **refunds.TASKS,  # refund cards' refunds settle later
}
