"""Examples of using checkout-harness with a system of your own (not part of the installed package)."""
