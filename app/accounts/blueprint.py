"""The accounts blueprint; its routes live in this package's views modules."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)
