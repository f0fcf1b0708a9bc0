// Hoshino Coffee's checkout page: card fields from Stripe.js; the card goes to the payment
// gateway, never to this shop. The shop's server only creates the order and its PaymentIntent.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("shop-config").textContent);
  var stripe = Stripe(config.publishableKey);
  var form = document.getElementById("payment-form");
  var button = document.getElementById("pay");
  var cardErrors = document.getElementById("card-errors");
  var email = document.getElementById("email");
  var name = document.getElementById("name");
  var order = null; // {orderId, clientSecret} once created: a retry after a decline pays the same order

  function showFieldError(input, message) {
    var box = document.getElementById(input.id + "-error");
    box.textContent = message || "";
    input.setAttribute("aria-invalid", message ? "true" : "false");
  }

  function checkOwnFields() {
    var ok = true;
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email.value.trim())) { showFieldError(email, "Enter an email address like name@example.com."); ok = false; }
    else showFieldError(email, "");
    if (!name.value.trim()) { showFieldError(name, "Enter your name."); ok = false; } else showFieldError(name, "");
    return ok;
  }

  function busy(on) { button.disabled = on; button.setAttribute("aria-busy", on ? "true" : "false"); }

  function done(paymentIntent) { window.location.assign(config.returnUrl + "?payment_intent=" + encodeURIComponent(paymentIntent.id)); }

  if (config.ui === "payment") {
    var elements = stripe.elements({ clientSecret: config.clientSecret });
    elements.create("payment").mount("#payment-element");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!checkOwnFields()) return;
      busy(true);
      cardErrors.textContent = "";
      stripe.confirmPayment({
        elements: elements,
        confirmParams: { return_url: config.returnUrl, receipt_email: email.value.trim(),
                         payment_method_data: { billing_details: { name: name.value.trim(), email: email.value.trim() } } }
      }).then(function (result) {
        // The Payment Element shows its own field errors; the page shows the others (a decline).
        if (result.error) { if (result.error.type !== "validation_error") cardErrors.textContent = result.error.message; busy(false); }
      });
    });
    return;
  }

  var card = stripe.elements().create("card", { hidePostalCode: true });
  card.mount("#card-element");
  card.on("change", function (event) { cardErrors.textContent = event.error ? event.error.message : ""; });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!checkOwnFields()) return;
    busy(true);
    var ready = order ? Promise.resolve(order) : fetch("/api/orders", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email: email.value.trim(), name: name.value.trim() })
    }).then(function (r) { return r.json().then(function (body) { if (!r.ok) throw body; return body; }); });
    ready.then(function (created) {
      order = created;
      return stripe.confirmCardPayment(created.clientSecret, {
        payment_method: { card: card, billing_details: { name: name.value.trim(), email: email.value.trim() } }
      });
    }).then(function (result) {
      if (result.error) { cardErrors.textContent = result.error.message; busy(false); return; }
      done(result.paymentIntent);
    }, function (problem) {
      var errors = (problem && problem.errors) || {};
      cardErrors.textContent = errors.payment || errors.cart || errors.request || "Something went wrong. Please try again.";
      if (errors.email) showFieldError(email, errors.email);
      if (errors.name) showFieldError(name, errors.name);
      busy(false);
    });
  });
})();
