"""Pages of the proposals module."""

from flask import Blueprint

bp = Blueprint("proposals", __name__)
