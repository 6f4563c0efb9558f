from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from .models import Task
from .serializers import TaskSerializer


@login_required
def index(request):
    return HttpResponse(
        "<!doctype html><title>tasks</title><ul id=tasks></ul>"
        "<script>const ws = new WebSocket(`ws://${location.host}/ws/tasks/`);"
        "ws.onopen = () => ws.send(JSON.stringify("
        '{action: "subscribe_to_tasks", request_id: 1}));</script>'
    )


@login_required
@require_POST
def mark_done(request, pk):
    """Marks a task done: the model observer tells every subscribed socket."""
    task = get_object_or_404(Task, pk=pk)
    task.done = True
    task.save()
    return JsonResponse(TaskSerializer(task).data)
