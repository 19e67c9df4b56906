"""Sphinx configuration of the heat_watch documentation."""

project = 'heat_watch'
copyright = '2026, heat_watch developers'
extensions = []
master_doc = 'index'
exclude_patterns = ['_build']
html_theme = 'alabaster'
