"""Stage 2: coverage by kecamatan, kelurahan, program and kategori; boundaries and print maps."""
