"""Every text-like field of the product is declared personal or non-personal (P1)."""

from django.apps import apps
from django.db import models

from terabox_crm import inventory
from terabox_crm.crypto.fields import EncryptedTextField

TEXT_LIKE = (models.CharField, models.TextField, models.JSONField, models.BinaryField)


def product_fields():
    for model in apps.get_models():
        if not model.__module__.startswith("terabox_crm."):
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, TEXT_LIKE):
                yield model._meta.label, field


def test_every_text_field_is_declared_personal_or_not():
    missing = [
        f"{label}.{field.name}"
        for label, field in product_fields()
        if not inventory.is_declared(label, field.name)
    ]
    assert missing == [], f"declare these in the app's inventory.py: {missing}"


def test_personal_fields_said_to_be_encrypted_are_encrypted_columns():
    by_label = {model._meta.label: model for model in apps.get_models()}
    wrong = [
        f"{item.model}.{item.field}"
        for item in inventory.personal_fields()
        if item.encrypted
        and not isinstance(by_label[item.model]._meta.get_field(item.field), EncryptedTextField)
        and item.model != "audit.AuditDetail"  # sealed by the audit chain itself
    ]
    assert wrong == []


def test_declarations_name_real_fields():
    real = {
        (model._meta.label, field.name)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
    }
    declared = list(inventory.personal_fields())
    assert declared, "the inventory declares no personal field"
    unknown = [f"{i.model}.{i.field}" for i in declared if (i.model, i.field) not in real]
    assert unknown == [], f"the inventory names fields that do not exist: {unknown}"


def test_unencrypted_personal_fields_are_only_one_way_hashes():
    plain = {f"{i.model}.{i.field}" for i in inventory.personal_fields() if not i.encrypted}
    assert plain == {"accounts.User.password"}


def test_every_name_the_published_data_list_shows_reads_in_japanese():
    """The privacy policy's §1 list and the inventory page name each personal
    field by its model's and field's names (P1): none may fall back to the
    English in Japanese (a plain-string name goes in privacy/labels.py)."""
    from django.utils.translation import gettext, override

    english = []
    with override("ja"):
        for item in inventory.personal_fields():
            model = apps.get_model(item.model)
            for name in (model._meta.verbose_name, model._meta.get_field(item.field).verbose_name):
                text = gettext(str(name))
                if text.isascii():
                    english.append(f"{item.model}.{item.field}: {text!r}")
    assert english == [], f"translate these names: {sorted(set(english))}"
