"""People drawn from the shipped personas, cached across a test module (drawing is the slow part)."""

from __future__ import annotations

import functools

from harness.shopper.person import Person, sample_person
from scenarios.personas import Persona, load_persona


@functools.cache
def persona(name: str) -> Persona:
    return load_persona(name)


@functools.cache
def people(name: str, n: int) -> tuple[Person, ...]:
    """Persons 0 .. n-1 of a persona (seeds 0 .. n-1)."""
    p = persona(name)
    return tuple(sample_person(p, i) for i in range(n))
