"""Hoshino Coffee: an example merchant shop that takes payments through the mock gateway.

Not the reference checkout: its own product, cart and checkout pages, its backend on the official
`stripe` SDK with `api_base` pointed at the gateway, card fields from Stripe.js loaded from
https://js.stripe.com/v3/ (the gateway's script, routed by harness/stripe_js.py or named with
--stripe-js), and a plain HTML card form charged by the backend. See README.md.
"""
