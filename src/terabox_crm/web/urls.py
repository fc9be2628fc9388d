from django.urls import path

from terabox_crm.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("i18n/language/", views.set_language, name="set_language"),
    path("search/suggest/", views.search_suggest, name="search_suggest"),
]
