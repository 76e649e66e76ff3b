"""What this machine remembers: the state store (SQLite), and the events it records.

store.py owns the schema and every SQL statement; reconcile.py brings a host's rows
in line with what the host says (the hosts are the truth); records.py (the rows),
revisions.py (the rules of a capsule's history), events.py and webhook.py (recording
and sending events), store_thread.py (store work off the UI's loop). It never talks
to engines.
"""
