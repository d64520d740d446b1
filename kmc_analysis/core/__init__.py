"""The common base of every stage: errors, periods, paths, the store, reference tables, formatting, disclosure."""
