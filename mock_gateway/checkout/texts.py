"""What the hosted page says apart from field labels and validation messages, in en and ja.

Decline messages say what happened and what to do next, as a shopper needs after a refusal;
the gateway's own decline codes (core/instruments.py DECLINE_MESSAGES) choose the message.
"""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Checkout",
        "heading": "Checkout",
        "test_mode": "Test mode: no real payment is made",
        "merchant": "Checkout Harness Shop",
        "back_to_shop": "Back to shop",
        "order_summary": "Order summary",
        "quantity": "Qty {n}",
        "total": "Total",
        "contact": "Contact",
        "name_section": "Name",
        "address": "Shipping address",
        "payment": "Payment",
        "review": "Review your order",
        "summary_title": "There is a problem",
        "choose": "Choose…",
        "pay": "Pay now",
        "next": "Next",
        "back": "Back",
        "find_address": "Find address",
        "update_address_form": "Update the address fields for this country",
        "address_form_changed": "The address fields now follow {country}.",
        "edit_details": "Edit contact and address",
        "edit_payment": "Edit payment method",
        "progress": "Checkout steps",
        "step_details": "Contact and address",
        "step_payment": "Payment",
        "step_review": "Review",
        "address_found": "Address found: {address}. Check it and add the rest of the address.",
        "address_not_found": "No address found for this postal code. Enter the address yourself.",
        "paid_title": "Payment complete",
        "paid": "Thank you. Your payment of {amount} is complete.",
        "receipt_to": "A receipt is sent to {email}.",
        "reference": "Order reference",
        "pending_title": "Order received",
        "pending": "Your order is placed. Pay {amount} with the payment instructions before they expire.",
        "instructions": "Payment instructions",
        "konbini_details": "Pay in cash at a convenience store (7-Eleven, Lawson, FamilyMart, Ministop, Seicomart). "
        "After you press Pay now, you get the payment number to show at the store.",
        "konbini_summary": "Pay at a convenience store",
        "expired_title": "This checkout has expired",
        "expired": "Go back to the shop to start again.",
        "complete_title": "This order is already paid",
        "complete": "Nothing more to do here.",
        "not_found_title": "Checkout not found",
        "not_found": "This checkout page does not exist. Check the link, or go back to the shop.",
        "review_contact": "Contact",
        "review_name": "Name",
        "review_address": "Shipping address",
        "review_phone": "Phone number",
        "review_payment": "Payment method",
        "review_account": "Account",
        "review_account_created": "An account is created for {email}",
        "card_brand": "Card brand: {brand}",
    },
    "ja": {
        "title": "ご購入手続き",
        "heading": "ご購入手続き",
        "test_mode": "テストモード: 実際の決済は行われません",
        "merchant": "Checkout Harness Shop",
        "back_to_shop": "ショップに戻る",
        "order_summary": "ご注文内容",
        "quantity": "数量 {n}",
        "total": "合計",
        "contact": "連絡先",
        "name_section": "お名前",
        "address": "お届け先",
        "payment": "お支払い",
        "review": "ご注文内容の確認",
        "summary_title": "入力内容に問題があります",
        "choose": "選択してください",
        "pay": "支払う",
        "next": "次へ",
        "back": "戻る",
        "find_address": "住所を検索",
        "update_address_form": "この国・地域の住所欄に切り替える",
        "address_form_changed": "住所の入力欄を{country}の形式に切り替えました。",
        "edit_details": "お客様情報を変更",
        "edit_payment": "お支払い方法を変更",
        "progress": "購入手続きのステップ",
        "step_details": "お客様情報",
        "step_payment": "お支払い",
        "step_review": "確認",
        "address_found": "住所が見つかりました: {address}。内容を確認し、番地以降を入力してください。",
        "address_not_found": "この郵便番号の住所が見つかりません。住所を直接入力してください。",
        "paid_title": "お支払いが完了しました",
        "paid": "ありがとうございます。{amount}のお支払いが完了しました。",
        "receipt_to": "領収書を {email} にお送りします。",
        "reference": "ご注文番号",
        "pending_title": "ご注文を受け付けました",
        "pending": "ご注文を承りました。お支払い期限までに、ご案内に沿って{amount}をお支払いください。",
        "instructions": "お支払い方法のご案内",
        "konbini_details": "コンビニ（セブン-イレブン、ローソン、ファミリーマート、ミニストップ、セイコーマート）で現金でお支払いいただけます。"
        "「支払う」を押すと、店頭でお伝えいただくお支払い番号が表示されます。",
        "konbini_summary": "コンビニでお支払い",
        "expired_title": "この購入手続きは有効期限が切れています",
        "expired": "ショップに戻って、もう一度お手続きください。",
        "complete_title": "このご注文はお支払い済みです",
        "complete": "これ以上のお手続きは不要です。",
        "not_found_title": "購入手続きが見つかりません",
        "not_found": "このページは存在しません。リンクをご確認いただくか、ショップに戻ってください。",
        "review_contact": "連絡先",
        "review_name": "お名前",
        "review_address": "お届け先",
        "review_phone": "電話番号",
        "review_payment": "お支払い方法",
        "review_account": "アカウント",
        "review_account_created": "{email} でアカウントを作成します",
        "card_brand": "カードブランド: {brand}",
    },
}

_GENERIC = {
    "en": "Your card was declined. Try another card or another payment method, or contact your card issuer.",
    "ja": "カードが承認されませんでした。別のカードまたは別のお支払い方法をお試しいただくか、カード発行会社にお問い合わせください。",
}

# decline code (or payment error code) -> message per locale
DECLINES: dict[str, dict[str, str]] = {
    "generic_decline": _GENERIC,
    "lost_card": _GENERIC,
    "stolen_card": _GENERIC,
    "fraudulent": _GENERIC,
    "do_not_honor": _GENERIC,
    "insufficient_funds": {
        "en": "Your card has insufficient funds. Try another card or another payment method.",
        "ja": "カードのご利用可能額が不足しているため、承認されませんでした。別のカードまたは別のお支払い方法をお試しください。",
    },
    "expired_card": {
        "en": "Your card has expired. Check the expiry date, or use another card.",
        "ja": "カードの有効期限が切れています。有効期限をご確認いただくか、別のカードをご利用ください。",
    },
    "incorrect_cvc": {
        "en": "The security code is incorrect. Check the 3 or 4 digits on your card and try again.",
        "ja": "セキュリティコードが正しくありません。カードに記載の3桁または4桁の数字をご確認のうえ、もう一度お試しください。",
    },
    "processing_error": {
        "en": "We could not process your card just now. Wait a moment and try again.",
        "ja": "ただいまカードを処理できませんでした。しばらく待ってから、もう一度お試しください。",
    },
    "card_velocity_exceeded": {
        "en": "Your card was declined: too many attempts or over its limit. Try another card or another payment method.",
        "ja": "利用回数または利用限度額を超えたため、カードが承認されませんでした。別のカードまたは別のお支払い方法をお試しください。",
    },
    "authentication_required": {
        "en": "Your bank needs to confirm this payment. Try again and complete the confirmation, or use another card.",
        "ja": "カード発行会社による本人確認が必要です。もう一度お試しのうえ本人確認を完了するか、別のカードをご利用ください。",
    },
    "payment_intent_authentication_failure": {
        "en": "We could not confirm that this card is yours. Try again, or use another card or payment method.",
        "ja": "本人確認ができませんでした。もう一度お試しいただくか、別のカードまたはお支払い方法をご利用ください。",
    },
    "authentication_abandoned": {
        "en": "The confirmation with your bank was not finished. Press Pay now to try again, or use another card.",
        "ja": "カード発行会社での本人確認が完了していないため、お支払いできませんでした。「支払う」を押してもう一度お試しいただくか、別のカードをご利用ください。",
    },
}

# the field a decline is about, if any: its message is shown there too
DECLINE_FIELDS = {"expired_card": "card_expiry", "incorrect_cvc": "card_cvc"}


def decline_message(code: str | None, locale: str) -> str:
    texts = DECLINES.get(code or "", _GENERIC)
    return texts.get(locale, texts["en"])
