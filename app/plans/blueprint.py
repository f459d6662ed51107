"""The plans blueprint; its routes live in this package's views modules."""

from flask import Blueprint

bp = Blueprint("plans", __name__)
