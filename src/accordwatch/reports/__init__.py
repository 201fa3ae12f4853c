"""Reports: the printable compliance and status report (Markdown, HTML, PDF) and charts."""
