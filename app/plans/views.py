"""Pages of the plans module."""

from flask import Blueprint

bp = Blueprint("plans", __name__)
