"""Which journeys a run makes: every variant gets `count` shoppers, personas drawn by weight.

Deterministic from the seed, so the same scenario and seed give the same people on the same
variants, whatever the number of processes they are spread over.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Assignment:
    journey_id: str
    variant: str
    persona: str
    seed: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def assign(variants: tuple[str, ...] | list[str], personas: tuple[tuple[str, float], ...] | list, count: int, seed: int) -> list[Assignment]:
    """Balanced across variants, interleaved (v1, v2, v1, v2, ...) so that an interrupted run
    still has comparable numbers of journeys per variant. Person i of every variant is the same
    persona and seed: paired people, so that variants differ only by their pages."""
    rng = random.Random(f"journeys|{seed}")
    names = [p for p, _ in personas]
    weights = [w for _, w in personas]
    out: list[Assignment] = []
    for i in range(count):
        persona = rng.choices(names, weights)[0]
        person_seed = rng.randrange(2**31)
        for variant in variants:
            out.append(Assignment(f"j{i:05d}-{variant}", variant, persona, person_seed))
    return out


def share(assignments: list[Assignment], parts: int) -> list[list[Assignment]]:
    """Round-robin shares for worker processes (or machines)."""
    return [assignments[k::parts] for k in range(parts)]
