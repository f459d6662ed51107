"""Pages of the voting module."""

from flask import Blueprint

bp = Blueprint("voting", __name__)
