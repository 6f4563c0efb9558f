"""The example Django project that chanreplay's tests and README demo run against."""
