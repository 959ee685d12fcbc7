from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("", views.verify, name="verify"),
    path("einrichten/", views.enrol, name="enrol"),
]
