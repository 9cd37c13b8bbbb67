from webapp import create_app
from webapp.config import ConfigError

try:
    app = create_app()
except ConfigError as exc:  # a missing setting or system library: say what to do, without a traceback
    raise SystemExit(f"Tallybook cannot start: {exc}") from None
