"""kataio: check hosts and clusters for Kata Containers and compare their I/O with fio."""

__version__ = "0.1.0"
