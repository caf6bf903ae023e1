"""A static-files finder for the Plotly bundle that the `plotly` package ships.

County intranets have no internet, so charts load `plotly/plotly.min.js` from our own static files:
this finder hands Django (runserver, WhiteNoise with finders, collectstatic) the file inside the
installed package, so no copy is kept in the repository and upgrading the package upgrades the chart
library. Enable it in settings:

    STATICFILES_FINDERS = [
        "django.contrib.staticfiles.finders.FileSystemFinder",
        "django.contrib.staticfiles.finders.AppDirectoriesFinder",
        "fangpin.monitoring.standards.staticfiles.PlotlyFinder",
    ]
"""

from importlib import resources
from pathlib import Path

from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

STATIC_PATH = "plotly/plotly.min.js"


def bundle_directory() -> Path:
    return Path(str(resources.files("plotly") / "package_data"))


class PlotlyFinder(BaseFinder):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.storage = FileSystemStorage(location=str(bundle_directory()))
        self.storage.prefix = "plotly"

    def check(self, **kwargs):
        return []

    def find(self, path, find_all=False, **kwargs):
        if path != STATIC_PATH:
            return []
        found = str(bundle_directory() / "plotly.min.js")
        return [found] if find_all else found

    def list(self, ignore_patterns):
        yield "plotly.min.js", self.storage
