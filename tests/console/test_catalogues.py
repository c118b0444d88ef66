"""The console's message catalogues: Arabic and Russian say everything English says.

Every key of ``en.json`` is in ``ar.json`` and ``ru.json`` with the same ``{placeholders}``; a key
English gives in plural forms (``key.one`` / ``key.other``) is given in each plural category of
the language (what ``Intl.PluralRules`` selects), and no catalogue has a key English lacks.
``scripts/console-catalogue`` lists what is missing, for whoever translates.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

import pytest

PLURALS = {
    "ar": ("zero", "one", "two", "few", "many", "other"),
    "ru": ("one", "few", "many", "other"),
}
"""The categories ``new Intl.PluralRules(lang).resolvedOptions().pluralCategories`` gives."""

ALL_CATEGORIES = {"zero", "one", "two", "few", "many", "other"}
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def catalogue(lang: str) -> dict[str, str]:
    text = resources.files("deconfliction").joinpath(f"console/i18n/{lang}.json").read_text()
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def plural_stems(messages: dict[str, str]) -> set[str]:
    """Keys given in plural forms: ``conflicts.count`` for ``conflicts.count.one`` and
    ``conflicts.count.other`` (``map.other`` alone is a message, "Another party")."""
    return {
        k.rsplit(".", 1)[0]
        for k in messages
        if k.endswith(".other") and f"{k.rsplit('.', 1)[0]}.one" in messages
    }


def expected_keys(en: dict[str, str], lang: str) -> dict[str, str]:
    """Each key ``lang`` must have, with the English text whose placeholders it must keep."""
    stems = plural_stems(en)
    wanted = {k: v for k, v in en.items() if k.rsplit(".", 1)[0] not in stems}
    for stem in stems:
        for category in PLURALS[lang]:
            wanted[f"{stem}.{category}"] = en[f"{stem}.other"]
    return wanted


def problems(lang: str) -> list[str]:
    """What ``lang``'s catalogue lacks or gets wrong, one sentence each."""
    en, messages = catalogue("en"), catalogue(lang)
    wanted = expected_keys(en, lang)
    stems = plural_stems(en)
    found = []
    for key, english in wanted.items():
        if key not in messages:
            found.append(f"{lang}: missing {key!r} (en: {english!r})")
            continue
        theirs, ours = set(PLACEHOLDER.findall(english)), set(PLACEHOLDER.findall(messages[key]))
        stem, _, category = key.rpartition(".")
        # a singular, dual or zero form may say its number in words ("تعارضان"), not as {n}
        plural_word = stem in stems and category in {"zero", "one", "two"}
        if ours - theirs or (theirs - ours and not plural_word):
            found.append(
                f"{lang}: {key!r} has placeholders {sorted(ours)}, English {sorted(theirs)}"
            )
    for key in messages.keys() - wanted.keys():
        found.append(f"{lang}: {key!r} is not an English key (or not a plural form of one)")
    return found


def test_english_plural_forms_come_in_pairs() -> None:
    en = catalogue("en")
    for stem in plural_stems(en):
        assert stem not in en, f"{stem} is both a message and a plural stem"
    stray = [k for k in en if k.rsplit(".", 1)[-1] in ALL_CATEGORIES - {"one", "other"}]
    assert stray == [], "English has only the one/other forms"
    lone = [k for k in en if k.endswith(".one") and f"{k[: -len('.one')]}.other" not in en]
    assert lone == [], "a .one form needs its .other"


@pytest.mark.parametrize("lang", sorted(PLURALS))
def test_catalogue_says_everything_english_says(lang: str) -> None:
    found = problems(lang)
    assert found == [], "\n".join(
        [*found, "(scripts/console-catalogue lists what is left to translate)"]
    )


@pytest.mark.parametrize("lang", ["en", *sorted(PLURALS)])
def test_catalogue_is_flat_text(lang: str) -> None:
    messages = catalogue(lang)
    assert all(isinstance(v, str) and v.strip() for v in messages.values())
    assert all(re.fullmatch(r"[a-z0-9_.-]+", k) for k in messages), "keys are flat and dotted"
