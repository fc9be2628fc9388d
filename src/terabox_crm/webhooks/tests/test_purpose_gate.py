"""Webhooks ask the purpose gate (P3) and record provision to a third party (P4)."""

import pytest
from django_scopes import scope, scopes_disabled

from terabox_crm import webhooks
from terabox_crm.core.selectors import membership_in
from terabox_crm.privacy import selectors as privacy
from terabox_crm.testing.purpose_gate import assert_channel_gated
from terabox_crm.webhooks import services
from terabox_crm.webhooks.models import Delivery


def _endpoint(cast, receiver, **extra):
    with scopes_disabled():
        return services.endpoint_create(
            membership=membership_in(cast.acme, cast.admin),
            url=receiver.url,
            event_names=["contact.updated"],
            **extra,
        ).endpoint


def _delivered(contact) -> bool:
    with scopes_disabled():
        return Delivery.objects.filter(event="contact.updated", object_id=str(contact.pk)).exists()


def _emit(contact):
    webhooks.emit("contact.updated", workspace_id=contact.workspace_id, object_id=contact.pk)


@pytest.mark.parametrize("purpose", ["communication", "support"])
def test_deliveries_about_contacts_pass_the_purpose_gate(cast, receiver, purpose):
    _endpoint(cast, receiver, purpose=purpose)
    assert_channel_gated(
        workspace=cast.acme,
        membership=membership_in(cast.acme, cast.member),
        purpose=purpose,
        channel="webhooks",
        act=_emit,
        reached=_delivered,
    )


def test_a_third_party_endpoint_writes_a_provision_record(cast, receiver):
    from terabox_crm.contacts.tests.support import make_contact

    endpoint = _endpoint(cast, receiver, third_party=True, recipient="Partner Inc.")
    contact = make_contact(membership_in(cast.acme, cast.member))
    _emit(contact)
    with scope(workspace=cast.acme):
        records = list(privacy.provision_records_for(cast.acme, [contact.pk]))
    assert len(records) == 1
    assert records[0].recipient == "Partner Inc."
    assert records[0].reference == str(endpoint.pk)
    assert records[0].channel == "webhook"
    # The purpose the endpoint serves, for the record of processing (P4).
    assert records[0].purpose == endpoint.purpose == "support"


def test_a_third_party_endpoint_needs_a_recipient(cast, receiver):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        _endpoint(cast, receiver, third_party=True, recipient=" ")
    assert refused.value.error_list[0].code == "recipient_required"


def test_an_unknown_purpose_is_refused(cast, receiver):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        _endpoint(cast, receiver, purpose="nothing")
    assert refused.value.error_list[0].code == "unknown_purpose"
