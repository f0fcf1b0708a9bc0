"""Address forms of other countries on the hosted checkout, in Chromium: a German and an Indian
shopper (the simulated person, acting only through the page) buy with their own address forms;
the forms of Germany, India and Korea are looked at through their labels and saved as screenshots
in test-artifacts/screenshots/ for people to look at."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from checkout_helpers import create_session, retrieve

from harness.browser import context_options
from harness.shopper.person import sample_person
from scenarios.personas import load_persona

playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect
pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent


def _persona_living_in(tmp_path: Path, country: str) -> Path:
    """desktop-typical's figures, for people living in `country` (the persona's `countries`)."""
    text = (ROOT / "scenarios" / "personas" / "desktop-typical.toml").read_text(encoding="utf-8")
    text = text.replace('name = "desktop-typical"', f'name = "desktop-{country.lower()}"\ncountries = {{{country} = 1}}', 1)
    path = tmp_path / f"desktop-{country.lower()}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_german_and_an_indian_shopper_buy_with_their_own_address_forms(gateway, tmp_path: Path):
    from harness.journeys.part import JourneyRun
    from harness.journeys.plan import Assignment

    personas = {country: _persona_living_in(tmp_path, country) for country in ("DE", "IN")}
    people = [Assignment(f"{country.lower()}-{seed}", "inline-best", str(path), seed)
              for country, path in personas.items() for seed in (11, 12)]
    run_dir = tmp_path / "run"
    run = JourneyRun(people, gateway.url, run_dir, processes=1, concurrency=2, pace="instant", timeout_s=120,
                     api_key="sk_test_addresses", currency="eur", amount=4980)
    assert run.wait(300) == 0
    records = {r["journey_id"]: r for r in map(json.loads, (run_dir / "journeys.jsonl").read_text().splitlines())}
    bought = {"DE": 0, "IN": 0}
    for a in people:
        r = records[a.journey_id]
        assert r["outcome"] in ("success", "abandoned"), (a.journey_id, r.get("error"), r.get("reason"))
        country = a.journey_id[:2].upper()
        assert r["fields"]["country"]["keystrokes"] >= 1  # the person chose their country on the page
        if r["outcome"] != "success":
            continue
        bought[country] += 1
        data = sample_person(load_persona(a.persona), a.seed).data
        address = retrieve(gateway.url, r["checkout_session"])["customer_details"]["address"]
        assert address["country"] == country and address["city"] == data.city
        assert address["postal_code"].replace(" ", "") == data.postal_code.replace(" ", "")
        assert address["state"] == (data.region or "")
    assert bought["DE"] >= 1 and bought["IN"] >= 1, (bought, {k: (r["outcome"], r.get("reason")) for k, r in records.items()})


@pytest.fixture()
def page(browser, gateway) -> Iterator:
    context = browser.new_context(**context_options("desktop"))
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(create_session(gateway.url, variant="inline-best", locale="en")["url"])
    yield page
    context.close()


def _choose_country(page, name: str, code: str) -> None:
    page.get_by_label("Country", exact=True).focus()  # as a person's click on the list would
    page.get_by_label("Country", exact=True).select_option(label=name)
    expect(page.locator(f'#address-fields[data-country="{code}"]:not([aria-busy])')).to_have_count(1)
    expect(page.get_by_role("status").filter(has_text=f"The address fields now follow {name}.")).to_have_count(1)


def _labels(page) -> list[str]:
    return page.locator("#address-fields label").all_inner_texts()


def test_the_address_forms_of_germany_india_and_korea(page, artifacts_dir):
    folder = artifacts_dir / "screenshots"
    folder.mkdir(exist_ok=True)

    _choose_country(page, "Germany", "DE")
    assert _labels(page) == ["Address line 1", "Address line 2", "Postal code", "City"]  # no state; street first
    expect(page.get_by_label("Country", exact=True)).to_be_focused()  # focus stays where the person is
    page.screenshot(path=str(folder / "address-DE-en-desktop.png"), full_page=True, scale="css")

    _choose_country(page, "India", "IN")
    assert _labels(page) == ["Address line 1", "Address line 2", "City", "PIN code", "State"]
    pin = page.get_by_label("PIN code", exact=True)
    expect(pin).to_have_attribute("autocomplete", "postal-code")
    pin.fill("11003")
    pin.press("Tab")  # inline-best judges a field when it is left
    expect(pin).to_have_attribute("aria-invalid", "true")
    error = page.locator("#postal_code-error")
    expect(error).to_have_text("Enter a valid PIN code, like 110034")
    assert "postal_code-error" in (pin.get_attribute("aria-describedby") or "")
    state = page.get_by_label("State", exact=True)
    state.select_option(label="Bihar")
    page.screenshot(path=str(folder / "address-IN-en-desktop.png"), full_page=True, scale="css")

    _choose_country(page, "South Korea", "KR")
    assert _labels(page) == ["Province or metropolitan city", "City", "Address line 1", "Address line 2", "Postal code"]
    region = page.get_by_label("Province or metropolitan city", exact=True)
    expect(region).to_have_attribute("autocomplete", "address-level1")
    region.select_option(label="Seoul (서울특별시)")
    assert region.input_value() == "서울특별시"
    page.screenshot(path=str(folder / "address-KR-en-desktop.png"), full_page=True, scale="css")
    for code in ("DE", "IN", "KR"):
        assert (folder / f"address-{code}-en-desktop.png").stat().st_size > 10_000


def test_without_javascript_the_update_button_brings_the_countrys_form(browser, gateway):
    context = browser.new_context(**context_options("desktop"), java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(create_session(gateway.url, variant="baseline", locale="ja")["url"])
        page.get_by_label("国・地域", exact=True).select_option(label="ブラジル")
        page.get_by_role("button", name="この国・地域の住所欄に切り替える").click()
        expect(page.locator('#address-fields[data-country="BR"]')).to_have_count(1)
        assert page.get_by_label("州", exact=True).locator("option", has_text="São Paulo").count() == 1
    finally:
        context.close()
