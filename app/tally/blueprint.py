"""The tally blueprint; its routes live in this package's views modules."""

from flask import Blueprint

bp = Blueprint("tally", __name__)
