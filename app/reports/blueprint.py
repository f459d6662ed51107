"""The reports blueprint; its routes live in this package's views modules."""

from flask import Blueprint

bp = Blueprint("reports", __name__)
