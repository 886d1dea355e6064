"""Shipped data (icons, desktop file, lessons, styles), installed as the package derivgui.resources."""
