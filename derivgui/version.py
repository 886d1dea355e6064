"""derivgui's version, in the core so that the core can name it without importing the package root
(``derivgui/__init__.py`` imports the core, and re-exports this as ``derivgui.__version__``)."""

__version__ = "0.1.0"
