"""Signature styles render exactly as the member chose."""
import pytest

from board.stories.signatures import ANONYMOUS_SIGNATURE, render_signature


@pytest.mark.parametrize("style, expected", [
    ("full", "Mary G., Oregon, WI"),
    ("initial", "Mary G."),
    ("first", "Mary"),
    ("display", "Mary from the garden"),
    ("anonymous", "A member of Circle"),
])
def test_signature_styles_render_exactly(style, expected):
    assert render_signature(style, "Mary", "G", "Oregon", "WI", "Mary from the garden") == expected


def test_last_initial_is_normalised_to_one_capital_letter():
    assert render_signature("initial", " mary ", "g.", "", "", "") == "mary G."
    assert render_signature("initial", "Mary", "garcia", "", "", "") == "Mary G."


def test_full_signature_leaves_out_missing_place_parts():
    assert render_signature("full", "Mary", "G", "", "WI", "") == "Mary G., WI"
    assert render_signature("full", "Mary", "G", "Oregon", "", "") == "Mary G., Oregon"


def test_missing_name_falls_back_to_anonymous_never_to_account_details():
    assert render_signature("first", "", "G", "Oregon", "WI", "Mary Garcia") == ANONYMOUS_SIGNATURE
    assert render_signature("display", "Mary", "G", "", "", "") == ANONYMOUS_SIGNATURE
    assert render_signature("unknown-style", "Mary", "G", "", "", "Mary Garcia") == ANONYMOUS_SIGNATURE


def test_anonymous_ignores_every_name_part():
    assert render_signature("anonymous", "Mary", "G", "Oregon", "WI", "Mary Garcia") == "A member of Circle"
