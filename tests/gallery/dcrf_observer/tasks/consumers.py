from djangochannelsrestframework import permissions
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.mixins import (
    CreateModelMixin,
    ListModelMixin,
    PatchModelMixin,
)
from djangochannelsrestframework.observer import model_observer
from djangochannelsrestframework.observer.generics import ObserverModelInstanceMixin

from .models import Task
from .serializers import TaskSerializer


class TaskConsumer(
    ListModelMixin,
    CreateModelMixin,
    PatchModelMixin,
    ObserverModelInstanceMixin,
    GenericAsyncAPIConsumer,
):
    queryset = Task.objects.all()
    serializer_class = TaskSerializer
    permission_classes = (permissions.IsAuthenticated,)

    def perform_create(self, serializer, **kwargs):
        serializer.save(owner=self.scope["user"])

    @model_observer(Task)
    async def task_activity(self, message, action=None, subscribing_request_ids=None, **kwargs):
        for request_id in subscribing_request_ids or []:
            await self.reply(data=message, action=action, request_id=request_id)

    @task_activity.serializer
    def task_activity(self, instance: Task, action, **kwargs):
        return TaskSerializer(instance).data

    @action()
    async def subscribe_to_tasks(self, request_id, **kwargs):
        await self.task_activity.subscribe(request_id=request_id)
        return None, 201
