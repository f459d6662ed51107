"""Pages of the tally module."""

from flask import Blueprint

bp = Blueprint("tally", __name__)
