"""The common base of every stage: errors, periods, paths, reference tables, formatting, disclosure."""
