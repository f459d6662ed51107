"""The closeout blueprint: change orders (设计变更) and final accounts (决算) pages."""

from flask import Blueprint

bp = Blueprint("closeout", __name__)
