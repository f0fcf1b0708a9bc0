"""A user's own Locust user classes, run with the harness's shapes and workload models.

The scenario names a locustfile and class names (`[load] locustfile`, `user_classes`); this module
imports them inside a Locust process (never elsewhere: Locust patches the standard library) and
adapts them without changing what their tasks do:

- every class gets the run's `host` (the scenario's `[load] host`, else its own, else the run's
  target), under its own name, so that Locust's master and workers find it by name;
- closed model: Locust spawns the classes (by their `weight` / `fixed_count`) as many users as the
  shape says; each task a user runs counts as one order started; the scenario's `think_time`, if
  given, replaces the classes' `wait_time`;
- open model: each arrival takes an idle instance of one class (chosen by `weight`), or makes one
  (running its `on_start`) while fewer than `max_in_flight` are busy, and runs ONE task of it; an
  arrival with no free slot is counted as not started. The classes' `wait_time` is not used.

Their requests reach the harness's recorder through Locust's request event, so they get the same
per-endpoint HDR histograms, errors by kind, reports and gates. A request a user marks as failed
(`catch_response` and `.failure()`) on a 2xx/3xx answer counts as an error of kind `check_failed`.
"""

from __future__ import annotations

import importlib.util
import logging
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from locust import User
from locust.exception import InterruptTaskSet, RescheduleTask, RescheduleTaskImmediately, StopUser
from locust.user.task import DefaultTaskSet, TaskSet

from scenarios.load import LoadConfig

log = logging.getLogger("harness.load.user_classes")
_loaded: dict[tuple[str, tuple[str, ...]], list[type[User]]] = {}


class UserClassError(Exception):
    """The locustfile or its classes cannot be used (message says which and why)."""


def load(locustfile: str, names: tuple[str, ...]) -> list[type[User]]:
    """Import the locustfile (once per process) and return the named classes, checked."""
    key = (locustfile, names)
    if key in _loaded:
        return _loaded[key]
    path = Path(locustfile)
    if not path.is_file():
        raise UserClassError(f"locustfile {path} does not exist on this machine (workers need it at the same path)")
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)  # its sibling modules import as they would under `locust -f`
    spec = importlib.util.spec_from_file_location(f"checkout_harness_locustfile_{abs(hash(locustfile))}", path)
    if spec is None or spec.loader is None:
        raise UserClassError(f"locustfile {path} cannot be imported")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as err:  # the user's code: say what broke, no traceback through the run
        raise UserClassError(f"importing locustfile {path} failed: {type(err).__name__}: {err}") from err
    classes = []
    for name in names:
        cls = getattr(module, name, None)
        if not (isinstance(cls, type) and issubclass(cls, User)):
            raise UserClassError(f"{name} in {path} is not a Locust User class (subclass of locust.User, HttpUser or FastHttpUser)")
        if cls.__dict__.get("abstract"):
            raise UserClassError(f"{name} in {path} is abstract (abstract = True): name a concrete subclass")
        if not cls.tasks:
            raise UserClassError(f"{name} in {path} has no tasks (@task methods or a tasks list)")
        classes.append(cls)
    _loaded[key] = classes
    return classes


def record_task_errors(environment: Any) -> None:
    """A task that raises counts as a failed request `TASK <class>` (error kind exception_<name>),
    so that the run's error rate and gates see it (Locust itself only logs it)."""

    def on_user_error(user_instance: Any = None, exception: BaseException | None = None, **_: Any) -> None:
        user = getattr(user_instance, "user", user_instance)  # Locust passes the TaskSet the task ran in
        name = type(user).__name__ if user is not None else "user"
        environment.events.request.fire(request_type="TASK", name=name, response_time=0.0, response_length=0,
                                        response=None, context={}, exception=exception)

    environment.events.user_error.add_listener(on_user_error)


def prepare(config: LoadConfig, target: str, on_task: Callable[[], None]) -> list[type[User]]:
    """The user's classes as subclasses with the run's host, think time and task counting."""
    assert config.user_classes is not None
    prepared = []
    for cls in load(config.user_classes.locustfile, config.user_classes.names):
        host = config.user_classes.host or getattr(cls, "host", None) or target
        attrs: dict[str, Any] = {"host": host, "__module__": cls.__module__}
        if config.model == "closed" and config.think_time_set:
            from .users import think

            spec = config.think_time
            attrs["wait_time"] = lambda self, spec=spec: think(spec, _rng(self))
        sub: Any = type(cls.__name__, (cls,), attrs)
        if config.model == "closed":
            sub.tasks = [_counted(task, on_task) for task in cls.tasks]  # after creation: the metaclass would add the base's too
        prepared.append(sub)
    return prepared


def _rng(user: Any) -> random.Random:
    rng = getattr(user, "_harness_rng", None)
    if rng is None:
        rng = user._harness_rng = random.Random(id(user))
    return rng


def _counted(task: Any, on_task: Callable[[], None]) -> Callable[[Any], None]:
    """A task that records an order started, then runs as Locust would have run it."""
    if isinstance(task, type) and issubclass(task, TaskSet):
        def run_taskset(user: Any) -> None:
            on_task()
            task(user).run()

        run_taskset.__name__ = task.__name__
        return run_taskset

    def run(user: Any) -> None:
        on_task()
        task(user)

    run.__name__ = getattr(task, "__name__", "task")
    return run


class OpenArrivals:
    """Open model: one task of one user instance per arrival, instances reused when idle."""

    def __init__(self, environment: Any, classes: list[type[User]], seed: int) -> None:
        self.environment = environment
        self.classes = classes
        self.weights = [max(0, int(getattr(c, "weight", 1) or 0)) for c in classes]
        if sum(self.weights) == 0:
            self.weights = [1] * len(classes)
        self.idle: dict[type[User], list[User]] = {c: [] for c in classes}
        self.all: list[User] = []
        self.seed = seed
        self.errors_logged = 0

    def order(self, number: int) -> None:
        rng = random.Random(self.seed * 1_000_003 + number)
        cls = rng.choices(self.classes, self.weights)[0]
        idle = self.idle[cls]
        user = idle.pop() if idle else self._new(cls)
        if user is None:
            return
        keep = True
        try:
            taskset = user._taskset_instance
            if taskset is None:  # made by User.run(), which an arrival does not call
                taskset = user._taskset_instance = DefaultTaskSet(user)
            taskset.execute_task(taskset.get_next_task())
        except (RescheduleTask, RescheduleTaskImmediately, InterruptTaskSet):
            pass
        except StopUser:
            keep = False
            self._stop(user)
        except Exception as err:  # the user's task raised: as Locust does, report it and go on
            self._error(user, err)
        finally:
            if keep:
                idle.append(user)

    def _new(self, cls: type[User]) -> User | None:
        user = cls(self.environment)
        self.all.append(user)
        try:
            user.on_start()
        except Exception as err:
            self._error(user, err)
        return user

    def _error(self, user: User, err: Exception) -> None:
        self.environment.events.user_error.fire(user_instance=user, exception=err, tb=err.__traceback__)
        if self.errors_logged < 20:
            self.errors_logged += 1
            log.error("%s task raised %s: %s", type(user).__name__, type(err).__name__, err)

    def _stop(self, user: User) -> None:
        try:
            user.on_stop()
        except Exception as err:
            self._error(user, err)

    def stop(self) -> None:
        for users in self.idle.values():
            for user in users:
                self._stop(user)
            users.clear()

