from django.urls import path

from . import views

app_name = "contact"

urlpatterns = [
    path("kontakt/", views.contact_form, name="contact"),
    path("support/", views.support_form, name="support"),
    path("schulungen/", views.training_list, name="trainings"),
    path("schulungen/<slug:event>/anmeldung/", views.training_form, name="training"),
    path("anfrage/danke/<str:token>/", views.thanks, name="thanks"),
    path("anfrage/zustimmung/<str:token>/", views.guardian, name="guardian"),
]
