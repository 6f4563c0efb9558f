from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .models import Room


@login_required
def index(request):
    return render(request, "chat/index.html", {"rooms": Room.objects.order_by("name")})
