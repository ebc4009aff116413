"""The catalogue: GEP items, standard profiles, the ecosystem classification, parameter tables
and the price book (data files with source, year and confidence in catalogue/data/)."""
