"""Walking app.url_map: every rule with the URL it takes, arguments filled in."""
from __future__ import annotations

from werkzeug.routing import AnyConverter, IntegerConverter, Rule

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def rules(app, methods: set[str]) -> list[Rule]:
    """The web's rules (the JSON API's are walked by test_api_walkers with tokens: ``api_rules``)."""
    return sorted((r for r in app.url_map.iter_rules() if r.methods & methods and r.endpoint != "static"
                   and not r.endpoint.startswith("api.")), key=lambda r: r.rule)


def api_rules(app, methods: set[str]) -> list[Rule]:
    return sorted((r for r in app.url_map.iter_rules() if r.methods & methods and r.endpoint.startswith("api.")),
                  key=lambda r: r.rule)


def build(app, rule: Rule, values: dict | None = None) -> str:
    """The URL of ``rule``, with ``values`` for its arguments and harmless defaults for the rest."""
    args = {}
    for name in rule.arguments:
        if values and name in values:
            args[name] = values[name]
        else:
            converter = rule._converters[name]
            if isinstance(converter, AnyConverter):
                args[name] = sorted(converter.items)[0]
            else:
                args[name] = 1 if isinstance(converter, IntegerConverter) else "x"
    with app.test_request_context():
        adapter = app.url_map.bind("localhost")
        return adapter.build(rule.endpoint, args)
