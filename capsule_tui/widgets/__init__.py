"""Textual widgets of the terminal UI that are not whole screens: the capsule table
and path completion.
"""
