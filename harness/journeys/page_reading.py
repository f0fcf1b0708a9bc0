"""What a person can see on the page: one scan of the rendered page, any page.

The scan lists the visible form controls (label, value, position, what the page shows about each
one: placeholder, hint text, type, inputmode, autocomplete, maxlength, pattern, and whether the
field itself looks wrong: `aria-invalid`, an "invalid" class or a red border), the buttons and
headings, and every visible message that looks like an error, whatever its markup:

- styled like one: red text (computed colour), inside `role=alert`, an error-ish class or id
  (`.invalid-feedback`, `.field-error`, `.error-summary`), or an icon;
- worded like one: "invalid", "required", "must", "please enter", "正しく", "入力してください"...;
- tied to a field: by `aria-describedby`, by a link to it (`href="#id"`, a summary), or by
  standing in the same block as exactly one field (a Bootstrap column with its
  `.invalid-feedback`); a message tied to no field is a page-level one (a decline).

ARIA is one of these signals, never required: a page whose errors are only visible text is seen,
and markup that is not rendered (hidden, zero size) is not. Positions are in page coordinates
(`y`) and relative to the viewport (`top`, `bottom`), so the person's view (scroll position,
phone or desktop viewport) decides what is in sight.

The scan also installs, once per document, a watcher (MutationObserver) that logs every change
in the set of error messages with the number of input events seen so far and the value of the
field in focus: what the page showed while the person was typing (live validation) is read back
with the next scan, so that no extra call per key is needed. Nothing here reads a variant's
configuration: two variants can only differ through what this sees.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from dataclasses import field as _field
from functools import cached_property
from typing import Any

from playwright.async_api import Page

from .understanding import field_key

# Returned as one JSON string: Playwright's structured serialisation of the nested result (the
# options of a prefecture list, every control's facts) costs several times the scan itself.
# `frame`: first let the page finish what it does with a response it just got (one animation frame).
_SCAN = r"""
async (frame) => { if (frame) await new Promise((resolve) => requestAnimationFrame(resolve)); return JSON.stringify((() => {
  const S = window.__shopperSight || (window.__shopperSight = (() => {
    const visible = (el) => {
      if (!el || !el.getBoundingClientRect) return false;
      if (el.checkVisibility && !el.checkVisibility({visibilityProperty: true, opacityProperty: true})) return false;
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.height > 0;
    };
    const text = (el) => (el ? (el.innerText || el.textContent || '').replace(/\s+/g, ' ').trim() : '');
    // What a person reads as a field's name, and where it stands: its label (or the name a screen
    // reader would give), else the legend of a group that holds only this field, else the text
    // shown inside it (placeholder), else its tooltip.
    const nameOf = (el) => {
      if (el.labels && el.labels.length) return [text(el.labels[0]), 'label'];
      if (el.getAttribute('aria-label')) return [el.getAttribute('aria-label'), 'label'];
      const by = el.getAttribute('aria-labelledby');
      if (by) return [by.split(/\s+/).map((id) => text(document.getElementById(id))).join(' '), 'label'];
      if (el.closest('label')) return [text(el.closest('label')), 'label'];
      const group = el.closest('fieldset');
      if (group && group.querySelectorAll('input:not([type=hidden]), select, textarea').length === 1) {
        const legend = text(group.querySelector('legend'));
        if (legend) return [legend, 'legend'];
      }
      if (el.getAttribute('placeholder')) return [el.getAttribute('placeholder'), 'placeholder'];
      if (el.getAttribute('title')) return [el.getAttribute('title'), 'title'];
      return ['', ''];
    };
    const labelOf = (el) => nameOf(el)[0];
    const rect = (el) => { const r = el.getBoundingClientRect(); return {x: r.x + window.scrollX, y: r.y + window.scrollY, w: r.width, h: r.height, top: r.top, bottom: r.bottom}; };
    const reddish = (css) => {
      const m = /rgba?\((\d+),\s*(\d+),\s*(\d+)(?:,\s*([\d.]+))?/.exec(css || '');
      if (!m || (m[4] !== undefined && +m[4] < 0.3)) return false;
      const r = +m[1], g = +m[2], b = +m[3];
      return r >= 150 && r > 1.6 * g && r > 1.6 * b;
    };
    const ERRORISH = /error|invalid|danger|alert|warning|problem/i;
    const WORDING = /invalid|required|must|please (enter|check|provide|select|choose)|enter (a|an|your)|is not|isn['’]t|not valid|incorrect|too (short|long)|doesn['’]t|does not|missing|check your|try again|error|problem|declined|正しく|入力してください|入力して下さい|必須|無効|誤|エラー|できません|ありません|確認してください|選択してください/i;
    const ICON = /^[⚠❗❌✖✕!]/;
    // An error-ish class or id on the text or a wrapper of it; a block that holds a field is the
    // field's wrapper (its "invalid" state class marks the field, not this text).
    const classy = (el) => {
      for (let e = el, n = 0; e && e !== document.body && n < 4; e = e.parentElement, n++) {
        if (ERRORISH.test((typeof e.className === 'string' ? e.className : '') + ' ' + (e.id || ''))) {
          return n === 0 || !e.querySelector('input, select, textarea');
        }
      }
      return false;
    };
    const controlsOf = (root) => Array.from(root.querySelectorAll('input, select, textarea'))
      .filter((c) => c.type !== 'hidden' && !c.disabled && visible(c));
    const fieldKey = (c) => (c.type === 'radio' ? 'radio:' + c.name : (c.id || c.name || labelOf(c)));
    // The one field a message stands with: the nearest block holding exactly one field (radios of one group count as one).
    const ownField = (el) => {
      for (let e = el.parentElement; e && e !== document.body; e = e.parentElement) {
        const cs = controlsOf(e);
        if (!cs.length) continue;
        const keys = new Set(cs.map(fieldKey));
        if (keys.size === 1) return cs[0];
        return null;
      }
      return null;
    };
    const badField = (c) => c.getAttribute('aria-invalid') === 'true' || /(^|\s)(is-invalid|invalid|error|has-error)(\s|$)/i.test(typeof c.className === 'string' ? c.className : '') || reddish(getComputedStyle(c).borderTopColor);
    // The largest block around a field that holds no other field: where its label, hint and message stand.
    const FIELDS = 'input:not([type=hidden]):not([type=submit]):not([type=button]), select, textarea';
    const fieldBlock = (c) => {
      let b = c;
      for (let n = 0; n < 6 && b.parentElement && b.parentElement !== document.body; n++) {
        const inside = b.parentElement.querySelectorAll(FIELDS);
        if (inside.length > 1 && new Set(Array.from(inside, fieldKey)).size > 1) break;
        b = b.parentElement;
      }
      return b;
    };
    const describedOwner = (el) => {
      for (let e = el; e && e !== document.body; e = e.parentElement) {
        if (!e.id) continue;
        const owner = document.querySelector('[aria-describedby~="' + CSS.escape(e.id) + '"]');
        if (owner && owner.matches('input, select, textarea') && visible(owner)) return owner;
      }
      return null;
    };
    const messages = () => {
      const out = [];
      const taken = new Set();
      // 1. alerts and summaries: one message each, with the fields their links point at
      for (const box of document.querySelectorAll('[role=alert], [role=alertdialog], [aria-live=assertive]')) {
        if (!visible(box) || !text(box)) continue;
        const t = text(box);
        const links = Array.from(box.querySelectorAll('a[href^="#"]')).map((a) => {
          const target = document.getElementById(decodeURIComponent(a.getAttribute('href').slice(1)));
          return {text: text(a), field: target && target.matches && target.matches('input, select, textarea') ? labelOf(target) : ''};
        }).filter((l) => l.field);
        const owner = links.length ? null : (describedOwner(box) || ownField(box));
        out.push({text: t.slice(0, 400), rect: rect(box), role: true, styled: true, worded: WORDING.test(t),
                  field: owner ? labelOf(owner) : '', items: links, tied: owner ? (describedOwner(box) ? 'described' : 'block') : (links.length ? 'links' : '')});
        box.querySelectorAll('*').forEach((e) => taken.add(e));
        taken.add(box);
      }
      // 2. any other text that looks like an error: styled as one (red, an error class, an icon) and
      //    worded as one, or red in an error-ish block, or tied to a field that itself looks wrong
      for (const el of document.body.querySelectorAll('p, span, div, li, small, strong, em, b, output, a, td, dd')) {
        if (taken.has(el)) continue;
        let own = '';
        for (const n of el.childNodes) if (n.nodeType === 3) own += n.textContent;
        own = own.trim();
        if (!own || own.length > 300) continue;
        const red = reddish(getComputedStyle(el).color);
        const cls = classy(el);
        const icon = ICON.test(own) || !!el.querySelector('svg, img');
        if (!(red || cls || icon)) continue;
        if (el.closest('label, button, select, option, h1, h2, h3, legend') || !visible(el)) continue;
        const t = text(el);
        const worded = WORDING.test(t);
        const described = describedOwner(el);
        const owner = described || ownField(el);
        const ownerBad = owner && badField(owner);
        if (!(worded || (red && (cls || ownerBad)))) continue;
        el.querySelectorAll('*').forEach((e) => taken.add(e));
        out.push({text: t.slice(0, 400), rect: rect(el), role: false, styled: true, worded, field: owner ? labelOf(owner) : '', items: [],
                  tied: owner ? (described ? 'described' : 'block') : ''});
      }
      return out;
    };
    const log = [];
    let inputs = 0, last = '', pending = false, observer = null;
    const record = () => {
      pending = false;
      const ms = messages();
      const key = ms.map((m) => m.field + ':' + m.text).join('|');
      if (key === last) return;
      last = key;
      const a = document.activeElement;
      log.push({n: inputs, field: a && a.matches && a.matches('input, select, textarea') ? labelOf(a) : '', value: a && 'value' in a ? a.value : '',
                messages: ms.map((m) => ({text: m.text, field: m.field, items: m.items, rect: m.rect, styled: m.styled, worded: m.worded, role: m.role}))});
      if (log.length > 200) log.splice(0, log.length - 200);
    };
    document.addEventListener('input', () => { inputs++; }, true);
    observer = new MutationObserver(() => { if (!pending) { pending = true; queueMicrotask(record); } });
    observer.observe(document.documentElement, {subtree: true, childList: true, characterData: true, attributes: true,
                                                attributeFilter: ['class', 'style', 'hidden', 'aria-invalid', 'aria-hidden']});
    last = messages().map((m) => m.field + ':' + m.text).join('|');
    // Changes made while a script runs (the typing below) reach the observer only when the script
    // ends: take them after each key so that each is logged at the key that caused it.
    const flush = () => { if (observer.takeRecords().length) record(); };
    return {visible, text, nameOf, labelOf, rect, reddish, messages, badField, fieldBlock, flush, hints: new WeakMap(), take: () => { const out = log.splice(0); return {inputs, log: out}; }};
  })());
  const {visible, text, nameOf, rect, reddish} = S;
  const controls = [];
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden' || el.disabled || !visible(el)) continue;
    const describedEls = (el.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean)
      .map((id) => document.getElementById(id)).filter((d) => d && visible(d));
    const described = describedEls.map(text).filter(Boolean);
    // hint text: what the page says about the field besides its label and errors (in its own block)
    let hint = S.hints.get(el);
    if (hint === undefined) {  // a field's hint is read once per page (it does not come and go like errors)
      hint = '';
      const block = S.fieldBlock(el);
      if (block !== el) {
        for (const h of block.querySelectorAll('.form-text, .hint, .help, .help-block, small, [id$="-hint"], [id$="Help"]')) {
          if (visible(h) && !reddish(getComputedStyle(h).color)) { hint = text(h); break; }
        }
      }
      S.hints.set(el, hint);
    }
    const group = el.closest('fieldset');
    const [label, labelFrom] = nameOf(el);
    controls.push({
      label, label_from: labelFrom, tag: el.tagName.toLowerCase(), type: (el.type || '').toLowerCase(), name: el.name || '', id: el.id || '',
      value: el.value || '', checked: !!el.checked, required: el.required || el.getAttribute('aria-required') === 'true',
      invalid: el.getAttribute('aria-invalid') === 'true', described, group: group ? text(group.querySelector('legend')) : '',
      marked: S.badField(el),
      placeholder: el.getAttribute('placeholder') || '', hint: hint.slice(0, 200), inputmode: el.getAttribute('inputmode') || '',
      autocomplete: el.getAttribute('autocomplete') || '', maxlength: el.maxLength > 0 ? el.maxLength : null, pattern: el.getAttribute('pattern') || '',
      options: el.tagName === 'SELECT' ? Array.from(el.options).filter((o) => !o.disabled && !(o.parentElement && o.parentElement.disabled) && !o.hidden).map((o) => ({label: o.label, value: o.value})) : [],
      rect: rect(el), focused: document.activeElement === el,
    });
  }
  const messages = S.messages();
  const alerts = messages.filter((m) => m.role).map((m) => ({text: m.text, links: m.items.map((i) => ({text: i.text, target_label: i.field})), rect: m.rect, field: m.field}));
  const buttons = Array.from(document.querySelectorAll('button, input[type=submit], a[role=button]'))
    .filter(visible).map((b) => ({text: text(b) || b.value || b.getAttribute('aria-label') || '', type: (b.type || '').toLowerCase(), rect: rect(b)}));
  const headings = Array.from(document.querySelectorAll('h1, h2')).filter(visible).map(text);
  const current = document.querySelector('[aria-current=step]');
  const typed = S.take();
  return {url: location.href, title: document.title, controls, alerts, messages, buttons, headings, current_step: current ? text(current) : '',
          viewport: {w: window.innerWidth, h: window.innerHeight, scroll: window.scrollY, page_h: document.documentElement.scrollHeight},
          body_words: text(document.body).split(' ').length, typed: typed.log, inputs: typed.inputs};
})()); }
"""


@dataclass
class Control:
    label: str
    tag: str
    type: str
    name: str
    value: str
    checked: bool
    required: bool
    invalid: bool
    described: list[str]
    group: str
    options: list[dict[str, str]]
    rect: dict[str, float]
    focused: bool
    id: str = ""
    marked: bool = False  # the field itself looks wrong: aria-invalid, an "invalid" class, a red border
    placeholder: str = ""
    hint: str = ""
    inputmode: str = ""
    autocomplete: str = ""
    maxlength: int | None = None
    pattern: str = ""
    label_from: str = "label"  # where `label` was read: label (or aria), legend, placeholder, title

    @cached_property
    def meaning(self) -> str | None:
        """Which of the person's details the field asks for (understanding.field_key), read once per control:
        the filling and the error handling ask it several times of the same field."""
        return field_key(self.label, self.autocomplete)

    @property
    def is_text(self) -> bool:
        return self.tag in ("input", "textarea") and self.type not in ("radio", "checkbox", "submit", "button")

    @property
    def optional(self) -> bool:
        lowered = self.label.lower()
        return not self.required and ("optional" in lowered or "任意" in self.label)


@dataclass
class Message:
    """Visible text that looks like an error. `field`: the label of the field it stands with (its
    block or `aria-describedby`), "" if none; `items`: for a summary, its links to fields."""

    text: str
    rect: dict[str, float]
    role: bool
    styled: bool
    worded: bool
    field: str = ""
    items: list[dict[str, str]] = _field(default_factory=list)
    tied: str = ""

    def names(self, label: str) -> bool:
        return self.field == label or any(i["field"] == label for i in self.items)

    def text_for(self, label: str) -> str:
        """The words that concern one field (a summary's item, else the whole message)."""
        for item in self.items:
            if item["field"] == label and item["text"]:
                return item["text"]
        return self.text


@dataclass
class TypedTrace:
    """One change in the page's error messages while the person was typing (the watcher's log)."""

    n: int  # input events the page had seen when it changed
    field: str  # the label of the field in focus
    value: str  # its value then
    messages: list[Message]


@dataclass
class PageView:
    url: str
    title: str
    controls: list[Control]
    alerts: list[dict[str, Any]]
    buttons: list[dict[str, Any]]
    headings: list[str]
    viewport: dict[str, float]
    current_step: str = ""
    body_words: int = 0
    messages: list[Message] = field(default_factory=list)
    typed: list[TypedTrace] = field(default_factory=list)
    inputs: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def radios(self) -> list[Control]:
        return [c for c in self.controls if c.type == "radio"]

    def fields(self) -> list[Control]:
        return [c for c in self.controls if c.is_text or c.tag == "select"]

    def has_heading(self, *words: str) -> bool:
        joined = " ".join(self.headings + [self.title]).lower()
        return any(w.lower() in joined for w in words)

    def messages_for(self, label: str) -> list[Message]:
        return [m for m in self.messages if m.names(label)]

    def page_messages(self) -> list[Message]:
        """Messages tied to no field: a problem with the payment or the page."""
        return [m for m in self.messages if not m.field and not m.items]


def _message(raw: dict[str, Any]) -> Message:
    return Message(raw["text"], raw["rect"], raw["role"], raw["styled"], raw["worded"], raw.get("field", ""),
                   raw.get("items", []), raw.get("tied", ""))


# Typing a run of keys at pace "instant": for each character, to whatever element has focus, the
# events a key brings (keydown, keypress, the text inserted by the browser's own editing, which
# fires beforeinput and input and honours maxlength and the caret, keyup); a handler that cancels
# keydown or keypress keeps the character out, as for a real key. All in one call.
# `ops`: [run, meant] pairs in order. With `meant` (a correction: a run of Backspaces), first
# Backspace until the field holds a beginning of what the person meant (compared as
# understanding.normalise does: width, case, spaces and single separators aside; a page that
# reformatted or refused a key leaves less to delete) and type what is missing of it; then the run.
_TYPE = r"""
([ops, how]) => {
  const sight = window.__shopperSight;
  if (how.focus) {  // the field the person moved to (as Locator.focus: focus events, no pointer events)
    const target = document.querySelector(how.focus);
    if (target && document.activeElement !== target) target.focus();
  }
  const field = document.activeElement;
  if (how.clear && field && field.select) { field.select(); document.execCommand('delete'); }

  const key = (k, insert) => {
    const el = document.activeElement || document.body;
    const init = {key: k, bubbles: true, cancelable: true, composed: true};
    if (el.dispatchEvent(new KeyboardEvent('keydown', init))
        && (k === 'Backspace' || el.dispatchEvent(new KeyboardEvent('keypress', {...init, charCode: k.codePointAt(0)})))) {
      insert();
    }
    el.dispatchEvent(new KeyboardEvent('keyup', init));
    if (sight) sight.flush();
  };
  const norm = (v) => (v || '').normalize('NFKC').toLowerCase().replace(/\s+/g, '').replace(/(?<![-/])[-/](?![-/])/g, '');
  const value = () => { const el = document.activeElement; return el && 'value' in el ? el.value : ''; };
  for (const [run, meant] of ops) {
    if (meant !== null) {
      const want = norm(meant);
      for (let i = 0; i < 64 && !want.startsWith(norm(value())); i++) key('Backspace', () => document.execCommand('delete'));
      const have = norm(value());
      let cut = meant.length;
      for (let n = 0; n <= meant.length; n++) if (norm(meant.slice(0, n)) === have) { cut = n; break; }
      for (const ch of meant.slice(cut)) key(ch, () => document.execCommand('insertText', false, ch));
    }
    for (const ch of run) key(ch, () => document.execCommand('insertText', false, ch));
  }
  if (how.tab) {
    // Tab: keydown on the field (a page may cancel it), focus to the next element in sequential
    // focus order (positive tabindex first, then document order; one radio per group, the checked
    // one; nothing disabled, hidden or with a negative tabindex), keyup there.
    const from = document.activeElement || document.body;
    const init = {key: 'Tab', code: 'Tab', bubbles: true, cancelable: true, composed: true};
    if (from.dispatchEvent(new KeyboardEvent('keydown', init))) {
      const all = Array.from(document.querySelectorAll('input, select, textarea, button, a[href], [tabindex]'))
        .filter((e) => e.tabIndex >= 0 && !e.disabled && !(e.type === 'hidden') && (sight ? sight.visible(e) : e.getClientRects().length > 0));
      const groups = {};
      for (const e of all) if (e.type === 'radio' && e.name) (groups[e.name] = groups[e.name] || []).push(e);
      const order = all.filter((e) => {
        if (e.type !== 'radio' || !e.name) return true;
        const g = groups[e.name];
        return e === (g.find((r) => r.checked) || g[0]) || e === from;
      });
      const positive = order.filter((e) => e.tabIndex > 0).sort((a, b) => a.tabIndex - b.tabIndex);
      const seq = positive.concat(order.filter((e) => e.tabIndex === 0));
      const next = seq[seq.indexOf(from) + 1];
      if (next) next.focus(); else if (from.blur) from.blur();
      if (sight) sight.flush();
      (document.activeElement || document.body).dispatchEvent(new KeyboardEvent('keyup', init));
    }
  }
  return JSON.stringify(sight ? sight.take() : {inputs: 0, log: []});
}
"""


def _traces(raw: dict[str, Any]) -> list[TypedTrace]:
    return [TypedTrace(t["n"], t["field"], t["value"], [_message(m) for m in t["messages"]]) for t in raw["log"]]


async def type_run(page: Page, text: str, meant: str | None = None, *, focus: str | None = None,
                   clear: bool = False) -> list[TypedTrace]:
    """Send a run of characters key by key, without waiting between keys (pace "instant"); with
    `meant`, correct the field to what the person meant instead (Backspace, then the rest).
    First, optionally: focus the element `focus` (a CSS selector) or clear the field (select
    all, delete). Keys go where the caret is. Returns what the page's error messages did since
    the last scan (as `read_typed`)."""
    return await type_ops(page, [(text, meant)], focus=focus, clear=clear)


async def type_ops(page: Page, ops: list[tuple[str, str | None]], *, focus: str | None = None,
                   clear: bool = False, tab: bool = False) -> list[TypedTrace]:
    """A whole typing plan in one call: runs of keys and corrections (see `type_run`), then,
    with `tab`, the Tab key that leaves the field (focus to the next field in tab order)."""
    how = {"focus": focus, "clear": clear, "tab": tab}
    return _traces(json.loads(await page.evaluate(_TYPE, [[list(op) for op in ops], how])))


_TAKE = "() => JSON.stringify(window.__shopperSight ? window.__shopperSight.take() : {inputs: 0, log: []})"


async def read_typed(page: Page) -> list[TypedTrace]:
    """What the page's error messages did since the last scan (one small call, no page scan)."""
    return _traces(json.loads(await page.evaluate(_TAKE)))


async def read_page(page: Page, after_frame: bool = False) -> PageView:
    raw = json.loads(await page.evaluate(_SCAN, after_frame))
    return PageView(
        url=raw["url"], title=raw["title"], controls=[Control(**c) for c in raw["controls"]], alerts=raw["alerts"],
        buttons=raw["buttons"], headings=raw["headings"], viewport=raw["viewport"], current_step=raw["current_step"],
        body_words=raw["body_words"], messages=[_message(m) for m in raw["messages"]],
        typed=[TypedTrace(t["n"], t["field"], t["value"], [_message(m) for m in t["messages"]]) for t in raw["typed"]],
        inputs=raw["inputs"],
    )
