"""A small project whose imports exercise pyaudit's usage rules."""

import requests
import yaml

from . import helpers

__all__ = ["helpers", "requests", "yaml"]
