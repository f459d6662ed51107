"""The funding blueprint; its routes live in this package's views modules."""

from flask import Blueprint

bp = Blueprint("funding", __name__)
