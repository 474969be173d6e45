"""Anatomy: muscles and the joint actions they perform."""
