from rest_framework import serializers

from .models import Note


class NoteSerializer(serializers.ModelSerializer):
    owner = serializers.ReadOnlyField(source="owner.username")

    class Meta:
        model = Note
        fields = ["id", "public_id", "owner", "text", "created", "updated"]
        read_only_fields = ["public_id", "created", "updated"]
