"""The aftercare blueprint; its routes live in this package's views modules."""

from flask import Blueprint

from app.rules.satisfaction import one_decimal

bp = Blueprint("aftercare", __name__)
# Means and rates with one decimal ("—" when nobody answered), as the results pages show them.
bp.add_app_template_filter(one_decimal, "one_decimal")
