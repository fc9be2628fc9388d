from django.urls import path

from terabox_crm.retention import views

app_name = "retention"

urlpatterns = [
    path("", views.rules, name="rules"),
    path("rule/", views.rule_edit, name="rule_edit"),
    path("holds/<uuid:contact_id>/set/", views.hold_set, name="hold_set"),
    path("holds/<uuid:hold_id>/lift/", views.hold_lift, name="hold_lift"),
]
