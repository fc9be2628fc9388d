from django.urls import path

from terabox_crm.dsr import views

app_name = "dsr"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("settings/", views.settings_page, name="settings"),
    path("new/", views.record, name="record"),
    path("<uuid:request_id>/", views.request_detail, name="request"),
    path("<uuid:request_id>/status/", views.request_status, name="status"),
    path("<uuid:request_id>/assign/", views.request_assign, name="assign"),
    path("<uuid:request_id>/reply/", views.request_reply, name="reply"),
    path("<uuid:request_id>/replies/<uuid:reply_id>/letter/", views.request_letter, name="letter"),
    path("<uuid:request_id>/export/", views.request_export, name="export"),
    path(
        "<uuid:request_id>/exports/<uuid:export_id>/retry/",
        views.request_export_retry,
        name="export_retry",
    ),
    path(
        "<uuid:request_id>/exports/<uuid:export_id>/download/",
        views.request_export_fetch,
        name="export_fetch",
    ),
    path(
        "<uuid:request_id>/people/<uuid:subject_id>/restrict/",
        views.request_restrict,
        name="restrict",
    ),
    path(
        "<uuid:request_id>/people/<uuid:subject_id>/correct/",
        views.request_correct,
        name="correct",
    ),
    path(
        "<uuid:request_id>/people/<uuid:subject_id>/withdraw/",
        views.request_withdraw,
        name="withdraw",
    ),
    path("<uuid:request_id>/people/<uuid:subject_id>/erase/", views.request_erase, name="erase"),
]
