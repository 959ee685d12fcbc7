from django.urls import path

from . import views

app_name = "newsletter"

urlpatterns = [
    path("newsletter/", views.subscribe, name="subscribe"),
    path("newsletter/angefragt/", views.requested, name="requested"),
    path("newsletter/bestaetigen/<str:token>/", views.confirm, name="confirm"),
    path("newsletter/abmelden/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("kundenmail/abmelden/<str:token>/", views.customer_optout, name="customer_optout"),
]
