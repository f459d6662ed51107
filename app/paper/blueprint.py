"""The paper blueprint; its routes live in this package's views modules."""

from flask import Blueprint

bp = Blueprint("paper", __name__)
