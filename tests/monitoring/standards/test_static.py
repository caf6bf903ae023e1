from pathlib import Path

from django.contrib.staticfiles import finders
from django.test import override_settings

FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "fangpin.monitoring.standards.staticfiles.PlotlyFinder",
]


@override_settings(STATICFILES_FINDERS=FINDERS)
def test_plotly_is_served_from_the_installed_package():
    finders.get_finder.cache_clear()
    try:
        found = Path(finders.find("plotly/plotly.min.js"))
        assert found.name == "plotly.min.js" and found.parent.name == "package_data"
        assert found.stat().st_size > 1_000_000
        listed = [path for finder in finders.get_finders() for path, _ in finder.list([])]
        assert "plotly.min.js" in listed
        assert finders.find("plotly/other.js") is None
    finally:
        finders.get_finder.cache_clear()
