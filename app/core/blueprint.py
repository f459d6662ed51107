"""The core blueprint; its routes live in this package's views modules."""

from flask import Blueprint

bp = Blueprint("core", __name__)
