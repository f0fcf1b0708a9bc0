"""Mail to the SMTP sink: receipts with the right amount and locale, konbini slips, bank transfer
instructions, wallet and refund notices; latency from the event to arrival; the sink's files and CLI."""

from __future__ import annotations

import email
import signal
import subprocess
import sys
from email import policy
from pathlib import Path

import pytest
from methods_support import env, eventually, sdk  # noqa: F401

from harness.mail_sink import latency_summary, read_index, receipt_slo_breaches
from mock_gateway.mail import render

CLI = str(Path(sys.executable).parent / "checkout-harness")


def mail_for(env, payment_intent: str, kind: str) -> dict:
    return eventually(lambda: next((m for m in env.sink.messages() if m["payment_intent"] == payment_intent and m["kind"] == kind), None))


def body_of(env, row: dict) -> str:
    message = email.message_from_bytes((env.sink.directory / row["file"]).read_bytes(), policy=policy.default)
    return message.get_body(("plain",)).get_content()


def test_receipt_in_japanese_for_a_yen_payment(sdk, env):
    pi = sdk.PaymentIntent.create(amount=1980, currency="jpy", payment_method="pm_card_visa", confirm=True,
                                  receipt_email="hanako@example.jp", description="抹茶セット")
    row = mail_for(env, pi.id, "receipt")
    assert row["to"] == ["hanako@example.jp"] and row["locale"] == "ja" and "¥1,980" in row["subject"]
    assert "抹茶セット" in body_of(env, row) and pi.id in body_of(env, row)
    assert row["event_type"] == "payment_intent.succeeded" and 0 <= row["latency_ms"] < 10_000


def test_receipt_in_english_for_dollars_and_for_a_customer_who_prefers_english(sdk, env):
    usd = sdk.PaymentIntent.create(amount=1099, currency="usd", payment_method="pm_card_visa", confirm=True,
                                   receipt_email="jenny@example.com")
    row = mail_for(env, usd.id, "receipt")
    assert row["locale"] == "en" and "10.99 USD" in row["subject"]
    cus = sdk.Customer.create(email="ken@example.jp", preferred_locales=["en-US"])
    yen = sdk.PaymentIntent.create(amount=500, currency="jpy", customer=cus.id, payment_method="pm_card_visa", confirm=True,
                                   receipt_email="ken@example.jp")
    assert mail_for(env, yen.id, "receipt")["locale"] == "en"


def test_no_receipt_without_receipt_email(sdk, env):
    pi = sdk.PaymentIntent.create(amount=700, currency="jpy", payment_method="pm_card_visa", confirm=True)
    marker = sdk.PaymentIntent.create(amount=701, currency="jpy", payment_method="pm_card_visa", confirm=True,
                                      receipt_email="marker@example.jp")
    mail_for(env, marker.id, "receipt")  # mail is sent in event order: the earlier payment's turn has passed
    assert not [m for m in env.sink.messages() if m["payment_intent"] == pi.id]


def test_manual_capture_sends_the_receipt_on_capture(sdk, env):
    pi = sdk.PaymentIntent.create(amount=2500, currency="jpy", payment_method="pm_card_visa", confirm=True,
                                  capture_method="manual", receipt_email="cap@example.jp")
    sdk.PaymentIntent.capture(pi.id, amount_to_capture=2000)
    assert "¥2,000" in mail_for(env, pi.id, "receipt")["subject"]


def test_konbini_voucher_mail_carries_the_codes(sdk, env):
    pi = sdk.PaymentIntent.create(amount=3300, currency="jpy", payment_method_types=["konbini"], confirm=True,
                                  payment_method_data={"type": "konbini", "billing_details": {"name": "花子", "email": "fill_never@example.jp"}})
    row = mail_for(env, pi.id, "konbini_voucher")
    text = body_of(env, row)
    assert row["to"] == ["fill_never@example.jp"] and "¥3,300" in text
    assert pi.next_action.konbini_display_details.stores.familymart.payment_code in text
    assert pi.next_action.konbini_display_details.hosted_voucher_url in text


def test_bank_transfer_instructions_mail(sdk, env):
    cus = sdk.Customer.create(email="transfer@example.jp")
    pi = sdk.PaymentIntent.create(amount=12000, currency="jpy", customer=cus.id, payment_method_types=["customer_balance"],
                                  payment_method_data={"type": "customer_balance"}, confirm=True,
                                  payment_method_options={"customer_balance": {"funding_type": "bank_transfer",
                                                                               "bank_transfer": {"type": "jp_bank_transfer"}}})
    text = body_of(env, mail_for(env, pi.id, "bank_transfer_instructions"))
    zengin = pi.next_action.display_bank_transfer_instructions.financial_addresses[0].zengin
    assert "¥12,000" in text and zengin.account_number in text


def test_wallet_saved_and_refund_notices(sdk, env):
    cus = sdk.Customer.create(email="wallet@example.jp")
    pi = sdk.PaymentIntent.create(amount=4000, currency="jpy", customer=cus.id, payment_method_types=["paypal"], confirm=True,
                                  payment_method_data={"type": "paypal", "billing_details": {"email": "wallet@example.jp"}},
                                  setup_future_usage="off_session", return_url="https://shop.example/r", receipt_email="wallet@example.jp")
    env.post(f"/v1/test_helpers/payment_intents/{pi.id}/pay")
    saved = eventually(lambda: [m for m in env.sink.messages() if m["kind"] == "wallet_saved" and m["to"] == ["wallet@example.jp"]])
    assert "PayPal" in saved[0]["subject"]
    sdk.Refund.create(payment_intent=pi.id, amount=1500)
    refund = mail_for(env, pi.id, "refund")
    assert "¥1,500" in refund["subject"] and refund["locale"] == "ja"


def test_index_and_latency_summary(sdk, env):
    rows = read_index(env.sink.directory)
    assert rows and all((env.sink.directory / r["file"]).exists() for r in rows)
    summary = latency_summary(rows, "receipt")
    assert summary["count"] >= 3 and summary["p50"] <= summary["p95"] <= summary["max"]
    assert receipt_slo_breaches(rows, max_ms=10**9) == []
    assert len(receipt_slo_breaches(rows, max_ms=-1)) == summary["count"]
    assert env.sink.stats()["by_kind"]["receipt"] == summary["count"]


@pytest.mark.parametrize("kind", ["receipt", "konbini_voucher", "bank_transfer_instructions", "wallet_saved", "refund"])
@pytest.mark.parametrize("locale", ["ja", "en"])
def test_every_template_has_a_subject_line(kind, locale):
    values = {
        "pi": {"id": "pi_1", "description": None}, "amount": "¥1", "expires": "x", "charge": {"payment_intent": "pi_1"},
        "voucher": {"stores": {"lawson": {"payment_code": "1", "confirmation_number": "2"}}, "hosted_voucher_url": "u"},
        "instructions": {"financial_addresses": [], "reference": "R", "hosted_instructions_url": "u"},
        "pm": {"paypal": {"payer_email": "a@b.c"}},
    }
    subject, body = render(kind, locale, values)
    assert subject and body.strip()


def test_mail_sink_command_runs_until_terminated(tmp_path):
    proc = subprocess.Popen([CLI, "mail-sink", "--dir", str(tmp_path / "mail"), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = proc.stdout.readline()
        assert "mail sink listening on smtp://127.0.0.1:" in line
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
    finally:
        proc.kill()


def test_mail_sink_command_refuses_a_bad_port(tmp_path):
    result = subprocess.run([CLI, "mail-sink", "--dir", str(tmp_path), "--port", "70000"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "--port" in result.stderr


def test_gateway_refuses_a_bad_smtp_address():
    result = subprocess.run([sys.executable, "-m", "mock_gateway", "--port", "0", "--db", ":memory:", "--smtp", "nohost"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "--smtp" in result.stderr
