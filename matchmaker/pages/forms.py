"""HTML forms into the API's Structs: the same decoding and the same rules, so a form and a
JSON body are refused for the same reasons, and every field's error is shown beside it."""

from __future__ import annotations

import re
import typing
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any, TypeVar

import asyncpg
import msgspec
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from matchmaker.errors import Conflict, FieldError, Forbidden, InvalidInput, MatchmakerError
from matchmaker.pages import i18n
from matchmaker.pages.i18n import N_
from matchmaker.pages.rendering import page
from matchmaker.pages.sessions import Viewer
from matchmaker.rules import body_errors
from matchmaker.schemas import CountryCode, decode_money
from matchmaker.vocabulary import Region, ResourceType

S = TypeVar("S", bound=msgspec.Struct)
#: A posted form: its fields, a repeated one as a list.
Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
Saved = Callable[[Any], Awaitable[str]]
# Lists typed into one text box, not picked from check boxes, and what separates their items:
# DAC codes by spaces, commas or semicolons; links (which may hold commas) by spaces or lines.
TYPED_LISTS = {"sectors": re.compile(r"[\s,;]+"), "evidence": re.compile(r"\s+")}


def _is_list(annotation: Any) -> bool:
    """Whether a field holds a list (under ``Annotated``, ``| None`` or ``| UnsetType``)."""
    if typing.get_origin(annotation) is list:
        return True
    return any(_is_list(arg) for arg in typing.get_args(annotation) if not isinstance(arg, msgspec.Meta))


def _admits_none(annotation: Any) -> bool:
    return annotation is type(None) or any(_admits_none(arg) for arg in typing.get_args(annotation))


def _values(value: Any) -> list[str]:
    return value if isinstance(value, list) else [value]


def body_from_form(kind: type[msgspec.Struct], form: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON body a form stands for: the Struct's fields only, lists from repeated fields
    (or one typed text for ``TYPED_LISTS``), check boxes as booleans; an empty box clears an
    optional field and leaves out any other."""
    body: dict[str, Any] = {}
    for field in msgspec.structs.fields(kind):
        name = field.encode_name
        if field.type is bool or bool in typing.get_args(field.type):
            body[name] = name in form
        elif name not in form:
            if _is_list(field.type):
                body[name] = []
        elif name in TYPED_LISTS:
            body[name] = [item for item in TYPED_LISTS[name].split(str(form[name])) if item]
        elif _is_list(field.type):
            body[name] = [v for v in _values(form[name]) if v != ""]
        elif (value := _values(form[name])[-1].strip()) != "":
            body[name] = value
        elif _admits_none(field.type):  # an emptied box clears an optional field
            body[name] = None
    return body


def decode(kind: type[S], body: dict[str, Any]) -> S:
    """The Struct, or ``InvalidInput`` naming every field that is wrong."""
    if errors := body_errors(kind, body):
        raise InvalidInput.every(errors)
    return msgspec.convert(body, kind, strict=False, dec_hook=decode_money)


class NeedFilters(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The needs list's filters, as a search form sends them."""

    gcm_objective: Annotated[int, msgspec.Meta(ge=1, le=23)] | None = None
    region: Region | None = None
    country: CountryCode | None = None
    resource_type: ResourceType | None = None


def from_query(kind: type[S], query: Mapping[str, str]) -> tuple[S, dict[str, str]]:
    """A search form's choices as ``kind`` (empty choices mean "any"), and as chosen (to show again)."""
    names = {f.encode_name for f in msgspec.structs.fields(kind)}
    chosen = {k: v for k, v in query.items() if k in names and v.strip() != ""}
    return decode(kind, chosen), chosen


# What to say beside a field when its message is not in the catalogue: a hint in the reader's language.
_HINTS = {
    "title": N_("Give a title of 3 to 300 characters."),
    "description": N_("The description is too long or contains characters that are not allowed."),
    "country": N_("Choose a country from the list."),
    "countries": N_("Choose where the offer may be spent: countries, regions, or everywhere."),
    "gcm_objectives": N_("Choose at least one GCM objective."),
    "resource_types": N_("Choose at least one type of resource."),
    "sectors": N_("Enter OECD DAC purpose codes of 5 digits, separated by commas."),
    "amount": N_("Enter an amount greater than zero, with no more decimals than the currency allows."),
    "budget": N_("Enter a budget greater than zero, with no more decimals than the currency allows."),
    "min_amount": N_("The smallest grant must be a positive amount, not above the budget."),
    "max_amount": N_("The largest grant must be a positive amount, not below the smallest."),
    "currency": N_("Choose a currency from the list."),
    "deadline": N_("Enter a date (year-month-day)."),
    "reference": N_("Your own reference must be unique within your organisation."),
    "reason": N_("Give a reason."),
}


# How a value that did not decode is described (by ``rules.body_errors`` and msgspec).
_UNDECODED = ("Expected", "Invalid", "missing required field", "unknown field")


def field_messages(errors: list[FieldError], language: str) -> dict[str, str]:
    """Each wrong field (its top name: ``sectors[2]`` is ``sectors``) → what to say beside it:
    the field's hint for a value that did not decode; a rule's own message otherwise, in the
    reader's language when the catalogue has it, else after the hint."""
    shown: dict[str, str] = {}
    for error in errors:
        field = error["field"].split("[")[0].split(".")[0]
        detail = error["message"]
        hint = i18n.gettext(language, _HINTS[field]) if field in _HINTS else None
        translated = i18n.gettext(language, detail)
        if hint and detail.startswith(_UNDECODED):
            message = hint
        elif translated != detail or language == i18n.DEFAULT or not hint:
            message = translated
        else:
            message = f"{hint} ({detail})"
        shown.setdefault(field, message)
    return shown


def refusal(exc: MatchmakerError, language: str) -> str:
    """Why a change was refused, in the reader's language where the catalogue has its kind."""
    extra = exc.extra
    if {"side", "requested", "remaining", "currency"} <= extra.keys():  # an approval that would overcommit
        side = i18n.gettext(language, _SIDES[extra["side"]])
        return i18n.gettext(language, "Approving %(requested)s would overcommit %(side)s: %(remaining)s remain.") % {
            "requested": i18n.money(extra["requested"], extra["currency"], language), "side": side,
            "remaining": i18n.money(extra["remaining"], extra["currency"], language)}
    return i18n.gettext(language, exc.detail)


_SIDES = {"offer": N_("the offer"), "need": N_("the need")}


async def submit(db: asyncpg.Connection, viewer: Viewer, lang: str, data: dict[str, Any], kind: type[msgspec.Struct],
                 save: Saved, template: str, **context: Any) -> Template | Redirect:
    """Decode the form into ``kind`` and ``save`` it (which returns where the result is shown)
    in a savepoint; when refused, nothing is written and ``template`` shows the form again, as
    typed, with each error beside its field (a conflict above the form)."""
    try:
        async with db.transaction():
            location = await save(decode(kind, body_from_form(kind, data)))
    except (InvalidInput, Conflict, Forbidden) as exc:
        errors = field_messages(exc.errors, lang) if isinstance(exc, InvalidInput) else {"form": refusal(exc, lang)}
        return page(template, viewer, lang, status_code=exc.status, values=data, errors=errors, **context)
    return Redirect(location, status_code=303)
