import pytest

from terabox_crm.crypto import normalise


@pytest.mark.parametrize(
    "typed",
    [
        "03-1234-5678",
        "+81 3 1234 5678",
        "０３－１２３４－５６７８",
        "(03) 1234 5678",
        "+81312345678",
    ],
)
def test_japanese_numbers_normalise_to_one_e164_form(typed):
    assert normalise.phone(typed) == "+81312345678"


def test_foreign_numbers_keep_their_country():
    assert normalise.phone("+1 415 555 2671") == "+14155552671"


def test_impossible_phone_number_is_refused():
    with pytest.raises(ValueError):
        normalise.phone("12")


def test_email_is_folded_from_full_width_and_case():
    assert normalise.email(" Ｈａｎａｋｏ@Example.JP ") == "hanako@example.jp"


@pytest.mark.parametrize("bad", ["hanako", "@example.jp", "hanako@localhost", "a b@example.jp"])
def test_malformed_email_is_refused(bad):
    with pytest.raises(ValueError):
        normalise.email(bad)


def test_name_tokens_fold_katakana_width_and_case():
    assert normalise.name_tokens("ヤマダ　ﾊﾅｺ") == ["やまだ", "はなこ"]
    assert normalise.name_tokens("Emily  CLARK") == ["emily", "clark"]
    assert normalise.name_tokens("山田・花子") == ["山田", "花子"]


def test_name_tokens_are_unique():
    assert normalise.name_tokens("Anna anna ANNA") == ["anna"]
