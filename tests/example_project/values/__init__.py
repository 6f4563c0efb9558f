"""The ``values`` app: the code the Channels 1.x "Testing Consumers" examples test (tests/seed/)."""
