"""The example ASGI application wrapped in chanreplay's recorder by hand."""

from chanreplay.asgi import RecordingMiddleware
from example.asgi import application as example_application

application = RecordingMiddleware(example_application)
