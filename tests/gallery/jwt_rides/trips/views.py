from django.contrib.auth import get_user_model
from django.db.models import Q
from rest_framework import generics, permissions

from .models import Trip
from .serializers import TripSerializer, UserSerializer


class SignUpView(generics.CreateAPIView):
    queryset = get_user_model().objects.all()
    serializer_class = UserSerializer
    permission_classes = [permissions.AllowAny]


class TripDetailView(generics.RetrieveAPIView):
    serializer_class = TripSerializer
    permission_classes = [permissions.IsAuthenticated]
    lookup_field = "id"
    lookup_url_kwarg = "trip_id"

    def get_queryset(self):
        user = self.request.user
        return Trip.objects.filter(Q(rider=user) | Q(driver=user))
