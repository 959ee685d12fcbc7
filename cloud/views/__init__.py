"""Pages of the cloud under /cx/, one module per job; ``cloud/urls.py`` names each module."""
