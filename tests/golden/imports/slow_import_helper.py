# test: helper
# Imported by threaded_import.conc: takes a while to run, so that other threads
# import it while it is still running.
import time

started = True
time.sleep(0.3)
finished = "complete"
