"""The simulated shopper's human model: who the person is, how they type, point, read, notice
errors, wait and give up. Pure Python, seeded, no browser: the journey layer (Playwright) reads
the page, asks this model what the person does and how long it takes, and acts on the page.

Typical use in a journey:

    persona = load_persona("japan-mix")
    shopper = Shopper.from_persona(persona, seed=42, pace="instant")
    await shopper.clock.aspend(shopper.think_ms(), "mental")
    await shopper.clock.aspend(shopper.point_and_click_ms(distance_px, width_px), "pointing")
    await shopper.clock.aspend(shopper.hands_to_keyboard_ms(), "homing")
    plan = shopper.type_plan(shopper.person.data.email)
    for k in plan.keys:
        await shopper.clock.aspend(k.delay_ms, "typing")
        await page.keyboard.press(k.key) if k.key == "Backspace" else await page.keyboard.type(k.key)
    seen = shopper.notice(ErrorSignal("inline", text, in_view=True, near_current_field=True))
"""

from harness.shopper.clock import HumanClock
from harness.shopper.giveup import DeclineChoice, GiveUpPolicy, MethodChoice
from harness.shopper.keystrokes import (
    BACKSPACE,
    Keystroke,
    TypingPlan,
    apply_keystrokes,
    plan_fix,
    plan_typing,
    plan_typing_detailed,
)
from harness.shopper.model import Shopper
from harness.shopper.noticing import ErrorSignal, Notice, notice
from harness.shopper.person import Device, Person, sample_person
from harness.shopper.shopper_data import ShopperData
from harness.shopper.timing import keystroke_ms, pointing_ms, reading_ms

__all__ = [
    "BACKSPACE", "DeclineChoice", "Device", "ErrorSignal", "GiveUpPolicy", "HumanClock", "Keystroke",
    "MethodChoice", "Notice", "Person", "Shopper", "ShopperData", "TypingPlan", "apply_keystrokes",
    "keystroke_ms", "notice", "plan_fix", "plan_typing", "plan_typing_detailed", "pointing_ms",
    "reading_ms", "sample_person",
]
