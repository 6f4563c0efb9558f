"""Generated code: see chanreplay.cassette.schemacode."""
