"""Reports built from a run directory only: statistics, charts, HTML, JSON, JUnit, Markdown."""
