"""Pages of the funding module."""

from flask import Blueprint

bp = Blueprint("funding", __name__)
