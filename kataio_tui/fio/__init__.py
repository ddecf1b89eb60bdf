"""fio: output reader, latency histograms, per-client summaries and job files."""
