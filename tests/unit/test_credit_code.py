"""The unified social credit code (统一社会信用代码) check, GB 32100-2015."""
import pytest
from hypothesis import given, strategies as st

from shared.company import (
    CREDIT_CODE_CHARSET, credit_code_check_char, credit_code_problem, normalise_credit_code,
)


@pytest.mark.parametrize("code", [
    "91350100M000100Y43",  # the standard's worked example
    "91110000600037341L",
    "91320826MA1JT0013A",
    # Codes companies publish on their business licences:
    "914403001922038216",  # 华为技术有限公司
    "91330100716105852F",  # 阿里巴巴（中国）有限公司
    "9144030071526726XG",  # 深圳市腾讯计算机系统有限公司
    "91520000214434146R",  # 贵州茅台酒股份有限公司
])
def test_valid_codes_pass(code):
    assert credit_code_problem(code) is None


@pytest.mark.parametrize("code,reason", [
    ("91350100M000100Y44", "check digit is 4, expected 3"),
    ("91350100M000100Y4", "must be 18 characters, got 17"),
    ("91350100M0001O0Y43", "characters not allowed in a credit code: O"),
    ("9135010OI000100Y43", "characters not allowed in a credit code: IO"),
    # Real codes with one slip each: two digits swapped, a wrong check character.
    ("914403001922083216", "check digit is 6, expected X"),
    ("91330100716105825F", "check digit is F, expected M"),
    ("9144030071526726XH", "check digit is H, expected G"),
])
def test_invalid_codes_say_why(code, reason):
    assert credit_code_problem(code) == reason


def test_full_width_input_is_normalised():
    assert normalise_credit_code(" ９１３５０１００ｍ０００１００ｙ４３ ") == "91350100M000100Y43"


body = st.text(alphabet=CREDIT_CODE_CHARSET, min_size=17, max_size=17)


@given(body)
def test_the_computed_check_digit_always_validates(first17):
    assert credit_code_problem(first17 + credit_code_check_char(first17)) is None


@given(body, st.sampled_from(CREDIT_CODE_CHARSET))
def test_any_other_check_character_is_refused(first17, last):
    if last != credit_code_check_char(first17):
        assert "check digit" in credit_code_problem(first17 + last)


@given(body, st.integers(0, 16), st.sampled_from(CREDIT_CODE_CHARSET))
def test_a_single_changed_character_is_caught(first17, position, replacement):
    code = first17 + credit_code_check_char(first17)
    changed = code[:position] + replacement + code[position + 1:]
    if changed != code:
        assert credit_code_problem(changed) is not None
