/* The hosted checkout's script: only what the variant needs (validation timing and placement,
 * card-number grouping and brand, postal-code autofill). No dependencies.
 *
 * The rules are validation.py's: patterns, card brands and messages come from the server as JSON
 * (#checkout-config), and normalise/check below follow validation.py step by step, so the page
 * and the server say the same thing about the same input. Without this script the form still
 * works: the server validates on submit and renders the same errors.
 */
(function () {
  "use strict";
  var configEl = document.getElementById("checkout-config");
  if (!configEl) return;
  var C, R, RX, G;
  function adopt(config) {  // the page's configuration; again when the country's address form comes
    C = config;
    R = C.rules;
    RX = {};
    G = {};
    Object.keys(R.patterns).forEach(function (k) {
      RX[k] = new RegExp(R.patterns[k], "u");
      G[k] = new RegExp(R.patterns[k], "gu");
    });
  }
  adopt(JSON.parse(configEl.textContent));

  // -- rules (mirror of validation.py) ------------------------------------------------------

  function normalise(kind, value) {
    if (kind === "password") return value;
    var v = value.normalize("NFKC").trim();
    if (kind === "card_number" || kind === "card_cvc") return v.replace(G.hyphens, "").replace(G.spaces, "");
    if (kind === "card_expiry") return v.replace(G.spaces, "");
    if (kind === "postal_code") return v.replace(G.hyphens, "-").replace(G.spaces, " ").toUpperCase();
    if (kind === "phone") return v.replace(G.hyphens, "").replace(G.phone_separators, "");
    if (kind === "text" || kind === "kana") return v.replace(G.spaces, " ");
    return v;
  }

  function brandOf(digits) {
    // validation.py brand_of: the first brand with a prefix the number starts with; prefixes come
    // as [low, high] runs of same-length numbers, compared as equal-length digit strings.
    for (var i = 0; i < R.brands.length; i++) {
      var b = R.brands[i];
      for (var j = 0; j < b.ranges.length; j++) {
        var lo = b.ranges[j][0], hi = b.ranges[j][1], head = digits.slice(0, lo.length);
        if (head.length === lo.length && head >= lo && head <= hi) return b;
      }
    }
    return null;
  }

  function cardBrand(value) {
    var digits = normalise("card_number", value);
    if (!digits || !RX.digits.test(digits)) return null;
    var b = brandOf(digits);
    return b ? b.brand : null;
  }

  function luhnValid(number) {
    var total = 0;
    for (var i = 0; i < number.length; i++) {
      var d = number.charCodeAt(number.length - 1 - i) - 48;
      if (i % 2 === 1) { d *= 2; if (d > 9) d -= 9; }
      total += d;
    }
    return total % 10 === 0;
  }

  function problem(code, params) { return { code: code, params: params || {} }; }

  function parseExpiry(value) {
    var m = RX.card_expiry.exec(normalise("card_expiry", value));
    if (!m) return null;
    var month = parseInt(m[1], 10), year = parseInt(m[2], 10);
    return [month, m[2].length === 2 ? year + 2000 : year];
  }

  function check(kind, value, required, ctx) {
    var v = normalise(kind, value);
    if (v === "") return required ? problem("required") : null;
    switch (kind) {
      case "text":
        return v.length > R.text_max_length ? problem("text.too_long", { max: R.text_max_length }) : null;
      case "email":
        return v.length > R.email_max_length || !RX.email.test(v) ? problem("email.format") : null;
      case "password":
        if (v.length < ctx.min_length) return problem("password.too_short", { min: ctx.min_length });
        if (!RX.letter.test(v) || !RX.digit.test(v)) return problem("password.mix");
        return null;
      case "card_number": {
        if (!RX.digits.test(v)) return problem("card_number.format");
        var b = brandOf(v);
        var lengths = b ? b.lengths : R.any_lengths;
        if (lengths.indexOf(v.length) < 0) {
          if (!b) return problem("card_number.length_unknown");
          return problem("card_number.length", { brand: R.brand_names[b.brand] || b.brand, digits: lengths });
        }
        return luhnValid(v) ? null : problem("card_number.luhn");
      }
      case "card_expiry": {
        var parsed = parseExpiry(v);
        if (!parsed) return problem("card_expiry.format");
        if (parsed[0] < 1 || parsed[0] > 12) return problem("card_expiry.month");
        if (parsed[1] < ctx.year || (parsed[1] === ctx.year && parsed[0] < ctx.month)) return problem("card_expiry.past");
        if (parsed[1] > ctx.year + 50) return problem("card_expiry.far");
        return null;
      }
      case "card_cvc": {
        if (!RX.digits.test(v)) return problem("card_cvc.format");
        var expected = [3, 4];
        if (ctx.brand) {
          var brand = R.brands.filter(function (x) { return x.brand === ctx.brand; })[0];
          expected = [brand ? brand.cvc : 3];
        }
        if (expected.indexOf(v.length) < 0) {
          return problem(expected.length === 1 && expected[0] === 4 ? "card_cvc.length_4" : "card_cvc.length_3");
        }
        return null;
      }
      case "postal_code": {
        var postal = R.postal[ctx.country];
        if (!postal) return null;
        var rx = RX["postal_code." + ctx.country];
        return rx.test(v) || rx.test(v.replace(/ /g, "")) ? null : problem(postal.code, postal.params);
      }
      case "phone": {
        var phone = R.phone[ctx.country];
        if (!phone) return null;
        return RX["phone." + ctx.country].test(v) ? null : problem(phone.code, phone.params);
      }
      case "kana":
        if (v.length > R.text_max_length) return problem("text.too_long", { max: R.text_max_length });
        return RX.kana.test(v) ? null : problem("kana.format");
      case "choice":
        return ctx.choices.indexOf(v) >= 0 ? null : problem("choice.invalid");
    }
    throw new Error("unknown field kind " + kind);
  }

  function message(p, fieldName) {
    var texts = R.messages;
    var own = (p.code === "required" || p.code === "choice.invalid") && R.required_keys[fieldName];
    if (own && texts[own]) return texts[own];
    if (p.code === "required") return texts["required." + fieldName] || texts.required;
    if (p.code === "choice.invalid" && texts["required." + fieldName]) return texts["required." + fieldName];
    return texts[p.code].replace(/\{(\w+)\}/g, function (_, key) {
      var value = p.params[key];
      return Array.isArray(value) ? value.map(String).join(texts.or) : String(value);
    });
  }

  window.CheckoutRules = { normalise: normalise, check: check, message: message, cardBrand: cardBrand, parseExpiry: parseExpiry };

  // -- the page -------------------------------------------------------------------------------

  var form = document.getElementById("checkout-form");
  if (!form) return;
  var fields = C.fields;
  var byName = {};
  fields.forEach(function (f) { byName[f.name] = f; });
  var shown = {};        // name -> message currently shown
  var dirty = {};        // typed into since the page loaded
  var touched = {};      // left at least once after typing (live validation starts then)
  var submitting = false;

  function radios() { return Array.prototype.slice.call(form.querySelectorAll('input[name="payment_method"][type="radio"]')); }
  function control(name) { return name === "payment_method" ? radios()[0] : document.getElementById(name); }
  function valueOf(name) {
    if (name === "payment_method") {
      var r = radios();
      if (!r.length) { var hidden = form.querySelector('input[name="payment_method"]'); return hidden ? hidden.value : ""; }
      var checked = r.filter(function (x) { return x.checked; })[0];
      return checked ? checked.value : "";
    }
    var el = form.elements.namedItem(name);
    return el && "value" in el ? el.value : "";
  }
  function regionsOf() {  // the state select lists the chosen country's regions only
    return Array.prototype.map.call(document.querySelectorAll("select#state option"), function (o) { return o.value; })
      .filter(Boolean);
  }
  function regionName(value) {
    var o = document.querySelector('select#state option[value="' + CSS.escape(value) + '"]');
    return o ? o.textContent : value;
  }
  function country() {
    var v = valueOf("country");
    return C.countries.indexOf(v) >= 0 ? v : C.countries[0];
  }
  function selectedMethod() { return valueOf("payment_method"); }
  function context(f) {
    var choices = [];
    if (f.name === "payment_method") choices = C.methods;
    else if (f.name === "country") choices = C.countries;
    else if (f.name === "state") choices = regionsOf();
    return {
      country: country(),
      brand: f.name === "card_cvc" ? cardBrand(valueOf("card_number")) : null,
      year: C.now.year, month: C.now.month, min_length: C.min_length, choices: choices
    };
  }
  function applies(f) { return !f.method || C.methods.length < 2 || f.method === selectedMethod(); }
  function problemOf(f) {
    if (!applies(f)) return null;
    var p = check(f.kind, valueOf(f.name), f.required, context(f));
    return p ? message(p, f.name) : null;
  }

  var inline = C.placement === "inline" || C.placement === "both";
  var summary = C.placement === "summary" || C.placement === "both";

  function describedBy(el, id, on) {
    if (!el) return;
    var ids = (el.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    var has = ids.indexOf(id) >= 0;
    if (on && !has) ids.push(id);
    if (!on && has) ids.splice(ids.indexOf(id), 1);
    if (ids.length) el.setAttribute("aria-describedby", ids.join(" ")); else el.removeAttribute("aria-describedby");
  }

  function draw(name, msg) {
    var wrapper = document.getElementById(name + "-field");
    var targets = name === "payment_method" ? [wrapper].concat(radios()) : [control(name)];
    var describing = name === "payment_method" ? wrapper : control(name);
    if (wrapper) wrapper.classList.toggle("field--invalid", !!msg);
    targets.forEach(function (el) {
      if (!el || el.tagName === "FIELDSET") return;
      if (msg) el.setAttribute("aria-invalid", "true"); else el.removeAttribute("aria-invalid");
    });
    if (inline && wrapper) {
      var p = document.getElementById(name + "-error");
      if (msg) {
        if (!p) {
          p = document.createElement("p");
          p.className = "field-error";
          p.id = name + "-error";
          var before = wrapper.querySelector(".control, select") || (wrapper.querySelector("legend") || {}).nextSibling;
          wrapper.insertBefore(p, before || null);
        }
        p.textContent = msg;
      } else if (p) {
        p.parentNode.removeChild(p);
      }
      describedBy(describing, name + "-error", !!msg);
    }
    if (summary) describedBy(describing, name + "-summary", !!msg);
  }

  function drawSummary() {
    var box = document.getElementById("error-summary");
    if (!box || !summary) return;
    var list = box.querySelector("ul");
    var names = fields.map(function (f) { return f.name; }).filter(function (n) { return shown[n]; });
    var key = names.map(function (n) { return n + ":" + shown[n]; }).join("|");
    if (box.getAttribute("data-key") === key) return;  // unchanged: do not re-announce
    box.setAttribute("data-key", key);
    list.textContent = "";
    names.forEach(function (n) {
      var li = document.createElement("li");
      li.id = n + "-summary";
      var a = document.createElement("a");
      a.href = "#" + (n === "payment_method" ? "payment_method-" + C.methods[0] : n);
      a.textContent = shown[n];
      li.appendChild(a);
      list.appendChild(li);
    });
    box.hidden = names.length === 0;
  }

  function show(name, msg) {
    if ((shown[name] || null) === (msg || null)) return;
    if (msg) shown[name] = msg; else delete shown[name];
    draw(name, msg);
    drawSummary();
  }

  function validateOne(name) {
    var f = byName[name];
    if (f) show(name, problemOf(f));
  }

  function validateAll() {
    var first = null;
    fields.forEach(function (f) {
      var msg = problemOf(f);
      if (msg) shown[f.name] = msg; else delete shown[f.name];
      draw(f.name, msg);
      if (msg && !first) first = f.name;
    });
    drawSummary();
    return first;
  }

  // Errors the server rendered are the starting state.
  fields.forEach(function (f) {
    var el = f.name === "payment_method" ? radios()[0] : control(f.name);
    if (el && el.getAttribute("aria-invalid") === "true") {
      var p = document.getElementById(f.name + "-error") || document.getElementById(f.name + "-summary");
      if (p) shown[f.name] = p.textContent;
    }
  });

  function fieldName(target) {
    if (!target || !target.name) return null;
    return byName[target.name] ? target.name : null;
  }

  form.addEventListener("input", function (ev) {
    var name = fieldName(ev.target);
    if (!name) return;
    dirty[name] = true;
    if (name === "card_number") onCardNumber(ev);
    if (name === "card_expiry" && C.format_card && !ev.isComposing) reformat(ev.target, formatExpiry);
    if (name === "postal_code" && C.autofill) lookup(false);
    if (C.timing === "live" && touched[name]) validateOne(name);
    if (C.timing === "live" && name === "card_number" && touched.card_cvc) validateOne("card_cvc");
  });

  form.addEventListener("focusout", function (ev) {
    var name = fieldName(ev.target);
    if (!name || C.timing === "submit") return;
    if (name === "payment_method") return;  // a radio group is judged on change
    if (!dirty[name] && !shown[name]) return;  // passing through an untouched field is not an error
    touched[name] = true;
    validateOne(name);
  });

  form.addEventListener("change", function (ev) {
    var name = fieldName(ev.target);
    if (name === "country") changeCountry();
    if (!name || C.timing === "submit") return;
    if (ev.target.tagName === "SELECT" || ev.target.type === "radio") {
      dirty[name] = touched[name] = true;
      validateOne(name);
    }
  });

  form.addEventListener("submit", function (ev) {
    var action = ev.submitter && ev.submitter.value ? ev.submitter.value : "pay";
    if (action === "lookup") { ev.preventDefault(); lookup(true); return; }
    if (action === "back" || action.indexOf("edit:") === 0) return;
    if (submitting) { ev.preventDefault(); return; }
    var first = validateAll();
    if (first) {
      ev.preventDefault();
      var el = control(first);
      if (el) el.focus();
      return;
    }
    submitting = true;
    form.setAttribute("aria-busy", "true");
  });

  window.addEventListener("pageshow", function () { submitting = false; form.removeAttribute("aria-busy"); });

  var box = document.getElementById("error-summary");
  if (box) {
    box.addEventListener("click", function (ev) {
      var a = ev.target.closest("a");
      if (!a) return;
      var el = document.getElementById(a.getAttribute("href").slice(1));
      if (el) { ev.preventDefault(); el.focus(); el.scrollIntoView({ block: "center" }); }
    });
  }

  // -- card number: groups of four as typed, brand named -------------------------------------

  function groupsFor(digits) {
    var b = brandOf(digits);
    if (b && b.brand === "amex") return [4, 6, 5];
    if (b && b.brand === "diners" && digits.length <= 14) return [4, 6, 4];
    return [4, 4, 4, 4, 3];
  }
  function formatCard(raw) {
    var digits = raw.normalize("NFKC").replace(/[^0-9]/g, "").slice(0, 19);
    var out = [], i = 0;
    groupsFor(digits).forEach(function (n) { if (i < digits.length) { out.push(digits.slice(i, i + n)); i += n; } });
    return out.join(" ");
  }
  function formatExpiry(raw) {
    var v = raw.normalize("NFKC");
    if (/^\s*[0-9]\s*[\/\-]/.test(v)) v = "0" + v.trim();
    var digits = v.replace(/[^0-9]/g, "").slice(0, 6);
    return digits.length > 2 ? digits.slice(0, 2) + " / " + digits.slice(2) : digits;
  }
  function reformat(el, fn) {
    var old = el.value;
    var next = fn(old);
    if (next === old) return;
    var caret = el.selectionStart == null ? old.length : el.selectionStart;
    var atEnd = caret >= old.length;
    var digitsBefore = old.slice(0, caret).normalize("NFKC").replace(/[^0-9]/g, "").length;
    el.value = next;
    var pos = next.length;
    if (!atEnd) {
      var seen = 0;
      for (pos = 0; pos < next.length && seen < digitsBefore; pos++) if (/[0-9]/.test(next[pos])) seen++;
    }
    el.setSelectionRange(pos, pos);
  }
  function onCardNumber(ev) {
    if (C.format_card && !ev.isComposing) reformat(ev.target, formatCard);
    if (C.show_brand) {
      var tag = document.getElementById("card_number-brand");
      var brand = cardBrand(ev.target.value);
      if (tag) tag.textContent = brand ? (R.brand_names[brand] || brand) : "";
    }
  }

  // -- address: the chosen country's form, autofill from the postal code -----------------------

  // A new country brings its own address fields (order, labels, regions, rules): the server renders
  // the page for it (as it does without this script, from the form's "update" button) and the
  // address block and the rules are taken from that page. Focus stays on the country select; the
  // block is aria-busy meanwhile and a status line says what changed.
  var countryRequest = 0;
  function changeCountry() {
    var box = document.getElementById("address-fields");
    if (!box || box.getAttribute("data-country") === valueOf("country")) return;
    var body = new URLSearchParams(new FormData(form));
    body.set("action", "country");
    var mine = ++countryRequest;
    box.setAttribute("aria-busy", "true");
    fetch(form.getAttribute("action"), { method: "POST", body: body, headers: { Accept: "text/html" } })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        if (mine !== countryRequest) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("address-fields");
        var config = doc.getElementById("checkout-config");
        if (!fresh || !config) { box.removeAttribute("aria-busy"); return; }
        adopt(JSON.parse(config.textContent));
        fields = C.fields;
        byName = {};
        fields.forEach(function (f) { byName[f.name] = f; });
        ["postal_code", "state", "city", "line1", "line2"].forEach(function (n) { delete shown[n]; delete touched[n]; });
        box.innerHTML = fresh.innerHTML;
        box.setAttribute("data-country", fresh.getAttribute("data-country"));
        drawSummary();
        lastLookup = null;
        var status = document.getElementById("country-status");
        var select = document.getElementById("country");
        var name = select && select.selectedIndex >= 0 ? select.options[select.selectedIndex].textContent : "";
        if (status) status.textContent = C.texts.address_form_changed.replace("{country}", name);
        box.removeAttribute("aria-busy");
      })
      .catch(function () { box.removeAttribute("aria-busy"); });
  }

  var lastLookup = null;
  function lookup(explicit) {
    var input = document.getElementById("postal_code");
    var status = document.getElementById("postal_code-status");
    if (!input) return;
    var c = country();
    if (check("postal_code", input.value, true, { country: c }) !== null) {
      if (explicit) { show("postal_code", problemOf(byName.postal_code)); input.focus(); }
      return;
    }
    var code = normalise("postal_code", input.value).replace("-", "").replace(/ /g, "");
    if (!explicit && code === lastLookup) return;
    lastLookup = code;
    fetch(C.address_url + "/" + c + "/" + encodeURIComponent(code), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (found) {
        if (!found.found) { if (status) status.textContent = C.texts.address_not_found; return; }
        fill("state", found.state);
        fill("city", found.city);
        if (found.line1) fill("line1", found.line1);
        var region = regionName(found.state);
        if (status) status.textContent = C.texts.address_found.replace("{address}", (region + " " + found.city + " " + found.line1).trim());
      })
      .catch(function () { if (status) status.textContent = C.texts.address_not_found; });
  }
  function fill(name, value) {
    var el = document.getElementById(name);
    if (!el) return;
    var mine = el.getAttribute("data-autofilled");
    if (el.value && el.value !== mine) return;  // never overwrite what the shopper typed
    el.value = value;
    el.setAttribute("data-autofilled", value);
    if (shown[name]) validateOne(name);
  }
})();
