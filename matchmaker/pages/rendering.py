"""How pages are drawn: one Jinja environment (autoescaped, strict about undefined names)
with gettext in the reader's language, Babel formatting as filters, and the vocabularies
the forms pick from, named in the reader's language."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, get_args

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig

from matchmaker.pages import i18n
from matchmaker.pages.labels import choices, label
from matchmaker.pages.sessions import CSRF_FIELD, CSRF_HEADER, Viewer
from matchmaker.vocabulary import Region, countries, currencies, gcm_objective_titles, region_translations

TEMPLATE_DIR = Path(__file__).parent / "templates"
_LANGUAGE_COLUMN = {"en": "name", "fr": "name_fr", "es": "name_es"}


@pass_context
def _gettext(context: Context, message: str) -> str:
    return i18n.gettext(context["lang"], message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return i18n.ngettext(context["lang"], singular, plural, n)


def _in_language(format_value: Any) -> Any:
    """A filter that formats for the page's language."""

    @pass_context
    def apply(context: Context, value: Any, *args: Any) -> str:
        return format_value(value, *args, context["lang"])

    return apply


def country_name(code: str, language: str) -> str:
    row = countries().get(code)
    return row[_LANGUAGE_COLUMN[language]] or row["name"] if row else code


def region_name(name: str, language: str) -> str:
    names = region_translations().get(name)
    return names[i18n.LANGUAGES.index(language)] if names else name


def objective_title(number: int, language: str) -> str:
    return f"{number}. {gcm_objective_titles()[number][i18n.LANGUAGES.index(language)]}"


@cache  # drawn on every form: the same for every reader of a language
def objective_choices(language: str) -> tuple[tuple[int, str], ...]:
    return tuple((number, objective_title(number, language)) for number in gcm_objective_titles())


@cache  # drawn on every form: the same for every reader of a language
def region_choices(language: str) -> tuple[tuple[str, str], ...]:
    """The five UN M49 regions, named in ``language``."""
    return tuple((region, region_name(region, language)) for region in get_args(Region))


@cache  # drawn on every form: the same for every reader of a language
def country_choices(language: str) -> tuple[tuple[str, str], ...]:
    """Countries by their name in ``language``, alphabetically for a reader of it."""
    return tuple(sorted(((code, country_name(code, language)) for code in countries()), key=lambda c: c[1].casefold()))


def names(codes: list[str], kind: str, language: str) -> str:
    return ", ".join(label(code, kind, language) for code in codes)


def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATE_DIR), autoescape=True, undefined=StrictUndefined,
                      extensions=["jinja2.ext.i18n", "jinja2.ext.do"])
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(money=_in_language(i18n.money), number=_in_language(i18n.number),
                       percent=_in_language(i18n.percent), day=_in_language(i18n.day),
                       country=_in_language(country_name), region=_in_language(region_name),
                       label=_in_language(label), names=_in_language(names),
                       objective=_in_language(objective_title))
    env.globals.update(
        LANGUAGES=i18n.LANGUAGES, language_name=i18n.language_name, objective_choices=objective_choices,
        currency_choices=[(code, f"{code} · {name}") for code, name in sorted(currencies().items())],
        country_choices=country_choices, region_choices=region_choices, choices=choices, CSRF_FIELD=CSRF_FIELD, CSRF_HEADER=CSRF_HEADER,
    )
    return env


def template_config() -> TemplateConfig:
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment()))


def page(name: str, viewer: Viewer | None, lang: str, *, status_code: int = 200, **context: Any) -> Template:
    """The page ``name`` for ``viewer`` (``None`` when signed out) in ``lang``."""
    return Template(template_name=name, context={"viewer": viewer, "lang": lang, **context},
                    status_code=status_code, headers={"Vary": "Cookie, Accept-Language", "Cache-Control": "no-store"})
