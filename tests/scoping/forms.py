"""The POST forms of a page as a browser would submit them, with empty required fields filled in
with plausible values, so that the walk can post valid input."""

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from django.core.files.uploadedfile import SimpleUploadedFile

# Values for fields a page leaves empty, by input type.
FILLERS = {"date": "2026-03-02", "number": "1", "tel": "13900000000", "email": "walk@example.com",
           "month": "2026-03", "text": "走访核对", "textarea": "走访核对情况"}


@dataclass
class PageForm:
    action: str                                          # path the form posts to
    data: dict = field(default_factory=dict)             # name -> value or list of values
    files: list = field(default_factory=list)            # names of file inputs
    selects: dict = field(default_factory=dict)          # name -> option values offered

    def payload(self, file_content: bytes) -> dict:
        payload = dict(self.data)
        for name in self.files:
            payload[name] = SimpleUploadedFile("walk.jpg", file_content, content_type="image/jpeg")
        return payload


class _FormParser(HTMLParser):
    def __init__(self, page: str, by_name: dict):
        super().__init__(convert_charrefs=True)
        self.page, self.by_name, self.forms, self.current = page, by_name, [], None
        self.select, self.textarea, self.options = None, None, []

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            if a.get("method", "get").lower() == "post":
                self.current = PageForm(urlsplit(urljoin(self.page, a.get("action") or self.page)).path)
                self.forms.append(self.current)
            return
        form = self.current
        if form is None or "name" not in a and tag != "option":
            return
        if tag == "input":
            kind = a.get("type", "text").lower()
            name = a["name"]
            if kind in ("submit", "button", "image", "reset"):
                return
            if kind == "file":
                form.files.append(name)
            elif kind in ("checkbox", "radio"):
                if name in self.by_name and a.get("value") == self.by_name[name]:
                    form.data.setdefault(name, []).append(a["value"])
                elif "checked" in a:
                    form.data.setdefault(name, []).append(a.get("value", "on"))
                elif kind == "radio" and name not in form.data:
                    form.data[name] = [a.get("value", "on")]
            else:
                value = a.get("value", "")
                if not value and name in self.by_name:
                    value = self.by_name[name]
                elif not value and "required" in a:
                    value = FILLERS.get(kind, FILLERS["text"])
                form.data.setdefault(name, []).append(value)
        elif tag == "select":
            self.select, self.options = (a["name"], "required" in a), []
            form.selects[a["name"]] = self.options
        elif tag == "option" and self.select is not None:
            value = a.get("value", "")
            self.options.append(value)
            if "selected" in a:
                form.data.setdefault(self.select[0], []).append(value)
        elif tag == "textarea":
            self.textarea, self.text = (a["name"], "required" in a), ""

    def handle_data(self, data):
        if self.textarea is not None:
            self.text += data

    def handle_endtag(self, tag):
        form = self.current
        if tag == "form":
            self.current = None
        elif tag == "select" and self.select is not None and form is not None:
            name, required = self.select
            chosen = [value for value in self.options if value]
            if name in self.by_name:
                form.data[name] = [self.by_name[name]]
            elif name not in form.data or required and form.data[name] == [""]:
                form.data[name] = chosen[:1] or [""]
            self.select = None
        elif tag == "textarea" and self.textarea is not None and form is not None:
            name, required = self.textarea
            filler = self.by_name.get(name) or (FILLERS["textarea"] if required else "")
            form.data[name] = [self.text.strip() or filler]
            self.textarea = None


def page_forms(page_url: str, html: str, by_name: dict | None = None) -> list[PageForm]:
    """The page's POST forms; empty fields named in `by_name` get that value (a reason, an ID number of
    the user's own area), other empty required fields a plausible value of their type."""
    parser = _FormParser(page_url, by_name or {})
    parser.feed(html)
    for form in parser.forms:
        form.data = {name: values if len(values) > 1 else values[0] for name, values in form.data.items()}
    return parser.forms
