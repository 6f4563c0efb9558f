"""HTTP URL routes (plain Django views) of the example project."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import URLPattern, path

from chat import views

urlpatterns: list[URLPattern] = [
    path("", views.index, name="index"),
    path("chat/<str:room>/", views.room, name="room"),
    path("announce/<str:room>/", views.announce, name="announce"),
    path("notes/", views.create_note, name="create-note"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
