"""Types shared by every domain's Structs: codes, money, pages of results, and their checks."""

from __future__ import annotations

import base64
import binascii
import re
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

import msgspec

from matchmaker.errors import InvalidInput

T = TypeVar("T")

CountryCode = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$", description="ISO 3166-1 alpha-3 code")]
CurrencyCode = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")]
class Money(Decimal):
    """An amount as a client sends it: a JSON number, or a string of digits with an optional
    decimal part (``"1000"``, ``"1000.50"``); the range is checked by ``check_amount``."""


_AMOUNT_STRING = re.compile(r"^[0-9]+(\.[0-9]+)?$")


def decode_money(kind: type, value: Any) -> Money:
    """The decoder of ``Money`` (``msgspec`` hands it the JSON value): nothing is guessed,
    neither spaces, ``1_000``, ``1e2`` nor ``NaN`` in a string."""
    if isinstance(value, str):
        if not _AMOUNT_STRING.match(value):
            raise ValueError(f"{value!r} is not a decimal amount: write digits with an optional decimal part, e.g. '1000.50'")
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError("expected a number or a decimal string")
    amount = Money(str(value))
    if not amount.is_finite():
        raise ValueError("expected a finite amount")
    return amount


def is_money(kind: Any) -> bool:
    return kind is Money


def encode_money(value: Any) -> Decimal:
    """``enc_hook`` for encoders that meet ``Money`` (msgspec knows ``Decimal`` only): as a
    plain ``Decimal`` would be."""
    if isinstance(value, Money):
        return Decimal(value)
    raise NotImplementedError(f"cannot encode {type(value).__name__}")


# Amounts are written as JSON numbers with their exact decimal digits (``85000000.50``, not a
# binary float's nearest value): readable as numbers by any client, exact for those that
# parse decimals.
_JSON = msgspec.json.Encoder(enc_hook=encode_money, decimal_format="number")


def to_json(value: Any) -> bytes:
    """The JSON of everything Matchmaker writes: responses, events, stored responses, audit changes."""
    return _JSON.encode(value)


def convert_input(value: Any, kind: type[T]) -> T:
    """``msgspec.convert`` for input Structs built outside a request (CLI, demo data)."""
    return msgspec.convert(value, kind, dec_hook=decode_money)


Amount = Annotated[Money, msgspec.Meta(description="decimal amount > 0, as a number or a decimal string")]
# A hundred billion is beyond any capacity-development budget: larger is a typo.
MAX_AMOUNT = Decimal(100_000_000_000)
MIN_AMOUNT = Decimal("0.01")
# Identifiers are PostgreSQL identities, far below 2^53: every JSON client (JavaScript's
# numbers included) carries such an id exactly, and anything larger cannot exist.
MAX_ID = 2**53 - 1
EntityId = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]
GcmObjective = Annotated[int, msgspec.Meta(ge=1, le=23, description="GCM objective number (1-23)")]
# Text of any language, but no NUL character (PostgreSQL text cannot hold one).
TEXT = r"^[^\x00]*$"
SectorCode = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=TEXT)]
Title = Annotated[str, msgspec.Meta(min_length=3, max_length=300, pattern=TEXT)]
Description = Annotated[str, msgspec.Meta(max_length=20_000, pattern=TEXT)]
Reference = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=TEXT)]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=2000, pattern=TEXT)]


class Page(msgspec.Struct, Generic[T]):
    """One page of a list; pass ``next_cursor`` back as ``cursor`` for the next (``null``: the end)."""

    items: list[T]
    next_cursor: str | None


class Imported(msgspec.Struct):
    """What an import created: every row of its file, in the file's order."""

    created: int
    ids: list[int]


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = raw.partition(":")
        if prefix == "id" and value.isdigit() and len(value) < 19:
            return int(value)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise InvalidInput("cursor", "not a cursor returned by this list")


def encode_offset(offset: int) -> str:
    """A cursor into a ranked list (a position, since ranks have no order of ids)."""
    return base64.urlsafe_b64encode(f"at:{offset}".encode()).decode().rstrip("=")


def decode_offset(cursor: str | None, most: int) -> int:
    if cursor is None:
        return 0
    try:
        prefix, _, value = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().partition(":")
        if prefix == "at" and value.isdigit() and int(value) <= most:
            return int(value)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise InvalidInput("cursor", "not a cursor returned by this list")


def page(items: list[T], limit: int) -> Page[T]:
    """Build a page from ``limit + 1`` fetched items (each with an ``id``): the extra one only says there is more."""
    if len(items) > limit:
        return Page(items=items[:limit], next_cursor=encode_cursor(items[limit - 1].id))  # type: ignore[attr-defined]
    return Page(items=items, next_cursor=None)
