"""calcispine: the published cases of spinal tumoral calcinosis and its mimics, put to work."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("calcispine")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
