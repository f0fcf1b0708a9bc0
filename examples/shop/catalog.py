"""What the shop sells, and a cart priced from it (prices never come from the browser)."""

from __future__ import annotations

from dataclasses import dataclass

CURRENCY = "jpy"


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    blurb: str
    price: int  # yen


PRODUCTS: dict[str, Product] = {p.sku: p for p in (
    Product("kurasawa-200", "Kurasawa House Blend, 200 g", "Chocolate, roasted almond, a long sweet finish.", 1680),
    Product("yirgacheffe-200", "Ethiopia Yirgacheffe, 200 g", "Jasmine, bergamot and lemon; light roast.", 2160),
    Product("grinder", "Hand grinder (steel burrs)", "Thirty clicks from espresso to French press.", 6800),
)}

MAX_QUANTITY = 20


def parse_cart(text: str | None) -> dict[str, int]:
    """The cart cookie ("sku:qty,sku:qty"), keeping only known products and sane quantities."""
    cart: dict[str, int] = {}
    for part in (text or "").split(","):
        sku, _, qty = part.partition(":")
        if sku in PRODUCTS and qty.isdigit() and 0 < int(qty) <= MAX_QUANTITY:
            cart[sku] = int(qty)
    return cart


def format_cart(cart: dict[str, int]) -> str:
    return ",".join(f"{sku}:{qty}" for sku, qty in cart.items())


def lines(cart: dict[str, int]) -> list[tuple[Product, int, int]]:
    return [(PRODUCTS[sku], qty, PRODUCTS[sku].price * qty) for sku, qty in cart.items()]


def total(cart: dict[str, int]) -> int:
    return sum(amount for _, _, amount in lines(cart))


def yen(amount: int) -> str:
    return f"¥{amount:,}"
