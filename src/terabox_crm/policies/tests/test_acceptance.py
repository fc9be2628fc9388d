"""Users accept a new version at their first sign-in after it takes effect,
and the acceptance is recorded (P10)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from terabox_crm.accounts.tests.conftest import sign_in
from terabox_crm.api import services as api_services
from terabox_crm.audit.models import AuditEvent
from terabox_crm.core.selectors import membership_in
from terabox_crm.policies import services
from terabox_crm.policies.models import PolicyAcceptance
from terabox_crm.policies.tests.helpers import in_force, version
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db

ACCEPT = reverse("policies:accept")


@pytest.fixture
def veteran(cast):
    """A member who joined before the new versions took effect (no two-factor
    required in Acme, so a password signs them in)."""
    cast.acme.mfa_required_for_all = False
    cast.acme.save(update_fields=["mfa_required_for_all"])
    cast.member.date_joined = timezone.now() - timedelta(days=30)
    cast.member.save(update_fields=["date_joined"])
    return cast.member


def test_first_sign_in_after_a_version_takes_effect_asks_for_acceptance(client, cast, veteran):
    new = in_force("privacy", number=2)

    response = sign_in(client, veteran.email, cast.password, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    home = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert home.status_code == 302
    assert home["Location"] == f"{ACCEPT}?next=%2F"

    page = client.get(home["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "Our policies have changed" in page.text
    assert "Privacy policy, version 2" in page.text
    assert "What version 2 changes" in page.text
    assert new.get_absolute_url() in page.text
    assert "Security policy" not in page.text.split("<main")[1].split("</form>")[0]

    accepted = client.post(ACCEPT, {"next": "/"}, REMOTE_ADDR="203.0.113.9")
    assert accepted.status_code == 302 and accepted["Location"] == "/"
    record = PolicyAcceptance.objects.get(user=veteran)
    assert record.version == new and record.ip == "203.0.113.9"
    assert record.accepted_at <= timezone.now()
    event = AuditEvent.objects.get(action="policies.version.accepted")
    assert event.actor_id == veteran.pk and event.payload == {"kind": "privacy", "number": 2}

    assert client.get("/").status_code == 200  # not asked again
    assert client.get(ACCEPT).status_code == 302


def test_the_acceptance_page_is_in_japanese(client, cast, veteran):
    in_force("security", number=2)
    login(client, veteran)
    page = client.get(ACCEPT, HTTP_ACCEPT_LANGUAGE="ja")
    assert "ポリシーが改訂されました" in page.text
    assert "セキュリティポリシー 第 2 版" in page.text and "同意する" in page.text


def test_a_user_who_joined_after_the_version_took_effect_is_not_asked(client, cast):
    in_force("privacy", number=2)
    login(client, cast.admin)  # joined just now, after version 2 took effect
    assert client.get("/").status_code == 200
    assert not PolicyAcceptance.objects.exists()


def test_an_upcoming_version_is_not_asked_for_yet(client, cast, veteran):
    version("privacy", number=2, effective_in=timedelta(days=5))
    login(client, veteran)
    assert client.get("/").status_code == 200
    assert services.pending_for(veteran) == []


def test_public_pages_and_sign_out_stay_reachable_while_pending(client, cast, veteran):
    in_force("privacy", number=2)
    login(client, veteran)
    for url in ["/privacy/", "/security/", "/notices/", "/privacy/versions/2/"]:
        assert client.get(url).status_code == 200, url
    assert client.get("/contacts/")["Location"].startswith(ACCEPT)
    htmx = client.get("/contacts/", HTTP_HX_REQUEST="true")
    assert htmx["HX-Redirect"].startswith(ACCEPT)
    assert client.post(reverse("accounts:logout")).status_code == 302


def test_api_token_requests_are_never_redirected(client, cast, veteran):
    in_force("privacy", number=2)
    secret = api_services.token_create(
        membership=membership_in(cast.acme, veteran), name="script", scopes="read", days=30
    ).secret
    response = client.get("/api/v1/contacts/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200


def test_a_version_not_in_force_cannot_be_accepted(cast):
    upcoming = version("privacy", number=2, effective_in=timedelta(days=5))
    from terabox_crm.refusals import Refusal

    with pytest.raises(Refusal) as refused:
        services.versions_accept(actor=cast.member, versions=[upcoming])
    assert refused.value.code == "policy_not_in_force"
    assert not PolicyAcceptance.objects.exists()


def test_signing_up_through_an_invitation_accepts_the_versions_in_force(client, cast):
    from terabox_crm.accounts.models import User, email_index_of
    from terabox_crm.testing import factories

    in_force("privacy", number=2)
    _invitation, token = factories.make_invitation(cast.acme, "newcomer@acme.example")
    url = reverse("core:invite_accept", args=[token])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").text
    assert 'you accept the <a href="/privacy/">privacy policy</a>' in page
    response = client.post(
        url,
        {
            "display_name": "Newcomer",
            "password1": "a long enough passphrase 42",
            "password2": "a long enough passphrase 42",
        },
    )
    assert response.status_code == 302
    newcomer = User.objects.get(email_index=email_index_of("newcomer@acme.example"))
    assert services.pending_for(newcomer) == []
    # signed in; sent on to two-factor enrolment (Acme requires it), not to accept anything
    assert client.get("/")["Location"] == reverse("accounts:mfa_enrol")


def test_accepting_never_redirects_off_site(client, cast, veteran):
    in_force("privacy", number=2)
    login(client, veteran)
    response = client.post(ACCEPT, {"next": "https://evil.example/phish"})
    assert response.status_code == 302 and response["Location"] == reverse("web:home")
    assert PolicyAcceptance.objects.filter(user=veteran).count() == 1
