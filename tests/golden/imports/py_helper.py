# test: helper
# A module written as a .py file, imported by sibling_py.conc.
import threading

counter = 0
_lock = threading.Lock()


def bump(n):
    global counter
    with _lock:
        counter += n
    return counter


print("py_helper imported as", __name__)
