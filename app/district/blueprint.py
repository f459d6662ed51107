"""The district blueprint; its routes live in this package's views modules."""

from flask import Blueprint

bp = Blueprint("district", __name__)
