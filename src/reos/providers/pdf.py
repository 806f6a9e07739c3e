"""PDF rendering with WeasyPrint (HTML + CSS in, PDF bytes out)."""

from __future__ import annotations

import asyncio


class PdfRenderer:
    name = "weasyprint"

    async def render(self, html: str, *, base_url: str | None = None) -> bytes:
        # WeasyPrint is CPU-bound and synchronous: keep it off the event loop.
        return await asyncio.to_thread(self._render, html, base_url)

    @staticmethod
    def _render(html: str, base_url: str | None) -> bytes:
        from weasyprint import HTML

        pdf: bytes = HTML(string=html, base_url=base_url).write_pdf()
        return pdf
