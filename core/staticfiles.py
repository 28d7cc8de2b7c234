"""Static files: one collected output whatever DEBUG is, and pages that never fail over a stale manifest.

`collectstatic` runs the same storage in development and production (compressed copies, hashed
names and `staticfiles.json`), so DEBUG may change between collecting and serving. Production links
the manifest's hashed names; a file the manifest lacks (the code is newer than the last
`collectstatic`) is linked by its plain name instead of failing the page with a 500, and
`check --deploy` names such files. Development links plain names, which WhiteNoise serves from the
app folders (its finders).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.checks import Warning as CheckWarning
from whitenoise.storage import CompressedManifestStaticFilesStorage

logger = logging.getLogger(__name__)

MANIFEST_MISSING = "core.W001"
MANIFEST_STALE = "core.W002"


class ProductionStaticFilesStorage(CompressedManifestStaticFilesStorage):
    _reported_missing: set[str] = set()  # each missing name is logged once per process, not on every page

    def stored_name(self, name):
        try:
            return super().stored_name(name)
        except ValueError:
            if name not in self._reported_missing:
                self._reported_missing.add(name)
                logger.warning("static file %r is not in the collectstatic manifest: linked by its plain name; "
                               "run `manage.py collectstatic`", name)
            return name


class DevelopmentStaticFilesStorage(ProductionStaticFilesStorage):
    def url(self, name, force=False):
        # Plain names whatever DEBUG is at run time (tests run with it off): the finders serve them,
        # and a manifest left by an earlier `collectstatic` must not decide what a page links.
        return self._url(lambda plain: plain, name, force=True)


def static_files_not_in_manifest() -> list[str] | None:
    """The app and project static files the collected manifest lacks; None when there is no manifest."""
    manifest, _manifest_hash = ProductionStaticFilesStorage().load_manifest()
    if not manifest:
        return None
    found = {path for finder in finders.get_finders() for path, _storage in finder.list(["CVS", ".*", "*~"])}
    return sorted(path.replace("\\", "/") for path in found if path.replace("\\", "/") not in manifest)


def check_collected_static_files(app_configs=None, **kwargs):
    """Deploy check: with DEBUG off, pages link what `collectstatic` gathered into STATIC_ROOT."""
    missing = static_files_not_in_manifest()
    if missing is None:
        return [CheckWarning(
            f"No collectstatic manifest in {settings.STATIC_ROOT}: with DEBUG off the pages' CSS and scripts "
            "are not served.", hint="Run `python manage.py collectstatic --noinput` at every deploy.",
            id=MANIFEST_MISSING)]
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        return [CheckWarning(
            f"The collectstatic manifest is older than the code: {len(missing)} static file(s) are not in it "
            f"({shown}); with DEBUG off they are not served.",
            hint="Run `python manage.py collectstatic --noinput` again.", id=MANIFEST_STALE)]
    return []
