"""Pages of the printing module."""

from flask import Blueprint

bp = Blueprint("printing", __name__)
