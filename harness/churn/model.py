"""The subscribers' side of the cohort, drawn once per seed: when each card expires, which renewals
meet a declining card and for how long, who updates the card after a mail and how soon, and who
leaves of their own accord. Every policy sees the same draws (common random numbers), so the
differences between policies come from the policies alone."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scenarios.churn import ChurnPlan

NEVER = 10**6  # days: a card that never recovers on its own


@dataclass
class Cohort:
    expiry_offset: np.ndarray  # (n,) months from the start month: the card works until the end of that month
    declines: np.ndarray  # (n, months) bool: this renewal meets a card that starts declining
    spell_days: np.ndarray  # (n, months) days the card keeps declining (NEVER: until replaced)
    updates_after_failed: np.ndarray  # (n, months) bool
    updates_after_expiry: np.ndarray  # (n,) bool
    update_delay: np.ndarray  # (n, months) days after the mail
    leaves: np.ndarray  # (n, months) bool: asks to cancel this month
    leave_day: np.ndarray  # (n, months) day of the month the customer asks


def draw(plan: ChurnPlan, seed: int) -> Cohort:
    rng = np.random.default_rng(seed)
    n, m = plan.subscribers, plan.months
    lo, hi = plan.card_validity_months
    days = np.array([d if d is not None else NEVER for d, _ in plan.decline_recovery])
    shares = np.array([s for _, s in plan.decline_recovery])
    dlo, dhi = plan.update_delay_days
    return Cohort(
        expiry_offset=rng.integers(lo - 1, hi, size=n),
        declines=rng.random((n, m)) < plan.decline_rate,
        spell_days=days[rng.choice(len(days), size=(n, m), p=shares / shares.sum())],
        updates_after_failed=rng.random((n, m)) < plan.update_after_failed_mail,
        updates_after_expiry=rng.random(n) < plan.update_after_expiry_mail,
        update_delay=rng.integers(dlo, dhi + 1, size=(n, m)),
        leaves=rng.random((n, m)) < plan.voluntary_churn,
        leave_day=rng.integers(0, 28, size=(n, m)),
    )


def expiry(start_year: int, start_month: int, offset: int) -> tuple[int, int]:
    """(exp_year, exp_month) `offset` months after the start month."""
    index = start_month - 1 + int(offset)
    return start_year + index // 12, index % 12 + 1
