"""The proposals blueprint; its routes live in this package's views modules."""

from flask import Blueprint

bp = Blueprint("proposals", __name__)
