"""The explicit lists are complete: every API module's routes are joined in app.py, every module's
scheduled tasks in core/tasks.py, every method module's MethodType in core.methods.ALL. (A list
filled by hand can miss an entry; these find the module that was left out.)"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

import mock_gateway.api
import mock_gateway.core
import mock_gateway.core.methods
from mock_gateway.app import ROUTES
from mock_gateway.core.methods import ALL
from mock_gateway.core.methods.base import MethodType
from mock_gateway.core.tasks import TASKS


def modules(package: ModuleType) -> list[ModuleType]:
    return [importlib.import_module(info.name) for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]


def test_every_api_modules_routes_are_joined_in_the_app() -> None:
    joined = {id(route) for route in ROUTES}
    tables = [m for m in modules(mock_gateway.api) if isinstance(getattr(m, "ROUTES", None), list)]
    assert len(tables) >= 10
    for module in tables:
        missing = [f"{r.method} {r.path}" for r in module.ROUTES if id(r) not in joined]
        assert missing == [], module.__name__
    assert len(ROUTES) == sum(len(m.ROUTES) for m in tables)  # and nothing joined twice


def test_every_modules_scheduled_tasks_are_in_the_one_list() -> None:
    tables = [m for m in modules(mock_gateway.core) if isinstance(getattr(m, "TASKS", None), dict) and m.__name__ != "mock_gateway.core.tasks"
              and not m.__name__.endswith(".clock")]
    assert {"payment_intent.authorization_expiry", "konbini.expire", "qr_code.expire", "billing.renew"} <= set(TASKS)
    for module in tables:
        assert {name: TASKS.get(name) for name in module.TASKS} == module.TASKS, module.__name__


def test_every_method_module_is_in_the_list_of_methods() -> None:
    listed = {id(method) for method in ALL}
    for module in modules(mock_gateway.core.methods):
        values = list(vars(module).values())
        values += [v for d in values if isinstance(d, dict) for v in d.values()]
        for value in values:
            if isinstance(value, MethodType):
                assert id(value) in listed, f"{module.__name__}: {value.name}"
