from django.urls import path

from probe import deaths, views

urlpatterns = [
    path("", views.index),
    path("health/", views.health),
    path("slow/", views.slow),
    path("boom/", views.boom),
    path("bigheader/", views.bigheader),
    path("cut/", views.cut),
    path("stuck-c/", deaths.stuck_c),
]
