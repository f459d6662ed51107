"""The works blueprint: residents follow and supervise the works, staff run them."""

from flask import Blueprint

bp = Blueprint("works", __name__)
