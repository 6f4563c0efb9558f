"""The ``chat`` app: models, views and consumers exercised by chanreplay's tests."""
