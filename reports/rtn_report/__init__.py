"""rtn-report: rtn's results format, HTML dashboard, Markdown summary and statistical CI gate
(docs/report.md, docs/results-format.md)."""
