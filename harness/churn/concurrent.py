"""Many public API calls at once: the cohort's sign-up and each day's card changes are one request per object
(as a merchant's integration makes them). The driver sends the next request of up to WAVE subscribers together,
from one thread (StripeApi.send_many, PolicyRun._in_steps), so that the gateway's group commit writes them in
one transaction; from threads, each sending its next request as its answer came, the groups were a third of
that size and the threads took turns at the interpreter (docs/subscriptions.md)."""

from __future__ import annotations

WAVE = 32  # requests sent together; the driver keeps as many kept-alive connections
