"""The voting blueprint; its routes live in this package's views modules."""

from flask import Blueprint

bp = Blueprint("voting", __name__)
