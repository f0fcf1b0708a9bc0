"""Stored JSON packed with zstd and a preset dictionary, for the rows no SQL reads inside.

Events (a full snapshot of an object each), Charges, card PaymentMethods and the answers kept for
Idempotency-Keys are most of what a create+confirm pair stores, and each is read whole by Python only:
packed, a ~1.2 KB object takes ~100-200 bytes (docs/performance.md). A packed value starts with the id of
the dictionary it was packed with (1 byte, below any byte JSON text starts with), so that rows packed with
an older dictionary stay readable and rows stored as JSON text before packing existed read as they are.

Which types are packed is `PACKED_TYPES`: a type read with json_extract in SQL must stay text, or its
readers call the SQL function `unpacked(data)` that `register` adds to a connection.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

import orjson
import zstandard

from . import pack_dictionary_1, pack_dictionary_2

# Object types whose `objects.data` is packed: read whole by Python (Store.get/list, the outboxes, search),
# and in SQL only by the ledger export, which reads them through unpacked(data).
PACKED_TYPES = frozenset({"event", "payment_intent", "charge", "payment_method"})

# Every dictionary a packed row may name, by id: its bytes and how zstd reads them. 1: raw text (one
# create+confirm pair's JSON); 2: trained by bench/pack_dictionary.py, with entropy tables (packs billing's
# objects too, in a third of the bytes and time: docs/performance.md).
DICTIONARIES: dict[int, tuple[bytes, Any]] = {
    pack_dictionary_1.DICTIONARY_ID: (pack_dictionary_1.SAMPLES, zstandard.DICT_TYPE_RAWCONTENT),
    pack_dictionary_2.DICTIONARY_ID: (pack_dictionary_2.DICTIONARY, zstandard.DICT_TYPE_FULLDICT),
}
CURRENT = pack_dictionary_2.DICTIONARY_ID
LEVEL = 3  # zstd's default; higher levels gained a few bytes for several times the time, lower ones little time


class _Codecs(threading.local):
    """zstd (de)compressors are not safe to share between threads: one set per thread, made on first use."""

    def __init__(self) -> None:
        self.compressor: zstandard.ZstdCompressor | None = None
        self.decompressors: dict[int, zstandard.ZstdDecompressor] = {}


_codecs = _Codecs()
_prepared: dict[int, zstandard.ZstdCompressionDict] = {}
_digested: set[int] = set()
_lock = threading.Lock()


def _dictionary(dictionary_id: int) -> zstandard.ZstdCompressionDict:
    prepared = _prepared.get(dictionary_id)
    if prepared is None:
        known = DICTIONARIES.get(dictionary_id)
        if known is None:
            raise ValueError(f"packed row names dictionary {dictionary_id}, which this gateway does not have "
                             f"(known: {sorted(DICTIONARIES)})")
        prepared = _prepared[dictionary_id] = zstandard.ZstdCompressionDict(known[0], dict_type=known[1])
    return prepared


def compressor(dictionary_id: int = CURRENT) -> zstandard.ZstdCompressor:
    """A compressor with a dictionary's tables made once for LEVEL (not at every compress); for one thread."""
    dictionary = _dictionary(dictionary_id)
    with _lock:
        if dictionary_id not in _digested:
            dictionary.precompute_compress(level=LEVEL)
            _digested.add(dictionary_id)
    return zstandard.ZstdCompressor(level=LEVEL, dict_data=dictionary, write_checksum=False, write_dict_id=False,
                                    write_content_size=True)


def pack(json: bytes) -> bytes:
    """JSON text (UTF-8) to the packed form: dictionary id, then a zstd frame without checksum or dictionary id."""
    packer = _codecs.compressor
    if packer is None:
        packer = _codecs.compressor = compressor(CURRENT)
    return bytes((CURRENT,)) + packer.compress(json)


def unpack(data: bytes | str) -> bytes:
    """The JSON text of a stored value, packed or not (str: a TEXT column read as it is)."""
    if isinstance(data, str):
        return data.encode()
    if not data or data[0] >= 0x20:  # JSON text (starts with '{', '[', '"', a digit, or white space)
        return data
    decompressor = _codecs.decompressors.get(data[0])
    if decompressor is None:
        decompressor = _codecs.decompressors[data[0]] = zstandard.ZstdDecompressor(dict_data=_dictionary(data[0]))
    return decompressor.decompress(memoryview(data)[1:])


def loads(data: bytes | str) -> Any:
    """The object a stored value holds, packed or not."""
    return orjson.loads(unpack(data))


def _unpacked_text(data: bytes | str | None) -> str | None:
    if data is None or isinstance(data, str):
        return data
    return unpack(data).decode()


def register(conn: sqlite3.Connection) -> None:
    """Add unpacked(data) to a connection: the JSON text of a stored value, for json_extract over packed rows."""
    conn.create_function("unpacked", 1, _unpacked_text, deterministic=True)
