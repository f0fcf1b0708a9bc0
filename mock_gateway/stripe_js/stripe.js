/*
 * A Stripe.js v3-compatible script, served by checkout-harness's mock gateway (GET /v3/).
 *
 * The same calls a merchant page makes to Stripe.js: Stripe(pk), elements() with card, cardNumber,
 * cardExpiry, cardCvc and payment elements (real inputs in the page, Stripe's placeholders, labels
 * and error texts), createPaymentMethod, confirmCardPayment, confirmPayment, handleNextAction,
 * handleCardAction, retrievePaymentIntent and redirectToCheckout. Card data goes from these inputs
 * straight to the gateway with the publishable key, never to the merchant's server. 3-D Secure
 * runs in the gateway's challenge page (in a modal frame, or by redirect for confirmPayment).
 */
(function () {
  "use strict";
  var GATEWAY = __GATEWAY_URL__;
  if (window.Stripe && window.Stripe.checkoutHarness) return;

  // ---- messages, as Stripe.js words them -------------------------------------------------------
  var MESSAGES = {
    incomplete_number: "Your card number is incomplete.",
    invalid_number: "Your card number is invalid.",
    incomplete_expiry: "Your card's expiration date is incomplete.",
    invalid_expiry_month: "Your card's expiration date is invalid.",
    invalid_expiry_month_past: "Your card's expiration date is in the past.",
    invalid_expiry_year_past: "Your card's expiration year is in the past.",
    invalid_expiry_year: "Your card's expiration year is invalid.",
    incomplete_cvc: "Your card's security code is incomplete.",
    incomplete_zip: "Your postal code is incomplete."
  };
  var COUNTRIES = [
    ["AU", "Australia"], ["AT", "Austria"], ["BE", "Belgium"], ["BR", "Brazil"], ["CA", "Canada"], ["CN", "China"],
    ["DK", "Denmark"], ["FI", "Finland"], ["FR", "France"], ["DE", "Germany"], ["HK", "Hong Kong"], ["IN", "India"],
    ["IE", "Ireland"], ["IT", "Italy"], ["JP", "Japan"], ["KR", "South Korea"], ["MX", "Mexico"], ["NL", "Netherlands"],
    ["NZ", "New Zealand"], ["NO", "Norway"], ["PL", "Poland"], ["PT", "Portugal"], ["SG", "Singapore"], ["ES", "Spain"],
    ["SE", "Sweden"], ["CH", "Switzerland"], ["TW", "Taiwan"], ["GB", "United Kingdom"], ["US", "United States"]
  ];

  function IntegrationError(message) {
    var err = new Error(message);
    err.name = "IntegrationError";
    return err;
  }

  // ---- talking to the gateway ------------------------------------------------------------------
  function encode(params, prefix, out) {
    Object.keys(params).forEach(function (name) {
      var value = params[name];
      var key = prefix ? prefix + "[" + name + "]" : name;
      if (value === undefined || value === null) return;
      if (Array.isArray(value)) {
        value.forEach(function (v, i) {
          if (v !== null && typeof v === "object") encode(v, key + "[" + i + "]", out);
          else out.push(encodeURIComponent(key + "[" + i + "]") + "=" + encodeURIComponent(String(v)));
        });
      } else if (typeof value === "object") {
        encode(value, key, out);
      } else {
        out.push(encodeURIComponent(key) + "=" + encodeURIComponent(String(value)));
      }
    });
    return out;
  }

  function api(key, method, path, params) {
    var body = encode(Object.assign({ key: key }, params || {}), "", []).join("&");
    var url = GATEWAY + path + (method === "GET" ? "?" + body : "");
    var init = { method: method, credentials: "omit" };
    if (method !== "GET") {
      init.body = body;
      init.headers = { "Content-Type": "application/x-www-form-urlencoded" };
    }
    return fetch(url, init).then(function (response) {
      return response.json().then(function (json) {
        return { status: response.status, body: json };
      }, function () {
        return { status: response.status, body: { error: { type: "api_error", message: "The gateway answered " + response.status + " without JSON." } } };
      });
    }, function (err) {
      return { status: 0, body: { error: { type: "api_connection_error", message: "We could not reach the payment gateway (" + err.message + ")." } } };
    });
  }

  function intentId(clientSecret) {
    if (typeof clientSecret !== "string" || clientSecret.indexOf("_secret_") < 0) {
      throw IntegrationError("Invalid value for clientSecret: it should be the client_secret of a PaymentIntent (pi_..._secret_...). You specified: " + clientSecret + ".");
    }
    return clientSecret.split("_secret_")[0];
  }

  // ---- cards -------------------------------------------------------------------------------------
  function digits(text) { return String(text || "").replace(/\D/g, ""); }

  function brandOf(number) {
    if (/^4/.test(number)) return "visa";
    if (/^(5[1-5]|2(2[2-9]|[3-6]|7[01]|720))/.test(number)) return "mastercard";
    if (/^3[47]/.test(number)) return "amex";
    if (/^(6011|65|64[4-9])/.test(number)) return "discover";
    if (/^(30[0-5]|36|38|39)/.test(number)) return "diners";
    if (/^35/.test(number)) return "jcb";
    if (/^62/.test(number)) return "unionpay";
    return "unknown";
  }

  function numberLengths(brand) {
    if (brand === "amex") return [15];
    if (brand === "diners") return [14, 16];
    if (brand === "unionpay") return [16, 17, 18, 19];
    return [16];
  }

  function luhn(number) {
    var sum = 0;
    for (var i = 0; i < number.length; i++) {
      var d = +number[number.length - 1 - i];
      if (i % 2 === 1) { d *= 2; if (d > 9) d -= 9; }
      sum += d;
    }
    return sum % 10 === 0;
  }

  function formatNumber(number) {
    var groups = brandOf(number) === "amex" ? [4, 6, 5] : [4, 4, 4, 4, 3];
    var out = [], at = 0;
    for (var i = 0; i < groups.length && at < number.length; i++) {
      out.push(number.slice(at, at + groups[i]));
      at += groups[i];
    }
    return out.join(" ");
  }

  function formatExpiry(raw, deleting) {
    var d = digits(raw);
    if (d.length === 1 && +d > 1) d = "0" + d; // "4" means April, as Stripe's field reads it
    d = d.slice(0, 4);
    if (d.length < 2) return d;
    if (d.length === 2) return deleting ? d : d + " / ";
    return d.slice(0, 2) + " / " + d.slice(2);
  }

  var FIELDS = {
    number: {
      name: "cardnumber", autocomplete: "cc-number", ariaLabel: "Credit or debit card number", label: "Card number",
      cardPlaceholder: "Card number", placeholder: "1234 1234 1234 1234",
      format: function (value) {
        var d = digits(value);
        return formatNumber(d.slice(0, Math.max.apply(null, numberLengths(brandOf(d)))));
      },
      check: function (value) {
        var d = digits(value);
        if (!d) return { empty: true };
        var lengths = numberLengths(brandOf(d));
        if (d.length < Math.min.apply(null, lengths)) return { incomplete: "incomplete_number" };
        if (!luhn(d)) return { invalid: "invalid_number" };
        if (lengths.indexOf(d.length) < 0) return { incomplete: "incomplete_number" };
        return { complete: true };
      }
    },
    expiry: {
      name: "exp-date", autocomplete: "cc-exp", ariaLabel: "Credit or debit card expiration date", label: "Expiration date",
      cardPlaceholder: "MM / YY", placeholder: "MM / YY",
      format: function (value, deleting) { return formatExpiry(value, deleting); },
      check: function (value) {
        var d = digits(value);
        if (!d) return { empty: true };
        var month = +d.slice(0, 2);
        if (d.length >= 2 && (month < 1 || month > 12)) return { invalid: "invalid_expiry_month" };
        if (d.length < 4) return { incomplete: "incomplete_expiry" };
        var year = 2000 + +d.slice(2, 4), now = new Date();
        var thisYear = now.getFullYear(), thisMonth = now.getMonth() + 1;
        if (year < thisYear) return { invalid: "invalid_expiry_year_past" };
        if (year === thisYear && month < thisMonth) return { invalid: "invalid_expiry_month_past" };
        if (year > thisYear + 50) return { invalid: "invalid_expiry_year" };
        return { complete: true };
      }
    },
    cvc: {
      name: "cvc", autocomplete: "cc-csc", ariaLabel: "Credit or debit card CVC/CVV", label: "Security code",
      cardPlaceholder: "CVC", placeholder: "CVC",
      format: function (value) { return digits(value).slice(0, 4); },
      check: function (value, group) {
        var d = digits(value);
        if (!d) return { empty: true };
        var want = group && group.brand() === "amex" ? 4 : 3;
        if (d.length < want) return { incomplete: "incomplete_cvc" };
        return { complete: true };
      }
    },
    postal: {
      name: "postal", autocomplete: "postal-code", ariaLabel: "ZIP", label: "ZIP code",
      cardPlaceholder: "ZIP", placeholder: "12345",
      format: function (value) { return String(value || "").slice(0, 10); },
      check: function (value) {
        var v = String(value || "").trim();
        if (!v) return { empty: true };
        if (v.length < 3) return { incomplete: "incomplete_zip" };
        return { complete: true };
      }
    }
  };

  var STYLE_ID = "checkout-harness-stripe-js-style";
  function injectStyle() {
    if (document.getElementById(STYLE_ID)) return;
    var style = document.createElement("style");
    style.id = STYLE_ID;
    style.textContent = [
      ".chs-card{display:flex;gap:.5em;align-items:center;width:100%}",
      ".chs-card input{border:0;outline:0;font:inherit;color:inherit;background:transparent;min-width:0;padding:.2em 0}",
      ".chs-card .chs-number{flex:1 1 10em}.chs-card .chs-expiry{flex:0 0 5em}.chs-card .chs-cvc{flex:0 0 3.5em}.chs-card .chs-postal{flex:0 0 5em}",
      ".chs-single input{border:0;outline:0;font:inherit;color:inherit;background:transparent;width:100%;padding:.2em 0}",
      ".chs-invalid{color:#df1b41}",
      ".chs-payment{display:grid;gap:.75em;font-family:system-ui,sans-serif}",
      ".chs-payment .chs-tab{font-weight:600;border:2px solid #0570de;border-radius:5px;padding:.5em .75em;width:max-content}",
      ".chs-payment label{display:block;font-size:.9em;margin-bottom:.25em;color:#30313d}",
      ".chs-payment input,.chs-payment select{box-sizing:border-box;width:100%;font:inherit;padding:.6em .75em;border:1px solid #e6e6e6;border-radius:5px;box-shadow:0 1px 3px rgba(0,0,0,.05)}",
      ".chs-payment input[aria-invalid=true]{border-color:#df1b41;color:#df1b41}",
      ".chs-payment .chs-row{display:grid;grid-template-columns:1fr 1fr;gap:.75em}",
      ".chs-payment .chs-error{color:#df1b41;font-size:.9em;margin:.25em 0 0;min-height:0}",
      ".chs-overlay{position:fixed;inset:0;background:rgba(0,0,0,.45);display:flex;align-items:center;justify-content:center;z-index:2147483647}",
      ".chs-overlay iframe{width:min(500px,95vw);height:min(600px,90vh);border:0;border-radius:8px;background:#fff}"
    ].join("\n");
    (document.head || document.documentElement).appendChild(style);
  }

  var counter = 0;

  // ---- one element (card, cardNumber, cardExpiry, cardCvc, payment) ------------------------------
  var FIELDS_OF = { card: ["number", "expiry", "cvc", "postal"], cardNumber: ["number"], cardExpiry: ["expiry"], cardCvc: ["cvc"],
                    payment: ["number", "expiry", "cvc", "country"] };

  function Element(group, type, options) {
    this._group = group;
    this._type = type;
    this._options = options || {};
    this._handlers = {};
    this._inputs = {};
    this._errors = {};
    this._shown = {};  // field -> error code shown (after blur or when invalid)
    this._container = null;
    this._fields = FIELDS_OF[type].filter(function (f) { return !(f === "postal" && this._options.hidePostalCode); }, this);
  }

  Element.prototype.on = function (event, handler) {
    (this._handlers[event] = this._handlers[event] || []).push(handler);
    return this;
  };
  Element.prototype.addEventListener = Element.prototype.on;
  Element.prototype.off = function (event, handler) {
    var list = this._handlers[event] || [];
    this._handlers[event] = handler ? list.filter(function (h) { return h !== handler; }) : [];
    return this;
  };
  Element.prototype.removeEventListener = Element.prototype.off;
  Element.prototype._emit = function (event, payload) {
    (this._handlers[event] || []).slice().forEach(function (h) {
      try { h(payload); } catch (e) { setTimeout(function () { throw e; }); }
    });
  };

  Element.prototype.mount = function (target) {
    var node = typeof target === "string" ? document.querySelector(target) : target;
    if (!node) throw IntegrationError("The selector you specified (" + target + ") applies to no DOM elements that are currently on the page.");
    injectStyle();
    this._container = node;
    node.classList.add("StripeElement", "StripeElement--empty");
    if (this._type === "payment") this._renderPayment(node); else this._renderCard(node);
    var self = this;
    setTimeout(function () { self._emit("ready", { elementType: self._type }); }, 0);
  };

  Element.prototype._input = function (field, withLabel) {
    var spec = FIELDS[field], self = this;
    var input = document.createElement("input");
    input.id = "chs-" + (++counter) + "-" + field;
    input.className = "chs-" + field;
    input.type = "text";
    input.name = spec.name;
    input.autocomplete = spec.autocomplete;
    input.setAttribute("autocorrect", "off");
    input.spellcheck = false;
    if (field !== "postal") input.inputMode = "numeric";
    var placeholder = withLabel ? spec.placeholder : (this._type === "card" ? spec.cardPlaceholder : spec.placeholder);
    if (this._options.placeholder && this._type !== "card") placeholder = this._options.placeholder;
    input.placeholder = placeholder;
    if (!withLabel) input.setAttribute("aria-label", spec.ariaLabel);
    if (this._options.disabled) input.disabled = true;
    if (field === "postal" && this._options.value && this._options.value.postalCode) input.value = this._options.value.postalCode;
    var lastLength = 0;
    input.addEventListener("input", function () {
      self._last = field;  // the change event reports the error of the field being typed in first
      var deleting = input.value.length < lastLength;
      var formatted = spec.format(input.value, deleting);
      if (formatted !== input.value) input.value = formatted;
      lastLength = input.value.length;
      var result = spec.check(input.value, self._group);
      // While typing, only what cannot become right is an error; an incomplete field waits for blur.
      if (result.invalid) self._shown[field] = result.invalid;
      else if (result.complete || result.empty) delete self._shown[field];
      else if (self._shown[field]) self._shown[field] = result.incomplete;  // shown since blur: still incomplete
      self._changed();
      if (result.complete && field !== "postal") self._advance(field);
    });
    input.addEventListener("focus", function () {
      self._container.classList.add("StripeElement--focus");
      self._emit("focus", { elementType: self._type });
    });
    input.addEventListener("blur", function () {
      self._container.classList.remove("StripeElement--focus");
      var result = spec.check(input.value, self._group);
      if (result.incomplete || result.invalid) self._shown[field] = result.incomplete || result.invalid;
      self._changed();
      self._emit("blur", { elementType: self._type });
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Escape") self._emit("escape", { elementType: self._type });
    });
    this._inputs[field] = input;
    return input;
  };

  Element.prototype._advance = function (field) {
    var order = this._fields, next = order[order.indexOf(field) + 1];
    if (next && this._inputs[next] && document.activeElement === this._inputs[field] && !this._inputs[next].value) {
      this._inputs[next].focus();
    }
  };

  Element.prototype._renderCard = function (node) {
    var box = document.createElement("div");
    box.className = this._type === "card" ? "chs-card" : "chs-single";
    this._fields.forEach(function (f) { box.appendChild(this._input(f, false)); }, this);
    node.appendChild(box);
    this._root = box;
  };

  Element.prototype._field = function (parent, field) {
    var wrap = document.createElement("div");
    wrap.className = "chs-field";
    var input;
    if (field === "country") {
      input = document.createElement("select");
      input.id = "chs-" + (++counter) + "-country";
      input.name = "country";
      input.autocomplete = "country";
      var chosen = (this._options.defaultValues && this._options.defaultValues.billingDetails &&
                    this._options.defaultValues.billingDetails.address && this._options.defaultValues.billingDetails.address.country) ||
                   this._group._country;
      COUNTRIES.forEach(function (c) {
        var option = document.createElement("option");
        option.value = c[0];
        option.textContent = c[1];
        if (c[0] === chosen) option.selected = true;
        input.appendChild(option);
      });
      var self = this;
      input.addEventListener("change", function () { self._changed(); });
      this._inputs.country = input;
    } else {
      input = this._input(field, true);
    }
    var label = document.createElement("label");
    label.htmlFor = input.id;
    label.textContent = field === "country" ? "Country" : FIELDS[field].label;
    var error = document.createElement("p");
    error.className = "chs-error";
    error.id = input.id + "-error";
    error.setAttribute("role", "alert");
    input.setAttribute("aria-describedby", error.id);
    this._errors[field] = error;
    wrap.appendChild(label);
    wrap.appendChild(input);
    wrap.appendChild(error);
    parent.appendChild(wrap);
  };

  Element.prototype._renderPayment = function (node) {
    var box = document.createElement("div");
    box.className = "chs-payment";
    var tab = document.createElement("div");
    tab.className = "chs-tab";
    tab.setAttribute("role", "tab");
    tab.setAttribute("aria-selected", "true");
    tab.textContent = "Card";
    box.appendChild(tab);
    this._field(box, "number");
    var row = document.createElement("div");
    row.className = "chs-row";
    this._field(row, "expiry");
    this._field(row, "cvc");
    box.appendChild(row);
    this._field(box, "country");
    node.appendChild(box);
    this._root = box;
  };

  Element.prototype._state = function () {
    var self = this, state = { empty: true, complete: true, error: undefined };
    this._fields.forEach(function (f) {
      var input = self._inputs[f];
      if (!input || f === "country") return;
      var result = FIELDS[f].check(input.value, self._group);
      if (!result.empty) state.empty = false;
      if (!result.complete) state.complete = false;
      var shown = self._shown[f];
      if (shown && (!state.error || f === self._last)) state.error = { type: "validation_error", code: shown, message: MESSAGES[shown] };
      input.setAttribute("aria-invalid", shown ? "true" : "false");
      input.classList.toggle("chs-invalid", !!shown);
      if (self._errors[f]) self._errors[f].textContent = shown ? MESSAGES[shown] : "";
    });
    return state;
  };

  Element.prototype._changed = function () {
    var state = this._state(), c = this._container;
    c.classList.toggle("StripeElement--empty", state.empty);
    c.classList.toggle("StripeElement--complete", state.complete);
    c.classList.toggle("StripeElement--invalid", !!state.error);
    var payload = { elementType: this._type, empty: state.empty, complete: state.complete, error: state.error };
    if (this._type === "card" || this._type === "cardNumber") payload.brand = this._group.brand();
    if (this._type === "card") payload.value = { postalCode: this._inputs.postal ? this._inputs.postal.value : "" };
    if (this._type === "payment") payload.value = { type: "card" }, payload.collapsed = false;
    this._emit("change", payload);
  };

  // Check every field as a submit does: incomplete and empty fields become errors.
  Element.prototype._validate = function () {
    var self = this, first = null;
    this._fields.forEach(function (f) {
      if (f === "country" || !self._inputs[f]) return;
      var result = FIELDS[f].check(self._inputs[f].value, self._group);
      var code = result.invalid || result.incomplete || (result.empty && f !== "postal" ? "incomplete_" + (f === "expiry" ? "expiry" : f === "cvc" ? "cvc" : "number") : null);
      if (code) {
        self._shown[f] = code;
        first = first || { type: "validation_error", code: code, message: MESSAGES[code] };
      }
    });
    this._changed();
    return first;
  };

  Element.prototype.update = function (options) {
    Object.assign(this._options, options || {});
    if (options && options.value && options.value.postalCode && this._inputs.postal) this._inputs.postal.value = options.value.postalCode;
    if (options && "disabled" in options) {
      Object.keys(this._inputs).forEach(function (f) { this._inputs[f].disabled = !!options.disabled; }, this);
    }
  };
  Element.prototype.focus = function () { var f = this._inputs[this._fields[0]]; if (f) f.focus(); };
  Element.prototype.blur = function () { if (document.activeElement && this._root && this._root.contains(document.activeElement)) document.activeElement.blur(); };
  Element.prototype.clear = function () {
    Object.keys(this._inputs).forEach(function (f) { if (f !== "country") this._inputs[f].value = ""; }, this);
    this._shown = {};
    this._changed();
  };
  Element.prototype.unmount = function () {
    if (this._root && this._root.parentNode) this._root.parentNode.removeChild(this._root);
    if (this._container) this._container.classList.remove("StripeElement", "StripeElement--empty", "StripeElement--complete", "StripeElement--invalid", "StripeElement--focus");
    this._container = null;
    this._inputs = {};
  };
  Element.prototype.destroy = function () {
    this.unmount();
    this._group._remove(this);
  };

  // ---- elements(): a group of elements that together hold one card -------------------------------
  function Elements(stripe, options) {
    this._stripe = stripe;
    this._options = options || {};
    this._list = [];
    var locale = this._options.locale && this._options.locale !== "auto" ? this._options.locale : (navigator.language || "en-US");
    var region = (locale.split("-")[1] || "").toUpperCase();
    this._country = region || (this._options.currency === "jpy" ? "JP" : "US");
  }
  Elements.prototype.create = function (type, options) {
    if (!FIELDS_OF[type]) throw IntegrationError("Invalid Element type: " + type + ". This gateway's Stripe.js supports card, cardNumber, cardExpiry, cardCvc and payment.");
    if (this.getElement(type)) throw IntegrationError("Can only create one Element of type " + type + ".");
    var element = new Element(this, type, options);
    this._list.push(element);
    return element;
  };
  Elements.prototype.getElement = function (type) {
    for (var i = 0; i < this._list.length; i++) if (this._list[i]._type === type) return this._list[i];
    return null;
  };
  Elements.prototype._remove = function (element) { this._list = this._list.filter(function (e) { return e !== element; }); };
  Elements.prototype.update = function (options) { Object.assign(this._options, options || {}); };
  Elements.prototype.fetchUpdates = function () { return Promise.resolve({}); };
  Elements.prototype.submit = function () {
    var error = this._validate();
    return Promise.resolve(error ? { error: error } : {});
  };
  Elements.prototype._value = function (field) {
    for (var i = 0; i < this._list.length; i++) {
      var input = this._list[i]._inputs[field];
      if (input) return input.value;
    }
    return null;
  };
  Elements.prototype.brand = function () { return brandOf(digits(this._value("number"))); };
  Elements.prototype._validate = function () {
    var error = null;
    this._list.forEach(function (e) { var found = e._validate(); error = error || found; });
    if (!error && this._value("number") === null) error = { type: "validation_error", code: "incomplete_number", message: MESSAGES.incomplete_number };
    return error;
  };
  // The card as payment_method_data (only ever sent to the gateway).
  Elements.prototype._card = function () {
    var expiry = digits(this._value("expiry"));
    var card = { number: digits(this._value("number")), exp_month: +expiry.slice(0, 2), exp_year: 2000 + +expiry.slice(2, 4) };
    var cvc = this._value("cvc");
    if (cvc) card.cvc = digits(cvc);
    return card;
  };
  Elements.prototype._billing = function () {
    var billing = {};
    var postal = this._value("postal"), country = this._value("country");
    if (postal || country) {
      billing.address = {};
      if (postal) billing.address.postal_code = postal;
      if (country) billing.address.country = country;
    }
    return billing;
  };

  function merge(a, b) {
    var out = Object.assign({}, a || {});
    Object.keys(b || {}).forEach(function (k) {
      if (b[k] && typeof b[k] === "object" && !Array.isArray(b[k]) && out[k] && typeof out[k] === "object") out[k] = merge(out[k], b[k]);
      else out[k] = b[k];
    });
    return out;
  }

  function groupOf(element) {
    if (element && element._group instanceof Elements) return element._group;
    if (element instanceof Elements) return element;
    return null;
  }

  // ---- Stripe(pk) --------------------------------------------------------------------------------
  function Stripe(key, options) {
    if (!(this instanceof Stripe)) return new Stripe(key, options);
    if (typeof key !== "string" || !key) throw IntegrationError("Invalid value for Stripe(): apiKey should be a string. You specified: " + key + ".");
    if (/^sk_/.test(key)) throw IntegrationError("You should not use your secret key with Stripe.js. Please pass a publishable key instead.");
    if (!/^pk_/.test(key)) throw IntegrationError("Invalid value for Stripe(): apiKey should be a publishable key (pk_test_...). You specified: " + key + ".");
    this._key = key;
    this._options = options || {};
  }

  Stripe.prototype.elements = function (options) { return new Elements(this, options); };

  // payment_method_data (a card from an element) or payment_method (an id), from what the page passed
  Stripe.prototype._method = function (paymentMethod, group) {
    if (typeof paymentMethod === "string") return { payment_method: paymentMethod };
    var pm = paymentMethod || {};
    var g = groupOf(pm.card) || group;
    if (!g) return {};
    var error = g._validate();
    if (error) return { error: error };
    return { payment_method_data: { type: "card", card: g._card(), billing_details: merge(g._billing(), pm.billing_details) } };
  };

  Stripe.prototype.createPaymentMethod = function (typeOrData, element, data) {
    var params = typeof typeOrData === "string" ? Object.assign({ type: typeOrData, card: element }, data || {}) : Object.assign({}, typeOrData || {});
    var group = groupOf(params.card) || groupOf(params.elements);
    var extra = params.params || {};
    if (!group) return Promise.reject(IntegrationError("createPaymentMethod needs a card Element (card: element) or elements."));
    var error = group._validate();
    if (error) return Promise.resolve({ error: error });
    var body = { type: "card", card: group._card(), billing_details: merge(group._billing(), merge(params.billing_details, extra.billing_details)) };
    if (params.metadata) body.metadata = params.metadata;
    return api(this._key, "POST", "/v1/payment_methods", body).then(function (r) {
      return r.status === 200 ? { paymentMethod: r.body } : { error: r.body.error };
    });
  };

  Stripe.prototype.retrievePaymentIntent = function (clientSecret) {
    var id;
    try { id = intentId(clientSecret); } catch (e) { return Promise.reject(e); }
    return api(this._key, "GET", "/v1/payment_intents/" + encodeURIComponent(id), { client_secret: clientSecret }).then(function (r) {
      return r.status === 200 ? { paymentIntent: r.body } : { error: r.body.error };
    });
  };

  // The outcome after an action: the intent, or its last_payment_error as Stripe.js reports it.
  Stripe.prototype._outcome = function (clientSecret) {
    return this.retrievePaymentIntent(clientSecret).then(function (result) {
      var pi = result.paymentIntent;
      if (pi && pi.status === "requires_payment_method" && pi.last_payment_error) {
        return { error: Object.assign({}, pi.last_payment_error, { payment_intent: pi }) };
      }
      return result;
    });
  };

  // 3-D Secure in the gateway's challenge page, in a modal frame over the merchant's page.
  Stripe.prototype._challenge = function (pi, clientSecret) {
    var self = this, action = pi.next_action || {};
    var url = action.redirect_to_url && action.redirect_to_url.url;
    if (!url) return Promise.resolve({ paymentIntent: pi });
    injectStyle();
    return new Promise(function (resolve) {
      var overlay = document.createElement("div");
      overlay.className = "chs-overlay";
      var frame = document.createElement("iframe");
      frame.name = "stripe-challenge-frame";
      frame.title = "3D Secure authentication";
      frame.src = url;
      overlay.appendChild(frame);
      document.body.appendChild(overlay);
      var done = false;
      function finish() {
        if (done) return;
        self.retrievePaymentIntent(clientSecret).then(function (r) {
          if (done || !r.paymentIntent || r.paymentIntent.status === "requires_action") return;
          done = true;
          clearInterval(timer);
          overlay.parentNode && overlay.parentNode.removeChild(overlay);
          self._outcome(clientSecret).then(resolve);
        });
      }
      var timer = setInterval(finish, 400);
      frame.addEventListener("load", finish);
    });
  };

  Stripe.prototype.confirmCardPayment = function (clientSecret, data, options) {
    var self = this, id;
    try { id = intentId(clientSecret); } catch (e) { return Promise.reject(e); }
    data = data || {};
    var method = this._method(data.payment_method, null);
    if (method.error) return Promise.resolve({ error: method.error });
    var body = Object.assign({ client_secret: clientSecret }, method);
    ["return_url", "setup_future_usage", "shipping", "receipt_email", "payment_method_options"].forEach(function (k) { if (data[k]) body[k] = data[k]; });
    return api(this._key, "POST", "/v1/payment_intents/" + encodeURIComponent(id) + "/confirm", body).then(function (r) {
      if (r.status !== 200) return { error: r.body.error };
      var pi = r.body;
      if (pi.status === "requires_action" && !(options && options.handleActions === false)) return self._challenge(pi, clientSecret);
      return { paymentIntent: pi };
    });
  };

  Stripe.prototype.confirmPayment = function (params) {
    params = params || {};
    var self = this, group = groupOf(params.elements);
    var clientSecret = params.clientSecret || (group && group._options.clientSecret);
    var confirmParams = params.confirmParams || {};
    var redirect = params.redirect || "always";
    if (!clientSecret) return Promise.reject(IntegrationError("confirmPayment needs a clientSecret: pass it to elements({clientSecret}) or to confirmPayment({clientSecret})."));
    if (redirect === "always" && !confirmParams.return_url) return Promise.reject(IntegrationError("confirmPayment: confirmParams.return_url is required when redirect is 'always'."));
    var id;
    try { id = intentId(clientSecret); } catch (e) { return Promise.reject(e); }
    var method = confirmParams.payment_method ? { payment_method: confirmParams.payment_method } : (group ? this._method({ card: group, billing_details: (confirmParams.payment_method_data || {}).billing_details }, group) : {});
    if (method.error) return Promise.resolve({ error: method.error });
    var body = Object.assign({ client_secret: clientSecret }, method);
    ["return_url", "setup_future_usage", "shipping", "receipt_email"].forEach(function (k) { if (confirmParams[k]) body[k] = confirmParams[k]; });
    return api(this._key, "POST", "/v1/payment_intents/" + encodeURIComponent(id) + "/confirm", body).then(function (r) {
      if (r.status !== 200) return { error: r.body.error };
      var pi = r.body;
      var next = pi.next_action && pi.next_action.redirect_to_url && pi.next_action.redirect_to_url.url;
      if (pi.status === "requires_action" && next) {
        if (confirmParams.return_url) { window.location.assign(next); return new Promise(function () {}); }
        return self._challenge(pi, clientSecret);
      }
      if (redirect === "if_required") return { paymentIntent: pi };
      var url = new URL(confirmParams.return_url, window.location.href);
      url.searchParams.set("payment_intent", pi.id);
      url.searchParams.set("payment_intent_client_secret", clientSecret);
      url.searchParams.set("redirect_status", pi.status === "succeeded" || pi.status === "processing" || pi.status === "requires_capture" ? "succeeded" : "failed");
      window.location.assign(url.toString());
      return new Promise(function () {});
    });
  };

  Stripe.prototype.handleNextAction = function (params) {
    var self = this, clientSecret = (params || {}).clientSecret;
    return this.retrievePaymentIntent(clientSecret).then(function (r) {
      if (!r.paymentIntent || r.paymentIntent.status !== "requires_action") return r;
      return self._challenge(r.paymentIntent, clientSecret);
    });
  };
  Stripe.prototype.handleCardAction = function (clientSecret) { return this.handleNextAction({ clientSecret: clientSecret }); };

  Stripe.prototype.redirectToCheckout = function (options) {
    options = options || {};
    if (!options.sessionId) {
      return Promise.resolve({ error: { type: "invalid_request_error", message: "redirectToCheckout needs a sessionId: create a Checkout Session on your server " +
        "(client-only Checkout with lineItems is not supported by this gateway)." } });
    }
    window.location.assign(GATEWAY + "/c/pay/" + encodeURIComponent(options.sessionId));
    return new Promise(function () {});
  };

  function unsupported(name) {
    return function () {
      return Promise.resolve({ error: { type: "invalid_request_error", message: "stripe." + name + " is not supported by this gateway's Stripe.js." } });
    };
  }
  ["confirmCardSetup", "confirmSetup", "createToken", "createSource", "confirmKonbiniPayment", "retrieveSetupIntent"].forEach(function (name) {
    Stripe.prototype[name] = unsupported(name);
  });
  Stripe.prototype.paymentRequest = function () {
    return { canMakePayment: function () { return Promise.resolve(null); }, on: function () {}, show: function () {}, update: function () {} };
  };

  Stripe.version = 3;
  Stripe.checkoutHarness = { gateway: GATEWAY };
  window.Stripe = Stripe;
})();
