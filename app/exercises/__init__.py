"""Exercises, the equipment they need, and the muscles and joint actions they train."""
