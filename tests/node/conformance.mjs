// Recipes from Stripe's docs driven by the official Node SDK against the mock gateway.
// Usage: node conformance.mjs http://127.0.0.1:PORT  -> one JSON object: {check name: [ok, detail]}.
import Stripe from 'stripe';

const base = new URL(process.argv[2]);
const stripe = new Stripe('sk_test_node_conformance', {
  host: base.hostname, port: Number(base.port), protocol: base.protocol.replace(':', ''), maxNetworkRetries: 0,
});
const OLD = '2024-06-20';
const T0 = 1767225600;
const FEB1 = 1769904000;
const checks = {};
const check = (name, ok, detail) => { checks[name] = [Boolean(ok), detail === undefined ? null : detail]; };

async function subscription() {
  const clock = await stripe.testHelpers.testClocks.create({frozen_time: T0});
  const price = await stripe.prices.create({currency: 'jpy', unit_amount: 1980, recurring: {interval: 'month'},
                                            product_data: {name: 'node plan'}});
  const customer = await stripe.customers.create({email: 'node@example.jp', test_clock: clock.id, payment_method: 'pm_card_visa'});
  const pms = await stripe.paymentMethods.list({customer: customer.id, type: 'card'});
  await stripe.customers.update(customer.id, {invoice_settings: {default_payment_method: pms.data[0].id}});
  return stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}]});
}

async function main() {
  check('pinned version', typeof Stripe.API_VERSION === 'string' && Stripe.API_VERSION >= '2025-03-31.basil', Stripe.API_VERSION);

  const pi = await stripe.paymentIntents.create({amount: 2000, currency: 'jpy', payment_method: 'pm_card_visa', confirm: true,
                                                 metadata: {recipe: 'node'}});
  check('payment intent confirmed', pi.status === 'succeeded', pi.status);
  check('version echoed', pi.lastResponse.apiVersion === Stripe.API_VERSION, pi.lastResponse.apiVersion);
  check('no invoice on the intent', !('invoice' in pi), Object.keys(pi).includes('invoice'));

  const sub = await subscription();
  const item = sub.items.data[0];
  check('periods on the items', !('current_period_end' in sub) && item.current_period_start === T0 && item.current_period_end === FEB1,
        {sub: sub.current_period_end, item: [item.current_period_start, item.current_period_end]});
  const inv = await stripe.invoices.retrieve(sub.latest_invoice, {expand: ['payments']});
  check('invoice parent', inv.parent && inv.parent.subscription_details.subscription === sub.id, inv.parent);
  check('no invoice.payment_intent', !('payment_intent' in inv), Object.keys(inv));
  const payment = inv.payments && inv.payments.data[0];
  check('invoice payments', payment && payment.status === 'paid' && payment.payment.payment_intent.startsWith('pi_'), payment);

  const old = await stripe.subscriptions.retrieve(sub.id, {}, {apiVersion: OLD});
  check('older version on request', old.current_period_end === FEB1 && old.lastResponse.apiVersion === OLD,
        {end: old.current_period_end, version: old.lastResponse.apiVersion});

  const tag = `n${Date.now()}`;
  for (let i = 0; i < 4; i++) {
    await stripe.paymentIntents.create({amount: 1000 + i, currency: 'jpy', metadata: {batch: tag}});
  }
  const found = await stripe.paymentIntents.search({query: `metadata["batch"]:"${tag}" AND amount>1000`, limit: 2})
    .autoPagingToArray({limit: 100});
  check('search auto-paging', found.length === 3 && found.every((p) => p.amount > 1000), found.map((p) => p.amount));
  try {
    await stripe.customers.search({query: 'email~"ab"'});
    check('bad query is a 400', false, 'no error');
  } catch (err) {
    check('bad query is a 400', err.statusCode === 400 && err.param === 'query', {status: err.statusCode, param: err.param});
  }

  const endpoint = await stripe.webhookEndpoints.create({url: 'http://127.0.0.1:9/hook', enabled_events: ['*'], api_version: OLD});
  check('endpoint secret', endpoint.secret && endpoint.secret.startsWith('whsec_') && endpoint.api_version === OLD, endpoint.api_version);
  const updated = await stripe.webhookEndpoints.update(endpoint.id, {enabled_events: ['invoice.paid'], disabled: true});
  check('endpoint update', updated.status === 'disabled' && updated.enabled_events[0] === 'invoice.paid', updated.status);
  const listed = await stripe.webhookEndpoints.list({limit: 100});
  check('endpoint list', listed.data.some((e) => e.id === endpoint.id), listed.data.length);
  const deleted = await stripe.webhookEndpoints.del(endpoint.id);
  check('endpoint delete', deleted.deleted === true, deleted);

  const events = await stripe.events.list({type: 'customer.subscription.created', limit: 1});
  check('events at the version served', events.data[0].api_version === Stripe.API_VERSION, events.data[0].api_version);
}

main().then(() => { console.log(JSON.stringify(checks)); }, (err) => {
  checks['no error'] = [false, String(err && err.stack || err)];
  console.log(JSON.stringify(checks));
});
