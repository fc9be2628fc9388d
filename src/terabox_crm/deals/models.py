"""Deals in pipelines of ordered stages (SPEC §2).

A pipeline is a sales process (new business, renewals); its stages are
ordered columns of the board, each ``open``, ``won`` or ``lost``. A deal sits
in exactly one stage of its own pipeline. The deal's name is encrypted (it
often names a person: "山田様 追加契約") and token-indexed for search; amounts,
dates and stages are business data, not personal.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_scopes import ScopedManager

from terabox_crm.core.models import OwnedRecord
from terabox_crm.crypto.fields import EncryptedTextField

# ISO 4217 codes offered for amounts; anything else is refused.
CURRENCIES = [
    ("JPY", _("Japanese yen")),
    ("USD", _("US dollar")),
    ("EUR", _("Euro")),
    ("GBP", _("Pound sterling")),
    ("CNY", _("Chinese yuan")),
    ("KRW", _("Korean won")),
    ("TWD", _("New Taiwan dollar")),
    ("HKD", _("Hong Kong dollar")),
    ("SGD", _("Singapore dollar")),
    ("AUD", _("Australian dollar")),
    ("CAD", _("Canadian dollar")),
    ("CHF", _("Swiss franc")),
    ("THB", _("Thai baht")),
    ("INR", _("Indian rupee")),
]
NAME_MAX_LENGTH = 200
# Why a deal was won or lost, asked when it closes (the deal page's stage bar).
CLOSE_REASON_MAX_LENGTH = 500


class Pipeline(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("core.Workspace", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(workspace="workspace")

    class Meta:
        ordering = ["position", "created_at"]
        verbose_name = _("pipeline")

    def __str__(self) -> str:
        return self.name


class Stage(models.Model):
    class Kind(models.TextChoices):
        OPEN = "open", pgettext_lazy("deal status", "Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("core.Workspace", on_delete=models.CASCADE, related_name="+")
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(_("name"), max_length=80)
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.OPEN)
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"), default=10, validators=[MaxValueValidator(100)]
    )

    objects = ScopedManager(workspace="workspace")

    class Meta:
        ordering = ["pipeline", "position"]
        verbose_name = _("stage")

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.kind != self.Kind.OPEN


class Deal(OwnedRecord):
    pipeline = models.ForeignKey(Pipeline, on_delete=models.PROTECT, related_name="deals")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="deals")
    name = EncryptedTextField(_("name"))
    amount = models.DecimalField(
        _("amount"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES, default="JPY")
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"), null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    company = models.ForeignKey(
        "contacts.Company", on_delete=models.SET_NULL, null=True, blank=True, related_name="deals"
    )
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.SET_NULL, null=True, blank=True, related_name="deals"
    )
    # The workspace's tags, shared with contacts and companies (docs/ui.md
    # "Tags are chips"); no personal data, removed with the deal.
    tags = models.ManyToManyField(
        "contacts.Tag", blank=True, related_name="deals", verbose_name=_("tags")
    )
    board_position = models.PositiveIntegerField(default=0)
    closed_at = models.DateTimeField(null=True, blank=True)
    # When the deal entered its current stage: the board's "days in stage".
    stage_entered_at = models.DateTimeField(_("in stage since"), null=True, blank=True)
    # Why it was won or lost, asked when it closes; free text that may name
    # a person ("山田様のご判断で…"), so encrypted like the name. Cleared
    # when the deal is opened again.
    close_reason = EncryptedTextField(_("won or lost reason"), blank=True, default="")
    # When a retention rule anonymised the closed deal (P5, deals/retention.py):
    # the person went, the amount and the stage stayed.
    anonymised_at = models.DateTimeField(null=True, blank=True, editable=False)

    # The one answer to a link to a deal that is not there for the actor
    # (none, another workspace's, unreadable): ``core.records.readable``.
    link_refused_message = _("Choose a deal of this workspace.")

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("deal")
        indexes = [
            models.Index(fields=["workspace", "stage", "board_position"], name="deal_board"),
            models.Index(fields=["workspace", "-updated_at", "-id"], name="deal_recent"),
            # A retention batch's deals by contact, led by the workspace as every
            # statement of a batch is (docs/performance.md, Retention).
            models.Index(fields=["workspace", "contact"], name="deal_contact"),
        ]

    def __str__(self) -> str:
        return f"deal {self.pk}"

    @property
    def effective_probability(self) -> int:
        return self.probability if self.probability is not None else self.stage.probability
