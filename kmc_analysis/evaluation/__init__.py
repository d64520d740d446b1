"""Stage 3: evaluate the year to date against the RPJMD and program targets; tables and charts."""
