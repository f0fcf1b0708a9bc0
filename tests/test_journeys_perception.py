"""The person's perception, finding, fixing and effort (harness/journeys/perception.py,
recovery.py, harness/shopper/noticing.py, giveup.py), and a plain Bootstrap-style checkout page the
shopper was not written for (tests/fixtures/bootstrap-checkout.html)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import functools
import http.server
import random
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.journeys import perception
from harness.journeys.page_reading import Control, Message, PageView
from harness.shopper.giveup import Effort, cumulative_hazard, left_by
from harness.shopper.intent import Intent, fix_understood
from harness.shopper.noticing import ErrorSignal, notice, notice_probability, screen_reached
from harness.shopper.person import sample_person
from scenarios.personas import load_persona

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _rect(y: float, h: float, scroll: float, x: float = 20, w: float = 340) -> dict[str, float]:
    return {"x": x, "y": y, "w": w, "h": h, "top": y - scroll, "bottom": y - scroll + h}


def _phone_page(scroll: float) -> PageView:
    """A 390x844 phone page: an error summary at the top (y 300) naming the phone field at y 1800."""
    vp = {"w": 390, "h": 844, "scroll": scroll, "page_h": 2600}
    phone = Control("Phone", "input", "tel", "phone", "555", False, True, True, [], "", [], _rect(1800, 44, scroll),
                    False, id="phone", marked=False)
    summary = Message("There is a problem Enter a 10-digit phone number", _rect(300, 100, scroll), True, True, True, "",
                      [{"text": "Enter a 10-digit phone number", "field": "Phone"}])
    return PageView("http://x/", "t", [phone], [], [], [], vp, messages=[summary])


def test_a_summary_scrolled_out_of_view_is_not_noticed_until_the_person_scrolls_to_it():
    person = sample_person(load_persona("phone-typical"), 1)
    here = {"x": 195, "y": 1822}
    below = _phone_page(scroll=1500)  # the page left the person by the phone field
    spot = perception.spots(below)[0]
    assert spot.kind == "summary" and spot.text == "Enter a 10-digit phone number"
    sig = perception.signal(below, spot, here, onset=True)
    assert not sig.in_view and notice_probability(person, sig) == 0.0
    assert not any(notice(person, sig, random.Random(i)).noticed for i in range(200))
    top = _phone_page(scroll=0)  # scrolled back up: the summary is in view
    sig = perception.signal(top, perception.spots(top)[0], here, onset=False, regard={"x": 195, "y": 422})
    assert sig.in_view and notice_probability(person, sig) > 0.5
    assert sum(notice(person, sig, random.Random(i)).noticed for i in range(200)) > 100
    # finding the field it names from there costs scrolling past the fields between
    assert not sig.field_in_view and sig.field_distance_px > 844


def test_a_summary_above_the_fold_is_seen_and_a_field_that_only_looks_wrong_tells_nothing():
    page = _phone_page(scroll=0)
    page.controls[0] = dataclasses.replace(page.controls[0], marked=True)
    page.messages = []
    spot = perception.spots(page)[0]
    assert spot.kind == "marked_only" and spot.text == ""


@given(st.floats(0, 2000), st.floats(0, 2000))
def test_noticing_falls_with_distance_from_the_point_of_regard(a, b):
    person = sample_person(load_persona("desktop-typical"), 3)
    near, far = sorted((a, b))
    p_near = notice_probability(person, ErrorSignal("inline", "x", regard_px=near))
    p_far = notice_probability(person, ErrorSignal("inline", "x", regard_px=far))
    assert p_near >= p_far
    # an onset captures attention at least as well as a message that was already there
    assert notice_probability(person, ErrorSignal("inline", "x", regard_px=far, onset=True)) >= p_far


def test_a_search_of_the_page_reaches_further_screens_less_often():
    shares = [screen_reached(k) for k in range(8)]
    assert shares[0] == shares[1] == 1.0 and all(x >= y for x, y in zip(shares, shares[1:])) and shares[-1] < 0.1


def test_a_vague_message_lowers_first_time_fixes():
    people = [sample_person(load_persona("phone-typical"), i) for i in range(400)]
    intent = Intent("+1 415 555 2671", "415-555-2671", "phone_country_code", "phone")
    vague = sum(fix_understood("Invalid.", intent, p, random.Random(f"{i}")) for i, p in enumerate(people))
    specific = sum(fix_understood("Enter 10 digits, e.g. 415-555-2671", intent, p, random.Random(f"{i}"))
                   for i, p in enumerate(people))
    assert vague < specific * 0.7


@settings(max_examples=60)
@given(st.lists(st.floats(0, 40), min_size=2, max_size=20))
def test_the_effort_hazard_grows_with_effort_and_giving_up_only_gets_likelier(efforts):
    xs = sorted(efforts)
    for a, b in zip(xs, xs[1:]):
        assert cumulative_hazard(b) >= cumulative_hazard(a) and left_by(b) >= left_by(a)
        if b > a + 1e-6:  # the hazard itself grows: each unit costs more than the one before
            assert cumulative_hazard(b + 1) - cumulative_hazard(b) > cumulative_hazard(a + 1) - cumulative_hazard(a)


def test_the_same_person_gives_up_at_the_same_effort_whatever_the_order_met():
    person = sample_person(load_persona("phone-typical"), 11)
    kinds = ["field"] * 30 + ["error"] * 10 + ["step"] * 3
    one, two = Effort.for_person(person), Effort.for_person(person)
    left_one = next((i for i, k in enumerate(kinds) if one.add(k)), None)
    left_two = next((i for i, k in enumerate(reversed(kinds)) if two.add(k)), None)
    assert one.tolerance == two.tolerance
    if left_one is not None:
        assert left_two is not None and cumulative_hazard(one.total) >= one.tolerance
    # over many people, more effort loses more of them
    people = [sample_person(load_persona("phone-typical"), i) for i in range(600)]
    def lost(units: int) -> int:
        efforts = [Effort.for_person(p) for p in people]
        return sum(any([e.add("field") for _ in range(units)]) for e in efforts)
    assert lost(10) <= lost(25) <= lost(60) and lost(60) > lost(10)


# -- a page the shopper was not written for ---------------------------------------------------------

@pytest.fixture()
def fixture_site():
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(FIXTURES))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.browser
def test_a_plain_bootstrap_form_is_understood_seen_and_typed(fixture_site):
    # In a thread of its own: the session's sync Playwright (browser fixture) keeps an event loop
    # running in this one, where asyncio.run would refuse to start.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, _bootstrap_form(fixture_site + "/bootstrap-checkout.html")).result()


@contextlib.asynccontextmanager
async def _person_on(url: str, seed: int, name: str) -> AsyncIterator[Any]:
    """A desktop-typical person (at pace instant) with a page open at `url` in a browser of its own:
    the journey's context, as the journey loop would hand it to filling and recovery."""
    from playwright.async_api import async_playwright

    from harness.browser import launch_options
    from harness.journeys.plan import Assignment
    from harness.journeys.record import JourneyRecord
    from harness.journeys.sites import site_for
    from harness.journeys.state import JourneyContext
    from harness.shopper.model import Shopper

    shopper = Shopper.from_persona(load_persona("desktop-typical"), seed, pace="instant")
    record = JourneyRecord.start(Assignment(f"j0-{name}", name, "desktop-typical", seed), shopper)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(**launch_options())
        context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
        page = await context.new_page()
        await page.goto(url)
        yield JourneyContext(page=page, shopper=shopper, record=record, target=url, api=None, currency="usd", amount=100,  # type: ignore[arg-type]
                             site=site_for(None))  # not used: the tests only read and fill the page
        await browser.close()


async def _bootstrap_form(url: str) -> None:
    from harness.journeys.filling import fill, intent_for
    from harness.journeys.loading import look
    from harness.journeys.recovery import after_submit_errors
    from harness.journeys.understanding import data_key
    from harness.shopper.shopper_data import US_STATE_NAMES

    async with _person_on(url, 5, "bootstrap") as ctx:
        page, shopper, record = ctx.page, ctx.shopper, ctx.record
        view = await look(ctx)
        # what the person understands: every field's meaning from its visible label, and what the page says about it
        keys = {c.label: data_key(c.label) for c in view.fields()}
        assert keys == {"First name": "given_name", "Last name": "family_name", "Email": "email", "Address": "address_line1",
                        "City": "city", "Country": "country", "State": "region", "Zip": "postal_code", "Phone": "phone"}
        zip_field = next(c for c in view.fields() if c.label == "Zip")
        assert (zip_field.hint, zip_field.inputmode, zip_field.maxlength, zip_field.pattern) == ("5 digits", "numeric", 5, "[0-9]{5}")
        assert next(c for c in view.fields() if c.label == "Email").placeholder == "you@example.com"
        assert view.messages == []  # hidden .invalid-feedback text is not seen

        await fill(ctx, view, "checkout")
        data = shopper.person.data
        values = await page.evaluate("() => Object.fromEntries(Array.from(document.querySelectorAll('input, select')).map((e) => [e.name, e.value]))")
        # what the person types: their own details, chosen lists by name
        assert values["country"] == "US"
        region = ctx.intents["region"]
        assert values["state"] == US_STATE_NAMES[data.region] and region.canonical == data.region
        assert values["email"] == ctx.intents["email"].value or record.fields["email"].errors_made
        assert values["city"] == data.city or record.fields["city"].errors_made
        # the zip is judged while typed: the page's message shows from the first digit (no ARIA) and is seen
        zip_record = record.fields["postal_code"]
        assert zip_record.shown_while_typing >= 1
        assert record.shopper.clock.by_kind.get("error_reading", 0) > 0

        # keys at pace "instant" go through the browser's own editing: maxlength holds, input events fire per key
        from harness.journeys.page_reading import type_run
        await page.fill("#zip", "")
        await page.focus("#zip")
        traces = await type_run(page, "941071")
        assert await page.input_value("#zip") == "94107"
        # shown when the field was emptied, gone at the fifth key (logged at the key that caused it), none for the sixth
        assert len(traces) == 2 and [m.field for m in traces[0].messages] == ["Zip"] and traces[-1].messages == []
        assert traces[-1].n - traces[0].n == 5 and traces[-1].value == "94107"

        # a correction (Backspace back to what was meant) works on what the field really holds
        await page.fill("#phone", "")
        await page.focus("#phone")
        await type_run(page, "555-01x")
        await type_run(page, "", "555-01")
        await type_run(page, "0-1234")
        assert await page.input_value("#phone") == "555-010-1234"

        # a fix typed at the end of what an email field holds (no selection API there: a real End key)
        from harness.journeys.hands import type_keys
        from harness.shopper.keystrokes import Keystroke
        await page.fill("#email", "a@b.co")
        await page.focus("#zip")
        await type_keys(ctx, page.locator("#email"), [Keystroke("m", 100.0)], record.field("email"), initial="a@b.co",
                        selector="#email")
        assert await page.input_value("#email") == "a@b.com"

        # what the person sees after submitting: a visible, red, ARIA-less message by the field they emptied
        await page.fill("#city", "")
        await page.click("button[type=submit]")
        view = await look(ctx)
        city = [m for m in view.messages if m.field == "City"]
        assert [m.text for m in city] == ["City required."] and not city[0].role
        spot = next(s for s in perception.spots(view) if s.control.label == "City")
        assert spot.kind == "inline" and spot.control.marked and not spot.control.invalid
        before = record.fields["city"].errors_shown
        view = await after_submit_errors(ctx, view, "checkout", lambda key, c: intent_for(ctx, key, c))
        assert record.fields["city"].errors_shown > before


@pytest.mark.parametrize("filled, meant, rest", [
    ("重枝", "重枝4-16-13", "4-16-13"),  # a postal-code lookup's town: only the block numbers are typed
    ("山川町忌部", "山川町忌部5-19-18", "5-19-18"),
    ("Main St", "1 Main St", None),  # not the beginning: cleared and retyped
    ("重枝4-16-13", "重枝4-16-13", None),  # already all there: nothing to add
    ("", "重枝4-16-13", None),
])
def test_the_person_keeps_what_autofill_put_first_and_adds_only_what_is_missing(filled, meant, rest):
    from harness.journeys.filling import _typed_beginning

    cut = _typed_beginning(filled, meant)
    assert (meant[cut:] if cut is not None else None) == rest


def test_messages_that_appear_while_a_field_is_typed_are_onsets_at_the_key_that_showed_them():
    from harness.journeys.page_reading import TypedTrace

    def msg(text: str, field: str = "Zip") -> Message:
        return Message(text, _rect(100, 20, 0), False, True, True, field)

    traces = [
        TypedTrace(1, "Zip", "9", [msg("Enter 5 digits")]),  # shown at the first key
        TypedTrace(2, "Zip", "94", [msg("Enter 5 digits"), msg("Required", "City")]),  # another field's: not this one's
        TypedTrace(5, "Zip", "94107", []),  # gone at the fifth
        TypedTrace(6, "Zip", "941071", [msg("Enter 5 digits")]),  # back: a new onset
        TypedTrace(7, "", "", [msg("Enter 5 digits")]),  # after leaving the field: not while typing
    ]
    onsets = perception.typing_onsets(traces, "Zip", before=set())
    assert [(t.n, t.value, m.text) for t, m in onsets] == [(1, "9", "Enter 5 digits"), (6, "941071", "Enter 5 digits")]
    # a message already shown before the person started typing is not an onset
    assert [t.n for t, _ in perception.typing_onsets(traces, "Zip", before={"Enter 5 digits"})] == [6]


@pytest.mark.browser
def test_fields_named_only_by_placeholder_legend_or_autocomplete_are_understood_and_filled(fixture_site):
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, _unlabelled_form(fixture_site + "/unlabelled-checkout.html")).result()


async def _unlabelled_form(url: str) -> None:
    from harness.journeys.filling import fill
    from harness.journeys.loading import look

    async with _person_on(url, 7, "unlabelled") as ctx:
        page, record = ctx.page, ctx.record
        view = await look(ctx)
        # the name a person reads for each field, where it stands, and what they take it to ask for
        seen = [(c.label, c.label_from, c.meaning) for c in view.fields()]
        assert seen == [("Email address", "placeholder", "email"), ("Full name", "placeholder", "full_name"),
                        ("Phone number", "legend", "phone"), ("Anschrift", "label", "address_line1"),
                        ("ZIP code", "placeholder", "postal_code")]
        await fill(ctx, view, "checkout")
        values = await page.evaluate("() => Object.fromEntries(Array.from(document.querySelectorAll('input')).map((e) => [e.name, e.value]))")
        for name, key in (("email", "email"), ("fullname", "full_name"), ("phone", "phone"), ("street", "address_line1"),
                          ("zip", "postal_code")):
            assert values[name], f"{name} left empty"
            assert values[name] == ctx.intents[key].value or record.fields[key].errors_made, name
