"""A person buying once through a hosted checkout, top to bottom.

The merchant creates the session; the person opens the page and, until they are done or give up:
reads where they are, chooses how to pay, fills the fields (perceiving what the page shows while
and after typing, fixing what they notice), presses the button that goes on, and reads what comes
back (errors to find and fix, a decline, the bank's page, the confirmation). Every decision comes
from the shopper model (harness/shopper) and every fact from the rendered page; the variant's
configuration is never read. Human time goes to the shopper's clock (slept only at pace
"real"); system time (page loads, submissions, gateway calls) is measured.
"""

from __future__ import annotations

from .filling import fill, intent_for
from .loading import look, settle, track_requests
from .page_reading import PageView
from .paying import SECURE_HEADINGS, after_decline, authenticate, choose_method, payment_problem, submit
from .recovery import after_submit_errors
from .sites import ReferenceCheckout, authenticate_in_frame, challenge_frame
from .state import JourneyContext, Leave

MAX_SUBMITS = 12


async def drive(ctx: JourneyContext) -> None:
    if ctx.site is None:
        ctx.site = ReferenceCheckout()  # unless the worker names a site of the user's own
    untrack = track_requests(ctx)
    try:
        await journey(ctx)
    finally:
        untrack()


async def journey(ctx: JourneyContext) -> None:
    ctx.card_number = ctx.shopper.person.data.card_number
    await ctx.site.open(ctx)
    submits = 0
    step = "start"
    try:
        view = await look(ctx)
        answering = False  # the page on screen is the answer to the last submit
        while True:
            if await ctx.site.done(ctx, view):
                await ctx.site.finish(ctx)
                return
            if view.has_heading(*SECURE_HEADINGS):
                view = await authenticate(ctx, view)
                answering = False
                continue
            frame = await challenge_frame(ctx)
            if frame is not None:
                view = await authenticate_in_frame(ctx, frame)
                answering = False
                continue
            if answering:
                view = await answer(ctx, view, step)
                answering = False
                continue
            if submits >= MAX_SUBMITS:
                raise Leave("stuck", step)
            new_step = step_name(view)
            if new_step != step:
                ctx.record.steps.append(new_step)
                step = new_step
                ctx.tire("step", step)
            else:
                ctx.record.steps.append(step)
            await ctx.clock.aspend(ctx.shopper.think_ms(), "orienting")
            if await choose_method(ctx, view, step):
                view = await look(ctx)
            view = await fill(ctx, view, step)
            navigated = await submit(ctx, view)
            submits += 1
            if not navigated:
                await settle(ctx)  # the page's own script handles it: the person waits while it is busy
            view = await look(ctx)
            answering = True
    except Leave as leave:
        ctx.record.effort = ctx.shopper.effort.total
        ctx.record.end("abandoned" if leave.reason != "unrecoverable_error" else "error", leave.step or step,
                       leave.field_name, leave.reason)


def step_name(view: PageView) -> str:
    """The step the page says the person is on (steps layout), else the page's main heading."""
    if view.current_step:
        return view.current_step[:60]
    return (view.title.split(" – ")[0] or (view.headings[0] if view.headings else "checkout"))[:60]


async def answer(ctx: JourneyContext, view: PageView, step: str) -> PageView:
    """Read what the page says after submitting, when it is neither done nor the bank's page:
    errors on fields (seen, found, fixed or not), or a problem with the payment. Returns the page
    as it is afterwards."""
    problem = payment_problem(view)
    if problem is not None:
        return await after_decline(ctx, view, problem, step)
    return await after_submit_errors(ctx, view, step, lambda key, c: intent_for(ctx, key, c))
