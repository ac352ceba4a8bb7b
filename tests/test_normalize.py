"""Match and search keys of free text: case, compatibility forms and whitespace folded (G-3)."""

from __future__ import annotations

import re
import sys

from framework.normalize import name_key, record_name, text_key

WHITESPACE = [chr(c) for c in range(sys.maxunicode + 1) if re.fullmatch(r"\s", chr(c))]


def test_every_run_of_whitespace_folds_to_one_space_and_the_ends_go() -> None:
    assert len(WHITESPACE) > 20  # tabs, line ends, no-break and ideographic spaces…
    for space in WHITESPACE:
        assert text_key(f"{space}Ann{space}{space}\tLEE{space}") == "ann lee", repr(space)


def test_text_key_folds_case_and_compatibility_forms() -> None:
    assert text_key("STRASSE Straße") == "strasse strasse"
    assert text_key("ﬁne Ⅻ") == "fine xii"
    assert text_key("  ") == ""


def test_a_name_is_its_parts_that_are_there_in_reading_order() -> None:
    data = {"last_name": "Lee", "company": "Lee & Co", "first_name": "Ann", "middle_name": ""}
    assert record_name(data) == "Ann Lee Lee & Co"
    assert record_name({"company": 7}) == "7"
    assert name_key({"first_name": " ANN\u00a0", "last_name": "Lee"}) == "ann lee"
    assert name_key({}) is None
    assert name_key({"groups": []}) == ""
