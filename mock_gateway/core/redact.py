"""Card numbers never leave the gateway in text: error messages, `param` names and log lines are masked.

A client may put a card number anywhere (a value, a parameter name, an Idempotency-Key), and an error
that echoes it would carry it into the idempotency record (the database) or a log line. Any run of
13 to 19 digits, spaces or dashes between them allowed, is masked to its last four digits, whether
or not it passes Luhn (a mistyped number is still someone's card).
"""

from __future__ import annotations

import logging
import re
from typing import Any

_CARD_LIKE = re.compile(r"(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])")


def _mask(match: re.Match[str]) -> str:
    digits = re.sub(r"[^0-9]", "", match.group(0))
    return f"[card number ending {digits[-4:]}]"


def redact(text: str) -> str:
    """`text` with every card-number-like run of digits masked (the same object when there is none)."""
    if not _CARD_LIKE.search(text):
        return text
    return _CARD_LIKE.sub(_mask, text)


_installed = False


def install_log_redaction() -> None:
    """Mask card numbers in every log record of this process, whichever logger or handler it goes to
    (uvicorn's included): the message with its arguments, and the traceback text."""
    global _installed
    if _installed:
        return
    _installed = True
    make_record = logging.getLogRecordFactory()
    formatter = logging.Formatter()

    def redacting_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: leave it to logging to report
            return record
        masked = redact(message)
        if masked is not message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(formatter.formatException(record.exc_info))
        return record

    logging.setLogRecordFactory(redacting_record)
