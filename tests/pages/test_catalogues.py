"""Every message of the pages has a French and a Spanish translation that keeps its placeholders."""

from __future__ import annotations

import re

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from matchmaker.pages.i18n import LOCALE_DIR
from matchmaker.settings import PROJECT_ROOT

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
KEYWORDS = {"_": None, "gettext": (2,), "ngettext": (2, 3), "N_": None}


def _messages() -> set[str]:
    found = extract_from_dir(
        PROJECT_ROOT / "matchmaker" / "pages",
        method_map=[("**.py", "python"), ("templates/**.html", "jinja2")],
        options_map={"templates/**.html": {"extensions": "jinja2.ext.do"}}, keywords=KEYWORDS,
    )
    return {message if isinstance(message, str) else message[0] for _, _, message, _, _ in found}


@pytest.mark.parametrize("language", ["fr", "es"])
def test_every_message_is_translated_with_its_placeholders(language: str) -> None:
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale=language)
    messages = _messages()
    assert len(messages) > 150
    missing = sorted(m for m in messages if m not in catalog or not catalog[m].string)
    assert missing == [], f"run `make messages` and translate: {missing}"
    for message in messages:
        translated = catalog[message].string
        for original, translation in zip((message,), translated if isinstance(translated, tuple) else (translated,)):
            assert sorted(PLACEHOLDER.findall(original)) == sorted(PLACEHOLDER.findall(translation)), message
