"""Hosted pages for the payment methods: konbini voucher, PayPal approval, QR code and its scan
page, bank transfer instructions. Each is a page the shopper (or a simulated one) acts on."""

from __future__ import annotations

from starlette.routing import Route

from . import bank_transfer, invoice, konbini, paypal, qr

ROUTES = [
    Route("/konbini/voucher/{id}/{token}", konbini.voucher, methods=["GET"]),
    Route("/paypal/{id}", paypal.approval, methods=["GET", "POST"]),
    Route("/qr/{id}/{token}.png", qr.png, methods=["GET"]),
    Route("/qr/{id}/{token}.svg", qr.svg, methods=["GET"]),
    Route("/qr/{id}/{token}/scan", qr.scan, methods=["GET", "POST"]),
    Route("/qr/{id}/{token}/status", qr.status, methods=["GET"]),
    Route("/qr/{id}/{token}", qr.instructions, methods=["GET"]),
    Route("/bank_transfer/{id}/{token}", bank_transfer.instructions, methods=["GET"]),
    Route("/billing/invoices/{id}/{token}", invoice.page, methods=["GET", "POST"]),  # the payment-failed mail's link
]
