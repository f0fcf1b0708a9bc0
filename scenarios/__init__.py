"""Scenario, variant, persona and fault-profile data, and the one loader that validates them."""
