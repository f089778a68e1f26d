import importlib

from bs4 import BeautifulSoup
from dateutil import parser as date_parser
from google.cloud import storage
from sklearn.linear_model import (
    LinearRegression,
    LogisticRegression,  # both used
)

import idna  # only installed because requests needs it
import numpy as np  # only installed because scikit-learn needs it
import rich  # declared in the dev group only
import tomli_w  # declared nowhere, installed nowhere

yaml_module = importlib.import_module("yaml")


def parse(html: str):
    soup = BeautifulSoup(html, "html.parser")
    when = date_parser.parse(soup.title.string)
    return when, storage.Client, LinearRegression, LogisticRegression, idna, np, rich, tomli_w
