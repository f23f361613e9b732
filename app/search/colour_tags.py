"""Dominant colours as tags in the request's language (`lang`): `red`, `rojo`, `vermelho`, …"""

from __future__ import annotations

from typing import Any, Literal

Language = Literal["en", "es", "pt", "fr", "ru"]
LANGUAGES: tuple[Language, ...] = ("en", "es", "pt", "fr", "ru")
NAMESPACE = "colour"

_NAMES: dict[str, dict[Language, str]] = {
    "red": {"en": "red", "es": "rojo", "pt": "vermelho", "fr": "rouge", "ru": "красный"},
    "orange": {"en": "orange", "es": "naranja", "pt": "laranja", "fr": "orange", "ru": "оранжевый"},
    "yellow": {"en": "yellow", "es": "amarillo", "pt": "amarelo", "fr": "jaune", "ru": "жёлтый"},
    "green": {"en": "green", "es": "verde", "pt": "verde", "fr": "vert", "ru": "зелёный"},
    "blue": {"en": "blue", "es": "azul", "pt": "azul", "fr": "bleu", "ru": "синий"},
    "purple": {"en": "purple", "es": "morado", "pt": "roxo", "fr": "violet", "ru": "фиолетовый"},
    "pink": {"en": "pink", "es": "rosa", "pt": "rosa", "fr": "rose", "ru": "розовый"},
    "brown": {"en": "brown", "es": "marrón", "pt": "marrom", "fr": "marron", "ru": "коричневый"},
    "black": {"en": "black", "es": "negro", "pt": "preto", "fr": "noir", "ru": "чёрный"},
    "white": {"en": "white", "es": "blanco", "pt": "branco", "fr": "blanc", "ru": "белый"},
    "grey": {"en": "grey", "es": "gris", "pt": "cinza", "fr": "gris", "ru": "серый"},
}


def colour_tags(colours: list[dict[str, Any]], lang: Language) -> list[str]:
    """The names of the dominant colours (largest share first) in `lang`."""
    ordered = sorted(colours, key=lambda colour: -float(colour.get("share", 0)))
    return [_NAMES[colour["name"]][lang] for colour in ordered if colour.get("name") in _NAMES]
