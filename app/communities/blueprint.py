"""The communities blueprint; its routes live in this package's views modules."""

from flask import Blueprint

bp = Blueprint("communities", __name__)
