from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("datenschutz/", views.policy, name="policy"),
    path("impressum/", views.imprint, name="imprint"),
]
