"""Guidance: tips, benefits, anatomy notes, strategies by level, and routines."""
