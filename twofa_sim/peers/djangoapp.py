"""One in-process Django site for the Django-based peers: settings, a migrated template
database, one database file per scenario, and requests through the real middleware.

Django is configured once per process (:func:`ensure_configured`): ``settings.configure`` with
SQLite, the apps django-otp needs (auth, sessions, ``django_otp`` with its TOTP and static
plugins, ``otp_twilio``), and the middleware a django-otp site runs (sessions, authentication,
:class:`django_otp.middleware.OTPMiddleware`). The first :class:`Site` migrates a template
database once; every site after that copies the template into its own file
(:meth:`Site.activate` switches Django's one connection to it), so a scenario starts from a
freshly migrated, empty database in about a millisecond.

Passwords are hashed with Django's PBKDF2 hasher at 1,000 rounds (:class:`ScenarioPasswordHasher`)
instead of Django's default 1,000,000, as the reference target does in scenario runs: no scenario
can observe the cost, and at the default a login costs half a second.

Importing this module does not import Django: everything that needs it is deferred, so the
package imports (and its doctests collect) without the ``[django]`` extra.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from twofa_sim.errors import InputError

__all__ = [
    "EXTRA",
    "HASHER",
    "PACKAGES",
    "TWO_FACTOR_APPS",
    "TWO_FACTOR_PACKAGES",
    "Site",
    "ensure_configured",
    "missing_packages",
    "package_versions",
    "require_packages",
]

EXTRA = "django"
"""The optional extra that installs the Django-based peers' packages."""

PACKAGES: dict[str, str] = {
    "Django": "django",
    "django-otp": "django_otp",
    "django-otp-twilio": "otp_twilio",
    "django-two-factor-auth": "two_factor",
    "django-phonenumber-field": "phonenumber_field",
    "twilio": "twilio",
}
"""Distribution name -> the module it installs, for every package the peers test."""

HASHER = "twofa_sim.peers.hashers.ScenarioPasswordHasher"
"""The password hasher scenario runs use (Django's PBKDF2 at 1,000 rounds)."""

INSTALLED_APPS = (
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "otp_twilio",
)

TWO_FACTOR_APPS = ("two_factor", "two_factor.plugins.phonenumber")
"""django-two-factor-auth's apps (its core and its phone device), installed when it is."""
TWO_FACTOR_PACKAGES = ("django-two-factor-auth", "django-phonenumber-field", "twilio")

MIDDLEWARE = (
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
)


def missing_packages(packages: Iterable[str] = PACKAGES) -> list[str]:
    """The distributions of ``packages`` (names of :data:`PACKAGES`) that are not installed."""
    import importlib.util

    missing = []
    for name in packages:
        module = PACKAGES[name]
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(name)
    return missing


def require_packages(target: str, packages: Iterable[str] = PACKAGES) -> None:
    """Raise :class:`InputError` naming the extra to install unless ``packages`` are installed."""
    missing = missing_packages(packages)
    if missing:
        raise InputError(
            f"target {target} needs {', '.join(missing)}, which is not installed",
            where="--target",
            hint=f"install the extra: pip install 'twofa-sim[{EXTRA}]'",
        )


def package_versions(packages: Iterable[str] = PACKAGES) -> dict[str, str]:
    """The installed version of each package (``"not installed"`` for one that is missing)."""
    versions = {}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


# --- the one Django configuration of this process ------------------------------------------------

_state: dict[str, Any] = {"configured": False, "template": None, "active": None}
"""Whether this module configured Django, the template database (once migrated), and the
:class:`Site` whose database is connected."""


def ensure_configured() -> None:
    """Configure Django for the peers once per process (a no-op after the first call).

    If something else configured Django already (a Django project's own test run), the peers
    refuse: they switch the default database per scenario and would migrate and overwrite that
    project's database."""
    import django
    from django.conf import settings

    if _state["configured"]:
        _migrated_template()
        return
    if settings.configured:
        raise InputError(
            "Django is configured already in this process",
            where="--target",
            hint="run the Django peers in a process of their own",
        )
    workdir = Path(tempfile.mkdtemp(prefix="twofa-sim-django-"))
    atexit.register(shutil.rmtree, workdir, ignore_errors=True)
    settings.configure(
        DEBUG=False,
        ALLOWED_HOSTS=["testserver"],
        ROOT_URLCONF="twofa_sim.peers.urls",
        SECRET_KEY="twofa-sim: a simulated site, not a secret",
        USE_TZ=True,
        TIME_ZONE="UTC",
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(workdir / "template.sqlite3"),
                # A simulated site: no fsync per commit (a restart here is a new connection,
                # never a crash, so nothing a scenario sees changes).
                "OPTIONS": {"init_command": "PRAGMA synchronous=OFF"},
            }
        },
        INSTALLED_APPS=list(INSTALLED_APPS)
        + ([] if missing_packages(TWO_FACTOR_PACKAGES) else list(TWO_FACTOR_APPS)),
        # django-two-factor-auth renders its SMS text from a template of its app.
        TEMPLATES=[
            {"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}
        ],
        TWO_FACTOR_PATCH_ADMIN=False,
        MIDDLEWARE=list(MIDDLEWARE),
        PASSWORD_HASHERS=[HASHER],
        SESSION_ENGINE="django.contrib.sessions.backends.db",
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        LOGGING_CONFIG=None,
    )
    django.setup()
    _quiet_loggers()
    _state["configured"] = True
    _migrated_template()


def _quiet_loggers() -> None:
    """django-otp-twilio logs a failed delivery with its traceback; the target reports the
    failure itself (as a provider error), so the log would only print a traceback on stderr."""
    import logging

    for name in ("otp_twilio", "django_otp"):
        logger = logging.getLogger(name)
        logger.addHandler(logging.NullHandler())
        logger.propagate = False


def _migrated_template() -> Path:
    """The template database, migrated on the first call."""
    template: Path | None = _state["template"]
    if template is not None:
        return template
    from django.core.management import call_command
    from django.db import connections

    connection = connections["default"]
    call_command("migrate", verbosity=0, interactive=False)
    connection.close()
    template = Path(connection.settings_dict["NAME"])
    _state["template"] = template
    return template


class Site:
    """One scenario's Django site: its own copy of the migrated database, and the settings it
    runs with (``settings``: names of ``django.conf.settings``, set whenever it is active)."""

    def __init__(self, settings: Mapping[str, Any], directory: Path | None = None) -> None:
        ensure_configured()
        own = directory is None
        self.directory: Path = (
            Path(tempfile.mkdtemp(prefix="twofa-sim-site-")) if directory is None else directory
        )
        self.database = self.directory / "django.sqlite3"
        shutil.copyfile(_migrated_template(), self.database)
        self.settings = dict(settings)
        self._finalizer = weakref.finalize(
            self, _remove, self.directory if own else None, str(self.database)
        )

    def activate(self) -> None:
        """Point Django's connection and the per-site settings at this site (cheap when it is
        the active one already)."""
        if _state["active"] is not self:
            from django.db import connections

            connection = connections["default"]
            connection.close()
            connection.settings_dict["NAME"] = str(self.database)
            _state["active"] = self
        from django.conf import settings

        for name, value in self.settings.items():
            setattr(settings, name, value)

    def restart(self) -> None:
        """Drop the database connection: the next request connects anew, like a new process
        on the same database file."""
        from django.db import connections

        if _state["active"] is self:
            connections["default"].close()
            _state["active"] = None

    def stored_bytes(self) -> bytes:
        """The database file (and its journal, if one is open) as it is on disk."""
        files = sorted(self.directory.glob(self.database.name + "*"))
        return b"".join(path.read_bytes() for path in files if path.is_file())

    def close(self) -> None:
        """Disconnect and remove the database (and the directory, if the site made it)."""
        self.restart()
        self._finalizer()

    def request(
        self,
        view: Callable[[Any], Any],
        *,
        session: str | None = None,
        data: Mapping[str, str] | None = None,
    ) -> tuple[Any, str | None]:
        """Send a POST through the site's middleware to ``view``; the response and the session
        key the client holds afterwards (``session``: the session cookie sent, if any)."""
        from django.conf import settings
        from django.test import RequestFactory
        from django.utils.module_loading import import_string

        self.activate()
        request = RequestFactory().post("/", data=dict(data or {}))
        if session is not None:
            request.COOKIES[settings.SESSION_COOKIE_NAME] = session
        handler = view
        for path in reversed(settings.MIDDLEWARE):
            handler = import_string(path)(handler)
        response = handler(request)
        cookie = response.cookies.get(settings.SESSION_COOKIE_NAME)
        key = cookie.value if cookie is not None and cookie.value else session
        return response, key


def _remove(directory: Path | None, database: str) -> None:
    if _state["active"] is not None and str(_state["active"].database) == database:
        from django.db import connections

        connections["default"].close()
        _state["active"] = None
    if directory is not None:
        shutil.rmtree(directory, ignore_errors=True)
    else:
        for path in Path(database).parent.glob(Path(database).name + "*"):
            path.unlink(missing_ok=True)
