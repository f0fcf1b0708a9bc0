"""The hosted checkout in Chromium, used as a person would: fields found by their visible labels,
errors noticed only through the page (visible text, aria-invalid, role=alert).

Screenshots of every variant on a phone and a desktop go to test-artifacts/screenshots/ for
people to look at; they are not compared.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from checkout_helpers import DECLINED_CARD, EXPIRY, GOOD_CARD, THREE_DS_CARD, create_session, entries, retrieve
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.browser import context_options
from mock_gateway.checkout import validation
from scenarios.variants import list_variants, load_variant

playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect
pytestmark = pytest.mark.browser

# The labels a shopper reads (mock_gateway/checkout/README.md lists them).
LABELS = {
    "en": {
        "email": "Email address", "password": "Password", "name": "Full name", "family_name": "Last name",
        "given_name": "First name", "company": "Company", "postal_code": "Postal code", "state": "State or prefecture",
        "city": "City", "line1": "Address line 1", "phone": "Phone number", "card": "Credit or debit card",
        "card_number": "Card number", "card_expiry": "Expiry date", "card_cvc": "Security code", "card_name": "Name on card",
        "pay": "Pay now", "next": "Next", "paid": "Payment complete",
    },
    "ja": {
        "email": "メールアドレス", "password": "パスワード", "name": "氏名", "family_name": "姓", "given_name": "名",
        "name_kana": "フリガナ", "family_name_kana": "セイ", "given_name_kana": "メイ", "company": "会社名",
        "postal_code": "郵便番号", "state": "都道府県", "city": "市区町村", "line1": "町名・番地", "phone": "電話番号",
        "card": "クレジットカード", "card_number": "カード番号", "card_expiry": "有効期限", "card_cvc": "セキュリティコード",
        "card_name": "カード名義", "pay": "支払う", "next": "次へ", "paid": "お支払いが完了しました",
    },
}
DETAILS = ("email", "password", "name", "family_name", "given_name", "name_kana", "family_name_kana", "given_name_kana",
           "postal_code", "city", "line1", "phone")
CARD = ("card_number", "card_expiry", "card_cvc", "card_name")


@pytest.fixture()
def open_page(browser, gateway) -> Iterator:
    contexts = []

    def open_(variant: str, locale: str = "en", device: str = "desktop", javascript: bool = True):
        context = browser.new_context(**context_options(device), java_script_enabled=javascript)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        session = create_session(gateway.url, variant=variant, locale=locale)
        page.goto(session["url"])
        return page, session

    yield open_
    for context in contexts:
        context.close()


def field(page, locale: str, key: str):
    return page.get_by_label(LABELS[locale][key], exact=True)


def fill_details(page, locale: str) -> None:
    values = entries(locale)
    for key in DETAILS:
        if key in LABELS[locale] and field(page, locale, key).count():
            field(page, locale, key).fill(values[key])
    field(page, locale, "state").select_option(values["state"])


def fill_card(page, locale: str, number: str = GOOD_CARD) -> None:
    if field(page, locale, "card").count():
        field(page, locale, "card").check()
    values = entries(locale, number)
    for key in CARD:
        field(page, locale, key).fill(values[key])


def press(page, locale: str, key: str) -> None:
    page.get_by_role("button", name=LABELS[locale][key], exact=True).click()


def pay(page, locale: str, number: str = GOOD_CARD) -> None:
    """Fill everything and pay, through the steps if the page has them."""
    fill_details(page, locale)
    steps = page.get_by_role("button", name=LABELS[locale]["next"], exact=True)
    if steps.count():
        steps.click()
        fill_card(page, locale, number)
        press(page, locale, "next")
    else:
        fill_card(page, locale, number)
    press(page, locale, "pay")


# -- purchases ----------------------------------------------------------------------------------


@pytest.mark.parametrize("variant, locale, device", [
    ("baseline", "en", "desktop"), ("inline-best", "ja", "phone"), ("steps", "ja", "desktop"), ("forced-account", "en", "phone"),
])
def test_a_scripted_purchase_by_label_succeeds(open_page, gateway, variant, locale, device):
    page, session = open_page(variant, locale, device)
    pay(page, locale)
    expect(page.get_by_role("heading", name=LABELS[locale]["paid"])).to_be_visible()
    assert page.url == f"{gateway.url}/c/confirmation/{session['id']}"
    assert retrieve(gateway.url, session["id"])["payment_status"] == "paid"


def test_every_shipped_variant_is_covered():
    # a new variant is a new page to look at: add it here once its screenshots have been looked at
    assert set(list_variants()) == {"baseline", "inline-best", "steps", "forced-account", "reference", "reference-submit",
                                    "reference-live", "reference-summary", "reference-steps", "reference-autofill"}


def test_with_javascript_off_the_server_validates_and_the_purchase_succeeds(open_page):
    page, _ = open_page("inline-best", "en", "phone", javascript=False)
    press(page, "en", "pay")
    email = field(page, "en", "email")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_be_focused()
    expect(page.locator("#email-error")).to_have_text("Enter your email address")
    pay(page, "en")
    expect(page.get_by_role("heading", name="Payment complete")).to_be_visible()


# -- when a typo shows its error ----------------------------------------------------------------

TYPO = "4242424242424241"
TYPO_MESSAGE = {"en": "Check the card number: it is not a valid card number, look for a mistyped digit",
                "ja": "カード番号が正しくありません。入力ミスがないかご確認ください"}


def _no_error_yet(page, card) -> None:
    expect(card).not_to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text(TYPO_MESSAGE["en"])).to_have_count(0)
    expect(page.get_by_role("alert")).to_have_count(0)


def test_submit_timing_shows_the_typo_only_after_pay(open_page):
    page, _ = open_page("baseline", "en")
    fill_details(page, "en")
    fill_card(page, "en")
    card = field(page, "en", "card_number")
    card.fill("")
    card.press_sequentially(TYPO)
    _no_error_yet(page, card)
    card.press("Tab")
    _no_error_yet(page, card)
    press(page, "en", "pay")
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text(TYPO_MESSAGE["en"])
    expect(card).to_have_attribute("aria-invalid", "true")
    expect(card).to_be_focused()
    # summary placement: the message is in the list at the top, tied to the field, and links to it
    expect(card).to_have_attribute("aria-describedby", re.compile(r"\bcard_number-summary\b"))
    assert page.url.endswith(page.url.split("/")[-1]) and "/c/pay/" in page.url
    summary.get_by_role("link", name=TYPO_MESSAGE["en"]).click()
    expect(card).to_be_focused()


def test_blur_timing_shows_the_typo_on_leaving_the_field(open_page):
    page, _ = open_page("steps", "en")
    fill_details(page, "en")
    press(page, "en", "next")
    card = field(page, "en", "card_number")
    card.press_sequentially(TYPO)
    expect(card).to_have_value("4242 4242 4242 4241")  # grouped as typed
    _no_error_yet(page, card)
    card.press("Tab")
    expect(card).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#card_number-error")).to_have_text(TYPO_MESSAGE["en"])  # inline, next to the field
    expect(page.get_by_role("alert")).to_contain_text(TYPO_MESSAGE["en"])  # and in the summary
    expect(card).to_have_attribute("aria-describedby", re.compile(r"card_number-error"))


def test_live_timing_shows_the_typo_after_the_first_blur_then_while_typing(open_page):
    page, _ = open_page("inline-best", "ja")
    card = field(page, "ja", "card_number")
    card.press_sequentially(TYPO)
    expect(card).to_have_value("4242 4242 4242 4241")
    expect(card).not_to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text(TYPO_MESSAGE["ja"])).to_have_count(0)
    expect(page.locator("#card_number-brand")).to_have_text("Visa")
    card.press("Tab")
    expect(page.get_by_text(TYPO_MESSAGE["ja"])).to_be_visible()
    expect(card).to_have_attribute("aria-invalid", "true")
    # back in the field: the error follows each keystroke, without leaving the field
    card.focus()
    card.press("End")
    card.press("Backspace")
    card.press("2")
    expect(card).not_to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text(TYPO_MESSAGE["ja"])).to_have_count(0)
    expect(card).to_be_focused()
    card.press("Backspace")
    expect(page.get_by_text("カード番号の桁数をご確認ください（Visaのカード番号は13または16または19桁です）")).to_be_visible()


# -- declines, 3-D Secure -----------------------------------------------------------------------


def test_a_decline_keeps_the_entries_when_the_variant_says_keep(open_page):
    page, _ = open_page("inline-best", "en")
    pay(page, "en", DECLINED_CARD)
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Your card was declined. Try another card or another payment method")
    expect(alert).to_be_focused()
    expect(field(page, "en", "email")).to_have_value("hanako@example.jp")
    expect(field(page, "en", "card_number")).to_have_value("4000 0000 0000 0002")
    expect(field(page, "en", "card_cvc")).to_have_value("")
    # another card, and the order is paid
    field(page, "en", "card_number").fill(GOOD_CARD)
    field(page, "en", "card_cvc").fill("123")
    press(page, "en", "pay")
    expect(page.get_by_role("heading", name="Payment complete")).to_be_visible()


def test_a_decline_clears_the_entries_when_the_variant_says_clear(open_page):
    page, _ = open_page("forced-account", "ja")
    pay(page, "ja", DECLINED_CARD)
    expect(page.get_by_role("alert")).to_contain_text("カードが承認されませんでした")
    for key in ("email", "family_name", "card_number", "card_expiry"):
        expect(field(page, "ja", key)).to_have_value("")


def test_three_d_secure_is_completed_by_the_shopper(open_page, gateway):
    page, session = open_page("inline-best", "en")
    pay(page, "en", THREE_DS_CARD)
    expect(page.get_by_role("heading", name="Confirm your payment")).to_be_visible()
    page.get_by_role("button", name="Complete authentication").click()
    expect(page.get_by_role("heading", name="Payment complete")).to_be_visible()
    paid = retrieve(gateway.url, session["id"], **{"expand[]": "payment_intent"})
    assert paid["status"] == "complete" and paid["payment_intent"]["status"] == "succeeded"


# -- what is typed is never run -----------------------------------------------------------------

PAYLOAD = '"><script>window.__pwned=1;alert(1)</script><img src=x onerror="window.__pwned=2">'


def test_script_typed_into_every_field_is_shown_as_text_and_never_run(open_page):
    page, _ = open_page("steps", "en")
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    fill_details(page, "en")
    for key in ("family_name", "given_name", "city", "line1", "email", "postal_code", "phone"):
        field(page, "en", key).fill(PAYLOAD)
    press(page, "en", "next")  # the page refuses email, postal code and phone, and keeps what was typed
    expect(field(page, "en", "email")).to_have_attribute("aria-invalid", "true")
    expect(field(page, "en", "email")).to_have_value(PAYLOAD)
    for key in ("email", "postal_code", "phone"):
        field(page, "en", key).fill(entries("en")[key])
    press(page, "en", "next")
    fill_card(page, "en")
    field(page, "en", "card_name").fill(PAYLOAD)
    press(page, "en", "next")
    expect(page.get_by_role("heading", name="Review your order")).to_be_visible()
    expect(page.get_by_text(f"{PAYLOAD} {PAYLOAD}", exact=True)).to_be_visible()  # the name, as text
    assert page.evaluate("window.__pwned") is None and dialogs == []
    assert page.locator("script").count() == 2 and page.locator("img").count() == 0


# -- the same rules on both sides ---------------------------------------------------------------

_ALPHABET = st.sampled_from(list("0123456789０１２３４５６７８９ -－ー/.@+()aZカなｶ山\u3000"))
_KINDS = ("card_number", "card_expiry", "card_cvc", "postal_code", "phone", "kana", "email", "text", "password")


@pytest.fixture(scope="module")
def rules_page(browser, gateway):
    context = browser.new_context()
    page = context.new_page()
    page.goto(create_session(gateway.url, variant="inline-best", locale="ja")["url"])
    yield page
    context.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.text(_ALPHABET, max_size=22), min_size=1, max_size=6),
       country=st.sampled_from(["JP", "US", "DE", "IN", "GB", "BR"]), brand=st.sampled_from([None, "visa", "amex"]))
def test_the_page_script_applies_the_same_rules_as_the_server(rules_page, values, country, brand):
    # The page carries the rules of the chosen country: choosing another brings that country's.
    if rules_page.locator("#address-fields").get_attribute("data-country") != country:
        rules_page.select_option("#country", country)
        expect(rules_page.locator(f'#address-fields[data-country="{country}"]:not([aria-busy])')).to_have_count(1)
    values = values + [GOOD_CARD, "3782 822463 10005", EXPIRY, "150-0001", "ヤマダ", "SW1A 1AA", "01310-100",
                       "030 1234567", "98765 43210"]
    ctx = validation.Context(country=country, brand=brand, year=2030, month=6, min_length=8)
    cases = [(kind, value) for kind in _KINDS for value in values]
    js = rules_page.evaluate(
        """([cases, ctx]) => cases.map(([kind, value]) => {
            const p = window.CheckoutRules.check(kind, value, true, ctx);
            return [window.CheckoutRules.normalise(kind, value), p && window.CheckoutRules.message(p, kind)];
        })""",
        [cases, {"country": country, "brand": brand, "year": 2030, "month": 6, "min_length": 8, "choices": []}],
    )
    for (kind, value), (js_normal, js_message) in zip(cases, js):
        problem = validation.check(kind, value, True, ctx)
        py_message = validation.message(problem, "ja", kind, country) if problem else None
        assert (js_normal, js_message) == (validation.normalise(kind, value), py_message), (kind, value)


# -- screenshots for people ---------------------------------------------------------------------


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_screenshots_of_every_variant(open_page, artifacts_dir, device):
    folder = artifacts_dir / "screenshots"
    folder.mkdir(exist_ok=True)
    for variant in list_variants():
        locale = "ja" if variant in ("inline-best", "steps") else "en"
        page, _ = open_page(variant, locale, device)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"], f"{variant} scrolls sideways on a {device}"
        page.screenshot(path=str(folder / f"{variant}-{locale}-{device}.png"), full_page=True, scale="css")
        if device == "phone":  # and the errors of an empty form, as the variant shows them
            press(page, locale, "next" if load_variant(variant).layout == "steps" else "pay")
            expect(page.locator('[aria-invalid="true"]').first).to_be_visible()
            page.screenshot(path=str(folder / f"{variant}-{locale}-{device}-errors.png"), full_page=True, scale="css")
        assert (folder / f"{variant}-{locale}-{device}.png").stat().st_size > 10_000
