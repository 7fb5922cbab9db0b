from __future__ import annotations

import pytest

from sshdoctor.negotiate.listmod import ListSyntaxError, apply_modifier, match_pattern_list

DEFAULT = ["aes128-ctr", "aes256-ctr", "aes128-gcm@openssh.com"]
ALL = ["3des-cbc", "aes128-cbc", "aes256-cbc", "aes128-ctr", "aes256-ctr", "aes128-gcm@openssh.com"]


def test_plus_appends_only_missing_names() -> None:
    assert apply_modifier("+aes128-cbc,aes128-ctr", DEFAULT, ALL) == [*DEFAULT, "aes128-cbc"]


def test_minus_removes_patterns() -> None:
    assert apply_modifier("-*ctr", DEFAULT, ALL) == ["aes128-gcm@openssh.com"]


def test_caret_prepends() -> None:
    assert apply_modifier("^aes128-cbc", DEFAULT, ALL) == ["aes128-cbc", *DEFAULT]


def test_plain_list_replaces_and_expands_patterns_in_supported_order() -> None:
    assert apply_modifier("aes*-cbc,3des-cbc", DEFAULT, ALL) == ["aes128-cbc", "aes256-cbc", "3des-cbc"]


def test_unknown_names_drop_out_and_empty_result_is_an_error() -> None:
    assert apply_modifier("nonesuch,aes128-ctr", DEFAULT, ALL) == ["aes128-ctr"]
    with pytest.raises(ListSyntaxError):
        apply_modifier("nonesuch", DEFAULT, ALL)


def test_empty_value_is_default() -> None:
    assert apply_modifier(None, DEFAULT, ALL) == DEFAULT
    assert apply_modifier("", DEFAULT, ALL) == DEFAULT


def test_negated_pattern_wins() -> None:
    assert match_pattern_list("aes128-cbc", "aes*,!*cbc") == -1
    assert match_pattern_list("aes128-ctr", "aes*,!*cbc") == 1
    assert match_pattern_list("3des-cbc", "aes*") == 0


def test_brackets_are_literal_in_openssh_patterns() -> None:
    assert match_pattern_list("a[b]", "a[b]") == 1
    assert match_pattern_list("ab", "a[b]") == 0
