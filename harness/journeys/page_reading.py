"""What a person can see on the page, read through the accessibility tree's own facts.

One script lists the visible, labelled form controls (label text, value, `aria-invalid`, the
visible text tied to them by `aria-describedby`, position), the visible alerts (`role=alert`)
with the fields they link to, the buttons and the headings. Nothing here reads a variant's
configuration: two variants can only differ through what this sees.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from playwright.async_api import Page

# Returned as one JSON string: Playwright's structured serialisation of the nested result (the
# options of a prefecture list, every control's facts) costs several times the scan itself.
# `frame`: first let the page finish what it does with a response it just got (one animation frame).
_SCAN = r"""
async (frame) => { if (frame) await new Promise((resolve) => requestAnimationFrame(resolve)); return JSON.stringify((() => {
  const visible = (el) => {
    if (!el) return false;
    if (el.checkVisibility && !el.checkVisibility({visibilityProperty: true})) return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const text = (el) => (el ? (el.innerText || el.textContent || '').replace(/\s+/g, ' ').trim() : '');
  const labelOf = (el) => {
    if (el.labels && el.labels.length) return text(el.labels[0]);
    if (el.getAttribute('aria-label')) return el.getAttribute('aria-label');
    const by = el.getAttribute('aria-labelledby');
    if (by) return by.split(/\s+/).map((id) => text(document.getElementById(id))).join(' ');
    return '';
  };
  const rect = (el) => { const r = el.getBoundingClientRect(); return {x: r.x, y: r.y + window.scrollY, w: r.width, h: r.height, top: r.top, bottom: r.bottom}; };
  const controls = [];
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden' || el.disabled || !visible(el)) continue;
    const described = (el.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean)
      .map((id) => document.getElementById(id)).filter((d) => d && visible(d)).map(text).filter(Boolean);
    const group = el.closest('fieldset');
    controls.push({
      label: labelOf(el), tag: el.tagName.toLowerCase(), type: (el.type || '').toLowerCase(), name: el.name || '',
      value: el.value || '', checked: !!el.checked, required: el.required || el.getAttribute('aria-required') === 'true',
      invalid: el.getAttribute('aria-invalid') === 'true', described, group: group ? text(group.querySelector('legend')) : '',
      options: el.tagName === 'SELECT' ? Array.from(el.options).filter((o) => !o.disabled && !(o.parentElement && o.parentElement.disabled) && !o.hidden).map((o) => ({label: o.label, value: o.value})) : [],
      rect: rect(el), focused: document.activeElement === el,
    });
  }
  const alerts = [];
  for (const el of document.querySelectorAll('[role=alert], [role=alertdialog]')) {
    if (!visible(el) || !text(el)) continue;
    const links = Array.from(el.querySelectorAll('a[href^="#"]')).map((a) => {
      const target = document.getElementById(a.getAttribute('href').slice(1));
      return {text: text(a), target_label: target ? labelOf(target) : '', target_rect: target ? rect(target) : null};
    });
    alerts.push({text: text(el), links, rect: rect(el)});
  }
  const buttons = Array.from(document.querySelectorAll('button, input[type=submit], a[role=button]'))
    .filter(visible).map((b) => ({text: text(b) || b.value || b.getAttribute('aria-label') || '', type: (b.type || '').toLowerCase(), rect: rect(b)}));
  const headings = Array.from(document.querySelectorAll('h1, h2')).filter(visible).map(text);
  const current = document.querySelector('[aria-current=step]');
  return {url: location.href, title: document.title, controls, alerts, buttons, headings, current_step: current ? text(current) : '',
          viewport: {w: window.innerWidth, h: window.innerHeight, scroll: window.scrollY},
          body_words: text(document.body).split(' ').length};
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

    @property
    def is_text(self) -> bool:
        return self.tag in ("input", "textarea") and self.type not in ("radio", "checkbox", "submit", "button")

    @property
    def optional(self) -> bool:
        lowered = self.label.lower()
        return not self.required and ("optional" in lowered or "任意" in self.label)


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
    extra: dict[str, Any] = field(default_factory=dict)

    def radios(self) -> list[Control]:
        return [c for c in self.controls if c.type == "radio"]

    def fields(self) -> list[Control]:
        return [c for c in self.controls if c.is_text or c.tag == "select"]

    def has_heading(self, *words: str) -> bool:
        joined = " ".join(self.headings + [self.title]).lower()
        return any(w.lower() in joined for w in words)


async def read_page(page: Page, after_frame: bool = False) -> PageView:
    raw = json.loads(await page.evaluate(_SCAN, after_frame))
    return PageView(
        url=raw["url"], title=raw["title"], controls=[Control(**c) for c in raw["controls"]], alerts=raw["alerts"],
        buttons=raw["buttons"], headings=raw["headings"], viewport=raw["viewport"], current_step=raw["current_step"],
        body_words=raw["body_words"],
    )
