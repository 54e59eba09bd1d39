"""The web app and REST API: browse, extract, curate, pool and assess in a browser.

>>> from calcispine.config import Settings
>>> from calcispine.web import create_app
>>> app = create_app(Settings(database_url="sqlite://"))
>>> app.title
'calcispine'
"""

from ._accounts import AccountError, AccountStore, RateLimited, User
from ._app import create_app, load_secret_key, secure_cookies

__all__ = ["AccountError", "AccountStore", "RateLimited", "User", "create_app", "load_secret_key", "secure_cookies"]
