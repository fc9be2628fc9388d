from django.urls import path

from terabox_crm.support import views

app_name = "support"

urlpatterns = [
    path("", views.ticket_list, name="tickets"),
    path("new/", views.ticket_create, name="create"),
    path("bulk/", views.ticket_bulk, name="bulk"),
    path("<uuid:ticket_id>/", views.ticket_detail, name="ticket"),
    path("<uuid:ticket_id>/reply/", views.ticket_reply, name="reply"),
    path("<uuid:ticket_id>/change/", views.ticket_change, name="change"),
    path("<uuid:ticket_id>/requester/", views.ticket_requester, name="requester"),
]
