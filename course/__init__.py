"""Tooling for the course: release student notebooks, grade submissions, check the course.

Run `python -m course --help` (the Makefile is the usual front door).
"""
