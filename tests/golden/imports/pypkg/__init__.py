# test: helper
# A package whose files are .py: __init__ runs first, submodules on demand.
from .core import greet

VERSION = (1, 2)
