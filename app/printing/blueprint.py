"""The printing blueprint; its routes live in this package's views modules."""

from flask import Blueprint

bp = Blueprint("printing", __name__)
