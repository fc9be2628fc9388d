from django.urls import path

from terabox_crm.activities import views

app_name = "activities"

urlpatterns = [
    path("activities/new/", views.activity_create, name="activity_create"),
    path("activities/<uuid:activity_id>/delete/", views.activity_delete, name="activity_delete"),
    path("tasks/", views.task_list, name="tasks"),
    path("tasks/new/", views.task_create, name="task_create"),
    path("tasks/bulk/", views.task_bulk, name="task_bulk"),
    path("tasks/<uuid:task_id>/", views.task_detail, name="task"),
    path("tasks/<uuid:task_id>/edit/", views.task_edit, name="task_edit"),
    path("tasks/<uuid:task_id>/delete/", views.task_delete, name="task_delete"),
    path("tasks/<uuid:task_id>/done/", views.task_done, name="task_done"),
]
