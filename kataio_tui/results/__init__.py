"""Result sets: the on-disk store, loaders, importers, tables, reports and comparisons."""
