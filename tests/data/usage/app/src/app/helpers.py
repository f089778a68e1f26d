import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL.Image import Image


def thumbnail(path: str) -> "Image":
    from PIL import Image as PILImage  # imported where it is needed

    return PILImage.open(path)


def fast_json():
    try:
        import ujson as json
    except ImportError:
        import json
    return json


text = """
import not_an_import
"""
