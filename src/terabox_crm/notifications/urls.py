from django.urls import path

from terabox_crm.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("unread/", views.unread_badge, name="unread"),
    path("read-all/", views.notification_read_all, name="read_all"),
    path("<uuid:notification_id>/", views.notification_open, name="open"),
    path("<uuid:notification_id>/read/", views.notification_read, name="read"),
]
