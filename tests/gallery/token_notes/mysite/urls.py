from django.contrib import admin
from django.urls import include, path
from notes import views
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

router = DefaultRouter()
router.register("notes", views.NoteViewSet)

urlpatterns = [
    path("api/auth/", obtain_auth_token, name="api-auth"),
    path("api/", include(router.urls)),
    path("admin/", admin.site.urls),
]
