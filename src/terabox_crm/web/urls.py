from django.urls import path

from terabox_crm.web import security_txt, views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("i18n/language/", views.set_language, name="set_language"),
    path("search/suggest/", views.search_suggest, name="search_suggest"),
    path(".well-known/security.txt", security_txt.security_txt, name="security_txt"),
    path("security.txt", security_txt.legacy_security_txt, name="legacy_security_txt"),
]
