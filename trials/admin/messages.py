"""The study-team inbox: contact messages in the admin."""
