"""chanreplay: record and replay the traffic of Django Channels applications."""

__version__ = "0.1.0"
__all__ = ["__version__"]
