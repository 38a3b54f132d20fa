"""The pages' languages: gettext catalogues (``locale/<lang>/LC_MESSAGES/messages.po``, read
as they are: no compiled files to keep in step), the reader's language, and numbers, money
and dates formatted for it with Babel."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, format_percent
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("en", "fr", "es")
DEFAULT = "en"
#: Remembers the reader's choice for a year, signed in or not.
LANGUAGE_COOKIE = "mm_lang"


@cache
def translations(language: str) -> NullTranslations:
    """The catalogue of ``language`` (English is the source text: no catalogue)."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if language == DEFAULT or not path.exists():
        return NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def negotiate(chosen: str | None, accept_language: str | None) -> str:
    """The reader's language: the one they chose, else the first of ``Accept-Language`` we speak."""
    if chosen in LANGUAGES:
        return chosen
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGUAGES:
            return tag
    return DEFAULT


def gettext(language: str, message: str) -> str:
    return translations(language).gettext(message)


def ngettext(language: str, singular: str, plural: str, n: int) -> str:
    return translations(language).ngettext(singular, plural, n)


def money(amount: Decimal | None, currency: str, language: str) -> str:
    return "—" if amount is None else format_currency(amount, currency, locale=language)


def number(value: float | int | Decimal, language: str) -> str:
    return format_decimal(value, locale=language)


def percent(value: float, language: str) -> str:
    return format_percent(value, locale=language)


def day(value: date | datetime | None, language: str) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return format_datetime(value, "medium", locale=language)
    return format_date(value, "medium", locale=language)


@cache
def language_name(language: str) -> str:
    """A language named in itself ("français"), for the language switch."""
    return (Locale.parse(language).get_display_name(language) or language).capitalize()


def N_(message: str) -> str:
    """Marks a message for the catalogue where it is defined; it is translated where shown."""
    return message
