"""Stage 1: read the OPD submissions, judge every row, pseudonymise, write accepted rows and quarantine."""
