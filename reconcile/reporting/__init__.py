"""Match reports: CSV, JSON and HTML for the people who review them."""
