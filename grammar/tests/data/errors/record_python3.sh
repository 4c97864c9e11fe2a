#!/bin/sh
# Records, for each syntax-error case NAME.conc, the last line CPython 3.11 prints
# for it into NAME.python3. The tests compare conc's last line with that file, so
# they never need python3 themselves. Run from this directory after adding a case.
set -e
for f in *.conc; do
    python3 "$f" 2>&1 | tail -n 1 > "${f%.conc}.python3"
done
