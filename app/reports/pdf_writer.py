"""The consolidated report as a PDF for signing and archiving: the HTML preview, printed.

WeasyPrint lays out ``templates/reports/pdf.html``, which includes the very fragment the preview
page shows, with an inline A4 stylesheet (Decree 30 margins, Times New Roman falling back to fonts
that carry Vietnamese glyphs). The renderer may not fetch anything: every URL is refused, so a
report cannot reach the network or read a file, whatever text the units typed.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from app.reports.content import ConsolidatedData
from app.reports.labels import template_helpers
from app.templating import templates

# WeasyPrint reports unsupported CSS and refused URLs as warnings on every render; they are
# expected here (the fetcher refuses on purpose) and would only drown the server log.
logging.getLogger("weasyprint").setLevel(logging.ERROR)


if TYPE_CHECKING:  # WeasyPrint (Pango, fonts) costs a server ~40 MB: loaded on the first PDF
    from weasyprint.urls import URLFetcher


def _refusing_fetcher() -> URLFetcher:
    """A fetcher that fetches nothing: the PDF is made from inline HTML and CSS only."""
    from weasyprint.urls import URLFetcher, URLFetchingError

    class RefusingFetcher(URLFetcher):
        def fetch(self, url: str, headers: dict[str, str] | None = None) -> object:
            raise URLFetchingError(f"Báo cáo PDF không tải tài nguyên ngoài: {url}")

    return RefusingFetcher()


def html(data: ConsolidatedData) -> str:
    """The standalone page WeasyPrint prints (also handy to look at when a layout goes wrong)."""
    template = templates.env.get_template("reports/pdf.html")
    return template.render(d=data, title=f"Báo cáo {data.period_label}", **template_helpers())


def render(data: ConsolidatedData) -> bytes:
    from weasyprint import HTML

    document = HTML(string=html(data), base_url="about:blank", url_fetcher=_refusing_fetcher())
    return document.write_pdf()
