"""TOTP two-factor (S14): enrolment, codes, recovery codes and enforcement."""

from __future__ import annotations

import re
from unittest import mock

import pytest
from django.contrib.auth import SESSION_KEY
from django.db import connection
from django.urls import reverse
from django_otp.oath import TOTP

from terabox_crm.accounts import mfa, session_keys
from terabox_crm.accounts.models import RecoveryCode, TOTPDevice
from terabox_crm.accounts.tests.conftest import enrol, events
from terabox_crm.core.roles import Role
from terabox_crm.testing import factories
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db


def _secret_from_page(text: str) -> str:
    match = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', text)
    return match.group(1).replace(" ", "")


def _code_for(base32_secret: str, offset: int = 0) -> str:
    import base64

    padded = base32_secret + "=" * (-len(base32_secret) % 8)
    totp = TOTP(base64.b32decode(padded), step=30, digits=6)
    totp.time = mfa.now()
    totp.drift = offset
    return f"{totp.token():06d}"


# --- Codes ------------------------------------------------------------------------------------


def test_current_code_is_accepted_once(cast):
    device = enrol(cast.member)
    code = mfa.current_code(device)
    assert mfa.verify_totp(device, code) is True
    assert mfa.verify_totp(TOTPDevice.objects.get(pk=device.pk), code) is False


def test_codes_one_step_either_side_are_accepted(cast):
    device = enrol(cast.member)
    assert mfa.verify_totp(device, mfa.current_code(device, -1)) is True
    device = enrol(cast.admin)
    assert mfa.verify_totp(device, mfa.current_code(device, +1)) is True


def test_codes_two_steps_away_are_refused(cast):
    device = enrol(cast.member)
    assert mfa.verify_totp(device, mfa.current_code(device, -2)) is False
    assert mfa.verify_totp(device, mfa.current_code(device, +2)) is False


def test_an_older_code_after_a_newer_one_is_refused(cast):
    device = enrol(cast.member)
    assert mfa.verify_totp(device, mfa.current_code(device, +1)) is True
    assert mfa.verify_totp(device, mfa.current_code(device, 0)) is False


def test_codes_are_six_digits_per_thirty_seconds(cast):
    device = enrol(cast.member)
    with mock.patch.object(mfa, "now", return_value=1_700_000_010.0):
        first = mfa.current_code(device)
    with mock.patch.object(mfa, "now", return_value=1_700_000_019.0):
        same_step = mfa.current_code(device)
    with mock.patch.object(mfa, "now", return_value=1_700_000_040.0):
        next_step = mfa.current_code(device)
    assert re.fullmatch(r"\d{6}", first)
    assert first == same_step != next_step


def test_secret_is_encrypted_at_rest(cast):
    device = enrol(cast.member)
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM accounts_totpdevice WHERE id = %s", [device.pk.hex])
        row = cursor.fetchone()
    if row is None:  # PostgreSQL stores UUIDs natively
        with connection.cursor() as cursor:
            cursor.execute("SELECT secret FROM accounts_totpdevice WHERE id = %s", [device.pk])
            row = cursor.fetchone()
    assert row[0].startswith("v1:")
    assert device.secret not in row[0]


# --- Recovery codes -----------------------------------------------------------------------------


def test_ten_recovery_codes_are_stored_hashed(cast):
    codes = mfa.replace_recovery_codes(cast.member)
    assert len(codes) == len(set(codes)) == 10
    stored = list(RecoveryCode.objects.filter(user=cast.member).values_list("code_hash", flat=True))
    assert len(stored) == 10
    for code in codes:
        assert re.fullmatch(r"[a-z2-9]{4}(-[a-z2-9]{4}){3}", code)
        assert all(code not in value and code.replace("-", "") not in value for value in stored)


def test_recovery_code_works_once(cast):
    codes = mfa.replace_recovery_codes(cast.member)
    assert mfa.use_recovery_code(cast.member, codes[3]) is True
    assert mfa.use_recovery_code(cast.member, codes[3]) is False
    assert mfa.remaining_recovery_codes(cast.member) == 9


def test_recovery_code_is_forgiving_about_case_and_separators(cast):
    codes = mfa.replace_recovery_codes(cast.member)
    assert mfa.use_recovery_code(cast.member, codes[0].upper().replace("-", " ")) is True


def test_another_users_recovery_code_does_not_work(cast):
    codes = mfa.replace_recovery_codes(cast.member)
    assert mfa.use_recovery_code(cast.admin, codes[0]) is False


def test_regenerating_codes_voids_the_old_ones(client, cast):
    device = enrol(cast.member)
    login(client, cast.member, step_up=True)
    response = client.post(reverse("accounts:mfa_recovery_codes"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    new_codes = re.findall(r"<li><code>([a-z2-9-]+)</code></li>", response.text)
    assert len(new_codes) == 10
    assert mfa.use_recovery_code(cast.member, device.codes[0]) is False
    assert mfa.use_recovery_code(cast.member, new_codes[0]) is True
    assert len(events("accounts.mfa.recovery_codes_regenerated")) == 1


def test_regenerating_codes_needs_a_step_up(client, cast):
    enrol(cast.member)
    login(client, cast.member)
    response = client.post(reverse("accounts:mfa_recovery_codes"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:step_up"))


# --- Enrolment ---------------------------------------------------------------------------------


def test_enrolment_page_shows_an_inline_svg_qr_code_and_the_key(client, cast):
    login(client, cast.member, step_up=True)
    response = client.get(reverse("accounts:mfa_enrol"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert '<svg width="192" height="192" role="img" viewBox="0 0 ' in response.text
    assert "data:" not in response.text.split("<main", 1)[1]
    assert "<script>" not in response.text and "<script " not in response.text.split("</head>")[1]
    assert len(_secret_from_page(response.text)) == 32
    assert "Set up two-factor authentication" in response.text


def test_enrolment_page_in_japanese(client, cast):
    login(client, cast.member, step_up=True)
    response = client.get(reverse("accounts:mfa_enrol"), HTTP_ACCEPT_LANGUAGE="ja")
    assert "2段階認証を設定" in response.text


def test_reloading_the_enrolment_page_keeps_the_same_key(client, cast):
    login(client, cast.member, step_up=True)
    first = _secret_from_page(client.get(reverse("accounts:mfa_enrol")).text)
    second = _secret_from_page(client.get(reverse("accounts:mfa_enrol")).text)
    assert first == second


def test_confirming_with_the_right_code_turns_two_factor_on(client, cast):
    login(client, cast.member, mfa=False, step_up=True)
    secret = _secret_from_page(client.get(reverse("accounts:mfa_enrol")).text)

    response = client.post(
        reverse("accounts:mfa_enrol"), {"code": _code_for(secret)}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 200
    assert "Your recovery codes" in response.text
    assert len(re.findall(r"<li><code>[a-z2-9-]+</code></li>", response.text)) == 10
    device = TOTPDevice.objects.get(user=cast.member)
    assert device.confirmed
    assert client.session[session_keys.MFA_VERIFIED_AT] > 0
    [event] = events("accounts.mfa.enrolled")
    assert event.chain == str(cast.acme.pk)


def test_confirming_with_a_wrong_code_changes_nothing(client, cast):
    login(client, cast.member, step_up=True)
    client.get(reverse("accounts:mfa_enrol"))
    response = client.post(
        reverse("accounts:mfa_enrol"), {"code": "123456"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "That code is not right." in response.text
    assert not TOTPDevice.objects.get(user=cast.member).confirmed
    assert RecoveryCode.objects.filter(user=cast.member).count() == 0
    assert events("accounts.mfa.enrolled") == []


def test_enrolment_needs_a_step_up(client, cast):
    login(client, cast.member)
    response = client.get(reverse("accounts:mfa_enrol"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:step_up"))


def test_full_sign_in_lets_a_new_user_enrol_without_another_password_prompt(client, cast):
    from terabox_crm.accounts.tests.conftest import sign_in

    sign_in(client, cast.member.email, cast.password)
    assert client.get(reverse("web:home"))["Location"] == reverse("accounts:mfa_enrol")
    assert client.get(reverse("accounts:mfa_enrol")).status_code == 200


# --- Turning it off ---------------------------------------------------------------------------------


def test_two_factor_cannot_be_turned_off_where_a_workspace_requires_it(client, cast):
    enrol(cast.member)
    login(client, cast.member, step_up=True)
    response = client.post(reverse("accounts:mfa_disable"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "requires two-factor authentication" in response.text
    assert TOTPDevice.objects.filter(user=cast.member).exists()


def test_two_factor_can_be_turned_off_where_nobody_requires_it(client, relaxed):
    enrol(relaxed.member)
    login(client, relaxed.member, step_up=True)
    response = client.post(reverse("accounts:mfa_disable"))
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=relaxed.member).exists()
    assert not RecoveryCode.objects.filter(user=relaxed.member).exists()
    assert len(events("accounts.mfa.disabled")) == 1


# --- Enforcement ------------------------------------------------------------------------------------


def test_member_of_a_workspace_requiring_two_factor_is_sent_to_enrolment(client, cast):
    login(client, cast.member, mfa=False)
    response = client.get(reverse("web:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:mfa_enrol")


def test_relaxed_member_is_not_sent_to_enrolment(client, relaxed):
    login(client, relaxed.member, mfa=False)
    response = client.get(reverse("accounts:security"))
    assert response.status_code == 200


def test_admin_must_enrol_even_where_members_are_relaxed(client, relaxed):
    login(client, relaxed.admin, mfa=False)
    assert client.get(reverse("web:home"))["Location"] == reverse("accounts:mfa_enrol")


def test_auditor_must_enrol_even_as_a_relaxed_member(client, relaxed):
    relaxed.member_membership.is_auditor = True
    relaxed.member_membership.save(update_fields=["is_auditor"])
    login(client, relaxed.member, mfa=False)
    assert client.get(reverse("web:home"))["Location"] == reverse("accounts:mfa_enrol")


def test_belonging_to_any_strict_workspace_requires_two_factor(client, relaxed):
    strict = factories.make_workspace("Strict")
    factories.add_member(strict, relaxed.member, Role.VIEWER)
    login(client, relaxed.member, mfa=False)
    assert client.get(reverse("web:home"))["Location"] == reverse("accounts:mfa_enrol")


@pytest.mark.parametrize("url_name", ["healthz", "readyz"])
def test_health_checks_stay_reachable_before_enrolment(client, cast, url_name):
    login(client, cast.member, mfa=False)
    assert client.get(reverse(url_name)).status_code in {200, 503}


def test_sign_out_and_language_switch_stay_reachable_before_enrolment(client, cast):
    login(client, cast.member, mfa=False)
    switched = client.post(reverse("web:set_language"), {"language": "en", "next": "/"})
    assert switched.status_code == 302
    assert switched["Location"] != reverse("accounts:mfa_enrol")
    signed_out = client.post(reverse("accounts:logout"))
    assert signed_out["Location"].startswith("/accounts/signed-out/")
    assert SESSION_KEY not in client.session


def test_api_answers_problem_details_before_enrolment(client, cast):
    login(client, cast.member, mfa=False)
    response = client.get("/api/schema/")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "https://terabox-crm.dev/problems/mfa-enrolment-required"


def test_user_with_a_device_whose_session_skipped_the_code_is_signed_out(client, cast):
    enrol(cast.member)
    login(client, cast.member, mfa=False)
    response = client.get(reverse("accounts:security"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert SESSION_KEY not in client.session


def test_testing_helper_session_passes_enforcement(client, cast):
    login(client, cast.member)
    assert client.get(reverse("accounts:security")).status_code == 200


# --- What two-factor means for the password policy ------------------------------------------------


def test_password_without_mfa_is_false_where_a_workspace_requires_two_factor(cast):
    assert cast.member.password_without_mfa is False


def test_password_without_mfa_is_true_for_a_relaxed_member_without_device(relaxed):
    assert relaxed.member.password_without_mfa is True
    assert relaxed.admin.password_without_mfa is False


def test_password_without_mfa_is_false_once_the_user_has_a_device(relaxed):
    enrol(relaxed.member)
    assert relaxed.member.password_without_mfa is False


def test_password_without_mfa_is_true_for_a_user_without_workspace_or_device(db):
    assert factories.make_user("solo@example.com").password_without_mfa is True
