"""The bank page (issue 18): import a statement, confirm the matches proposed, set entries aside."""
from flask import Blueprint

bp = Blueprint("bank", __name__)
