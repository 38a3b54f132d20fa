"""Rules a body meets beyond its types, and the collector that reports every broken one at once.

A client that sends five mistakes reads five errors, each naming its field: the decoder's
(type, length, pattern) for every field, then these rules (known codes, no duplicates,
amounts in the currency's minor units, and each domain's own) for every field that decoded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import msgspec

from matchmaker.errors import FieldError, InvalidInput
from matchmaker.schemas import MAX_AMOUNT, MIN_AMOUNT, decode_money
from matchmaker.vocabulary import countries, currencies_with_rates, dac_sectors, minor_units, region_aliases


def check_country(field: str, code: str | None) -> None:
    if code is not None and code not in countries():
        raise InvalidInput(field, f"unknown country code {code!r} (expected ISO 3166-1 alpha-3, e.g. 'SEN')")


def check_countries(field: str, codes: list[str] | None) -> None:
    for i, code in enumerate(codes or ()):
        check_country(f"{field}[{i}]", code)


def check_currency(field: str, code: str | None) -> None:
    if code is not None and code not in currencies_with_rates():
        raise InvalidInput(field, f"unknown or unconvertible currency {code!r} (expected ISO 4217, e.g. 'USD', 'EUR')")


def check_amount(field: str, value: Decimal | None, currency: str) -> None:
    """A positive amount, at most ``MAX_AMOUNT``, in whole minor units of its currency (cents
    for EUR, whole yen for JPY): nothing is rounded silently."""
    if value is None:
        return
    if not value.is_finite() or value < MIN_AMOUNT:
        raise InvalidInput(field, f"must be a number of at least {MIN_AMOUNT}")
    if value > MAX_AMOUNT:
        raise InvalidInput(field, f"must not exceed {MAX_AMOUNT:,}")
    places = min(minor_units().get(currency, 2), 2)  # amounts are stored to the cent
    if value != value.quantize(Decimal(1).scaleb(-places)):
        unit = "whole units" if places == 0 else f"at most {places} decimal places"
        raise InvalidInput(field, f"{value} has more precision than {currency} allows ({unit})")


def check_sectors(field: str, codes: list[str] | None) -> None:
    """Sectors are OECD DAC 5-digit purpose codes (``15190``: facilitation of orderly, safe,
    regular and responsible migration and mobility)."""
    known = dac_sectors()
    for i, code in enumerate(codes or ()):
        if code not in known:
            raise InvalidInput(f"{field}[{i}]", f"unknown DAC purpose code {code!r} (5 digits, e.g. '15190')")


def check_distinct(field: str, values: list[Any] | None) -> None:
    """Lists are sets: the same objective, country or resource twice is a mistake."""
    seen = set()
    for i, value in enumerate(values or ()):
        if value in seen:
            raise InvalidInput(f"{field}[{i}]", f"{value!r} is already in the list")
        seen.add(value)


def place_filters(country: str | None, region: str | None) -> tuple[str | None, str | None]:
    """List filters by place, as stored: ``sen`` is ``SEN``; ``western africa`` and ``Afrique de
    l'Ouest`` are ``Western Africa``; an unknown one is an error, not an empty list."""
    checks = Checks()
    if country is not None:
        country = country.upper()
        checks(check_country, "country", country)
    if region is not None:
        known = region_aliases()
        if region.strip().lower() in known:
            region = known[region.strip().lower()]
        else:
            checks.add("region", f"unknown UN M49 region {region!r} (e.g. 'Africa', 'Western Africa', "
                                 "'Latin America and the Caribbean')")
    checks.done()
    return country, region


Rule = Callable[[str, Any], None]
# What a field must be beyond its type, by name: a name means the same in every Struct.
FIELD_RULES: dict[str, tuple[Rule, ...]] = {
    "country": (check_country,),
    "origin_country": (check_country,),
    "countries": (check_countries, check_distinct),
    "currency": (check_currency,),
    "sectors": (check_sectors, check_distinct),
    "gcm_objectives": (check_distinct,),
    "capacity_areas": (check_distinct,),
    "resource_types": (check_distinct,),
    "regions": (check_distinct,),
}


class Checks:
    """Runs every check it is given, keeping each broken rule; ``done`` reports them together."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, field: str, message: str) -> None:
        self.errors.append({"field": field, "message": message})

    def __call__(self, check: Callable[..., None], *args: Any) -> None:
        try:
            check(*args)
        except InvalidInput as exc:
            self.errors.extend(exc.errors)

    def fields(self, values: Mapping[str, Any]) -> None:
        """The ``FIELD_RULES`` of every field given."""
        for name, value in values.items():
            for rule in FIELD_RULES.get(name, ()):
                self(rule, name, value)

    def done(self) -> None:
        if self.errors:
            raise InvalidInput.every(self.errors)


def body_errors(kind: type[msgspec.Struct], body: Any) -> list[FieldError]:
    """Every error in a JSON body meant for ``kind``: each field decoded on its own (so one
    mistake hides no other), then the ``FIELD_RULES`` of those that decoded."""
    if not isinstance(body, dict):
        return []
    checks = Checks()
    fields = msgspec.structs.fields(kind)
    if kind.__struct_config__.forbid_unknown_fields:
        known = {f.encode_name for f in fields}
        for key in body:
            if key not in known:
                checks.add(str(key), "unknown field")
    for field in fields:
        if field.encode_name not in body:
            if field.required:
                checks.add(field.encode_name, "missing required field")
            continue
        try:
            value = msgspec.convert(body[field.encode_name], field.type, strict=False, dec_hook=decode_money)
        except msgspec.ValidationError as exc:
            message, _, where = str(exc).partition(" - at `$")
            checks.add(field.encode_name + where.rstrip("`"), message)
            continue
        checks.fields({field.encode_name: value})
    return checks.errors
