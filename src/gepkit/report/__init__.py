"""The GEP accounting report of a run: HTML and PDF, in Chinese and English.

``gep report RUN_DIR`` reads a finished run folder (never recomputes it), turns it into one
:class:`~gepkit.report.data.ReportData` per language — every printed figure a record with its
value, display string, unit and the file and rows it comes from — and renders it through one
Jinja template to a self-contained HTML file and, with WeasyPrint, to PDF (docs/report.md).
"""
