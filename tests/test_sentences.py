"""``split_sentences`` offsets and boundaries; ``detect_language``."""

from __future__ import annotations

import pytest

from sucesos.inference.sentences import detect_language, split_sentences


def sentences(text: str, language: str = "en") -> list[str]:
    spans = split_sentences(text, language)
    check_offsets(text, spans)
    return [text[s:e] for s, e in spans]


def check_offsets(text: str, spans) -> None:
    previous_end = 0
    covered = set()
    for s, e in spans:
        assert isinstance(s, int) and isinstance(e, int)
        assert previous_end <= s < e <= len(text), spans
        piece = text[s:e]
        assert piece == piece.strip() and piece, (piece, spans)
        covered.update(range(s, e))
        previous_end = e
    # nothing but whitespace is left out
    lost = [text[i] for i in range(len(text)) if not text[i].isspace() and i not in covered]
    assert not lost, (lost, spans)


def test_glued_colon():
    assert sentences("a policy of its own:It is a type") == ["a policy of its own:", "It is a type"]


def test_glued_period():
    assert sentences("the cartels.But the cartel") == ["the cartels.", "But the cartel"]


def test_glued_inside_longer_text():
    text = "Violence rose in 2019 in the state. It was blamed on the cartels.But the cartel denied it."
    assert sentences(text) == ["Violence rose in 2019 in the state.", "It was blamed on the cartels.",
                               "But the cartel denied it."]


def test_glued_spanish_inverted_marks():
    assert sentences("¿Qué pasó?¡Nada!Se fueron.", "es") == ["¿Qué pasó?", "¡Nada!", "Se fueron."]


def test_abbreviations_and_decimals_not_split():
    assert sentences("Mr. Smith arrived at 10 a.m. on Monday. He left.") == [
        "Mr. Smith arrived at 10 a.m. on Monday.", "He left."]
    assert sentences("The rate rose 3.5 percent in the U.S. economy.") == [
        "The rate rose 3.5 percent in the U.S. economy."]


def test_newlines_are_boundaries():
    text = "HEADLINE WITHOUT PERIOD\nFirst sentence here. Second one\ncontinues\n\n\n  Caption  \n"
    assert sentences(text) == ["HEADLINE WITHOUT PERIOD", "First sentence here.", "Second one", "continues",
                               "Caption"]


def test_crlf_newlines():
    text = "Line one.\r\nLine two.\r\n"
    assert sentences(text) == ["Line one.", "Line two."]


def test_spanish_questions_and_exclamations():
    text = "¿Quién ordenó el ataque? La Fiscalía no lo sabe. ¡Basta ya! Dijo el alcalde."
    assert sentences(text, "es") == ["¿Quién ordenó el ataque?", "La Fiscalía no lo sabe.", "¡Basta ya!",
                                     "Dijo el alcalde."]


def test_spanish_accents_and_offsets():
    text = "  Sicarios emboscaron a una patrulla en Michoacán.  El Sr. López resultó herido.\n"
    out = sentences(text, "es")
    assert out[0] == "Sicarios emboscaron a una patrulla en Michoacán."
    assert out[-1].endswith("resultó herido.")


def test_repeated_sentences_keep_their_own_offsets():
    text = "Hubo disparos. Hubo disparos. Hubo disparos otra vez."
    spans = split_sentences(text, "es")
    check_offsets(text, spans)
    assert spans == [(0, 14), (15, 29), (30, 53)]


def test_non_bmp_characters_offsets():
    text = "🚨 Ataque en Zacatecas. Murieron 😢 tres policías."
    assert sentences(text, "es") == ["🚨 Ataque en Zacatecas.", "Murieron 😢 tres policías."]


def test_empty_and_whitespace():
    assert split_sentences("") == []
    assert split_sentences("   \n\t \n") == []


def test_unknown_language_falls_back_to_english_rules():
    assert sentences("First one. Second one.", "und") == ["First one.", "Second one."]


def test_very_long_line_is_cut_and_covered():
    text = " ".join(f"Sentence number {i} is here." for i in range(1200))  # > 20000 characters, one line
    assert len(text) > 20000
    out = sentences(text)
    assert len(out) == 1200
    assert out[0] == "Sentence number 0 is here." and out[-1] == "Sentence number 1199 is here."


@pytest.mark.parametrize("text", [
    "It is over.But not here.\nNext line",
    "He said: \"We will not negotiate.\" Then he left.",
    "Ataque (armado) en la colonia Centro... Hubo 3 muertos!!! ¿Y la policía?",
    "A.B.C. D. e.f. G? ¡H! i: J",
    "   leading and trailing   ",
    "x\n\ny\n",
])
def test_offsets_property(text):
    for lang in ("en", "es"):
        check_offsets(text, split_sentences(text, lang))


@pytest.mark.parametrize("text, expected", [
    ("Sicarios emboscaron a una patrulla de la policía estatal en Michoacán.", "es"),
    ("El alcalde fue asesinado a balazos frente a su casa esta mañana.", "es"),
    ("Gunmen ambushed a police convoy near Aguililla, killing 13 officers.", "en"),
    ("The president said his government will not negotiate with criminals.", "en"),
])
def test_detect_language(text, expected):
    assert detect_language(text) == expected


@pytest.mark.parametrize("text", ["!!!", "", "   ", "... ¿? ¡!", "—"])
def test_detect_language_nothing_to_go_on(text):
    assert detect_language(text) == "und"
